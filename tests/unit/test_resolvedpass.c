/*
 * Unit tests for pass/resolvedpass.c, the systemd-resolved part of a
 * pass, against a bus that the test answers (this file defines the
 * rbus_* functions of os/resolvedbus.h, so the library's are not linked):
 * the retries for a link resolved does not know yet, setters that fail
 * part-way, resolved gone between the read and the set, the guard for a
 * reply that never comes, plan mode, and the revert that needs proof.
 * The real bus and a real resolved are in tests/integration/resolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "desired.h"
#include "resolved.h"
#include "resolvedbus.h"
#include "resolvedpass.h"
#include "testutil.h"
#include "trace.h"

#define FAKE_MAX	16
#define FAKE_IFINDEX	7
#define EVENTS_MAX	32

/* The requests the pass sent, in order; answered by the test. */
struct fake_req {
	int		 kind;		/* -1 read, 0 revert, else a set bit */
	rbus_read_fn	 read;
	rbus_done_fn	 done;
	void		*arg;
	bool		 freed;		/* the pass let go of it */
	bool		 answered;
};

struct rbus_op {
	struct fake_req	*req;
};

static struct {
	struct fake_req	 req[FAKE_MAX];
	size_t		 n;
	int		 ifindex;	/* what rbus_find_link finds */
	uint32_t	 timeout_ms;
} fake;

static struct rbus *const FAKE_BUS = (struct rbus *)&fake;

int
rbus_open(struct rbus **out, struct dwerr *err)
{
	(void)err;
	*out = FAKE_BUS;
	return 0;
}

void
rbus_free(struct rbus *bus)
{
	(void)bus;
}

int
rbus_watch(struct rbus *bus, rbus_event_fn fn, void *arg, struct dwerr *err)
{
	(void)bus;
	(void)fn;
	(void)arg;
	(void)err;
	return 0;
}

int
rbus_fd(struct rbus *bus)
{
	(void)bus;
	return -1;
}

bool
rbus_wants_write(struct rbus *bus)
{
	(void)bus;
	return false;
}

uint32_t
rbus_timeout_ms(struct rbus *bus)
{
	(void)bus;
	return fake.timeout_ms;
}

int
rbus_process(struct rbus *bus)
{
	(void)bus;
	return 0;
}

int
rbus_wait(struct rbus *bus, uint32_t ms)
{
	(void)bus;
	(void)ms;
	return 0;
}

static struct rbus_op *
fake_add(int kind, rbus_read_fn read, rbus_done_fn done, void *arg)
{
	struct rbus_op	*op;

	assert_true(fake.n < FAKE_MAX);
	op = calloc(1, sizeof(*op));
	assert_non_null(op);
	op->req = &fake.req[fake.n++];
	memset(op->req, 0, sizeof(*op->req));
	op->req->kind = kind;
	op->req->read = read;
	op->req->done = done;
	op->req->arg = arg;
	return op;
}

int
rbus_link_read(struct rbus *bus, int ifindex, rbus_read_fn fn, void *arg,
    struct rbus_op **op, struct dwerr *err)
{
	(void)err;
	assert_ptr_equal(bus, FAKE_BUS);
	assert_int_equal(ifindex, fake.ifindex);
	*op = fake_add(-1, fn, NULL, arg);
	return 0;
}

int
rbus_link_set(struct rbus *bus, int ifindex, unsigned set,
    const struct resolved_link *want, rbus_done_fn fn, void *arg,
    struct rbus_op **op, struct dwerr *err)
{
	(void)err;
	(void)want;
	assert_ptr_equal(bus, FAKE_BUS);
	assert_int_equal(ifindex, fake.ifindex);
	*op = fake_add((int)set, NULL, fn, arg);
	return 0;
}

void
rbus_op_free(struct rbus_op *op)
{
	if (op == NULL)
		return;
	op->req->freed = true;
	free(op);
}

int
rbus_find_link(const char *want, char name[RBUS_IFNAME_BYTES])
{
	snprintf(name, RBUS_IFNAME_BYTES, "%s0", want);
	return fake.ifindex;
}

/* Answers request i (the callback runs only while the pass holds it, as
 * sd-bus runs none for a slot let go). */
static void
answer_read(size_t i, int status, const struct resolved_link *live)
{
	struct fake_req	*r = &fake.req[i];

	assert_true(i < fake.n);
	assert_int_equal(r->kind, -1);
	assert_false(r->answered);
	r->answered = true;
	if (!r->freed)
		r->read(r->arg, status, live, status == RBUS_OK ? "" :
		    "Unknown object");
}

