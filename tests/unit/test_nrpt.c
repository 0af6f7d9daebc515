/*
 * Unit tests for the NRPT planner and applier, against a fake store that
 * keeps its rules and ownership record in memory and logs every call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrpt.h"

#define TEST_COMMENT	"dnswatchdog"
#define TEST_VERSION	1u
#define TEST_RULES	4u	/* desired_nrpt entries per test */
#define TEST_POOL	1024u	/* allocations a test context owns */
#define FAKE_RULES	16u
#define FAKE_IDS	16u
#define FAKE_LOG	32u
#define FAKE_LINE	512u
#define FAKE_EIO	5	/* code the fake store fails with */

/* The fake store: a rule table, an ownership record, and a call log. */
struct fake_store {
	struct nrpt_rule	 rules[FAKE_RULES];
	size_t			 nrules;
	char			 record[FAKE_IDS][NRPT_ID_BYTES];
	size_t			 nrecord;
	char			 log[FAKE_LOG][FAKE_LINE];
	size_t			 nlog;
	unsigned		 writes;	/* rule_write calls so far */
	unsigned		 fail_write;	/* this write fails (1-based); 0 none */
	const char		*fail_delete;	/* deleting this ID fails */
	bool			 fail_record;	/* every record_set fails */
};

/* Deterministic rule IDs: the script first, then "{N1}", "{N2}", ... */
struct idgen {
	const char	*script[8];
	size_t		 nscript;
	const char	*always;	/* when set, returned on every call */
	unsigned	 calls;
	unsigned	 next;
};

struct tctx {
	struct fake_store	 fs;
	struct desired_state	 ds;
	struct desired_nrpt	 nrpt[TEST_RULES];
	struct nrpt_params	 params;
	struct idgen		 gen;
	struct nrpt_live	 live;
	struct nrpt_plan	*plan;
	struct nrpt_apply_result res;
	struct dwerr		 err;
	void			*pool[TEST_POOL];
	size_t			 npool;
	char			 line[4096];	/* rendered plan or record */
};

