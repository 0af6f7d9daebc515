/*
 * trace_jsonl: the JSON Lines sink. One object per line:
 *   {"ts":"2026-11-25T08:00:00.123456Z","event":"HostsWriteAttempt",
 *    "activity":"...","level":"warning", <fields in schema order>}
 * Each line is built in memory and written with one write, so a support
 * bundle taken while the watchdog runs (or after it crashed) holds every
 * event up to that moment, and readers never see half a line.
 *
 * The file is bounded: when a line would take it past max_bytes, it is
 * renamed to PATH.1 (replacing the one before) and a new one is started.
 * trace_jsonl_reopen lets go of a file that log rotation moved or removed.
 * A failed write is counted and survived; a line it cut short is ended
 * before the next one, so every other line stays whole.
 */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "trace_file.h"

#define TRACE_JSONL_TS_BYTES	32u	/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + NUL */
#define TRACE_JSONL_NUM_BYTES	48u	/* one formatted number or field */
#define TRACE_JSONL_LINE_BYTES	512u	/* first size of the line buffer */
#define TRACE_JSONL_ROTATED	".1"	/* suffix of the rotated file */

/* The line being built; oom once a grow failed. */
struct trace_jsonl_buf {
	char	*p;
	size_t	 len, cap;
	bool	 oom;
};

struct trace_jsonl {
	struct trace_file	*f;		/* NULL: closed */
	char			*path;		/* NULL: off */
	char			*rotated;	/* path.1 */
	uint64_t		 max_bytes;	/* 0: no cap */
	uint64_t		 size;		/* of the open file */
	bool			 torn;		/* it ends in half a line */
	struct trace_jsonl_buf	 line;
	struct trace_jsonl_stats n;		/* the counters */
	char			 error[DWERR_MSG_BYTES]; /* the last failure */
};

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void
trace_jsonl_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era, z = days + 719468;
	unsigned	 doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void
