/* daemon: the watchdog as a long-running process (see daemon.h). */
#include "daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"
#include "config.h"
#include "control.h"
#include "desired.h"
#include "dnsname.h"
#include "dnsnotify.h"
#include "dwstr.h"
#include "hostsjob.h"
#include "hostspass.h"
#include "log.h"
#include "loop.h"
#include "nrptpass.h"
#include "platform.h"
#include "reconcile.h"
#include "resolved.h"
#include "resolvedwatch.h"
#include "service.h"
#include "sources.h"
#include "trace.h"
#include "trace_etw.h"
#include "verify.h"

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

#define DAEMON_MAX_WAITING	64u	/* "reconcile" requests waiting for a pass */
#define DAEMON_RESUME_JUMP_MS	5000u	/* suspended longer than this: resume */
#define DAEMON_RESYNC_JITTER	0.1	/* +/-10 % */
#define DAEMON_PERMANENT_HOLDOFF_MS 30000u /* no retry of a permanent error */
#define DAEMON_POLICY_NEAR_MS	30000u	/* an NRPT repair this soon after a
					 * policy refresh is blamed on it */
#define DAEMON_VERIFY_FAILS	3u	/* failed verifications in a row
					 * before the Event Log hears of it */
#define DAEMON_VERIFY_STOP_MS	2000u	/* a stop waits this long for a
					 * running verification, then leaves
					 * it to finish alone */
#define DAEMON_FD_LIMIT		8192u	/* open files wanted: the control
					 * channel's clients and the writer's
					 * files, with room to spare */

/* What the daemon knows of one artifact, for "status". */
enum daemon_art {
	ART_UNKNOWN,		/* no pass yet */
	ART_IN_SYNC,
	ART_DRIFTED,		/* someone changed it; a pass is coming */
	ART_PENDING_RETRY,	/* a write failed; the next attempt is armed */
	ART_GAVE_UP,		/* degraded: a slow retry keeps going */
	ART_FAILED,		/* cannot be managed (bad file, registry error) */
	ART_DISABLED,
	ART_UNSUPPORTED
};


/* A verification on its worker thread. The loop and the worker share
 * only this, through state: the worker runs the job (its own copies),
 * then either posts it back (RUNNING -> POSTING -> DONE, waking the loop)
 * or, when a stop gave up on it (ABANDONED), frees it all itself. */
enum daemon_vstate {
	DAEMON_V_RUNNING,
	DAEMON_V_POSTING,	/* waking the loop */
	DAEMON_V_DONE,		/* the loop's again */
	DAEMON_V_ABANDONED	/* the worker's alone */
};

struct daemon_vrun {
	atomic_int		 state;		/* enum daemon_vstate */
	struct verify_job	*job;
	struct loop_timer	*waker;		/* the loop's verify_waker */
	uint8_t			 activity[16];	/* the pass it verifies */
	uint64_t		 pass_no;
};

struct daemon {
	struct config		*cfg;
	char			*config_path;	/* as given, NULL: default */
	struct loop		*loop;
	struct trace		*trace;
	struct trace_jsonl	*tj;		/* JSON Lines sink (in trace) */
	uint64_t		 tj_errors_logged;
	struct sources		*src;
	struct control		*ctl;
	struct loop_io		*sig[3];
	struct loop_timer	*pass_timer;	/* at coalesce_next */
	struct loop_timer	*retry_timer;	/* the hosts job's backoff */
	struct loop_timer	*slow_timer;	/* after giving up */
	struct loop_timer	*resync_timer;
	struct loop_timer	*waker;		/* daemon_request from other threads */
	struct loop_timer	*verify_waker;	/* a verification is done */
	const struct daemon_hooks *hooks;	/* may be NULL */
	const char		*stop_reason;

	/* The desired state in force (last good) and the file's health. */
	struct desired_state	*ds;
	bool			 desired_dirty;	/* (re)read it in the next pass */
	char			*desired_error;	/* why the file is not in force */

	/* When to run a pass (policy/coalesce.c). */
	struct coalesce		*co;
	bool			 reload_pending; /* asked during a pass */
	uint64_t		 hosts_holdoff_ms; /* no write before this */

	/* The running pass. */
	bool			 in_pass;
	bool			 resync_due;	/* a resync is among the triggers */
	bool			 resync_pass;	/* ...of the pass running */
	const char		*trigger;
	bool			 drift_pass;	/* repairs a hosts drift */
	bool			 desired_pass;	/* writes a new desired state */
	struct reconcile_pass	*pass;		/* the running one */

	/* Triggers waiting for the next pass, by what they mean for fights. */
	bool			 hosts_drift_pending;

	/* The last group-policy refresh that was not ours. */
	uint64_t		 policy_ms;
	bool			 policy_seen;
	uint64_t		 pass_start_us;
	uint8_t			 gave_up[16];	/* the pass that last gave up */
	bool			 have_gave_up;

	/* Status. */
	struct followpass	 follow;	/* the last pass's, without ds */
	bool			 have_follow;
	enum daemon_art		 hosts_state, nrpt_state;
	char			*hosts_error;
	struct platform_file_id	 sig_hosts;	/* after our last look or write */
	bool			 sig_valid;
	uint64_t		 started_ms;
	uint64_t		 boot_offset_ms;	/* boottime - monotonic */
	struct {
		uint64_t	 passes, noop_passes, writes;
		uint64_t	 own_writes_ignored, fights;
		uint64_t	 own_policy_ignored;
		const char	*fight;		/* artifact of the last fight */
	} n;
	struct {
		const char	*trigger;
		const char	*result;
		uint64_t	 duration_us;
		uint64_t	 ended_ms;
	} last;


	/* systemd-resolved (resolved.enabled): the bus, and the link as the
	 * last pass left it. */
	struct rwatch		*rw;
	enum daemon_art		 resolved_state;
	bool			 resolved_said;	/* ResolvedUnavailable traced */
	bool			 resolved_available; /* it answered last */
	bool			 resolved_drift_pending; /* its signal came */
	bool			 resolved_drift_pass;	/* ...for this pass */
	char			 resolved_link[RBUS_IFNAME_BYTES];
	int			 resolved_ifindex;
	const char		*resolved_result;
	char			*resolved_reason;
	struct resolved_link	 resolved_live;
	bool			 resolved_have_live;

	/* Verification through the system's resolver (verify.h), after a
	 * pass that wrote and after every resync; one at a time. */
	struct {
		struct daemon_vrun	*run;		/* in flight, or NULL */
		bool			 posted;	/* done during a pass */
		bool			 again;		/* asked meanwhile */
		uint8_t			 again_activity[16];
		uint64_t		 again_pass_no;
		bool			 have;		/* rep holds one */
		struct verify_report	 rep;
		uint64_t		 ended_ms;
		uint64_t		 pass_no;	/* of the pass verified */
		size_t			 cursor;	/* the names' rotation */
		unsigned		 fails;		/* failed in a row */
		bool			 reported;	/* the error is logged */
	} v;

	/* Control clients waiting for a pass: the next to start, the one
	 * running. */
	struct control_client	*wait_next[DAEMON_MAX_WAITING];
	size_t			 nwait_next;
	struct control_client	*wait_run[DAEMON_MAX_WAITING];
	size_t			 nwait_run;
};

static void	daemon_trigger(struct daemon *, const char *, bool);

/* The running daemon's waker and the requests not yet handled: the only
 * state other threads touch. */
