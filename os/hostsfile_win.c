/*
 * hostsfile: Windows implementation (see hostsfile.h).
 *
 * Writers of one file are serialised across processes by an exclusive
 * LockFileEx lock on ".<base>" HOSTSFILE_TEMP_TAG "lock" beside it (never
 * waited for: a held lock fails the write with ERROR_LOCK_VIOLATION,
 * transient; the OS drops it when its holder exits or crashes). Only under
 * that lock are leftovers removed, so only dead writers' files go.
 *
 * The guard: the target is opened for reading with FILE_SHARE_READ |
 * FILE_SHARE_DELETE from the read (checked against hostsfile_expect) until
 * the new file is in place. Another program that opens it for writing
 * gets ERROR_SHARING_VIOLATION and retries, rather than writing into a file
 * about to be replaced; one that already has it open for writing makes our
 * open fail instead (transient). ReplaceFileW still works with the guard
 * open: it needs DELETE on the target, which the guard shares.
 *
 * A write goes to a temp file beside the target (".<base>" HOSTSFILE_TEMP_TAG
 * and six random characters), is flushed, renamed "ready", and takes the
 * target's place with ReplaceFileW, which keeps its ACL. The original goes
 * to a backup name of ours (same pattern as a temp file) rather than one
 * ReplaceFileW makes up, so a failed replace leaves nothing we do not know
 * of: a backup left by ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 is put back, and
 * after a success the backup is deleted. A missing target is created with
 * MoveFileExW.
 *
 * When the replace fails because something is held, the target is probed
 * with DELETE access and full sharing: a holder of the target without
 * delete sharing (endpoint scanners) makes the probe fail, and the file is
 * rewritten in place behind a journal; a probe that succeeds means the new
 * file is what is held (a scanner looking at it: ReplaceFileW opens it
 * sharing nothing), and the replace is retried a few times within tens of
 * milliseconds, then reported as transient, never rewritten in place.
 *
 * The journal (".<base>" HOSTSFILE_TEMP_TAG "journal", format in journal.h)
 * is made only once the target is open for writing, denying other writers,
 * and its bytes are what the guard read; it is flushed before the target is
 * touched, so a journal that does not decode was cut short by a crash
 * before the target changed.
 *
 * Decisions:
 * - A failed replace is explained before it is reported: the read-only
 *   attribute is permanent; a vanished new file is transient; a held target
 *   leads to the in-place open (read and write access, sharing reading and
 *   deleting). Access denied there means the ACL denies writing
 *   (permanent); a sharing or lock violation means a holder that shares
 *   too little, or a writer (transient); success means a holder without
 *   delete sharing, and the journaled rewrite follows.
 * - The temp file is created with the target's hidden, system, archive and
 *   not-indexed attributes, so they survive whether or not ReplaceFileW
 *   carries them over (Wine's does not).
 * - An in-place rewrite that shrinks the file cuts it first: a mapped view
 *   (ERROR_USER_MAPPED_FILE) then refuses before any byte changed. A rewrite
 *   that fails later puts the old bytes back; if even that fails, the
 *   journal stays and the next write or cleanup rolls it forward.
 * - A complete journal is replayed only while the file holds what the
 *   interrupted write can have left (journal_matches); a file that is the
 *   old or the new content just loses the journal; one changed since keeps
 *   its bytes, and the journal is set aside as "journal-stale".
 * - hostsfile_write finishes a pending journal before it starts, so a new
 *   journal never replaces one that is still needed.
 * - Windows never hands back a carry (hostsfile.h): while the guard is
 *   open no one can write into the file that is replaced.
 */
#include "hostsfile.h"

#include <windows.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dwstr.h"
#include "hosts.h"
#include "journal.h"
#include "platform.h"
#include "winsys.h"
#include "winutf.h"

#define HOSTSFILE_WTAG		L"" HOSTSFILE_TEMP_TAG
#define HOSTSFILE_JOURNAL_SUFFIX L"journal"
#define HOSTSFILE_READY_SUFFIX	L"ready"
#define HOSTSFILE_LOCK_SUFFIX	L"lock"
#define HOSTSFILE_STALE_SUFFIX	L"journal-stale"
#define HOSTSFILE_RANDOM_CHARS	6u	/* after the tag in a temp file's name */
#define HOSTSFILE_TEMP_TRIES	16u	/* random names tried before giving up */
#define HOSTSFILE_ALPHABET	"abcdefghijklmnopqrstuvwxyz0123456789"
#define HOSTSFILE_CHUNK_BYTES	(1u << 30)	/* most bytes per ReadFile/WriteFile */
#define HOSTSFILE_MSG_BYTES	256u
#define HOSTSFILE_REPLACE_TRIES	4u	/* replaces tried while the new file is held */
#define HOSTSFILE_REPLACE_WAIT_MS 5u	/* before the 2nd try, doubling: 35 ms in all */
#define HOSTSFILE_JOURNAL_MAX_BYTES \
	((size_t)JOURNAL_HEADER_BYTES + 2u * (size_t)HOSTS_MAX_BYTES)

/*
 * Crash points for the crash-consistency tests: a build with
 * DW_CRASH_HOOKS (tests/win/crashwrite.c, never the product) ends the
 * process at the point named by the DW_CRASH_AT environment variable, or
 * pauses there for DW_PAUSE_MS milliseconds at the point named by
 * DW_PAUSE_AT, after creating the file DW_PAUSE_SIGNAL names.
 */
