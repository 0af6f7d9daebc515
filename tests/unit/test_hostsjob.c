/* Tests for pass/hostsjob.c: the retry logic, with a scripted writer. */
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

#include "hostsjob.h"

#define SCRIPT_MAX 64u
#define EVENTS_MAX 64u

/* A writer that fails with script[i] on call i (0 means success), and a
 * renderer that produces "v<N>\n" on its Nth call, or says the file is
 * already right from call `right_from` on. */
struct script {
	int	 codes[SCRIPT_MAX];
	unsigned ncodes;
	unsigned calls;
	size_t	 last_len;
	char	 last[16];
	unsigned renders;
	unsigned right_from;	/* 0: never */
	bool	 render_fails;
};

static int
script_render(void *ctx, const struct hostsfile_carry *carry,
    struct hostsfile_expect *expect, char **buf, size_t *len, bool *changed,
    struct dwerr *err)
{
	struct script	*s = ctx;

	assert_null(carry);
	expect->buf = "read";
	expect->len = 4;
	expect->exists = true;
	s->renders++;
	if (s->render_fails) {
		dwerr_set(err, DWERR_INPUT, "hosts: UTF-16 now");
		return -1;
	}
	*changed = s->right_from == 0 || s->renders < s->right_from;
	*buf = malloc(16);
	assert_non_null(*buf);
	*len = (size_t)snprintf(*buf, 16, "v%u\n", s->renders);
	return 0;
}

static int
script_write(void *ctx, const char *path, const struct hostsfile_expect *expect,
    const char *buf, size_t len, struct hostsfile_result *res,
    struct dwerr *err)
{
	struct script	*s = ctx;
	int		 code = s->calls < s->ncodes ? s->codes[s->calls] : 0;

	/* The write is conditional on what the render read. */
	assert_non_null(expect);
	assert_int_equal(expect->len, 4);
	assert_memory_equal(expect->buf, "read", 4);
	s->calls++;
	s->last_len = len;
	assert_true(len < sizeof(s->last));
	memcpy(s->last, buf, len);
	s->last[len] = '\0';
	if (code == 0) {
		res->method = "rename";
		return 0;
	}
	res->transient = code == EBUSY;
	dwerr_set(err, code, "cannot rename over %s: code %d", path, code);
	return -1;
}

/* A trace sink recording event names and a few fields. */
struct events {
	unsigned n;
	char	 name[EVENTS_MAX][32];
	uint32_t attempt[EVENTS_MAX];
	uint32_t delay[EVENTS_MAX];
	uint32_t code[EVENTS_MAX];
	char	 code_name[EVENTS_MAX][32];
};

static void
events_emit(void *ctx, const struct trace_record *rec)
{
	struct events	*e = ctx;
	size_t		 i;

	assert_true(e->n < EVENTS_MAX);
	snprintf(e->name[e->n], sizeof(e->name[0]), "%s", rec->name);
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		if (strcmp(f->name, "attempt") == 0 || strcmp(f->name, "attempts") == 0)
			e->attempt[e->n] = f->v.u32;
		else if (strcmp(f->name, "next_delay_ms") == 0)
			e->delay[e->n] = f->v.u32;
		else if (strcmp(f->name, "error_code") == 0)
			e->code[e->n] = f->v.u32;
		else if (strcmp(f->name, "error_name") == 0)
			snprintf(e->code_name[e->n], sizeof(e->code_name[0]),
			    "%s", f->v.str);
	}
	e->n++;
}

static const struct trace_sink_ops events_ops = { events_emit, NULL };

struct fx {
	struct script		 script;
	struct events		 events;
	struct trace		*trace;
	struct backoff_policy	 policy;
};

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->trace = trace_new(NULL, NULL);
	trace_add_sink(fx->trace, &events_ops, &fx->events);
	backoff_defaults(&fx->policy);
	fx->policy.jitter = 0.0;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	trace_free(fx->trace);
	free(fx);
	return 0;
}

static struct hostsjob *
job_for(struct fx *fx, uint64_t start)
{
	struct hostsjob	*job;

	job = hostsjob_new("/x/hosts", script_render, &fx->script, &fx->policy,
	    fx->trace, start);
	assert_non_null(job);
	hostsjob_set_writer(job, script_write, &fx->script);
	return job;
}

static void
hostsjob_first_try_success_is_one_event(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job = job_for(fx, 1000);
	uint32_t	 delay = 99;

	assert_int_equal(hostsjob_attempt(job, 1000, 0.5, &delay), HOSTSJOB_DONE);
	assert_int_equal(delay, 0);
	assert_int_equal(fx->script.calls, 1);
	assert_int_equal(fx->script.last_len, 3);
	assert_string_equal(fx->script.last, "v1\n");
	assert_true(hostsjob_wrote(job));
	assert_int_equal(fx->events.n, 1);
	assert_string_equal(fx->events.name[0], "HostsWriteSucceeded");
	assert_int_equal(fx->events.attempt[0], 1);
	hostsjob_free(job);
}

