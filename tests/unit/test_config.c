/*
 * Tests for pass/config.c: defaults, path resolution, validation and
 * messages of config_parse, and config_load on real files. Built natively
 * and for Windows (run under Wine); what differs by platform (the VPN
 * prefixes, the OS's error texts) is named once, below.
 *
 * Inline documents use single quotes for JSON's double quotes; the helpers
 * swap them before parsing. Files live in tests/fixtures/config/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "platform.h"

#ifndef DW_FIXTURES_DIR
#error "DW_FIXTURES_DIR must name the tests/fixtures directory"
#endif

#define TEST_DIR	"/srv/dnswatchdog"
#define TEST_FILE	TEST_DIR "/config.json"
#define CONFIG_FIXTURES	DW_FIXTURES_DIR "/config"
#define LINE_BYTES	1024u

/*
 * What differs by platform. The default VPN prefixes are adapter
 * descriptions on Windows and interface names on Linux. An OS error's
 * text is strerror's on POSIX; on Windows it is the system's message,
 * which Wine words otherwise than Windows, then "(error N)".
 */
#ifdef _WIN32
static const char *const want_vpn[] = {
	"PANGP Virtual Ethernet Adapter",
	"Cisco AnyConnect",
	"Cisco Secure Client Virtual Miniport Adapter",
	"Fortinet",
	"TAP-Windows Adapter",
	"OpenVPN Data Channel Offload",
	"Wintun Userspace Tunnel",
	"WireGuard Tunnel",
	"Juniper Networks Virtual Adapter",
	"Zscaler"
};
static const char *const not_vpn[] = { "tun", "ppp" };
#define NOENT_TAIL	"(error 2)"
#define FOLDER_CODE	5		/* ERROR_ACCESS_DENIED */
#define FOLDER_TAIL	"(error 5)"
#else
static const char *const want_vpn[] = { "gpd", "cscotun", "tun", "ppp" };
static const char *const not_vpn[] = { "PANGP Virtual Ethernet Adapter",
    "TAP-Windows Adapter" };
#define NOENT_TAIL	strerror(ENOENT)
#define FOLDER_CODE	EINVAL
#define FOLDER_TAIL	"not a regular file"
#endif
#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define WHY_MS		"must be a whole number of milliseconds from 1 to 86400000"
#define WHY_MULT	"must be a number from 1 to 100"
#define WHY_JITTER	"must be a number from 0 to 1"
#define WHY_STRING	"must be a non-empty string, not "

struct tctx {
	struct dwerr	 err;
	struct config	*cfg;
	const char	*file;	/* the name messages must carry */
	char		*text;
	size_t		 len;
};

static int
tctx_setup(void **state)
{
	struct tctx	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->file = TEST_FILE;
	*state = t;
	return 0;
}

static int
tctx_teardown(void **state)
{
	struct tctx	*t = *state;

	config_free(t->cfg);
	free(t->text);
	free(t);
	return 0;
}

/* Parses a single-quoted document as if read from file. */
static int
tctx_parse_as(struct tctx *t, const char *file, const char *sq)
{
	size_t	 i;

	free(t->text);
	t->len = strlen(sq);
	t->text = malloc(t->len + 1);
	assert_non_null(t->text);
	for (i = 0; i <= t->len; i++)
		t->text[i] = sq[i] == '\'' ? '"' : sq[i];
	config_free(t->cfg);
	t->cfg = NULL;
	t->file = file;
	return config_parse(t->text, t->len, file, &t->cfg, &t->err);
}

static void
expect_ok_as(struct tctx *t, const char *file, const char *sq)
{
	if (tctx_parse_as(t, file, sq) != 0)
		fail_msg("refused %s:\n%s", t->text, t->err.msg);
	assert_non_null(t->cfg);
	assert_int_equal(t->err.count, 0);
}

static void
expect_ok(struct tctx *t, const char *sq)
{
	expect_ok_as(t, TEST_FILE, sq);
}

static unsigned
count_lines(const char *msg)
{
	unsigned	 n;

	if (*msg == '\0')
		return 0;
	for (n = 1; *msg != '\0'; msg++)
		if (*msg == '\n')
			n++;
	return n;
}

static void
expect_failure(struct tctx *t, int rc, unsigned count)
{
	if (rc != -1)
		fail_msg("accepted %s", t->text != NULL ? t->text : t->file);
	assert_null(t->cfg);
	assert_int_equal(t->err.code, DWERR_INPUT);
	if (t->err.count != count)
		fail_msg("%u problems, want %u, in:\n%s", t->err.count, count,
		    t->err.msg);
	assert_int_equal(count_lines(t->err.msg), count);
}

static void
expect_refused(struct tctx *t, const char *sq, unsigned count)
{
	expect_failure(t, tctx_parse_as(t, TEST_FILE, sq), count);
}

/* msg is "cannot read the config: PATH: " then the OS's text, ending
 * with tail. */
static void
expect_read_error(const char *msg, const char *path, const char *tail)
{
	char	 want[LINE_BYTES];
	size_t	 nw, nm = strlen(msg), nt = strlen(tail);

	nw = (size_t)snprintf(want, sizeof(want), "cannot read the config: "
	    "%s: ", path);
	if (strncmp(msg, want, nw) != 0 || nm < nw + nt ||
	    strcmp(msg + nm - nt, tail) != 0)
		fail_msg("\"%s\" is not \"%s...%s\"", msg, want, tail);
}

