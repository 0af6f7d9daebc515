/*
 * hosts: the managed section of a hosts file (see hosts.h).
 *
 * hosts_parse walks the buffer once, line by line, and records the byte
 * ranges that are ours: every complete section (markers included) and every
 * marker line without its pair. Everything else is foreign. hosts_render
 * sizes the new file first, then copies the foreign ranges and writes the
 * new section in a single pass, so both stay linear in the size of the file.
 */
#include "hosts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_BOM		"\xef\xbb\xbf"	/* UTF-8 byte order mark */
#define HOSTS_BOM_BYTES		3u
#define HOSTS_COMMENT		\
	"# This section is managed by dnswatchdog. Do not edit it by hand."
#define HOSTS_SPANS_FIRST	8u		/* first allocation of spans */
#define HOSTS_MARKER_MIN_ALNUM	8u		/* letters or digits in a marker */

/* A range of bytes [start, end) of the parsed buffer that is ours. */
struct hosts_span {
	size_t	 start;
	size_t	 end;
};

struct hosts_doc {
	const char		*buf;		/* borrowed */
	size_t			 len;

	char			 begin[HOSTS_MARKER_MAX_CHARS + 1];
	size_t			 beginlen;
	char			 end[HOSTS_MARKER_MAX_CHARS + 1];
	size_t			 endlen;

	struct hosts_span	*spans;		/* ours, in file order */
	size_t			 nspans;
	size_t			 spancap;
	size_t			 ourbytes;	/* sum of the spans */

	size_t			 sections;	/* complete sections */
	size_t			 orphans;	/* unpaired marker lines */
	size_t			 insert;	/* 1st section, else len */
	bool			 tailopen;	/* foreign last line, no \n */
	enum hosts_eol		 eol;
};

/* What a line is to the pairing state machine. */
enum hosts_kind {
	HOSTS_KIND_OTHER,
	HOSTS_KIND_BEGIN,
	HOSTS_KIND_END
};

static struct hosts_doc *hosts_doc_new(const char *, size_t,
	    const struct hosts_markers *);
static size_t	hosts_strlen_max(const char *, size_t);
static int	hosts_marker_check(const char *, const char *,
	    struct dwerr *);
static int	hosts_refuse(const char *, size_t, struct dwerr *);
static enum hosts_kind hosts_classify(const struct hosts_doc *, size_t,
	    size_t);
static int	hosts_span_add(struct hosts_doc *, size_t, size_t);
static bool	hosts_is_addr_char(unsigned char);
static bool	hosts_is_name_char(unsigned char);
static int	hosts_word_check(const char *, bool (*)(unsigned char));
static int	hosts_entries_check(const struct desired_state *,
	    struct dwerr *);
static int	hosts_size_add(size_t *, size_t);
static int	hosts_section_size(const struct hosts_doc *,
	    const struct desired_state *, size_t, size_t *);
static char	*hosts_put(char *, const char *, size_t);
static char	*hosts_section_write(const struct hosts_doc *,
	    const struct desired_state *, const char *, size_t, char *);

/* Length of s, or max + 1 when s is longer than max. */
static size_t
hosts_strlen_max(const char *s, size_t max)
{
	size_t	 n;

	for (n = 0; n <= max && s[n] != '\0'; n++)
		;
	return n;
}

