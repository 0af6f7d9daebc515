/* Tests for runtime/control_unix.c: a server in the test's loop, clients
 * in other threads (control_call, or raw bytes on a socket). A client
 * thread wakes the loop when it is done; a deadline timer turns a hang
 * into a failure. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "control.h"
#include "control_client.h"
#include "loop.h"
#include "platform.h"
#include "testutil.h"

#define FX_DEADLINE_MS	5000u	/* a run that lasts longer has failed */
#define FX_CALL_MS	3000	/* control_call's timeout */
#define FX_IO_S		3	/* raw clients' socket timeouts */
#define FX_LATER_MS	20u	/* a deferred reply comes this much later */
#define FX_WORKERS	2u
#define FX_KEPT		4u
#define FX_REPLY_BYTES	1024u
#define FX_CROWD	2000	/* idle connections a crowd opens */
#define FX_LONG_IDLE_MS	60000u	/* an idle timeout no test waits out */
#define FX_LINE_FULL	"{\"ok\":false,\"error\":\"too many clients (64); " \
			"try again\"}\n"
#define FX_LINE_BUSY	"{\"ok\":false,\"error\":\"too few file " \
			"descriptors left; try again\"}\n"
#define FX_LINE_IDLE	"{\"ok\":false,\"error\":\"no request within "

enum fx_mode {
	FX_ANSWER_NOW,		/* reply from the handler */
	FX_ANSWER_LATER,	/* reply from a timer */
	FX_KEEP,		/* keep the client; the test replies */
	FX_RELOAD_NOW,		/* free and remake the channel, then reply */
	FX_RELOAD_LATER		/* the same, from a timer */
};

struct fx;

/* A client in its own thread. It never asserts: the test does. */
struct worker {
	struct fx	*fx;
	pthread_t	 th;
	bool		 started;
	/* control_call when raw is NULL */
	const char	*cmd;
	int		 timeout_ms;
	const char	*raw;
	size_t		 rawlen;
	bool		 half_close;	/* shut our side after sending */
	/* results */
	int		 rc;
	char		*reply;
	struct dwerr	 err;
	char		 rawreply[FX_REPLY_BYTES];
};

