/*
 * Tests for policy/desired.c: the desired-state parser and its messages.
 *
 * Most documents are written inline with single quotes standing for JSON's
 * double quotes, which keeps them readable; the helpers swap the quotes
 * before parsing. Realistic documents live in tests/fixtures/desired/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "dwstr.h"

#ifndef DW_FIXTURES_DIR
#error "DW_FIXTURES_DIR must name the tests/fixtures directory"
#endif

#define TEST_FILE	"desired.json"	/* the file name every message carries */
#define LINE_BYTES	1024u

/* Reasons, as far as the tests rely on them. */
#define WHY_CHAR	"contains a character other than a letter, a digit, '-' or '.'"
#define WHY_V4		"is not an IPv4 dotted quad"
#define WHY_V6		"is not a valid IPv6 address"
#define WHY_VERSION	"must be the number 1; this watchdog reads version 1 only"

struct tctx {
	struct dwerr		 err;
	struct desired_state	*ds;
	char			*text;	/* the last document parsed */
	size_t			 len;
};

static int
tctx_setup(void **state)
{
	struct tctx	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int
tctx_teardown(void **state)
{
	struct tctx	*t = *state;

	desired_free(t->ds);
	free(t->text);
	free(t);
	return 0;
}

/* Keeps a copy of a single-quoted document with the quotes swapped. */
static void
tctx_text(struct tctx *t, const char *sq)
{
	size_t	 i;

	free(t->text);
	t->len = strlen(sq);
	t->text = malloc(t->len + 1);
	assert_non_null(t->text);
	for (i = 0; i <= t->len; i++)
		t->text[i] = sq[i] == '\'' ? '"' : sq[i];
}

/* Parses t->text[0..len), dropping the state of an earlier parse. */
static int
tctx_parse(struct tctx *t)
{
	desired_free(t->ds);
	t->ds = NULL;
	return desired_parse(t->text, t->len, TEST_FILE, &t->ds, &t->err);
}

static void
expect_ok(struct tctx *t, const char *sq)
{
	tctx_text(t, sq);
	if (tctx_parse(t) != 0)
		fail_msg("refused %s:\n%s", t->text, t->err.msg);
	assert_non_null(t->ds);
	assert_int_equal(t->err.count, 0);
	assert_string_equal(t->err.msg, "");
}

static unsigned
count_lines(const char *msg)
{
	unsigned	 n = 0;

	if (*msg == '\0')
		return 0;
	for (n = 1; *msg != '\0'; msg++)
		if (*msg == '\n')
			n++;
	return n;
}

/* Checks the failure contract: -1, no state, bad input, count sentences. */
static void
expect_failure(struct tctx *t, int rc, unsigned count)
{
	if (rc != -1)
		fail_msg("accepted %s", t->text);
	assert_null(t->ds);
	assert_int_equal(t->err.code, DWERR_INPUT);
	assert_int_equal(t->err.truncated, 0);
	if (t->err.count != count)
		fail_msg("%u problems, want %u, in:\n%s", t->err.count, count,
		    t->err.msg);
	assert_int_equal(count_lines(t->err.msg), count);
}

static void
expect_refused(struct tctx *t, const char *sq, unsigned count)
{
	tctx_text(t, sq);
	expect_failure(t, tctx_parse(t), count);
}

/*
 * Checks that one sentence of the message reads "desired.json: PATH: ..."
 * with exactly that path and has reason in what follows it.
 */
static void
expect_problem(const struct tctx *t, const char *path, const char *reason)
{
	char		 prefix[LINE_BYTES], line[LINE_BYTES];
	const char	*p = t->err.msg, *nl;
	size_t		 n, lp;

	lp = (size_t)snprintf(prefix, sizeof(prefix), "%s: %s: ", TEST_FILE,
	    path);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, prefix, lp) == 0 &&
		    strstr(line + lp, reason) != NULL)
			return;
		p += n;
		if (*p == '\n')
			p++;
	}
	fail_msg("no sentence \"%s%s\" in:\n%s", prefix, reason, t->err.msg);
}

