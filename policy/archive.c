/*
 * archive: a ZIP or a gzip'd tar file, built in memory (see archive.h).
 *
 * Both kinds grow one buffer. A ZIP gets each member's local header and
 * bytes as it comes, and remembers what the central directory will say
 * about it; archive_finish appends the directory and its end record. A
 * tar gets a ustar header and the bytes padded to a block; archive_finish
 * adds the two empty blocks that end it and wraps the lot in gzip, cut
 * into stored deflate blocks.
 */
#include "archive.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

#define ARCHIVE_TAR_BLOCK_BYTES	512u
#define ARCHIVE_TAR_END_BYTES	(2u * ARCHIVE_TAR_BLOCK_BYTES)
#define ARCHIVE_TAR_MODE	"0000644"
#define ARCHIVE_ZIP_LOCAL_SIG	0x04034b50u
#define ARCHIVE_ZIP_CENTRAL_SIG	0x02014b50u
#define ARCHIVE_ZIP_END_SIG	0x06054b50u
#define ARCHIVE_ZIP_VERSION	20u		/* 2.0: what every unzip reads */
#define ARCHIVE_ZIP_MADE_BY	((3u << 8) | ARCHIVE_ZIP_VERSION) /* Unix */
#define ARCHIVE_ZIP_UTF8	0x0800u		/* general purpose flag, bit 11 */
#define ARCHIVE_ZIP_ATTR	(0100644u << 16)	/* a plain file, rw-r--r-- */
#define ARCHIVE_ZIP_LOCAL_BYTES	30u
#define ARCHIVE_ZIP_CENTRAL_BYTES 46u
#define ARCHIVE_ZIP_END_BYTES	22u
#define ARCHIVE_ZIP_MAX_OFFSET	0xffffffffu
#define ARCHIVE_DOS_EPOCH_YEAR	1980
#define ARCHIVE_GZIP_HEADER_BYTES 10u
#define ARCHIVE_GZIP_TRAILER_BYTES 8u
#define ARCHIVE_GZIP_OS_UNKNOWN	255u
#define ARCHIVE_STORED_HEADER_BYTES 5u		/* BFINAL/BTYPE, LEN, NLEN */
#define ARCHIVE_FIRST_BYTES	4096u

/* What the central directory says of a ZIP member. */
struct archive_member {
	char		*name;
	uint32_t	 crc;
	uint32_t	 size;
	uint32_t	 offset;	/* of its local header */
};

struct archive {
	enum archive_kind	 kind;
	int64_t			 mtime_s;
	uint16_t		 dos_time, dos_date;
	uint8_t			*buf;
	size_t			 len, cap;
	struct archive_member	*members;	/* ZIP only */
	size_t			 nmembers;	/* a tar's are only counted */
	bool			 finished;
};

static uint32_t	archive_crc_table[256];
static bool	archive_crc_ready;

static void
archive_crc_init(void)
{
	uint32_t	 c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		archive_crc_table[n] = c;
	}
	archive_crc_ready = true;
}

uint32_t
archive_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 i;

	if (!archive_crc_ready)
		archive_crc_init();
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = archive_crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

static bool
archive_ends_with(const char *s, const char *tail)
{
	size_t	 n = strlen(s), m = strlen(tail);

	return n > m && dwstr_casecmp(s + n - m, tail) == 0;
}

int
archive_kind_of(const char *path, enum archive_kind *kind, struct dwerr *err)
{
	if (archive_ends_with(path, ".zip")) {
		*kind = ARCHIVE_ZIP;
		return 0;
	}
	if (archive_ends_with(path, ".tar.gz")) {
		*kind = ARCHIVE_TAR_GZ;
		return 0;
	}
	dwerr_set(err, DWERR_INPUT, "%s: an archive is written as a .zip or "
	    "a .tar.gz: name the file so", path);
	return -1;
}

/* The MS-DOS date and time of a ZIP header, from seconds since 1970 UTC
 * (days to a civil date: the proleptic Gregorian calendar). Before 1980,
 * which DOS cannot say, is 1980-01-01. */
static void
archive_dos_time(int64_t t, uint16_t *dtime, uint16_t *ddate)
{
	int64_t	 days, secs, era, doe, yoe, y, doy, mp, d, m;

	if (t < 315532800)	/* 1980-01-01T00:00:00Z */
		t = 315532800;
	days = t / 86400;
	secs = t % 86400;
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y > ARCHIVE_DOS_EPOCH_YEAR + 127) {
		y = ARCHIVE_DOS_EPOCH_YEAR + 127;
		m = 12;
		d = 31;
		secs = 86399;
	}
	*ddate = (uint16_t)(((y - ARCHIVE_DOS_EPOCH_YEAR) << 9) | (m << 5) | d);
	*dtime = (uint16_t)(((secs / 3600) << 11) | ((secs / 60 % 60) << 5) |
	    (secs % 60 / 2));
}

