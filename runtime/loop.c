/* loop: the event loop over libevent (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "log.h"
#include "platform.h"

/* Longest delay a timer takes; longer ones are cut to it. It keeps the
 * seconds within a 32-bit tv_sec (Windows) and libevent's sums in range. */
#define LOOP_TIMER_MAX_MS	(366ull * 24 * 3600 * 1000)

struct loop {
	struct event_base	*base;
	struct timeval		 turn_tv;	/* libevent's cached time ... */
	uint64_t		 turn_ms;	/* ... and our monotonic ms then */
};

/* A timer or a waker: both run cb(arg) from one event with no fd. */
struct loop_timer {
	struct loop		*loop;
	struct event		*ev;
	loop_cb			 cb;
	void			*arg;
	uint64_t		 due_ms;	/* loop_now_ms when it fires */
};

/* A readable fd or a signal. */
struct loop_io {
	struct event		*ev;
	loop_cb			 cb;
	void			*arg;
};

/*
 * Thread support must be on before the base exists, so that event_active
 * from another thread wakes the loop. Windows also needs Winsock up for
 * libevent's wake-up socket pair.
 */
#ifdef _WIN32
static int
loop_os_start(struct dwerr *err)
{
	WSADATA	 wsa;
	int	 rc;

	if ((rc = WSAStartup(MAKEWORD(2, 2), &wsa)) != 0) {
		dwerr_set(err, rc, "cannot start Winsock (error %d)", rc);
		return -1;
	}
	if (evthread_use_windows_threads() != 0) {
		WSACleanup();
		dwerr_set(err, ENOMEM, "cannot turn on libevent's thread "
		    "support");
		return -1;
	}
	return 0;
}

static void
loop_os_stop(void)
{
	WSACleanup();
}
#else
static int
loop_os_start(struct dwerr *err)
{
	if (evthread_use_pthreads() != 0) {
		dwerr_set(err, ENOMEM, "cannot turn on libevent's thread "
		    "support");
		return -1;
	}
	return 0;
}

static void
loop_os_stop(void)
{
}
#endif

/* libevent's own messages, in our log. It must not call libevent. */
static void
loop_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_notice("libevent: %s", msg);
		break;
	default:
		log_error("libevent: %s", msg);
		break;
	}
}

struct loop *
loop_new(struct dwerr *err)
{
	struct event_config	*cfg;
	struct loop		*loop;
	int			 e;

	event_set_log_callback(loop_log);
	if (loop_os_start(err) != 0)
		return NULL;
	if ((loop = calloc(1, sizeof(*loop))) == NULL ||
	    (cfg = event_config_new()) == NULL) {
		free(loop);
		loop_os_stop();
		dwerr_set(err, ENOMEM, "out of memory for the event loop");
		return NULL;
	}
	/* Timers on the precise monotonic clock, the one loop_now_ms reads
	 * (the default may be a coarse one, a few ms behind). */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	errno = 0;
	loop->base = event_base_new_with_config(cfg);
	e = errno != 0 ? errno : ENOMEM;
	event_config_free(cfg);
	if (loop->base == NULL) {
		free(loop);
		loop_os_stop();
		dwerr_set(err, e, "libevent cannot create an event loop: %s",
		    strerror(e));
		return NULL;
	}
	return loop;
}

void
loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	event_base_free(loop->base);
	free(loop);
	loop_os_stop();
}

int
loop_run(struct loop *loop)
{
	/* Keep running with nothing armed: a waker or a signal may come. */
	return event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY) == -1 ?
	    -1 : 0;
}

void
loop_stop(struct loop *loop)
{
	event_base_loopbreak(loop->base);
}

uint64_t
loop_now_ms(struct loop *loop)
{
	struct timeval	 tv;

	/*
	 * Inside the loop, libevent caches one wall-clock time per turn;
	 * outside, this is a fresh gettimeofday. A new value means a new
	 * turn (or no turn): take the monotonic clock again then, so every
	 * callback of one turn sees the same now.
	 */
	if (event_base_gettimeofday_cached(loop->base, &tv) != 0 ||
	    tv.tv_sec != loop->turn_tv.tv_sec ||
	    tv.tv_usec != loop->turn_tv.tv_usec || loop->turn_ms == 0) {
		loop->turn_tv = tv;
		loop->turn_ms = platform_mono_ms();
	}
	return loop->turn_ms;
}