trace_jsonl_ts(uint64_t ts_us, char *out)
{
	uint64_t	 secs = ts_us / 1000000u, day_s;
	int64_t		 y;
	unsigned	 m, d;

	trace_jsonl_civil((int64_t)(secs / 86400u), &y, &m, &d);
	day_s = secs % 86400u;
	/* Years past 9999 would not fit: they do not occur in a trace. */
	if (snprintf(out, TRACE_JSONL_TS_BYTES,
	    "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)y, m, d,
	    (unsigned)(day_s / 3600u), (unsigned)(day_s / 60u % 60u),
	    (unsigned)(day_s % 60u), (unsigned)(ts_us % 1000000u)) < 0)
		out[0] = '\0';
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
trace_jsonl_utf8(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void
trace_jsonl_put(struct trace_jsonl_buf *b, const void *s, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->oom)
		return;
	if (n > b->cap - b->len) {
		cap = b->cap != 0 ? b->cap : TRACE_JSONL_LINE_BYTES;
		while (cap - b->len < n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
trace_jsonl_puts(struct trace_jsonl_buf *b, const char *s)
{
	trace_jsonl_put(b, s, strlen(s));
}

static void
trace_jsonl_putc(struct trace_jsonl_buf *b, char c)
{
	trace_jsonl_put(b, &c, 1);
}

static void DW_PRINTF(2, 3)
trace_jsonl_putf(struct trace_jsonl_buf *b, const char *fmt, ...)
{
	char	 tmp[TRACE_JSONL_NUM_BYTES];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Numbers and fixed names only: they always fit. */
	if (n > 0 && (size_t)n < sizeof(tmp))
		trace_jsonl_put(b, tmp, (size_t)n);
}

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void
trace_jsonl_string(struct trace_jsonl_buf *b, const char *str)
{
	const unsigned char	*s = (const unsigned char *)(str != NULL ? str : "");
	size_t			 n;

	trace_jsonl_putc(b, '"');
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			trace_jsonl_putc(b, '\\');
			trace_jsonl_putc(b, (char)*s++);
		} else if (*s == '\n') {
			trace_jsonl_puts(b, "\\n");
			s++;
		} else if (*s == '\r') {
			trace_jsonl_puts(b, "\\r");
			s++;
		} else if (*s == '\t') {
			trace_jsonl_puts(b, "\\t");
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			trace_jsonl_putf(b, "\\u%04x", *s++);
		} else if ((n = trace_jsonl_utf8(s)) == 0) {
			trace_jsonl_puts(b, "\\ufffd");
			s++;
		} else {
			trace_jsonl_put(b, s, n);
			s += n;
		}
	}
	trace_jsonl_putc(b, '"');
}

static const char *
trace_jsonl_level(enum trace_level level)
{
	switch (level) {
	case TRACE_LVL_CRITICAL:
		return "critical";
	case TRACE_LVL_ERROR:
		return "error";
	case TRACE_LVL_WARNING:
		return "warning";
	case TRACE_LVL_INFO:
		return "info";
	case TRACE_LVL_VERBOSE:
		return "verbose";
	}
	return "info";
}

/* The event as one line, "\n" included, into j->line. */
static void
trace_jsonl_format(struct trace_jsonl *j, const struct trace_record *rec)
{
	struct trace_jsonl_buf	*b = &j->line;
	char			 ts[TRACE_JSONL_TS_BYTES], act[TRACE_GUID_CHARS + 1];
	size_t			 i;

	b->len = 0;
	b->oom = false;
	trace_jsonl_ts(rec->ts_us, ts);
	trace_guid_format(rec->activity, act);
	trace_jsonl_puts(b, "{\"ts\":\"");
	trace_jsonl_puts(b, ts);
	trace_jsonl_puts(b, "\",\"event\":");
	trace_jsonl_string(b, rec->name);
	trace_jsonl_puts(b, ",\"activity\":\"");
	trace_jsonl_puts(b, act);
	trace_jsonl_putc(b, '"');
	trace_jsonl_puts(b, ",\"level\":\"");
	trace_jsonl_puts(b, trace_jsonl_level(rec->level));
	trace_jsonl_putc(b, '"');
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		trace_jsonl_putc(b, ',');
		trace_jsonl_string(b, f->name);
		trace_jsonl_putc(b, ':');
		switch (f->type) {
		case TRACE_T_U32:
		case TRACE_T_ERRCODE:
			trace_jsonl_putf(b, "%lu", (unsigned long)f->v.u32);
			break;
		case TRACE_T_U64:
			trace_jsonl_putf(b, "%llu",
			    (unsigned long long)f->v.u64);
			break;
		case TRACE_T_STR:
			trace_jsonl_string(b, f->v.str);
			break;
		case TRACE_T_BOOL:
			trace_jsonl_puts(b, f->v.b ? "true" : "false");
			break;
		}
	}
	trace_jsonl_puts(b, "}\n");
}

/* Remembers why the sink failed, for status and the log. */
static void
trace_jsonl_failed(struct trace_jsonl *j, const struct dwerr *err)
{
	memcpy(j->error, err->msg, sizeof(j->error));
}

/* Opens j->path; on success, a new or empty file holds no torn line. */
static int
trace_jsonl_open(struct trace_jsonl *j, struct dwerr *err)
{
	if (trace_file_open(j->path, &j->f, &j->size, err) != 0) {
		trace_jsonl_failed(j, err);
		return -1;
	}
	j->torn = j->torn && j->size > 0;
	return 0;
}

/* Appends buf; a failure is counted, and remembered. */
static int
trace_jsonl_write(struct trace_jsonl *j, const char *buf, size_t len)
{
	struct dwerr	 err;
	size_t		 done = 0;
	int		 rc;

	rc = trace_file_write(j->f, buf, len, &done, &err);
	j->size += done;
	if (rc == 0)
		return 0;
	j->torn = j->torn || done > 0;
	j->n.write_errors++;
	dwerr_prefix(&err, "%s: ", j->path);
	trace_jsonl_failed(j, &err);
	return -1;
}

/* PATH becomes PATH.1 and a new PATH is started. When the rename fails,
 * the file in use goes on (a trace too long beats a lost one). */
static void
trace_jsonl_rotate(struct trace_jsonl *j)
{
	struct dwerr	 err;

	trace_file_close(j->f);
	j->f = NULL;
	if (trace_file_rename(j->path, j->rotated, &err) != 0) {
		j->n.write_errors++;
		trace_jsonl_failed(j, &err);
	} else {
		j->n.rotations++;
		j->torn = false;
	}
	if (trace_jsonl_open(j, &err) != 0)
		j->n.write_errors++;
}

static void
trace_jsonl_emit(void *ctx, const struct trace_record *rec)
{
	struct trace_jsonl	*j = ctx;

	if (j->path == NULL)
		return;		/* off */
	trace_jsonl_format(j, rec);
	if (j->line.oom || j->f == NULL) {
		j->n.dropped++;
		return;
	}
	if (j->max_bytes != 0 && j->size > 0 &&
	    j->size + (j->torn ? 1u : 0u) + j->line.len > j->max_bytes)
		trace_jsonl_rotate(j);
	if (j->f == NULL ||
	    (j->torn && trace_jsonl_write(j, "\n", 1) != 0) ||
	    trace_jsonl_write(j, j->line.p, j->line.len) != 0) {
		j->n.dropped++;
		return;
	}
	j->torn = false;
	j->n.events++;
}

static void
trace_jsonl_free(void *ctx)
{
	struct trace_jsonl	*j = ctx;

	if (j == NULL)
		return;
	trace_file_close(j->f);
	free(j->path);
	free(j->rotated);
	free(j->line.p);
	free(j);
}

static const struct trace_sink_ops trace_jsonl_ops = {
	trace_jsonl_emit,
	trace_jsonl_free
};

int
trace_jsonl_reopen(struct trace_jsonl *j, const char *path,
    uint64_t max_bytes, struct dwerr *err)
{
	char	*np = NULL, *nr = NULL;
	size_t	 len;

	if (path != NULL) {
		len = strlen(path);
		if ((np = dwstr_dup(path)) == NULL ||
		    (nr = malloc(len + sizeof(TRACE_JSONL_ROTATED))) == NULL) {
			free(np);
			dwerr_set(err, ENOMEM, "out of memory");
			return -1;
		}
		memcpy(nr, path, len);
		memcpy(nr + len, TRACE_JSONL_ROTATED,
		    sizeof(TRACE_JSONL_ROTATED));
	}
	trace_file_close(j->f);
	j->f = NULL;
	if (j->path == NULL || np == NULL || strcmp(j->path, np) != 0)
		j->torn = false;	/* that was another file */
	free(j->path);
	free(j->rotated);
	j->path = np;
	j->rotated = nr;
	j->max_bytes = max_bytes;
	j->size = 0;
	j->error[0] = '\0';
	if (j->path == NULL)
		return 0;
	return trace_jsonl_open(j, err);
}

int
trace_add_jsonl(struct trace *t, const char *path, uint64_t max_bytes,
    struct trace_jsonl **out, struct dwerr *err)
{
	struct trace_jsonl	*j;

	if (out != NULL)
		*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if (trace_add_sink(t, &trace_jsonl_ops, j) != 0) {
		dwerr_set(err, ENOSPC, "too many trace sinks");
		trace_jsonl_free(j);
		return -1;
	}
	if (out != NULL)
		*out = j;
	return trace_jsonl_reopen(j, path, max_bytes, err);
}

void
trace_jsonl_stats(const struct trace_jsonl *j, struct trace_jsonl_stats *st)
{
	*st = j->n;
	st->path = j->path;
	st->open = j->f != NULL;
	st->error = j->error[0] != '\0' ? j->error : NULL;
	st->bytes = j->f != NULL ? j->size : 0;
	st->max_bytes = j->max_bytes;
}
