/*
 * Tests for os/hostsfile_win.c, run under Wine on real files in a
 * fresh folder under the temp folder (its name has a non-ASCII letter, so
 * every path goes through the UTF-8 conversion). Another program holding
 * the hosts file is played by a second handle, from a helper thread where
 * timing matters: share modes apply per handle, so the writer cannot tell
 * the difference. The retry tests drive the real hostsjob loop, sleeping
 * between attempts as the one-shot pass does.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostsfile.h"
#include "hostsjob.h"
#include "journal.h"
#include "platform.h"
#include "winutf.h"

#define PATH_BYTES	1024u
#define EVENTS_MAX	64u
#define HOLD_MS		2000u	/* how long the retry test's holder keeps the file */
#define DEADLINE_MS	500u	/* the give-up test's deadline */
#define HOSTS_BYTES	(1u << 20)	/* most a test reads */

#define OLD	"127.0.0.1 localhost\r\n# CoderHostsSectionStart\r\n" \
		"10.0.0.1 old.coder\r\n# CoderHostsSectionEnd\r\n"
#define NEW	"127.0.0.1 localhost\r\n# CoderHostsSectionStart\r\n" \
		"10.0.0.2 main.workspace.coder\r\n" \
		"10.0.0.3 dev.workspace.coder\r\n# CoderHostsSectionEnd\r\n"
#define SHORT	"127.0.0.1 localhost\r\n"
#define LEN(s)	(sizeof(s) - 1)

#define JOURNAL	".hosts" HOSTSFILE_TEMP_TAG "journal"
#define STALE	".hosts" HOSTSFILE_TEMP_TAG "journal-stale"
#define LOCK	".hosts" HOSTSFILE_TEMP_TAG "lock"

/* A trace sink recording what the tests look at. */
struct events {
	unsigned n;
	char	 name[EVENTS_MAX][32];
	uint32_t attempt[EVENTS_MAX];	/* attempt, or attempts */
	uint32_t delay[EVENTS_MAX];
	uint32_t code[EVENTS_MAX];
	char	 code_name[EVENTS_MAX][40];
	bool	 transient[EVENTS_MAX];
	uint64_t elapsed[EVENTS_MAX];
	char	 method[EVENTS_MAX][32];
};

struct fx {
	char		 dir[PATH_BYTES];	/* UTF-8, no trailing separator */
	char		 path[PATH_BYTES];	/* dir\hosts */
	struct events	 events;
	struct trace	*trace;
};

/* Another program holding the file, on its own thread. */
struct holder {
	wchar_t		*path;
	DWORD		 share;
	DWORD		 hold_ms;	/* INFINITE: until released */
	HANDLE		 opened;	/* event: the handle is open (or failed) */
	HANDLE		 release;	/* event: close it now */
	HANDLE		 thread;
	HANDLE		 file;
	uint64_t	 released_ms;	/* platform_mono_ms() right after closing */
};

static void
events_emit(void *ctx, const struct trace_record *rec)
{
	struct events	*e = ctx;
	size_t		 i;

	assert_true(e->n < EVENTS_MAX);
	snprintf(e->name[e->n], sizeof(e->name[0]), "%s", rec->name);
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		if (strcmp(f->name, "attempt") == 0 ||
		    strcmp(f->name, "attempts") == 0)
			e->attempt[e->n] = f->v.u32;
		else if (strcmp(f->name, "next_delay_ms") == 0)
			e->delay[e->n] = f->v.u32;
		else if (strcmp(f->name, "error_code") == 0)
			e->code[e->n] = f->v.u32;
		else if (strcmp(f->name, "error_name") == 0)
			snprintf(e->code_name[e->n], sizeof(e->code_name[0]),
			    "%s", f->v.str);
		else if (strcmp(f->name, "transient") == 0)
			e->transient[e->n] = f->v.b;
		else if (strcmp(f->name, "elapsed_ms") == 0)
			e->elapsed[e->n] = f->v.u64;
		else if (strcmp(f->name, "method") == 0)
			snprintf(e->method[e->n], sizeof(e->method[0]), "%s",
			    f->v.str);
	}
	e->n++;
}

static const struct trace_sink_ops events_ops = { events_emit, NULL };

static wchar_t *
wide(const char *s)
{
	wchar_t	*w = winutf_wide(s);

	assert_non_null(w);
	return w;
}

/* dir\name into out. */
static void
in_dir(const struct fx *fx, const char *name, char *out, size_t outlen)
{
	assert_true(snprintf(out, outlen, "%s\\%s", fx->dir, name) <
	    (int)outlen);
}

/* Writes len bytes to path, replacing it and clearing its attributes. */
static void
put(const char *path, const char *s, size_t len)
{
	wchar_t	*w = wide(path);
	HANDLE	 h;
	DWORD	 n;

	SetFileAttributesW(w, FILE_ATTRIBUTE_NORMAL);
	h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(WriteFile(h, s, (DWORD)len, &n, NULL));
	assert_int_equal(n, len);
	CloseHandle(h);
}

/* Asserts that path holds exactly the wantlen bytes of want (read with
 * full sharing, so it works while a holder shares reading). */
static void
assert_bytes(const char *path, const char *want, size_t wantlen)
{
	wchar_t	*w = wide(path);
	char	 buf[4096];
	HANDLE	 h;
	DWORD	 n;

	h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(ReadFile(h, buf, sizeof(buf), &n, NULL));
	CloseHandle(h);
	assert_int_equal(n, wantlen);
	assert_memory_equal(buf, want, wantlen);
}

static bool
exists(const char *path)
{
	wchar_t	*w = wide(path);
	DWORD	 a = GetFileAttributesW(w);

	free(w);
	return a != INVALID_FILE_ATTRIBUTES;
}

static DWORD
attributes(const char *path)
{
	wchar_t	*w = wide(path);
	DWORD	 a = GetFileAttributesW(w);

	free(w);
	assert_true(a != INVALID_FILE_ATTRIBUTES);
	return a;
}

