/* Tests for runtime/loop.c: timers, descriptors, signals and wake-ups on
 * a real libevent loop. Every run has a deadline timer, so a broken loop
 * fails the test instead of hanging it. Linux only (pipes, SIGUSR1, and
 * /proc to see the loop thread wait). */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "platform.h"

#define FX_DEADLINE_MS	5000u	/* a run that lasts longer has failed */
#define FX_SETTLE_MS	40u	/* time for a wrong extra call to show */
#define FX_FIRED_MAX	16u
#define FX_WAKES	5
#define FX_SPIN_MS	3u	/* time passing inside one callback */

struct fx;

/* One timer of a test, knowing its id and its fixture. */
struct tick {
	struct fx		*fx;
	struct loop_timer	*t;
	int			 id;
	unsigned		 calls;
	bool			 stops;	/* stops the loop when it fires */
	bool			 armed_in_cb; /* pending in its own callback */
};

struct fx {
	struct loop		*loop;
	struct loop_timer	*deadline;
	struct loop_timer	*end;	/* stops the loop: a normal end */
	bool			 timed_out;
	int			 fired[FX_FIRED_MAX];
	unsigned		 nfired;
	pthread_t		 loop_thread;
	/* io, signal, waker */
	int			 pipe[2];
	unsigned		 calls;
	bool			 in_loop_thread;
	struct loop_timer	*waker;
	pthread_t		 thread;
	pid_t			 loop_tid;	/* the loop thread, for /proc */
	bool			 never_waited;
};

static void
fx_deadline(void *arg)
{
	struct fx	*fx = arg;

	fx->timed_out = true;
	loop_stop(fx->loop);
}

static void
fx_end(void *arg)
{
	struct fx	*fx = arg;

	loop_stop(fx->loop);
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	struct dwerr	 err;

	assert_non_null(fx);
	fx->loop = loop_new(&err);
	assert_non_null(fx->loop);
	fx->deadline = loop_timer_new(fx->loop, fx_deadline, fx);
	fx->end = loop_timer_new(fx->loop, fx_end, fx);
	assert_non_null(fx->deadline);
	assert_non_null(fx->end);
	fx->pipe[0] = fx->pipe[1] = -1;
	fx->loop_thread = pthread_self();
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	loop_timer_free(fx->deadline);
	loop_timer_free(fx->end);
	loop_timer_free(fx->waker);
	if (fx->pipe[0] != -1) {
		close(fx->pipe[0]);
		close(fx->pipe[1]);
	}
	loop_free(fx->loop);
	free(fx);
	return 0;
}

/* Runs the loop under the deadline; fails the test when it ran out (even
 * if what it waited for came in the deadline's turn). */
static void
fx_run(struct fx *fx)
{
	uint64_t	 start = platform_mono_ms();

	loop_timer_schedule(fx->deadline, FX_DEADLINE_MS);
	assert_int_equal(loop_run(fx->loop), 0);
	loop_timer_cancel(fx->deadline);
	assert_false(fx->timed_out);
	assert_true(platform_mono_ms() - start < FX_DEADLINE_MS);
}

static void
tick_fire(void *arg)
{
	struct tick	*k = arg;
	struct fx	*fx = k->fx;

	k->calls++;
	if (fx->nfired < FX_FIRED_MAX)
		fx->fired[fx->nfired++] = k->id;
	if (k->stops)
		loop_stop(fx->loop);
}

static void
tick_init(struct tick *k, struct fx *fx, int id)
{
	memset(k, 0, sizeof(*k));
	k->fx = fx;
	k->id = id;
	k->t = loop_timer_new(fx->loop, tick_fire, k);
	assert_non_null(k->t);
}

static void
loop_timers_fire_in_order_and_once(void **state)
{
	struct fx	*fx = *state;
	struct tick	 k[3];
	int		 i;

	for (i = 0; i < 3; i++)
		tick_init(&k[i], fx, i + 1);
	loop_timer_schedule(k[0].t, 30);
	loop_timer_schedule(k[1].t, 10);
	loop_timer_schedule(k[2].t, 20);
	loop_timer_schedule(fx->end, 30 + FX_SETTLE_MS);
	fx_run(fx);
	assert_int_equal(fx->nfired, 3);
	assert_int_equal(fx->fired[0], 2);
	assert_int_equal(fx->fired[1], 3);
	assert_int_equal(fx->fired[2], 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(k[i].calls, 1);
		assert_false(loop_timer_pending(k[i].t));
		loop_timer_free(k[i].t);
	}
}

