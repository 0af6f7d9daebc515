/*
 * Tests for pass/verify.c: the hosts verification's classes, its cap and
 * rotation, the trace and the JSON report, with the resolver replaced by
 * a table (resolve_set_hook).
 */
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

#include "dwstr.h"
#include "platform.h"
#include "resolve.h"
#include "trace.h"
#include "verify.h"

#define TABLE_MAX	8u
#define ASKED_MAX	256u
#define EVENTS_MAX	8u
#define NSSWITCH	"test_verify.nsswitch.conf"

/* The resolver's answers: one per listed name, NO_NAME for the rest. */
struct table {
	const char		*name[TABLE_MAX];
	enum resolve_status	 status[TABLE_MAX];
	const char		*addr[TABLE_MAX][2];
	size_t			 n;
	const char		*def_addr;	/* answered for any other name */
	char			 asked[ASKED_MAX][64];
	size_t			 nasked;
};

struct events {
	char		 name[EVENTS_MAX][32];
	char		 fields[EVENTS_MAX][512];
	int		 level[EVENTS_MAX];
	unsigned	 keyword[EVENTS_MAX];
	size_t		 n;
};

struct fx {
	struct config		*cfg;
	struct desired_state	*ds;
	struct table		 table;
	struct events		 events;
	struct trace		*trace;
};

static int
table_hook(void *ctx, const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	struct table	*t = ctx;
	const char	*addr[2] = { NULL, NULL };
	size_t		 i, k;

	(void)err;
	assert_null(server);
	assert_true(t->nasked < ASKED_MAX);
	snprintf(t->asked[t->nasked++], sizeof(t->asked[0]), "%s", name);
	ans->status = RESOLVE_NO_NAME;
	if (t->def_addr != NULL) {
		ans->status = RESOLVE_OK;
		addr[0] = t->def_addr;
	}
	for (i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0) {
			ans->status = t->status[i];
			addr[0] = t->addr[i][0];
			addr[1] = t->addr[i][1];
		}
	if (ans->status != RESOLVE_OK)
		return 0;
	ans->addrs = calloc(2, sizeof(char *));
	assert_non_null(ans->addrs);
	for (k = 0; k < 2 && addr[k] != NULL; k++)
		ans->addrs[ans->naddrs++] = dwstr_dup(addr[k]);
	return 0;
}

static void
table_add(struct table *t, const char *name, enum resolve_status st,
    const char *a0, const char *a1)
{
	assert_true(t->n < TABLE_MAX);
	t->name[t->n] = name;
	t->status[t->n] = st;
	t->addr[t->n][0] = a0;
	t->addr[t->n][1] = a1;
	t->n++;
}

static void
events_emit(void *ctx, const struct trace_record *rec)
{
	struct events	*e = ctx;
	size_t		 i, len = 0;
	char		*f;

	assert_true(e->n < EVENTS_MAX);
	snprintf(e->name[e->n], sizeof(e->name[0]), "%s", rec->name);
	e->level[e->n] = rec->level;
	e->keyword[e->n] = rec->keyword;
	f = e->fields[e->n];
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *x = &rec->fields[i];

		if (x->type == TRACE_T_STR)
			len += (size_t)snprintf(f + len, 512 - len, "%s=%s;",
			    x->name, x->v.str != NULL ? x->v.str : "");
		else if (x->type == TRACE_T_U64)
			len += (size_t)snprintf(f + len, 512 - len, "%s=*;",
			    x->name);
		else
			len += (size_t)snprintf(f + len, 512 - len, "%s=%u;",
			    x->name, (unsigned)x->v.u32);
	}
	e->n++;
}

static const struct trace_sink_ops events_ops = { events_emit, NULL };

/* A state of n names "hN.coder" -> 100.64.0.N%250 (one entry per name),
 * or the JSON text given. */
static struct desired_state *
make_ds(const char *json)
{
	struct desired_state	*ds;
	struct dwerr		 err;

	if (desired_parse(json, strlen(json), "test.json", &ds, &err) != 0)
		fail_msg("%s", err.msg);
	return ds;
}