static _Atomic(struct loop_timer *) daemon_waker;
static atomic_uint daemon_requests;
static void	daemon_pass_end(struct daemon *);
static void	daemon_pass_step(struct daemon *);
static void	daemon_schedule(struct daemon *);
static int	daemon_reload(struct daemon *, struct dwerr *);
static void	daemon_stop_now(struct daemon *);
static void	daemon_trace_check(struct daemon *);
static void	daemon_verify_done(struct daemon *);
static void	daemon_verify_request(struct daemon *, const uint8_t *);

static const char *
daemon_art_name(enum daemon_art a)
{
	static const char *const names[] = { "unknown", "in_sync", "drifted",
	    "pending_retry", "gave_up", "failed", "disabled", "unsupported" };

	return names[a];
}

static uint64_t
daemon_clock_us(void *ctx)
{
	(void)ctx;
	return platform_wall_us();
}

static void
daemon_set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? dwstr_dup(src) : NULL;
}


/* The coalescer's settings, from the config. */
static void
daemon_coalesce_settings(const struct config *cfg, struct coalesce_config *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->quiet_ms = cfg->quiet_ms;
	cc->max_delay_ms = cfg->max_delay_ms;
	cc->settle_ms[0] = cfg->settle_ms[0];
	cc->settle_ms[1] = cfg->settle_ms[1];
	cc->fight_rewrites = cfg->fight_rewrites;
	cc->fight_window_ms = cfg->fight_window_ms;
	cc->fight_max_delay_ms = cfg->fight_max_delay_ms;
}

static struct coalesce *
daemon_coalesce_new(const struct config *cfg)
{
	struct coalesce_config	 cc;

	daemon_coalesce_settings(cfg, &cc);
	return coalesce_new(&cc);
}

static void
daemon_coalesce_config(struct daemon *d)
{
	struct coalesce_config	 cc;

	daemon_coalesce_settings(d->cfg, &cc);
	coalesce_set_config(d->co, &cc);
}

/* Remembers the hosts file as we leave it, to know our own writes: the
 * identity the writer took from the written file, or the one taken just
 * before the pass read it (never one taken afterwards, which could be a
 * change someone made right after us). */
static void
daemon_hosts_seen(struct daemon *d)
{
	d->sig_valid = reconcile_pass_hosts_id(d->pass, &d->sig_hosts);
}

/* True when the hosts file is still as we left it. */
static bool
daemon_hosts_as_left(const struct daemon *d)
{
	struct platform_file_id	 now;

	return d->sig_valid && platform_file_id(d->cfg->hosts_path, &now) &&
	    memcmp(&now, &d->sig_hosts, sizeof(now)) == 0;
}

/* A jump of the boot clock against the monotonic one: we were asleep. */
static void
daemon_check_resume(struct daemon *d)
{
	uint64_t	 off = platform_boot_ms() - platform_mono_ms();

	if (off > d->boot_offset_ms + DAEMON_RESUME_JUMP_MS) {
		d->boot_offset_ms = off;
		daemon_trigger(d, "resume", false);
	} else if (off > d->boot_offset_ms)
		d->boot_offset_ms = off;
}

/* Replies to control clients; json is one line. */
static void
daemon_reply_all(struct control_client **v, size_t *n, const char *json)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		control_reply(v[i], json);
	*n = 0;
}

/* (Re)reads the desired state; keeps the last good one when invalid.
 * Returns true when a new one took effect. */
static bool
daemon_load_desired(struct daemon *d)
{
	struct desired_state	*ds;
	struct dwerr		 err;

	d->desired_dirty = false;
	if (d->cfg->follow_enabled) {
		/* Follow mode: each pass learns it from the tunnel. */
		if (d->ds == NULL && (d->ds = desired_new()) == NULL)
			log_error("out of memory");
		return false;
	}
	if (reconcile_read_desired(d->cfg->desired_state, &ds, &err) != 0) {
		trace_desired_state_invalid(d->trace, d->cfg->desired_state,
		    err.msg);
		log_error("%s%s", err.msg, d->ds != NULL ?
		    "\n(the last good desired state stays in force)" : "");
		daemon_set_str(&d->desired_error, err.msg);
		service_report(SERVICE_EV_DESIRED_INVALID, err.msg);
		return false;
	}
	desired_free(d->ds);
	d->ds = ds;
	daemon_set_str(&d->desired_error, NULL);
	trace_desired_state_loaded(d->trace, d->cfg->desired_state,
	    (uint32_t)ds->nnrpt, (uint32_t)ds->nhosts);
	return true;
}

/* The words for a fight over artifact ("hosts", "nrpt"). */
static void
daemon_fight_words(struct daemon *d, const char *artifact, uint64_t now,
    char *buf, size_t len)
{
	if (strcmp(artifact, "hosts") == 0)
		snprintf(buf, len, "%s: another program keeps rewriting it",
		    d->cfg->hosts_path);
	else if (strcmp(artifact, "resolved") == 0)
		snprintf(buf, len, "resolved: another program keeps reverting "
		    "or changing the settings of link %s", d->resolved_link);
	else if (d->policy_seen && now - d->policy_ms <= DAEMON_POLICY_NEAR_MS)
		snprintf(buf, len, "NRPT: our rules keep being removed right "
		    "after group-policy refreshes that were not ours (a GPO "
		    "may own the group-policy table)");
	else
		snprintf(buf, len, "NRPT: another program keeps removing or "
		    "changing our rules");
}

/* Records a repair of what another program changed in artifact ("hosts",
 * "nrpt"); past the limit, fights back less and less. */
static void
daemon_note_drift_write(struct daemon *d, uint64_t now, const char *artifact)
{
	const struct config	*cfg = d->cfg;
	struct coalesce_fight	 f;
	char			 what[256], msg[512];

	if (!coalesce_drift_write(d->co, now, &f))
		return;
	d->n.fights++;
	d->n.fight = artifact;
	/* In the activity of the pass that repaired (it has just ended). */
	if (d->pass != NULL)
		trace_activity_begin(d->trace, reconcile_pass_activity(d->pass));
	trace_fight(d->trace, artifact, f.rewrites, cfg->fight_window_ms,
	    f.delay_ms);
	if (d->pass != NULL)
		trace_activity_end(d->trace);
	daemon_fight_words(d, artifact, now, what, sizeof(what));
	snprintf(msg, sizeof(msg), "%s (%u times in %u ms); the next repair "
	    "waits %u ms", what, f.rewrites, cfg->fight_window_ms, f.delay_ms);
	log_error("%s", msg);
	service_report(SERVICE_EV_FIGHT, msg);
}

/* Arms the slow retry after a give-up (DNS is never left broken for good). */
static void
daemon_arm_slow_retry(struct daemon *d)
{
	loop_timer_schedule(d->slow_timer, d->cfg->slow_retry_ms);
}

/* The resolved part of the pass, for status and fights; true when the
 * slow retry must try again (it failed, or there is no bus to say when
 * resolved is back). */
