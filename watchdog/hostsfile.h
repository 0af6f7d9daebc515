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

#define HOSTSFILE_TEMP_TAG ".dnswatchdog-"	/* in every temp file's name */

/* Reads the whole file into a malloc'd buffer owned by the caller. A
 * missing file reads as empty with *exists false. Returns 0 or -1. */
int	hostsfile_read(const char *path, size_t max, char **buf, size_t *len,
	    bool *exists, struct dwerr *err);

/* Replaces the file at path with len bytes of buf, keeping its owner,
 * group and mode, or creates it. *method says how: "rename", "create" or
 * "in-place" (the fallback for bind mounts). Never leaves a partial file
 * under path when it can rename. Returns 0 or -1 with the OS code. */
int	hostsfile_write(const char *path, const char *buf, size_t len,
	    const char **method, struct dwerr *err);

/* True when the error code may go away on its own (retry with backoff). */
bool	hostsfile_transient(int code);

/* Removes temp files a crashed writer left beside path (their names carry
 * HOSTSFILE_TEMP_TAG, so they are provably ours). Returns how many. */
int	hostsfile_cleanup(const char *path);

#endif