/* One sentence reads "FILE: PATH: ..." and has reason after the path. */
static void
expect_problem(const struct tctx *t, const char *path, const char *reason)
{
	char		 prefix[LINE_BYTES], line[LINE_BYTES];
	const char	*p = t->err.msg, *nl;
	size_t		 n, lp;

	lp = (size_t)snprintf(prefix, sizeof(prefix), "%s: %s: ", t->file, path);
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

static void
expect_default_backoff(const struct backoff_policy *b)
{
	assert_int_equal(b->initial_ms, 50);
	assert_true(b->multiplier == 2.0);
	assert_int_equal(b->max_interval_ms, 5000);
	assert_int_equal(b->deadline_ms, 30000);
	assert_true(b->jitter == 0.2);
}

/* Defaults and paths. */

static void
config_uses_defaults_when_keys_are_absent(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{}");
	assert_string_equal(t->cfg->path, TEST_FILE);
	assert_int_equal(t->cfg->trace_max_bytes, 16u << 20);
	assert_string_equal(t->cfg->desired_state, TEST_DIR "/desired.json");
	assert_true(t->cfg->hosts_enabled);
	assert_string_equal(t->cfg->hosts_path, platform_default_hosts());
	assert_string_equal(t->cfg->begin_marker, "# DnsWatchdogSectionStart");
	assert_string_equal(t->cfg->end_marker, "# DnsWatchdogSectionEnd");
	assert_null(t->cfg->trace_jsonl);
	expect_default_backoff(&t->cfg->backoff);
}

static void
config_uses_defaults_for_empty_sections(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'hosts':{},'trace':{},'backoff':{}}");
	assert_string_equal(t->cfg->desired_state, TEST_DIR "/desired.json");
	assert_true(t->cfg->hosts_enabled);
	assert_string_equal(t->cfg->hosts_path, platform_default_hosts());
	assert_string_equal(t->cfg->begin_marker, "# DnsWatchdogSectionStart");
	assert_string_equal(t->cfg->end_marker, "# DnsWatchdogSectionEnd");
	assert_null(t->cfg->trace_jsonl);
	expect_default_backoff(&t->cfg->backoff);
}

/* The default VPN prefixes are the platform's: what its event source
 * compares (adapter descriptions on Windows, interface names on Linux). */
static void
config_defaults_to_the_platforms_vpn_prefixes(void **state)
{
	struct tctx	*t = *state;
	size_t		 i, j;

	expect_ok(t, "{}");
	assert_int_equal(t->cfg->nvpn_prefixes, NELEMS(want_vpn));
	for (i = 0; i < NELEMS(want_vpn); i++)
		assert_string_equal(t->cfg->vpn_prefixes[i], want_vpn[i]);
	/* None of the other platform's: "tun" and "ppp" begin no adapter
	 * description on Windows, descriptions are no Linux interface. */
	for (i = 0; i < t->cfg->nvpn_prefixes; i++)
		for (j = 0; j < NELEMS(not_vpn); j++)
			assert_string_not_equal(t->cfg->vpn_prefixes[i],
			    not_vpn[j]);
	/* An empty vpn section keeps them. */
	expect_ok(t, "{'vpn':{}}");
	assert_int_equal(t->cfg->nvpn_prefixes, NELEMS(want_vpn));
}

static void
config_vpn_prefixes_replace_the_defaults(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'vpn':{'adapter_prefixes':['wg-corp','OpenVPN Wintun']}}");
	assert_int_equal(t->cfg->nvpn_prefixes, 2);
	assert_string_equal(t->cfg->vpn_prefixes[0], "wg-corp");
	assert_string_equal(t->cfg->vpn_prefixes[1], "OpenVPN Wintun");
	expect_ok(t, "{'vpn':{'adapter_prefixes':[]}}");
	assert_int_equal(t->cfg->nvpn_prefixes, 0);
}

static void
config_resolves_relative_paths_against_the_config_folder(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'desired_state':'state/desired.json',"
	    "'hosts':{'path':'hosts.test'},"
	    "'trace':{'jsonl':'../log/trace.jsonl'}}");
	assert_string_equal(t->cfg->desired_state,
	    TEST_DIR "/state/desired.json");
	assert_string_equal(t->cfg->hosts_path, TEST_DIR "/hosts.test");
	assert_string_equal(t->cfg->trace_jsonl, TEST_DIR "/../log/trace.jsonl");
}

static void
config_keeps_absolute_paths(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'desired_state':'/var/lib/dnswatchdog/desired.json',"
	    "'hosts':{'path':'/etc/hosts'},"
	    "'trace':{'jsonl':'/var/log/dnswatchdog/trace.jsonl'}}");
	assert_string_equal(t->cfg->desired_state,
	    "/var/lib/dnswatchdog/desired.json");
	assert_string_equal(t->cfg->hosts_path, "/etc/hosts");
	assert_string_equal(t->cfg->trace_jsonl,
	    "/var/log/dnswatchdog/trace.jsonl");
}

static void
config_resolves_against_dot_when_file_has_no_folder(void **state)
{
	struct tctx	*t = *state;

	expect_ok_as(t, "config.json", "{'trace':{'jsonl':'trace.jsonl'}}");
	assert_string_equal(t->cfg->path, "config.json");
	assert_string_equal(t->cfg->desired_state, "./desired.json");
	assert_string_equal(t->cfg->trace_jsonl, "./trace.jsonl");
	expect_ok_as(t, "etc/config.json", "{'desired_state':'d.json'}");
	assert_string_equal(t->cfg->desired_state, "etc/d.json");
}

/*
 * The folder of "/config.json" is "/": config_resolve must not add a second
 * separator. POSIX leaves a leading "//" implementation-defined (Cygwin
 * reads it as a network host), and logs would show the odd path.
 */
