/*
 * verify: the NRPT part (see verify.h).
 *
 * The tables are read back (nrpt_scan) and checked in three rounds, each
 * check counted in res->checked and each failure in res->failed; the
 * first failure gives res->cls, res->first_failure and res->detail:
 *  1. every rule of ours: parsable by Windows, and in the GP table when
 *     that table exists (a local rule is then ignored);
 *  2. every desired namespace: routed by a rule of ours in the effective
 *     table to the desired servers, and not taken by someone else's rule;
 *  3. every probe name: the rule that wins it is ours, and the system
 *     resolver answers it. When it does not, each server of the rule is
 *     asked directly: none answering is server-unreachable, an answer
 *     that the name does not exist is name-absent. When it does, the
 *     detail says which server of the rule gives the same answer.
 * Blocks on the resolver.
 */
#include "verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dwstr.h"
#include "nrpt_scan.h"
#include "nrptcheck.h"
#include "platform.h"
#include "resolve.h"

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

static void	verify_nrpt_fail(struct verify_result *, enum verify_class,
		    const char *, const char *, ...) DW_PRINTF(4, 5);

/* Counts a failure; the first one names what failed and why. */
static void
verify_nrpt_fail(struct verify_result *res, enum verify_class cls,
    const char *what, const char *fmt, ...)
{
	va_list	 ap;

	if (res->failed++ > 0)
		return;
	res->cls = cls;
	snprintf(res->first_failure, sizeof(res->first_failure), "%s", what);
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* Appends a sentence to the detail of a run without failures. */
static void verify_nrpt_note(struct verify_result *, const char *, ...)
    DW_PRINTF(2, 3);

static void
verify_nrpt_note(struct verify_result *res, const char *fmt, ...)
{
	size_t	 len = strlen(res->detail);
	va_list	 ap;

	if (res->failed > 0 || len + 3 >= sizeof(res->detail))
		return;
	if (len > 0) {
		memcpy(res->detail + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(res->detail + len, sizeof(res->detail) - len, fmt, ap);
	va_end(ap);
}

/* True when r, one of ours in the local table, has a copy in the GP
 * table (the store writes both when the GP table exists). */
static bool
verify_nrpt_in_gp(const struct nrptcheck_scan *s,
    const struct nrptcheck_rule *r)
{
	size_t	 i;

	for (i = 0; i < s->nrules; i++)
		if (s->rules[i].table == NRPTCHECK_GP &&
		    dwstr_casecmp(s->rules[i].id, r->id) == 0)
			return true;
	return false;
}

/* Round 1: every rule of ours. */
static void
verify_nrpt_owned(const struct nrptcheck_scan *s, struct verify_result *res)
{
	const struct nrptcheck_rule	*r;
	char				 why[NRPTCHECK_WHY_BYTES];
	size_t				 i;

	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (r->owner != NRPTCHECK_OURS)
			continue;
		res->checked++;
		if (!nrptcheck_parsable(r, why, sizeof(why)))
			verify_nrpt_fail(res, VERIFY_RULE_UNPARSABLE, r->id,
			    "our rule %s (%s table) cannot be parsed by "
			    "Windows: %s", r->id, nrptcheck_table_name(
			    r->table), why);
		else if (s->gp != NRPTCHECK_GP_ABSENT &&
		    r->table == NRPTCHECK_LOCAL && !verify_nrpt_in_gp(s, r))
			verify_nrpt_fail(res, VERIFY_RULE_IGNORED_GP, r->id,
			    "our rule %s is in the local table only, and "
			    "Windows ignores that table while the group-policy "
			    "table exists (%s)", r->id,
			    nrptcheck_gp_name(s->gp));
	}
}

/* Round 2: one desired namespace of dn. */
static void
verify_nrpt_namespace(const struct nrptcheck_scan *s,
    const struct desired_nrpt *dn, const char *ns, struct verify_result *res)
{
	const struct nrptcheck_rule	*r, *eff = NULL, *local = NULL, *w;
	size_t				 i, j;

	res->checked++;
	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (r->owner != NRPTCHECK_OURS)
			continue;
		for (j = 0; j < r->nnames; j++)
			if (dwstr_casecmp(r->names[j], ns) == 0)
				break;
		if (j == r->nnames)
			continue;
		if (nrptcheck_effective(s, r) && nrptcheck_same_servers(r,
		    dn->servers, dn->nservers))
			eff = r;
		else if (r->table == NRPTCHECK_LOCAL)
			local = r;
	}
	if (eff == NULL && local != NULL && s->gp != NRPTCHECK_GP_ABSENT) {
		verify_nrpt_fail(res, VERIFY_RULE_IGNORED_GP, ns,
		    "%s is routed by our rule %s in the local table only, "
		    "which Windows ignores while the group-policy table exists",
		    ns, local->id);
		return;
	}
	if (eff == NULL) {
		verify_nrpt_fail(res, VERIFY_RULE_MISSING, ns,
		    "no rule of ours in the %s table routes %s to %s%s",
		    s->gp == NRPTCHECK_GP_ABSENT ? "local" : "group-policy",
		    ns, dn->servers[0], dn->nservers > 1 ? " and the others" :
		    "");
		return;
	}
	w = nrptcheck_winner(s, ns);
	if (w != NULL && w->owner != NRPTCHECK_OURS)
		verify_nrpt_fail(res, VERIFY_RULE_SHADOWED, ns,
		    "%s's rule %s takes %s before our rule %s",
		    nrptcheck_owner_name(w->owner), w->id, ns, eff->id);
}

/* True when the two answers share an address. */
static bool
verify_nrpt_same(const struct resolve_answer *a,
    const struct resolve_answer *b)
{
	size_t	 i, j;

	for (i = 0; i < a->naddrs; i++)
		for (j = 0; j < b->naddrs; j++)
			if (strcmp(a->addrs[i], b->addrs[j]) == 0)
				return true;
	return false;
}

/* Round 3: one probe name, routed by w (a rule of ours). */
static void
verify_nrpt_ask(const struct nrptcheck_rule *w, const char *name,
    struct verify_result *res)
{
	struct resolve_answer	 sys, at;
	struct dwerr		 err;
	char			**v = NULL;
	const char		*answered = NULL, *knows = NULL, *nxd = NULL;
	size_t			 n = 0, i;

	memset(&sys, 0, sizeof(sys));
	if (resolve_name(name, &sys, &err) != 0) {
		verify_nrpt_fail(res, VERIFY_SERVER_UNREACHABLE, name,
		    "%s could not be looked up: %s", name, err.msg);
		return;
	}
	if (nrptcheck_split(w->servers, &v, &n) != 0) {
		verify_nrpt_fail(res, VERIFY_SERVER_UNREACHABLE, name,
		    "out of memory asking the servers for %s", name);
		goto done;
	}
	for (i = 0; i < n && answered == NULL; i++) {
		memset(&at, 0, sizeof(at));
		if (resolve_name_at(name, v[i], &at, &err) != 0)
			continue;
		if (at.status == RESOLVE_OK && sys.status == RESOLVE_OK &&
		    verify_nrpt_same(&sys, &at))
			answered = v[i];
		else if (at.status == RESOLVE_OK && knows == NULL)
			knows = v[i];
		else if (at.status == RESOLVE_NO_NAME && nxd == NULL)
			nxd = v[i];
		resolve_answer_clear(&at);
	}
	if (sys.status == RESOLVE_OK) {
		if (answered != NULL)
			verify_nrpt_note(res, "%s answered by %s (rule %s)",
			    name, answered, w->id);
		else
			verify_nrpt_note(res, "%s resolves (%s), but no server "
			    "of rule %s gives that answer", name,
			    sys.naddrs > 0 ? sys.addrs[0] : "", w->id);
	} else if (knows != NULL)
		verify_nrpt_fail(res, VERIFY_NAME_ABSENT, name,
		    "the system resolver does not find %s, yet %s (a server of "
		    "our rule %s) answers it: Windows is not using the rule",
		    name, knows, w->id);
	else if (nxd != NULL)
		verify_nrpt_fail(res, VERIFY_NAME_ABSENT, name,
		    "%s does not exist: %s (a server of our rule %s) says so",
		    name, nxd, w->id);
	else if (n > 0 || sys.status != RESOLVE_NO_NAME)
		verify_nrpt_fail(res, VERIFY_SERVER_UNREACHABLE, name,
		    "%s did not resolve: no server of our rule %s (%s) "
		    "answered", name, w->id, w->servers != NULL ? w->servers :
		    "none");
	else
		verify_nrpt_fail(res, VERIFY_NAME_ABSENT, name,
		    "the system resolver does not find %s", name);
done:
	nrptcheck_strings_free(v, n);
	resolve_answer_clear(&sys);
}

static void
verify_nrpt_probe(const struct nrptcheck_scan *s, const char *name,
    struct verify_result *res)
{
	const struct nrptcheck_rule	*w;

	res->checked++;
	if ((w = nrptcheck_winner(s, name)) == NULL)
		verify_nrpt_fail(res, VERIFY_RULE_MISSING, name,
		    "no rule in the %s table routes %s",
		    s->gp == NRPTCHECK_GP_ABSENT ? "local" : "group-policy",
		    name);
	else if (w->owner != NRPTCHECK_OURS)
		verify_nrpt_fail(res, VERIFY_RULE_SHADOWED, name,
		    "%s's rule %s (%s) takes %s: its servers %s answer, not "
		    "ours", nrptcheck_owner_name(w->owner), w->id,
		    w->nnames > 0 ? w->names[0] : "", name,
		    w->servers != NULL ? w->servers : "(none)");
	else
		verify_nrpt_ask(w, name, res);
}

void
verify_nrpt(const struct config *cfg, const struct desired_state *ds,
    struct verify_result *res)
{
	struct nrpt_scan_record	 recs[2];
	struct nrptcheck_scan	 s;
	struct dwerr		 err;
	uint64_t		 start = platform_mono_us();
	size_t			 nrecs = 0, i, j, nours = 0;

	memset(res, 0, sizeof(*res));
	if (!cfg->nrpt_enabled)
		return;		/* not managed: nothing of ours to verify */
	recs[nrecs].key = cfg->nrpt_record_key;
	recs[nrecs++].value = cfg->nrpt_record_value;
	if (cfg->follow_enabled) {
		recs[nrecs].key = cfg->follow_record_key;
		recs[nrecs++].value = cfg->follow_record_value;
	}
	if (nrpt_scan_read(recs, nrecs, &s, &err) != 0) {
		if (err.code != ENOTSUP) {
			res->ran = true;
			verify_nrpt_fail(res, VERIFY_RULE_UNPARSABLE, "NRPT",
			    "the NRPT tables could not be read: %s", err.msg);
		}
		res->duration_us = platform_mono_us() - start;
		return;
	}
	nrptcheck_owners(&s);
	for (i = 0; i < s.nrules; i++)
		if (s.rules[i].owner == NRPTCHECK_OURS)
			nours++;
	if (nours == 0 && (ds == NULL || ds->nnrpt == 0))
		goto done;	/* nothing to verify */
	res->ran = true;
	verify_nrpt_owned(&s, res);
	for (i = 0; ds != NULL && i < ds->nnrpt; i++)
		for (j = 0; j < ds->nrpt[i].ndomains; j++)
			verify_nrpt_namespace(&s, &ds->nrpt[i],
			    ds->nrpt[i].domains[j], res);
	for (i = 0; ds != NULL && i < ds->nnrpt; i++)
		for (j = 0; j < ds->nrpt[i].nprobes; j++)
			verify_nrpt_probe(&s, ds->nrpt[i].probes[j], res);
	if (res->failed == 0)
		res->cls = VERIFY_OK;
done:
	nrptcheck_scan_clear(&s);
	res->duration_us = platform_mono_us() - start;
}
