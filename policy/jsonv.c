/* jsonv: validation helpers at the JSON edge (see jsonv.h). */
#include "jsonv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JSONV_SHOW_CHARS 48u	/* how much of a bad value a message quotes */

void
jsonv_init(struct jsonv *v, const char *file, struct dwerr *err)
{
	v->file = file != NULL ? file : "(input)";
	v->err = err;
	v->nerr = 0;
	v->oom = false;
	dwerr_reset(err);
}

void
jsonv_fail(struct jsonv *v, const char *path, const char *fmt, ...)
{
	char	 why[512];
	va_list	 ap;

	/* Past a few dozen problems, more sentences help nobody: count them. */
	if (v->nerr++ >= JSONV_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	dwerr_add(v->err, DWERR_INPUT, "%s: %s: %s", v->file, path, why);
}

void
jsonv_show(const char *s, char *out)
{
	size_t	 o = 0, i;

	out[o++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == JSONV_SHOW_CHARS) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, JSONV_SHOW_BYTES - o,
			    "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

const char *
jsonv_type(const cJSON *item)
{
	if (item == NULL)
		return "missing";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsArray(item))
		return "an array";
	return "an object";
}

/* The index of key in allowed, or JSONV_MAX_KEYS when it is not there. */
static size_t
jsonv_key_index(const char *key, const char *const *allowed)
{
	size_t	 k;

	for (k = 0; k < JSONV_MAX_KEYS && allowed[k] != NULL; k++)
		if (strcmp(key, allowed[k]) == 0)
			return k;
	return JSONV_MAX_KEYS;
}

bool
jsonv_keys_get(const cJSON *obj, const char *const *allowed, const cJSON **item)
{
	const cJSON	*a;
	size_t		 k;

	for (k = 0; k < JSONV_MAX_KEYS && allowed[k] != NULL; k++)
		item[k] = NULL;
	cJSON_ArrayForEach(a, obj) {
		if ((k = jsonv_key_index(a->string, allowed)) == JSONV_MAX_KEYS ||
		    item[k] != NULL)
			return false;
		item[k] = a;
	}
	return true;
}

void
jsonv_keys(struct jsonv *v, const cJSON *obj, const char *path,
    const char *const *allowed)
{
	const cJSON	*a;
	size_t		 k;
	char		 show[JSONV_SHOW_BYTES];
	unsigned	 seen[JSONV_MAX_KEYS] = { 0 };

	/* Linear in the number of keys: each is looked up in the short
	 * allowed list, and only allowed keys can be duplicates worth naming
	 * (an unknown key is an error already). */
	cJSON_ArrayForEach(a, obj) {
		if ((k = jsonv_key_index(a->string, allowed)) == JSONV_MAX_KEYS) {
			jsonv_show(a->string, show);
			jsonv_fail(v, path, "unknown key %s", show);
		} else if (seen[k]++ == 1) {
			jsonv_show(a->string, show);
			jsonv_fail(v, path, "duplicate key %s", show);
		}
	}
}

/* Turns a byte offset into a line and a column, both from 1. */
static void
jsonv_where(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t	 i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/* The bytes the prescan stops at, by what it then does. */
enum {
	JSONV_PLAIN,
	JSONV_NUL,
	JSONV_QUOTE,
	JSONV_BACKSLASH,
	JSONV_OPEN,
	JSONV_CLOSE
};

static const unsigned char jsonv_class[256] = {
	['\0'] = JSONV_NUL, ['"'] = JSONV_QUOTE, ['\\'] = JSONV_BACKSLASH,
	['{'] = JSONV_OPEN, ['['] = JSONV_OPEN,
	['}'] = JSONV_CLOSE, [']'] = JSONV_CLOSE
};

/* The line of byte off, from 1, for a prescan message: newlines that an
 * escape's backslash stepped over (skipped of them) are not counted. */
static size_t
jsonv_line(const char *text, size_t off, size_t skipped)
{
	const char	*p = text, *end = text + off, *nl;
	size_t		 line = 1;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p = nl + 1;
	}
	return line - skipped;
}

/* Raw-byte checks before cJSON sees the text; tracks strings. Skips the
 * bytes that matter to neither with a table, and counts lines only for a
 * message. */
static int
jsonv_prescan(struct jsonv *v, const char *text, size_t len, unsigned max_depth)
{
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 i, depth = 0, skipped = 0;
	bool			 in_str = false;

	for (i = 0; i < len; i++) {
		while (jsonv_class[s[i]] == JSONV_PLAIN)
			if (++i == len)
				return 0;
		switch (jsonv_class[s[i]]) {
		case JSONV_NUL:
			jsonv_fail(v, "$", "NUL byte at line %zu",
			    jsonv_line(text, i, skipped));
			return -1;
		case JSONV_QUOTE:
			in_str = !in_str;
			break;
		case JSONV_BACKSLASH:
			if (!in_str || i + 1 >= len)
				break;
			if (s[i + 1] == 'u' && i + 5 < len &&
			    memcmp(text + i + 2, "0000", 4) == 0) {
				jsonv_fail(v, "$", "\\u0000 escape at line %zu",
				    jsonv_line(text, i, skipped));
				return -1;
			}
			if (s[++i] == '\n')
				skipped++;
			break;
		case JSONV_OPEN:
			if (!in_str && ++depth > max_depth) {
				jsonv_fail(v, "$",
				    "nesting deeper than %u levels at line %zu",
				    max_depth, jsonv_line(text, i, skipped));
				return -1;
			}
			break;
		case JSONV_CLOSE:
			if (!in_str && depth > 0)
				depth--;
			break;
		}
	}
	return 0;
}

/* The deepest nesting of arrays and objects under item (itself
 * included; 0 for a scalar), counted no further than limit + 1. */
static unsigned
jsonv_depth(const cJSON *item, unsigned limit)
{
	const cJSON	*c;
	unsigned	 d, most = 0;

	if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
		return 0;
	if (limit == 0)
		return 1;
	cJSON_ArrayForEach(c, item) {
		if ((d = jsonv_depth(c, limit - 1)) > most)
			most = d;
		if (most >= limit)
			break;
	}
	return most + 1;
}

/*
 * True when the prescan could find nothing in a text that cJSON took
 * whole into root: no NUL byte, no "\u0000" anywhere, no nesting deeper
 * than max_depth (in JSON that parsed, the brackets outside strings are
 * the tree's). Much cheaper than the prescan: two memchr and a walk of
 * the tree.
 */
static bool
jsonv_clean(const char *text, size_t len, const cJSON *root, unsigned max_depth)
{
	const char	*p = text, *end = text + len;

	if (memchr(text, '\0', len) != NULL)
		return false;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
			return false;
		p++;
	}
	return jsonv_depth(root, max_depth) <= max_depth;
}

