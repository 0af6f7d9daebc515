/*
 * sources: Windows, group policy refreshes (see sources_win.c).
 *
 * RegisterGPNotification signals an event when machine policy was
 * applied; that is a SOURCE_POLICY event ("policy refresh"), since group
 * policy is where the policy NRPT rules come from. The daemon tells our
 * own publication of a policy change (dnsnotify.h) from a real refresh.
 * userenv.dll is looked up at run time, so a system without it runs the
 * other watches.
 */
#include "sources.h"
#include "sources_win_int.h"
#include "sources_win_os.h"

#include "log.h"
#include "winutf.h"

typedef BOOL (WINAPI *sources_gp_register_fn)(HANDLE, BOOL);

void
sources_gp_open(struct sources *src)
{
	FARPROC	 reg, unreg;
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e;

	/* Looked up, so that a system without it still runs the rest. */
	if ((src->userenv = LoadLibraryExW(L"userenv.dll", NULL,
	    LOAD_LIBRARY_SEARCH_SYSTEM32)) == NULL ||
	    (reg = GetProcAddress(src->userenv, "RegisterGPNotification")) ==
	    NULL ||
	    (unreg = GetProcAddress(src->userenv,
	    "UnregisterGPNotification")) == NULL) {
		log_debug("policy refreshes are not watched: no "
		    "RegisterGPNotification");
		return;
	}
	if (!((sources_gp_register_fn)(void (*)(void))reg)(src->policy.event,
	    TRUE)) {
		winutf_message(GetLastError(), msg, sizeof(msg));
		log_notice("policy refreshes are not watched: %s", msg);
		return;
	}
	src->gp_unregister = (sources_gp_unregister_fn)(void (*)(void))unreg;
	if ((e = sources_wait_start(&src->policy)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("policy refreshes are not watched: %s", msg);
	}
}

void
sources_gp_fired(struct sources *src)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e;

	sources_wait_stop(src, &src->policy);
	if ((e = sources_wait_start(&src->policy)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("policy refreshes are no longer watched: %s", msg);
	}
	sources_emit(&src->sc, SOURCE_POLICY, "policy refresh");
}

HANDLE
sources_win_policy_event(struct sources *src)
{
	return src->policy.event;
}

void
sources_gp_close(struct sources *src)
{
	sources_wait_stop(src, &src->policy);
	if (src->gp_unregister != NULL)
		(void)src->gp_unregister(src->policy.event);
	if (src->userenv != NULL)
		FreeLibrary(src->userenv);
}