static int
hosts_marker_check(const char *which, const char *s, struct dwerr *err)
{
	size_t	 i, n, alnum;

	if (s == NULL) {
		dwerr_set(err, DWERR_INPUT, "the %s marker is missing", which);
		return -1;
	}
	n = hosts_strlen_max(s, HOSTS_MARKER_MAX_CHARS);
	if (n == 0) {
		dwerr_set(err, DWERR_INPUT, "the %s marker is empty", which);
		return -1;
	}
	if (n > HOSTS_MARKER_MAX_CHARS) {
		dwerr_set(err, DWERR_INPUT,
		    "the %s marker is longer than %u characters", which,
		    HOSTS_MARKER_MAX_CHARS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e) {
			dwerr_set(err, DWERR_INPUT, "the %s marker has a "
			    "character that is not printable ASCII at "
			    "position %zu", which, i + 1);
			return -1;
		}
	}
	if (s[0] == ' ') {
		dwerr_set(err, DWERR_INPUT,
		    "the %s marker starts with whitespace", which);
		return -1;
	}
	if (s[n - 1] == ' ') {
		dwerr_set(err, DWERR_INPUT,
		    "the %s marker ends with whitespace", which);
		return -1;
	}
	if (s[0] != '#') {
		dwerr_set(err, DWERR_INPUT,
		    "the %s marker does not start with '#', so it would not "
		    "be a comment in the hosts file", which);
		return -1;
	}
	/* A marker decides which lines are ours and may go: it must not be
	 * a comment a person would write ("#", "# hosts"), nor our own
	 * comment line (the section would then never close). */
	for (i = 0, alnum = 0; i < n; i++)
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			alnum++;
	if (alnum < HOSTS_MARKER_MIN_ALNUM) {
		dwerr_set(err, DWERR_INPUT, "the %s marker is not distinctive "
		    "enough: it needs at least %u letters or digits, like "
		    "\"%s\"", which, HOSTS_MARKER_MIN_ALNUM,
		    HOSTS_BEGIN_MARKER_DEFAULT);
		return -1;
	}
	if (strcmp(s, HOSTS_COMMENT) == 0) {
		dwerr_set(err, DWERR_INPUT, "the %s marker is the section's "
		    "own comment line", which);
		return -1;
	}
	return 0;
}

int
hosts_markers_check(const struct hosts_markers *m, struct dwerr *err)
{
	if (m == NULL) {
		dwerr_set(err, DWERR_INPUT, "the hosts markers are missing");
		return -1;
	}
	if (hosts_marker_check("begin", m->begin, err) == -1 ||
	    hosts_marker_check("end", m->end, err) == -1)
		return -1;
	if (strcmp(m->begin, m->end) == 0) {
		dwerr_set(err, DWERR_INPUT,
		    "the begin and end markers are the same");
		return -1;
	}
	return 0;
}

/* Markers must have passed hosts_markers_check. */
static struct hosts_doc *
hosts_doc_new(const char *buf, size_t len, const struct hosts_markers *m)
{
	struct hosts_doc	*doc;

	if ((doc = calloc(1, sizeof(*doc))) == NULL)
		return NULL;
	doc->buf = buf;
	doc->len = len;
	doc->beginlen = strlen(m->begin);
	memcpy(doc->begin, m->begin, doc->beginlen + 1);
	doc->endlen = strlen(m->end);
	memcpy(doc->end, m->end, doc->endlen + 1);
	doc->insert = len;
	return doc;
}

void
hosts_doc_free(struct hosts_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->spans);
	free(doc);
}

/* Files this module will not rewrite: too big, UTF-16/32, NUL bytes. */
static int
hosts_refuse(const char *buf, size_t len, struct dwerr *err)
{
	const unsigned char	*u = (const unsigned char *)buf;
	const char		*nul;
	size_t			 line, i;

	if (len > HOSTS_MAX_BYTES) {
		dwerr_set(err, DWERR_INPUT, "the hosts file has %zu bytes, "
		    "more than the %u accepted; it is left untouched", len,
		    HOSTS_MAX_BYTES);
		return -1;
	}
	/* A UTF-16 (or UTF-32) file has NUL bytes in every ASCII character;
	 * the two mark bytes alone, with no NUL after them, are just the
	 * first bytes of an 8-bit file (a line starting with them may move
	 * to the top when an orphan marker before it goes). */
	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
	    (u[0] == 0xfe && u[1] == 0xff)) && memchr(buf, '\0', len) != NULL) {
		dwerr_set(err, DWERR_INPUT, "the hosts file starts with a "
		    "UTF-16 byte order mark; UTF-16 files are left untouched");
		return -1;
	}
	if (len > 0 && (nul = memchr(buf, '\0', len)) != NULL) {
		line = 1;
		for (i = 0; i < (size_t)(nul - buf); i++)
			if (buf[i] == '\n')
				line++;
		dwerr_set(err, DWERR_INPUT, "the hosts file has a NUL byte "
		    "at line %zu; it is left untouched", line);
		return -1;
	}
	return 0;
}

