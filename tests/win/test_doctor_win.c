/*
 * The NRPT part of doctor and of verification under Wine, with the real
 * registry: rules staged with reg.exe the way each product writes them
 * (Coder Desktop and Tailscale list their GUID keys under their own
 * keys; NetBird, OpenVPN and Firezone leave their marks in key names and
 * comments), then `dnswatchdog.exe doctor --json` run and its report
 * read; and verify_nrpt run in this process with the resolver's seam
 * (Wine's resolver has no NRPT) answering as the test says.
 *
 * Every key made here is removed before and after each test.
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
#include <cjson/cJSON.h>

#include "config.h"
#include "desired.h"
#include "dwstr.h"
#include "resolve.h"
#include "testutil.h"
#include "verify.h"
#include "win/winrun.h"

#define REG		"C:\\windows\\system32\\reg.exe"
#define LOCAL_TABLE	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
	"Parameters\\DnsPolicyConfig"
#define GP_TABLE	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\" \
	"DNSClient\\DnsPolicyConfig"
#define OUR_KEY		"SOFTWARE\\DwTest Doctor Ours"
#define CODER_KEY	"SOFTWARE\\Coder VPN"
#define TS_KEY		"SOFTWARE\\Tailscale IPN"
#define ID_OURS		"{7a0d3c55-1b2e-4f60-9a71-0c8d2e4f6a10}"
#define ID_CODER	"{0e8b6f1a-2c3d-4e5f-8a9b-1c2d3e4f5a6b}"
#define ID_TS		"{3f2e1d0c-9b8a-4766-8554-433221100fed}"
#define ID_TS2		"{4a3b2c1d-0e9f-4877-9665-544332211fee}"
#define ID_FZ		"{c0ffee00-1234-4abc-8def-0123456789ab}"
#define ID_UNKNOWN	"{d00dfeed-5678-4bcd-9ef0-123456789abc}"

struct vfx;

struct fx {
	char		 dir[MAX_PATH];
	char		 config[MAX_PATH];
	char		 desired[MAX_PATH];
	char		 out[MAX_PATH];
	cJSON		*report;
	struct vfx	*v;		/* the verification tests' part */
};

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
	RegDeleteKeyExA(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
}

static void
reg_clean(void)
{
	HKEY	 k;

	reg_wipe(LOCAL_TABLE);
	reg_wipe(GP_TABLE);
	reg_wipe(OUR_KEY);
	reg_wipe(CODER_KEY);
	reg_wipe(TS_KEY);
	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, GP_TABLE, 0, KEY_READ |
	    KEY_WOW64_64KEY, &k) == ERROR_SUCCESS) {
		RegCloseKey(k);
		fail_msg("could not clean the GP table");
	}
}

/* A rule key as most products write it: Name (REG_MULTI_SZ, names
 * separated by \0 for reg.exe), GenericDNSServers, ConfigOptions 8,
 * Version. */
static void
rule(struct fx *fx, const char *table, const char *id, const char *names,
    const char *servers)
{
	reg(fx, "add \"HKLM\\%s\\%s\" /v Name /t REG_MULTI_SZ /d \"%s\" /f",
	    table, id, names);
	reg(fx, "add \"HKLM\\%s\\%s\" /v GenericDNSServers /t REG_SZ /d "
	    "\"%s\" /f", table, id, servers);
	reg(fx, "add \"HKLM\\%s\\%s\" /v ConfigOptions /t REG_DWORD /d 8 /f",
	    table, id);
	reg(fx, "add \"HKLM\\%s\\%s\" /v Version /t REG_DWORD /d 2 /f", table,
	    id);
}