/* Reads a fixture under tests/fixtures/desired/ into t->text. */
static void
tctx_fixture(struct tctx *t, const char *name)
{
	char	 path[LINE_BYTES];
	FILE	*f;
	long	 size;

	snprintf(path, sizeof(path), "%s/desired/%s", DW_FIXTURES_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	free(t->text);
	t->len = (size_t)size;
	t->text = malloc(t->len + 1);
	assert_non_null(t->text);
	assert_int_equal(fread(t->text, 1, t->len, f), t->len);
	t->text[t->len] = '\0';
	fclose(f);
}

/* Valid documents. */

static void
desired_parses_the_spec_example(void **state)
{
	struct tctx			*t = *state;
	const struct desired_nrpt	*r;
	const struct desired_host	*h;

	expect_ok(t, "{'version':1,'nrpt':[{'domains':['coder','corp.example'],"
	    "'servers':['100.100.100.100','fd7a:115c:a1e0::53']}],"
	    "'hosts':[{'address':'fd60:627a:a42b::10',"
	    "'names':['alice-ws.coder','alice-ws.main.alice.coder']}]}");
	assert_int_equal(t->ds->nnrpt, 1);
	r = &t->ds->nrpt[0];
	assert_int_equal(r->ndomains, 2);
	assert_string_equal(r->domains[0], ".coder");
	assert_string_equal(r->domains[1], ".corp.example");
	assert_int_equal(r->nservers, 2);
	assert_string_equal(r->servers[0], "100.100.100.100");
	assert_string_equal(r->servers[1], "fd7a:115c:a1e0::53");
	assert_int_equal(t->ds->nhosts, 1);
	h = &t->ds->hosts[0];
	assert_string_equal(h->address, "fd60:627a:a42b::10");
	assert_int_equal(h->nnames, 2);
	assert_string_equal(h->names[0], "alice-ws.coder");
	assert_string_equal(h->names[1], "alice-ws.main.alice.coder");
	assert_int_equal(desired_host_names(t->ds), 2);
}

static void
desired_normalises_every_value(void **state)
{
	struct tctx			*t = *state;
	const struct desired_nrpt	*r;
	const struct desired_host	*h;

	expect_ok(t, "{'version':1,'nrpt':[{'domains':['Coder.','.CORP.example'],"
	    "'servers':['100.100.100.100','FD7A:115C:A1E0:0:0:0:0:0053']}],"
	    "'hosts':[{'address':'FD60:627A:A42B:0000::10',"
	    "'names':['Alice-WS.Coder.','ALICE-WS.MAIN.ALICE.CODER']}]}");
	r = &t->ds->nrpt[0];
	assert_string_equal(r->domains[0], ".coder");
	assert_string_equal(r->domains[1], ".corp.example");
	assert_string_equal(r->servers[1], "fd7a:115c:a1e0::53");
	h = &t->ds->hosts[0];
	assert_string_equal(h->address, "fd60:627a:a42b::10");
	assert_string_equal(h->names[0], "alice-ws.coder");
	assert_string_equal(h->names[1], "alice-ws.main.alice.coder");
}

static void
desired_keeps_the_order_of_rules_entries_and_names(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1,'nrpt':["
	    "{'domains':['b'],'servers':['10.0.0.2','10.0.0.1']},"
	    "{'domains':['a'],'servers':['10.0.0.3']}],"
	    "'hosts':[{'address':'10.0.0.9','names':['z.coder','y.coder']},"
	    "{'address':'10.0.0.8','names':['x.coder']}]}");
	assert_int_equal(t->ds->nnrpt, 2);
	assert_string_equal(t->ds->nrpt[0].domains[0], ".b");
	assert_string_equal(t->ds->nrpt[0].servers[0], "10.0.0.2");
	assert_string_equal(t->ds->nrpt[0].servers[1], "10.0.0.1");
	assert_string_equal(t->ds->nrpt[1].domains[0], ".a");
	assert_int_equal(t->ds->nhosts, 2);
	assert_string_equal(t->ds->hosts[0].address, "10.0.0.9");
	assert_string_equal(t->ds->hosts[0].names[0], "z.coder");
	assert_string_equal(t->ds->hosts[0].names[1], "y.coder");
	assert_string_equal(t->ds->hosts[1].address, "10.0.0.8");
	assert_int_equal(desired_host_names(t->ds), 3);
}

static void
desired_accepts_a_document_with_only_a_version(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1}");
	assert_null(t->ds->nrpt);
	assert_int_equal(t->ds->nnrpt, 0);
	assert_null(t->ds->hosts);
	assert_int_equal(t->ds->nhosts, 0);
	assert_int_equal(desired_host_names(t->ds), 0);

	expect_ok(t, "{'hosts':[{'address':'10.0.0.1','names':['a.coder']}],"
	    "'version':1}");
	assert_int_equal(t->ds->nnrpt, 0);
	assert_int_equal(t->ds->nhosts, 1);
	expect_ok(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.53']}]}");
	assert_int_equal(t->ds->nnrpt, 1);
	assert_int_equal(t->ds->nhosts, 0);
}

static void
desired_accepts_empty_sections(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1,'nrpt':[],'hosts':[]}");
	assert_int_equal(t->ds->nnrpt, 0);
	assert_int_equal(t->ds->nhosts, 0);
	expect_ok(t, " \r\n\t{ 'version' : 1 , 'nrpt' : [ ] } \r\n\t");
}

static void
desired_new_is_empty_and_free_takes_null(void **state)
{
	struct desired_state	*ds;

	(void)state;
	ds = desired_new();
	assert_non_null(ds);
	assert_int_equal(ds->nnrpt, 0);
	assert_int_equal(ds->nhosts, 0);
	assert_int_equal(desired_host_names(ds), 0);
	desired_free(ds);
	desired_free(NULL);
	assert_int_equal(desired_host_names(NULL), 0);
}

static void
desired_accepts_same_name_for_ipv4_and_ipv6(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1,'hosts':["
	    "{'address':'100.64.0.7','names':['main.dev.coder']},"
	    "{'address':'fd60:627a:a42b::7','names':['Main.Dev.Coder.']}]}");
	assert_int_equal(t->ds->nhosts, 2);
	assert_string_equal(t->ds->hosts[1].names[0], "main.dev.coder");
}

static void
desired_accepts_same_server_in_two_rules(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1,'nrpt':["
	    "{'domains':['coder'],'servers':['100.100.100.100']},"
	    "{'domains':['corp.example'],'servers':['100.100.100.100']}]}");
	assert_int_equal(t->ds->nnrpt, 2);
}

/* Bad JSON and bad framing. */

static void
desired_rejects_invalid_json_with_line_and_column(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{\n  'version': 1,\n  'hosts': [\n}", 1);
	expect_problem(t, "$", "invalid JSON near line 4, column 1");
	expect_refused(t, "{'version':1,}", 1);
	expect_problem(t, "$", "invalid JSON near line 1, column 14");
	expect_refused(t, "{'version': tru}", 1);
	expect_problem(t, "$", "invalid JSON near line 1, column 13");
}

static void
desired_rejects_empty_input(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "", 1);
	expect_problem(t, "$", "invalid JSON near line 1, column 1");
	expect_refused(t, " \n ", 1);
	expect_problem(t, "$", "invalid JSON");
}

