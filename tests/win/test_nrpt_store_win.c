/*
 * Tests for the NRPT registry store, run under Wine against the real
 * registry of the prefix. Each test drives the real planner and applier
 * (read -> nrpt_plan_make -> nrpt_apply -> read) and checks the registry
 * with its own calls, independently of the store's reader. Every test
 * starts and ends by deleting both rule tables and the record keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsnotify.h"
#include "dnsnotify_win.h"
#include "nrpt.h"
#include "nrpt_store.h"
#include "platform.h"

#define LOCAL		"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
			"Parameters\\DnsPolicyConfig"
#define GP_PARENT	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient"
#define GP		GP_PARENT "\\DnsPolicyConfig"
#define RECORD_KEY	NRPT_RECORD_KEY_DEFAULT
#define CODER_KEY	"SOFTWARE\\Coder VPN"
#define VOLATILE_KEY	"SOFTWARE\\DnsWatchdogVolatileTest"
#define FOREIGN_ID	"{F0REIGN0-1111-4222-8333-444455556666}"
#define FOREIGN_ID2	"{F0REIGN0-7777-4222-8333-444455556666}"

#define TEST_DOMAINS	256u	/* names a test can ask for */
#define TEST_NAME_BYTES	48u
#define TEST_PATH	512u	/* chars of a registry path */
#define TEST_LOG	64u	/* store calls a pass logs */
#define TEST_LINE	96u
#define SNAP_VALUES	16u	/* values a key snapshot holds */
#define SNAP_BYTES	1024u	/* bytes of one snapshot value */
#define STAMP_WAIT_MS	20u	/* lets a key's write time move */

/* The store's callbacks, wrapped to count and log every call. */
struct counter {
	void		*inner;
	unsigned	 record_sets;
	unsigned	 writes;
	unsigned	 deletes;
	char		 log[TEST_LOG][TEST_LINE];
	size_t		 nlog;
};

/* Deterministic rule IDs: {5EED0000-0000-4000-8000-00000000000N}. */
struct idgen {
	unsigned	 calls;
};

struct tctx {
	struct nrpt_store	*st;
	struct desired_state	 ds;
	struct desired_nrpt	 nrpt[2];
	char			 dom[TEST_DOMAINS][TEST_NAME_BYTES];
	char			*doms[TEST_DOMAINS];
	char			*servers[2][2];
	struct nrpt_params	 params;
	struct idgen		 gen;
	struct nrpt_live	 live;
	struct nrpt_plan	*plan;
	struct nrpt_apply_result res;
	struct counter		 cnt;
	struct dwerr		 err;
};

/* A copy of every value of one key, and its last write time. */
struct snap {
	bool		 exists;
	FILETIME	 stamp;
	size_t		 n;
	struct {
		wchar_t	 name[64];
		DWORD	 type;
		DWORD	 len;
		BYTE	 data[SNAP_BYTES];
	} v[SNAP_VALUES];
};

/* ---- registry helpers (independent of the store) ---- */

/* An ASCII or UTF-8 string as UTF-16; aborts the test on failure. */
static wchar_t *
wide(const char *s)
{
	wchar_t	*w;
	int	 n;

	n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	assert_true(n > 0);
	w = calloc((size_t)n, sizeof(*w));
	assert_non_null(w);
	assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n), n);
	return w;
}

static void
rule_path(char *buf, const char *table, const char *id)
{
	snprintf(buf, TEST_PATH, "%s\\%s", table, id);
}

/* Deletes a key and everything below it; a missing key is fine. */
static void
reg_wipe(const char *path)
{
	wchar_t	*w = wide(path);
	LONG	 rc;

	rc = RegDeleteTreeW(HKEY_LOCAL_MACHINE, w);
	if (rc == ERROR_SUCCESS)
		rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, w, KEY_WOW64_64KEY, 0);
	free(w);
	assert_true(rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND);
}

static HKEY
reg_create(const char *path, DWORD options)
{
	wchar_t	*w = wide(path);
	HKEY	 key;
	LONG	 rc;

	rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, w, 0, NULL, options,
	    KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL);
	free(w);
	assert_int_equal(rc, ERROR_SUCCESS);
	return key;
}

static void
reg_mkkey(const char *path)
{
	RegCloseKey(reg_create(path, REG_OPTION_NON_VOLATILE));
}

static void
reg_put(const char *path, const char *value, DWORD type, const void *data,
    DWORD len)
{
	HKEY	 key = reg_create(path, REG_OPTION_NON_VOLATILE);
	wchar_t	*w = wide(value);

	assert_int_equal(RegSetValueExW(key, w, 0, type, data, len),
	    ERROR_SUCCESS);
	free(w);
	RegCloseKey(key);
}

static void
reg_put_sz(const char *path, const char *value, const char *s)
{
	wchar_t	*w = wide(s);

	reg_put(path, value, REG_SZ, w,
	    (DWORD)((wcslen(w) + 1) * sizeof(wchar_t)));
	free(w);
}

static void
reg_put_dword(const char *path, const char *value, DWORD d)
{
	reg_put(path, value, REG_DWORD, &d, sizeof(d));
}

/* REG_MULTI_SZ data for n strings: each with its NUL, then one more. */
static wchar_t *
multi(const char *const *s, size_t n, DWORD *bytes)
{
	wchar_t	*buf, *p, *w;
	size_t	 i, total = 1;

	for (i = 0; i < n; i++)
		total += strlen(s[i]) + 1;
	buf = calloc(total, sizeof(*buf));
	assert_non_null(buf);
	for (i = 0, p = buf; i < n; i++) {
		w = wide(s[i]);
		memcpy(p, w, (wcslen(w) + 1) * sizeof(wchar_t));
		p += wcslen(w) + 1;
		free(w);
	}
	*bytes = (DWORD)((size_t)(p - buf + 1) * sizeof(wchar_t));
	return buf;
}

static void
reg_put_multi(const char *path, const char *value, const char *const *s,
    size_t n)
{
	wchar_t	*data;
	DWORD	 len;

	data = multi(s, n, &len);
	reg_put(path, value, REG_MULTI_SZ, data, len);
	free(data);
}

