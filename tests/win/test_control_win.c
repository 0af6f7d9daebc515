/*
 * Tests for runtime/control_win.c and control_client_win.c, run under
 * Wine: a server in the test's loop on a fresh pipe name per test, clients
 * in other threads (control_call, or raw bytes through their own pipe
 * handle). A client thread wakes the loop when it is done; a deadline
 * timer turns a hang into a failure.
 *
 * The client's check of the server is driven through its seam
 * (control_service_pid): a fake service manager says which process the
 * service runs in, and pipes of the test's own play squatters. Wine lets
 * anyone create a pipe under ProtectedPrefix and give it any owner; only
 * Windows enforces those (docs/decisions/0009-control-pipe-trust.md).
 */
#include <windows.h>
#include <aclapi.h>
#include <process.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "acl.h"
#include "control.h"
#include "control_client.h"
#include "control_win.h"
#include "loop.h"
#include "platform.h"
#include "winutf.h"

#define FX_DEADLINE_MS	8000u	/* a run that lasts longer has failed */
#define FX_CALL_MS	5000	/* control_call's timeout */
#define FX_IO_MS	5000u	/* raw clients' timeouts */
#define FX_LATER_MS	20u	/* a deferred reply comes this much later */
#define FX_QUICK_MS	1000u	/* control_free's most, with clients about */
#define FX_SILENT_MIN_MS 1000u	/* a silent client is dropped no sooner */
#define FX_WORKERS	3u
#define FX_KEPT		4u
#define FX_PATH_BYTES	128u
#define FX_REPLY_BYTES	1024u
#define FX_BIG_BYTES	(200u << 10)	/* over the pipe's 64 KiB buffer */
#define DEFAULT_PIPE \
	"\\\\.\\pipe\\ProtectedPrefix\\Administrators\\DnsWatchdog\\control"
#define PIPE_NAME_MAX	256u	/* characters Windows allows in a pipe name */
/* The owner and DACL the daemon gives its pipe, but for the service SID. */
#define SQUAT_SDDL_ADMINS "O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)"

enum fx_mode {
	FX_ANSWER_NOW,		/* reply from the handler */
	FX_ANSWER_LATER,	/* reply from a timer */
	FX_ANSWER_BIG,		/* a long reply from the handler */
	FX_KEEP,		/* keep the client; the test replies */
	FX_RELOAD_NOW,		/* free and remake the channel, then reply */
	FX_RELOAD_LATER		/* the same, from a timer */
};

/* What a raw client does. */
enum raw_mode {
	RAW_EXCHANGE,		/* send, then read until the server closes */
	RAW_SILENT		/* send nothing, read until the server closes */
};

struct fx;

/* A client in its own thread. It never asserts: the test does. */
struct worker {
	struct fx	*fx;
	HANDLE		 th;
	HANDLE		 connected;	/* event: the raw client is in */
	/* control_call when raw is NULL */
	const char	*cmd;
	int		 timeout_ms;
	const char	*raw;
	size_t		 rawlen;
	enum raw_mode	 mode;
	/* results */
	int		 rc;
	char		*reply;
	struct dwerr	 err;
	char		 rawreply[FX_REPLY_BYTES];
	uint64_t	 ended_ms;	/* platform_mono_ms() when done */
};

struct fx {
	char			 path[FX_PATH_BYTES];
	struct loop		*loop;
	struct control		*ctl;
	struct loop_timer	*deadline;
	struct loop_timer	*waker;		/* a worker finished */
	struct loop_timer	*later;		/* deferred replies */
	bool			 timed_out;
	enum fx_mode		 mode;
	bool			 stop_after_later;
	unsigned		 stop_at_kept;	/* FX_KEEP: stop at this many */
	unsigned		 nrequests;
	char			 last_cmd[64];
	struct control_client	*kept[FX_KEPT];
	unsigned		 nkept;
	bool			 reverse_at_two; /* FX_KEEP: answer two */
	struct worker		 w[FX_WORKERS];
	unsigned		 nworkers;
	volatile LONG		 ndone;
};

static unsigned	fx_serial;	/* makes each test's pipe name new */

/* The fake service manager: what control_service_pid answers. */
static DWORD	fake_service_pid;	/* 0: not installed or not running */
static DWORD	fake_service_error;	/* nonzero: the SCM cannot be asked */

static DWORD
fake_service(DWORD *pid)
{
	*pid = fake_service_error != 0 ? 0 : fake_service_pid;
	return fake_service_error;
}

static void	fx_handler(void *, struct control_client *, const char *);

static void
fx_deadline(void *arg)
{
	struct fx	*fx = arg;

	fx->timed_out = true;
	loop_stop(fx->loop);
}

static void
fx_woken(void *arg)
{
	struct fx	*fx = arg;

	if ((unsigned)InterlockedCompareExchange(&fx->ndone, 0, 0) ==
	    fx->nworkers)
		loop_stop(fx->loop);
}

static void
fx_listen(struct fx *fx)
{
	struct dwerr	 err;

	fx->ctl = control_listen(fx->loop, fx->path, fx_handler, fx, &err);
	if (fx->ctl == NULL)
		fail_msg("control_listen: %s", err.msg);
}

/* A reply naming the command, so a client can tell it got its own. */
static void
fx_answer(struct control_client *c, const char *cmd, const char *how)
{
	char	 buf[128];

	snprintf(buf, sizeof(buf), "{\"ok\":true,\"cmd\":\"%s\",\"how\":\"%s\"}",
	    cmd, how);
	control_reply(c, buf);
}