static bool
daemon_resolved_done(struct daemon *d, uint64_t now)
{
	const struct resolvedpass	*rp = reconcile_pass_resolved(d->pass);
	const struct resolved_link	*live;
	enum resolvedpass_result	 r;
	bool				 drift = d->resolved_drift_pass;

	d->resolved_drift_pass = false;
	if (rp == NULL) {
		/* Not reached (no desired state): what is known stays. */
		if (!d->cfg->resolved_enabled)
			d->resolved_state = ART_DISABLED;
		return false;
	}
	r = resolvedpass_result(rp);
	/* Set by this pass: as desired now. */
	d->resolved_result = resolvedpass_result_name(r ==
	    RESOLVEDPASS_CHANGED ? RESOLVEDPASS_NOOP : r);
	snprintf(d->resolved_link, sizeof(d->resolved_link), "%s",
	    resolvedpass_link(rp));
	d->resolved_ifindex = resolvedpass_ifindex(rp);
	daemon_set_str(&d->resolved_reason, resolvedpass_reason(rp)[0] != '\0' ?
	    resolvedpass_reason(rp) : NULL);
	d->resolved_have_live = false;
	if ((live = resolvedpass_live(rp)) != NULL &&
	    resolved_link_copy(&d->resolved_live, live) == 0)
		d->resolved_have_live = true;
	switch (r) {
	case RESOLVEDPASS_UNAVAILABLE:
		/* Said once, until resolved answers again. */
		d->resolved_said = true;
		d->resolved_available = false;
		d->resolved_state = ART_UNSUPPORTED;
		/* Without a bus nothing tells when it is back: the slow
		 * retry looks again. resolved itself announces its return
		 * on a bus that stands. */
		return d->rw == NULL || !rwatch_connected(d->rw);
	case RESOLVEDPASS_ABSENT:
		/* resolved was not asked: what is known of it stays. */
		d->resolved_state = ART_IN_SYNC;
		return false;
	case RESOLVEDPASS_FAILED:
		d->resolved_state = ART_FAILED;
		return true;
	case RESOLVEDPASS_CHANGED:
		/* Put back what another program reverted or changed (its
		 * signal started the pass): a fight if it keeps on. A link
		 * recreated by a reconnect is no fight. */
		if (drift && !d->desired_pass)
			daemon_note_drift_write(d, now, "resolved");
		/* FALLTHROUGH */
	default:
		d->resolved_said = false;
		d->resolved_available = true;
		d->resolved_state = ART_IN_SYNC;
		return false;
	}
}

/* What the bus said (resolvedwatch.h). */
static void
daemon_rwatch_cb(void *arg, enum rwatch_event ev)
{
	struct daemon	*d = arg;

	switch (ev) {
	case RWATCH_UP:
		/* A restarted resolved may not restore what we set. */
		log_notice("resolved is on the bus");
		daemon_trigger(d, "resolved", false);
		break;
	case RWATCH_GONE:
		daemon_trigger(d, "resolved", false);
		break;
	case RWATCH_CHANGED:
		/* Some link's servers were set or reverted, perhaps ours,
		 * perhaps by us: a look costs one read. A fight waits its
		 * turn. */
		if (d->resolved_state == ART_IN_SYNC)
			d->resolved_state = ART_DRIFTED;
		d->resolved_drift_pending = true;
		daemon_trigger(d, "resolved", true);
		break;
	case RWATCH_DISPATCHED:
		if (d->in_pass && reconcile_pass_waits_bus(d->pass))
			daemon_pass_step(d);
		break;
	}
}

/* The pass is done: what it found becomes the daemon's state. */
static void
daemon_pass_done(struct daemon *d)
{
	struct reconcile_pass	*p = d->pass;
	const char		*err = reconcile_pass_hosts_error(p);
	const struct followpass	*f = reconcile_pass_follow(p);
	uint64_t		 now = loop_now_ms(d->loop);
	bool			 retry = false;

	if (f != NULL) {
		d->follow = *f;
		d->follow.ds = NULL;	/* the pass's */
		d->have_follow = true;
	}
	switch (reconcile_pass_nrpt(p)) {
	case RECONCILE_ART_DISABLED:
		d->nrpt_state = ART_DISABLED;
		break;
	case RECONCILE_ART_UNSUPPORTED:
		d->nrpt_state = ART_UNSUPPORTED;
		break;
	case RECONCILE_ART_FAILED:
		/* A refused registry write is retried too: DNS is never
		 * left broken for good. */
		d->nrpt_state = ART_FAILED;
		retry = true;
		break;
	default:
		d->nrpt_state = ART_IN_SYNC;
		break;
	}
	/* Rules put back that the desired state did not change: someone
	 * removed or changed them (a GP refresh, another program). */
	/* Follow mode's rules put back are repairs too. */
	if ((reconcile_pass_nrpt_wrote(p) || (f != NULL &&
	    f->rules_written > 0)) && !d->desired_pass)
		daemon_note_drift_write(d, now, "nrpt");
	if (daemon_resolved_done(d, now))
		retry = true;
	switch (reconcile_pass_hosts(p)) {
	case RECONCILE_ART_DISABLED:
		d->hosts_state = ART_DISABLED;
		break;
	case RECONCILE_ART_HELD_OFF:
		/* A permanent error was reported moments ago: retrying now
		 * cannot help (only a person asking can override). The slow
		 * retry comes back when the hold-off ends. */
		if (!loop_timer_pending(d->slow_timer))
			loop_timer_schedule(d->slow_timer,
			    d->hosts_holdoff_ms - now);
		break;
	case RECONCILE_ART_IN_SYNC:
		d->hosts_state = ART_IN_SYNC;
		daemon_set_str(&d->hosts_error, NULL);
		if (reconcile_pass_hosts_wrote(p) && d->drift_pass)
			daemon_note_drift_write(d, now, "hosts");
		loop_timer_cancel(d->slow_timer);
		daemon_hosts_seen(d);
		break;
	case RECONCILE_ART_REJECTED:
		d->hosts_state = ART_FAILED;
		retry = true;
		daemon_hosts_seen(d);
		break;
	case RECONCILE_ART_FAILED:
		d->hosts_holdoff_ms = now + DAEMON_PERMANENT_HOLDOFF_MS;
		/* FALLTHROUGH */
	default:
		d->hosts_state = reconcile_pass_hosts(p) ==
		    RECONCILE_ART_FAILED ? ART_FAILED : ART_GAVE_UP;
		daemon_set_str(&d->hosts_error, err);
		service_report(SERVICE_EV_HOSTS_FAILED, err);
		retry = true;
		daemon_hosts_seen(d);
		break;
	}
	if (retry) {
		/* The slow retry's pass names this one as the pass it
		 * continues. */
		memcpy(d->gave_up, reconcile_pass_activity(p),
		    sizeof(d->gave_up));
		d->have_gave_up = true;
		daemon_arm_slow_retry(d);
	}
	daemon_pass_end(d);
}

/* Steps the running pass; arms the retry timer while it waits. */
static void
daemon_pass_step(struct daemon *d)
{
	uint32_t	 delay;

	if (!reconcile_step(d->pass, d->ds, loop_now_ms(d->loop), &delay)) {
		/* Written, and now watching the replaced file (or waiting
		 * for resolved): the write itself must not come back as
		 * drift meanwhile. */
		if (reconcile_pass_hosts_wrote(d->pass))
			daemon_hosts_seen(d);
		if (reconcile_pass_hosts_waiting(d->pass)) {
			d->hosts_state = ART_PENDING_RETRY;
			daemon_set_str(&d->hosts_error,
			    reconcile_pass_hosts_error(d->pass));
		}
		/* Requests to resolved went out: their replies step the
		 * pass; the timer is the hosts job's, or a guard. */
		if (d->rw != NULL)
			rwatch_arm(d->rw);
		loop_timer_schedule(d->retry_timer, delay);
		return;
	}
	daemon_pass_done(d);
}

static void
daemon_retry_cb(void *arg)
{
	struct daemon	*d = arg;

	if (d->in_pass)
		daemon_pass_step(d);
}