static char *
xstrdup(const char *s)
{
	char	*p;
	size_t	 n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static void
fake_log(struct fake_store *fs, const char *fmt, ...) DW_PRINTF(2, 3);

static void
fake_log(struct fake_store *fs, const char *fmt, ...)
{
	va_list	 ap;

	assert_true(fs->nlog < FAKE_LOG);
	va_start(ap, fmt);
	vsnprintf(fs->log[fs->nlog++], FAKE_LINE, fmt, ap);
	va_end(ap);
}

static struct nrpt_rule *
fake_get(struct fake_store *fs, const char *id)
{
	const char	*a, *b;
	size_t		 i;

	/* Registry key names compare ignoring case. */
	for (i = 0; i < fs->nrules; i++) {
		for (a = fs->rules[i].id, b = id; *a != '\0' &&
		    tolower((unsigned char)*a) == tolower((unsigned char)*b);
		    a++, b++)
			;
		if (*a == '\0' && *b == '\0')
			return &fs->rules[i];
	}
	return NULL;
}

/* Splits a space-separated list into a malloc'd array of malloc'd strings. */
static char **
split(const char *list, size_t *n)
{
	char		**v;
	const char	 *p, *q;
	size_t		  max = 1, k = 0;

	for (p = list; *p != '\0'; p++)
		max += *p == ' ';
	v = calloc(max, sizeof(*v));
	assert_non_null(v);
	for (p = list; *p != '\0'; p = q) {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if (q == p)
			break;
		v[k] = malloc((size_t)(q - p) + 1);
		assert_non_null(v[k]);
		memcpy(v[k], p, (size_t)(q - p));
		v[k][q - p] = '\0';
		k++;
	}
	*n = k;
	return v;
}

/* Puts a rule into the fake table with the values this watchdog writes;
 * tests then spoil single values. */
static struct nrpt_rule *
fake_put(struct fake_store *fs, const char *id, const char *names,
    const char *servers)
{
	struct nrpt_rule	*r;

	assert_true(fs->nrules < FAKE_RULES);
	r = &fs->rules[fs->nrules++];
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(id);
	r->names = split(names, &r->nnames);
	r->servers = xstrdup(servers);
	r->version = TEST_VERSION;
	r->has_version = true;
	r->config_options = NRPT_CONFIG_GENERIC_DNS;
	r->has_config_options = true;
	r->comment = xstrdup(TEST_COMMENT);
	r->ipsec_ca = xstrdup("");
	r->display = xstrdup("");
	return r;
}

/* Sets the ownership record from a space-separated list of IDs. */
static void
fake_own(struct fake_store *fs, const char *ids)
{
	char	**v;
	size_t	  n, i;

	v = split(ids, &n);
	assert_true(n <= FAKE_IDS);
	for (i = 0; i < n; i++) {
		snprintf(fs->record[i], NRPT_ID_BYTES, "%s", v[i]);
		free(v[i]);
	}
	free(v);
	fs->nrecord = n;
}

static int
fake_record_set(void *ctx, char *const *ids, size_t nids, struct dwerr *err)
{
	struct fake_store	*fs = ctx;
	char			 line[FAKE_LINE];
	size_t			 i, len;

	len = (size_t)snprintf(line, sizeof(line), "record:");
	for (i = 0; i < nids && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
		    i > 0 ? "," : "", ids[i]);
	fake_log(fs, "%s", line);
	if (fs->fail_record) {
		dwerr_set(err, FAKE_EIO, "cannot set the record");
		return -1;
	}
	assert_true(nids <= FAKE_IDS);
	for (i = 0; i < nids; i++)
		snprintf(fs->record[i], NRPT_ID_BYTES, "%s", ids[i]);
	fs->nrecord = nids;
	return 0;
}

static int
fake_rule_write(void *ctx, const struct nrpt_rule *want, unsigned values,
    struct dwerr *err)
{
	struct fake_store	*fs = ctx;
	struct nrpt_rule	*r;
	size_t			 i;

	fake_log(fs, "write:%s:0x%02x", want->id, values);
	if (++fs->writes == fs->fail_write) {
		dwerr_set(err, FAKE_EIO, "cannot write %s", want->id);
		return -1;
	}
	if ((r = fake_get(fs, want->id)) == NULL) {
		assert_true(fs->nrules < FAKE_RULES);
		r = &fs->rules[fs->nrules++];
		memset(r, 0, sizeof(*r));
		r->id = xstrdup(want->id);
	}
	if (values & NRPT_V_NAME) {
		for (i = 0; i < r->nnames; i++)
			free(r->names[i]);
		free(r->names);
		r->names = calloc(want->nnames + 1, sizeof(*r->names));
		assert_non_null(r->names);
		for (i = 0; i < want->nnames; i++)
			r->names[i] = xstrdup(want->names[i]);
		r->nnames = want->nnames;
	}
	if (values & NRPT_V_SERVERS) {
		free(r->servers);
		r->servers = xstrdup(want->servers);
	}
	if (values & NRPT_V_VERSION) {
		r->version = want->version;
		r->has_version = true;
	}
	if (values & NRPT_V_CONFIG) {
		r->config_options = want->config_options;
		r->has_config_options = true;
	}
	if (values & NRPT_V_COMMENT) {
		free(r->comment);
		r->comment = xstrdup(want->comment);
	}
	if (values & NRPT_V_IPSECCA) {
		free(r->ipsec_ca);
		r->ipsec_ca = xstrdup(want->ipsec_ca);
	}
	if (values & NRPT_V_DISPLAY) {
		free(r->display);
		r->display = xstrdup(want->display);
	}
	return 0;
}

static int
fake_rule_delete(void *ctx, const char *id, struct dwerr *err)
{
	struct fake_store	*fs = ctx;
	struct nrpt_rule	*r;

	fake_log(fs, "delete:%s", id);
	if (fs->fail_delete != NULL && strcmp(fs->fail_delete, id) == 0) {
		dwerr_set(err, FAKE_EIO, "cannot delete %s", id);
		return -1;
	}
	if ((r = fake_get(fs, id)) == NULL)
		return 0;
	nrpt_rule_clear(r);
	*r = fs->rules[--fs->nrules];
	memset(&fs->rules[fs->nrules], 0, sizeof(fs->rules[fs->nrules]));
	return 0;
}

static const struct nrpt_store_ops fake_ops = {
	fake_record_set,
	fake_rule_write,
	fake_rule_delete
};

/* Reads the fake store the way the registry store would: a deep copy. */
static void
fake_live(const struct fake_store *fs, struct nrpt_live *live)
{
	const struct nrpt_rule	*s;
	struct nrpt_rule	*d;
	size_t			 i, k;

	memset(live, 0, sizeof(*live));
	live->rules = calloc(fs->nrules + 1, sizeof(*live->rules));
	live->owned = calloc(fs->nrecord + 1, sizeof(*live->owned));
	assert_non_null(live->rules);
	assert_non_null(live->owned);
	for (i = 0; i < fs->nrules; i++) {
		s = &fs->rules[i];
		d = &live->rules[live->nrules++];
		*d = *s;
		d->id = xstrdup(s->id);
		d->names = calloc(s->nnames + 1, sizeof(*d->names));
		assert_non_null(d->names);
		for (k = 0; k < s->nnames; k++)
			d->names[k] = xstrdup(s->names[k]);
		d->servers = xstrdup(s->servers);
		d->comment = xstrdup(s->comment);
		d->ipsec_ca = xstrdup(s->ipsec_ca);
		d->display = s->display != NULL ? xstrdup(s->display) : NULL;
	}
	for (i = 0; i < fs->nrecord; i++)
		live->owned[live->nowned++] = xstrdup(fs->record[i]);
}

static void
gen_id(void *ctx, char id[NRPT_ID_BYTES])
{
	struct idgen	*g = ctx;

	if (g->always != NULL)
		snprintf(id, NRPT_ID_BYTES, "%s", g->always);
	else if (g->calls < g->nscript)
		snprintf(id, NRPT_ID_BYTES, "%s", g->script[g->calls]);
	else
		snprintf(id, NRPT_ID_BYTES, "{N%u}", ++g->next);
	g->calls++;
}

static int
setup(void **state)
{
	struct tctx	*t;

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->ds.nrpt = t->nrpt;
	t->params.version = TEST_VERSION;
	t->params.comment = TEST_COMMENT;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < t->fs.nrules; i++)
		nrpt_rule_clear(&t->fs.rules[i]);
	nrpt_live_clear(&t->live);
	nrpt_plan_free(t->plan);
	for (i = 0; i < t->npool; i++)
		free(t->pool[i]);
	free(t);
	return 0;
}