static void
desired_rejects_data_after_the_value(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1} {'version':1}", 1);
	expect_problem(t, "$",
	    "unexpected data after the JSON value at line 1, column 15");
	expect_refused(t, "{'version':1}\n\nx", 1);
	expect_problem(t, "$",
	    "unexpected data after the JSON value at line 3, column 1");
	expect_refused(t, "{'version':1}}", 1);
	expect_problem(t, "$", "unexpected data after the JSON value");
}

static void
desired_rejects_top_level_that_is_not_an_object(void **state)
{
	static const char *const docs[][2] = {
		{ "[]", "an array" },
		{ "[{'version':1}]", "an array" },
		{ "'version'", "a string" },
		{ "1", "a number" },
		{ "null", "null" },
		{ "true", "a boolean" },
	};
	struct tctx	*t = *state;
	char		 want[LINE_BYTES];
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i][0], 1);
		snprintf(want, sizeof(want), "must be an object, not %s",
		    docs[i][1]);
		expect_problem(t, "$", want);
	}
}

/* Version. */

static void
desired_requires_version(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{}", 1);
	expect_problem(t, "$.version", "is required (set it to 1)");
	expect_refused(t, "{'hosts':[]}", 1);
	expect_problem(t, "$.version", "is required");
}

static void
desired_rejects_versions_other_than_number_1(void **state)
{
	static const char *const docs[] = {
		"{'version':0}", "{'version':2}", "{'version':'1'}",
		"{'version':1.5}", "{'version':-1}", "{'version':true}",
		"{'version':null}", "{'version':[1]}", "{'version':{'major':1}}",
		"{'version':0.99999}",
	};
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i], 1);
		expect_problem(t, "$.version", WHY_VERSION);
	}
}

/* Keys. */

static void
desired_rejects_unknown_top_level_keys(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'owner':'alice'}", 1);
	expect_problem(t, "$", "unknown key \"owner\"");
	/* Keys are case-sensitive. */
	expect_refused(t, "{'version':1,'Hosts':[]}", 1);
	expect_problem(t, "$", "unknown key \"Hosts\"");
	/* A key is quoted with its control bytes escaped. */
	expect_refused(t, "{'version':1,'a\\nb':0}", 1);
	expect_problem(t, "$", "unknown key \"a\\x0ab\"");
	assert_null(strchr(t->err.msg, '\n'));
}

static void
desired_rejects_unknown_rule_keys(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':["
	    "{'domains':['a'],'servers':['10.0.0.1']},"
	    "{'domains':['b'],'servers':['10.0.0.1'],'comment':'x'}]}", 1);
	expect_problem(t, "$.nrpt[1]", "unknown key \"comment\"");
	/* A misspelt key is unknown and leaves the real one missing. */
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['a'],"
	    "'server':['10.0.0.1']}]}", 2);
	expect_problem(t, "$.nrpt[0]", "unknown key \"server\"");
	expect_problem(t, "$.nrpt[0].servers",
	    "must be an array of strings, not missing");
}

static void
desired_rejects_unknown_host_keys(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'10.0.0.1','names':['a.coder'],'ttl':60}]}", 1);
	expect_problem(t, "$.hosts[0]", "unknown key \"ttl\"");
	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'10.0.0.1','names':['a.coder']},"
	    "{'addr':'10.0.0.2','names':['b.coder']}]}", 2);
	expect_problem(t, "$.hosts[1]", "unknown key \"addr\"");
	expect_problem(t, "$.hosts[1].address", "must be a string, not missing");
}

static void
desired_rejects_duplicate_keys_at_every_level(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'version':1}", 1);
	expect_problem(t, "$", "duplicate key \"version\"");
	expect_refused(t, "{'version':1,'hosts':[],'hosts':[]}", 1);
	expect_problem(t, "$", "duplicate key \"hosts\"");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['a'],"
	    "'servers':['10.0.0.1'],'domains':['b']}]}", 1);
	expect_problem(t, "$.nrpt[0]", "duplicate key \"domains\"");
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['a.coder'],'address':'10.6.6.6'}]}", 1);
	expect_problem(t, "$.hosts[0]", "duplicate key \"address\"");
}

/* Types. */

static void
desired_rejects_sections_that_are_not_arrays(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':{}}", 1);
	expect_problem(t, "$.nrpt", "must be an array of rules, not an object");
	expect_refused(t, "{'version':1,'nrpt':null}", 1);
	expect_problem(t, "$.nrpt", "must be an array of rules, not null");
	expect_refused(t, "{'version':1,'hosts':'10.0.0.1 a.coder'}", 1);
	expect_problem(t, "$.hosts", "must be an array of entries, not a string");
	expect_refused(t, "{'version':1,'hosts':{'address':'10.0.0.1',"
	    "'names':['a.coder']}}", 1);
	expect_problem(t, "$.hosts", "must be an array of entries, not an object");
}

static void
desired_rejects_rules_and_entries_that_are_not_objects(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':["
	    "{'domains':['a'],'servers':['10.0.0.1']},'coder']}", 1);
	expect_problem(t, "$.nrpt[1]", "must be an object, not a string");
	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'10.0.0.1','names':['a.coder']},"
	    "{'address':'10.0.0.2','names':['b.coder']},null,"
	    "['10.0.0.3','c.coder']]}", 2);
	expect_problem(t, "$.hosts[2]", "must be an object, not null");
	expect_problem(t, "$.hosts[3]", "must be an object, not an array");
}