/*
 * Classifies the line content [start, end): the caller has removed the
 * terminator and any byte order mark. A trailing '\r' and blanks around the
 * text do not count.
 */
static enum hosts_kind
hosts_classify(const struct hosts_doc *doc, size_t start, size_t end)
{
	const char	*s = doc->buf;
	size_t		 n;

	/* Trailing CRs count as white space: a line reads the same with or
	 * without the terminator a render may add after it ("X\r" and
	 * "X\r\n"), so a marker stays a marker whatever endings it got. */
	while (start < end && (s[start] == ' ' || s[start] == '\t'))
		start++;
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t' ||
	    s[end - 1] == '\r'))
		end--;
	n = end - start;
	if (n == doc->beginlen && memcmp(s + start, doc->begin, n) == 0)
		return HOSTS_KIND_BEGIN;
	if (n == doc->endlen && memcmp(s + start, doc->end, n) == 0)
		return HOSTS_KIND_END;
	return HOSTS_KIND_OTHER;
}

static int
hosts_span_add(struct hosts_doc *doc, size_t start, size_t end)
{
	struct hosts_span	*p;
	size_t			 cap;

	if (doc->nspans == doc->spancap) {
		cap = doc->spancap == 0 ? HOSTS_SPANS_FIRST : doc->spancap;
		if (doc->spancap != 0) {
			if (cap > SIZE_MAX / 2 / sizeof(*p))
				return -1;
			cap *= 2;
		}
		if ((p = realloc(doc->spans, cap * sizeof(*p))) == NULL)
			return -1;
		doc->spans = p;
		doc->spancap = cap;
	}
	doc->spans[doc->nspans].start = start;
	doc->spans[doc->nspans].end = end;
	doc->nspans++;
	doc->ourbytes += end - start;
	return 0;
}

