/*
 * Follow mode under Wine, with the real registry: what Coder Desktop's
 * tunnel leaves is set up with reg.exe, as the tunnel would write it (a
 * record of rule IDs, rule keys in the local table, its hosts section),
 * and passes are run in this process (reconcile_once, as `once` runs
 * them). The tunnel's adapter goes through the store's seam: Wine has no
 * Wintun adapter.
 *
 * The record lives under a key of the test's own, so that a real tunnel's
 * is never touched; the rule keys are in the real NRPT tables of the test
 * prefix.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "follow_store.h"
#include "platform.h"
#include "reconcile.h"
#include "testutil.h"
#include "trace.h"
#include "win/winrun.h"

#define REG		"C:\\windows\\system32\\reg.exe"
#define RECORD_KEY	"SOFTWARE\\DwTest Coder VPN"
#define OUR_RECORD_KEY	"SOFTWARE\\DwTest Follow Ours"
#define LOCAL_TABLE	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
	"Parameters\\DnsPolicyConfig"
#define GP_TABLE	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\" \
	"DNSClient\\DnsPolicyConfig"
#define ID_A		"{5b0c6b2e-8a57-4f2e-9a65-2f1d0c3b7a11}"
#define ID_B		"{9e3d4c1a-6b7f-4d28-8c5e-0a1b2c3d4e5f}"
#define CODER_GUID	"{0ed1515d-04a4-4c46-abae-11ad07cf0e6d}"
#define SECTION		"# CoderHostsSectionStart\r\n" \
	"fd60:627a:a42b::10 alice-ws.coder\r\n" \
	"fd60:627a:a42b::11 bob-ws.coder\r\n" \
	"# CoderHostsSectionEnd\r\n"
#define FOREIGN		"127.0.0.1 localhost\r\n"

struct fx {
	char	 dir[MAX_PATH];
	char	 config[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	 state[MAX_PATH];
	char	 trace[MAX_PATH];
	char	 out[MAX_PATH];
	bool	 alive;		/* what the adapter seam answers */
	unsigned asked;		/* how often it was asked */
};

static bool
fx_alive(const struct follow_tunnel *tun, void *ctx)
{
	struct fx	*fx = ctx;

	/* The tunnel as the config names it: Coder's adapter. */
	assert_string_equal(tun->adapter_guid, CODER_GUID);
	fx->asked++;
	return fx->alive;
}

static void
reg(struct fx *fx, const char *fmt, ...)
{
	char	 args[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (winrun(REG, args, fx->out, NULL) != 0)
		fail_msg("reg.exe %s failed", args);
}

static void
reg_wipe(const char *path)
{
	RegDeleteTreeA(HKEY_LOCAL_MACHINE, path);
	RegDeleteKeyA(HKEY_LOCAL_MACHINE, path);
}

/* What Coder Desktop writes for one rule: GUID key, Name as a
 * REG_MULTI_SZ, GenericDNSServers, ConfigOptions 8, Version 1. */
static void
tunnel_rule(struct fx *fx, const char *table, const char *id)
{
	reg(fx, "add \"HKLM\\%s\\%s\" /v Name /t REG_MULTI_SZ /d .coder /f",
	    table, id);
	reg(fx, "add \"HKLM\\%s\\%s\" /v GenericDNSServers /t REG_SZ /d "
	    "fd60:627a:a42b::53 /f", table, id);
	reg(fx, "add \"HKLM\\%s\\%s\" /v ConfigOptions /t REG_DWORD /d 8 /f",
	    table, id);
	reg(fx, "add \"HKLM\\%s\\%s\" /v Version /t REG_DWORD /d 1 /f", table,
	    id);
}

static void
tunnel_record(struct fx *fx, const char *ids)
{
	reg(fx, "add \"HKLM\\%s\" /v NRPTRuleIDs /t REG_MULTI_SZ /d %s /f",
	    RECORD_KEY, ids);
}

/* Every value of HKLM\path as bytes: name, type, data, in order. */
static char *
key_dump(const char *path)
{
	wchar_t	 name[256];
	char	*out;
	BYTE	 data[1024];
	DWORD	 i, nlen, dlen, type, j;
	size_t	 len = 0, cap = 65536;
	HKEY	 k;

	assert_non_null(out = calloc(1, cap));
	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, path, 0, KEY_READ |
	    KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
		return out;	/* "" for a key that is not there */
	for (i = 0;; i++) {
		nlen = sizeof(name) / sizeof(name[0]);
		dlen = sizeof(data);
		/* The wide call: the bytes as stored, not converted. */
		if (RegEnumValueW(k, i, name, &nlen, NULL, &type, data,
		    &dlen) != ERROR_SUCCESS)
			break;
		len += (size_t)snprintf(out + len, cap - len, "%ls:%lu:", name,
		    (unsigned long)type);
		for (j = 0; j < dlen; j++)
			len += (size_t)snprintf(out + len, cap - len, "%02x",
			    data[j]);
		len += (size_t)snprintf(out + len, cap - len, "\n");
	}
	RegCloseKey(k);
	return out;
}

static char *
rule_dump(const char *table, const char *id)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s\\%s", table, id);
	return key_dump(path);
}