/* A list of rule IDs, as a product keeps it. */
static void
ids(struct fx *fx, const char *key, const char *list)
{
	reg(fx, "add \"HKLM\\%s\" /v NRPTRuleIDs /t REG_MULTI_SZ /d \"%s\" /f",
	    key, list);
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 tmp[MAX_PATH], cfg[1024];

	assert_non_null(fx);
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-doctor-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s\\desired.json", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s\\out.txt", fx->dir);
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},"
	    "\"nrpt\":{\"record_key\":\"%s\"}}",
	    "SOFTWARE\\\\DwTest Doctor Ours");
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, "{\"version\":1}", 13);
	reg_clean();
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	reg_clean();
	cJSON_Delete(fx->report);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Runs doctor --json and keeps the report (the line that is JSON). */
static void
doctor(struct fx *fx)
{
	char	 outp[MAX_PATH], args[2 * MAX_PATH], *text, *line;

	snprintf(outp, sizeof(outp), "%s\\doctor.txt", fx->dir);
	snprintf(args, sizeof(args), "--config \"%s\" doctor --json",
	    fx->config);
	winrun(DW_BINARY, args, outp, NULL);
	assert_non_null(text = tu_slurp(outp, NULL));
	cJSON_Delete(fx->report);
	fx->report = NULL;
	for (line = text; line != NULL && *line != '\0'; ) {
		if (*line == '{' && (fx->report = cJSON_Parse(line)) != NULL)
			break;
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	if (fx->report == NULL)
		fail_msg("no JSON report in:\n%s", text);
	free(text);
}

/* The report in the test's output, for a reader of the log. */
static void
show(const struct fx *fx)
{
	char	*text, *line, *nl;

	if ((text = cJSON_Print(fx->report)) == NULL)
		return;
	print_message("doctor --json:\n");
	for (line = text; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		print_message("%s\n", line);
	}
	cJSON_free(text);
}

static const cJSON *
nrpt(struct fx *fx)
{
	const cJSON	*o;

	o = cJSON_GetObjectItemCaseSensitive(fx->report, "nrpt");

	assert_non_null(o);
	return o;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The rule of the report with id in table. */
static const cJSON *
report_rule(struct fx *fx, const char *table, const char *id)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(nrpt(fx),
	    "rules"))
		if (dwstr_casecmp(str(r, "id"), id) == 0 &&
		    strcmp(str(r, "table"), table) == 0)
			return r;
	fail_msg("no rule %s in the %s table of the report", id, table);
	return NULL;
}

static void
assert_owner(struct fx *fx, const char *id, const char *owner)
{
	assert_string_equal(str(report_rule(fx, "local", id), "owner"), owner);
}

/* How many findings carry code; with part, whose message holds it. */
static unsigned
findings(struct fx *fx, const char *code, const char *part)
{
	const cJSON	*f;
	unsigned	 n = 0;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "findings"))
		if (strcmp(str(f, "code"), code) == 0 && (part == NULL ||
		    strstr(str(f, "message"), part) != NULL))
			n++;
	return n;
}

/* How many findings start with "nrpt-". */
static unsigned
nrpt_findings(struct fx *fx)
{
	const cJSON	*f;
	unsigned	 n = 0;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "findings"))
		if (strncmp(str(f, "code"), "nrpt-", 5) == 0) {
			print_message("  %s: %s\n", str(f, "code"),
			    str(f, "message"));
			n++;
		}
	return n;
}

static void
assert_strings(const cJSON *arr, const char *a, const char *b)
{
	assert_int_equal(cJSON_GetArraySize(arr), b != NULL ? 2 : 1);
	assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, a);
	if (b != NULL)
		assert_string_equal(cJSON_GetArrayItem(arr, 1)->valuestring, b);
}

