/*
 * reconcile: one pass of the reconcile, start to end.
 *
 * Reads the desired state, reads the live hosts file, plans with policy/,
 * applies (or, in plan mode, only reports), and traces every step under
 * one activity ID. A pass that finds everything right writes nothing.
 */
#ifndef RECONCILE_H
#define RECONCILE_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
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
};

/* Runs one pass, blocking between retries (the one-shot CLI). Returns 0
 * when the pass converged or was a no-op, -1 otherwise; *sum says more. */
int		 reconcile_once(const struct config *cfg, struct trace *t,
		    const struct reconcile_opts *opts, struct reconcile_summary *sum);

/* Reads and validates a desired-state file (refusing one over
 * DESIRED_MAX_BYTES unread). *out is the caller's. Returns 0 or -1 with
 * every problem in err ("FILE: $.path: reason"). */
int		 reconcile_read_desired(const char *path, struct desired_state **out,
		    struct dwerr *err);

/* "noop", "converged", "degraded", "failed". */
const char	*reconcile_result_name(enum reconcile_result r);

#endif
