/*
 * Tests for runtime/control_proto.c: the request line a client sends, the
 * framing and the check of a request as the server reads it, the reply
 * line as the client reads it, and the channel's own replies, to the byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control_proto.h"

/* Reads s into r as a transport would, in reads of at most step bytes;
 * the frame the last read made. */
static enum control_frame
feed(struct control_request_buf *r, const char *s, size_t len, size_t step)
{
	enum control_frame	 f = CONTROL_FRAME_MORE;
	size_t			 room, n;
	char			*at;

	while (len > 0 && f == CONTROL_FRAME_MORE) {
		at = control_proto_request_room(r, &room);
		assert_true(room > 0);
		n = len < step ? len : step;
		if (n > room)
			n = room;
		memcpy(at, s, n);
		s += n;
		len -= n;
		f = control_proto_request_add(r, n);
	}
	return f;
}

/* The command of the request line s (with its newline), or NULL with
 * *reply. */
static char *
request_cmd(const char *s, size_t len, const char **reply)
{
	struct control_request_buf	 r;

	memset(&r, 0, sizeof(r));
	*reply = NULL;
	assert_int_equal(feed(&r, s, len, len), CONTROL_FRAME_LINE);
	return control_proto_request_cmd(&r, reply);
}

static void
control_proto_builds_a_request_line(void **state)
{
	char	*line;

	(void)state;
	line = control_proto_request_line("status");
	assert_non_null(line);
	assert_string_equal(line, "{\"cmd\":\"status\"}\n");
	free(line);
	/* Quotes, backslashes and newlines are escaped: one line still. */
	line = control_proto_request_line("a\"b\\c\nd");
	assert_non_null(line);
	assert_string_equal(line, "{\"cmd\":\"a\\\"b\\\\c\\nd\"}\n");
	free(line);
}

static void
control_proto_request_line_round_trips(void **state)
{
	const char	*reply;
	char		*line, *cmd;

	(void)state;
	line = control_proto_request_line("re\"load");
	assert_non_null(line);
	cmd = request_cmd(line, strlen(line), &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "re\"load");
	assert_null(reply);
	free(cmd);
	free(line);
}

static void
control_proto_frames_a_line_over_several_reads(void **state)
{
	static const char		 s[] = "{\"cmd\":\"status\"}\n";
	struct control_request_buf	 r;
	const char			*reply;
	char				*cmd;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(feed(&r, s, 5, 1), CONTROL_FRAME_MORE);
	assert_int_equal(r.len, 5);
	assert_int_equal(feed(&r, s + 5, sizeof(s) - 1 - 5, 3),
	    CONTROL_FRAME_LINE);
	assert_int_equal(r.len, sizeof(s) - 2);
	cmd = control_proto_request_cmd(&r, &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "status");
	free(cmd);
}

static void
control_proto_ends_the_line_at_its_first_newline(void **state)
{
	static const char		 s[] = "{\"cmd\":\"a\"}\n"
					    "{\"cmd\":\"b\"}\n";
	struct control_request_buf	 r;
	const char			*reply;
	char				*cmd;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(feed(&r, s, sizeof(s) - 1, sizeof(s)),
	    CONTROL_FRAME_LINE);
	assert_int_equal(r.len, strlen("{\"cmd\":\"a\"}"));
	cmd = control_proto_request_cmd(&r, &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "a");
	free(cmd);
}

/* A peer that hangs up after its request, without the newline: what is
 * held is the request. */
static void
control_proto_takes_a_line_without_its_newline(void **state)
{
	static const char		 s[] = "{\"cmd\":\"reconcile\"}";
	struct control_request_buf	 r;
	const char			*reply;
	char				*cmd;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(feed(&r, s, sizeof(s) - 1, 4), CONTROL_FRAME_MORE);
	cmd = control_proto_request_cmd(&r, &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "reconcile");
	free(cmd);
}

