/*
 * control_unix: the unix socket under both ends of the control channel,
 * the daemon's (control_unix.c) and the CLI's (control_client_unix.c).
 * Only those two files include it.
 */
#ifndef CONTROL_UNIX_H
#define CONTROL_UNIX_H

#include <sys/socket.h>
#include <sys/un.h>

#include "dwerr.h"

/* No SIGPIPE when a peer has left: per send where the flag exists, per
 * socket (control_socket) where only the option does. */
#ifdef MSG_NOSIGNAL
#define CONTROL_SEND_FLAGS	MSG_NOSIGNAL
#else
#define CONTROL_SEND_FLAGS	0
#endif

/* Fills *sun with path; -1 with err when path is empty or too long. */
int	control_sockaddr(const char *path, struct sockaddr_un *sun,
	    struct dwerr *err);
/* A new stream socket for path, non-blocking and close-on-exec; the fd,
 * or -1 with err. */
int	control_socket(const char *path, struct dwerr *err);

#endif