/* Starts a pass; it ends now, or when the hosts job has finished. */
static void
daemon_pass_start(struct daemon *d, const char *trigger, bool drift,
    bool retry)
{
	struct reconcile_pass_opts	 po;
	size_t				 i;

	memset(&po, 0, sizeof(po));
	po.mode = RECONCILE_APPLY;
	po.trigger = trigger;
	po.continues = retry && d->have_gave_up ? d->gave_up : NULL;
	po.hosts_held_off = loop_now_ms(d->loop) < d->hosts_holdoff_ms &&
	    strcmp(trigger, "manual") != 0;
	if (!d->cfg->resolved_enabled && d->rw != NULL) {
		/* Turned off by a reload: no more signals to look at, and
		 * nothing said of resolved any more. */
		rwatch_free(d->rw);
		d->rw = NULL;
		d->resolved_said = false;
	}
	d->resolved_drift_pass = d->resolved_drift_pending;
	d->resolved_drift_pending = false;
	if (d->cfg->resolved_enabled) {
		if (d->rw == NULL)
			d->rw = rwatch_new(d->loop, daemon_rwatch_cb, d);
		po.bus = d->rw != NULL ? rwatch_ensure(d->rw) : NULL;
		po.bus_error = d->rw != NULL ? rwatch_error(d->rw) :
		    "out of memory";
		po.resolved_quiet = d->resolved_said;
	}
	if ((d->pass = reconcile_begin(d->cfg, d->trace, &po)) == NULL) {
		log_error("out of memory: no pass");
		coalesce_end(d->co, loop_now_ms(d->loop));
		daemon_schedule(d);
		return;
	}
	d->in_pass = true;
	d->trigger = trigger;
	/* A resync coalesced with another trigger takes that one's name;
	 * it is still verified. */
	d->resync_pass = d->resync_due;
	d->resync_due = false;
	/* The coalescer's drift covers every trigger that may be a fight
	 * (hosts drift, NRPT changes, policy refreshes); only a hosts drift
	 * makes a hosts write a repair. */
	d->drift_pass = drift && d->hosts_drift_pending;
	d->hosts_drift_pending = false;
	d->desired_pass = false;
	d->pass_start_us = platform_mono_us();
	for (i = 0; i < d->nwait_next && d->nwait_run < DAEMON_MAX_WAITING; i++)
		d->wait_run[d->nwait_run++] = d->wait_next[i];
	d->nwait_next = 0;
	/* A write for a new desired state is no fight, whatever else
	 * (another program's lines) triggered the pass too. */
	if ((d->desired_dirty || d->ds == NULL) && daemon_load_desired(d)) {
		d->drift_pass = false;
		d->desired_pass = true;
	}
	daemon_pass_step(d);
}

static void
daemon_pass_end(struct daemon *d)
{
	char			 json[256];
	enum reconcile_result	 result = reconcile_pass_result(d->pass);
	unsigned		 writes = reconcile_pass_writes(d->pass);
	uint64_t		 dur = platform_mono_us() - d->pass_start_us;
	uint8_t			 activity[16];
	bool			 verify;

	daemon_trace_check(d);
	d->in_pass = false;
	d->n.passes++;
	d->n.writes += writes;
	if (result == RECONCILE_NOOP)
		d->n.noop_passes++;
	d->last.trigger = d->trigger;
	d->last.result = reconcile_result_name(result);
	d->last.duration_us = dur;
	d->last.ended_ms = loop_now_ms(d->loop);
	log_notice("pass (%s): %s, %u write%s, %llu us", d->trigger,
	    d->last.result, writes, writes == 1 ? "" : "s",
	    (unsigned long long)dur);
	snprintf(json, sizeof(json), "{\"ok\":%s,\"trigger\":\"%s\","
	    "\"result\":\"%s\",\"writes\":%u,\"duration_us\":%llu}",
	    result <= RECONCILE_CONVERGED ? "true" : "false", d->trigger,
	    d->last.result, writes, (unsigned long long)dur);
	daemon_reply_all(d->wait_run, &d->nwait_run, json);
	/* What was written is verified off the loop (resync: all of it). */
	verify = writes > 0 || d->resync_pass;
	memcpy(activity, reconcile_pass_activity(d->pass), sizeof(activity));
	/* It borrows the config and the desired state, which a reload may
	 * replace now. */
	reconcile_pass_free(d->pass);
	d->pass = NULL;
	if (d->v.posted)
		daemon_verify_done(d);
	if (verify && d->stop_reason == NULL)
		daemon_verify_request(d, activity);
	/* What arrived meanwhile makes one more pass. */
	coalesce_end(d->co, loop_now_ms(d->loop));
	if (d->reload_pending && d->stop_reason == NULL) {
		struct dwerr	 err;

		d->reload_pending = false;
		daemon_reload(d, &err);	/* triggers its own pass */
	}
	if (d->stop_reason != NULL)
		loop_stop(d->loop);
	else
		daemon_schedule(d);
}

/* The worker thread: runs the job, then hands it back to the loop, or
 * frees it when a stop has given up on it. */
static void
daemon_verify_worker(void *arg)
{
	struct daemon_vrun	*vr = arg;
	int			 expect = DAEMON_V_RUNNING;

	verify_job_run(vr->job);
	if (atomic_compare_exchange_strong(&vr->state, &expect,
	    DAEMON_V_POSTING)) {
		loop_wake(vr->waker);
		atomic_store(&vr->state, DAEMON_V_DONE);	/* last touch */
		return;
	}
	verify_job_free(vr->job);
	free(vr);
}

static void
daemon_verify_start(struct daemon *d, const uint8_t *activity,
    uint64_t pass_no)
{
	struct daemon_vrun	*vr;
	struct dwerr		 err;

	if (d->ds == NULL)
		return;		/* no desired state in force */
	if ((vr = calloc(1, sizeof(*vr))) == NULL ||
	    (vr->job = verify_job_new(d->cfg, d->ds, d->v.cursor)) == NULL) {
		free(vr);
		log_error("out of memory: no verification");
		return;
	}
	atomic_init(&vr->state, DAEMON_V_RUNNING);
	vr->waker = d->verify_waker;
	memcpy(vr->activity, activity, sizeof(vr->activity));
	vr->pass_no = pass_no;
	if (platform_thread_start(daemon_verify_worker, vr, &err) != 0) {
		log_error("verification: %s", err.msg);
		verify_job_free(vr->job);
		free(vr);
		return;
	}
	d->v.run = vr;
}

/* After a pass that wrote, or a resync: verify what the pass left. One
 * at a time; asked while one runs, it runs next. A pass never waits. */
static void
daemon_verify_request(struct daemon *d, const uint8_t *activity)
{
	if (d->v.run != NULL) {
		d->v.again = true;
		memcpy(d->v.again_activity, activity,
		    sizeof(d->v.again_activity));
		d->v.again_pass_no = d->n.passes;
		return;
	}
	daemon_verify_start(d, activity, d->n.passes);
}

/* Waits until the worker is out of its hand-over (a few instructions). */
static void
daemon_verify_settle(struct daemon_vrun *vr)
{
	while (atomic_load(&vr->state) == DAEMON_V_POSTING)
		platform_sleep_ms(1);
}

/* In the loop: a verification is done. Traced under the activity of the
 * pass it verified (after the running pass, if one runs now). */