static bool
key_exists(const char *path)
{
	HKEY	 k;

	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, path, 0, KEY_READ |
	    KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

static void
wipe_all(void)
{
	char	 path[512];

	reg_wipe(RECORD_KEY);
	reg_wipe(OUR_RECORD_KEY);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_A);
	reg_wipe(path);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_B);
	reg_wipe(path);
	reg_wipe(GP_TABLE);
}

static void
put_config(struct fx *fx, bool require)
{
	char	 cfg[2048];

	snprintf(cfg, sizeof(cfg), "{\"follow\":{\"tunnel\":{\"name\":"
	    "\"coder\",\"record_key\":\"SOFTWARE\\\\DwTest Coder VPN\","
	    "\"begin_marker\":\"# CoderHostsSectionStart\",\"end_marker\":"
	    "\"# CoderHostsSectionEnd\",\"adapter_guid\":\"%s\","
	    "\"adapter_name\":\"Coder\"},\"state\":\"follow-coder.json\","
	    "\"require_adapter\":%s},"
	    "\"nrpt\":{\"record_key\":\"SOFTWARE\\\\DwTest Follow Ours\"},"
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"trace.jsonl\"}}", CODER_GUID, require ? "true" : "false");
	tu_put(fx->config, cfg, strlen(cfg));
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 tmp[MAX_PATH];

	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdwfollow-%lu", tmp,
	    (unsigned long)GetCurrentProcessId());
	tu_rmtree(fx->dir);
	CreateDirectoryA(fx->dir, NULL);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	snprintf(fx->state, sizeof(fx->state), "%s\\follow-coder.json",
	    fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s\\trace.jsonl", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s\\reg.out", fx->dir);
	put_config(fx, true);
	wipe_all();
	fx->alive = true;
	follow_store_set_alive_hook(fx_alive, fx);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	follow_store_set_alive_hook(NULL, NULL);
	wipe_all();
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static uint64_t
fx_clock(void *ctx)
{
	(void)ctx;
	return platform_wall_us();
}

/* One pass, as `once` runs it (a new process each time: the config is
 * read again and nothing but the state file carries over). */
