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
#include "dwstr.h"
#include "jsonv.h"

#define DESIRED_PATH_BYTES	JSONV_PATH_BYTES

/* A small string set (open addressing) to find duplicates in linear time. */
struct desired_set {
	const char	**slot;
	const char	**where;	/* path of the first occurrence */
	size_t		  cap;
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

static int
desired_set_init(struct desired_set *s, size_t n)
{
	s->cap = 16;
	while (s->cap < n * 2)
		s->cap <<= 1;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	s->where = calloc(s->cap, sizeof(*s->where));
	return (s->slot == NULL || s->where == NULL) ? -1 : 0;
}

static void
desired_set_free(struct desired_set *s)
{
	size_t	 i;

	for (i = 0; s->where != NULL && i < s->cap; i++)
		free((void *)s->where[i]);
	free(s->slot);
	free(s->where);
}

/*
 * Adds the key (a, b) (b may be NULL; the key is a + '\0' + b, stored as a
 * borrowed pointer to a and b concatenated by the caller). Returns the path
 * where it was first seen, or NULL when new. On allocation failure *oom.
 */
static const char *
desired_set_add(struct desired_set *s, const char *key, const char *path,
    bool *oom)
{
	size_t	 i = (size_t)desired_hash(key, NULL) & (s->cap - 1);

	while (s->slot[i] != NULL) {
		if (strcmp(s->slot[i], key) == 0)
			return s->where[i];
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = key;
	if ((s->where[i] = dwstr_dup(path)) == NULL)
		*oom = true;
	return NULL;
}

/* Validates an array of strings at path; returns the count or -1. */
static int
desired_string_array(struct jsonv *ctx, const cJSON *arr,
    const char *path, size_t *count)
{
	const cJSON	*v;
	size_t		 n = 0;
	char		 p[DESIRED_PATH_BYTES];
	int		 rc = 0;

	if (!cJSON_IsArray(arr)) {
		jsonv_fail(ctx, path, "must be an array of strings, not %s",
		    jsonv_type(arr));
		return -1;
	}
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v)) {
			snprintf(p, sizeof(p), "%s[%zu]", path, n);
			jsonv_fail(ctx, p, "must be a string, not %s",
			    jsonv_type(v));
			rc = -1;
		}
		n++;
	}
	if (n == 0) {
		jsonv_fail(ctx, path, "must not be empty");
		return -1;
	}
	*count = n;
	return rc;
}

/* Normalises one value with fn into a new string, or reports it. */
static char *
desired_value(struct jsonv *ctx, const char *in, const char *path,
    const char *what, int (*fn)(const char *, char *, const char **))
{
	char		 buf[DNSNAME_MAX_CHARS + 2 > IPADDR_STR_BYTES ?
			     DNSNAME_MAX_CHARS + 2 : IPADDR_STR_BYTES];
	const char	*why = NULL;
	char		*out;

	if (fn(in, buf, &why) < 0) {
		char show[JSONV_SHOW_BYTES];

		jsonv_show(in, show);
		jsonv_fail(ctx, path, "%s %s %s", what, show, why);
		return NULL;
	}
	if ((out = dwstr_dup(buf)) == NULL)
		ctx->oom = true;
	return out;
}

static int
desired_ip(const char *in, char *out, const char **why)
{
	return ipaddr_canon(in, out, why) < 0 ? -1 : 0;
}

