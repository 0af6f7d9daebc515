/*
 * control: the local control channel, the daemon's end (the CLI's is
 * control_client.h). One request line per connection, answered with one
 * reply line, then closed; the lines are in control_proto.h.
 *
 * At most CONTROL_MAX_CLIENTS clients are served at once: one more gets
 * {"ok":false,"error":"too many clients (64); try again"} and is closed.
 * A client that sends no whole request within CONTROL_IDLE_MS is closed.
 *
 * POSIX: a unix socket (mode 0600, in a folder only root can write);
 * Windows: a named pipe.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include "control_proto.h"
#include "dwerr.h"
#include "loop.h"

#define CONTROL_MAX_CLIENTS	64u	/* served at once; others refused */
#define CONTROL_IDLE_MS		5000u	/* to send a request (the socket) */
#define CONTROL_FD_RESERVE	32u	/* descriptors under the soft limit
					 * left to the rest (the socket) */
/* The default endpoint is platform_default_control(): the unix socket
 * /run/dnswatchdog.sock, or the named pipe
 * \\.\pipe\ProtectedPrefix\Administrators\DnsWatchdog\control. */

struct control;
struct control_client;

/* The daemon's handler for one request; cmd is the request's "cmd". The
 * daemon must answer every request with control_reply exactly once, now
 * or later; the client stays valid until then even if the peer left. */
typedef void (*control_request_fn)(void *arg, struct control_client *client,
    const char *cmd);

/* Listens on path (replacing a stale socket nobody answers on; refusing
 * when another daemon answers). Returns NULL with err on failure. */
struct control	*control_listen(struct loop *loop, const char *path,
		    control_request_fn fn, void *arg, struct dwerr *err);
/* Closes the channel, its clients and removes the socket; NULL: no-op. */
void		 control_free(struct control *ctl);
/* Sets how long a client may take to send its request (CONTROL_IDLE_MS
 * until then); clients already connected count from their connection. */
void		 control_set_idle_ms(struct control *ctl, uint64_t ms);
/* Sends one reply line (a JSON object, without the newline) and closes
 * the client. */
void		 control_reply(struct control_client *client, const char *json);

#endif
