/*
 * control_client: the CLI's end of the local control channel; control.h is
 * the daemon's (its struct control_client is the daemon's view of one
 * connection, not this end). One request line, one reply line, as
 * control_proto.h tells; over the unix socket (control_client_unix.c) or
 * the named pipe (control_client_win.c).
 */
#ifndef CONTROL_CLIENT_H
#define CONTROL_CLIENT_H

#include "dwerr.h"

/* Sends {"cmd":cmd} to the daemon at path and waits at most timeout_ms
 * (negative: no limit) for the reply line. *reply is malloc'd. Returns 0,
 * or -1 with err (ENOENT or ECONNREFUSED: no daemon). */
int	control_call(const char *path, const char *cmd, int timeout_ms,
	    char **reply, struct dwerr *err);

#endif
