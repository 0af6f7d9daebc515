/*
 * hostsjob: one hosts-file write carried through its retries.
 *
 * The retry logic lives here once: hostsjob_attempt makes one attempt,
 * traces it (exactly one event per attempt: HostsWriteAttempt when another
 * attempt follows, HostsWriteSucceeded, or HostsWriteGaveUp), and says when
 * to try again. The one-shot CLI sleeps between attempts; the daemon arms a
 * timer instead, so its loop never blocks.
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
	HOSTSJOB_DONE,		/* written */
	HOSTSJOB_RETRY,		/* failed transiently: call again after the delay */
	HOSTSJOB_GAVE_UP	/* permanent error, or the deadline passed */
};

/* The write itself (hostsfile_write by default; tests inject failures). */
typedef int (*hostsjob_write_fn)(void *ctx, const char *path, const char *buf,
    size_t len, struct hostsfile_result *res, struct dwerr *err);

struct hostsjob;

/* A job writing len bytes of content (the job takes ownership of content,
 * a malloc'd buffer) to path; start_ms is "now" on a monotonic clock.
 * Returns NULL when memory runs out (content is freed then too). */
struct hostsjob	*hostsjob_new(const char *path, char *content, size_t len,
		    const struct backoff_policy *policy, struct trace *trace,
		    uint64_t start_ms);
/* Frees a job; NULL is a no-op. */
void		 hostsjob_free(struct hostsjob *job);
/* Replaces the write function (tests). */
void		 hostsjob_set_writer(struct hostsjob *job, hostsjob_write_fn fn,
		    void *ctx);

/* Makes one attempt at now_ms. On HOSTSJOB_RETRY, *next_delay_ms says when
 * to call again. rand01 in [0, 1) jitters the delay. */
enum hostsjob_state hostsjob_attempt(struct hostsjob *job, uint64_t now_ms,
		    double rand01, uint32_t *next_delay_ms);

/* Attempts made so far. */
unsigned	 hostsjob_attempts(const struct hostsjob *job);
/* The last error (empty when none), and whether it was transient. */
const struct dwerr *hostsjob_error(const struct hostsjob *job);
bool		 hostsjob_transient(const struct hostsjob *job);

#endif
