/* nrpt: the NRPT planner and the safe-order applier (see nrpt.h). */
#include "nrpt.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

#define NRPT_NONE	SIZE_MAX	/* no live rule, no match */
#define NRPT_ID_TRIES	16u		/* new_id calls allowed per created rule */
#define NRPT_SERVER_SEP	';'		/* GenericDNSServers separator, no space */

/* One rule key the desired state asks for: at most NRPT_MAX_NAMES_PER_RULE
 * domains of one desired_nrpt, and its servers. */
struct nrpt_chunk {
	char *const	 *names;	/* borrowed from the desired state */
	size_t		  nnames;
	const char	**set;		/* the distinct names, sorted */
	size_t		  nset;
	char		 *servers;	/* joined with NRPT_SERVER_SEP */
	bool		  done;		/* matched or given a new ID */
	size_t		  rule;		/* index of the matched live rule */
	enum nrpt_op	  op;
	unsigned	  values;
	char		  id[NRPT_ID_BYTES];	/* the new ID (CREATE) */
};

/* What the planner knows about one live rule. */
struct nrpt_seen {
	const char	**set;		/* the distinct names, sorted */
	size_t		  nset;
	bool		  owned;	/* its ID is in the ownership record */
	bool		  used;		/* matched to a chunk */
};

/* One distinct ID of the ownership record. */
struct nrpt_owned {
	char	*id;			/* borrowed: first spelling in the record */
	size_t	 rule;			/* its live rule, or NRPT_NONE */
};

/* Scratch state of one nrpt_plan_make call. */
struct nrpt_work {
	const struct nrpt_live	*live;
	const struct nrpt_params *params;
	struct nrpt_chunk	*chunks;
	size_t			 nchunks;
	struct nrpt_seen	*seen;		/* parallel to live->rules */
	struct nrpt_owned	*owned;
	size_t			 nowned;
};

static char	*nrpt_join(char *const *, size_t);
static int	 nrpt_set_order(const void *, const void *);
static int	 nrpt_set_make(char *const *, size_t, const char ***, size_t *);
static bool	 nrpt_set_equal(const char **, size_t, const char **, size_t);
static size_t	 nrpt_set_shared(const char **, size_t, const char **, size_t);
static bool	 nrpt_ids_has(char *const *, size_t, const char *);
static bool	 nrpt_ids_same(char *const *, size_t, char *const *, size_t);
static size_t	 nrpt_rule_find(const struct nrpt_live *, const char *);
static int	 nrpt_work_init(struct nrpt_work *, const struct desired_state *);
static void	 nrpt_work_free(struct nrpt_work *);
static unsigned	 nrpt_diff(const struct nrpt_work *, const struct nrpt_chunk *,
		    size_t);
static void	 nrpt_take(struct nrpt_work *, struct nrpt_chunk *, size_t);
static void	 nrpt_match_owned(struct nrpt_work *);
static void	 nrpt_match_adopt(struct nrpt_work *);
static void	 nrpt_match_reuse(struct nrpt_work *);
static bool	 nrpt_id_taken(const struct nrpt_work *, size_t, const char *);
static int	 nrpt_match_create(struct nrpt_work *, nrpt_id_fn, void *,
		    struct dwerr *);
static int	 nrpt_want_fill(struct nrpt_rule *, const char *,
		    const struct nrpt_chunk *, const struct nrpt_params *);
static int	 nrpt_plan_build(struct nrpt_plan *, const struct nrpt_work *);
static unsigned	 nrpt_popcount(unsigned);

/* The GenericDNSServers value: "a;b;c". A space after the separator breaks
 * resolution once there are two servers, so there is none. */