static void
config_resolves_against_root_without_doubling_the_slash(void **state)
{
	struct tctx	*t = *state;

	expect_ok_as(t, "/config.json", "{'trace':{'jsonl':'trace.jsonl'}}");
	assert_string_equal(t->cfg->desired_state, "/desired.json");
	assert_string_equal(t->cfg->trace_jsonl, "/trace.jsonl");
}

static void
config_accepts_the_coder_markers(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'hosts':{'begin_marker':'# CoderHostsSectionStart',"
	    "'end_marker':'# CoderHostsSectionEnd'}}");
	assert_string_equal(t->cfg->begin_marker, "# CoderHostsSectionStart");
	assert_string_equal(t->cfg->end_marker, "# CoderHostsSectionEnd");
	/* Markers are not paths: nothing is prefixed. */
	expect_ok(t, "{'hosts':{'begin_marker':'#beginning1','end_marker':'#ending12'}}");
	assert_string_equal(t->cfg->begin_marker, "#beginning1");
	assert_string_equal(t->cfg->end_marker, "#ending12");
}

static void
config_can_turn_hosts_off_and_on(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'hosts':{'enabled':false}}");
	assert_false(t->cfg->hosts_enabled);
	expect_ok(t, "{'hosts':{'enabled':true}}");
	assert_true(t->cfg->hosts_enabled);
}

static void
config_reads_every_backoff_value(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'backoff':{'initial_ms':100,'multiplier':1.5,"
	    "'max_interval_ms':2000,'deadline_ms':10000,'jitter':0.1}}");
	assert_int_equal(t->cfg->backoff.initial_ms, 100);
	assert_true(t->cfg->backoff.multiplier == 1.5);
	assert_int_equal(t->cfg->backoff.max_interval_ms, 2000);
	assert_int_equal(t->cfg->backoff.deadline_ms, 10000);
	assert_true(t->cfg->backoff.jitter == 0.1);
	/* Keys left out keep their defaults. */
	expect_ok(t, "{'backoff':{'deadline_ms':60000}}");
	assert_int_equal(t->cfg->backoff.deadline_ms, 60000);
	assert_int_equal(t->cfg->backoff.initial_ms, 50);
	assert_true(t->cfg->backoff.jitter == 0.2);
}

static void
config_accepts_backoff_values_at_their_bounds(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'backoff':{'initial_ms':1,'multiplier':1,"
	    "'max_interval_ms':1,'deadline_ms':0,'jitter':0}}");
	assert_int_equal(t->cfg->backoff.initial_ms, 1);
	assert_true(t->cfg->backoff.multiplier == 1.0);
	assert_int_equal(t->cfg->backoff.max_interval_ms, 1);
	assert_int_equal(t->cfg->backoff.deadline_ms, 0);
	assert_true(t->cfg->backoff.jitter == 0.0);
	expect_ok(t, "{'backoff':{'initial_ms':86400000,'multiplier':100,"
	    "'max_interval_ms':86400000,'deadline_ms':86400000,'jitter':1}}");
	assert_int_equal(t->cfg->backoff.initial_ms, 86400000);
	assert_true(t->cfg->backoff.multiplier == 100.0);
	assert_int_equal(t->cfg->backoff.deadline_ms, 86400000);
	assert_true(t->cfg->backoff.jitter == 1.0);
	/* A whole number written with a fraction or an exponent is whole. */
	expect_ok(t, "{'backoff':{'initial_ms':100.0,'max_interval_ms':5e3}}");
	assert_int_equal(t->cfg->backoff.initial_ms, 100);
	assert_int_equal(t->cfg->backoff.max_interval_ms, 5000);
}

/* Keys and types. */

static void
config_rejects_unknown_top_level_keys(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'desired':'d.json'}", 1);
	expect_problem(t, "$", "unknown key \"desired\"");
	expect_refused(t, "{'Hosts':{}}", 1);
	expect_problem(t, "$", "unknown key \"Hosts\"");
}

static void
config_rejects_unknown_keys_in_each_section(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':{'file':'/etc/hosts'}}", 1);
	expect_problem(t, "$.hosts", "unknown key \"file\"");
	expect_refused(t, "{'trace':{'jsonl':'t.jsonl','level':'debug'}}", 1);
	expect_problem(t, "$.trace", "unknown key \"level\"");
	expect_refused(t, "{'backoff':{'initial':50}}", 1);
	expect_problem(t, "$.backoff", "unknown key \"initial\"");
	expect_refused(t, "{'backoff':{'jitter':0.1,'jitter':0.3}}", 1);
	expect_problem(t, "$.backoff", "duplicate key \"jitter\"");
}

static void
config_rejects_sections_that_are_not_objects(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':[],'trace':true,'backoff':50}", 3);
	expect_problem(t, "$.hosts", "must be an object, not an array");
	expect_problem(t, "$.trace", "must be an object, not a boolean");
	expect_problem(t, "$.backoff", "must be an object, not a number");
	expect_refused(t, "{'hosts':null}", 1);
	expect_problem(t, "$.hosts", "must be an object, not null");
}

static void
config_rejects_paths_and_markers_that_are_not_strings(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'desired_state':1,'hosts':{'path':null,"
	    "'begin_marker':['#a'],'end_marker':{}},'trace':{'jsonl':false}}", 5);
	expect_problem(t, "$.desired_state", WHY_STRING "a number");
	expect_problem(t, "$.hosts.path", WHY_STRING "null");
	expect_problem(t, "$.hosts.begin_marker", WHY_STRING "an array");
	expect_problem(t, "$.hosts.end_marker", WHY_STRING "an object");
	expect_problem(t, "$.trace.jsonl", WHY_STRING "a boolean");
}