static void
loop_rescheduling_moves_a_timer(void **state)
{
	struct fx	*fx = *state;
	struct tick	 a, b;

	tick_init(&a, fx, 1);
	tick_init(&b, fx, 2);
	loop_timer_schedule(a.t, 10);
	loop_timer_schedule(b.t, 30);
	loop_timer_schedule(a.t, 60);	/* now after b */
	a.stops = true;
	fx_run(fx);
	assert_int_equal(fx->nfired, 2);
	assert_int_equal(fx->fired[0], 2);
	assert_int_equal(fx->fired[1], 1);
	assert_int_equal(a.calls, 1);
	loop_timer_free(a.t);
	loop_timer_free(b.t);
}

/* A timer that arms itself again from its callback, three times. */
static void
rearm_fire(void *arg)
{
	struct tick	*k = arg;

	k->calls++;
	if (loop_timer_pending(k->t))
		k->armed_in_cb = true;
	if (k->calls < 3)
		loop_timer_schedule(k->t, 5);
	else
		loop_stop(k->fx->loop);
}

static void
loop_timer_rearms_from_its_callback(void **state)
{
	struct fx	*fx = *state;
	struct tick	 k = { .fx = fx };

	k.t = loop_timer_new(fx->loop, rearm_fire, &k);
	assert_non_null(k.t);
	loop_timer_schedule(k.t, 0);
	fx_run(fx);
	assert_int_equal(k.calls, 3);
	assert_false(k.armed_in_cb);	/* a fired one-shot is disarmed */
	loop_timer_free(k.t);
}

static void
loop_cancel_keeps_a_timer_from_firing(void **state)
{
	struct fx	*fx = *state;
	struct tick	 a;

	tick_init(&a, fx, 1);
	loop_timer_cancel(a.t);		/* not armed: a no-op */
	loop_timer_schedule(a.t, 10);
	assert_true(loop_timer_pending(a.t));
	loop_timer_cancel(a.t);
	loop_timer_cancel(a.t);
	assert_false(loop_timer_pending(a.t));
	loop_timer_cancel(NULL);
	loop_timer_schedule(fx->end, 10 + FX_SETTLE_MS);
	fx_run(fx);
	assert_int_equal(a.calls, 0);
	loop_timer_free(a.t);
}

struct probe {
	struct fx		*fx;
	struct loop_timer	*far;
	uint64_t		 start, now1, now2, remaining;
};

static void
probe_fire(void *arg)
{
	struct probe	*p = arg;

	p->now1 = loop_now_ms(p->fx->loop);
	p->remaining = loop_timer_remaining_ms(p->far);
	p->now2 = loop_now_ms(p->fx->loop);
	loop_stop(p->fx->loop);
}

static void
loop_remaining_ms_counts_down(void **state)
{
	struct fx		*fx = *state;
	struct probe		 p = { .fx = fx };
	struct loop_timer	*probe;
	uint64_t		 r;

	p.far = loop_timer_new(fx->loop, fx_end, fx);
	probe = loop_timer_new(fx->loop, probe_fire, &p);
	assert_non_null(p.far);
	assert_non_null(probe);
	assert_int_equal(loop_timer_remaining_ms(p.far), 0);
	assert_int_equal(loop_timer_remaining_ms(NULL), 0);
	p.start = loop_now_ms(fx->loop);
	loop_timer_schedule(p.far, 1000);
	r = loop_timer_remaining_ms(p.far);
	assert_true(r > 950 && r <= 1000);
	loop_timer_schedule(probe, 30);
	fx_run(fx);
	/* One now per turn, later than the start by about the delay. */
	assert_int_equal(p.now1, p.now2);
	assert_true(p.now1 >= p.start + 29);
	assert_true(p.remaining + 3 >= 1000 - (p.now1 - p.start));
	assert_true(p.remaining <= 1000 - (p.now1 - p.start) + 3);
	assert_true(p.remaining < 975);
	loop_timer_cancel(p.far);
	assert_int_equal(loop_timer_remaining_ms(p.far), 0);
	loop_timer_free(probe);
	loop_timer_free(p.far);
}

static void
loop_now_ms_never_goes_back(void **state)
{
	struct fx	*fx = *state;
	uint64_t	 a, b;

	a = loop_now_ms(fx->loop);
	b = loop_now_ms(fx->loop);
	assert_true(a > 0);
	assert_true(b >= a);
}

struct turn {
	struct fx	*fx;
	uint64_t	 first, again, next;
};