/* {"ok":true,"pad":"xxx..."}, FX_BIG_BYTES long. */
static void
fx_answer_big(struct control_client *c)
{
	static const char	 head[] = "{\"ok\":true,\"pad\":\"";
	char			*buf = malloc(FX_BIG_BYTES + 1);

	assert_non_null(buf);
	memset(buf, 'x', FX_BIG_BYTES);
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + FX_BIG_BYTES - 2, "\"}", 2);
	buf[FX_BIG_BYTES] = '\0';
	control_reply(c, buf);
	free(buf);
}

static void
fx_reload(struct fx *fx)
{
	control_free(fx->ctl);
	fx->ctl = NULL;
	fx_listen(fx);
}

static void
fx_later(void *arg)
{
	struct fx	*fx = arg;
	unsigned	 i;

	if (fx->mode == FX_RELOAD_LATER)
		fx_reload(fx);
	for (i = 0; i < fx->nkept; i++)
		fx_answer(fx->kept[i], "kept", "later");
	fx->nkept = 0;
	if (fx->stop_after_later)
		loop_stop(fx->loop);
}

static void
fx_handler(void *arg, struct control_client *c, const char *cmd)
{
	struct fx	*fx = arg;

	fx->nrequests++;
	snprintf(fx->last_cmd, sizeof(fx->last_cmd), "%s", cmd);
	switch (fx->mode) {
	case FX_ANSWER_NOW:
		fx_answer(c, cmd, "now");
		break;
	case FX_ANSWER_BIG:
		fx_answer_big(c);
		break;
	case FX_RELOAD_NOW:
		/* What a reload request does: a new channel, then the
		 * answer on the old one's client. */
		fx_reload(fx);
		fx_answer(c, cmd, "reloaded");
		break;
	case FX_ANSWER_LATER:
	case FX_RELOAD_LATER:
	case FX_KEEP:
		if (fx->nkept == FX_KEPT) {
			control_reply(c, "{\"ok\":false}");
			break;
		}
		fx->kept[fx->nkept++] = c;
		if (fx->mode != FX_KEEP)
			loop_timer_schedule(fx->later, FX_LATER_MS);
		else if (fx->reverse_at_two && fx->nkept == 2) {
			/* Each reply goes to its own client, in any order. */
			fx_answer(fx->kept[1], fx->last_cmd, "second");
			fx_answer(fx->kept[0], "first", "first");
			fx->nkept = 0;
		} else if (fx->stop_at_kept != 0 &&
		    fx->nkept == fx->stop_at_kept)
			loop_stop(fx->loop);
		break;
	}
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	struct dwerr	 err;

	assert_non_null(fx);
	snprintf(fx->path, sizeof(fx->path), "\\\\.\\pipe\\dwtest-%lu-%u",
	    (unsigned long)GetCurrentProcessId(), ++fx_serial);
	fx->loop = loop_new(&err);
	assert_non_null(fx->loop);
	fx->deadline = loop_timer_new(fx->loop, fx_deadline, fx);
	fx->waker = loop_waker_new(fx->loop, fx_woken, fx);
	fx->later = loop_timer_new(fx->loop, fx_later, fx);
	assert_non_null(fx->deadline);
	assert_non_null(fx->waker);
	assert_non_null(fx->later);
	/* No DnsWatchdog service, unless a test says otherwise; a service
	 * test running at the same time has no say here. */
	fake_service_pid = 0;
	fake_service_error = 0;
	control_service_pid = fake_service;
	fx_listen(fx);
	*state = fx;
	return 0;
}

static void
fx_join(struct worker *w)
{
	if (w->th == NULL)
		return;
	WaitForSingleObject(w->th, INFINITE);
	CloseHandle(w->th);
	w->th = NULL;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	unsigned	 i;

	for (i = 0; i < fx->nworkers; i++) {
		fx_join(&fx->w[i]);
		if (fx->w[i].connected != NULL)
			CloseHandle(fx->w[i].connected);
		free(fx->w[i].reply);
	}
	/* Every request gets its reply, even at the end. */
	for (i = 0; i < fx->nkept; i++)
		control_reply(fx->kept[i], "{\"ok\":false}");
	control_free(fx->ctl);
	loop_timer_free(fx->deadline);
	loop_timer_free(fx->waker);
	loop_timer_free(fx->later);
	loop_free(fx->loop);
	free(fx);
	control_service_pid = control_service_pid_scm;
	return 0;
}

/*
 * Raw clients: their own overlapped pipe handle and timeouts.
 */

/* Opens the pipe as a client, waiting for a free instance; or
 * INVALID_HANDLE_VALUE. */
static HANDLE
raw_open(const char *path)
{
	uint64_t	 until = platform_mono_ms() + FX_IO_MS;
	wchar_t		*w = winutf_wide(path);
	HANDLE		 h = INVALID_HANDLE_VALUE;

	if (w == NULL)
		return h;
	while (platform_mono_ms() < until) {
		h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		    OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
		if (h != INVALID_HANDLE_VALUE ||
		    GetLastError() != ERROR_PIPE_BUSY)
			break;
		(void)WaitNamedPipeW(w, FX_IO_MS);
	}
	free(w);
	return h;
}