int
hosts_parse(const char *buf, size_t len, const struct hosts_markers *m,
    enum hosts_eol eol_default, struct hosts_doc **out, struct dwerr *err)
{
	struct hosts_doc	*doc;
	const char		*nl;
	size_t			 pos, next, cstart, cend, ncrlf, nlf;
	size_t			 pcrlf, plf;	/* endings after a pending begin */
	size_t			 tcrlf, tlf;	/* endings of all lines, ours too */
	size_t			 lstart;	/* where a line that is ours starts */
	size_t			 pstart, pend;	/* pending begin line */
	bool			 crlf;
	bool			 pending;
	enum hosts_kind		 kind;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || (buf == NULL && len > 0)) {
		dwerr_set(err, DWERR_INPUT, "hosts_parse: no buffer or result");
		return -1;
	}
	if (hosts_markers_check(m, err) == -1)
		return -1;
	if (hosts_refuse(buf, len, err) == -1)
		return -1;
	if ((doc = hosts_doc_new(buf, len, m)) == NULL)
		goto nomem;

	ncrlf = nlf = pcrlf = plf = tcrlf = tlf = 0;
	pstart = pend = 0;
	pending = false;
	for (pos = 0; pos < len; pos = next) {
		/*
		 * cstart: where the line starts once a UTF-8 BOM is set
		 * aside; the BOM stays foreign even on a line that is ours.
		 */
		/* A BOM is set aside for matching on any line (a line can
		 * move to the top of the file when an orphan marker before it
		 * goes); only the file's own first BOM stays foreign. */
		cstart = pos;
		if (len - pos >= HOSTS_BOM_BYTES &&
		    memcmp(buf + pos, HOSTS_BOM, HOSTS_BOM_BYTES) == 0)
			cstart = pos + HOSTS_BOM_BYTES;
		lstart = pos == 0 ? cstart : pos;
		crlf = false;
		if ((nl = memchr(buf + pos, '\n', len - pos)) != NULL) {
			cend = (size_t)(nl - buf);
			next = cend + 1;
			if (cend > pos && buf[cend - 1] == '\r') {
				cend--;
				crlf = true;
			}
		} else {
			cend = len;
			next = len;
		}
		/* An unterminated last line ending in '\r' ends in CRLF once
		 * a render adds either terminator after it: count it so. */
		if (nl == NULL && cend > pos && buf[cend - 1] == '\r')
			crlf = true;
		if (nl != NULL || crlf)
			crlf ? tcrlf++ : tlf++;

		kind = hosts_classify(doc, cstart, cend);
		if (kind == HOSTS_KIND_BEGIN) {
			if (pending) {
				/* The earlier begin was an orphan: the lines
				 * since are foreign after all. */
				if (hosts_span_add(doc, pstart, pend) == -1)
					goto nomem;
				doc->orphans++;
				ncrlf += pcrlf;
				nlf += plf;
			}
			pending = true;
			pcrlf = plf = 0;
			pstart = lstart;
			pend = next;
		} else if (kind == HOSTS_KIND_END) {
			if (pending) {
				if (hosts_span_add(doc, pstart, next) == -1)
					goto nomem;
				if (doc->sections++ == 0)
					doc->insert = pstart;
				pending = false;
			} else {
				if (hosts_span_add(doc, lstart, next) == -1)
					goto nomem;
				doc->orphans++;
			}
		} else {
			/* Only foreign lines decide the file's line ending:
			 * ours change with every render. */
			if (nl != NULL || crlf) {
				if (pending)
					crlf ? pcrlf++ : plf++;
				else
					crlf ? ncrlf++ : nlf++;
			}
			if (nl == NULL)
				doc->tailopen = true;
		}
	}
	if (pending) {
		if (hosts_span_add(doc, pstart, pend) == -1)
			goto nomem;
		doc->orphans++;
		ncrlf += pcrlf;
		nlf += plf;
	}

	/* The foreign lines' dominant ending; on a tie (a file of nothing
	 * but our section, say), every line's; then the default. */
	if (ncrlf != nlf)
		doc->eol = ncrlf > nlf ? HOSTS_EOL_CRLF : HOSTS_EOL_LF;
	else if (tcrlf != tlf)
		doc->eol = tcrlf > tlf ? HOSTS_EOL_CRLF : HOSTS_EOL_LF;
	else
		doc->eol = eol_default;
	*out = doc;
	return 0;

nomem:
	hosts_doc_free(doc);
	dwerr_set(err, ENOMEM, "out of memory parsing the hosts file");
	return -1;
}

size_t
hosts_doc_sections(const struct hosts_doc *doc)
{
	return doc == NULL ? 0 : doc->sections;
}

size_t
hosts_doc_orphan_markers(const struct hosts_doc *doc)
{
	return doc == NULL ? 0 : doc->orphans;
}

enum hosts_eol
hosts_doc_eol(const struct hosts_doc *doc)
{
	return doc == NULL ? HOSTS_EOL_LF : doc->eol;
}

static bool
hosts_is_addr_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

static bool
hosts_is_name_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

/* 0 when s is non-empty and made only of characters ok accepts. */
static int
hosts_word_check(const char *s, bool (*ok)(unsigned char))
{
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++)
		if (!ok((unsigned char)*s))
			return -1;
	return 0;
}

/*
 * The desired state was validated when it was parsed; check again here so
 * that nothing can add a line, a comment or a field to the hosts file.
 */