/* Lets time pass inside one callback: now stays the turn's. */
static void
turn_first(void *arg)
{
	struct turn	*t = arg;

	t->first = loop_now_ms(t->fx->loop);
	while (platform_mono_ms() < t->first + FX_SPIN_MS)
		;
	t->again = loop_now_ms(t->fx->loop);
}

static void
turn_next(void *arg)
{
	struct turn	*t = arg;

	t->next = loop_now_ms(t->fx->loop);
	loop_stop(t->fx->loop);
}

static void
loop_now_ms_is_one_value_per_turn(void **state)
{
	struct fx		*fx = *state;
	struct turn		 t = { .fx = fx };
	struct loop_timer	*a, *b;

	a = loop_timer_new(fx->loop, turn_first, &t);
	b = loop_timer_new(fx->loop, turn_next, &t);
	assert_non_null(a);
	assert_non_null(b);
	loop_timer_schedule(a, 0);
	loop_timer_schedule(b, 1);
	fx_run(fx);
	assert_int_equal(t.again, t.first);
	assert_true(t.next >= t.first + FX_SPIN_MS);
	loop_timer_free(a);
	loop_timer_free(b);
}

static void
pipe_read(void *arg)
{
	struct fx	*fx = arg;
	char		 c;

	assert_int_equal(read(fx->pipe[0], &c, 1), 1);
	fx->calls++;
	fx->in_loop_thread = pthread_equal(pthread_self(), fx->loop_thread);
	loop_stop(fx->loop);
}

static void
pipe_write(void *arg)
{
	struct fx	*fx = arg;

	assert_int_equal(write(fx->pipe[1], "x", 1), 1);
}

static void
loop_io_calls_back_when_a_pipe_is_readable(void **state)
{
	struct fx		*fx = *state;
	struct loop_timer	*writer;
	struct loop_io		*io;

	assert_int_equal(pipe(fx->pipe), 0);
	io = loop_io_new(fx->loop, fx->pipe[0], pipe_read, fx);
	writer = loop_timer_new(fx->loop, pipe_write, fx);
	assert_non_null(io);
	assert_non_null(writer);
	loop_timer_schedule(writer, 5);
	fx_run(fx);
	assert_int_equal(fx->calls, 1);
	assert_true(fx->in_loop_thread);
	/* Drained: no more calls, though the watch persists. */
	loop_timer_schedule(fx->end, FX_SETTLE_MS);
	fx_run(fx);
	assert_int_equal(fx->calls, 1);
	/* And readable again: called again. */
	loop_timer_schedule(writer, 0);
	fx_run(fx);
	assert_int_equal(fx->calls, 2);
	loop_timer_free(writer);
	loop_io_free(io);
	loop_io_free(NULL);
}

static void
signal_arrived(void *arg)
{
	struct fx	*fx = arg;

	fx->calls++;
	fx->in_loop_thread = pthread_equal(pthread_self(), fx->loop_thread);
	loop_stop(fx->loop);
}

static void
signal_raise(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
}

static void
loop_signal_arrives_in_the_loop(void **state)
{
	struct fx		*fx = *state;
	struct loop_timer	*raiser;
	struct loop_io		*sig;

	sig = loop_signal_new(fx->loop, SIGUSR1, signal_arrived, fx);
	raiser = loop_timer_new(fx->loop, signal_raise, fx);
	assert_non_null(sig);
	assert_non_null(raiser);
	loop_timer_schedule(raiser, 0);
	fx_run(fx);
	assert_int_equal(fx->calls, 1);
	assert_true(fx->in_loop_thread);
	loop_timer_free(raiser);
	loop_io_free(sig);
}

/* The waker's callback: counts, and ends the run a little later so that
 * an extra call would be seen. */
static void
waker_fire(void *arg)
{
	struct fx	*fx = arg;

	fx->calls++;
	fx->in_loop_thread = pthread_equal(pthread_self(), fx->loop_thread);
	loop_timer_schedule(fx->end, FX_SETTLE_MS);
}

static void *
waker_thread(void *arg)
{
	struct fx	*fx = arg;
	int		 i;

	for (i = 0; i < FX_WAKES; i++)
		loop_wake(fx->waker);
	return NULL;
}

