/*
 * control: the daemon's end of the control channel over a unix socket (see
 * control.h), and the socket both ends use (control_unix.h).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "control.h"
#include "control_proto.h"
#include "control_unix.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwstr.h"
#include "log.h"

#define CONTROL_SOCKET_UMASK	0177	/* the socket is created mode 0600 */
#define CONTROL_BACKLOG		16	/* connections the kernel queues */
#define CONTROL_ACCEPT_BURST	16	/* connections taken per wake-up */
#define CONTROL_ACCEPT_PAUSE_MS	1000u	/* rest when out of descriptors */

enum control_state {
	CONTROL_READING,	/* the request line is coming in */
	CONTROL_WAITING,	/* handed to the daemon, no reply yet */
	CONTROL_DONE		/* answered or dropped: the sweep frees it */
};

struct control_client {
	struct control		*ctl;	/* NULL once control_free let it go */
	struct control_client	*next;
	int			 fd;
	struct loop_io		*io;
	bool			 io_done; /* stop reading: the sweep frees io */
	struct loop_timer	*idle;	/* closes it when no request comes */
	uint64_t		 since_ms; /* loop_now_ms when it connected */
	enum control_state	 state;
	char			*cmd;
	struct control_request_buf req;
};

struct control {
	struct loop		*loop;
	char			*path;
	int			 fd;
	dev_t			 dev;	/* the socket file we made, so we */
	ino_t			 ino;	/* unlink only that one */
	struct loop_io		*accept_io;
	bool			 accept_paused;
	struct loop_timer	*accept_timer;
	struct loop_timer	*sweep;
	struct control_client	*clients;
	unsigned		 nclients; /* reading or waiting: the cap */
	bool			 full;	/* at the cap (logged once) */
	uint64_t		 idle_ms;
	control_request_fn	 fn;
	void			*arg;
};

static void	control_accept(void *);
static void	control_client_read(void *);

#ifdef SO_NOSIGPIPE
static void
control_nosigpipe(int fd)
{
	int	 on = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
}
#else
static void
control_nosigpipe(int fd)
{
	(void)fd;
}
#endif

/* Makes fd non-blocking and close-on-exec; -1 with errno on failure. */
static int
control_fd_setup(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	control_nosigpipe(fd);
	return 0;
}

int
control_socket(const char *path, struct dwerr *err)
{
	int	 fd, e;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    control_fd_setup(fd) != 0) {
		e = errno;
		if (fd != -1)
			close(fd);
		dwerr_set(err, e, "cannot make a socket for %s: %s", path,
		    strerror(e));
		return -1;
	}
	return fd;
}