#ifdef DW_CRASH_HOOKS
static void
hostsfile_crash(const char *point)
{
	char	 at[64], sig[MAX_PATH], ms[16];
	DWORD	 n = GetEnvironmentVariableA("DW_CRASH_AT", at, sizeof(at));
	HANDLE	 h;

	if (n > 0 && n < sizeof(at) && strcmp(at, point) == 0)
		TerminateProcess(GetCurrentProcess(), 99);
	n = GetEnvironmentVariableA("DW_PAUSE_AT", at, sizeof(at));
	if (n == 0 || n >= sizeof(at) || strcmp(at, point) != 0)
		return;
	n = GetEnvironmentVariableA("DW_PAUSE_SIGNAL", sig, sizeof(sig));
	if (n > 0 && n < sizeof(sig) && (h = CreateFileA(sig, GENERIC_WRITE,
	    0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL)) !=
	    INVALID_HANDLE_VALUE)
		CloseHandle(h);
	n = GetEnvironmentVariableA("DW_PAUSE_MS", ms, sizeof(ms));
	Sleep(n > 0 && n < sizeof(ms) ? (DWORD)strtoul(ms, NULL, 10) : 0);
}
#define HOSTSFILE_CRASH(point) hostsfile_crash(point)
#else
#define HOSTSFILE_CRASH(point) ((void)0)
#endif

/*
 * A seam for the writer's tests (tests/win/test_hostsfile_win.c, built
 * with DW_HOSTSFILE_HOOKS; never the product): hostsfile_hook, when set,
 * is called at named points of a write with the files involved, and a
 * nonzero return fails that step with that Win32 error.
 *   "guarded"  (target, NULL, NULL): the file was read under the guard
 *   "replace"  (target, new file, backup name): before each ReplaceFileW
 *   "in-place" (target, NULL, NULL): the guard is closed, the in-place
 *		open comes next
 */
#ifdef DW_HOSTSFILE_HOOKS
extern DWORD	(*hostsfile_hook)(const char *, const wchar_t *,
		    const wchar_t *, const wchar_t *);
DWORD		(*hostsfile_hook)(const char *, const wchar_t *,
		    const wchar_t *, const wchar_t *);
#define HOSTSFILE_HOOK(point, a, b, c) \
	(hostsfile_hook != NULL ? hostsfile_hook(point, a, b, c) : 0)
#else
#define HOSTSFILE_HOOK(point, a, b, c) ((DWORD)0)
#endif

/* Attributes a temp file takes over from the file it replaces. */
#define HOSTSFILE_KEPT_ATTRIBUTES (FILE_ATTRIBUTE_HIDDEN | \
	FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE | \
	FILE_ATTRIBUTE_NOT_CONTENT_INDEXED)
/* The in-place open: a scanner sharing read and write keeps its handle,
 * other writers are kept out. */
#define HOSTSFILE_IN_PLACE_ACCESS (GENERIC_READ | GENERIC_WRITE)
#define HOSTSFILE_IN_PLACE_SHARE (FILE_SHARE_READ | FILE_SHARE_DELETE)
/* The guard: readers and ReplaceFileW (which needs DELETE) come in,
 * writers do not. */
#define HOSTSFILE_GUARD_SHARE	(FILE_SHARE_READ | FILE_SHARE_DELETE)
#define HOSTSFILE_ALL_SHARE	(FILE_SHARE_READ | FILE_SHARE_WRITE | \
	FILE_SHARE_DELETE)

/* The names one write or cleanup works with. */
struct hostsfile_paths {
	char	*name;		/* the target for messages, UTF-8 */
	wchar_t	*target;	/* the file, with '\' separators */
	wchar_t	*temp;		/* "<folder>.<base><tag>" + the random part */
	wchar_t	*journal;	/* "<folder>.<base><tag>journal" */
	wchar_t	*ready;		/* "<folder>.<base><tag>ready": a complete,
				 * flushed new file, before it goes in place */
	wchar_t	*lock;		/* "<folder>.<base><tag>lock" */
	wchar_t	*stale;		/* "<folder>.<base><tag>journal-stale" */
	wchar_t	*backup;	/* like temp: where ReplaceFileW puts the
				 * original */
	size_t	 dirlen;	/* characters of the folder, separator included */
	size_t	 stem;		/* characters of temp before the random part */
};

/* By the code alone, 5 (access denied) is ambiguous: a holder gives it and
 * goes away, the read-only attribute or an ACL gives it for good. The usual
 * cause is a holder; hostsfile_write finds out and reports which. */
bool
hostsfile_transient(int code)
{
	switch (code) {
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
	case ERROR_USER_MAPPED_FILE:
	case ERROR_UNABLE_TO_REMOVE_REPLACED:
	case ERROR_UNABLE_TO_MOVE_REPLACEMENT_2:
	case ERROR_DELETE_PENDING:
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
	case ERROR_TOO_MANY_OPEN_FILES:
	case ERROR_RETRY:
		return true;
	default:
		return false;
	}
}

/* Fills err with "cannot <step> <name><note>: <system text>". */
static void
hostsfile_fail(struct dwerr *err, DWORD code, const char *step,
    const char *name, const char *note)
{
	char	 msg[HOSTSFILE_MSG_BYTES];

	winutf_message(code, msg, sizeof(msg));
	dwerr_set(err, (int)code, "cannot %s %s%s: %s", step, name, note, msg);
}

static void
hostsfile_paths_free(struct hostsfile_paths *p)
{
	free(p->name);
	free(p->target);
	free(p->temp);
	free(p->journal);
	free(p->ready);
	free(p->lock);
	free(p->stale);
	free(p->backup);
	memset(p, 0, sizeof(*p));
}

/* Points p at target (a malloc'd string p takes over) and derives the temp
 * and journal names. Returns 0 or a Win32 error. */