static char **
desired_strings(struct jsonv *ctx, const cJSON *arr, const char *path,
    size_t n, const char *what, int (*fn)(const char *, char *, const char **))
{
	char		**out;
	const cJSON	 *v;
	size_t		  i = 0;
	char		  p[DESIRED_PATH_BYTES];

	if ((out = calloc(n, sizeof(*out))) == NULL) {
		ctx->oom = true;
		return NULL;
	}
	cJSON_ArrayForEach(v, arr) {
		/* A cut path only shortens a message. */
		if (snprintf(p, sizeof(p), "%s[%zu]", path, i) < 0)
			p[0] = '\0';
		out[i++] = desired_value(ctx, v->valuestring, p, what, fn);
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

static void
desired_nrpt_section(struct jsonv *ctx, const cJSON *arr,
    struct desired_state *ds)
{
	static const char *const keys[] = { "domains", "servers", NULL };
	struct desired_set	 seen;
	const cJSON		*r;
	size_t			 n = 0, i, total = 0;
	char			 path[DESIRED_PATH_BYTES / 2], p[DESIRED_PATH_BYTES];

	if (!cJSON_IsArray(arr)) {
		jsonv_fail(ctx, "$.nrpt", "must be an array of rules, not %s",
		    jsonv_type(arr));
		return;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0)
		return;
	if ((ds->nrpt = calloc(n, sizeof(*ds->nrpt))) == NULL) {
		ctx->oom = true;
		return;
	}
	cJSON_ArrayForEach(r, arr) {
		struct desired_nrpt	*dn = &ds->nrpt[ds->nnrpt++];
		const cJSON		*doms, *srvs;
		size_t			 nd = 0, nsv = 0;

		snprintf(path, sizeof(path), "$.nrpt[%zu]", ds->nnrpt - 1);
		if (!cJSON_IsObject(r)) {
			jsonv_fail(ctx, path, "must be an object, not %s",
			    jsonv_type(r));
			continue;
		}
		jsonv_keys(ctx, r, path, keys);
		doms = cJSON_GetObjectItemCaseSensitive(r, "domains");
		srvs = cJSON_GetObjectItemCaseSensitive(r, "servers");
		snprintf(p, sizeof(p), "%s.domains", path);
		if (desired_string_array(ctx, doms, p, &nd) == 0) {
			dn->domains = desired_strings(ctx, doms, p, nd,
			    "domain", dnsname_domain);
			dn->ndomains = dn->domains != NULL ? nd : 0;
			total += dn->ndomains;
		}
		snprintf(p, sizeof(p), "%s.servers", path);
		if (cJSON_IsArray(srvs) &&
		    cJSON_GetArraySize(srvs) > (int)DESIRED_MAX_SERVERS)
			jsonv_fail(ctx, p, "has %d servers; at most %u are allowed",
			    cJSON_GetArraySize(srvs), DESIRED_MAX_SERVERS);
		else if (desired_string_array(ctx, srvs, p, &nsv) == 0) {
			dn->servers = desired_strings(ctx, srvs, p, nsv,
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

		for (i = 0; i < dn->ndomains; i++) {
			const char *first;

			snprintf(p, sizeof(p), "$.nrpt[%zu].domains[%zu]", n, i);
			first = desired_set_add(&seen, dn->domains[i], p, &ctx->oom);
			if (first != NULL)
				jsonv_fail(ctx, p, "domain \"%s\" is already routed at %s",
				    dn->domains[i], first);
		}
		for (i = 0; i < dn->nservers; i++) {
			size_t j;

			for (j = 0; j < i; j++)
				if (strcmp(dn->servers[i], dn->servers[j]) == 0) {
					snprintf(p, sizeof(p),
					    "$.nrpt[%zu].servers[%zu]", n, i);
					jsonv_fail(ctx, p,
					    "server \"%s\" is listed twice",
					    dn->servers[i]);
					break;
				}
		}
	}
	desired_set_free(&seen);
}

static void
desired_hosts_section(struct jsonv *ctx, const cJSON *arr,
    struct desired_state *ds)
{
	static const char *const keys[] = { "address", "names", NULL };
	struct desired_set	 seen;
	const cJSON		*h;
	char			**pairs = NULL;
	size_t			 n, i, total = 0, npairs = 0;
	char			 path[DESIRED_PATH_BYTES / 2], p[DESIRED_PATH_BYTES];

	if (!cJSON_IsArray(arr)) {
		jsonv_fail(ctx, "$.hosts", "must be an array of entries, not %s",
		    jsonv_type(arr));
		return;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0)
		return;
	if ((ds->hosts = calloc(n, sizeof(*ds->hosts))) == NULL) {
		ctx->oom = true;
		return;
	}
	cJSON_ArrayForEach(h, arr) {
		struct desired_host	*dh = &ds->hosts[ds->nhosts++];
		const cJSON		*addr, *names;
		size_t			 nn = 0;

		snprintf(path, sizeof(path), "$.hosts[%zu]", ds->nhosts - 1);
		if (!cJSON_IsObject(h)) {
			jsonv_fail(ctx, path, "must be an object, not %s",
			    jsonv_type(h));
			continue;
		}
		jsonv_keys(ctx, h, path, keys);
		addr = cJSON_GetObjectItemCaseSensitive(h, "address");
		names = cJSON_GetObjectItemCaseSensitive(h, "names");
		snprintf(p, sizeof(p), "%s.address", path);
		if (!cJSON_IsString(addr))
			jsonv_fail(ctx, p, "must be a string, not %s",
			    jsonv_type(addr));
		else
			dh->address = desired_value(ctx, addr->valuestring, p,
			    "address", desired_ip);
		snprintf(p, sizeof(p), "%s.names", path);
		if (desired_string_array(ctx, names, p, &nn) == 0) {
			dh->names = desired_strings(ctx, names, p, nn, "name",
			    dnsname_host);
			dh->nnames = dh->names != NULL ? nn : 0;
			total += dh->nnames;
		}
	}
	if (ctx->nerr > 0 || ctx->oom)
		return;

	/* The same name for the same address twice is a mistake; the same
	 * name for an IPv4 and an IPv6 address is normal. */
	if (desired_set_init(&seen, total) != 0 ||
	    (pairs = calloc(total, sizeof(*pairs))) == NULL) {
		ctx->oom = true;
		desired_set_free(&seen);
		return;
	}
	for (n = 0; n < ds->nhosts && !ctx->oom; n++) {
		const struct desired_host *dh = &ds->hosts[n];

		for (i = 0; i < dh->nnames; i++) {
			const char	*first;
			size_t		 la = strlen(dh->address);
			size_t		 ln = strlen(dh->names[i]);
			char		*key = malloc(la + ln + 2);

			if (key == NULL) {
				ctx->oom = true;
				break;
			}
			memcpy(key, dh->names[i], ln);
			key[ln] = ' ';
			memcpy(key + ln + 1, dh->address, la + 1);
			pairs[npairs++] = key;
			snprintf(p, sizeof(p), "$.hosts[%zu].names[%zu]", n, i);
			first = desired_set_add(&seen, key, p, &ctx->oom);
			if (first != NULL)
				jsonv_fail(ctx, p,
				    "name \"%s\" already maps to %s at %s",
				    dh->names[i], dh->address, first);
		}
	}
	desired_set_free(&seen);
	desired_free_strings(pairs, npairs);
}

struct desired_state *
desired_new(void)
{
	return calloc(1, sizeof(struct desired_state));
}

void
desired_free(struct desired_state *ds)
{
	size_t	 i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->nnrpt; i++) {
		desired_free_strings(ds->nrpt[i].domains, ds->nrpt[i].ndomains);
		desired_free_strings(ds->nrpt[i].servers, ds->nrpt[i].nservers);
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
	if ((sec = cJSON_GetObjectItemCaseSensitive(root, "nrpt")) != NULL)
		desired_nrpt_section(&ctx, sec, ds);
	if ((sec = cJSON_GetObjectItemCaseSensitive(root, "hosts")) != NULL)
		desired_hosts_section(&ctx, sec, ds);
done:
	cJSON_Delete(root);
	if (jsonv_done(&ctx) != 0) {
		desired_free(ds);
		return -1;
	}
	*out = ds;
	return 0;
}