/* Every product's rules side by side in the local table. */
static void
stage_every_product(struct fx *fx)
{
	/* Ours: recorded in the config's record. */
	rule(fx, LOCAL_TABLE, ID_OURS, ".ours.example", "10.0.0.53");
	ids(fx, OUR_KEY, ID_OURS);
	/* Coder Desktop: a GUID key listed under SOFTWARE\Coder VPN. */
	rule(fx, LOCAL_TABLE, ID_CODER, ".coder", "fd60:627a:a42b::53");
	ids(fx, CODER_KEY, ID_CODER);
	/* Tailscale: a catch-all, and a rule joined with "; ". */
	rule(fx, LOCAL_TABLE, ID_TS, ".", "100.100.100.100");
	rule(fx, LOCAL_TABLE, ID_TS2, ".ts.net", "10.0.0.1; 10.0.0.2");
	ids(fx, TS_KEY, ID_TS "\\0" ID_TS2);
	/* NetBird: NetBird-Match-<n>, one domain per rule; this one also
	 * routes .coder, elsewhere. */
	rule(fx, LOCAL_TABLE, "NetBird-Match-0", ".coder\\0.netbird.cloud",
	    "100.64.0.1");
	/* OpenVPN: OpenVPNDNSRouting. */
	rule(fx, LOCAL_TABLE, "OpenVPNDNSRouting", ".corp.example",
	    "10.8.0.1");
	/* Firezone: its mark in Comment. */
	rule(fx, LOCAL_TABLE, ID_FZ, ".fz.example", "100.100.111.1");
	reg(fx, "add \"HKLM\\%s\\%s\" /v Comment /t REG_SZ /d "
	    "firezone-fd0020211111 /f", LOCAL_TABLE, ID_FZ);
	/* Nobody we know. */
	rule(fx, LOCAL_TABLE, ID_UNKNOWN, ".unknown.example", "10.9.9.9");
}

static void
doctor_names_every_owner_and_finding(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*r;
	const char	*want =
	    "{\"version\":1,\"nrpt\":["
	    "{\"domains\":[\"ours.example\"],\"servers\":[\"10.0.0.53\"]},"
	    "{\"domains\":[\"wanted.example\"],\"servers\":[\"10.0.0.54\"]}]}";

	stage_every_product(fx);
	tu_put(fx->desired, want, strlen(want));
	doctor(fx);
	show(fx);
	assert_string_equal(str(nrpt(fx), "gp_table"), "absent");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nrpt(fx),
	    "supported")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    nrpt(fx), "rules")), 8);
	assert_owner(fx, ID_OURS, "dnswatchdog");
	assert_owner(fx, ID_CODER, "coder");
	assert_owner(fx, ID_TS, "tailscale");
	assert_owner(fx, ID_TS2, "tailscale");
	assert_owner(fx, "NetBird-Match-0", "netbird");
	assert_owner(fx, "OpenVPNDNSRouting", "openvpn");
	assert_owner(fx, ID_FZ, "firezone");
	assert_owner(fx, ID_UNKNOWN, "unknown");
	/* What each rule says, as read. */
	r = report_rule(fx, "local", "NetBird-Match-0");
	assert_strings(cJSON_GetObjectItemCaseSensitive(r, "namespaces"),
	    ".coder", ".netbird.cloud");
	assert_strings(cJSON_GetObjectItemCaseSensitive(r, "servers"),
	    "100.64.0.1", NULL);
	r = report_rule(fx, "local", ID_TS2);
	assert_strings(cJSON_GetObjectItemCaseSensitive(r, "servers"),
	    "10.0.0.1", " 10.0.0.2");
	assert_non_null(strstr(str(r, "problem"), "has a space"));
	assert_null(str(report_rule(fx, "local", ID_CODER), "problem"));
	assert_string_equal(str(report_rule(fx, "local", ID_FZ), "comment"),
	    "firezone-fd0020211111");
	/* The findings, each naming the owner and the key. */
	assert_int_equal(findings(fx, "nrpt-catch-all", "tailscale's rule "
	    ID_TS), 1);
	assert_int_equal(findings(fx, "nrpt-unparsable", "tailscale's rule "
	    ID_TS2), 1);
	assert_int_equal(findings(fx, "nrpt-unparsable", "\"10.0.0.1; "
	    "10.0.0.2\""), 1);
	assert_int_equal(findings(fx, "nrpt-overlap", "namespace .coder"), 1);
	assert_int_equal(findings(fx, "nrpt-overlap", "coder's rule "
	    ID_CODER), 1);
	assert_int_equal(findings(fx, "nrpt-overlap", "netbird's rule "
	    "NetBird-Match-0"), 1);
	assert_int_equal(findings(fx, "nrpt-missing", ".wanted.example"), 1);
	assert_int_equal(findings(fx, "nrpt-missing", NULL), 1);
	assert_int_equal(findings(fx, "nrpt-gp-table-empty", NULL), 0);
	assert_int_equal(nrpt_findings(fx), 4);
	assert_string_equal(str(fx->report, "verdict"), "broken");
}