int
control_sockaddr(const char *path, struct sockaddr_un *sun, struct dwerr *err)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path[0] == '\0') {
		dwerr_set(err, EINVAL, "the control socket path is empty");
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		dwerr_set(err, ENAMETOOLONG, "control socket path %s is longer "
		    "than the %zu bytes a unix socket allows", path,
		    sizeof(sun->sun_path) - 1);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Writes what it can without blocking; 0 when all of it went out. */
static int
control_send_some(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = send(fd, p, n, CONTROL_SEND_FLAGS);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Server side.
 */

/* Closes and frees a client; its io must not be running. */
static void
control_client_destroy(struct control_client *c)
{
	loop_io_free(c->io);
	loop_timer_free(c->idle);
	if (c->fd != -1)
		close(c->fd);
	free(c->cmd);
	free(c);
}

/* Frees the clients that are done and the readers that stopped. Runs from
 * a zero-delay timer, never from the callback of what it frees. */
static void
control_sweep(void *arg)
{
	struct control		*ctl = arg;
	struct control_client	**pp = &ctl->clients, *c;
	bool			 freed = false;

	while ((c = *pp) != NULL) {
		if (c->state == CONTROL_DONE) {
			*pp = c->next;
			control_client_destroy(c);
			freed = true;
			continue;
		}
		if (c->io_done) {
			loop_io_free(c->io);
			c->io = NULL;
			c->io_done = false;
		}
		pp = &c->next;
	}
	/* Descriptors came back: a pause for want of them can end now. */
	if (freed && ctl->accept_paused && ctl->accept_io == NULL)
		loop_timer_schedule(ctl->accept_timer, 0);
}

/* c leaves the count of clients served (it is answered or dropped). */
static void
control_client_done(struct control_client *c)
{
	c->state = CONTROL_DONE;
	loop_timer_cancel(c->idle);	/* the sweep frees it */
	if (c->ctl == NULL)
		return;
	c->ctl->nclients--;
	if (c->ctl->full && c->ctl->nclients < CONTROL_MAX_CLIENTS) {
		c->ctl->full = false;
		log_notice("control: %u clients now; taking new ones again",
		    c->ctl->nclients);
	}
}

/* Stops reading c (from its own callback: the sweep does it). */
static void
control_client_stop_reading(struct control_client *c)
{
	c->io_done = true;
	loop_timer_schedule(c->ctl->sweep, 0);
}

/* Drops a client that never made a full request. */
static void
control_client_drop(struct control_client *c, const char *why)
{
	log_debug("control: dropped a client on %s: %s", c->ctl->path, why);
	control_client_done(c);
	control_client_stop_reading(c);
}

/* Hands the request's command to the daemon, or answers the request. */
static void
control_client_request(struct control_client *c)
{
	struct control	*ctl = c->ctl;
	const char	*reply;

	c->state = CONTROL_WAITING;
	loop_timer_cancel(c->idle);	/* the daemon takes its time now */
	control_client_stop_reading(c);
	if ((c->cmd = control_proto_request_cmd(&c->req, &reply)) == NULL) {
		control_reply(c, reply);
		return;
	}
	/* The handler may reply, or even free ctl (a reload does): touch
	 * nothing after it. */
	ctl->fn(ctl->arg, c, c->cmd);
}

static void
control_client_read(void *arg)
{
	struct control_client	*c = arg;
	size_t			 room;
	char			*at;
	ssize_t			 n;

	if (c->state != CONTROL_READING)
		return;		/* the sweep will stop this reader */
	at = control_proto_request_room(&c->req, &room);
	n = recv(c->fd, at, room, 0);
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			control_client_drop(c, strerror(errno));
		return;
	}
	if (n == 0) {
		/* A request without its newline still counts at EOF (the
		 * peer may have shut its side down and wait for us). */
		if (c->req.len == 0)
			control_client_drop(c, "hung up without a request");
		else
			control_client_request(c);
		return;
	}
	/* A line, or too long a one: either way it is answered now. */
	if (control_proto_request_add(&c->req, (size_t)n) != CONTROL_FRAME_MORE)
		control_client_request(c);
}

/* Sends one line to a client we are done with, without waiting, and lets
 * the peer see the end of it. */
static void
control_say_goodbye(int fd, const char *json)
{
	(void)control_send_some(fd, json, strlen(json));
	(void)control_send_some(fd, "\n", 1);
	(void)shutdown(fd, SHUT_RDWR);
}

/* A client that sent no whole request in time: closed, with a word why. */
static void
control_client_idle(void *arg)
{
	struct control_client	*c = arg;
	char			 line[96];

	if (c->state != CONTROL_READING)
		return;
	log_debug("control: closed a client on %s that sent no request "
	    "within %llu ms", c->ctl->path,
	    (unsigned long long)c->ctl->idle_ms);
	snprintf(line, sizeof(line), CONTROL_ERR_IDLE,
	    (unsigned long long)c->ctl->idle_ms);
	control_say_goodbye(c->fd, line);
	control_client_done(c);
	control_client_stop_reading(c);
}

/* Refuses a connection just accepted: one line, then closed. */
static void
control_refuse(int fd, const char *json)
{
	control_say_goodbye(fd, json);
	close(fd);
}

/*
 * True when fd, just accepted, eats into the descriptors left to the rest
 * of the daemon. accept takes the lowest free number, so every number
 * below fd is in use: fd within CONTROL_FD_RESERVE of the soft limit
 * means fewer than that remain. Keeping only descriptors below that line,
 * the channel never holds the top CONTROL_FD_RESERVE numbers.
 */
static bool
control_fd_scarce(int fd)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return false;
	return (rlim_t)fd + CONTROL_FD_RESERVE >= rl.rlim_cur;
}

/* Out of descriptors: stop accepting for a while instead of spinning on a
 * listener that stays readable. */
static void
control_accept_pause(struct control *ctl)
{
	ctl->accept_paused = true;
	loop_timer_schedule(ctl->accept_timer, 0);
}