/* The last-write time stamp of path. */
static uint64_t
last_write(const char *path)
{
	WIN32_FILE_ATTRIBUTE_DATA fa;
	wchar_t		*w = wide(path);

	assert_true(GetFileAttributesExW(w, GetFileExInfoStandard, &fa));
	free(w);
	return (uint64_t)fa.ftLastWriteTime.dwHighDateTime << 32 |
	    fa.ftLastWriteTime.dwLowDateTime;
}

static void
set_attributes(const char *path, DWORD a)
{
	wchar_t	*w = wide(path);

	assert_true(SetFileAttributesW(w, a));
	free(w);
}

/* Number of entries in dir besides "." and "..". Every write and cleanup
 * leaves the lock file (".hosts.dnswatchdog-lock", there for good), so a
 * folder holding only the hosts file counts 2. Wine's ReplaceFileW makes an
 * "rf<hex>.tmp" beside the file when no backup name is given, and leaves it
 * when moving the original aside fails; the writer gives one, so none
 * appears, and any would be counted. */
static int
entries(const char *dir)
{
	WIN32_FIND_DATAW fd;
	char		 pat[PATH_BYTES];
	wchar_t		*w;
	HANDLE		 find;
	int		 n = 0;

	snprintf(pat, sizeof(pat), "%s\\*", dir);
	w = wide(pat);
	find = FindFirstFileW(w, &fd);
	free(w);
	if (find == INVALID_HANDLE_VALUE)
		return 0;
	do {
		if (wcscmp(fd.cFileName, L".") != 0 &&
		    wcscmp(fd.cFileName, L"..") != 0)
			n++;
	} while (FindNextFileW(find, &fd));
	FindClose(find);
	return n;
}

/* Opens path for reading with the given sharing, as another program. */
static HANDLE
hold(const char *path, DWORD share)
{
	wchar_t	*w = wide(path);
	HANDLE	 h;

	h = CreateFileW(w, GENERIC_READ, share, NULL, OPEN_EXISTING,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	return h;
}

static DWORD WINAPI
holder_main(LPVOID arg)
{
	struct holder	*ho = arg;

	ho->file = CreateFileW(ho->path, GENERIC_READ, ho->share, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	SetEvent(ho->opened);
	if (ho->file == INVALID_HANDLE_VALUE)
		return 1;
	WaitForSingleObject(ho->release, ho->hold_ms);
	CloseHandle(ho->file);
	ho->released_ms = platform_mono_ms();
	return 0;
}

/* Starts a thread that holds path with share for hold_ms. */
static void
holder_start(struct holder *ho, const char *path, DWORD share, DWORD hold_ms)
{
	memset(ho, 0, sizeof(*ho));
	ho->path = wide(path);
	ho->share = share;
	ho->hold_ms = hold_ms;
	ho->opened = CreateEventW(NULL, TRUE, FALSE, NULL);
	ho->release = CreateEventW(NULL, TRUE, FALSE, NULL);
	assert_non_null(ho->opened);
	assert_non_null(ho->release);
	ho->thread = CreateThread(NULL, 0, holder_main, ho, 0, NULL);
	assert_non_null(ho->thread);
	assert_int_equal(WaitForSingleObject(ho->opened, 5000), WAIT_OBJECT_0);
	assert_true(ho->file != INVALID_HANDLE_VALUE);
}

/* Releases the file (if still held) and waits for the thread. */
static void
holder_stop(struct holder *ho)
{
	SetEvent(ho->release);
	assert_int_equal(WaitForSingleObject(ho->thread, 10000), WAIT_OBJECT_0);
	CloseHandle(ho->thread);
	CloseHandle(ho->opened);
	CloseHandle(ho->release);
	free(ho->path);
}

/* Writes the journal of a rewrite of old into new, keeping only its first
 * keep bytes (a crash while writing it). */
static void
put_journal(const char *path, const char *old, size_t oldlen,
    const char *new, size_t newlen, size_t keep)
{
	char	*j;
	size_t	 jlen;

	assert_int_equal(journal_encode(old, oldlen, new, newlen, &j, &jlen), 0);
	put(path, j, keep < jlen ? keep : jlen);
	free(j);
}

/* Flips the lowest bit of the byte at off in path. */
static void
flip_byte(const char *path, size_t off)
{
	wchar_t		*w = wide(path);
	LARGE_INTEGER	 at;
	HANDLE		 h;
	char		 c;
	DWORD		 n;

	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	at.QuadPart = (LONGLONG)off;
	assert_true(SetFilePointerEx(h, at, NULL, FILE_BEGIN));
	assert_true(ReadFile(h, &c, 1, &n, NULL) && n == 1);
	c ^= 1;
	assert_true(SetFilePointerEx(h, at, NULL, FILE_BEGIN));
	assert_true(WriteFile(h, &c, 1, &n, NULL) && n == 1);
	CloseHandle(h);
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	wchar_t		 tmp[MAX_PATH + 1], *w;
	unsigned char	 r[4];
	char		*t;
	unsigned	 i;

	assert_non_null(fx);
	assert_true(GetTempPathW(MAX_PATH + 1, tmp) > 0);
	assert_non_null(t = winutf_narrow(tmp));
	for (i = 0; i < 16; i++) {
		platform_random(r, sizeof(r));
		/* GetTempPathW ends in a separator. */
		snprintf(fx->dir, sizeof(fx->dir),
		    "%sdw-hostsfile-\xc3\xa9-%02x%02x%02x%02x", t, r[0], r[1],
		    r[2], r[3]);
		w = wide(fx->dir);
		if (CreateDirectoryW(w, NULL)) {
			free(w);
			break;
		}
		free(w);
	}
	assert_true(i < 16);
	free(t);
	snprintf(fx->path, sizeof(fx->path), "%s\\hosts", fx->dir);
	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	assert_int_equal(trace_add_sink(fx->trace, &events_ops, &fx->events), 0);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	WIN32_FIND_DATAW fd;
	char		 pat[PATH_BYTES];
	wchar_t		*w, *dir, full[MAX_PATH * 2];
	HANDLE		 find;

	snprintf(pat, sizeof(pat), "%s\\*", fx->dir);
	w = wide(pat);
	dir = wide(fx->dir);
	find = FindFirstFileW(w, &fd);
	while (find != INVALID_HANDLE_VALUE) {
		if (wcscmp(fd.cFileName, L".") != 0 &&
		    wcscmp(fd.cFileName, L"..") != 0) {
			_snwprintf(full, MAX_PATH * 2, L"%ls\\%ls", dir,
			    fd.cFileName);
			SetFileAttributesW(full, FILE_ATTRIBUTE_NORMAL);
			if (!DeleteFileW(full))
				RemoveDirectoryW(full);
		}
		if (!FindNextFileW(find, &fd)) {
			FindClose(find);
			break;
		}
	}
	RemoveDirectoryW(dir);
	free(w);
	free(dir);
	trace_free(fx->trace);
	free(fx);
	return 0;
}

/* Share modes as the writer relies on them (Windows semantics; checked
 * here so a Wine that differs fails loudly rather than confusingly). */
static void
share_modes_behave_as_the_writer_expects(void **state)
{
	struct fx	*fx = *state;
	char		 tmp[PATH_BYTES];
	wchar_t		*wt, *wp;
	HANDLE		 h, w;

	in_dir(fx, "replacement", tmp, sizeof(tmp));
	wt = wide(tmp);
	wp = wide(fx->path);
	put(fx->path, OLD, LEN(OLD));
	put(tmp, NEW, LEN(NEW));

	h = hold(fx->path, 0);
	assert_false(ReplaceFileW(wp, wt, NULL,
	    REPLACEFILE_IGNORE_MERGE_ERRORS, NULL, NULL));
	assert_int_equal(GetLastError(), ERROR_SHARING_VIOLATION);
	assert_false(MoveFileExW(wt, wp, MOVEFILE_REPLACE_EXISTING));
	assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
	w = CreateFileW(wp, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(w == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_SHARING_VIOLATION);
	CloseHandle(h);

	h = hold(fx->path, FILE_SHARE_READ | FILE_SHARE_WRITE);
	assert_false(ReplaceFileW(wp, wt, NULL,
	    REPLACEFILE_IGNORE_MERGE_ERRORS, NULL, NULL));
	assert_int_equal(GetLastError(), ERROR_SHARING_VIOLATION);
	assert_false(MoveFileExW(wt, wp, MOVEFILE_REPLACE_EXISTING));
	assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
	w = CreateFileW(wp, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(w != INVALID_HANDLE_VALUE);
	CloseHandle(w);
	CloseHandle(h);

	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_bytes(tmp, NEW, LEN(NEW));
	free(wt);
	free(wp);
}

static void
hostsfile_replace_writes_exact_bytes_and_leaves_no_temp_file(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, OLD, LEN(OLD));
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
	/* The temp file's dot name does not make the result hidden. */
	assert_false(attributes(fx->path) & FILE_ATTRIBUTE_HIDDEN);
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT), &res,
	    &err), 0);
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, SHORT, LEN(SHORT));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_replace_keeps_hidden_and_archive_attributes(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	DWORD		 kept = FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_ARCHIVE;

	put(fx->path, OLD, LEN(OLD));
	set_attributes(fx->path, kept);
	assert_int_equal(attributes(fx->path) & kept, kept);
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "replace");
	assert_int_equal(attributes(fx->path) & kept, kept);
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_creates_a_missing_file_that_read_saw_as_empty(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		*buf;
	size_t		 len = 99;
	bool		 there = true;

	assert_int_equal(hostsfile_read(fx->path, 1 << 20, &buf, &len, &there,
	    &err), 0);
	assert_false(there);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "create");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
	assert_int_equal(hostsfile_read(fx->path, 1 << 20, &buf, &len, &there,
	    &err), 0);
	assert_true(there);
	assert_int_equal(len, LEN(NEW));
	assert_memory_equal(buf, NEW, LEN(NEW));
	free(buf);
}

