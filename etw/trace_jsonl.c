/*
 * trace_jsonl: the JSON Lines sink. One object per line:
 *   {"ts":"2026-11-25T08:00:00.123456Z","event":"HostsWriteAttempt",
 *    "activity":"...","level":"warning", <fields in schema order>}
 * Each line is flushed as it is written, so a support bundle taken while the
 * watchdog runs (or after it crashed) holds every event up to that moment.
 */
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

#define TRACE_JSONL_TS_BYTES 32u	/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + NUL */

static const uint8_t trace_jsonl_zero[16];

struct trace_jsonl {
	FILE	*fp;
	char	*path;
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

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void
trace_jsonl_string(FILE *fp, const char *str)
{
	const unsigned char	*s = (const unsigned char *)(str != NULL ? str : "");
	size_t			 n;

	fputc('"', fp);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fputc('\\', fp);
			fputc(*s++, fp);
		} else if (*s == '\n') {
			fputs("\\n", fp);
			s++;
		} else if (*s == '\r') {
			fputs("\\r", fp);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", fp);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(fp, "\\u%04x", *s++);
		} else if ((n = trace_jsonl_utf8(s)) == 0) {
			fputs("\\ufffd", fp);
			s++;
		} else {
			fwrite(s, 1, n, fp);
			s += n;
		}
	}
	fputc('"', fp);
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

static void
trace_jsonl_emit(void *ctx, const struct trace_record *rec)
{
	struct trace_jsonl	*j = ctx;
	char			 ts[TRACE_JSONL_TS_BYTES], act[TRACE_GUID_CHARS + 1];
	size_t			 i;

	trace_jsonl_ts(rec->ts_us, ts);
	trace_guid_format(rec->activity, act);
	fprintf(j->fp, "{\"ts\":\"%s\",\"event\":", ts);
	trace_jsonl_string(j->fp, rec->name);
	fprintf(j->fp, ",\"activity\":\"%s\"", act);
	if (memcmp(rec->related, trace_jsonl_zero, sizeof(rec->related)) != 0) {
		trace_guid_format(rec->related, act);
		fprintf(j->fp, ",\"related\":\"%s\"", act);
	}
	fprintf(j->fp, ",\"level\":\"%s\"", trace_jsonl_level(rec->level));
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		fputc(',', j->fp);
		trace_jsonl_string(j->fp, f->name);
		fputc(':', j->fp);
		switch (f->type) {
		case TRACE_T_U32:
		case TRACE_T_ERRCODE:
			fprintf(j->fp, "%lu", (unsigned long)f->v.u32);
			break;
		case TRACE_T_U64:
			fprintf(j->fp, "%llu", (unsigned long long)f->v.u64);
			break;
		case TRACE_T_STR:
			trace_jsonl_string(j->fp, f->v.str);
			break;
		case TRACE_T_BOOL:
			fputs(f->v.b ? "true" : "false", j->fp);
			break;
		}
	}
	fputs("}\n", j->fp);
	fflush(j->fp);
}

static void
trace_jsonl_free(void *ctx)
{
	struct trace_jsonl	*j = ctx;

	if (j == NULL)
		return;
	if (j->fp != NULL)
		fclose(j->fp);
	free(j->path);
	free(j);
}

static const struct trace_sink_ops trace_jsonl_ops = {
	trace_jsonl_emit,
	trace_jsonl_free
};

int
trace_add_jsonl(struct trace *t, const char *path, struct dwerr *err)
{
	struct trace_jsonl	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = dwstr_dup(path)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		trace_jsonl_free(j);
		return -1;
	}
	if ((j->fp = fopen(path, "a")) == NULL) {
		int e = errno;

		dwerr_set(err, e, "%s: cannot open the trace file: %s", path,
		    strerror(e));
		trace_jsonl_free(j);
		return -1;
	}
	if (trace_add_sink(t, &trace_jsonl_ops, j) != 0) {
		dwerr_set(err, ENOSPC, "too many trace sinks");
		trace_jsonl_free(j);
		return -1;
	}
	return 0;
}