static char *
nrpt_join(char *const *servers, size_t n)
{
	char	*s, *p;
	size_t	 len = 1, i, l;

	for (i = 0; i < n; i++)
		if (servers[i] != NULL)
			len += strlen(servers[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	p = s;
	for (i = 0; i < n; i++) {
		if (servers[i] == NULL)
			continue;
		if (p != s)
			*p++ = NRPT_SERVER_SEP;
		l = strlen(servers[i]);
		memcpy(p, servers[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

static int
nrpt_set_order(const void *a, const void *b)
{
	const char *const	*sa = a;
	const char *const	*sb = b;

	return dwstr_casecmp(*sa, *sb);
}

/* Builds the distinct names of a Name value, sorted ignoring case, so that
 * two values compare as sets. The strings stay borrowed. */
static int
nrpt_set_make(char *const *names, size_t n, const char ***out, size_t *nout)
{
	const char	**set;
	size_t		  i, k, m;

	*out = NULL;
	*nout = 0;
	if ((set = calloc(n > 0 ? n : 1, sizeof(*set))) == NULL)
		return -1;
	for (i = k = 0; i < n; i++)
		if (names[i] != NULL)
			set[k++] = names[i];
	if (k > 1)
		qsort(set, k, sizeof(*set), nrpt_set_order);
	m = k;
	for (i = k = 0; i < m; i++)
		if (k == 0 || dwstr_casecmp(set[k - 1], set[i]) != 0)
			set[k++] = set[i];
	*out = set;
	*nout = k;
	return 0;
}

static bool
nrpt_set_equal(const char **a, size_t na, const char **b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (dwstr_casecmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* The number of names two sorted sets have in common. */
static size_t
nrpt_set_shared(const char **a, size_t na, const char **b, size_t nb)
{
	size_t	 i = 0, j = 0, n = 0;
	int	 c;

	while (i < na && j < nb) {
		c = dwstr_casecmp(a[i], b[j]);
		if (c == 0) {
			n++;
			i++;
			j++;
		} else if (c < 0)
			i++;
		else
			j++;
	}
	return n;
}

static bool
nrpt_ids_has(char *const *ids, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (ids[i] != NULL && dwstr_casecmp(ids[i], id) == 0)
			return true;
	return false;
}

/* True when two ID lists hold the same IDs, ignoring case, order and
 * duplicates. */
static bool
nrpt_ids_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	 i;

	for (i = 0; i < na; i++)
		if (a[i] != NULL && !nrpt_ids_has(b, nb, a[i]))
			return false;
	for (i = 0; i < nb; i++)
		if (b[i] != NULL && !nrpt_ids_has(a, na, b[i]))
			return false;
	return true;
}

/* The index of the live rule whose key is id, or NRPT_NONE. */
static size_t
nrpt_rule_find(const struct nrpt_live *live, const char *id)
{
	size_t	 i;

	for (i = 0; i < live->nrules; i++)
		if (live->rules[i].id != NULL &&
		    dwstr_casecmp(live->rules[i].id, id) == 0)
			return i;
	return NRPT_NONE;
}

/* Splits the desired rules into chunks and indexes the live rules and the
 * ownership record. w->live must be set. */
static int
nrpt_work_init(struct nrpt_work *w, const struct desired_state *ds)
{
	const struct nrpt_live		*live = w->live;
	const struct desired_nrpt	*dn;
	struct nrpt_chunk		*c;
	const struct nrpt_rule		*r;
	size_t				 i, k, off, n;

	if (ds != NULL)
		for (i = 0; i < ds->nnrpt; i++) {
			n = ds->nrpt[i].ndomains;
			w->nchunks += n / NRPT_MAX_NAMES_PER_RULE +
			    (n % NRPT_MAX_NAMES_PER_RULE != 0);
		}
	if (w->nchunks > 0 &&
	    (w->chunks = calloc(w->nchunks, sizeof(*w->chunks))) == NULL) {
		w->nchunks = 0;
		return -1;
	}
	c = w->chunks;
	for (i = 0; ds != NULL && i < ds->nnrpt; i++) {
		dn = &ds->nrpt[i];
		for (off = 0; off < dn->ndomains; off += n) {
			n = dn->ndomains - off;
			if (n > NRPT_MAX_NAMES_PER_RULE)
				n = NRPT_MAX_NAMES_PER_RULE;
			c->names = dn->domains + off;
			c->nnames = n;
			c->rule = NRPT_NONE;
			if (nrpt_set_make(c->names, n, &c->set, &c->nset) == -1)
				return -1;
			if ((c->servers = nrpt_join(dn->servers,
			    dn->nservers)) == NULL)
				return -1;
			c++;
		}
	}

	if (live->nrules > 0) {
		if ((w->seen = calloc(live->nrules, sizeof(*w->seen))) == NULL)
			return -1;
		for (i = 0; i < live->nrules; i++) {
			r = &live->rules[i];
			if (nrpt_set_make(r->names, r->names != NULL ?
			    r->nnames : 0, &w->seen[i].set,
			    &w->seen[i].nset) == -1)
				return -1;
			w->seen[i].owned = r->id != NULL &&
			    nrpt_ids_has(live->owned, live->nowned, r->id);
		}
	}

	if (live->nowned > 0) {
		if ((w->owned = calloc(live->nowned,
		    sizeof(*w->owned))) == NULL)
			return -1;
		for (i = 0; i < live->nowned; i++) {
			if (live->owned[i] == NULL)
				continue;
			for (k = 0; k < w->nowned; k++)
				if (dwstr_casecmp(w->owned[k].id,
				    live->owned[i]) == 0)
					break;
			if (k < w->nowned)
				continue;	/* a duplicate counts once */
			w->owned[w->nowned].id = live->owned[i];
			w->owned[w->nowned].rule = nrpt_rule_find(live,
			    live->owned[i]);
			w->nowned++;
		}
	}
	return 0;
}

static void
nrpt_work_free(struct nrpt_work *w)
{
	size_t	 i;

	for (i = 0; i < w->nchunks; i++) {
		free(w->chunks[i].set);
		free(w->chunks[i].servers);
	}
	free(w->chunks);
	if (w->seen != NULL)
		for (i = 0; i < w->live->nrules; i++)
			free(w->seen[i].set);
	free(w->seen);
	free(w->owned);
	memset(w, 0, sizeof(*w));
}

/* The NRPT_V_* values of live rule ri that differ from what chunk c wants.
 * Name counts as right when the two hold the same set of names. */
static unsigned
nrpt_diff(const struct nrpt_work *w, const struct nrpt_chunk *c, size_t ri)
{
	const struct nrpt_rule	*r = &w->live->rules[ri];
	const struct nrpt_seen	*s = &w->seen[ri];
	const char		*comment;
	unsigned		 v = 0;

	comment = w->params->comment != NULL ? w->params->comment : "";
	if (!nrpt_set_equal(s->set, s->nset, c->set, c->nset))
		v |= NRPT_V_NAME;
	if (r->servers == NULL || dwstr_casecmp(r->servers, c->servers) != 0)
		v |= NRPT_V_SERVERS;
	if (!r->has_version || r->version != w->params->version)
		v |= NRPT_V_VERSION;
	if (!r->has_config_options ||
	    r->config_options != NRPT_CONFIG_GENERIC_DNS)
		v |= NRPT_V_CONFIG;
	if (r->comment == NULL || strcmp(r->comment, comment) != 0)
		v |= NRPT_V_COMMENT;
	if (r->ipsec_ca == NULL || r->ipsec_ca[0] != '\0')
		v |= NRPT_V_IPSECCA;
	if (r->display == NULL || r->display[0] != '\0')
		v |= NRPT_V_DISPLAY;
	return v;
}

/* Gives owned live rule ri to chunk c: KEEP when it is right, else UPDATE. */
static void
nrpt_take(struct nrpt_work *w, struct nrpt_chunk *c, size_t ri)
{
	c->done = true;
	c->rule = ri;
	c->values = nrpt_diff(w, c, ri);
	c->op = c->values != 0 ? NRPT_OP_UPDATE : NRPT_OP_KEEP;
	w->seen[ri].used = true;
}

/* Pass 1: an owned rule with the chunk's names and servers. */
static void
nrpt_match_owned(struct nrpt_work *w)
{
	struct nrpt_chunk	*c;
	const struct nrpt_rule	*r;
	const struct nrpt_seen	*s;
	size_t			 i, k, ri;

	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		for (k = 0; !c->done && k < w->nowned; k++) {
			if ((ri = w->owned[k].rule) == NRPT_NONE)
				continue;
			r = &w->live->rules[ri];
			s = &w->seen[ri];
			if (s->used ||
			    !nrpt_set_equal(s->set, s->nset, c->set, c->nset) ||
			    r->servers == NULL ||
			    dwstr_casecmp(r->servers, c->servers) != 0)
				continue;
			nrpt_take(w, c, ri);
		}
	}
}

/* Pass 2: a foreign rule that already expresses the chunk. It is used as it
 * is and never recorded: nothing proves this watchdog wrote it. */
static void
nrpt_match_adopt(struct nrpt_work *w)
{
	struct nrpt_chunk	*c;
	const struct nrpt_rule	*r;
	struct nrpt_seen	*s;
	size_t			 i, ri;

	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		for (ri = 0; !c->done && ri < w->live->nrules; ri++) {
			r = &w->live->rules[ri];
			s = &w->seen[ri];
			if (s->owned || s->used || r->id == NULL ||
			    !r->has_config_options ||
			    (r->config_options & NRPT_CONFIG_GENERIC_DNS) == 0 ||
			    r->servers == NULL ||
			    dwstr_casecmp(r->servers, c->servers) != 0 ||
			    !nrpt_set_equal(s->set, s->nset, c->set, c->nset))
				continue;
			c->done = true;
			c->rule = ri;
			c->op = NRPT_OP_ADOPT;
			c->values = 0;
			s->used = true;
		}
	}
}

/* Pass 3: any owned rule left, the one sharing the most names first. */
static void
nrpt_match_reuse(struct nrpt_work *w)
{
	struct nrpt_chunk	*c;
	const struct nrpt_seen	*s;
	size_t			 i, k, ri, best, nbest, n;

	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		if (c->done)
			continue;
		best = NRPT_NONE;
		nbest = 0;
		for (k = 0; k < w->nowned; k++) {
			if ((ri = w->owned[k].rule) == NRPT_NONE)
				continue;
			s = &w->seen[ri];
			if (s->used)
				continue;
			n = nrpt_set_shared(s->set, s->nset, c->set, c->nset);
			if (best == NRPT_NONE || n > nbest) {
				best = ri;
				nbest = n;
			}
		}
		if (best != NRPT_NONE)
			nrpt_take(w, c, best);
	}
}

/* True when id names a live rule, an ID of the record, or an ID created for
 * one of the first nchunks chunks. */
static bool
nrpt_id_taken(const struct nrpt_work *w, size_t nchunks, const char *id)
{
	size_t	 i;

	if (nrpt_rule_find(w->live, id) != NRPT_NONE ||
	    nrpt_ids_has(w->live->owned, w->live->nowned, id))
		return true;
	for (i = 0; i < nchunks; i++)
		if (w->chunks[i].op == NRPT_OP_CREATE &&
		    dwstr_casecmp(w->chunks[i].id, id) == 0)
			return true;
	return false;
}

/* Pass 4: a new ID for every chunk still without a rule. */
static int
nrpt_match_create(struct nrpt_work *w, nrpt_id_fn new_id, void *id_ctx,
    struct dwerr *err)
{
	struct nrpt_chunk	*c;
	size_t			 i;
	unsigned		 tries;

	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		if (c->done)
			continue;
		for (tries = 0;; tries++) {
			if (tries == NRPT_ID_TRIES) {
				dwerr_set(err, EEXIST, "no unused NRPT rule ID "
				    "after %u tries", NRPT_ID_TRIES);
				return -1;
			}
			memset(c->id, 0, sizeof(c->id));
			new_id(id_ctx, c->id);
			c->id[NRPT_ID_BYTES - 1] = '\0';
			if (c->id[0] != '\0' && !nrpt_id_taken(w, i, c->id))
				break;
		}
		c->done = true;
		c->op = NRPT_OP_CREATE;
		c->values = NRPT_V_ALL;
	}
	return 0;
}

/* Fills want with id and, when c is not NULL, the values chunk c wants.
 * On failure want holds what was copied so far (nrpt_rule_clear frees it). */
static int
nrpt_want_fill(struct nrpt_rule *want, const char *id,
    const struct nrpt_chunk *c, const struct nrpt_params *params)
{
	size_t	 i;

	if ((want->id = dwstr_dup(id)) == NULL)
		return -1;
	if (c == NULL)
		return 0;
	if ((want->names = calloc(c->nnames > 0 ? c->nnames : 1,
	    sizeof(*want->names))) == NULL)
		return -1;
	for (i = 0; i < c->nnames; i++) {
		if ((want->names[i] = dwstr_dup(c->names[i])) == NULL)
			return -1;
		want->nnames++;
	}
	if ((want->servers = dwstr_dup(c->servers)) == NULL)
		return -1;
	want->version = params->version;
	want->has_version = true;
	want->config_options = NRPT_CONFIG_GENERIC_DNS;
	want->has_config_options = true;
	if ((want->comment = dwstr_dup(params->comment != NULL ?
	    params->comment : "")) == NULL)
		return -1;
	if ((want->ipsec_ca = dwstr_dup("")) == NULL ||
	    (want->display = dwstr_dup("")) == NULL)
		return -1;
	return 0;
}

/* Turns the matched chunks and the record into actions and owned_after. */
static int
nrpt_plan_build(struct nrpt_plan *plan, const struct nrpt_work *w)
{
	const struct nrpt_chunk	*c;
	const struct nrpt_owned	*o;
	struct nrpt_action	*a;
	const char		*id;
	size_t			 i, max;
	int			 pass;

	if (w->nchunks > SIZE_MAX - w->nowned - 1)
		return -1;
	max = w->nchunks + w->nowned + 1;
	if ((plan->actions = calloc(max, sizeof(*plan->actions))) == NULL ||
	    (plan->owned_after = calloc(max,
	    sizeof(*plan->owned_after))) == NULL)
		return -1;

	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		id = c->op == NRPT_OP_CREATE ? c->id : w->live->rules[c->rule].id;
		a = &plan->actions[plan->nactions++];
		a->op = c->op;
		a->values = c->values;
		if (nrpt_want_fill(&a->want, id, c, w->params) == -1)
			return -1;
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < w->nowned; i++) {
			o = &w->owned[i];
			if (pass == 0 && o->rule != NRPT_NONE &&
			    !w->seen[o->rule].used) {
				a = &plan->actions[plan->nactions++];
				a->op = NRPT_OP_DELETE;
				id = w->live->rules[o->rule].id;
			} else if (pass == 1 && o->rule == NRPT_NONE) {
				a = &plan->actions[plan->nactions++];
				a->op = NRPT_OP_FORGET;
				id = o->id;
			} else
				continue;
			if (nrpt_want_fill(&a->want, id, NULL, w->params) == -1)
				return -1;
		}

	/* The record keeps its order; created IDs follow. */
	for (i = 0; i < w->nowned; i++) {
		o = &w->owned[i];
		if (o->rule == NRPT_NONE || !w->seen[o->rule].used)
			continue;
		if ((plan->owned_after[plan->nowned_after] =
		    dwstr_dup(o->id)) == NULL)
			return -1;
		plan->nowned_after++;
	}
	for (i = 0; i < w->nchunks; i++) {
		c = &w->chunks[i];
		if (c->op != NRPT_OP_CREATE)
			continue;
		if ((plan->owned_after[plan->nowned_after] =
		    dwstr_dup(c->id)) == NULL)
			return -1;
		plan->nowned_after++;
	}
	return 0;
}

int
nrpt_plan_make(const struct desired_state *ds, const struct nrpt_live *live,
    const struct nrpt_params *params, nrpt_id_fn new_id, void *id_ctx,
    struct nrpt_plan **out, struct dwerr *err)
{
	struct nrpt_live	 none;
	struct nrpt_work	 w;
	struct nrpt_plan	*plan = NULL;
	int			 rc = -1;

	*out = NULL;
	if (live == NULL) {
		memset(&none, 0, sizeof(none));
		live = &none;
	}
	memset(&w, 0, sizeof(w));
	w.live = live;
	w.params = params;
	if (nrpt_work_init(&w, ds) == -1)
		goto nomem;
	nrpt_match_owned(&w);
	nrpt_match_adopt(&w);
	nrpt_match_reuse(&w);
	if (nrpt_match_create(&w, new_id, id_ctx, err) == -1)
		goto done;
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    nrpt_plan_build(plan, &w) == -1)
		goto nomem;
	*out = plan;
	plan = NULL;
	rc = 0;
	goto done;
nomem:
	dwerr_set(err, ENOMEM, "out of memory while planning NRPT rules");
done:
	nrpt_plan_free(plan);
	nrpt_work_free(&w);
	return rc;
}

void
nrpt_plan_free(struct nrpt_plan *plan)
{
	size_t	 i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->nactions; i++)
		nrpt_rule_clear(&plan->actions[i].want);
	free(plan->actions);
	for (i = 0; i < plan->nowned_after; i++)
		free(plan->owned_after[i]);
	free(plan->owned_after);
	free(plan);
}

