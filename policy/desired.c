/* desired: parse and validate the desired DNS state (see desired.h). */
#include "desired.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "jsonv.h"

#define DESIRED_PATH_BYTES	JSONV_PATH_BYTES
#define DESIRED_CHUNK_BYTES	4096u	/* smallest block of bulk storage */
#define DESIRED_NO_INDEX	SIZE_MAX

/*
 * Bulk storage: every array and string of a parsed state lives in a few
 * blocks, allocated as the parse goes and freed together by desired_free.
 */
struct desired_chunk {
	struct desired_chunk	*next;
	size_t			 used, cap;
	void			*data[];	/* aligned for the pointer arrays */
};

/* What desired_new allocates: the state, and the blocks desired_parse put
 * its arrays and strings in (NULL for a state filled by hand, whose every
 * array and string desired_free then frees one by one). */
struct desired_owned {
	struct desired_state	 ds;	/* first: a state is its container */
	struct desired_chunk	*mem;
};

struct desired_mem {
	struct desired_chunk	**head;		/* the state's list */
	size_t			  next_cap;	/* size of the next block */
	struct jsonv		 *ctx;		/* oom is reported here */
};

/* Makes room for n bytes at the end of the newest block (aligned for a
 * pointer when asked); NULL (and oom) when memory runs out. The room is
 * claimed with desired_mem_take. */
static char *
desired_mem_room(struct desired_mem *m, size_t n, bool align)
{
	struct desired_chunk	*c = *m->head;
	size_t			 cap, at;

	if (c != NULL) {
		at = align ? (c->used + sizeof(void *) - 1) &
		    ~(sizeof(void *) - 1) : c->used;
		if (at <= c->cap && c->cap - at >= n) {
			c->used = at;
			return (char *)c->data + at;
		}
	}
	cap = m->next_cap;
	while (cap < n)
		cap *= 2;
	if ((c = malloc(sizeof(*c) + cap)) == NULL) {
		m->ctx->oom = true;
		return NULL;
	}
	c->next = *m->head;
	c->used = 0;
	c->cap = cap;
	*m->head = c;
	m->next_cap = cap * 2;
	return (char *)c->data;
}

/* Claims the first n bytes of the room desired_mem_room made. */
static void
desired_mem_take(struct desired_mem *m, size_t n)
{
	(*m->head)->used += n;
}

/* n zeroed bytes aligned for a pointer, or NULL (and oom). */
static void *
desired_mem_zalloc(struct desired_mem *m, size_t n)
{
	char	*p;

	if ((p = desired_mem_room(m, n, true)) == NULL)
		return NULL;
	memset(p, 0, n);
	desired_mem_take(m, n);
	return p;
}