static void
desired_rejects_wrong_types_in_rule_fields(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':'coder',"
	    "'servers':['10.0.0.1']}]}", 1);
	expect_problem(t, "$.nrpt[0].domains",
	    "must be an array of strings, not a string");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':{'primary':'10.0.0.1'}}]}", 1);
	expect_problem(t, "$.nrpt[0].servers",
	    "must be an array of strings, not an object");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder',7,null],"
	    "'servers':['10.0.0.1',['10.0.0.2']]}]}", 3);
	expect_problem(t, "$.nrpt[0].domains[1]", "must be a string, not a number");
	expect_problem(t, "$.nrpt[0].domains[2]", "must be a string, not null");
	expect_problem(t, "$.nrpt[0].servers[1]",
	    "must be a string, not an array");
}

static void
desired_rejects_wrong_types_in_host_fields(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':[{'address':167772161,"
	    "'names':['a.coder']}]}", 1);
	expect_problem(t, "$.hosts[0].address", "must be a string, not a number");
	expect_refused(t, "{'version':1,'hosts':[{'address':['10.0.0.1'],"
	    "'names':['a.coder']}]}", 1);
	expect_problem(t, "$.hosts[0].address", "must be a string, not an array");
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':'a.coder'}]}", 1);
	expect_problem(t, "$.hosts[0].names",
	    "must be an array of strings, not a string");
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['a.coder',true,{}]}]}", 2);
	expect_problem(t, "$.hosts[0].names[1]", "must be a string, not a boolean");
	expect_problem(t, "$.hosts[0].names[2]", "must be a string, not an object");
}

static void
desired_rejects_missing_fields(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{}]}", 2);
	expect_problem(t, "$.nrpt[0].domains",
	    "must be an array of strings, not missing");
	expect_problem(t, "$.nrpt[0].servers",
	    "must be an array of strings, not missing");
	expect_refused(t, "{'version':1,'hosts':[{}]}", 2);
	expect_problem(t, "$.hosts[0].address", "must be a string, not missing");
	expect_problem(t, "$.hosts[0].names",
	    "must be an array of strings, not missing");
}

static void
desired_rejects_empty_domains_servers_and_names(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':[],"
	    "'servers':['10.0.0.1']}]}", 1);
	expect_problem(t, "$.nrpt[0].domains", "must not be empty");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':[]}]}", 1);
	expect_problem(t, "$.nrpt[0].servers", "must not be empty");
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':[]}]}", 1);
	expect_problem(t, "$.hosts[0].names", "must not be empty");
}

/* Values. */

static void
desired_rejects_bad_names_with_their_path(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'fd60:627a:a42b::10','names':['alice-ws.coder']},"
	    "{'address':'fd60:627a:a42b::11','names':['bob-ws.coder']},"
	    "{'address':'fd60:627a:a42b::12','names':['carol-ws.coder']},"
	    "{'address':'fd60:627a:a42b::13','names':['dave_ws.coder',"
	    "'dave-ws.coder','-dave.coder','dave.1','']}]}", 4);
	expect_problem(t, "$.hosts[3].names[0]", "name \"dave_ws.coder\" " WHY_CHAR);
	expect_problem(t, "$.hosts[3].names[2]",
	    "name \"-dave.coder\" has a label that starts or ends with a hyphen");
	expect_problem(t, "$.hosts[3].names[3]",
	    "name \"dave.1\" ends in an all-numeric label");
	expect_problem(t, "$.hosts[3].names[4]", "name \"\" is empty");
}

static void
desired_rejects_name_with_non_ascii_bytes(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['caf\xc3\xa9.coder']}]}", 1);
	expect_problem(t, "$.hosts[0].names[0]",
	    "name \"caf\\xc3\\xa9.coder\" is not ASCII");
	/* The same name written as a JSON escape. */
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['caf\\u00e9.coder']}]}", 1);
	expect_problem(t, "$.hosts[0].names[0]",
	    "name \"caf\\xc3\\xa9.coder\" is not ASCII");
}

static void
desired_rejects_bad_addresses(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'10.0.0.256','names':['a.coder']},"
	    "{'address':'010.0.0.1','names':['b.coder']},"
	    "{'address':'fe80::1%eth0','names':['c.coder']},"
	    "{'address':'1::2::3','names':['d.coder']},"
	    "{'address':'[::1]','names':['e.coder']},"
	    "{'address':'','names':['f.coder']},"
	    "{'address':'a.coder','names':['g.coder']}]}", 7);
	expect_problem(t, "$.hosts[0].address", "address \"10.0.0.256\" " WHY_V4);
	expect_problem(t, "$.hosts[1].address", "address \"010.0.0.1\" " WHY_V4);
	expect_problem(t, "$.hosts[2].address",
	    "address \"fe80::1%eth0\" has a zone ID");
	expect_problem(t, "$.hosts[3].address", "address \"1::2::3\" " WHY_V6);
	expect_problem(t, "$.hosts[4].address", "address \"[::1]\" " WHY_V6);
	expect_problem(t, "$.hosts[5].address", "address \"\" is empty");
	expect_problem(t, "$.hosts[6].address", "address \"a.coder\" " WHY_V4);
}

static void
desired_rejects_bad_domains(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder','.','',"
	    "'*.coder','corp..example'],'servers':['10.0.0.53']}]}", 4);
	expect_problem(t, "$.nrpt[0].domains[1]",
	    "domain \".\" is empty or the root");
	expect_problem(t, "$.nrpt[0].domains[2]",
	    "domain \"\" is empty or the root");
	expect_problem(t, "$.nrpt[0].domains[3]", "domain \"*.coder\" " WHY_CHAR);
	expect_problem(t, "$.nrpt[0].domains[4]",
	    "domain \"corp..example\" has an empty label");
}