static void
config_rejects_empty_strings(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'desired_state':'','hosts':{'path':'',"
	    "'begin_marker':'','end_marker':''},'trace':{'jsonl':''}}", 5);
	expect_problem(t, "$.desired_state", WHY_STRING "an empty string");
	expect_problem(t, "$.hosts.path", WHY_STRING "an empty string");
	expect_problem(t, "$.hosts.begin_marker", WHY_STRING "an empty string");
	expect_problem(t, "$.hosts.end_marker", WHY_STRING "an empty string");
	expect_problem(t, "$.trace.jsonl", WHY_STRING "an empty string");
}

static void
config_rejects_enabled_that_is_not_a_boolean(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':{'enabled':'yes'}}", 1);
	expect_problem(t, "$.hosts.enabled", "must be true or false, not a string");
	expect_refused(t, "{'hosts':{'enabled':1}}", 1);
	expect_problem(t, "$.hosts.enabled", "must be true or false, not a number");
	expect_refused(t, "{'hosts':{'enabled':null}}", 1);
	expect_problem(t, "$.hosts.enabled", "must be true or false, not null");
}

/* Backoff ranges. */

static void
config_rejects_multiplier_out_of_range(void **state)
{
	static const char *const docs[] = {
		"{'backoff':{'multiplier':0.5}}",
		"{'backoff':{'multiplier':0}}",
		"{'backoff':{'multiplier':-2}}",
		"{'backoff':{'multiplier':100.5}}",
		"{'backoff':{'multiplier':'2'}}",
		"{'backoff':{'multiplier':1e400}}",
	};
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i], 1);
		expect_problem(t, "$.backoff.multiplier", WHY_MULT);
	}
}

static void
config_rejects_jitter_out_of_range(void **state)
{
	static const char *const docs[] = {
		"{'backoff':{'jitter':1.5}}",
		"{'backoff':{'jitter':-0.1}}",
		"{'backoff':{'jitter':'0.2'}}",
		"{'backoff':{'jitter':null}}",
	};
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i], 1);
		expect_problem(t, "$.backoff.jitter", WHY_JITTER);
	}
}

static void
config_rejects_zero_initial_ms(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'backoff':{'initial_ms':0}}", 1);
	expect_problem(t, "$.backoff.initial_ms", WHY_MS);
	expect_refused(t, "{'backoff':{'max_interval_ms':0}}", 1);
	expect_problem(t, "$.backoff.max_interval_ms", WHY_MS);
}

static void
config_rejects_ms_that_are_not_whole_numbers(void **state)
{
	static const char *const docs[][2] = {
		{ "{'backoff':{'initial_ms':50.5}}", "$.backoff.initial_ms" },
		{ "{'backoff':{'initial_ms':'50'}}", "$.backoff.initial_ms" },
		{ "{'backoff':{'max_interval_ms':true}}",
		    "$.backoff.max_interval_ms" },
		{ "{'backoff':{'max_interval_ms':4999.999}}",
		    "$.backoff.max_interval_ms" },
		{ "{'backoff':{'deadline_ms':[30000]}}", "$.backoff.deadline_ms" },
		{ "{'backoff':{'deadline_ms':0.5}}", "$.backoff.deadline_ms" },
	};
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i][0], 1);
		expect_problem(t, docs[i][1],
		    "must be a whole number of milliseconds from");
	}
}

/*
 * Values past the range of long long (1e300, and 1e400 which cJSON reads as
 * infinity) must be refused too. config_ms converts the double to long long
 * before its range test, which is undefined behaviour for them: this passes
 * on x86-64, and gcc -fsanitize=float-cast-overflow reports the conversion.
 */
static void
config_rejects_ms_out_of_range(void **state)
{
	static const char *const docs[][2] = {
		{ "{'backoff':{'initial_ms':86400001}}", "$.backoff.initial_ms" },
		{ "{'backoff':{'initial_ms':-1}}", "$.backoff.initial_ms" },
		{ "{'backoff':{'max_interval_ms':4294967346}}",
		    "$.backoff.max_interval_ms" },
		{ "{'backoff':{'deadline_ms':-1}}", "$.backoff.deadline_ms" },
		{ "{'backoff':{'deadline_ms':1e300}}", "$.backoff.deadline_ms" },
		{ "{'backoff':{'deadline_ms':1e400}}", "$.backoff.deadline_ms" },
	};
	struct tctx	*t = *state;
	size_t		 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_refused(t, docs[i][0], 1);
		expect_problem(t, docs[i][1],
		    "must be a whole number of milliseconds from");
	}
	expect_problem(t, "$.backoff.deadline_ms",
	    "must be a whole number of milliseconds from 0 to 86400000");
}

static void
config_rejects_max_interval_below_initial(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'backoff':{'initial_ms':100,'max_interval_ms':50}}", 1);
	expect_problem(t, "$.backoff",
	    "max_interval_ms must not be below initial_ms");
	/* Against the default cap of 5000 ms. */
	expect_refused(t, "{'backoff':{'initial_ms':6000}}", 1);
	expect_problem(t, "$.backoff",
	    "max_interval_ms must not be below initial_ms");
}

/* Markers. */

