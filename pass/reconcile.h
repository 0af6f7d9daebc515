/*
 * reconcile: one pass of the reconcile, start to end.
 *
 * Reads the desired state, reads the live NRPT rules and hosts file, plans
 * with policy/, applies (or, in plan mode, only reports), and traces every
 * step under one activity ID. A pass that finds everything right writes
 * nothing. The CLI (once, plan), the daemon and the service's uninstall
 * all drive the same pass (reconcile_begin, reconcile_step).
 */
#ifndef RECONCILE_H
#define RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "followpass.h"
#include "platform.h"
#include "resolvedpass.h"
#include "trace.h"

enum reconcile_result {
	RECONCILE_NOOP,		/* everything was already right */
	RECONCILE_CONVERGED,	/* changes were written and everything is right */
	RECONCILE_DEGRADED,	/* gave up for now: a later pass tries again */
	RECONCILE_FAILED	/* bad input or an artifact that cannot be managed */
};

enum reconcile_mode {
	RECONCILE_APPLY,	/* make the changes */
	RECONCILE_PLAN		/* describe the changes on out, change nothing */
};

struct reconcile_opts {
	enum reconcile_mode	 mode;
	const char		*trigger;	/* why this pass runs: "once", "vpn" */
	FILE			*out;		/* human report; NULL: none */
};

struct reconcile_summary {
	enum reconcile_result	 result;
	unsigned		 writes;	/* files replaced or values set */
	bool			 input_invalid;	/* the desired state was rejected */
	uint8_t			 activity[16];	/* the pass's activity ID */
};

/* How an artifact stands after (or during) a pass. */
enum reconcile_art {
	RECONCILE_ART_DISABLED,		/* not managed by the config */
	RECONCILE_ART_UNSUPPORTED,	/* not on this platform */
	RECONCILE_ART_IN_SYNC,
	RECONCILE_ART_RETRYING,		/* a write failed; another is armed */
	RECONCILE_ART_GAVE_UP,		/* transient: a later pass retries */
	RECONCILE_ART_FAILED,		/* permanent: the write was refused */
	RECONCILE_ART_REJECTED,		/* cannot be managed (bad file) */
	RECONCILE_ART_HELD_OFF		/* not tried: a permanent error just now */
};

/* More of a pass than reconcile_opts. */
struct reconcile_pass_opts {
	enum reconcile_mode	 mode;
	bool			 show;		/* APPLY: print the plan on out first */
	const char		*trigger;
	FILE			*out;
	const uint8_t		*continues;	/* the activity of a pass that
						 * gave up, which this one takes up */
	bool			 hosts_held_off; /* leave the hosts file alone */
	/* systemd-resolved (config resolved.enabled): the bus connection
	 * the caller owns and runs (NULL: unavailable, for bus_error), and
	 * whether its unavailability was traced already. */
	struct rbus		*bus;
	const char		*bus_error;
	bool			 resolved_quiet;
};

/*
 * One pass, as a non-blocking state machine: the only pass driver. It
 * owns the activity ID, the ReconcileStart/ReconcileEnd bracket, the order
 * of the artifacts (NRPT, then the hosts file: docs/decisions/0007) and
 * the result. reconcile_begin opens it; the caller may then load the
 * desired state (its events belong to the pass); each reconcile_step does
 * what can be done now and says whether the pass is done or when to call
 * again (a hosts write waiting for its next attempt, or a replaced file
 * being watched). The CLI sleeps in between, the daemon arms a timer.
 */
struct reconcile_pass;

/* Opens a pass (ReconcileStart); borrows cfg, t and opts' strings. NULL
 * without memory. */
struct reconcile_pass *reconcile_begin(const struct config *cfg,
		    struct trace *t, const struct reconcile_pass_opts *opts);
/* One step at now_ms with ds (borrowed for the whole pass; the same at
 * every call; NULL: the desired state could not be had, the pass fails).
 * Returns true when the pass is done (ReconcileEnd traced), false with
 * *delay_ms when it wants the next step. */
bool		 reconcile_step(struct reconcile_pass *p,
		    const struct desired_state *ds, uint64_t now_ms,
		    uint32_t *delay_ms);
/* Ends a pass that is not done (a stop) and frees it; NULL is a no-op. */
void		 reconcile_pass_free(struct reconcile_pass *p);

/* What the pass did and found (final once done). */
enum reconcile_result reconcile_pass_result(const struct reconcile_pass *p);
unsigned	 reconcile_pass_writes(const struct reconcile_pass *p);
const uint8_t	*reconcile_pass_activity(const struct reconcile_pass *p);
enum reconcile_art reconcile_pass_hosts(const struct reconcile_pass *p);
enum reconcile_art reconcile_pass_nrpt(const struct reconcile_pass *p);
/* The hosts file's last error ("" when none). */
const char	*reconcile_pass_hosts_error(const struct reconcile_pass *p);
/* True when the pass wrote or deleted NRPT rules. */
bool		 reconcile_pass_nrpt_wrote(const struct reconcile_pass *p);
/* True when this pass wrote the hosts file (so far). */
bool		 reconcile_pass_hosts_wrote(const struct reconcile_pass *p);
/* Write attempts made on the hosts file (so far). */
unsigned	 reconcile_pass_hosts_attempts(const struct reconcile_pass *p);
/* The hosts file as this pass left it: the identity the writer took from
 * the file it wrote, or the one taken just before the pass read it.
 * False when there is none (not read, or written without one). */
bool		 reconcile_pass_hosts_id(const struct reconcile_pass *p,
		    struct platform_file_id *id);

/* The resolved part of the pass (NULL when it runs none). Valid until
 * reconcile_pass_free. */
const struct resolvedpass *reconcile_pass_resolved(const struct reconcile_pass *p);
/* True while the pass waits for replies from resolved: the owner of the
 * bus steps it again once rbus_process has run. */
bool		 reconcile_pass_waits_bus(const struct reconcile_pass *p);
/* True while the hosts job waits for its next attempt. */
bool		 reconcile_pass_hosts_waiting(const struct reconcile_pass *p);

/* Follow mode: what the follow part of the pass found and did (NULL when
 * the pass did not run one). Valid until reconcile_pass_free. */
const struct followpass *reconcile_pass_follow(const struct reconcile_pass *p);

/* Runs one pass, blocking between retries (the one-shot CLI). Returns 0
 * when the pass converged or was a no-op, -1 otherwise; *sum says more. */
int		 reconcile_once(const struct config *cfg, struct trace *t,
		    const struct reconcile_opts *opts, struct reconcile_summary *sum);
/* The same, handing the pass's desired state back in *ds (the caller's:
 * free with desired_free; NULL when there was none). */
int		 reconcile_once_keep(const struct config *cfg, struct trace *t,
		    const struct reconcile_opts *opts,
		    struct reconcile_summary *sum, struct desired_state **ds);

/* Reads and validates a desired-state file (refusing one over
 * DESIRED_MAX_BYTES unread). *out is the caller's. Returns 0 or -1 with
 * every problem in err ("FILE: $.path: reason"). */
int		 reconcile_read_desired(const char *path, struct desired_state **out,
		    struct dwerr *err);

/* "noop", "converged", "degraded", "failed". */
const char	*reconcile_result_name(enum reconcile_result r);

#endif