static DWORD
hostsfile_paths_set(struct hostsfile_paths *p, wchar_t *target)
{
	size_t	 len = wcslen(target), taglen = wcslen(HOSTSFILE_WTAG);
	size_t	 i, dirlen = 0, baselen, stem;

	for (i = 0; i < len; i++) {
		if (target[i] == L'/')
			target[i] = L'\\';
		if (target[i] == L'\\' || (i == 1 && target[i] == L':'))
			dirlen = i + 1;	/* "C:hosts" is relative to C: */
	}
	free(p->target);
	free(p->temp);
	free(p->journal);
	free(p->ready);
	free(p->lock);
	free(p->stale);
	free(p->backup);
	p->target = target;
	p->temp = p->journal = p->ready = p->lock = p->stale = p->backup = NULL;
	if ((baselen = len - dirlen) == 0)
		return ERROR_INVALID_NAME;
	stem = dirlen + 1 + baselen + taglen;
	if ((p->temp = calloc(stem + HOSTSFILE_RANDOM_CHARS + 1,
	    sizeof(wchar_t))) == NULL ||
	    (p->journal = calloc(stem + wcslen(HOSTSFILE_JOURNAL_SUFFIX) + 1,
	    sizeof(wchar_t))) == NULL ||
	    (p->ready = calloc(stem + wcslen(HOSTSFILE_READY_SUFFIX) + 1,
	    sizeof(wchar_t))) == NULL ||
	    (p->lock = calloc(stem + wcslen(HOSTSFILE_LOCK_SUFFIX) + 1,
	    sizeof(wchar_t))) == NULL ||
	    (p->stale = calloc(stem + wcslen(HOSTSFILE_STALE_SUFFIX) + 1,
	    sizeof(wchar_t))) == NULL ||
	    (p->backup = calloc(stem + HOSTSFILE_RANDOM_CHARS + 1,
	    sizeof(wchar_t))) == NULL)
		return ERROR_NOT_ENOUGH_MEMORY;
	wmemcpy(p->temp, target, dirlen);
	p->temp[dirlen] = L'.';
	wmemcpy(p->temp + dirlen + 1, target + dirlen, baselen);
	wmemcpy(p->temp + dirlen + 1 + baselen, HOSTSFILE_WTAG, taglen);
	wmemcpy(p->journal, p->temp, stem);
	wcscpy(p->journal + stem, HOSTSFILE_JOURNAL_SUFFIX);
	wmemcpy(p->ready, p->temp, stem);
	wcscpy(p->ready + stem, HOSTSFILE_READY_SUFFIX);
	wmemcpy(p->lock, p->temp, stem);
	wcscpy(p->lock + stem, HOSTSFILE_LOCK_SUFFIX);
	wmemcpy(p->stale, p->temp, stem);
	wcscpy(p->stale + stem, HOSTSFILE_STALE_SUFFIX);
	wmemcpy(p->backup, p->temp, stem);
	p->dirlen = dirlen;
	p->stem = stem;
	return 0;
}

/* Fills p for a UTF-8 path. Returns 0 or a Win32 error; p is to be freed
 * either way. */
static DWORD
hostsfile_paths_open(struct hostsfile_paths *p, const char *path)
{
	wchar_t	*w;

	memset(p, 0, sizeof(*p));
	if ((p->name = dwstr_dup(path)) == NULL)
		return ERROR_NOT_ENOUGH_MEMORY;
	if ((w = winutf_wide(path)) == NULL)
		return ERROR_NO_UNICODE_TRANSLATION;
	return hostsfile_paths_set(p, w);
}

/* Points p at the file a link leads to. Returns 0 or a Win32 error. */
static DWORD
hostsfile_paths_resolve(struct hostsfile_paths *p)
{
	HANDLE	 h;
	wchar_t	*w = NULL;
	char	*name;
	DWORD	 n, e = 0;

	h = CreateFileW(p->target, 0, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED |
	    VOLUME_NAME_DOS);
	if (n == 0)
		e = GetLastError();
	else if ((w = calloc(n, sizeof(*w))) == NULL)
		e = ERROR_NOT_ENOUGH_MEMORY;
	else if (GetFinalPathNameByHandleW(h, w, n, FILE_NAME_NORMALIZED |
	    VOLUME_NAME_DOS) >= n) {
		e = ERROR_INVALID_NAME;
		free(w);
	}
	CloseHandle(h);
	if (e != 0)
		return e;
	/* Messages show "C:\..." rather than "\\?\C:\...". */
	name = winutf_narrow(wcsncmp(w, L"\\\\?\\", 4) == 0 && w[4] != L'\0' &&
	    w[5] == L':' ? w + 4 : w);
	if (name != NULL) {
		free(p->name);
		p->name = name;
	}
	return hostsfile_paths_set(p, w);
}

/* Writes all of buf at the handle's position. Returns 0 or a Win32 error. */
static DWORD
hostsfile_write_all(HANDLE h, const void *buf, size_t len)
{
	const char	*p = buf;
	DWORD		 n;

	while (len > 0) {
		if (!WriteFile(h, p, len > HOSTSFILE_CHUNK_BYTES ?
		    HOSTSFILE_CHUNK_BYTES : (DWORD)len, &n, NULL))
			return GetLastError();
		if (n == 0)
			return ERROR_WRITE_FAULT;
		p += n;
		len -= n;
	}
	return 0;
}

/* Reads the whole file behind h, at most max bytes, into a malloc'd buffer
 * the caller owns. Returns 0 or a Win32 error (ERROR_FILE_TOO_LARGE). */
