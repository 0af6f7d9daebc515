/*
 * Tests for policy/hosts.c: the managed section of a hosts file.
 *
 * Exact-byte tests build the expected file in the test. Property tests run
 * over every file in tests/fixtures/hosts/; the table below says, for each,
 * which lines are ours and where the new section goes, and the expected
 * bytes are rebuilt from the input lines with that table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"

#ifndef DW_FIXTURES_DIR
#error "DW_FIXTURES_DIR must name the tests/fixtures directory"
#endif

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define BOM		"\xef\xbb\xbf"
#define BEGIN		HOSTS_BEGIN_MARKER_DEFAULT
#define END		HOSTS_END_MARKER_DEFAULT
#define COMMENT		\
	"# This section is managed by dnswatchdog. Do not edit it by hand."

static const struct hosts_markers defmarkers = { BEGIN, END };
static const struct hosts_markers codermarkers = {
	"# CoderHostsSectionStart", "# CoderHostsSectionEnd"
};

/* A growable byte buffer for expected output. */
struct tbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* One line of a buffer; len includes the terminator. */
struct tline {
	const char	*p;
	size_t		 len;
	bool		 term;
};

static void
tbuf_add(struct tbuf *b, const void *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		assert_non_null(p);
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
tbuf_adds(struct tbuf *b, const char *s)
{
	tbuf_add(b, s, strlen(s));
}

static void
tbuf_free(struct tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Splits at '\n'; *out is malloc'd (NULL when there are no lines). */
static size_t
tlines_split(const char *buf, size_t len, struct tline **out)
{
	struct tline	*l = NULL;
	size_t		 n = 0, i, start;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			n++;
	if (len > 0 && buf[len - 1] != '\n')
		n++;
	if (n > 0) {
		l = calloc(n, sizeof(*l));
		assert_non_null(l);
	}
	n = 0;
	for (start = 0, i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			l[n].p = buf + start;
			l[n].len = i + 1 - start;
			l[n].term = true;
			n++;
			start = i + 1;
		}
	}
	if (start < len) {
		l[n].p = buf + start;
		l[n].len = len - start;
		l[n].term = false;
		n++;
	}
	*out = l;
	return n;
}

/* The section hosts_render is expected to write, built independently. */
static void
expect_section(struct tbuf *b, const struct hosts_markers *m,
    const struct desired_state *ds, const char *eol)
{
	const struct desired_host	*h;
	size_t				 i, j, k;

	tbuf_adds(b, m->begin);
	tbuf_adds(b, eol);
	tbuf_adds(b, COMMENT);
	tbuf_adds(b, eol);
	for (i = 0; i < ds->nhosts; i++) {
		h = &ds->hosts[i];
		for (j = 0; j < h->nnames; j += 9) {
			tbuf_adds(b, h->address);
			for (k = j; k < h->nnames && k < j + 9; k++) {
				tbuf_adds(b, " ");
				tbuf_adds(b, h->names[k]);
			}
			tbuf_adds(b, eol);
		}
	}
	tbuf_adds(b, m->end);
	tbuf_adds(b, eol);
}

/* Parses and renders, asserting that both succeed. */
static void
render_ok(const char *in, size_t len, const struct hosts_markers *m,
    enum hosts_eol eol_default, const struct desired_state *ds,
    struct tbuf *out, bool *changed)
{
	struct hosts_doc	*doc = NULL;
	struct dwerr		 err;
	char			*p = NULL;
	size_t			 n = 0;

	dwerr_reset(&err);
	assert_int_equal(hosts_parse(in, len, m, eol_default, &doc, &err), 0);
	assert_non_null(doc);
	assert_int_equal(hosts_render(doc, ds, &p, &n, changed, &err), 0);
	assert_non_null(p);
	assert_int_equal(p[n], '\0');
	out->len = 0;
	tbuf_add(out, p, n);
	free(p);
	hosts_doc_free(doc);
}

static void
assert_bytes_equal(const struct tbuf *got, const struct tbuf *want)
{
	if (got->len != want->len || memcmp(got->p, want->p, got->len) != 0)
		print_error("got (%lu bytes):\n%s\nwant (%lu bytes):\n%s\n",
		    (unsigned long)got->len, got->p, (unsigned long)want->len,
		    want->p);
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->p, want->p, got->len);
}

/* Test data: a few entries, one with more names than fit on a line. */
static char *names_dev[] = { "dev.coder", "dev-api.coder" };
static char *names_v6[] = { "ipv6.coder" };
static char *names_many[] = {
	"n01.coder", "n02.coder", "n03.coder", "n04.coder", "n05.coder",
	"n06.coder", "n07.coder", "n08.coder", "n09.coder", "n10.coder",
	"n11.coder", "n12.coder", "n13.coder", "n14.coder", "n15.coder",
	"n16.coder", "n17.coder", "n18.coder", "n19.coder", "n20.coder"
};
static struct desired_host hosts_main[] = {
	{ "100.64.0.10", names_dev, nitems(names_dev) },
	{ "fd7a:115c:a1e0::1", names_v6, nitems(names_v6) },
	{ "100.64.0.11", names_many, nitems(names_many) }
};
static const struct desired_state ds_main = {
	.hosts = hosts_main, .nhosts = nitems(hosts_main)
};
static const struct desired_state ds_none = { .nhosts = 0 };

/* The one-entry state most exact tests use, and its section lines. */
static struct desired_host hosts_one[] = {
	{ "100.64.0.10", names_dev, nitems(names_dev) }
};
static const struct desired_state ds_one = {
	.hosts = hosts_one, .nhosts = nitems(hosts_one)
};
/* The same length as ds_one, one byte apart. */
static char *names_near[] = { "dev.coder", "dev-api.codex" };
static struct desired_host hosts_near[] = {
	{ "100.64.0.10", names_near, nitems(names_near) }
};
static const struct desired_state ds_near = {
	.hosts = hosts_near, .nhosts = nitems(hosts_near)
};
#define ONE_LF		BEGIN "\n" COMMENT "\n" \
	"100.64.0.10 dev.coder dev-api.coder\n" END "\n"
#define ONE_CRLF	BEGIN "\r\n" COMMENT "\r\n" \
	"100.64.0.10 dev.coder dev-api.coder\r\n" END "\r\n"

/*
 * Fixtures. ours lists the 1-based lines hosts_parse must treat as ours
 * (sections and orphan markers); insert is the line the new section takes
 * the place of, 0 when it goes at the end. eol is the expected ending with
 * HOSTS_EOL_LF as the default.
 */
struct fixture {
	const char			*file;
	const struct hosts_markers	*markers;
	size_t				 sections;
	size_t				 orphans;
	enum hosts_eol			 eol;
	unsigned			 ours[12];
	unsigned			 insert;
};