static void
desired_mem_free(struct desired_chunk *c)
{
	struct desired_chunk	*next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

/*
 * Where a value sits: "$.SEC[i]", then ".FIELD", then "[j]". Formatted
 * only when a message names it.
 */
struct desired_at {
	const char	*sec;		/* "nrpt" or "hosts" */
	size_t		 i;
	const char	*field;		/* NULL: the element itself */
	size_t		 j;		/* DESIRED_NO_INDEX: the field itself */
};

static const char *
desired_at_fmt(const struct desired_at *at, char *buf, size_t size)
{
	int	 n;

	if (at->field == NULL)
		n = snprintf(buf, size, "$.%s[%zu]", at->sec, at->i);
	else if (at->j == DESIRED_NO_INDEX)
		n = snprintf(buf, size, "$.%s[%zu].%s", at->sec, at->i,
		    at->field);
	else
		n = snprintf(buf, size, "$.%s[%zu].%s[%zu]", at->sec, at->i,
		    at->field, at->j);
	/* A cut path only shortens a message. */
	if (n < 0)
		buf[0] = '\0';
	return buf;
}

/* Reports one problem at the place at (j given). */
static void desired_fail(struct jsonv *, const struct desired_at *, size_t,
    const char *, ...) DW_PRINTF(4, 5);

static void
desired_fail(struct jsonv *ctx, const struct desired_at *at, size_t j,
    const char *fmt, ...)
{
	struct desired_at	 here = *at;
	char			 path[DESIRED_PATH_BYTES], why[512];
	va_list			 ap;

	here.j = j;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	jsonv_fail(ctx, desired_at_fmt(&here, path, sizeof(path)), "%s", why);
}

/*
 * A small set (open addressing) to find duplicates in linear time. A slot
 * holds the place of a value, (entry + 1, index); the value is read back
 * from the state through a getter.
 */
struct desired_slot {
	uint32_t	 entry;		/* entry index + 1; 0: empty */
	uint32_t	 index;
};

struct desired_set {
	struct desired_slot	*slot;
	size_t			 cap;
};

static uint64_t
desired_hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; b != NULL && *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

/* Room for n keys: half as many slots again, so that probes stay short;
 * not a power of two, so that a small set stays under the size malloc
 * takes from the system afresh. */
static int
desired_set_init(struct desired_set *s, size_t n)
{
	s->cap = n + n / 2 + 16;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	return s->slot == NULL ? -1 : 0;
}

static void
desired_set_free(struct desired_set *s)
{
	free(s->slot);
}

/*
 * Adds the key (a, b) found at (entry, index); same(ctx, slot, a, b) says
 * whether a slot holds that key. Returns the slot of its first occurrence,
 * or NULL when it is new.
 */
static const struct desired_slot *
desired_set_add(struct desired_set *s, const char *a, const char *b,
    size_t entry, size_t index,
    bool (*same)(const void *, const struct desired_slot *, const char *,
    const char *), const void *ctx)
{
	/* The top 32 bits of the hash scaled to the table (no division). */
	size_t	 i = (size_t)(((desired_hash(a, b) >> 32) * (uint64_t)s->cap) >> 32);

	while (s->slot[i].entry != 0) {
		if (same(ctx, &s->slot[i], a, b))
			return &s->slot[i];
		if (++i == s->cap)
			i = 0;
	}
	s->slot[i].entry = (uint32_t)entry + 1;
	s->slot[i].index = (uint32_t)index;
	return NULL;
}

/* Validates an array of strings at at; returns 0 or -1. */
static int
desired_string_array(struct jsonv *ctx, const cJSON *arr,
    const struct desired_at *at, size_t *count)
{
	const cJSON	*v;
	size_t		 n = 0;
	int		 rc = 0;

	if (!cJSON_IsArray(arr)) {
		desired_fail(ctx, at, DESIRED_NO_INDEX,
		    "must be an array of strings, not %s", jsonv_type(arr));
		return -1;
	}
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v)) {
			desired_fail(ctx, at, n, "must be a string, not %s",
			    jsonv_type(v));
			rc = -1;
		}
		n++;
	}
	if (n == 0) {
		desired_fail(ctx, at, DESIRED_NO_INDEX, "must not be empty");
		return -1;
	}
	*count = n;
	return rc;
}

/* Normalises one value with fn straight into bulk storage, or reports it
 * at (at, j). */
static char *
desired_value(struct jsonv *ctx, struct desired_mem *m, const char *in,
    const struct desired_at *at, size_t j, const char *what,
    int (*fn)(const char *, char *, const char **))
{
	const char	*why = NULL;
	char		*out;

	if ((out = desired_mem_room(m, DNSNAME_MAX_CHARS + 2 > IPADDR_STR_BYTES ?
	    DNSNAME_MAX_CHARS + 2 : IPADDR_STR_BYTES, false)) == NULL)
		return NULL;
	if (fn(in, out, &why) < 0) {
		char show[JSONV_SHOW_BYTES];

		jsonv_show(in, show);
		desired_fail(ctx, at, j, "%s %s %s", what, show, why);
		return NULL;
	}
	desired_mem_take(m, strlen(out) + 1);
	return out;
}

static int
desired_ip(const char *in, char *out, const char **why)
{
	return ipaddr_canon(in, out, why) < 0 ? -1 : 0;
}

static char **
desired_strings(struct jsonv *ctx, struct desired_mem *m, const cJSON *arr,
    const struct desired_at *at, size_t n, const char *what,
    int (*fn)(const char *, char *, const char **))
{
	char		**out;
	const cJSON	 *v;
	size_t		  i = 0;

	if ((out = desired_mem_zalloc(m, n * sizeof(*out))) == NULL)
		return NULL;
	cJSON_ArrayForEach(v, arr) {
		out[i] = desired_value(ctx, m, v->valuestring, at, i, what, fn);
		i++;
	}
	return out;
}

