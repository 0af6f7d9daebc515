/* journal: the in-place rewrite record (see journal.h). */
#include "journal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JOURNAL_MAGIC		"DWJRNL1\n"
#define JOURNAL_MAGIC_BYTES	8u

static uint64_t
journal_fnv(uint64_t h, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static void
journal_put64(char *p, uint64_t v)
{
	size_t	 i;

	for (i = 0; i < 8; i++)
		p[i] = (char)(unsigned char)(v >> (8 * i));
}

static uint64_t
journal_get64(const char *p)
{
	uint64_t v = 0;
	size_t	 i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)(unsigned char)p[i] << (8 * i);
	return v;
}

int
journal_encode(const char *old, size_t oldlen, const char *new, size_t newlen,
    char **out, size_t *outlen)
{
	uint64_t	 h = 1469598103934665603ull;
	size_t		 total;
	char		*p;

	*out = NULL;
	if (oldlen > SIZE_MAX / 2 - JOURNAL_HEADER_BYTES ||
	    newlen > SIZE_MAX / 2 - JOURNAL_HEADER_BYTES)
		return -1;
	total = JOURNAL_HEADER_BYTES + oldlen + newlen;
	if ((p = malloc(total)) == NULL)
		return -1;
	h = journal_fnv(h, old, oldlen);
	h = journal_fnv(h, new, newlen);
	memcpy(p, JOURNAL_MAGIC, JOURNAL_MAGIC_BYTES);
	journal_put64(p + 8, oldlen);
	journal_put64(p + 16, newlen);
	journal_put64(p + 24, h);
	if (oldlen > 0)
		memcpy(p + JOURNAL_HEADER_BYTES, old, oldlen);
	if (newlen > 0)
		memcpy(p + JOURNAL_HEADER_BYTES + oldlen, new, newlen);
	*out = p;
	*outlen = total;
	return 0;
}

int
journal_decode(const char *buf, size_t len, const char **old, size_t *oldlen,
    const char **new, size_t *newlen)
{
	uint64_t	 lo, ln, h = 1469598103934665603ull;

	if (len < JOURNAL_HEADER_BYTES ||
	    memcmp(buf, JOURNAL_MAGIC, JOURNAL_MAGIC_BYTES) != 0)
		return -1;
	lo = journal_get64(buf + 8);
	ln = journal_get64(buf + 16);
	if (lo > len || ln > len || JOURNAL_HEADER_BYTES + lo + ln != len)
		return -1;
	h = journal_fnv(h, buf + JOURNAL_HEADER_BYTES, (size_t)(lo + ln));
	if (h != journal_get64(buf + 24))
		return -1;
	*old = buf + JOURNAL_HEADER_BYTES;
	*oldlen = (size_t)lo;
	*new = buf + JOURNAL_HEADER_BYTES + lo;
	*newlen = (size_t)ln;
	return 0;
}

/* True when cur is a's bytes up to some offset and b's after it (or, past
 * both a's and b's common length, zeros where the file was extended). */
static int
journal_split(const char *cur, size_t curlen, const char *a, size_t alen,
    const char *b, size_t blen)
{
	size_t	 k = 0, i;

	/* The longest prefix from a will do: any split point before it
	 * leaves the same bytes after it. */
	while (k < curlen && k < alen && cur[k] == a[k])
		k++;
	if (k == curlen)
		return 1;
	if (curlen <= blen && memcmp(cur + k, b + k, curlen - k) == 0)
		return 1;
	for (i = k; i < curlen && cur[i] == '\0'; i++)
		;
	return i == curlen && curlen <= (alen > blen ? alen : blen);
}

int
journal_matches(const char *cur, size_t curlen, const char *old,
    size_t oldlen, const char *new, size_t newlen)
{
	size_t	 lo = oldlen < newlen ? oldlen : newlen;
	size_t	 hi = oldlen < newlen ? newlen : oldlen;

	if (curlen < lo || curlen > hi)
		return 0;
	/* The rewrite (new over old) or its undoing (old over new). */
	return journal_split(cur, curlen, new, newlen, old, oldlen) ||
	    journal_split(cur, curlen, old, oldlen, new, newlen);
}

/* A line of a buffer: where it starts, its length, a hash of it. */
struct journal_line {
	uint64_t	 hash;
	const char	*p;
	size_t		 n;
};