static void
hostsfile_accepts_forward_slashes(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 slashed[PATH_BYTES], tmp[PATH_BYTES], *c;

	put(fx->path, OLD, LEN(OLD));
	snprintf(slashed, sizeof(slashed), "%s", fx->path);
	for (c = slashed; *c != '\0'; c++)
		if (*c == '\\')
			*c = '/';
	assert_int_equal(hostsfile_write(slashed, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
	in_dir(fx, ".hosts" HOSTSFILE_TEMP_TAG "a1b2c3", tmp, sizeof(tmp));
	put(tmp, "x", 1);
	assert_int_equal(hostsfile_cleanup(slashed), 1);
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_missing_folder_is_a_permanent_error(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 path[PATH_BYTES];

	in_dir(fx, "nope\\hosts", path, sizeof(path));
	assert_int_equal(hostsfile_write(path, NULL, NEW, LEN(NEW), &res, &err), -1);
	assert_int_equal(err.code, ERROR_PATH_NOT_FOUND);
	assert_false(res.transient);
	assert_string_equal(hostsfile_error_name(err.code),
	    "ERROR_PATH_NOT_FOUND");
	assert_int_equal(strncmp(err.msg, "cannot read the attributes of ", 30),
	    0);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "(error 3)"));
	assert_int_equal(entries(fx->dir), 0);
}

static void
hostsfile_share_mode_0_holder_fails_transiently_keeping_the_original(
    void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 want[PATH_BYTES];
	HANDLE		 h;

	put(fx->path, OLD, LEN(OLD));
	h = hold(fx->path, 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), -1);
	assert_int_equal(err.code, ERROR_SHARING_VIOLATION);
	assert_true(res.transient);
	assert_string_equal(hostsfile_error_name(err.code),
	    "ERROR_SHARING_VIOLATION");
	snprintf(want, sizeof(want), "cannot read %s (held open by another "
	    "process): ", fx->path);
	assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
	assert_non_null(strstr(err.msg, "(error 32)"));
	assert_int_equal(entries(fx->dir), 2);	/* the temp file is gone */
	CloseHandle(h);
	assert_bytes(fx->path, OLD, LEN(OLD));
}

