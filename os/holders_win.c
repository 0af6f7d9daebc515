/*
 * holders: Windows, through the Restart Manager (see holders.h).
 *
 * A Restart Manager session is told about the one file and asked which
 * processes use it (RmGetList); the session is ended at once. rstrtmgr.dll
 * is not a Known DLL: it is loaded from System32 at run time (winsys.h).
 * The Restart Manager sees the processes of every user when the caller is
 * an administrator, and the caller's own otherwise.
 */
#include <windows.h>
#include <restartmanager.h>

#include "holders.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winsys.h"
#include "winutf.h"

#define HOLDERS_TRIES		4u	/* the list may grow between calls */
#define HOLDERS_MSG_BYTES	256u

typedef DWORD (WINAPI *holders_start_fn)(DWORD *, DWORD, WCHAR *);
typedef DWORD (WINAPI *holders_end_fn)(DWORD);
typedef DWORD (WINAPI *holders_register_fn)(DWORD, UINT, LPCWSTR *, UINT,
	    RM_UNIQUE_PROCESS *, UINT, LPCWSTR *);
typedef DWORD (WINAPI *holders_get_fn)(DWORD, UINT *, UINT *,
	    RM_PROCESS_INFO *, LPDWORD);

static struct {
	holders_start_fn	 start;
	holders_end_fn		 end;
	holders_register_fn	 reg;
	holders_get_fn		 get;
} holders_rm;

static int
holders_find(struct dwerr *err)
{
	static const char *const names[] = { "RmStartSession",
	    "RmEndSession", "RmRegisterResources", "RmGetList" };
	FARPROC		 p[sizeof(names) / sizeof(names[0])];
	char		 msg[HOLDERS_MSG_BYTES];
	size_t		 i;
	DWORD		 e;

	if (holders_rm.get != NULL)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((p[i] = winsys_proc(L"rstrtmgr.dll", names[i], &e)) ==
		    NULL) {
			winutf_message(e, msg, sizeof(msg));
			dwerr_set(err, (int)e, "Restart Manager: cannot find "
			    "%s in rstrtmgr.dll: %s", names[i], msg);
			return -1;
		}
	}
	holders_rm.start = (holders_start_fn)(void (*)(void))p[0];
	holders_rm.end = (holders_end_fn)(void (*)(void))p[1];
	holders_rm.reg = (holders_register_fn)(void (*)(void))p[2];
	holders_rm.get = (holders_get_fn)(void (*)(void))p[3];
	return 0;
}

static void
holders_fail(struct dwerr *err, DWORD e, const char *what, const char *path)
{
	char	 msg[HOLDERS_MSG_BYTES];

	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "%s: Restart Manager: %s: %s", path, what, msg);
}

static int
holders_cmp(const void *a, const void *b)
{
	const struct holders_proc	*x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The session's list, the caller's own process left out. */
static int
holders_get(DWORD session, const char *path, struct holders_proc **out,
    size_t *n, struct dwerr *err)
{
	RM_PROCESS_INFO	*info = NULL, *ni;
	UINT		 need = 0, have = 0, i;
	DWORD		 reasons, e = ERROR_MORE_DATA, self;
	unsigned	 tries;
	char		*name;

	for (tries = 0; tries < HOLDERS_TRIES && e == ERROR_MORE_DATA;
	    tries++) {
		have = need;
		if (have > 0 && (ni = realloc(info, have *
		    sizeof(*info))) == NULL) {
			free(info);
			dwerr_set(err, ERROR_OUTOFMEMORY, "out of memory");
			return -1;
		} else if (have > 0)
			info = ni;
		e = holders_rm.get(session, &need, &have, info, &reasons);
	}
	if (e != ERROR_SUCCESS) {
		free(info);
		holders_fail(err, e, "RmGetList", path);
		return -1;
	}
	if (have > HOLDERS_MAX)
		have = HOLDERS_MAX;
	if (have > 0 && (*out = calloc(have, sizeof(**out))) == NULL) {
		free(info);
		dwerr_set(err, ERROR_OUTOFMEMORY, "out of memory");
		return -1;
	}
	self = GetCurrentProcessId();
	for (i = 0; i < have; i++) {
		if (info[i].Process.dwProcessId == self)
			continue;
		(*out)[*n].pid = (uint32_t)info[i].Process.dwProcessId;
		info[i].strAppName[CCH_RM_MAX_APP_NAME] = L'\0';
		if ((name = winutf_narrow(info[i].strAppName)) != NULL) {
			snprintf((*out)[*n].name, sizeof((*out)[*n].name),
			    "%s", name);
			free(name);
		}
		(*n)++;
	}
	free(info);
	if (*n == 0) {
		free(*out);
		*out = NULL;
	} else
		qsort(*out, *n, sizeof(**out), holders_cmp);
	return 0;
}

int
holders_list(const char *path, struct holders_proc **out, size_t *n,
    size_t *unseen, struct dwerr *err)
{
	WCHAR		 key[CCH_RM_SESSION_KEY + 1];
	LPCWSTR		 files[1];
	wchar_t		*wpath;
	DWORD		 session, e;
	int		 rc;

	*out = NULL;
	*n = 0;
	if (unseen != NULL)
		*unseen = 0;
	if (holders_find(err) != 0)
		return -1;
	if ((wpath = winutf_wide(path)) == NULL) {
		dwerr_set(err, ERROR_NO_UNICODE_TRANSLATION, "%s: not a "
		    "UTF-8 path", path);
		return -1;
	}
	memset(key, 0, sizeof(key));
	if ((e = holders_rm.start(&session, 0, key)) != ERROR_SUCCESS) {
		free(wpath);
		holders_fail(err, e, "RmStartSession", path);
		return -1;
	}
	files[0] = wpath;
	if ((e = holders_rm.reg(session, 1, files, 0, NULL, 0, NULL)) !=
	    ERROR_SUCCESS) {
		holders_fail(err, e, "RmRegisterResources", path);
		rc = -1;
	} else
		rc = holders_get(session, path, out, n, err);
	holders_rm.end(session);
	free(wpath);
	return rc;
}

const char *
holders_method(void)
{
	return "restart-manager";
}
