/* followpass: the follow-mode part of a pass (see followpass.h). */
#include "followpass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsnotify.h"
#include "dwstr.h"
#include "follow.h"
#include "follow_store.h"
#include "hosts.h"
#include "hostsfile.h"
#include "log.h"
#include "platform.h"

static uint32_t
followpass_lines(const char *s, size_t n)
{
	uint32_t	 lines = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			lines++;
	return lines;
}

/* The learned state, or NULL when there is none yet. -1 when the file is
 * there but cannot be used. */
static int
followpass_load(const struct config *cfg, struct follow_state **st,
    struct dwerr *err)
{
	char	*text;
	size_t	 len;

	*st = NULL;
	if (platform_read_file(cfg->follow_state, FOLLOW_STATE_MAX_BYTES,
	    &text, &len, err) != 0) {
		if (err->code == PLATFORM_E_NOENT) {
			dwerr_reset(err);
			return 0;
		}
		dwerr_prefix(err, "cannot read the learned state: ");
		return -1;
	}
	if (follow_state_parse(text, len, cfg->follow_state, st, err) != 0) {
		free(text);
		return -1;
	}
	free(text);
	if (strcmp((*st)->tunnel, cfg->follow_tunnel) != 0) {
		dwerr_set(err, DWERR_INPUT, "%s: $.tunnel: holds what was "
		    "learned of the tunnel \"%s\", not of \"%s\"; move it "
		    "away or name another follow.state", cfg->follow_state,
		    (*st)->tunnel, cfg->follow_tunnel);
		follow_state_free(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/* How the tunnel's section stands in the hosts file. The body points
 * into *buf, which the caller frees. */
static void
followpass_hosts_seen(const struct config *cfg, struct follow_seen *seen,
    char **buf)
{
	const struct hosts_markers	 m = { cfg->begin_marker, cfg->end_marker };
	struct hosts_doc		*doc = NULL;
	struct dwerr			 err;
	size_t				 len;
	bool				 exists;

	*buf = NULL;
	seen->hosts = FOLLOW_HOSTS_UNKNOWN;
	if (!cfg->hosts_enabled)
		return;
	if (hostsfile_read(cfg->hosts_path, HOSTS_MAX_BYTES, buf, &len,
	    &exists, &err) != 0 || hosts_parse(*buf, len, &m,
	    platform_default_eol(), &doc, &err) != 0) {
		log_debug("follow: %s: not read: %s", cfg->hosts_path, err.msg);
		return;
	}
	if (hosts_doc_section_body(doc, &seen->hosts_body, &seen->hosts_len))
		seen->hosts = FOLLOW_HOSTS_COMPLETE;
	else if (hosts_doc_sections(doc) == 0 &&
	    hosts_doc_orphan_markers(doc) == 0)
		seen->hosts = FOLLOW_HOSTS_ABSENT;
	else
		seen->hosts = FOLLOW_HOSTS_BROKEN;
	hosts_doc_free(doc);
}

/* Keeps st in the state file (the folder made private first). */
static int
followpass_save(const struct config *cfg, const struct follow_state *st,
    struct dwerr *err)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (follow_state_render(st, &text, &len, err) != 0)
		return -1;
	/* Never keep what the next pass could not read back. */
	if (len > FOLLOW_STATE_MAX_BYTES) {
		free(text);
		dwerr_set(err, DWERR_INPUT, "%s: what was learned takes %zu "
		    "bytes, over the limit of %u; the state kept before stays",
		    cfg->follow_state, len, FOLLOW_STATE_MAX_BYTES);
		return -1;
	}
	rc = platform_write_state_file(cfg->follow_state, text, len, err);
	free(text);
	return rc;
}

static const char *
followpass_table(enum follow_table t)
{
	return t == FOLLOW_GP ? "group-policy" : "local";
}

/* Tells the DNS client that rules changed, as for our own rules; gp:
 * the group-policy table is in use. */
static void
followpass_notify(struct trace *t, bool gp)
{
	struct dwerr	 err;

	if (dnsnotify_nrpt(gp, &err) != 0) {
		trace_nrpt_notify_failed(t, err.msg);
		log_debug("follow: %s", err.msg);
	} else
		trace_nrpt_notified(t, gp);
}

/* Writes the rule keys d names back. */
static void
followpass_put(struct followpass *fp, const struct config *cfg,
    const struct follow_decision *d, bool gp_table, struct trace *t,
    bool plan, FILE *out, unsigned *writes)
{
	struct dwerr	 err;
	unsigned	 before;
	size_t		 i;

	for (i = 0; i < d->nputs; i++) {
		const struct follow_put	*p = &d->puts[i];

		if (plan) {
			if (out != NULL)
				fprintf(out, "follow %s: would put back rule %s "
				    "in the %s table\n", cfg->follow_tunnel,
				    p->rule->id, followpass_table(p->table));
			continue;
		}
		before = *writes;
		if (follow_store_put(p->rule, p->table, writes, &err) != 0) {
			fp->failed = true;
			snprintf(fp->error, sizeof(fp->error), "%s", err.msg);
			trace_nrpt_failed(t, "follow", p->rule->id,
			    (uint32_t)err.code, platform_error_name(err.code),
			    err.msg);
			log_error("follow %s: rule %s: %s", cfg->follow_tunnel,
			    p->rule->id, err.msg);
			continue;
		}
		if (*writes > before) {
			fp->rules_written++;
			trace_nrpt_rule_written(t, p->rule->id, "restore",
			    *writes - before, 0, "");
			log_notice("follow %s: put back rule %s in the %s table",
			    cfg->follow_tunnel, p->rule->id,
			    followpass_table(p->table));
			if (out != NULL)
				fprintf(out, "follow %s: put back rule %s in the "
				    "%s table\n", cfg->follow_tunnel, p->rule->id,
				    followpass_table(p->table));
		}
	}
	if (fp->rules_written > 0)
		followpass_notify(t, gp_table);
}

/* What the pass learned or forgot, kept in the state file. */
static int
followpass_keep(struct followpass *fp, const struct config *cfg,
    const struct follow_state *next, const struct follow_decision *d,
    struct trace *t, bool plan, FILE *out)
{
	struct dwerr	 err;

	if (d->learned_nrpt || d->learned_hosts) {
		trace_follow_learned(t, cfg->follow_tunnel, (uint32_t)next->nrules,
		    next->has_hosts ? followpass_lines(next->hosts,
		    next->hosts_len) : 0);
		if (out != NULL)
			fprintf(out, "follow %s: %s %zu rule keys and %s\n",
			    cfg->follow_tunnel, plan ? "would learn" : "learned",
			    next->nrules, next->has_hosts ? "its hosts section" :
			    "no hosts section");
	}
	if (d->stand_down != NULL && (d->save || d->forget)) {
		trace_follow_stood_down(t, cfg->follow_tunnel, d->stand_down);
		log_notice("follow %s: standing down: %s", cfg->follow_tunnel,
		    d->stand_down);
		if (out != NULL)
			fprintf(out, "follow %s: standing down (%s)%s\n",
			    cfg->follow_tunnel, d->stand_down, d->forget ?
			    (plan ? "; would forget what was learned" :
			    "; forgot what was learned") : "");
	}
	if (plan)
		return 0;
	if (d->forget && platform_remove_file(cfg->follow_state, &err) != 0)
		goto fail;
	if (d->save && next != NULL && followpass_save(cfg, next, &err) != 0)
		goto fail;
	return 0;
fail:
	fp->failed = true;
	snprintf(fp->error, sizeof(fp->error), "%s", err.msg);
	log_error("follow %s: %s", cfg->follow_tunnel, err.msg);
	return -1;
}

int
followpass_run(struct followpass *fp, const struct config *cfg,
    struct trace *t, bool plan, FILE *out, unsigned *writes)
{
	struct follow_tunnel	 tun;
	struct follow_state	*learned = NULL, *next = NULL;
	struct follow_seen	 seen;
	struct follow_decision	 d;
	struct dwerr		 err;
	char			*hostsbuf = NULL;
	int			 rc = -1;

	memset(fp, 0, sizeof(*fp));
	memset(&seen, 0, sizeof(seen));
	memset(&d, 0, sizeof(d));
	fp->hosts_leave = true;
	config_follow_tunnel(cfg, &tun);
	if ((fp->ds = desired_new()) == NULL) {
		snprintf(fp->error, sizeof(fp->error), "out of memory");
		return -1;
	}
	if (followpass_load(cfg, &learned, &err) != 0) {
		trace_follow_state_invalid(t, cfg->follow_state, err.msg);
		log_error("%s", err.msg);
		if (out != NULL)
			fprintf(out, "follow %s: %s\n", cfg->follow_tunnel,
			    err.msg);
		snprintf(fp->error, sizeof(fp->error), "%s", err.msg);
		fp->failed = true;
		fp->state_invalid = err.code == DWERR_INPUT;
		return -1;
	}
	seen.tunnel = cfg->follow_tunnel;
	if (cfg->nrpt_enabled && follow_store_read(&tun, &seen, &err) != 0) {
		/* Unread is not gone: decide nothing about the rules. */
		log_error("follow %s: %s", cfg->follow_tunnel, err.msg);
		snprintf(fp->error, sizeof(fp->error), "%s", err.msg);
		fp->failed = true;
		follow_seen_clear(&seen);
		seen.tunnel = cfg->follow_tunnel;
	}
	seen.alive = follow_store_alive(&tun);
	fp->alive = seen.alive;
	followpass_hosts_seen(cfg, &seen, &hostsbuf);
	if (follow_decide(learned, &seen, platform_wall_us() / 1000u,
	    cfg->follow_forget_after_ms, cfg->follow_require_adapter, &next, &d,
	    &err) != 0) {
		snprintf(fp->error, sizeof(fp->error), "%s", err.msg);
		goto done;
	}
	fp->stand_down = d.stand_down;
	(void)followpass_keep(fp, cfg, next, &d, t, plan, out);
	followpass_put(fp, cfg, &d, seen.gp_table, t, plan, out, writes);
	if (next != NULL) {
		fp->learned = true;
		fp->rules = (uint32_t)next->nrules;
		fp->host_lines = next->has_hosts ? followpass_lines(next->hosts,
		    next->hosts_len) : 0;
		fp->learned_ms = next->learned_ms;
	}
	if (d.hosts == FOLLOW_HOSTS_KEEP) {
		if ((fp->ds->hosts_raw = malloc(next->hosts_len + 1)) == NULL) {
			snprintf(fp->error, sizeof(fp->error), "out of memory");
			goto done;
		}
		memcpy(fp->ds->hosts_raw, next->hosts, next->hosts_len);
		fp->ds->hosts_raw_len = next->hosts_len;
		fp->ds->hosts_raw_set = true;
		fp->hosts_leave = false;
		fp->hosts_restore = true;
	}
	rc = 0;
done:
	follow_decision_clear(&d);
	follow_state_free(next);
	follow_state_free(learned);
	follow_seen_clear(&seen);
	free(hostsbuf);
	return rc;
}

void
followpass_clear(struct followpass *fp)
{
	desired_free(fp->ds);
	fp->ds = NULL;
}