static void
answer_set(size_t i, int status)
{
	struct fake_req	*r = &fake.req[i];

	assert_true(i < fake.n);
	assert_true(r->kind >= 0);
	assert_false(r->answered);
	r->answered = true;
	if (!r->freed)
		r->done(r->arg, status, status == RBUS_OK ? "" : "Access denied");
}

/* The trace's event names, in order. */
struct events {
	char	 name[EVENTS_MAX][32];
	size_t	 n;
};

static void
events_emit(void *ctx, const struct trace_record *rec)
{
	struct events	*e = ctx;

	assert_true(e->n < EVENTS_MAX);
	snprintf(e->name[e->n++], sizeof(e->name[0]), "%s", rec->name);
}

static const struct trace_sink_ops events_ops = { events_emit, NULL };

struct fx {
	char			 dir[64];
	char			 record[128];
	struct config		*cfg;
	struct desired_state	*rule, *none;
	struct trace		*trace;
	struct events		*ev;
};

static struct desired_state *
make_ds(const char *json)
{
	struct desired_state	*ds;
	struct dwerr		 err;

	if (desired_parse(json, strlen(json), "d.json", &ds, &err) != 0)
		fail_msg("%s", err.msg);
	return ds;
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 json[256];
	struct dwerr	 err;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-rp-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->record, sizeof(fx->record), "%s/rec.json", fx->dir);
	snprintf(json, sizeof(json), "{\"resolved\":{\"enabled\":true,"
	    "\"link\":\"tun\",\"state\":\"%s\"}}", fx->record);
	assert_int_equal(config_parse(json, strlen(json), "c.json", &fx->cfg,
	    &err), 0);
	fx->rule = make_ds("{\"version\":1,\"nrpt\":[{\"domains\":"
	    "[\"corp.example\"],\"servers\":[\"10.0.0.2\"]}]}");
	fx->none = make_ds("{\"version\":1}");
	fx->trace = trace_new(NULL, NULL);
	fx->ev = calloc(1, sizeof(*fx->ev));
	assert_non_null(fx->ev);
	assert_int_equal(trace_add_sink(fx->trace, &events_ops, fx->ev), 0);
	memset(&fake, 0, sizeof(fake));
	fake.ifindex = FAKE_IFINDEX;
	fake.timeout_ms = UINT32_MAX;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	trace_free(fx->trace);
	free(fx->ev);
	desired_free(fx->rule);
	desired_free(fx->none);
	config_free(fx->cfg);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static struct resolvedpass *
start(struct fx *fx, const struct desired_state *ds, bool plan,
    struct rbus *bus)
{
	struct resolvedpass_opts	 o;
	struct resolvedpass		*rp;

	memset(&o, 0, sizeof(o));
	o.bus = bus;
	o.bus_error = "no bus here";
	o.plan = plan;
	rp = resolvedpass_start(fx->cfg, ds, fx->trace, &o);
	assert_non_null(rp);
	return rp;
}

static bool
traced(const struct fx *fx, const char *name)
{
	size_t	 i;

	for (i = 0; i < fx->ev->n; i++)
		if (strcmp(fx->ev->name[i], name) == 0)
			return true;
	return false;
}

/* The link as the rule wants it. */
static void
rule_link(struct resolved_link *l)
{
	const unsigned char	 a[4] = { 10, 0, 0, 2 };

	memset(l, 0, sizeof(*l));
	assert_int_equal(resolved_link_add_server(l, 4, a), 0);
	assert_int_equal(resolved_link_add_domain(l, "corp.example", true), 0);
}

/* Steps a new pass to its read, answers it with live, and steps it to
 * its decision; true when that ended the pass. */
static bool
decide(struct resolvedpass *rp, const struct resolved_link *live)
{
	uint32_t	 delay;
	size_t		 first = fake.n;

	assert_false(resolvedpass_step(rp, 0, &delay));
	answer_read(first, RBUS_OK, live);
	return resolvedpass_step(rp, 0, &delay);
}