static int
hosts_entries_check(const struct desired_state *ds, struct dwerr *err)
{
	const struct desired_host	*h;
	size_t				 i, j;

	if (ds->hosts == NULL) {
		dwerr_set(err, DWERR_INPUT, "hosts entries are missing");
		return -1;
	}
	for (i = 0; i < ds->nhosts; i++) {
		h = &ds->hosts[i];
		if (hosts_word_check(h->address, hosts_is_addr_char) == -1) {
			dwerr_set(err, DWERR_INPUT, "hosts entry %zu: the "
			    "address is empty or has a character that is "
			    "not allowed in an IP address", i + 1);
			return -1;
		}
		if (h->nnames == 0 || h->names == NULL) {
			dwerr_set(err, DWERR_INPUT,
			    "hosts entry %zu: the entry has no names", i + 1);
			return -1;
		}
		for (j = 0; j < h->nnames; j++) {
			if (hosts_word_check(h->names[j],
			    hosts_is_name_char) == -1) {
				dwerr_set(err, DWERR_INPUT, "hosts entry %zu: "
				    "name %zu is empty or has a character "
				    "that is not allowed in a host name",
				    i + 1, j + 1);
				return -1;
			}
		}
	}
	return 0;
}

/* *acc += n, or -1 when that would overflow. */
static int
hosts_size_add(size_t *acc, size_t n)
{
	if (n > SIZE_MAX - *acc)
		return -1;
	*acc += n;
	return 0;
}

/* Bytes of the section for ds, each line ending in eollen bytes. */
static int
hosts_section_size(const struct hosts_doc *doc,
    const struct desired_state *ds, size_t eollen, size_t *size)
{
	const struct desired_host	*h;
	size_t				 i, j, alen, n;

	n = 0;
	if (ds->hosts_raw_set) {
		if (hosts_size_add(&n, doc->beginlen + eollen) == -1 ||
		    hosts_size_add(&n, ds->hosts_raw_len) == -1 ||
		    hosts_size_add(&n, doc->endlen + eollen) == -1)
			return -1;
		*size = n;
		return 0;
	}
	if (hosts_size_add(&n, doc->beginlen + eollen) == -1 ||
	    hosts_size_add(&n, strlen(HOSTS_COMMENT) + eollen) == -1 ||
	    hosts_size_add(&n, doc->endlen + eollen) == -1)
		return -1;
	for (i = 0; i < ds->nhosts; i++) {
		h = &ds->hosts[i];
		alen = strlen(h->address);
		for (j = 0; j < h->nnames; j++) {
			/* The address and the terminator once per line. */
			if (j % HOSTS_NAMES_PER_LINE == 0 &&
			    hosts_size_add(&n, alen + eollen) == -1)
				return -1;
			if (hosts_size_add(&n, 1) == -1 ||
			    hosts_size_add(&n, strlen(h->names[j])) == -1)
				return -1;
		}
	}
	*size = n;
	return 0;
}

static char *
hosts_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *
hosts_section_write(const struct hosts_doc *doc,
    const struct desired_state *ds, const char *eol, size_t eollen, char *p)
{
	const struct desired_host	*h;
	size_t				 i, j;

	p = hosts_put(p, doc->begin, doc->beginlen);
	p = hosts_put(p, eol, eollen);
	if (ds->hosts_raw_set) {
		p = hosts_put(p, ds->hosts_raw, ds->hosts_raw_len);
		p = hosts_put(p, doc->end, doc->endlen);
		return hosts_put(p, eol, eollen);
	}
	p = hosts_put(p, HOSTS_COMMENT, strlen(HOSTS_COMMENT));
	p = hosts_put(p, eol, eollen);
	for (i = 0; i < ds->nhosts; i++) {
		h = &ds->hosts[i];
		for (j = 0; j < h->nnames; j++) {
			if (j % HOSTS_NAMES_PER_LINE == 0) {
				if (j > 0)
					p = hosts_put(p, eol, eollen);
				p = hosts_put(p, h->address,
				    strlen(h->address));
			}
			*p++ = ' ';
			p = hosts_put(p, h->names[j], strlen(h->names[j]));
		}
		p = hosts_put(p, eol, eollen);
	}
	p = hosts_put(p, doc->end, doc->endlen);
	p = hosts_put(p, eol, eollen);
	return p;
}