/* Reads a value with RegGetValueW; returns false when it is absent. */
static bool
reg_get(const char *path, const char *value, DWORD *type, BYTE *buf,
    DWORD *len)
{
	wchar_t	*wp = wide(path), *wv = wide(value);
	LONG	 rc;

	rc = RegGetValueW(HKEY_LOCAL_MACHINE, wp, wv, RRF_RT_ANY |
	    RRF_NOEXPAND | RRF_SUBKEY_WOW6464KEY, type, buf, len);
	free(wp);
	free(wv);
	if (rc == ERROR_FILE_NOT_FOUND)
		return false;
	assert_int_equal(rc, ERROR_SUCCESS);
	return true;
}

static bool
reg_exists(const char *path)
{
	wchar_t	*w = wide(path);
	HKEY	 key;
	LONG	 rc;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, w, 0,
	    KEY_READ | KEY_WOW64_64KEY, &key);
	free(w);
	if (rc == ERROR_SUCCESS)
		RegCloseKey(key);
	else
		assert_int_equal(rc, ERROR_FILE_NOT_FOUND);
	return rc == ERROR_SUCCESS;
}

/* The number of subkeys of path, or -1 when it does not exist. */
static int
reg_subkeys(const char *path)
{
	wchar_t	*w = wide(path);
	HKEY	 key;
	DWORD	 n;
	LONG	 rc;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, w, 0,
	    KEY_READ | KEY_WOW64_64KEY, &key);
	free(w);
	if (rc == ERROR_FILE_NOT_FOUND)
		return -1;
	assert_int_equal(rc, ERROR_SUCCESS);
	assert_int_equal(RegQueryInfoKeyW(key, NULL, NULL, NULL, &n, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
	RegCloseKey(key);
	return (int)n;
}

static void
assert_reg_dword(const char *path, const char *value, DWORD want)
{
	BYTE	 buf[16];
	DWORD	 type = 0, len = sizeof(buf), d;

	assert_true(reg_get(path, value, &type, buf, &len));
	assert_int_equal(type, REG_DWORD);
	assert_int_equal(len, sizeof(DWORD));
	memcpy(&d, buf, sizeof(d));
	assert_int_equal(d, want);
}

/* The value is a REG_SZ holding exactly want and one NUL. */
static void
assert_reg_sz(const char *path, const char *value, const char *want)
{
	BYTE	 buf[SNAP_BYTES];
	DWORD	 type = 0, len = sizeof(buf);
	wchar_t	*w = wide(want);

	assert_true(reg_get(path, value, &type, buf, &len));
	assert_int_equal(type, REG_SZ);
	assert_int_equal(len, (wcslen(w) + 1) * sizeof(wchar_t));
	assert_memory_equal(buf, w, len);
	free(w);
}

/* The value is a REG_MULTI_SZ byte for byte equal to the n strings. */
static void
assert_reg_multi(const char *path, const char *value, const char *const *s,
    size_t n)
{
	BYTE	 buf[8 * SNAP_BYTES];
	DWORD	 type = 0, len = sizeof(buf), wlen;
	wchar_t	*w;

	w = multi(s, n, &wlen);
	assert_true(reg_get(path, value, &type, buf, &len));
	assert_int_equal(type, REG_MULTI_SZ);
	assert_int_equal(len, wlen);
	assert_memory_equal(buf, w, len);
	free(w);
}

/* Takes a snapshot of every value of path and its last write time. */
static void
snap_take(const char *path, struct snap *s)
{
	wchar_t	*w = wide(path);
	HKEY	 key;
	DWORD	 nlen, dlen;
	LONG	 rc;

	memset(s, 0, sizeof(*s));
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, w, 0,
	    KEY_READ | KEY_WOW64_64KEY, &key);
	free(w);
	if (rc == ERROR_FILE_NOT_FOUND)
		return;
	assert_int_equal(rc, ERROR_SUCCESS);
	s->exists = true;
	assert_int_equal(RegQueryInfoKeyW(key, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL, &s->stamp), ERROR_SUCCESS);
	for (;;) {
		assert_true(s->n < SNAP_VALUES);
		nlen = sizeof(s->v[0].name) / sizeof(wchar_t);
		dlen = SNAP_BYTES;
		rc = RegEnumValueW(key, (DWORD)s->n, s->v[s->n].name, &nlen,
		    NULL, &s->v[s->n].type, s->v[s->n].data, &dlen);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		assert_int_equal(rc, ERROR_SUCCESS);
		s->v[s->n].len = dlen;
		s->n++;
	}
	RegCloseKey(key);
}

/* path still holds exactly what the snapshot saw, and was not written. */
static void
snap_same(const char *path, const struct snap *before)
{
	struct snap	*now;
	size_t		 i;

	now = calloc(1, sizeof(*now));
	assert_non_null(now);
	snap_take(path, now);
	assert_true(now->exists);
	assert_true(before->exists);
	assert_int_equal(now->n, before->n);
	for (i = 0; i < now->n; i++) {
		assert_true(wcscmp(now->v[i].name, before->v[i].name) == 0);
		assert_int_equal(now->v[i].type, before->v[i].type);
		assert_int_equal(now->v[i].len, before->v[i].len);
		assert_memory_equal(now->v[i].data, before->v[i].data,
		    now->v[i].len);
	}
	assert_memory_equal(&now->stamp, &before->stamp, sizeof(FILETIME));
	free(now);
}

/* Creates a rule the way Add-DnsClientNrptRule does, under a foreign ID. */
static void
add_foreign(const char *table, const char *id, const char *const *names,
    size_t n, const char *servers)
{
	char	 p[TEST_PATH];

	rule_path(p, table, id);
	reg_put_dword(p, "Version", 2);
	reg_put_multi(p, "Name", names, n);
	reg_put_sz(p, "GenericDNSServers", servers);
	reg_put_dword(p, "ConfigOptions", NRPT_CONFIG_GENERIC_DNS);
	reg_put_sz(p, "IPSECCARestriction", "");
	reg_put_sz(p, "DisplayName", "");
	reg_put_sz(p, "Comment", "");
}

static void
wipe_all(void)
{
	reg_wipe(LOCAL);
	reg_wipe(GP);
	reg_wipe(RECORD_KEY);
	reg_wipe(CODER_KEY);
	reg_wipe(VOLATILE_KEY);
}

/* ---- the store under test, driven by the real planner ---- */

static void
idgen_next(void *ctx, char id[NRPT_ID_BYTES])
{
	struct idgen	*g = ctx;

	g->calls++;
	snprintf(id, NRPT_ID_BYTES, "{5EED0000-0000-4000-8000-%012X}",
	    g->calls);
}