/* One read or write with FX_IO_MS to finish; the bytes, or -1. */
static long
raw_io(HANDLE h, bool writing, void *buf, DWORD n)
{
	OVERLAPPED	 ov;
	DWORD		 got = 0;
	BOOL		 ok;
	long		 rc = -1;

	memset(&ov, 0, sizeof(ov));
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return -1;
	ok = writing ? WriteFile(h, buf, n, NULL, &ov) :
	    ReadFile(h, buf, n, NULL, &ov);
	if (ok || GetLastError() == ERROR_IO_PENDING) {
		if (WaitForSingleObject(ov.hEvent, FX_IO_MS) != WAIT_OBJECT_0)
			CancelIoEx(h, &ov);
		if (GetOverlappedResult(h, &ov, &got, TRUE))
			rc = (long)got;
	}
	CloseHandle(ov.hEvent);
	return rc;
}

/* Sends the raw bytes and reads everything until the server closes. */
static int
raw_exchange(struct worker *w)
{
	size_t	 off = 0, len = 0;
	long	 n;
	HANDLE	 h;

	if ((h = raw_open(w->fx->path)) == INVALID_HANDLE_VALUE) {
		if (w->connected != NULL)
			SetEvent(w->connected);
		return -1;
	}
	if (w->connected != NULL)
		SetEvent(w->connected);
	while (off < w->rawlen) {
		n = raw_io(h, true, (char *)w->raw + off,
		    (DWORD)(w->rawlen - off));
		if (n <= 0)
			break;	/* the server may refuse before the end */
		off += (size_t)n;
	}
	while (len + 1 < sizeof(w->rawreply)) {
		n = raw_io(h, false, w->rawreply + len,
		    (DWORD)(sizeof(w->rawreply) - 1 - len));
		if (n <= 0)
			break;	/* the end of the pipe, after the reply */
		len += (size_t)n;
	}
	w->rawreply[len] = '\0';
	CloseHandle(h);
	return 0;
}

/* Sends a request and leaves at once, from the test's own thread. */
static void
raw_send_and_leave(const char *path, const char *buf, size_t len)
{
	HANDLE	 h;

	h = raw_open(path);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_int_equal(raw_io(h, true, (char *)buf, (DWORD)len), (long)len);
	CloseHandle(h);
}

static unsigned __stdcall
worker_main(void *arg)
{
	struct worker	*w = arg;

	if (w->raw != NULL || w->mode == RAW_SILENT)
		w->rc = raw_exchange(w);
	else
		w->rc = control_call(w->fx->path, w->cmd, w->timeout_ms,
		    &w->reply, &w->err);
	w->ended_ms = platform_mono_ms();
	InterlockedIncrement(&w->fx->ndone);
	loop_wake(w->fx->waker);
	return 0;
}

static struct worker *
fx_worker(struct fx *fx)
{
	struct worker	*w;

	assert_true(fx->nworkers < FX_WORKERS);
	w = &fx->w[fx->nworkers++];
	memset(w, 0, sizeof(*w));
	w->fx = fx;
	w->timeout_ms = FX_CALL_MS;
	return w;
}

static void
fx_start(struct worker *w)
{
	uintptr_t	 th;

	th = _beginthreadex(NULL, 0, worker_main, w, 0, NULL);
	assert_true(th != 0);
	w->th = (HANDLE)th;
}

static struct worker *
fx_call(struct fx *fx, const char *cmd)
{
	struct worker	*w = fx_worker(fx);

	w->cmd = cmd;
	fx_start(w);
	return w;
}

static struct worker *
fx_raw(struct fx *fx, const char *raw, size_t len, enum raw_mode mode)
{
	struct worker	*w = fx_worker(fx);

	w->raw = raw;
	w->rawlen = len;
	w->mode = mode;
	fx_start(w);
	return w;
}

/* A raw client that connects and says nothing; returns once it is in. */
static struct worker *
fx_silent(struct fx *fx)
{
	struct worker	*w = fx_worker(fx);

	w->mode = RAW_SILENT;
	w->connected = CreateEventW(NULL, TRUE, FALSE, NULL);
	assert_non_null(w->connected);
	fx_start(w);
	assert_int_equal(WaitForSingleObject(w->connected, FX_IO_MS),
	    WAIT_OBJECT_0);
	return w;
}

/* Runs the loop until every worker is done (the waker stops it; a worker
 * done before the run left the waker active), or until a test's timer
 * stops it, or the deadline; then joins the workers. */
static void
fx_run(struct fx *fx)
{
	uint64_t	 start = platform_mono_ms();
	unsigned	 i;

	loop_timer_schedule(fx->deadline, FX_DEADLINE_MS);
	assert_int_equal(loop_run(fx->loop), 0);
	loop_timer_cancel(fx->deadline);
	for (i = 0; i < fx->nworkers; i++)
		fx_join(&fx->w[i]);
	assert_false(fx->timed_out);
	/* Also when the awaited event came in the deadline's own turn. */
	assert_true(platform_mono_ms() - start < FX_DEADLINE_MS);
}

/* Runs the loop until a test's callback stops it, leaving the workers
 * running. */
static void
fx_run_until_stopped(struct fx *fx)
{
	loop_timer_schedule(fx->deadline, FX_DEADLINE_MS);
	assert_int_equal(loop_run(fx->loop), 0);
	loop_timer_cancel(fx->deadline);
	assert_false(fx->timed_out);
}