struct archive *
archive_new(enum archive_kind kind, int64_t mtime_s)
{
	struct archive	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->kind = kind;
	a->mtime_s = mtime_s < 0 ? 0 : mtime_s;
	archive_dos_time(a->mtime_s, &a->dos_time, &a->dos_date);
	return a;
}

void
archive_free(struct archive *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	if (a->kind == ARCHIVE_ZIP)
		for (i = 0; i < a->nmembers; i++)
			free(a->members[i].name);
	free(a->members);
	free(a->buf);
	free(a);
}

/* Room for n more bytes. */
static int
archive_grow(struct archive *a, size_t n)
{
	size_t	 cap = a->cap != 0 ? a->cap : ARCHIVE_FIRST_BYTES;
	uint8_t	*p;

	if (n > SIZE_MAX - a->len)
		return -1;
	if (a->len + n <= a->cap)
		return 0;
	while (cap < a->len + n) {
		if (cap > SIZE_MAX / 2) {
			cap = a->len + n;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(a->buf, cap)) == NULL)
		return -1;
	a->buf = p;
	a->cap = cap;
	return 0;
}

/* Appends bytes; the caller made room. */
static void
archive_put(struct archive *a, const void *p, size_t n)
{
	if (n > 0)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void
archive_put16(struct archive *a, uint32_t v)
{
	uint8_t	 b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	archive_put(a, b, sizeof(b));
}

static void
archive_put32(struct archive *a, uint32_t v)
{
	uint8_t	 b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		    (uint8_t)(v >> 24) };

	archive_put(a, b, sizeof(b));
}

/* A member name every reader takes as a plain relative path. */
static int
archive_name_check(const char *name, struct dwerr *err)
{
	size_t		 n = strlen(name), i, start = 0;
	unsigned char	 c;

	if (n == 0 || n > ARCHIVE_NAME_MAX_BYTES) {
		dwerr_set(err, DWERR_INPUT, "archive member \"%s\": a name has "
		    "1 to %u bytes", name, ARCHIVE_NAME_MAX_BYTES);
		return -1;
	}
	for (i = 0; i <= n; i++) {
		c = (unsigned char)name[i];
		if (c == '/' || c == '\0') {
			if (i == start || (i - start == 2 &&
			    memcmp(name + start, "..", 2) == 0) ||
			    (i - start == 1 && name[start] == '.'))
				goto bad;
			start = i + 1;
		} else if (c < 0x20 || c > 0x7e || c == '\\' || c == ':')
			goto bad;
	}
	return 0;
bad:
	dwerr_set(err, DWERR_INPUT, "archive member \"%s\": not a plain "
	    "relative path", name);
	return -1;
}

static int
archive_zip_add(struct archive *a, const char *name, const void *data,
    size_t len, struct dwerr *err)
{
	struct archive_member	*m;
	size_t			 nlen = strlen(name);

	if (a->len > ARCHIVE_ZIP_MAX_OFFSET) {
		dwerr_set(err, EFBIG, "archive: over 4 GiB, more than a ZIP "
		    "without ZIP64 holds");
		return -1;
	}
	if ((m = realloc(a->members, (a->nmembers + 1) * sizeof(*m))) == NULL)
		goto oom;
	a->members = m;
	m = &a->members[a->nmembers];
	if ((m->name = dwstr_dup(name)) == NULL)
		goto oom;
	if (archive_grow(a, ARCHIVE_ZIP_LOCAL_BYTES + nlen + len) != 0) {
		free(m->name);
		goto oom;
	}
	m->crc = archive_crc32(0, data, len);
	m->size = (uint32_t)len;
	m->offset = (uint32_t)a->len;
	a->nmembers++;
	archive_put32(a, ARCHIVE_ZIP_LOCAL_SIG);
	archive_put16(a, ARCHIVE_ZIP_VERSION);
	archive_put16(a, ARCHIVE_ZIP_UTF8);
	archive_put16(a, 0);			/* stored */
	archive_put16(a, a->dos_time);
	archive_put16(a, a->dos_date);
	archive_put32(a, m->crc);
	archive_put32(a, m->size);		/* compressed */
	archive_put32(a, m->size);
	archive_put16(a, (uint32_t)nlen);
	archive_put16(a, 0);			/* no extra field */
	archive_put(a, name, nlen);
	archive_put(a, data, len);
	return 0;
oom:
	dwerr_set(err, ENOMEM, "archive: out of memory");
	return -1;
}