static void
doctor_finds_the_firezone_display_name(void **state)
{
	struct fx	*fx = *state;

	rule(fx, LOCAL_TABLE, ID_FZ, ".fz.example", "100.100.111.1");
	reg(fx, "add \"HKLM\\%s\\%s\" /v DisplayName /t REG_SZ /d "
	    "\"Firezone SplitDNS\" /f", LOCAL_TABLE, ID_FZ);
	doctor(fx);
	assert_owner(fx, ID_FZ, "firezone");
	assert_string_equal(str(report_rule(fx, "local", ID_FZ),
	    "display_name"), "Firezone SplitDNS");
	assert_int_equal(nrpt_findings(fx), 0);
}

static void
doctor_finds_the_empty_gp_table(void **state)
{
	struct fx	*fx = *state;
	const char	*want = "{\"version\":1,\"nrpt\":[{\"domains\":"
	    "[\"ours.example\"],\"servers\":[\"10.0.0.53\"]}]}";

	rule(fx, LOCAL_TABLE, ID_OURS, ".ours.example", "10.0.0.53");
	ids(fx, OUR_KEY, ID_OURS);
	reg(fx, "add \"HKLM\\%s\" /f", GP_TABLE);
	tu_put(fx->desired, want, strlen(want));
	doctor(fx);
	assert_string_equal(str(nrpt(fx), "gp_table"), "empty");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    report_rule(fx, "local", ID_OURS), "effective")));
	assert_int_equal(findings(fx, "nrpt-gp-table-empty",
	    "ignores all 1 rules of the local table"), 1);
	/* Our rule is there, but where Windows does not look. */
	assert_int_equal(findings(fx, "nrpt-missing", "group-policy"), 1);
	assert_int_equal(nrpt_findings(fx), 2);
}

static void
doctor_leaves_unmanaged_rules_alone(void **state)
{
	struct fx	*fx = *state;
	const char	*want = "{\"version\":1,\"nrpt\":[{\"domains\":"
	    "[\"ours.example\"],\"servers\":[\"10.0.0.53\"]}]}";
	const char	*cfg = "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"nrpt\":{\"enabled\":false,"
	    "\"record_key\":\"SOFTWARE\\\\DwTest Doctor Ours\"}}";

	/* nrpt.enabled false: the rules are read and shown, but a desired
	 * rule that is absent is nobody's error, nor is it verified. */
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, want, strlen(want));
	rule(fx, LOCAL_TABLE, ID_UNKNOWN, ".unknown.example", "10.9.9.9");
	doctor(fx);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    nrpt(fx), "rules")), 1);
	assert_int_equal(findings(fx, "nrpt-missing", NULL), 0);
	assert_int_equal(findings(fx, "verify-failed", NULL), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(fx->report, "verify"), "nrpt"));
}

