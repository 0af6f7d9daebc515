/*
 * Crash consistency of the Windows hosts writer, under Wine: crashwrite.exe
 * (the real writer, built with crash points) ends itself at each step of a
 * write; then what the next start does (the cleanup, then a real
 * dnswatchdog.exe pass) must leave a complete file: the old content or the
 * new, never a mix, and no temp file or journal behind.
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

#define CRASH_EXIT	99u
#define OLD_LINES	400u	/* a few kilobytes, so a half write shows */

struct fx {
	char	 dir[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	 newfile[MAX_PATH];
	char	 out[MAX_PATH];
	char	 config[MAX_PATH];
	char	*old;
	size_t	 oldlen;
	char	*new;
	size_t	 newlen;
};

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 tmp[MAX_PATH], *p;
	const char	*cfg;
	unsigned	 i;

	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-crash-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	snprintf(fx->newfile, sizeof(fx->newfile), "%s\\new.bin", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s\\out.txt", fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	fx->old = p = malloc(OLD_LINES * 40);
	for (i = 0; i < OLD_LINES; i++)
		p += sprintf(p, "10.1.%u.%u host%u.example\r\n", i / 250, i % 250, i);
	fx->oldlen = (size_t)(p - fx->old);
	/* The new content: a section first, then the old lines, so that
	 * every half of it differs from the old file. */
	fx->new = malloc(fx->oldlen + 200);
	fx->newlen = (size_t)sprintf(fx->new, "# DnsWatchdogSectionStart\r\n"
	    "100.64.0.7 build.coder\r\n# DnsWatchdogSectionEnd\r\n");
	memcpy(fx->new + fx->newlen, fx->old, fx->oldlen + 1);
	fx->newlen += fx->oldlen;
	tu_put(fx->hosts, fx->old, fx->oldlen);
	tu_put(fx->newfile, fx->new, fx->newlen);
	cfg = "{\"desired_state\":\"desired.json\",\"hosts\":{\"path\":\"hosts\"},"
	    "\"nrpt\":{\"enabled\":false}}";
	tu_put(fx->config, cfg, strlen(cfg));
	snprintf(tmp, sizeof(tmp), "%s\\desired.json", fx->dir);
	cfg = "{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\","
	    "\"names\":[\"build.coder\"]}]}";
	tu_put(tmp, cfg, strlen(cfg));
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->dir);
	free(fx->old);
	free(fx->new);
	free(fx);
	return 0;
}

/* Files in the folder that a write leaves behind: ours carry the tag. The
 * lock file is not one: it is made once and stays for good. */
