/*
 * dnsnotify: Windows (see dnsnotify.h and dnsnotify_win.h).
 *
 * Every DLL function is found at run time from System32 (winsys.h):
 * DnsFlushResolverCache (dnsapi.dll), RtlPublishWnfStateData and
 * RtlNtStatusToDosError (ntdll.dll), RefreshPolicyEx (userenv.dll).
 *
 * The WNF state name is a 64-bit value. ntdll takes it by value as a
 * structure of two 32-bit halves, low half first; declaring it that way
 * gives the right call on both x64 (one register) and x86 (two stack
 * slots) without a case for each.
 */
#include "dnsnotify.h"
#include "dnsnotify_win.h"

#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "winsys.h"
#include "winutf.h"

/* WNF_GPOL_SYSTEM_CHANGES: machine policy was applied. */
#define DNSNOTIFY_WNF_GPOL_SYSTEM	0x0d891e2aa3bc0875ULL
#define DNSNOTIFY_MSG_BYTES		320u

#ifndef RP_FORCE
#define RP_FORCE	1	/* userenv.h: refresh even if unchanged */
#endif

struct dnsnotify_wnf_name {
	ULONG	 half[2];	/* low 32 bits, then high */
};

typedef BOOL (WINAPI *dnsnotify_flush_fn)(void);
typedef BOOL (WINAPI *dnsnotify_refresh_fn)(BOOL, DWORD);
typedef LONG (NTAPI *dnsnotify_publish_fn)(struct dnsnotify_wnf_name,
    const void *, const void *, ULONG, const void *);
typedef ULONG (NTAPI *dnsnotify_status_fn)(LONG);

/* The failed steps of one call. */
struct dnsnotify_notice {
	DWORD	 code;				/* of the first failure */
	char	 what[DWERR_MSG_BYTES / 2];	/* "step (reason); ..." */
};

static unsigned long	dnsnotify_real_paramchange(void);
static unsigned long	dnsnotify_real_flush(void);
static unsigned long	dnsnotify_real_gp_publish(void);
static unsigned long	dnsnotify_real_gp_refresh(void);

static const struct dnsnotify_hooks dnsnotify_real = {
	dnsnotify_real_paramchange,
	dnsnotify_real_flush,
	dnsnotify_real_gp_publish,
	dnsnotify_real_gp_refresh
};
static struct dnsnotify_hooks	dnsnotify_calls = {
	dnsnotify_real_paramchange,
	dnsnotify_real_flush,
	dnsnotify_real_gp_publish,
	dnsnotify_real_gp_refresh
};

/* Our publications not yet seen again: when the latest was made, and how
 * many. */
static uint64_t	dnsnotify_own_ms;
static unsigned	dnsnotify_own_n;

void
dnsnotify_set_hooks(const struct dnsnotify_hooks *h)
{
	dnsnotify_calls = h != NULL ? *h : dnsnotify_real;
	dnsnotify_own_n = 0;
}

/* Sends SERVICE_CONTROL_PARAMCHANGE to Dnscache. */
static unsigned long
dnsnotify_real_paramchange(void)
{
	SC_HANDLE	 scm, svc;
	SERVICE_STATUS	 status;
	DWORD		 e = 0;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
		return GetLastError();
	if ((svc = OpenServiceW(scm, L"Dnscache",
	    SERVICE_PAUSE_CONTINUE)) == NULL)
		e = GetLastError();
	else {
		if (!ControlService(svc, SERVICE_CONTROL_PARAMCHANGE, &status))
			e = GetLastError();
		CloseServiceHandle(svc);
	}
	CloseServiceHandle(scm);
	return e;
}

static unsigned long
dnsnotify_real_flush(void)
{
	FARPROC	 p;
	DWORD	 e;

	if ((p = winsys_proc(L"dnsapi.dll", "DnsFlushResolverCache",
	    &e)) == NULL)
		return e;
	SetLastError(0);
	if (!((dnsnotify_flush_fn)(void (*)(void))p)())
		return GetLastError() != 0 ? GetLastError() : ERROR_GEN_FAILURE;
	return 0;
}

