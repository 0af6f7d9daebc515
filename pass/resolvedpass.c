/* resolvedpass: the systemd-resolved part of a pass (see resolvedpass.h). */
#include "resolvedpass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "resolved.h"

#define RESOLVEDPASS_RETRY_MS	100u	/* first wait for an unknown link */
#define RESOLVEDPASS_GUARD_MS	(RBUS_CALL_TIMEOUT_MS + 1000u)

enum rp_state {
	RP_START,
	RP_READING,	/* GetAll sent */
	RP_READ,	/* its reply is here */
	RP_WAIT,	/* resolved did not know the link: read again later */
	RP_SETTING,	/* setters (or RevertLink) sent */
	RP_SET,		/* every reply is here */
	RP_DONE
};

struct resolvedpass {
	const struct config		*cfg;
	const struct desired_state	*ds;
	struct trace			*trace;
	struct resolvedpass_opts	 opts;
	enum rp_state			 state;
	enum resolvedpass_result	 result;
	char				 link[RBUS_IFNAME_BYTES];
	int				 ifindex;
	unsigned			 tries;
	uint64_t			 again_ms;	/* RP_WAIT: when */
	uint64_t			 now_ms;	/* of this step */
	uint64_t			 sent_ms;	/* the last request */
	struct resolved_link		 want;
	struct resolved_link		 live;
	bool				 have_live;
	bool				 reverting;
	unsigned			 set;		/* setters sent */
	struct rbus_op			*ops[3];
	unsigned			 pending;
	unsigned			 ok;		/* setters that worked */
	int				 status;	/* the first failure */
	char				 reason[DWERR_MSG_BYTES];
	unsigned			 writes;
};

const char *
resolvedpass_result_name(enum resolvedpass_result r)
{
	switch (r) {
	case RESOLVEDPASS_UNAVAILABLE:
		return "unavailable";
	case RESOLVEDPASS_ABSENT:
		return "absent";
	case RESOLVEDPASS_NOOP:
		return "in_sync";
	case RESOLVEDPASS_CHANGED:
		return "changed";
	case RESOLVEDPASS_LEFT:
		return "left";
	case RESOLVEDPASS_FAILED:
		return "failed";
	}
	return "failed";
}

static void
rp_done(struct resolvedpass *rp, enum resolvedpass_result r)
{
	size_t	 i;

	/* A reply still on its way (the guard gave up on it) must not
	 * touch a pass that is done. */
	for (i = 0; i < 3; i++) {
		rbus_op_free(rp->ops[i]);
		rp->ops[i] = NULL;
	}
	rp->pending = 0;
	rp->result = r;
	rp->state = RP_DONE;
}

static void
rp_unavailable(struct resolvedpass *rp, const char *why)
{
	/* why may be the reason itself (a reply's message). */
	if (why != rp->reason)
		snprintf(rp->reason, sizeof(rp->reason), "%s", why);
	if (!rp->opts.quiet_unavailable)
		trace_resolved_unavailable(rp->trace, rp->reason);
	log_debug("resolved: unavailable: %s", rp->reason);
	if (rp->opts.out != NULL)
		fprintf(rp->opts.out, "resolved: unavailable: %s\n", rp->reason);
	rp_done(rp, RESOLVEDPASS_UNAVAILABLE);
}

static void
rp_fail(struct resolvedpass *rp, const char *step, const char *why)
{
	if (why != rp->reason)
		snprintf(rp->reason, sizeof(rp->reason), "%s", why);
	trace_resolved_failed(rp->trace, rp->link, step, rp->reason);
	log_error("resolved: %s %s: %s", step, rp->link, rp->reason);
	if (rp->opts.out != NULL)
		fprintf(rp->opts.out, "resolved %s: failed: %s\n", rp->link,
		    rp->reason);
	rp_done(rp, RESOLVEDPASS_FAILED);
}

static void
rp_read_cb(void *arg, int status, const struct resolved_link *live,
    const char *msg)
{
	struct resolvedpass	*rp = arg;

	rbus_op_free(rp->ops[0]);
	rp->ops[0] = NULL;
	rp->pending = 0;
	rp->status = status;
	snprintf(rp->reason, sizeof(rp->reason), "%s", msg);
	/* A copy: the reply's memory is the bus's. */
	if (status == RBUS_OK && resolved_link_copy(&rp->live, live) != 0) {
		rp->status = ENOMEM;
		snprintf(rp->reason, sizeof(rp->reason), "out of memory");
	}
	rp->have_live = rp->status == RBUS_OK;
	rp->state = RP_READ;
}