static void *
keep(struct tctx *t, void *p)
{
	assert_true(t->npool < TEST_POOL);
	t->pool[t->npool++] = p;
	return p;
}

/* Adds a desired rule from space-separated domains and servers. */
static void
want_rule(struct tctx *t, const char *domains, const char *servers)
{
	struct desired_nrpt	*dn;
	size_t			 i;

	assert_true(t->ds.nnrpt < TEST_RULES);
	dn = &t->nrpt[t->ds.nnrpt++];
	dn->domains = keep(t, split(domains, &dn->ndomains));
	for (i = 0; i < dn->ndomains; i++)
		keep(t, dn->domains[i]);
	dn->servers = keep(t, split(servers, &dn->nservers));
	for (i = 0; i < dn->nservers; i++)
		keep(t, dn->servers[i]);
}

/* Adds a desired rule with n domains ".d000.coder", ".d001.coder", ... */
static void
want_many(struct tctx *t, size_t n, const char *servers)
{
	struct desired_nrpt	*dn;
	char			 name[32];
	size_t			 i;

	want_rule(t, "", servers);
	dn = &t->nrpt[t->ds.nnrpt - 1];
	dn->domains = keep(t, calloc(n + 1, sizeof(*dn->domains)));
	assert_non_null(dn->domains);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), ".d%03zu.coder", i);
		dn->domains[i] = keep(t, xstrdup(name));
	}
	dn->ndomains = n;
}

/* Reads the fake store and plans against t->ds. */
static int
plan(struct tctx *t)
{
	nrpt_live_clear(&t->live);
	fake_live(&t->fs, &t->live);
	nrpt_plan_free(t->plan);
	t->plan = NULL;
	dwerr_reset(&t->err);
	return nrpt_plan_make(&t->ds, &t->live, &t->params, gen_id, &t->gen,
	    &t->plan, &t->err);
}

/* Applies t->plan with a fresh call log. */
static int
apply(struct tctx *t)
{
	t->fs.nlog = 0;
	dwerr_reset(&t->err);
	return nrpt_apply(t->plan, &t->live, &fake_ops, &t->fs, &t->res,
	    &t->err);
}

static int
reconcile(struct tctx *t)
{
	assert_int_equal(plan(t), 0);
	return apply(t);
}

/* The plan as "op:id[:values] ...". */
static const char *
plan_str(struct tctx *t)
{
	const struct nrpt_action	*a;
	size_t				 i, len = 0;

	t->line[0] = '\0';
	for (i = 0; i < t->plan->nactions; i++) {
		a = &t->plan->actions[i];
		len += (size_t)snprintf(t->line + len, sizeof(t->line) - len,
		    "%s%s:%s", i > 0 ? " " : "", nrpt_op_name(a->op),
		    a->want.id);
		if (a->op == NRPT_OP_UPDATE || a->op == NRPT_OP_CREATE)
			len += (size_t)snprintf(t->line + len,
			    sizeof(t->line) - len, ":0x%02x", a->values);
		assert_true(len < sizeof(t->line));
	}
	return t->line;
}