static void
doctor_finds_nothing_when_all_is_well(void **state)
{
	struct fx	*fx = *state;
	const char	*want = "{\"version\":1,\"nrpt\":[{\"domains\":"
	    "[\"ours.example\"],\"servers\":[\"10.0.0.54\",\"10.0.0.53\"],"
	    "\"probe\":\"www.ours.example\"}]}";

	rule(fx, LOCAL_TABLE, ID_OURS, ".ours.example", "10.0.0.53;10.0.0.54");
	ids(fx, OUR_KEY, ID_OURS);
	rule(fx, LOCAL_TABLE, ID_CODER, ".coder", "fd60:627a:a42b::53");
	ids(fx, CODER_KEY, ID_CODER);
	tu_put(fx->desired, want, strlen(want));
	doctor(fx);
	assert_string_equal(str(nrpt(fx), "gp_table"), "absent");
	assert_owner(fx, ID_OURS, "dnswatchdog");
	assert_owner(fx, ID_CODER, "coder");
	assert_int_equal(nrpt_findings(fx), 0);
	/* A GP table holding both copies, as the store writes them. */
	rule(fx, GP_TABLE, ID_OURS, ".ours.example", "10.0.0.53;10.0.0.54");
	doctor(fx);
	assert_string_equal(str(nrpt(fx), "gp_table"), "present");
	assert_string_equal(str(report_rule(fx, "gp", ID_OURS), "owner"),
	    "dnswatchdog");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    report_rule(fx, "gp", ID_OURS), "effective")));
	assert_int_equal(nrpt_findings(fx), 0);
}

/*
 * verify_nrpt through the resolver's seam. The hook answers from a small
 * table: per (name, server) a status and an address; server "" stands for
 * the system resolver.
 */
struct answer {
	const char		*name;
	const char		*server;
	enum resolve_status	 status;
	const char		*addr;
};

struct vfx {
	struct config		*cfg;
	struct desired_state	*ds;
	struct verify_result	 res;
	const struct answer	*answers;
	unsigned		 asked;		/* lookups the hook saw */
	unsigned		 asked_at;	/* of them, at a server */
};

static int
hook(void *ctx, const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	struct vfx		*v = ctx;
	const struct answer	*a;

	(void)err;
	v->asked++;
	if (server != NULL)
		v->asked_at++;
	memset(ans, 0, sizeof(*ans));
	ans->status = RESOLVE_UNREACHABLE;
	for (a = v->answers; a != NULL && a->name != NULL; a++) {
		if (strcmp(a->name, name) != 0 || strcmp(a->server,
		    server != NULL ? server : "") != 0)
			continue;
		ans->status = a->status;
		if (a->addr != NULL) {
			assert_non_null(ans->addrs = calloc(1,
			    sizeof(*ans->addrs)));
			assert_non_null(ans->addrs[0] = dwstr_dup(a->addr));
			ans->naddrs = 1;
		}
		break;
	}
	return 0;
}

static int
vfx_setup(void **state)
{
	struct fx	*fx;
	struct vfx	*v = calloc(1, sizeof(*v));
	struct dwerr	 err;
	const char	*cfg = "{\"nrpt\":{\"record_key\":"
	    "\"SOFTWARE\\\\DwTest Doctor Ours\"}}";

	assert_non_null(v);
	fx_setup(state);
	fx = *state;
	if (config_parse(cfg, strlen(cfg), fx->config, &v->cfg, &err) != 0)
		fail_msg("%s", err.msg);
	resolve_set_hook(hook, v);
	fx->v = v;
	return 0;
}

static int
vfx_teardown(void **state)
{
	struct fx	*fx = *state;
	struct vfx	*v = fx->v;

	resolve_set_hook(NULL, NULL);
	config_free(v->cfg);
	desired_free(v->ds);
	free(v);
	return fx_teardown(state);
}

static struct vfx *
vfx(void **state)
{
	return ((struct fx *)*state)->v;
}

static void
verify(struct vfx *v, const char *desired)
{
	struct dwerr	 err;

	desired_free(v->ds);
	v->ds = NULL;
	if (desired_parse(desired, strlen(desired), "desired.json", &v->ds,
	    &err) != 0)
		fail_msg("%s", err.msg);
	v->asked = v->asked_at = 0;
	verify_nrpt(v->cfg, v->ds, &v->res);
	print_message("  %u/%u class %d %s: %s\n", v->res.failed,
	    v->res.checked, (int)v->res.cls, v->res.first_failure,
	    v->res.detail);
}

