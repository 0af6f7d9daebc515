/* reconcile: one pass of the reconcile (see reconcile.h). */
#include "reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "hosts.h"
#include "hostsfile.h"
#include "hostsjob.h"
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
		if (err != NULL && err->code == EFBIG)
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

/* Start of the next line after p (or end). */
static const char *
reconcile_next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* Prints the lines of [p, end) with a prefix, without their terminators. */
static void
reconcile_print_lines(FILE *out, const char *prefix, const char *p,
    const char *end)
{
	while (p < end) {
		const char	*next = reconcile_next_line(p, end);
		size_t		 n = (size_t)(next - p);

		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
			n--;
		fprintf(out, "%s%.*s\n", prefix, (int)n, p);
		p = next;
	}
}

/*
 * Prints what changes between two versions of the file: the lines between
 * the longest common run of leading lines and of trailing lines. The
 * managed section is one block, so this shows exactly the section change.
 */
static void
reconcile_print_diff(FILE *out, const char *a, size_t alen, const char *b,
    size_t blen)
{
	const char	*ap = a, *bp = b, *ae = a + alen, *be = b + blen;

	for (;;) {
		const char *an = reconcile_next_line(ap, ae);
		const char *bn = reconcile_next_line(bp, be);

		if (ap == ae || bp == be || an - ap != bn - bp ||
		    memcmp(ap, bp, (size_t)(an - ap)) != 0)
			break;
		ap = an;
		bp = bn;
	}
	/* Walk back whole lines from the ends while they match. */
	while (ae > ap && be > bp) {
		const char *as = ae, *bs = be;

		/* Start of the last line of [ap, ae). */
		if (as > ap && as[-1] == '\n')
			as--;
		while (as > ap && as[-1] != '\n')
			as--;
		if (bs > bp && bs[-1] == '\n')
			bs--;
		while (bs > bp && bs[-1] != '\n')
			bs--;
		if (ae - as != be - bs || memcmp(as, bs, (size_t)(ae - as)) != 0)
			break;
		ae = as;
		be = bs;
	}
	reconcile_print_lines(out, "  - ", ap, ae);
	reconcile_print_lines(out, "  + ", bp, be);
}

/* What the hosts artifact reads and renders; the render callback of the
 * write job, so every attempt starts from the file as it is then. */
struct reconcile_hosts {
	const struct config		*cfg;
	const struct desired_state	*ds;
	char				*old;		/* the file as last read */
	size_t				 oldlen;
	bool				 exists;
	size_t				 sections;	/* complete sections found */
	size_t				 orphans;	/* unpaired markers found */
};

static int
reconcile_hosts_render(void *arg, char **buf, size_t *len, bool *changed,
    struct dwerr *err)
{
	struct reconcile_hosts	*rh = arg;
	struct hosts_markers	 m = { rh->cfg->begin_marker, rh->cfg->end_marker };
	struct hosts_doc	*doc = NULL;
	int			 rc = -1;

	free(rh->old);
	rh->old = NULL;
	*buf = NULL;
	if (hostsfile_read(rh->cfg->hosts_path, HOSTS_MAX_BYTES, &rh->old,
	    &rh->oldlen, &rh->exists, err) == 0 &&
	    hosts_parse(rh->old, rh->oldlen, &m, platform_default_eol(), &doc,
	    err) == 0 &&
	    hosts_render(doc, rh->ds, buf, len, changed, err) == 0) {
		rh->sections = hosts_doc_sections(doc);
		rh->orphans = hosts_doc_orphan_markers(doc);
		rc = 0;
	} else if (err != NULL && err->code == DWERR_INPUT)
		dwerr_prefix(err, "%s: ", rh->cfg->hosts_path);
	hosts_doc_free(doc);
	return rc;
}

