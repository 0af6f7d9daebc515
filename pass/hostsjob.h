/*
 * hostsjob: one hosts-file update carried through its retries.
 *
 * The retry logic lives here once: hostsjob_attempt makes one attempt and
 * traces it with exactly one event (HostsWriteAttempt when another attempt
 * follows, HostsWriteSucceeded, HostsUnchanged when the file turned out to
 * be right already, or HostsWriteGaveUp), and says when to try again. The
 * one-shot CLI sleeps between attempts; the daemon arms a timer instead, so
 * its loop never blocks.
 *
 * Every attempt renders the new file again from the file as it is then,
 * so an edit someone made while the file was locked is kept, not
 * overwritten with bytes computed before it; the write goes ahead only
 * while the file still holds what the render read (hostsfile_expect).
 * When the writer hands back a replaced file that another process may
 * still be writing into (hostsfile_carry), the job watches it through
 * further calls (not attempts: they trace nothing until bytes arrived) and
 * writes again with what arrived carried into the file (HostsCarried).
 */
#ifndef HOSTSJOB_H
#define HOSTSJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "dwerr.h"
#include "hostsfile.h"
#include "trace.h"

enum hostsjob_state {
	HOSTSJOB_DONE,		/* written, or already right */
	HOSTSJOB_RETRY,		/* failed transiently: call again after the delay */
	HOSTSJOB_GAVE_UP	/* permanent error, or the deadline passed */
};

/* Produces the whole new file from the file as it is now: *buf (malloc'd,
 * the job frees it) and *len, or *changed false when nothing needs writing;
 * *expect says what was read (valid until the next render). carry, when
 * not NULL, holds bytes another writer left in a replaced file: the render
 * merges them (hostsfile_carry_merge) into what it read before rendering.
 * Returns 0, or -1 with err when the file cannot be managed (permanent). */
typedef int (*hostsjob_render_fn)(void *ctx,
    const struct hostsfile_carry *carry, struct hostsfile_expect *expect,
    char **buf, size_t *len, bool *changed, struct dwerr *err);

/* The write itself (hostsfile_write by default; tests inject failures). */
typedef int (*hostsjob_write_fn)(void *ctx, const char *path,
    const struct hostsfile_expect *expect, const char *buf, size_t len,
    struct hostsfile_result *res, struct dwerr *err);

struct hostsjob;

/* A job updating path with what render produces; start_ms is "now" on a
 * monotonic clock. The job borrows render_ctx and trace. Returns NULL when
 * memory runs out. */
struct hostsjob	*hostsjob_new(const char *path, hostsjob_render_fn render,
		    void *render_ctx, const struct backoff_policy *policy,
		    struct trace *trace, uint64_t start_ms);
/* Frees a job; NULL is a no-op. */
void		 hostsjob_free(struct hostsjob *job);
/* Replaces the write function (tests). */
void		 hostsjob_set_writer(struct hostsjob *job, hostsjob_write_fn fn,
		    void *ctx);

/* Makes one attempt at now_ms. On HOSTSJOB_RETRY, *next_delay_ms says when
 * to call again. rand01 in [0, 1) jitters the delay. */
enum hostsjob_state hostsjob_attempt(struct hostsjob *job, uint64_t now_ms,
		    double rand01, uint32_t *next_delay_ms);

/* Attempts made so far (watching a replaced file is not one). */
unsigned	 hostsjob_attempts(const struct hostsjob *job);
/* True when the job wrote the file (false: it was already right). */
bool		 hostsjob_wrote(const struct hostsjob *job);
/* The identity of the file as written, when the writer could tell. */
bool		 hostsjob_written_id(const struct hostsjob *job,
		    struct platform_file_id *id);
/* The last error (empty when none), and whether it was transient. */
const struct dwerr *hostsjob_error(const struct hostsjob *job);
bool		 hostsjob_transient(const struct hostsjob *job);

#endif
