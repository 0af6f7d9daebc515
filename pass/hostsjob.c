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
	struct hostsfile_result	 res;		/* of the last successful write */
	struct hostsfile_carry	*carry;		/* a replaced file to watch */
	char			*carry_buf;	/* the bytes written; carry's */
	bool			 settled;	/* carry has settled: merge it */
	uint64_t		 carry_ms;	/* when the watch began */
	uint64_t		 merge_ms;	/* when its bytes were ready */
	unsigned		 merge_from;	/* attempts before the merge */
	uint64_t		 now_ms;	/* of the attempt under way */
};

static int
hostsjob_default_write(void *ctx, const char *path,
    const struct hostsfile_expect *expect, const char *buf, size_t len,
    struct hostsfile_result *res, struct dwerr *err)
{
	(void)ctx;
	return hostsfile_write(path, expect, buf, len, res, err);
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
	hostsfile_carry_free(job->carry);
	free(job->carry_buf);
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
	unsigned	 n = job->attempts;

	job->transient = transient;
	/* Bytes another writer left in the replaced file are owed to the
	 * file: their merge gets a whole deadline of its own. */
	if (job->settled) {
		n = job->attempts - job->merge_from;
		elapsed = job->now_ms >= job->merge_ms ?
		    job->now_ms - job->merge_ms : 0;
	}
	if (transient && backoff_next(&job->policy, n, elapsed,
	    rand01, &delay) == 0) {
		trace_hosts_write_attempt(job->trace, job->attempts,
		    hostsjob_os_code(job->err.code),
		    hostsfile_error_name(job->err.code), job->err.msg, true,
		    delay, elapsed);
		*next_delay_ms = delay;
		return HOSTSJOB_RETRY;
	}
	if (job->settled)
		dwerr_add(&job->err, job->err.code, "%zu bytes another writer "
		    "left in the replaced file were not carried over",
		    hostsfile_carry_bytes(job->carry));
	trace_hosts_write_gave_up(job->trace, job->attempts, elapsed,
	    hostsjob_os_code(job->err.code), hostsfile_error_name(job->err.code),
	    job->err.msg, transient);
	return HOSTSJOB_GAVE_UP;
}

/* Drops the watch of a replaced file: what arrived in it is in the file. */
static void
hostsjob_carry_done(struct hostsjob *job)
{
	hostsfile_carry_free(job->carry);
	job->carry = NULL;
	free(job->carry_buf);
	job->carry_buf = NULL;
	job->settled = false;
}

/* The replaced file has settled: true when the job is done (nothing
 * arrived, or the watch put it in the new file), false when what arrived
 * is to be merged by another attempt. */
static bool
hostsjob_carry_settled(struct hostsjob *job, uint64_t now_ms)
{
	size_t	 n = hostsfile_carry_bytes(job->carry);

	if (n > 0)
		trace_hosts_carried(job->trace, job->path, n,
		    now_ms >= job->carry_ms ? now_ms - job->carry_ms : 0);
	if (n == 0 || hostsfile_carry_applied(job->carry)) {
		hostsjob_carry_done(job);
		return true;
	}
	job->settled = true;
	job->merge_ms = now_ms;
	job->merge_from = job->attempts;
	return false;
}

enum hostsjob_state
hostsjob_attempt(struct hostsjob *job, uint64_t now_ms, double rand01,
    uint32_t *next_delay_ms)
{
	struct hostsfile_result	 res;
	struct hostsfile_expect	 expect;
	uint64_t		 elapsed;
	uint32_t		 next;
	char			*buf = NULL;
	size_t			 len = 0;
	bool			 changed = true;
	int			 rc;

	memset(&res, 0, sizeof(res));
	memset(&expect, 0, sizeof(expect));
	elapsed = now_ms >= job->start_ms ? now_ms - job->start_ms : 0;
	job->now_ms = now_ms;
	*next_delay_ms = 0;
	if (job->carry != NULL && !job->settled) {
		/* Watching the file we replaced: not an attempt yet. */
		if (hostsfile_carry_step(job->carry, now_ms, &next) == 0) {
			*next_delay_ms = next;
			return HOSTSJOB_RETRY;
		}
		if (hostsjob_carry_settled(job, now_ms))
			return HOSTSJOB_DONE;
	}
	job->attempts++;
	dwerr_reset(&job->err);
	if (job->render(job->render_ctx, job->settled ? job->carry : NULL,
	    &expect, &buf, &len, &changed, &job->err) != 0) {
		/* The file could not be read (a holder that shares nothing:
		 * retry), or it became unmanageable (UTF-16: give up). */
		return hostsjob_failed(job, job->err.code != DWERR_INPUT &&
		    hostsfile_transient(job->err.code), elapsed, rand01,
		    next_delay_ms);
	}
	if (!changed) {
		/* Someone else put the right content there meanwhile. */
		free(buf);
		hostsjob_carry_done(job);
		trace_hosts_unchanged(job->trace, job->path);
		return HOSTSJOB_DONE;
	}
	rc = job->write(job->write_ctx, job->path, &expect, buf, len, &res,
	    &job->err);
	if (rc != 0)
		free(buf);
	else {
		job->transient = false;
		job->wrote = true;
		job->res = res;
		job->res.carry = NULL;
		trace_hosts_write_succeeded(job->trace, job->attempts, elapsed,
		    len, res.method, res.guard);
		/* What arrived in the file replaced before is in this one. */
		hostsjob_carry_done(job);
		if (res.carry == NULL) {
			free(buf);
			return HOSTSJOB_DONE;
		}
		/* Another writer may still add to the file we replaced. */
		job->carry = res.carry;
		job->carry_buf = buf;
		job->carry_ms = now_ms;
		if (hostsfile_carry_step(job->carry, now_ms, &next) == 0) {
			*next_delay_ms = next;
			return HOSTSJOB_RETRY;
		}
		if (hostsjob_carry_settled(job, now_ms))
			return HOSTSJOB_DONE;
		/* Bytes to merge: the caller calls again at once. */
		return HOSTSJOB_RETRY;
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