static void
daemon_verify_done(struct daemon *d)
{
	struct daemon_vrun		*vr = d->v.run;
	const struct verify_report	*rep;
	char				 msg[1024];

	d->v.posted = false;
	if (vr == NULL)
		return;
	daemon_verify_settle(vr);
	if (atomic_load(&vr->state) != DAEMON_V_DONE)
		return;		/* a wake-up from an earlier run */
	d->v.run = NULL;
	rep = verify_job_report(vr->job);
	if (verify_job_rc(vr->job) != 0)
		log_error("verification: out of memory");
	else {
		d->v.rep = *rep;
		d->v.have = true;
		d->v.ended_ms = loop_now_ms(d->loop);
		d->v.pass_no = vr->pass_no;
		d->v.cursor = verify_job_cursor(vr->job);
		trace_activity_begin(d->trace, vr->activity);
		verify_trace(d->trace, rep);
		trace_activity_end(d->trace);
		if (!verify_failed(rep)) {
			if (d->v.reported)
				log_notice("verification: all as desired "
				    "again");
			d->v.fails = 0;
			d->v.reported = false;
		} else {
			const struct verify_result *r = rep->hosts.ran &&
			    !rep->hosts.skipped && rep->hosts.failed > 0 ?
			    &rep->hosts : &rep->nrpt;

			snprintf(msg, sizeof(msg), "%s: %s: %s (%u of %u "
			    "failed); what was written does not work as "
			    "desired", r == &rep->hosts ? "hosts" : "NRPT",
			    verify_class_name(r->cls), r->detail, r->failed,
			    r->checked);
			if (++d->v.fails >= DAEMON_VERIFY_FAILS &&
			    !d->v.reported) {
				d->v.reported = true;
				log_error("verification failed %u times in a "
				    "row: %s", d->v.fails, msg);
				service_report(SERVICE_EV_VERIFY_FAILED, msg);
			} else
				log_notice("verification failed: %s", msg);
		}
	}
	verify_job_free(vr->job);
	free(vr);
	if (d->v.again && d->stop_reason == NULL) {
		d->v.again = false;
		daemon_verify_start(d, d->v.again_activity,
		    d->v.again_pass_no);
	}
}

static void
daemon_verify_cb(void *arg)
{
	struct daemon	*d = arg;

	/* Events traced now would take the running pass's activity. */
	if (d->in_pass)
		d->v.posted = true;
	else
		daemon_verify_done(d);
}

/* At the stop: a running verification gets a little time to finish;
 * a resolver that hangs is left to finish alone (it frees its job). */
static void
daemon_verify_stop(struct daemon *d)
{
	struct daemon_vrun	*vr = d->v.run;
	uint64_t		 until = platform_mono_ms() + DAEMON_VERIFY_STOP_MS;
	int			 expect = DAEMON_V_RUNNING;

	if (vr == NULL)
		return;
	d->v.run = NULL;
	while (atomic_load(&vr->state) == DAEMON_V_RUNNING &&
	    platform_mono_ms() < until)
		platform_sleep_ms(10);
	if (atomic_compare_exchange_strong(&vr->state, &expect,
	    DAEMON_V_ABANDONED)) {
		log_notice("stopping without waiting for the verification");
		return;
	}
	daemon_verify_settle(vr);
	verify_job_free(vr->job);
	free(vr);
}

/* "verify" in the status: the last verification. */
static void
daemon_status_verify(struct daemon *d, cJSON *r, uint64_t now)
{
	cJSON	*o;

	if (!d->v.have && d->v.run == NULL)
		return;
	if (d->v.have) {
		if ((o = verify_report_json(&d->v.rep)) == NULL)
			return;
		cJSON_AddItemToObject(r, "verify", o);
		cJSON_AddBoolToObject(o, "verified", !verify_failed(&d->v.rep));
		cJSON_AddNumberToObject(o, "ended_ms_ago",
		    (double)(now - d->v.ended_ms));
		cJSON_AddNumberToObject(o, "failed_in_a_row", d->v.fails);
	} else
		o = cJSON_AddObjectToObject(r, "verify");
	cJSON_AddBoolToObject(o, "running", d->v.run != NULL);
}

/* Keeps the pass timer at the coalescer's next moment. */
static void
daemon_schedule(struct daemon *d)
{
	uint64_t	 now = loop_now_ms(d->loop), next = coalesce_next(d->co);

	if (next == COALESCE_NEVER)
		loop_timer_cancel(d->pass_timer);
	else
		loop_timer_schedule(d->pass_timer, next > now ? next - now : 0);
}

static void
daemon_pass_cb(void *arg)
{
	struct daemon		*d = arg;
	struct coalesce_pass	 p;
	uint64_t		 now = loop_now_ms(d->loop);

	if (d->stop_reason == NULL && !d->in_pass &&
	    coalesce_tick(d->co, now) && coalesce_begin(d->co, now, &p))
		daemon_pass_start(d, p.trigger, p.drift, p.retry);
	else if (!d->in_pass)
		daemon_schedule(d);
}

/* A trigger: schedules (or joins) a pass. The name must be a literal. */
static void
daemon_trigger(struct daemon *d, const char *name, bool drift)
{
	if (d->stop_reason != NULL)
		return;
	coalesce_trigger(d->co, name, drift, loop_now_ms(d->loop));
	if (!d->in_pass)
		daemon_schedule(d);
}

static void
daemon_slow_cb(void *arg)
{
	daemon_trigger(arg, "retry", false);
}

static void
daemon_resync_arm(struct daemon *d)
{
	double	 j;

	if (d->cfg->resync_ms == 0) {
		loop_timer_cancel(d->resync_timer);
		return;
	}
	j = 1.0 + DAEMON_RESYNC_JITTER * (2.0 * platform_random01() - 1.0);
	loop_timer_schedule(d->resync_timer, (uint64_t)(d->cfg->resync_ms * j));
}

static void
daemon_resync_cb(void *arg)
{
	struct daemon	*d = arg;

	daemon_check_resume(d);
	d->resync_due = true;
	daemon_trigger(d, "resync", false);
	daemon_resync_arm(d);
}

static void
daemon_source_cb(void *arg, enum source_kind kind, const char *detail)
{
	struct daemon		*d = arg;

	(void)detail;	/* the source logged it (with -v) */
	daemon_check_resume(d);
	switch (kind) {
	case SOURCE_NETWORK:
		daemon_trigger(d, "network", false);
		break;
	case SOURCE_VPN:
		/* VPN clients rewrite DNS settings after their adapter comes
		 * up: the coalescer looks again once they are done. */
		daemon_trigger(d, "vpn", false);
		break;
	case SOURCE_HOSTS:
		/* Our own write, seen again: not drift. */
		if (daemon_hosts_as_left(d)) {
			d->n.own_writes_ignored++;
			return;
		}
		if (d->hosts_state == ART_IN_SYNC)
			d->hosts_state = ART_DRIFTED;
		d->hosts_drift_pending = true;
		daemon_trigger(d, "drift", true);
		break;
	case SOURCE_DESIRED:
		d->desired_dirty = true;
		daemon_trigger(d, "desired", false);
		break;
	case SOURCE_NRPT:
		/* Someone (a GP refresh, a VPN client, an admin) changed the
		 * rules; our own writes come back here too, and cost one
		 * no-op pass. */
		if (d->nrpt_state == ART_IN_SYNC)
			d->nrpt_state = ART_DRIFTED;
		/* Drift: while a fight is on, its repair waits its turn. */
		daemon_trigger(d, "nrpt", true);
		break;
	case SOURCE_POLICY:
		/* Our own publication of a policy change, come back: the
		 * rules it announced are ours and already right. */
		if (dnsnotify_gp_own_take(platform_mono_ms())) {
			d->n.own_policy_ignored++;
			log_debug("policy refresh: our own notification");
			return;
		}
		d->policy_ms = loop_now_ms(d->loop);
		d->policy_seen = true;
		if (d->nrpt_state == ART_IN_SYNC)
			d->nrpt_state = ART_DRIFTED;
		daemon_trigger(d, "policy", true);
		break;
	}
}