static const char *
owned_after_str(struct tctx *t)
{
	size_t	 i, len = 0;

	t->line[0] = '\0';
	for (i = 0; i < t->plan->nowned_after; i++)
		len += (size_t)snprintf(t->line + len, sizeof(t->line) - len,
		    "%s%s", i > 0 ? "," : "", t->plan->owned_after[i]);
	return t->line;
}

static const char *
record_str(struct tctx *t)
{
	size_t	 i, len = 0;

	t->line[0] = '\0';
	for (i = 0; i < t->fs.nrecord; i++)
		len += (size_t)snprintf(t->line + len, sizeof(t->line) - len,
		    "%s%s", i > 0 ? "," : "", t->fs.record[i]);
	return t->line;
}

/* Checks the store calls of the last apply against a NULL-ended list. */
static void
expect_log(struct tctx *t, const char *const *want)
{
	size_t	 i, n;
	bool	 same;

	for (n = 0; want[n] != NULL; n++)
		;
	same = n == t->fs.nlog;
	for (i = 0; same && i < n; i++)
		same = strcmp(want[i], t->fs.log[i]) == 0;
	for (i = 0; !same && (i < n || i < t->fs.nlog); i++)
		print_message("  want %-32s got %s\n", i < n ? want[i] : "-",
		    i < t->fs.nlog ? t->fs.log[i] : "-");
	assert_int_equal(t->fs.nlog, n);
	for (i = 0; i < n; i++)
		assert_string_equal(t->fs.log[i], want[i]);
}

#define LOG(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NOLOG		((const char *const[]){ NULL })

static void
nrpt_fresh_install_records_then_writes_all_values(void **state)
{
	struct tctx		*t = *state;
	struct nrpt_rule	*r;

	want_rule(t, ".coder", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "create:{N1}:0x7f");
	assert_false(nrpt_plan_is_noop(t->plan));
	assert_string_equal(owned_after_str(t), "{N1}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{N1}", "write:{N1}:0x7f"));
	assert_int_equal(t->res.values_written, 7);
	assert_int_equal(t->res.rules_written, 1);
	assert_int_equal(t->res.rules_deleted, 0);
	assert_false(t->res.deletes_skipped);

	assert_non_null(r = fake_get(&t->fs, "{N1}"));
	assert_int_equal(r->nnames, 1);
	assert_string_equal(r->names[0], ".coder");
	assert_string_equal(r->servers, "10.0.0.1");
	assert_true(r->has_version);
	assert_int_equal(r->version, TEST_VERSION);
	assert_true(r->has_config_options);
	assert_int_equal(r->config_options, NRPT_CONFIG_GENERIC_DNS);
	assert_string_equal(r->comment, TEST_COMMENT);
	assert_string_equal(r->ipsec_ca, "");
	assert_string_equal(r->display, "");
	assert_string_equal(record_str(t), "{N1}");
}

static void
nrpt_second_plan_after_apply_is_noop_with_no_store_calls(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, ".coder .corp.example", "10.0.0.1 fd00::53");
	assert_int_equal(reconcile(t), 0);
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{N1}");
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(apply(t), 0);
	expect_log(t, NOLOG);
	assert_int_equal(t->res.values_written, 0);
	assert_int_equal(t->res.rules_written, 0);
	assert_int_equal(t->gen.calls, 1);
}

static void
nrpt_splits_120_domains_into_rules_of_50_50_20(void **state)
{
	struct tctx			*t = *state;
	const struct nrpt_action	*a;

	want_many(t, 120, "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t),
	    "create:{N1}:0x7f create:{N2}:0x7f create:{N3}:0x7f");
	a = t->plan->actions;
	assert_int_equal(a[0].want.nnames, 50);
	assert_int_equal(a[1].want.nnames, 50);
	assert_int_equal(a[2].want.nnames, 20);
	assert_string_equal(a[0].want.names[0], ".d000.coder");
	assert_string_equal(a[0].want.names[49], ".d049.coder");
	assert_string_equal(a[1].want.names[0], ".d050.coder");
	assert_string_equal(a[2].want.names[19], ".d119.coder");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{N1},{N2},{N3}", "write:{N1}:0x7f",
	    "write:{N2}:0x7f", "write:{N3}:0x7f"));
	assert_int_equal(t->res.rules_written, 3);
	assert_int_equal(t->res.values_written, 21);

	assert_int_equal(plan(t), 0);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
