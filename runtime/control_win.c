/*
 * control: the daemon's end of the control channel over a named pipe (see
 * control.h), and the pipe operations both ends use (control_win.h).
 *
 * One accept thread owns the listening instances. It waits for a client
 * (ConnectNamedPipe), makes the next instance at once, so the name never
 * disappears between two clients, reads the request line and queues the
 * connected handle with the line. The loop takes one queued request per
 * wake-up, parses it and calls the daemon's handler; control_reply writes
 * the answer from the loop thread and closes the handle. Every wait of the
 * thread also waits for the stop event, so control_free never hangs.
 *
 * A reply is not followed by FlushFileBuffers and DisconnectNamedPipe: the
 * first waits, without a timeout, until the client has read everything,
 * and the second throws away what it has not read yet. Closing our end
 * instead leaves the reply in the pipe: the client reads it, then sees the
 * end of the pipe. The write itself waits at most CONTROL_WRITE_TIMEOUT_MS
 * (replies up to CONTROL_OUT_BUFFER_BYTES do not wait at all).
 *
 * Only SYSTEM, Administrators and the service SID may open the pipe or add
 * an instance to it (a protected DACL), and remote clients are refused.
 * The pipe is owned by Administrators, set explicitly: a standard user
 * cannot give an object that owner, so a client that finds it knows the
 * server runs elevated (control_client_win.c). The default name lies under
 * \\.\pipe\ProtectedPrefix\Administrators\, where Windows lets only
 * Administrators and SYSTEM create a pipe. The first
 * instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so a second
 * daemon cannot join the first one's pipe. Clients still owed a reply when
 * their channel is freed (a reload frees the channel from inside a request
 * handler, then answers) keep their instance open; a new channel on the
 * same name then joins those instances instead of asking to be the first.
 */
#include "control.h"
#include "control_proto.h"
#include "control_win.h"

#include <windows.h>
#include <process.h>
#include <sddl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "acl.h"
#include "dwstr.h"
#include "log.h"
#include "platform.h"
#include "winutf.h"

#define CONTROL_PIPE_PREFIX	"\\\\.\\pipe\\"
#define CONTROL_PIPE_NAME_MAX	256u	/* characters in a whole pipe name */
/* Owned by Administrators (which only SYSTEM and elevated administrators
 * may set: what a client checks), protected (no inherited entries); full
 * control for SYSTEM, the Administrators group and the service SID, which
 * is appended with its closing parenthesis. */
#define CONTROL_PIPE_SDDL	"O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;"
#define CONTROL_SDDL_BYTES	192u
#define CONTROL_PIPE_MODE	(PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | \
				PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS)
#define CONTROL_OUT_BUFFER_BYTES (64u << 10) /* replies that never wait */
#define CONTROL_IN_BUFFER_BYTES	(CONTROL_REQUEST_MAX_BYTES + 2)
/* A client's time to send its line. Shorter than CONTROL_IDLE_MS: the
 * thread reads one client at a time, and the next one waits. */
#define CONTROL_READ_TIMEOUT_MS	2000u
#define CONTROL_WRITE_TIMEOUT_MS 2000u	/* a reply's time to go out */
#define CONTROL_ACCEPT_PAUSE_MS	1000u	/* rest when the pipe fails */
#define CONTROL_PROBE_WAIT_MS	1u	/* control_listen's look for others */

/* What the accept thread queued. */
enum control_kind {
	CONTROL_REQUEST,	/* a request line to parse (or too long) */
	CONTROL_NOTE_ERROR,	/* a message for log_error, in req.buf */
	CONTROL_NOTE_DEBUG	/* a message for log_debug, in req.buf */
};

/* Where a client is listed. */
enum control_home {
	CONTROL_LOOSE,		/* queued, or being refused */
	CONTROL_OWED,		/* in its channel's list, owed a reply */
	CONTROL_ORPHAN		/* owed a reply, its channel freed */
};

/* What became of one client on the accept thread. */
enum control_read {
	CONTROL_READ_QUEUED,
	CONTROL_READ_DROPPED,
	CONTROL_READ_STOPPED
};

