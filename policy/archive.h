/*
 * archive: a ZIP or a gzip'd tar file, built in memory.
 *
 * Pure code and no compression: ZIP members are stored, and the tar is
 * wrapped in gzip with stored deflate blocks, so every unzip and tar can
 * read the result and nothing but this file is needed to write it. The
 * caller gives the time members carry (policy/ reads no clock) and writes
 * the finished bytes where it wants them.
 */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

#define ARCHIVE_NAME_MAX_BYTES	100u		/* a ustar name, unsplit */
#define ARCHIVE_MEMBER_MAX_BYTES 0xfffffffeu	/* ZIP without ZIP64 */
#define ARCHIVE_MAX_MEMBERS	1000u
#define ARCHIVE_DEFLATE_BLOCK_BYTES 65535u	/* most a stored block holds */

enum archive_kind {
	ARCHIVE_ZIP,
	ARCHIVE_TAR_GZ
};

/* An archive being built; opaque. */
struct archive;

/* The kind a file name asks for by its extension (".zip", ".tar.gz",
 * either case). Returns 0, or -1 with err naming path and the accepted
 * extensions. */
int	archive_kind_of(const char *path, enum archive_kind *kind,
	    struct dwerr *err);

/* A new, empty archive whose members carry mtime_s (seconds since 1970
 * UTC); NULL without memory. Free with archive_free. */
struct archive *archive_new(enum archive_kind kind, int64_t mtime_s);

/* Adds a member: a plain file called name (a relative path of printable
 * ASCII, no "..", at most ARCHIVE_NAME_MAX_BYTES) holding len bytes of
 * data, copied. Returns 0, or -1 with err (bad name, too large, ENOMEM). */
int	archive_add(struct archive *a, const char *name, const void *data,
	    size_t len, struct dwerr *err);

/* The whole archive file: *out is malloc'd, the caller's. The archive
 * may take no member after it. Returns 0, or -1 with err. */
int	archive_finish(struct archive *a, uint8_t **out, size_t *outlen,
	    struct dwerr *err);

/* Frees an archive; NULL is a no-op. */
void	archive_free(struct archive *a);

/* The CRC-32 of ZIP and gzip (ISO 3309), continued from crc (0 to
 * start). */
uint32_t archive_crc32(uint32_t crc, const void *buf, size_t len);

#endif