static enum reconcile_result
pass(struct fx *fx)
{
	struct reconcile_opts		 opts = { RECONCILE_APPLY, "once", NULL };
	struct reconcile_summary	 sum;
	struct config			*cfg;
	struct trace			*t;
	struct dwerr			 err;

	if (config_load(fx->config, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(t = trace_new(fx_clock, NULL));
	assert_int_equal(trace_add_jsonl(t, cfg->trace_jsonl, 0, NULL, &err),
	    0);
	reconcile_once(cfg, t, &opts, &sum);
	trace_free(t);
	config_free(cfg);
	return sum.result;
}

static size_t
trace_count(struct fx *fx, const char *event, const char *also)
{
	char	*all = tu_slurp(fx->trace, NULL), *line, *next, key[96];
	size_t	 n = 0;

	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	for (line = all; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strstr(line, key) != NULL && (also == NULL ||
		    strstr(line, also) != NULL))
			n++;
	}
	free(all);
	return n;
}

static void
hosts_is(struct fx *fx, const char *want)
{
	char	*got = tu_slurp(fx->hosts, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* What the tunnel leaves: two rules, the record, its section. */
static void
tunnel_up(struct fx *fx)
{
	tunnel_rule(fx, LOCAL_TABLE, ID_A);
	tunnel_rule(fx, LOCAL_TABLE, ID_B);
	tunnel_record(fx, ID_A "\\0" ID_B);
	tu_put(fx->hosts, FOREIGN SECTION, strlen(FOREIGN SECTION));
}

/* The learn: nothing but the state file changes. */
static void
learn(struct fx *fx, char **a, char **b, char **record)
{
	tunnel_up(fx);
	*a = rule_dump(LOCAL_TABLE, ID_A);
	*b = rule_dump(LOCAL_TABLE, ID_B);
	*record = key_dump(RECORD_KEY);
	assert_int_equal(pass(fx), RECONCILE_NOOP);
	assert_int_equal(trace_count(fx, "FollowLearned",
	    "\"rules\":2,\"host_lines\":2"), 1);
	assert_true(GetFileAttributesA(fx->state) != INVALID_FILE_ATTRIBUTES);
	hosts_is(fx, FOREIGN SECTION);
}

static void
follow_learns_then_restores_a_wipe_as_it_was(void **state)
{
	struct fx	*fx = *state;
	char		*a, *b, *record, *now, path[512];

	learn(fx, &a, &b, &record);
	{
		char *again = rule_dump(LOCAL_TABLE, ID_A);

		assert_string_equal(again, a);	/* the learn wrote nothing */
		free(again);
	}

	/* A VPN reconnect wipes both keys; the section goes too. */
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_A);
	reg_wipe(path);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_B);
	reg_wipe(path);
	tu_put(fx->hosts, FOREIGN "10.1.2.3 portal.example\r\n",
	    strlen(FOREIGN "10.1.2.3 portal.example\r\n"));
	assert_int_equal(pass(fx), RECONCILE_CONVERGED);

	/* Back under the same IDs, every value byte for byte, in the
	 * local table; the section's bytes as they were, after the line
	 * another program added. */
	now = rule_dump(LOCAL_TABLE, ID_A);
	assert_string_equal(now, a);
	free(now);
	now = rule_dump(LOCAL_TABLE, ID_B);
	assert_string_equal(now, b);
	free(now);
	hosts_is(fx, FOREIGN "10.1.2.3 portal.example\r\n" SECTION);
	/* The tunnel's record untouched; our own record never lists them. */
	now = key_dump(RECORD_KEY);
	assert_string_equal(now, record);
	free(now);
	now = key_dump(OUR_RECORD_KEY);
	assert_null(strstr(now, ID_A));
	assert_null(strstr(now, ID_B));
	free(now);
	assert_false(key_exists(GP_TABLE));	/* never made */
	assert_int_equal(trace_count(fx, "FollowRestored",
	    "\"rules_written\":2,\"hosts_written\":true"), 1);
	assert_true(fx->asked > 0);

	/* Right again: the next pass writes nothing. */
	assert_int_equal(pass(fx), RECONCILE_NOOP);
	free(a);
	free(b);
	free(record);
}

static void
follow_learns_a_new_workspace_and_does_not_revert_it(void **state)
{
	struct fx	*fx = *state;
	const char	*file = FOREIGN "# CoderHostsSectionStart\r\n"
			    "fd60:627a:a42b::12 carol-ws.coder\r\n"
			    "# CoderHostsSectionEnd\r\n";
	char		*a, *b, *record, *now;

	learn(fx, &a, &b, &record);
	/* The tunnel changes a server and adds a line: learned. */
	reg(fx, "add \"HKLM\\%s\\%s\" /v GenericDNSServers /t REG_SZ /d "
	    "fd60:627a:a42b::54 /f", LOCAL_TABLE, ID_B);
	tu_put(fx->hosts, file, strlen(file));
	assert_int_equal(pass(fx), RECONCILE_NOOP);
	assert_int_equal(trace_count(fx, "FollowLearned", NULL), 2);
	now = rule_dump(LOCAL_TABLE, ID_B);
	assert_non_null(strstr(now, "GenericDNSServers:1:66006400360030003a00"));
	assert_string_not_equal(now, b);
	free(now);
	hosts_is(fx, file);	/* not reverted */
	now = tu_slurp(fx->state, NULL);
	assert_non_null(strstr(now, "carol-ws.coder"));
	free(now);
	free(a);
	free(b);
	free(record);
}

static void
follow_restores_nothing_when_the_tunnel_removed_its_rules(void **state)
{
	struct fx	*fx = *state;
	char		*a, *b, *record, path[512];

	learn(fx, &a, &b, &record);
	/* The tunnel disconnects on purpose: record value and rules go. */
	reg(fx, "delete \"HKLM\\%s\" /v NRPTRuleIDs /f", RECORD_KEY);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_A);
	reg_wipe(path);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_B);
	reg_wipe(path);
	tu_put(fx->hosts, FOREIGN, strlen(FOREIGN));
	assert_int_equal(pass(fx), RECONCILE_NOOP);
	assert_false(key_exists(LOCAL_TABLE "\\" ID_A));
	hosts_is(fx, FOREIGN);
	assert_int_equal(trace_count(fx, "FollowStoodDown",
	    "\"reason\":\"record removed\""), 1);
	/* Forgotten: the state file is gone. */
	assert_true(GetFileAttributesA(fx->state) == INVALID_FILE_ATTRIBUTES);
	free(a);
	free(b);
	free(record);
}