struct control_client {
	struct control_client	*next;	/* in the queue or its home list */
	struct control		*ctl;	/* while CONTROL_OWED */
	enum control_home	 home;
	enum control_kind	 kind;
	HANDLE			 pipe;	/* our end; INVALID_HANDLE_VALUE
					 * for a note */
	struct control_request_buf req;
	wchar_t			 wpath[];	/* the pipe's name */
};

struct control {
	struct control		*next_live;	/* this process's channels */
	struct loop		*loop;
	char			*path;
	wchar_t			*wpath;
	control_request_fn	 fn;
	void			*arg;
	PSECURITY_DESCRIPTOR	 sd;		/* LocalAlloc'd */
	SECURITY_ATTRIBUTES	 sa;
	HANDLE			 first;		/* the first instance: the
						 * thread's from its start */
	HANDLE			 thread;
	HANDLE			 stop;		/* set: the thread must end */
	HANDLE			 io_event;	/* the thread's overlapped I/O */
	atomic_uint		 idle_ms;	/* a client's time to send its
						 * line (the thread reads it) */
	struct loop_timer	*waker;
	/* The thread's requests for the loop, guarded by lock. */
	CRITICAL_SECTION	 lock;
	struct control_client	*queue;
	struct control_client	**queue_tail;
	/* Handed to the daemon, owed a reply (loop thread only). */
	struct control_client	*clients;
};

/*
 * This process's channels and the clients that outlived theirs, so that
 * control_listen can tell a name held by its own clients (join it) from a
 * name another daemon holds (refuse).
 */
static SRWLOCK			 control_lock = SRWLOCK_INIT;
static struct control		*control_live;
static struct control_client	*control_orphans;

/* Milliseconds left until deadline_ms (0: none, INFINITE). */
DWORD
control_remaining_ms(uint64_t deadline_ms)
{
	uint64_t	 now;

	if (deadline_ms == 0)
		return INFINITE;
	now = platform_mono_ms();
	if (now >= deadline_ms)
		return 0;
	if (deadline_ms - now >= INFINITE)
		return INFINITE - 1;
	return (DWORD)(deadline_ms - now);
}

/*
 * One overlapped operation on h, waited for until deadline_ms (0: none)
 * or until stop is set (NULL: never). Returns 0 with *done bytes, or a
 * Win32 error: ERROR_TIMEOUT, ERROR_CANCELLED (stopped), or the
 * operation's own. An operation cut short is cancelled and waited for, so
 * buf is free again when this returns.
 */
DWORD
control_io(enum control_op op, HANDLE h, void *buf, DWORD n, HANDLE ev,
    HANDLE stop, uint64_t deadline_ms, DWORD *done)
{
	OVERLAPPED	 ov;
	HANDLE		 w[2];
	DWORD		 e = 0, nw = 0, rc, got = 0;
	BOOL		 ok;

	*done = 0;
	memset(&ov, 0, sizeof(ov));
	ov.hEvent = ev;
	switch (op) {
	case CONTROL_OP_CONNECT:
		ok = ConnectNamedPipe(h, &ov);
		break;
	case CONTROL_OP_READ:
		ok = ReadFile(h, buf, n, NULL, &ov);
		break;
	default:
		ok = WriteFile(h, buf, n, NULL, &ov);
		break;
	}
	if (!ok) {
		e = GetLastError();
		if (op == CONTROL_OP_CONNECT && e == ERROR_PIPE_CONNECTED)
			return 0;	/* it came before we asked */
		if (e != ERROR_IO_PENDING)
			return e;
		e = 0;
	}
	w[nw++] = ev;
	if (stop != NULL)
		w[nw++] = stop;
	rc = WaitForMultipleObjects(nw, w, FALSE,
	    control_remaining_ms(deadline_ms));
	if (rc != WAIT_OBJECT_0) {
		if (rc == WAIT_TIMEOUT)
			e = ERROR_TIMEOUT;
		else if (rc == WAIT_OBJECT_0 + 1)
			e = ERROR_CANCELLED;
		else
			e = GetLastError();
		(void)CancelIoEx(h, &ov);
	}
	if (GetOverlappedResult(h, &ov, &got, TRUE)) {
		*done = got;	/* done, maybe just before the cancel */
		return 0;
	}
	return e != 0 ? e : GetLastError();
}

