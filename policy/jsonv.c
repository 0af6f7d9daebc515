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
		for (k = 0; k < JSONV_MAX_KEYS && allowed[k] != NULL; k++)
			if (strcmp(a->string, allowed[k]) == 0)
				break;
		jsonv_show(a->string, show);
		if (k == JSONV_MAX_KEYS || allowed[k] == NULL)
			jsonv_fail(v, path, "unknown key %s", show);
		else if (seen[k]++ == 1)
			jsonv_fail(v, path, "duplicate key %s", show);
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

/* Raw-byte checks before cJSON sees the text; tracks strings. */
static int
jsonv_prescan(struct jsonv *v, const char *text, size_t len, unsigned max_depth)
{
	size_t	 i, depth = 0, line = 1;
	bool	 in_str = false;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\0') {
			jsonv_fail(v, "$", "NUL byte at line %zu", line);
			return -1;
		}
		if (c == '\n')
			line++;
		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				if (text[i + 1] == 'u' && i + 5 < len &&
				    memcmp(text + i + 2, "0000", 4) == 0) {
					jsonv_fail(v, "$",
					    "\\u0000 escape at line %zu", line);
					return -1;
				}
				i++;
			} else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > max_depth) {
				jsonv_fail(v, "$",
				    "nesting deeper than %u levels at line %zu",
				    max_depth, line);
				return -1;
			}
		} else if ((c == '}' || c == ']') && depth > 0)
			depth--;
	}
	return 0;
}

cJSON *
jsonv_parse(struct jsonv *v, const char *text, size_t len, size_t max_bytes,
    unsigned max_depth)
{
	const char	*end = NULL;
	cJSON		*root;
	size_t		 off, line, col;

	if (len > max_bytes) {
		jsonv_fail(v, "$", "file is %zu bytes, over the limit of %zu",
		    len, max_bytes);
		return NULL;
	}
	if (jsonv_prescan(v, text, len, max_depth) != 0)
		return NULL;
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	off = (end != NULL && end >= text) ? (size_t)(end - text) : 0;
	if (off > len)
		off = len;
	if (root == NULL) {
		jsonv_where(text, off, &line, &col);
		jsonv_fail(v, "$", "invalid JSON near line %zu, column %zu",
		    line, col);
		return NULL;
	}
	while (off < len && (text[off] == ' ' || text[off] == '\t' ||
	    text[off] == '\r' || text[off] == '\n'))
		off++;
	if (off < len) {
		jsonv_where(text, off, &line, &col);
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