static const struct fixture fixtures[] = {
	{ "empty.txt", &defmarkers, 0, 0, HOSTS_EOL_LF, { 0 }, 0 },
	{ "windows_crlf.txt", &defmarkers, 0, 0, HOSTS_EOL_CRLF, { 0 }, 0 },
	{ "windows_crlf_bom.txt", &defmarkers, 0, 0, HOSTS_EOL_CRLF,
	    { 0 }, 0 },
	{ "docker_desktop.txt", &defmarkers, 1, 0, HOSTS_EOL_CRLF,
	    { 11, 12, 13, 14 }, 11 },
	{ "no_trailing_newline.txt", &defmarkers, 0, 0, HOSTS_EOL_LF,
	    { 0 }, 0 },
	{ "mixed_eol.txt", &defmarkers, 1, 0, HOSTS_EOL_CRLF,
	    { 4, 5, 6, 7 }, 4 },
	{ "linux_etc_hosts.txt", &defmarkers, 1, 0, HOSTS_EOL_LF,
	    { 11, 12, 13, 14, 15 }, 11 },
	{ "coder_section.txt", &codermarkers, 1, 0, HOSTS_EOL_CRLF,
	    { 5, 6, 7, 8, 9 }, 5 },
	{ "coder_section.txt", &defmarkers, 0, 0, HOSTS_EOL_CRLF, { 0 }, 0 },
	{ "duplicate_sections.txt", &defmarkers, 2, 0, HOSTS_EOL_LF,
	    { 2, 3, 4, 5, 7, 8, 9, 10 }, 2 },
	{ "orphan_begin.txt", &defmarkers, 1, 2, HOSTS_EOL_LF,
	    { 2, 4, 5, 6, 7, 9 }, 4 },
	{ "orphan_end.txt", &defmarkers, 0, 3, HOSTS_EOL_CRLF,
	    { 1, 4, 6 }, 0 },
	{ "bom_on_marker.txt", &defmarkers, 1, 0, HOSTS_EOL_CRLF,
	    { 1, 2, 3, 4 }, 1 },
};

/* The bytes of every fixture, owned through *state. */
struct fxctx {
	struct tbuf	 data[nitems(fixtures)];
};