static unsigned
leftovers(struct fx *fx)
{
	WIN32_FIND_DATAA	 fd;
	HANDLE			 h;
	char			 pat[MAX_PATH + 4];
	unsigned		 n = 0;

	snprintf(pat, sizeof(pat), "%s\\.hosts.dnswatchdog-*", fx->dir);
	if ((h = FindFirstFileA(pat, &fd)) != INVALID_HANDLE_VALUE) {
		do
			if (strcmp(fd.cFileName, ".hosts.dnswatchdog-lock") != 0)
				n++;
		while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	return n;
}

static bool
is(const char *got, size_t gotlen, const char *want, size_t wantlen)
{
	return got != NULL && gotlen == wantlen && memcmp(got, want, gotlen) == 0;
}

/* Crashes a write at point; with a scanner holding the file without
 * delete sharing when in_place. Returns the file's state right after. */
static char *
crash_at(struct fx *fx, const char *point, bool in_place, size_t *len)
{
	char	 args[3 * MAX_PATH];
	HANDLE	 scanner = INVALID_HANDLE_VALUE;
	wchar_t	 w[MAX_PATH];
	DWORD	 code;

	if (in_place) {
		MultiByteToWideChar(CP_UTF8, 0, fx->hosts, -1, w, MAX_PATH);
		scanner = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ |
		    FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
		assert_true(scanner != INVALID_HANDLE_VALUE);
	}
	SetEnvironmentVariableA("DW_CRASH_AT", point);
	snprintf(args, sizeof(args), "write \"%s\" \"%s\"", fx->hosts,
	    fx->newfile);
	code = winrun(DW_CRASHWRITE, args, fx->out, NULL);
	SetEnvironmentVariableA("DW_CRASH_AT", NULL);
	if (scanner != INVALID_HANDLE_VALUE)
		CloseHandle(scanner);
	assert_int_equal(code, CRASH_EXIT);
	return tu_slurp(fx->hosts, len);
}

/* The next start: cleanup, then a whole pass of the real binary. */
static void
next_start(struct fx *fx)
{
	char	 args[2 * MAX_PATH], *got;
	size_t	 len;

	snprintf(args, sizeof(args), "cleanup \"%s\"", fx->hosts);
	assert_int_equal(winrun(DW_CRASHWRITE, args, fx->out, NULL), 0);
	assert_int_equal(leftovers(fx), 0);
	got = tu_slurp(fx->hosts, &len);
	if (!is(got, len, fx->old, fx->oldlen) &&
	    !is(got, len, fx->new, fx->newlen))
		fail_msg("after cleanup the file is neither old nor new (%lu bytes)",
		    (unsigned long)len);
	free(got);
	snprintf(args, sizeof(args), "--config \"%s\" once", fx->config);
	assert_int_equal(winrun(DW_BINARY, args, fx->out, NULL), 0);
	got = tu_slurp(fx->hosts, &len);
	assert_true(len > fx->oldlen);
	assert_non_null(strstr(got, fx->old));	/* foreign bytes kept, in order */
	assert_non_null(strstr(got, "100.64.0.7 build.coder\r\n"));
	free(got);
	assert_int_equal(leftovers(fx), 0);
}

static void
crash_after_the_temp_write_leaves_the_old_file(void **state)
{
	struct fx	*fx = *state;
	size_t		 len;
	char		*got = crash_at(fx, "temp-written", false, &len);

	assert_true(is(got, len, fx->old, fx->oldlen));
	assert_int_equal(leftovers(fx), 1);	/* the temp file */
	free(got);
	next_start(fx);
}

static void
crash_after_the_flush_leaves_the_old_file(void **state)
{
	struct fx	*fx = *state;
	size_t		 len;
	char		*got = crash_at(fx, "temp-flushed", false, &len);

	assert_true(is(got, len, fx->old, fx->oldlen));
	assert_int_equal(leftovers(fx), 1);
	free(got);
	next_start(fx);
}

static void
crash_after_the_journal_leaves_the_old_file(void **state)
{
	struct fx	*fx = *state;
	size_t		 len;
	char		*got = crash_at(fx, "journal-written", true, &len);

	assert_true(is(got, len, fx->old, fx->oldlen));
	assert_true(leftovers(fx) >= 1);	/* the journal */
	free(got);
	next_start(fx);
}

static void
crash_mid_in_place_write_is_rolled_forward(void **state)
{
	struct fx	*fx = *state;
	size_t		 len;
	char		*got = crash_at(fx, "in-place-half", true, &len);

	/* Torn on disk: proof the crash came mid-write. */
	assert_false(is(got, len, fx->old, fx->oldlen));
	assert_false(is(got, len, fx->new, fx->newlen));
	free(got);
	next_start(fx);
	print_message("killed mid in-place write; the next start finished it\n");
}

static void
crash_inside_replace_is_repaired_from_the_ready_file(void **state)
{
	struct fx	*fx = *state;
	char		 ready[MAX_PATH + 32];

	/* What a crash (or a failed move) inside ReplaceFileW leaves: the
	 * original gone, the whole new file under its ready name. */
	snprintf(ready, sizeof(ready), "%s\\.hosts.dnswatchdog-ready", fx->dir);
	tu_put(ready, fx->new, fx->newlen);
	assert_true(DeleteFileA(fx->hosts));
	next_start(fx);
	assert_int_equal(GetFileAttributesA(ready), INVALID_FILE_ATTRIBUTES);
}

/* A writer in another process, paused between its read and its replace. */
struct paused {
	struct fx	*fx;
	HANDLE		 thread;
	DWORD		 code;
	char		 out[MAX_PATH];
};

static DWORD WINAPI
paused_main(LPVOID arg)
{
	struct paused	*pw = arg;
	char		 args[3 * MAX_PATH];

	snprintf(args, sizeof(args), "write \"%s\" \"%s\"", pw->fx->hosts,
	    pw->fx->newfile);
	pw->code = winrun(DW_CRASHWRITE, args, pw->out, NULL);
	return 0;
}

static void
writer_in_another_process_keeps_writers_and_cleanup_out(void **state)
{
	struct fx	*fx = *state;
	struct paused	 pw;
	char		 sig[MAX_PATH], tmp[MAX_PATH], args[2 * MAX_PATH];
	char		*got;
	size_t		 len;
	wchar_t		 w[MAX_PATH];
	HANDLE		 h;
	unsigned	 i;

	memset(&pw, 0, sizeof(pw));
	pw.fx = fx;
	snprintf(pw.out, sizeof(pw.out), "%s\\paused.txt", fx->dir);
	snprintf(sig, sizeof(sig), "%s\\paused", fx->dir);
	SetEnvironmentVariableA("DW_PAUSE_AT", "guarded");
	SetEnvironmentVariableA("DW_PAUSE_MS", "3000");
	SetEnvironmentVariableA("DW_PAUSE_SIGNAL", sig);
	pw.thread = CreateThread(NULL, 0, paused_main, &pw, 0, NULL);
	assert_non_null(pw.thread);
	for (i = 0; i < 500 && GetFileAttributesA(sig) ==
	    INVALID_FILE_ATTRIBUTES; i++)
		Sleep(10);
	SetEnvironmentVariableA("DW_PAUSE_AT", NULL);
	SetEnvironmentVariableA("DW_PAUSE_MS", NULL);
	SetEnvironmentVariableA("DW_PAUSE_SIGNAL", NULL);
	assert_true(i < 500);
	/* It holds the lock and the guard. An editor saving is refused: */
	MultiByteToWideChar(CP_UTF8, 0, fx->hosts, -1, w, MAX_PATH);
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
	assert_true(h == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_SHARING_VIOLATION);
	/* a second writer fails transiently, */
	snprintf(args, sizeof(args), "write \"%s\" \"%s\"", fx->hosts,
	    fx->newfile);
	assert_int_equal(winrun(DW_CRASHWRITE, args, fx->out, NULL), 1);
	got = tu_slurp(fx->out, &len);
	assert_non_null(strstr(got, "another dnswatchdog is writing it"));
	free(got);
	/* and a cleanup leaves what looks like its temp file alone. */
	snprintf(tmp, sizeof(tmp), "%s\\.hosts.dnswatchdog-busy01", fx->dir);
	tu_put(tmp, "x", 1);
	snprintf(args, sizeof(args), "cleanup \"%s\"", fx->hosts);
	assert_int_equal(winrun(DW_CRASHWRITE, args, fx->out, NULL), 0);
	got = tu_slurp(fx->out, &len);
	assert_int_equal(atoi(got), 0);
	free(got);
	assert_true(GetFileAttributesA(tmp) != INVALID_FILE_ATTRIBUTES);
	got = tu_slurp(fx->hosts, &len);
	assert_true(is(got, len, fx->old, fx->oldlen));
	free(got);
	assert_int_equal(WaitForSingleObject(pw.thread, 20000), WAIT_OBJECT_0);
	CloseHandle(pw.thread);
	assert_int_equal(pw.code, 0);
	got = tu_slurp(fx->hosts, &len);
	assert_true(is(got, len, fx->new, fx->newlen));
	free(got);
	/* Its writer gone, the leftover goes. */
	assert_int_equal(winrun(DW_CRASHWRITE, args, fx->out, NULL), 0);
	assert_int_equal(leftovers(fx), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(crash_after_the_temp_write_leaves_the_old_file),
		T(crash_after_the_flush_leaves_the_old_file),
		T(crash_after_the_journal_leaves_the_old_file),
		T(crash_mid_in_place_write_is_rolled_forward),
		T(crash_inside_replace_is_repaired_from_the_ready_file),
		T(writer_in_another_process_keeps_writers_and_cleanup_out),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
