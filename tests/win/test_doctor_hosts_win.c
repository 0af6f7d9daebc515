/*
 * Windows integration tests of `dnswatchdog doctor`: the real
 * dnswatchdog.exe under Wine. The hosts part read through the Win32
 * file calls, the adapters from IP Helper recognised as VPNs by their
 * description, the Restart Manager asked who holds the hosts file, and a
 * support bundle written as a ZIP (read back here record by record; the
 * next test hands the same file to unzip).
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

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "archive.h"
#include "testutil.h"
#include "win/winrun.h"

#define HOSTS \
	"127.0.0.1 localhost\r\n" \
	"# DnsWatchdogSectionStart\r\n" \
	"# This section is managed by dnswatchdog. Do not edit it by hand.\r\n" \
	"100.64.0.7 build.coder\r\n" \
	"# DnsWatchdogSectionEnd\r\n"
#define DESIRED \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\"," \
	"\"names\":[\"build.coder\"]}]}"

struct fx {
	char	 dir[MAX_PATH];
	char	 config[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	*out;
	cJSON	*report;
};

static void
write_config(struct fx *fx, const char *prefix)
{
	char	 cfg[1024], *q, esc[256];
	size_t	 o = 0;

	/* The prefix as a JSON string (an adapter's description). */
	for (q = (char *)prefix; *q != '\0' && o + 2 < sizeof(esc); q++) {
		if (*q == '"' || *q == '\\')
			esc[o++] = '\\';
		esc[o++] = *q;
	}
	esc[o] = '\0';
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"trace.jsonl\"},\"vpn\":{\"adapter_prefixes\":[\"%s\"]}}", esc);
	tu_put(fx->config, cfg, strlen(cfg));
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 tmp[MAX_PATH], p[MAX_PATH];

	assert_non_null(fx);
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-doctor-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	write_config(fx, "zz-no-such-adapter");
	snprintf(p, sizeof(p), "%s\\desired.json", fx->dir);
	tu_put(p, DESIRED, strlen(DESIRED));
	tu_put(fx->hosts, HOSTS, strlen(HOSTS));
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->dir);
	cJSON_Delete(fx->report);
	free(fx->out);
	free(fx);
	return 0;
}

/* Runs dnswatchdog.exe --config CONFIG doctor <args>; the report of a
 * --json run is parsed into fx->report. */
