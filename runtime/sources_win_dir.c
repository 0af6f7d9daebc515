/*
 * sources: Windows, the folder watches on the hosts file and the
 * desired-state file (see sources_win.c).
 *
 * Each file is watched through its folder (overlapped
 * ReadDirectoryChangesW, one read always under way), so an edit in place,
 * a rename over it, a delete and a re-create are all seen. A read that
 * ends is reported in the loop, after the next one has started.
 */
#include "sources.h"
#include "sources_win_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "hostsfile.h"
#include "log.h"
#include "winutf.h"

#define SOURCES_DIR_FILTER	(FILE_NOTIFY_CHANGE_FILE_NAME | \
				 FILE_NOTIFY_CHANGE_LAST_WRITE | \
				 FILE_NOTIFY_CHANGE_SIZE)
#define SOURCES_NAME_CHARS	(MAX_PATH + 1u)	/* a name within one folder */
#define SOURCES_TEMP_TAG_W	L"" HOSTSFILE_TEMP_TAG

/* Fills d for path: the folder to watch and the name to look for. */
static int
sources_dir_take(struct sources_dirwatch *d, enum source_kind kind,
    const char *path)
{
	const wchar_t	*slash = NULL, *p;
	size_t		 n;

	d->kind = kind;
	d->path = path;
	if ((d->wpath = winutf_wide(path)) == NULL)
		return -1;
	for (p = d->wpath; *p != L'\0'; p++)
		if (*p == L'\\' || *p == L'/')
			slash = p;
	if (slash == NULL) {
		d->dir = _wcsdup(L".");
		d->base = d->wpath;
	} else {
		n = (size_t)(slash - d->wpath);
		/* "\hosts" and "C:\hosts": the root keeps its separator. */
		if (n == 0 || (n == 2 && d->wpath[1] == L':'))
			n++;
		if ((d->dir = malloc((n + 1) * sizeof(wchar_t))) != NULL) {
			memcpy(d->dir, d->wpath, n * sizeof(wchar_t));
			d->dir[n] = L'\0';
		}
		d->base = slash + 1;
	}
	d->baselen = wcslen(d->base);
	return d->dir == NULL ? -1 : 0;
}

/* Starts the next read of d's folder and waits for it to end. Returns 0
 * or a Win32 error. */
static DWORD
sources_dir_read(struct sources_dirwatch *d)
{
	memset(&d->ov, 0, sizeof(d->ov));
	d->ov.hEvent = d->w.event;
	/* Still signalled by the read before: the new wait would end at
	 * once. */
	ResetEvent(d->w.event);
	if (!ReadDirectoryChangesW(d->h, d->buf, sizeof(d->buf), FALSE,
	    SOURCES_DIR_FILTER, NULL, &d->ov, NULL))
		return GetLastError();
	d->reading = true;
	return sources_wait_start(&d->w);
}

static void
sources_dir_close(struct sources *src, struct sources_dirwatch *d)
{
	DWORD	 got;

	sources_wait_stop(src, &d->w);
	if (d->h == INVALID_HANDLE_VALUE)
		return;
	if (d->reading) {
		/* The read writes into d->buf until it has ended. */
		(void)CancelIoEx(d->h, &d->ov);
		(void)GetOverlappedResult(d->h, &d->ov, &got, TRUE);
		d->reading = false;
	}
	CloseHandle(d->h);
	d->h = INVALID_HANDLE_VALUE;
	ResetEvent(d->w.event);
}

/* Watches d's folder if it is not watched. A file whose folder comes back
 * is reported, since what happened meanwhile was not seen. Failures are
 * logged once and tried again on the next event of any source. */
void
sources_dir_open(struct sources *src, struct sources_dirwatch *d)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e = 0;

	if (d->path == NULL || d->h != INVALID_HANDLE_VALUE)
		return;
	d->h = CreateFileW(d->dir, FILE_LIST_DIRECTORY, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, NULL);
	if (d->h == INVALID_HANDLE_VALUE)
		e = GetLastError();
	else if ((e = sources_dir_read(d)) != 0)
		sources_dir_close(src, d);
	if (d->h == INVALID_HANDLE_VALUE) {
		if (d->told)
			return;
		d->told = true;
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
			log_notice("%s: its folder does not exist; watching it "
			    "once it does", d->path);
			return;
		}
		winutf_message(e, msg, sizeof(msg));
		log_error("%s: cannot watch its folder: %s; trying again on "
		    "the next event", d->path, msg);
		return;
	}
	log_debug("watching %s in its folder", d->path);
	if (d->told || d->lost) {
		log_notice("%s: watching its folder again", d->path);
		d->told = d->lost = false;
		if (GetFileAttributesW(d->wpath) != INVALID_FILE_ATTRIBUTES)
			sources_emit(&src->sc, d->kind, "created");
	}
}