static void
config_rejects_marker_not_starting_with_hash(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':{'begin_marker':'DnsWatchdogSectionStart'}}", 1);
	expect_problem(t, "$.hosts",
	    "the begin marker does not start with '#'");
	expect_refused(t, "{'hosts':{'end_marker':'; end'}}", 1);
	expect_problem(t, "$.hosts", "the end marker does not start with '#'");
	expect_refused(t, "{'hosts':{'begin_marker':' # begin'}}", 1);
	expect_problem(t, "$.hosts", "the begin marker starts with whitespace");
}

static void
config_rejects_marker_with_newline(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':{'begin_marker':'# a\\nb'}}", 1);
	expect_problem(t, "$.hosts", "the begin marker has a character that is "
	    "not printable ASCII at position 4");
	expect_refused(t, "{'hosts':{'end_marker':'# end\\r'}}", 1);
	expect_problem(t, "$.hosts", "the end marker has a character that is "
	    "not printable ASCII at position 6");
	expect_refused(t, "{'hosts':{'end_marker':'# caf\xc3\xa9'}}", 1);
	expect_problem(t, "$.hosts", "the end marker has a character that is "
	    "not printable ASCII at position 6");
}

static void
config_rejects_equal_markers(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'hosts':{'begin_marker':'# dnswatchdog',"
	    "'end_marker':'# dnswatchdog'}}", 1);
	expect_problem(t, "$.hosts", "the begin and end markers are the same");
	/* The default end marker set as the begin one. */
	expect_refused(t, "{'hosts':{'begin_marker':'# DnsWatchdogSectionEnd'}}", 1);
	expect_problem(t, "$.hosts", "the begin and end markers are the same");
}

static void
config_rejects_marker_longer_than_128_chars(void **state)
{
	struct tctx	*t = *state;
	char		 doc[512], marker[140];

	marker[0] = '#';
	memset(marker + 1, 'm', 128);
	marker[129] = '\0';
	snprintf(doc, sizeof(doc), "{'hosts':{'begin_marker':'%s'}}", marker);
	expect_refused(t, doc, 1);
	expect_problem(t, "$.hosts", "the begin marker is longer than 128");
	marker[128] = '\0';
	snprintf(doc, sizeof(doc), "{'hosts':{'begin_marker':'%s'}}", marker);
	expect_ok(t, doc);
	assert_int_equal(strlen(t->cfg->begin_marker), 128);
}

/* Framing. */

static void
config_rejects_invalid_json_naming_the_file(void **state)
{
	struct tctx	*t = *state;

	/* cJSON stops one byte past a bad key: the '}' is in column 3. */
	expect_refused(t, "{\n  'backoff': {\n    'jitter': 0.1,\n  }\n}", 1);
	expect_problem(t, "$", "invalid JSON near line 4, column 4");
	expect_refused(t, "", 1);
	expect_problem(t, "$", "invalid JSON near line 1, column 1");
	expect_refused(t, "{} {}", 1);
	expect_problem(t, "$", "unexpected data after the JSON value at line 1, "
	    "column 4");
}

static void
config_rejects_top_level_that_is_not_an_object(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "[]", 1);
	expect_problem(t, "$", "must be an object, not an array");
	expect_refused(t, "'/etc/dnswatchdog/desired.json'", 1);
	expect_problem(t, "$", "must be an object, not a string");
}

static void
config_refuses_nesting_deeper_than_8(void **state)
{
	struct tctx	*t = *state;

	/* Eight levels parse, then the unknown key is found. */
	expect_refused(t, "{'x':[[[[[[[1]]]]]]]}", 1);
	expect_problem(t, "$", "unknown key \"x\"");
	expect_refused(t, "{'x':[[[[[[[[1]]]]]]]]}", 1);
	expect_problem(t, "$", "nesting deeper than 8 levels at line 1");
}

static void
config_refuses_text_over_1_mib_unread(void **state)
{
	struct tctx	*t = *state;

	free(t->text);
	t->len = CONFIG_MAX_BYTES + 1;
	t->text = calloc(1, t->len);
	assert_non_null(t->text);
	config_free(t->cfg);
	t->cfg = NULL;
	expect_failure(t, config_parse(t->text, t->len, TEST_FILE, &t->cfg,
	    &t->err), 1);
	expect_problem(t, "$", "file is 1048577 bytes, over the limit of 1048576");
}

static void
config_reads_the_trace_size_cap(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'trace':{'jsonl':'t.jsonl','max_bytes':1048576}}");
	assert_int_equal(t->cfg->trace_max_bytes, 1048576);
	expect_ok(t, "{'trace':{'max_bytes':1024}}");
	assert_int_equal(t->cfg->trace_max_bytes, 1024);
	expect_ok(t, "{'trace':{'max_bytes':1073741824}}");
	assert_int_equal(t->cfg->trace_max_bytes, 1u << 30);
}

static void
config_refuses_a_bad_trace_size_cap(void **state)
{
	static const char *const bad[] = { "0", "1023", "1073741825", "1e12",
	    "-1", "1500.5", "'16M'", "true", "null", "[]", NULL };
	struct tctx	*t = *state;
	char		 doc[128];
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		snprintf(doc, sizeof(doc), "{'trace':{'jsonl':'t.jsonl',"
		    "'max_bytes':%s}}", bad[i]);
		expect_refused(t, doc, 1);
		expect_problem(t, "$.trace.max_bytes", "must be a whole number "
		    "of bytes from 1024 to 1073741824");
	}
}

