/*
 * Tests for os/follow_store_win.c against the real Wine registry, set up
 * with reg.exe as a tunnel leaves it (the record value, two rule keys in
 * the local NRPT table), and for the atomic file write, removal and the
 * private folder of os/platform_win.c.
 */
#include <winsock2.h>
#include <ws2ipdef.h>
#include <windows.h>
#include <iphlpapi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "follow_store.h"
#include "platform.h"
#include "testutil.h"
#include "winrun.h"

#define REG_EXE		"C:\\windows\\system32\\reg.exe"
#define RECORD_KEY	"SOFTWARE\\DnsWatchdogTest Coder VPN"
#define LOCAL_TABLE	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
			"Parameters\\DnsPolicyConfig"
#define GP_TABLE	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\" \
			"DNSClient\\DnsPolicyConfig"
#define ID1		"{3f1c7e3a-0a4f-4a8e-9d65-1b2f5e6c7d01}"
#define ID2		"{8b2d4c6e-1f3a-4b5c-8d7e-9f0a1b2c3d02}"

static const struct follow_tunnel tun = {
	.name = "test", .record_key = RECORD_KEY, .record_value = "NRPTRuleIDs",
	.begin_marker = "# B", .end_marker = "# E",
	.adapter_guid = "{0ed1515d-04a4-4c46-abae-11ad07cf0e6d}",
	.adapter_name = "DnsWatchdogNoSuchAdapter"
};

static char	 outfile[MAX_PATH];