static void
rp_retries_a_link_resolved_does_not_know_then_fails(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp = start(fx, fx->rule, false, FAKE_BUS);
	const uint32_t		 waits[] = { 100, 200, 400, 800 };
	uint64_t		 now = 1000;
	uint32_t		 delay;
	size_t			 i;

	assert_false(resolvedpass_step(rp, now, &delay));
	assert_int_equal(fake.n, 1);
	for (i = 0; i < 4; i++) {
		answer_read(i, RBUS_E_NO_LINK, NULL);
		assert_false(resolvedpass_step(rp, now, &delay));
		assert_int_equal(delay, waits[i]);
		/* Not before its time. */
		assert_false(resolvedpass_step(rp, now + waits[i] - 1, &delay));
		assert_int_equal(fake.n, i + 1);
		now += waits[i];
		assert_false(resolvedpass_step(rp, now, &delay));
		assert_int_equal(fake.n, i + 2);
	}
	answer_read(4, RBUS_E_NO_LINK, NULL);
	assert_true(resolvedpass_step(rp, now, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_FAILED);
	assert_string_equal(resolvedpass_reason(rp), "Unknown object");
	assert_true(traced(fx, "ResolvedFailed"));
	resolvedpass_free(rp);
}

static void
rp_counts_setters_that_worked_when_one_fails(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp = start(fx, fx->rule, false, FAKE_BUS);
	struct resolved_link	 empty;
	uint32_t		 delay;

	memset(&empty, 0, sizeof(empty));
	assert_false(decide(rp, &empty));
	/* All three: a link set anew gets the default route explicitly. */
	assert_int_equal(fake.n, 4);
	assert_int_equal(fake.req[1].kind, RESOLVED_SET_DNS);
	assert_int_equal(fake.req[2].kind, RESOLVED_SET_DOMAINS);
	assert_int_equal(fake.req[3].kind, RESOLVED_SET_DEFAULT_ROUTE);
	answer_set(1, RBUS_OK);
	answer_set(2, RBUS_OK);
	assert_false(resolvedpass_step(rp, 0, &delay));
	answer_set(3, 13);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_FAILED);
	assert_int_equal(resolvedpass_writes(rp), 2);
	assert_string_equal(resolvedpass_reason(rp), "Access denied");
	/* Not all set: nothing recorded, so nothing is ever reverted. */
	assert_null(tu_slurp(fx->record, NULL));
	resolvedpass_free(rp);
}

static void
rp_records_what_it_set_and_then_reads_unchanged(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp = start(fx, fx->rule, false, FAKE_BUS);
	struct resolved_link	 empty, want;
	struct resolved_record	 rec;
	struct dwerr		 err;
	uint32_t		 delay;
	size_t			 len;
	char			*text;

	memset(&empty, 0, sizeof(empty));
	assert_false(decide(rp, &empty));
	answer_set(1, RBUS_OK);
	answer_set(2, RBUS_OK);
	answer_set(3, RBUS_OK);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_CHANGED);
	assert_int_equal(resolvedpass_writes(rp), 3);
	assert_true(traced(fx, "ResolvedLinkSet"));
	assert_int_equal(resolvedpass_ifindex(rp), FAKE_IFINDEX);
	assert_string_equal(resolvedpass_link(rp), "tun0");
	resolvedpass_free(rp);

	text = tu_slurp(fx->record, &len);
	assert_non_null(text);
	assert_int_equal(resolved_record_parse(text, len, fx->record, &rec,
	    &err), 0);
	free(text);
	rule_link(&want);
	assert_true(resolved_same(&rec.set, &want));
	assert_string_equal(rec.link, "tun0");
	resolved_record_clear(&rec);

	/* The next pass finds it right: one read, no setter. */
	fake.n = 0;
	rp = start(fx, fx->rule, false, FAKE_BUS);
	assert_true(decide(rp, &want));
	assert_int_equal(fake.n, 1);
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_NOOP);
	assert_int_equal(resolvedpass_writes(rp), 0);
	assert_true(traced(fx, "ResolvedUnchanged"));
	resolvedpass_free(rp);
	resolved_link_clear(&want);
}

static void
rp_resolved_gone_before_the_set_is_unavailable(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp = start(fx, fx->rule, false, FAKE_BUS);
	struct resolved_link	 empty;
	uint32_t		 delay;

	memset(&empty, 0, sizeof(empty));
	assert_false(decide(rp, &empty));
	answer_set(1, RBUS_E_UNAVAILABLE);
	answer_set(2, RBUS_E_UNAVAILABLE);
	answer_set(3, RBUS_E_UNAVAILABLE);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_UNAVAILABLE);
	/* The reply's own words, not an empty reason. */
	assert_string_equal(resolvedpass_reason(rp), "Access denied");
	assert_true(traced(fx, "ResolvedUnavailable"));
	resolvedpass_free(rp);
}

