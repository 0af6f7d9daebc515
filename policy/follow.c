/* follow: the tunnel table, the learned state, the decision (follow.h). */
#include "follow.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "jsonv.h"

#define FOLLOW_STATE_VERSION	1
#define FOLLOW_MAX_DEPTH	6u
#define FOLLOW_REG_TYPE_MAX	11u	/* REG_QWORD */
#define FOLLOW_ID_MAX_CHARS	255u	/* a registry key name */
#define FOLLOW_NAME_MAX_CHARS	255u	/* a value name we keep */

/*
 * The tunnels known by name. Each is what its public sources write: the
 * record of rule IDs, the hosts markers, the adapter (docs/follow.md says
 * where each value comes from). A third tunnel is a new row.
 */
static const struct follow_tunnel follow_known[] = {
	{
		"coder", "SOFTWARE\\Coder VPN", "NRPTRuleIDs",
		"# CoderHostsSectionStart", "# CoderHostsSectionEnd",
		"{0ed1515d-04a4-4c46-abae-11ad07cf0e6d}",
#ifdef _WIN32
		"Coder"
#else
		"coder"
#endif
	},
	{
		"tailscale", "SOFTWARE\\Tailscale IPN", "NRPTRuleIDs",
		"# TailscaleHostsSectionStart", "# TailscaleHostsSectionEnd",
		NULL,
#ifdef _WIN32
		"Tailscale"
#else
		"tailscale0"
#endif
	},
};
#define FOLLOW_NKNOWN	(sizeof(follow_known) / sizeof(follow_known[0]))

const struct follow_tunnel *
follow_tunnel_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < FOLLOW_NKNOWN; i++)
		if (strcmp(follow_known[i].name, name) == 0)
			return &follow_known[i];
	return NULL;
}

const char *
follow_tunnel_names(void)
{
	return "\"coder\" or \"tailscale\"";
}

/* -- Rules and states ----------------------------------------------------- */

const struct follow_value *
follow_rule_value(const struct follow_rule *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nvalues; i++)
		if (dwstr_casecmp(r->values[i].name, name) == 0)
			return &r->values[i];
	return NULL;
}

/* A string value (REG_SZ or REG_EXPAND_SZ) with at least one character. */
static bool
follow_value_text(const struct follow_value *v)
{
	return v != NULL && (v->type == 1 || v->type == 2 || v->type == 7) &&
	    v->len >= 4 && (v->data[0] != 0 || v->data[1] != 0);
}

bool
follow_rule_usable(const struct follow_rule *r)
{
	return follow_value_text(follow_rule_value(r, "Name")) &&
	    follow_value_text(follow_rule_value(r, "GenericDNSServers"));
}

void
follow_rule_clear(struct follow_rule *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nvalues; i++) {
		free(r->values[i].name);
		free(r->values[i].data);
	}
	free(r->values);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

static int
follow_rule_copy(struct follow_rule *dst, const struct follow_rule *src)
{
	size_t	 i;

	memset(dst, 0, sizeof(*dst));
	dst->table = src->table;
	if ((dst->id = dwstr_dup(src->id)) == NULL ||
	    (src->nvalues > 0 && (dst->values = calloc(src->nvalues,
	    sizeof(*dst->values))) == NULL))
		goto fail;
	for (i = 0; i < src->nvalues; i++) {
		const struct follow_value	*v = &src->values[i];
		struct follow_value		*w = &dst->values[i];

		dst->nvalues++;
		w->type = v->type;
		w->len = v->len;
		if ((w->name = dwstr_dup(v->name)) == NULL ||
		    (w->data = malloc(v->len > 0 ? v->len : 1)) == NULL)
			goto fail;
		if (v->len > 0)
			memcpy(w->data, v->data, v->len);
	}
	return 0;
fail:
	follow_rule_clear(dst);
	return -1;
}

/* Values compare as the registry holds them: the set of names (in any
 * order, case-insensitively), each with its type and bytes. */
static bool
follow_rule_same(const struct follow_rule *a, const struct follow_rule *b)
{
	const struct follow_value	*w;
	size_t				 i;

	if (a->table != b->table || strcmp(a->id, b->id) != 0 ||
	    a->nvalues != b->nvalues)
		return false;
	for (i = 0; i < a->nvalues; i++) {
		w = follow_rule_value(b, a->values[i].name);
		if (w == NULL || w->type != a->values[i].type ||
		    w->len != a->values[i].len || (w->len > 0 &&
		    memcmp(w->data, a->values[i].data, w->len) != 0))
			return false;
	}
	return true;
}