static void
hostsfile_holder_without_delete_sharing_gets_an_in_place_rewrite(
    void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	LARGE_INTEGER	 zero;
	char		 seen[256];
	HANDLE		 h;
	DWORD		 n;

	put(fx->path, OLD, LEN(OLD));
	h = hold(fx->path, FILE_SHARE_READ | FILE_SHARE_WRITE);
	/* Shrinking, then growing, while the scanner keeps its handle. */
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT), &res,
	    &err), 0);
	assert_string_equal(res.method, "in-place-journaled");
	assert_bytes(fx->path, SHORT, LEN(SHORT));
	assert_int_equal(entries(fx->dir), 2);	/* no temp, no journal */
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "in-place-journaled");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
	/* Same file: the holder's handle reads the new bytes. */
	zero.QuadPart = 0;
	assert_true(SetFilePointerEx(h, zero, NULL, FILE_BEGIN));
	assert_true(ReadFile(h, seen, sizeof(seen), &n, NULL));
	assert_int_equal(n, LEN(NEW));
	assert_memory_equal(seen, NEW, LEN(NEW));
	CloseHandle(h);
	assert_bytes(fx->path, NEW, LEN(NEW));
}

static void
hostsfile_mapped_view_refusing_to_shrink_keeps_the_original(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	HANDLE		 h, map;
	void		*view;
	uint64_t	 written;

	put(fx->path, OLD, LEN(OLD));
	written = last_write(fx->path);
	h = hold(fx->path, FILE_SHARE_READ | FILE_SHARE_WRITE);
	assert_non_null(map = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0,
	    NULL));
	assert_non_null(view = MapViewOfFile(map, FILE_MAP_READ, 0, 0, 0));
	Sleep(20);	/* so that a write would show in the time stamp */
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT), &res,
	    &err), -1);
	assert_int_equal(err.code, ERROR_USER_MAPPED_FILE);
	assert_true(res.transient);
	assert_int_equal(strncmp(err.msg, "cannot rewrite in place ", 24), 0);
	assert_bytes(fx->path, OLD, LEN(OLD));
	/* Refused before a byte was written, not written and put back. */
	assert_int_equal(last_write(fx->path), written);
	assert_int_equal(entries(fx->dir), 2);	/* no temp, no journal */
	/* Growing is allowed under a view. */
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), 0);
	assert_string_equal(res.method, "in-place-journaled");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
	UnmapViewOfFile(view);
	CloseHandle(map);
	CloseHandle(h);
}

static void
hostsfile_read_only_attribute_is_a_permanent_error(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 want[PATH_BYTES];

	put(fx->path, OLD, LEN(OLD));
	set_attributes(fx->path, FILE_ATTRIBUTE_READONLY);
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res, &err), -1);
	assert_int_equal(err.code, ERROR_ACCESS_DENIED);
	assert_false(res.transient);
	snprintf(want, sizeof(want), "cannot replace %s (read-only attribute): ",
	    fx->path);
	assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
	assert_non_null(strstr(err.msg, "(error 5)"));
	assert_true(attributes(fx->path) & FILE_ATTRIBUTE_READONLY);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_cleanup_removes_only_our_temp_files(void **state)
{
	struct fx	*fx = *state;
	static const char *const keep[] = {
		".hosts" HOSTSFILE_TEMP_TAG "abc12",	/* five characters */
		".hosts" HOSTSFILE_TEMP_TAG "abc1234",	/* seven */
		".other" HOSTSFILE_TEMP_TAG "abc123",	/* another file's */
		"hosts.bak",
		"hosts",
	};
	char		 p[PATH_BYTES];
	size_t		 i;

	in_dir(fx, ".hosts" HOSTSFILE_TEMP_TAG "abc123", p, sizeof(p));
	put(p, "a", 1);
	in_dir(fx, ".hosts" HOSTSFILE_TEMP_TAG "Q9z0x1", p, sizeof(p));
	put(p, "b", 1);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		in_dir(fx, keep[i], p, sizeof(p));
		put(p, "k", 1);
	}
	assert_int_equal(hostsfile_cleanup(fx->path), 2);
	/* What it kept, and the lock file. */
	assert_int_equal(entries(fx->dir), (int)(sizeof(keep) / sizeof(keep[0])) + 1);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		in_dir(fx, keep[i], p, sizeof(p));
		assert_true(exists(p));
	}
	assert_int_equal(hostsfile_cleanup(fx->path), 0);
}

static void
hostsfile_cleanup_rolls_a_complete_journal_forward(void **state)
{
	struct fx	*fx = *state;
	static const char cut[] = "10.9.9.9 x.coder\r\n";
	char		 j[PATH_BYTES], partial[LEN(OLD)];
	size_t		 k = 60;	/* OLD and NEW differ from byte 55 */

	/* A crash in mid-write: the first k new bytes over the old ones. */
	memcpy(partial, OLD, LEN(OLD));
	memcpy(partial, NEW, k);
	assert_memory_not_equal(partial, OLD, LEN(OLD));
	put(fx->path, partial, LEN(OLD));
	in_dir(fx, JOURNAL, j, sizeof(j));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), SIZE_MAX);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_false(exists(j));
	assert_int_equal(entries(fx->dir), 2);
	/* A shrinking write cuts the file first: old bytes at the new length. */
	put(fx->path, OLD, LEN(cut));
	put_journal(j, OLD, LEN(OLD), cut, LEN(cut), SIZE_MAX);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, cut, LEN(cut));
	assert_false(exists(j));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_cleanup_discards_a_truncated_journal_leaving_the_file(void **state)
{
	struct fx	*fx = *state;
	char		 j[PATH_BYTES];

	put(fx->path, OLD, LEN(OLD));
	in_dir(fx, JOURNAL, j, sizeof(j));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW),
	    JOURNAL_HEADER_BYTES + LEN(OLD) + 7);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_false(exists(j));
	/* Cut inside the header, too. */
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), 12);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_false(exists(j));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_cleanup_discards_a_journal_with_a_bad_checksum(void **state)
{
	struct fx	*fx = *state;
	char		 j[PATH_BYTES];

	put(fx->path, OLD, LEN(OLD));
	in_dir(fx, JOURNAL, j, sizeof(j));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), SIZE_MAX);
	flip_byte(j, JOURNAL_HEADER_BYTES + LEN(OLD) + 60);	/* inside the new content */
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_false(exists(j));
}