#define WANT_CORP	"{\"version\":1,\"nrpt\":[{\"domains\":" \
	"[\"corp.example\"],\"servers\":[\"10.0.0.1\",\"10.0.0.2\"]," \
	"\"probe\":%s}]}"

static void
verify_with_probe(struct vfx *v, const char *probe)
{
	char	 buf[512];

	snprintf(buf, sizeof(buf), WANT_CORP, probe);
	verify(v, buf);
}

/* Our .corp.example rule in the local table, recorded. */
static void
stage_ours(struct fx *fx, const char *table)
{
	rule(fx, table, ID_OURS, ".corp.example", "10.0.0.1;10.0.0.2");
	ids(fx, OUR_KEY, ID_OURS);
}

static void
verify_says_which_server_answered(void **state)
{
	struct fx		*fx = *state;
	struct vfx		*v = vfx(state);
	static const struct answer a[] = {
		{ "www.corp.example", "", RESOLVE_OK, "10.1.1.1" },
		{ "www.corp.example", "10.0.0.1", RESOLVE_UNREACHABLE, NULL },
		{ "www.corp.example", "10.0.0.2", RESOLVE_OK, "10.1.1.1" },
		{ NULL, NULL, RESOLVE_OK, NULL }
	};

	stage_ours(fx, LOCAL_TABLE);
	v->answers = a;
	verify_with_probe(v, "\"www.corp.example\"");
	assert_true(v->res.ran);
	assert_int_equal(v->res.failed, 0);
	assert_int_equal(v->res.cls, VERIFY_OK);
	/* One rule of ours, one namespace, one probe. */
	assert_int_equal(v->res.checked, 3);
	assert_non_null(strstr(v->res.detail,
	    "www.corp.example answered by 10.0.0.2 (rule " ID_OURS ")"));
	assert_int_equal(v->asked, 3);
	assert_int_equal(v->asked_at, 2);
}

static void
verify_finds_the_rule_ignored_for_the_gp_table(void **state)
{
	struct fx	*fx = *state;
	struct vfx	*v = vfx(state);

	stage_ours(fx, LOCAL_TABLE);
	reg(fx, "add \"HKLM\\%s\" /f", GP_TABLE);
	verify_with_probe(v, "\"www.corp.example\"");
	assert_true(v->res.ran);
	assert_int_equal(v->res.cls, VERIFY_RULE_IGNORED_GP);
	assert_string_equal(v->res.first_failure, ID_OURS);
	assert_non_null(strstr(v->res.detail, "local table only"));
	/* The rule, its namespace and the probe (nothing routes it) fail. */
	assert_int_equal(v->res.failed, 3);
	assert_int_equal(v->asked, 0);
}

static void
verify_finds_a_probe_shadowed_by_a_catch_all(void **state)
{
	struct fx	*fx = *state;
	struct vfx	*v = vfx(state);

	stage_ours(fx, LOCAL_TABLE);
	rule(fx, LOCAL_TABLE, ID_TS, ".", "100.100.100.100");
	ids(fx, TS_KEY, ID_TS);
	/* A single-label name: not under .corp.example, so the catch-all
	 * takes it. */
	verify_with_probe(v, "\"intranet\"");
	assert_int_equal(v->res.cls, VERIFY_RULE_SHADOWED);
	assert_string_equal(v->res.first_failure, "intranet");
	assert_non_null(strstr(v->res.detail, "tailscale's rule " ID_TS));
	assert_int_equal(v->res.failed, 1);
	assert_int_equal(v->asked, 0);
	/* A longer namespace of someone else takes its names too. */
	rule(fx, LOCAL_TABLE, ID_CODER, ".dev.corp.example", "10.7.7.7");
	ids(fx, CODER_KEY, ID_CODER);
	verify_with_probe(v, "\"a.dev.corp.example\"");
	assert_int_equal(v->res.cls, VERIFY_RULE_SHADOWED);
	assert_string_equal(v->res.first_failure, "a.dev.corp.example");
	assert_non_null(strstr(v->res.detail, "coder's rule " ID_CODER));
}