static const char *
gen_id(unsigned n)
{
	static char	 ids[8][NRPT_ID_BYTES];

	assert_true(n >= 1 && n <= 8);
	snprintf(ids[n - 1], NRPT_ID_BYTES, "{5EED0000-0000-4000-8000-%012X}",
	    n);
	return ids[n - 1];
}

static void cnt_log(struct counter *, const char *, ...) DW_PRINTF(2, 3);

static void
cnt_log(struct counter *c, const char *fmt, ...)
{
	va_list	 ap;

	assert_true(c->nlog < TEST_LOG);
	va_start(ap, fmt);
	vsnprintf(c->log[c->nlog++], TEST_LINE, fmt, ap);
	va_end(ap);
}

static int
cnt_record_set(void *ctx, char *const *ids, size_t nids, struct dwerr *err)
{
	struct counter	*c = ctx;

	c->record_sets++;
	cnt_log(c, "record %zu", nids);
	return nrpt_store_ops()->record_set(c->inner, ids, nids, err);
}

static int
cnt_rule_write(void *ctx, const struct nrpt_rule *rule, unsigned values,
    struct dwerr *err)
{
	struct counter	*c = ctx;

	c->writes++;
	cnt_log(c, "write %s 0x%02x", rule->id, values);
	return nrpt_store_ops()->rule_write(c->inner, rule, values, err);
}

static int
cnt_rule_delete(void *ctx, const char *id, struct dwerr *err)
{
	struct counter	*c = ctx;

	c->deletes++;
	cnt_log(c, "delete %s", id);
	return nrpt_store_ops()->rule_delete(c->inner, id, err);
}

static const struct nrpt_store_ops cnt_ops = {
	cnt_record_set, cnt_rule_write, cnt_rule_delete
};

/* Sets desired rule i to n names ".dNNN.<zone>" and servers; rule count
 * becomes i + 1. */
static void
want_rule(struct tctx *t, size_t i, size_t first, size_t n, const char *zone,
    const char *s1, const char *s2)
{
	size_t	 k;

	assert_true(i < 2 && first + n <= TEST_DOMAINS);
	for (k = first; k < first + n; k++) {
		snprintf(t->dom[k], TEST_NAME_BYTES, ".d%03zu.%s", k, zone);
		t->doms[k] = t->dom[k];
	}
	t->servers[i][0] = (char *)s1;
	t->servers[i][1] = (char *)s2;
	t->nrpt[i].domains = &t->doms[first];
	t->nrpt[i].ndomains = n;
	t->nrpt[i].servers = t->servers[i];
	t->nrpt[i].nservers = s2 != NULL ? 2 : 1;
	t->ds.nrpt = t->nrpt;
	t->ds.nnrpt = i + 1;
}

static void
want_nothing(struct tctx *t)
{
	t->ds.nnrpt = 0;
}

static void
ok(struct tctx *t, int rc)
{
	if (rc != 0)
		fail_msg("store call failed: %s", t->err.msg);
}

/* Reads the store into t->live (the previous read is freed). */
static void
read_live(struct tctx *t)
{
	nrpt_live_clear(&t->live);
	dwerr_reset(&t->err);
	ok(t, nrpt_store_read(t->st, &t->live, &t->err));
}

/* One reconcile pass: read, plan, apply through the counting ops. The
 * plan stays in t->plan for the test to inspect. Returns nrpt_apply's rc. */
static int
try_pass(struct tctx *t)
{
	read_live(t);
	nrpt_plan_free(t->plan);
	t->plan = NULL;
	ok(t, nrpt_plan_make(&t->ds, &t->live, &t->params, idgen_next, &t->gen,
	    &t->plan, &t->err));
	memset(&t->cnt, 0, sizeof(t->cnt));
	t->cnt.inner = t->st;
	return nrpt_apply(t->plan, &t->live, &cnt_ops, &t->cnt, &t->res,
	    &t->err);
}

static void
pass(struct tctx *t)
{
	ok(t, try_pass(t));
}

static const struct nrpt_rule *
live_rule(const struct tctx *t, const char *id)
{
	size_t	 i;

	for (i = 0; i < t->live.nrules; i++)
		if (_stricmp(t->live.rules[i].id, id) == 0)
			return &t->live.rules[i];
	return NULL;
}

static void
open_store(struct tctx *t, const char *key, const char *value)
{
	nrpt_store_free(t->st);
	t->st = NULL;
	ok(t, nrpt_store_open(key, value, &t->st, &t->err));
}

/* The rule key holds exactly the values this watchdog writes for desired
 * rule i (names first..first+n). */
static void
assert_rule_key(struct tctx *t, const char *table, const char *id, size_t i,
    const char *servers)
{
	char	 p[TEST_PATH];

	rule_path(p, table, id);
	assert_reg_dword(p, "Version", NRPT_RULE_VERSION);
	assert_reg_multi(p, "Name", (const char *const *)t->nrpt[i].domains,
	    t->nrpt[i].ndomains);
	assert_reg_sz(p, "GenericDNSServers", servers);
	assert_reg_dword(p, "ConfigOptions", 0x8);
	assert_reg_sz(p, "IPSECCARestriction", "");
	assert_reg_sz(p, "DisplayName", "");
	assert_reg_sz(p, "Comment", NRPT_RULE_COMMENT);
}

static void
assert_record(const char *key, const char *value, const char *const *ids,
    size_t n)
{
	assert_reg_multi(key, value, ids, n);
}

static int
setup(void **state)
{
	struct tctx	*t;

	wipe_all();
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->params.version = NRPT_RULE_VERSION;
	t->params.comment = NRPT_RULE_COMMENT;
	open_store(t, NULL, NULL);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tctx	*t = *state;

	nrpt_plan_free(t->plan);
	nrpt_live_clear(&t->live);
	nrpt_store_free(t->st);
	free(t);
	wipe_all();
	return 0;
}

/* ---- tests ---- */

