/* reconcile: one pass of the reconcile (see reconcile.h). */
#include "reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "hostspass.h"
#include "log.h"
#include "nrptpass.h"
#include "platform.h"

const char *
reconcile_result_name(enum reconcile_result r)
{
	switch (r) {
	case RECONCILE_NOOP:
		return "noop";
	case RECONCILE_CONVERGED:
		return "converged";
	case RECONCILE_DEGRADED:
		return "degraded";
	case RECONCILE_FAILED:
		return "failed";
	}
	return "failed";
}

int
reconcile_read_desired(const char *path, struct desired_state **out,
    struct dwerr *err)
{
	char	*text;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (platform_read_file(path, DESIRED_MAX_BYTES, &text, &len, err) != 0) {
		if (err != NULL && err->code == PLATFORM_E_TOOBIG)
			dwerr_set(err, DWERR_INPUT, "%s: $: the file is over the "
			    "limit of %u bytes; it was not read", path,
			    DESIRED_MAX_BYTES);
		else
			dwerr_prefix(err, "cannot read the desired state: ");
		return -1;
	}
	rc = desired_parse(text, len, path, out, err);
	free(text);
	return rc;
}

/* Reads and validates the desired state; traces the outcome. */
static struct desired_state *
reconcile_load_desired(const struct config *cfg, struct trace *t)
{
	struct desired_state	*ds;
	struct dwerr		 err;

	if (reconcile_read_desired(cfg->desired_state, &ds, &err) != 0) {
		trace_desired_state_invalid(t, cfg->desired_state, err.msg);
		log_error("%s", err.msg);
		return NULL;
	}
	trace_desired_state_loaded(t, cfg->desired_state, (uint32_t)ds->nnrpt,
	    (uint32_t)ds->nhosts);
	return ds;
}

/* The hosts artifact: returns its part of the pass result. */
static enum reconcile_result
reconcile_hosts(const struct config *cfg, const struct desired_state *ds,
    struct trace *t, const struct reconcile_opts *opts, unsigned *writes)
{
	struct hostspass	*hp;
	enum reconcile_result	 r = RECONCILE_FAILED;
	bool			 wrote;

	if ((hp = hostspass_new(cfg, ds, t)) == NULL) {
		log_error("out of memory");
		return RECONCILE_FAILED;
	}
	switch (hostspass_check(hp, opts->mode == RECONCILE_PLAN, opts->out)) {
	case HOSTSPASS_NOOP:
		r = RECONCILE_NOOP;
		break;
	case HOSTSPASS_PLANNED:
		r = RECONCILE_CONVERGED;
		break;
	case HOSTSPASS_HELD:
		r = RECONCILE_DEGRADED;
		break;
	case HOSTSPASS_FAILED:
		r = RECONCILE_FAILED;
		break;
	case HOSTSPASS_WRITE:
		switch (hostspass_write_blocking(hp, opts->out, &wrote)) {
		case 1:
			r = RECONCILE_CONVERGED;
			break;
		case 0:
			r = RECONCILE_DEGRADED;
			break;
		default:
			r = RECONCILE_FAILED;
			break;
		}
		if (wrote)
			(*writes)++;
		break;
	}
	hostspass_free(hp);
	return r;
}

/* The NRPT artifact, as a part of the pass result. */
static enum reconcile_result
reconcile_nrpt(const struct config *cfg, const struct desired_state *ds,
    struct trace *t, const struct reconcile_opts *opts, unsigned *writes)
{
	switch (nrptpass_run(cfg, ds, t, opts->mode == RECONCILE_PLAN,
	    opts->out, writes)) {
	case NRPTPASS_UNSUPPORTED:
	case NRPTPASS_NOOP:
		return RECONCILE_NOOP;
	case NRPTPASS_CHANGED:
		return RECONCILE_CONVERGED;
	case NRPTPASS_FAILED:
		break;
	}
	return RECONCILE_FAILED;
}

/* The worse of two results. */
static enum reconcile_result
reconcile_worse(enum reconcile_result a, enum reconcile_result b)
{
	return a > b ? a : b;
}

int
reconcile_once(const struct config *cfg, struct trace *t,
    const struct reconcile_opts *opts, struct reconcile_summary *sum)
{
	struct desired_state	*ds;
	uint8_t			 activity[16];
	uint64_t		 start = platform_mono_us();

	memset(sum, 0, sizeof(*sum));
	platform_random(activity, sizeof(activity));
	activity[6] = (uint8_t)((activity[6] & 0x0f) | 0x40);	/* version 4 */
	activity[8] = (uint8_t)((activity[8] & 0x3f) | 0x80);	/* variant */
	trace_activity_begin(t, activity);
	trace_reconcile_start(t, opts->trigger);

	if ((ds = reconcile_load_desired(cfg, t)) == NULL) {
		sum->result = RECONCILE_FAILED;
		sum->input_invalid = true;
	} else {
		sum->result = RECONCILE_NOOP;
		if (cfg->hosts_enabled)
			sum->result = reconcile_worse(sum->result,
			    reconcile_hosts(cfg, ds, t, opts, &sum->writes));
		else if (opts->out != NULL)
			fprintf(opts->out, "hosts: not managed (hosts.enabled is false)\n");
		if (cfg->nrpt_enabled)
			sum->result = reconcile_worse(sum->result,
			    reconcile_nrpt(cfg, ds, t, opts, &sum->writes));
		desired_free(ds);
	}
	trace_reconcile_end(t, reconcile_result_name(sum->result), sum->writes,
	    platform_mono_us() - start);
	trace_activity_end(t);
	return (sum->result == RECONCILE_NOOP ||
	    sum->result == RECONCILE_CONVERGED) ? 0 : -1;
}
