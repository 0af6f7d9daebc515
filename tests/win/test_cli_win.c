/*
 * Windows integration tests: the real dnswatchdog.exe, run under Wine
 * against the real (private-prefix) registry and real file share modes.
 * Each test gets a fresh folder with a config, a desired state and a hosts
 * file, and clean NRPT tables.
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

#include "testutil.h"
#include "win/winrun.h"

#define LOCAL_TABLE \
	L"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\Parameters\\DnsPolicyConfig"
#define GP_PARENT	L"SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient"
#define GP_TABLE	GP_PARENT L"\\DnsPolicyConfig"
#define RECORD_KEY	L"SOFTWARE\\DnsWatchdog"
#define FOREIGN_ID	L"{6f1c7a52-93d4-4c1e-8b0a-2d5e9f3a7b11}"

struct fx {
	char	 dir[MAX_PATH];
	char	 config[MAX_PATH];
	char	 desired[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	 trace[MAX_PATH];
	char	*out;		/* stdout and stderr of the last run */
	DWORD	 exit_code;
	DWORD	 elapsed_ms;
};

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Lines of the trace naming event, in order; *n gets how many. */
static char **
trace_events(struct fx *fx, const char *event, size_t *n)
{
	char	*all = tu_slurp(fx->trace, NULL), *line, *next, **v = NULL;
	char	 key[96];

	*n = 0;
	if (all == NULL)
		return NULL;
	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	for (line = all; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strstr(line, key) != NULL) {
			v = realloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = _strdup(line);
		}
	}
	free(all);
	return v;
}

static void
free_lines(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The number after "field": in line, or -1. */
static long long
field_num(const char *line, const char *field)
{
	char		 key[64];
	const char	*p;

	snprintf(key, sizeof(key), "\"%s\":", field);
	if ((p = strstr(line, key)) == NULL)
		return -1;
	return atoll(p + strlen(key));
}

static void
reg_clean(void)
{
	HKEY	 k;

	RegDeleteTreeW(HKEY_LOCAL_MACHINE, LOCAL_TABLE);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, GP_TABLE);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, RECORD_KEY);
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, GP_TABLE, 0, KEY_READ, &k) ==
	    ERROR_SUCCESS) {
		RegCloseKey(k);
		fail_msg("could not clean the GP table");
	}
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 tmp[MAX_PATH], cfg[1024];

	assert_non_null(fx);
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-cli-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s\\desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s\\trace.jsonl", fx->dir);
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"backoff\":{\"initial_ms\":50,\"jitter\":0,\"deadline_ms\":4000}}");
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->hosts, "127.0.0.1 localhost\r\n", 21);
	reg_clean();
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->dir);
	reg_clean();
	free(fx->out);
	free(fx);
	return 0;
}

/* Runs dnswatchdog.exe --config CONFIG <args>. */
static DWORD
run(struct fx *fx, const char *args)
{
	char	 outp[MAX_PATH], all[2 * MAX_PATH];

	snprintf(outp, sizeof(outp), "%s\\output.txt", fx->dir);
	snprintf(all, sizeof(all), "--config \"%s\" %s", fx->config, args);
	fx->exit_code = winrun(DW_BINARY, all, outp, &fx->elapsed_ms);
	free(fx->out);
	fx->out = tu_slurp(outp, NULL);
	DeleteFileA(outp);
	return fx->exit_code;
}

static void
put_desired(struct fx *fx, const char *json)
{
	tu_put(fx->desired, json, strlen(json));
}

/* Desired state with n domains "d<i>.coder" routed to two servers. */
static void
put_domains(struct fx *fx, unsigned n)
{
	char	*buf = malloc(64u * n + 256), *p = buf;
	unsigned i;

	p += sprintf(p, "{\"version\":1,\"nrpt\":[{\"domains\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"d%u.coder\"", i > 0 ? "," : "", i);
	sprintf(p, "],\"servers\":[\"100.100.100.100\",\"fd7a:115c:a1e0::53\"]}]}");
	put_desired(fx, buf);
	free(buf);
}

