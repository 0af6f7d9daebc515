/*
 * fuzz_hosts: libFuzzer target for hosts_parse and hosts_render
 * (policy/hosts.c).
 *
 * Input layout: the hosts file, then optionally a NUL and a few control
 * bytes that build the desired entries. Without a NUL the whole input is
 * the hosts file and a default entry is used, so any plain hosts file is a
 * valid seed. (A NUL inside the hosts part still reaches the parser: only
 * the last NUL separates.)
 *
 * Control bytes (missing bytes read as 0):
 *   c0        bit 0: default line ending CRLF; (c0 >> 1) % 5 entries
 *   per entry an address index, a name count (1 + b % 20), and per name a
 *             length (1 + b % 8) and that many alphabet indexes.
 *
 * The markers are the defaults. Properties checked (abort on violation):
 *  - parse fails exactly when the file has a NUL byte, as every UTF-16
 *    file has (nothing here reaches HOSTS_MAX_BYTES);
 *  - the sections and orphan markers match a line-by-line model, and a
 *    render without entries gives back exactly the model's foreign bytes;
 *  - render with entries R keeps every foreign byte: render(parse(R)) with
 *    no entries gives the foreign bytes back, plus at most one line
 *    terminator where the last foreign line lacked one (and with no marker
 *    lines in the input, R starts with the input itself);
 *  - rendering twice changes nothing: render(parse(R)) == R, changed false;
 *  - the section in R is the markers, one comment line, and the entries
 *    with at most HOSTS_NAMES_PER_LINE names per line, every line ending in
 *    the document's line ending.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "dwerr.h"
#include "hosts.h"

#define FUZZ_HOSTS_MAX_ENTRIES	5u	/* (c0 >> 1) % this */
#define FUZZ_HOSTS_MAX_NAMES	20u	/* per entry: three lines' worth */
#define FUZZ_HOSTS_NAME_CHARS	8u	/* longest generated name */
#define FUZZ_HOSTS_BOM		"\xef\xbb\xbf"
#define FUZZ_HOSTS_BOM_BYTES	3u

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_hosts_addrs[] = {
	"127.0.0.1", "10.0.0.1", "::1", "2001:db8::1", "192.168.1.20",
	"fe80::1"
};
#define FUZZ_HOSTS_NADDRS	(sizeof(fuzz_hosts_addrs) / sizeof(fuzz_hosts_addrs[0]))

/* Safe for a hosts line: nothing that ends a line, a field or starts a
 * comment. */
static const char fuzz_hosts_alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-.";
#define FUZZ_HOSTS_NALPHA	(sizeof(fuzz_hosts_alpha) - 1)

/* Used when the input has no control bytes: one entry with two names. */
static const uint8_t fuzz_hosts_default_ctl[] = { 0x02, 0x00, 0x01, 0x03,
	0x07, 0x04, 0x13, 0x00, 0x00 };

static const struct hosts_markers fuzz_hosts_markers = {
	HOSTS_BEGIN_MARKER_DEFAULT, HOSTS_END_MARKER_DEFAULT
};

struct fuzz_hosts_ctl {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
};

/* The model's view of a buffer: which bytes are ours. */
struct fuzz_hosts_model {
	char	*foreign;	/* the bytes that are not ours, in order */
	size_t	 nforeign;
	size_t	 sections;
	size_t	 orphans;
	size_t	 first;		/* first byte that is ours, else len */
	size_t	 last;		/* one past the last byte that is ours */
};

enum fuzz_hosts_kind {
	FUZZ_HOSTS_OTHER,
	FUZZ_HOSTS_BEGIN,
	FUZZ_HOSTS_END
};

static void	fuzz_hosts_fail(const char *what, const char *buf,
		    size_t len) __attribute__((noreturn));

