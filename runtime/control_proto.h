/*
 * control_proto: the control channel's protocol, the same over every
 * transport. One JSON object per line each way:
 *   request  {"cmd":"status"}            reply {"ok":true,...}
 *   request  {"cmd":"reconcile"}         reply when the pass has ended
 *   request  {"cmd":"reload"}            reply when the reload is done
 * A request that is too long, not JSON, or without a "cmd" string gets one
 * of the error replies below from the channel itself; the daemon answers
 * the rest (unknown commands: {"ok":false,"error":"..."}).
 *
 * The server reads a request into a struct control_request_buf and asks
 * control_proto_request_cmd for its command; the client sends
 * control_proto_request_line and reads the reply into a struct
 * control_reply_buf. The transports (control_unix.c, control_win.c and
 * their clients) only move the bytes.
 */
#ifndef CONTROL_PROTO_H
#define CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_REQUEST_MAX_BYTES 4096u	/* longer requests are refused */
#define CONTROL_REPLY_MAX_BYTES	(1u << 20) /* longest reply a client takes */

/* The channel's own replies, each a line without its newline. */
#define CONTROL_ERR_LONG	"{\"ok\":false,\"error\":\"request too long\"}"
#define CONTROL_ERR_JSON	"{\"ok\":false,\"error\":\"request is not " \
				"valid JSON\"}"
#define CONTROL_ERR_CMD		"{\"ok\":false,\"error\":\"request needs a " \
				"\\\"cmd\\\" string\"}"
#define CONTROL_ERR_MEMORY	"{\"ok\":false,\"error\":\"out of memory\"}"
/* Formats: the idle limit (unsigned long long ms), the client cap
 * (unsigned). */
#define CONTROL_ERR_IDLE	"{\"ok\":false,\"error\":\"no request within " \
				"%llu ms\"}"
#define CONTROL_ERR_FULL	"{\"ok\":false,\"error\":\"too many clients " \
				"(%u); try again\"}"
#define CONTROL_ERR_BUSY	"{\"ok\":false,\"error\":\"too few file " \
				"descriptors left; try again\"}"

/* A request line as the server reads it, in place. */
struct control_request_buf {
	size_t	 len;	/* bytes held; over the limit: too long */
	/* The line (up to the limit), its newline, and a NUL. */
	char	 buf[CONTROL_REQUEST_MAX_BYTES + 2];
};

/* What the bytes read so far make. */
enum control_frame {
	CONTROL_FRAME_MORE,	/* no newline yet: read on */
	CONTROL_FRAME_LINE,	/* a whole line */
	CONTROL_FRAME_LONG	/* no newline within the limit */
};

/* A reply line as the client reads it, in a buffer that grows. */
struct control_reply_buf {
	char	*buf;	/* malloc'd; the caller frees it */
	size_t	 len;	/* bytes held, without a newline */
	size_t	 cap;
};

/* {"cmd":cmd} and a newline, malloc'd; NULL when out of memory. */
char	*control_proto_request_line(const char *cmd);

/* Where the next read of a request goes; *room bytes fit there. */
char	*control_proto_request_room(struct control_request_buf *r,
	    size_t *room);
/* Counts n bytes just read at the room. On CONTROL_FRAME_LINE, r->len is
 * the line's length, without its newline and what came after it. */
enum control_frame control_proto_request_add(struct control_request_buf *r,
	    size_t n);
/* The command of the request in r (a whole line, or what came before the
 * peer hung up), malloc'd; NULL with *reply set to the error reply it
 * gets (CONTROL_ERR_*). Logs the request or why it is refused. */
char	*control_proto_request_cmd(struct control_request_buf *r,
	    const char **reply);

/* Where the next read of a reply goes, *at, with *room bytes there; 0, or
 * -1 with errno: EMSGSIZE (over CONTROL_REPLY_MAX_BYTES) or ENOMEM. */
int	 control_proto_reply_room(struct control_reply_buf *r, char **at,
	    size_t *room);
/* Counts n bytes just read at the room; true when they end the line:
 * r->buf then holds it without its newline, NUL-terminated. */
bool	 control_proto_reply_add(struct control_reply_buf *r, size_t n);

#endif