/* Subkey names of a table; returns how many (0 when it does not exist). */
static DWORD
subkeys(const wchar_t *table, wchar_t names[][64], DWORD max)
{
	HKEY	 k;
	DWORD	 i, n = 0, len;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, table, 0,
	    KEY_READ | KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
		return 0;
	for (i = 0; n < max; i++) {
		len = 64;
		if (RegEnumKeyExW(k, i, names[n], &len, NULL, NULL, NULL,
		    NULL) != ERROR_SUCCESS)
			break;
		n++;
	}
	RegCloseKey(k);
	return n;
}

static bool
key_exists(const wchar_t *path)
{
	HKEY	 k;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0,
	    KEY_READ | KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

/* Reads a value of table\id: type and bytes (up to size). */
static DWORD
reg_value(const wchar_t *table, const wchar_t *id, const wchar_t *name,
    void *buf, DWORD *size)
{
	wchar_t	 path[512];
	DWORD	 type = 0;

	_snwprintf(path, 512, L"%ls\\%ls", table, id);
	if (RegGetValueW(HKEY_LOCAL_MACHINE, path, name,
	    RRF_RT_ANY | RRF_NOEXPAND | RRF_SUBKEY_WOW6464KEY, &type, buf,
	    size) != ERROR_SUCCESS)
		return REG_NONE;
	return type;
}

/* Checks one rule's values as Add-DnsClientNrptRule would have them. */
static void
assert_rule(const wchar_t *table, const wchar_t *id, const wchar_t *first_name,
    DWORD nnames, const wchar_t *servers)
{
	wchar_t	 w[8192];
	DWORD	 dw, size, n = 0;
	const wchar_t *p;

	size = sizeof(dw);
	assert_int_equal(reg_value(table, id, L"Version", &dw, &size), REG_DWORD);
	assert_int_equal(dw, 2);
	size = sizeof(dw);
	assert_int_equal(reg_value(table, id, L"ConfigOptions", &dw, &size),
	    REG_DWORD);
	assert_int_equal(dw, 8);
	size = sizeof(w);
	assert_int_equal(reg_value(table, id, L"GenericDNSServers", w, &size),
	    REG_SZ);
	assert_true(wcscmp(w, servers) == 0);
	size = sizeof(w);
	assert_int_equal(reg_value(table, id, L"IPSECCARestriction", w, &size),
	    REG_SZ);
	assert_int_equal(w[0], 0);
	size = sizeof(w);
	assert_int_equal(reg_value(table, id, L"Comment", w, &size), REG_SZ);
	assert_true(wcsstr(w, L"dnswatchdog") != NULL);
	size = sizeof(w);
	assert_int_equal(reg_value(table, id, L"Name", w, &size), REG_MULTI_SZ);
	assert_true(wcscmp(w, first_name) == 0);
	for (p = w; *p != L'\0'; p += wcslen(p) + 1)
		n++;
	assert_int_equal(n, nnames);
}

/* The ownership record, as a count of IDs. */
static DWORD
record_ids(wchar_t *buf, DWORD bytes)
{
	DWORD	 type = 0, n = 0;
	wchar_t	*p;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, RECORD_KEY, L"NRPTRuleIDs",
	    RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY, &type, buf, &bytes) !=
	    ERROR_SUCCESS || type != REG_MULTI_SZ)
		return 0;
	for (p = buf; *p != L'\0'; p += wcslen(p) + 1)
		n++;
	return n;
}

#define SERVERS L"100.100.100.100;fd7a:115c:a1e0::53"

static void
win_once_writes_a_rule_and_records_it_then_changes_nothing(void **state)
{
	struct fx	*fx = *state;
	wchar_t		 ids[8][64], rec[1024];
	char		**ev;
	size_t		 n;

	put_desired(fx, "{\"version\":1,\"nrpt\":[{\"domains\":[\"coder\",\".corp.example\"],"
	    "\"servers\":[\"100.100.100.100\",\"FD7A:115C:A1E0::53\"]}],"
	    "\"hosts\":[{\"address\":\"fd60:627a:a42b::10\",\"names\":[\"alice-ws.coder\"]}]}");
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, ids, 8), 1);
	assert_rule(LOCAL_TABLE, ids[0], L".coder", 2, SERVERS);
	assert_int_equal(record_ids(rec, sizeof(rec)), 1);
	assert_true(_wcsicmp(rec, ids[0]) == 0);
	assert_false(key_exists(GP_TABLE));

	/* The second pass writes nothing at all. */
	assert_int_equal(run(fx, "once"), 0);
	ev = trace_events(fx, "NrptUnchanged", &n);
	assert_int_equal(n, 1);
	free_lines(ev, n);
	ev = trace_events(fx, "NrptRuleWritten", &n);
	assert_int_equal(n, 1);		/* from the first pass only */
	free_lines(ev, n);
	ev = trace_events(fx, "ReconcileEnd", &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(ev[1], "\"result\":\"noop\""));
	assert_non_null(strstr(ev[1], "\"writes\":0"));
	free_lines(ev, n);
}

