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