static unsigned long
dnsnotify_real_gp_publish(void)
{
	struct dnsnotify_wnf_name	 name;
	FARPROC				 p, q;
	DWORD				 e;
	LONG				 st;
	ULONG				 w;

	if ((p = winsys_proc(L"ntdll.dll", "RtlPublishWnfStateData",
	    &e)) == NULL)
		return e;
	name.half[0] = (ULONG)(DNSNOTIFY_WNF_GPOL_SYSTEM & 0xffffffffu);
	name.half[1] = (ULONG)(DNSNOTIFY_WNF_GPOL_SYSTEM >> 32);
	/* No type, no data, no scope: the change itself is the news. */
	st = ((dnsnotify_publish_fn)(void (*)(void))p)(name, NULL, NULL, 0,
	    NULL);
	if (st >= 0)
		return 0;
	if ((q = winsys_proc(L"ntdll.dll", "RtlNtStatusToDosError",
	    &e)) == NULL ||
	    (w = ((dnsnotify_status_fn)(void (*)(void))q)(st)) == 0)
		return ERROR_GEN_FAILURE;
	return w;
}

static unsigned long
dnsnotify_real_gp_refresh(void)
{
	FARPROC	 p;
	DWORD	 e;

	if ((p = winsys_proc(L"userenv.dll", "RefreshPolicyEx", &e)) == NULL)
		return e;
	SetLastError(0);
	if (!((dnsnotify_refresh_fn)(void (*)(void))p)(TRUE, RP_FORCE))
		return GetLastError() != 0 ? GetLastError() : ERROR_GEN_FAILURE;
	return 0;
}

/* Adds a failed step and its Win32 error e to n. */
static void
dnsnotify_fail(struct dnsnotify_notice *n, unsigned long e, const char *step)
{
	char	 msg[DNSNOTIFY_MSG_BYTES] = "";
	size_t	 used = strlen(n->what);

	if (n->code == 0)
		n->code = e;
	winutf_message(e, msg, sizeof(msg));
	snprintf(n->what + used, sizeof(n->what) - used, "%s%s (%s)",
	    used > 0 ? "; " : "", step, msg);
}

static int
dnsnotify_done(const struct dnsnotify_notice *n, const char *what,
    struct dwerr *err)
{
	if (n->code == 0)
		return 0;
	dwerr_set(err, (int)n->code, "DNS client not fully notified of the "
	    "%s change: %s", what, n->what);
	return -1;
}

/* Tells Dnscache that policy changed: published, or else refreshed. */
static void
dnsnotify_gp(struct dnsnotify_notice *n)
{
	unsigned long	 e, f;

	if ((e = dnsnotify_calls.gp_publish()) == 0) {
		dnsnotify_own_ms = platform_mono_ms();
		if (dnsnotify_own_n < DNSNOTIFY_GP_OWN_MAX)
			dnsnotify_own_n++;
		return;
	}
	/* Only a failed publication costs a forced refresh. */
	if ((f = dnsnotify_calls.gp_refresh()) != 0) {
		dnsnotify_fail(n, e, "cannot publish the group-policy change");
		dnsnotify_fail(n, f, "RefreshPolicyEx failed");
		return;
	}
	log_debug("group-policy change not published (error %lu): policy "
	    "refreshed instead", e);
}

int
dnsnotify_nrpt(bool gp, struct dwerr *err)
{
	struct dnsnotify_notice	 n;
	unsigned long		 e;

	memset(&n, 0, sizeof(n));
	if ((e = dnsnotify_calls.paramchange()) != 0)
		dnsnotify_fail(&n, e, "cannot send PARAMCHANGE to Dnscache");
	/* Dnscache reads the GP table only on a policy change. */
	if (gp)
		dnsnotify_gp(&n);
	/* Last: drops what was cached under the old rules, negative
	 * answers included. */
	if ((e = dnsnotify_calls.flush()) != 0)
		dnsnotify_fail(&n, e, "DnsFlushResolverCache failed");
	return dnsnotify_done(&n, "NRPT", err);
}

int
dnsnotify_hosts(struct dwerr *err)
{
	struct dnsnotify_notice	 n;
	unsigned long		 e;

	memset(&n, 0, sizeof(n));
	if ((e = dnsnotify_calls.flush()) != 0)
		dnsnotify_fail(&n, e, "DnsFlushResolverCache failed");
	return dnsnotify_done(&n, "hosts file", err);
}

bool
dnsnotify_gp_own_take(uint64_t now_ms)
{
	if (dnsnotify_own_n == 0)
		return false;
	if (now_ms - dnsnotify_own_ms > DNSNOTIFY_GP_OWN_MS) {
		dnsnotify_own_n = 0;	/* too late: not ours */
		return false;
	}
	dnsnotify_own_n--;
	return true;
}