static void
desired_rejects_bad_servers(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['100.100.100.100','dns.google','fd7a::53%2',"
	    "'100.100.100.100:53']}]}", 3);
	expect_problem(t, "$.nrpt[0].servers[1]", "server \"dns.google\" " WHY_V4);
	expect_problem(t, "$.nrpt[0].servers[2]",
	    "server \"fd7a::53%2\" has a zone ID");
	expect_problem(t, "$.nrpt[0].servers[3]",
	    "server \"100.100.100.100:53\" " WHY_V6);
}

/* Injection. */

static void
desired_rejects_name_with_newline(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['a\\nb']}]}", 1);
	expect_problem(t, "$.hosts[0].names[0]", "name \"a\\x0ab\" " WHY_CHAR);
	/* The message stays one line: the newline is shown escaped. */
	assert_null(strchr(t->err.msg, '\n'));
}

static void
desired_rejects_injection_attempts(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,"
	    "'nrpt':[{'domains':['coder','coder\\r\\n'],"
	    "'servers':['a;b','10.0.0.1;8.8.8.8']}],"
	    "'hosts':["
	    "{'address':'1.2.3.4 evil.com','names':['bank.example']},"
	    "{'address':'10.0.0.1','names':['a b','#x','x\\r',"
	    "'ok.coder\\n10.6.6.6 bank.example','a\\tb','a\\\\b','a\\'b']},"
	    "{'address':'10.0.0.2\\n10.6.6.6','names':['c.coder']}]}", 12);
	expect_problem(t, "$.nrpt[0].domains[1]",
	    "domain \"coder\\x0d\\x0a\" " WHY_CHAR);
	expect_problem(t, "$.nrpt[0].servers[0]", "server \"a;b\" " WHY_V4);
	expect_problem(t, "$.nrpt[0].servers[1]",
	    "server \"10.0.0.1;8.8.8.8\" " WHY_V4);
	expect_problem(t, "$.hosts[0].address",
	    "address \"1.2.3.4 evil.com\" " WHY_V4);
	expect_problem(t, "$.hosts[1].names[0]", "name \"a b\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[1]", "name \"#x\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[2]", "name \"x\\x0d\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[3]",
	    "name \"ok.coder\\x0a10.6.6.6 bank.example\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[4]", "name \"a\\x09b\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[5]", "name \"a\\x5cb\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names[6]", "name \"a\\x22b\" " WHY_CHAR);
	expect_problem(t, "$.hosts[2].address",
	    "address \"10.0.0.2\\x0a10.6.6.6\" " WHY_V4);
	/* No sentence is split by a byte from the input. */
	assert_int_equal(count_lines(t->err.msg), 12);
}

static void
desired_rejects_unicode_nul_escape(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['a.coder\\u0000.evil']}]}", 1);
	expect_problem(t, "$", "\\u0000 escape at line 1");
	expect_refused(t, "{\n'version':1,\n'hosts':[{'address':'10.0.0.1',\n"
	    "'names':['a.coder'],\n'\\u0000':1}]}", 1);
	expect_problem(t, "$", "\\u0000 escape at line 5");
	/* An escaped backslash before "u0000" is not an escape of NUL. */
	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['a\\\\u0000']}]}", 1);
	expect_problem(t, "$.hosts[0].names[0]", "name \"a\\x5cu0000\" " WHY_CHAR);
}

static void
desired_rejects_raw_nul_byte(void **state)
{
	static const char doc[] = "{\"version\":1,\n\"hosts\":[{\"address\":"
	    "\"10.0.0.1\",\n\"names\":[\"a.coder\0.evil\"]}]}";
	struct tctx	*t = *state;

	free(t->text);
	t->len = sizeof(doc) - 1;
	t->text = malloc(t->len);
	assert_non_null(t->text);
	memcpy(t->text, doc, t->len);
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$", "NUL byte at line 3");

	/* A NUL after the value is not trailing whitespace either. */
	t->len = 14;
	memcpy(t->text, "{\"version\":1}\0", 14);
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$", "NUL byte at line 1");
}

/* Limits. */

static void
desired_refuses_file_over_the_size_limit_unread(void **state)
{
	struct tctx	*t = *state;

	/* All NUL bytes: any byte read would give another reason. */
	free(t->text);
	t->len = DESIRED_MAX_BYTES + 1;
	t->text = calloc(1, t->len);
	assert_non_null(t->text);
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$", "file is 16777217 bytes, over the limit of 16777216");
}

static void
desired_accepts_a_file_of_exactly_the_size_limit(void **state)
{
	static const char doc[] = "{\"version\":1}";
	struct tctx	*t = *state;

	free(t->text);
	t->len = DESIRED_MAX_BYTES;
	t->text = malloc(t->len);
	assert_non_null(t->text);
	memset(t->text, ' ', t->len);
	memcpy(t->text, doc, sizeof(doc) - 1);
	t->text[t->len - 1] = '\n';
	if (tctx_parse(t) != 0)
		fail_msg("refused: %s", t->err.msg);
	assert_non_null(t->ds);
}

/* Writes n nested objects {"x": ... }, one per line, into t->text. */
static void
tctx_nested(struct tctx *t, size_t n)
{
	size_t	 i, o = 0;

	free(t->text);
	t->text = malloc(n * 8 + 8);
	assert_non_null(t->text);
	for (i = 0; i < n; i++) {
		memcpy(t->text + o, "{\"x\":\n", 6);
		o += 6;
	}
	t->text[o++] = '1';
	for (i = 0; i < n; i++)
		t->text[o++] = '}';
	t->len = o;
	t->text[o] = '\0';
}

