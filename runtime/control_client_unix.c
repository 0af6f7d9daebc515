/*
 * control_client: the CLI's end of the control channel over a unix socket
 * (see control_client.h): connect, send the request line, read the reply
 * line, each within the caller's deadline.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "control_client.h"
#include "control_proto.h"
#include "control_unix.h"

#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

/* Waits for events on fd until deadline_ms (0: none); 0, or -1 with
 * errno (ETIMEDOUT). */
static int
control_call_wait(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 ms, rc;

	for (;;) {
		ms = -1;
		if (deadline_ms != 0) {
			now = platform_mono_ms();
			if (now >= deadline_ms) {
				errno = ETIMEDOUT;
				return -1;
			}
			ms = deadline_ms - now > 60000u ? 60000 :
			    (int)(deadline_ms - now);
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connects to path; the fd, or -1 with err. */
static int
control_call_connect(const char *path, uint64_t deadline_ms, struct dwerr *err)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(int);
	int			 fd, e = 0;

	if (control_sockaddr(path, &sun, err) != 0 ||
	    (fd = control_socket(path, err)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			if (control_call_wait(fd, POLLOUT, deadline_ms) != 0 ||
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
		}
	}
	if (e == 0)
		return fd;
	close(fd);
	if (e == ENOENT || e == ECONNREFUSED)
		dwerr_set(err, e, "no dnswatchdog is running on %s", path);
	else if (e == EAGAIN || e == ETIMEDOUT)
		dwerr_set(err, e, "the dnswatchdog on %s is too busy to take "
		    "a connection", path);
	else
		dwerr_set(err, e, "cannot connect to %s: %s", path,
		    strerror(e));
	return -1;
}

int
control_call(const char *path, const char *cmd, int timeout_ms, char **reply,
    struct dwerr *err)
{
	struct control_reply_buf rb = { NULL, 0, 0 };
	uint64_t	 deadline = 0;
	char		*req, *at;
	size_t		 off = 0, reqlen, room;
	ssize_t		 n;
	int		 fd, e;

	*reply = NULL;
	if (timeout_ms >= 0)
		deadline = platform_mono_ms() + (uint64_t)timeout_ms + 1;
	if ((req = control_proto_request_line(cmd)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if ((fd = control_call_connect(path, deadline, err)) == -1) {
		free(req);
		return -1;
	}
	reqlen = strlen(req);
	while (off < reqlen) {
		n = send(fd, req + off, reqlen - off, CONTROL_SEND_FLAGS);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* A daemon that refused us (too many clients) closed
		 * without reading: its one line may be waiting. */
		if (errno == EPIPE || errno == ECONNRESET)
			break;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    control_call_wait(fd, POLLOUT, deadline) != 0)
			goto fail;
	}
	free(req);
	req = NULL;
	for (;;) {
		if (control_proto_reply_room(&rb, &at, &room) != 0) {
			if (errno != EMSGSIZE)
				goto fail;
			close(fd);
			free(rb.buf);
			dwerr_set(err, EMSGSIZE, "the reply from %s is over %u "
			    "bytes", path, CONTROL_REPLY_MAX_BYTES);
			return -1;
		}
		n = recv(fd, at, room, 0);
		if (n > 0) {
			if (control_proto_reply_add(&rb, (size_t)n))
				break;
			continue;
		}
		if (n == 0) {
			close(fd);
			free(rb.buf);
			dwerr_set(err, ECONNRESET, "the dnswatchdog on %s "
			    "closed the connection without a full reply",
			    path);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    control_call_wait(fd, POLLIN, deadline) != 0)
			goto fail;
	}
	close(fd);
	*reply = rb.buf;
	return 0;
fail:
	e = errno;
	close(fd);
	free(req);
	free(rb.buf);
	if (e == ETIMEDOUT)
		dwerr_set(err, e, "no reply from the dnswatchdog on %s within "
		    "%d ms", path, timeout_ms);
	else
		dwerr_set(err, e, "talking to the dnswatchdog on %s: %s", path,
		    strerror(e));
	return -1;
}