static struct desired_state *
make_many(unsigned n)
{
	char		*json;
	size_t		 len = 0, cap = 64 + (size_t)n * 80;
	unsigned	 i;
	struct desired_state *ds;

	json = malloc(cap);
	assert_non_null(json);
	len += (size_t)snprintf(json, cap, "{\"version\":1,\"hosts\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, cap - len,
		    "%s{\"address\":\"100.64.0.1\",\"names\":[\"h%u.coder\"]}",
		    i > 0 ? "," : "", i);
	snprintf(json + len, cap - len, "]}");
	ds = make_ds(json);
	free(json);
	return ds;
}

static const char two_entries[] =
    "{\"version\":1,\"hosts\":["
    "{\"address\":\"100.64.0.7\",\"names\":[\"dev.coder\",\"db.coder\"]},"
    "{\"address\":\"fd60::7\",\"names\":[\"dev.coder\"]},"
    "{\"address\":\"100.64.0.9\",\"names\":[\"web.coder\"]}]}";

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->cfg = calloc(1, sizeof(*fx->cfg));
	assert_non_null(fx->cfg);
	fx->cfg->hosts_enabled = true;
	fx->cfg->hosts_path = dwstr_dup(platform_default_hosts());
	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	assert_int_equal(trace_add_sink(fx->trace, &events_ops, &fx->events),
	    0);
	resolve_set_hook(table_hook, &fx->table);
	verify_set_nsswitch(NULL);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	resolve_set_hook(NULL, NULL);
	verify_set_nsswitch(NULL);
	remove(NSSWITCH);
	trace_free(fx->trace);
	desired_free(fx->ds);
	config_free(fx->cfg);
	free(fx);
	return 0;
}

static void
verify_all_names_resolve_as_desired(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;

	fx->ds = make_ds(two_entries);
	table_add(&fx->table, "dev.coder", RESOLVE_OK, "fd60::7", "100.64.0.7");
	table_add(&fx->table, "db.coder", RESOLVE_OK, "100.64.0.7", NULL);
	table_add(&fx->table, "web.coder", RESOLVE_OK, "100.64.0.9", NULL);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_true(rep.hosts.ran);
	assert_false(rep.hosts.skipped);
	/* dev.coder is listed twice and asked once. */
	assert_int_equal(rep.hosts.checked, 3);
	assert_int_equal(fx->table.nasked, 3);
	assert_int_equal(rep.hosts.failed, 0);
	assert_int_equal(rep.hosts.cls, VERIFY_OK);
	assert_string_equal(rep.hosts.first_failure, "");
	assert_false(rep.nrpt.ran);
	assert_false(verify_failed(&rep));
}

static void
verify_absent_name_is_name_absent(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;

	fx->ds = make_ds(two_entries);
	table_add(&fx->table, "dev.coder", RESOLVE_OK, "fd60::7", "100.64.0.7");
	table_add(&fx->table, "web.coder", RESOLVE_OK, "100.64.0.9", NULL);
	/* db.coder: not in the table, NO_NAME. */
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, 3);
	assert_int_equal(rep.hosts.failed, 1);
	assert_int_equal(rep.hosts.cls, VERIFY_NAME_ABSENT);
	assert_string_equal(verify_class_name(rep.hosts.cls), "name-absent");
	assert_string_equal(rep.hosts.first_failure, "db.coder");
	assert_non_null(strstr(rep.hosts.detail, "db.coder"));
	assert_true(verify_failed(&rep));
}

static void
verify_other_address_is_address_mismatch(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;

	fx->ds = make_ds(two_entries);
	/* One of dev.coder's two desired addresses is missing. */
	table_add(&fx->table, "dev.coder", RESOLVE_OK, "100.64.0.7", NULL);
	table_add(&fx->table, "db.coder", RESOLVE_OK, "100.64.0.7", NULL);
	table_add(&fx->table, "web.coder", RESOLVE_OK, "10.0.0.1", NULL);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, 3);
	assert_int_equal(rep.hosts.failed, 2);
	assert_int_equal(rep.hosts.cls, VERIFY_ADDRESS_MISMATCH);
	assert_string_equal(rep.hosts.first_failure, "dev.coder");
	assert_non_null(strstr(rep.hosts.detail, "fd60::7"));
}

