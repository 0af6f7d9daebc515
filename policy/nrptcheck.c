/* nrptcheck: owners, parsing, the winning rule, findings (nrptcheck.h). */
#include "nrptcheck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "dwstr.h"

#define NRPTCHECK_NETBIRD_PREFIX	"NetBird-Match-"
#define NRPTCHECK_OPENVPN_PREFIX	"OpenVPNDNSRouting"
#define NRPTCHECK_FIREZONE_COMMENT	"firezone-"
#define NRPTCHECK_FIREZONE_DISPLAY	"Firezone SplitDNS"
#define NRPTCHECK_CATCH_ALL		"."

static void	 nrptcheck_rule_clear(struct nrptcheck_rule *);
static bool	 nrptcheck_listed(char *const *, size_t, const char *);
static bool	 nrptcheck_prefix(const char *, const char *);
static size_t	 nrptcheck_match(const char *, const char *, bool);
static bool	 nrptcheck_same_rule_servers(const struct nrptcheck_rule *,
		    const struct nrptcheck_rule *);
static bool	 nrptcheck_has_name(const struct nrptcheck_rule *,
		    const char *);
static const char *nrptcheck_where(const struct nrptcheck_rule *);
static int	 nrptcheck_add(struct nrptcheck_finding **, size_t *, size_t *,
		    bool, const char *, const char *, ...) DW_PRINTF(6, 7);

static void
nrptcheck_rule_clear(struct nrptcheck_rule *r)
{
	free(r->id);
	nrptcheck_strings_free(r->names, r->nnames);
	free(r->servers);
	free(r->comment);
	free(r->display);
	memset(r, 0, sizeof(*r));
}

void
nrptcheck_strings_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
nrptcheck_scan_clear(struct nrptcheck_scan *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrules; i++)
		nrptcheck_rule_clear(&s->rules[i]);
	free(s->rules);
	nrptcheck_strings_free(s->ours, s->nours);
	nrptcheck_strings_free(s->coder, s->ncoder);
	nrptcheck_strings_free(s->tailscale, s->ntailscale);
	memset(s, 0, sizeof(*s));
}

/* Rule IDs compare without case, as registry key names do. */
static bool
nrptcheck_listed(char *const *ids, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (ids[i] != NULL && dwstr_casecmp(ids[i], id) == 0)
			return true;
	return false;
}

/* True when s starts with prefix, ignoring case. */
static bool
nrptcheck_prefix(const char *s, const char *prefix)
{
	if (s == NULL)
		return false;
	for (; *prefix != '\0'; s++, prefix++)
		if (tolower((unsigned char)*s) !=
		    tolower((unsigned char)*prefix))
			return false;
	return true;
}

void
nrptcheck_owners(struct nrptcheck_scan *s)
{
	struct nrptcheck_rule	*r;
	const char		*p;
	size_t			 i;

	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (nrptcheck_listed(s->ours, s->nours, r->id))
			r->owner = NRPTCHECK_OURS;
		else if (nrptcheck_listed(s->coder, s->ncoder, r->id))
			r->owner = NRPTCHECK_CODER;
		else if (nrptcheck_listed(s->tailscale, s->ntailscale, r->id))
			r->owner = NRPTCHECK_TAILSCALE;
		else if (nrptcheck_prefix(r->id, NRPTCHECK_NETBIRD_PREFIX) &&
		    *(p = r->id + strlen(NRPTCHECK_NETBIRD_PREFIX)) != '\0' &&
		    strspn(p, "0123456789") == strlen(p))
			r->owner = NRPTCHECK_NETBIRD;
		else if (nrptcheck_prefix(r->id, NRPTCHECK_OPENVPN_PREFIX))
			r->owner = NRPTCHECK_OPENVPN;
		else if (nrptcheck_prefix(r->comment,
		    NRPTCHECK_FIREZONE_COMMENT) || (r->display != NULL &&
		    strcmp(r->display, NRPTCHECK_FIREZONE_DISPLAY) == 0))
			r->owner = NRPTCHECK_FIREZONE;
		else
			r->owner = NRPTCHECK_UNKNOWN;
	}
}

