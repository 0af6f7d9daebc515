/*
 * jsonv: the edge between untrusted JSON and plain C structs.
 *
 * jsonv_parse checks what cJSON would accept silently (size, NUL bytes,
 * "\u0000" escapes that would cut a string, deep nesting, trailing data)
 * before parsing; the other helpers report type, key and value problems as
 * "FILE: $.json.path: reason", one sentence per problem, into a dwerr.
 */
#ifndef JSONV_H
#define JSONV_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "dwerr.h"

#define JSONV_PATH_BYTES	128u	/* "$.hosts[123456].names[123456]" */
#define JSONV_MAX_PROBLEMS	20u	/* sentences reported; the rest counted */
#define JSONV_MAX_KEYS		16u	/* longest allowed-key list */

/* One validation run: where problems go, how many there were. */
struct jsonv {
	const char	*file;	/* named in every message */
	struct dwerr	*err;
	unsigned	 nerr;
	bool		 oom;
};

/* Starts a run for file (a name for messages) and resets err. */
void	jsonv_init(struct jsonv *v, const char *file, struct dwerr *err);

/* Parses text: returns the tree (free with cJSON_Delete) or NULL after
 * reporting why. Refuses more than max_bytes and nesting over max_depth. */
cJSON	*jsonv_parse(struct jsonv *v, const char *text, size_t len,
	    size_t max_bytes, unsigned max_depth);

/* Reports one problem at path. */
void	jsonv_fail(struct jsonv *v, const char *path, const char *fmt, ...)
	    DW_PRINTF(3, 4);

/* Reports keys of obj not in allowed (a NULL-terminated list) and
 * duplicated keys. */
void	jsonv_keys(struct jsonv *v, const cJSON *obj, const char *path,
	    const char *const *allowed);

/* True when every key of obj is in allowed and none is repeated; then
 * item[k] is the member named allowed[k] (NULL when absent). The quick
 * look before jsonv_keys, which needs the path for its messages. */
bool	jsonv_keys_get(const cJSON *obj, const char *const *allowed,
	    const cJSON **item);

/* "a string", "a number", ..., "missing" for NULL: for messages. */
const char *jsonv_type(const cJSON *item);

/* Quotes a value for a message: printable ASCII kept, other bytes as \xNN,
 * cut after a few dozen characters. out holds JSONV_SHOW_BYTES. */
#define JSONV_SHOW_BYTES 208u
void	jsonv_show(const char *s, char *out);

/* Finishes a run: adds an out-of-memory sentence when needed and returns
 * 0 when no problem was reported, -1 otherwise. */
int	jsonv_done(struct jsonv *v);

#endif