static void
win_120_domains_make_three_rules(void **state)
{
	struct fx	*fx = *state;
	wchar_t		 ids[8][64], rec[4096];
	DWORD		 i, total = 0;

	put_domains(fx, 120);
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, ids, 8), 3);
	for (i = 0; i < 3; i++) {
		wchar_t	 w[8192];
		DWORD	 size = sizeof(w), n = 0;
		const wchar_t *p;

		assert_int_equal(reg_value(LOCAL_TABLE, ids[i], L"Name", w,
		    &size), REG_MULTI_SZ);
		for (p = w; *p != L'\0'; p += wcslen(p) + 1)
			n++;
		assert_true(n == 50 || n == 20);
		total += n;
	}
	assert_int_equal(total, 120);
	assert_int_equal(record_ids(rec, sizeof(rec)), 3);
}

static void
win_shrinking_reuses_an_id_and_deletes_after_writing(void **state)
{
	struct fx	*fx = *state;
	wchar_t		 before[8][64], after[8][64], rec[4096];
	char		**ev, *all;
	DWORD		 i, kept = 0;
	size_t		 n;
	const char	*w, *d;

	put_domains(fx, 120);
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, before, 8), 3);
	put_domains(fx, 10);
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, after, 8), 1);
	for (i = 0; i < 3; i++)
		if (_wcsicmp(before[i], after[0]) == 0)
			kept++;
	assert_int_equal(kept, 1);	/* reused, not recreated */
	assert_rule(LOCAL_TABLE, after[0], L".d0.coder", 10, SERVERS);
	assert_int_equal(record_ids(rec, sizeof(rec)), 1);
	/* In the second pass's trace, the write comes before both deletes. */
	ev = trace_events(fx, "NrptRuleDeleted", &n);
	assert_int_equal(n, 2);
	free_lines(ev, n);
	all = tu_slurp(fx->trace, NULL);
	w = strstr(all, "\"op\":\"update\"");
	d = strstr(all, "\"event\":\"NrptRuleDeleted\"");
	assert_non_null(w);
	assert_non_null(d);
	assert_true(w < d);
	free(all);
}

/* A rule as Add-DnsClientNrptRule -Namespace .coder -NameServers ... */
static void
add_foreign_rule(const wchar_t *table, const wchar_t *names,
    size_t names_bytes, const wchar_t *servers)
{
	wchar_t	 path[512];
	HKEY	 k;
	DWORD	 two = 2, eight = 8;

	_snwprintf(path, 512, L"%ls\\%ls", table, FOREIGN_ID);
	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
	    KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k, NULL), ERROR_SUCCESS);
	RegSetValueExW(k, L"Version", 0, REG_DWORD, (const BYTE *)&two, 4);
	RegSetValueExW(k, L"Name", 0, REG_MULTI_SZ, (const BYTE *)names,
	    (DWORD)names_bytes);
	RegSetValueExW(k, L"GenericDNSServers", 0, REG_SZ,
	    (const BYTE *)servers, (DWORD)((wcslen(servers) + 1) * 2));
	RegSetValueExW(k, L"ConfigOptions", 0, REG_DWORD, (const BYTE *)&eight, 4);
	RegSetValueExW(k, L"IPSECCARestriction", 0, REG_SZ, (const BYTE *)L"", 2);
	RegSetValueExW(k, L"Comment", 0, REG_SZ, (const BYTE *)L"", 2);
	RegCloseKey(k);
}