static void
config_reports_several_problems_together(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'trace':{'jsonl':7},'extra':1,"
	    "'hosts':{'enabled':'no'},"
	    "'backoff':{'initial_ms':0,'multiplier':0.5,'jitter':1.5}}", 6);
	expect_problem(t, "$", "unknown key \"extra\"");
	expect_problem(t, "$.hosts.enabled", "must be true or false, not a string");
	expect_problem(t, "$.trace.jsonl", WHY_STRING "a number");
	expect_problem(t, "$.backoff.initial_ms", WHY_MS);
	expect_problem(t, "$.backoff.multiplier", WHY_MULT);
	expect_problem(t, "$.backoff.jitter", WHY_JITTER);
}

static void
config_names_the_input_when_file_is_null(void **state)
{
	struct tctx	*t = *state;

	expect_failure(t, tctx_parse_as(t, NULL, "{'x':1}"), 1);
	assert_string_equal(t->err.msg, "(input): $: unknown key \"x\"");
	/* Without a file the path field stays empty. */
	expect_ok_as(t, NULL, "{}");
	assert_null(t->cfg->path);
}

/* config_load. */

static void
config_load_fails_with_enoent_for_a_missing_file(void **state)
{
	struct tctx	*t = *state;
	const char	*path = CONFIG_FIXTURES "/no_such_config.json";

	assert_int_equal(config_load(path, &t->cfg, &t->err), -1);
	assert_null(t->cfg);
	assert_int_equal(t->err.code, PLATFORM_E_NOENT);
	expect_read_error(t->err.msg, path, NOENT_TAIL);
}

static void
config_load_refuses_a_folder(void **state)
{
	struct tctx	*t = *state;

	assert_int_equal(config_load(CONFIG_FIXTURES, &t->cfg, &t->err), -1);
	assert_null(t->cfg);
	assert_int_equal(t->err.code, FOLDER_CODE);
	expect_read_error(t->err.msg, CONFIG_FIXTURES, FOLDER_TAIL);
}

static void
config_load_resolves_a_fixture_against_its_folder(void **state)
{
	struct tctx	*t = *state;
	const char	*path = CONFIG_FIXTURES "/relative_paths.json";

	if (config_load(path, &t->cfg, &t->err) != 0)
		fail_msg("%s", t->err.msg);
	assert_string_equal(t->cfg->path, path);
	assert_string_equal(t->cfg->desired_state,
	    CONFIG_FIXTURES "/state/desired.json");
	assert_true(t->cfg->hosts_enabled);
	assert_string_equal(t->cfg->hosts_path, CONFIG_FIXTURES "/hosts.test");
	assert_string_equal(t->cfg->begin_marker, "# CoderHostsSectionStart");
	assert_string_equal(t->cfg->end_marker, "# CoderHostsSectionEnd");
	assert_string_equal(t->cfg->trace_jsonl,
	    CONFIG_FIXTURES "/logs/trace.jsonl");
	assert_int_equal(t->cfg->backoff.initial_ms, 100);
	assert_true(t->cfg->backoff.multiplier == 1.5);
	assert_int_equal(t->cfg->backoff.max_interval_ms, 2000);
	assert_int_equal(t->cfg->backoff.deadline_ms, 10000);
	assert_true(t->cfg->backoff.jitter == 0.1);
}

static void
config_load_keeps_absolute_paths_of_a_fixture(void **state)
{
	struct tctx	*t = *state;

	if (config_load(CONFIG_FIXTURES "/absolute_paths.json", &t->cfg,
	    &t->err) != 0)
		fail_msg("%s", t->err.msg);
	assert_string_equal(t->cfg->desired_state,
	    "/var/lib/dnswatchdog/desired.json");
	assert_false(t->cfg->hosts_enabled);
	assert_string_equal(t->cfg->hosts_path, "/etc/hosts");
	assert_string_equal(t->cfg->trace_jsonl,
	    "/var/log/dnswatchdog/trace.jsonl");
	expect_default_backoff(&t->cfg->backoff);
}

static void
config_load_of_an_empty_object_gives_defaults_beside_it(void **state)
{
	struct tctx	*t = *state;

	if (config_load(CONFIG_FIXTURES "/empty_object.json", &t->cfg,
	    &t->err) != 0)
		fail_msg("%s", t->err.msg);
	assert_string_equal(t->cfg->desired_state,
	    CONFIG_FIXTURES "/desired.json");
	assert_string_equal(t->cfg->hosts_path, platform_default_hosts());
	assert_null(t->cfg->trace_jsonl);
	expect_default_backoff(&t->cfg->backoff);
}

static void
config_load_reports_problems_with_the_file_path(void **state)
{
	struct tctx	*t = *state;

	t->file = CONFIG_FIXTURES "/several_problems.json";
	expect_failure(t, config_load(t->file, &t->cfg, &t->err), 7);
	expect_problem(t, "$", "unknown key \"log_level\"");
	expect_problem(t, "$.hosts", "unknown key \"file\"");
	expect_problem(t, "$.hosts.enabled", "must be true or false, not a string");
	expect_problem(t, "$.trace.jsonl", WHY_STRING "an empty string");
	expect_problem(t, "$.backoff.initial_ms", WHY_MS);
	expect_problem(t, "$.backoff.multiplier", WHY_MULT);
	expect_problem(t, "$.backoff.jitter", WHY_JITTER);
}