/* Makes the job's attempts, sleeping between them (the one-shot CLI). */
static enum reconcile_result
reconcile_hosts_write(struct reconcile_hosts *rh, struct trace *t, FILE *out,
    unsigned *writes)
{
	const struct config	*cfg = rh->cfg;
	struct hostsjob		*job;
	enum hostsjob_state	 st;
	enum reconcile_result	 r;
	uint32_t		 delay;
	unsigned		 n;

	hostsfile_cleanup(cfg->hosts_path);
	if ((job = hostsjob_new(cfg->hosts_path, reconcile_hosts_render, rh,
	    &cfg->backoff, t, platform_mono_ms())) == NULL) {
		log_error("out of memory");
		return RECONCILE_FAILED;
	}
	while ((st = hostsjob_attempt(job, platform_mono_ms(),
	    platform_random01(), &delay)) == HOSTSJOB_RETRY) {
		log_debug("hosts write attempt %u failed: %s; next in %u ms",
		    hostsjob_attempts(job), hostsjob_error(job)->msg, delay);
		platform_sleep_ms(delay);
	}
	n = hostsjob_attempts(job);
	if (st == HOSTSJOB_DONE) {
		if (hostsjob_wrote(job))
			(*writes)++;
		if (out != NULL)
			fprintf(out, "hosts %s: %s (%u attempt%s)\n",
			    cfg->hosts_path, hostsjob_wrote(job) ? "written" :
			    "already right", n, n == 1 ? "" : "s");
		r = RECONCILE_CONVERGED;
	} else {
		log_error("gave up writing %s after %u attempt%s: %s",
		    cfg->hosts_path, n, n == 1 ? "" : "s",
		    hostsjob_error(job)->msg);
		if (out != NULL)
			fprintf(out, "hosts %s: gave up after %u attempt%s\n",
			    cfg->hosts_path, n, n == 1 ? "" : "s");
		/* Gave up on a transient error: degraded (a later pass
		 * retries); on a permanent one, retrying cannot help. */
		r = hostsjob_transient(job) ? RECONCILE_DEGRADED :
		    RECONCILE_FAILED;
	}
	hostsjob_free(job);
	return r;
}

/* The hosts artifact: returns its part of the pass result. */
static enum reconcile_result
reconcile_hosts(const struct config *cfg, const struct desired_state *ds,
    struct trace *t, const struct reconcile_opts *opts, unsigned *writes)
{
	struct reconcile_hosts	 rh = { cfg, ds, NULL, 0, false, 0, 0 };
	enum reconcile_result	 r;
	struct dwerr		 err;
	char			*new = NULL;
	size_t			 newlen = 0;
	bool			 changed;
	FILE			*out = opts->out;

	if (reconcile_hosts_render(&rh, &new, &newlen, &changed, &err) != 0) {
		bool held = err.code != DWERR_INPUT &&
		    hostsfile_transient(err.code);

		if (held && opts->mode == RECONCILE_APPLY) {
			/* Held by a process that shares nothing, not even
			 * reading: the job's attempts wait as for a write. */
			r = reconcile_hosts_write(&rh, t, out, writes);
			free(rh.old);
			return r;
		}
		trace_hosts_file_rejected(t, cfg->hosts_path, err.msg);
		log_error("%s", err.msg);
		if (out != NULL)
			fprintf(out, "hosts %s: cannot be %s: %s\n",
			    cfg->hosts_path, held ? "read now" : "managed",
			    err.msg);
		free(rh.old);
		return held ? RECONCILE_DEGRADED : RECONCILE_FAILED;
	}
	if (rh.sections > 1 || rh.orphans > 0) {
		/* Someone moved or copied our markers: say what we repair. */
		trace_hosts_section_repaired(t, cfg->hosts_path,
		    (uint32_t)rh.sections, (uint32_t)rh.orphans);
		log_notice("%s: found %zu managed sections and %zu unpaired "
		    "markers; %s", cfg->hosts_path, rh.sections, rh.orphans,
		    opts->mode == RECONCILE_PLAN ? "would keep one section" :
		    "keeping one section");
	}
	if (!changed) {
		trace_hosts_unchanged(t, cfg->hosts_path);
		if (out != NULL)
			fprintf(out, "hosts %s: unchanged (%zu names)\n",
			    cfg->hosts_path, desired_host_names(ds));
		r = RECONCILE_NOOP;
	} else if (opts->mode == RECONCILE_PLAN) {
		if (out != NULL) {
			fprintf(out, "hosts %s: would %s (%zu -> %zu bytes)\n",
			    cfg->hosts_path, rh.exists ? "rewrite" : "create",
			    rh.oldlen, newlen);
			reconcile_print_diff(out, rh.old, rh.oldlen, new, newlen);
		}
		r = RECONCILE_CONVERGED;
	} else
		r = reconcile_hosts_write(&rh, t, out, writes);
	free(new);
	free(rh.old);
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