static void
win_an_equivalent_foreign_rule_is_adopted_not_duplicated(void **state)
{
	static const wchar_t	 names[] = L".coder\0";
	struct fx		*fx = *state;
	wchar_t			 ids[8][64], rec[1024], w[256];
	DWORD			 size = sizeof(w);

	add_foreign_rule(LOCAL_TABLE, names, sizeof(names), SERVERS);
	put_desired(fx, "{\"version\":1,\"nrpt\":[{\"domains\":[\"coder\"],"
	    "\"servers\":[\"100.100.100.100\",\"fd7a:115c:a1e0::53\"]}]}");
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, ids, 8), 1);
	assert_true(_wcsicmp(ids[0], FOREIGN_ID) == 0);
	assert_int_equal(record_ids(rec, sizeof(rec)), 0);	/* not ours */
	assert_int_equal(reg_value(LOCAL_TABLE, FOREIGN_ID, L"Comment", w,
	    &size), REG_SZ);
	assert_int_equal(w[0], 0);				/* untouched */
	/* Emptying the desired state leaves it alone too. */
	put_desired(fx, "{\"version\":1}");
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, ids, 8), 1);
}

static void
win_foreign_rules_are_never_touched(void **state)
{
	static const wchar_t	 names[] = L".corp.example\0.internal\0";
	struct fx		*fx = *state;
	wchar_t			 ids[8][64], w[256];
	DWORD			 i, size;

	add_foreign_rule(LOCAL_TABLE, names, sizeof(names), L"10.0.0.53");
	put_domains(fx, 3);
	assert_int_equal(run(fx, "once"), 0);
	put_desired(fx, "{\"version\":1}");
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(LOCAL_TABLE, ids, 8), 1);
	for (i = 0; i < 1; i++)
		assert_true(_wcsicmp(ids[i], FOREIGN_ID) == 0);
	size = sizeof(w);
	assert_int_equal(reg_value(LOCAL_TABLE, FOREIGN_ID, L"GenericDNSServers",
	    w, &size), REG_SZ);
	assert_true(wcscmp(w, L"10.0.0.53") == 0);
}

static void
win_with_a_gp_table_rules_land_in_both_tables(void **state)
{
	static const wchar_t	 names[] = L".corp.example\0";
	struct fx		*fx = *state;
	wchar_t			 local[8][64], gp[8][64];
	DWORD			 nl, ng, i, ours = 0;

	/* A GPO's rule makes Windows ignore every local one. */
	add_foreign_rule(GP_TABLE, names, sizeof(names), L"10.0.0.53");
	put_domains(fx, 2);
	assert_int_equal(run(fx, "once"), 0);
	nl = subkeys(LOCAL_TABLE, local, 8);
	ng = subkeys(GP_TABLE, gp, 8);
	assert_int_equal(nl, 1);
	assert_int_equal(ng, 2);
	for (i = 0; i < ng; i++)
		if (_wcsicmp(gp[i], local[0]) == 0)
			ours++;
	assert_int_equal(ours, 1);
	assert_rule(GP_TABLE, local[0], L".d0.coder", 2, SERVERS);
	assert_rule(LOCAL_TABLE, local[0], L".d0.coder", 2, SERVERS);
	/* Removing ours keeps the GPO's table and rule. */
	put_desired(fx, "{\"version\":1}");
	assert_int_equal(run(fx, "once"), 0);
	assert_int_equal(subkeys(GP_TABLE, gp, 8), 1);
	assert_true(_wcsicmp(gp[0], FOREIGN_ID) == 0);
	assert_int_equal(subkeys(LOCAL_TABLE, local, 8), 0);
}

struct hold {
	HANDLE	 h;
	DWORD	 ms;
};

static DWORD WINAPI
hold_release(void *arg)
{
	struct hold	*hd = arg;

	Sleep(hd->ms);
	CloseHandle(hd->h);
	return 0;
}

/* Opens the hosts file with the given share mode and closes it after ms
 * on another thread; returns that thread. */