static void
store_writes_rule_values_and_record_to_local_table(void **state)
{
	struct tctx	*t = *state;
	char		 p[TEST_PATH];
	const char	*ids[1];

	want_rule(t, 0, 0, 2, "coder", "fd7a:115c:a1e0::53", "10.0.0.53");
	pass(t);
	assert_false(nrpt_store_gp(t->st));
	assert_int_equal(t->plan->nactions, 1);
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_CREATE);
	/* The new ID is recorded before its key is written. */
	assert_int_equal(t->cnt.nlog, 2);
	assert_string_equal(t->cnt.log[0], "record 1");
	assert_string_equal(t->cnt.log[1], "write {5EED0000-0000-4000-8000-"
	    "000000000001} 0x7f");

	assert_int_equal(reg_subkeys(LOCAL), 1);
	assert_rule_key(t, LOCAL, gen_id(1), 0, "fd7a:115c:a1e0::53;10.0.0.53");
	rule_path(p, LOCAL, gen_id(1));
	assert_reg_multi(p, "Name", (const char *const[]){ ".d000.coder",
	    ".d001.coder" }, 2);
	ids[0] = gen_id(1);
	assert_record(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, ids, 1);
	assert_false(reg_exists(GP));

	/* The store's own reader sees the same. */
	read_live(t);
	assert_int_equal(t->live.nrules, 1);
	assert_int_equal(t->live.nowned, 1);
	assert_string_equal(t->live.owned[0], gen_id(1));
	assert_string_equal(t->live.rules[0].id, gen_id(1));
	assert_int_equal(t->live.rules[0].nnames, 2);
	assert_string_equal(t->live.rules[0].names[1], ".d001.coder");
	assert_string_equal(t->live.rules[0].servers,
	    "fd7a:115c:a1e0::53;10.0.0.53");
	assert_true(t->live.rules[0].has_version);
	assert_int_equal(t->live.rules[0].version, NRPT_RULE_VERSION);
	assert_true(t->live.rules[0].has_config_options);
	assert_int_equal(t->live.rules[0].config_options, 8);
	assert_string_equal(t->live.rules[0].comment, NRPT_RULE_COMMENT);
	assert_string_equal(t->live.rules[0].ipsec_ca, "");
	assert_string_equal(t->live.rules[0].display, "");
}

static void
store_second_pass_is_noop_and_writes_nothing(void **state)
{
	struct tctx	*t = *state;
	struct snap	*rule, *rec;
	char		 p[TEST_PATH];

	want_rule(t, 0, 0, 3, "coder", "fd7a:115c:a1e0::53", "10.0.0.53");
	want_rule(t, 1, 3, 2, "corp.example", "10.1.0.53", NULL);
	pass(t);
	assert_int_equal(reg_subkeys(LOCAL), 2);

	rule = calloc(1, sizeof(*rule));
	rec = calloc(1, sizeof(*rec));
	assert_non_null(rule);
	assert_non_null(rec);
	rule_path(p, LOCAL, gen_id(1));
	snap_take(p, rule);
	snap_take(RECORD_KEY, rec);
	Sleep(STAMP_WAIT_MS);

	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(t->cnt.record_sets, 0);
	assert_int_equal(t->cnt.writes, 0);
	assert_int_equal(t->cnt.deletes, 0);
	assert_int_equal(t->res.values_written, 0);
	snap_same(p, rule);
	snap_same(RECORD_KEY, rec);
	assert_int_equal(t->gen.calls, 2);
	free(rule);
	free(rec);
}