nrpt_splits_at_exactly_50_names(void **state)
{
	struct tctx	*t = *state;

	want_many(t, 50, "10.0.0.1");
	want_many(t, 51, "10.0.0.2");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t),
	    "create:{N1}:0x7f create:{N2}:0x7f create:{N3}:0x7f");
	assert_int_equal(t->plan->actions[0].want.nnames, 50);
	assert_int_equal(t->plan->actions[1].want.nnames, 50);
	assert_int_equal(t->plan->actions[2].want.nnames, 1);
	assert_string_equal(t->plan->actions[0].want.servers, "10.0.0.1");
	assert_string_equal(t->plan->actions[2].want.servers, "10.0.0.2");
}

static void
nrpt_reuses_owned_id_when_domains_change_writing_only_name(void **state)
{
	struct tctx		*t = *state;
	struct nrpt_rule	*r;

	fake_put(&t->fs, "{A}", ".a .b", "10.0.0.1");
	fake_own(&t->fs, "{A}");
	want_rule(t, ".a .c", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "update:{A}:0x01");
	assert_string_equal(owned_after_str(t), "{A}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("write:{A}:0x01"));
	assert_int_equal(t->res.values_written, 1);
	assert_int_equal(t->gen.calls, 0);
	r = fake_get(&t->fs, "{A}");
	assert_int_equal(r->nnames, 2);
	assert_string_equal(r->names[1], ".c");
	assert_string_equal(record_str(t), "{A}");
}

static void
nrpt_servers_change_writes_only_servers(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A}");
	want_rule(t, ".a", "10.0.0.2");
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x02"));
	assert_string_equal(fake_get(&t->fs, "{A}")->servers, "10.0.0.2");
}

static void
nrpt_joins_servers_with_semicolon_without_space(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, ".a", "10.0.0.1 fd00::53 10.0.0.2");
	assert_int_equal(reconcile(t), 0);
	assert_string_equal(t->plan->actions[0].want.servers,
	    "10.0.0.1;fd00::53;10.0.0.2");
	assert_string_equal(fake_get(&t->fs, "{N1}")->servers,
	    "10.0.0.1;fd00::53;10.0.0.2");
}

static void
nrpt_adopts_exact_foreign_rule_without_touching_it(void **state)
{
	struct tctx		*t = *state;
	struct nrpt_rule	*f;

	f = fake_put(&t->fs, "{F}", ".a .b", "10.0.0.1;10.0.0.2");
	f->version = 2;			/* other values are not ours to judge */
	free(f->comment);
	f->comment = xstrdup("someone else");
	free(f->ipsec_ca);
	f->ipsec_ca = NULL;
	f->config_options = 0xA;
	want_rule(t, ".b .a", "10.0.0.1 10.0.0.2");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "adopt:{F}");
	assert_int_equal(t->plan->actions[0].values, 0);
	assert_string_equal(owned_after_str(t), "");
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(apply(t), 0);
	expect_log(t, NOLOG);
	assert_int_equal(t->fs.nrecord, 0);

	/* No longer wanted: still not ours to delete. */
	t->ds.nnrpt = 0;
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "");
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(apply(t), 0);
	expect_log(t, NOLOG);
	assert_non_null(fake_get(&t->fs, "{F}"));
}

static void
nrpt_prefers_owned_rule_over_adopting_foreign(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{F}", ".a", "10.0.0.1");
	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A}");
	want_rule(t, ".a", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{A}");
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
nrpt_does_not_adopt_foreign_rule_with_spaced_separator(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{F}", ".a", "10.0.0.1; 10.0.0.2");
	want_rule(t, ".a", "10.0.0.1 10.0.0.2");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "create:{N1}:0x7f");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{N1}", "write:{N1}:0x7f"));
	assert_string_equal(fake_get(&t->fs, "{F}")->servers,
	    "10.0.0.1; 10.0.0.2");
}

static void
nrpt_does_not_adopt_foreign_rule_without_generic_dns_bit(void **state)
{
	struct tctx		*t = *state;
	struct nrpt_rule	*f, *g;

	f = fake_put(&t->fs, "{F}", ".a", "10.0.0.1");
	f->config_options = 0x2;
	g = fake_put(&t->fs, "{G}", ".a", "10.0.0.1");
	g->has_config_options = false;
	want_rule(t, ".a", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "create:{N1}:0x7f");
}

static void
nrpt_leaves_unrelated_foreign_rule_untouched(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{F}", ".corp", "192.0.2.1");
	want_rule(t, ".coder", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "create:{N1}:0x7f");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{N1}", "write:{N1}:0x7f"));
	assert_string_equal(fake_get(&t->fs, "{F}")->names[0], ".corp");
	assert_string_equal(record_str(t), "{N1}");
}

