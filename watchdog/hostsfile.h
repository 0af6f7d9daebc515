/*
 * hostsfile: reading and atomically replacing the hosts file.
 *
 * One implementation per platform: hostsfile_posix.c (temp file in the
 * same folder, write, fsync, rename over, fsync the folder; in-place
 * rewrite when the file is a bind mount), hostsfile_win.c.
 * Errors carry the OS code (errno or Win32 error) in err->code;
 * hostsfile_transient says whether retrying can help.
 */
#ifndef HOSTSFILE_H
#define HOSTSFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "dwerr.h"
#include "platform.h"

#define HOSTSFILE_TEMP_TAG ".dnswatchdog-"	/* in every temp file's name */

/* Reads the whole file into a malloc'd buffer owned by the caller. A
 * missing file reads as empty with *exists false. Returns 0 or -1. */
int	hostsfile_read(const char *path, size_t max, char **buf, size_t *len,
	    bool *exists, struct dwerr *err);

/* What a write did, or why it failed. */
struct hostsfile_result {
	const char		*method;   /* on success: how the file was written */
	bool			 transient; /* on failure: retrying may help */
	bool			 have_id;   /* id is the file as written */
	struct platform_file_id	 id;	    /* taken from the written file itself,
					     * so a change right after the write
					     * never looks like ours */
};

/* Replaces the file at path with len bytes of buf, keeping its owner,
 * group, mode (POSIX) or ACL and attributes (Windows), or creates it.
 * res->method says how: "rename", "replace", "create", "in-place" (POSIX
 * fallback for bind mounts), "in-place-journaled" (Windows fallback when a
 * scanner holds the file without delete sharing). Never leaves a partial
 * file under path. Returns 0, or -1 with the OS code in err->code and
 * res->transient set (only the writer can tell a held file from a
 * read-only one: both say "access denied" on Windows). */
int	hostsfile_write(const char *path, const char *buf, size_t len,
	    struct hostsfile_result *res, struct dwerr *err);

/* The usual classification of an OS error code: may it go away on its own? */
bool	hostsfile_transient(int code);

/* The symbolic name of an OS error code ("EBUSY", "ERROR_SHARING_VIOLATION"),
 * or "" when unknown. */
const char *hostsfile_error_name(int code);

/* An interrupted in-place rewrite whose journal could not be finished yet
 * (the disk is still full...): returns a transient error code (EAGAIN,
 * ERROR_RETRY) while its journal is still beside path, 0 otherwise. The
 * file is then not to be read as content: it may be half old, half new. */
int	hostsfile_journal_pending(const char *path);

/* Repairs what a crashed writer left beside path: removes temp files (their
 * names carry HOSTSFILE_TEMP_TAG, so they are provably ours) and, on
 * Windows, finishes an interrupted journaled write. Returns how many files
 * it removed or repaired. */
int	hostsfile_cleanup(const char *path);

#endif
