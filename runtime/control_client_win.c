/*
 * control_client: the CLI's end of the control channel over a named pipe
 * (see control_client.h): open the pipe, check who serves it (control_win.h),
 * write the request line, read the reply line, each within the caller's
 * deadline.
 */
#include "control_client.h"
#include "control_proto.h"
#include "control_win.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "acl.h"
#include "platform.h"
#include "winutf.h"

#define CONTROL_SID_TEXT_BYTES	512u	/* "DOMAIN\name (S-1-...)" */

control_service_pid_fn	 control_service_pid = control_service_pid_scm;

DWORD
control_service_pid_scm(DWORD *pid)
{
	SERVICE_STATUS_PROCESS	 ss;
	SC_HANDLE		 scm, svc;
	DWORD			 n, e = 0;

	*pid = 0;
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
		return GetLastError();
	if ((svc = OpenServiceW(scm, L"" ACL_SERVICE_NAME,
	    SERVICE_QUERY_STATUS)) == NULL) {
		if ((e = GetLastError()) == ERROR_SERVICE_DOES_NOT_EXIST)
			e = 0;
	} else {
		/* Starting or stopping counts: its process may serve. */
		if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO,
		    (BYTE *)&ss, sizeof(ss), &n))
			e = GetLastError();
		else if (ss.dwCurrentState != SERVICE_STOPPED)
			*pid = ss.dwProcessId;
		CloseServiceHandle(svc);
	}
	CloseServiceHandle(scm);
	return e;
}

/* "DOMAIN\NAME (S-1-...)" for sid, or the bare SID, into out. */
static void
control_sid_text(PSID sid, char *out, size_t outlen)
{
	wchar_t		 name[256], domain[256];
	DWORD		 nn = 256, nd = 256;
	SID_NAME_USE	 use;
	char		*str = NULL, *n = NULL, *d = NULL;

	if (!ConvertSidToStringSidA(sid, &str))
		str = NULL;
	if (LookupAccountSidW(NULL, sid, name, &nn, domain, &nd, &use)) {
		n = winutf_narrow(name);
		d = winutf_narrow(domain);
	}
	if (n != NULL && d != NULL && d[0] != '\0')
		snprintf(out, outlen, "%s\\%s (%s)", d, n, str != NULL ? str :
		    "?");
	else if (n != NULL)
		snprintf(out, outlen, "%s (%s)", n, str != NULL ? str : "?");
	else
		snprintf(out, outlen, "%s", str != NULL ? str :
		    "an unreadable SID");
	free(n);
	free(d);
	LocalFree(str);
}

/*
 * Refuses the server of the pipe h unless it is the one the client
 * expects (control_win.h), before anything is sent: 0, or -1 with err
 * (EPERM).
 */
static int
control_call_trust(HANDLE h, const char *path, struct dwerr *err)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PSID			 owner = NULL;
	ULONG			 server;
	DWORD			 service, e;
	char			 msg[CONTROL_MSG_BYTES];
	char			 who[CONTROL_SID_TEXT_BYTES];

	if (!GetNamedPipeServerProcessId(h, &server)) {
		e = GetLastError();
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, EPERM, "refusing %s: cannot tell which process "
		    "serves it: %s; nothing was sent", path, msg);
		return -1;
	}
	if ((e = control_service_pid(&service)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, EPERM, "refusing %s (served by process %lu): "
		    "cannot ask the service manager which process the %s "
		    "service runs in: %s; nothing was sent", path,
		    (unsigned long)server, ACL_SERVICE_NAME, msg);
		return -1;
	}
	if (service != 0 && server == service)
		return 0;
	if (service != 0 && _stricmp(path, platform_default_control()) == 0) {
		dwerr_set(err, EPERM, "refusing %s: it is served by process %lu, "
		    "not by the %s service (process %lu); nothing was sent",
		    path, (unsigned long)server, ACL_SERVICE_NAME,
		    (unsigned long)service);
		return -1;
	}
	e = GetSecurityInfo(h, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION,
	    &owner, NULL, NULL, NULL, &sd);
	if (e != ERROR_SUCCESS) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, EPERM, "refusing %s (served by process %lu): "
		    "cannot read who owns the pipe: %s; nothing was sent", path,
		    (unsigned long)server, msg);
		return -1;
	}
	if (owner != NULL && IsValidSid(owner) && (IsWellKnownSid(owner,
	    WinLocalSystemSid) || IsWellKnownSid(owner,
	    WinBuiltinAdministratorsSid))) {
		LocalFree(sd);
		return 0;
	}
	if (owner != NULL && IsValidSid(owner))
		control_sid_text(owner, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "nobody");
	LocalFree(sd);
	dwerr_set(err, EPERM, "refusing %s: it is served by process %lu and "
	    "owned by %s, not by SYSTEM or Administrators, so a standard user "
	    "may have made it; nothing was sent", path, (unsigned long)server,
	    who);
	return -1;
}

