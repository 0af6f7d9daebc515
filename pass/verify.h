/*
 * verify: that what was written works, seen through the system's resolver.
 *
 * A written rule or hosts line is not a name that resolves. verify_run
 * checks the effect of the desired state per artifact:
 *  - hosts: every managed name (up to VERIFY_HOSTS_CAP per run, rotating
 *    through the rest on later runs) resolved with the system resolver and
 *    compared with the desired addresses;
 *  - NRPT (Windows): the rules read back, each parsable by Windows and
 *    placed where it takes effect (a GP table, even empty, hides the local
 *    one), and each rule's probe names resolved, saying which server
 *    answered.
 * The first failure of each artifact is classified (enum verify_class).
 * verify_run blocks on the resolver: the daemon runs it on a worker
 * thread, never on the loop thread, on a private copy of what it reads
 * (struct verify_job).
 *
 * Follow mode is not verified: its desired state is the tunnel's section
 * as bytes, not entries (the hosts part does not run).
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "desired.h"
#include "trace.h"

#define VERIFY_HOSTS_CAP	64u	/* names resolved per run */

enum verify_class {
	VERIFY_OK,
	VERIFY_RULE_MISSING,		/* a desired rule is not in the table */
	VERIFY_RULE_IGNORED_GP,		/* local rule hidden by a GP table */
	VERIFY_RULE_SHADOWED,		/* someone else's rule wins the name */
	VERIFY_SERVER_UNREACHABLE,	/* no server of the rule answered */
	VERIFY_NAME_ABSENT,		/* the resolver does not know the name */
	VERIFY_ADDRESS_MISMATCH,	/* it answers other addresses */
	VERIFY_RESOLVER_SKIPS_HOSTS,	/* the resolver reads no hosts file */
	VERIFY_NOT_SYSTEM_FILE,		/* not the file the resolver reads */
	VERIFY_RULE_UNPARSABLE		/* Windows cannot parse a value */
};

/* One artifact's verification. */
struct verify_result {
	bool			ran;		/* false: nothing to verify */
	bool			skipped;	/* not verified (class says why) */
	unsigned		checked;	/* names or rules checked */
	unsigned		failed;
	char			first_failure[256]; /* a name or rule ID */
	enum verify_class	cls;		/* of the first failure */
	char			detail[512];	/* a sentence, "" when ok */
	uint64_t		duration_us;
};

struct verify_report {
	struct verify_result	hosts;
	struct verify_result	nrpt;
};

/* "rule-missing", "address-mismatch", ... ("ok" for VERIFY_OK). */
const char	*verify_class_name(enum verify_class c);

/* Verifies ds as cfg manages it; blocks. *cursor is where the hosts
 * names' rotation stands (0 at first; the run moves it on). Returns 0, or
 * -1 when memory ran out. */
int		 verify_run(const struct config *cfg,
		    const struct desired_state *ds, size_t *cursor,
		    struct verify_report *rep);

/* The nsswitch.conf that tells whether the resolver reads the hosts
 * file (resolve_reads_hosts); NULL, the default, is the system's. path is
 * borrowed until the next call; set it before any verify_run. */
void		 verify_set_nsswitch(const char *path);

/* True when an artifact that ran failed (skipped is not failed). */
bool		 verify_failed(const struct verify_report *rep);

/* One VerifyResult event per artifact that ran. */
void		 verify_trace(struct trace *t, const struct verify_report *rep);

/* One line per artifact that ran, for a person: "verified: hosts: 3
 * names resolve as desired", "NOT verified: hosts: name-absent: ...". */
void		 verify_print(const struct verify_report *rep, FILE *out);

/* the NRPT part, verify_nrpt.c */
/* Verifies the NRPT rules of ds (NULL: only the rules of ours) into res:
 * every rule of ours parsable and effective, every desired namespace
 * routed by one, every probe name answered (res->detail says by which
 * server). res->ran is false where there is no NRPT or nothing to
 * verify. Blocks on the resolver. */
void		 verify_nrpt(const struct config *cfg,
		    const struct desired_state *ds, struct verify_result *res);

/* the rules through systemd-resolved, verify_resolved.c: every probe
 * name of ds's rules resolves through the system resolver. res->ran is
 * false without resolved.enabled or without probes. Blocks. */
void		 verify_resolved(const struct config *cfg,
		    const struct desired_state *ds, struct verify_result *res);

/* The report as JSON: { "hosts": {...}, "nrpt": {...} } (artifacts that
 * did not run are left out). NULL without memory. */
cJSON		*verify_report_json(const struct verify_report *rep);

/*
 * A verification to run on another thread: private copies of the config
 * fields and the desired state that verify_run reads, so that nothing the
 * loop frees (on a reload, a new desired state) is shared.
 */
struct verify_job;

/* Copies what verify_run needs of cfg and ds; cursor as for verify_run.
 * NULL without memory. */
struct verify_job *verify_job_new(const struct config *cfg,
		    const struct desired_state *ds, size_t cursor);
/* Runs it (blocks); then the report and the cursor are final. */
void		 verify_job_run(struct verify_job *j);
/* The report, the rotation's next cursor, and verify_run's return. */
const struct verify_report *verify_job_report(const struct verify_job *j);
size_t		 verify_job_cursor(const struct verify_job *j);
int		 verify_job_rc(const struct verify_job *j);
/* Frees the job; NULL is a no-op. */
void		 verify_job_free(struct verify_job *j);

#endif
