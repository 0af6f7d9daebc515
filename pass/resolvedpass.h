/*
 * resolvedpass: the systemd-resolved part of a reconcile pass (Linux).
 *
 * Finds the configured link, reads its DNS, Domains and DefaultRoute from
 * resolved, and calls only the setters whose value differs from what the
 * rules want (a pass that finds them right calls none). With no rules
 * wanted it reverts the link only when the link holds exactly what the
 * record says we set; anything else on it is someone else's and stays.
 *
 * Every request is asynchronous (os/resolvedbus.h): resolvedpass_step does
 * what can be done now and says when it is done. The replies arrive
 * through rbus_process, which the owner of the connection runs; it then
 * steps the pass again. All tracing happens in resolvedpass_step, inside
 * the pass's activity.
 */
#ifndef RESOLVEDPASS_H
#define RESOLVEDPASS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "resolvedbus.h"
#include "trace.h"

#define RESOLVEDPASS_LINK_TRIES		5u	/* resolved may not know a new
						 * link yet: tries, 100 ms apart
						 * and doubling */

enum resolvedpass_result {
	RESOLVEDPASS_UNAVAILABLE,	/* no bus, or no resolved on it */
	RESOLVEDPASS_ABSENT,		/* no such link now: nothing to do */
	RESOLVEDPASS_NOOP,		/* the link is right */
	RESOLVEDPASS_CHANGED,		/* set or reverted (or would be) */
	RESOLVEDPASS_LEFT,		/* no rules wanted; what is on the link
					 * is not ours, and stays */
	RESOLVEDPASS_FAILED		/* resolved refused, or no answer */
};

struct resolvedpass_opts {
	struct rbus	*bus;		/* NULL: unavailable, for bus_error */
	const char	*bus_error;
	bool		 quiet_unavailable; /* said already: no event again */
	bool		 plan;		/* describe on out, change nothing */
	FILE		*out;
};

struct resolvedpass;

/* Starts the resolved part of a pass (borrows everything). NULL without
 * memory. */
struct resolvedpass *resolvedpass_start(const struct config *cfg,
		    const struct desired_state *ds, struct trace *t,
		    const struct resolvedpass_opts *opts);
/* Does what can be done at now_ms. True when done; else *delay_ms says
 * when to step again at the latest (a reply may come sooner). */
bool		 resolvedpass_step(struct resolvedpass *rp, uint64_t now_ms,
		    uint32_t *delay_ms);
/* Forgets pending requests and frees; NULL is a no-op. */
void		 resolvedpass_free(struct resolvedpass *rp);

enum resolvedpass_result resolvedpass_result(const struct resolvedpass *rp);
/* Setter and RevertLink calls made. */
unsigned	 resolvedpass_writes(const struct resolvedpass *rp);
/* The link's name and index ("" and 0 when none was found). */
const char	*resolvedpass_link(const struct resolvedpass *rp);
int		 resolvedpass_ifindex(const struct resolvedpass *rp);
/* Why it is unavailable, failed or left ("" otherwise). */
const char	*resolvedpass_reason(const struct resolvedpass *rp);
/* The link's settings as the pass left them (after a set: what was set),
 * or NULL when it never read them. */
const struct resolved_link *resolvedpass_live(const struct resolvedpass *rp);

/* "unavailable", "absent", "in_sync", "changed", "left", "failed". */
const char	*resolvedpass_result_name(enum resolvedpass_result r);

#endif