static void
hostsfile_cleanup_sets_aside_a_journal_over_a_file_changed_since(void **state)
{
	struct fx	*fx = *state;
	static const char mine[] = "# edited by hand after the crash\r\n";
	char		 j[PATH_BYTES];

	char		 stale[PATH_BYTES], *jb;
	size_t		 jlen;

	put(fx->path, mine, LEN(mine));
	in_dir(fx, JOURNAL, j, sizeof(j));
	in_dir(fx, STALE, stale, sizeof(stale));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), SIZE_MAX);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_bytes(fx->path, mine, LEN(mine));
	assert_false(exists(j));
	/* Not replayed, not lost: set aside, whole, for a person to look at. */
	assert_int_equal(journal_encode(OLD, LEN(OLD), NEW, LEN(NEW), &jb,
	    &jlen), 0);
	assert_bytes(stale, jb, jlen);
	free(jb);
	assert_int_equal(hostsfile_journal_pending(fx->path), 0);
	/* Later cleanups leave it be. */
	assert_int_equal(hostsfile_cleanup(fx->path), 0);
	assert_true(exists(stale));
}

static void
hostsfile_write_finishes_a_pending_journal_before_writing(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 j[PATH_BYTES], want[PATH_BYTES], partial[LEN(OLD)];
	HANDLE		 h;

	memcpy(partial, OLD, LEN(OLD));
	memcpy(partial, NEW, 60);
	put(fx->path, partial, LEN(OLD));
	in_dir(fx, JOURNAL, j, sizeof(j));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), SIZE_MAX);
	/* While the journal cannot be finished, nothing else is written. */
	h = hold(fx->path, 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT), &res,
	    &err), -1);
	assert_int_equal(err.code, ERROR_SHARING_VIOLATION);
	assert_true(res.transient);
	snprintf(want, sizeof(want), "cannot finish the interrupted write of "
	    "%s: ", fx->path);
	assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
	assert_true(exists(j));
	assert_int_equal(entries(fx->dir), 3);
	CloseHandle(h);
	assert_bytes(fx->path, partial, LEN(OLD));
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT), &res,
	    &err), 0);
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, SHORT, LEN(SHORT));
	assert_false(exists(j));
	assert_int_equal(entries(fx->dir), 2);
}

/*
 * The writer's seam (DW_HOSTSFILE_HOOKS): code run at named points of a
 * write, as another program would run between its steps.
 */
extern DWORD	(*hostsfile_hook)(const char *, const wchar_t *,
		    const wchar_t *, const wchar_t *);

struct hook {
	const char	*point;		/* where to act */
	unsigned	 calls;		/* at point so far */
	DWORD		 result[8];	/* what the nth call returns */
	DWORD		 writer;	/* error of a writer's open at "guarded" */
	DWORD		 reader;	/* error of a reader's open there */
	HANDLE		 scanner;	/* a handle on the new copy */
	unsigned	 release_at;	/* the call that closes scanner */
	bool		 move_aside;	/* play 1177 (with result): the original
					 * went to the backup name */
	bool		 remove_new;	/* the new copy vanishes */
	const char	*append;	/* written to the end of the target */
};

static struct hook	 hk;

/* Opens name with access and share as another program: 0 or its error. */
static DWORD
try_open(const wchar_t *name, DWORD access, DWORD share)
{
	HANDLE	 h = CreateFileW(name, access, share, NULL, OPEN_EXISTING,
		    FILE_ATTRIBUTE_NORMAL, NULL);

	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	CloseHandle(h);
	return 0;
}