static void
fixture_read(const char *file, struct tbuf *b)
{
	char	 path[1024], chunk[4096];
	FILE	*fp;
	size_t	 n;
	int	 r;

	r = snprintf(path, sizeof(path), "%s/hosts/%s", DW_FIXTURES_DIR,
	    file);
	assert_true(r > 0 && (size_t)r < sizeof(path));
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open fixture %s", path);
	tbuf_add(b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		tbuf_add(b, chunk, n);
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
}

static int
fixtures_setup(void **state)
{
	struct fxctx	*ctx;
	size_t		 i;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -1;
	for (i = 0; i < nitems(fixtures); i++)
		fixture_read(fixtures[i].file, &ctx->data[i]);
	*state = ctx;
	return 0;
}

static int
fixtures_teardown(void **state)
{
	struct fxctx	*ctx = *state;
	size_t		 i;

	for (i = 0; i < nitems(fixtures); i++)
		tbuf_free(&ctx->data[i]);
	free(ctx);
	return 0;
}

static bool
fixture_is_ours(const struct fixture *f, size_t lineno)
{
	size_t	 i;

	for (i = 0; i < nitems(f->ours) && f->ours[i] != 0; i++)
		if (f->ours[i] == lineno)
			return true;
	return false;
}

static const char *
fixture_eol(const struct fixture *f)
{
	return f->eol == HOSTS_EOL_CRLF ? "\r\n" : "\n";
}

/*
 * The file hosts_render must produce for fixture f and ds (NULL: none):
 * foreign lines in order, a BOM kept from a line that is ours, the section
 * in place of line f->insert or at the end after a terminator the last
 * foreign line may need.
 */
static void
fixture_expect(const struct fixture *f, const struct tbuf *in,
    const struct desired_state *ds, struct tbuf *want)
{
	struct tline	*l;
	size_t		 n, i;
	bool		 section = ds != NULL && ds->nhosts > 0;

	want->len = 0;
	tbuf_add(want, "", 0);
	n = tlines_split(in->p, in->len, &l);
	if (n > 0 && fixture_is_ours(f, 1) && in->len >= 3 &&
	    memcmp(in->p, BOM, 3) == 0)
		tbuf_add(want, BOM, 3);
	for (i = 0; i < n; i++) {
		if (section && f->insert == i + 1)
			expect_section(want, f->markers, ds, fixture_eol(f));
		if (!fixture_is_ours(f, i + 1))
			tbuf_add(want, l[i].p, l[i].len);
	}
	if (section && f->insert == 0) {
		if (n > 0 && !fixture_is_ours(f, n) && !l[n - 1].term)
			tbuf_adds(want, fixture_eol(f));
		expect_section(want, f->markers, ds, fixture_eol(f));
	}
	free(l);
}

/* Whether the line (terminator, '\r', blanks set aside) equals marker. */
static bool
line_is(const struct tline *l, const char *marker)
{
	const char	*s = l->p;
	size_t		 n = l->len;

	if (n >= 3 && memcmp(s, BOM, 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == strlen(marker) && memcmp(s, marker, n) == 0;
}

static size_t
count_marker_lines(const struct tbuf *b, const char *marker)
{
	struct tline	*l;
	size_t		 n, i, count = 0;

	n = tlines_split(b->p, b->len, &l);
	for (i = 0; i < n; i++)
		if (line_is(&l[i], marker))
			count++;
	free(l);
	return count;
}

/* markers */

static void check_bad_markers(const char *, const char *, const char *,
    const char *);

static void
hosts_markers_check_accepts_usable_pairs(void **state)
{
	const struct hosts_markers docker = {
		"# Added by Docker Desktop", "# End of section"
	};
	char			 longest[HOSTS_MARKER_MAX_CHARS + 1];
	struct hosts_markers	 m;
	struct dwerr		 err;

	(void)state;
	assert_int_equal(hosts_markers_check(&defmarkers, &err), 0);
	assert_int_equal(hosts_markers_check(&codermarkers, &err), 0);
	assert_int_equal(hosts_markers_check(&docker, NULL), 0);

	memset(longest, 'x', sizeof(longest) - 1);
	longest[0] = '#';
	longest[sizeof(longest) - 1] = '\0';
	m.begin = longest;
	m.end = "# end of the 1234 section";
	assert_int_equal(hosts_markers_check(&m, &err), 0);
}

static void
hosts_markers_check_refuses_markers_a_person_might_write(void **state)
{
	(void)state;
	/* Such a marker would make a user's own comment "ours" and delete
	 * the lines after it. */
	check_bad_markers("#", "##", "begin marker", "distinctive");
	check_bad_markers(BEGIN, "# end", "end marker", "distinctive");
	check_bad_markers("#begin", END, "begin marker", "distinctive");
	check_bad_markers("# ---- #### ----", END, "begin marker",
	    "distinctive");
	/* Our own comment line as the end: the section would never close. */
	check_bad_markers(BEGIN,
	    "# This section is managed by dnswatchdog. Do not edit it by hand.",
	    "end marker", "own comment");
}

static void
check_bad_markers(const char *begin, const char *end, const char *which,
    const char *why)
{
	struct hosts_markers	 m = { begin, end };
	struct dwerr		 err;

	dwerr_reset(&err);
	assert_int_equal(hosts_markers_check(&m, &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
	if (strstr(err.msg, which) == NULL || strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" does not say \"%s\" and \"%s\"",
		    err.msg, which, why);
	/* A NULL err is allowed. */
	assert_int_equal(hosts_markers_check(&m, NULL), -1);
}

static void
hosts_markers_check_names_the_marker_and_the_reason(void **state)
{
	char	 toolong[HOSTS_MARKER_MAX_CHARS + 2];
	struct dwerr err;

	(void)state;
	memset(toolong, '=', sizeof(toolong) - 1);
	toolong[0] = '#';
	toolong[sizeof(toolong) - 1] = '\0';

	check_bad_markers(NULL, END, "begin marker", "missing");
	check_bad_markers(BEGIN, NULL, "end marker", "missing");
	check_bad_markers("", END, "begin marker", "empty");
	check_bad_markers(BEGIN, "", "end marker", "empty");
	check_bad_markers(toolong, END, "begin marker", "longer than 128");
	check_bad_markers(BEGIN, toolong, "end marker", "longer than 128");
	check_bad_markers("DnsWatchdogSectionStart", END, "begin marker",
	    "'#'");
	check_bad_markers(BEGIN, "// end of section", "end marker", "'#'");
	check_bad_markers("#\tstart", END, "begin marker", "printable");
	check_bad_markers(BEGIN, "# end\n127.0.0.1 evil", "end marker",
	    "printable");
	check_bad_markers("# start\r", END, "begin marker", "printable");
	check_bad_markers("# caf\xc3\xa9", END, "begin marker", "printable");
	check_bad_markers(BEGIN, "# end\x7f", "end marker", "printable");
	check_bad_markers(" # start", END, "begin marker",
	    "starts with whitespace");
	check_bad_markers(BEGIN, "# end ", "end marker",
	    "ends with whitespace");
	check_bad_markers(BEGIN, BEGIN, "begin and end markers", "same");

	dwerr_reset(&err);
	assert_int_equal(hosts_markers_check(NULL, &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
}

/* parse: refusals and edge inputs */

static void
check_refused(const char *buf, size_t len, const char *why)
{
	struct hosts_doc	*doc = (struct hosts_doc *)&doc;
	struct dwerr		 err;

	dwerr_reset(&err);
	assert_int_equal(hosts_parse(buf, len, &defmarkers, HOSTS_EOL_LF,
	    &doc, &err), -1);
	assert_null(doc);
	assert_int_equal(err.code, DWERR_INPUT);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" does not say \"%s\"", err.msg, why);
}

static void
hosts_parse_refuses_utf16_files(void **state)
{
	struct tbuf	 b = { 0 };

	(void)state;
	fixture_read("utf16le.txt", &b);
	check_refused(b.p, b.len, "UTF-16 files are left untouched");
	check_refused("\xfe\xff\0#\0 \0h", 7,
	    "UTF-16 files are left untouched");
	/* A UTF-32 LE mark starts like the UTF-16 LE one. */
	check_refused("\xff\xfe\0\0#\0\0\0", 8,
	    "UTF-16 files are left untouched");
	/* UTF-32 BE starts with NUL bytes. */
	check_refused("\0\0\xfe\xff", 4, "NUL byte at line 1");
	tbuf_free(&b);
}

static void
hosts_parse_refuses_nul_bytes_and_names_the_line(void **state)
{
	struct tbuf	 b = { 0 };

	(void)state;
	fixture_read("nul_byte.txt", &b);
	check_refused(b.p, b.len, "NUL byte at line 2");
	check_refused("a\r\nb\nc\0", 7, "NUL byte at line 3");
	tbuf_free(&b);
}

static void
hosts_parse_refuses_files_over_the_size_limit(void **state)
{
	struct hosts_doc	*doc = NULL;
	char			*big;

	(void)state;
	big = malloc(HOSTS_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, 'a', HOSTS_MAX_BYTES + 1);
	check_refused(big, HOSTS_MAX_BYTES + 1, "left untouched");
	/* The limit itself is accepted. */
	assert_int_equal(hosts_parse(big, HOSTS_MAX_BYTES, &defmarkers,
	    HOSTS_EOL_LF, &doc, NULL), 0);
	hosts_doc_free(doc);
	free(big);
}

static void
hosts_parse_refuses_bad_markers_and_arguments(void **state)
{
	const struct hosts_markers same = { BEGIN, BEGIN };
	struct hosts_doc	*doc = NULL;
	struct dwerr		 err;

	(void)state;
	dwerr_reset(&err);
	assert_int_equal(hosts_parse("a\n", 2, &same, HOSTS_EOL_LF, &doc,
	    &err), -1);
	assert_null(doc);
	assert_int_equal(err.code, DWERR_INPUT);
	assert_int_equal(hosts_parse("a\n", 2, NULL, HOSTS_EOL_LF, &doc,
	    &err), -1);
	assert_int_equal(hosts_parse(NULL, 2, &defmarkers, HOSTS_EOL_LF,
	    &doc, &err), -1);
	assert_int_equal(hosts_parse("a\n", 2, &defmarkers, HOSTS_EOL_LF,
	    NULL, &err), -1);
	assert_null(doc);
}

static void
hosts_parse_accepts_empty_input(void **state)
{
	struct hosts_doc	*doc = NULL;
	struct tbuf		 out = { 0 };
	bool			 changed = true;

	(void)state;
	assert_int_equal(hosts_parse(NULL, 0, &defmarkers, HOSTS_EOL_CRLF,
	    &doc, NULL), 0);
	assert_int_equal(hosts_doc_sections(doc), 0);
	assert_int_equal(hosts_doc_orphan_markers(doc), 0);
	assert_int_equal(hosts_doc_eol(doc), HOSTS_EOL_CRLF);
	hosts_doc_free(doc);

	render_ok("", 0, &defmarkers, HOSTS_EOL_LF, NULL, &out, &changed);
	assert_int_equal(out.len, 0);
	assert_false(changed);
	tbuf_free(&out);
}

static void
hosts_doc_free_and_accessors_accept_null(void **state)
{
	(void)state;
	hosts_doc_free(NULL);
	assert_int_equal(hosts_doc_sections(NULL), 0);
	assert_int_equal(hosts_doc_orphan_markers(NULL), 0);
}

/* render: exact bytes */

static void
hosts_writes_section_into_new_file_with_default_eol(void **state)
{
	struct tbuf	 out = { 0 };
	bool		 changed = false;

	(void)state;
	render_ok("", 0, &defmarkers, HOSTS_EOL_LF, &ds_one, &out, &changed);
	assert_string_equal(out.p, ONE_LF);
	assert_true(changed);

	render_ok("", 0, &defmarkers, HOSTS_EOL_CRLF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, ONE_CRLF);
	assert_true(changed);
	tbuf_free(&out);
}

static void
hosts_splits_more_than_nine_names_over_lines(void **state)
{
	struct desired_host	 h[3] = {
		{ "10.0.0.9", names_many, 9 },
		{ "10.0.0.10", names_many, 10 },
		{ "fd00::19", names_many, 19 },
	};
	struct desired_state	 ds = { .hosts = h, .nhosts = 3 };
	struct tbuf		 out = { 0 };
	bool			 changed;

	(void)state;
	render_ok("", 0, &defmarkers, HOSTS_EOL_LF, &ds, &out, &changed);
	assert_string_equal(out.p, BEGIN "\n" COMMENT "\n"
	    "10.0.0.9 n01.coder n02.coder n03.coder n04.coder n05.coder "
	    "n06.coder n07.coder n08.coder n09.coder\n"
	    "10.0.0.10 n01.coder n02.coder n03.coder n04.coder n05.coder "
	    "n06.coder n07.coder n08.coder n09.coder\n"
	    "10.0.0.10 n10.coder\n"
	    "fd00::19 n01.coder n02.coder n03.coder n04.coder n05.coder "
	    "n06.coder n07.coder n08.coder n09.coder\n"
	    "fd00::19 n10.coder n11.coder n12.coder n13.coder n14.coder "
	    "n15.coder n16.coder n17.coder n18.coder\n"
	    "fd00::19 n19.coder\n"
	    END "\n");
	tbuf_free(&out);
}

static void
hosts_keeps_entries_in_given_order(void **state)
{
	char			*zb[] = { "zeta.coder", "beta.coder" };
	char			*al[] = { "alpha.coder" };
	struct desired_host	 h[2] = {
		{ "10.0.0.2", zb, 2 },
		{ "10.0.0.1", al, 1 },
	};
	struct desired_state	 ds = { .hosts = h, .nhosts = 2 };
	struct tbuf		 out = { 0 };
	bool			 changed;

	(void)state;
	render_ok("", 0, &defmarkers, HOSTS_EOL_LF, &ds, &out, &changed);
	assert_string_equal(out.p, BEGIN "\n" COMMENT "\n"
	    "10.0.0.2 zeta.coder beta.coder\n"
	    "10.0.0.1 alpha.coder\n" END "\n");
	tbuf_free(&out);
}

static void
hosts_appends_section_to_windows_file_with_crlf(void **state)
{
	struct tbuf	 in = { 0 }, out = { 0 }, want = { 0 };
	bool		 changed;

	(void)state;
	fixture_read("windows_crlf.txt", &in);
	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	tbuf_add(&want, in.p, in.len);
	tbuf_adds(&want, ONE_CRLF);
	assert_bytes_equal(&out, &want);
	assert_true(changed);
	tbuf_free(&in);
	tbuf_free(&out);
	tbuf_free(&want);
}

static void
hosts_keeps_foreign_bytes_when_bom(void **state)
{
	struct tbuf	 in = { 0 }, out = { 0 }, want = { 0 };
	bool		 changed;

	(void)state;
	fixture_read("windows_crlf_bom.txt", &in);
	assert_memory_equal(in.p, BOM, 3);
	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	tbuf_add(&want, in.p, in.len);
	tbuf_adds(&want, ONE_CRLF);
	assert_bytes_equal(&out, &want);

	/* Removing the section gives the file back. */
	render_ok(out.p, out.len, &defmarkers, HOSTS_EOL_LF, NULL, &want,
	    &changed);
	assert_bytes_equal(&want, &in);
	assert_true(changed);
	tbuf_free(&in);
	tbuf_free(&out);
	tbuf_free(&want);
}

static void
hosts_keeps_bom_when_first_line_is_begin_marker(void **state)
{
	const char	*in = BOM BEGIN "\r\n" COMMENT "\r\n"
	    "100.64.0.2 old.coder\r\n" END "\r\n127.0.0.1 localhost\r\n";
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, BOM ONE_CRLF "127.0.0.1 localhost\r\n");
	assert_true(changed);

	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, BOM "127.0.0.1 localhost\r\n");

	/* Orphan markers carrying the BOM: the BOM stays. */
	in = BOM BEGIN "\n127.0.0.1 localhost\n";
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, BOM "127.0.0.1 localhost\n");
	in = BOM "  " END "\n127.0.0.1 localhost\n";
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, BOM "127.0.0.1 localhost\n" ONE_LF);
	tbuf_free(&out);
}

static void
hosts_adds_terminator_after_unterminated_last_line(void **state)
{
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	render_ok("a\nb", 3, &defmarkers, HOSTS_EOL_CRLF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, "a\nb\n" ONE_LF);

	render_ok("a\r\nb", 4, &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, "a\r\nb\r\n" ONE_CRLF);

	/* A single unterminated line: the default decides. */
	render_ok("127.0.0.1 localhost", 19, &defmarkers, HOSTS_EOL_CRLF,
	    &ds_one, &out, &changed);
	assert_string_equal(out.p, "127.0.0.1 localhost\r\n" ONE_CRLF);

	/* Without entries nothing is added. */
	render_ok("a\nb", 3, &defmarkers, HOSTS_EOL_LF, NULL, &out, &changed);
	assert_string_equal(out.p, "a\nb");
	assert_false(changed);
	tbuf_free(&out);
}

static void
hosts_replaces_section_where_it_stands(void **state)
{
	const char	*in = "127.0.0.1 localhost\n" BEGIN "\n" COMMENT "\n"
	    "100.64.0.2 old.coder\n" END "\n::1 localhost\n";
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_CRLF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, "127.0.0.1 localhost\n" ONE_LF
	    "::1 localhost\n");
	assert_true(changed);
	tbuf_free(&out);
}

static void
hosts_keeps_docker_desktop_section(void **state)
{
	struct tbuf	 in = { 0 }, out = { 0 };
	bool		 changed;

	(void)state;
	fixture_read("docker_desktop.txt", &in);
	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p,
	    "# Hosts file for this machine.\r\n"
	    "#\r\n"
	    "#\t127.0.0.1       localhost\r\n"
	    "#\t::1             localhost\r\n"
	    "# Added by Docker Desktop\r\n"
	    "192.168.65.254 host.docker.internal\r\n"
	    "192.168.65.254 gateway.docker.internal\r\n"
	    "# To allow the same kube context to work on the host and the "
	    "container:\r\n"
	    "127.0.0.1 kubernetes.docker.internal\r\n"
	    "# End of section\r\n"
	    ONE_CRLF
	    "10.1.2.3\tprinter.lan\r\n");
	tbuf_free(&in);
	tbuf_free(&out);
}

