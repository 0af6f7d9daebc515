/*
 * nrptpass: the NRPT part of a reconcile pass.
 *
 * Reads the live rules from the store, plans with policy/nrpt.c, and
 * applies the plan in the safe order (record, write, delete, forget),
 * tracing every rule written and deleted. A pass that finds every rule
 * right writes nothing. Where the platform has no NRPT, it says so.
 */
#ifndef NRPTPASS_H
#define NRPTPASS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "trace.h"

enum nrptpass_result {
	NRPTPASS_UNSUPPORTED,	/* no NRPT on this platform */
	NRPTPASS_NOOP,		/* every rule already right */
	NRPTPASS_CHANGED,	/* rules written or deleted (or would be) */
	NRPTPASS_FAILED		/* the store refused a read or a write */
};

/* Runs the NRPT part of a pass; with plan true only prints on out what it
 * would do. *writes grows by the registry values set and keys deleted. */
enum nrptpass_result nrptpass_run(const struct config *cfg,
		    const struct desired_state *ds, struct trace *t, bool plan,
		    FILE *out, unsigned *writes);

#endif