static void
store_splits_120_domains_into_rules_of_50_50_20(void **state)
{
	struct tctx	*t = *state;
	const char	*ids[3];
	size_t		 i;

	want_rule(t, 0, 0, 120, "corp.example", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(reg_subkeys(LOCAL), 3);
	for (i = 0; i < 3; i++)
		ids[i] = gen_id((unsigned)i + 1);
	assert_record(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, ids, 3);

	/* Rule k holds names 50k..; checked against a one-chunk view. */
	t->nrpt[1].servers = t->nrpt[0].servers;
	t->nrpt[1].nservers = 1;
	for (i = 0; i < 3; i++) {
		t->nrpt[1].domains = &t->doms[i * 50];
		t->nrpt[1].ndomains = i < 2 ? 50 : 20;
		assert_rule_key(t, LOCAL, ids[i], 1, "10.0.0.53");
	}

	read_live(t);
	assert_int_equal(t->live.nrules, 3);
	assert_int_equal(live_rule(t, ids[0])->nnames, 50);
	assert_int_equal(live_rule(t, ids[1])->nnames, 50);
	assert_int_equal(live_rule(t, ids[2])->nnames, 20);
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
store_shrinking_reuses_an_id_and_deletes_the_others_after_the_write(
    void **state)
{
	struct tctx	*t = *state;
	char		 line[TEST_LINE];
	const char	*ids[1];

	want_rule(t, 0, 0, 120, "corp.example", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(t->gen.calls, 3);

	want_rule(t, 0, 0, 10, "corp.example", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(t->gen.calls, 3);	/* no new ID */
	assert_int_equal(t->cnt.nlog, 4);
	snprintf(line, sizeof(line), "write %s 0x%02x", gen_id(1), NRPT_V_NAME);
	assert_string_equal(t->cnt.log[0], line);
	snprintf(line, sizeof(line), "delete %s", gen_id(2));
	assert_string_equal(t->cnt.log[1], line);
	snprintf(line, sizeof(line), "delete %s", gen_id(3));
	assert_string_equal(t->cnt.log[2], line);
	assert_string_equal(t->cnt.log[3], "record 1");

	assert_int_equal(reg_subkeys(LOCAL), 1);
	assert_rule_key(t, LOCAL, gen_id(1), 0, "10.0.0.53");
	ids[0] = gen_id(1);
	assert_record(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, ids, 1);
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
store_adopts_matching_foreign_rule_without_duplicating_or_touching_it(
    void **state)
{
	struct tctx	*t = *state;
	struct snap	*before;
	char		 p[TEST_PATH];

	want_rule(t, 0, 0, 2, "corp.example", "10.0.0.53", "10.0.1.53");
	add_foreign(LOCAL, FOREIGN_ID, (const char *const *)t->doms, 2,
	    "10.0.0.53;10.0.1.53");
	rule_path(p, LOCAL, FOREIGN_ID);
	before = calloc(1, sizeof(*before));
	assert_non_null(before);
	snap_take(p, before);
	Sleep(STAMP_WAIT_MS);

	pass(t);
	assert_int_equal(t->plan->nactions, 1);
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_ADOPT);
	assert_string_equal(t->plan->actions[0].want.id, FOREIGN_ID);
	assert_int_equal(t->cnt.nlog, 0);
	assert_int_equal(t->gen.calls, 0);
	assert_int_equal(reg_subkeys(LOCAL), 1);
	snap_same(p, before);
	/* Adopted is not owned: nothing proves this watchdog wrote it. */
	read_live(t);
	assert_int_equal(t->live.nowned, 0);
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
	snap_same(p, before);
	free(before);
}

static void
store_never_touches_foreign_rules(void **state)
{
	struct tctx	*t = *state;
	struct snap	*b1, *b2;
	char		 p1[TEST_PATH], p2[TEST_PATH];

	/* Same names, other servers; and an unrelated namespace. */
	want_rule(t, 0, 0, 2, "corp.example", "10.0.0.53", NULL);
	add_foreign(LOCAL, FOREIGN_ID, (const char *const *)t->doms, 2,
	    "192.0.2.53");
	add_foreign(LOCAL, FOREIGN_ID2, (const char *const[]){ ".other.vpn" },
	    1, "198.51.100.53");
	rule_path(p1, LOCAL, FOREIGN_ID);
	rule_path(p2, LOCAL, FOREIGN_ID2);
	b1 = calloc(1, sizeof(*b1));
	b2 = calloc(1, sizeof(*b2));
	assert_non_null(b1);
	assert_non_null(b2);
	snap_take(p1, b1);
	snap_take(p2, b2);
	Sleep(STAMP_WAIT_MS);

	pass(t);				/* create ours */
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_CREATE);
	want_rule(t, 0, 0, 3, "corp.example", "10.0.0.54", NULL);
	pass(t);				/* update ours */
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_UPDATE);
	want_nothing(t);
	pass(t);				/* delete ours */
	assert_int_equal(t->cnt.deletes, 1);

	assert_int_equal(reg_subkeys(LOCAL), 2);
	snap_same(p1, b1);
	snap_same(p2, b2);
	free(b1);
	free(b2);
}

static void
store_writes_both_tables_when_gp_table_exists(void **state)
{
	struct tctx	*t = *state;
	struct snap	*before;
	char		 p[TEST_PATH];
	const char	*ids[1];

	reg_mkkey(GP);
	add_foreign(GP, FOREIGN_ID, (const char *const[]){ ".gpo.example" },
	    1, "10.9.0.53");
	rule_path(p, GP, FOREIGN_ID);
	before = calloc(1, sizeof(*before));
	assert_non_null(before);
	snap_take(p, before);
	Sleep(STAMP_WAIT_MS);

	want_rule(t, 0, 0, 2, "coder", "fd7a:115c:a1e0::53", "10.0.0.53");
	pass(t);
	assert_true(nrpt_store_gp(t->st));
	assert_rule_key(t, LOCAL, gen_id(1), 0, "fd7a:115c:a1e0::53;10.0.0.53");
	assert_rule_key(t, GP, gen_id(1), 0, "fd7a:115c:a1e0::53;10.0.0.53");
	assert_int_equal(reg_subkeys(LOCAL), 1);
	assert_int_equal(reg_subkeys(GP), 2);
	ids[0] = gen_id(1);
	assert_record(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, ids, 1);
	snap_same(p, before);

	/* Both copies identical: the next pass has nothing to do. */
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(t->cnt.nlog, 0);
	snap_same(p, before);
	free(before);
}

static void
store_copies_rules_to_gp_table_that_appears_later(void **state)
{
	struct tctx	*t = *state;
	char		 line[TEST_LINE];

	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_false(nrpt_store_gp(t->st));
	assert_false(reg_exists(GP));

	reg_mkkey(GP);
	add_foreign(GP, FOREIGN_ID, (const char *const[]){ ".gpo.example" },
	    1, "10.9.0.53");
	pass(t);
	assert_true(nrpt_store_gp(t->st));
	assert_int_equal(t->gen.calls, 1);	/* same ID, no new rule */
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_UPDATE);
	assert_int_equal(t->cnt.nlog, 1);
	snprintf(line, sizeof(line), "write %s 0x%02x", gen_id(1), NRPT_V_ALL);
	assert_string_equal(t->cnt.log[0], line);
	assert_rule_key(t, GP, gen_id(1), 0, "10.0.0.53");
	assert_rule_key(t, LOCAL, gen_id(1), 0, "10.0.0.53");
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
store_rewrites_stale_gp_copy_of_an_owned_rule(void **state)
{
	struct tctx	*t = *state;
	char		 p[TEST_PATH], line[TEST_LINE];

	reg_mkkey(GP);
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	rule_path(p, GP, gen_id(1));
	reg_put_sz(p, "GenericDNSServers", "10.0.0.53; 10.0.0.54");

	pass(t);
	assert_int_equal(t->cnt.nlog, 1);
	snprintf(line, sizeof(line), "write %s 0x%02x", gen_id(1),
	    NRPT_V_SERVERS);
	assert_string_equal(t->cnt.log[0], line);
	assert_rule_key(t, GP, gen_id(1), 0, "10.0.0.53");
	assert_rule_key(t, LOCAL, gen_id(1), 0, "10.0.0.53");
}

static void
store_repairs_a_rule_missing_display_name_in_both_tables(void **state)
{
	struct tctx	*t = *state;
	char		 lp[TEST_PATH], gp[TEST_PATH], line[TEST_LINE];
	HKEY		 k;

	reg_mkkey(GP);
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	/* As a rule written before DisplayName was: the value is gone from
	 * the GP copy only, and the rule is otherwise right. */
	rule_path(gp, GP, gen_id(1));
	k = reg_create(gp, 0);
	assert_int_equal(RegDeleteValueW(k, L"DisplayName"), ERROR_SUCCESS);
	RegCloseKey(k);
	read_live(t);
	assert_null(live_rule(t, gen_id(1))->display);

	pass(t);
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_UPDATE);
	assert_int_equal(t->cnt.nlog, 1);
	snprintf(line, sizeof(line), "write %s 0x%02x", gen_id(1),
	    NRPT_V_DISPLAY);
	assert_string_equal(t->cnt.log[0], line);
	assert_int_equal(t->res.values_written, 1);
	assert_rule_key(t, GP, gen_id(1), 0, "10.0.0.53");
	rule_path(lp, LOCAL, gen_id(1));
	assert_reg_sz(lp, "DisplayName", "");

	/* Right again: the next pass reuses it and writes nothing. */
	pass(t);
	assert_true(nrpt_plan_is_noop(t->plan));
	assert_int_equal(t->cnt.writes, 0);
}

static void
store_does_not_adopt_foreign_rule_held_by_one_table_only(void **state)
{
	struct tctx	*t = *state;
	struct snap	*before;
	char		 p[TEST_PATH];

	want_rule(t, 0, 0, 2, "corp.example", "10.0.0.53", NULL);
	add_foreign(LOCAL, FOREIGN_ID, (const char *const *)t->doms, 2,
	    "10.0.0.53");
	reg_mkkey(GP);
	rule_path(p, LOCAL, FOREIGN_ID);
	before = calloc(1, sizeof(*before));
	assert_non_null(before);
	snap_take(p, before);

	read_live(t);
	assert_non_null(live_rule(t, FOREIGN_ID));
	assert_null(live_rule(t, FOREIGN_ID)->names);
	assert_null(live_rule(t, FOREIGN_ID)->servers);
	assert_false(live_rule(t, FOREIGN_ID)->has_config_options);

	/* Windows ignores the local copy while the GP table exists. */
	pass(t);
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_CREATE);
	assert_rule_key(t, GP, gen_id(1), 0, "10.0.0.53");
	snap_same(p, before);
	assert_false(reg_exists(GP "\\" FOREIGN_ID));
	free(before);
}