/* Forgets finished workers, for a second round in one test. */
static void
fx_workers_reset(struct fx *fx)
{
	unsigned	 i;

	for (i = 0; i < fx->nworkers; i++) {
		fx_join(&fx->w[i]);
		if (fx->w[i].connected != NULL)
			CloseHandle(fx->w[i].connected);
		free(fx->w[i].reply);
		memset(&fx->w[i], 0, sizeof(fx->w[i]));
	}
	fx->nworkers = 0;
	InterlockedExchange(&fx->ndone, 0);
}

/* A reply is {"ok":false,"error":"...want..."}. */
static void
assert_error_reply(const char *reply, const char *want)
{
	cJSON	*r = cJSON_Parse(reply);
	cJSON	*err;

	if (r == NULL)
		fail_msg("reply is not JSON: \"%s\"", reply);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "ok")));
	err = cJSON_GetObjectItemCaseSensitive(r, "error");
	assert_true(cJSON_IsString(err));
	if (strstr(err->valuestring, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err->valuestring,
		    want);
	cJSON_Delete(r);
}

static void
control_answers_a_request(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}");
	assert_int_equal(fx->nrequests, 1);
	assert_string_equal(fx->last_cmd, "status");
}

/* Reads the pipe's owner and DACL back through a client handle: owned by
 * Administrators; protected, and exactly SYSTEM, Administrators and the
 * service SID with full access. */
static void
control_pipe_is_private(void **state)
{
	struct fx		*fx = *state;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	ACL_SIZE_INFORMATION	 info;
	SECURITY_DESCRIPTOR_CONTROL sdc;
	ACCESS_ALLOWED_ACE	*ace;
	LPWSTR			 sddl = NULL;
	char			*text = NULL;
	PACL			 dacl = NULL;
	PSID			 owner = NULL, service;
	struct dwerr		 err;
	DWORD			 rev, i;
	HANDLE			 h;
	char			 sid[ACL_SID_CHARS];
	bool			 system = false, admins = false, svc = false;

	assert_int_equal(acl_service_sid(ACL_SERVICE_NAME, sid, sizeof(sid),
	    &err), 0);
	assert_true(ConvertStringSidToSidA(sid, &service));
	h = raw_open(fx->path);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_int_equal(GetSecurityInfo(h, SE_KERNEL_OBJECT,
	    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
	    NULL, &dacl, NULL, &sd), ERROR_SUCCESS);
	CloseHandle(h);
	if (ConvertSecurityDescriptorToStringSecurityDescriptorW(sd,
	    SDDL_REVISION_1, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &sddl, NULL))
		text = winutf_narrow(sddl);
	print_message("pipe owner and DACL: %s\n", text != NULL ? text : "?");
	assert_non_null(owner);
	if (!IsWellKnownSid(owner, WinBuiltinAdministratorsSid))
		fail_msg("the owner is not Administrators: %s", text);
	assert_non_null(dacl);
	assert_true(GetSecurityDescriptorControl(sd, &sdc, &rev));
	if ((sdc & SE_DACL_PROTECTED) == 0)
		fail_msg("the DACL is not protected: %s", text);
	assert_true(GetAclInformation(dacl, &info, sizeof(info),
	    AclSizeInformation));
	if (info.AceCount != 3)
		fail_msg("%lu entries in %s", (unsigned long)info.AceCount,
		    text);
	for (i = 0; i < info.AceCount; i++) {
		assert_true(GetAce(dacl, i, (void **)&ace));
		assert_int_equal(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
		/* Generic rights are stored mapped to the pipe's own. */
		if (ace->Mask != GENERIC_ALL &&
		    (ace->Mask & FILE_ALL_ACCESS) != FILE_ALL_ACCESS)
			fail_msg("entry %lu grants only 0x%lx: %s",
			    (unsigned long)i, (unsigned long)ace->Mask, text);
		if (IsWellKnownSid(&ace->SidStart, WinLocalSystemSid))
			system = true;
		else if (IsWellKnownSid(&ace->SidStart,
		    WinBuiltinAdministratorsSid))
			admins = true;
		else if (EqualSid(&ace->SidStart, service))
			svc = true;
		else
			fail_msg("entry %lu is for someone else: %s",
			    (unsigned long)i, text);
	}
	assert_true(system);
	assert_true(admins);
	assert_true(svc);
	LocalFree(service);
	free(text);
	LocalFree(sddl);
	LocalFree(sd);
}

static void
control_replies_later(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_ANSWER_LATER;
	w = fx_call(fx, "reconcile");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"kept\",\"how\":\"later\"}");
	assert_string_equal(fx->last_cmd, "reconcile");
}

static void
control_answers_each_client_its_own(void **state)
{
	struct fx	*fx = *state;
	struct worker	*a, *b;

	fx->mode = FX_KEEP;
	fx->reverse_at_two = true;
	a = fx_call(fx, "status");
	b = fx_call(fx, "reload");
	fx_run(fx);
	if (a->rc != 0 || b->rc != 0)
		fail_msg("control_call: %s / %s", a->err.msg, b->err.msg);
	assert_int_equal(fx->nrequests, 2);
	/* Whichever came second got "second" and its own command. */
	if (strstr(a->reply, "second") != NULL) {
		assert_string_equal(a->reply,
		    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"second\"}");
		assert_non_null(strstr(b->reply, "\"first\""));
	} else {
		assert_string_equal(b->reply,
		    "{\"ok\":true,\"cmd\":\"reload\",\"how\":\"second\"}");
		assert_non_null(strstr(a->reply, "\"first\""));
	}
}