static HANDLE
hold_file(struct fx *fx, DWORD share, DWORD ms, struct hold *hd)
{
	wchar_t	 w[MAX_PATH];

	MultiByteToWideChar(CP_UTF8, 0, fx->hosts, -1, w, MAX_PATH);
	hd->h = CreateFileW(w, GENERIC_READ, share, NULL, OPEN_EXISTING,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(hd->h != INVALID_HANDLE_VALUE);
	hd->ms = ms;
	return CreateThread(NULL, 0, hold_release, hd, 0, NULL);
}

#define HOSTS_DESIRED "{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\",\"names\":[\"build.coder\"]}]}"

static void
win_locked_hosts_file_is_written_after_the_release(void **state)
{
	struct fx	*fx = *state;
	struct hold	 hd;
	HANDLE		 th;
	char		**ev, *got;
	size_t		 n, i;

	put_desired(fx, HOSTS_DESIRED);
	th = hold_file(fx, 0, 2000, &hd);
	assert_int_equal(run(fx, "once"), 0);
	WaitForSingleObject(th, INFINITE);
	CloseHandle(th);
	got = tu_slurp(fx->hosts, NULL);
	assert_non_null(strstr(got, "100.64.0.7 build.coder\r\n"));
	assert_non_null(strstr(got, "127.0.0.1 localhost\r\n"));
	free(got);
	ev = trace_events(fx, "HostsWriteAttempt", &n);
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(field_num(ev[i], "attempt"), (long long)i + 1);
		assert_int_equal(field_num(ev[i], "error_code"), 32);
		assert_non_null(strstr(ev[i], "ERROR_SHARING_VIOLATION"));
		/* No jitter in this config: 50, 100, 200, ... ms. */
		assert_int_equal(field_num(ev[i], "next_delay_ms"),
		    i < 7 ? 50ll << i : 4000ll);
	}
	print_message("held 2000 ms: %lu failed attempts, written after %lu ms\n",
	    (unsigned long)n, fx->elapsed_ms);
	free_lines(ev, n);
	ev = trace_events(fx, "HostsWriteSucceeded", &n);
	assert_int_equal(n, 1);
	free_lines(ev, n);
}

static void
win_hosts_file_held_past_the_deadline_gives_up(void **state)
{
	struct fx	*fx = *state;
	struct hold	 hd;
	HANDLE		 th;
	char		**ev, *got;
	size_t		 n;
	const char	*cfg = "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"backoff\":{\"initial_ms\":50,\"jitter\":0,\"deadline_ms\":600}}";

	tu_put(fx->config, cfg, strlen(cfg));
	put_desired(fx, HOSTS_DESIRED);
	th = hold_file(fx, 0, 3000, &hd);
	assert_int_equal(run(fx, "once"), 1);
	WaitForSingleObject(th, INFINITE);
	CloseHandle(th);
	got = tu_slurp(fx->hosts, NULL);
	assert_non_null(got);
	assert_string_equal(got, "127.0.0.1 localhost\r\n");
	free(got);
	ev = trace_events(fx, "HostsWriteGaveUp", &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(ev[0], "\"transient\":true"));
	print_message("held past a 600 ms deadline: gave up after %lld "
	    "attempts, %lld ms\n", field_num(ev[0], "attempts"),
	    field_num(ev[0], "elapsed_ms"));
	free_lines(ev, n);
}

static void
win_scanner_without_delete_sharing_is_worked_around(void **state)
{
	struct fx	*fx = *state;
	struct hold	 hd;
	HANDLE		 th;
	char		**ev, *got;
	size_t		 n;

	put_desired(fx, HOSTS_DESIRED);
	/* Read and write sharing, no delete sharing: replace and rename fail
	 * for as long as it is held (60 s), an in-place write works. */
	th = hold_file(fx, FILE_SHARE_READ | FILE_SHARE_WRITE, 60000, &hd);
	assert_int_equal(run(fx, "once"), 0);
	got = tu_slurp(fx->hosts, NULL);
	assert_non_null(strstr(got, "100.64.0.7 build.coder\r\n"));
	free(got);
	ev = trace_events(fx, "HostsWriteSucceeded", &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(ev[0], "\"method\":\"in-place-journaled\""));
	print_message("held without delete sharing: written after %lu ms, "
	    "%lld attempts\n", fx->elapsed_ms, field_num(ev[0], "attempts"));
	free_lines(ev, n);
	assert_true(fx->elapsed_ms < 5000);
	TerminateThread(th, 0);
	CloseHandle(hd.h);
	CloseHandle(th);
}