static void
desired_accepts_nesting_at_the_limit_and_refuses_deeper(void **state)
{
	struct tctx	*t = *state;

	/* At the limit the document is parsed, then found wrong. */
	tctx_nested(t, DESIRED_MAX_DEPTH);
	expect_failure(t, tctx_parse(t), 2);
	expect_problem(t, "$", "unknown key \"x\"");
	expect_problem(t, "$.version", "is required");

	tctx_nested(t, DESIRED_MAX_DEPTH + 1);
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$", "nesting deeper than 16 levels at line 17");

	expect_refused(t, "{'version':1,'hosts':[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}", 1);
	expect_problem(t, "$", "nesting deeper than 16 levels at line 1");
}

static void
desired_does_not_count_brackets_inside_strings(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['[[[[[[[[[[{{{{{{{{{{{{{{{{{{']}]}", 1);
	expect_problem(t, "$.hosts[0].names[0]", WHY_CHAR);
	/* An escaped quote does not end the string. */
	tctx_text(t, "{'version':1,'hosts':[{'address':'10.0.0.1',"
	    "'names':['x\\\"[[[[[[[[[[[[[[[[[[[[']}]}");
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$.hosts[0].names[0]", WHY_CHAR);
}

/* Several problems, cross-checks. */

static void
desired_reports_several_problems_together(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':'1','extra':true,"
	    "'nrpt':[{'domains':['coder'],'servers':['1.1.1']}],"
	    "'hosts':[{'address':'10.0.0.1','names':['ok.coder','bad name']},"
	    "{'address':'10.0.0.2'}]}", 5);
	expect_problem(t, "$", "unknown key \"extra\"");
	expect_problem(t, "$.version", WHY_VERSION);
	expect_problem(t, "$.nrpt[0].servers[0]", "server \"1.1.1\" " WHY_V4);
	expect_problem(t, "$.hosts[0].names[1]", "name \"bad name\" " WHY_CHAR);
	expect_problem(t, "$.hosts[1].names",
	    "must be an array of strings, not missing");
	/* The first sentence comes first. */
	assert_true(strncmp(t->err.msg, TEST_FILE ": $: unknown key",
	    strlen(TEST_FILE ": $: unknown key")) == 0);
}

static void
desired_rejects_domain_routed_by_two_rules(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':["
	    "{'domains':['corp.example','coder'],'servers':['10.0.0.53']},"
	    "{'domains':['internal.example'],'servers':['10.0.1.53']},"
	    "{'domains':['.CODER.'],'servers':['100.100.100.100']}]}", 1);
	expect_problem(t, "$.nrpt[2].domains[0]",
	    "domain \".coder\" is already routed at $.nrpt[0].domains[1]");
}

static void
desired_rejects_domain_listed_twice_in_a_rule(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder','Coder.'],"
	    "'servers':['10.0.0.53']}]}", 1);
	expect_problem(t, "$.nrpt[0].domains[1]",
	    "domain \".coder\" is already routed at $.nrpt[0].domains[0]");
}

static void
desired_rejects_server_listed_twice_in_a_rule(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':["
	    "{'domains':['a'],'servers':['10.0.0.1']},"
	    "{'domains':['coder'],'servers':['fd7a:115c:a1e0::53',"
	    "'100.100.100.100','FD7A:115C:A1E0:0:0:0:0:53']}]}", 1);
	expect_problem(t, "$.nrpt[1].servers[2]",
	    "server \"fd7a:115c:a1e0::53\" is listed twice");
}

/*
 * One sentence per problem (desired.h): the third copy of a server matches
 * both earlier ones, and the comparison loop in desired_nrpt_section must
 * stop at the first match or it reports that copy twice.
 */
static void
desired_reports_each_extra_copy_of_a_server_once(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.53','10.0.0.53','10.0.0.53']}]}", 2);
	expect_problem(t, "$.nrpt[0].servers[1]",
	    "server \"10.0.0.53\" is listed twice");
	expect_problem(t, "$.nrpt[0].servers[2]",
	    "server \"10.0.0.53\" is listed twice");
}

static void
desired_rejects_same_name_twice_for_same_address(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'10.0.0.1','names':['alice.coder']},"
	    "{'address':'10.0.0.2','names':['bob.coder']},"
	    "{'address':'10.0.0.1','names':['carol.coder','Alice.Coder.']}]}", 1);
	expect_problem(t, "$.hosts[2].names[1]",
	    "name \"alice.coder\" already maps to 10.0.0.1 at $.hosts[0].names[0]");

	/* Within one entry, and with the address spelt differently. */
	expect_refused(t, "{'version':1,'hosts':["
	    "{'address':'fd60::1','names':['a.coder','b.coder','A.CODER']},"
	    "{'address':'FD60:0:0:0:0:0:0:1','names':['b.coder']}]}", 2);
	expect_problem(t, "$.hosts[0].names[2]",
	    "name \"a.coder\" already maps to fd60::1 at $.hosts[0].names[0]");
	expect_problem(t, "$.hosts[1].names[0]",
	    "name \"b.coder\" already maps to fd60::1 at $.hosts[0].names[1]");
}

/* Odds and ends of the interface. */

static void
desired_names_the_input_when_file_is_null(void **state)
{
	struct tctx	*t = *state;
	int		 rc;

	tctx_text(t, "{'version':2}");
	rc = desired_parse(t->text, t->len, NULL, &t->ds, &t->err);
	assert_int_equal(rc, -1);
	assert_null(t->ds);
	assert_string_equal(t->err.msg, "(input): $.version: " WHY_VERSION);
}