/* A setter's reply; its op is freed with the pass. */
static void
rp_set_cb(void *arg, int status, const char *msg)
{
	struct resolvedpass	*rp = arg;

	if (status == RBUS_OK)
		rp->ok++;
	else if (rp->status == RBUS_OK) {
		rp->status = status;
		snprintf(rp->reason, sizeof(rp->reason), "%s", msg);
	}
	if (--rp->pending == 0)
		rp->state = RP_SET;
}

/* Sends the read of the link. */
static void
rp_read(struct resolvedpass *rp)
{
	struct dwerr	 err;

	rp->tries++;
	rp->pending = 1;
	rp->sent_ms = rp->now_ms;
	if (rbus_link_read(rp->opts.bus, rp->ifindex, rp_read_cb, rp,
	    &rp->ops[0], &err) != 0) {
		rp->pending = 0;
		rp_fail(rp, "read", err.msg);
		return;
	}
	rp->state = RP_READING;
}

struct resolvedpass *
resolvedpass_start(const struct config *cfg, const struct desired_state *ds,
    struct trace *t, const struct resolvedpass_opts *opts)
{
	struct resolvedpass	*rp;

	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return NULL;
	rp->cfg = cfg;
	rp->ds = ds;
	rp->trace = t;
	rp->opts = *opts;
	rp->state = RP_START;
	rp->status = RBUS_OK;
	return rp;
}

/* What the record says we set, when it says so of this link. */
static bool
rp_record(struct resolvedpass *rp, struct resolved_record *rec)
{
	struct dwerr	 err;
	char		*text;
	size_t		 len;

	if (platform_read_file(rp->cfg->resolved_state,
	    RESOLVED_RECORD_MAX_BYTES, &text, &len, &err) != 0) {
		if (err.code != PLATFORM_E_NOENT)
			log_error("resolved: %s", err.msg);
		return false;
	}
	if (resolved_record_parse(text, len, rp->cfg->resolved_state, rec,
	    &err) != 0) {
		/* Nothing proves the settings ours: they stay. */
		log_error("resolved: the record is refused: %s", err.msg);
		free(text);
		return false;
	}
	free(text);
	if (strcmp(rec->link, rp->link) != 0) {
		resolved_record_clear(rec);
		return false;
	}
	return true;
}

