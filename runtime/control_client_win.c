/*
 * control_client: the CLI's end of the control channel over a named pipe
 * (see control_client.h): open the pipe, write the request line, read the
 * reply line, each within the caller's deadline.
 */
#include "control_client.h"
#include "control_proto.h"
#include "control_win.h"

#include <windows.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "platform.h"
#include "winutf.h"

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
	    INVALID_HANDLE_VALUE)
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