/* Writes all of p to h by deadline_ms; 0 or a Win32 error. */
DWORD
control_write_all(HANDLE h, const char *p, size_t n, HANDLE ev,
    uint64_t deadline_ms)
{
	DWORD	 done, e;

	while (n > 0) {
		e = control_io(CONTROL_OP_WRITE, h, (void *)p,
		    n > INT32_MAX ? INT32_MAX : (DWORD)n, ev, NULL, deadline_ms,
		    &done);
		if (e != 0)
			return e;
		if (done == 0)
			return ERROR_NO_DATA;
		p += done;
		n -= done;
	}
	return 0;
}

/* The UTF-16 name of a local pipe path, malloc'd; NULL with err. */
wchar_t *
control_pipe_name(const char *path, struct dwerr *err)
{
	const size_t	 plen = strlen(CONTROL_PIPE_PREFIX);
	wchar_t		*w;

	if (path[0] == '\0') {
		dwerr_set(err, EINVAL, "the control pipe name is empty");
		return NULL;
	}
	if (strlen(path) <= plen ||
	    _strnicmp(path, CONTROL_PIPE_PREFIX, plen) != 0) {
		dwerr_set(err, EINVAL, "the control pipe %s is not a local "
		    "pipe name: it must start with %s and name a pipe", path,
		    CONTROL_PIPE_PREFIX);
		return NULL;
	}
	if ((w = winutf_wide(path)) == NULL) {
		dwerr_set(err, EINVAL, "the control pipe name %s is not valid "
		    "UTF-8", path);
		return NULL;
	}
	if (wcslen(w) > CONTROL_PIPE_NAME_MAX) {
		free(w);
		dwerr_set(err, ENAMETOOLONG, "the control pipe name %s is "
		    "longer than the %u characters Windows allows", path,
		    CONTROL_PIPE_NAME_MAX);
		return NULL;
	}
	return w;
}

/* A new instance of the pipe; INVALID_HANDLE_VALUE with GetLastError.
 * Only constant fields of ctl: the accept thread calls it too. */
static HANDLE
control_pipe_new(const struct control *ctl, bool first)
{
	DWORD	 open = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;

	if (first)
		open |= FILE_FLAG_FIRST_PIPE_INSTANCE;
	return CreateNamedPipeW(ctl->wpath, open, CONTROL_PIPE_MODE,
	    PIPE_UNLIMITED_INSTANCES, CONTROL_OUT_BUFFER_BYTES,
	    CONTROL_IN_BUFFER_BYTES, CONTROL_BUSY_WAIT_MS,
	    (LPSECURITY_ATTRIBUTES)&ctl->sa);
}

/*
 * The accept thread. It touches only the queue (under the lock), the
 * waker (loop_wake) and the constant fields of ctl.
 */

