/* hostsjob: a hosts-file write and its retries (see hostsjob.h). */
#include "hostsjob.h"

#include <stdlib.h>

#include "dwstr.h"
#include "hostsfile.h"

struct hostsjob {
	char			*path;
	char			*content;
	size_t			 len;
	struct backoff_policy	 policy;
	struct trace		*trace;
	uint64_t		 start_ms;
	unsigned		 attempts;
	struct dwerr		 err;
	hostsjob_write_fn	 write;
	void			*write_ctx;
	hostsjob_transient_fn	 transient;
};

static int
hostsjob_default_write(void *ctx, const char *path, const char *buf,
    size_t len, const char **method, struct dwerr *err)
{
	(void)ctx;
	return hostsfile_write(path, buf, len, method, err);
}

struct hostsjob *
hostsjob_new(const char *path, char *content, size_t len,
    const struct backoff_policy *policy, struct trace *trace, uint64_t start_ms)
{
	struct hostsjob	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->path = dwstr_dup(path)) == NULL) {
		free(job);
		free(content);
		return NULL;
	}
	job->content = content;
	job->len = len;
	job->policy = *policy;
	job->trace = trace;
	job->start_ms = start_ms;
	job->write = hostsjob_default_write;
	job->transient = hostsfile_transient;
	dwerr_reset(&job->err);
	return job;
}

void
hostsjob_free(struct hostsjob *job)
{
	if (job == NULL)
		return;
	free(job->path);
	free(job->content);
	free(job);
}

void
hostsjob_set_writer(struct hostsjob *job, hostsjob_write_fn fn, void *ctx,
    hostsjob_transient_fn transient)
{
	job->write = fn;
	job->write_ctx = ctx;
	job->transient = transient;
}

enum hostsjob_state
hostsjob_attempt(struct hostsjob *job, uint64_t now_ms, double rand01,
    uint32_t *next_delay_ms)
{
	const char	*method = NULL;
	uint64_t	 elapsed = now_ms >= job->start_ms ? now_ms - job->start_ms : 0;
	uint32_t	 delay = 0;
	bool		 transient;

	*next_delay_ms = 0;
	job->attempts++;
	dwerr_reset(&job->err);
	if (job->write(job->write_ctx, job->path, job->content, job->len,
	    &method, &job->err) == 0) {
		trace_hosts_write_succeeded(job->trace, job->attempts, elapsed,
		    job->len, method);
		return HOSTSJOB_DONE;
	}
	transient = job->transient(job->err.code);
	if (transient && backoff_next(&job->policy, job->attempts, elapsed,
	    rand01, &delay) == 0) {
		trace_hosts_write_attempt(job->trace, job->attempts,
		    (uint32_t)job->err.code, job->err.msg, true, delay, elapsed);
		*next_delay_ms = delay;
		return HOSTSJOB_RETRY;
	}
	trace_hosts_write_gave_up(job->trace, job->attempts, elapsed,
	    (uint32_t)job->err.code, job->err.msg, transient);
	return HOSTSJOB_GAVE_UP;
}

unsigned
hostsjob_attempts(const struct hostsjob *job)
{
	return job->attempts;
}

const struct dwerr *
hostsjob_error(const struct hostsjob *job)
{
	return &job->err;
}
