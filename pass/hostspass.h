/*
 * hostspass: the hosts-file part of a reconcile pass.
 *
 * hostspass_check reads and renders the file once and says what the pass
 * must do (nothing, print a plan, or write); the write is a hostsjob whose
 * render callback is hostspass's own, so every attempt starts from the file
 * as it is then. The pass driver (reconcile.c) runs the job, stepping it
 * from the caller's sleeps or timers, and reports with hostspass_finish.
 */
#ifndef HOSTSPASS_H
#define HOSTSPASS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "hostsjob.h"
#include "trace.h"

enum hostspass_check {
	HOSTSPASS_NOOP,		/* the file is right: nothing to write */
	HOSTSPASS_PLANNED,	/* plan mode: the change was printed */
	HOSTSPASS_WRITE,	/* a write is needed: run hostspass_job */
	HOSTSPASS_HELD,		/* cannot even read it now (a holder): plan mode */
	HOSTSPASS_FAILED	/* the file cannot be managed (UTF-16, NUL...) */
};

struct hostspass;

/* A hosts part for one pass; borrows cfg, ds and t. NULL without memory. */
struct hostspass	*hostspass_new(const struct config *cfg,
			    const struct desired_state *ds, struct trace *t);
void			 hostspass_free(struct hostspass *hp);

/* The first look: reads, renders, traces (HostsUnchanged, HostsFileRejected,
 * HostsSectionRepaired), prints on out (may be NULL). A file held so that
 * it cannot even be read gives HOSTSPASS_WRITE when !plan: the job's
 * attempts then wait for it as for a write. */
enum hostspass_check	 hostspass_check(struct hostspass *hp, bool plan,
			    FILE *out);

/* The identity the file had just before the last read (false when it
 * could not be taken). */
bool			 hostspass_seen_id(const struct hostspass *hp,
			    struct platform_file_id *id);

/* The write job (cleans up after a crashed writer first); NULL without
 * memory. The job renders through hp: keep hp alive while it runs. */
struct hostsjob		*hostspass_job(struct hostspass *hp, uint64_t start_ms);

/* Reports how a finished job ended (st is DONE or GAVE_UP) on out and in
 * the log; returns true when it converged. *transient says whether a
 * give-up may heal by itself (degraded) or not (failed). */
bool			 hostspass_finish(struct hostspass *hp,
			    const struct hostsjob *job, enum hostsjob_state st,
			    FILE *out, bool *transient);

#endif