static void
hostsjob_retries_a_locked_file_with_growing_delays(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint64_t	 now = 500;
	uint32_t	 delay;
	unsigned	 i;

	fx->script.ncodes = 4;
	for (i = 0; i < 4; i++)
		fx->script.codes[i] = EBUSY;
	job = job_for(fx, now);
	for (i = 0; i < 4; i++) {
		assert_int_equal(hostsjob_attempt(job, now, 0.5, &delay),
		    HOSTSJOB_RETRY);
		assert_int_equal(delay, 50u << i);
		now += delay;
	}
	assert_int_equal(hostsjob_attempt(job, now, 0.5, &delay), HOSTSJOB_DONE);
	assert_int_equal(hostsjob_attempts(job), 5);
	/* Exactly one event per attempt. */
	assert_int_equal(fx->events.n, 5);
	for (i = 0; i < 4; i++) {
		assert_string_equal(fx->events.name[i], "HostsWriteAttempt");
		assert_int_equal(fx->events.attempt[i], i + 1);
		assert_int_equal(fx->events.delay[i], 50u << i);
		assert_int_equal(fx->events.code[i], EBUSY);
		assert_string_equal(fx->events.code_name[i],
		    hostsfile_error_name(EBUSY));
	}
	assert_string_equal(fx->events.name[4], "HostsWriteSucceeded");
	assert_int_equal(fx->events.attempt[4], 5);
	hostsjob_free(job);
}

static void
hostsjob_gives_up_at_the_deadline(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint64_t	 now = 0;
	uint32_t	 delay;
	enum hostsjob_state st;
	unsigned	 i, n = 0;

	fx->script.ncodes = SCRIPT_MAX;
	for (i = 0; i < SCRIPT_MAX; i++)
		fx->script.codes[i] = EBUSY;
	job = job_for(fx, now);
	while ((st = hostsjob_attempt(job, now, 0.5, &delay)) == HOSTSJOB_RETRY) {
		now += delay;
		n++;
		assert_true(n < SCRIPT_MAX);
	}
	assert_int_equal(st, HOSTSJOB_GAVE_UP);
	assert_int_equal(now, 30000);	/* the last attempt ran at the deadline */
	assert_int_equal(fx->events.n, n + 1);
	assert_string_equal(fx->events.name[n], "HostsWriteGaveUp");
	assert_int_equal(fx->events.attempt[n], n + 1);
	assert_int_equal(fx->events.code[n], EBUSY);
	assert_int_equal(hostsjob_error(job)->code, EBUSY);
	assert_true(hostsjob_transient(job));
	hostsjob_free(job);
}

static void
hostsjob_permanent_error_gives_up_at_once(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint32_t	 delay;

	fx->script.ncodes = 1;
	fx->script.codes[0] = EACCES;
	job = job_for(fx, 0);
	assert_int_equal(hostsjob_attempt(job, 0, 0.5, &delay), HOSTSJOB_GAVE_UP);
	assert_int_equal(fx->script.calls, 1);
	assert_int_equal(fx->events.n, 1);
	assert_string_equal(fx->events.name[0], "HostsWriteGaveUp");
	assert_non_null(strstr(hostsjob_error(job)->msg, "/x/hosts"));
	assert_false(hostsjob_transient(job));
	hostsjob_free(job);
}

static void
hostsjob_renders_again_on_every_attempt(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint32_t	 delay;

	/* An edit made while the file was locked must not be overwritten
	 * by bytes computed before it: each attempt renders anew. */
	fx->script.ncodes = 2;
	fx->script.codes[0] = EBUSY;
	fx->script.codes[1] = EBUSY;
	job = job_for(fx, 0);
	assert_int_equal(hostsjob_attempt(job, 0, 0.5, &delay), HOSTSJOB_RETRY);
	assert_int_equal(hostsjob_attempt(job, 50, 0.5, &delay), HOSTSJOB_RETRY);
	assert_int_equal(hostsjob_attempt(job, 150, 0.5, &delay), HOSTSJOB_DONE);
	assert_int_equal(fx->script.renders, 3);
	assert_string_equal(fx->script.last, "v3\n");
	hostsjob_free(job);
}

static void
hostsjob_stops_without_writing_when_the_file_became_right(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint32_t	 delay;

	fx->script.ncodes = 1;
	fx->script.codes[0] = EBUSY;
	fx->script.right_from = 2;
	job = job_for(fx, 0);
	assert_int_equal(hostsjob_attempt(job, 0, 0.5, &delay), HOSTSJOB_RETRY);
	assert_int_equal(hostsjob_attempt(job, 50, 0.5, &delay), HOSTSJOB_DONE);
	assert_int_equal(fx->script.calls, 1);
	assert_false(hostsjob_wrote(job));
	assert_int_equal(fx->events.n, 2);
	assert_string_equal(fx->events.name[1], "HostsUnchanged");
	hostsjob_free(job);
}

static void
hostsjob_gives_up_when_the_file_becomes_unmanageable(void **state)
{
	struct fx	*fx = *state;
	struct hostsjob	*job;
	uint32_t	 delay;

	fx->script.render_fails = true;
	job = job_for(fx, 0);
	assert_int_equal(hostsjob_attempt(job, 0, 0.5, &delay), HOSTSJOB_GAVE_UP);
	assert_int_equal(fx->script.calls, 0);
	assert_false(hostsjob_transient(job));
	assert_int_equal(fx->events.n, 1);
	assert_string_equal(fx->events.name[0], "HostsWriteGaveUp");
	hostsjob_free(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(hostsjob_first_try_success_is_one_event),
		T(hostsjob_retries_a_locked_file_with_growing_delays),
		T(hostsjob_gives_up_at_the_deadline),
		T(hostsjob_permanent_error_gives_up_at_once),
		T(hostsjob_renders_again_on_every_attempt),
		T(hostsjob_stops_without_writing_when_the_file_became_right),
		T(hostsjob_gives_up_when_the_file_becomes_unmanageable),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