static void
store_keeps_a_gp_table_it_found_empty(void **state)
{
	struct tctx	*t = *state;

	/* A GPO's own empty table: Windows ignores local rules because of
	 * it. We write into it, and emptying it again leaves it as found. */
	reg_mkkey(GP);
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(reg_subkeys(GP), 1);

	want_nothing(t);
	pass(t);
	assert_int_equal(t->cnt.deletes, 1);
	assert_true(reg_exists(GP));
	assert_int_equal(reg_subkeys(GP), 0);
	assert_int_equal(reg_subkeys(LOCAL), 0);
	/* An empty record is an empty REG_MULTI_SZ, not a missing value. */
	assert_record(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, NULL, 0);
}

static void
store_deletes_gp_table_it_emptied(void **state)
{
	struct tctx	*t = *state;
	char		 p[TEST_PATH];

	/* The table held a GPO's rule when ours went in; the GPO's rule
	 * went away later; removing ours empties the table: it goes, or
	 * Windows would keep ignoring every local rule. */
	reg_mkkey(GP);
	add_foreign(GP, FOREIGN_ID, (const char *const[]){ ".gpo.example" },
	    1, "10.9.0.53");
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(reg_subkeys(GP), 2);
	rule_path(p, GP, FOREIGN_ID);
	reg_wipe(p);

	want_nothing(t);
	pass(t);
	assert_false(reg_exists(GP));
	assert_true(reg_exists(GP_PARENT));
	assert_int_equal(reg_subkeys(LOCAL), 0);

	pass(t);
	assert_false(nrpt_store_gp(t->st));
	assert_true(nrpt_plan_is_noop(t->plan));
}

static void
store_keeps_gp_table_holding_a_foreign_rule(void **state)
{
	struct tctx	*t = *state;
	struct snap	*before;
	char		 p[TEST_PATH];

	reg_mkkey(GP);
	add_foreign(GP, FOREIGN_ID, (const char *const[]){ ".gpo.example" },
	    1, "10.9.0.53");
	rule_path(p, GP, FOREIGN_ID);
	before = calloc(1, sizeof(*before));
	assert_non_null(before);
	snap_take(p, before);

	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_int_equal(reg_subkeys(GP), 2);
	want_nothing(t);
	pass(t);
	assert_int_equal(reg_subkeys(GP), 1);
	assert_false(reg_exists(GP "\\{5EED0000-0000-4000-8000-000000000001}"));
	snap_same(p, before);
	free(before);
}

static void
store_keeps_empty_gp_table_it_did_not_empty(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	pass(t);
	reg_mkkey(GP);		/* appears empty, e.g. from an old GPO */
	want_nothing(t);
	pass(t);
	assert_int_equal(t->cnt.deletes, 1);
	assert_int_equal(reg_subkeys(LOCAL), 0);
	assert_int_equal(reg_subkeys(GP), 0);	/* still there */
}

static void
store_keeps_record_under_a_custom_key(void **state)
{
	struct tctx	*t = *state;
	const char	*ids[2];
	char		 p[TEST_PATH];

	/* The tunnel already recorded a rule in its own key. */
	open_store(t, CODER_KEY, "NRPTRuleIDs");
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	rule_path(p, LOCAL, FOREIGN_ID);
	reg_put_dword(p, "Version", 1);
	reg_put_multi(p, "Name", (const char *const *)t->doms, 2);
	reg_put_sz(p, "GenericDNSServers", "10.0.0.53");
	reg_put_dword(p, "ConfigOptions", 8);
	ids[0] = FOREIGN_ID;
	reg_put_multi(CODER_KEY, "NRPTRuleIDs", ids, 1);

	/* Owned through the shared record: updated in place, not adopted. */
	pass(t);
	assert_int_equal(t->plan->actions[0].op, NRPT_OP_UPDATE);
	assert_int_equal(t->plan->actions[0].values,
	    NRPT_V_VERSION | NRPT_V_COMMENT | NRPT_V_IPSECCA |
	    NRPT_V_DISPLAY);
	assert_int_equal(t->gen.calls, 0);
	assert_rule_key(t, LOCAL, FOREIGN_ID, 0, "10.0.0.53");

	want_rule(t, 1, 2, 1, "corp.example", "10.1.0.53", NULL);
	pass(t);
	ids[1] = gen_id(1);
	assert_record(CODER_KEY, "NRPTRuleIDs", ids, 2);
	assert_false(reg_exists(RECORD_KEY));
}