static void reg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
reg(const char *fmt, ...)
{
	char	 args[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	assert_int_equal(winrun(REG_EXE, args, outfile, NULL), 0);
}

static void
reg_wipe(const char *path)
{
	RegDeleteTreeA(HKEY_LOCAL_MACHINE, path);
	RegDeleteKeyExA(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
}

static void
wipe_all(void)
{
	reg_wipe(LOCAL_TABLE "\\" ID1);
	reg_wipe(LOCAL_TABLE "\\" ID2);
	reg_wipe(GP_TABLE "\\" ID1);
	reg_wipe(GP_TABLE);
	reg_wipe(RECORD_KEY);
}

/* What Coder Desktop's tunnel leaves for one rule. */
static void
add_rule(const char *table, const char *id)
{
	char	 key[512];

	snprintf(key, sizeof(key), "HKLM\\%s\\%s", table, id);
	reg("add \"%s\" /v Name /t REG_MULTI_SZ /d .coder /f%s", key, "");
	reg("add \"%s\" /v GenericDNSServers /t REG_SZ /d fd60:627a:a42b::53 "
	    "/f%s", key, "");
	reg("add \"%s\" /v ConfigOptions /t REG_DWORD /d 8 /f%s", key, "");
	reg("add \"%s\" /v Version /t REG_DWORD /d 1 /f%s", key, "");
}

static int
setup(void **state)
{
	char	 tmp[MAX_PATH];

	(void)state;
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(outfile, sizeof(outfile), "%sdw-follow-reg.txt", tmp);
	wipe_all();
	reg("add \"HKLM\\%s\" /v NRPTRuleIDs /t REG_MULTI_SZ /d %s /f",
	    RECORD_KEY, ID1 "\\0" ID2);
	add_rule(LOCAL_TABLE, ID1);
	add_rule(LOCAL_TABLE, ID2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wipe_all();
	DeleteFileA(outfile);
	return 0;
}

static const struct follow_rule *
seen_rule(const struct follow_seen *s, const char *id, enum follow_table t)
{
	size_t	 i;

	for (i = 0; i < s->nrules; i++)
		if (strcmp(s->rules[i].id, id) == 0 && s->rules[i].table == t)
			return &s->rules[i];
	return NULL;
}

static void
check_value(const struct follow_rule *r, const char *name, uint32_t type,
    const void *data, size_t len)
{
	const struct follow_value	*v;

	assert_non_null(v = follow_rule_value(r, name));
	assert_int_equal(v->type, type);
	assert_int_equal(v->len, len);
	assert_memory_equal(v->data, data, len);
}

/* The rule's four values, exactly as reg.exe stored them. */
static void
check_coder_rule(const struct follow_rule *r)
{
	static const wchar_t	 name[] = L".coder\0";	/* and the final NUL */
	static const wchar_t	 srv[] = L"fd60:627a:a42b::53";
	DWORD			 eight = 8, one = 1;

	assert_non_null(r);
	assert_int_equal(r->nvalues, 4);
	check_value(r, "Name", REG_MULTI_SZ, name, sizeof(name));
	check_value(r, "GenericDNSServers", REG_SZ, srv, sizeof(srv));
	check_value(r, "ConfigOptions", REG_DWORD, &eight, 4);
	check_value(r, "Version", REG_DWORD, &one, 4);
	assert_true(follow_rule_usable(r));
}

static void
test_read(void **state)
{
	struct follow_seen	 s;
	struct dwerr		 err;

	(void)state;
	memset(&s, 0, sizeof(s));
	dwerr_reset(&err);
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_true(s.nrpt);
	assert_true(s.record);
	assert_int_equal(s.nids, 2);
	assert_string_equal(s.ids[0], ID1);
	assert_string_equal(s.ids[1], ID2);
	assert_int_equal(s.nrules, 2);
	check_coder_rule(seen_rule(&s, ID1, FOLLOW_LOCAL));
	check_coder_rule(seen_rule(&s, ID2, FOLLOW_LOCAL));
	assert_false(s.gp_table);
	follow_seen_clear(&s);

	/* The GP table appears, with ID1 in it; ID2's local key goes. */
	reg("add \"HKLM\\%s\" /f%s", GP_TABLE, "");
	add_rule(GP_TABLE, ID1);
	reg("delete \"HKLM\\%s\\%s\" /f", LOCAL_TABLE, ID2);
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_true(s.gp_table);
	assert_int_equal(s.nrules, 2);
	check_coder_rule(seen_rule(&s, ID1, FOLLOW_LOCAL));
	check_coder_rule(seen_rule(&s, ID1, FOLLOW_GP));
	assert_null(seen_rule(&s, ID2, FOLLOW_LOCAL));
	assert_null(seen_rule(&s, ID2, FOLLOW_GP));
	follow_seen_clear(&s);
}

static void
test_read_record_forms(void **state)
{
	struct follow_seen	 s;
	struct dwerr		 err;
	char			 longid[300];

	(void)state;
	memset(&s, 0, sizeof(s));
	dwerr_reset(&err);
	/* Empty strings, a backslash, an over-long name: ignored. */
	memset(longid, 'a', 256);
	longid[256] = '\0';
	reg("add \"HKLM\\" RECORD_KEY "\" /v NRPTRuleIDs /t REG_MULTI_SZ "
	    "/d a\\b\\0%s\\0%s /f", longid, ID2);
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_true(s.record);
	assert_int_equal(s.nids, 1);
	assert_string_equal(s.ids[0], ID2);
	follow_seen_clear(&s);
	/* Another type: present, listing nothing. */
	reg("add \"HKLM\\%s\" /v NRPTRuleIDs /t REG_SZ /d %s /f", RECORD_KEY,
	    ID1);
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_true(s.record);
	assert_int_equal(s.nids, 0);
	assert_int_equal(s.nrules, 0);
	follow_seen_clear(&s);
	/* The value gone, then the key: no record. */
	reg("delete \"HKLM\\%s\" /v NRPTRuleIDs /f%s", RECORD_KEY, "");
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_true(s.nrpt);
	assert_false(s.record);
	follow_seen_clear(&s);
	reg_wipe(RECORD_KEY);
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_false(s.record);
	assert_int_equal(s.nids, 0);
	follow_seen_clear(&s);
}

/* The record value's bytes. */
static size_t
record_bytes(BYTE *buf, DWORD cap)
{
	DWORD	 len = cap;

	assert_int_equal(RegGetValueA(HKEY_LOCAL_MACHINE, RECORD_KEY,
	    "NRPTRuleIDs", RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY, NULL, buf,
	    &len), ERROR_SUCCESS);
	return len;
}

static void
test_put(void **state)
{
	struct follow_seen	 s;
	struct follow_rule	*r;
	struct dwerr		 err;
	BYTE			 before[512], after[512];
	size_t			 blen;
	unsigned		 written;
	DWORD			 type, len, v;
	HKEY			 gp;

	(void)state;
	memset(&s, 0, sizeof(s));
	dwerr_reset(&err);
	blen = record_bytes(before, sizeof(before));
	assert_int_equal(follow_store_read(&tun, &s, &err), 0);
	assert_non_null(r = (struct follow_rule *)seen_rule(&s, ID1,
	    FOLLOW_LOCAL));
	/* Deleted: recreated with the same bytes. */
	reg("delete \"HKLM\\%s\\%s\" /f", LOCAL_TABLE, ID1);
	written = 0;
	assert_int_equal(follow_store_put(r, FOLLOW_LOCAL, &written, &err), 0);
	assert_int_equal(written, 4);
	len = sizeof(v);
	assert_int_equal(RegGetValueA(HKEY_LOCAL_MACHINE, LOCAL_TABLE "\\" ID1,
	    "ConfigOptions", RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY, &type, &v,
	    &len), ERROR_SUCCESS);
	assert_int_equal(type, REG_DWORD);
	assert_int_equal(v, 8);
	{
		struct follow_seen	 s2;

		memset(&s2, 0, sizeof(s2));
		assert_int_equal(follow_store_read(&tun, &s2, &err), 0);
		check_coder_rule(seen_rule(&s2, ID1, FOLLOW_LOCAL));
		follow_seen_clear(&s2);
	}
	/* Equal: nothing written. */
	written = 0;
	assert_int_equal(follow_store_put(r, FOLLOW_LOCAL, &written, &err), 0);
	assert_int_equal(written, 0);
	/* One value differs, another is foreign: one write, foreign kept. */
	reg("add \"HKLM\\%s\\%s\" /v ConfigOptions /t REG_DWORD /d 9 /f",
	    LOCAL_TABLE, ID1);
	reg("add \"HKLM\\%s\\%s\" /v Comment /t REG_SZ /d other /f",
	    LOCAL_TABLE, ID1);
	written = 0;
	assert_int_equal(follow_store_put(r, FOLLOW_LOCAL, &written, &err), 0);
	assert_int_equal(written, 1);
	len = sizeof(v);
	assert_int_equal(RegGetValueA(HKEY_LOCAL_MACHINE, LOCAL_TABLE "\\" ID1,
	    "ConfigOptions", RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY, NULL,
	    &v, &len), ERROR_SUCCESS);
	assert_int_equal(v, 8);
	len = 0;
	assert_int_equal(RegGetValueA(HKEY_LOCAL_MACHINE, LOCAL_TABLE "\\" ID1,
	    "Comment", RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY, NULL, NULL, &len),
	    ERROR_SUCCESS);
	/* No GP table: refused, and not created. */
	written = 0;
	assert_int_equal(follow_store_put(r, FOLLOW_GP, &written, &err), -1);
	assert_non_null(strstr(err.msg, "group-policy table"));
	assert_int_equal(written, 0);
	assert_int_equal(RegOpenKeyExA(HKEY_LOCAL_MACHINE, GP_TABLE, 0,
	    KEY_READ | KEY_WOW64_64KEY, &gp), ERROR_FILE_NOT_FOUND);
	/* With it: written there. */
	reg("add \"HKLM\\%s\" /f%s", GP_TABLE, "");
	assert_int_equal(follow_store_put(r, FOLLOW_GP, &written, &err), 0);
	assert_int_equal(written, 4);
	/* The record was never touched. */
	assert_int_equal(record_bytes(after, sizeof(after)), blen);
	assert_memory_equal(before, after, blen);
	follow_seen_clear(&s);
}

static bool
hook_answer(const struct follow_tunnel *t, void *ctx)
{
	assert_ptr_equal(t, &tun);
	return *(bool *)ctx;
}

static void
test_alive(void **state)
{
	struct follow_tunnel	 t = tun;
	IP_ADAPTER_ADDRESSES	*list, *a;
	ULONG			 size = 64 * 1024;
	char			 name[256];
	bool			 answer = true;

	(void)state;
	follow_store_set_alive_hook(hook_answer, &answer);
	assert_true(follow_store_alive(&tun));
	answer = false;
	assert_false(follow_store_alive(&tun));
	follow_store_set_alive_hook(NULL, NULL);
	/* No such adapter. */
	assert_false(follow_store_alive(&tun));
	/* The first real one, by friendly name, then by its GUID. */
	assert_non_null(list = malloc(size));
	assert_int_equal(GetAdaptersAddresses(AF_UNSPEC, 0, NULL, list, &size),
	    NO_ERROR);
	assert_non_null(a = list);
	WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, name,
	    sizeof(name), NULL, NULL);
	t.adapter_guid = NULL;
	t.adapter_name = name;
	assert_true(follow_store_alive(&t));
	t.adapter_name = "DnsWatchdogNoSuchAdapter";
	t.adapter_guid = _strlwr(_strdup(a->AdapterName));
	assert_true(follow_store_alive(&t));
	free((char *)t.adapter_guid);
	free(list);
}

static void
test_files(void **state)
{
	char		 dir[MAX_PATH], tmp[MAX_PATH], path[MAX_PATH + 32];
	struct dwerr	 err;
	WIN32_FIND_DATAA fd;
	HANDLE		 h;
	char		*got;
	size_t		 len;
	int		 n = 0;

	(void)state;
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(dir, sizeof(dir), "%sdw-follow-XXXXXX", tmp);
	tu_mkdtemp(dir);
	snprintf(path, sizeof(path), "%s\\state.json", dir);
	tu_put(path, "old", 3);
	dwerr_reset(&err);
	assert_int_equal(platform_write_file_atomic(path, "new\0b", 5, &err),
	    0);
	assert_non_null(got = tu_slurp(path, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(got, "new\0b", 5);
	free(got);
	snprintf(tmp, sizeof(tmp), "%s\\*", dir);
	assert_true((h = FindFirstFileA(tmp, &fd)) != INVALID_HANDLE_VALUE);
	do
		if (fd.cFileName[0] != '.')
			n++;
	while (FindNextFileA(h, &fd));
	FindClose(h);
	assert_int_equal(n, 1);		/* no temporary left */
	/* The folder missing: an error naming the path; the old file kept. */
	snprintf(tmp, sizeof(tmp), "%s\\gone\\state.json", dir);
	assert_int_equal(platform_write_file_atomic(tmp, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, tmp));
	assert_non_null(got = tu_slurp(path, &len));
	assert_memory_equal(got, "new\0b", 5);
	free(got);
	/* Removal, twice. */
	assert_int_equal(platform_remove_file(path, &err), 0);
	assert_int_equal(GetFileAttributesA(path), INVALID_FILE_ATTRIBUTES);
	assert_int_equal(platform_remove_file(path, &err), 0);
	/* The private folder. */
	snprintf(path, sizeof(path), "%s\\state", dir);
	assert_int_equal(platform_make_private_dir(path, &err), 0);
	assert_true(GetFileAttributesA(path) & FILE_ATTRIBUTE_DIRECTORY);
	assert_int_equal(platform_make_private_dir(path, &err), 0);
	RemoveDirectoryA(path);
	tu_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_record_forms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put, setup, teardown),
		cmocka_unit_test(test_alive),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