static void
loop_wakes_before_the_loop_runs_merge(void **state)
{
	struct fx	*fx = *state;
	pthread_t	 th;

	fx->waker = loop_waker_new(fx->loop, waker_fire, fx);
	assert_non_null(fx->waker);
	assert_int_equal(pthread_create(&th, NULL, waker_thread, fx), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	fx_run(fx);
	assert_int_equal(fx->calls, 1);
	assert_true(fx->in_loop_thread);
}

/* From a callback: another thread wakes several times while the loop
 * thread is busy here; the waker then runs once. */
static void
wake_while_busy(void *arg)
{
	struct fx	*fx = arg;
	pthread_t	 th;

	if (pthread_create(&th, NULL, waker_thread, fx) == 0)
		pthread_join(th, NULL);
}

static void
loop_wakes_during_a_callback_merge(void **state)
{
	struct fx		*fx = *state;
	struct loop_timer	*busy;

	fx->waker = loop_waker_new(fx->loop, waker_fire, fx);
	busy = loop_timer_new(fx->loop, wake_while_busy, fx);
	assert_non_null(fx->waker);
	assert_non_null(busy);
	loop_timer_schedule(busy, 0);
	fx_run(fx);
	assert_int_equal(fx->calls, 1);
	assert_true(fx->in_loop_thread);
	loop_timer_free(busy);
}

/* True once the thread tid sleeps in the kernel ("S" in its stat). Back
 * from its callbacks, with nothing due, the loop thread sleeps only in its
 * poll; waits up to the run's deadline. */
static bool
thread_sleeps(pid_t tid)
{
	char		 path[64], buf[512], *p;
	unsigned	 ms;
	size_t		 n;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	for (ms = 0; ms < FX_DEADLINE_MS; ms++) {
		if ((f = fopen(path, "r")) == NULL)
			return false;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'S')
			return true;
		platform_sleep_ms(1);
	}
	return false;
}

/* Wakes once the loop thread has gone back to wait in its poll: the wake
 * must then come through libevent's notification, not by luck. */
static void *
wake_once_thread(void *arg)
{
	struct fx	*fx = arg;

	if (!thread_sleeps(fx->loop_tid))
		fx->never_waited = true;
	loop_wake(fx->waker);
	return NULL;
}

static void
idle_waker_fire(void *arg)
{
	struct fx	*fx = arg;

	fx->calls++;
	fx->in_loop_thread = pthread_equal(pthread_self(), fx->loop_thread);
	loop_stop(fx->loop);
}

static void
start_waking_thread(void *arg)
{
	struct fx	*fx = arg;

	fx->loop_tid = (pid_t)syscall(SYS_gettid);
	assert_int_equal(pthread_create(&fx->thread, NULL, wake_once_thread,
	    fx), 0);
}

static void
loop_wake_reaches_a_waiting_loop(void **state)
{
	struct fx		*fx = *state;
	struct loop_timer	*starter;

	fx->waker = loop_waker_new(fx->loop, idle_waker_fire, fx);
	starter = loop_timer_new(fx->loop, start_waking_thread, fx);
	assert_non_null(fx->waker);
	assert_non_null(starter);
	loop_timer_schedule(starter, 0);
	fx_run(fx);
	assert_int_equal(pthread_join(fx->thread, NULL), 0);
	assert_false(fx->never_waited);
	assert_int_equal(fx->calls, 1);
	assert_true(fx->in_loop_thread);
	loop_timer_free(starter);
}

static void
loop_stop_returns_from_run(void **state)
{
	struct fx	*fx = *state;
	struct tick	 a, b;

	tick_init(&a, fx, 1);
	tick_init(&b, fx, 2);
	a.stops = true;
	loop_timer_schedule(a.t, 5);
	loop_timer_schedule(b.t, 1000);
	fx_run(fx);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_true(loop_timer_pending(b.t));
	/* The loop runs again after a stop. */
	loop_timer_schedule(b.t, 0);
	b.stops = true;
	fx_run(fx);
	assert_int_equal(b.calls, 1);
	loop_timer_free(a.t);
	loop_timer_free(b.t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(loop_timers_fire_in_order_and_once),
		T(loop_rescheduling_moves_a_timer),
		T(loop_timer_rearms_from_its_callback),
		T(loop_cancel_keeps_a_timer_from_firing),
		T(loop_remaining_ms_counts_down),
		T(loop_now_ms_never_goes_back),
		T(loop_now_ms_is_one_value_per_turn),
		T(loop_io_calls_back_when_a_pipe_is_readable),
		T(loop_signal_arrives_in_the_loop),
		T(loop_wakes_before_the_loop_runs_merge),
		T(loop_wakes_during_a_callback_merge),
		T(loop_wake_reaches_a_waiting_loop),
		T(loop_stop_returns_from_run),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