static void
nrpt_deletes_stale_owned_rules_after_all_writes(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".b", "10.0.0.1");
	fake_put(&t->fs, "{C}", ".c", "10.0.0.1");
	fake_own(&t->fs, "{A} {B} {C}");
	want_rule(t, ".a", "10.0.0.2");
	want_rule(t, ".c", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "update:{A}:0x02 keep:{C} delete:{B}");
	assert_string_equal(owned_after_str(t), "{A},{C}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("write:{A}:0x02", "delete:{B}", "record:{A},{C}"));
	assert_int_equal(t->res.rules_written, 1);
	assert_int_equal(t->res.rules_deleted, 1);
	assert_null(fake_get(&t->fs, "{B}"));
	assert_string_equal(record_str(t), "{A},{C}");
}

static void
nrpt_failed_write_skips_deletes_and_keeps_record_superset(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".b", "10.0.0.1");
	fake_own(&t->fs, "{A} {B}");
	want_rule(t, ".a", "10.0.0.2");
	t->fs.fail_write = 1;
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "update:{A}:0x02 delete:{B}");
	assert_int_equal(apply(t), -1);
	expect_log(t, LOG("write:{A}:0x02"));
	assert_int_equal(t->err.code, FAKE_EIO);
	assert_string_equal(t->err.msg, "cannot write {A}");
	assert_true(t->res.deletes_skipped);
	assert_int_equal(t->res.rules_written, 0);
	assert_int_equal(t->res.rules_deleted, 0);
	assert_non_null(fake_get(&t->fs, "{B}"));
	assert_string_equal(record_str(t), "{A},{B}");
}

static void
nrpt_failed_create_leaves_recorded_id_that_next_plan_forgets(void **state)
{
	struct tctx	*t = *state;

	want_many(t, 60, "10.0.0.1");
	t->fs.fail_write = 2;
	assert_int_equal(plan(t), 0);
	assert_int_equal(apply(t), -1);
	expect_log(t, LOG("record:{N1},{N2}", "write:{N1}:0x7f",
	    "write:{N2}:0x7f"));
	assert_true(t->res.deletes_skipped);
	assert_int_equal(t->res.rules_written, 1);
	assert_string_equal(record_str(t), "{N1},{N2}");
	assert_null(fake_get(&t->fs, "{N2}"));

	t->fs.fail_write = 0;
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t),
	    "keep:{N1} create:{N3}:0x7f forget:{N2}");
	assert_string_equal(owned_after_str(t), "{N1},{N3}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{N1},{N2},{N3}", "write:{N3}:0x7f",
	    "record:{N1},{N3}"));
}

static void
nrpt_failed_record_writes_nothing(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, ".a", "10.0.0.1");
	t->fs.fail_record = true;
	assert_int_equal(plan(t), 0);
	assert_int_equal(apply(t), -1);
	expect_log(t, LOG("record:{N1}"));
	assert_int_equal(t->err.code, FAKE_EIO);
	assert_int_equal(t->fs.nrules, 0);
	assert_int_equal(t->res.rules_written, 0);
}

static void
nrpt_failed_delete_keeps_id_in_record(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".b", "10.0.0.1");
	fake_put(&t->fs, "{C}", ".c", "10.0.0.1");
	fake_own(&t->fs, "{A} {B} {C}");
	want_rule(t, ".a", "10.0.0.1");
	t->fs.fail_delete = "{B}";
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{A} delete:{B} delete:{C}");
	assert_int_equal(apply(t), -1);
	expect_log(t, LOG("delete:{B}", "delete:{C}", "record:{A},{B}"));
	assert_int_equal(t->err.code, FAKE_EIO);
	assert_string_equal(t->err.msg, "cannot delete {B}");
	assert_false(t->res.deletes_skipped);
	assert_int_equal(t->res.rules_deleted, 1);
	assert_string_equal(record_str(t), "{A},{B}");
	assert_non_null(fake_get(&t->fs, "{B}"));
	assert_null(fake_get(&t->fs, "{C}"));

	/* Once the delete works, the ID leaves the record. */
	t->fs.fail_delete = NULL;
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("delete:{B}", "record:{A}"));
}

static void
nrpt_failed_delete_of_recorded_id_rewrites_no_record(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{B}", ".b", "10.0.0.1");
	fake_own(&t->fs, "{B} {B}");
	t->fs.fail_delete = "{B}";
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "delete:{B}");
	assert_int_equal(apply(t), -1);
	/* The record already says {B}: nothing to rewrite. */
	expect_log(t, LOG("delete:{B}"));
	assert_int_equal(t->res.rules_deleted, 0);
}