static void
rp_guard_ends_a_pass_whose_reply_never_comes(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp = start(fx, fx->rule, false, FAKE_BUS);
	struct resolved_link	 empty;
	uint32_t		 delay;

	memset(&empty, 0, sizeof(empty));
	fake.timeout_ms = 50;
	assert_false(resolvedpass_step(rp, 1000, &delay));
	/* sd-bus's own timeout first, and never past the guard. */
	assert_int_equal(delay, 51);
	fake.timeout_ms = UINT32_MAX;
	assert_false(resolvedpass_step(rp, 1000 + RBUS_CALL_TIMEOUT_MS, &delay));
	assert_int_equal(delay, 1000);
	assert_true(resolvedpass_step(rp, 1000 + RBUS_CALL_TIMEOUT_MS + 1000,
	    &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_FAILED);
	assert_string_equal(resolvedpass_reason(rp), "no answer from resolved");
	/* The late reply finds the request let go. */
	assert_true(fake.req[0].freed);
	answer_read(0, RBUS_OK, &empty);
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_FAILED);
	resolvedpass_free(rp);
}

static void
rp_reverts_only_what_the_record_proves_ours(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp;
	struct resolved_record	 rec;
	struct resolved_link	 live, other;
	const unsigned char	 b[4] = { 10, 0, 0, 9 };
	uint32_t		 delay;
	char			*text;

	rule_link(&live);
	/* No record: the settings are not provably ours. */
	rp = start(fx, fx->none, false, FAKE_BUS);
	assert_true(decide(rp, &live));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_LEFT);
	assert_int_equal(fake.n, 1);
	assert_true(traced(fx, "ResolvedLinkLeft"));
	resolvedpass_free(rp);

	/* The record says exactly this. */
	memset(&rec, 0, sizeof(rec));
	rec.link = (char *)"tun0";
	rec.ifindex = FAKE_IFINDEX;
	rec.set = live;
	text = resolved_record_json(&rec);
	assert_non_null(text);
	tu_put(fx->record, text, strlen(text));
	free(text);

	/* Plan: says it would revert, and sends nothing. */
	fake.n = 0;
	rp = start(fx, fx->none, true, FAKE_BUS);
	assert_true(decide(rp, &live));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_CHANGED);
	assert_int_equal(fake.n, 1);
	resolvedpass_free(rp);

	/* A server added by someone else: not exactly ours, left. */
	fake.n = 0;
	rule_link(&other);
	assert_int_equal(resolved_link_add_server(&other, 4, b), 0);
	rp = start(fx, fx->none, false, FAKE_BUS);
	assert_true(decide(rp, &other));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_LEFT);
	assert_int_equal(fake.n, 1);
	resolvedpass_free(rp);
	resolved_link_clear(&other);

	/* Exactly ours: RevertLink, and the record goes. */
	fake.n = 0;
	rp = start(fx, fx->none, false, FAKE_BUS);
	assert_false(decide(rp, &live));
	assert_int_equal(fake.n, 2);
	assert_int_equal(fake.req[1].kind, 0);
	answer_set(1, RBUS_OK);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_CHANGED);
	assert_int_equal(resolvedpass_writes(rp), 1);
	assert_true(traced(fx, "ResolvedLinkReverted"));
	assert_null(tu_slurp(fx->record, NULL));
	resolvedpass_free(rp);
	resolved_link_clear(&live);
}

static void
rp_without_a_bus_or_a_link(void **state)
{
	struct fx		*fx = *state;
	struct resolvedpass	*rp;
	uint32_t		 delay;

	rp = start(fx, fx->rule, false, NULL);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_UNAVAILABLE);
	assert_string_equal(resolvedpass_reason(rp), "no bus here");
	assert_true(traced(fx, "ResolvedUnavailable"));
	resolvedpass_free(rp);

	fake.ifindex = 0;
	rp = start(fx, fx->rule, false, FAKE_BUS);
	assert_true(resolvedpass_step(rp, 0, &delay));
	assert_int_equal(resolvedpass_result(rp), RESOLVEDPASS_ABSENT);
	assert_int_equal(fake.n, 0);
	assert_true(traced(fx, "ResolvedLinkAbsent"));
	resolvedpass_free(rp);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(rp_retries_a_link_resolved_does_not_know_then_fails),
		T(rp_counts_setters_that_worked_when_one_fails),
		T(rp_records_what_it_set_and_then_reads_unchanged),
		T(rp_resolved_gone_before_the_set_is_unavailable),
		T(rp_guard_ends_a_pass_whose_reply_never_comes),
		T(rp_reverts_only_what_the_record_proves_ours),
		T(rp_without_a_bus_or_a_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