/* The limit is the line's length without its newline. */
static void
control_proto_takes_a_line_of_the_longest_size(void **state)
{
	struct control_request_buf	 r;
	const char			*reply;
	char				*s, *cmd;
	size_t				 n = CONTROL_REQUEST_MAX_BYTES;

	(void)state;
	/* {"cmd":"xxx...x"} padded with spaces to the limit. */
	assert_non_null(s = malloc(n + 1));
	memset(s, ' ', n);
	memcpy(s, "{\"cmd\":\"x\"}", 11);
	s[n] = '\n';
	memset(&r, 0, sizeof(r));
	assert_int_equal(feed(&r, s, n + 1, 1000), CONTROL_FRAME_LINE);
	assert_int_equal(r.len, n);
	cmd = control_proto_request_cmd(&r, &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "x");
	free(cmd);
	free(s);
}

static void
control_proto_refuses_a_line_over_the_limit(void **state)
{
	struct control_request_buf	 r;
	const char			*reply = NULL;
	char				*s;
	size_t				 n = CONTROL_REQUEST_MAX_BYTES + 1;
	size_t				 room;

	(void)state;
	assert_non_null(s = malloc(n + 1));
	memset(s, ' ', n);
	s[n] = '\n';
	memset(&r, 0, sizeof(r));
	/* One byte over without a newline: no need to wait for it. */
	assert_int_equal(feed(&r, s, n + 1, 700), CONTROL_FRAME_LONG);
	(void)control_proto_request_room(&r, &room);
	assert_int_equal(room, 0);
	assert_null(control_proto_request_cmd(&r, &reply));
	assert_string_equal(reply, CONTROL_ERR_LONG);
	free(s);
}

static void
control_proto_rejects_what_is_not_json(void **state)
{
	static const struct {
		const char	*line;
		size_t		 len;
	} cases[] = {
#define L(s) { s, sizeof(s) - 1 }
		L("\n"),
		L("   \n"),
		L("status\n"),
		L("{\"cmd\":\"status\"\n"),
		L("{\"cmd\":\"status\"} trailing\n"),
		L("{\"cmd\":\"status\"}{}\n"),
		/* A NUL in the line: cJSON would stop there and take it. */
		L("{\"cmd\":\"status\"}\0junk\n"),
		L("{\"cmd\":\"sta\0tus\"}\n"),
#undef L
	};
	const char	*reply;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(request_cmd(cases[i].line, cases[i].len, &reply));
		assert_non_null(reply);
		assert_string_equal(reply, CONTROL_ERR_JSON);
	}
}

static void
control_proto_rejects_a_request_without_a_cmd_string(void **state)
{
	static const char *const cases[] = {
		"{}\n",
		"[]\n",
		"\"status\"\n",
		"42\n",
		"null\n",
		"{\"command\":\"status\"}\n",
		"{\"CMD\":\"status\"}\n",
		"{\"cmd\":1}\n",
		"{\"cmd\":null}\n",
		"{\"cmd\":true}\n",
		"{\"cmd\":[\"status\"]}\n",
		"{\"cmd\":{}}\n",
		"{\"cmd\":\"\"}\n",
		"[{\"cmd\":\"status\"}]\n",
	};
	const char	*reply;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(request_cmd(cases[i], strlen(cases[i]), &reply));
		assert_non_null(reply);
		assert_string_equal(reply, CONTROL_ERR_CMD);
	}
}

static void
control_proto_takes_cmd_beside_other_members(void **state)
{
	static const char	 s[] = " \t{ \"x\": [1, 2], \"cmd\" : "
				    "\"reload\" }\r\n";
	const char		*reply;
	char			*cmd;

	(void)state;
	cmd = request_cmd(s, sizeof(s) - 1, &reply);
	assert_non_null(cmd);
	assert_string_equal(cmd, "reload");
	free(cmd);
}