static int
journal_line_cmp(const void *a, const void *b)
{
	const struct journal_line *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The lines of [buf, buf + len), sorted by hash; *count of them. NULL
 * without memory. */
static struct journal_line *
journal_index(const char *buf, size_t len, size_t *count)
{
	struct journal_line	*v;
	const char		*q = buf, *end = buf + len, *nl;
	size_t			 n = 0, cap = 1;

	for (q = buf; q < end; q = nl + 1, cap++)
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			break;
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return NULL;
	for (q = buf; q < end; n++) {
		nl = memchr(q, '\n', (size_t)(end - q));
		v[n].p = q;
		v[n].n = nl != NULL ? (size_t)(nl + 1 - q) : (size_t)(end - q);
		v[n].hash = journal_fnv(14695981039346656037ull, q, v[n].n);
		q += v[n].n;
	}
	qsort(v, n, sizeof(*v), journal_line_cmp);
	*count = n;
	return v;
}

/* True when the line [p, p + n) (terminator included) is in the index. */
static int
journal_has_line(const struct journal_line *v, size_t count, const char *p,
    size_t n)
{
	uint64_t	 h = journal_fnv(14695981039346656037ull, p, n);
	size_t		 lo = 0, hi = count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < count && v[lo].hash == h; lo++)
		if (v[lo].n == n && memcmp(v[lo].p, p, n) == 0)
			return 1;
	return 0;
}

/* Appends [p, p + n) to the buffer at *out (room for it was made). */
static void
journal_put(char *out, size_t *at, const char *p, size_t n)
{
	memcpy(out + *at, p, n);
	*at += n;
}

int
journal_merge_late(const char *cur, size_t curlen, const char *read,
    size_t readlen, const char *written, size_t writtenlen,
    const char *late, size_t latelen, char **out, size_t *outlen)
{
	const char	*more = late, *end = late + latelen, *nl;
	struct journal_line *index;
	size_t		 at = 0, n, count;
	int		 whole = 0;

	*out = NULL;
	*outlen = 0;
	if (latelen == readlen && memcmp(late, read, readlen) == 0)
		return 0;
	if (latelen > readlen && memcmp(late, read, readlen) == 0)
		more = late + readlen;		/* appended to */
	else if (curlen == writtenlen && memcmp(cur, written, curlen) == 0)
		whole = 1;			/* rewritten; ours is still there */
	if (whole) {
		if ((*out = malloc(latelen + 1)) == NULL)
			return -1;
		journal_put(*out, &at, late, latelen);
		*outlen = at;
		return 0;
	}
	/* Room for cur, two terminators and every late byte. */
	if ((*out = malloc(curlen + 3 + latelen + 1)) == NULL)
		return -1;
	journal_put(*out, &at, cur, curlen);
	if (curlen > 0 && cur[curlen - 1] != '\n')
		journal_put(*out, &at, "\n", 1);
	if (more != late && curlen >= writtenlen &&
	    memcmp(cur, written, writtenlen) == 0) {
		/* Where the writer put them: before what others appended to
		 * the new file since. */
		at = 0;
		journal_put(*out, &at, written, writtenlen);
		if (writtenlen > 0 && written[writtenlen - 1] != '\n')
			journal_put(*out, &at, "\n", 1);
		journal_put(*out, &at, more, (size_t)(end - more));
		if (at > 0 && (*out)[at - 1] != '\n' && curlen > writtenlen)
			journal_put(*out, &at, "\n", 1);
		journal_put(*out, &at, cur + writtenlen, curlen - writtenlen);
		*outlen = at;
		return 0;
	}
	if (more != late) {
		journal_put(*out, &at, more, (size_t)(end - more));
		*outlen = at;
		return 0;
	}
	/* Both changed: keep every line of theirs that cur lacks. */
	if ((index = journal_index(cur, curlen, &count)) == NULL) {
		free(*out);
		*out = NULL;
		return -1;
	}
	while (more < end) {
		nl = memchr(more, '\n', (size_t)(end - more));
		n = nl != NULL ? (size_t)(nl + 1 - more) : (size_t)(end - more);
		if (!journal_has_line(index, count, more, n))
			journal_put(*out, &at, more, n);
		more += n;
	}
	free(index);
	*outlen = at;
	return 0;
}