static DWORD
hook_run(const char *point, const wchar_t *target, const wchar_t *file,
    const wchar_t *backup)
{
	HANDLE	 h;
	DWORD	 n, r;

	if (strcmp(point, hk.point) != 0)
		return 0;
	r = hk.calls < 8 ? hk.result[hk.calls] : hk.result[7];
	hk.calls++;
	if (strcmp(point, "guarded") == 0) {
		/* Notepad saving, an agent appending: both share everything. */
		hk.writer = try_open(target, GENERIC_READ | GENERIC_WRITE,
		    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
		if (hk.writer == 0)
			hk.writer = try_open(target, FILE_APPEND_DATA,
			    FILE_SHARE_READ | FILE_SHARE_WRITE |
			    FILE_SHARE_DELETE);
		hk.reader = try_open(target, GENERIC_READ, FILE_SHARE_READ |
		    FILE_SHARE_WRITE | FILE_SHARE_DELETE);
	}
	if (hk.append != NULL) {
		h = CreateFileW(target, FILE_APPEND_DATA, FILE_SHARE_READ |
		    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
		    FILE_ATTRIBUTE_NORMAL, NULL);
		assert_true(h != INVALID_HANDLE_VALUE);
		assert_true(WriteFile(h, hk.append, (DWORD)strlen(hk.append),
		    &n, NULL));
		CloseHandle(h);
	}
	if (file != NULL && hk.scanner == NULL && hk.release_at > 0) {
		/* A scanner looking at the fresh file, as they do. */
		hk.scanner = CreateFileW(file, GENERIC_READ, FILE_SHARE_READ |
		    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
		    FILE_ATTRIBUTE_NORMAL, NULL);
		assert_true(hk.scanner != INVALID_HANDLE_VALUE);
	} else if (hk.scanner != NULL && hk.calls == hk.release_at) {
		CloseHandle(hk.scanner);
		hk.scanner = INVALID_HANDLE_VALUE;
	}
	if (hk.move_aside && r != 0)
		assert_true(MoveFileExW(target, backup, 0));
	if (hk.remove_new)
		assert_true(DeleteFileW(file));
	return r;
}

static void
hook_set(const char *point)
{
	memset(&hk, 0, sizeof(hk));
	hk.point = point;
	hostsfile_hook = hook_run;
}

static void
hook_clear(void)
{
	if (hk.scanner != NULL && hk.scanner != INVALID_HANDLE_VALUE)
		CloseHandle(hk.scanner);
	hostsfile_hook = NULL;
}

static void
hostsfile_guard_keeps_writers_out_from_the_read_to_the_replace(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct hostsfile_expect	 ex = { OLD, LEN(OLD), true };
	struct dwerr	 err;

	put(fx->path, OLD, LEN(OLD));
	hook_set("guarded");
	assert_int_equal(hostsfile_write(fx->path, &ex, NEW, LEN(NEW), &res,
	    &err), 0);
	hook_clear();
	assert_int_equal(hk.calls, 1);
	/* Between the read and the replace: writers retry, readers read. */
	assert_int_equal(hk.writer, ERROR_SHARING_VIOLATION);
	assert_int_equal(hk.reader, 0);
	/* ReplaceFileW works with the guard open. */
	assert_string_equal(res.method, "replace");
	assert_string_equal(res.guard, "share-deny");
	assert_null(res.carry);
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_guard_is_refused_while_a_writer_has_the_file_open(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	wchar_t		*w = wide(fx->path);
	HANDLE		 h;

	put(fx->path, OLD, LEN(OLD));
	/* An editor in the middle of saving, sharing everything. */
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	assert_int_equal(err.code, ERROR_SHARING_VIOLATION);
	assert_true(res.transient);
	CloseHandle(h);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_conditional_write_over_changed_content_leaves_it(void **state)
{
	struct fx	*fx = *state;
	static const char mine[] = "127.0.0.1 localhost\r\n10.1.1.1 mine\r\n";
	struct hostsfile_result	 res;
	struct hostsfile_expect	 ex = { OLD, LEN(OLD), true };
	struct hostsfile_expect	 none = { NULL, 0, false };
	struct dwerr	 err;
	uint64_t	 written;
	wchar_t		*w;

	put(fx->path, mine, LEN(mine));
	written = last_write(fx->path);
	Sleep(20);	/* so that a write would show in the time stamp */
	assert_int_equal(hostsfile_write(fx->path, &ex, NEW, LEN(NEW), &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_string_equal(hostsfile_error_name(err.code), "CHANGED");
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "changed since it was read"));
	assert_bytes(fx->path, mine, LEN(mine));
	assert_int_equal(last_write(fx->path), written);
	assert_int_equal(entries(fx->dir), 2);	/* no temp file */
	/* Computed from a missing file, but there is one now. */
	assert_int_equal(hostsfile_write(fx->path, &none, NEW, LEN(NEW), &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_bytes(fx->path, mine, LEN(mine));
	/* Computed from a file that is gone now. */
	w = wide(fx->path);
	assert_true(DeleteFileW(w));
	free(w);
	assert_int_equal(hostsfile_write(fx->path, &ex, NEW, LEN(NEW), &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_false(exists(fx->path));
	assert_int_equal(entries(fx->dir), 1);	/* the lock file */
	/* From what is there: goes ahead. */
	assert_int_equal(hostsfile_write(fx->path, &none, NEW, LEN(NEW), &res,
	    &err), 0);
	assert_string_equal(res.method, "create");
	assert_bytes(fx->path, NEW, LEN(NEW));
}

/* Takes the writer's lock on fx's hosts file the way another dnswatchdog
 * does (locks belong to a handle: another process looks the same). */
static HANDLE
lock_take(struct fx *fx)
{
	OVERLAPPED	 ov;
	char		 p[PATH_BYTES];
	wchar_t		*w;
	HANDLE		 h;

	in_dir(fx, LOCK, p, sizeof(p));
	w = wide(p);
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	assert_true(h != INVALID_HANDLE_VALUE);
	memset(&ov, 0, sizeof(ov));
	assert_true(LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK |
	    LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov));
	return h;
}

static void
hostsfile_held_lock_fails_transiently_leaving_the_writers_files(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 tmp[PATH_BYTES], j[PATH_BYTES];
	HANDLE		 lock;

	put(fx->path, OLD, LEN(OLD));
	/* The other writer's temp file, and its journal. */
	in_dir(fx, ".hosts" HOSTSFILE_TEMP_TAG "w0rk3r", tmp, sizeof(tmp));
	put(tmp, NEW, LEN(NEW));
	in_dir(fx, JOURNAL, j, sizeof(j));
	put_journal(j, OLD, LEN(OLD), NEW, LEN(NEW), 40);
	lock = lock_take(fx);
	assert_int_equal(hostsfile_write(fx->path, NULL, SHORT, LEN(SHORT),
	    &res, &err), -1);
	assert_int_equal(err.code, ERROR_LOCK_VIOLATION);
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "(another dnswatchdog is writing it)"));
	/* Cleanup under a busy lock touches nothing. */
	assert_int_equal(hostsfile_cleanup(fx->path), 0);
	assert_true(exists(tmp));
	assert_true(exists(j));
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 4);
	CloseHandle(lock);
	/* Its writer gone, they are leftovers. */
	assert_int_equal(hostsfile_cleanup(fx->path), 2);
	assert_false(exists(tmp));
	assert_false(exists(j));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_held_new_copy_is_retried_not_rewritten_in_place(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	uint64_t	 t0, took;

	put(fx->path, OLD, LEN(OLD));
	/* A scanner on the new copy for as long as the writer tries. */
	hook_set("replace");
	hk.release_at = 100;
	t0 = platform_mono_ms();
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	took = platform_mono_ms() - t0;
	hook_clear();
	print_message("new copy held: %u replaces in %llu ms\n", hk.calls,
	    (unsigned long long)took);
	assert_int_equal(err.code, ERROR_SHARING_VIOLATION);
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "(the new copy is held open by another "
	    "process)"));
	assert_int_equal(hk.calls, 4);
	assert_true(took < 500);
	/* Not rewritten in place: the DNS client never saw half a file. */
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
	/* A scanner that lets go after a look: the retry replaces. */
	hook_set("replace");
	hk.release_at = 2;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), 0);
	hook_clear();
	assert_int_equal(hk.calls, 2);
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_unable_to_remove_replaced_leaves_no_stray_file(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	unsigned	 i;

	put(fx->path, OLD, LEN(OLD));
	/* 1175 with the target free: retried, then transient. */
	hook_set("replace");
	for (i = 0; i < 8; i++)
		hk.result[i] = ERROR_UNABLE_TO_REMOVE_REPLACED;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	hook_clear();
	assert_int_equal(err.code, ERROR_UNABLE_TO_REMOVE_REPLACED);
	assert_true(res.transient);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
	/* 1177: the original went to the backup name every time. */
	hook_set("replace");
	hk.move_aside = true;
	for (i = 0; i < 8; i++)
		hk.result[i] = ERROR_UNABLE_TO_MOVE_REPLACEMENT_2;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	hook_clear();
	assert_int_equal(err.code, ERROR_UNABLE_TO_MOVE_REPLACEMENT_2);
	assert_true(res.transient);
	assert_int_equal(hk.calls, 4);
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
	/* Once, then the replace works. */
	hook_set("replace");
	hk.move_aside = true;
	hk.result[0] = ERROR_UNABLE_TO_MOVE_REPLACEMENT_2;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), 0);
	assert_int_equal(hk.calls, 2);
	hook_clear();
	assert_string_equal(res.method, "replace");
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_vanished_new_copy_is_transient(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, OLD, LEN(OLD));
	hook_set("replace");
	hk.remove_new = true;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	hook_clear();
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "(the new copy vanished)"));
	assert_bytes(fx->path, OLD, LEN(OLD));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsfile_in_place_keeps_an_append_made_before_its_open(void **state)
{
	struct fx	*fx = *state;
	static const char more[] = "10.7.7.7 appended.example\r\n";
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 both[LEN(OLD) + LEN(more)];
	HANDLE		 h;

	put(fx->path, OLD, LEN(OLD));
	memcpy(both, OLD, LEN(OLD));
	memcpy(both + LEN(OLD), more, LEN(more));
	h = hold(fx->path, FILE_SHARE_READ | FILE_SHARE_WRITE);
	/* An agent appends in the moment between the guard and the
	 * in-place handle. */
	hook_set("in-place");
	hk.append = more;
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), -1);
	hook_clear();
	assert_int_equal(hk.calls, 1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_true(res.transient);
	assert_bytes(fx->path, both, sizeof(both));
	assert_int_equal(entries(fx->dir), 2);	/* no journal, no temp */
	/* The next attempt, from what is there, rewrites in place. */
	assert_int_equal(hostsfile_write(fx->path, NULL, NEW, LEN(NEW), &res,
	    &err), 0);
	assert_string_equal(res.method, "in-place-journaled");
	assert_string_equal(res.guard, "share-deny");
	assert_bytes(fx->path, NEW, LEN(NEW));
	CloseHandle(h);
}

