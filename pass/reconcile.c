/* reconcile: one pass of the reconcile (see reconcile.h). */
#include "reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "dnsnotify.h"
#include "hostsjob.h"
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

/* The worse of two results. */
static enum reconcile_result
reconcile_worse(enum reconcile_result a, enum reconcile_result b)
{
	return a > b ? a : b;
}

struct reconcile_pass {
	const struct config		*cfg;
	struct trace			*trace;
	struct reconcile_pass_opts	 opts;
	uint8_t				 activity[16];
	uint64_t			 start_us;
	bool				 started;	/* the first step ran */
	bool				 done;		/* ReconcileEnd traced */
	const struct desired_state	*ds;
	enum reconcile_result		 result;
	unsigned			 writes;
	enum reconcile_art		 nrpt, hosts;
	bool				 nrpt_wrote;
	struct hostspass		*hp;
	struct hostsjob			*job;
	bool				 wrote;		/* the hosts file */
	bool				 have_id;	/* of the file as written */
	struct platform_file_id		 id;
	unsigned			 attempts;
	struct dwerr			 hosts_err;
	uint64_t			 hosts_due_ms;	/* next attempt */
	struct resolvedpass		*rp;		/* resolved.enabled */
	bool				 rp_done;
	bool				 follow_ran;	/* follow mode */
	bool				 follow_failed;	/* it could not go on */
	struct followpass		 follow;
};

struct reconcile_pass *
reconcile_begin(const struct config *cfg, struct trace *t,
    const struct reconcile_pass_opts *opts)
{
	struct reconcile_pass	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cfg = cfg;
	p->trace = t;
	p->opts = *opts;
	p->result = RECONCILE_NOOP;	/* only ever made worse */
	p->nrpt = p->hosts = RECONCILE_ART_DISABLED;
	dwerr_reset(&p->hosts_err);
	p->start_us = platform_mono_us();
	platform_random(p->activity, sizeof(p->activity));
	p->activity[6] = (uint8_t)((p->activity[6] & 0x0f) | 0x40); /* v4 */
	p->activity[8] = (uint8_t)((p->activity[8] & 0x3f) | 0x80); /* variant */
	/* A pass that takes up one that gave up names it (ReconcileStart's
	 * continues), so a reader can follow a file across passes. */
	trace_activity_begin(t, p->activity);
	trace_reconcile_start(t, opts->trigger, opts->continues);
	return p;
}

/* How an artifact stands, for the trace ("in_sync", "gave_up"). */
static const char *
reconcile_art_name(enum reconcile_art a)
{
	switch (a) {
	case RECONCILE_ART_DISABLED:
		return "disabled";
	case RECONCILE_ART_UNSUPPORTED:
		return "unsupported";
	case RECONCILE_ART_IN_SYNC:
		return "in_sync";
	case RECONCILE_ART_RETRYING:
		return "retrying";
	case RECONCILE_ART_GAVE_UP:
		return "gave_up";
	case RECONCILE_ART_FAILED:
		return "failed";
	case RECONCILE_ART_REJECTED:
		return "rejected";
	case RECONCILE_ART_HELD_OFF:
		return "held_off";
	}
	return "failed";
}

/* An artifact the config manages but the pass never reached (there was
 * no desired state) is "not_tried", not "disabled". */
static const char *
reconcile_art_seen(const struct reconcile_pass *p, enum reconcile_art a,
    bool enabled)
{
	if (p->ds == NULL && enabled && a == RECONCILE_ART_DISABLED)
		return "not_tried";
	return reconcile_art_name(a);
}

/* ReconcileEnd, once; a degraded or failed pass says so first, at that
 * severity, for sessions that leave out the pass's own level. */