/*
 * The trampolines below touch nothing after calling cb, so a callback may
 * free its own timer or io.
 */
static void
loop_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer	*t = arg;

	(void)fd;
	(void)what;
	t->cb(t->arg);
}

static void
loop_io_fire(evutil_socket_t fd, short what, void *arg)
{
	struct loop_io	*io = arg;

	(void)fd;
	(void)what;
	io->cb(io->arg);
}

struct loop_timer *
loop_timer_new(struct loop *loop, loop_cb cb, void *arg)
{
	struct loop_timer	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ev = evtimer_new(loop->base, loop_timer_fire, t)) == NULL) {
		free(t);
		log_error("out of memory for a timer");
		return NULL;
	}
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void
loop_timer_schedule(struct loop_timer *t, uint64_t ms)
{
	struct timeval	 tv;

	if (ms > LOOP_TIMER_MAX_MS)
		ms = LOOP_TIMER_MAX_MS;
	tv.tv_sec = (long)(ms / 1000u);
	tv.tv_usec = (long)(ms % 1000u) * 1000L;
	t->due_ms = loop_now_ms(t->loop) + ms;
	if (evtimer_add(t->ev, &tv) != 0)
		log_error("cannot arm a timer for %llu ms",
		    (unsigned long long)ms);
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t != NULL)
		evtimer_del(t->ev);
}

bool
loop_timer_pending(const struct loop_timer *t)
{
	return t != NULL && evtimer_pending(t->ev, NULL) != 0;
}

uint64_t
loop_timer_remaining_ms(const struct loop_timer *t)
{
	uint64_t	 now;

	/* Against our own deadline on the monotonic clock: event_pending's
	 * time is mapped to the wall clock, which may jump. */
	if (!loop_timer_pending(t))
		return 0;
	now = loop_now_ms(t->loop);
	return t->due_ms > now ? t->due_ms - now : 0;
}

void
loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

static struct loop_io *
loop_io_add(struct loop *loop, evutil_socket_t fd, short what, loop_cb cb,
    void *arg, const char *name)
{
	struct loop_io	*io;

	if ((io = calloc(1, sizeof(*io))) == NULL ||
	    (io->ev = event_new(loop->base, fd, what, loop_io_fire, io)) ==
	    NULL) {
		free(io);
		log_error("out of memory for %s", name);
		return NULL;
	}
	io->cb = cb;
	io->arg = arg;
	if (event_add(io->ev, NULL) != 0) {
		event_free(io->ev);
		free(io);
		log_error("cannot watch %s", name);
		return NULL;
	}
	return io;
}

struct loop_io *
loop_io_new(struct loop *loop, intptr_t fd, loop_cb cb, void *arg)
{
	return loop_io_add(loop, (evutil_socket_t)fd, EV_READ | EV_PERSIST,
	    cb, arg, "a descriptor");
}

struct loop_io *
loop_signal_new(struct loop *loop, int signo, loop_cb cb, void *arg)
{
	return loop_io_add(loop, signo, EV_SIGNAL | EV_PERSIST, cb, arg,
	    "a signal");
}

int
loop_io_want_write(struct loop_io *io, bool want)
{
	struct event_base	*base = event_get_base(io->ev);
	evutil_socket_t		 fd = event_get_fd(io->ev);
	short			 what = EV_READ | EV_PERSIST;

	if (want)
		what |= EV_WRITE;
	if (event_get_events(io->ev) == what)
		return 0;
	event_del(io->ev);
	if (event_assign(io->ev, base, fd, what, loop_io_fire, io) != 0 ||
	    event_add(io->ev, NULL) != 0) {
		log_error("cannot watch a descriptor");
		return -1;
	}
	return 0;
}

void
loop_io_free(struct loop_io *io)
{
	if (io == NULL)
		return;
	event_free(io->ev);
	free(io);
}

struct loop_timer *
loop_waker_new(struct loop *loop, loop_cb cb, void *arg)
{
	struct loop_timer	*t;

	/* No fd and no timeout: it only runs when made active. */
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ev = event_new(loop->base, -1, 0, loop_timer_fire, t)) ==
	    NULL) {
		free(t);
		log_error("out of memory for a waker");
		return NULL;
	}
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void
loop_wake(struct loop_timer *waker)
{
	/* Takes the base's lock and, from another thread, wakes the loop.
	 * Wakes before the callback runs merge into one. */
	event_active(waker->ev, EV_TIMEOUT, 0);
}