static void
hosts_replaces_coder_section_with_coder_markers(void **state)
{
	struct tbuf	 in = { 0 }, out = { 0 };
	bool		 changed;
	const char	*head = "# Hosts file for this machine.\r\n"
	    "#\t127.0.0.1       localhost\r\n"
	    "#\t::1             localhost\r\n"
	    "\r\n";

	(void)state;
	fixture_read("coder_section.txt", &in);
	render_ok(in.p, in.len, &codermarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_int_equal(strncmp(out.p, head, strlen(head)), 0);
	assert_string_equal(out.p + strlen(head),
	    "# CoderHostsSectionStart\r\n" COMMENT "\r\n"
	    "100.64.0.10 dev.coder dev-api.coder\r\n"
	    "# CoderHostsSectionEnd\r\n");

	/* With our own markers the Coder section is foreign. */
	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_false(changed);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.p, in.p, in.len);
	tbuf_free(&in);
	tbuf_free(&out);
}

static void
hosts_keeps_line_of_100000_bytes(void **state)
{
	struct tbuf	 in = { 0 }, out = { 0 }, want = { 0 };
	size_t		 i;
	bool		 changed;

	(void)state;
	tbuf_adds(&in, "10.0.0.1");
	for (i = 0; in.len < 100000; i++)
		tbuf_adds(&in, i % 2 ? " \tlong-name.example" : " x.example");
	tbuf_adds(&in, "\r\n");
	assert_true(in.len > 100000);
	tbuf_add(&want, in.p, in.len);
	tbuf_adds(&in, BEGIN "\r\n100.64.0.1 old.coder\r\n" END "\r\n"
	    "# after\r\n");
	tbuf_adds(&want, ONE_CRLF "# after\r\n");

	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_bytes_equal(&out, &want);
	tbuf_free(&in);
	tbuf_free(&out);
	tbuf_free(&want);
}

