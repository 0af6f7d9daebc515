/* Tests for etw/trace.c and etw/trace_jsonl.c. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "trace.h"

#define CAPTURE_MAX 16u

/* A sink that keeps copies of what it receives. */
struct capture {
	unsigned	 n;
	char		 name[CAPTURE_MAX][64];
	enum trace_opcode op[CAPTURE_MAX];
	uint8_t		 activity[CAPTURE_MAX][16];
	size_t		 nfields[CAPTURE_MAX];
	enum trace_type	 type0[CAPTURE_MAX];
	int		*freed;
};

static void
capture_emit(void *ctx, const struct trace_record *rec)
{
	struct capture	*c = ctx;

	assert_true(c->n < CAPTURE_MAX);
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s", rec->name);
	c->op[c->n] = rec->opcode;
	memcpy(c->activity[c->n], rec->activity, 16);
	c->nfields[c->n] = rec->nfields;
	c->type0[c->n] = rec->nfields > 0 ? rec->fields[0].type : TRACE_T_BOOL;
	c->n++;
}

static void
capture_free(void *ctx)
{
	struct capture	*c = ctx;

	(*c->freed)++;
	free(c);
}

static const struct trace_sink_ops capture_ops = { capture_emit, capture_free };

static uint64_t
fixed_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

/* A temp file path; the test unlinks it. */
static void
temp_path(char *buf, size_t len)
{
	int	 fd;

	snprintf(buf, len, "/tmp/dw-trace-XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
	unlink(buf);
}

static void
trace_pass_events_share_one_activity(void **state)
{
	static const uint8_t	 act[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
				    12, 13, 14, 15, 16 };
	static const uint8_t	 zero[16];
	struct capture		*c = calloc(1, sizeof(*c));
	struct trace		*t;
	uint64_t		 now = 0;
	int			 freed = 0;

	(void)state;
	assert_non_null(c);
	c->freed = &freed;
	t = trace_new(fixed_clock, &now);
	assert_non_null(t);
	assert_int_equal(trace_add_sink(t, &capture_ops, c), 0);
	trace_activity_begin(t, act);
	trace_reconcile_start(t, "vpn");
	trace_hosts_write_attempt(t, 1, 32, "ERROR_SHARING_VIOLATION", "locked", true, 50, 0);
	trace_reconcile_end(t, "converged", 1, 1234);
	trace_activity_end(t);
	trace_hosts_unchanged(t, "/etc/hosts");

	assert_int_equal(c->n, 4);
	assert_string_equal(c->name[0], "ReconcileStart");
	assert_int_equal(c->op[0], TRACE_OP_START);
	assert_string_equal(c->name[2], "ReconcileEnd");
	assert_int_equal(c->op[2], TRACE_OP_STOP);
	assert_memory_equal(c->activity[0], act, 16);
	assert_memory_equal(c->activity[1], act, 16);
	assert_memory_equal(c->activity[2], act, 16);
	assert_memory_equal(c->activity[3], zero, 16);
	assert_int_equal(c->nfields[1], 7);
	assert_int_equal(c->type0[1], TRACE_T_U32);
	trace_free(t);
	assert_int_equal(freed, 1);
}

static void
trace_null_dispatcher_is_silent(void **state)
{
	(void)state;
	trace_reconcile_start(NULL, "once");
	trace_hosts_write_gave_up(NULL, 3, 30000, 32, "E", "x", true);
	trace_free(NULL);
}

static void
trace_guid_format_is_lower_case_8_4_4_4_12(void **state)
{
	static const uint8_t	 id[16] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01,
				    0x42, 0x03, 0x84, 0x05, 0xa6, 0x07, 0x08,
				    0x09, 0x0a, 0xff };
	char			 out[TRACE_GUID_CHARS + 1];

	(void)state;
	trace_guid_format(id, out);
	assert_string_equal(out, "deadbeef-0001-4203-8405-a60708090aff");
}