/* A queue entry for ctl's pipe; NULL when out of memory. */
static struct control_client *
control_item_new(const struct control *ctl, enum control_kind kind,
    HANDLE pipe)
{
	size_t			 n = wcslen(ctl->wpath) + 1;
	struct control_client	*c;

	n *= sizeof(wchar_t);
	if ((c = malloc(sizeof(*c) + n)) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->home = CONTROL_LOOSE;
	c->kind = kind;
	c->pipe = pipe;
	memcpy(c->wpath, ctl->wpath, n);
	return c;
}

/* Queues c for the loop, waking it when the queue was empty. */
static void
control_enqueue(struct control *ctl, struct control_client *c)
{
	bool	 was_empty;

	c->next = NULL;
	EnterCriticalSection(&ctl->lock);
	was_empty = ctl->queue == NULL;
	*ctl->queue_tail = c;
	ctl->queue_tail = &c->next;
	LeaveCriticalSection(&ctl->lock);
	if (was_empty)
		loop_wake(ctl->waker);
}

static void	control_note(struct control *, enum control_kind,
		    const char *, ...) DW_PRINTF(3, 4);

/* A message for the loop to log: the thread does not log itself. */
static void
control_note(struct control *ctl, enum control_kind kind, const char *fmt,
    ...)
{
	struct control_client	*c;
	va_list			 ap;

	if ((c = control_item_new(ctl, kind, INVALID_HANDLE_VALUE)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(c->req.buf, sizeof(c->req.buf), fmt, ap);
	va_end(ap);
	control_enqueue(ctl, c);
}

/* Waits out a pause; false when told to stop meanwhile. */
static bool
control_thread_pause(struct control *ctl)
{
	return WaitForSingleObject(ctl->stop, CONTROL_ACCEPT_PAUSE_MS) !=
	    WAIT_OBJECT_0;
}

/* Reads the request line of the client connected on pipe and queues it;
 * the pipe is the queue's, or closed. */
static enum control_read
control_thread_read(struct control *ctl, HANDLE pipe)
{
	uint64_t		 start, deadline;
	struct control_client	*c;
	char			*at, msg[CONTROL_MSG_BYTES];
	size_t			 room;
	DWORD			 e, n;

	if ((c = control_item_new(ctl, CONTROL_REQUEST, pipe)) == NULL) {
		CloseHandle(pipe);
		return CONTROL_READ_DROPPED;
	}
	start = platform_mono_ms();
	for (;;) {
		deadline = start + atomic_load(&ctl->idle_ms);
		at = control_proto_request_room(&c->req, &room);
		e = control_io(CONTROL_OP_READ, pipe, at, (DWORD)room,
		    ctl->io_event, ctl->stop, deadline, &n);
		if (e == ERROR_CANCELLED) {
			free(c);
			CloseHandle(pipe);
			return CONTROL_READ_STOPPED;
		}
		if (e == 0) {
			/* A line, or too long a one: the loop answers both. */
			if (control_proto_request_add(&c->req, n) !=
			    CONTROL_FRAME_MORE)
				break;
			continue;
		}
		if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED) {
			/* The end of the pipe ends the line too. */
			if (c->req.len > 0)
				break;
			control_note(ctl, CONTROL_NOTE_DEBUG, "a client of %s "
			    "hung up without a request", ctl->path);
		} else if (e == ERROR_TIMEOUT)
			control_note(ctl, CONTROL_NOTE_DEBUG, "dropped a "
			    "client of %s that sent no full request within "
			    "%u ms", ctl->path, atomic_load(&ctl->idle_ms));
		else {
			winutf_message(e, msg, sizeof(msg));
			control_note(ctl, CONTROL_NOTE_DEBUG, "dropped a "
			    "client of %s: %s", ctl->path, msg);
		}
		free(c);
		(void)DisconnectNamedPipe(pipe);
		CloseHandle(pipe);
		return CONTROL_READ_DROPPED;
	}
	control_enqueue(ctl, c);
	return CONTROL_READ_QUEUED;
}

static unsigned __stdcall
control_thread(void *arg)
{
	struct control	*ctl = arg;
	HANDLE		 pipe = ctl->first, next;
	char		 msg[CONTROL_MSG_BYTES];
	DWORD		 e, n;

	for (;;) {
		if (pipe == INVALID_HANDLE_VALUE &&
		    (pipe = control_pipe_new(ctl, false)) ==
		    INVALID_HANDLE_VALUE) {
			winutf_message(GetLastError(), msg, sizeof(msg));
			control_note(ctl, CONTROL_NOTE_ERROR, "cannot make a "
			    "new instance of %s: %s; pausing for %u ms",
			    ctl->path, msg, CONTROL_ACCEPT_PAUSE_MS);
			if (!control_thread_pause(ctl))
				break;
			continue;
		}
		e = control_io(CONTROL_OP_CONNECT, pipe, NULL, 0,
		    ctl->io_event, ctl->stop, 0, &n);
		if (e == ERROR_CANCELLED)
			break;
		/* A client that came and went before we looked may have
		 * left its request: read what is there. */
		if (e == ERROR_NO_DATA)
			e = 0;
		if (e != 0) {
			winutf_message(e, msg, sizeof(msg));
			control_note(ctl, CONTROL_NOTE_ERROR, "cannot wait for "
			    "a client on %s: %s; pausing for %u ms", ctl->path,
			    msg, CONTROL_ACCEPT_PAUSE_MS);
			CloseHandle(pipe);
			pipe = INVALID_HANDLE_VALUE;
			if (!control_thread_pause(ctl))
				break;
			continue;
		}
		/* The next client finds an instance while this one is read
		 * and answered (on failure, the top of the loop retries). */
		next = control_pipe_new(ctl, false);
		if (control_thread_read(ctl, pipe) == CONTROL_READ_STOPPED) {
			pipe = next;
			break;
		}
		pipe = next;
	}
	if (pipe != INVALID_HANDLE_VALUE)
		CloseHandle(pipe);
	return 0;
}

/*
 * The loop side.
 */

/* Takes c out of the list it is in. */
static void
control_client_unlink(struct control_client *c)
{
	struct control_client	**pp = NULL;

	if (c->home == CONTROL_ORPHAN) {
		AcquireSRWLockExclusive(&control_lock);
		pp = &control_orphans;
	} else if (c->home == CONTROL_OWED)
		pp = &c->ctl->clients;
	for (; pp != NULL && *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->home == CONTROL_ORPHAN)
		ReleaseSRWLockExclusive(&control_lock);
	c->home = CONTROL_LOOSE;
	c->ctl = NULL;
	c->next = NULL;
}

/* Hands the request's command to the daemon, or answers the request. */
static void
control_request(struct control *ctl, struct control_client *c)
{
	const char	*reply;
	char		*s;

	if ((s = control_proto_request_cmd(&c->req, &reply)) == NULL) {
		control_reply(c, reply);
		return;
	}
	c->ctl = ctl;
	c->home = CONTROL_OWED;
	c->next = ctl->clients;
	ctl->clients = c;
	/* The handler may reply (which frees c) or even free ctl (a reload
	 * does): touch nothing after it but s. */
	ctl->fn(ctl->arg, c, s);
	free(s);
}

/* The accept thread queued something. */
static void
control_woken(void *arg)
{
	struct control		*ctl = arg;
	struct control_client	*c;
	bool			 more;

	EnterCriticalSection(&ctl->lock);
	if ((c = ctl->queue) != NULL && (ctl->queue = c->next) == NULL)
		ctl->queue_tail = &ctl->queue;
	more = ctl->queue != NULL;
	LeaveCriticalSection(&ctl->lock);
	if (c == NULL)
		return;
	c->next = NULL;
	/* One entry per wake-up, as the handler may free ctl; the next
	 * wake-up takes the rest. */
	if (more)
		loop_wake(ctl->waker);
	switch (c->kind) {
	case CONTROL_NOTE_ERROR:
		log_error("control: %s", c->req.buf);
		free(c);
		break;
	case CONTROL_NOTE_DEBUG:
		log_debug("control: %s", c->req.buf);
		free(c);
		break;
	case CONTROL_REQUEST:
		control_request(ctl, c);
		break;
	}
}

/* True when a live channel of this process is on wpath; under
 * control_lock. */
static bool
control_live_on(const wchar_t *wpath)
{
	const struct control	*ctl;

	for (ctl = control_live; ctl != NULL; ctl = ctl->next_live)
		if (_wcsicmp(ctl->wpath, wpath) == 0)
			return true;
	return false;
}

/* True when a client that outlived its channel holds an instance of
 * wpath; under control_lock. */
static bool
control_orphans_on(const wchar_t *wpath)
{
	const struct control_client	*c;

	for (c = control_orphans; c != NULL; c = c->next)
		if (_wcsicmp(c->wpath, wpath) == 0)
			return true;
	return false;
}

/*
 * True when the name has instances already (listening or busy). Looking
 * does not connect, so the daemon that holds the name sees nothing. The
 * first-instance flag is what settles a race; this look also refuses
 * where the flag is not honoured (Wine ignores it).
 */
static bool
control_name_taken(const wchar_t *wpath)
{
	return WaitNamedPipeW(wpath, CONTROL_PROBE_WAIT_MS) ||
	    GetLastError() == ERROR_SEM_TIMEOUT;
}

/* Makes the first instance and lists ctl as live; -1 with err. */
static int
control_claim(struct control *ctl, struct dwerr *err)
{
	char	 msg[CONTROL_MSG_BYTES];
	DWORD	 e = 0;
	bool	 in_use, first;

	AcquireSRWLockExclusive(&control_lock);
	/* Our own clients, still owed a reply, may hold the name after a
	 * reload: join their instances. Otherwise the name must be new, or
	 * another daemon has it. */
	first = !control_orphans_on(ctl->wpath);
	if (!(in_use = control_live_on(ctl->wpath) ||
	    (first && control_name_taken(ctl->wpath)))) {
		ctl->first = control_pipe_new(ctl, first);
		if (ctl->first == INVALID_HANDLE_VALUE)
			e = GetLastError();
		else {
			ctl->next_live = control_live;
			control_live = ctl;
		}
	}
	ReleaseSRWLockExclusive(&control_lock);
	if (in_use || e == ERROR_PIPE_BUSY || e == ERROR_ALREADY_EXISTS) {
		dwerr_set(err, EADDRINUSE, "another dnswatchdog is already "
		    "listening on %s", ctl->path);
		return -1;
	}
	if (e == ERROR_ACCESS_DENIED || e == ERROR_INVALID_OWNER) {
		/* Not ours to make (a name under ProtectedPrefix, or an owner
		 * only an elevated administrator may set), or taken meanwhile
		 * by someone whose pipe we may not join. */
		dwerr_set(err, EADDRINUSE, "cannot create the control pipe %s: "
		    "only SYSTEM and elevated Administrators may (run it from "
		    "an elevated prompt), or another process holds the name",
		    ctl->path);
		return -1;
	}
	if (e != 0) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "cannot create the control pipe %s: %s",
		    ctl->path, msg);
		return -1;
	}
	return 0;
}