static void
desired_free_strings(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
desired_same_domain(const void *arg, const struct desired_slot *sl,
    const char *a, const char *b)
{
	const struct desired_state	*ds = arg;

	(void)b;
	return strcmp(ds->nrpt[sl->entry - 1].domains[sl->index], a) == 0;
}

/* "probe": one host name, or an array of at most DESIRED_MAX_PROBES. */
static void
desired_probes(struct jsonv *ctx, struct desired_mem *m, const cJSON *v,
    const struct desired_at *rule, struct desired_nrpt *dn)
{
	struct desired_at	 at = *rule;
	size_t			 n = 0;

	at.field = "probe";
	if (v == NULL)
		return;
	if (cJSON_IsString(v)) {
		if ((dn->probes = desired_mem_zalloc(m,
		    sizeof(*dn->probes))) == NULL)
			return;
		if ((dn->probes[0] = desired_value(ctx, m, v->valuestring, &at,
		    DESIRED_NO_INDEX, "name", dnsname_host)) != NULL)
			dn->nprobes = 1;
		return;
	}
	if (cJSON_IsArray(v) &&
	    cJSON_GetArraySize(v) > (int)DESIRED_MAX_PROBES) {
		desired_fail(ctx, &at, DESIRED_NO_INDEX,
		    "has %d names; at most %u are allowed",
		    cJSON_GetArraySize(v), DESIRED_MAX_PROBES);
		return;
	}
	if (!cJSON_IsArray(v)) {
		desired_fail(ctx, &at, DESIRED_NO_INDEX, "must be a name or an "
		    "array of names, not %s", jsonv_type(v));
		return;
	}
	if (desired_string_array(ctx, v, &at, &n) != 0)
		return;
	dn->probes = desired_strings(ctx, m, v, &at, n, "name", dnsname_host);
	dn->nprobes = dn->probes != NULL ? n : 0;
}

static void
desired_nrpt_section(struct jsonv *ctx, struct desired_mem *m,
    const cJSON *arr, struct desired_state *ds)
{
	static const char *const keys[] = { "domains", "servers", "probe",
	    NULL };
	struct desired_set	 seen;
	const cJSON		*r;
	size_t			 n = 0, i, total = 0;
	char			 p[DESIRED_PATH_BYTES], q[DESIRED_PATH_BYTES];

	if (!cJSON_IsArray(arr)) {
		jsonv_fail(ctx, "$.nrpt", "must be an array of rules, not %s",
		    jsonv_type(arr));
		return;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0)
		return;
	if ((ds->nrpt = desired_mem_zalloc(m, n * sizeof(*ds->nrpt))) == NULL)
		return;
	cJSON_ArrayForEach(r, arr) {
		struct desired_nrpt	*dn = &ds->nrpt[ds->nnrpt++];
		struct desired_at	 at = { "nrpt", ds->nnrpt - 1, NULL, 0 };
		const cJSON		*doms, *srvs, *probe, *item[3];
		size_t			 nd = 0, nsv = 0;

		if (!cJSON_IsObject(r)) {
			desired_fail(ctx, &at, 0, "must be an object, not %s",
			    jsonv_type(r));
			continue;
		}
		if (jsonv_keys_get(r, keys, item)) {
			doms = item[0];
			srvs = item[1];
			probe = item[2];
		} else {
			jsonv_keys(ctx, r, desired_at_fmt(&at, p, sizeof(p)), keys);
			doms = cJSON_GetObjectItemCaseSensitive(r, "domains");
			srvs = cJSON_GetObjectItemCaseSensitive(r, "servers");
			probe = cJSON_GetObjectItemCaseSensitive(r, "probe");
		}
		desired_probes(ctx, m, probe, &at, dn);
		at.field = "domains";
		if (desired_string_array(ctx, doms, &at, &nd) == 0) {
			dn->domains = desired_strings(ctx, m, doms, &at, nd,
			    "domain", dnsname_domain);
			dn->ndomains = dn->domains != NULL ? nd : 0;
			total += dn->ndomains;
		}
		at.field = "servers";
		if (cJSON_IsArray(srvs) &&
		    cJSON_GetArraySize(srvs) > (int)DESIRED_MAX_SERVERS)
			desired_fail(ctx, &at, DESIRED_NO_INDEX,
			    "has %d servers; at most %u are allowed",
			    cJSON_GetArraySize(srvs), DESIRED_MAX_SERVERS);
		else if (desired_string_array(ctx, srvs, &at, &nsv) == 0) {
			dn->servers = desired_strings(ctx, m, srvs, &at, nsv,
			    "server", desired_ip);
			dn->nservers = dn->servers != NULL ? nsv : 0;
		}
	}
	if (ctx->nerr > 0 || ctx->oom)
		return;

	/* A domain may be routed by one rule only; a server listed twice is a typo. */
	if (desired_set_init(&seen, total) != 0) {
		ctx->oom = true;
		desired_set_free(&seen);
		return;
	}
	for (n = 0; n < ds->nnrpt; n++) {
		const struct desired_nrpt *dn = &ds->nrpt[n];
		struct desired_at	   at = { "nrpt", n, "domains", 0 };

		for (i = 0; i < dn->ndomains; i++) {
			const struct desired_slot *first;

			first = desired_set_add(&seen, dn->domains[i], NULL, n, i,
			    desired_same_domain, ds);
			if (first != NULL) {
				struct desired_at was = { "nrpt",
				    first->entry - 1, "domains", first->index };

				desired_fail(ctx, &at, i,
				    "domain \"%s\" is already routed at %s",
				    dn->domains[i], desired_at_fmt(&was, q,
				    sizeof(q)));
			}
		}
		at.field = "servers";
		for (i = 0; i < dn->nservers; i++) {
			size_t j;

			for (j = 0; j < i; j++)
				if (strcmp(dn->servers[i], dn->servers[j]) == 0) {
					desired_fail(ctx, &at, i,
					    "server \"%s\" is listed twice",
					    dn->servers[i]);
					break;
				}
		}
	}
	desired_set_free(&seen);
}

static bool
desired_same_name(const void *arg, const struct desired_slot *sl,
    const char *a, const char *b)
{
	const struct desired_host	*h =
	    &((const struct desired_state *)arg)->hosts[sl->entry - 1];

	return strcmp(h->names[sl->index], a) == 0 &&
	    strcmp(h->address, b) == 0;
}

static void
desired_hosts_section(struct jsonv *ctx, struct desired_mem *m,
    const cJSON *arr, struct desired_state *ds)
{
	static const char *const keys[] = { "address", "names", NULL };
	struct desired_set	 seen;
	const cJSON		*h;
	size_t			 n, i, total = 0;
	char			 p[DESIRED_PATH_BYTES], q[DESIRED_PATH_BYTES];

	if (!cJSON_IsArray(arr)) {
		jsonv_fail(ctx, "$.hosts", "must be an array of entries, not %s",
		    jsonv_type(arr));
		return;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0)
		return;
	if ((ds->hosts = desired_mem_zalloc(m, n * sizeof(*ds->hosts))) == NULL)
		return;
	cJSON_ArrayForEach(h, arr) {
		struct desired_host	*dh = &ds->hosts[ds->nhosts++];
		struct desired_at	 at = { "hosts", ds->nhosts - 1, NULL, 0 };
		const cJSON		*addr, *names, *item[2];
		size_t			 nn = 0;

		if (!cJSON_IsObject(h)) {
			desired_fail(ctx, &at, 0, "must be an object, not %s",
			    jsonv_type(h));
			continue;
		}
		if (jsonv_keys_get(h, keys, item)) {
			addr = item[0];
			names = item[1];
		} else {
			jsonv_keys(ctx, h, desired_at_fmt(&at, p, sizeof(p)), keys);
			addr = cJSON_GetObjectItemCaseSensitive(h, "address");
			names = cJSON_GetObjectItemCaseSensitive(h, "names");
		}
		at.field = "address";
		if (!cJSON_IsString(addr))
			desired_fail(ctx, &at, DESIRED_NO_INDEX,
			    "must be a string, not %s", jsonv_type(addr));
		else
			dh->address = desired_value(ctx, m, addr->valuestring,
			    &at, DESIRED_NO_INDEX, "address", desired_ip);
		at.field = "names";
		if (desired_string_array(ctx, names, &at, &nn) == 0) {
			dh->names = desired_strings(ctx, m, names, &at, nn,
			    "name", dnsname_host);
			dh->nnames = dh->names != NULL ? nn : 0;
			total += dh->nnames;
		}
	}
	if (ctx->nerr > 0 || ctx->oom)
		return;

	/* The same name for the same address twice is a mistake; the same
	 * name for an IPv4 and an IPv6 address is normal. */
	if (desired_set_init(&seen, total) != 0) {
		ctx->oom = true;
		desired_set_free(&seen);
		return;
	}
	for (n = 0; n < ds->nhosts; n++) {
		const struct desired_host *dh = &ds->hosts[n];
		struct desired_at	   at = { "hosts", n, "names", 0 };

		for (i = 0; i < dh->nnames; i++) {
			const struct desired_slot *first;

			first = desired_set_add(&seen, dh->names[i], dh->address,
			    n, i, desired_same_name, ds);
			if (first != NULL) {
				struct desired_at was = { "hosts",
				    first->entry - 1, "names", first->index };

				desired_fail(ctx, &at, i,
				    "name \"%s\" already maps to %s at %s",
				    dh->names[i], dh->address,
				    desired_at_fmt(&was, q, sizeof(q)));
			}
		}
	}
	desired_set_free(&seen);
}

struct desired_state *
desired_new(void)
{
	struct desired_owned	*o = calloc(1, sizeof(*o));

	/* ds is the first member: the state's address is the container's,
	 * which desired_free gives back. */
	return (struct desired_state *)(void *)o;
}

void
desired_free(struct desired_state *ds)
{
	size_t	 i;

	if (ds == NULL)
		return;
	free(ds->hosts_raw);
	if (((struct desired_owned *)ds)->mem != NULL) {
		desired_mem_free(((struct desired_owned *)ds)->mem);
		free(ds);
		return;
	}
	for (i = 0; i < ds->nnrpt; i++) {
		desired_free_strings(ds->nrpt[i].domains, ds->nrpt[i].ndomains);
		desired_free_strings(ds->nrpt[i].servers, ds->nrpt[i].nservers);
		desired_free_strings(ds->nrpt[i].probes, ds->nrpt[i].nprobes);
	}
	free(ds->nrpt);
	for (i = 0; i < ds->nhosts; i++) {
		free(ds->hosts[i].address);
		desired_free_strings(ds->hosts[i].names, ds->hosts[i].nnames);
	}
	free(ds->hosts);
	free(ds);
}

size_t
desired_host_names(const struct desired_state *ds)
{
	size_t	 i, n = 0;

	for (i = 0; ds != NULL && i < ds->nhosts; i++)
		n += ds->hosts[i].nnames;
	return n;
}

int
desired_parse(const char *text, size_t len, const char *file,
    struct desired_state **out, struct dwerr *err)
{
	static const char *const keys[] = { "version", "nrpt", "hosts", NULL };
	struct jsonv		 ctx;
	struct desired_mem	 m;
	struct desired_state	*ds = NULL;
	const cJSON		*ver, *sec;
	cJSON			*root;

	*out = NULL;
	jsonv_init(&ctx, file, err);
	if ((root = jsonv_parse(&ctx, text, len, DESIRED_MAX_BYTES,
	    DESIRED_MAX_DEPTH)) == NULL)
		return jsonv_done(&ctx);
	if (!cJSON_IsObject(root)) {
		jsonv_fail(&ctx, "$", "must be an object, not %s",
		    jsonv_type(root));
		goto done;
	}
	jsonv_keys(&ctx, root, "$", keys);
	ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (ver == NULL)
		jsonv_fail(&ctx, "$.version", "is required (set it to 1)");
	else if (!cJSON_IsNumber(ver) || ver->valuedouble != DESIRED_VERSION)
		jsonv_fail(&ctx, "$.version",
		    "must be the number 1; this watchdog reads version 1 only");
	if ((ds = desired_new()) == NULL) {
		ctx.oom = true;
		goto done;
	}
	/* The strings and arrays take a little less room than their JSON;
	 * a first block of that size is mostly enough. */
	m.head = &((struct desired_owned *)ds)->mem;
	m.next_cap = len / 2 > DESIRED_CHUNK_BYTES ? len / 2 : DESIRED_CHUNK_BYTES;
	m.ctx = &ctx;
	if ((sec = cJSON_GetObjectItemCaseSensitive(root, "nrpt")) != NULL)
		desired_nrpt_section(&ctx, &m, sec, ds);
	if ((sec = cJSON_GetObjectItemCaseSensitive(root, "hosts")) != NULL)
		desired_hosts_section(&ctx, &m, sec, ds);
done:
	cJSON_Delete(root);
	if (jsonv_done(&ctx) != 0) {
		desired_free(ds);
		return -1;
	}
	*out = ds;
	return 0;
}