/* Opens the pipe, waiting for a free instance until deadline_ms (0:
 * none); the handle, or INVALID_HANDLE_VALUE with err. */
static HANDLE
control_call_open(const char *path, const wchar_t *wpath, uint64_t deadline_ms,
    struct dwerr *err)
{
	char	 msg[CONTROL_MSG_BYTES];
	HANDLE	 h;
	DWORD	 e, ms;

	for (;;) {
		/* Identification only: a server squatting on the name
		 * cannot act as the caller. */
		h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		    OPEN_EXISTING, FILE_FLAG_OVERLAPPED |
		    SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
		if (h != INVALID_HANDLE_VALUE)
			return h;
		if ((e = GetLastError()) != ERROR_PIPE_BUSY)
			break;
		/* Every instance has a client: wait for a free one. */
		if ((ms = control_remaining_ms(deadline_ms)) == 0)
			break;
		if (ms > CONTROL_BUSY_WAIT_MS)
			ms = CONTROL_BUSY_WAIT_MS;
		(void)WaitNamedPipeW(wpath, ms);
	}
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		dwerr_set(err, ENOENT, "no dnswatchdog is running on %s", path);
		break;
	case ERROR_PIPE_BUSY:
		dwerr_set(err, EAGAIN, "the dnswatchdog on %s is too busy to "
		    "take a connection", path);
		break;
	case ERROR_ACCESS_DENIED:
		dwerr_set(err, EACCES, "cannot open %s: only SYSTEM and "
		    "Administrators may use it (run this from an elevated "
		    "prompt)", path);
		break;
	default:
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "cannot connect to %s: %s", path, msg);
		break;
	}
	return INVALID_HANDLE_VALUE;
}

/* Reads the reply line into a malloc'd *out; 0 or a Win32 error
 * (ERROR_MORE_DATA: over CONTROL_REPLY_MAX_BYTES). */
static DWORD
control_call_read_line(HANDLE h, HANDLE ev, uint64_t deadline_ms, char **out)
{
	struct control_reply_buf rb = { NULL, 0, 0 };
	char		*at;
	size_t		 room;
	DWORD		 e, n;

	for (;;) {
		if (control_proto_reply_room(&rb, &at, &room) != 0) {
			e = errno == EMSGSIZE ? ERROR_MORE_DATA :
			    ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		e = control_io(CONTROL_OP_READ, h, at, (DWORD)room, ev, NULL,
		    deadline_ms, &n);
		if (e != 0)
			break;
		if (control_proto_reply_add(&rb, n)) {
			*out = rb.buf;
			return 0;
		}
	}
	free(rb.buf);
	return e;
}

int
control_call(const char *path, const char *cmd, int timeout_ms, char **reply,
    struct dwerr *err)
{
	uint64_t	 deadline = 0;
	wchar_t		*wpath;
	HANDLE		 h = INVALID_HANDLE_VALUE, ev = NULL;
	char		*req = NULL, msg[CONTROL_MSG_BYTES];
	DWORD		 e;
	int		 rc = -1;

	*reply = NULL;
	if (timeout_ms >= 0)
		deadline = platform_mono_ms() + (uint64_t)timeout_ms + 1;
	if ((wpath = control_pipe_name(path, err)) == NULL)
		return -1;
	if ((req = control_proto_request_line(cmd)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
		e = GetLastError();
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "cannot talk to %s: %s", path, msg);
		goto out;
	}
	if ((h = control_call_open(path, wpath, deadline, err)) ==
	    INVALID_HANDLE_VALUE || control_call_trust(h, path, err) != 0)
		goto out;
	if ((e = control_write_all(h, req, strlen(req), ev, deadline)) == 0 &&
	    (e = control_call_read_line(h, ev, deadline, reply)) == 0) {
		rc = 0;
		goto out;
	}
	switch (e) {
	case ERROR_BROKEN_PIPE:
	case ERROR_PIPE_NOT_CONNECTED:
	case ERROR_NO_DATA:
		dwerr_set(err, ECONNRESET, "the dnswatchdog on %s closed the "
		    "connection without a full reply", path);
		break;
	case ERROR_TIMEOUT:
		dwerr_set(err, ETIMEDOUT, "no reply from the dnswatchdog on %s "
		    "within %d ms", path, timeout_ms);
		break;
	case ERROR_MORE_DATA:
		dwerr_set(err, EMSGSIZE, "the reply from %s is over %u bytes",
		    path, CONTROL_REPLY_MAX_BYTES);
		break;
	case ERROR_NOT_ENOUGH_MEMORY:
		dwerr_set(err, ENOMEM, "out of memory");
		break;
	default:
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "talking to the dnswatchdog on %s: %s",
		    path, msg);
		break;
	}
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (ev != NULL)
		CloseHandle(ev);
	free(req);
	free(wpath);
	return rc;
}