static DWORD
doctor(struct fx *fx, const char *args, bool json)
{
	char	 outp[MAX_PATH], all[3 * MAX_PATH];
	DWORD	 rc;

	snprintf(outp, sizeof(outp), "%s\\output.txt", fx->dir);
	snprintf(all, sizeof(all), "--config \"%s\" doctor %s", fx->config,
	    args);
	rc = winrun(DW_BINARY, all, outp, NULL);
	free(fx->out);
	fx->out = tu_slurp(outp, NULL);
	DeleteFileA(outp);
	assert_non_null(fx->out);
	if (json) {
		cJSON_Delete(fx->report);
		if ((fx->report = cJSON_Parse(fx->out)) == NULL)
			fail_msg("doctor --json printed no JSON: %s", fx->out);
	}
	return rc;
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const cJSON *
finding(struct fx *fx, const char *code)
{
	const cJSON	*f;

	cJSON_ArrayForEach(f, get(fx->report, "findings"))
		if (strcmp(cJSON_GetStringValue(get(f, "code")), code) == 0)
			return f;
	return NULL;
}

static void
doctor_win_reads_the_section_and_the_adapters(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*h, *a, *first;
	char		 desc[256];
	bool		 seen = false;

	/* The daemon is not running: broken, exit 1. */
	assert_int_equal(doctor(fx, "--json", true), 1);
	h = get(fx->report, "hosts");
	assert_string_equal(cJSON_GetStringValue(get(h, "section")),
	    "complete");
	assert_int_equal(cJSON_GetNumberValue(get(h, "entries")), 1);
	assert_int_equal(cJSON_GetNumberValue(get(h, "bytes")), strlen(HOSTS));
	assert_null(finding(fx, "hosts-section-missing"));
	/* Every adapter IP Helper lists, none a VPN for this prefix. */
	first = cJSON_GetArrayItem(get(fx->report, "adapters"), 0);
	assert_non_null(first);
	cJSON_ArrayForEach(a, get(fx->report, "adapters")) {
		assert_true(cJSON_IsString(get(a, "name")));
		assert_true(cJSON_IsString(get(a, "description")));
		assert_true(cJSON_IsBool(get(a, "up")));
		assert_true(cJSON_IsFalse(get(a, "vpn")));
	}
	assert_null(finding(fx, "vpn-adapter"));
	/* Its description as the prefix: the adapter is a VPN now. */
	snprintf(desc, sizeof(desc), "%s",
	    cJSON_GetStringValue(get(first, "description")));
	assert_true(desc[0] != '\0');
	write_config(fx, desc);
	doctor(fx, "--json", true);
	cJSON_ArrayForEach(a, get(fx->report, "adapters"))
		if (strcmp(cJSON_GetStringValue(get(a, "description")),
		    desc) == 0) {
			assert_true(cJSON_IsTrue(get(a, "vpn")));
			seen = true;
		}
	assert_true(seen);
	assert_non_null(finding(fx, "vpn-adapter"));
	assert_string_equal(cJSON_GetStringValue(get(finding(fx,
	    "vpn-adapter"), "severity")), "info");
	assert_non_null(strstr(cJSON_GetStringValue(get(finding(fx,
	    "vpn-adapter"), "message")), desc));
}

/*
 * The Restart Manager asked while this process holds the file. Wine's
 * rstrtmgr answers every call with success and lists no process (its
 * RmGetList is a stub), so under Wine the report says who was asked and
 * that the asking worked; the holder itself only real Windows names.
 */
static void
doctor_win_asks_the_restart_manager_who_holds_the_file(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*h, *by;
	wchar_t		 w[MAX_PATH];
	HANDLE		 f;

	MultiByteToWideChar(CP_UTF8, 0, fx->hosts, -1, w, MAX_PATH);
	f = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
	    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(f != INVALID_HANDLE_VALUE);
	doctor(fx, "--json", true);
	CloseHandle(f);
	h = get(fx->report, "hosts");
	assert_string_equal(cJSON_GetStringValue(get(h, "holders_method")),
	    "restart-manager");
	if (get(h, "holders_error") != NULL)
		fail_msg("the Restart Manager failed: %s",
		    cJSON_GetStringValue(get(h, "holders_error")));
	assert_true(cJSON_IsArray(get(h, "holders")));
	by = get(h, "locked_by");
	if (cJSON_IsNull(by)) {
		/* Wine: nothing listed, and nothing made up. */
		assert_int_equal(cJSON_GetArraySize(get(h, "holders")), 0);
		assert_null(finding(fx, "hosts-locked"));
		print_message("the Restart Manager lists no holder here "
		    "(Wine's RmGetList is a stub)\n");
		return;
	}
	/* Real Windows: this test process. */
	assert_int_equal(cJSON_GetNumberValue(get(by, "pid")),
	    GetCurrentProcessId());
	assert_non_null(finding(fx, "hosts-locked"));
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

static void
doctor_win_bundle_is_a_valid_zip(void **state)
{
	static const char *const want[] = { "README.txt", "doctor.json",
	    "config.json", "desired.json", "hosts", "adapters.json" };
	struct fx	*fx = *state;
	char		 path[MAX_PATH], args[2 * MAX_PATH], name[128];
	const uint8_t	*end, *c, *l, *data;
	uint8_t		*z;
	size_t		 len, i, n, nlen, found = 0;
	cJSON		*r;

	snprintf(path, sizeof(path), "%s\\bundle.zip", fx->dir);
	snprintf(args, sizeof(args), "--bundle \"%s\"", path);
	assert_int_equal(doctor(fx, args, false), 1);
	assert_non_null(strstr(fx->out, "support bundle written to"));
	z = (uint8_t *)tu_slurp(path, &len);
	assert_non_null(z);
	assert_true(len >= 22);
	end = z + len - 22;
	assert_int_equal(get32(end), 0x06054b50u);
	n = get16(end + 10);
	assert_int_equal(get32(end + 16) + get32(end + 12), len - 22);
	c = z + get32(end + 16);
	for (i = 0; i < n; i++) {
		assert_int_equal(get32(c), 0x02014b50u);
		nlen = get16(c + 28);
		assert_true(nlen < sizeof(name));
		memcpy(name, c + 46, nlen);
		name[nlen] = '\0';
		l = z + get32(c + 42);
		assert_int_equal(get32(l), 0x04034b50u);
		data = l + 30 + get16(l + 26) + get16(l + 28);
		assert_int_equal(archive_crc32(0, data, get32(c + 24)),
		    get32(c + 16));
		if (strcmp(name, "doctor.json") == 0) {
			char *s = malloc(get32(c + 24) + 1);

			memcpy(s, data, get32(c + 24));
			s[get32(c + 24)] = '\0';
			assert_non_null(r = cJSON_Parse(s));
			assert_string_equal(cJSON_GetStringValue(get(get(r,
			    "hosts"), "section")), "complete");
			cJSON_Delete(r);
			free(s);
		}
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (strcmp(name, want[k]) == 0)
				found++;
		c += 46 + nlen + get16(c + 30) + get16(c + 32);
	}
	assert_int_equal(found, sizeof(want) / sizeof(want[0]));
	/* A copy where the next test (native unzip) finds it. */
	tu_put(DW_WIN_BUNDLE, (const char *)z, len);
	free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(doctor_win_reads_the_section_and_the_adapters),
		T(doctor_win_asks_the_restart_manager_who_holds_the_file),
		T(doctor_win_bundle_is_a_valid_zip),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