const char *
nrptcheck_owner_name(enum nrptcheck_owner o)
{
	switch (o) {
	case NRPTCHECK_OURS:
		return "dnswatchdog";
	case NRPTCHECK_CODER:
		return "coder";
	case NRPTCHECK_TAILSCALE:
		return "tailscale";
	case NRPTCHECK_NETBIRD:
		return "netbird";
	case NRPTCHECK_OPENVPN:
		return "openvpn";
	case NRPTCHECK_FIREZONE:
		return "firezone";
	case NRPTCHECK_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
nrptcheck_gp_name(enum nrptcheck_gp gp)
{
	switch (gp) {
	case NRPTCHECK_GP_EMPTY:
		return "empty";
	case NRPTCHECK_GP_PRESENT:
		return "present";
	case NRPTCHECK_GP_ABSENT:
		break;
	}
	return "absent";
}

const char *
nrptcheck_table_name(enum nrptcheck_table t)
{
	return t == NRPTCHECK_GP ? "gp" : "local";
}

bool
nrptcheck_effective(const struct nrptcheck_scan *s,
    const struct nrptcheck_rule *r)
{
	if (s->gp == NRPTCHECK_GP_ABSENT)
		return r->table == NRPTCHECK_LOCAL;
	return r->table == NRPTCHECK_GP;
}

int
nrptcheck_split(const char *servers, char ***out, size_t *nout)
{
	const char	*p, *semi;
	char		**v;
	size_t		  n = 1, k = 0;

	*out = NULL;
	*nout = 0;
	if (servers == NULL)
		return 0;
	for (p = servers; (p = strchr(p, ';')) != NULL; p++)
		n++;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (p = servers; k < n; k++) {
		semi = strchr(p, ';');
		if ((v[k] = dwstr_ndup(p, semi != NULL ? (size_t)(semi - p) :
		    strlen(p))) == NULL) {
			nrptcheck_strings_free(v, k);
			return -1;
		}
		if (semi != NULL)
			p = semi + 1;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* A sentence into why; false for the caller's return. */
static bool nrptcheck_why(char *, size_t, const char *, ...) DW_PRINTF(3, 4);

static bool
nrptcheck_why(char *why, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || len == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

bool
nrptcheck_parsable(const struct nrptcheck_rule *r, char *why, size_t whylen)
{
	char		 buf[DNSNAME_MAX_CHARS + 2], ip[IPADDR_STR_BYTES];
	const char	*reason = NULL, *p, *q;
	size_t		 i, len;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (r->raw & NRPTCHECK_RAW_NAME_TYPE)
		return nrptcheck_why(why, whylen,
		    "its Name value is not a REG_MULTI_SZ");
	if ((r->raw & NRPTCHECK_RAW_NAME_MISSING) || r->nnames == 0)
		return nrptcheck_why(why, whylen,
		    "it has no Name value (no namespace)");
	for (i = 0; i < r->nnames; i++) {
		p = r->names[i];
		if (strcmp(p, NRPTCHECK_CATCH_ALL) == 0)
			continue;
		len = strlen(p);
		if (len > 0 && p[len - 1] == '.')
			reason = "ends with a dot";
		else if (p[0] == '.' && dnsname_domain(p, buf, &reason) == 0)
			continue;
		else if (p[0] != '.' && dnsname_host(p, buf, &reason) == 0)
			continue;
		return nrptcheck_why(why, whylen,
		    "its Name \"%s\" is not a DNS suffix or name: %s", p,
		    reason != NULL ? reason : "invalid");
	}
	if (r->raw & NRPTCHECK_RAW_SERVERS_TYPE)
		return nrptcheck_why(why, whylen,
		    "its GenericDNSServers value is not a REG_SZ");
	if (r->raw & NRPTCHECK_RAW_CONFIG_TYPE)
		return nrptcheck_why(why, whylen,
		    "its ConfigOptions value is not a REG_DWORD");
	if (r->servers == NULL) {
		if (r->has_config_options &&
		    (r->config_options & 0x8u) != 0)
			return nrptcheck_why(why, whylen, "its ConfigOptions "
			    "asks for GenericDNSServers, which is missing");
		return true;
	}
	for (p = r->servers;; p = q + 1) {
		q = strchr(p, ';');
		len = q != NULL ? (size_t)(q - p) : strlen(p);
		if (len == 0 || len >= sizeof(buf))
			return nrptcheck_why(why, whylen, "its "
			    "GenericDNSServers \"%s\" has an empty or overlong "
			    "server", r->servers);
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (strpbrk(buf, " \t\r\n") != NULL)
			return nrptcheck_why(why, whylen, "its "
			    "GenericDNSServers \"%s\" has a space; servers "
			    "must be joined with \";\" alone", r->servers);
		if (ipaddr_canon(buf, ip, &reason) < 0)
			return nrptcheck_why(why, whylen, "its "
			    "GenericDNSServers \"%s\": server \"%s\" %s",
			    r->servers, buf, reason);
		if (q == NULL)
			break;
	}
	return true;
}

/*
 * How well namespace ns matches name: 0 for no match, else 1 + the length
 * of what matched (an exact name one more than a suffix of that length).
 * range: name is a namespace ".x" (a rule for one name does not take it).
 */
static size_t
nrptcheck_match(const char *ns, const char *name, bool range)
{
	size_t	 nl, sl;

	if (strcmp(ns, NRPTCHECK_CATCH_ALL) == 0)
		return 1;
	nl = strlen(name);
	if (ns[0] != '.') {
		if (range || dwstr_casecmp(ns, name) != 0)
			return 0;
		return nl + 2;
	}
	ns++;
	sl = strlen(ns);
	if (sl == 0 || sl > nl)
		return 0;
	if (dwstr_casecmp(name + nl - sl, ns) != 0)
		return 0;
	if (nl > sl && name[nl - sl - 1] != '.')
		return 0;
	return sl + 1;
}

const struct nrptcheck_rule *
nrptcheck_winner(const struct nrptcheck_scan *s, const char *name)
{
	const struct nrptcheck_rule	*r, *best = NULL;
	size_t				 i, j, m, bestm = 0;
	bool				 range = name[0] == '.';

	if (range)
		name++;
	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (!nrptcheck_effective(s, r))
			continue;
		for (j = 0; j < r->nnames; j++) {
			m = nrptcheck_match(r->names[j], name, range);
			if (m == 0 || m < bestm)
				continue;
			if (m == bestm && (best->owner == NRPTCHECK_OURS ||
			    r->owner != NRPTCHECK_OURS))
				continue;
			best = r;
			bestm = m;
		}
	}
	return best;
}

bool
nrptcheck_same_servers(const struct nrptcheck_rule *r, char *const *servers,
    size_t nservers)
{
	char		**v, ip[IPADDR_STR_BYTES];
	const char	 *why;
	size_t		  n, i, j;
	bool		  same;

	if (nrptcheck_split(r->servers, &v, &n) != 0 || v == NULL)
		return false;
	same = true;
	/* Every server of the rule is wanted, and every wanted one is there. */
	for (i = 0; same && i < n; i++) {
		if (ipaddr_canon(v[i], ip, &why) < 0) {
			same = false;
			break;
		}
		for (j = 0; j < nservers; j++)
			if (strcmp(ip, servers[j]) == 0)
				break;
		same = j < nservers;
	}
	for (j = 0; same && j < nservers; j++) {
		for (i = 0; i < n; i++)
			if (ipaddr_canon(v[i], ip, &why) >= 0 &&
			    strcmp(ip, servers[j]) == 0)
				break;
		same = i < n;
	}
	nrptcheck_strings_free(v, n);
	return same;
}

/* True when both rules name the same servers: the same text, or the same
 * set of addresses. */
static bool
nrptcheck_same_rule_servers(const struct nrptcheck_rule *r,
    const struct nrptcheck_rule *o)
{
	char		**v, ip[IPADDR_STR_BYTES];
	const char	 *why;
	size_t		  n, i;
	bool		  same = true;

	if (r->servers == NULL || o->servers == NULL)
		return r->servers == o->servers;
	if (dwstr_casecmp(r->servers, o->servers) == 0)
		return true;
	if (nrptcheck_split(o->servers, &v, &n) != 0)
		return false;
	for (i = 0; same && i < n; i++) {
		if (ipaddr_canon(v[i], ip, &why) < 0)
			same = false;
		else {
			free(v[i]);
			same = (v[i] = dwstr_dup(ip)) != NULL;
		}
	}
	same = same && nrptcheck_same_servers(r, v, n);
	nrptcheck_strings_free(v, n);
	return same;
}

static bool
nrptcheck_has_name(const struct nrptcheck_rule *r, const char *ns)
{
	size_t	 i;

	for (i = 0; i < r->nnames; i++)
		if (dwstr_casecmp(r->names[i], ns) == 0)
			return true;
	return false;
}

/* "the local table" or "the group-policy table", for sentences. */
static const char *
nrptcheck_where(const struct nrptcheck_rule *r)
{
	return r->table == NRPTCHECK_GP ? "the group-policy NRPT table" :
	    "the local NRPT table";
}

static int
nrptcheck_add(struct nrptcheck_finding **v, size_t *n, size_t *cap,
    bool error, const char *code, const char *fmt, ...)
{
	struct nrptcheck_finding	*p;
	va_list				 ap;

	if (*n == *cap) {
		*cap = *cap > 0 ? *cap * 2 : 8;
		if ((p = realloc(*v, *cap * sizeof(*p))) == NULL)
			return -1;
		*v = p;
	}
	p = &(*v)[(*n)++];
	p->error = error;
	p->code = code;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Adds a nrpt-overlap finding for every namespace r and o both route
 * to different servers. */
static int
nrptcheck_overlap(const struct nrptcheck_rule *r,
    const struct nrptcheck_rule *o, struct nrptcheck_finding **v, size_t *n,
    size_t *cap)
{
	size_t	 j;

	if (nrptcheck_same_rule_servers(r, o))
		return 0;
	for (j = 0; j < r->nnames; j++) {
		if (!nrptcheck_has_name(o, r->names[j]))
			continue;
		if (nrptcheck_add(v, n, cap, false, "nrpt-overlap",
		    "namespace %s is routed by %s's rule %s to \"%s\" and by "
		    "%s's rule %s to \"%s\" (in %s): which one Windows uses "
		    "is not defined", r->names[j], nrptcheck_owner_name(
		    r->owner), r->id, r->servers != NULL ? r->servers : "",
		    nrptcheck_owner_name(o->owner), o->id, o->servers != NULL ?
		    o->servers : "", nrptcheck_where(r)) != 0)
			return -1;
	}
	return 0;
}

/* The namespaces of desired rule dn that no rule of ours in the
 * effective table routes to its servers, joined into buf. */
static size_t
nrptcheck_missing(const struct nrptcheck_scan *s,
    const struct desired_nrpt *dn, char *buf, size_t len)
{
	const struct nrptcheck_rule	*r;
	size_t				 i, k, missing = 0, at = 0;
	int				 w;

	buf[0] = '\0';
	for (i = 0; i < dn->ndomains; i++) {
		for (k = 0; k < s->nrules; k++) {
			r = &s->rules[k];
			if (r->owner == NRPTCHECK_OURS &&
			    nrptcheck_effective(s, r) &&
			    nrptcheck_has_name(r, dn->domains[i]) &&
			    nrptcheck_same_servers(r, dn->servers,
			    dn->nservers))
				break;
		}
		if (k < s->nrules)
			continue;
		w = snprintf(buf + at, len - at, "%s%s", missing > 0 ? " " :
		    "", dn->domains[i]);
		if (w > 0 && (size_t)w < len - at)
			at += (size_t)w;
		missing++;
	}
	return missing;
}

int
nrptcheck_findings(const struct nrptcheck_scan *s,
    const struct desired_state *ds, struct nrptcheck_finding **out,
    size_t *nout)
{
	struct nrptcheck_finding	*v = NULL;
	const struct nrptcheck_rule	*r, *o;
	char				 why[NRPTCHECK_WHY_BYTES], ns[512];
	size_t				 n = 0, cap = 0, i, k, nlocal = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < s->nrules; i++)
		if (s->rules[i].table == NRPTCHECK_LOCAL)
			nlocal++;
	if (s->gp == NRPTCHECK_GP_EMPTY && (nlocal > 0 ||
	    (ds != NULL && ds->nnrpt > 0)) && nrptcheck_add(&v, &n, &cap, true,
	    "nrpt-gp-table-empty", "the group-policy NRPT table exists but "
	    "holds no rule: Windows ignores all %zu rules of the local table "
	    "while it is there (a group policy or a program left it; rules "
	    "must go into it, or it must go)", nlocal) != 0)
		goto nomem;
	for (i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (!nrptcheck_effective(s, r))
			continue;
		if (!nrptcheck_parsable(r, why, sizeof(why)) &&
		    nrptcheck_add(&v, &n, &cap, true, "nrpt-unparsable",
		    "%s's rule %s in %s cannot be parsed by Windows: %s; "
		    "names under it may not resolve",
		    nrptcheck_owner_name(r->owner), r->id, nrptcheck_where(r),
		    why) != 0)
			goto nomem;
		if (r->owner != NRPTCHECK_OURS &&
		    nrptcheck_has_name(r, NRPTCHECK_CATCH_ALL) &&
		    nrptcheck_add(&v, &n, &cap, false, "nrpt-catch-all",
		    "%s's rule %s in %s routes \".\" (every name) to \"%s\": "
		    "it takes every name that no more specific rule matches",
		    nrptcheck_owner_name(r->owner), r->id, nrptcheck_where(r),
		    r->servers != NULL ? r->servers : "") != 0)
			goto nomem;
		for (k = i + 1; k < s->nrules; k++) {
			o = &s->rules[k];
			if (!nrptcheck_effective(s, o) ||
			    (o->owner == r->owner &&
			    r->owner != NRPTCHECK_UNKNOWN))
				continue;
			if (nrptcheck_overlap(r, o, &v, &n, &cap) != 0)
				goto nomem;
		}
	}
	for (i = 0; ds != NULL && i < ds->nnrpt; i++) {
		if (nrptcheck_missing(s, &ds->nrpt[i], ns, sizeof(ns)) == 0)
			continue;
		if (nrptcheck_add(&v, &n, &cap, true, "nrpt-missing",
		    "desired rule $.nrpt[%zu] (%s) has no rule of ours in the "
		    "%s table routing %s to its servers", i,
		    ds->nrpt[i].ndomains > 0 ? ds->nrpt[i].domains[0] : "",
		    s->gp == NRPTCHECK_GP_ABSENT ? "local" : "group-policy",
		    ns) != 0)
			goto nomem;
	}
	*out = v;
	*nout = n;
	return 0;
nomem:
	free(v);
	return -1;
}