bool
nrpt_plan_is_noop(const struct nrpt_plan *plan)
{
	const struct nrpt_action	*a;
	size_t				 i, k;

	if (plan == NULL)
		return true;
	for (i = 0; i < plan->nactions; i++) {
		a = &plan->actions[i];
		if (a->op != NRPT_OP_KEEP && a->op != NRPT_OP_ADOPT)
			return false;
	}
	/* Every recorded ID then has a KEEP action: compare those with
	 * owned_after, both ways. */
	for (i = 0; i < plan->nactions; i++) {
		a = &plan->actions[i];
		if (a->op == NRPT_OP_KEEP && a->want.id != NULL &&
		    !nrpt_ids_has(plan->owned_after, plan->nowned_after,
		    a->want.id))
			return false;
	}
	for (k = 0; k < plan->nowned_after; k++) {
		for (i = 0; i < plan->nactions; i++) {
			a = &plan->actions[i];
			if (a->op == NRPT_OP_KEEP && a->want.id != NULL &&
			    dwstr_casecmp(a->want.id,
			    plan->owned_after[k]) == 0)
				break;
		}
		if (i == plan->nactions)
			return false;
	}
	return true;
}

static unsigned
nrpt_popcount(unsigned v)
{
	unsigned	 n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

int
nrpt_apply(const struct nrpt_plan *plan, const struct nrpt_live *live,
    const struct nrpt_store_ops *ops, void *ctx,
    struct nrpt_apply_result *res, struct dwerr *err)
{
	struct nrpt_apply_result	 scratch;
	struct dwerr			 derr;
	const struct nrpt_action	*a;
	char				**old = NULL, **stored, **after = NULL;
	size_t				  nold = 0, nstored, nafter = 0;
	size_t				  ndeletes = 0, ncreates = 0, i;
	bool				  failed = false;
	int				  rc = -1;

	if (res == NULL)
		res = &scratch;
	memset(res, 0, sizeof(*res));
	if (plan == NULL)
		return 0;
	if (live != NULL) {
		old = live->owned;
		nold = live->nowned;
	}
	for (i = 0; i < plan->nactions; i++) {
		if (plan->actions[i].op == NRPT_OP_CREATE)
			ncreates++;
		else if (plan->actions[i].op == NRPT_OP_DELETE)
			ndeletes++;
	}
	stored = old;
	nstored = nold;

	/* Every array is sized before the first store call, so running out
	 * of memory never stops the sequence half way. */
	if (ncreates > 0) {
		if ((stored = calloc(nold + ncreates,
		    sizeof(*stored))) == NULL)
			goto nomem;
		nstored = 0;
		for (i = 0; i < nold; i++)
			if (old[i] != NULL &&
			    !nrpt_ids_has(stored, nstored, old[i]))
				stored[nstored++] = old[i];
		for (i = 0; i < plan->nactions; i++)
			if (plan->actions[i].op == NRPT_OP_CREATE)
				stored[nstored++] = plan->actions[i].want.id;
	}
	if ((after = calloc(plan->nowned_after + ndeletes + 1,
	    sizeof(*after))) == NULL)
		goto nomem;
	for (i = 0; i < plan->nowned_after; i++)
		after[nafter++] = plan->owned_after[i];

	/* 1. Record new IDs before their keys exist: a crash then leaves an
	 * ID without a key, which the next plan forgets. */
	if (ncreates > 0 && ops->record_set(ctx, stored, nstored, err) == -1) {
		res->deletes_skipped = true;
		goto done;
	}

	/* 2. Write. The first failure stops everything: stale rules stay, and
	 * the record still names every key that may exist. */
	for (i = 0; i < plan->nactions; i++) {
		a = &plan->actions[i];
		if (a->op != NRPT_OP_UPDATE && a->op != NRPT_OP_CREATE)
			continue;
		if (ops->rule_write(ctx, &a->want, a->values, err) == -1) {
			res->deletes_skipped = true;
			goto done;
		}
		res->rules_written++;
		res->values_written += nrpt_popcount(a->values);
	}

	/* 3. Delete stale rules; one that resists stays recorded. */
	for (i = 0; i < plan->nactions; i++) {
		a = &plan->actions[i];
		if (a->op != NRPT_OP_DELETE)
			continue;
		dwerr_reset(&derr);
		if (ops->rule_delete(ctx, a->want.id, &derr) == -1) {
			if (!failed && err != NULL)
				*err = derr;
			else
				dwerr_add(err, derr.code, "%s", derr.msg);
			failed = true;
			after[nafter++] = a->want.id;
			continue;
		}
		res->rules_deleted++;
	}

	/* 4. Drop deleted and vanished IDs from the record. */
	if (!nrpt_ids_same(after, nafter, stored, nstored)) {
		dwerr_reset(&derr);
		if (ops->record_set(ctx, after, nafter, &derr) == -1) {
			if (!failed && err != NULL)
				*err = derr;
			else
				dwerr_add(err, derr.code, "%s", derr.msg);
			failed = true;
		}
	}
	rc = failed ? -1 : 0;
	goto done;
nomem:
	dwerr_set(err, ENOMEM, "out of memory while applying NRPT rules");
	res->deletes_skipped = true;
done:
	if (stored != old)
		free(stored);
	free(after);
	return rc;
}

void
nrpt_rule_clear(struct nrpt_rule *rule)
{
	size_t	 i;

	if (rule == NULL)
		return;
	free(rule->id);
	if (rule->names != NULL)
		for (i = 0; i < rule->nnames; i++)
			free(rule->names[i]);
	free(rule->names);
	free(rule->servers);
	free(rule->comment);
	free(rule->ipsec_ca);
	free(rule->display);
	memset(rule, 0, sizeof(*rule));
}

void
nrpt_live_clear(struct nrpt_live *live)
{
	size_t	 i;

	if (live == NULL)
		return;
	if (live->rules != NULL)
		for (i = 0; i < live->nrules; i++)
			nrpt_rule_clear(&live->rules[i]);
	free(live->rules);
	if (live->owned != NULL)
		for (i = 0; i < live->nowned; i++)
			free(live->owned[i]);
	free(live->owned);
	memset(live, 0, sizeof(*live));
}

const char *
nrpt_op_name(enum nrpt_op op)
{
	switch (op) {
	case NRPT_OP_KEEP:
		return "keep";
	case NRPT_OP_ADOPT:
		return "adopt";
	case NRPT_OP_UPDATE:
		return "update";
	case NRPT_OP_CREATE:
		return "create";
	case NRPT_OP_DELETE:
		return "delete";
	case NRPT_OP_FORGET:
		return "forget";
	}
	return "unknown";
}