static void
config_load_without_a_file_falls_back_to_defaults(void **state)
{
	struct tctx	*t = *state;
	const char	*def = platform_default_config();
	char		 want[LINE_BYTES];
	size_t		 n = strlen(def) - strlen("config.json");
	FILE		*f;

	if ((f = fopen(def, "r")) != NULL) {
		fclose(f);
		skip();	/* this machine has a config of its own */
	}
	assert_int_equal(config_load(NULL, &t->cfg, &t->err), 0);
	assert_int_equal(t->err.count, 0);
	assert_null(t->cfg->path);
	/* desired.json beside where the config would be:
	 * /etc/dnswatchdog/desired.json, %ProgramData%\DnsWatchdog\... */
	assert_string_equal(def + n, "config.json");
	snprintf(want, sizeof(want), "%.*sdesired.json", (int)n, def);
	assert_string_equal(t->cfg->desired_state, want);
	assert_string_equal(t->cfg->hosts_path, platform_default_hosts());
	assert_true(t->cfg->hosts_enabled);
	expect_default_backoff(&t->cfg->backoff);
}

/* -- follow ----------------------------------------------------------- */

static void
config_follow_takes_a_tunnel_from_the_table(void **state)
{
	struct tctx	*t = *state;
	char		 want[LINE_BYTES];

	expect_ok(t, "{'follow':{'tunnel':'coder'}}");
	assert_true(t->cfg->follow_enabled);
	assert_string_equal(t->cfg->follow_tunnel, "coder");
	assert_string_equal(t->cfg->follow_record_key, "SOFTWARE\\Coder VPN");
	assert_string_equal(t->cfg->follow_record_value, "NRPTRuleIDs");
	/* The tunnel's markers are the hosts markers. */
	assert_string_equal(t->cfg->begin_marker, "# CoderHostsSectionStart");
	assert_string_equal(t->cfg->end_marker, "# CoderHostsSectionEnd");
	assert_string_equal(t->cfg->follow_adapter_guid,
	    "{0ed1515d-04a4-4c46-abae-11ad07cf0e6d}");
	assert_true(t->cfg->follow_require_adapter);
	assert_int_equal(t->cfg->follow_forget_after_ms, 86400000u);
	snprintf(want, sizeof(want), "%s%cfollow-coder.json",
	    platform_default_state_dir(),
	    strchr(platform_default_state_dir(), '\\') != NULL ? '\\' : '/');
	assert_string_equal(t->cfg->follow_state, want);

	expect_ok(t, "{'follow':{'tunnel':'tailscale','state':'learned.json',"
	    "'require_adapter':false,'forget_after_ms':3600000}}");
	assert_string_equal(t->cfg->begin_marker, "# TailscaleHostsSectionStart");
	assert_string_equal(t->cfg->follow_state, TEST_DIR "/learned.json");
	assert_false(t->cfg->follow_require_adapter);
	assert_int_equal(t->cfg->follow_forget_after_ms, 3600000u);

	/* Off unless asked for. */
	expect_ok(t, "{}");
	assert_false(t->cfg->follow_enabled);
}