/* The JSON Lines trace, for "status": where it goes and what it lost. */
static void
daemon_status_trace(struct daemon *d, cJSON *r)
{
	struct trace_jsonl_stats st;
	cJSON			*o;

	trace_jsonl_stats(d->tj, &st);
	if (st.path == NULL)
		return;		/* the config no longer asks for one */
	o = cJSON_AddObjectToObject(r, "trace");
	cJSON_AddStringToObject(o, "path", st.path);
	cJSON_AddBoolToObject(o, "open", st.open);
	cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
	cJSON_AddNumberToObject(o, "max_bytes", (double)st.max_bytes);
	cJSON_AddNumberToObject(o, "events", (double)st.events);
	cJSON_AddNumberToObject(o, "dropped_events", (double)st.dropped);
	cJSON_AddNumberToObject(o, "write_errors", (double)st.write_errors);
	cJSON_AddNumberToObject(o, "rotations", (double)st.rotations);
	if (st.error != NULL)
		cJSON_AddStringToObject(o, "last_error", st.error);
}

/* Builds the "status" reply. */
/* Follow mode: the tunnel, whether it is up, what is learned and when. */
static void
daemon_status_follow(struct daemon *d, cJSON *r)
{
	const struct followpass	*f = &d->follow;
	uint64_t		 wall = platform_wall_us() / 1000u;
	cJSON			*o;

	o = cJSON_AddObjectToObject(r, "follow");
	cJSON_AddStringToObject(o, "tunnel", d->cfg->follow_tunnel);
	cJSON_AddStringToObject(o, "state_file", d->cfg->follow_state);
	if (!d->have_follow)
		return;		/* no pass yet */
	cJSON_AddBoolToObject(o, "alive", f->alive);
	cJSON_AddBoolToObject(o, "learned", f->learned);
	if (f->learned) {
		cJSON_AddNumberToObject(o, "rules", f->rules);
		cJSON_AddNumberToObject(o, "host_lines", f->host_lines);
		cJSON_AddNumberToObject(o, "learned_at_ms",
		    (double)f->learned_ms);
		cJSON_AddNumberToObject(o, "age_ms", wall > f->learned_ms ?
		    (double)(wall - f->learned_ms) : 0);
	}
	if (f->stand_down != NULL)
		cJSON_AddStringToObject(o, "standing_down", f->stand_down);
	if (f->error[0] != '\0')
		cJSON_AddStringToObject(o, "error", f->error);
}

/* systemd-resolved: the link as the last pass found or left it. */
static void
daemon_status_resolved(struct daemon *d, cJSON *r)
{
	cJSON	*o = cJSON_AddObjectToObject(r, "resolved"), *a;
	char	 addr[IPADDR_STR_BYTES];
	size_t	 i;

	if (!d->cfg->resolved_enabled) {
		cJSON_AddStringToObject(o, "state", "disabled");
		return;
	}
	cJSON_AddStringToObject(o, "state", d->resolved_result != NULL &&
	    d->resolved_state != ART_DRIFTED ? d->resolved_result :
	    daemon_art_name(d->resolved_state));
	cJSON_AddBoolToObject(o, "available", d->resolved_available);
	cJSON_AddStringToObject(o, "link", d->resolved_link[0] != '\0' ?
	    d->resolved_link : d->cfg->resolved_link);
	cJSON_AddNumberToObject(o, "ifindex", d->resolved_ifindex);
	if (d->resolved_reason != NULL)
		cJSON_AddStringToObject(o, "reason", d->resolved_reason);
	if (!d->resolved_have_live)
		return;
	a = cJSON_AddArrayToObject(o, "servers");
	for (i = 0; i < d->resolved_live.nservers; i++)
		if (ipaddr_format(d->resolved_live.servers[i].family,
		    d->resolved_live.servers[i].addr, addr) == 0)
			cJSON_AddItemToArray(a, cJSON_CreateString(addr));
	a = cJSON_AddArrayToObject(o, "domains");
	for (i = 0; i < d->resolved_live.ndomains; i++) {
		const struct resolved_domain *dom = &d->resolved_live.domains[i];
		char	 name[DNSNAME_MAX_CHARS + 2];

		snprintf(name, sizeof(name), "%s%s", dom->routing ? "~" : "",
		    dom->name);
		cJSON_AddItemToArray(a, cJSON_CreateString(name));
	}
	cJSON_AddBoolToObject(o, "default_route",
	    d->resolved_live.default_route);
}

static char *
daemon_status_json(struct daemon *d)
{
	cJSON	*r = cJSON_CreateObject(), *o;
	uint64_t now = loop_now_ms(d->loop);
	char	*s;

	cJSON_AddTrueToObject(r, "ok");
	cJSON_AddStringToObject(r, "version", DW_VERSION);
	cJSON_AddNumberToObject(r, "uptime_ms", (double)(now - d->started_ms));
	cJSON_AddBoolToObject(r, "pass_running", d->in_pass);
	cJSON_AddBoolToObject(r, "pass_pending", coalesce_pending(d->co));

	if (!d->cfg->follow_enabled) {
		o = cJSON_AddObjectToObject(r, "desired_state");
		cJSON_AddStringToObject(o, "path", d->cfg->desired_state);
		cJSON_AddBoolToObject(o, "in_force", d->ds != NULL);
		cJSON_AddBoolToObject(o, "valid", d->desired_error == NULL);
		if (d->desired_error != NULL)
			cJSON_AddStringToObject(o, "error", d->desired_error);
	}

	o = cJSON_AddObjectToObject(r, "hosts");
	cJSON_AddStringToObject(o, "path", d->cfg->hosts_path);
	cJSON_AddStringToObject(o, "state", daemon_art_name(d->hosts_state));
	if (d->in_pass && d->hosts_state == ART_PENDING_RETRY) {
		cJSON_AddNumberToObject(o, "attempt",
		    reconcile_pass_hosts_attempts(d->pass));
		cJSON_AddNumberToObject(o, "next_attempt_ms",
		    (double)loop_timer_remaining_ms(d->retry_timer));
	}
	if (d->hosts_state == ART_GAVE_UP || d->hosts_state == ART_FAILED)
		cJSON_AddNumberToObject(o, "next_retry_ms",
		    (double)loop_timer_remaining_ms(d->slow_timer));
	if (d->hosts_error != NULL)
		cJSON_AddStringToObject(o, "error", d->hosts_error);

	o = cJSON_AddObjectToObject(r, "nrpt");
	cJSON_AddStringToObject(o, "state", daemon_art_name(d->nrpt_state));

	if (d->cfg->follow_enabled)
		daemon_status_follow(d, r);
	daemon_status_resolved(d, r);

	o = cJSON_AddObjectToObject(r, "fight");
	cJSON_AddBoolToObject(o, "active", coalesce_fighting(d->co, now));
	cJSON_AddNumberToObject(o, "delay_ms", coalesce_fight_delay(d->co));
	cJSON_AddNumberToObject(o, "count", (double)d->n.fights);
	if (d->n.fight != NULL)
		cJSON_AddStringToObject(o, "artifact", d->n.fight);

	if (d->tj != NULL)
		daemon_status_trace(d, r);

	daemon_status_verify(d, r, now);

	o = cJSON_AddObjectToObject(r, "last_pass");
	if (d->last.trigger != NULL) {
		cJSON_AddStringToObject(o, "trigger", d->last.trigger);
		cJSON_AddStringToObject(o, "result", d->last.result);
		cJSON_AddNumberToObject(o, "duration_us",
		    (double)d->last.duration_us);
		cJSON_AddNumberToObject(o, "ended_ms_ago",
		    (double)(now - d->last.ended_ms));
		/* Once the verification of this very pass is in. */
		if (d->v.have && d->v.pass_no == d->n.passes)
			cJSON_AddBoolToObject(o, "verified",
			    !verify_failed(&d->v.rep));
	}

	o = cJSON_AddObjectToObject(r, "counters");
	cJSON_AddNumberToObject(o, "passes", (double)d->n.passes);
	cJSON_AddNumberToObject(o, "noop_passes", (double)d->n.noop_passes);
	cJSON_AddNumberToObject(o, "writes", (double)d->n.writes);
	cJSON_AddNumberToObject(o, "triggers", (double)coalesce_triggers(d->co));
	cJSON_AddNumberToObject(o, "coalesced_triggers",
	    (double)coalesce_coalesced(d->co));
	cJSON_AddNumberToObject(o, "own_writes_ignored",
	    (double)d->n.own_writes_ignored);
	cJSON_AddNumberToObject(o, "own_policy_ignored",
	    (double)d->n.own_policy_ignored);
	s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	return s;
}