static void
reconcile_end(struct reconcile_pass *p)
{
	const char	*hosts, *nrpt;
	uint64_t	 dur;

	if (p->done)
		return;
	p->done = true;
	if (p->result == RECONCILE_NOOP && p->writes > 0)
		p->result = RECONCILE_CONVERGED;
	if (p->follow_ran && (p->follow.rules_written > 0 ||
	    (p->follow.hosts_restore && p->wrote)))
		trace_follow_restored(p->trace, p->cfg->follow_tunnel,
		    p->follow.rules_written, p->follow.hosts_restore && p->wrote);
	dur = platform_mono_us() - p->start_us;
	hosts = reconcile_art_seen(p, p->hosts, p->cfg->hosts_enabled);
	nrpt = reconcile_art_seen(p, p->nrpt, p->cfg->nrpt_enabled);
	if (p->result == RECONCILE_DEGRADED)
		trace_reconcile_degraded(p->trace, p->opts.trigger, hosts, nrpt,
		    p->writes, dur);
	else if (p->result == RECONCILE_FAILED)
		trace_reconcile_failed(p->trace, p->opts.trigger, hosts, nrpt,
		    p->writes, dur);
	trace_reconcile_end(p->trace, reconcile_result_name(p->result),
	    p->writes, dur);
	trace_activity_end(p->trace);
}

/* The NRPT rules: written at once (registry writes do not wait). */
static void
reconcile_nrpt(struct reconcile_pass *p)
{
	bool			 plan = p->opts.mode == RECONCILE_PLAN;
	enum nrptpass_result	 r;

	if (!p->cfg->nrpt_enabled)
		return;
	if (!plan && p->opts.show)
		r = nrptpass_run(p->cfg, p->ds, p->trace, true, p->opts.out,
		    &p->writes) == NRPTPASS_CHANGED ? nrptpass_run(p->cfg,
		    p->ds, p->trace, false, p->opts.out, &p->writes) :
		    NRPTPASS_NOOP;
	else
		r = nrptpass_run(p->cfg, p->ds, p->trace, plan, p->opts.out,
		    &p->writes);
	switch (r) {
	case NRPTPASS_UNSUPPORTED:
		p->nrpt = RECONCILE_ART_UNSUPPORTED;
		break;
	case NRPTPASS_NOOP:
		p->nrpt = RECONCILE_ART_IN_SYNC;
		break;
	case NRPTPASS_CHANGED:
		p->nrpt = RECONCILE_ART_IN_SYNC;
		p->nrpt_wrote = !plan;
		p->result = reconcile_worse(p->result, RECONCILE_CONVERGED);
		break;
	case NRPTPASS_FAILED:
		p->nrpt = RECONCILE_ART_FAILED;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		break;
	}
}

/* systemd-resolved: the rules as the link's settings. Asynchronous: it
 * goes on beside the hosts file, and the pass ends when both are done. */
static void
reconcile_resolved_start(struct reconcile_pass *p)
{
	struct resolvedpass_opts	 o;

	if (!p->cfg->resolved_enabled)
		return;
	memset(&o, 0, sizeof(o));
	o.bus = p->opts.bus;
	o.bus_error = p->opts.bus_error;
	o.quiet_unavailable = p->opts.resolved_quiet;
	o.plan = p->opts.mode == RECONCILE_PLAN;
	o.out = p->opts.out;
	if ((p->rp = resolvedpass_start(p->cfg, p->ds, p->trace, &o)) == NULL) {
		log_error("resolved: out of memory");
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		p->rp_done = true;
	}
}

/* One step of the resolved part; true once it is done. */
static bool
reconcile_resolved_step(struct reconcile_pass *p, uint64_t now_ms,
    uint32_t *delay_ms)
{
	bool	 plan = p->opts.mode == RECONCILE_PLAN;

	if (p->rp == NULL || p->rp_done)
		return true;
	if (!resolvedpass_step(p->rp, now_ms, delay_ms))
		return false;
	p->rp_done = true;
	switch (resolvedpass_result(p->rp)) {
	case RESOLVEDPASS_CHANGED:
		if (!plan)
			p->writes += resolvedpass_writes(p->rp);
		p->result = reconcile_worse(p->result, RECONCILE_CONVERGED);
		break;
	case RESOLVEDPASS_FAILED:
		/* resolved refused or did not answer: the next pass (the
		 * daemon's slow retry, or an event) tries again. */
		p->result = reconcile_worse(p->result, RECONCILE_DEGRADED);
		break;
	default:
		break;
	}
	return true;
}