/* An octal field of a tar header: digits, then a NUL. */
static void
archive_octal(char *field, size_t size, uint64_t v)
{
	size_t	 i = size - 1;

	field[i] = '\0';
	while (i > 0) {
		field[--i] = (char)('0' + (v & 7u));
		v >>= 3;
	}
}

static int
archive_tar_add(struct archive *a, const char *name, const void *data,
    size_t len, struct dwerr *err)
{
	char		 h[ARCHIVE_TAR_BLOCK_BYTES];
	size_t		 pad = (ARCHIVE_TAR_BLOCK_BYTES -
			    len % ARCHIVE_TAR_BLOCK_BYTES) %
			    ARCHIVE_TAR_BLOCK_BYTES, i;
	unsigned	 sum = 0;

	if (len > SIZE_MAX - ARCHIVE_TAR_BLOCK_BYTES - pad ||
	    archive_grow(a, ARCHIVE_TAR_BLOCK_BYTES + len + pad) != 0) {
		dwerr_set(err, ENOMEM, "archive: out of memory");
		return -1;
	}
	/* ustar (POSIX.1-1988): fixed fields, octal numbers. */
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));			/* name[100] */
	memcpy(h + 100, ARCHIVE_TAR_MODE, 8);		/* mode[8] */
	archive_octal(h + 108, 8, 0);			/* uid[8] */
	archive_octal(h + 116, 8, 0);			/* gid[8] */
	archive_octal(h + 124, 12, len);		/* size[12] */
	archive_octal(h + 136, 12, (uint64_t)a->mtime_s); /* mtime[12] */
	memset(h + 148, ' ', 8);			/* chksum[8], as spaces */
	h[156] = '0';					/* a regular file */
	memcpy(h + 257, "ustar", 6);			/* magic[6] */
	memcpy(h + 263, "00", 2);			/* version[2] */
	memcpy(h + 265, "root", 4);			/* uname[32] */
	memcpy(h + 297, "root", 4);			/* gname[32] */
	for (i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	archive_octal(h + 148, 7, sum);			/* six digits, NUL, */
	h[155] = ' ';					/* and a space */
	archive_put(a, h, sizeof(h));
	archive_put(a, data, len);
	memset(a->buf + a->len, 0, pad);
	a->len += pad;
	return 0;
}

int
archive_add(struct archive *a, const char *name, const void *data,
    size_t len, struct dwerr *err)
{
	if (a->finished) {
		dwerr_set(err, EINVAL, "archive: already finished");
		return -1;
	}
	if (archive_name_check(name, err) != 0)
		return -1;
	if (len > ARCHIVE_MEMBER_MAX_BYTES) {
		dwerr_set(err, EFBIG, "archive member %s: %zu bytes, more than "
		    "the %u an archive member may hold", name, len,
		    ARCHIVE_MEMBER_MAX_BYTES);
		return -1;
	}
	if (a->nmembers >= ARCHIVE_MAX_MEMBERS) {
		dwerr_set(err, EFBIG, "archive: more than %u members",
		    ARCHIVE_MAX_MEMBERS);
		return -1;
	}
	if (a->kind == ARCHIVE_ZIP)
		return archive_zip_add(a, name, data, len, err);
	a->nmembers++;	/* counted only: a tar has no directory */
	return archive_tar_add(a, name, data, len, err);
}

static int
archive_zip_finish(struct archive *a, struct dwerr *err)
{
	size_t		 need = ARCHIVE_ZIP_END_BYTES, i, start = a->len, cdsize;
	struct archive_member *m;

	for (i = 0; i < a->nmembers; i++)
		need += ARCHIVE_ZIP_CENTRAL_BYTES + strlen(a->members[i].name);
	if (a->len + need > ARCHIVE_ZIP_MAX_OFFSET) {
		dwerr_set(err, EFBIG, "archive: over 4 GiB, more than a ZIP "
		    "without ZIP64 holds");
		return -1;
	}
	if (archive_grow(a, need) != 0) {
		dwerr_set(err, ENOMEM, "archive: out of memory");
		return -1;
	}
	for (i = 0; i < a->nmembers; i++) {
		m = &a->members[i];
		archive_put32(a, ARCHIVE_ZIP_CENTRAL_SIG);
		archive_put16(a, ARCHIVE_ZIP_MADE_BY);
		archive_put16(a, ARCHIVE_ZIP_VERSION);
		archive_put16(a, ARCHIVE_ZIP_UTF8);
		archive_put16(a, 0);			/* stored */
		archive_put16(a, a->dos_time);
		archive_put16(a, a->dos_date);
		archive_put32(a, m->crc);
		archive_put32(a, m->size);
		archive_put32(a, m->size);
		archive_put16(a, (uint32_t)strlen(m->name));
		archive_put16(a, 0);			/* extra field */
		archive_put16(a, 0);			/* comment */
		archive_put16(a, 0);			/* disk */
		archive_put16(a, 0);			/* internal attributes */
		archive_put32(a, ARCHIVE_ZIP_ATTR);
		archive_put32(a, m->offset);
		archive_put(a, m->name, strlen(m->name));
	}
	cdsize = a->len - start;
	archive_put32(a, ARCHIVE_ZIP_END_SIG);
	archive_put16(a, 0);				/* this disk */
	archive_put16(a, 0);				/* the directory's */
	archive_put16(a, (uint32_t)a->nmembers);	/* here */
	archive_put16(a, (uint32_t)a->nmembers);	/* in all */
	archive_put32(a, (uint32_t)cdsize);
	archive_put32(a, (uint32_t)start);
	archive_put16(a, 0);				/* no comment */
	return 0;
}