static void
control_sends_a_reply_longer_than_the_pipe_buffer(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_ANSWER_BIG;
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_int_equal(strlen(w->reply), FX_BIG_BYTES);
	assert_string_equal(w->reply + FX_BIG_BYTES - 5, "xxx\"}");
}

static void
control_survives_a_client_that_hangs_up(void **state)
{
	struct fx	*fx = *state;
	static const char req[] = "{\"cmd\":\"status\"}\n";
	struct worker	*w;
	HANDLE		 h;

	/* One leaves without a word, one right after its request. */
	h = raw_open(fx->path);
	assert_true(h != INVALID_HANDLE_VALUE);
	CloseHandle(h);
	raw_send_and_leave(fx->path, req, sizeof(req) - 1);
	fx->mode = FX_ANSWER_LATER;
	fx->stop_after_later = true;
	fx_run(fx);
	assert_int_equal(fx->nrequests, 1);
	assert_int_equal(fx->nkept, 0);		/* replied, to nobody */
	/* The server still answers. */
	fx->stop_after_later = false;
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_int_equal(fx->nrequests, 2);
}

static void
control_takes_a_line_ended_by_a_hang_up(void **state)
{
	struct fx	*fx = *state;
	static const char req[] = "{\"cmd\":\"reload\"}";

	/* A pipe has no half-close: the end of the pipe ends the line. */
	raw_send_and_leave(fx->path, req, sizeof(req) - 1);
	fx->mode = FX_ANSWER_LATER;
	fx->stop_after_later = true;
	fx_run(fx);
	assert_int_equal(fx->nrequests, 1);
	assert_string_equal(fx->last_cmd, "reload");
}

static void
control_rejects_requests_without_a_cmd(void **state)
{
#define R(s)	s, sizeof(s) - 1
	static const struct {
		const char	*raw;
		size_t		 len;
		const char	*error;
	} cases[] = {
		{ R("not json\n"), "not valid JSON" },
		{ R("{\"cmd\":\"status\"} and more\n"), "not valid JSON" },
		{ R("{\"cmd\":\"status\"\n"), "not valid JSON" },
		{ R("{\"cmd\":\"st\0tus\"}\n"), "not valid JSON" },
		{ R("[\"status\"]\n"), "\"cmd\" string" },
		{ R("{}\n"), "\"cmd\" string" },
		{ R("{\"cmd\":7}\n"), "\"cmd\" string" },
		{ R("{\"cmd\":\"\"}\n"), "\"cmd\" string" },
		{ R("{\"command\":\"status\"}\n"), "\"cmd\" string" },
	};
#undef R
	struct fx	*fx = *state;
	struct worker	*w;
	size_t		 i;

	fx->mode = FX_ANSWER_NOW;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = fx_raw(fx, cases[i].raw, cases[i].len, RAW_EXCHANGE);
		fx_run(fx);
		assert_int_equal(w->rc, 0);
		assert_error_reply(w->rawreply, cases[i].error);
		assert_int_equal(w->rawreply[strlen(w->rawreply) - 1], '\n');
		fx_workers_reset(fx);
	}
	assert_int_equal(fx->nrequests, 0);
}

static void
control_refuses_a_request_over_the_limit(void **state)
{
	struct fx	*fx = *state;
	const size_t	 max = CONTROL_REQUEST_MAX_BYTES;
	const char	 head[] = "{\"cmd\":\"status\"";
	struct worker	*w;
	char		*buf;

	buf = malloc(max + 2);
	assert_non_null(buf);
	fx->mode = FX_ANSWER_NOW;
	/* One byte over, without a newline in sight. */
	memset(buf, ' ', max + 1);
	w = fx_raw(fx, buf, max + 1, RAW_EXCHANGE);
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_error_reply(w->rawreply, "request too long");
	assert_int_equal(fx->nrequests, 0);
	fx_workers_reset(fx);
	/* Exactly at the limit, then the newline: taken. */
	memset(buf, ' ', max);
	memcpy(buf, head, sizeof(head) - 1);
	buf[max - 1] = '}';
	buf[max] = '\n';
	w = fx_raw(fx, buf, max + 1, RAW_EXCHANGE);
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_string_equal(w->rawreply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}\n");
	assert_int_equal(fx->nrequests, 1);
	free(buf);
}

static void
control_drops_a_client_that_says_nothing(void **state)
{
	struct fx	*fx = *state;
	struct worker	*silent, *w;
	uint64_t	 start = platform_mono_ms();

	/* The silent one holds the reader until its time is up; the one
	 * behind it is answered after that. */
	fx->mode = FX_ANSWER_NOW;
	silent = fx_silent(fx);
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(silent->rc, 0);
	assert_string_equal(silent->rawreply, "");
	assert_true(silent->ended_ms - start >= FX_SILENT_MIN_MS);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_int_equal(fx->nrequests, 1);
}

static void
control_idle_timeout_can_be_shortened(void **state)
{
	struct fx	*fx = *state;
	struct worker	*silent, *w;
	uint64_t	 start = platform_mono_ms();

	/* 100 ms instead of the default 2 s: the one behind the silent
	 * client waits that much less. */
	control_set_idle_ms(fx->ctl, 100);
	fx->mode = FX_ANSWER_NOW;
	silent = fx_silent(fx);
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(silent->rc, 0);
	assert_string_equal(silent->rawreply, "");
	assert_true(silent->ended_ms - start >= 100);
	assert_true(silent->ended_ms - start < FX_SILENT_MIN_MS);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_int_equal(fx->nrequests, 1);
}