static void
store_parses_malformed_multi_sz_safely(void **state)
{
	static const struct {
		const char	*bytes;		/* UTF-16LE */
		DWORD		 len;
		size_t		 n;
		const char	*first, *second;
	} cases[] = {
		{ ".\0a\0\0\0.\0b\0", 10, 2, ".a", ".b" },	/* no end */
		{ ".\0a\0\0\0.\0b\0\0\0", 12, 2, ".a", ".b" },	/* one NUL */
		{ ".\0a\0\0\0\0\0.\0b\0\0\0\0\0", 16, 1, ".a", NULL },
		{ ".\0a\0\0\0.\0b\0x", 11, 2, ".a", ".b" },	/* odd */
		{ ".\0a\0b", 5, 1, ".a", NULL },		/* odd */
		{ "x", 1, 0, NULL, NULL },
		{ "", 0, 0, NULL, NULL },
		{ "\0\0", 2, 0, NULL, NULL },
		{ "\0\0\0\0.\0a\0\0\0\0\0", 12, 0, NULL, NULL },
		{ ".\0b\0\xfc\0\0\0\0\0", 10, 1, ".b\xc3\xbc", NULL },
	};
	struct tctx		*t = *state;
	const struct nrpt_rule	*r;
	char			 p[TEST_PATH];
	size_t			 i;

	rule_path(p, LOCAL, FOREIGN_ID);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reg_put(p, "Name", REG_MULTI_SZ, cases[i].bytes, cases[i].len);
		reg_put(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, REG_MULTI_SZ,
		    cases[i].bytes, cases[i].len);
		read_live(t);
		assert_non_null(r = live_rule(t, FOREIGN_ID));
		print_message("case %u: %u names\n", (unsigned)i,
		    (unsigned)r->nnames);
		assert_int_equal(r->nnames, cases[i].n);
		assert_int_equal(t->live.nowned, cases[i].n);
		if (cases[i].n > 0) {
			assert_string_equal(r->names[0], cases[i].first);
			assert_string_equal(t->live.owned[0], cases[i].first);
		}
		if (cases[i].n > 1) {
			assert_string_equal(r->names[1], cases[i].second);
			assert_string_equal(t->live.owned[1], cases[i].second);
		}
	}

	/* Strings without any terminator read up to their end. */
	reg_put(p, "GenericDNSServers", REG_SZ, "1\0.\0" "2\0", 6);
	reg_put(p, "Comment", REG_SZ, "a\0b", 3);
	read_live(t);
	r = live_rule(t, FOREIGN_ID);
	assert_string_equal(r->servers, "1.2");
	assert_string_equal(r->comment, "a");
}

static void
store_reads_wrong_typed_values_as_absent(void **state)
{
	struct tctx		*t = *state;
	const struct nrpt_rule	*r;
	char			 p[TEST_PATH];
	uint64_t		 q = 8;
	uint16_t		 h = 2;

	rule_path(p, LOCAL, FOREIGN_ID);
	reg_put_sz(p, "Name", ".corp.example");
	reg_put_multi(p, "GenericDNSServers",
	    (const char *const[]){ "10.0.0.53" }, 1);
	reg_put_sz(p, "Version", "2");
	reg_put(p, "ConfigOptions", REG_QWORD, &q, sizeof(q));
	reg_put_dword(p, "Comment", 0);
	reg_put(p, "IPSECCARestriction", REG_EXPAND_SZ, L"", sizeof(L""));
	rule_path(p, LOCAL, FOREIGN_ID2);
	reg_put(p, "Version", REG_DWORD, &h, sizeof(h));	/* short */
	reg_put_sz(RECORD_KEY, NRPT_RECORD_VALUE_DEFAULT, FOREIGN_ID);

	read_live(t);
	assert_int_equal(t->live.nrules, 2);
	r = live_rule(t, FOREIGN_ID);
	assert_null(r->names);
	assert_null(r->servers);
	assert_false(r->has_version);
	assert_false(r->has_config_options);
	assert_null(r->comment);
	assert_null(r->ipsec_ca);
	assert_false(live_rule(t, FOREIGN_ID2)->has_version);
	assert_int_equal(t->live.nowned, 0);
}

static void
store_record_failure_stops_before_any_rule_is_written(void **state)
{
	struct tctx	*t = *state;
	const char	*prefix = "cannot create HKLM\\" VOLATILE_KEY
			    "\\Record: ";

	/* Windows refuses a persistent key under a volatile one. */
	RegCloseKey(reg_create(VOLATILE_KEY, REG_OPTION_VOLATILE));
	open_store(t, VOLATILE_KEY "\\Record", "NRPTRuleIDs");
	want_rule(t, 0, 0, 2, "coder", "10.0.0.53", NULL);
	assert_int_equal(try_pass(t), -1);
	print_message("error %d: %s\n", t->err.code, t->err.msg);
	assert_int_equal(t->err.code, ERROR_CHILD_MUST_BE_VOLATILE);
	assert_memory_equal(t->err.msg, prefix, strlen(prefix));
	assert_int_equal(t->cnt.writes, 0);
	assert_true(t->res.deletes_skipped);
	assert_true(reg_subkeys(LOCAL) <= 0);
}

static void
store_deleting_a_missing_rule_is_not_an_error(void **state)
{
	struct tctx	*t = *state;

	reg_mkkey(GP);
	read_live(t);
	assert_true(nrpt_store_gp(t->st));
	ok(t, nrpt_store_ops()->rule_delete(t->st, FOREIGN_ID, &t->err));
	/* Nothing was emptied by that delete: the GP table stays. */
	assert_true(reg_exists(GP));
}

static void
store_refuses_rule_id_that_is_not_one_key_name(void **state)
{
	struct tctx	*t = *state;
	struct nrpt_rule rule;

	memset(&rule, 0, sizeof(rule));
	rule.id = (char *)"{A}\\..\\{B}";
	assert_int_equal(nrpt_store_ops()->rule_write(t->st, &rule, NRPT_V_ALL,
	    &t->err), -1);
	assert_int_equal(t->err.code, DWERR_INPUT);
	assert_int_equal(nrpt_store_ops()->rule_delete(t->st, "", &t->err), -1);
	assert_true(reg_subkeys(LOCAL) <= 0);
}

static void
store_notify_returns_without_crashing(void **state)
{
	struct tctx	*t = *state;
	int		 rc;

	want_rule(t, 0, 0, 1, "coder", "10.0.0.53", NULL);
	pass(t);
	dwerr_reset(&t->err);
	rc = nrpt_store_notify(t->st, &t->err);
	print_message("local: rc %d: %s\n", rc, t->err.msg);
	assert_true(rc == 0 || (rc == -1 && t->err.msg[0] != '\0'));

	reg_mkkey(GP);
	pass(t);
	dwerr_reset(&t->err);
	rc = nrpt_store_notify(t->st, &t->err);
	print_message("gp: rc %d: %s\n", rc, t->err.msg);
	assert_true(rc == 0 || (rc == -1 && t->err.msg[0] != '\0'));
	assert_int_equal(nrpt_store_notify(t->st, NULL) == 0, rc == 0);
}

/* ---- telling the DNS client, through the dnsnotify seam ---- */

/* What the calls did, in order ("paramchange publish refresh flush"), and
 * what each returns. */
static char		 calls[256];
static unsigned long	 ret_paramchange, ret_flush, ret_publish, ret_refresh;

static unsigned long
call_log(const char *name, unsigned long rc)
{
	size_t	 used = strlen(calls);

	snprintf(calls + used, sizeof(calls) - used, "%s%s", used > 0 ?
	    " " : "", name);
	return rc;
}