static void
nrpt_forgets_owned_id_without_key(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A} {G}");
	want_rule(t, ".a", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{A} forget:{G}");
	assert_false(nrpt_plan_is_noop(t->plan));
	assert_string_equal(owned_after_str(t), "{A}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("record:{A}"));
	assert_int_equal(t->res.rules_deleted, 0);
}

static void
nrpt_empty_desired_deletes_owned_and_keeps_foreign(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_put(&t->fs, "{F}", ".f", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".b", "10.0.0.1");
	fake_own(&t->fs, "{A} {B}");

	/* No desired state at all plans the same as an empty one. */
	fake_live(&t->fs, &t->live);
	assert_int_equal(nrpt_plan_make(NULL, &t->live, &t->params, gen_id,
	    &t->gen, &t->plan, &t->err), 0);
	assert_string_equal(plan_str(t), "delete:{A} delete:{B}");

	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "delete:{A} delete:{B}");
	assert_string_equal(owned_after_str(t), "");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("delete:{A}", "delete:{B}", "record:"));
	assert_int_equal(t->res.rules_deleted, 2);
	assert_int_equal(t->fs.nrules, 1);
	assert_non_null(fake_get(&t->fs, "{F}"));
	assert_int_equal(t->fs.nrecord, 0);

	assert_int_equal(plan(t), 0);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
nrpt_counts_duplicate_record_ids_once(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A} {A} {a}");
	want_rule(t, ".a", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{A}");
	assert_string_equal(owned_after_str(t), "{A}");
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(apply(t), 0);
	expect_log(t, NOLOG);

	t->ds.nnrpt = 0;
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "delete:{A}");
	assert_int_equal(apply(t), 0);
	expect_log(t, LOG("delete:{A}", "record:"));
}

static void
nrpt_compares_ids_and_names_case_insensitively(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{ABC}", ".CODER .Corp", "FD00::53;10.0.0.1");
	fake_put(&t->fs, "{F}", ".X", "10.0.0.9");
	fake_own(&t->fs, "{abc}");
	want_rule(t, ".corp .coder", "fd00::53 10.0.0.1");
	want_rule(t, ".x", "10.0.0.9");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{ABC} adopt:{F}");
	assert_string_equal(owned_after_str(t), "{abc}");
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(apply(t), 0);
	expect_log(t, NOLOG);
}

static void
nrpt_prefers_exact_owned_match_over_reuse(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".b", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A} {B}");
	want_rule(t, ".a", "10.0.0.1");
	want_rule(t, ".b", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{B} keep:{A}");
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
nrpt_reuses_owned_rule_sharing_most_names(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".x .y", "10.0.0.1");
	fake_put(&t->fs, "{B}", ".a .b .c", "10.0.0.1");
	fake_own(&t->fs, "{A} {B}");
	want_rule(t, ".a .b .d", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "update:{B}:0x01 delete:{A}");
	assert_string_equal(owned_after_str(t), "{B}");
}

static void
nrpt_retries_new_id_on_collision(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{F}", ".f", "10.0.0.1");
	fake_own(&t->fs, "{G}");
	t->gen.script[0] = "{f}";	/* a live rule, in other case */
	t->gen.script[1] = "{G}";	/* a recorded ID */
	t->gen.script[2] = "";		/* no ID at all */
	t->gen.script[3] = "{X}";
	t->gen.script[4] = "{x}";	/* taken by the first chunk */
	t->gen.nscript = 5;
	want_rule(t, ".a", "10.0.0.1");
	want_rule(t, ".b", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t),
	    "create:{X}:0x7f create:{N1}:0x7f forget:{G}");
	assert_int_equal(t->gen.calls, 6);
	assert_string_equal(owned_after_str(t), "{X},{N1}");
}

static void
nrpt_fails_when_new_id_keeps_colliding(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{F}", ".f", "10.0.0.1");
	t->gen.always = "{F}";
	want_rule(t, ".a", "10.0.0.1");
	assert_int_equal(plan(t), -1);
	assert_null(t->plan);
	assert_int_equal(t->err.code, EEXIST);
	assert_true(t->gen.calls > 1 && t->gen.calls < 100);
}