bool
hosts_doc_section_body(const struct hosts_doc *doc, const char **body,
    size_t *len)
{
	const struct hosts_span	*sp;
	size_t			 b, e;

	if (doc->sections != 1 || doc->orphans != 0 || doc->nspans != 1)
		return false;
	sp = &doc->spans[0];
	/* After the begin marker's line end... */
	for (b = sp->start; b < sp->end && doc->buf[b] != '\n'; b++)
		;
	if (b < sp->end)
		b++;
	/* ...up to the start of the end marker's line. */
	e = sp->end;
	if (e > b && doc->buf[e - 1] == '\n')
		e--;
	while (e > b && doc->buf[e - 1] != '\n')
		e--;
	*body = doc->buf + b;
	*len = e - b;
	return true;
}

int
hosts_render(const struct hosts_doc *doc, const struct desired_state *ds,
    char **out, size_t *outlen, bool *changed, struct dwerr *err)
{
	const struct hosts_span	*sp;
	const char		*eol;
	char			*buf, *p;
	size_t			 eollen, secsize, total, cur, i;
	bool			 section, addterm, placed;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (changed != NULL)
		*changed = false;
	if (doc == NULL || out == NULL || outlen == NULL || changed == NULL) {
		dwerr_set(err, DWERR_INPUT,
		    "hosts_render: no document or result");
		return -1;
	}

	section = ds != NULL && (ds->nhosts > 0 || ds->hosts_raw_set);
	if (section && !ds->hosts_raw_set && hosts_entries_check(ds, err) == -1)
		return -1;
	/* A section put back only goes where none is: one that stands
	 * complete is the tunnel's latest, whatever it holds, and markers
	 * that do not pair are lines nobody can say are ours. */
	if (section && ds->hosts_raw_set && (doc->sections > 0 ||
	    doc->orphans > 0)) {
		if ((buf = malloc(doc->len + 1)) == NULL)
			goto nomem;
		if (doc->len > 0)
			memcpy(buf, doc->buf, doc->len);
		buf[doc->len] = '\0';
		*out = buf;
		*outlen = doc->len;
		return 0;
	}
	if (section && ds->hosts_raw_set && ds->hosts_raw_len > 0 &&
	    ds->hosts_raw[ds->hosts_raw_len - 1] != '\n') {
		dwerr_set(err, DWERR_INPUT, "the section to put back does not "
		    "end with a line end");
		return -1;
	}

	if (doc->eol == HOSTS_EOL_CRLF) {
		eol = "\r\n";
		eollen = 2;
	} else {
		eol = "\n";
		eollen = 1;
	}
	secsize = 0;
	addterm = false;
	total = doc->len - doc->ourbytes;
	if (section) {
		/* Only a section at the end can follow an open last line. */
		addterm = doc->tailopen && doc->insert == doc->len;
		if (hosts_section_size(doc, ds, eollen, &secsize) == -1 ||
		    hosts_size_add(&total, secsize) == -1 ||
		    hosts_size_add(&total, addterm ? eollen : 0) == -1 ||
		    hosts_size_add(&total, 1) == -1)
			goto nomem;
	} else
		total++;	/* room for a NUL after the bytes */

	if ((buf = malloc(total)) == NULL)
		goto nomem;
	p = buf;
	cur = 0;
	placed = false;
	for (i = 0; i < doc->nspans; i++) {
		sp = &doc->spans[i];
		p = hosts_put(p, doc->buf + cur, sp->start - cur);
		if (section && !placed && sp->start == doc->insert) {
			p = hosts_section_write(doc, ds, eol, eollen, p);
			placed = true;
		}
		cur = sp->end;
	}
	p = hosts_put(p, doc->buf + cur, doc->len - cur);
	if (section && !placed) {
		if (addterm)
			p = hosts_put(p, eol, eollen);
		p = hosts_section_write(doc, ds, eol, eollen, p);
	}
	*p = '\0';

	*outlen = (size_t)(p - buf);
	*changed = *outlen != doc->len ||
	    (doc->len > 0 && memcmp(buf, doc->buf, doc->len) != 0);
	*out = buf;
	return 0;

nomem:
	dwerr_set(err, ENOMEM, "out of memory rendering the hosts file");
	return -1;
}
