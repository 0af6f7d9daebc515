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
#include <stdint.h>

#include "dwerr.h"
#include "platform.h"

#define HOSTSFILE_TEMP_TAG ".dnswatchdog-"	/* in every temp file's name */

/* Reads the whole file into a malloc'd buffer owned by the caller. A
 * missing file reads as empty with *exists false. Returns 0 or -1. */
int	hostsfile_read(const char *path, size_t max, char **buf, size_t *len,
	    bool *exists, struct dwerr *err);

/* The dwerr code of a write refused because the file no longer holds the
 * bytes it was computed from (or another writer was about to change it):
 * transient, render again from the file as it is now. */
#define HOSTSFILE_CHANGED	(-2)

/* What a write was computed from: the write goes ahead only while the file
 * still holds exactly these bytes (or, when !exists, does not exist). */
struct hostsfile_expect {
	const char	*buf;
	size_t		 len;
	bool		 exists;
};

/* A replaced file that a writer may still be adding to (POSIX: a process
 * that opened it just before the rename writes into the old inode). The
 * write hands it over; hostsfile_carry_step says when it has settled and
 * hostsfile_carry_merge puts what arrived in it into the new file. It
 * borrows the bytes the write was given (buf): keep them until
 * hostsfile_carry_free (it keeps its own when the write added lines
 * appended since the read). */
struct hostsfile_carry;

/* What a write did, or why it failed. */
struct hostsfile_result {
	const char		*method;   /* on success: how the file was written */
	const char		*guard;	   /* what kept other writers' bytes:
					    * "lease", "reread", "share-deny",
					    * "none" (unconditional write) */
	bool			 transient; /* on failure: retrying may help */
	bool			 have_id;   /* id is the file as written */
	struct platform_file_id	 id;	    /* taken from the written file itself,
					     * so a change right after the write
					     * never looks like ours */
	struct hostsfile_carry	*carry;	    /* on success, owned by the caller:
					     * the replaced file to watch, or
					     * NULL when nothing can arrive */
};

/*
 * Replaces the file at path with len bytes of buf, keeping its owner,
 * group, mode, ACL and extended attributes (POSIX) or ACL and attributes
 * (Windows), or creates it. When expect is not NULL the write goes ahead
 * only while the file holds exactly expect's bytes (or those and lines
 * appended after them, which then follow buf), checked under a guard
 * that keeps other writers out until the new file is in place (POSIX: a
 * read lease, or a re-read where leases are unavailable; Windows: a handle
 * that denies writers); otherwise it fails with HOSTSFILE_CHANGED. Writers
 * in this and other dnswatchdog processes are serialised by a lock file
 * beside the target (".<base>" HOSTSFILE_TEMP_TAG "lock"); a held lock is
 * EWOULDBLOCK / ERROR_LOCK_VIOLATION, transient.
 * res->method says how: "rename", "replace", "create", "in-place-journaled"
 * (POSIX fallback for bind mounts; Windows fallback when a scanner holds
 * the file without delete sharing). Never leaves a partial file under path.
 * Returns 0, or -1 with the OS code in err->code and res->transient set.
 */
int	hostsfile_write(const char *path, const struct hostsfile_expect *expect,
	    const char *buf, size_t len, struct hostsfile_result *res,
	    struct dwerr *err);

/* Looks at a replaced file again at now_ms: 0 while a writer may still be
 * adding to it (call again after *next_ms), 1 once it has settled. */
int	hostsfile_carry_step(struct hostsfile_carry *c, uint64_t now_ms,
	    uint32_t *next_ms);
/* After hostsfile_carry_step returned 1: the bytes other writers left in the
 * replaced file, put into cur (the file as it is now): *out is malloc'd, or
 * NULL when nothing arrived. Returns 0, or -1 without memory. */
int	hostsfile_carry_merge(const struct hostsfile_carry *c, const char *cur,
	    size_t curlen, char **out, size_t *outlen);
/* How many bytes arrived in the replaced file (after a settled step). */
size_t	hostsfile_carry_bytes(const struct hostsfile_carry *c);
/* True when the watch put them into the new file itself (it held the new
 * file while their writer finished): nothing is left to merge. */
bool	hostsfile_carry_applied(const struct hostsfile_carry *c);
/* Releases the watch; NULL is a no-op. */
void	hostsfile_carry_free(struct hostsfile_carry *c);

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

/* Repairs what a crashed writer left beside path, under the lock file (a
 * busy lock: another writer is at work and nothing is touched): removes
 * temp files (their names carry HOSTSFILE_TEMP_TAG, so they are provably
 * ours, and the lock proves their writer is gone) and finishes an
 * interrupted journaled write where the file still holds what it left.
 * Returns how many files it removed or repaired. */
int	hostsfile_cleanup(const char *path);

#endif