static void
fuzz_hosts_fail(const char *what, const char *buf, size_t len)
{
	size_t	 i;

	fprintf(stderr, "fuzz_hosts: property violated: %s\n", what);
	if (buf != NULL) {
		fprintf(stderr, "fuzz_hosts: %zu bytes: \"", len);
		for (i = 0; i < len && i < 2048; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c == '\n')
				fputs("\\n", stderr);
			else if (c == '\r')
				fputs("\\r", stderr);
			else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				fprintf(stderr, "\\x%02x", c);
			else
				fputc(c, stderr);
		}
		fputs("\"\n", stderr);
	}
	abort();
}

static unsigned
fuzz_hosts_byte(struct fuzz_hosts_ctl *c)
{
	return c->pos < c->len ? c->p[c->pos++] : 0;
}

static void
fuzz_hosts_oom(void)
{
	fprintf(stderr, "fuzz_hosts: out of memory\n");
	abort();
}

static void *
fuzz_hosts_calloc(size_t n, size_t size)
{
	void	*p = calloc(n == 0 ? 1 : n, size);

	if (p == NULL)
		fuzz_hosts_oom();
	return p;
}

/* Builds the desired entries from the control bytes. */
static struct desired_state *
fuzz_hosts_state(struct fuzz_hosts_ctl *c, enum hosts_eol *eol_default)
{
	struct desired_state	*ds;
	unsigned		 c0 = fuzz_hosts_byte(c);
	size_t			 i, j, k, n, len;

	*eol_default = (c0 & 1) ? HOSTS_EOL_CRLF : HOSTS_EOL_LF;
	if ((ds = desired_new()) == NULL)
		fuzz_hosts_oom();
	n = (c0 >> 1) % FUZZ_HOSTS_MAX_ENTRIES;
	if (n == 0)
		return ds;
	ds->hosts = fuzz_hosts_calloc(n, sizeof(*ds->hosts));
	for (i = 0; i < n; i++) {
		struct desired_host *h = &ds->hosts[ds->nhosts++];
		const char *a = fuzz_hosts_addrs[fuzz_hosts_byte(c) %
		    FUZZ_HOSTS_NADDRS];

		h->address = fuzz_hosts_calloc(strlen(a) + 1, 1);
		memcpy(h->address, a, strlen(a) + 1);
		h->nnames = 1 + fuzz_hosts_byte(c) % FUZZ_HOSTS_MAX_NAMES;
		h->names = fuzz_hosts_calloc(h->nnames, sizeof(*h->names));
		for (j = 0; j < h->nnames; j++) {
			len = 1 + fuzz_hosts_byte(c) % FUZZ_HOSTS_NAME_CHARS;
			h->names[j] = fuzz_hosts_calloc(len + 1, 1);
			for (k = 0; k < len; k++)
				h->names[j][k] = fuzz_hosts_alpha[
				    fuzz_hosts_byte(c) % FUZZ_HOSTS_NALPHA];
		}
	}
	return ds;
}

/* The line content [s, e) as the markers see it: no blanks around, and
 * trailing '\r's count as blanks. */
static enum fuzz_hosts_kind
fuzz_hosts_kind(const char *b, size_t s, size_t e)
{
	const struct hosts_markers *m = &fuzz_hosts_markers;

	while (s < e && (b[s] == ' ' || b[s] == '\t'))
		s++;
	while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t' ||
	    b[e - 1] == '\r'))
		e--;
	if (e - s == strlen(m->begin) && memcmp(b + s, m->begin, e - s) == 0)
		return FUZZ_HOSTS_BEGIN;
	if (e - s == strlen(m->end) && memcmp(b + s, m->end, e - s) == 0)
		return FUZZ_HOSTS_END;
	return FUZZ_HOSTS_OTHER;
}

static void
fuzz_hosts_mark(bool *ours, size_t s, size_t e)
{
	for (; s < e; s++)
		ours[s] = true;
}

/*
 * The reference model, written from the contract in hosts.h rather than
 * from hosts.c: a begin line opens a section, the next end line closes it
 * (markers and everything between are ours); a begin line followed by
 * another begin line, a begin line never closed and an end line without a
 * begin are orphans: that line alone is ours. A UTF-8 byte order mark
 * stays foreign even on a marker line at the top of the file; elsewhere a
 * line's leading BOM is ignored for matching and is ours with the line. A
 * line is a marker line when its text, without the terminator and the
 * blanks and '\r's around it, is a marker.
 */