static void
control_refuses_a_second_listener(void **state)
{
	struct fx	*fx = *state;
	struct control	*second;
	struct dwerr	 err;
	struct worker	*w;
	char		 want[FX_PATH_BYTES + 64];

	snprintf(want, sizeof(want), "another dnswatchdog is already "
	    "listening on %s", fx->path);
	second = control_listen(fx->loop, fx->path, fx_handler, fx, &err);
	assert_null(second);
	assert_int_equal(err.code, EADDRINUSE);
	assert_string_equal(err.msg, want);
	/* The first one still answers. */
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_int_equal(fx->nrequests, 1);
}

/* Another program holds the name (played by pipes of our own, made
 * without control.c), with an instance waiting for a client or with all
 * of them busy: refused, and nothing connects to it. */
static void
control_refuses_a_pipe_someone_else_holds(void **state)
{
	struct fx	*fx = *state;
	char		 path[FX_PATH_BYTES], want[FX_PATH_BYTES + 64];
	struct dwerr	 err;
	OVERLAPPED	 ov;
	wchar_t		*w;
	HANDLE		 h, client;
	DWORD		 n;

	snprintf(path, sizeof(path), "%s-other", fx->path);
	snprintf(want, sizeof(want), "another dnswatchdog is already "
	    "listening on %s", path);
	w = winutf_wide(path);
	assert_non_null(w);
	h = CreateNamedPipeW(w, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
	    PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	memset(&ov, 0, sizeof(ov));
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	assert_non_null(ov.hEvent);
	assert_false(ConnectNamedPipe(h, &ov));
	assert_int_equal(GetLastError(), ERROR_IO_PENDING);
	assert_null(control_listen(fx->loop, path, fx_handler, fx, &err));
	assert_int_equal(err.code, EADDRINUSE);
	assert_string_equal(err.msg, want);
	/* Nobody connected to the other pipe to find out. */
	assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
	CancelIoEx(h, &ov);
	(void)GetOverlappedResult(h, &ov, &n, TRUE);
	CloseHandle(ov.hEvent);
	/* Its only instance busy with a client. */
	client = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL,
	    OPEN_EXISTING, 0, NULL);
	assert_true(client != INVALID_HANDLE_VALUE);
	assert_true(PeekNamedPipe(client, NULL, 0, NULL, &n, NULL));
	assert_null(control_listen(fx->loop, path, fx_handler, fx, &err));
	assert_int_equal(err.code, EADDRINUSE);
	assert_string_equal(err.msg, want);
	CloseHandle(client);
	CloseHandle(h);
	free(w);
}

static void
control_refuses_a_name_that_is_not_a_local_pipe(void **state)
{
	struct fx	*fx = *state;
	char		 path[300];
	struct dwerr	 err;
	char		*reply = (char *)1;

	assert_null(control_listen(fx->loop, "C:\\dnswatchdog.sock",
	    fx_handler, fx, &err));
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "\\\\.\\pipe\\"));
	assert_null(control_listen(fx->loop, "\\\\.\\pipe\\", fx_handler, fx,
	    &err));
	assert_int_equal(err.code, EINVAL);
	assert_null(control_listen(fx->loop, "", fx_handler, fx, &err));
	assert_int_equal(err.code, EINVAL);
	snprintf(path, sizeof(path), "\\\\.\\pipe\\");
	memset(path + strlen(path), 'a', sizeof(path) - 1 - strlen(path));
	path[sizeof(path) - 1] = '\0';
	assert_null(control_listen(fx->loop, path, fx_handler, fx, &err));
	assert_int_equal(err.code, ENAMETOOLONG);
	assert_int_equal(control_call(path, "status", 100, &reply, &err), -1);
	assert_int_equal(err.code, ENAMETOOLONG);
	assert_null(reply);
}

