/* hostsjob: a hosts-file update and its retries (see hostsjob.h). */
#include "hostsjob.h"

#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

struct hostsjob {
	char			*path;
	hostsjob_render_fn	 render;
	void			*render_ctx;
	struct backoff_policy	 policy;
	struct trace		*trace;
	uint64_t		 start_ms;
	unsigned		 attempts;
	struct dwerr		 err;
	hostsjob_write_fn	 write;
	void			*write_ctx;
	bool			 transient;	/* of the last failure */
	bool			 wrote;
	struct hostsfile_result	 res;		/* of the successful write */
};

static int
hostsjob_default_write(void *ctx, const char *path, const char *buf,
    size_t len, struct hostsfile_result *res, struct dwerr *err)
{
	(void)ctx;
	return hostsfile_write(path, buf, len, res, err);
}

struct hostsjob *
hostsjob_new(const char *path, hostsjob_render_fn render, void *render_ctx,
    const struct backoff_policy *policy, struct trace *trace, uint64_t start_ms)
{
	struct hostsjob	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->path = dwstr_dup(path)) == NULL) {
		free(job);
		return NULL;
	}
	job->render = render;
	job->render_ctx = render_ctx;
	job->policy = *policy;
	job->trace = trace;
	job->start_ms = start_ms;
	job->write = hostsjob_default_write;
	dwerr_reset(&job->err);
	return job;
}

void
hostsjob_free(struct hostsjob *job)
{
	if (job == NULL)
		return;
	free(job->path);
	free(job);
}

void
hostsjob_set_writer(struct hostsjob *job, hostsjob_write_fn fn, void *ctx)
{
	job->write = fn;
	job->write_ctx = ctx;
}

/* The OS error code for a trace's error_code field: 0 when the failure
 * was not the OS's (bad content: DWERR_INPUT). */
static uint32_t
hostsjob_os_code(int code)
{
	return code > 0 ? (uint32_t)code : 0;
}

/* Traces a failed attempt and decides: another attempt, or give up. */
static enum hostsjob_state
hostsjob_failed(struct hostsjob *job, bool transient, uint64_t elapsed,
    double rand01, uint32_t *next_delay_ms)
{
	uint32_t	 delay = 0;

	job->transient = transient;
	if (transient && backoff_next(&job->policy, job->attempts, elapsed,
	    rand01, &delay) == 0) {
		trace_hosts_write_attempt(job->trace, job->attempts,
		    hostsjob_os_code(job->err.code),
		    hostsfile_error_name(job->err.code), job->err.msg, true,
		    delay, elapsed);
		*next_delay_ms = delay;
		return HOSTSJOB_RETRY;
	}
	trace_hosts_write_gave_up(job->trace, job->attempts, elapsed,
	    hostsjob_os_code(job->err.code), hostsfile_error_name(job->err.code),
	    job->err.msg, transient);
	return HOSTSJOB_GAVE_UP;
}

enum hostsjob_state
hostsjob_attempt(struct hostsjob *job, uint64_t now_ms, double rand01,
    uint32_t *next_delay_ms)
{
	struct hostsfile_result	 res;
	uint64_t		 elapsed;
	char			*buf = NULL;
	size_t			 len = 0;
	bool			 changed = true;
	int			 rc;

	memset(&res, 0, sizeof(res));
	elapsed = now_ms >= job->start_ms ? now_ms - job->start_ms : 0;
	*next_delay_ms = 0;
	job->attempts++;
	dwerr_reset(&job->err);
	if (job->render(job->render_ctx, &buf, &len, &changed, &job->err) != 0) {
		/* The file could not be read (a holder that shares nothing:
		 * retry), or it became unmanageable (UTF-16: give up). */
		return hostsjob_failed(job, job->err.code != DWERR_INPUT &&
		    hostsfile_transient(job->err.code), elapsed, rand01,
		    next_delay_ms);
	}
	if (!changed) {
		/* Someone else put the right content there meanwhile. */
		free(buf);
		trace_hosts_unchanged(job->trace, job->path);
		return HOSTSJOB_DONE;
	}
	rc = job->write(job->write_ctx, job->path, buf, len, &res, &job->err);
	free(buf);
	if (rc == 0) {
		job->transient = false;
		job->wrote = true;
		job->res = res;
		trace_hosts_write_succeeded(job->trace, job->attempts, elapsed,
		    len, res.method);
		return HOSTSJOB_DONE;
	}
	return hostsjob_failed(job, res.transient, elapsed, rand01,
	    next_delay_ms);
}

unsigned
hostsjob_attempts(const struct hostsjob *job)
{
	return job->attempts;
}

bool
hostsjob_wrote(const struct hostsjob *job)
{
	return job->wrote;
}

bool
hostsjob_written_id(const struct hostsjob *job, struct platform_file_id *id)
{
	if (!job->wrote || !job->res.have_id)
		return false;
	*id = job->res.id;
	return true;
}

const struct dwerr *
hostsjob_error(const struct hostsjob *job)
{
	return &job->err;
}

bool
hostsjob_transient(const struct hostsjob *job)
{
	return job->transient;
}
