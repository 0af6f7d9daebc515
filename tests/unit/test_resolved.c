/*
 * Unit tests for policy/resolved.c: the rules as a link's settings, what
 * differs, the record of what was set, and the resolv.conf and
 * nsswitch.conf checks the doctor makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "desired.h"
#include "resolved.h"

/* A desired state from JSON (the test's). */
static struct desired_state *
state(const char *json)
{
	struct desired_state	*ds;
	struct dwerr		 err;

	if (desired_parse(json, strlen(json), "t.json", &ds, &err) != 0)
		fail_msg("%s", err.msg);
	return ds;
}

static void
want_of(const char *json, bool default_route, struct resolved_link *out)
{
	struct desired_state	*ds = state(json);
	struct dwerr		 err;

	if (resolved_want(ds, default_route, out, &err) != 0)
		fail_msg("%s", err.msg);
	desired_free(ds);
}

static void
text_is(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
resolved_want_joins_every_rule_without_repeats(void **state_)
{
	struct resolved_link	 w;

	(void)state_;
	want_of("{\"version\":1,\"nrpt\":["
	    "{\"domains\":[\".corp.example\",\"Lab.Example\"],"
	    "\"servers\":[\"10.0.0.2\",\"fd00::0:53\"]},"
	    "{\"domains\":[\"coder\"],\"servers\":[\"10.0.0.2\",\"10.0.0.3\"]}]}",
	    false, &w);
	text_is(resolved_servers_text(&w), "10.0.0.2;fd00::53;10.0.0.3");
	/* No dot, every one routing-only. */
	text_is(resolved_domains_text(&w),
	    "~corp.example;~lab.example;~coder");
	assert_false(w.default_route);
	resolved_link_clear(&w);

	want_of("{\"version\":1}", true, &w);
	assert_true(resolved_link_empty(&w));
	assert_true(w.default_route);
	resolved_link_clear(&w);
}

static void
resolved_diff_names_only_what_differs(void **state_)
{
	struct resolved_link	 w, live;
	unsigned char		 a[16] = { 10, 0, 0, 2 }, b[16] = { 10, 0, 0, 3 };
	char			 buf[48];

	(void)state_;
	want_of("{\"version\":1,\"nrpt\":[{\"domains\":[\"corp.example\","
	    "\"lab.example\"],\"servers\":[\"10.0.0.2\",\"10.0.0.3\"]}]}",
	    false, &w);
	memset(&live, 0, sizeof(live));
	assert_int_equal(resolved_diff(&w, &live),
	    RESOLVED_SET_DNS | RESOLVED_SET_DOMAINS);
	assert_false(resolved_same(&w, &live));

	/* Servers: the order is the preference. */
	assert_int_equal(resolved_link_add_server(&live, 4, b), 0);
	assert_int_equal(resolved_link_add_server(&live, 4, a), 0);
	/* Domains: a set, without regard to case. */
	assert_int_equal(resolved_link_add_domain(&live, "LAB.example", true),
	    0);
	assert_int_equal(resolved_link_add_domain(&live, "corp.example", true),
	    0);
	assert_int_equal(resolved_diff(&w, &live), RESOLVED_SET_DNS);
	resolved_link_clear(&live);

	assert_int_equal(resolved_link_add_server(&live, 4, a), 0);
	assert_int_equal(resolved_link_add_server(&live, 4, b), 0);
	assert_int_equal(resolved_link_add_domain(&live, "corp.example", true),
	    0);
	/* A search domain is not a routing-only one. */
	assert_int_equal(resolved_link_add_domain(&live, "lab.example", false),
	    0);
	assert_int_equal(resolved_diff(&w, &live), RESOLVED_SET_DOMAINS);
	live.domains[1].routing = true;
	live.default_route = true;
	assert_int_equal(resolved_diff(&w, &live), RESOLVED_SET_DEFAULT_ROUTE);
	live.default_route = false;
	assert_int_equal(resolved_diff(&w, &live), 0);
	assert_true(resolved_same(&w, &live));
	/* One more domain on the link is a difference too. */
	assert_int_equal(resolved_link_add_domain(&live, "x.example", true), 0);
	assert_int_equal(resolved_diff(&w, &live), RESOLVED_SET_DOMAINS);

	assert_string_equal(resolved_set_text(RESOLVED_SET_DNS |
	    RESOLVED_SET_DEFAULT_ROUTE, buf, sizeof(buf)), "dns,default_route");
	assert_string_equal(resolved_set_text(0, buf, sizeof(buf)), "");
	resolved_link_clear(&live);
	resolved_link_clear(&w);
}

static void
resolved_want_refuses_a_server_that_is_no_address(void **state_)
{
	struct desired_state	*ds = desired_new();
	struct resolved_link	 w;
	struct dwerr		 err;
	static char		 dom[] = ".coder", srv[] = "not-an-address";
	char			*doms[] = { dom }, *srvs[] = { srv };
	struct desired_nrpt	 r;

	(void)state_;
	assert_non_null(ds);
	memset(&r, 0, sizeof(r));
	r.domains = doms;
	r.ndomains = 1;
	r.servers = srvs;
	r.nservers = 1;
	ds->nrpt = &r;
	ds->nnrpt = 1;
	assert_int_equal(resolved_want(ds, false, &w, &err), -1);
	assert_non_null(strstr(err.msg, "$.nrpt[0].servers[0]"));
	assert_true(resolved_link_empty(&w));
	ds->nrpt = NULL;
	ds->nnrpt = 0;
	desired_free(ds);
}

static void
resolved_record_round_trips(void **state_)
{
	struct resolved_record	 r, back;
	struct dwerr		 err;
	char			*text;

	(void)state_;
	memset(&r, 0, sizeof(r));
	r.link = (char *)"tun0";
	r.ifindex = 7;
	want_of("{\"version\":1,\"nrpt\":[{\"domains\":[\"corp.example\"],"
	    "\"servers\":[\"10.0.0.2\",\"fd00::53\"]}]}", false, &r.set);
	text = resolved_record_json(&r);
	assert_non_null(text);
	assert_int_equal(resolved_record_parse(text, strlen(text), "rec.json",
	    &back, &err), 0);
	assert_string_equal(back.link, "tun0");
	assert_int_equal(back.ifindex, 7);
	assert_true(resolved_same(&back.set, &r.set));
	resolved_record_clear(&back);
	free(text);
	resolved_link_clear(&r.set);
}

static void
refused(const char *json, const char *want)
{
	struct resolved_record	 r;
	struct dwerr		 err;

	assert_int_equal(resolved_record_parse(json, strlen(json), "rec.json",
	    &r, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("\"%s\" not in: %s", want, err.msg);
	assert_null(r.link);
	assert_true(resolved_link_empty(&r.set));
}

static void
resolved_record_refuses_what_it_cannot_trust(void **state_)
{
	(void)state_;
	refused("[]", "rec.json: $: must be an object");
	refused("{\"version\":2,\"link\":\"a\",\"ifindex\":1,\"servers\":[],"
	    "\"domains\":[],\"default_route\":false}", "$.version: must be 1");
	refused("{\"version\":1,\"link\":\"\",\"ifindex\":-1,\"servers\":[5],"
	    "\"domains\":[{\"name\":\"x\"}],\"default_route\":0,\"more\":1}",
	    "$.link: must be a non-empty string");
	refused("{\"version\":1,\"link\":\"a\",\"ifindex\":1.5,\"servers\":[],"
	    "\"domains\":[],\"default_route\":false}", "$.ifindex: must be a "
	    "link index");
	refused("{\"version\":1,\"link\":\"a\",\"ifindex\":1,\"servers\":"
	    "[\"10.0.0.256\"],\"domains\":[],\"default_route\":false}",
	    "$.servers[0]: must be an IP address");
	refused("{\"version\":1,\"link\":\"a\",\"ifindex\":1,\"servers\":[],"
	    "\"domains\":[{\"name\":\"x\"}],\"default_route\":false}",
	    "$.domains[0]: must have a \"name\"");
	refused("{\"version\":1,\"link\":\"a\",\"ifindex\":1,\"servers\":[],"
	    "\"domains\":[],\"default_route\":false,\"more\":1}",
	    "$: unknown key \"more\"");
	refused("{\"version\":1", "rec.json");
}

static void
resolved_reads_resolv_conf_and_nsswitch(void **state_)
{
	static const char conf[] = "# by hand\n\noptions edns0\n"
	    "search example.com\nnameserver   127.0.0.53 # stub\n"
	    "nameserver 10.0.0.1\n";
	static const char none[] = "search x\n;nameserver 1.2.3.4\n";
	static const char nss[] = "passwd: files\n"
	    "hosts:  files resolve [!UNAVAIL=return] dns\n";
	static const char nss2[] = "hosts: files mdns4_minimal "
	    "[NOTFOUND=return] dns\n# hosts: resolve\n";
	char	 ns[64];

	(void)state_;
	resolved_conf_nameserver(conf, strlen(conf), ns, sizeof(ns));
	assert_string_equal(ns, RESOLVED_STUB_ADDR);
	resolved_conf_nameserver(none, strlen(none), ns, sizeof(ns));
	assert_string_equal(ns, "");
	/* Not NUL-terminated where the length ends. */
	resolved_conf_nameserver(conf, 67, ns, sizeof(ns));
	assert_string_equal(ns, "127.0.0.53");
	assert_true(resolved_nss_names(nss, strlen(nss), "resolve"));
	assert_false(resolved_nss_names(nss2, strlen(nss2), "resolve"));
	assert_true(resolved_nss_names(nss2, strlen(nss2), "dns"));
	assert_false(resolved_nss_names("", 0, "resolve"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolved_want_joins_every_rule_without_repeats),
		cmocka_unit_test(resolved_diff_names_only_what_differs),
		cmocka_unit_test(resolved_want_refuses_a_server_that_is_no_address),
		cmocka_unit_test(resolved_record_round_trips),
		cmocka_unit_test(resolved_record_refuses_what_it_cannot_trust),
		cmocka_unit_test(resolved_reads_resolv_conf_and_nsswitch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