static void
hosts_recognises_markers_with_blanks_around_them(void **state)
{
	const char	*in = "a\n \t" BEGIN "  \r\n100.64.0.1 old.coder\n"
	    "\t" END "\t\nb\n";
	struct hosts_doc *doc = NULL;
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers,
	    HOSTS_EOL_LF, &doc, NULL), 0);
	assert_int_equal(hosts_doc_sections(doc), 1);
	hosts_doc_free(doc);
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, "a\nb\n");
	tbuf_free(&out);
}

static void
hosts_matches_markers_case_sensitively_and_whole(void **state)
{
	const char	*in = "# dnswatchdogsectionstart\n10.0.0.1 a\n"
	    "# DNSWATCHDOGSECTIONEND\n" BEGIN " extra\n# " BEGIN "\n"
	    "x" END "\n";
	struct hosts_doc *doc = NULL;
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers,
	    HOSTS_EOL_LF, &doc, NULL), 0);
	assert_int_equal(hosts_doc_sections(doc), 0);
	assert_int_equal(hosts_doc_orphan_markers(doc), 0);
	hosts_doc_free(doc);
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_int_equal(strncmp(out.p, in, strlen(in)), 0);
	assert_string_equal(out.p + strlen(in), ONE_LF);
	tbuf_free(&out);
}

static void
hosts_treats_lone_cr_as_content(void **state)
{
	const char	*in = "10.0.0.1 a\rb\n" BEGIN "\rX\n" END "\rY\n";
	struct hosts_doc *doc = NULL;
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers,
	    HOSTS_EOL_CRLF, &doc, NULL), 0);
	assert_int_equal(hosts_doc_sections(doc), 0);
	assert_int_equal(hosts_doc_orphan_markers(doc), 0);
	assert_int_equal(hosts_doc_eol(doc), HOSTS_EOL_LF);
	hosts_doc_free(doc);
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_CRLF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, in);
	assert_false(changed);
	tbuf_free(&out);
}

static void
hosts_recognises_unterminated_end_marker_with_trailing_cr(void **state)
{
	const char	*in = "a\n" BEGIN "\r\r\n100.64.0.1 old.coder\n"
	    END "\r";
	struct hosts_doc *doc = NULL;
	struct tbuf	 out = { 0 };
	bool		 changed;

	(void)state;
	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers,
	    HOSTS_EOL_LF, &doc, NULL), 0);
	assert_int_equal(hosts_doc_sections(doc), 1);
	hosts_doc_free(doc);
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_string_equal(out.p, "a\n" ONE_LF);
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, "a\n");
	tbuf_free(&out);
}

static void
hosts_removes_section_when_no_entries(void **state)
{
	const char	*in = "127.0.0.1 localhost\n" BEGIN "\n" COMMENT "\n"
	    "100.64.0.2 old.coder\n" END "\n::1 localhost\n";
	struct tbuf	 out = { 0 };
	bool		 changed = false;

	(void)state;
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_string_equal(out.p, "127.0.0.1 localhost\n::1 localhost\n");
	assert_true(changed);

	changed = false;
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_none, &out,
	    &changed);
	assert_string_equal(out.p, "127.0.0.1 localhost\n::1 localhost\n");
	assert_true(changed);

	/* Only our section: the result is empty. */
	render_ok(ONE_CRLF, strlen(ONE_CRLF), &defmarkers, HOSTS_EOL_LF, NULL,
	    &out, &changed);
	assert_int_equal(out.len, 0);
	assert_true(changed);
	tbuf_free(&out);
}

static void
hosts_reports_unchanged_only_when_bytes_are_equal(void **state)
{
	const char	*in = "127.0.0.1 localhost\n" ONE_LF "::1 localhost\n";
	char		*other[] = { "dev.coder" };
	struct desired_host h = { "100.64.0.10", other, 1 };
	struct desired_state ds = { .hosts = &h, .nhosts = 1 };
	struct tbuf	 out = { 0 };
	bool		 changed = true;

	(void)state;
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds_one, &out,
	    &changed);
	assert_false(changed);
	assert_string_equal(out.p, in);

	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, &ds, &out,
	    &changed);
	assert_true(changed);

	/* As long as before, one byte apart. */
	render_ok(ONE_LF, strlen(ONE_LF), &defmarkers, HOSTS_EOL_LF, &ds_near,
	    &out, &changed);
	assert_int_equal(out.len, strlen(ONE_LF));
	assert_true(changed);

	/* Removing the section is a change. */
	render_ok(in, strlen(in), &defmarkers, HOSTS_EOL_LF, NULL, &out,
	    &changed);
	assert_true(changed);
	tbuf_free(&out);
}

/* eol */