/* What clients and tests see, to the byte. */
static void
control_proto_error_replies_are_fixed(void **state)
{
	char	 line[128];

	(void)state;
	assert_string_equal(CONTROL_ERR_LONG,
	    "{\"ok\":false,\"error\":\"request too long\"}");
	assert_string_equal(CONTROL_ERR_JSON,
	    "{\"ok\":false,\"error\":\"request is not valid JSON\"}");
	assert_string_equal(CONTROL_ERR_CMD,
	    "{\"ok\":false,\"error\":\"request needs a \\\"cmd\\\" string\"}");
	assert_string_equal(CONTROL_ERR_MEMORY,
	    "{\"ok\":false,\"error\":\"out of memory\"}");
	assert_string_equal(CONTROL_ERR_BUSY,
	    "{\"ok\":false,\"error\":\"too few file descriptors left; try "
	    "again\"}");
	snprintf(line, sizeof(line), CONTROL_ERR_IDLE, 5000ull);
	assert_string_equal(line,
	    "{\"ok\":false,\"error\":\"no request within 5000 ms\"}");
	snprintf(line, sizeof(line), CONTROL_ERR_FULL, 64u);
	assert_string_equal(line,
	    "{\"ok\":false,\"error\":\"too many clients (64); try again\"}");
}

/* Reads s into r in reads of at most step bytes; true when a line ended. */
static bool
reply_feed(struct control_reply_buf *r, const char *s, size_t len,
    size_t step)
{
	size_t	 room, n;
	char	*at;

	while (len > 0) {
		assert_int_equal(control_proto_reply_room(r, &at, &room), 0);
		assert_true(room > 0);
		n = len < step ? len : step;
		if (n > room)
			n = room;
		memcpy(at, s, n);
		s += n;
		len -= n;
		if (control_proto_reply_add(r, n))
			return true;
	}
	return false;
}

static void
control_proto_reads_a_reply_line(void **state)
{
	static const char		 s[] = "{\"ok\":true}\nleft over";
	struct control_reply_buf	 r = { NULL, 0, 0 };

	(void)state;
	assert_false(reply_feed(&r, s, 4, 1));
	assert_true(reply_feed(&r, s + 4, sizeof(s) - 1 - 4, 3));
	assert_string_equal(r.buf, "{\"ok\":true}");
	free(r.buf);
}

static void
control_proto_reads_a_reply_longer_than_a_read(void **state)
{
	struct control_reply_buf	 r = { NULL, 0, 0 };
	size_t				 n = 100000;
	char				*s;

	(void)state;
	assert_non_null(s = malloc(n + 1));
	memset(s, 'a', n);
	s[n] = '\n';
	assert_true(reply_feed(&r, s, n + 1, 65536));
	assert_int_equal(strlen(r.buf), n);
	assert_int_equal(r.len, n);
	free(r.buf);
	free(s);
}

static void
control_proto_refuses_a_reply_over_the_limit(void **state)
{
	struct control_reply_buf	 r = { NULL, 0, 0 };
	size_t				 room;
	char				*at;
	int				 rc;

	(void)state;
	/* Fill every room offered, never with a newline. */
	while ((rc = control_proto_reply_room(&r, &at, &room)) == 0) {
		memset(at, 'a', room);
		assert_false(control_proto_reply_add(&r, room));
		assert_true(r.len <= CONTROL_REPLY_MAX_BYTES);
	}
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(r.len, CONTROL_REPLY_MAX_BYTES);
	free(r.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_proto_builds_a_request_line),
		cmocka_unit_test(control_proto_request_line_round_trips),
		cmocka_unit_test(control_proto_frames_a_line_over_several_reads),
		cmocka_unit_test(
		    control_proto_ends_the_line_at_its_first_newline),
		cmocka_unit_test(control_proto_takes_a_line_without_its_newline),
		cmocka_unit_test(control_proto_takes_a_line_of_the_longest_size),
		cmocka_unit_test(control_proto_refuses_a_line_over_the_limit),
		cmocka_unit_test(control_proto_rejects_what_is_not_json),
		cmocka_unit_test(
		    control_proto_rejects_a_request_without_a_cmd_string),
		cmocka_unit_test(control_proto_takes_cmd_beside_other_members),
		cmocka_unit_test(control_proto_error_replies_are_fixed),
		cmocka_unit_test(control_proto_reads_a_reply_line),
		cmocka_unit_test(control_proto_reads_a_reply_longer_than_a_read),
		cmocka_unit_test(control_proto_refuses_a_reply_over_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
