/*
 * Tests for etw/trace.c, etw/trace_jsonl.c and etw/trace_file_posix.c.
 * write(2) is wrapped (-Wl,--wrap=write): a test can make the trace's
 * writes fail as a full disk does.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "testutil.h"
#include "trace.h"

#define CAPTURE_MAX 16u
#define FAST_MS	    1000u	/* a refused FIFO costs far less than this */

ssize_t	__real_write(int fd, const void *buf, size_t n);
ssize_t	__wrap_write(int fd, const void *buf, size_t n);

/* The write seam: while armed, the next write puts at most short_bytes
 * through, and the one after fails with ENOSPC (a disk filling up). */
static struct {
	int	 armed;
	size_t	 short_bytes;
	int	 calls;
} fault;

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (!fault.armed)
		return __real_write(fd, buf, n);
	if (fault.calls++ == 0 && fault.short_bytes > 0)
		return __real_write(fd, buf, n < fault.short_bytes ? n :
		    fault.short_bytes);
	errno = ENOSPC;
	return -1;
}

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
	trace_reconcile_start(t, "vpn", NULL);
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
	assert_int_equal(trace_add_jsonl(t, path, 0, NULL, &err), 0);
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
	assert_int_equal(trace_add_jsonl(t, path, 0, NULL, &err), 0);
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
	assert_int_equal(trace_add_jsonl(t, path, 0, NULL, &err), 0);
	trace_reconcile_failed(t, "once", "rejected", "disabled", 0, 7);
	trace_free(t);
	got = tu_slurp(path, NULL);
	assert_non_null(strstr(got, "\"ts\":\"2024-02-29T23:59:59.999999Z\""));
	assert_non_null(strstr(got, "\"level\":\"error\""));
	free(got);
	unlink(path);
}

static void
trace_jsonl_a_retry_names_the_pass_it_continues(void **state)
{
	static const uint8_t	 act[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				    0x47, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
				    0xee, 0xff, 0x00 };
	static const uint8_t	 prev[16] = { 0xde, 0xad, 0xbe, 0xef, 0x00,
				    0x01, 0x42, 0x03, 0x84, 0x05, 0xa6, 0x07,
				    0x08, 0x09, 0x0a, 0xff };
	uint64_t		 now = 1795593600ull * 1000000u;
	struct trace		*t;
	struct dwerr		 err;
	char			 path[64], *got;

	(void)state;
	temp_path(path, sizeof(path));
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, 0, NULL, &err), 0);
	trace_activity_begin(t, act);
	trace_reconcile_start(t, "retry", prev);
	trace_activity_end(t);
	trace_activity_begin(t, prev);
	trace_reconcile_start(t, "start", NULL);
	trace_free(t);
	got = tu_slurp(path, NULL);
	/* A field of the Start, in schema order; no other member. */
	assert_string_equal(got,
	    "{\"ts\":\"2026-11-25T08:00:00.000000Z\",\"event\":\"ReconcileStart\","
	    "\"activity\":\"11223344-5566-4788-99aa-bbccddeeff00\",\"level\":\"info\","
	    "\"trigger\":\"retry\",\"continues\":\"deadbeef-0001-4203-8405-a60708090aff\"}\n"
	    "{\"ts\":\"2026-11-25T08:00:00.000000Z\",\"event\":\"ReconcileStart\","
	    "\"activity\":\"deadbeef-0001-4203-8405-a60708090aff\",\"level\":\"info\","
	    "\"trigger\":\"start\",\"continues\":\"\"}\n");
	free(got);
	unlink(path);
}