static void
verify_unreachable_dns_is_name_absent(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;

	fx->ds = make_ds(two_entries);
	fx->table.def_addr = "100.64.0.7";
	table_add(&fx->table, "web.coder", RESOLVE_UNREACHABLE, NULL, NULL);
	table_add(&fx->table, "dev.coder", RESOLVE_OK, "fd60::7", "100.64.0.7");
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.failed, 1);
	assert_int_equal(rep.hosts.cls, VERIFY_NAME_ABSENT);
	assert_string_equal(rep.hosts.first_failure, "web.coder");
}

static void
verify_resolver_without_files_skips_hosts(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;
	FILE			*f;

#ifdef _WIN32
	skip();		/* Windows always reads its hosts file */
#endif
	fx->ds = make_ds(two_entries);
	assert_non_null(f = fopen(NSSWITCH, "w"));
	fputs("passwd: files\nhosts:  dns [NOTFOUND=return]\n", f);
	fclose(f);
	verify_set_nsswitch(NSSWITCH);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, 3);
	assert_int_equal(rep.hosts.failed, 3);
	assert_int_equal(rep.hosts.cls, VERIFY_RESOLVER_SKIPS_HOSTS);
	assert_string_equal(verify_class_name(rep.hosts.cls),
	    "resolver-skips-hosts");
	assert_non_null(strstr(rep.hosts.detail, NSSWITCH));

	/* With files on the line, the same failures are names absent. */
	assert_non_null(f = fopen(NSSWITCH, "w"));
	fputs("hosts: files dns\n", f);
	fclose(f);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.cls, VERIFY_NAME_ABSENT);
}

static void
verify_caps_at_64_and_rotates(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0, i;
	char			 want[32];

	fx->ds = make_many(100);
	fx->table.def_addr = "100.64.0.1";
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, VERIFY_HOSTS_CAP);
	assert_int_equal(fx->table.nasked, 64);
	for (i = 0; i < 64; i++) {
		snprintf(want, sizeof(want), "h%zu.coder", i);
		assert_string_equal(fx->table.asked[i], want);
	}
	assert_int_equal(cursor, 64);

	/* The next run takes the remaining 36, then 28 from the start. */
	fx->table.nasked = 0;
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, 64);
	assert_string_equal(fx->table.asked[0], "h64.coder");
	assert_string_equal(fx->table.asked[35], "h99.coder");
	assert_string_equal(fx->table.asked[36], "h0.coder");
	assert_string_equal(fx->table.asked[63], "h27.coder");
	assert_int_equal(cursor, 28);
	assert_int_equal(rep.hosts.failed, 0);
}

static void
verify_fewer_names_than_the_cap_are_all_checked_once(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 2;

	fx->ds = make_many(5);
	fx->table.def_addr = "100.64.0.1";
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_int_equal(rep.hosts.checked, 5);
	assert_string_equal(fx->table.asked[0], "h2.coder");
	assert_string_equal(fx->table.asked[4], "h1.coder");
}

static void
verify_other_file_is_skipped_not_failed(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;

	fx->ds = make_ds(two_entries);
	free(fx->cfg->hosts_path);
	fx->cfg->hosts_path = dwstr_dup("test_verify.hosts");
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_true(rep.hosts.ran);
	assert_true(rep.hosts.skipped);
	assert_int_equal(rep.hosts.cls, VERIFY_NOT_SYSTEM_FILE);
	assert_int_equal(rep.hosts.checked, 0);
	assert_int_equal(fx->table.nasked, 0);
	assert_false(verify_failed(&rep));
}