/* The tar, ended, as a gzip member of stored deflate blocks (RFC 1951
 * 3.2.4: a header byte with BFINAL and BTYPE 00, then LEN and its one's
 * complement, then LEN bytes) between RFC 1952's header and trailer. */
static int
archive_gzip(struct archive *a, uint8_t **out, size_t *outlen,
    struct dwerr *err)
{
	size_t	 blocks, need, off = 0, n;
	uint8_t	*g, *p;
	uint32_t crc;

	if (archive_grow(a, ARCHIVE_TAR_END_BYTES) != 0)
		goto oom;
	memset(a->buf + a->len, 0, ARCHIVE_TAR_END_BYTES);
	a->len += ARCHIVE_TAR_END_BYTES;
	blocks = (a->len + ARCHIVE_DEFLATE_BLOCK_BYTES - 1) /
	    ARCHIVE_DEFLATE_BLOCK_BYTES;
	need = ARCHIVE_GZIP_HEADER_BYTES + a->len +
	    blocks * ARCHIVE_STORED_HEADER_BYTES + ARCHIVE_GZIP_TRAILER_BYTES;
	if ((g = malloc(need)) == NULL)
		goto oom;
	p = g;
	*p++ = 0x1f;
	*p++ = 0x8b;
	*p++ = 8;				/* deflate */
	*p++ = 0;				/* no flags */
	*p++ = (uint8_t)a->mtime_s;
	*p++ = (uint8_t)(a->mtime_s >> 8);
	*p++ = (uint8_t)(a->mtime_s >> 16);
	*p++ = (uint8_t)(a->mtime_s >> 24);
	*p++ = 0;				/* no extra flags */
	*p++ = ARCHIVE_GZIP_OS_UNKNOWN;
	while (off < a->len) {
		n = a->len - off;
		if (n > ARCHIVE_DEFLATE_BLOCK_BYTES)
			n = ARCHIVE_DEFLATE_BLOCK_BYTES;
		*p++ = off + n == a->len ? 1 : 0;	/* BFINAL, BTYPE 00 */
		*p++ = (uint8_t)n;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)~n;
		*p++ = (uint8_t)(~n >> 8);
		memcpy(p, a->buf + off, n);
		p += n;
		off += n;
	}
	crc = archive_crc32(0, a->buf, a->len);
	*p++ = (uint8_t)crc;
	*p++ = (uint8_t)(crc >> 8);
	*p++ = (uint8_t)(crc >> 16);
	*p++ = (uint8_t)(crc >> 24);
	*p++ = (uint8_t)a->len;
	*p++ = (uint8_t)(a->len >> 8);
	*p++ = (uint8_t)(a->len >> 16);
	*p++ = (uint8_t)(a->len >> 24);
	*out = g;
	*outlen = (size_t)(p - g);
	return 0;
oom:
	dwerr_set(err, ENOMEM, "archive: out of memory");
	return -1;
}

int
archive_finish(struct archive *a, uint8_t **out, size_t *outlen,
    struct dwerr *err)
{
	*out = NULL;
	*outlen = 0;
	if (a->finished) {
		dwerr_set(err, EINVAL, "archive: already finished");
		return -1;
	}
	a->finished = true;
	if (a->kind == ARCHIVE_TAR_GZ)
		return archive_gzip(a, out, outlen, err);
	if (archive_zip_finish(a, err) != 0)
		return -1;
	*out = a->buf;
	*outlen = a->len;
	a->buf = NULL;
	a->len = a->cap = 0;
	return 0;
}