static int
rp_record_save(struct resolvedpass *rp, struct dwerr *err)
{
	struct resolved_record	 rec;
	char			*text;
	int			 rc;

	memset(&rec, 0, sizeof(rec));
	rec.link = rp->link;
	rec.ifindex = rp->ifindex;
	rec.set = rp->want;
	if ((text = resolved_record_json(&rec)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	rc = platform_write_state_file(rp->cfg->resolved_state, text,
	    strlen(text), err);
	free(text);
	return rc;
}

/* One line for a person: "resolved tun0 (ifindex 7): WHAT dns [...]
 * domains [...] default_route no". */
static void
rp_print_link(struct resolvedpass *rp, const char *what,
    const struct resolved_link *l)
{
	char	*s = resolved_servers_text(l);
	char	*d = resolved_domains_text(l);

	fprintf(rp->opts.out, "resolved %s (ifindex %d): %s dns [%s] domains "
	    "[%s] default_route %s\n", rp->link, rp->ifindex, what,
	    s != NULL ? s : "", d != NULL ? d : "",
	    l->default_route ? "yes" : "no");
	free(s);
	free(d);
}

/* What a plan or a dry run would do (a plan says what the link holds
 * first), or what was set. */
static void
rp_print(struct resolvedpass *rp, const char *what)
{
	if (rp->opts.out == NULL)
		return;
	if (rp->opts.plan && rp->have_live)
		rp_print_link(rp, "holds", &rp->live);
	if (rp->reverting)
		fprintf(rp->opts.out, "resolved %s (ifindex %d): %s RevertLink: "
		    "the link holds exactly what we set\n", rp->link,
		    rp->ifindex, what);
	else
		rp_print_link(rp, what, &rp->want);
}

/* Sends the setters in set (or RevertLink when reverting). */
static void
rp_send(struct resolvedpass *rp, unsigned set)
{
	static const unsigned	 order[] = { RESOLVED_SET_DNS,
				    RESOLVED_SET_DOMAINS,
				    RESOLVED_SET_DEFAULT_ROUTE };
	struct dwerr		 err;
	size_t			 i, n = 0;

	rp->set = set;
	rp->ok = 0;
	rp->status = RBUS_OK;
	rp->state = RP_SETTING;
	rp->sent_ms = rp->now_ms;
	for (i = 0; i < 3; i++) {
		unsigned bit = rp->reverting ? 0 : order[i];

		if (!rp->reverting && !(set & bit))
			continue;
		if (rbus_link_set(rp->opts.bus, rp->ifindex, bit, &rp->want,
		    rp_set_cb, rp, &rp->ops[n], &err) != 0) {
			if (rp->pending == 0) {
				rp_fail(rp, rp->reverting ? "revert" : "set",
				    err.msg);
				return;
			}
			/* Those sent still answer; this one failed. */
			rp->status = err.code != 0 ? err.code : EIO;
			snprintf(rp->reason, sizeof(rp->reason), "%s", err.msg);
			return;
		}
		n++;
		rp->pending++;
		if (rp->reverting)
			break;
	}
}

/* The link's settings are known: decide. */
static void
rp_decide(struct resolvedpass *rp)
{
	struct resolved_record	 rec;
	unsigned		 set;
	bool			 ours;

	if (resolved_link_empty(&rp->want)) {
		/* No rules: a default route alone is not ours to keep on
		 * the link. */
		if (resolved_link_empty(&rp->live))
			goto unchanged;
		memset(&rec, 0, sizeof(rec));
		ours = rp_record(rp, &rec) && resolved_same(&rec.set, &rp->live);
		resolved_record_clear(&rec);
		if (!ours) {
			snprintf(rp->reason, sizeof(rp->reason), "no rules are "
			    "wanted, and what the link holds is not what the "
			    "record says we set");
			trace_resolved_link_left(rp->trace, rp->link,
			    (uint32_t)rp->ifindex, rp->reason);
			if (rp->opts.out != NULL)
				fprintf(rp->opts.out, "resolved %s: left alone: "
				    "%s\n", rp->link, rp->reason);
			rp_done(rp, RESOLVEDPASS_LEFT);
			return;
		}
		rp->reverting = true;
		if (rp->opts.plan) {
			rp_print(rp, "would call");
			rp_done(rp, RESOLVEDPASS_CHANGED);
			return;
		}
		rp_send(rp, 0);
		return;
	}
	if ((set = resolved_diff(&rp->want, &rp->live)) == 0)
		goto unchanged;
	/* DefaultRoute reads back the effective value, which routing-only
	 * domains alone make false: a link set anew (reverted, recreated,
	 * resolved restarted) gets the configured value explicitly too, so
	 * that another program's search domain cannot turn it into a
	 * default route. */
	if (set & (RESOLVED_SET_DNS | RESOLVED_SET_DOMAINS))
		set |= RESOLVED_SET_DEFAULT_ROUTE;
	if (rp->opts.plan) {
		rp_print(rp, "would set");
		rp_done(rp, RESOLVEDPASS_CHANGED);
		return;
	}
	rp_send(rp, set);
	return;
unchanged:
	trace_resolved_unchanged(rp->trace, rp->link, (uint32_t)rp->ifindex);
	if (rp->opts.out != NULL)
		fprintf(rp->opts.out, "resolved %s (ifindex %d): unchanged\n",
		    rp->link, rp->ifindex);
	rp_done(rp, RESOLVEDPASS_NOOP);
}

/* The setters' replies are in. */
static void
rp_finish(struct resolvedpass *rp)
{
	struct dwerr	 err;
	char		 setname[48];
	char		*s, *d;

	/* What was changed counts, even when another setter failed. */
	rp->writes += rp->ok;
	if (rp->status == RBUS_E_UNAVAILABLE) {
		rp_unavailable(rp, rp->reason);
		return;
	}
	if (rp->status != RBUS_OK) {
		rp_fail(rp, rp->reverting ? "revert" : "set", rp->reason);
		return;
	}
	if (rp->reverting) {
		trace_resolved_link_reverted(rp->trace, rp->link,
		    (uint32_t)rp->ifindex);
		if (platform_remove_file(rp->cfg->resolved_state, &err) != 0)
			log_error("resolved: %s", err.msg);
		resolved_link_clear(&rp->live);
		if (rp->opts.out != NULL)
			fprintf(rp->opts.out, "resolved %s: reverted\n", rp->link);
		rp_done(rp, RESOLVEDPASS_CHANGED);
		return;
	}
	s = resolved_servers_text(&rp->want);
	d = resolved_domains_text(&rp->want);
	trace_resolved_link_set(rp->trace, rp->link, (uint32_t)rp->ifindex,
	    s != NULL ? s : "", d != NULL ? d : "", rp->want.default_route,
	    resolved_set_text(rp->set, setname, sizeof(setname)));
	free(s);
	free(d);
	if (rp->opts.out != NULL)
		rp_print(rp, "set");
	/* The link holds what was set. */
	if (resolved_link_copy(&rp->live, &rp->want) != 0)
		rp->have_live = false;
	if (rp_record_save(rp, &err) != 0) {
		/* Set, but not recorded: a later pass cannot prove the
		 * settings ours, so it never reverts them. */
		rp_fail(rp, "record", err.msg);
		return;
	}
	rp_done(rp, RESOLVEDPASS_CHANGED);
}

/* The first step: the bus, the link, what it should hold. */
static void
rp_begin(struct resolvedpass *rp)
{
	struct dwerr	 err;

	if (rp->opts.bus == NULL) {
		rp_unavailable(rp, rp->opts.bus_error != NULL ?
		    rp->opts.bus_error : "no connection to the system bus");
		return;
	}
	if ((rp->ifindex = rbus_find_link(rp->cfg->resolved_link,
	    rp->link)) == 0) {
		snprintf(rp->link, sizeof(rp->link), "%s",
		    rp->cfg->resolved_link);
		trace_resolved_link_absent(rp->trace, rp->link);
		if (rp->opts.out != NULL)
			fprintf(rp->opts.out, "resolved: no link %s now: nothing "
			    "to set\n", rp->link);
		rp_done(rp, RESOLVEDPASS_ABSENT);
		return;
	}
	if (resolved_want(rp->ds, rp->cfg->resolved_default_route, &rp->want,
	    &err) != 0) {
		rp_fail(rp, "plan", err.msg);
		return;
	}
	rp_read(rp);
}

bool
resolvedpass_step(struct resolvedpass *rp, uint64_t now_ms, uint32_t *delay_ms)
{
	uint32_t	 t, g;

	*delay_ms = 0;
	rp->now_ms = now_ms;
	for (;;) {
		switch (rp->state) {
		case RP_START:
			rp_begin(rp);
			continue;
		case RP_READ:
			if (rp->status == RBUS_OK) {
				rp_decide(rp);
				continue;
			}
			if (rp->status == RBUS_E_UNAVAILABLE) {
				rp_unavailable(rp, rp->reason);
				continue;
			}
			if (rp->status == RBUS_E_NO_LINK &&
			    rp->tries < RESOLVEDPASS_LINK_TRIES) {
				/* A link just made: resolved may see it a
				 * moment after us. */
				rp->again_ms = now_ms + (RESOLVEDPASS_RETRY_MS <<
				    (rp->tries - 1));
				rp->state = RP_WAIT;
				continue;
			}
			rp_fail(rp, "read", rp->reason);
			continue;
		case RP_WAIT:
			if (now_ms >= rp->again_ms) {
				rp_read(rp);
				continue;
			}
			*delay_ms = (uint32_t)(rp->again_ms - now_ms);
			return false;
		case RP_READING:
		case RP_SETTING:
			/* A reply (or sd-bus's own timeout) steps us again;
			 * the guard is for a connection that died with
			 * requests in flight. */
			if (now_ms >= rp->sent_ms + RESOLVEDPASS_GUARD_MS) {
				rp_fail(rp, rp->state == RP_READING ? "read" :
				    "set", "no answer from resolved");
				continue;
			}
			t = rbus_timeout_ms(rp->opts.bus);
			g = (uint32_t)(rp->sent_ms + RESOLVEDPASS_GUARD_MS -
			    now_ms);
			*delay_ms = t < g ? t + 1u : g;
			return false;
		case RP_SET:
			rp_finish(rp);
			continue;
		case RP_DONE:
			return true;
		}
	}
}

void
resolvedpass_free(struct resolvedpass *rp)
{
	size_t	 i;

	if (rp == NULL)
		return;
	for (i = 0; i < 3; i++)
		rbus_op_free(rp->ops[i]);
	resolved_link_clear(&rp->want);
	resolved_link_clear(&rp->live);
	free(rp);
}

enum resolvedpass_result
resolvedpass_result(const struct resolvedpass *rp)
{
	return rp->result;
}

unsigned
resolvedpass_writes(const struct resolvedpass *rp)
{
	return rp->writes;
}

const char *
resolvedpass_link(const struct resolvedpass *rp)
{
	return rp->link;
}

int
resolvedpass_ifindex(const struct resolvedpass *rp)
{
	return rp->ifindex;
}

const char *
resolvedpass_reason(const struct resolvedpass *rp)
{
	return rp->result == RESOLVEDPASS_UNAVAILABLE ||
	    rp->result == RESOLVEDPASS_FAILED ||
	    rp->result == RESOLVEDPASS_LEFT ? rp->reason : "";
}

const struct resolved_link *
resolvedpass_live(const struct resolvedpass *rp)
{
	return rp->have_live ? &rp->live : NULL;
}