struct fx {
	char			 dir[64];
	char			 path[128];
	struct loop		*loop;
	struct control		*ctl;
	struct loop_timer	*deadline;
	struct loop_timer	*waker;		/* a worker finished */
	struct loop_timer	*later;		/* deferred replies */
	bool			 timed_out;
	enum fx_mode		 mode;
	bool			 stop_after_later;
	uint64_t		 later_ms;	/* FX_LATER_MS unless set */
	unsigned		 nrequests;
	char			 last_cmd[64];
	struct control_client	*kept[FX_KEPT];
	unsigned		 nkept;
	bool			 reverse_at_two; /* FX_KEEP: answer two */
	struct worker		 w[FX_WORKERS];
	unsigned		 nworkers;
	atomic_uint		 ndone;
};

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

	if (atomic_load(&fx->ndone) == fx->nworkers)
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
			loop_timer_schedule(fx->later, fx->later_ms);
		else if (fx->reverse_at_two && fx->nkept == 2) {
			/* Each reply goes to its own client, in any order. */
			fx_answer(fx->kept[1], fx->last_cmd, "second");
			fx_answer(fx->kept[0], "first", "first");
			fx->nkept = 0;
		}
		break;
	}
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	struct dwerr	 err;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dwctl.XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/ctl.sock", fx->dir);
	fx->loop = loop_new(&err);
	assert_non_null(fx->loop);
	fx->deadline = loop_timer_new(fx->loop, fx_deadline, fx);
	fx->waker = loop_waker_new(fx->loop, fx_woken, fx);
	fx->later = loop_timer_new(fx->loop, fx_later, fx);
	assert_non_null(fx->deadline);
	assert_non_null(fx->waker);
	assert_non_null(fx->later);
	atomic_init(&fx->ndone, 0);
	fx->later_ms = FX_LATER_MS;
	fx_listen(fx);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	unsigned	 i;

	for (i = 0; i < fx->nworkers; i++) {
		if (fx->w[i].started)
			pthread_join(fx->w[i].th, NULL);
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
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Connects a blocking socket with timeouts; -1 on failure. */
static int
raw_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { FX_IO_S, 0 };
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends raw bytes and reads everything until the server closes. */
static int
raw_exchange(struct worker *w)
{
	size_t	 off = 0, len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = raw_connect(w->fx->path)) == -1)
		return -1;
	while (off < w->rawlen) {
		n = send(fd, w->raw + off, w->rawlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the server may refuse before the end */
		off += (size_t)n;
	}
	if (w->half_close)
		shutdown(fd, SHUT_WR);
	while (len + 1 < sizeof(w->rawreply)) {
		n = recv(fd, w->rawreply + len, sizeof(w->rawreply) - 1 - len,
		    0);
		if (n <= 0)
			break;	/* EOF, or a reset after the reply */
		len += (size_t)n;
	}
	w->rawreply[len] = '\0';
	close(fd);
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	if (w->raw != NULL)
		w->rc = raw_exchange(w);
	else
		w->rc = control_call(w->fx->path, w->cmd, w->timeout_ms,
		    &w->reply, &w->err);
	atomic_fetch_add(&w->fx->ndone, 1);
	loop_wake(w->fx->waker);
	return NULL;
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
	assert_int_equal(pthread_create(&w->th, NULL, worker_main, w), 0);
	w->started = true;
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
fx_raw(struct fx *fx, const char *raw, size_t len, bool half_close)
{
	struct worker	*w = fx_worker(fx);

	w->raw = raw;
	w->rawlen = len;
	w->half_close = half_close;
	fx_start(w);
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
	for (i = 0; i < fx->nworkers; i++) {
		if (fx->w[i].started) {
			pthread_join(fx->w[i].th, NULL);
			fx->w[i].started = false;
		}
	}
	assert_false(fx->timed_out);
	/* Also when the awaited event came in the deadline's own turn. */
	assert_true(platform_mono_ms() - start < FX_DEADLINE_MS);
}

/* Forgets finished workers, for a second round in one test. */
static void
fx_workers_reset(struct fx *fx)
{
	unsigned	 i;

	for (i = 0; i < fx->nworkers; i++) {
		free(fx->w[i].reply);
		fx->w[i].reply = NULL;
	}
	fx->nworkers = 0;
	atomic_store(&fx->ndone, 0);
}

/*
 * A crowd: a child process that opens many connections and leaves them
 * idle, so that the server's descriptors are the only ones that count
 * against the test process's limit. It connects in order (the server
 * accepts in that order), waits for the last connection's answer (by
 * then every earlier one was taken or refused), sorts them, and reports
 * through a pipe. Told to go on, it waits for the held ones to be closed
 * and reports again. It never asserts; the test does.
 */
struct crowd_report {
	int		 connected;	/* connects that succeeded */
	int		 held;		/* open, nothing from the server */
	int		 full;		/* FX_LINE_FULL, then the end */
	int		 busy;		/* FX_LINE_BUSY, then the end */
	int		 idle;		/* FX_LINE_IDLE..., then the end */
	int		 other;		/* anything else */
	char		 sample[256];	/* the first other answer */
};

struct crowd {
	struct fx		*fx;
	pid_t			 pid;
	int			 report;	/* reads the child's reports */
	int			 go;		/* tells it to go on (EOF: quit) */
	struct loop_io		*io;
	struct crowd_report	 r;
	bool			 got;
};

/* Reads what the server says on fd until it closes; the kind of answer. */
static void
crowd_sort(int fd, struct crowd_report *r)
{
	char	 buf[256];
	size_t	 len = 0;
	ssize_t	 n;

	while (len + 1 < sizeof(buf) &&
	    (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	if (strcmp(buf, FX_LINE_FULL) == 0)
		r->full++;
	else if (strcmp(buf, FX_LINE_BUSY) == 0)
		r->busy++;
	else if (strncmp(buf, FX_LINE_IDLE, strlen(FX_LINE_IDLE)) == 0)
		r->idle++;
	else {
		if (r->other++ == 0)
			snprintf(r->sample, sizeof(r->sample), "%s", buf);
	}
}

/* True when the server said something on fd, or closed it. */
static bool
crowd_answered(int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void
crowd_main(const char *path, int n, int report, int go)
{
	struct crowd_report	 r;
	struct rlimit		 rl;
	char			 c;
	int			*fds, i;

	memset(&r, 0, sizeof(r));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((fds = calloc((size_t)n, sizeof(int))) == NULL)
		_exit(1);
	for (i = 0; i < n; i++)
		if ((fds[i] = raw_connect(path)) == -1)
			break;
	r.connected = i;
	for (; i < n; i++)
		fds[i] = -1;
	/* The last one's answer first (it waits, up to FX_IO_S). Those
	 * answered are closed; the held ones stay open. */
	for (i = r.connected - 1; i >= 0; i--) {
		if (i == r.connected - 1 || crowd_answered(fds[i])) {
			crowd_sort(fds[i], &r);
			close(fds[i]);
			fds[i] = -1;
		} else
			r.held++;
	}
	if (write(report, &r, sizeof(r)) != (ssize_t)sizeof(r) ||
	    read(go, &c, 1) != 1)
		_exit(0);
	/* The held ones, now closed by the idle timeout (or not). */
	memset(&r, 0, sizeof(r));
	r.connected = -1;
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			crowd_sort(fds[i], &r);
	if (write(report, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	(void)read(go, &c, 1);
	_exit(0);
}

static void
crowd_readable(void *arg)
{
	struct crowd	*cr = arg;

	if (read(cr->report, &cr->r, sizeof(cr->r)) == (ssize_t)sizeof(cr->r))
		cr->got = true;
	loop_stop(cr->fx->loop);
}

/* Starts a crowd of n connections against fx's socket. */
static void
crowd_start(struct fx *fx, struct crowd *cr, int n)
{
	int	 rp[2], gp[2];

	memset(cr, 0, sizeof(*cr));
	cr->fx = fx;
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(pipe(gp), 0);
	cr->pid = fork();
	assert_true(cr->pid >= 0);
	if (cr->pid == 0) {
		close(rp[0]);
		close(gp[1]);
		crowd_main(fx->path, n, rp[1], gp[0]);
	}
	close(rp[1]);
	close(gp[0]);
	cr->report = rp[0];
	cr->go = gp[1];
	cr->io = loop_io_new(fx->loop, cr->report, crowd_readable, cr);
	assert_non_null(cr->io);
}

/* Runs the loop until the crowd's next report. */
static void
crowd_wait(struct crowd *cr)
{
	cr->got = false;
	fx_run(cr->fx);
	assert_true(cr->got);
	if (cr->r.other != 0)
		fail_msg("%d connections got something unexpected, first: "
		    "\"%s\"", cr->r.other, cr->r.sample);
}

/* Tells the crowd to look at its held connections again. */
static void
crowd_go(struct crowd *cr)
{
	assert_int_equal(write(cr->go, "g", 1), 1);
}

static void
crowd_end(struct crowd *cr)
{
	int	 st;

	loop_io_free(cr->io);
	close(cr->go);
	close(cr->report);
	assert_int_equal(waitpid(cr->pid, &st, 0), cr->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
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

/* Makes a socket file nobody listens on. */
static void
make_stale_socket(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
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

static void
control_socket_is_private(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	mode_t		 old;

	control_free(fx->ctl);
	fx->ctl = NULL;
	old = umask(0);		/* the most permissive caller */
	fx_listen(fx);
	assert_int_equal(umask(old), 0);	/* and left as it was */
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
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
	assert_int_equal(a->rc, 0);
	assert_int_equal(b->rc, 0);
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
control_survives_a_client_that_hangs_up(void **state)
{
	struct fx	*fx = *state;
	const char	 req[] = "{\"cmd\":\"status\"}\n";
	struct worker	*w;
	int		 fd;

	/* A SIGPIPE would end the test. */
	signal(SIGPIPE, SIG_DFL);
	/* One leaves without a word, one right after its request. */
	fd = raw_connect(fx->path);
	assert_true(fd >= 0);
	close(fd);
	fd = raw_connect(fx->path);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL),
	    (ssize_t)(sizeof(req) - 1));
	close(fd);
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
	assert_int_equal(w->rc, 0);
	assert_int_equal(fx->nrequests, 2);
}

static void
control_rejects_requests_without_a_cmd(void **state)
{
	static const struct {
		const char	*raw;
		const char	*error;
	} cases[] = {
		{ "not json\n", "not valid JSON" },
		{ "{\"cmd\":\"status\"} and more\n", "not valid JSON" },
		{ "{\"cmd\":\"status\"\n", "not valid JSON" },
		{ "[\"status\"]\n", "\"cmd\" string" },
		{ "{}\n", "\"cmd\" string" },
		{ "{\"cmd\":7}\n", "\"cmd\" string" },
		{ "{\"cmd\":\"\"}\n", "\"cmd\" string" },
		{ "{\"command\":\"status\"}\n", "\"cmd\" string" },
	};
	struct fx	*fx = *state;
	struct worker	*w;
	size_t		 i;

	fx->mode = FX_ANSWER_NOW;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = fx_raw(fx, cases[i].raw, strlen(cases[i].raw), false);
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
	w = fx_raw(fx, buf, max + 1, false);
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
	w = fx_raw(fx, buf, max + 1, false);
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_string_equal(w->rawreply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}\n");
	assert_int_equal(fx->nrequests, 1);
	free(buf);
}

static void
control_answers_a_client_that_shut_its_side(void **state)
{
	static const char	 with_nl[] = "{\"cmd\":\"status\"}\n";
	static const char	 without[] = "{\"cmd\":\"reload\"}";
	struct fx		*fx = *state;
	struct worker		*w;

	fx->mode = FX_ANSWER_NOW;
	w = fx_raw(fx, with_nl, sizeof(with_nl) - 1, true);
	fx_run(fx);
	assert_string_equal(w->rawreply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}\n");
	fx_workers_reset(fx);
	/* The end of the stream ends the line too. */
	w = fx_raw(fx, without, sizeof(without) - 1, true);
	fx_run(fx);
	assert_string_equal(w->rawreply,
	    "{\"ok\":true,\"cmd\":\"reload\",\"how\":\"now\"}\n");
	assert_int_equal(fx->nrequests, 2);
}

static void
control_replaces_a_stale_socket(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	struct worker	*w;

	control_free(fx->ctl);
	fx->ctl = NULL;
	make_stale_socket(fx->path);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	fx_listen(fx);
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_int_equal(fx->nrequests, 1);
}

static void
control_refuses_when_a_daemon_answers(void **state)
{
	struct fx	*fx = *state;
	struct control	*second;
	struct dwerr	 err;
	struct worker	*w;

	second = control_listen(fx->loop, fx->path, fx_handler, fx, &err);
	assert_null(second);
	assert_int_equal(err.code, EADDRINUSE);
	assert_non_null(strstr(err.msg, "already running"));
	assert_non_null(strstr(err.msg, fx->path));
	/* The first one still has its socket and answers. */
	fx->mode = FX_ANSWER_NOW;
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_int_equal(fx->nrequests, 1);
}

static void
control_refuses_to_replace_a_file(void **state)
{
	struct fx	*fx = *state;
	char		 path[160];
	struct dwerr	 err;
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/file", fx->dir);
	tu_put(path, "keep\n", 5);
	assert_null(control_listen(fx->loop, path, fx_handler, fx, &err));
	assert_int_equal(err.code, EEXIST);
	assert_non_null(strstr(err.msg, "not a socket"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void
control_refuses_a_path_too_long(void **state)
{
	struct fx	*fx = *state;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	struct dwerr	 err;
	char		*reply = (char *)1;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
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
	char		 path[160], want[200];
	struct dwerr	 err;
	char		*reply = (char *)1;

	snprintf(path, sizeof(path), "%s/missing.sock", fx->dir);
	snprintf(want, sizeof(want), "no dnswatchdog is running on %s", path);
	assert_int_equal(control_call(path, "status", 100, &reply, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, want);
	assert_null(reply);
	/* A socket nobody listens on says the same. */
	make_stale_socket(path);
	assert_int_equal(control_call(path, "status", 100, &reply, &err), -1);
	assert_int_equal(err.code, ECONNREFUSED);
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
}

static void
control_reload_in_the_handler_still_replies(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;
	struct stat	 st;

	fx->mode = FX_RELOAD_NOW;
	w = fx_call(fx, "reload");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"reload\",\"how\":\"reloaded\"}");
	assert_int_equal(lstat(fx->path, &st), 0);
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
}

static void
control_refuses_clients_over_the_cap(void **state)
{
	struct fx	*fx = *state;
	struct crowd	 cr;
	struct worker	*w;
	uint64_t	 t0;

	control_set_idle_ms(fx->ctl, FX_LONG_IDLE_MS);
	fx->mode = FX_ANSWER_NOW;
	t0 = platform_mono_ms();
	crowd_start(fx, &cr, FX_CROWD);
	crowd_wait(&cr);
	print_message("%d idle connections: %d held, %d refused in %llu ms\n",
	    cr.r.connected, cr.r.held, cr.r.full,
	    (unsigned long long)(platform_mono_ms() - t0));
	assert_int_equal(cr.r.connected, FX_CROWD);
	assert_int_equal(cr.r.held, CONTROL_MAX_CLIENTS);
	assert_int_equal(cr.r.full, FX_CROWD - CONTROL_MAX_CLIENTS);
	assert_int_equal(cr.r.busy + cr.r.idle, 0);
	/* A request now gets the refusal too, as one line. */
	w = fx_call(fx, "status");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_error_reply(w->reply, "too many clients (64); try again");
	fx_workers_reset(fx);
	/* A shorter timeout counts from each client's connection: the held
	 * ones are past it and go at once, each told why. */
	control_set_idle_ms(fx->ctl, 10);
	crowd_go(&cr);
	crowd_wait(&cr);
	assert_int_equal(cr.r.idle, CONTROL_MAX_CLIENTS);
	assert_int_equal(cr.r.full + cr.r.busy, 0);
	/* Room again: a request is served. */
	w = fx_call(fx, "status");
	fx_run(fx);
	assert_int_equal(w->rc, 0);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"status\",\"how\":\"now\"}");
	assert_int_equal(fx->nrequests, 1);
	crowd_end(&cr);
}

static void
control_closes_a_client_that_sends_no_request(void **state)
{
	static const char	 part[] = "{\"cmd\":\"sta";
	struct fx		*fx = *state;
	struct worker		*silent, *slow;
	uint64_t		 t0, ms;

	control_set_idle_ms(fx->ctl, 50);
	fx->mode = FX_ANSWER_NOW;
	t0 = platform_mono_ms();
	silent = fx_raw(fx, "", 0, false);
	slow = fx_raw(fx, part, sizeof(part) - 1, false);
	fx_run(fx);		/* until both saw the server close */
	ms = platform_mono_ms() - t0;
	print_message("idle clients closed after %llu ms (timeout 50 ms)\n",
	    (unsigned long long)ms);
	assert_true(ms >= 50);
	assert_int_equal(silent->rc, 0);
	assert_int_equal(slow->rc, 0);
	assert_string_equal(silent->rawreply,
	    FX_LINE_IDLE "50 ms\"}\n");
	assert_string_equal(slow->rawreply, FX_LINE_IDLE "50 ms\"}\n");
	assert_int_equal(fx->nrequests, 0);
}

static void
control_idle_timeout_spares_a_request_in_progress(void **state)
{
	struct fx	*fx = *state;
	struct worker	*w;

	/* The daemon takes longer than the timeout to answer: the request
	 * came in time, so the client waits for its reply. */
	control_set_idle_ms(fx->ctl, 10);
	fx->mode = FX_ANSWER_LATER;
	fx->later_ms = 200;
	w = fx_call(fx, "reconcile");
	fx_run(fx);
	if (w->rc != 0)
		fail_msg("control_call: %s", w->err.msg);
	assert_string_equal(w->reply,
	    "{\"ok\":true,\"cmd\":\"kept\",\"how\":\"later\"}");
}

static void
control_leaves_descriptors_to_the_rest(void **state)
{
	const int	 room = 10;	/* clients the lowered limit allows */
	struct fx	*fx = *state;
	struct crowd	 cr;
	struct rlimit	 old, rl;
	int		 line, nfree, fds[CONTROL_FD_RESERVE], i;

	control_set_idle_ms(fx->ctl, FX_LONG_IDLE_MS);
	fx->mode = FX_ANSWER_NOW;
	/* One more than there is room for, before the limit comes down
	 * (the child's own descriptors do not count against ours). */
	crowd_start(fx, &cr, room + 1);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* The line below which exactly room descriptors are free. */
	for (line = 0, nfree = 0; nfree < room; line++)
		if (fcntl(line, F_GETFD) == -1 && errno == EBADF)
			nfree++;
	rl = old;
	rl.rlim_cur = (rlim_t)line + CONTROL_FD_RESERVE;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	crowd_wait(&cr);
	print_message("limit %llu: %d held, %d refused for want of "
	    "descriptors\n", (unsigned long long)rl.rlim_cur, cr.r.held,
	    cr.r.busy);
	assert_int_equal(cr.r.connected, room + 1);
	assert_int_equal(cr.r.held, room);
	assert_int_equal(cr.r.busy, 1);
	/* The reserve is still there for the rest of the process. */
	for (i = 0; i < (int)CONTROL_FD_RESERVE; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[i] == -1)
			fail_msg("descriptor %d of the reserve: %s", i,
			    strerror(errno));
	}
	for (i = 0; i < (int)CONTROL_FD_RESERVE; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	crowd_end(&cr);
}

static void
control_free_removes_the_socket(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;

	assert_int_equal(lstat(fx->path, &st), 0);
	control_free(fx->ctl);
	fx->ctl = NULL;
	assert_int_equal(lstat(fx->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	control_free(NULL);
	control_reply(NULL, "{}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(control_answers_a_request),
		T(control_socket_is_private),
		T(control_replies_later),
		T(control_answers_each_client_its_own),
		T(control_survives_a_client_that_hangs_up),
		T(control_rejects_requests_without_a_cmd),
		T(control_refuses_a_request_over_the_limit),
		T(control_answers_a_client_that_shut_its_side),
		T(control_replaces_a_stale_socket),
		T(control_refuses_when_a_daemon_answers),
		T(control_refuses_to_replace_a_file),
		T(control_refuses_a_path_too_long),
		T(control_call_says_no_daemon_runs),
		T(control_call_gives_up_after_its_timeout),
		T(control_reload_in_the_handler_still_replies),
		T(control_waiting_client_outlives_its_channel),
		T(control_refuses_clients_over_the_cap),
		T(control_closes_a_client_that_sends_no_request),
		T(control_idle_timeout_spares_a_request_in_progress),
		T(control_leaves_descriptors_to_the_rest),
		T(control_free_removes_the_socket),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