static const char *
sources_dir_what(DWORD action)
{
	switch (action) {
	case FILE_ACTION_RENAMED_NEW_NAME:
		return "replaced";
	case FILE_ACTION_ADDED:
		return "created";
	case FILE_ACTION_MODIFIED:
		return "modified";
	case FILE_ACTION_REMOVED:
		return "deleted";
	case FILE_ACTION_RENAMED_OLD_NAME:
		return "moved away";
	default:
		return NULL;
	}
}

/* True when a change names d's file (and not a temp file of ours). */
static bool
sources_dir_match(const struct sources_dirwatch *d,
    const FILE_NOTIFY_INFORMATION *fi)
{
	wchar_t	 name[SOURCES_NAME_CHARS];
	size_t	 n = fi->FileNameLength / sizeof(wchar_t);

	if (n == 0 || n >= SOURCES_NAME_CHARS)
		return false;
	memcpy(name, fi->FileName, n * sizeof(wchar_t));
	name[n] = L'\0';
	if (wcsstr(name, SOURCES_TEMP_TAG_W) != NULL)
		return false;
	return n == d->baselen && CompareStringOrdinal(name, (int)n, d->base,
	    (int)n, TRUE) == CSTR_EQUAL;
}

/* Reports the changes of d's file among the got bytes of scratch; a run of
 * the same change (a write is several) is one event. */
static void
sources_dir_parse(struct sources *src, struct sources_dirwatch *d, DWORD got)
{
	const char	*base = (const char *)src->scratch, *what, *last = NULL;
	size_t		 off = 0, head = offsetof(FILE_NOTIFY_INFORMATION,
			    FileName);

	while (off + head <= got && !src->sc.dying) {
		const FILE_NOTIFY_INFORMATION *fi =
		    (const FILE_NOTIFY_INFORMATION *)(const void *)(base + off);

		if (off + head + fi->FileNameLength > got)
			break;
		if (sources_dir_match(d, fi) &&
		    (what = sources_dir_what(fi->Action)) != NULL &&
		    what != last) {
			sources_emit(&src->sc, d->kind, "%s", what);
			last = what;
		}
		if (fi->NextEntryOffset == 0)
			break;
		off += fi->NextEntryOffset;
	}
}

/* d's read ended: start the next one, then report what it brought. */
void
sources_dir_fired(struct sources *src, struct sources_dirwatch *d)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 got = 0, e = 0;
	bool	 ok;

	sources_wait_stop(src, &d->w);
	if (d->h == INVALID_HANDLE_VALUE || !d->reading)
		return;
	if (!(ok = GetOverlappedResult(d->h, &d->ov, &got, FALSE) != 0))
		e = GetLastError();
	if (e == ERROR_IO_INCOMPLETE) {
		(void)sources_wait_start(&d->w);
		return;
	}
	d->reading = false;
	if (!ok && e != ERROR_NOTIFY_ENUM_DIR) {
		winutf_message(e, msg, sizeof(msg));
		log_notice("%s: its folder watch ended: %s", d->path, msg);
		sources_dir_close(src, d);
		d->lost = true;
		sources_emit(&src->sc, d->kind, "folder gone");
		if (!src->sc.dying)
			sources_dir_open(src, d);
		return;
	}
	if (got > sizeof(src->scratch))
		got = 0;
	memcpy(src->scratch, d->buf, got);
	if ((e = sources_dir_read(d)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("%s: cannot read its folder's changes: %s; trying "
		    "again on the next event", d->path, msg);
		sources_dir_close(src, d);
		d->lost = true;
	}
	if (got == 0) {
		/* The changes did not fit: they were dropped. */
		log_notice("%s: folder changes were dropped", d->path);
		sources_emit(&src->sc, d->kind, "overflow");
		return;
	}
	sources_dir_parse(src, d, got);
}

/* The configured files, as folder watches. */
int
sources_dirs_init(struct sources *src)
{
	const struct sources_config	*cfg = &src->sc.cfg;

	if (cfg->hosts_path != NULL && sources_dir_take(
	    &src->dir[SOURCES_DIR_HOSTS], SOURCE_HOSTS, cfg->hosts_path) != 0)
		return -1;
	if (cfg->desired_path != NULL && sources_dir_take(
	    &src->dir[SOURCES_DIR_DESIRED], SOURCE_DESIRED,
	    cfg->desired_path) != 0)
		return -1;
	return 0;
}

/* Stops every folder watch and frees what sources_dirs_init made. */
void
sources_dirs_free(struct sources *src)
{
	size_t	 i;

	for (i = 0; i < SOURCES_DIR_COUNT; i++) {
		sources_dir_close(src, &src->dir[i]);
		free(src->dir[i].wpath);
		free(src->dir[i].dir);
	}
}