static void
config_follow_takes_a_tunnel_spelled_out(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{'follow':{'tunnel':{'name':'acme','record_key':"
	    "'SOFTWARE\\\\Acme VPN','begin_marker':'# AcmeHostsStart',"
	    "'end_marker':'# AcmeHostsEnd','adapter_name':'Acme'}}}");
	assert_string_equal(t->cfg->follow_tunnel, "acme");
	assert_string_equal(t->cfg->follow_record_key, "SOFTWARE\\Acme VPN");
	assert_string_equal(t->cfg->follow_record_value, "NRPTRuleIDs");
	assert_string_equal(t->cfg->begin_marker, "# AcmeHostsStart");
	assert_null(t->cfg->follow_adapter_guid);
	assert_string_equal(t->cfg->follow_adapter_name, "Acme");
}

static void
config_follow_refuses_what_cannot_work(void **state)
{
	struct tctx	*t = *state;

	/* Two sources of desired state. */
	expect_refused(t, "{'desired_state':'d.json','follow':{'tunnel':"
	    "'coder'}}", 1);
	expect_problem(t, "$.follow", "cannot be used with $.desired_state");
	/* Two sets of markers. */
	expect_refused(t, "{'hosts':{'begin_marker':'# MyOwnSectionStart'},"
	    "'follow':{'tunnel':'coder'}}", 1);
	expect_problem(t, "$.follow", "cannot be used with "
	    "$.hosts.begin_marker or $.hosts.end_marker");
	/* Our record where the tunnel keeps its own. */
	expect_refused(t, "{'nrpt':{'record_key':'SOFTWARE\\\\Coder VPN'},"
	    "'follow':{'tunnel':'coder'}}", 1);
	expect_problem(t, "$.nrpt.record_key", "is the tunnel's own record");
	expect_refused(t, "{'follow':{'tunnel':'wireguard'}}", 1);
	expect_problem(t, "$.follow.tunnel",
	    "must be \"coder\" or \"tailscale\"");
	expect_refused(t, "{'follow':{}}", 1);
	expect_problem(t, "$.follow", "must have \"tunnel\"");
	expect_refused(t, "{'follow':{'tunnel':3}}", 1);
	expect_refused(t, "{'follow':{'tunnel':'coder','extra':1}}", 1);
	expect_refused(t, "{'follow':{'tunnel':'coder','forget_after_ms':10}}",
	    1);
	expect_problem(t, "$.follow.forget_after_ms", "from 1000 to 2592000000");
	/* Spelled out: what it must have. */
	expect_refused(t, "{'follow':{'tunnel':{'name':'acme'}}}", 2);
	expect_problem(t, "$.follow.tunnel", "must have \"record_key\"");
	expect_problem(t, "$.follow.tunnel",
	    "must have \"begin_marker\" and \"end_marker\"");
	expect_refused(t, "{'follow':{'tunnel':{'name':'Acme VPN','record_key':"
	    "'K','begin_marker':'# AcmeHostsStart','end_marker':"
	    "'# AcmeHostsEnd','adapter_name':'a'}}}", 1);
	expect_problem(t, "$.follow.tunnel.name", "lower-case letters");
	expect_refused(t, "{'follow':{'tunnel':{'record_key':'K',"
	    "'begin_marker':'# AcmeHostsStart','end_marker':"
	    "'# AcmeHostsEnd'}}}", 1);
	expect_problem(t, "$.follow.require_adapter", "names no adapter");
	expect_ok(t, "{'follow':{'require_adapter':false,'tunnel':{"
	    "'record_key':'K','begin_marker':'# AcmeHostsStart',"
	    "'end_marker':'# AcmeHostsEnd'}}}");
	assert_string_equal(t->cfg->follow_tunnel, "custom");
}

static void
config_resolved_is_off_until_enabled(void **state)
{
	struct tctx	*t = *state;

	expect_ok(t, "{}");
	assert_false(t->cfg->resolved_enabled);
	assert_null(t->cfg->resolved_link);
	assert_false(t->cfg->resolved_default_route);
	/* The record goes to the state folder unless said. */
	assert_non_null(strstr(t->cfg->resolved_state, "resolved-link.json"));
	expect_ok(t, "{'resolved':{'enabled':true,'link':'tun',"
	    "'default_route':true,'state':'rec.json'}}");
	assert_true(t->cfg->resolved_enabled);
	assert_string_equal(t->cfg->resolved_link, "tun");
	assert_true(t->cfg->resolved_default_route);
	assert_string_equal(t->cfg->resolved_state, TEST_DIR "/rec.json");
	/* A link named while off is kept for when it is turned on. */
	expect_ok(t, "{'resolved':{'enabled':false,'link':'tun0'}}");
	assert_false(t->cfg->resolved_enabled);
}

static void
config_resolved_refuses_what_cannot_work(void **state)
{
	struct tctx	*t = *state;

	expect_refused(t, "{'resolved':{'enabled':true}}", 1);
	expect_problem(t, "$.resolved.link", "is required when "
	    "$.resolved.enabled is true");
	expect_refused(t, "{'resolved':{'enabled':true,'link':"
	    "'a-name-longer-than-15'}}", 1);
	expect_problem(t, "$.resolved.link", "at most 15 characters");
	expect_refused(t, "{'resolved':{'link':'tun/0'}}", 1);
	expect_problem(t, "$.resolved.link", "no '/' or white space");
	expect_refused(t, "{'resolved':{'enabled':'yes','link':'',"
	    "'default_route':0,'extra':1}}", 4);
	expect_problem(t, "$.resolved", "unknown key \"extra\"");
	expect_problem(t, "$.resolved.enabled", "must be true or false");
	expect_problem(t, "$.resolved.link", "must be a non-empty string");
	expect_problem(t, "$.resolved.default_route", "must be true or false");
	expect_refused(t, "{'resolved':[]}", 1);
	expect_problem(t, "$.resolved", "must be an object, not an array");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tctx_setup, tctx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(config_uses_defaults_when_keys_are_absent),
		T(config_follow_takes_a_tunnel_from_the_table),
		T(config_follow_takes_a_tunnel_spelled_out),
		T(config_follow_refuses_what_cannot_work),
		T(config_uses_defaults_for_empty_sections),
		T(config_defaults_to_the_platforms_vpn_prefixes),
		T(config_vpn_prefixes_replace_the_defaults),
		T(config_resolves_relative_paths_against_the_config_folder),
		T(config_keeps_absolute_paths),
		T(config_resolves_against_dot_when_file_has_no_folder),
		T(config_resolves_against_root_without_doubling_the_slash),
		T(config_accepts_the_coder_markers),
		T(config_can_turn_hosts_off_and_on),
		T(config_reads_every_backoff_value),
		T(config_accepts_backoff_values_at_their_bounds),
		T(config_rejects_unknown_top_level_keys),
		T(config_rejects_unknown_keys_in_each_section),
		T(config_rejects_sections_that_are_not_objects),
		T(config_rejects_paths_and_markers_that_are_not_strings),
		T(config_rejects_empty_strings),
		T(config_rejects_enabled_that_is_not_a_boolean),
		T(config_rejects_multiplier_out_of_range),
		T(config_rejects_jitter_out_of_range),
		T(config_rejects_zero_initial_ms),
		T(config_rejects_ms_that_are_not_whole_numbers),
		T(config_rejects_ms_out_of_range),
		T(config_rejects_max_interval_below_initial),
		T(config_rejects_marker_not_starting_with_hash),
		T(config_rejects_marker_with_newline),
		T(config_rejects_equal_markers),
		T(config_rejects_marker_longer_than_128_chars),
		T(config_rejects_invalid_json_naming_the_file),
		T(config_rejects_top_level_that_is_not_an_object),
		T(config_refuses_nesting_deeper_than_8),
		T(config_refuses_text_over_1_mib_unread),
		T(config_reports_several_problems_together),
		T(config_names_the_input_when_file_is_null),
		T(config_load_fails_with_enoent_for_a_missing_file),
		T(config_load_refuses_a_folder),
		T(config_reads_the_trace_size_cap),
		T(config_refuses_a_bad_trace_size_cap),
		T(config_load_resolves_a_fixture_against_its_folder),
		T(config_load_keeps_absolute_paths_of_a_fixture),
		T(config_load_of_an_empty_object_gives_defaults_beside_it),
		T(config_load_reports_problems_with_the_file_path),
		T(config_load_without_a_file_falls_back_to_defaults),
		T(config_resolved_is_off_until_enabled),
		T(config_resolved_refuses_what_cannot_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