static int
follow_rule_order(const void *a, const void *b)
{
	const struct follow_rule	*x = a, *y = b;
	int				 c = strcmp(x->id, y->id);

	return c != 0 ? c : (int)x->table - (int)y->table;
}

void
follow_state_free(struct follow_state *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nrules; i++)
		follow_rule_clear(&st->rules[i]);
	free(st->rules);
	free(st->hosts);
	free(st->tunnel);
	free(st);
}

static struct follow_state *
follow_state_new(const char *tunnel)
{
	struct follow_state	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->tunnel = dwstr_dup(tunnel != NULL ? tunnel : "")) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

/* Replaces st's section with len bytes of body. */
static int
follow_state_set_hosts(struct follow_state *st, const char *body, size_t len)
{
	char	*copy;

	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	free(st->hosts);
	st->hosts = copy;
	st->hosts_len = len;
	st->has_hosts = true;
	return 0;
}

/* Replaces st's rules with copies of n rules, sorted. */
static int
follow_state_set_rules(struct follow_state *st, const struct follow_rule *rules,
    size_t n)
{
	struct follow_rule	*copy = NULL;
	size_t			 i, done;

	if (n > 0 && (copy = calloc(n, sizeof(*copy))) == NULL)
		return -1;
	for (done = 0; done < n; done++)
		if (follow_rule_copy(&copy[done], &rules[done]) != 0) {
			for (i = 0; i < done; i++)
				follow_rule_clear(&copy[i]);
			free(copy);
			return -1;
		}
	if (n > 1)
		qsort(copy, n, sizeof(*copy), follow_rule_order);
	for (i = 0; i < st->nrules; i++)
		follow_rule_clear(&st->rules[i]);
	free(st->rules);
	st->rules = copy;
	st->nrules = n;
	return 0;
}

struct follow_state *
follow_state_dup(const struct follow_state *st)
{
	struct follow_state	*d;

	if ((d = follow_state_new(st->tunnel)) == NULL)
		return NULL;
	d->learned_ms = st->learned_ms;
	d->gone_since_ms = st->gone_since_ms;
	if (follow_state_set_rules(d, st->rules, st->nrules) != 0 ||
	    (st->has_hosts && follow_state_set_hosts(d, st->hosts,
	    st->hosts_len) != 0)) {
		follow_state_free(d);
		return NULL;
	}
	return d;
}

static bool
follow_rules_same(const struct follow_rule *a, size_t na,
    const struct follow_rule *b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!follow_rule_same(&a[i], &b[i]))
			return false;
	return true;
}

static bool
follow_hosts_same(const struct follow_state *st, const char *body, size_t len)
{
	return st->has_hosts && st->hosts_len == len && (len == 0 ||
	    memcmp(st->hosts, body, len) == 0);
}

bool
follow_state_same(const struct follow_state *a, const struct follow_state *b)
{
	if (strcmp(a->tunnel, b->tunnel) != 0 ||
	    !follow_rules_same(a->rules, a->nrules, b->rules, b->nrules) ||
	    a->has_hosts != b->has_hosts)
		return false;
	return !a->has_hosts || follow_hosts_same(a, b->hosts, b->hosts_len);
}

