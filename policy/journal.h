/*
 * journal: the record that makes an in-place rewrite of the hosts file
 * crash-safe.
 *
 * An in-place rewrite (the fallback when the file cannot be replaced by a
 * rename) is not atomic. Before touching the file, the writer flushes a
 * journal holding the old and the new content; if the process dies during
 * the rewrite, the next start finds a complete journal and finishes the
 * rewrite. A journal that is not complete (the crash came while writing
 * it) proves the file was not touched yet, and is simply removed.
 *
 * Layout, little-endian: "DWJRNL1\n" | u64 old length | u64 new length |
 * u64 FNV-1a of old and new | old bytes | new bytes. Pure functions.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>

#define JOURNAL_HEADER_BYTES 32u

/* Builds a journal; *out is malloc'd, owned by the caller. Returns 0, or
 * -1 when memory runs out. */
int	journal_encode(const char *old, size_t oldlen, const char *new,
	    size_t newlen, char **out, size_t *outlen);

/* Checks a journal read back from disk. Returns 0 when it is complete and
 * intact, with *new and *newlen pointing into buf (likewise *old and
 * *oldlen); -1 when it
 * is truncated, corrupt or not a journal. */
int	journal_decode(const char *buf, size_t len, const char **old,
	    size_t *oldlen, const char **new, size_t *newlen);

/* True when cur can be what an interrupted rewrite of old into new (or its
 * undoing) left behind: its length lies between theirs and every byte is
 * the old or the new one at its offset, or zero where the file grew. Only
 * then may a journal be replayed: anything else changed since. */
int	journal_matches(const char *cur, size_t curlen, const char *old,
	    size_t oldlen, const char *new, size_t newlen);

/*
 * The bytes another writer left in a file we replaced, put into the file
 * as it is now (cur). read is what our write was computed from, written
 * what we put in its place, late what the replaced file held at the end.
 * late = read + more: more goes where its writer put it, right after
 * written when cur still starts with it (before lines appended since),
 * else at the end of cur (after a line terminator when cur lacks one). Otherwise the other writer rewrote it: when cur is
 * still ours, late becomes the file; when not, late's lines that cur does
 * not have are appended. *out is malloc'd (NULL when late == read).
 * Returns 0, or -1 when memory runs out.
 */
int	journal_merge_late(const char *cur, size_t curlen, const char *read,
	    size_t readlen, const char *written, size_t writtenlen,
	    const char *late, size_t latelen, char **out, size_t *outlen);

#endif