static void
nrpt_rewrites_only_wrong_fixed_values(void **state)
{
	struct tctx		*t = *state;
	struct nrpt_rule	*r;

	r = fake_put(&t->fs, "{A}", ".a", "10.0.0.1");
	fake_own(&t->fs, "{A}");
	want_rule(t, ".a", "10.0.0.1");

	r->version = 2;
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x04"));

	r = fake_get(&t->fs, "{A}");
	r->config_options = 0xA;
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x08"));

	r = fake_get(&t->fs, "{A}");
	free(r->comment);
	r->comment = xstrdup("hand edited");
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x10"));

	r = fake_get(&t->fs, "{A}");
	free(r->ipsec_ca);
	r->ipsec_ca = NULL;
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x20"));
	assert_string_equal(fake_get(&t->fs, "{A}")->ipsec_ca, "");

	/* A rule without DisplayName (one written before it was) gets it,
	 * and nothing else. */
	r = fake_get(&t->fs, "{A}");
	free(r->display);
	r->display = NULL;
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x40"));
	assert_int_equal(t->res.values_written, 1);
	assert_string_equal(fake_get(&t->fs, "{A}")->display, "");

	r = fake_get(&t->fs, "{A}");
	free(r->display);
	r->display = xstrdup("named by hand");
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x40"));

	r = fake_get(&t->fs, "{A}");
	r->has_version = false;
	r->has_config_options = false;
	free(r->comment);
	r->comment = NULL;
	free(r->ipsec_ca);
	r->ipsec_ca = xstrdup("CN=x");
	assert_int_equal(reconcile(t), 0);
	expect_log(t, LOG("write:{A}:0x3c"));
	assert_int_equal(t->res.values_written, 4);

	assert_int_equal(plan(t), 0);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
nrpt_keeps_rule_whose_names_differ_only_in_order(void **state)
{
	struct tctx	*t = *state;

	fake_put(&t->fs, "{A}", ".b .a", "10.0.0.1");
	fake_own(&t->fs, "{A}");
	want_rule(t, ".a .b", "10.0.0.1");
	assert_int_equal(plan(t), 0);
	assert_string_equal(plan_str(t), "keep:{A}");
	assert_string_equal(t->plan->actions[0].want.names[0], ".a");
}

static void
nrpt_op_name_names_every_op(void **state)
{
	(void)state;
	assert_string_equal(nrpt_op_name(NRPT_OP_KEEP), "keep");
	assert_string_equal(nrpt_op_name(NRPT_OP_ADOPT), "adopt");
	assert_string_equal(nrpt_op_name(NRPT_OP_UPDATE), "update");
	assert_string_equal(nrpt_op_name(NRPT_OP_CREATE), "create");
	assert_string_equal(nrpt_op_name(NRPT_OP_DELETE), "delete");
	assert_string_equal(nrpt_op_name(NRPT_OP_FORGET), "forget");
}

static void
nrpt_teardown_accepts_null(void **state)
{
	(void)state;
	nrpt_plan_free(NULL);
	nrpt_rule_clear(NULL);
	nrpt_live_clear(NULL);
	assert_true(nrpt_plan_is_noop(NULL));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(nrpt_fresh_install_records_then_writes_all_values),
		T(nrpt_second_plan_after_apply_is_noop_with_no_store_calls),
		T(nrpt_splits_120_domains_into_rules_of_50_50_20),
		T(nrpt_splits_at_exactly_50_names),
		T(nrpt_reuses_owned_id_when_domains_change_writing_only_name),
		T(nrpt_servers_change_writes_only_servers),
		T(nrpt_joins_servers_with_semicolon_without_space),
		T(nrpt_adopts_exact_foreign_rule_without_touching_it),
		T(nrpt_prefers_owned_rule_over_adopting_foreign),
		T(nrpt_does_not_adopt_foreign_rule_with_spaced_separator),
		T(nrpt_does_not_adopt_foreign_rule_without_generic_dns_bit),
		T(nrpt_leaves_unrelated_foreign_rule_untouched),
		T(nrpt_deletes_stale_owned_rules_after_all_writes),
		T(nrpt_failed_write_skips_deletes_and_keeps_record_superset),
		T(nrpt_failed_create_leaves_recorded_id_that_next_plan_forgets),
		T(nrpt_failed_record_writes_nothing),
		T(nrpt_failed_delete_keeps_id_in_record),
		T(nrpt_failed_delete_of_recorded_id_rewrites_no_record),
		T(nrpt_forgets_owned_id_without_key),
		T(nrpt_empty_desired_deletes_owned_and_keeps_foreign),
		T(nrpt_counts_duplicate_record_ids_once),
		T(nrpt_compares_ids_and_names_case_insensitively),
		T(nrpt_prefers_exact_owned_match_over_reuse),
		T(nrpt_reuses_owned_rule_sharing_most_names),
		T(nrpt_retries_new_id_on_collision),
		T(nrpt_fails_when_new_id_keeps_colliding),
		T(nrpt_rewrites_only_wrong_fixed_values),
		T(nrpt_keeps_rule_whose_names_differ_only_in_order),
		T(nrpt_op_name_names_every_op),
		T(nrpt_teardown_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