static void
check_eol(const char *in, enum hosts_eol def, enum hosts_eol want)
{
	struct hosts_doc	*doc = NULL;
	struct tbuf		 out = { 0 };
	bool			 changed;

	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers, def, &doc,
	    NULL), 0);
	assert_int_equal(hosts_doc_eol(doc), want);
	hosts_doc_free(doc);
	render_ok(in, strlen(in), &defmarkers, def, &ds_one, &out, &changed);
	assert_non_null(strstr(out.p,
	    want == HOSTS_EOL_CRLF ? ONE_CRLF : ONE_LF));
	if (want == HOSTS_EOL_LF)
		assert_null(strstr(out.p, BEGIN "\r\n"));
	tbuf_free(&out);
}

static void
hosts_uses_crlf_when_crlf_lines_dominate(void **state)
{
	(void)state;
	check_eol("a\r\nb\r\nc\n", HOSTS_EOL_LF, HOSTS_EOL_CRLF);
	check_eol("a\r\nb\r\nc", HOSTS_EOL_LF, HOSTS_EOL_CRLF);
}

static void
hosts_uses_lf_when_lf_lines_dominate(void **state)
{
	(void)state;
	check_eol("a\r\nb\nc\n", HOSTS_EOL_CRLF, HOSTS_EOL_LF);
	check_eol("a\n", HOSTS_EOL_CRLF, HOSTS_EOL_LF);
}

static void
hosts_uses_default_eol_on_tie(void **state)
{
	(void)state;
	check_eol("a\r\nb\n", HOSTS_EOL_LF, HOSTS_EOL_LF);
	check_eol("a\r\nb\n", HOSTS_EOL_CRLF, HOSTS_EOL_CRLF);
	check_eol("127.0.0.1 localhost", HOSTS_EOL_CRLF, HOSTS_EOL_CRLF);
	check_eol("127.0.0.1 localhost", HOSTS_EOL_LF, HOSTS_EOL_LF);
}

static void
hosts_uses_default_eol_for_new_file(void **state)
{
	(void)state;
	check_eol("", HOSTS_EOL_LF, HOSTS_EOL_LF);
	check_eol("", HOSTS_EOL_CRLF, HOSTS_EOL_CRLF);
}

/* injection */

static void
check_rejected(const char *in, const struct desired_state *ds,
    const char *why)
{
	struct hosts_doc	*doc = NULL;
	struct dwerr		 err;
	char			*out = (char *)&doc;
	size_t			 outlen = 1;
	bool			 changed = true;

	assert_int_equal(hosts_parse(in, strlen(in), &defmarkers,
	    HOSTS_EOL_LF, &doc, NULL), 0);
	dwerr_reset(&err);
	assert_int_equal(hosts_render(doc, ds, &out, &outlen, &changed,
	    &err), -1);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_false(changed);
	assert_int_equal(err.code, DWERR_INPUT);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" does not say \"%s\"", err.msg, why);
	/* A NULL err is allowed. */
	assert_int_equal(hosts_render(doc, ds, &out, &outlen, &changed,
	    NULL), -1);
	hosts_doc_free(doc);
}

static void
check_bad_name(const char *name)
{
	char			*names[2] = { "ok.coder", NULL };
	struct desired_host	 h[2] = {
		{ "100.64.0.1", names_dev, 2 },
		{ "100.64.0.2", names, 2 },
	};
	struct desired_state	 ds = { .hosts = h, .nhosts = 2 };

	names[1] = (char *)name;
	check_rejected("127.0.0.1 localhost\n", &ds, "hosts entry 2: name 2");
	check_rejected("", &ds, "hosts entry 2: name 2");
}

static void
check_bad_address(const char *address)
{
	struct desired_host	 h = { NULL, names_dev, 2 };
	struct desired_state	 ds = { .hosts = &h, .nhosts = 1 };

	h.address = (char *)address;
	check_rejected(ONE_LF, &ds, "hosts entry 1: the address");
}

static void
hosts_render_rejects_injection_in_names(void **state)
{
	(void)state;
	check_bad_name("evil.coder\n127.0.0.1 bank.example");
	check_bad_name("evil.coder\r");
	check_bad_name("a#b");
	check_bad_name("#comment");
	check_bad_name("two words");
	check_bad_name("tab\tname");
	check_bad_name("caf\xc3\xa9.coder");
	check_bad_name("under_score");
	check_bad_name("");
	check_bad_name(NULL);
}

static void
hosts_render_rejects_injection_in_addresses(void **state)
{
	(void)state;
	check_bad_address("10.0.0.1 evil.coder");
	check_bad_address("10.0.0.1 10.0.0.2");
	check_bad_address("::1 beef");
	check_bad_address("::1\tbeef");
	check_bad_address("10.0.0.1\n");
	check_bad_address("10.0.0.1#");
	check_bad_address("fe80::1%eth0");
	check_bad_address("gg::1");
	check_bad_address("");
	check_bad_address(NULL);
}

static void
hosts_render_rejects_entries_without_names(void **state)
{
	struct desired_host	 h = { "100.64.0.1", names_dev, 0 };
	struct desired_state	 ds = { .hosts = &h, .nhosts = 1 };
	struct desired_state	 nohosts = { .hosts = NULL, .nhosts = 1 };

	(void)state;
	check_rejected("a\n", &ds, "no names");
	h.nnames = 2;
	h.names = NULL;
	check_rejected("a\n", &ds, "no names");
	check_rejected("a\n", &nohosts, "missing");
}

static void
hosts_render_rejects_missing_arguments(void **state)
{
	struct hosts_doc	*doc = NULL;
	char			*out = NULL;
	size_t			 outlen;
	bool			 changed;

	(void)state;
	assert_int_equal(hosts_render(NULL, &ds_one, &out, &outlen, &changed,
	    NULL), -1);
	assert_null(out);
	assert_int_equal(hosts_parse("", 0, &defmarkers, HOSTS_EOL_LF, &doc,
	    NULL), 0);
	assert_int_equal(hosts_render(doc, &ds_one, NULL, &outlen, &changed,
	    NULL), -1);
	assert_int_equal(hosts_render(doc, &ds_one, &out, NULL, &changed,
	    NULL), -1);
	assert_int_equal(hosts_render(doc, &ds_one, &out, &outlen, NULL,
	    NULL), -1);
	assert_null(out);
	hosts_doc_free(doc);
}

/* properties over every fixture */

static void
hosts_parses_every_fixture_as_described(void **state)
{
	struct fxctx		*ctx = *state;
	struct hosts_doc	*doc;
	size_t			 i;

	for (i = 0; i < nitems(fixtures); i++) {
		doc = NULL;
		assert_int_equal(hosts_parse(ctx->data[i].p, ctx->data[i].len,
		    fixtures[i].markers, HOSTS_EOL_LF, &doc, NULL), 0);
		assert_int_equal(hosts_doc_sections(doc),
		    fixtures[i].sections);
		assert_int_equal(hosts_doc_orphan_markers(doc),
		    fixtures[i].orphans);
		assert_int_equal(hosts_doc_eol(doc), fixtures[i].eol);
		hosts_doc_free(doc);
	}
}