static void
daemon_control_cb(void *arg, struct control_client *client, const char *cmd)
{
	struct daemon	*d = arg;
	struct dwerr	 err;
	cJSON		*r;
	char		*s;

	if (strcmp(cmd, "status") == 0) {
		s = daemon_status_json(d);
		control_reply(client, s != NULL ? s : "{\"ok\":false}");
		free(s);
	} else if (strcmp(cmd, "reconcile") == 0) {
		if (d->nwait_next == DAEMON_MAX_WAITING) {
			control_reply(client, "{\"ok\":false,\"error\":"
			    "\"too many requests waiting\"}");
			return;
		}
		/* Answered when a pass that starts from now on has ended. */
		d->wait_next[d->nwait_next++] = client;
		daemon_trigger(d, "manual", false);
	} else if (strcmp(cmd, "reload") == 0) {
		r = cJSON_CreateObject();
		if (daemon_reload(d, &err) == 0)
			cJSON_AddTrueToObject(r, "ok");
		else {
			cJSON_AddFalseToObject(r, "ok");
			cJSON_AddStringToObject(r, "error", err.msg);
		}
		s = cJSON_PrintUnformatted(r);
		cJSON_Delete(r);
		control_reply(client, s != NULL ? s : "{\"ok\":false}");
		free(s);
	} else
		control_reply(client, "{\"ok\":false,\"error\":\"unknown "
		    "command; try status, reconcile or reload\"}");
}

static bool
daemon_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* True when old and new watch the same things. */
static bool
daemon_same_sources(const struct config *a, const struct config *b)
{
	size_t	 i;

	if (a->hosts_enabled != b->hosts_enabled ||
	    !daemon_streq(a->hosts_path, b->hosts_path) ||
	    !daemon_streq(a->desired_state, b->desired_state) ||
	    a->follow_enabled != b->follow_enabled ||
	    (a->follow_enabled && !daemon_streq(a->follow_record_key,
	    b->follow_record_key)) ||
	    a->nvpn_prefixes != b->nvpn_prefixes)
		return false;
	for (i = 0; i < a->nvpn_prefixes; i++)
		if (strcmp(a->vpn_prefixes[i], b->vpn_prefixes[i]) != 0)
			return false;
	return true;
}

/* (Re)starts the event sources and the control channel for d->cfg; on a
 * reload (old non-NULL) only what changed. Returns the control channel's
 * error code (0: listening). */
static int
daemon_attach(struct daemon *d, const struct config *old, struct dwerr *cerr)
{
	struct sources_config	 sc;
	struct dwerr		 err;

	dwerr_reset(cerr);
	if (old != NULL && d->src != NULL && daemon_same_sources(old, d->cfg))
		goto control;
	sources_free(d->src);
	sc.hosts_path = d->cfg->hosts_enabled ? d->cfg->hosts_path : NULL;
	sc.desired_path = d->cfg->desired_state;
	sc.vpn_prefixes = (const char *const *)d->cfg->vpn_prefixes;
	sc.nvpn = d->cfg->nvpn_prefixes;
	sc.record_key = d->cfg->follow_enabled ? d->cfg->follow_record_key :
	    NULL;
	if ((d->src = sources_new(d->loop, &sc, daemon_source_cb, d,
	    &err)) == NULL)
		log_error("event sources: %s (passes run on timers and "
		    "requests only)", err.msg);
control:
	/* A client connecting during a reload must not find nobody home. */
	if (old != NULL && d->ctl != NULL &&
	    daemon_streq(old->control_socket, d->cfg->control_socket))
		return 0;
	control_free(d->ctl);
	if ((d->ctl = control_listen(d->loop, d->cfg->control_socket,
	    daemon_control_cb, d, cerr)) == NULL)
		log_error("control channel: %s", cerr->msg);
	return d->ctl != NULL ? 0 : cerr->code;
}

/* Opens the JSON Lines trace of d->cfg anew: a file that log rotation
 * moved or removed is let go, and a path that changed takes effect. */
static void
daemon_trace_reopen(struct daemon *d)
{
	struct dwerr	 err;
	int		 rc;

	if (d->tj != NULL)
		rc = trace_jsonl_reopen(d->tj, d->cfg->trace_jsonl,
		    d->cfg->trace_max_bytes, &err);
	else if (d->cfg->trace_jsonl != NULL)
		rc = trace_add_jsonl(d->trace, d->cfg->trace_jsonl,
		    d->cfg->trace_max_bytes, &d->tj, &err);
	else
		return;
	if (rc != 0)
		log_error("tracing off: %s", err.msg);
}

/* Logs the trace's write errors since the last look (each pass's end):
 * the sink cannot log, and it must not fail in silence. */
static void
daemon_trace_check(struct daemon *d)
{
	struct trace_jsonl_stats st;

	if (d->tj == NULL)
		return;
	trace_jsonl_stats(d->tj, &st);
	if (st.write_errors <= d->tj_errors_logged)
		return;
	log_error("%s (%llu trace write error%s so far, %llu event%s dropped)",
	    st.error != NULL ? st.error : "trace: write error",
	    (unsigned long long)st.write_errors,
	    st.write_errors == 1 ? "" : "s",
	    (unsigned long long)st.dropped, st.dropped == 1 ? "" : "s");
	d->tj_errors_logged = st.write_errors;
}

static int
daemon_reload(struct daemon *d, struct dwerr *err)
{
	struct config	*cfg, *old;

	if (config_load(d->config_path, &cfg, err) != 0) {
		/* The running config stays; its trace file is still let go
		 * of (logrotate sends SIGHUP after moving it). */
		daemon_trace_reopen(d);
		trace_config_reloaded(d->trace, d->config_path != NULL ?
		    d->config_path : "", false, err->msg);
		log_error("reload refused, the running config stays: %s",
		    err->msg);
		return -1;
	}
	if (d->in_pass) {
		/* The pass borrows the old config: swap after it. */
		config_free(cfg);
		d->reload_pending = true;
		daemon_trace_reopen(d);
		log_notice("reload: after the running pass");
		return 0;
	}
	old = d->cfg;
	d->cfg = cfg;
	daemon_coalesce_config(d);
	daemon_trace_reopen(d);
	trace_config_reloaded(d->trace, cfg->path != NULL ? cfg->path : "",
	    true, "");
	daemon_attach(d, old, err);
	config_free(old);
	dwerr_reset(err);
	daemon_resync_arm(d);
	d->desired_dirty = true;
	daemon_trigger(d, "reload", false);
	return 0;
}