static void
desired_works_without_an_error_out_parameter(void **state)
{
	struct tctx	*t = *state;

	tctx_text(t, "{'version':2}");
	assert_int_equal(desired_parse(t->text, t->len, TEST_FILE, &t->ds,
	    NULL), -1);
	assert_null(t->ds);
	tctx_text(t, "{'version':1}");
	assert_int_equal(desired_parse(t->text, t->len, TEST_FILE, &t->ds,
	    NULL), 0);
	assert_non_null(t->ds);
}

static void
desired_clears_out_and_err_on_every_call(void **state)
{
	struct tctx		*t = *state;
	struct desired_state	*ds, *keep;
	int			 rc;

	expect_refused(t, "{'version':0}", 1);
	/* A success empties the error left by the failure before. */
	expect_ok(t, "{'version':1}");
	assert_int_equal(t->err.code, 0);
	/* A failure leaves *out NULL whatever it held before. */
	keep = ds = desired_new();
	assert_non_null(ds);
	tctx_text(t, "[]");
	rc = desired_parse(t->text, t->len, TEST_FILE, &ds, &t->err);
	desired_free(keep);
	assert_int_equal(rc, -1);
	assert_null(ds);
}

static void
desired_cuts_long_values_in_messages(void **state)
{
	struct tctx	*t = *state;
	char		 doc[1024], name[301];
	const char	*q;

	memset(name, 'a', 300);
	name[300] = '\0';
	snprintf(doc, sizeof(doc), "{'version':1,'hosts':[{'address':"
	    "'10.0.0.1','names':['%s']}]}", name);
	expect_refused(t, doc, 1);
	expect_problem(t, "$.hosts[0].names[0]", "is longer than 253 characters");
	/* The value is quoted as its first 48 bytes and an ellipsis. */
	assert_non_null(q = strstr(t->err.msg, "name \""));
	q += strlen("name \"");
	assert_int_equal(strspn(q, "a"), 48);
	assert_true(strncmp(q + 48, "...\" is longer", 14) == 0);
}

/* Fixtures. */

static void
desired_fixture_coder_workspaces_parses(void **state)
{
	struct tctx	*t = *state;

	tctx_fixture(t, "coder_workspaces.json");
	if (tctx_parse(t) != 0)
		fail_msg("refused: %s", t->err.msg);
	assert_int_equal(t->ds->nnrpt, 2);
	assert_int_equal(t->ds->nrpt[0].ndomains, 2);
	assert_string_equal(t->ds->nrpt[0].domains[0], ".coder");
	assert_string_equal(t->ds->nrpt[0].domains[1], ".corp.example");
	assert_string_equal(t->ds->nrpt[0].servers[1], "fd7a:115c:a1e0::53");
	assert_string_equal(t->ds->nrpt[1].domains[0], ".internal.example");
	assert_int_equal(t->ds->nhosts, 3);
	assert_string_equal(t->ds->hosts[0].address,
	    "fd60:627a:a42b:1a2b:3c4d:5e6f:7a8b:9c0d");
	assert_string_equal(t->ds->hosts[0].names[1], "main.dev.alice.coder");
	assert_string_equal(t->ds->hosts[2].address, "100.64.0.7");
	assert_string_equal(t->ds->hosts[2].names[0], "main.dev.coder");
	assert_int_equal(desired_host_names(t->ds), 4);
}

static void
desired_fixture_corp_split_dns_parses(void **state)
{
	struct tctx	*t = *state;

	tctx_fixture(t, "corp_split_dns.json");
	if (tctx_parse(t) != 0)
		fail_msg("refused: %s", t->err.msg);
	assert_int_equal(t->ds->nnrpt, 1);
	assert_int_equal(t->ds->nrpt[0].ndomains, 2);
	assert_string_equal(t->ds->nrpt[0].domains[1], ".branch.corp.example");
	assert_int_equal(t->ds->nrpt[0].nservers, 3);
	assert_string_equal(t->ds->nrpt[0].servers[2], "2001:db8:53::1");
	assert_int_equal(t->ds->nhosts, 0);
}

static void
desired_fixture_several_problems_reports_each(void **state)
{
	struct tctx	*t = *state;

	tctx_fixture(t, "several_problems.json");
	expect_failure(t, tctx_parse(t), 6);
	expect_problem(t, "$", "unknown key \"owner\"");
	expect_problem(t, "$.version", WHY_VERSION);
	expect_problem(t, "$.nrpt[1].servers", "must not be empty");
	expect_problem(t, "$.hosts[3].names[0]", "name \"dave_ws.coder\" " WHY_CHAR);
	expect_problem(t, "$.hosts[4]", "unknown key \"ttl\"");
	expect_problem(t, "$.hosts[4].address", "address \"10.0.0.256\" " WHY_V4);
}

static void
desired_fixture_injection_is_refused(void **state)
{
	struct tctx	*t = *state;

	tctx_fixture(t, "injection.json");
	expect_failure(t, tctx_parse(t), 5);
	expect_problem(t, "$.nrpt[0].servers[0]",
	    "server \"100.100.100.100;8.8.8.8\" " WHY_V4);
	expect_problem(t, "$.hosts[0].address",
	    "address \"1.2.3.4 evil.example\" " WHY_V4);
	expect_problem(t, "$.hosts[1].names[0]",
	    "name \"ok.coder\\x0a10.6.6.6 bank.example\" " WHY_CHAR);
	expect_problem(t, "$.hosts[2].names[0]", "name \"ok.coder\\x0d\" " WHY_CHAR);
	expect_problem(t, "$.hosts[3].names[0]",
	    "name \"ok.coder #comment\" " WHY_CHAR);
}

static void
desired_fixture_trailing_comma_gives_line_and_column(void **state)
{
	struct tctx	*t = *state;

	tctx_fixture(t, "trailing_comma.json");
	expect_failure(t, tctx_parse(t), 1);
	expect_problem(t, "$", "invalid JSON near line 4, column 51");
}