static void
control_accept_timer(void *arg)
{
	struct control	*ctl = arg;

	if (ctl->accept_io != NULL) {
		loop_io_free(ctl->accept_io);
		ctl->accept_io = NULL;
		loop_timer_schedule(ctl->accept_timer, CONTROL_ACCEPT_PAUSE_MS);
		return;
	}
	if ((ctl->accept_io = loop_io_new(ctl->loop, ctl->fd, control_accept,
	    ctl)) == NULL) {
		loop_timer_schedule(ctl->accept_timer, CONTROL_ACCEPT_PAUSE_MS);
		return;
	}
	ctl->accept_paused = false;
}

/* At the cap: the connection gets the refusal and is closed. */
static void
control_accept_refuse_full(struct control *ctl, int fd)
{
	char	 line[96];

	if (!ctl->full) {
		ctl->full = true;
		log_notice("control: %u clients on %s; refusing more until "
		    "some are done", CONTROL_MAX_CLIENTS, ctl->path);
	}
	log_debug("control: refused a client on %s: too many clients",
	    ctl->path);
	snprintf(line, sizeof(line), CONTROL_ERR_FULL, CONTROL_MAX_CLIENTS);
	control_refuse(fd, line);
}

static void
control_accept(void *arg)
{
	struct control		*ctl = arg;
	struct control_client	*c;
	unsigned		 i;
	int			 fd;

	for (i = 0; i < CONTROL_ACCEPT_BURST && !ctl->accept_paused; i++) {
		if ((fd = accept(ctl->fd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_error("control: cannot accept a connection on %s: "
			    "%s; pausing for %u ms", ctl->path,
			    strerror(errno), CONTROL_ACCEPT_PAUSE_MS);
			control_accept_pause(ctl);
			return;
		}
		if (control_fd_setup(fd) != 0) {
			log_error("control: cannot set up a connection on %s: "
			    "%s", ctl->path, strerror(errno));
			close(fd);
			continue;
		}
		if (control_fd_scarce(fd)) {
			log_error("control: refused a connection on %s: fewer "
			    "than %u descriptors left; pausing for %u ms",
			    ctl->path, CONTROL_FD_RESERVE,
			    CONTROL_ACCEPT_PAUSE_MS);
			control_refuse(fd, CONTROL_ERR_BUSY);
			control_accept_pause(ctl);
			return;
		}
		if (ctl->nclients >= CONTROL_MAX_CLIENTS) {
			control_accept_refuse_full(ctl, fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_error("control: out of memory for a connection on "
			    "%s", ctl->path);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		c->state = CONTROL_READING;
		c->since_ms = loop_now_ms(ctl->loop);
		if ((c->io = loop_io_new(ctl->loop, fd, control_client_read,
		    c)) == NULL || (c->idle = loop_timer_new(ctl->loop,
		    control_client_idle, c)) == NULL) {
			control_client_destroy(c);
			continue;
		}
		loop_timer_schedule(c->idle, ctl->idle_ms);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nclients++;
	}
}

void
control_set_idle_ms(struct control *ctl, uint64_t ms)
{
	struct control_client	*c;
	uint64_t		 now = loop_now_ms(ctl->loop);

	ctl->idle_ms = ms;
	for (c = ctl->clients; c != NULL; c = c->next)
		if (c->state == CONTROL_READING && c->idle != NULL)
			loop_timer_schedule(c->idle, c->since_ms + ms > now ?
			    c->since_ms + ms - now : 0);
}

/*
 * path exists. 0 when it was a stale socket, now removed; -1 with err
 * when it is not a socket or a daemon answers on it.
 */
static int
control_replace_stale(const char *path, const struct sockaddr_un *sun,
    struct dwerr *err)
{
	struct stat	 st;
	int		 fd, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		dwerr_set(err, e, "%s: %s", path, strerror(e));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		dwerr_set(err, EEXIST, "%s exists and is not a socket; "
		    "refusing to replace it", path);
		return -1;
	}
	if ((fd = control_socket(path, err)) == -1)
		return -1;
	/* Non-blocking: a daemon with a full queue must not hang us. */
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno == EINPROGRESS || errno == EAGAIN) {
		close(fd);
		dwerr_set(err, EADDRINUSE, "another dnswatchdog is already "
		    "running: it answers on %s", path);
		return -1;
	}
	e = errno;
	close(fd);
	if (e != ECONNREFUSED) {
		dwerr_set(err, e, "cannot tell whether %s is in use: %s",
		    path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		dwerr_set(err, e, "cannot remove the stale socket %s: %s",
		    path, strerror(e));
		return -1;
	}
	log_notice("control: replaced the stale socket %s", path);
	return 0;
}

/* Binds a fresh socket to path with mode 0600; the fd or -1 with err. */
static int
control_bind(const char *path, const struct sockaddr_un *sun,
    struct dwerr *err)
{
	mode_t	 old;
	int	 fd, rc, e = 0, tries;

	if ((fd = control_socket(path, err)) == -1)
		return -1;
	for (tries = 0; tries < 2; tries++) {
		old = umask(CONTROL_SOCKET_UMASK);
		rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
		e = errno;
		umask(old);
		if (rc == 0)
			return fd;
		if (e != EADDRINUSE || tries > 0)
			break;
		if (control_replace_stale(path, sun, err) != 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	dwerr_set(err, e, "cannot create the control socket %s: %s", path,
	    strerror(e));
	return -1;
}

struct control *
control_listen(struct loop *loop, const char *path, control_request_fn fn,
    void *arg, struct dwerr *err)
{
	struct sockaddr_un	 sun;
	struct control		*ctl;
	struct stat		 st;
	int			 e;

	if (control_sockaddr(path, &sun, err) != 0)
		return NULL;
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = dwstr_dup(path)) == NULL) {
		free(ctl);
		dwerr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	ctl->loop = loop;
	ctl->fn = fn;
	ctl->arg = arg;
	ctl->idle_ms = CONTROL_IDLE_MS;
	if ((ctl->fd = control_bind(path, &sun, err)) == -1) {
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	if (listen(ctl->fd, CONTROL_BACKLOG) != 0 || stat(path, &st) != 0) {
		e = errno;
		dwerr_set(err, e, "cannot listen on %s: %s", path, strerror(e));
		goto fail;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	if ((ctl->sweep = loop_timer_new(loop, control_sweep, ctl)) == NULL ||
	    (ctl->accept_timer = loop_timer_new(loop, control_accept_timer,
	    ctl)) == NULL ||
	    (ctl->accept_io = loop_io_new(loop, ctl->fd, control_accept,
	    ctl)) == NULL) {
		dwerr_set(err, ENOMEM, "cannot watch %s", path);
		goto fail;
	}
	return ctl;
fail:
	unlink(path);
	close(ctl->fd);
	ctl->fd = -1;
	loop_timer_free(ctl->sweep);
	loop_timer_free(ctl->accept_timer);
	free(ctl->path);
	free(ctl);
	return NULL;
}

void
control_free(struct control *ctl)
{
	struct control_client	*c, *next;
	struct stat		 st;

	if (ctl == NULL)
		return;
	loop_io_free(ctl->accept_io);
	loop_timer_free(ctl->accept_timer);
	loop_timer_free(ctl->sweep);
	for (c = ctl->clients; c != NULL; c = next) {
		next = c->next;
		loop_io_free(c->io);
		c->io = NULL;
		loop_timer_free(c->idle);
		c->idle = NULL;
		if (c->state == CONTROL_WAITING) {
			/* Still owed a reply (a reload answers after making
			 * a new channel): control_reply frees it. */
			c->ctl = NULL;
			c->next = NULL;
			continue;
		}
		control_client_destroy(c);
	}
	close(ctl->fd);
	/* Only our own socket: another daemon may have taken the path. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

void
control_reply(struct control_client *c, const char *json)
{
	if (c == NULL)
		return;
	if (c->state != CONTROL_WAITING) {
		log_error("control: dropped a second reply to one request");
		return;
	}
	/* Small replies fit the socket buffer; a client whose buffer is full
	 * does not read, and is dropped rather than waited for. */
	if (control_send_some(c->fd, json, strlen(json)) != 0 ||
	    control_send_some(c->fd, "\n", 1) != 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			log_error("control: dropped a client that does not "
			    "read its reply");
		else
			log_debug("control: the client left before its "
			    "reply: %s", strerror(errno));
	}
	/* The peer sees the end of the reply now, not at the sweep. */
	(void)shutdown(c->fd, SHUT_RDWR);
	control_client_done(c);
	if (c->ctl == NULL)
		control_client_destroy(c);	/* its channel is gone */
	else
		loop_timer_schedule(c->ctl->sweep, 0);
}