static DWORD
hostsfile_read_all(HANDLE h, size_t max, char **buf, size_t *len)
{
	LARGE_INTEGER	 size, zero;
	size_t		 used = 0, want;
	char		*p;
	DWORD		 n, e;

	*buf = NULL;
	*len = 0;
	zero.QuadPart = 0;
	if (!GetFileSizeEx(h, &size) ||
	    !SetFilePointerEx(h, zero, NULL, FILE_BEGIN))
		return GetLastError();
	if ((uint64_t)size.QuadPart > max)
		return ERROR_FILE_TOO_LARGE;
	want = (size_t)size.QuadPart;
	if ((p = malloc(want + 1)) == NULL)
		return ERROR_NOT_ENOUGH_MEMORY;
	while (used < want) {
		if (!ReadFile(h, p + used, want - used > HOSTSFILE_CHUNK_BYTES ?
		    HOSTSFILE_CHUNK_BYTES : (DWORD)(want - used), &n, NULL)) {
			e = GetLastError();
			free(p);
			return e;
		}
		if (n == 0)
			break;	/* shorter than its size said */
		used += n;
	}
	p[used] = '\0';
	*buf = p;
	*len = used;
	return 0;
}

/* Rewrites the file behind h with len bytes of buf and flushes it. A file
 * that shrinks is cut first, so that a mapped view refuses before anything
 * changed. *touched says whether the file may have changed. Returns 0 or a
 * Win32 error. */
static DWORD
hostsfile_in_place(HANDLE h, const char *buf, size_t len, bool *touched)
{
	LARGE_INTEGER	 size, off;
	DWORD		 e;

	*touched = false;
	if (!GetFileSizeEx(h, &size))
		return GetLastError();
	if ((uint64_t)size.QuadPart > len) {
		off.QuadPart = (LONGLONG)len;
		if (!SetFilePointerEx(h, off, NULL, FILE_BEGIN) ||
		    !SetEndOfFile(h))
			return GetLastError();
		/* Cut: from here on the file has changed. */
		*touched = true;
	}
	off.QuadPart = 0;
	if (!SetFilePointerEx(h, off, NULL, FILE_BEGIN))
		return GetLastError();
	*touched = true;
	/* Two halves, so that a crash test can end the process between. */
	if ((e = hostsfile_write_all(h, buf, len / 2)) != 0)
		return e;
	HOSTSFILE_CRASH("in-place-half");
	if ((e = hostsfile_write_all(h, buf + len / 2, len - len / 2)) != 0)
		return e;
	if (!SetEndOfFile(h) || !FlushFileBuffers(h))
		return GetLastError();
	return 0;
}

/* Writes and flushes the journal of a rewrite of old into new. Returns 0 or
 * a Win32 error (and then no journal is left). */
static DWORD
hostsfile_journal_write(const wchar_t *journal, const char *old,
    size_t oldlen, const char *new, size_t newlen)
{
	HANDLE	 h;
	char	*j;
	size_t	 jlen;
	DWORD	 e;

	if (journal_encode(old, oldlen, new, newlen, &j, &jlen) != 0)
		return ERROR_NOT_ENOUGH_MEMORY;
	h = CreateFileW(journal, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		free(j);
		return e;
	}
	if ((e = hostsfile_write_all(h, j, jlen)) == 0 && !FlushFileBuffers(h))
		e = GetLastError();
	CloseHandle(h);
	free(j);
	if (e != 0)
		DeleteFileW(journal);
	return e;
}

/* Finishes or sets aside an interrupted journaled write of p->target (the
 * caller holds the lock). An incomplete journal was cut short before the
 * target was touched, and a file that holds the old or the new content
 * needs nothing: the journal goes. A torn file (journal_matches) is rolled
 * forward. Anything else changed since the crash: the file keeps its
 * bytes and the journal is renamed "journal-stale". Returns 1 when it
 * repaired, removed or set aside something, 0 when there is no journal, or
 * -1 with the Win32 error in *e (the journal then stays). */
static int
hostsfile_journal_recover(const struct hostsfile_paths *p, DWORD *e)
{
	HANDLE		 h;
	const char	*old, *new;
	char		*j = NULL, *cur = NULL;
	size_t		 jlen = 0, oldlen, newlen, curlen = 0;
	bool		 touched, stale = false;

	h = CreateFileW(p->journal, GENERIC_READ, FILE_SHARE_READ, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		*e = GetLastError();
		if (*e != ERROR_FILE_NOT_FOUND)
			return -1;
		*e = 0;
		return 0;
	}
	*e = hostsfile_read_all(h, HOSTSFILE_JOURNAL_MAX_BYTES, &j, &jlen);
	CloseHandle(h);
	if (*e != 0 && *e != ERROR_FILE_TOO_LARGE)
		return -1;
	*e = 0;
	if (j != NULL && journal_decode(j, jlen, &old, &oldlen, &new,
	    &newlen) == 0) {
		h = CreateFileW(p->target, HOSTSFILE_IN_PLACE_ACCESS,
		    HOSTSFILE_IN_PLACE_SHARE, NULL, OPEN_EXISTING,
		    FILE_ATTRIBUTE_NORMAL, NULL);
		if (h == INVALID_HANDLE_VALUE) {
			/* A target deleted since is not brought back. */
			if ((*e = GetLastError()) == ERROR_FILE_NOT_FOUND) {
				*e = 0;
				stale = true;
			}
		} else {
			*e = hostsfile_read_all(h, HOSTS_MAX_BYTES, &cur, &curlen);
			if (*e == ERROR_FILE_TOO_LARGE) {
				*e = 0;	/* not ours any more */
				stale = true;
			} else if (*e != 0 || (curlen == newlen &&
			    memcmp(cur, new, newlen) == 0) || (curlen == oldlen &&
			    memcmp(cur, old, oldlen) == 0))
				;	/* complete either way, or an error */
			else if (journal_matches(cur, curlen, old, oldlen, new,
			    newlen))
				*e = hostsfile_in_place(h, new, newlen, &touched);
			else
				stale = true;
			CloseHandle(h);
		}
	}
	free(j);
	free(cur);
	if (*e != 0)
		return -1;
	if (stale ? !MoveFileExW(p->journal, p->stale,
	    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) :
	    !DeleteFileW(p->journal)) {
		*e = GetLastError();
		return -1;
	}
	return 1;
}