static void
trace_jsonl_writes_one_exact_object_per_line(void **state)
{
	static const uint8_t	 act[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				    0x47, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
				    0xee, 0xff, 0x00 };
	/* 2026-11-25T08:00:00.000042Z */
	uint64_t		 now = 1795593600ull * 1000000u + 42u;
	struct trace		*t;
	struct dwerr		 err;
	char			 path[64], *got;

	(void)state;
	temp_path(path, sizeof(path));
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, &err), 0);
	trace_activity_begin(t, act);
	trace_hosts_write_attempt(t, 2, 32, "ERROR_SHARING_VIOLATION",
	    "sharing violation", true, 100, 51);
	now += 1999999;
	trace_hosts_write_succeeded(t, 3, 152, 4096, "rename", "lease");
	trace_free(t);
	got = tu_slurp(path, NULL);
	assert_string_equal(got,
	    "{\"ts\":\"2026-11-25T08:00:00.000042Z\",\"event\":\"HostsWriteAttempt\","
	    "\"activity\":\"11223344-5566-4788-99aa-bbccddeeff00\",\"level\":\"warning\","
	    "\"attempt\":2,\"error_code\":32,\"error_name\":\"ERROR_SHARING_VIOLATION\","
	    "\"error\":\"sharing violation\","
	    "\"transient\":true,\"next_delay_ms\":100,\"elapsed_ms\":51}\n"
	    "{\"ts\":\"2026-11-25T08:00:02.000041Z\",\"event\":\"HostsWriteSucceeded\","
	    "\"activity\":\"11223344-5566-4788-99aa-bbccddeeff00\",\"level\":\"info\","
	    "\"attempts\":3,\"elapsed_ms\":152,\"bytes\":4096,\"method\":\"rename\",\"guard\":\"lease\"}\n");
	free(got);
	unlink(path);
}

static void
trace_jsonl_escapes_strings_and_replaces_bad_utf8(void **state)
{
	uint64_t	 now = 0;
	struct trace	*t;
	struct dwerr	 err;
	char		 path[64], *got;

	(void)state;
	temp_path(path, sizeof(path));
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, &err), 0);
	trace_hosts_file_rejected(t, "C:\\hosts \"x\"",
	    "line1\nline2\t\x01 caf\xc3\xa9 bad\xff end");
	trace_free(t);
	got = tu_slurp(path, NULL);
	assert_non_null(strstr(got, "\"ts\":\"1970-01-01T00:00:00.000000Z\""));
	assert_non_null(strstr(got, "\"path\":\"C:\\\\hosts \\\"x\\\"\""));
	assert_non_null(strstr(got,
	    "\"error\":\"line1\\nline2\\t\\u0001 caf\xc3\xa9 bad\\ufffd end\""));
	assert_non_null(strstr(got,
	    "\"activity\":\"00000000-0000-0000-0000-000000000000\""));
	/* Exactly one line. */
	assert_ptr_equal(strchr(got, '\n'), got + strlen(got) - 1);
	free(got);
	unlink(path);
}

static void
trace_jsonl_dates_are_utc_calendar_dates(void **state)
{
	/* 2024-02-29T23:59:59.999999Z: a leap day, end of day. */
	uint64_t	 now = 1709251199ull * 1000000u + 999999u;
	struct trace	*t;
	struct dwerr	 err;
	char		 path[64], *got;

	(void)state;
	temp_path(path, sizeof(path));
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, &err), 0);
	trace_reconcile_end(t, "failed", 0, 7);
	trace_free(t);
	got = tu_slurp(path, NULL);
	assert_non_null(strstr(got, "\"ts\":\"2024-02-29T23:59:59.999999Z\""));
	assert_non_null(strstr(got, "\"level\":\"error\""));
	free(got);
	unlink(path);
}

static void
trace_jsonl_open_failure_names_the_file(void **state)
{
	struct trace	*t = trace_new(NULL, NULL);
	struct dwerr	 err;

	(void)state;
	assert_int_equal(trace_add_jsonl(t, "/nonexistent-dir/x/trace.jsonl",
	    &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/trace.jsonl"));
	assert_int_not_equal(err.code, 0);
	trace_free(t);
}

static void
trace_refuses_a_sink_past_the_limit(void **state)
{
	struct trace	*t = trace_new(NULL, NULL);
	int		 freed = 0;
	unsigned	 i;

	(void)state;
	for (i = 0; i < TRACE_MAX_SINKS; i++) {
		struct capture *c = calloc(1, sizeof(*c));

		c->freed = &freed;
		assert_int_equal(trace_add_sink(t, &capture_ops, c), 0);
	}
	assert_int_equal(trace_add_sink(t, &capture_ops, NULL), -1);
	trace_free(t);
	assert_int_equal(freed, (int)TRACE_MAX_SINKS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_pass_events_share_one_activity),
		cmocka_unit_test(trace_null_dispatcher_is_silent),
		cmocka_unit_test(trace_guid_format_is_lower_case_8_4_4_4_12),
		cmocka_unit_test(trace_jsonl_writes_one_exact_object_per_line),
		cmocka_unit_test(trace_jsonl_escapes_strings_and_replaces_bad_utf8),
		cmocka_unit_test(trace_jsonl_dates_are_utc_calendar_dates),
		cmocka_unit_test(trace_jsonl_open_failure_names_the_file),
		cmocka_unit_test(trace_refuses_a_sink_past_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
