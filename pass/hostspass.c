/* hostspass: the hosts-file part of a reconcile pass (see hostspass.h). */
#include "hostspass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "hostsfile.h"
#include "log.h"
#include "platform.h"

struct hostspass {
	const struct config		*cfg;
	const struct desired_state	*ds;
	struct trace			*trace;
	bool				 plan;	/* change nothing, not even leftovers */
	char				*old;		/* the file as last read */
	size_t				 oldlen;
	bool				 exists;
	size_t				 sections;	/* complete sections found */
	size_t				 orphans;	/* unpaired markers found */
	bool				 have_id;
	struct platform_file_id		 id;	/* taken before the last read */
	char				*ready;	/* the check's render, for the
						 * job's first attempt */
	size_t				 readylen;
};

/* Start of the next line after p (or end). */
static const char *
hostspass_next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* Prints the lines of [p, end) with a prefix, without their terminators. */
static void
hostspass_print_lines(FILE *out, const char *prefix, const char *p,
    const char *end)
{
	while (p < end) {
		const char	*next = hostspass_next_line(p, end);
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
hostspass_print_diff(FILE *out, const char *a, size_t alen, const char *b,
    size_t blen)
{
	const char	*ap = a, *bp = b, *ae = a + alen, *be = b + blen;

	for (;;) {
		const char *an = hostspass_next_line(ap, ae);
		const char *bn = hostspass_next_line(bp, be);

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
	hostspass_print_lines(out, "  - ", ap, ae);
	hostspass_print_lines(out, "  + ", bp, be);
}

struct hostspass *
hostspass_new(const struct config *cfg, const struct desired_state *ds,
    struct trace *t)
{
	struct hostspass	*hp;

	if ((hp = calloc(1, sizeof(*hp))) == NULL)
		return NULL;
	hp->cfg = cfg;
	hp->ds = ds;
	hp->trace = t;
	return hp;
}

void
hostspass_free(struct hostspass *hp)
{
	if (hp == NULL)
		return;
	free(hp->old);
	free(hp->ready);
	free(hp);
}

/* The render callback of the write job, and the first look. */
static int
hostspass_render(void *arg, const struct hostsfile_carry *carry,
    struct hostsfile_expect *expect, char **buf, size_t *len, bool *changed,
    struct dwerr *err)
{
	struct hostspass	*hp = arg;
	struct hosts_markers	 m = { hp->cfg->begin_marker, hp->cfg->end_marker };
	struct hosts_doc	*doc = NULL;
	char			*merged = NULL;
	size_t			 mlen = 0;
	int			 rc = -1, pending;
	struct platform_file_id	 now;

	*buf = NULL;
	/* The first attempt right after the check: its render stands while
	 * the file is still the one it read. */
	if (hp->ready != NULL && carry == NULL && hp->have_id &&
	    platform_file_id(hp->cfg->hosts_path, &now) &&
	    memcmp(&now, &hp->id, sizeof(now)) == 0) {
		*buf = hp->ready;
		*len = hp->readylen;
		*changed = true;
		hp->ready = NULL;
		expect->buf = hp->old;
		expect->len = hp->oldlen;
		expect->exists = hp->exists;
		return 0;
	}
	free(hp->ready);
	hp->ready = NULL;
	free(hp->old);
	hp->old = NULL;
	memset(expect, 0, sizeof(*expect));
	/* A write that failed part-way left a journal: finish it before the
	 * file is read as content, or wait (transient) until that works. */
	if (!hp->plan)
		hostsfile_cleanup(hp->cfg->hosts_path);
	if ((pending = hostsfile_journal_pending(hp->cfg->hosts_path)) != 0) {
		dwerr_set(err, pending, "%s: an interrupted rewrite could not be "
		    "finished yet; the file is not read until it is",
		    hp->cfg->hosts_path);
		return -1;
	}
	/* Identity first, content second: a change between the two then
	 * shows as a different identity, never as one we have seen. */
	hp->have_id = platform_file_id(hp->cfg->hosts_path, &hp->id);
	if (hostsfile_read(hp->cfg->hosts_path, HOSTS_MAX_BYTES, &hp->old,
	    &hp->oldlen, &hp->exists, err) != 0)
		return -1;
	expect->buf = hp->old;
	expect->len = hp->oldlen;
	expect->exists = hp->exists;
	/* Lines another writer left in the file we replaced go back in. */
	if (carry != NULL && hostsfile_carry_merge(carry, hp->old, hp->oldlen,
	    &merged, &mlen) != 0) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if (hosts_parse(merged != NULL ? merged : hp->old,
	    merged != NULL ? mlen : hp->oldlen, &m, platform_default_eol(),
	    &doc, err) == 0 &&
	    hosts_render(doc, hp->ds, buf, len, changed, err) == 0) {
		hp->sections = hosts_doc_sections(doc);
		hp->orphans = hosts_doc_orphan_markers(doc);
		rc = 0;
		if (merged != NULL)
			*changed = *len != hp->oldlen ||
			    memcmp(*buf, hp->old, *len) != 0;
		/* Never write what no later pass could read back. */
		if (*changed && *len > HOSTS_MAX_BYTES) {
			dwerr_set(err, DWERR_INPUT, "%s: with the managed section "
			    "the file would be %zu bytes, over the limit of %u",
			    hp->cfg->hosts_path, *len, HOSTS_MAX_BYTES);
			free(*buf);
			*buf = NULL;
			rc = -1;
		}
	} else if (err != NULL && err->code == DWERR_INPUT)
		dwerr_prefix(err, "%s: ", hp->cfg->hosts_path);
	hosts_doc_free(doc);
	free(merged);
	return rc;
}

enum hostspass_check
hostspass_check(struct hostspass *hp, bool plan, FILE *out)
{
	const struct config	*cfg = hp->cfg;
	enum hostspass_check	 r;
	struct hostsfile_expect	 expect;
	struct dwerr		 err;
	char			*new = NULL;
	size_t			 newlen = 0;
	bool			 changed;

	hp->plan = plan;
	if (hostspass_render(hp, NULL, &expect, &new, &newlen, &changed,
	    &err) != 0) {
		bool held = err.code != DWERR_INPUT &&
		    hostsfile_transient(err.code);

		/* Held by a process that shares nothing, not even reading:
		 * the job's attempts wait for it as for a write. */
		if (held && !plan)
			return HOSTSPASS_WRITE;
		trace_hosts_file_rejected(hp->trace, cfg->hosts_path, err.msg);
		log_error("%s", err.msg);
		if (out != NULL)
			fprintf(out, "hosts %s: cannot be %s: %s\n",
			    cfg->hosts_path, held ? "read now" : "managed",
			    err.msg);
		return held ? HOSTSPASS_HELD : HOSTSPASS_FAILED;
	}
	if (hp->sections > 1 || hp->orphans > 0) {
		/* Someone moved or copied our markers: say what we repair. */
		trace_hosts_section_repaired(hp->trace, cfg->hosts_path,
		    (uint32_t)hp->sections, (uint32_t)hp->orphans);
		log_notice("%s: found %zu managed sections and %zu unpaired "
		    "markers; %s", cfg->hosts_path, hp->sections, hp->orphans,
		    plan ? "would keep one section" : "keeping one section");
	}
	if (!changed) {
		trace_hosts_unchanged(hp->trace, cfg->hosts_path);
		if (out != NULL)
			fprintf(out, "hosts %s: unchanged (%zu names)\n",
			    cfg->hosts_path, desired_host_names(hp->ds));
		r = HOSTSPASS_NOOP;
	} else if (plan) {
		if (out != NULL) {
			fprintf(out, "hosts %s: would %s (%zu -> %zu bytes)\n",
			    cfg->hosts_path, hp->exists ? "rewrite" : "create",
			    hp->oldlen, newlen);
			hostspass_print_diff(out, hp->old, hp->oldlen, new, newlen);
		}
		r = HOSTSPASS_PLANNED;
	} else {
		/* Kept for the write job's first attempt. */
		free(hp->ready);
		hp->ready = new;
		hp->readylen = newlen;
		new = NULL;
		r = HOSTSPASS_WRITE;
	}
	free(new);
	return r;
}

bool
hostspass_seen_id(const struct hostspass *hp, struct platform_file_id *id)
{
	if (!hp->have_id)
		return false;
	*id = hp->id;
	return true;
}

struct hostsjob *
hostspass_job(struct hostspass *hp, uint64_t start_ms)
{
	/* Every render starts with the crash clean-up (hostspass_render). */
	return hostsjob_new(hp->cfg->hosts_path, hostspass_render, hp,
	    &hp->cfg->backoff, hp->trace, start_ms);
}

bool
hostspass_finish(struct hostspass *hp, const struct hostsjob *job,
    enum hostsjob_state st, FILE *out, bool *transient)
{
	const char	*path = hp->cfg->hosts_path;
	unsigned	 n = hostsjob_attempts(job);

	*transient = false;
	if (st == HOSTSJOB_DONE) {
		if (out != NULL)
			fprintf(out, "hosts %s: %s (%u attempt%s)\n", path,
			    hostsjob_wrote(job) ? "written" : "already right",
			    n, n == 1 ? "" : "s");
		return true;
	}
	log_error("gave up writing %s after %u attempt%s: %s", path, n,
	    n == 1 ? "" : "s", hostsjob_error(job)->msg);
	if (out != NULL)
		fprintf(out, "hosts %s: gave up after %u attempt%s\n", path, n,
		    n == 1 ? "" : "s");
	/* Gave up on a transient error: degraded (a later pass retries);
	 * on a permanent one, retrying cannot help. */
	*transient = hostsjob_transient(job);
	return false;
}