/* Fills the random part of name (temp or backup) with new characters. */
static void
hostsfile_random_name(const struct hostsfile_paths *p, wchar_t *name)
{
	static const char	 alphabet[] = HOSTSFILE_ALPHABET;
	unsigned char		 r[HOSTSFILE_RANDOM_CHARS];
	size_t			 i;

	platform_random(r, sizeof(r));
	for (i = 0; i < HOSTSFILE_RANDOM_CHARS; i++)
		name[p->stem + i] =
		    (wchar_t)alphabet[r[i] % (sizeof(alphabet) - 1)];
	name[p->stem + HOSTSFILE_RANDOM_CHARS] = L'\0';
}

/* Creates a new temp file beside the target with attrs, open for writing
 * in *h. Returns 0 or a Win32 error. */
static DWORD
hostsfile_temp_create(struct hostsfile_paths *p, DWORD attrs, HANDLE *h)
{
	unsigned	 try;
	DWORD		 e = ERROR_FILE_EXISTS;

	for (try = 0; try < HOSTSFILE_TEMP_TRIES && (e == ERROR_FILE_EXISTS ||
	    e == ERROR_ALREADY_EXISTS); try++) {
		hostsfile_random_name(p, p->temp);
		*h = CreateFileW(p->temp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
		    attrs != 0 ? attrs : FILE_ATTRIBUTE_NORMAL, NULL);
		if (*h != INVALID_HANDLE_VALUE)
			return 0;
		e = GetLastError();
	}
	return e;
}

/* Rewrites the target in place through h (opened with the in-place access
 * and sharing, so no one else writes) behind a journal, if it still holds
 * the seenlen bytes of seen, what the guard read. Returns 0, or a Win32
 * error (HOSTSFILE_CHANGED when the file changed) with *step. */
static DWORD
hostsfile_journaled(const struct hostsfile_paths *p, HANDLE h,
    const char *seen, size_t seenlen, const char *buf, size_t len,
    const char **step)
{
	char	*old;
	size_t	 oldlen;
	bool	 touched;
	DWORD	 e;

	if (len > HOSTS_MAX_BYTES) {
		*step = "rewrite in place (too large for the journal)";
		return ERROR_FILE_TOO_LARGE;
	}
	if ((e = hostsfile_read_all(h, HOSTS_MAX_BYTES, &old, &oldlen)) != 0) {
		*step = "read";
		return e;
	}
	/* Between the guard and this handle the file was open to writers. */
	if (oldlen != seenlen || (seenlen > 0 &&
	    memcmp(old, seen, seenlen) != 0)) {
		*step = "rewrite in place";
		free(old);
		return (DWORD)HOSTSFILE_CHANGED;
	}
	if ((e = hostsfile_journal_write(p->journal, old, oldlen, buf,
	    len)) != 0) {
		*step = "write the journal for";
		free(old);
		return e;
	}
	HOSTSFILE_CRASH("journal-written");
	if ((e = hostsfile_in_place(h, buf, len, &touched)) != 0) {
		*step = "rewrite in place";
		/* Put the old bytes back; failing that, the journal stays and
		 * the next write or cleanup rolls it forward. */
		if (!touched || hostsfile_in_place(h, old, oldlen, &touched) == 0)
			DeleteFileW(p->journal);
		free(old);
		return e;
	}
	/* Should this fail, the journal matches the file: harmless. */
	DeleteFileW(p->journal);
	free(old);
	return 0;
}

/* Replace failures that a holder without delete sharing causes. */
static bool
hostsfile_held(DWORD e)
{
	return e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION ||
	    e == ERROR_UNABLE_TO_REMOVE_REPLACED ||
	    e == ERROR_UNABLE_TO_MOVE_REPLACEMENT_2;
}

/* Whether name is missing (and not merely unreadable). */
static bool
hostsfile_missing(const wchar_t *name)
{
	return GetFileAttributesW(name) == INVALID_FILE_ATTRIBUTES &&
	    GetLastError() == ERROR_FILE_NOT_FOUND;
}

/* Could ReplaceFileW take the target away? Opens it the way it does
 * (DELETE, sharing everything): 0, or the Win32 error of a holder that
 * does not share delete (32) or an ACL that denies deleting (5). */