/* Follow mode: what the tunnel left, learned or put back; the rest of
 * the pass then works on the desired state that gives. */
static void
reconcile_follow(struct reconcile_pass *p)
{
	bool	 plan = p->opts.mode == RECONCILE_PLAN;

	p->follow_ran = true;
	if (followpass_run(&p->follow, p->cfg, p->trace, plan, p->opts.out,
	    &p->writes) != 0) {
		p->follow_failed = true;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		return;
	}
	if (p->follow.failed)
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
	else if (p->follow.rules_written > 0 || (plan &&
	    p->follow.hosts_restore))
		p->result = reconcile_worse(p->result, RECONCILE_CONVERGED);
	p->ds = p->follow.ds;
}

/* The first look at the hosts file: done, or a write job to run. */
static void
reconcile_hosts_check(struct reconcile_pass *p, uint64_t now_ms)
{
	bool	 plan = p->opts.mode == RECONCILE_PLAN;

	if (!p->cfg->hosts_enabled) {
		if (p->opts.out != NULL)
			fprintf(p->opts.out,
			    "hosts: not managed (hosts.enabled is false)\n");
		return;
	}
	if (p->follow_ran && (p->follow_failed || p->follow.hosts_leave)) {
		/* Nothing to put back: the tunnel's section is its own. */
		p->hosts = p->follow_failed ? RECONCILE_ART_DISABLED :
		    RECONCILE_ART_IN_SYNC;
		if (p->opts.out != NULL && !p->follow_failed)
			fprintf(p->opts.out, "hosts %s: nothing to put back\n",
			    p->cfg->hosts_path);
		return;
	}
	if (p->opts.hosts_held_off) {
		p->hosts = RECONCILE_ART_HELD_OFF;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		return;
	}
	if ((p->hp = hostspass_new(p->cfg, p->ds, p->trace)) == NULL) {
		dwerr_set(&p->hosts_err, ENOMEM, "out of memory");
		p->hosts = RECONCILE_ART_FAILED;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		return;
	}
	p->hosts = RECONCILE_ART_IN_SYNC;
	switch (hostspass_check(p->hp, plan || p->opts.show, p->opts.out)) {
	case HOSTSPASS_NOOP:
		return;
	case HOSTSPASS_PLANNED:
	case HOSTSPASS_HELD:
		if (plan) {
			p->result = reconcile_worse(p->result, RECONCILE_CONVERGED);
			return;
		}
		/* Shown: now the change itself. */
		if (hostspass_check(p->hp, false, NULL) == HOSTSPASS_NOOP)
			return;
		break;
	case HOSTSPASS_FAILED:
		p->hosts = RECONCILE_ART_REJECTED;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
		return;
	case HOSTSPASS_WRITE:
		break;
	}
	if ((p->job = hostspass_job(p->hp, now_ms)) == NULL) {
		dwerr_set(&p->hosts_err, ENOMEM, "out of memory");
		p->hosts = RECONCILE_ART_FAILED;
		p->result = reconcile_worse(p->result, RECONCILE_FAILED);
	}
}

/* The hosts file was written: the DNS client's cache may hold answers,
 * negative ones too, that the new file contradicts. Best effort: the file
 * is right, and cached answers expire on their own. */
static void
reconcile_hosts_notify(void)
{
	struct dwerr	 err;

	if (dnsnotify_hosts(&err) != 0)
		log_notice("hosts: %s", err.msg);
}

