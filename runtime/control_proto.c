/* control_proto: the control channel's protocol (see control_proto.h). */
#include "control_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dwstr.h"
#include "log.h"

#define CONTROL_CHUNK_BYTES	4096u	/* the least room a reply read gets */

char *
control_proto_request_line(const char *cmd)
{
	cJSON	*o;
	char	*s, *line = NULL;
	size_t	 n;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "cmd", cmd) != NULL &&
	    (s = cJSON_PrintUnformatted(o)) != NULL) {
		n = strlen(s);
		if ((line = malloc(n + 2)) != NULL) {
			memcpy(line, s, n);
			memcpy(line + n, "\n", 2);
		}
		cJSON_free(s);
	}
	cJSON_Delete(o);
	return line;
}

/*
 * Looks for the newline in the n bytes just read after the *len bytes
 * held, which had none. True with *len the line's length, without its
 * newline and what came after it; false with *len counting the new bytes.
 */
static bool
control_proto_frame(const char *buf, size_t *len, size_t n)
{
	const char	*nl;

	if ((nl = memchr(buf + *len, '\n', n)) != NULL) {
		*len = (size_t)(nl - buf);
		return true;
	}
	*len += n;
	return false;
}

/*
 * Reads stop at the limit and one byte: a newline there still ends a line
 * of the longest size, and a byte there without one means too long. The
 * NUL after that has room too.
 */
char *
control_proto_request_room(struct control_request_buf *r, size_t *room)
{
	const size_t	 cap = CONTROL_REQUEST_MAX_BYTES + 1;

	*room = r->len < cap ? cap - r->len : 0;
	return r->buf + (r->len < cap ? r->len : cap);
}

enum control_frame
control_proto_request_add(struct control_request_buf *r, size_t n)
{
	if (control_proto_frame(r->buf, &r->len, n))
		return CONTROL_FRAME_LINE;
	if (r->len > CONTROL_REQUEST_MAX_BYTES)
		return CONTROL_FRAME_LONG;
	return CONTROL_FRAME_MORE;
}

char *
control_proto_request_cmd(struct control_request_buf *r, const char **reply)
{
	cJSON	*root, *cmd;
	char	*s;

	if (r->len > CONTROL_REQUEST_MAX_BYTES) {
		log_debug("control: refused a request over %u bytes",
		    CONTROL_REQUEST_MAX_BYTES);
		*reply = CONTROL_ERR_LONG;
		return NULL;
	}
	/* cJSON stops at a NUL: one inside the line would hide the rest. */
	r->buf[r->len] = '\0';
	if (memchr(r->buf, '\0', r->len) != NULL ||
	    (root = cJSON_ParseWithLengthOpts(r->buf, r->len + 1, NULL, 1)) ==
	    NULL) {
		log_debug("control: a request that is not JSON");
		*reply = CONTROL_ERR_JSON;
		return NULL;
	}
	cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
	if (!cJSON_IsObject(root) || !cJSON_IsString(cmd) ||
	    cmd->valuestring[0] == '\0') {
		cJSON_Delete(root);
		log_debug("control: a request without a \"cmd\" string");
		*reply = CONTROL_ERR_CMD;
		return NULL;
	}
	s = dwstr_dup(cmd->valuestring);
	cJSON_Delete(root);
	if (s == NULL) {
		log_error("control: out of memory for a request");
		*reply = CONTROL_ERR_MEMORY;
		return NULL;
	}
	log_debug("control: request \"%s\"", s);
	return s;
}

/*
 * The buffer doubles whenever less than a chunk is free, so a long reply
 * takes few reads and few copies; it stops growing at the limit.
 */
int
control_proto_reply_room(struct control_reply_buf *r, char **at,
    size_t *room)
{
	size_t	 cap;
	char	*nb;

	if (r->cap - r->len < CONTROL_CHUNK_BYTES) {
		if (r->cap >= CONTROL_REPLY_MAX_BYTES) {
			errno = EMSGSIZE;
			return -1;
		}
		cap = r->cap == 0 ? CONTROL_CHUNK_BYTES * 2 : r->cap * 2;
		if ((nb = realloc(r->buf, cap + 1)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		r->buf = nb;
		r->cap = cap;
	}
	*at = r->buf + r->len;
	*room = r->cap - r->len;
	return 0;
}

bool
control_proto_reply_add(struct control_reply_buf *r, size_t n)
{
	if (!control_proto_frame(r->buf, &r->len, n))
		return false;
	r->buf[r->len] = '\0';
	return true;
}
