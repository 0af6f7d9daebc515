/*
 * control_win: the named pipe under both ends of the control channel, the
 * daemon's (control_win.c) and the CLI's (control_client_win.c). Only
 * those two files and their tests include it.
 */
#ifndef CONTROL_WIN_H
#define CONTROL_WIN_H

#include <windows.h>

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "dwerr.h"

#define CONTROL_BUSY_WAIT_MS	1000u	/* a client's wait for a free
					 * instance, per try */
#define CONTROL_MSG_BYTES	256u	/* a Win32 error's text */

/* One operation of control_io. */
enum control_op {
	CONTROL_OP_CONNECT,
	CONTROL_OP_READ,
	CONTROL_OP_WRITE
};

/* Milliseconds left until deadline_ms (0: none, INFINITE). */
DWORD		 control_remaining_ms(uint64_t deadline_ms);
/* One overlapped operation on h, waited for until deadline_ms (0: none)
 * or until stop is set (NULL: never). Returns 0 with *done bytes, or a
 * Win32 error: ERROR_TIMEOUT, ERROR_CANCELLED (stopped), or the
 * operation's own. buf is free again when it returns. */
DWORD		 control_io(enum control_op op, HANDLE h, void *buf, DWORD n,
		    HANDLE ev, HANDLE stop, uint64_t deadline_ms, DWORD *done);
/* Writes all of p to h by deadline_ms; 0 or a Win32 error. */
DWORD		 control_write_all(HANDLE h, const char *p, size_t n,
		    HANDLE ev, uint64_t deadline_ms);
/* The UTF-16 name of a local pipe path, malloc'd; NULL with err. */
wchar_t		*control_pipe_name(const char *path, struct dwerr *err);

/*
 * Which server a client trusts (docs/decisions/0010-control-pipe-trust.md):
 * before it sends anything, control_call asks Windows which process serves
 * the pipe (GetNamedPipeServerProcessId). The process of the running
 * DnsWatchdog service is trusted. On the default pipe, while that service
 * runs, nothing else is. Otherwise the pipe must be owned by SYSTEM or
 * Administrators, an owner a standard user cannot set. A refusal is EPERM,
 * naming the pipe and the server's process.
 *
 * control_service_pid is the one question asked of the service manager,
 * behind a seam a test replaces: the process ID of the DnsWatchdog service
 * into *pid, 0 when it is not installed or not running. Returns 0 or a
 * Win32 error. It starts as control_service_pid_scm, which asks the SCM
 * (QueryServiceStatusEx).
 */
typedef DWORD	(*control_service_pid_fn)(DWORD *pid);
extern control_service_pid_fn	 control_service_pid;
DWORD		 control_service_pid_scm(DWORD *pid);

#endif
