/*
 * resolvedbus: systemd-resolved over D-Bus, never blocking.
 *
 * One connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the
 * standard socket). Every request is asynchronous: it is sent at once and
 * its callback runs from rbus_process, which the owner calls when the
 * descriptor is ready (the daemon's loop) or after rbus_wait (the
 * one-shot CLI). Requests time out after RBUS_CALL_TIMEOUT_MS; a timed-out
 * request's callback gets ETIMEDOUT.
 *
 * The watch reports what should make the daemon look at the link again:
 * resolved appearing on the bus or leaving it (NameOwnerChanged for
 * org.freedesktop.resolve1), and the Manager's PropertiesChanged, which
 * resolved 252 emits when a link's DNS servers are set or reverted (link
 * objects emit nothing, nor do domain and default-route changes).
 *
 * One implementation per build: resolvedbus_sd.c (sd-bus, Linux with
 * libsystemd) and resolvedbus_none.c (rbus_open says ENOTSUP).
 */
#ifndef RESOLVEDBUS_H
#define RESOLVEDBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "dwerr.h"
#include "resolved.h"

#define RBUS_CALL_TIMEOUT_MS	5000u
#define RBUS_IFNAME_BYTES	16u	/* IF_NAMESIZE */

/* What a failed request means (the status of a callback; else an errno). */
#define RBUS_OK			0
#define RBUS_E_UNAVAILABLE	(-2)	/* resolved is not on the bus */
#define RBUS_E_NO_LINK		(-3)	/* resolved does not know the link */

enum rbus_event {
	RBUS_RESOLVED_UP,	/* resolved took its name (started again) */
	RBUS_RESOLVED_GONE,	/* resolved left the bus */
	RBUS_DNS_CHANGED,	/* the Manager's DNS changed: some link's
				 * servers were set or reverted */
	RBUS_LOST		/* the bus connection is gone: free it */
};

struct rbus;
struct rbus_op;

typedef void (*rbus_event_fn)(void *arg, enum rbus_event ev);
/* A link read: status RBUS_OK with live, or an error with msg. */
typedef void (*rbus_read_fn)(void *arg, int status,
    const struct resolved_link *live, const char *msg);
/* A setter's or RevertLink's reply. */
typedef void (*rbus_done_fn)(void *arg, int status, const char *msg);

/* Connects (without waiting for the bus). Returns 0, or -1 with err; the
 * code is ENOTSUP where this build has no D-Bus client. */
int	 rbus_open(struct rbus **out, struct dwerr *err);
/* Closes; pending requests are dropped without their callbacks. */
void	 rbus_free(struct rbus *bus);
/* Watches resolved's name and the Manager's signal; fn runs from
 * rbus_process. */
int	 rbus_watch(struct rbus *bus, rbus_event_fn fn, void *arg,
	    struct dwerr *err);

/* For an event loop: the descriptor, whether it must also wait until it
 * is writable, and how long until a request times out (UINT32_MAX: no
 * request waits). */
int	 rbus_fd(struct rbus *bus);
bool	 rbus_wants_write(struct rbus *bus);
uint32_t rbus_timeout_ms(struct rbus *bus);
/* Reads and dispatches what arrived; callbacks run from here. Returns 0,
 * or -1 when the connection is lost (also reported as RBUS_LOST). */
int	 rbus_process(struct rbus *bus);
/* Waits up to ms for the connection (the CLI), then processes. */
int	 rbus_wait(struct rbus *bus, uint32_t ms);

/* Reads a link's DNS, Domains and DefaultRoute. */
int	 rbus_link_read(struct rbus *bus, int ifindex, rbus_read_fn fn,
	    void *arg, struct rbus_op **op, struct dwerr *err);
/* One setter (RESOLVED_SET_DNS, _DOMAINS or _DEFAULT_ROUTE) with want's
 * value, or RevertLink for set 0. */
int	 rbus_link_set(struct rbus *bus, int ifindex, unsigned set,
	    const struct resolved_link *want, rbus_done_fn fn, void *arg,
	    struct rbus_op **op, struct dwerr *err);
/* Forgets a request (its callback will not run); NULL is a no-op. Also
 * to be called once a callback has run. */
void	 rbus_op_free(struct rbus_op *op);

/* The link cfg names: the link named exactly so, else, of those whose
 * name starts with it, the one with the lowest index among those that
 * are up (among all when none is). Returns its index and writes its
 * name, or 0 when there is none. */
int	 rbus_find_link(const char *want, char name[RBUS_IFNAME_BYTES]);

#endif