static void
hostsfile_classifies_win32_codes(void **state)
{
	(void)state;
	assert_true(hostsfile_transient(ERROR_SHARING_VIOLATION));
	assert_true(hostsfile_transient(ERROR_LOCK_VIOLATION));
	assert_true(hostsfile_transient(ERROR_USER_MAPPED_FILE));
	assert_true(hostsfile_transient(ERROR_UNABLE_TO_REMOVE_REPLACED));
	assert_true(hostsfile_transient(ERROR_UNABLE_TO_MOVE_REPLACEMENT_2));
	assert_true(hostsfile_transient(ERROR_ACCESS_DENIED));
	assert_false(hostsfile_transient(ERROR_FILE_NOT_FOUND));
	assert_false(hostsfile_transient(ERROR_PATH_NOT_FOUND));
	assert_false(hostsfile_transient(ERROR_HANDLE_DISK_FULL));
	assert_false(hostsfile_transient(ERROR_DISK_FULL));
	assert_false(hostsfile_transient(ERROR_UNABLE_TO_MOVE_REPLACEMENT));
	assert_string_equal(hostsfile_error_name(32), "ERROR_SHARING_VIOLATION");
	assert_string_equal(hostsfile_error_name(1224), "ERROR_USER_MAPPED_FILE");
	assert_string_equal(hostsfile_error_name(112), "ERROR_DISK_FULL");
	assert_string_equal(hostsfile_error_name(0x7fffffff), "");
}

/* The job's render callback: the same new content every time, computed
 * from the file as read (which a share-mode-0 holder makes fail, as it
 * makes the real render fail: a transient error). */
struct render {
	const char	*s;
	size_t		 len;
	unsigned	 calls;
	const char	*path;
	char		*read;		/* what *expect points to */
	size_t		 readlen;
};

static int
render_fixed(void *ctx, const struct hostsfile_carry *carry,
    struct hostsfile_expect *expect, char **buf, size_t *len, bool *changed,
    struct dwerr *err)
{
	struct render	*r = ctx;
	bool		 there;

	assert_null(carry);	/* Windows never hands one back */
	r->calls++;
	free(r->read);
	r->read = NULL;
	if (hostsfile_read(r->path, HOSTS_BYTES, &r->read, &r->readlen, &there,
	    err) != 0)
		return -1;
	expect->buf = r->read;
	expect->len = r->readlen;
	expect->exists = there;
	assert_non_null(*buf = malloc(r->len));
	memcpy(*buf, r->s, r->len);
	*len = r->len;
	*changed = true;
	return 0;
}

/* Runs a job to the end the way the one-shot pass does. */
static enum hostsjob_state
run_job(struct fx *fx, const struct backoff_policy *pol, const char *s,
    size_t len, unsigned *attempts, uint64_t *start_ms)
{
	struct render		 r = { s, len, 0, fx->path, NULL, 0 };
	struct hostsjob		*job;
	enum hostsjob_state	 st;
	uint32_t		 delay;

	*start_ms = platform_mono_ms();
	job = hostsjob_new(fx->path, render_fixed, &r, pol, fx->trace,
	    *start_ms);
	assert_non_null(job);
	while ((st = hostsjob_attempt(job, platform_mono_ms(),
	    platform_random01(), &delay)) == HOSTSJOB_RETRY)
		platform_sleep_ms(delay);
	*attempts = hostsjob_attempts(job);
	assert_int_equal(r.calls, *attempts);
	if (st == HOSTSJOB_DONE)
		assert_true(hostsjob_wrote(job));
	hostsjob_free(job);
	free(r.read);
	return st;
}