/* One attempt of the hosts job; false with *delay_ms while it goes on. */
static bool
reconcile_hosts_step(struct reconcile_pass *p, uint64_t now_ms,
    uint32_t *delay_ms)
{
	enum hostsjob_state	 st;
	bool			 transient;

	st = hostsjob_attempt(p->job, now_ms, platform_random01(), delay_ms);
	p->attempts = hostsjob_attempts(p->job);
	p->wrote = hostsjob_wrote(p->job);
	p->have_id = hostsjob_written_id(p->job, &p->id);
	p->hosts_err = *hostsjob_error(p->job);
	if (st == HOSTSJOB_RETRY) {
		p->hosts = RECONCILE_ART_RETRYING;
		return false;
	}
	if (hostspass_finish(p->hp, p->job, st, p->opts.out, &transient))
		p->hosts = RECONCILE_ART_IN_SYNC;
	else {
		p->hosts = transient ? RECONCILE_ART_GAVE_UP :
		    RECONCILE_ART_FAILED;
		p->result = reconcile_worse(p->result, transient ?
		    RECONCILE_DEGRADED : RECONCILE_FAILED);
	}
	if (p->wrote) {
		p->writes++;
		reconcile_hosts_notify();
	}
	hostsjob_free(p->job);
	p->job = NULL;
	return true;
}

/* The parts that wait: the hosts job's next attempt and resolved's
 * replies. Ends the pass when neither waits. */
static bool
reconcile_step_jobs(struct reconcile_pass *p, uint64_t now_ms,
    uint32_t *delay_ms)
{
	uint32_t	 hd = 0, rd = 0;
	bool		 hosts_done = p->job == NULL, rp_done;

	rp_done = reconcile_resolved_step(p, now_ms, &rd);
	if (!hosts_done) {
		if (now_ms >= p->hosts_due_ms) {
			hosts_done = reconcile_hosts_step(p, now_ms, &hd);
			if (!hosts_done)
				p->hosts_due_ms = now_ms + hd;
		} else
			hd = (uint32_t)(p->hosts_due_ms - now_ms);
	}
	if (hosts_done && rp_done) {
		reconcile_end(p);
		return true;
	}
	if (hosts_done)
		*delay_ms = rd;
	else if (rp_done)
		*delay_ms = hd;
	else
		*delay_ms = hd < rd ? hd : rd;
	return false;
}

bool
reconcile_step(struct reconcile_pass *p, const struct desired_state *ds,
    uint64_t now_ms, uint32_t *delay_ms)
{
	*delay_ms = 0;
	if (p->done)
		return true;
	if (!p->started) {
		p->started = true;
		if ((p->ds = ds) == NULL) {
			p->result = RECONCILE_FAILED;
			reconcile_end(p);
			return true;
		}
		if (p->cfg->follow_enabled)
			reconcile_follow(p);
		/* NRPT first: see docs/decisions/0007-one-pass.md. */
		if (!p->follow_failed)
			reconcile_nrpt(p);
		reconcile_resolved_start(p);
		reconcile_hosts_check(p, now_ms);
	}
	return reconcile_step_jobs(p, now_ms, delay_ms);
}

void
reconcile_pass_free(struct reconcile_pass *p)
{
	if (p == NULL)
		return;
	if (!p->done) {
		/* Stopped half-way: nothing is half-written between two
		 * attempts, and the pass says it did not finish. */
		p->result = reconcile_worse(p->result, RECONCILE_DEGRADED);
		reconcile_end(p);
	}
	hostsjob_free(p->job);
	hostspass_free(p->hp);
	resolvedpass_free(p->rp);
	followpass_clear(&p->follow);
	free(p);
}

const struct resolvedpass *
reconcile_pass_resolved(const struct reconcile_pass *p)
{
	return p->rp;
}

bool
reconcile_pass_waits_bus(const struct reconcile_pass *p)
{
	return p->rp != NULL && !p->rp_done;
}

bool
reconcile_pass_hosts_waiting(const struct reconcile_pass *p)
{
	return p->job != NULL;
}

const struct followpass *
reconcile_pass_follow(const struct reconcile_pass *p)
{
	return p->follow_ran ? &p->follow : NULL;
}