static void
control_call_says_no_daemon_runs(void **state)
{
	struct fx	*fx = *state;
	char		 path[FX_PATH_BYTES + 16], want[FX_PATH_BYTES + 64];
	struct dwerr	 err;
	char		*reply = (char *)1;

	snprintf(path, sizeof(path), "%s-missing", fx->path);
	snprintf(want, sizeof(want), "no dnswatchdog is running on %s", path);
	assert_int_equal(control_call(path, "status", 100, &reply, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, want);
	assert_null(reply);
	/* The same once a channel has come and gone. */
	control_free(fx->ctl);
	fx->ctl = NULL;
	snprintf(want, sizeof(want), "no dnswatchdog is running on %s",
	    fx->path);
	assert_int_equal(control_call(fx->path, "status", 100, &reply, &err),
	    -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, want);
}

static void
control_call_gives_up_after_its_timeout(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_KEEP;
	w = fx_worker(fx);
	w->cmd = "status";
	w->timeout_ms = 50;
	fx_start(w);
	fx_run(fx);
	assert_int_equal(w->rc, -1);
	assert_int_equal(w->err.code, ETIMEDOUT);
	assert_non_null(strstr(w->err.msg, fx->path));
	assert_null(w->reply);
	/* The late reply finds the client gone; nothing breaks. */
	assert_int_equal(fx->nkept, 1);
	control_reply(fx->kept[0], "{\"ok\":true}");
	fx->nkept = 0;
	fx_workers_reset(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
}

static void
control_reload_in_the_handler_still_replies(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_RELOAD_NOW;
	w = fx_call(fx, "reload");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"reload\",\"how\":\"reloaded\"}");
	/* The new channel answers. */
	fx_workers_reset(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_int_equal(fx->nrequests, 2);
}

static void
control_waiting_client_outlives_its_channel(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fx->mode = FX_RELOAD_LATER;
	w = fx_call(fx, "reconcile");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"kept\",\"how\":\"later\"}");
	/* The new channel, made while the old one's client held the
	 * name, answers. */
	fx_workers_reset(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
}

static void
control_free_does_not_hang_on_waiting_clients(void **state)
{
	struct fx	*fx = *state;
	struct worker	*kept, *silent;
	uint64_t	 start;

	/* One is owed a reply, one is connected and silent. */
	fx->mode = FX_KEEP;
	fx->stop_at_kept = 1;
	kept = fx_call(fx, "reconcile");
	fx_run_until_stopped(fx);
	assert_int_equal(fx->nkept, 1);
	silent = fx_silent(fx);
	start = platform_mono_ms();
	control_free(fx->ctl);
	fx->ctl = NULL;
	assert_true(platform_mono_ms() - start < FX_QUICK_MS);
	/* The silent one sees the end of the pipe at once. */
	fx_join(silent);
	assert_int_equal(silent->rc, 0);
	assert_string_equal(silent->rawreply, "");
	assert_true(silent->ended_ms - start < FX_QUICK_MS);
	/* The one owed a reply still gets it, with no channel left. */
	fx_answer(fx->kept[0], "reconcile", "orphan");
	fx->nkept = 0;
	fx_join(kept);
	if (kept->rc != 0)
		fail_msg("control_call: %s", kept->err.msg);
	assert_string_equal(kept->reply,
	    "{\"ok\":true,\"cmd\":\"reconcile\",\"how\":\"orphan\"}");
	/* And the name is free again. */
	fx_workers_reset(fx);
	fx_listen(fx);
}

/*
 * The client's check of the server.
 */

/* A control_call in a thread of its own, against any pipe. */
struct caller {
	const char	*path;
	HANDLE		 th;
	int		 rc;
	char		*reply;
	struct dwerr	 err;
};

static unsigned __stdcall
caller_main(void *arg)
{
	struct caller	*c = arg;

	c->rc = control_call(c->path, "status", FX_CALL_MS, &c->reply, &c->err);
	return 0;
}

static void
caller_start(struct caller *c, const char *path)
{
	uintptr_t	 th;

	memset(c, 0, sizeof(*c));
	c->path = path;
	th = _beginthreadex(NULL, 0, caller_main, c, 0, NULL);
	assert_true(th != 0);
	c->th = (HANDLE)th;
}

static void
caller_join(struct caller *c)
{
	assert_int_equal(WaitForSingleObject(c->th, FX_DEADLINE_MS),
	    WAIT_OBJECT_0);
	CloseHandle(c->th);
	c->th = NULL;
}

/*
 * A squatter: a pipe of the test's own on path with the owner and DACL of
 * sddl, which takes one client and counts the bytes it sends until it
 * hangs up. Returns that count, or -1 when no client came; *why gets the
 * client's error.
 */
static long
squat(const char *path, const char *sddl, struct caller *c)
{
	SECURITY_ATTRIBUTES	 sa;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	OVERLAPPED		 ov;
	wchar_t			*w;
	char			 buf[256];
	HANDLE			 h;
	DWORD			 n;
	long			 total = 0, got;

	assert_non_null(w = winutf_wide(path));
	assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl,
	    SDDL_REVISION_1, &sd, NULL));
	sa.nLength = sizeof(sa);
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	h = CreateNamedPipeW(w, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
	    FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_TYPE_BYTE, 1, 4096, 4096, 0,
	    &sa);
	free(w);
	LocalFree(sd);
	if (h == INVALID_HANDLE_VALUE)
		fail_msg("cannot create %s: error %lu", path,
		    (unsigned long)GetLastError());
	memset(&ov, 0, sizeof(ov));
	assert_non_null(ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL));
	if (!ConnectNamedPipe(h, &ov))
		assert_true(GetLastError() == ERROR_IO_PENDING ||
		    GetLastError() == ERROR_PIPE_CONNECTED);
	caller_start(c, path);
	if (WaitForSingleObject(ov.hEvent, FX_IO_MS) != WAIT_OBJECT_0) {
		CancelIoEx(h, &ov);
		total = -1;
	}
	(void)GetOverlappedResult(h, &ov, &n, TRUE);
	CloseHandle(ov.hEvent);
	/* Once the client is done, what it sent is still in the pipe. */
	caller_join(c);
	while (total >= 0 && (got = raw_io(h, false, buf, sizeof(buf))) > 0)
		total += got;
	CloseHandle(h);
	return total;
}