static void
verify_nothing_to_verify_does_not_run(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;
	cJSON			*j;

	fx->ds = make_ds("{\"version\":1}");
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_false(rep.hosts.ran);
	desired_free(fx->ds);
	fx->ds = make_ds(two_entries);
	fx->cfg->hosts_enabled = false;
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	assert_false(rep.hosts.ran);
	assert_int_equal(fx->table.nasked, 0);
	verify_trace(fx->trace, &rep);
	assert_int_equal(fx->events.n, 0);
	assert_non_null(j = verify_report_json(&rep));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "hosts"));
	cJSON_Delete(j);
}

static void
verify_trace_and_json_say_what_failed(void **state)
{
	struct fx		*fx = *state;
	struct verify_report	 rep;
	size_t			 cursor = 0;
	cJSON			*j, *h;

	fx->ds = make_ds(two_entries);
	table_add(&fx->table, "dev.coder", RESOLVE_OK, "fd60::7", "100.64.0.7");
	table_add(&fx->table, "web.coder", RESOLVE_OK, "100.64.0.9", NULL);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	verify_trace(fx->trace, &rep);
	assert_int_equal(fx->events.n, 1);
	assert_string_equal(fx->events.name[0], "VerifyResult");
	assert_int_equal(fx->events.level[0], TRACE_LVL_WARNING);
	assert_int_equal(fx->events.keyword[0], TRACE_KW_VERIFY);
	assert_string_equal(fx->events.fields[0], "artifact=hosts;checked=3;"
	    "failed=1;first_failure=db.coder;class=name-absent;"
	    "duration_us=*;");

	assert_non_null(j = verify_report_json(&rep));
	assert_non_null(h = cJSON_GetObjectItemCaseSensitive(j, "hosts"));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "nrpt"));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(h,
	    "verified")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(h,
	    "skipped")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(h,
	    "checked")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(h,
	    "failed")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(h,
	    "class")->valuestring, "name-absent");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(h,
	    "first_failure")->valuestring, "db.coder");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(h, "detail"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(h, "duration_us"));
	cJSON_Delete(j);

	/* All well: Information, verified true, no failure named. */
	table_add(&fx->table, "db.coder", RESOLVE_OK, "100.64.0.7", NULL);
	assert_int_equal(verify_run(fx->cfg, fx->ds, &cursor, &rep), 0);
	verify_trace(fx->trace, &rep);
	assert_int_equal(fx->events.level[1], TRACE_LVL_INFO);
	assert_non_null(strstr(fx->events.fields[1], "class=ok;"));
	assert_non_null(j = verify_report_json(&rep));
	h = cJSON_GetObjectItemCaseSensitive(j, "hosts");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h,
	    "verified")));
	assert_null(cJSON_GetObjectItemCaseSensitive(h, "first_failure"));
	cJSON_Delete(j);
}

static void
verify_job_runs_on_its_own_copies(void **state)
{
	struct fx		*fx = *state;
	struct verify_job	*job;
	const struct verify_report *rep;

	fx->ds = make_many(70);
	fx->table.def_addr = "100.64.0.1";
	assert_non_null(job = verify_job_new(fx->cfg, fx->ds, 60));
	/* What the job copied outlives the originals. */
	desired_free(fx->ds);
	fx->ds = NULL;
	config_free(fx->cfg);
	fx->cfg = NULL;
	verify_job_run(job);
	assert_int_equal(verify_job_rc(job), 0);
	rep = verify_job_report(job);
	assert_int_equal(rep->hosts.checked, 64);
	assert_int_equal(rep->hosts.failed, 0);
	assert_string_equal(fx->table.asked[0], "h60.coder");
	assert_int_equal(verify_job_cursor(job), 54);
	verify_job_free(job);
	verify_job_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(verify_all_names_resolve_as_desired),
		T(verify_absent_name_is_name_absent),
		T(verify_other_address_is_address_mismatch),
		T(verify_unreachable_dns_is_name_absent),
		T(verify_resolver_without_files_skips_hosts),
		T(verify_caps_at_64_and_rotates),
		T(verify_fewer_names_than_the_cap_are_all_checked_once),
		T(verify_other_file_is_skipped_not_failed),
		T(verify_nothing_to_verify_does_not_run),
		T(verify_trace_and_json_say_what_failed),
		T(verify_job_runs_on_its_own_copies),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
