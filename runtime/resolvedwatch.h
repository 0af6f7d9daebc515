/*
 * resolvedwatch: the daemon's connection to systemd-resolved, as one more
 * event source of the loop.
 *
 * It owns the bus connection (os/resolvedbus.h), watches its descriptor
 * and its request timeouts on the loop, and tells the daemon what the bus
 * said: resolved came (back) or left, another program changed a link's
 * servers (the Manager's PropertiesChanged), or replies for the running
 * pass were dispatched. Nothing here blocks: requests are sent by the
 * pass and answered through rbus_process from the loop.
 *
 * A lost connection is dropped from the loop at once and replaced at the
 * next rwatch_ensure (a pass start), never while a pass may still hold it.
 */
#ifndef RESOLVEDWATCH_H
#define RESOLVEDWATCH_H

#include <stdbool.h>

#include "loop.h"
#include "resolvedbus.h"

enum rwatch_event {
	RWATCH_UP,		/* resolved took its name on the bus */
	RWATCH_GONE,		/* resolved left the bus, or the bus went */
	RWATCH_CHANGED,		/* a link's DNS servers were set or reverted */
	RWATCH_DISPATCHED	/* replies were dispatched: step the pass */
};

typedef void (*rwatch_fn)(void *arg, enum rwatch_event ev);

struct rwatch;

struct rwatch	*rwatch_new(struct loop *loop, rwatch_fn fn, void *arg);
/* Frees; the caller has no pass running on the bus any more. */
void		 rwatch_free(struct rwatch *w);
/* Connects when not connected (or after the connection was lost). Call
 * only with no pass running. Returns the bus, or NULL with the reason in
 * rwatch_error. */
struct rbus	*rwatch_ensure(struct rwatch *w);
const char	*rwatch_error(const struct rwatch *w);
/* True while the connection stands. */
bool		 rwatch_connected(const struct rwatch *w);
/* After requests were sent: watch for writability and timeouts. */
void		 rwatch_arm(struct rwatch *w);

#endif