static void
control_default_pipe_is_under_the_protected_prefix(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	assert_string_equal(platform_default_control(), DEFAULT_PIPE);
	assert_true(strlen(DEFAULT_PIPE) <= PIPE_NAME_MAX);
	/* A daemon listens there, and a client takes its answer: the pipe
	 * is owned by Administrators (no service runs). */
	control_free(fx->ctl);
	snprintf(fx->path, sizeof(fx->path), "%s", DEFAULT_PIPE);
	fx_listen(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_int_equal(fx->nrequests, 1);
}

static void
control_call_trusts_the_service_process(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	/* The daemon in this process is the service's, on the default
	 * pipe and on another. */
	fake_service_pid = GetCurrentProcessId();
	control_free(fx->ctl);
	snprintf(fx->path, sizeof(fx->path), "%s", DEFAULT_PIPE);
	fx_listen(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}");
}

static void
control_call_refuses_a_server_that_is_not_the_service(void **state)
{
	struct fx	*fx = *state;
	struct caller	 c;
	char		 want[FX_REPLY_BYTES];
	struct worker	*w;

	(void)fx;
	/* The service runs elsewhere; a squatter holds the default pipe, with
	 * even the daemon's owner and DACL. */
	fake_service_pid = GetCurrentProcessId() + 4;
	assert_int_equal(squat(DEFAULT_PIPE, SQUAT_SDDL_ADMINS, &c), 0);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, EPERM);
	assert_null(c.reply);
	snprintf(want, sizeof(want), "refusing %s: it is served by process %lu, "
	    "not by the DnsWatchdog service (process %lu); nothing was sent",
	    DEFAULT_PIPE, (unsigned long)GetCurrentProcessId(),
	    (unsigned long)fake_service_pid);
	assert_string_equal(c.err.msg, want);
	print_message("%s\n", c.err.msg);
	/* The same for a real daemon that is not the service: it never
	 * hears a request. */
	control_free(fx->ctl);
	snprintf(fx->path, sizeof(fx->path), "%s", DEFAULT_PIPE);
	fx_listen(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, -1);
	assert_string_equal(w->err.msg, want);
	assert_int_equal(fx->nrequests, 0);
}

static void
control_call_refuses_a_pipe_a_standard_user_may_own(void **state)
{
	struct fx	*fx = *state;
	struct caller	 c;
	char		 path[FX_PATH_BYTES + 16], sddl[256], self[128];
	union {
		TOKEN_USER	 tu;
		BYTE		 buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} u;
	HANDLE		 tok;
	DWORD		 n;
	char		*s;

	/* Owned by the account this test runs as: what any user's pipe is. */
	assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
	assert_true(GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n));
	CloseHandle(tok);
	assert_true(ConvertSidToStringSidA(u.tu.User.Sid, &s));
	snprintf(self, sizeof(self), "%s", s);
	LocalFree(s);
	snprintf(sddl, sizeof(sddl), "O:%sD:P(A;;GA;;;WD)", self);
	snprintf(path, sizeof(path), "%s-squat", fx->path);
	assert_int_equal(squat(path, sddl, &c), 0);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, EPERM);
	print_message("%s\n", c.err.msg);
	assert_non_null(strstr(c.err.msg, path));
	assert_non_null(strstr(c.err.msg, self));
	assert_non_null(strstr(c.err.msg, "not by SYSTEM or Administrators"));
	assert_non_null(strstr(c.err.msg, "nothing was sent"));
	/* The same pipe owned by Administrators is a daemon run by hand by
	 * an administrator: what it is sent arrives. */
	assert_true(squat(path, SQUAT_SDDL_ADMINS, &c) > 0);
	/* ...and by SYSTEM. */
	assert_true(squat(path, "O:SYD:P(A;;GA;;;SY)(A;;GA;;;BA)", &c) > 0);
}

static void
control_call_refuses_when_it_cannot_ask_the_service_manager(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	fake_service_error = ERROR_ACCESS_DENIED;
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, -1);
	assert_int_equal(w->err.code, EPERM);
	assert_non_null(strstr(w->err.msg, "cannot ask the service manager"));
	assert_non_null(strstr(w->err.msg, fx->path));
	assert_int_equal(fx->nrequests, 0);
}

static void
control_free_and_reply_take_null(void **state)
{
	(void)state;
	control_free(NULL);
	control_reply(NULL, "{}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(control_answers_a_request),
		T(control_pipe_is_private),
		T(control_replies_later),
		T(control_answers_each_client_its_own),
		T(control_sends_a_reply_longer_than_the_pipe_buffer),
		T(control_survives_a_client_that_hangs_up),
		T(control_takes_a_line_ended_by_a_hang_up),
		T(control_rejects_requests_without_a_cmd),
		T(control_refuses_a_request_over_the_limit),
		T(control_drops_a_client_that_says_nothing),
		T(control_idle_timeout_can_be_shortened),
		T(control_refuses_a_second_listener),
		T(control_refuses_a_pipe_someone_else_holds),
		T(control_refuses_a_name_that_is_not_a_local_pipe),
		T(control_call_says_no_daemon_runs),
		T(control_call_gives_up_after_its_timeout),
		T(control_reload_in_the_handler_still_replies),
		T(control_waiting_client_outlives_its_channel),
		T(control_free_does_not_hang_on_waiting_clients),
		T(control_default_pipe_is_under_the_protected_prefix),
		T(control_call_trusts_the_service_process),
		T(control_call_refuses_a_server_that_is_not_the_service),
		T(control_call_refuses_a_pipe_a_standard_user_may_own),
		T(control_call_refuses_when_it_cannot_ask_the_service_manager),
		T(control_free_and_reply_take_null),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