/* One pass as JSON Lines: member `name` of line i, or NULL. */
static const char *
pass_member(cJSON *const *lines, size_t i, const char *name)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(lines[i], name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void
trace_jsonl_pass_start_and_end_share_a_level_whatever_the_result(void **state)
{
	static const char *const results[] = { "noop", "converged",
	    "degraded", "failed" };
	static const char *const severity[] = { "info", "info", "warning",
	    "error" };
	static const uint8_t	 act[16] = { 0x42 };
	struct trace		*t;
	struct dwerr		 err;
	cJSON			*lines[4];
	char			 path[64], *all, *line, *next;
	size_t			 r, n;

	(void)state;
	for (r = 0; r < 4; r++) {
		temp_path(path, sizeof(path));
		t = trace_new(NULL, NULL);
		assert_int_equal(trace_add_jsonl(t, path, 0, NULL, &err), 0);
		trace_activity_begin(t, act);
		trace_reconcile_start(t, "vpn", NULL);
		if (r == 2)
			trace_reconcile_degraded(t, "vpn", "gave_up", "in_sync",
			    1, 9);
		else if (r == 3)
			trace_reconcile_failed(t, "vpn", "rejected", "in_sync",
			    0, 9);
		trace_reconcile_end(t, results[r], 0, 9);
		trace_activity_end(t);
		trace_free(t);

		all = tu_slurp(path, NULL);
		assert_non_null(all);
		n = 0;
		for (line = all; *line != '\0'; line = next) {
			next = strchr(line, '\n');
			*next++ = '\0';
			assert_true(n < 4);
			lines[n] = cJSON_Parse(line);
			assert_non_null(lines[n]);
			n++;
		}
		free(all);
		unlink(path);

		/* Start and End: the same level, and the End says how bad. */
		assert_int_equal(n, r < 2 ? 2 : 3);
		assert_string_equal(pass_member(lines, 0, "event"),
		    "ReconcileStart");
		assert_string_equal(pass_member(lines, n - 1, "event"),
		    "ReconcileEnd");
		assert_string_equal(pass_member(lines, 0, "level"), "info");
		assert_string_equal(pass_member(lines, n - 1, "level"), "info");
		assert_string_equal(pass_member(lines, n - 1, "result"),
		    results[r]);
		assert_string_equal(pass_member(lines, n - 1, "severity"),
		    severity[r]);
		/* A degraded or failed pass says so at its severity, inside
		 * the pass, before the End. */
		if (n == 3) {
			assert_string_equal(pass_member(lines, 1, "event"),
			    r == 2 ? "ReconcileDegraded" : "ReconcileFailed");
			assert_string_equal(pass_member(lines, 1, "level"),
			    severity[r]);
			assert_string_equal(pass_member(lines, 1, "activity"),
			    pass_member(lines, 0, "activity"));
			assert_string_equal(pass_member(lines, 1, "trigger"),
			    "vpn");
		}
		while (n > 0)
			cJSON_Delete(lines[--n]);
	}
}

static void
trace_jsonl_open_failure_names_the_file(void **state)
{
	struct trace	*t = trace_new(NULL, NULL);
	struct dwerr	 err;

	(void)state;
	assert_int_equal(trace_add_jsonl(t, "/nonexistent-dir/x/trace.jsonl",
	    0, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/trace.jsonl"));
	assert_int_not_equal(err.code, 0);
	trace_free(t);
}

static uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A fresh folder and the trace path in it; the test removes both. */
static void
temp_dir(char *dir, size_t dlen, char *path, size_t plen)
{
	snprintf(dir, dlen, "/tmp/dw-trace-XXXXXX");
	tu_mkdtemp(dir);
	snprintf(path, plen, "%s/trace.jsonl", dir);
}

/* Checks that every line of path is one whole JSON object; returns how
 * many there are (0 when the file does not exist). */
static size_t
whole_lines(const char *path)
{
	char	*all = tu_slurp(path, NULL), *line, *next;
	size_t	 n = 0;
	cJSON	*o;

	if (all == NULL)
		return 0;
	assert_true(all[0] == '\0' || all[strlen(all) - 1] == '\n');
	for (line = all; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		o = cJSON_Parse(line);
		if (!cJSON_IsObject(o))
			fail_msg("%s: not a whole JSON object: %s", path, line);
		cJSON_Delete(o);
		n++;
	}
	free(all);
	return n;
}

static void
trace_jsonl_refuses_a_fifo_without_blocking(void **state)
{
	struct trace_jsonl_stats st;
	struct trace_jsonl	*j;
	struct trace		*t;
	struct dwerr		 err;
	char			 dir[64], path[96], c;
	uint64_t		 t0;
	int			 rd;

	(void)state;
	temp_dir(dir, sizeof(dir), path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	t = trace_new(NULL, NULL);

	/* No reader: a blocking open would wait for one forever. */
	t0 = mono_ms();
	assert_int_equal(trace_add_jsonl(t, path, 0, &j, &err), -1);
	assert_true(mono_ms() - t0 < FAST_MS);
	assert_non_null(j);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "a FIFO, not a regular file"));

	/* A reader: the open succeeds, and the file type refuses it. */
	assert_true((rd = open(path, O_RDONLY | O_NONBLOCK)) >= 0);
	assert_int_equal(trace_jsonl_reopen(j, path, 0, &err), -1);
	assert_non_null(strstr(err.msg, "a FIFO, not a regular file"));

	/* The trace goes on without the file, and says what it lost. */
	trace_reconcile_start(t, "once", NULL);
	trace_jsonl_stats(j, &st);
	assert_string_equal(st.path, path);
	assert_false(st.open);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.events, 0);
	assert_non_null(strstr(st.error, "FIFO"));
	assert_int_equal(read(rd, &c, 1), 0);	/* nothing reached it */
	close(rd);
	trace_free(t);
	tu_rmtree(dir);
}

static void
trace_jsonl_refuses_a_character_device(void **state)
{
	struct trace	*t = trace_new(NULL, NULL);
	struct dwerr	 err;

	(void)state;
	assert_int_equal(trace_add_jsonl(t, "/dev/null", 0, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "/dev/null"));
	assert_non_null(strstr(err.msg, "a character device"));
	trace_free(t);
}

static void
trace_jsonl_rotates_to_dot_1_past_max_bytes(void **state)
{
	struct trace_jsonl_stats st;
	struct trace_jsonl	*j;
	struct trace		*t;
	struct dwerr		 err;
	struct stat		 sb;
	char			 dir[64], path[96], old[112], *got;
	uint64_t		 now = 0;
	size_t			 line, i;

	(void)state;
	temp_dir(dir, sizeof(dir), path, sizeof(path));
	snprintf(old, sizeof(old), "%s.1", path);
	t = trace_new(fixed_clock, &now);

	/* The length of one line: every event below is the same size. */
	assert_int_equal(trace_add_jsonl(t, path, 0, &j, &err), 0);
	trace_hosts_unchanged(t, "/etc/hosts");
	trace_jsonl_stats(j, &st);
	line = (size_t)st.bytes;
	assert_int_equal(unlink(path), 0);

	/* Room for three lines and a half: the fourth starts a new file. */
	assert_int_equal(trace_jsonl_reopen(j, path, 3 * line + line / 2,
	    &err), 0);
	for (i = 0; i < 4; i++)
		trace_hosts_unchanged(t, "/etc/hosts");
	assert_int_equal(whole_lines(old), 3);
	assert_int_equal(whole_lines(path), 1);
	trace_jsonl_stats(j, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.bytes, line);

	/* Three more: the file fills again and replaces the older .1. */
	trace_hosts_unchanged(t, "/etc/hosts");
	trace_hosts_unchanged(t, "/etc/hosts");
	trace_hosts_unchanged(t, "/var/other");
	assert_int_equal(whole_lines(old), 3);
	assert_int_equal(whole_lines(path), 1);
	assert_int_equal(stat(old, &sb), 0);
	assert_true((uint64_t)sb.st_size <= 3 * line + line / 2);
	got = tu_slurp(path, NULL);
	assert_non_null(strstr(got, "/var/other"));
	free(got);
	trace_jsonl_stats(j, &st);
	assert_int_equal(st.rotations, 2);
	assert_int_equal(st.events, 8);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(st.dropped, 0);
	trace_free(t);
	tu_rmtree(dir);
}

static void
trace_jsonl_reopen_lets_go_of_a_moved_file(void **state)
{
	struct trace_jsonl	*j;
	struct trace		*t;
	struct dwerr		 err;
	char			 dir[64], path[96], moved[112], *got;
	uint64_t		 now = 0;

	(void)state;
	temp_dir(dir, sizeof(dir), path, sizeof(path));
	snprintf(moved, sizeof(moved), "%s.moved", path);
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, 0, &j, &err), 0);
	trace_hosts_unchanged(t, "/before");
	assert_int_equal(rename(path, moved), 0);
	trace_hosts_unchanged(t, "/still-old");	/* into the moved file */
	assert_int_equal(trace_jsonl_reopen(j, path, 0, &err), 0);
	trace_hosts_unchanged(t, "/after");
	got = tu_slurp(path, NULL);
	assert_non_null(got);
	assert_null(strstr(got, "/before"));
	assert_non_null(strstr(got, "/after"));
	free(got);
	got = tu_slurp(moved, NULL);
	assert_non_null(strstr(got, "/still-old"));
	assert_null(strstr(got, "/after"));
	free(got);
	/* Path NULL: off, nothing counted as lost. */
	assert_int_equal(trace_jsonl_reopen(j, NULL, 0, &err), 0);
	trace_hosts_unchanged(t, "/off");
	{
		struct trace_jsonl_stats st;

		trace_jsonl_stats(j, &st);
		assert_null(st.path);
		assert_int_equal(st.dropped, 0);
		assert_int_equal(st.events, 3);
	}
	trace_free(t);
	tu_rmtree(dir);
}