static unsigned long
hook_paramchange(void)
{
	return call_log("paramchange", ret_paramchange);
}

static unsigned long
hook_flush(void)
{
	return call_log("flush", ret_flush);
}

static unsigned long
hook_publish(void)
{
	return call_log("publish", ret_publish);
}

static unsigned long
hook_refresh(void)
{
	return call_log("refresh", ret_refresh);
}

static const struct dnsnotify_hooks hooks = {
	hook_paramchange, hook_flush, hook_publish, hook_refresh
};

static int
setup_hooks(void **state)
{
	calls[0] = '\0';
	ret_paramchange = ret_flush = ret_publish = ret_refresh = 0;
	dnsnotify_set_hooks(&hooks);
	return setup(state);
}

static int
teardown_hooks(void **state)
{
	dnsnotify_set_hooks(NULL);
	return teardown(state);
}

static void
notify_local_sends_paramchange_before_flush(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, 0, 0, 1, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_false(nrpt_store_gp(t->st));
	ok(t, nrpt_store_notify(t->st, &t->err));
	/* Re-read first; the flush last, so nothing cached under the old
	 * rules outlives it. No policy step without the GP table. */
	assert_string_equal(calls, "paramchange flush");
	assert_false(dnsnotify_gp_own_take(platform_mono_ms()));
}

static void
notify_gp_publishes_policy_change_and_never_forces_a_refresh(void **state)
{
	struct tctx	*t = *state;
	uint64_t	 now;

	reg_mkkey(GP);
	want_rule(t, 0, 0, 1, "coder", "10.0.0.53", NULL);
	pass(t);
	assert_true(nrpt_store_gp(t->st));
	ok(t, nrpt_store_notify(t->st, &t->err));
	assert_string_equal(calls, "paramchange publish flush");
	/* The publication comes back once as ours, and only once. */
	now = platform_mono_ms();
	assert_true(dnsnotify_gp_own_take(now));
	assert_false(dnsnotify_gp_own_take(now));

	/* Too late to be ours. */
	ok(t, nrpt_store_notify(t->st, &t->err));
	assert_false(dnsnotify_gp_own_take(platform_mono_ms() +
	    DNSNOTIFY_GP_OWN_MS + 1));
}

static void
notify_gp_refreshes_policy_only_when_publishing_fails(void **state)
{
	struct tctx	*t = *state;

	reg_mkkey(GP);
	want_rule(t, 0, 0, 1, "coder", "10.0.0.53", NULL);
	pass(t);
	ret_publish = ERROR_PROC_NOT_FOUND;
	/* The fallback worked: Dnscache was told, nothing to report. */
	ok(t, nrpt_store_notify(t->st, &t->err));
	assert_string_equal(calls, "paramchange publish refresh flush");
	/* A forced refresh reapplies policy: what it brings is not ours. */
	assert_false(dnsnotify_gp_own_take(platform_mono_ms()));

	calls[0] = '\0';
	ret_refresh = ERROR_ACCESS_DENIED;
	dwerr_reset(&t->err);
	assert_int_equal(nrpt_store_notify(t->st, &t->err), -1);
	assert_string_equal(calls, "paramchange publish refresh flush");
	assert_int_equal(t->err.code, ERROR_PROC_NOT_FOUND);
	assert_non_null(strstr(t->err.msg, "cannot publish the group-policy "
	    "change"));
	assert_non_null(strstr(t->err.msg, "RefreshPolicyEx failed"));
}

static void
notify_failed_step_does_not_stop_the_others(void **state)
{
	struct tctx	*t = *state;

	want_rule(t, 0, 0, 1, "coder", "10.0.0.53", NULL);
	pass(t);
	ret_paramchange = ERROR_SERVICE_DOES_NOT_EXIST;
	ret_flush = ERROR_GEN_FAILURE;
	assert_int_equal(nrpt_store_notify(t->st, &t->err), -1);
	assert_string_equal(calls, "paramchange flush");
	assert_int_equal(t->err.code, ERROR_SERVICE_DOES_NOT_EXIST);
	assert_non_null(strstr(t->err.msg, "cannot send PARAMCHANGE to "
	    "Dnscache"));
	assert_non_null(strstr(t->err.msg, "DnsFlushResolverCache failed"));
}

static void
notify_hosts_flushes_only(void **state)
{
	struct dwerr	 err;

	(void)state;
	assert_int_equal(dnsnotify_hosts(&err), 0);
	assert_string_equal(calls, "flush");
	ret_flush = ERROR_GEN_FAILURE;
	assert_int_equal(dnsnotify_hosts(&err), -1);
	assert_int_equal(err.code, ERROR_GEN_FAILURE);
	assert_non_null(strstr(err.msg, "hosts file"));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
#define H(f)	cmocka_unit_test_setup_teardown(f, setup_hooks, teardown_hooks)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(store_writes_rule_values_and_record_to_local_table),
		T(store_second_pass_is_noop_and_writes_nothing),
		T(store_splits_120_domains_into_rules_of_50_50_20),
		T(store_shrinking_reuses_an_id_and_deletes_the_others_after_the_write),
		T(store_adopts_matching_foreign_rule_without_duplicating_or_touching_it),
		T(store_never_touches_foreign_rules),
		T(store_writes_both_tables_when_gp_table_exists),
		T(store_copies_rules_to_gp_table_that_appears_later),
		T(store_rewrites_stale_gp_copy_of_an_owned_rule),
		T(store_repairs_a_rule_missing_display_name_in_both_tables),
		T(store_does_not_adopt_foreign_rule_held_by_one_table_only),
		T(store_keeps_a_gp_table_it_found_empty),
		T(store_deletes_gp_table_it_emptied),
		T(store_keeps_gp_table_holding_a_foreign_rule),
		T(store_keeps_empty_gp_table_it_did_not_empty),
		T(store_keeps_record_under_a_custom_key),
		T(store_parses_malformed_multi_sz_safely),
		T(store_reads_wrong_typed_values_as_absent),
		T(store_record_failure_stops_before_any_rule_is_written),
		T(store_deleting_a_missing_rule_is_not_an_error),
		T(store_refuses_rule_id_that_is_not_one_key_name),
		T(store_notify_returns_without_crashing),
		H(notify_local_sends_paramchange_before_flush),
		H(notify_gp_publishes_policy_change_and_never_forces_a_refresh),
		H(notify_gp_refreshes_policy_only_when_publishing_fails),
		H(notify_failed_step_does_not_stop_the_others),
		H(notify_hosts_flushes_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