enum reconcile_result
reconcile_pass_result(const struct reconcile_pass *p)
{
	return p->result;
}

unsigned
reconcile_pass_writes(const struct reconcile_pass *p)
{
	return p->writes;
}

const uint8_t *
reconcile_pass_activity(const struct reconcile_pass *p)
{
	return p->activity;
}

enum reconcile_art
reconcile_pass_hosts(const struct reconcile_pass *p)
{
	return p->hosts;
}

enum reconcile_art
reconcile_pass_nrpt(const struct reconcile_pass *p)
{
	return p->nrpt;
}

const char *
reconcile_pass_hosts_error(const struct reconcile_pass *p)
{
	return p->hosts_err.msg;
}

unsigned
reconcile_pass_hosts_attempts(const struct reconcile_pass *p)
{
	return p->attempts;
}

bool
reconcile_pass_nrpt_wrote(const struct reconcile_pass *p)
{
	return p->nrpt_wrote;
}

bool
reconcile_pass_hosts_wrote(const struct reconcile_pass *p)
{
	return p->wrote;
}

bool
reconcile_pass_hosts_id(const struct reconcile_pass *p,
    struct platform_file_id *id)
{
	if (p->wrote) {
		/* Written, but the writer could not say as what: the next
		 * event costs one no-op pass rather than a missed drift. */
		if (p->have_id)
			*id = p->id;
		return p->have_id;
	}
	return p->hp != NULL && hostspass_seen_id(p->hp, id);
}

int
reconcile_once(const struct config *cfg, struct trace *t,
    const struct reconcile_opts *opts, struct reconcile_summary *sum)
{
	return reconcile_once_keep(cfg, t, opts, sum, NULL);
}

int
reconcile_once_keep(const struct config *cfg, struct trace *t,
    const struct reconcile_opts *opts, struct reconcile_summary *sum,
    struct desired_state **keep)
{
	struct reconcile_pass_opts	 po;
	struct reconcile_pass		*p;
	struct desired_state		*ds;
	struct rbus			*bus = NULL;
	struct dwerr			 berr;
	uint32_t			 delay;

	memset(sum, 0, sizeof(*sum));
	if (keep != NULL)
		*keep = NULL;
	memset(&po, 0, sizeof(po));
	po.mode = opts->mode;
	po.trigger = opts->trigger;
	po.out = opts->out;
	if (cfg->resolved_enabled && rbus_open(&bus, &berr) != 0)
		po.bus_error = berr.msg;
	po.bus = bus;
	if ((p = reconcile_begin(cfg, t, &po)) == NULL) {
		log_error("out of memory");
		rbus_free(bus);
		sum->result = RECONCILE_FAILED;
		return -1;
	}
	/* Follow mode reads no desired-state file: the pass learns it. */
	ds = cfg->follow_enabled ? desired_new() :
	    reconcile_load_desired(cfg, t);
	while (!reconcile_step(p, ds, platform_mono_ms(), &delay)) {
		if (reconcile_pass_waits_bus(p)) {
			/* Replies from resolved, or the hosts job's time. */
			if (rbus_wait(bus, delay) != 0)
				platform_sleep_ms(delay < 100 ? delay : 100);
			continue;
		}
		log_debug("hosts write attempt %u failed: %s; next in %u ms",
		    reconcile_pass_hosts_attempts(p),
		    reconcile_pass_hosts_error(p), delay);
		platform_sleep_ms(delay);
	}
	sum->result = p->result;
	sum->writes = p->writes;
	sum->input_invalid = ds == NULL ||
	    (p->follow_ran && p->follow.state_invalid);
	memcpy(sum->activity, p->activity, sizeof(sum->activity));
	reconcile_pass_free(p);
	rbus_free(bus);
	if (keep != NULL)
		*keep = ds;
	else
		desired_free(ds);
	return (sum->result == RECONCILE_NOOP ||
	    sum->result == RECONCILE_CONVERGED) ? 0 : -1;
}