struct control *
control_listen(struct loop *loop, const char *path, control_request_fn fn,
    void *arg, struct dwerr *err)
{
	struct control	*ctl;
	wchar_t		*wpath, *wsddl;
	uintptr_t	 th;
	char		 msg[CONTROL_MSG_BYTES], sddl[CONTROL_SDDL_BYTES];
	char		 sid[ACL_SID_CHARS];
	int		 e;

	if ((wpath = control_pipe_name(path, err)) == NULL)
		return NULL;
	if (acl_service_sid(ACL_SERVICE_NAME, sid, sizeof(sid), err) != 0) {
		free(wpath);
		return NULL;
	}
	snprintf(sddl, sizeof(sddl), "%s%s)", CONTROL_PIPE_SDDL, sid);
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = dwstr_dup(path)) == NULL) {
		free(ctl);
		free(wpath);
		dwerr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	ctl->wpath = wpath;
	ctl->loop = loop;
	ctl->fn = fn;
	ctl->arg = arg;
	ctl->first = INVALID_HANDLE_VALUE;
	ctl->queue_tail = &ctl->queue;
	atomic_init(&ctl->idle_ms, CONTROL_READ_TIMEOUT_MS);
	InitializeCriticalSection(&ctl->lock);
	wsddl = winutf_wide(sddl);
	if ((ctl->stop = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (ctl->io_event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
	    wsddl == NULL ||
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(wsddl,
	    SDDL_REVISION_1, &ctl->sd, NULL)) {
		e = wsddl == NULL ? ERROR_NOT_ENOUGH_MEMORY : (int)GetLastError();
		free(wsddl);
		winutf_message((unsigned long)e, msg, sizeof(msg));
		dwerr_set(err, e, "cannot set up the control pipe %s: %s", path,
		    msg);
		goto fail;
	}
	free(wsddl);
	ctl->sa.nLength = sizeof(ctl->sa);
	ctl->sa.lpSecurityDescriptor = ctl->sd;
	ctl->sa.bInheritHandle = FALSE;
	if ((ctl->waker = loop_waker_new(loop, control_woken, ctl)) == NULL) {
		dwerr_set(err, ENOMEM, "cannot watch %s", path);
		goto fail;
	}
	if (control_claim(ctl, err) != 0)
		goto fail;
	if ((th = _beginthreadex(NULL, 0, control_thread, ctl, 0, NULL)) ==
	    0) {
		e = errno;
		dwerr_set(err, e, "cannot start the thread that serves %s: %s",
		    path, strerror(e));
		goto fail;
	}
	ctl->thread = (HANDLE)th;
	return ctl;
fail:
	control_free(ctl);
	return NULL;
}

/* Takes effect for the client being read too (the thread looks again at
 * each read). */
void
control_set_idle_ms(struct control *ctl, uint64_t ms)
{
	atomic_store(&ctl->idle_ms, ms > UINT32_MAX ? UINT32_MAX :
	    (unsigned)ms);
}

void
control_free(struct control *ctl)
{
	struct control_client	*c, *next;
	struct control		**lp;

	if (ctl == NULL)
		return;
	if (ctl->thread != NULL) {
		SetEvent(ctl->stop);
		WaitForSingleObject(ctl->thread, INFINITE);
		CloseHandle(ctl->thread);
	} else if (ctl->first != INVALID_HANDLE_VALUE)
		CloseHandle(ctl->first);
	/* Read but not handed over yet: nobody owes these a reply. */
	for (c = ctl->queue; c != NULL; c = next) {
		next = c->next;
		if (c->kind == CONTROL_NOTE_ERROR)
			log_error("control: %s", c->req.buf);
		else if (c->pipe != INVALID_HANDLE_VALUE) {
			log_debug("control: closed a client of %s with its "
			    "channel", ctl->path);
			CloseHandle(c->pipe);
		}
		free(c);
	}
	AcquireSRWLockExclusive(&control_lock);
	for (lp = &control_live; *lp != NULL; lp = &(*lp)->next_live) {
		if (*lp == ctl) {
			*lp = ctl->next_live;
			break;
		}
	}
	/* Still owed a reply (a reload answers after making a new
	 * channel): control_reply frees them. */
	for (c = ctl->clients; c != NULL; c = next) {
		next = c->next;
		c->ctl = NULL;
		c->home = CONTROL_ORPHAN;
		c->next = control_orphans;
		control_orphans = c;
	}
	ReleaseSRWLockExclusive(&control_lock);
	loop_timer_free(ctl->waker);
	if (ctl->io_event != NULL)
		CloseHandle(ctl->io_event);
	if (ctl->stop != NULL)
		CloseHandle(ctl->stop);
	DeleteCriticalSection(&ctl->lock);
	LocalFree(ctl->sd);
	free(ctl->wpath);
	free(ctl->path);
	free(ctl);
}

void
control_reply(struct control_client *c, const char *json)
{
	char	 msg[CONTROL_MSG_BYTES];
	HANDLE	 ev;
	DWORD	 e;
	uint64_t deadline;

	if (c == NULL)
		return;
	control_client_unlink(c);
	/* A reply that fits the pipe's buffer goes out at once; a longer
	 * one waits for the client to read, but not for long. */
	deadline = platform_mono_ms() + CONTROL_WRITE_TIMEOUT_MS;
	if ((ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		e = GetLastError();
	else if ((e = control_write_all(c->pipe, json, strlen(json), ev,
	    deadline)) == 0)
		e = control_write_all(c->pipe, "\n", 1, ev, deadline);
	if (e == ERROR_TIMEOUT)
		log_error("control: dropped a client that does not read its "
		    "reply");
	else if (e != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_debug("control: the client left before its reply: %s",
		    msg);
	}
	if (ev != NULL)
		CloseHandle(ev);
	/* Closing without DisconnectNamedPipe keeps the unread reply for
	 * the client (see the top of the file). */
	CloseHandle(c->pipe);
	free(c);
}