static void
hosts_renders_every_fixture_byte_for_byte(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 out = { 0 }, want = { 0 };
	size_t		 i;
	bool		 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		render_ok(ctx->data[i].p, ctx->data[i].len,
		    fixtures[i].markers, HOSTS_EOL_LF, &ds_main, &out,
		    &changed);
		fixture_expect(&fixtures[i], &ctx->data[i], &ds_main, &want);
		assert_bytes_equal(&out, &want);
		assert_true(changed);
	}
	tbuf_free(&out);
	tbuf_free(&want);
}

/* (1) */
static void
hosts_render_is_idempotent_over_fixtures(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 once = { 0 }, twice = { 0 };
	size_t		 i;
	bool		 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		render_ok(ctx->data[i].p, ctx->data[i].len,
		    fixtures[i].markers, HOSTS_EOL_LF, &ds_main, &once,
		    &changed);
		render_ok(once.p, once.len, fixtures[i].markers,
		    HOSTS_EOL_LF, &ds_main, &twice, &changed);
		assert_false(changed);
		assert_bytes_equal(&twice, &once);
		/* The other default must not matter either. */
		render_ok(once.p, once.len, fixtures[i].markers,
		    HOSTS_EOL_CRLF, &ds_main, &twice, &changed);
		assert_false(changed);
	}
	tbuf_free(&once);
	tbuf_free(&twice);
}

/* (2) */
static void
hosts_remove_after_apply_restores_foreign_bytes(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 applied = { 0 }, removed = { 0 }, want = { 0 };
	struct tline	*l;
	size_t		 i, n;
	bool		 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		const struct fixture *f = &fixtures[i];

		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, &ds_main, &applied, &changed);
		render_ok(applied.p, applied.len, f->markers, HOSTS_EOL_LF,
		    NULL, &removed, &changed);
		fixture_expect(f, &ctx->data[i], NULL, &want);
		/* The one allowed change: a terminator after the last line. */
		n = tlines_split(ctx->data[i].p, ctx->data[i].len, &l);
		if (f->insert == 0 && n > 0 && !l[n - 1].term &&
		    !fixture_is_ours(f, n))
			tbuf_adds(&want, fixture_eol(f));
		free(l);
		assert_bytes_equal(&removed, &want);

		/* Removing straight away gives the same foreign bytes. */
		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, NULL, &removed, &changed);
		fixture_expect(f, &ctx->data[i], NULL, &want);
		assert_bytes_equal(&removed, &want);
		assert_int_equal(changed, f->ours[0] != 0);
	}
	tbuf_free(&applied);
	tbuf_free(&removed);
	tbuf_free(&want);
}

/* (3) */
static void
hosts_keeps_foreign_lines_in_order_over_fixtures(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 out = { 0 };
	struct tline	*in, *got;
	size_t		 i, j, k, nin, ngot;
	bool		 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		const struct fixture *f = &fixtures[i];

		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, &ds_main, &out, &changed);
		nin = tlines_split(ctx->data[i].p, ctx->data[i].len, &in);
		ngot = tlines_split(out.p, out.len, &got);
		/*
		 * Every foreign input line shows up, in order, unchanged
		 * (an unterminated last line may gain a terminator).
		 */
		k = 0;
		for (j = 0; j < nin; j++) {
			size_t	 n = in[j].len;

			if (fixture_is_ours(f, j + 1))
				continue;
			while (k < ngot && (got[k].len < n ||
			    (in[j].term && got[k].len != n) ||
			    memcmp(got[k].p, in[j].p, n) != 0))
				k++;
			if (k == ngot)
				fail_msg("%s: line %lu is lost or out of order",
				    f->file, (unsigned long)(j + 1));
			k++;
		}
		free(in);
		free(got);
	}
	tbuf_free(&out);
}

/* (4) */
static void
hosts_writes_at_most_nine_names_per_line(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 out = { 0 };
	struct tline	*l;
	size_t		 i, j, k, n, spaces, entries;
	bool		 changed, inside;

	for (i = 0; i < nitems(fixtures); i++) {
		const struct fixture *f = &fixtures[i];

		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, &ds_main, &out, &changed);
		n = tlines_split(out.p, out.len, &l);
		inside = false;
		entries = 0;
		for (j = 0; j < n; j++) {
			if (line_is(&l[j], f->markers->begin)) {
				inside = true;
				continue;
			}
			if (line_is(&l[j], f->markers->end))
				inside = false;
			if (!inside || l[j].p[0] == '#')
				continue;
			for (spaces = 0, k = 0; k < l[j].len; k++)
				if (l[j].p[k] == ' ')
					spaces++;
			assert_true(spaces >= 1);
			assert_true(spaces <= HOSTS_NAMES_PER_LINE);
			entries++;
		}
		/* 2 + 1 + 20 names: one, one and three lines. */
		assert_int_equal(entries, 5);
		free(l);
	}
	tbuf_free(&out);
}

/* (5) */
static void
hosts_collapses_duplicate_sections_over_fixtures(void **state)
{
	struct fxctx		*ctx = *state;
	struct hosts_doc	*doc;
	struct tbuf		 out = { 0 };
	size_t			 i;
	bool			 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		const struct fixture *f = &fixtures[i];

		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, &ds_main, &out, &changed);
		doc = NULL;
		assert_int_equal(hosts_parse(out.p, out.len, f->markers,
		    HOSTS_EOL_LF, &doc, NULL), 0);
		assert_int_equal(hosts_doc_sections(doc), 1);
		assert_int_equal(hosts_doc_orphan_markers(doc), 0);
		assert_int_equal(hosts_doc_eol(doc), f->eol);
		hosts_doc_free(doc);
		assert_int_equal(count_marker_lines(&out, f->markers->begin),
		    1);
		assert_int_equal(count_marker_lines(&out, f->markers->end), 1);
	}
	tbuf_free(&out);
}

/* (6) */
static void
hosts_drops_orphan_markers_and_keeps_neighbours(void **state)
{
	struct fxctx	*ctx = *state;
	struct tbuf	 out = { 0 };
	size_t		 i;
	bool		 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		const struct fixture *f = &fixtures[i];

		render_ok(ctx->data[i].p, ctx->data[i].len, f->markers,
		    HOSTS_EOL_LF, NULL, &out, &changed);
		assert_int_equal(count_marker_lines(&out, f->markers->begin),
		    0);
		assert_int_equal(count_marker_lines(&out, f->markers->end), 0);
		if (strcmp(f->file, "orphan_begin.txt") == 0)
			assert_string_equal(out.p, "127.0.0.1 localhost\n"
			    "10.0.0.1 kept.after.orphan\n"
			    "192.168.1.1 gateway\n"
			    "10.0.0.2 also.kept\n");
		if (strcmp(f->file, "orphan_end.txt") == 0)
			assert_string_equal(out.p, "127.0.0.1 localhost\r\n"
			    "192.168.1.1 gateway\r\n"
			    "10.0.0.3 printer\r\n");
	}
	tbuf_free(&out);
}

