/*
 * doctor: what a support engineer needs to know about a machine, read and
 * never changed.
 *
 * doctor_run reads the config's artifacts (the NRPT tables with the owner
 * of every rule, the hosts file and its section, the resolver's view) and
 * collects findings, each with a severity, a fixed code and a sentence.
 * The report is one JSON object (docs/troubleshooting.md lists the codes):
 *
 *   { "verdict": "ok" | "degraded" | "broken",
 *     "nrpt": { "gp_table": ..., "rules": [...] },
 *     "hosts": { "path": ..., "section": ..., "entries": N, "locked_by": ... },
 *     "verify": {...}, "findings": [ { "severity", "code", "message" } ] }
 *
 * Each part of the report is its own function (doctor_nrpt.c,
 * doctor_hosts.c, ...), and each adds its findings through doctor_finding.
 */
#ifndef DOCTOR_H
#define DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "desired.h"
#include "dwerr.h"

enum doctor_severity {
	DOCTOR_INFO,
	DOCTOR_WARNING,
	DOCTOR_ERROR
};

/* What the caller found out before the report (the runtime layer asks
 * the daemon; the pass layer cannot). */
struct doctor_opts {
	bool		 daemon_checked;	/* false: not asked */
	bool		 daemon_running;
	const char	*daemon_error;		/* why it did not answer */
	bool		 verify;		/* resolve names (blocks) */
	const char	*version;		/* of the program */
};

struct doctor {
	const struct config		*cfg;
	const struct desired_state	*ds;	/* NULL: none could be had */
	cJSON				*root;	/* the report */
	cJSON				*findings;
	unsigned			 errors, warnings;
	bool				 oom;	/* a part could not be added */
};

/* Reads everything and builds the report (*out, the caller's; free with
 * cJSON_Delete). Returns 0, or -1 only when memory ran out. */
int	 doctor_run(const struct config *cfg, const struct doctor_opts *opts,
	    cJSON **out);

/* "ok", "degraded" or "broken", from the report's findings. */
const char *doctor_verdict(const cJSON *report);

/* Prints the report for a person: the verdict in plain words, then the
 * findings and what was read. */
void	 doctor_print(const cJSON *report, FILE *out);

/* Adds a finding. */
void	 doctor_finding(struct doctor *d, enum doctor_severity sev,
	    const char *code, const char *fmt, ...) DW_PRINTF(4, 5);

/* The parts of the report, each in its own file. They add to d->root. */
void	 doctor_nrpt(struct doctor *d);		/* doctor_nrpt.c */
void	 doctor_hosts(struct doctor *d);	/* doctor_hosts.c */
void	 doctor_verify(struct doctor *d, const struct doctor_opts *opts);
						/* doctor_verify.c */
void	 doctor_adapters(struct doctor *d);	/* doctor_adapters.c */
void	 doctor_resolved(struct doctor *d);	/* doctor_resolved.c */

/* Writes a support bundle to path (a .zip, or a .tar.gz): the report,
 * the config and the desired state, the last DOCTOR_BUNDLE_EVENTS trace
 * events, the NRPT tables as read, the hosts file and the adapter list;
 * nothing else. doctor_bundle.c. Returns 0, or -1 with err. */
#define DOCTOR_BUNDLE_EVENTS	10000u
int	 doctor_bundle(const struct config *cfg, const cJSON *report,
	    const char *path, struct dwerr *err);

/* Adds item under name to obj, noting a failure in d->oom. */
void	 doctor_add(struct doctor *d, cJSON *obj, const char *name,
	    cJSON *item);

#endif
