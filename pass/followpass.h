/*
 * followpass: the follow-mode part of a reconcile pass (policy/follow.h).
 *
 * First in a pass of follow mode: reads the learned state and what the
 * tunnel left (its record, its rule keys in both tables, its hosts
 * section, its adapter), decides with follow_decide, keeps the learned
 * state file up to date (atomic replace; deleted on a stand-down),
 * writes missing rule keys back under the tunnel's IDs and tells the DNS
 * client, and hands the hosts part of the pass the section to put back.
 * With plan true it only says what it would do.
 */
#ifndef FOLLOWPASS_H
#define FOLLOWPASS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "trace.h"

#define FOLLOWPASS_ERROR_BYTES	DWERR_MSG_BYTES

/* What a follow-mode pass found and did (also what `status` shows). */
struct followpass {
	struct desired_state	*ds;		/* the rest of the pass's desired
						 * state: the section to put
						 * back, or none; owned */
	bool			 hosts_leave;	/* the hosts part does nothing */
	bool			 hosts_restore;	/* ...or puts the section back */
	bool			 alive;		/* the tunnel's adapter is up */
	bool			 learned;	/* a learned state is kept */
	uint32_t		 rules;		/* rule keys in it */
	uint32_t		 host_lines;	/* lines of its section */
	uint64_t		 learned_ms;	/* wall clock of the last learn */
	const char		*stand_down;	/* why nothing is restored, or NULL */
	uint32_t		 rules_written;	/* rule keys written back */
	bool			 failed;	/* a read or write failed */
	bool			 state_invalid;	/* the learned-state file is */
	char			 error[FOLLOWPASS_ERROR_BYTES];	/* then why */
};

/* Runs the follow part of a pass into fp (cleared first). *writes grows
 * by the registry values set. Returns 0, or -1 when the pass cannot go
 * on (the learned-state file is invalid, or out of memory): fp->error
 * says why, and the hosts part is to be left alone. */
int	followpass_run(struct followpass *fp, const struct config *cfg,
	    struct trace *t, bool plan, FILE *out, unsigned *writes);

/* Frees what fp holds. */
void	followpass_clear(struct followpass *fp);

#endif