static void
win_read_only_hosts_file_fails_at_once(void **state)
{
	struct fx	*fx = *state;
	char		**ev;
	size_t		 n;

	put_desired(fx, HOSTS_DESIRED);
	assert_true(SetFileAttributesA(fx->hosts, FILE_ATTRIBUTE_READONLY));
	assert_int_equal(run(fx, "once"), 1);
	ev = trace_events(fx, "HostsWriteGaveUp", &n);
	assert_int_equal(n, 1);
	assert_int_equal(field_num(ev[0], "attempts"), 1);
	assert_non_null(strstr(ev[0], "\"transient\":false"));
	free_lines(ev, n);
	ev = trace_events(fx, "HostsWriteAttempt", &n);
	assert_int_equal(n, 0);
	free_lines(ev, n);
	SetFileAttributesA(fx->hosts, FILE_ATTRIBUTE_NORMAL);
	(void)count;
}

#define LIMIT_BYTES	(64u << 20)	/* HOSTS_MAX_BYTES */

static void
win_render_past_the_limit_is_refused_before_writing(void **state)
{
	struct fx	*fx = *state;
	WIN32_FILE_ATTRIBUTE_DATA before, after;
	size_t		 len = LIMIT_BYTES - 40, i;
	char		*big = malloc(len);

	/* 40 bytes short of the limit: the section does not fit. */
	assert_non_null(big);
	for (i = 0; i < len; i++)
		big[i] = i % 64 == 63 ? '\n' : i % 64 == 62 ? '\r' : '#';
	tu_put(fx->hosts, big, len);
	free(big);
	put_desired(fx, HOSTS_DESIRED);
	assert_true(GetFileAttributesExA(fx->hosts, GetFileExInfoStandard,
	    &before));
	assert_int_equal(run(fx, "once"), 1);
	assert_non_null(strstr(fx->out, "over the limit"));
	assert_true(GetFileAttributesExA(fx->hosts, GetFileExInfoStandard,
	    &after));
	assert_int_equal(after.nFileSizeLow, len);
	assert_memory_equal(&before.ftLastWriteTime, &after.ftLastWriteTime,
	    sizeof(FILETIME));
}

static void
win_a_pipe_as_the_trace_path_is_refused_and_once_goes_on(void **state)
{
	struct fx	*fx = *state;
	char		 cfg[1024], pipe[128];
	HANDLE		 srv;

	snprintf(pipe, sizeof(pipe), "\\\\.\\pipe\\dw-trace-%lu",
	    (unsigned long)GetCurrentProcessId());
	srv = CreateNamedPipeA(pipe, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1,
	    0, 4096, 0, NULL);
	assert_true(srv != INVALID_HANDLE_VALUE);
	/* JSON escapes the backslashes of the pipe's name. */
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"\\\\\\\\.\\\\pipe\\\\dw-trace-%lu\"}}",
	    (unsigned long)GetCurrentProcessId());
	tu_put(fx->config, cfg, strlen(cfg));
	put_desired(fx, HOSTS_DESIRED);
	assert_int_equal(run(fx, "once"), 0);
	assert_non_null(strstr(fx->out, "not a regular file"));
	CloseHandle(srv);
	free(fx->out);
	fx->out = tu_slurp(fx->hosts, NULL);
	assert_non_null(strstr(fx->out, "100.64.0.7 build.coder"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(win_once_writes_a_rule_and_records_it_then_changes_nothing),
		T(win_120_domains_make_three_rules),
		T(win_shrinking_reuses_an_id_and_deletes_after_writing),
		T(win_an_equivalent_foreign_rule_is_adopted_not_duplicated),
		T(win_foreign_rules_are_never_touched),
		T(win_with_a_gp_table_rules_land_in_both_tables),
		T(win_locked_hosts_file_is_written_after_the_release),
		T(win_hosts_file_held_past_the_deadline_gives_up),
		T(win_scanner_without_delete_sharing_is_worked_around),
		T(win_read_only_hosts_file_fails_at_once),
		T(win_render_past_the_limit_is_refused_before_writing),
		T(win_a_pipe_as_the_trace_path_is_refused_and_once_goes_on),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