static void
verify_finds_the_servers_unreachable(void **state)
{
	struct fx	*fx = *state;
	struct vfx	*v = vfx(state);

	stage_ours(fx, LOCAL_TABLE);
	v->answers = NULL;	/* every lookup: no server answered */
	verify_with_probe(v, "\"www.corp.example\"");
	assert_int_equal(v->res.cls, VERIFY_SERVER_UNREACHABLE);
	assert_string_equal(v->res.first_failure, "www.corp.example");
	assert_non_null(strstr(v->res.detail, "no server of our rule"));
	assert_int_equal(v->res.failed, 1);
	/* The system resolver, then both servers of the rule. */
	assert_int_equal(v->asked, 3);
	assert_int_equal(v->asked_at, 2);
}

static void
verify_finds_the_name_absent(void **state)
{
	struct fx		*fx = *state;
	struct vfx		*v = vfx(state);
	static const struct answer a[] = {
		{ "gone.corp.example", "", RESOLVE_NO_NAME, NULL },
		{ "gone.corp.example", "10.0.0.1", RESOLVE_NO_NAME, NULL },
		{ NULL, NULL, RESOLVE_OK, NULL }
	};

	stage_ours(fx, LOCAL_TABLE);
	v->answers = a;
	verify_with_probe(v, "\"gone.corp.example\"");
	assert_int_equal(v->res.cls, VERIFY_NAME_ABSENT);
	assert_string_equal(v->res.first_failure, "gone.corp.example");
	assert_non_null(strstr(v->res.detail, "10.0.0.1"));
	assert_int_equal(v->res.failed, 1);
}

static void
verify_finds_missing_and_unparsable_rules(void **state)
{
	struct fx	*fx = *state;
	struct vfx	*v = vfx(state);

	/* Nothing of ours at all. */
	verify_with_probe(v, "\"www.corp.example\"");
	assert_true(v->res.ran);
	assert_int_equal(v->res.cls, VERIFY_RULE_MISSING);
	assert_string_equal(v->res.first_failure, ".corp.example");
	/* Ours, joined with "; ". */
	rule(fx, LOCAL_TABLE, ID_OURS, ".corp.example", "10.0.0.1; 10.0.0.2");
	ids(fx, OUR_KEY, ID_OURS);
	verify_with_probe(v, "\"www.corp.example\"");
	assert_int_equal(v->res.cls, VERIFY_RULE_UNPARSABLE);
	assert_string_equal(v->res.first_failure, ID_OURS);
	assert_non_null(strstr(v->res.detail, "has a space"));
}

static void
verify_has_nothing_to_do_without_rules(void **state)
{
	struct vfx	*v = vfx(state);

	verify(v, "{\"version\":1}");
	assert_false(v->res.ran);
	assert_int_equal(v->res.checked, 0);
}

#define D(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
#define V(f)	cmocka_unit_test_setup_teardown(f, vfx_setup, vfx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		D(doctor_names_every_owner_and_finding),
		D(doctor_finds_the_firezone_display_name),
		D(doctor_finds_the_empty_gp_table),
		D(doctor_leaves_unmanaged_rules_alone),
		D(doctor_finds_nothing_when_all_is_well),
		V(verify_says_which_server_answered),
		V(verify_finds_the_rule_ignored_for_the_gp_table),
		V(verify_finds_a_probe_shadowed_by_a_catch_all),
		V(verify_finds_the_servers_unreachable),
		V(verify_finds_the_name_absent),
		V(verify_finds_missing_and_unparsable_rules),
		V(verify_has_nothing_to_do_without_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