void
follow_seen_clear(struct follow_seen *s)
{
	size_t	 i;

	for (i = 0; i < s->nids; i++)
		free(s->ids[i]);
	free(s->ids);
	for (i = 0; i < s->nrules; i++)
		follow_rule_clear(&s->rules[i]);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

/* -- The decision ---------------------------------------------------------- */

void
follow_decision_clear(struct follow_decision *d)
{
	free(d->puts);
	memset(d, 0, sizeof(*d));
}

/* The rule seen for id in table, or NULL. */
static const struct follow_rule *
follow_seen_rule(const struct follow_seen *s, const char *id,
    enum follow_table table)
{
	size_t	 i;

	for (i = 0; i < s->nrules; i++)
		if (s->rules[i].table == table &&
		    dwstr_casecmp(s->rules[i].id, id) == 0)
			return &s->rules[i];
	return NULL;
}

/* The set is complete: the record lists IDs, and each has a usable key in
 * a table. Only the keys of listed IDs count. */
static bool
follow_nrpt_complete(const struct follow_seen *s)
{
	const struct follow_rule	*l, *g;
	size_t				 i;

	if (!s->record || s->nids == 0)
		return false;
	for (i = 0; i < s->nids; i++) {
		l = follow_seen_rule(s, s->ids[i], FOLLOW_LOCAL);
		g = follow_seen_rule(s, s->ids[i], FOLLOW_GP);
		if (!(l != NULL && follow_rule_usable(l)) &&
		    !(g != NULL && follow_rule_usable(g)))
			return false;
	}
	return true;
}

/* The keys of listed IDs, as the state keeps them. */
static int
follow_learn_rules(struct follow_state *st, const struct follow_seen *s)
{
	struct follow_rule	*pick = NULL;
	size_t			 i, j, n = 0;
	int			 rc;

	if (s->nrules > 0 && (pick = calloc(s->nrules, sizeof(*pick))) == NULL)
		return -1;
	for (i = 0; i < s->nrules; i++) {
		/* A copy that is no rule is not worth putting back. */
		if (!follow_rule_usable(&s->rules[i]))
			continue;
		for (j = 0; j < s->nids; j++)
			if (dwstr_casecmp(s->rules[i].id, s->ids[j]) == 0)
				break;
		if (j == s->nids)
			continue;	/* not listed */
		/* One per key: the registry ignores case in key names. */
		for (j = 0; j < n; j++)
			if (pick[j].table == s->rules[i].table &&
			    dwstr_casecmp(pick[j].id, s->rules[i].id) == 0)
				break;
		if (j == n)
			pick[n++] = s->rules[i];	/* shallow */
	}
	rc = follow_state_set_rules(st, pick, n);
	free(pick);
	return rc;
}

static int
follow_put(struct follow_decision *d, const struct follow_rule *r,
    enum follow_table table, size_t cap)
{
	size_t	 i;

	/* Once per key, however often the record lists it. */
	for (i = 0; i < d->nputs; i++)
		if (d->puts[i].table == table &&
		    dwstr_casecmp(d->puts[i].rule->id, r->id) == 0)
			return 0;
	if (d->nputs == cap)
		return 0;	/* every learned key is in already */
	if (d->puts == NULL && (d->puts = calloc(cap, sizeof(*d->puts))) == NULL)
		return -1;
	d->puts[d->nputs].rule = r;
	d->puts[d->nputs].table = table;
	d->nputs++;
	return 0;
}

/* True when st learned a copy of id in table. */
static bool
follow_learned_in(const struct follow_state *st, const char *id,
    enum follow_table table)
{
	size_t	 i;

	for (i = 0; i < st->nrules; i++)
		if (st->rules[i].table == table &&
		    dwstr_casecmp(st->rules[i].id, id) == 0)
			return true;
	return false;
}

/* The keys to write back: for each listed ID, each learned copy whose key
 * is missing or unusable in its table; and into the group-policy table
 * when that table exists now and the ID has no usable key there (Windows
 * then ignores the local one). A usable key is the tunnel's own: left. */
static int
follow_plan_puts(const struct follow_state *st, const struct follow_seen *s,
    struct follow_decision *d)
{
	const struct follow_rule	*have, *local;
	size_t				 i, j, cap = st->nrules * 2 + 1;
	bool				 gp_put;

	for (i = 0; i < s->nids; i++) {
		local = NULL;
		gp_put = false;
		for (j = 0; j < st->nrules; j++) {
			const struct follow_rule *r = &st->rules[j];

			if (dwstr_casecmp(r->id, s->ids[i]) != 0)
				continue;
			if (r->table == FOLLOW_LOCAL)
				local = r;
			have = follow_seen_rule(s, r->id, r->table);
			if (have != NULL && follow_rule_usable(have))
				continue;
			if (r->table == FOLLOW_GP && !s->gp_table) {
				/* That table is gone (never ours to make):
				 * the local one is read again, so the rule
				 * goes there, unless a local copy will. */
				if (follow_learned_in(st, r->id, FOLLOW_LOCAL))
					continue;
				have = follow_seen_rule(s, r->id, FOLLOW_LOCAL);
				if ((have == NULL || !follow_rule_usable(have)) &&
				    follow_put(d, r, FOLLOW_LOCAL, cap) != 0)
					return -1;
				continue;
			}
			if (follow_put(d, r, r->table, cap) != 0)
				return -1;
			if (r->table == FOLLOW_GP)
				gp_put = true;
		}
		if (local == NULL || !s->gp_table || gp_put)
			continue;
		have = follow_seen_rule(s, local->id, FOLLOW_GP);
		if (!follow_learned_in(st, local->id, FOLLOW_GP) && (have == NULL ||
		    !follow_rule_usable(have)) && follow_put(d, local,
		    FOLLOW_GP, cap) != 0)
			return -1;
	}
	return 0;
}

int
follow_decide(const struct follow_state *learned,
    const struct follow_seen *seen, uint64_t now_ms, uint64_t forget_after_ms,
    bool require_adapter, struct follow_state **next,
    struct follow_decision *d, struct dwerr *err)
{
	struct follow_state	*st;
	bool			 alive = seen->alive || !require_adapter;

	memset(d, 0, sizeof(*d));
	d->hosts = FOLLOW_HOSTS_LEAVE;
	*next = NULL;
	/* The record is gone: the tunnel took its rules away on purpose. */
	if (seen->nrpt && !seen->record) {
		if (learned != NULL) {
			d->forget = true;
			d->stand_down = "record removed";
		}
		return 0;
	}
	st = learned != NULL ? follow_state_dup(learned) :
	    follow_state_new(seen->tunnel);
	if (st == NULL)
		goto oom;
	if (!alive) {
		if (st->gone_since_ms == 0 || now_ms < st->gone_since_ms) {
			/* Gone now, or the clock stepped back: from now. */
			st->gone_since_ms = now_ms;
			d->save = learned != NULL;
		} else if (now_ms - st->gone_since_ms >= forget_after_ms) {
			follow_state_free(st);
			d->forget = true;
			d->stand_down = "forgotten";
			return 0;
		}
		d->stand_down = "adapter gone";
	} else if (st->gone_since_ms != 0) {
		st->gone_since_ms = 0;
		d->save = learned != NULL;
	}
	/* Learn what is complete and new: the tunnel's writes win. Not
	 * while it is gone: what it left then is what stale rules are
	 * made of, and a forgotten state must stay forgotten. */
	if (alive && seen->nrpt && follow_nrpt_complete(seen)) {
		struct follow_state	*probe = follow_state_new(seen->tunnel);

		if (probe == NULL || follow_learn_rules(probe, seen) != 0) {
			follow_state_free(probe);
			goto oom_st;
		}
		if (!follow_rules_same(probe->rules, probe->nrules, st->rules,
		    st->nrules)) {
			if (follow_state_set_rules(st, probe->rules,
			    probe->nrules) != 0) {
				follow_state_free(probe);
				goto oom_st;
			}
			d->learned_nrpt = true;
		}
		follow_state_free(probe);
	} else if (seen->nrpt && alive && follow_plan_puts(st, seen, d) != 0)
		goto oom_st;
	switch (seen->hosts) {
	case FOLLOW_HOSTS_COMPLETE:
		if (!alive)
			break;
		if (!follow_hosts_same(st, seen->hosts_body, seen->hosts_len)) {
			if (follow_state_set_hosts(st, seen->hosts_body,
			    seen->hosts_len) != 0)
				goto oom_st;
			d->learned_hosts = true;
		}
		break;
	case FOLLOW_HOSTS_ABSENT:
		/* Only while the tunnel still lists rules: one that took
		 * them away has nothing to put back. */
		if (st->has_hosts && alive && (!seen->nrpt || seen->nids > 0))
			d->hosts = FOLLOW_HOSTS_KEEP;
		break;
	case FOLLOW_HOSTS_BROKEN:
		/* Markers of the tunnel's that do not pair: which lines are
		 * whose cannot be told, so none is touched. */
	case FOLLOW_HOSTS_UNKNOWN:
		break;
	}
	if (d->learned_nrpt || d->learned_hosts) {
		st->learned_ms = now_ms;
		d->save = true;
	}
	if (st->nrules == 0 && !st->has_hosts) {
		follow_state_free(st);	/* nothing learned, nothing kept */
		d->save = false;
		return 0;
	}
	*next = st;
	return 0;
oom_st:
	follow_decision_clear(d);
	follow_state_free(st);
oom:
	dwerr_set(err, ENOMEM, "out of memory");
	return -1;
}

/* -- The state file -------------------------------------------------------- */

static const char follow_hex[] = "0123456789abcdef";

static char *
follow_hex_encode(const uint8_t *p, size_t n)
{
	char	*s;
	size_t	 i;

	if ((s = malloc(n * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s[2 * i] = follow_hex[p[i] >> 4];
		s[2 * i + 1] = follow_hex[p[i] & 0xf];
	}
	s[2 * n] = '\0';
	return s;
}

static int
follow_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes lower-case hex; NULL when s is not that (or out of memory: *oom). */
static uint8_t *
follow_hex_decode(const char *s, size_t *n, bool *oom)
{
	size_t	 len = strlen(s), i;
	uint8_t	*p;
	int	 hi, lo;

	*oom = false;
	if (len % 2 != 0)
		return NULL;
	if ((p = malloc(len / 2 + 1)) == NULL) {
		*oom = true;
		return NULL;
	}
	for (i = 0; i < len / 2; i++) {
		if ((hi = follow_hex_digit(s[2 * i])) < 0 ||
		    (lo = follow_hex_digit(s[2 * i + 1])) < 0) {
			free(p);
			return NULL;
		}
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return p;
}

/* The section is kept as a JSON string when it is plain text (printable
 * ASCII, tabs and line ends), as hex otherwise. */
static bool
follow_plain(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == '\t' || c == '\r' || c == '\n' ||
		    (c >= 0x20 && c < 0x7f)))
			return false;
	}
	return true;
}

static cJSON *
follow_rule_json(const struct follow_rule *r)
{
	cJSON	*o, *vals, *v;
	char	*hex;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "id", r->id) == NULL ||
	    cJSON_AddStringToObject(o, "table", r->table == FOLLOW_GP ? "gp" :
	    "local") == NULL ||
	    (vals = cJSON_AddArrayToObject(o, "values")) == NULL)
		goto fail;
	for (i = 0; i < r->nvalues; i++) {
		if ((v = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(vals, v);
		if ((hex = follow_hex_encode(r->values[i].data,
		    r->values[i].len)) == NULL)
			goto fail;
		if (cJSON_AddStringToObject(v, "name", r->values[i].name) ==
		    NULL || cJSON_AddNumberToObject(v, "type",
		    r->values[i].type) == NULL ||
		    cJSON_AddStringToObject(v, "data", hex) == NULL) {
			free(hex);
			goto fail;
		}
		free(hex);
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int
follow_state_render(const struct follow_state *st, char **out, size_t *outlen,
    struct dwerr *err)
{
	cJSON	*root, *rules, *r, *h;
	char	*hex, *text = NULL, *grown;
	size_t	 i;

	*out = NULL;
	if ((root = cJSON_CreateObject()) == NULL)
		goto oom;
	if (cJSON_AddNumberToObject(root, "version", FOLLOW_STATE_VERSION) ==
	    NULL || cJSON_AddStringToObject(root, "tunnel", st->tunnel) ==
	    NULL || cJSON_AddNumberToObject(root, "learned_at",
	    (double)st->learned_ms) == NULL ||
	    cJSON_AddNumberToObject(root, "gone_since",
	    (double)st->gone_since_ms) == NULL ||
	    (rules = cJSON_AddArrayToObject(root, "rules")) == NULL)
		goto oom;
	for (i = 0; i < st->nrules; i++) {
		if ((r = follow_rule_json(&st->rules[i])) == NULL)
			goto oom;
		cJSON_AddItemToArray(rules, r);
	}
	if (!st->has_hosts) {
		if (cJSON_AddNullToObject(root, "hosts") == NULL)
			goto oom;
	} else {
		if ((h = cJSON_AddObjectToObject(root, "hosts")) == NULL)
			goto oom;
		if (follow_plain(st->hosts, st->hosts_len)) {
			if (cJSON_AddStringToObject(h, "section", st->hosts) ==
			    NULL)
				goto oom;
		} else {
			if ((hex = follow_hex_encode((const uint8_t *)st->hosts,
			    st->hosts_len)) == NULL)
				goto oom;
			if (cJSON_AddStringToObject(h, "section_hex", hex) ==
			    NULL) {
				free(hex);
				goto oom;
			}
			free(hex);
		}
	}
	if ((text = cJSON_Print(root)) == NULL)
		goto oom;
	cJSON_Delete(root);
	*outlen = strlen(text);
	/* A text file: it ends with a line end. */
	if ((grown = realloc(text, *outlen + 2)) == NULL) {
		free(text);
		goto oom_done;
	}
	grown[(*outlen)++] = '\n';
	grown[*outlen] = '\0';
	*out = grown;
	return 0;
oom:
	cJSON_Delete(root);
oom_done:
	dwerr_set(err, ENOMEM, "out of memory");
	return -1;
}

/* A whole number in [0, max] at path; false after reporting. */
static bool
follow_json_uint(struct jsonv *v, const cJSON *item, const char *path,
    double max, uint64_t *out)
{
	double	 d;

	if (!cJSON_IsNumber(item)) {
		jsonv_fail(v, path, "must be a number, not %s", jsonv_type(item));
		return false;
	}
	d = item->valuedouble;
	if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d) {
		jsonv_fail(v, path, "must be a whole number from 0 to %.0f",
		    max);
		return false;
	}
	*out = (uint64_t)d;
	return true;
}

/* A string at path of 1 to max characters without backslash (or any
 * character when slash_ok); NULL after reporting. */
static const char *
follow_json_name(struct jsonv *v, const cJSON *item, const char *path,
    size_t max, bool slash_ok)
{
	const char	*s;
	size_t		 n;

	if (!cJSON_IsString(item)) {
		jsonv_fail(v, path, "must be a string, not %s",
		    jsonv_type(item));
		return NULL;
	}
	s = item->valuestring;
	n = strlen(s);
	if (n == 0 || n > max || (!slash_ok && strchr(s, '\\') != NULL)) {
		jsonv_fail(v, path, "must be 1 to %zu characters%s", max,
		    slash_ok ? "" : " without a backslash");
		return NULL;
	}
	return s;
}

/* An object at path with only keys (item[k] the member keys[k] names);
 * false after reporting. */
static bool
follow_json_object(struct jsonv *v, const cJSON *o, const char *path,
    const char *const *keys, const cJSON **item)
{
	if (!cJSON_IsObject(o)) {
		jsonv_fail(v, path, "must be an object, not %s", jsonv_type(o));
		return false;
	}
	if (!jsonv_keys_get(o, keys, item)) {
		jsonv_keys(v, o, path, keys);
		return false;
	}
	return true;
}

static void
follow_parse_value(struct jsonv *v, const cJSON *o, const char *path,
    struct follow_value *out)
{
	static const char *const keys[] = { "name", "type", "data", NULL };
	const cJSON	*item[3];
	char		 p[JSONV_PATH_BYTES];
	const char	*name;
	uint64_t	 type;
	bool		 oom;

	if (!follow_json_object(v, o, path, keys, item))
		return;
	snprintf(p, sizeof(p), "%s.name", path);
	if ((name = follow_json_name(v, item[0], p, FOLLOW_NAME_MAX_CHARS,
	    true)) == NULL)
		return;
	snprintf(p, sizeof(p), "%s.type", path);
	if (!follow_json_uint(v, item[1], p, FOLLOW_REG_TYPE_MAX, &type))
		return;
	snprintf(p, sizeof(p), "%s.data", path);
	if (!cJSON_IsString(item[2])) {
		jsonv_fail(v, p, "must be a string of hex digits, not %s",
		    jsonv_type(item[2]));
		return;
	}
	if (strlen(item[2]->valuestring) > 2 * (size_t)FOLLOW_MAX_VALUE_BYTES) {
		jsonv_fail(v, p, "holds more than %u bytes",
		    FOLLOW_MAX_VALUE_BYTES);
		return;
	}
	if ((out->data = follow_hex_decode(item[2]->valuestring, &out->len,
	    &oom)) == NULL) {
		if (oom)
			v->oom = true;
		else
			jsonv_fail(v, p, "must be an even number of "
			    "lower-case hex digits");
		return;
	}
	if ((out->name = dwstr_dup(name)) == NULL)
		v->oom = true;
	out->type = (uint32_t)type;
}

static void
follow_parse_rule(struct jsonv *v, const cJSON *o, const char *path,
    struct follow_rule *out)
{
	static const char *const keys[] = { "id", "table", "values", NULL };
	const cJSON	*item[3], *val;
	char		 p[JSONV_PATH_BYTES];
	const char	*id;
	size_t		 n, i;

	if (!follow_json_object(v, o, path, keys, item))
		return;
	snprintf(p, sizeof(p), "%s.id", path);
	if ((id = follow_json_name(v, item[0], p, FOLLOW_ID_MAX_CHARS,
	    false)) == NULL)
		return;
	snprintf(p, sizeof(p), "%s.table", path);
	if (cJSON_IsString(item[1]) && strcmp(item[1]->valuestring, "gp") == 0)
		out->table = FOLLOW_GP;
	else if (cJSON_IsString(item[1]) &&
	    strcmp(item[1]->valuestring, "local") == 0)
		out->table = FOLLOW_LOCAL;
	else {
		jsonv_fail(v, p, "must be \"local\" or \"gp\"");
		return;
	}
	snprintf(p, sizeof(p), "%s.values", path);
	if (!cJSON_IsArray(item[2])) {
		jsonv_fail(v, p, "must be an array of values, not %s",
		    jsonv_type(item[2]));
		return;
	}
	if ((n = (size_t)cJSON_GetArraySize(item[2])) > FOLLOW_MAX_VALUES) {
		jsonv_fail(v, p, "has more than %u values", FOLLOW_MAX_VALUES);
		return;
	}
	if ((out->id = dwstr_dup(id)) == NULL || (n > 0 && (out->values =
	    calloc(n, sizeof(*out->values))) == NULL)) {
		v->oom = true;
		return;
	}
	i = 0;
	cJSON_ArrayForEach(val, item[2]) {
		snprintf(p, sizeof(p), "%s.values[%zu]", path, i);
		out->nvalues++;
		follow_parse_value(v, val, p, &out->values[i++]);
	}
	/* A key holds one value of a name (the registry ignores case). */
	for (i = 0; i < out->nvalues; i++)
		for (n = 0; n < i; n++)
			if (out->values[i].name != NULL &&
			    out->values[n].name != NULL &&
			    dwstr_casecmp(out->values[i].name,
			    out->values[n].name) == 0) {
				snprintf(p, sizeof(p), "%s.values[%zu].name",
				    path, i);
				jsonv_fail(v, p, "repeats the name of "
				    "values[%zu]", n);
				return;
			}
}

static void
follow_parse_hosts(struct jsonv *v, const cJSON *h, struct follow_state *st)
{
	static const char *const keys[] = { "section", "section_hex", NULL };
	const cJSON	*item[2];
	uint8_t		*raw;
	size_t		 n;
	bool		 oom;

	if (cJSON_IsNull(h))
		return;
	if (!cJSON_IsObject(h)) {
		jsonv_fail(v, "$.hosts", "must be an object or null, not %s",
		    jsonv_type(h));
		return;
	}
	if (!jsonv_keys_get(h, keys, item)) {
		jsonv_keys(v, h, "$.hosts", keys);
		return;
	}
	if ((item[0] == NULL) == (item[1] == NULL)) {
		jsonv_fail(v, "$.hosts", "must have one of \"section\" and "
		    "\"section_hex\"");
		return;
	}
	if (item[0] != NULL) {
		if (!cJSON_IsString(item[0])) {
			jsonv_fail(v, "$.hosts.section", "must be a string, "
			    "not %s", jsonv_type(item[0]));
			return;
		}
		n = strlen(item[0]->valuestring);
		if (follow_state_set_hosts(st, item[0]->valuestring, n) != 0)
			v->oom = true;
	} else {
		if (!cJSON_IsString(item[1]) || (raw = follow_hex_decode(
		    item[1]->valuestring, &n, &oom)) == NULL) {
			if (cJSON_IsString(item[1]) && oom)
				v->oom = true;
			else
				jsonv_fail(v, "$.hosts.section_hex", "must be "
				    "an even number of lower-case hex digits");
			return;
		}
		if (memchr(raw, '\0', n) != NULL)
			jsonv_fail(v, "$.hosts.section_hex", "holds a NUL byte");
		else if (follow_state_set_hosts(st, (char *)raw, n) != 0)
			v->oom = true;
		free(raw);
	}
	/* Whole lines: the bytes between two marker lines. */
	if (st->has_hosts && st->hosts_len > 0 &&
	    st->hosts[st->hosts_len - 1] != '\n')
		jsonv_fail(v, item[0] != NULL ? "$.hosts.section" :
		    "$.hosts.section_hex", "must end with a line end");
}

int
follow_state_parse(const char *text, size_t len, const char *file,
    struct follow_state **out, struct dwerr *err)
{
	static const char *const keys[] = { "version", "tunnel", "learned_at",
	    "gone_since", "rules", "hosts", NULL };
	const cJSON		*item[6], *r;
	struct follow_state	*st = NULL;
	struct jsonv		 v;
	cJSON			*root;
	char			 p[JSONV_PATH_BYTES];
	uint64_t		 version;
	size_t			 n, i;

	*out = NULL;
	jsonv_init(&v, file, err);
	if ((root = jsonv_parse(&v, text, len, FOLLOW_STATE_MAX_BYTES,
	    FOLLOW_MAX_DEPTH)) == NULL)
		return jsonv_done(&v);
	if (!cJSON_IsObject(root)) {
		jsonv_fail(&v, "$", "must be an object, not %s",
		    jsonv_type(root));
		goto done;
	}
	if (!jsonv_keys_get(root, keys, item)) {
		jsonv_keys(&v, root, "$", keys);
		goto done;
	}
	if (item[0] == NULL || !follow_json_uint(&v, item[0], "$.version",
	    1e9, &version))
		goto missing;
	if (version != FOLLOW_STATE_VERSION) {
		jsonv_fail(&v, "$.version", "must be %d", FOLLOW_STATE_VERSION);
		goto done;
	}
	if (item[1] == NULL || item[2] == NULL || item[3] == NULL ||
	    item[4] == NULL || item[5] == NULL)
		goto missing;
	if (follow_json_name(&v, item[1], "$.tunnel", FOLLOW_NAME_MAX_CHARS,
	    true) == NULL)
		goto done;
	if ((st = follow_state_new(item[1]->valuestring)) == NULL) {
		v.oom = true;
		goto done;
	}
	(void)follow_json_uint(&v, item[2], "$.learned_at", 9007199254740991.0,
	    &st->learned_ms);
	(void)follow_json_uint(&v, item[3], "$.gone_since", 9007199254740991.0,
	    &st->gone_since_ms);
	if (!cJSON_IsArray(item[4])) {
		jsonv_fail(&v, "$.rules", "must be an array of rules, not %s",
		    jsonv_type(item[4]));
		goto done;
	}
	if ((n = (size_t)cJSON_GetArraySize(item[4])) > FOLLOW_MAX_RULES * 2) {
		jsonv_fail(&v, "$.rules", "has more than %u rules",
		    FOLLOW_MAX_RULES * 2);
		goto done;
	}
	if (n > 0 && (st->rules = calloc(n, sizeof(*st->rules))) == NULL) {
		v.oom = true;
		goto done;
	}
	i = 0;
	cJSON_ArrayForEach(r, item[4]) {
		snprintf(p, sizeof(p), "$.rules[%zu]", i);
		st->nrules++;
		follow_parse_rule(&v, r, p, &st->rules[i++]);
	}
	/* One key of an ID per table (key names ignore case too). */
	for (i = 0; i < st->nrules && v.nerr == 0 && !v.oom; i++)
		for (n = 0; n < i; n++)
			if (st->rules[i].table == st->rules[n].table &&
			    dwstr_casecmp(st->rules[i].id, st->rules[n].id) ==
			    0) {
				snprintf(p, sizeof(p), "$.rules[%zu]", i);
				jsonv_fail(&v, p, "repeats the ID and table of "
				    "rules[%zu]", n);
				break;
			}
	follow_parse_hosts(&v, item[5], st);
	if (v.nerr == 0 && !v.oom && st->nrules > 1)
		qsort(st->rules, st->nrules, sizeof(*st->rules),
		    follow_rule_order);
	goto done;
missing:
	jsonv_fail(&v, "$", "must have \"version\", \"tunnel\", "
	    "\"learned_at\", \"gone_since\", \"rules\" and \"hosts\"");
done:
	cJSON_Delete(root);
	if (jsonv_done(&v) != 0) {
		follow_state_free(st);
		return -1;
	}
	*out = st;
	return 0;
}