static void
trace_jsonl_counts_a_failed_write_and_keeps_other_lines_whole(void **state)
{
	struct trace_jsonl_stats st;
	struct trace_jsonl	*j;
	struct trace		*t;
	struct dwerr		 err;
	char			 dir[64], path[96], *got;
	uint64_t		 now = 0;

	(void)state;
	temp_dir(dir, sizeof(dir), path, sizeof(path));
	t = trace_new(fixed_clock, &now);
	assert_int_equal(trace_add_jsonl(t, path, 0, &j, &err), 0);
	trace_hosts_unchanged(t, "/one");

	/* The disk fills in the middle of a line. */
	fault.armed = 1;
	fault.short_bytes = 20;
	fault.calls = 0;
	trace_hosts_unchanged(t, "/two");
	fault.armed = 0;
	trace_jsonl_stats(j, &st);
	assert_int_equal(st.write_errors, 1);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.events, 1);
	assert_true(st.open);
	assert_non_null(strstr(st.error, path));
	assert_non_null(strstr(st.error, strerror(ENOSPC)));

	/* Room again: the cut line is ended, the next one is whole. */
	trace_hosts_unchanged(t, "/three");
	trace_jsonl_stats(j, &st);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.write_errors, 1);
	got = tu_slurp(path, NULL);
	assert_non_null(strstr(got, "\"path\":\"/one\"}\n{\"ts\":"));
	assert_null(strstr(got, "/two"));
	assert_non_null(strstr(got, "\n{\"ts\":\"1970-01-01T00:00:00.000000Z\","
	    "\"event\":\"HostsUnchanged\",\"activity\":"
	    "\"00000000-0000-0000-0000-000000000000\",\"level\":\"info\","
	    "\"path\":\"/three\"}\n"));
	free(got);
	trace_free(t);
	tu_rmtree(dir);
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
		cmocka_unit_test(trace_guid_format_is_lower_case_8_4_4_4_12),
		cmocka_unit_test(trace_jsonl_writes_one_exact_object_per_line),
		cmocka_unit_test(trace_jsonl_escapes_strings_and_replaces_bad_utf8),
		cmocka_unit_test(trace_jsonl_dates_are_utc_calendar_dates),
		cmocka_unit_test(
		    trace_jsonl_pass_start_and_end_share_a_level_whatever_the_result),
		cmocka_unit_test(trace_jsonl_a_retry_names_the_pass_it_continues),
		cmocka_unit_test(trace_jsonl_open_failure_names_the_file),
		cmocka_unit_test(trace_jsonl_refuses_a_fifo_without_blocking),
		cmocka_unit_test(trace_jsonl_refuses_a_character_device),
		cmocka_unit_test(trace_jsonl_rotates_to_dot_1_past_max_bytes),
		cmocka_unit_test(trace_jsonl_reopen_lets_go_of_a_moved_file),
		cmocka_unit_test(
		    trace_jsonl_counts_a_failed_write_and_keeps_other_lines_whole),
		cmocka_unit_test(trace_refuses_a_sink_past_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