static void
desired_reads_probe_as_a_name_or_names(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':'Alice-WS.Coder'}]}");
	assert_int_equal(t->ds->nrpt[0].nprobes, 1);
	assert_string_equal(t->ds->nrpt[0].probes[0], "alice-ws.coder");
	expect_ok(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':['a.coder','b.coder']},"
	    "{'domains':['corp'],'servers':['10.0.0.2']}]}");
	assert_int_equal(t->ds->nrpt[0].nprobes, 2);
	assert_string_equal(t->ds->nrpt[0].probes[0], "a.coder");
	assert_string_equal(t->ds->nrpt[0].probes[1], "b.coder");
	/* Without "probe" a rule has none. */
	assert_int_equal(t->ds->nrpt[1].nprobes, 0);
	assert_null(t->ds->nrpt[1].probes);
}

static void
desired_rejects_bad_probes(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':'bad name.coder'}]}", 1);
	expect_problem(t, "$.nrpt[0].probe", "name \"bad name.coder\"");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':['a.coder','x_y']}]}", 1);
	expect_problem(t, "$.nrpt[0].probe[1]", "name \"x_y\"");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':7}]}", 1);
	expect_problem(t, "$.nrpt[0].probe",
	    "must be a name or an array of names, not a number");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':[]}]}", 1);
	expect_problem(t, "$.nrpt[0].probe", "must not be empty");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':['a','b','c','d','e','f','g',"
	    "'h','i']}]}", 1);
	expect_problem(t, "$.nrpt[0].probe",
	    "has 9 names; at most 8 are allowed");
	expect_refused(t, "{'version':1,'nrpt':[{'domains':['coder'],"
	    "'servers':['10.0.0.1'],'probe':['a',1]}]}", 1);
	expect_problem(t, "$.nrpt[0].probe[1]", "must be a string, not a number");
}

static void
desired_free_frees_probes_of_a_state_built_by_hand(void **state)
{
	struct desired_state	*ds;
	struct desired_nrpt	*dn;

	(void)state;
	assert_non_null(ds = desired_new());
	assert_non_null(ds->nrpt = dn = calloc(1, sizeof(*dn)));
	ds->nnrpt = 1;
	assert_non_null(dn->probes = calloc(2, sizeof(*dn->probes)));
	dn->nprobes = 2;
	assert_non_null(dn->probes[0] = dwstr_dup("a.coder"));
	assert_non_null(dn->probes[1] = dwstr_dup("b.coder"));
	/* The sanitizer build fails on a leak here. */
	desired_free(ds);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tctx_setup, tctx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(desired_parses_the_spec_example),
		T(desired_reads_probe_as_a_name_or_names),
		T(desired_rejects_bad_probes),
		T(desired_free_frees_probes_of_a_state_built_by_hand),
		T(desired_normalises_every_value),
		T(desired_keeps_the_order_of_rules_entries_and_names),
		T(desired_accepts_a_document_with_only_a_version),
		T(desired_accepts_empty_sections),
		T(desired_new_is_empty_and_free_takes_null),
		T(desired_accepts_same_name_for_ipv4_and_ipv6),
		T(desired_accepts_same_server_in_two_rules),
		T(desired_rejects_invalid_json_with_line_and_column),
		T(desired_rejects_empty_input),
		T(desired_rejects_data_after_the_value),
		T(desired_rejects_top_level_that_is_not_an_object),
		T(desired_requires_version),
		T(desired_rejects_versions_other_than_number_1),
		T(desired_rejects_unknown_top_level_keys),
		T(desired_rejects_unknown_rule_keys),
		T(desired_rejects_unknown_host_keys),
		T(desired_rejects_duplicate_keys_at_every_level),
		T(desired_rejects_sections_that_are_not_arrays),
		T(desired_rejects_rules_and_entries_that_are_not_objects),
		T(desired_rejects_wrong_types_in_rule_fields),
		T(desired_rejects_wrong_types_in_host_fields),
		T(desired_rejects_missing_fields),
		T(desired_rejects_empty_domains_servers_and_names),
		T(desired_rejects_bad_names_with_their_path),
		T(desired_rejects_name_with_non_ascii_bytes),
		T(desired_rejects_bad_addresses),
		T(desired_rejects_bad_domains),
		T(desired_rejects_bad_servers),
		T(desired_rejects_name_with_newline),
		T(desired_rejects_injection_attempts),
		T(desired_rejects_unicode_nul_escape),
		T(desired_rejects_raw_nul_byte),
		T(desired_refuses_file_over_the_size_limit_unread),
		T(desired_accepts_a_file_of_exactly_the_size_limit),
		T(desired_accepts_nesting_at_the_limit_and_refuses_deeper),
		T(desired_does_not_count_brackets_inside_strings),
		T(desired_reports_several_problems_together),
		T(desired_rejects_domain_routed_by_two_rules),
		T(desired_rejects_domain_listed_twice_in_a_rule),
		T(desired_rejects_server_listed_twice_in_a_rule),
		T(desired_reports_each_extra_copy_of_a_server_once),
		T(desired_rejects_same_name_twice_for_same_address),
		T(desired_names_the_input_when_file_is_null),
		T(desired_works_without_an_error_out_parameter),
		T(desired_clears_out_and_err_on_every_call),
		T(desired_cuts_long_values_in_messages),
		T(desired_fixture_coder_workspaces_parses),
		T(desired_fixture_corp_split_dns_parses),
		T(desired_fixture_several_problems_reports_each),
		T(desired_fixture_injection_is_refused),
		T(desired_fixture_trailing_comma_gives_line_and_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