static void
fuzz_hosts_model(const char *b, size_t len, struct fuzz_hosts_model *md)
{
	bool		*ours = fuzz_hosts_calloc(len, sizeof(bool));
	size_t		 pos, next, s, e, ls, pend_s = 0, pend_e = 0, i;
	const char	*nl;
	bool		 pending = false;

	memset(md, 0, sizeof(*md));
	for (pos = 0; pos < len; pos = next) {
		s = pos;
		if (len - pos >= FUZZ_HOSTS_BOM_BYTES &&
		    memcmp(b + pos, FUZZ_HOSTS_BOM, FUZZ_HOSTS_BOM_BYTES) == 0)
			s = pos + FUZZ_HOSTS_BOM_BYTES;
		ls = pos == 0 ? s : pos;
		nl = memchr(b + pos, '\n', len - pos);
		e = nl != NULL ? (size_t)(nl - b) : len;
		next = nl != NULL ? e + 1 : len;
		/* The terminator is "\n" or "\r\n"; more '\r's before it
		 * count as blanks (fuzz_hosts_kind). */
		switch (fuzz_hosts_kind(b, s, e)) {
		case FUZZ_HOSTS_BEGIN:
			if (pending) {
				fuzz_hosts_mark(ours, pend_s, pend_e);
				md->orphans++;
			}
			pending = true;
			pend_s = ls;
			pend_e = next;
			break;
		case FUZZ_HOSTS_END:
			if (pending) {
				fuzz_hosts_mark(ours, pend_s, next);
				md->sections++;
				pending = false;
			} else {
				fuzz_hosts_mark(ours, ls, next);
				md->orphans++;
			}
			break;
		case FUZZ_HOSTS_OTHER:
			break;
		}
	}
	if (pending) {
		fuzz_hosts_mark(ours, pend_s, pend_e);
		md->orphans++;
	}
	md->foreign = fuzz_hosts_calloc(len + 1, 1);
	md->first = len;
	for (i = 0; i < len; i++) {
		if (!ours[i]) {
			md->foreign[md->nforeign++] = b[i];
			continue;
		}
		if (md->first == len)
			md->first = i;
		md->last = i + 1;
	}
	free(ours);
}

static bool
fuzz_hosts_same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static struct hosts_doc *
fuzz_hosts_parse(const char *buf, size_t len, enum hosts_eol eol_default,
    const char *what)
{
	struct hosts_doc	*doc = NULL;
	struct dwerr		 err;

	if (hosts_parse(buf, len, &fuzz_hosts_markers, eol_default, &doc,
	    &err) != 0) {
		if (err.code == ENOMEM)
			fuzz_hosts_oom();
		fprintf(stderr, "fuzz_hosts: %s\n", err.msg);
		fuzz_hosts_fail(what, buf, len);
	}
	return doc;
}

static char *
fuzz_hosts_render(const struct hosts_doc *doc, const struct desired_state *ds,
    size_t *len, bool *changed)
{
	struct dwerr	 err;
	char		*out = NULL;

	if (hosts_render(doc, ds, &out, len, changed, &err) != 0) {
		if (err.code == ENOMEM)
			fuzz_hosts_oom();
		fprintf(stderr, "fuzz_hosts: %s\n", err.msg);
		fuzz_hosts_fail("hosts_render failed", NULL, 0);
	}
	if (out == NULL || out[*len] != '\0')
		fuzz_hosts_fail("hosts_render gave no NUL-terminated buffer",
		    out, *len);
	return out;
}

/* The section of r ([s, e), from the model of r) holds exactly the
 * markers, one comment line and the entries of ds, at most
 * HOSTS_NAMES_PER_LINE names a line, every line ending in eol. */