static void
follow_restores_nothing_while_the_adapter_is_gone(void **state)
{
	struct fx	*fx = *state;
	char		*a, *b, *record, path[512], *now;

	learn(fx, &a, &b, &record);
	fx->alive = false;
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_A);
	reg_wipe(path);
	assert_int_equal(pass(fx), RECONCILE_NOOP);
	assert_false(key_exists(path));
	assert_int_equal(trace_count(fx, "FollowStoodDown",
	    "\"reason\":\"adapter gone\""), 1);
	/* With require_adapter false, the adapter does not matter. */
	put_config(fx, false);
	assert_int_equal(pass(fx), RECONCILE_CONVERGED);
	now = rule_dump(LOCAL_TABLE, ID_A);
	assert_string_equal(now, a);
	free(now);
	free(a);
	free(b);
	free(record);
}

static void
follow_puts_rules_into_a_gp_table_that_appeared(void **state)
{
	struct fx	*fx = *state;
	char		*a, *b, *record, path[512], *now;

	learn(fx, &a, &b, &record);
	/* Group policy makes its table (empty: Windows then ignores the
	 * local one); a wipe follows. */
	reg(fx, "add \"HKLM\\%s\" /f", GP_TABLE);
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_A);
	reg_wipe(path);
	assert_int_equal(pass(fx), RECONCILE_CONVERGED);
	/* In the table it was learned from, and in the GP table too, for
	 * both rules (B was still local only). */
	now = rule_dump(LOCAL_TABLE, ID_A);
	assert_string_equal(now, a);
	free(now);
	now = rule_dump(GP_TABLE, ID_A);
	assert_string_equal(now, a);
	free(now);
	now = rule_dump(GP_TABLE, ID_B);
	assert_string_equal(now, b);
	free(now);
	free(a);
	free(b);
	free(record);
}

static void
follow_state_survives_a_restart_and_a_bad_one_changes_nothing(void **state)
{
	struct fx	*fx = *state;
	char		*a, *b, *record, path[512], *now;

	learn(fx, &a, &b, &record);
	/* Each pass is a new start: only the state file carried this. */
	snprintf(path, sizeof(path), "%s\\%s", LOCAL_TABLE, ID_B);
	reg_wipe(path);
	assert_int_equal(pass(fx), RECONCILE_CONVERGED);
	now = rule_dump(LOCAL_TABLE, ID_B);
	assert_string_equal(now, b);
	free(now);
	/* A state file someone broke: nothing is written, it says why. */
	tu_put(fx->state, "{\"version\":2}", 13);
	reg_wipe(path);
	assert_int_equal(pass(fx), RECONCILE_FAILED);
	assert_false(key_exists(path));
	assert_int_equal(trace_count(fx, "FollowStateInvalid",
	    "$.version: must be 1"), 1);
	free(a);
	free(b);
	free(record);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(follow_learns_then_restores_a_wipe_as_it_was),
		T(follow_learns_a_new_workspace_and_does_not_revert_it),
		T(follow_restores_nothing_when_the_tunnel_removed_its_rules),
		T(follow_restores_nothing_while_the_adapter_is_gone),
		T(follow_puts_rules_into_a_gp_table_that_appeared),
		T(follow_state_survives_a_restart_and_a_bad_one_changes_nothing),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