cJSON *
jsonv_parse(struct jsonv *v, const char *text, size_t len, size_t max_bytes,
    unsigned max_depth)
{
	const char	*end = NULL;
	cJSON		*root;
	size_t		 off, rest, line, col;

	if (len > max_bytes) {
		jsonv_fail(v, "$", "file is %zu bytes, over the limit of %zu",
		    len, max_bytes);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	off = (end != NULL && end >= text) ? (size_t)(end - text) : 0;
	if (off > len)
		off = len;
	rest = off;
	while (rest < len && (text[rest] == ' ' || text[rest] == '\t' ||
	    text[rest] == '\r' || text[rest] == '\n'))
		rest++;
	/* The prescan's problems come first; it need not run on a clean
	 * text that parsed whole. */
	if ((root == NULL || rest < len ||
	    !jsonv_clean(text, len, root, max_depth)) &&
	    jsonv_prescan(v, text, len, max_depth) != 0) {
		cJSON_Delete(root);
		return NULL;
	}
	if (root == NULL) {
		jsonv_where(text, off, &line, &col);
		jsonv_fail(v, "$", "invalid JSON near line %zu, column %zu",
		    line, col);
		return NULL;
	}
	if (rest < len) {
		jsonv_where(text, rest, &line, &col);
		jsonv_fail(v, "$",
		    "unexpected data after the JSON value at line %zu, column %zu",
		    line, col);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int
jsonv_done(struct jsonv *v)
{
	if (v->nerr > JSONV_MAX_PROBLEMS)
		dwerr_add(v->err, DWERR_INPUT, "%s: and %u more problems",
		    v->file, v->nerr - JSONV_MAX_PROBLEMS);
	if (v->oom)
		dwerr_add(v->err, ENOMEM, "%s: out of memory", v->file);
	return (v->nerr > 0 || v->oom) ? -1 : 0;
}