static void
fuzz_hosts_section(const char *r, size_t s, size_t e,
    const struct desired_state *ds, const char *eol)
{
	const struct hosts_markers *m = &fuzz_hosts_markers;
	size_t		 el = strlen(eol), p = s, i, j, n, words;
	const char	*nl;

	/* Begin marker. */
	n = strlen(m->begin);
	if (e - p < n + el || memcmp(r + p, m->begin, n) != 0 ||
	    memcmp(r + p + n, eol, el) != 0)
		fuzz_hosts_fail("the section does not start with the begin "
		    "marker line", r + s, e - s);
	p += n + el;
	/* The comment line. */
	if ((nl = memchr(r + p, '\n', e - p)) == NULL || r[p] != '#' ||
	    (size_t)(nl - r) + 1 < p + el ||
	    memcmp(nl + 1 - el, eol, el) != 0)
		fuzz_hosts_fail("the section lacks its comment line", r + s,
		    e - s);
	p = (size_t)(nl - r) + 1;
	/* The entries. */
	for (i = 0; i < ds->nhosts; i++) {
		const struct desired_host *h = &ds->hosts[i];

		for (j = 0; j < h->nnames; j += HOSTS_NAMES_PER_LINE) {
			size_t k, al = strlen(h->address);

			if (e - p < al || memcmp(r + p, h->address, al) != 0)
				fuzz_hosts_fail("an entry line does not start "
				    "with its address", r + s, e - s);
			p += al;
			for (k = j, words = 0; k < h->nnames &&
			    k < j + HOSTS_NAMES_PER_LINE; k++, words++) {
				size_t nlen = strlen(h->names[k]);

				if (e - p < 1 + nlen || r[p] != ' ' ||
				    memcmp(r + p + 1, h->names[k], nlen) != 0)
					fuzz_hosts_fail("an entry line does not "
					    "hold the names in order", r + s,
					    e - s);
				p += 1 + nlen;
			}
			if (words > HOSTS_NAMES_PER_LINE)
				fuzz_hosts_fail("more names on a line than "
				    "Windows reads", r + s, e - s);
			if (e - p < el || memcmp(r + p, eol, el) != 0)
				fuzz_hosts_fail("an entry line has more names "
				    "or another line ending", r + s, e - s);
			p += el;
		}
	}
	/* End marker, and nothing after it in the section. */
	n = strlen(m->end);
	if (e - p != n + el || memcmp(r + p, m->end, n) != 0 ||
	    memcmp(r + p + n, eol, el) != 0)
		fuzz_hosts_fail("the section does not end with the end marker "
		    "line", r + s, e - s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_hosts_ctl	 ctl;
	struct fuzz_hosts_model	 md, mr;
	struct desired_state	*ds;
	struct hosts_doc	*doc = NULL, *docr;
	struct dwerr		 err;
	enum hosts_eol		 eol_default;
	const char		*buf = (const char *)data, *eol;
	const uint8_t		*sep;
	char			*f0, *r, *f1, *r2;
	size_t			 len = size, f0len, rlen, f1len, r2len;
	bool			 changed, expect_reject, markers;
	int			 rc;

	/* Split off the control bytes after the last NUL. */
	for (sep = NULL; len > 0; len--)
		if (data[len - 1] == 0) {
			sep = data + len - 1;
			len--;
			break;
		}
	if (sep == NULL) {
		len = size;
		ctl.p = fuzz_hosts_default_ctl;
		ctl.len = sizeof(fuzz_hosts_default_ctl);
	} else {
		ctl.p = sep + 1;
		ctl.len = size - (size_t)(sep + 1 - data);
	}
	ctl.pos = 0;
	ds = fuzz_hosts_state(&ctl, &eol_default);

	/* Parse: refused exactly for NUL bytes (a UTF-16 file always has
	 * them; its byte order mark only picks the message). */
	expect_reject = len > 0 && memchr(buf, '\0', len) != NULL;
	memset(&err, 0, sizeof(err));
	rc = hosts_parse(buf, len, &fuzz_hosts_markers, eol_default, &doc, &err);
	if (rc != 0) {
		if (err.code == ENOMEM)
			fuzz_hosts_oom();
		if (!expect_reject)
			fuzz_hosts_fail("hosts_parse refused a file without a "
			    "NUL or a UTF-16 byte order mark", buf, len);
		if (doc != NULL || err.msg[0] == '\0')
			fuzz_hosts_fail("a refused file left a doc or no "
			    "message", buf, len);
		desired_free(ds);
		return 0;
	}
	if (expect_reject)
		fuzz_hosts_fail("hosts_parse accepted a file with a NUL or a "
		    "UTF-16 byte order mark", buf, len);
	eol = hosts_doc_eol(doc) == HOSTS_EOL_CRLF ? "\r\n" : "\n";

	/* The parser agrees with the model. */
	fuzz_hosts_model(buf, len, &md);
	if (hosts_doc_sections(doc) != md.sections ||
	    hosts_doc_orphan_markers(doc) != md.orphans)
		fuzz_hosts_fail("sections or orphan markers differ from the "
		    "model", buf, len);
	markers = md.sections > 0 || md.orphans > 0;

	/* No entries: exactly the foreign bytes. */
	f0 = fuzz_hosts_render(doc, NULL, &f0len, &changed);
	if (!fuzz_hosts_same(f0, f0len, md.foreign, md.nforeign))
		fuzz_hosts_fail("render without entries is not the foreign "
		    "bytes of the model", buf, len);
	if (changed != !fuzz_hosts_same(f0, f0len, buf, len))
		fuzz_hosts_fail("render without entries: wrong changed flag",
		    buf, len);
	if (!markers && changed)
		fuzz_hosts_fail("a file without markers changed with no "
		    "entries", buf, len);

	/* With entries. */
	r = fuzz_hosts_render(doc, ds, &rlen, &changed);
	if (changed != !fuzz_hosts_same(r, rlen, buf, len))
		fuzz_hosts_fail("render: wrong changed flag", buf, len);
	if (ds->nhosts == 0 && !fuzz_hosts_same(r, rlen, f0, f0len))
		fuzz_hosts_fail("render with an empty state is not the "
		    "render without one", buf, len);
	if (!markers && (rlen < len || (len > 0 && memcmp(r, buf, len) != 0)))
		fuzz_hosts_fail("without markers, the output does not start "
		    "with the input", buf, len);

	/* Every foreign byte kept: strip the section again. */
	docr = fuzz_hosts_parse(r, rlen, eol_default,
	    "the rendered file does not parse");
	fuzz_hosts_model(r, rlen, &mr);
	if (hosts_doc_sections(docr) != (ds->nhosts > 0 ? 1u : 0u) ||
	    hosts_doc_orphan_markers(docr) != 0 || mr.orphans != 0)
		fuzz_hosts_fail("the rendered file does not hold exactly one "
		    "section", r, rlen);
	f1 = fuzz_hosts_render(docr, NULL, &f1len, &changed);
	if (!fuzz_hosts_same(f1, f1len, md.foreign, md.nforeign) &&
	    !(md.nforeign > 0 && md.foreign[md.nforeign - 1] != '\n' &&
	    f1len == md.nforeign + strlen(eol) &&
	    memcmp(f1, md.foreign, md.nforeign) == 0 &&
	    memcmp(f1 + md.nforeign, eol, strlen(eol)) == 0))
		fuzz_hosts_fail("a foreign byte was lost, changed or added", buf,
		    len);

	/* The section itself. */
	if (ds->nhosts > 0) {
		if (hosts_doc_eol(docr) != hosts_doc_eol(doc))
			fprintf(stderr, "fuzz_hosts: the rendered file's "
			    "dominant line ending differs from the input's\n");
		fuzz_hosts_section(r, mr.first, mr.last, ds, eol);
	}

	/* Rendering twice changes nothing. */
	r2 = fuzz_hosts_render(docr, ds, &r2len, &changed);
	if (!fuzz_hosts_same(r, rlen, r2, r2len) || changed)
		fuzz_hosts_fail("rendering twice changed the file (input shown)",
		    buf, len);

	free(r2);
	free(f1);
	free(mr.foreign);
	hosts_doc_free(docr);
	free(r);
	free(f0);
	free(md.foreign);
	hosts_doc_free(doc);
	desired_free(ds);
	return 0;
}