static DWORD
hostsfile_probe(const wchar_t *target)
{
	HANDLE	 h;

	h = CreateFileW(target, DELETE, HOSTSFILE_ALL_SHARE, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	CloseHandle(h);
	return 0;
}

/* Takes the lock that serialises writers of p->target across processes
 * (the lock file is made once and stays): 0 with *h open and locked, or a
 * Win32 error (ERROR_LOCK_VIOLATION: another writer holds it). */
static DWORD
hostsfile_lock(const struct hostsfile_paths *p, HANDLE *h)
{
	OVERLAPPED	 ov;
	DWORD		 e;

	*h = CreateFileW(p->lock, GENERIC_READ | GENERIC_WRITE,
	    HOSTSFILE_ALL_SHARE, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_HIDDEN, NULL);
	if (*h == INVALID_HANDLE_VALUE)
		return GetLastError();
	memset(&ov, 0, sizeof(ov));
	if (LockFileEx(*h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
	    0, 1, 0, &ov))
		return 0;
	e = GetLastError();
	CloseHandle(*h);
	*h = INVALID_HANDLE_VALUE;
	return e == ERROR_IO_PENDING ? ERROR_LOCK_VIOLATION : e;
}

static void
hostsfile_unlock(HANDLE h)
{
	OVERLAPPED	 ov;

	if (h == INVALID_HANDLE_VALUE)
		return;
	memset(&ov, 0, sizeof(ov));
	UnlockFileEx(h, 0, 1, 0, &ov);
	CloseHandle(h);
}

/* Puts a left-aside ready file in place when the hosts file is missing
 * (returns 1), or removes a stale one when the hosts file exists (the
 * write it belonged to never replaced anything). Returns 0 otherwise. The
 * caller holds the lock. */
static int
hostsfile_ready_restore(const struct hostsfile_paths *p)
{
	if (GetFileAttributesW(p->ready) == INVALID_FILE_ATTRIBUTES)
		return 0;
	if (GetFileAttributesW(p->target) != INVALID_FILE_ATTRIBUTES) {
		DeleteFileW(p->ready);
		return 0;
	}
	return MoveFileExW(p->ready, p->target, MOVEFILE_WRITE_THROUGH) ? 1 : 0;
}

/* Removes the temp and backup files of dead writers (the caller holds the
 * lock, so no live writer has any). Returns how many it removed. */
static int
hostsfile_sweep(struct hostsfile_paths *p)
{
	WIN32_FIND_DATAW	 fd;
	HANDLE			 find;
	wchar_t			*pattern;
	size_t			 namelen;
	int			 n = 0;

	if ((pattern = calloc(p->stem + 2, sizeof(*pattern))) == NULL)
		return 0;
	wmemcpy(pattern, p->temp, p->stem);
	pattern[p->stem] = L'*';
	/* Our names are the stem and exactly six random characters. */
	namelen = p->stem - p->dirlen + HOSTSFILE_RANDOM_CHARS;
	find = FindFirstFileExW(pattern, FindExInfoBasic, &fd,
	    FindExSearchNameMatch, NULL, 0);
	while (find != INVALID_HANDLE_VALUE) {
		if (wcslen(fd.cFileName) == namelen &&
		    !(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
		    CompareStringOrdinal(fd.cFileName, (int)(p->stem - p->dirlen),
		    p->temp + p->dirlen, (int)(p->stem - p->dirlen), TRUE) ==
		    CSTR_EQUAL) {
			wmemcpy(p->temp + p->dirlen, fd.cFileName, namelen + 1);
			if (DeleteFileW(p->temp))
				n++;
		}
		if (!FindNextFileW(find, &fd)) {
			FindClose(find);
			break;
		}
	}
	free(pattern);
	return n;
}

/* After a failed ReplaceFileW: a backup it left (the original, moved
 * aside: ERROR_UNABLE_TO_MOVE_REPLACEMENT_2) goes back to the target's
 * name, or away when the target is there. */
static void
hostsfile_backup_restore(const struct hostsfile_paths *p)
{
	if (GetFileAttributesW(p->backup) == INVALID_FILE_ATTRIBUTES)
		return;
	if (!hostsfile_missing(p->target)) {
		DeleteFileW(p->backup);
		return;
	}
	(void)MoveFileExW(p->backup, p->target, MOVEFILE_WRITE_THROUGH);
}

/*
 * The identity of the file just put in place, taken only while it holds
 * the bytes we wrote (read back under a handle that denies writers), so
 * that a change someone made right after us never passes for our own
 * write. False when it cannot be had: the caller then has none.
 */
static bool
hostsfile_written_id(const wchar_t *target, const char *buf, size_t len,
    struct platform_file_id *id)
{
	HANDLE	 h;
	char	*now = NULL;
	size_t	 nowlen = 0;
	bool	 ok;

	h = CreateFileW(target, GENERIC_READ, FILE_SHARE_READ |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return false;
	ok = hostsfile_read_all(h, HOSTS_MAX_BYTES, &now, &nowlen) == 0 &&
	    nowlen == len && memcmp(now, buf, len) == 0 &&
	    winsys_file_id(h, id);
	free(now);
	CloseHandle(h);
	return ok;
}

int
hostsfile_write(const char *path, const struct hostsfile_expect *expect,
    const char *buf, size_t len, struct hostsfile_result *res,
    struct dwerr *err)
{
	struct hostsfile_paths	 p;
	WIN32_FILE_ATTRIBUTE_DATA fa;
	HANDLE		 h = INVALID_HANDLE_VALUE, guard = INVALID_HANDLE_VALUE;
	HANDLE		 lock = INVALID_HANDLE_VALUE;
	const char	*step = "write", *note = "";
	char		*cur = NULL;
	size_t		 curlen = 0;
	bool		 exists = true, have_temp = false;
	DWORD		 e, attrs = 0, probe, wait_ms;
	unsigned	 try;
	int		 transient = -1;	/* -1: as the code says */

	memset(res, 0, sizeof(*res));
	res->method = "replace";
	res->guard = "none";
	if ((e = hostsfile_paths_open(&p, path)) != 0) {
		step = "use the path";
		goto fail;
	}
	if (!GetFileAttributesExW(p.target, GetFileExInfoStandard, &fa)) {
		if ((e = GetLastError()) != ERROR_FILE_NOT_FOUND) {
			step = "read the attributes of";
			goto fail;
		}
		exists = false;
	} else if (fa.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		/* Replace what the link points to, not the link. */
		if ((e = hostsfile_paths_resolve(&p)) != 0) {
			step = "resolve the link of";
			goto fail;
		}
		if (!GetFileAttributesExW(p.target, GetFileExInfoStandard, &fa)) {
			e = GetLastError();
			step = "read the attributes of";
			goto fail;
		}
	}
	if (exists)
		attrs = fa.dwFileAttributes;
	if (attrs & FILE_ATTRIBUTE_DIRECTORY) {
		e = ERROR_DIRECTORY;
		step = "replace";
		note = " (a folder, not a file)";
		goto fail;
	}
	/* One writer at a time, in this process or another. */
	if ((e = hostsfile_lock(&p, &lock)) != 0) {
		step = "lock";
		if (e == ERROR_LOCK_VIOLATION)
			note = " (another dnswatchdog is writing it)";
		goto fail;
	}
	/* With the lock held, every temp file is a dead writer's. */
	(void)hostsfile_sweep(&p);
	if (hostsfile_journal_recover(&p, &e) < 0) {
		step = "finish the interrupted write of";
		goto fail;
	}
	if (!exists && hostsfile_ready_restore(&p) > 0) {
		/* An earlier attempt left the whole new file aside: it is in
		 * place now, and the next attempt starts from it. */
		e = ERROR_RETRY;
		step = "write";
		note = " (restored the file an interrupted write left aside)";
		transient = 1;
		goto fail;
	}
	/* The guard: from this read until the new file is in place, no one
	 * else opens the file for writing. */
	guard = CreateFileW(p.target, GENERIC_READ, HOSTSFILE_GUARD_SHARE, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (guard == INVALID_HANDLE_VALUE) {
		if ((e = GetLastError()) != ERROR_FILE_NOT_FOUND) {
			step = "read";
			if (e == ERROR_SHARING_VIOLATION ||
			    e == ERROR_LOCK_VIOLATION) {
				note = " (held open by another process)";
				transient = 1;
			}
			goto fail;
		}
		exists = false;
	} else {
		exists = true;
		res->guard = "share-deny";
		if ((e = hostsfile_read_all(guard, HOSTS_MAX_BYTES, &cur,
		    &curlen)) != 0 && (e != ERROR_FILE_TOO_LARGE ||
		    expect == NULL)) {
			step = "read";
			goto fail;
		}
	}
	if (expect != NULL && (expect->exists != exists || (exists &&
	    (cur == NULL || expect->len != curlen ||
	    memcmp(expect->buf, cur, curlen) != 0)))) {
		e = (DWORD)HOSTSFILE_CHANGED;
		note = " (it changed since it was read)";
		goto fail;
	}
	HOSTSFILE_CRASH("guarded");
	if ((e = HOSTSFILE_HOOK("guarded", p.target, NULL, NULL)) != 0)
		goto fail;
	if ((e = hostsfile_temp_create(&p, attrs & HOSTSFILE_KEPT_ATTRIBUTES,
	    &h)) != 0) {
		step = "create a temporary file beside";
		goto fail;
	}
	have_temp = true;
	if ((e = hostsfile_write_all(h, buf, len)) != 0) {
		step = "write a temporary file for";
		goto fail;
	}
	HOSTSFILE_CRASH("temp-written");
	if (!FlushFileBuffers(h) && (e = GetLastError()) != 0) {
		step = "write a temporary file for";
		goto fail;
	}
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	HOSTSFILE_CRASH("temp-flushed");
	/* Complete and flushed: give it the ready name, so that if the
	 * original goes missing below, the next start knows this copy is
	 * whole and puts it in place instead of deleting it. */
	if (!MoveFileExW(p.temp, p.ready, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH)) {
		e = GetLastError();
		step = "name the temporary file for";
		if (e == ERROR_FILE_NOT_FOUND) {
			/* Removed by someone else: not the file's fault. */
			note = " (the new copy vanished)";
			have_temp = false;
			transient = 1;
		}
		goto fail;
	}
	wcscpy(p.temp, p.ready);
	if (!exists) {
		if (MoveFileExW(p.temp, p.target, MOVEFILE_WRITE_THROUGH)) {
			res->method = "create";
			goto done;
		}
		e = GetLastError();
		if (e != ERROR_ALREADY_EXISTS && e != ERROR_FILE_EXISTS) {
			step = "create";
			goto fail;
		}
		if (expect != NULL) {
			e = (DWORD)HOSTSFILE_CHANGED;
			step = "create";
			note = " (someone created it meanwhile)";
			goto fail;
		}
		/* Created by someone else meanwhile: replace theirs. */
	}
	for (try = 0, wait_ms = HOSTSFILE_REPLACE_WAIT_MS;; try++,
	    wait_ms *= 2) {
		hostsfile_random_name(&p, p.backup);
		if ((e = HOSTSFILE_HOOK("replace", p.target, p.temp,
		    p.backup)) == 0) {
			if (ReplaceFileW(p.target, p.temp, p.backup,
			    REPLACEFILE_IGNORE_MERGE_ERRORS, NULL, NULL)) {
				/* The original: gone once the guard closes. */
				DeleteFileW(p.backup);
				goto done;
			}
			e = GetLastError();
		}
		step = "replace";
		hostsfile_backup_restore(&p);
		if (hostsfile_missing(p.temp)) {
			/* Removed by someone else: not the file's fault. */
			note = " (the new copy vanished)";
			have_temp = false;
			transient = 1;
			goto fail;
		}
		if (hostsfile_missing(p.target)) {
			/* The original is gone (ERROR_UNABLE_TO_MOVE_REPLACEMENT,
			 * or deleted meanwhile): finish the move. */
			if (MoveFileExW(p.temp, p.target, MOVEFILE_WRITE_THROUGH)) {
				if (e == ERROR_FILE_NOT_FOUND)
					res->method = "create";
				goto done;
			}
			/* The ready file is now the only copy of every line:
			 * keep it; the next attempt (or start) puts it in
			 * place. */
			e = GetLastError();
			step = "move the new file into place as";
			have_temp = false;
			transient = 1;
			goto fail;
		}
		if ((attrs = GetFileAttributesW(p.target)) !=
		    INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_READONLY)) {
			note = " (read-only attribute)";
			transient = 0;
			goto fail;
		}
		if (!hostsfile_held(e))
			goto fail;
		/* Held: the target (no delete sharing, or no right to
		 * delete), or the new file (a scanner looking at it)? */
		if ((probe = hostsfile_probe(p.target)) != 0 &&
		    probe != ERROR_FILE_NOT_FOUND)
			break;
		if (try + 1 >= HOSTSFILE_REPLACE_TRIES) {
			note = " (the new copy is held open by another process)";
			transient = 1;
			goto fail;
		}
		Sleep(wait_ms);
	}
	/* The target is held without delete sharing: can it still be
	 * written where it is? The guard makes way for a handle that denies
	 * writers too; the bytes are compared again under it. */
	CloseHandle(guard);
	guard = INVALID_HANDLE_VALUE;
	if ((e = HOSTSFILE_HOOK("in-place", p.target, NULL, NULL)) != 0)
		goto fail;
	h = CreateFileW(p.target, HOSTSFILE_IN_PLACE_ACCESS,
	    HOSTSFILE_IN_PLACE_SHARE, NULL, OPEN_EXISTING,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		probe = GetLastError();
		if (probe == ERROR_ACCESS_DENIED) {
			e = probe;
			note = " (its ACL denies writing)";
			transient = 0;
		} else if (probe == ERROR_SHARING_VIOLATION ||
		    probe == ERROR_LOCK_VIOLATION) {
			note = " (held open by another process)";
			transient = 1;
		}
		goto fail;
	}
	DeleteFileW(p.temp);
	have_temp = false;
	if ((e = hostsfile_journaled(&p, h, cur, curlen, buf, len,
	    &step)) != 0) {
		if (e == (DWORD)HOSTSFILE_CHANGED)
			note = " (another process wrote it meanwhile)";
		goto fail;
	}
	/* Still denying writers: the identity of what we wrote. */
	res->have_id = winsys_file_id(h, &res->id);
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	res->method = "in-place-journaled";
	goto written;
done:
	res->have_id = hostsfile_written_id(p.target, buf, len, &res->id);
written:
	if (guard != INVALID_HANDLE_VALUE)
		CloseHandle(guard);
	hostsfile_unlock(lock);
	free(cur);
	hostsfile_paths_free(&p);
	return 0;
fail:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (have_temp)
		DeleteFileW(p.temp);
	if (guard != INVALID_HANDLE_VALUE)
		CloseHandle(guard);
	hostsfile_unlock(lock);
	free(cur);
	if (e == (DWORD)HOSTSFILE_CHANGED) {
		res->transient = true;
		dwerr_set(err, HOSTSFILE_CHANGED, "cannot %s %s%s", step,
		    p.name != NULL ? p.name : path, note);
	} else {
		res->transient = transient >= 0 ? transient == 1 :
		    hostsfile_transient((int)e);
		hostsfile_fail(err, e, step, p.name != NULL ? p.name : path,
		    note);
	}
	hostsfile_paths_free(&p);
	return -1;
}

int
hostsfile_carry_step(struct hostsfile_carry *c, uint64_t now_ms,
    uint32_t *next_ms)
{
	/* Never made on Windows (see the top of this file): settled. */
	(void)c;
	(void)now_ms;
	*next_ms = 0;
	return 1;
}

int
hostsfile_carry_merge(const struct hostsfile_carry *c, const char *cur,
    size_t curlen, char **out, size_t *outlen)
{
	(void)c;
	(void)cur;
	(void)curlen;
	*out = NULL;
	*outlen = 0;
	return 0;
}

size_t
hostsfile_carry_bytes(const struct hostsfile_carry *c)
{
	(void)c;
	return 0;
}

bool
hostsfile_carry_applied(const struct hostsfile_carry *c)
{
	(void)c;
	return false;
}

void
hostsfile_carry_free(struct hostsfile_carry *c)
{
	/* Windows makes none, so there is never one to free. */
	(void)c;
}

int
hostsfile_journal_pending(const char *path)
{
	struct hostsfile_paths	 p;
	int			 pending = 0;

	if (hostsfile_paths_open(&p, path) == 0 &&
	    GetFileAttributesW(p.journal) != INVALID_FILE_ATTRIBUTES)
		pending = ERROR_RETRY;
	hostsfile_paths_free(&p);
	return pending;
}

int
hostsfile_cleanup(const char *path)
{
	struct hostsfile_paths	 p;
	HANDLE			 lock;
	DWORD			 e, attrs;
	int			 n = 0;

	if (hostsfile_paths_open(&p, path) != 0) {
		hostsfile_paths_free(&p);
		return 0;
	}
	/* Temp files and the journal sit beside the file a link points to. */
	attrs = GetFileAttributesW(p.target);
	if (attrs != INVALID_FILE_ATTRIBUTES &&
	    (attrs & FILE_ATTRIBUTE_REPARSE_POINT) &&
	    hostsfile_paths_resolve(&p) != 0) {
		hostsfile_paths_free(&p);
		return 0;
	}
	/* A held lock: a writer is at work, and its files are its own. */
	if (hostsfile_lock(&p, &lock) != 0) {
		hostsfile_paths_free(&p);
		return 0;
	}
	if (hostsfile_journal_recover(&p, &e) > 0)
		n++;
	n += hostsfile_ready_restore(&p);
	n += hostsfile_sweep(&p);
	hostsfile_unlock(lock);
	hostsfile_paths_free(&p);
	return n;
}