/* One step of a stop is done. */
static void
daemon_stop_step(const struct daemon_hooks *hooks)
{
	if (hooks != NULL && hooks->stopping != NULL)
		hooks->stopping(hooks->ctx);
}

/* Stops the loop; a pass waiting for a retry ends first, so its Start
 * event has its Stop (nothing is half-written between attempts). That
 * is the first step of the stop. */
static void
daemon_stop_now(struct daemon *d)
{
	if (d->in_pass) {
		loop_timer_cancel(d->retry_timer);
		reconcile_pass_free(d->pass);	/* ends it, degraded */
		d->pass = NULL;
		d->in_pass = false;
		d->last.trigger = d->trigger;
		d->last.result = reconcile_result_name(RECONCILE_DEGRADED);
		daemon_reply_all(d->wait_run, &d->nwait_run,
		    "{\"ok\":false,\"error\":\"stopped\"}");
	}
	loop_stop(d->loop);
	daemon_stop_step(d->hooks);
}

static void
daemon_sigterm_cb(void *arg)
{
	struct daemon	*d = arg;

	d->stop_reason = "signal";
	daemon_stop_now(d);
}

static void
daemon_sighup_cb(void *arg)
{
	struct dwerr	 err;

	daemon_reload(arg, &err);
}


void
daemon_request(unsigned req)
{
	struct loop_timer	*w;

	atomic_fetch_or(&daemon_requests, req);
	if ((w = atomic_load(&daemon_waker)) != NULL)
		loop_wake(w);
}

/* In the loop: what other threads asked for. */
static void
daemon_waker_cb(void *arg)
{
	struct daemon	*d = arg;
	struct dwerr	 err;
	unsigned	 req = atomic_exchange(&daemon_requests, 0);

	if (req & DAEMON_REQ_RELOAD)
		daemon_reload(d, &err);
	if (req & DAEMON_REQ_RESUME)
		daemon_trigger(d, "resume", false);
	if (req & DAEMON_REQ_STOP) {
		d->stop_reason = "stop request";
		daemon_stop_now(d);
	}
}

static void
daemon_free(struct daemon *d)
{
	size_t	 i;

	daemon_reply_all(d->wait_next, &d->nwait_next,
	    "{\"ok\":false,\"error\":\"the daemon is stopping\"}");
	daemon_reply_all(d->wait_run, &d->nwait_run,
	    "{\"ok\":false,\"error\":\"the daemon is stopping\"}");
	control_free(d->ctl);
	sources_free(d->src);
	daemon_verify_stop(d);
	for (i = 0; i < 3; i++)
		loop_io_free(d->sig[i]);
	loop_timer_free(d->pass_timer);
	loop_timer_free(d->retry_timer);
	loop_timer_free(d->slow_timer);
	loop_timer_free(d->resync_timer);
	coalesce_free(d->co);
	atomic_store(&daemon_waker, NULL);
	loop_timer_free(d->waker);
	loop_timer_free(d->verify_waker);
	reconcile_pass_free(d->pass);
	rwatch_free(d->rw);
	resolved_link_clear(&d->resolved_live);
	free(d->resolved_reason);
	desired_free(d->ds);
	free(d->desired_error);
	free(d->hosts_error);
	trace_free(d->trace);
	loop_free(d->loop);
	config_free(d->cfg);
	free(d->config_path);
	free(d);
}

/* The rest of the stop, step by step (the loop is out). */
static void
daemon_teardown(struct daemon *d, const struct daemon_hooks *hooks)
{
	control_free(d->ctl);
	d->ctl = NULL;
	daemon_stop_step(hooks);
	sources_free(d->src);
	d->src = NULL;
	daemon_stop_step(hooks);
	daemon_free(d);		/* the rest, the trace last */
	daemon_stop_step(hooks);
}

int
daemon_run(const char *config_path, const struct daemon_hooks *hooks,
    struct dwerr *err)
{
	struct daemon	*d;
	uint64_t	 nofile;
	int		 rc;

	/* Room for the writer even with the control channel full. */
	if (platform_fd_limit_raise(DAEMON_FD_LIMIT, &nofile, err) != 0)
		log_error("%s", err->msg);
	else if (nofile != 0)
		log_debug("open files: up to %llu", (unsigned long long)nofile);
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if (config_path != NULL && (d->config_path = dwstr_dup(config_path)) ==
	    NULL) {
		free(d);
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if (config_load(config_path, &d->cfg, err) != 0 ||
	    (d->loop = loop_new(err)) == NULL) {
		daemon_free(d);
		return -1;
	}
	/* Filled once here, on this thread, before any verification worker
	 * reads it. */
	(void)platform_default_hosts();
	if ((d->trace = trace_new(daemon_clock_us, NULL)) == NULL ||
	    (d->pass_timer = loop_timer_new(d->loop, daemon_pass_cb, d)) == NULL ||
	    (d->retry_timer = loop_timer_new(d->loop, daemon_retry_cb, d)) == NULL ||
	    (d->slow_timer = loop_timer_new(d->loop, daemon_slow_cb, d)) == NULL ||
	    (d->resync_timer = loop_timer_new(d->loop, daemon_resync_cb, d)) == NULL ||
	    (d->co = daemon_coalesce_new(d->cfg)) == NULL ||
	    (d->waker = loop_waker_new(d->loop, daemon_waker_cb, d)) == NULL ||
	    (d->verify_waker = loop_waker_new(d->loop, daemon_verify_cb,
	    d)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		daemon_free(d);
		return -1;
	}
	daemon_trace_reopen(d);
	if (trace_add_etw(d->trace, err) != 0 && err->code != ENOTSUP)
		log_error("ETW tracing off: %s", err->msg);
	d->sig[0] = loop_signal_new(d->loop, SIGTERM, daemon_sigterm_cb, d);
	d->sig[1] = loop_signal_new(d->loop, SIGINT, daemon_sigterm_cb, d);
	if (PLATFORM_SIGNAL_RELOAD != 0)
		d->sig[2] = loop_signal_new(d->loop, PLATFORM_SIGNAL_RELOAD,
		    daemon_sighup_cb, d);
	d->hooks = hooks;
	d->started_ms = loop_now_ms(d->loop);
	d->boot_offset_ms = platform_boot_ms() - platform_mono_ms();
	if (daemon_attach(d, NULL, err) == EADDRINUSE) {
		/* Another watchdog already answers there: one is enough. */
		daemon_free(d);
		return -1;
	}
	trace_daemon_started(d->trace, d->cfg->path != NULL ? d->cfg->path : "",
	    DW_VERSION);
	daemon_resync_arm(d);
	d->desired_dirty = true;
	daemon_trigger(d, "start", false);
	atomic_store(&daemon_waker, d->waker);
	if (atomic_load(&daemon_requests) != 0)
		loop_wake(d->waker);	/* asked before we were up */
	if (hooks != NULL && hooks->started != NULL)
		hooks->started(hooks->ctx);
	log_notice("running (config %s, hosts %s, control %s)",
	    d->cfg->path != NULL ? d->cfg->path : "built-in defaults",
	    d->cfg->hosts_enabled ? d->cfg->hosts_path : "not managed",
	    d->ctl != NULL ? d->cfg->control_socket : "off");
	rc = loop_run(d->loop);
	trace_daemon_stopped(d->trace, d->stop_reason != NULL ? d->stop_reason :
	    "loop ended");
	log_notice("stopped (%s)", d->stop_reason != NULL ? d->stop_reason :
	    "loop ended");
	daemon_teardown(d, hooks);
	if (rc != 0)
		dwerr_set(err, EIO, "the event loop failed");
	return rc;
}