static void
hostsjob_succeeds_after_a_share_mode_0_holder_lets_go(void **state)
{
	struct fx		*fx = *state;
	struct events		*ev = &fx->events;
	struct backoff_policy	 pol;
	struct holder		 ho;
	enum hostsjob_state	 st;
	uint64_t		 start, held_for, begun = 0;
	unsigned		 attempts, i, want;

	backoff_defaults(&pol);
	pol.jitter = 0.0;
	put(fx->path, OLD, LEN(OLD));
	holder_start(&ho, fx->path, 0, HOLD_MS);
	st = run_job(fx, &pol, NEW, LEN(NEW), &attempts, &start);
	holder_stop(&ho);
	held_for = ho.released_ms - start;
	print_message("held %llu ms; %u attempts; succeeded at %llu ms\n",
	    (unsigned long long)held_for, attempts,
	    (unsigned long long)ev->elapsed[ev->n - 1]);

	assert_int_equal(st, HOSTSJOB_DONE);
	assert_int_equal(ev->n, attempts);	/* one event per attempt */
	for (i = 0; i + 1 < attempts; i++) {
		assert_string_equal(ev->name[i], "HostsWriteAttempt");
		assert_int_equal(ev->attempt[i], i + 1);
		assert_int_equal(ev->code[i], ERROR_SHARING_VIOLATION);
		assert_string_equal(ev->code_name[i], "ERROR_SHARING_VIOLATION");
		assert_true(ev->transient[i]);
		assert_int_equal(ev->delay[i], 50u << i);
		assert_true(ev->elapsed[i] <= held_for);
		begun += ev->delay[i];
	}
	assert_string_equal(ev->name[i], "HostsWriteSucceeded");
	assert_int_equal(ev->attempt[i], attempts);
	assert_string_equal(ev->method[i], "replace");
	assert_true(ev->elapsed[i] >= begun);
	/* The first attempt the schedule starts after the release wins:
	 * 50 * (2^(k-1) - 1) ms >= HOLD_MS first for k = 7 (3150 ms). */
	for (want = 1; 50u * ((1u << (want - 1)) - 1) < HOLD_MS; want++)
		;
	assert_int_equal(attempts, want);
	assert_bytes(fx->path, NEW, LEN(NEW));
	assert_int_equal(entries(fx->dir), 2);
}

static void
hostsjob_gives_up_at_the_deadline_leaving_the_file_unchanged(void **state)
{
	struct fx		*fx = *state;
	struct events		*ev = &fx->events;
	struct backoff_policy	 pol;
	struct holder		 ho;
	enum hostsjob_state	 st;
	uint64_t		 start;
	unsigned		 attempts, i, last;

	backoff_defaults(&pol);
	pol.jitter = 0.0;
	pol.deadline_ms = DEADLINE_MS;
	put(fx->path, OLD, LEN(OLD));
	holder_start(&ho, fx->path, 0, INFINITE);
	st = run_job(fx, &pol, NEW, LEN(NEW), &attempts, &start);
	holder_stop(&ho);
	last = attempts - 1;
	print_message("%u attempts; gave up at %llu ms\n", attempts,
	    (unsigned long long)ev->elapsed[last]);

	assert_int_equal(st, HOSTSJOB_GAVE_UP);
	assert_int_equal(ev->n, attempts);
	/* 0, 50, 150, 350, then the rest of the deadline: 5 attempts, or 6
	 * should a sleep end a millisecond early. */
	assert_true(attempts == 5 || attempts == 6);
	for (i = 0; i < last; i++) {
		assert_string_equal(ev->name[i], "HostsWriteAttempt");
		assert_int_equal(ev->code[i], ERROR_SHARING_VIOLATION);
		assert_true(ev->delay[i] <= 50u << i);
		if (i < 3)
			assert_int_equal(ev->delay[i], 50u << i);
	}
	assert_string_equal(ev->name[last], "HostsWriteGaveUp");
	assert_int_equal(ev->attempt[last], attempts);
	assert_int_equal(ev->code[last], ERROR_SHARING_VIOLATION);
	assert_string_equal(ev->code_name[last], "ERROR_SHARING_VIOLATION");
	assert_true(ev->transient[last]);
	assert_true(ev->elapsed[last] >= DEADLINE_MS);
	assert_bytes(fx->path, OLD, LEN(OLD));
	/* No read ever succeeded, so no write began: not even a lock file. */
	assert_int_equal(entries(fx->dir), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(share_modes_behave_as_the_writer_expects),
		T(hostsfile_replace_writes_exact_bytes_and_leaves_no_temp_file),
		T(hostsfile_replace_keeps_hidden_and_archive_attributes),
		T(hostsfile_creates_a_missing_file_that_read_saw_as_empty),
		T(hostsfile_accepts_forward_slashes),
		T(hostsfile_missing_folder_is_a_permanent_error),
		T(hostsfile_share_mode_0_holder_fails_transiently_keeping_the_original),
		T(hostsfile_holder_without_delete_sharing_gets_an_in_place_rewrite),
		T(hostsfile_mapped_view_refusing_to_shrink_keeps_the_original),
		T(hostsfile_read_only_attribute_is_a_permanent_error),
		T(hostsfile_cleanup_removes_only_our_temp_files),
		T(hostsfile_cleanup_rolls_a_complete_journal_forward),
		T(hostsfile_cleanup_discards_a_truncated_journal_leaving_the_file),
		T(hostsfile_cleanup_discards_a_journal_with_a_bad_checksum),
		T(hostsfile_cleanup_sets_aside_a_journal_over_a_file_changed_since),
		T(hostsfile_write_finishes_a_pending_journal_before_writing),
		T(hostsfile_guard_keeps_writers_out_from_the_read_to_the_replace),
		T(hostsfile_guard_is_refused_while_a_writer_has_the_file_open),
		T(hostsfile_conditional_write_over_changed_content_leaves_it),
		T(hostsfile_held_lock_fails_transiently_leaving_the_writers_files),
		T(hostsfile_held_new_copy_is_retried_not_rewritten_in_place),
		T(hostsfile_unable_to_remove_replaced_leaves_no_stray_file),
		T(hostsfile_vanished_new_copy_is_transient),
		T(hostsfile_in_place_keeps_an_append_made_before_its_open),
		cmocka_unit_test(hostsfile_classifies_win32_codes),
		T(hostsjob_succeeds_after_a_share_mode_0_holder_lets_go),
		T(hostsjob_gives_up_at_the_deadline_leaving_the_file_unchanged),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