/* (8) */
static void
hosts_render_rejects_injection_over_fixtures(void **state)
{
	struct fxctx		*ctx = *state;
	struct hosts_doc	*doc;
	char			*evil[] = {
		"ok.coder", "x\n# DnsWatchdogSectionEnd"
	};
	struct desired_host	 h = { "100.64.0.1", evil, 2 };
	struct desired_state	 ds = { .hosts = &h, .nhosts = 1 };
	char			*out;
	size_t			 i, outlen;
	bool			 changed;

	for (i = 0; i < nitems(fixtures); i++) {
		doc = NULL;
		assert_int_equal(hosts_parse(ctx->data[i].p, ctx->data[i].len,
		    fixtures[i].markers, HOSTS_EOL_LF, &doc, NULL), 0);
		out = NULL;
		assert_int_equal(hosts_render(doc, &ds, &out, &outlen,
		    &changed, NULL), -1);
		assert_null(out);
		hosts_doc_free(doc);
	}
}

/* size */

static void
hosts_handles_150000_lines_and_10000_entries(void **state)
{
	struct desired_host	*h;
	struct desired_state	 ds = { .hosts = NULL, .nhosts = 0 };
	struct tbuf		 in = { 0 }, out = { 0 }, again = { 0 };
	char			(*names)[32], *np[10000];
	char			(*addrs)[32];
	size_t			 i, want;
	bool			 changed;

	(void)state;
	h = calloc(nitems(np), sizeof(*h));
	names = calloc(nitems(np), sizeof(*names));
	addrs = calloc(nitems(np), sizeof(*addrs));
	assert_true(h != NULL && names != NULL && addrs != NULL);
	for (i = 0; i < nitems(np); i++) {
		snprintf(names[i], sizeof(names[i]), "host%zu.coder", i);
		snprintf(addrs[i], sizeof(addrs[i]), "100.64.%zu.%zu",
		    i / 256, i % 256);
		np[i] = names[i];
		h[i].address = addrs[i];
		h[i].names = &np[i];
		h[i].nnames = 1;
	}
	ds.hosts = h;
	ds.nhosts = nitems(np);

	for (i = 0; i < 140000; i++)
		tbuf_adds(&in, i % 7 ? "10.1.2.3 some.host.example\r\n" :
		    "# a comment line\r\n");
	tbuf_adds(&in, BEGIN "\r\n100.64.0.1 old.coder\r\n" END "\r\n");

	render_ok(in.p, in.len, &defmarkers, HOSTS_EOL_LF, &ds, &out,
	    &changed);
	assert_true(changed);
	want = in.len - strlen(BEGIN "\r\n100.64.0.1 old.coder\r\n" END
	    "\r\n") + strlen(BEGIN "\r\n" COMMENT "\r\n" END "\r\n");
	for (i = 0; i < nitems(np); i++)
		want += strlen(addrs[i]) + 1 + strlen(names[i]) + 2;
	assert_int_equal(out.len, want);
	assert_memory_equal(out.p, in.p, in.len - strlen(BEGIN
	    "\r\n100.64.0.1 old.coder\r\n" END "\r\n"));

	render_ok(out.p, out.len, &defmarkers, HOSTS_EOL_LF, &ds, &again,
	    &changed);
	assert_false(changed);
	tbuf_free(&in);
	tbuf_free(&out);
	tbuf_free(&again);
	free(h);
	free(names);
	free(addrs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hosts_markers_check_accepts_usable_pairs),
		cmocka_unit_test(hosts_markers_check_refuses_markers_a_person_might_write),
		cmocka_unit_test(
		    hosts_markers_check_names_the_marker_and_the_reason),
		cmocka_unit_test(hosts_parse_refuses_utf16_files),
		cmocka_unit_test(
		    hosts_parse_refuses_nul_bytes_and_names_the_line),
		cmocka_unit_test(hosts_parse_refuses_files_over_the_size_limit),
		cmocka_unit_test(hosts_parse_refuses_bad_markers_and_arguments),
		cmocka_unit_test(hosts_parse_accepts_empty_input),
		cmocka_unit_test(hosts_doc_free_and_accessors_accept_null),
		cmocka_unit_test(
		    hosts_writes_section_into_new_file_with_default_eol),
		cmocka_unit_test(hosts_splits_more_than_nine_names_over_lines),
		cmocka_unit_test(hosts_keeps_entries_in_given_order),
		cmocka_unit_test(
		    hosts_appends_section_to_windows_file_with_crlf),
		cmocka_unit_test(hosts_keeps_foreign_bytes_when_bom),
		cmocka_unit_test(
		    hosts_keeps_bom_when_first_line_is_begin_marker),
		cmocka_unit_test(
		    hosts_adds_terminator_after_unterminated_last_line),
		cmocka_unit_test(hosts_replaces_section_where_it_stands),
		cmocka_unit_test(hosts_keeps_docker_desktop_section),
		cmocka_unit_test(
		    hosts_replaces_coder_section_with_coder_markers),
		cmocka_unit_test(hosts_keeps_line_of_100000_bytes),
		cmocka_unit_test(
		    hosts_recognises_markers_with_blanks_around_them),
		cmocka_unit_test(
		    hosts_matches_markers_case_sensitively_and_whole),
		cmocka_unit_test(hosts_treats_lone_cr_as_content),
		cmocka_unit_test(
		    hosts_recognises_unterminated_end_marker_with_trailing_cr),
		cmocka_unit_test(hosts_removes_section_when_no_entries),
		cmocka_unit_test(
		    hosts_reports_unchanged_only_when_bytes_are_equal),
		cmocka_unit_test(hosts_uses_crlf_when_crlf_lines_dominate),
		cmocka_unit_test(hosts_uses_lf_when_lf_lines_dominate),
		cmocka_unit_test(hosts_uses_default_eol_on_tie),
		cmocka_unit_test(hosts_uses_default_eol_for_new_file),
		cmocka_unit_test(hosts_render_rejects_injection_in_names),
		cmocka_unit_test(hosts_render_rejects_injection_in_addresses),
		cmocka_unit_test(hosts_render_rejects_entries_without_names),
		cmocka_unit_test(hosts_render_rejects_missing_arguments),
		cmocka_unit_test_setup_teardown(
		    hosts_parses_every_fixture_as_described,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_renders_every_fixture_byte_for_byte,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_render_is_idempotent_over_fixtures,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_remove_after_apply_restores_foreign_bytes,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_keeps_foreign_lines_in_order_over_fixtures,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_writes_at_most_nine_names_per_line,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_collapses_duplicate_sections_over_fixtures,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_drops_orphan_markers_and_keeps_neighbours,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_render_rejects_injection_over_fixtures,
		    fixtures_setup, fixtures_teardown),
		cmocka_unit_test(hosts_handles_150000_lines_and_10000_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
