/* resolved: split-DNS rules as systemd-resolved link settings (see
 * resolved.h). */
#include "resolved.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dnsname.h"
#include "dwstr.h"
#include "jsonv.h"

#define RESOLVED_RECORD_MAX_DEPTH	4u
#define RESOLVED_RECORD_MAX_ITEMS	4096u	/* servers or domains */

void
resolved_link_clear(struct resolved_link *l)
{
	size_t	 i;

	for (i = 0; i < l->ndomains; i++)
		free(l->domains[i].name);
	free(l->domains);
	free(l->servers);
	memset(l, 0, sizeof(*l));
}

int
resolved_link_copy(struct resolved_link *dst, const struct resolved_link *src)
{
	size_t	 i;

	resolved_link_clear(dst);
	dst->default_route = src->default_route;
	for (i = 0; i < src->nservers; i++)
		if (resolved_link_add_server(dst, src->servers[i].family,
		    src->servers[i].addr) != 0)
			goto oom;
	for (i = 0; i < src->ndomains; i++)
		if (resolved_link_add_domain(dst, src->domains[i].name,
		    src->domains[i].routing) != 0)
			goto oom;
	return 0;
oom:
	resolved_link_clear(dst);
	return -1;
}

int
resolved_link_add_server(struct resolved_link *l, int family,
    const unsigned char *addr)
{
	struct resolved_server	*s;

	if (family != 4 && family != 6)
		return -1;
	if ((s = realloc(l->servers, (l->nservers + 1) * sizeof(*s))) == NULL)
		return -1;
	l->servers = s;
	s = &l->servers[l->nservers++];
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->addr, addr, family == 4 ? 4 : 16);
	return 0;
}

int
resolved_link_add_domain(struct resolved_link *l, const char *name,
    bool routing)
{
	struct resolved_domain	*d;
	char			*copy;

	if ((copy = dwstr_dup(name)) == NULL)
		return -1;
	if ((d = realloc(l->domains, (l->ndomains + 1) * sizeof(*d))) == NULL) {
		free(copy);
		return -1;
	}
	l->domains = d;
	l->domains[l->ndomains].name = copy;
	l->domains[l->ndomains].routing = routing;
	l->ndomains++;
	return 0;
}

static bool
resolved_server_eq(const struct resolved_server *a,
    const struct resolved_server *b)
{
	return a->family == b->family &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static bool
resolved_has_server(const struct resolved_link *l,
    const struct resolved_server *s)
{
	size_t	 i;

	for (i = 0; i < l->nservers; i++)
		if (resolved_server_eq(&l->servers[i], s))
			return true;
	return false;
}

static bool
resolved_has_domain(const struct resolved_link *l,
    const struct resolved_domain *d)
{
	size_t	 i;

	for (i = 0; i < l->ndomains; i++)
		if (l->domains[i].routing == d->routing &&
		    dwstr_casecmp(l->domains[i].name, d->name) == 0)
			return true;
	return false;
}

int
resolved_want(const struct desired_state *ds, bool default_route,
    struct resolved_link *out, struct dwerr *err)
{
	struct resolved_domain	 dom;
	struct resolved_server	 srv;
	size_t			 i, k;
	int			 fam;

	memset(out, 0, sizeof(*out));
	out->default_route = default_route;
	for (i = 0; i < ds->nnrpt; i++) {
		const struct desired_nrpt *r = &ds->nrpt[i];

		for (k = 0; k < r->nservers; k++) {
			memset(&srv, 0, sizeof(srv));
			if ((fam = ipaddr_bytes(r->servers[k], srv.addr)) < 0) {
				dwerr_set(err, DWERR_INPUT, "$.nrpt[%zu].servers"
				    "[%zu]: \"%s\" is not an IP address", i, k,
				    r->servers[k]);
				goto fail;
			}
			srv.family = fam;
			if (resolved_has_server(out, &srv))
				continue;
			if (resolved_link_add_server(out, fam, srv.addr) != 0)
				goto oom;
		}
		for (k = 0; k < r->ndomains; k++) {
			/* ".coder" is the NRPT form; resolved wants "coder". */
			dom.name = r->domains[k] + (r->domains[k][0] == '.');
			dom.routing = true;
			if (dom.name[0] == '\0' || resolved_has_domain(out, &dom))
				continue;
			if (resolved_link_add_domain(out, dom.name, true) != 0)
				goto oom;
		}
	}
	return 0;
oom:
	dwerr_set(err, ENOMEM, "out of memory");
fail:
	resolved_link_clear(out);
	return -1;
}

/* True when every domain of a is in b. */
static bool
resolved_domains_in(const struct resolved_link *a,
    const struct resolved_link *b)
{
	size_t	 i;

	for (i = 0; i < a->ndomains; i++)
		if (!resolved_has_domain(b, &a->domains[i]))
			return false;
	return true;
}

unsigned
resolved_diff(const struct resolved_link *want,
    const struct resolved_link *live)
{
	unsigned	 set = 0;
	size_t		 i;

	if (want->nservers != live->nservers)
		set |= RESOLVED_SET_DNS;
	for (i = 0; i < want->nservers && !(set & RESOLVED_SET_DNS); i++)
		if (!resolved_server_eq(&want->servers[i], &live->servers[i]))
			set |= RESOLVED_SET_DNS;
	if (!resolved_domains_in(want, live) || !resolved_domains_in(live, want))
		set |= RESOLVED_SET_DOMAINS;
	if (want->default_route != live->default_route)
		set |= RESOLVED_SET_DEFAULT_ROUTE;
	return set;
}

bool
resolved_same(const struct resolved_link *a, const struct resolved_link *b)
{
	return resolved_diff(a, b) == 0;
}

bool
resolved_link_empty(const struct resolved_link *l)
{
	return l->nservers == 0 && l->ndomains == 0;
}

/* Grows a ';'-joined list by one item; -1 without memory. */
static int
resolved_join(char **buf, size_t *len, const char *pre, const char *item)
{
	size_t	 add = strlen(pre) + strlen(item) + 1;
	char	*n;

	if ((n = realloc(*buf, *len + add + 1)) == NULL)
		return -1;
	*buf = n;
	*len += (size_t)snprintf(n + *len, add + 1, "%s%s%s",
	    *len > 0 ? ";" : "", pre, item);
	return 0;
}

char *
resolved_servers_text(const struct resolved_link *l)
{
	char	 a[IPADDR_STR_BYTES];
	char	*out = dwstr_dup("");
	size_t	 len = 0, i;

	for (i = 0; out != NULL && i < l->nservers; i++) {
		if (ipaddr_format(l->servers[i].family, l->servers[i].addr,
		    a) != 0)
			snprintf(a, sizeof(a), "?");
		if (resolved_join(&out, &len, "", a) != 0) {
			free(out);
			return NULL;
		}
	}
	return out;
}

char *
resolved_domains_text(const struct resolved_link *l)
{
	char	*out = dwstr_dup("");
	size_t	 len = 0, i;

	for (i = 0; out != NULL && i < l->ndomains; i++)
		if (resolved_join(&out, &len, l->domains[i].routing ? "~" : "",
		    l->domains[i].name) != 0) {
			free(out);
			return NULL;
		}
	return out;
}

const char *
resolved_set_text(unsigned set, char *buf, size_t size)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ RESOLVED_SET_DNS, "dns" },
		{ RESOLVED_SET_DOMAINS, "domains" },
		{ RESOLVED_SET_DEFAULT_ROUTE, "default_route" }
	};
	size_t	 i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((set & names[i].bit) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    len > 0 ? "," : "", names[i].name);
	return buf;
}

/* The next line of text (len bytes from *pos) into line, NUL-ended and
 * cut to size; false at the end. */
static bool
resolved_next_line(const char *text, size_t len, size_t *pos, char *line,
    size_t size)
{
	size_t	 n = 0;

	if (*pos >= len)
		return false;
	while (*pos < len && text[*pos] != '\n') {
		if (n + 1 < size)
			line[n++] = text[*pos];
		(*pos)++;
	}
	if (*pos < len)
		(*pos)++;
	line[n] = '\0';
	return true;
}

/* The next white-space-separated word at *p, into w; false when none. */
static bool
resolved_word(const char **p, char *w, size_t size)
{
	size_t	 n = 0;

	while (**p == ' ' || **p == '\t' || **p == '\r')
		(*p)++;
	if (**p == '\0' || **p == '#' || **p == ';')
		return false;
	while (**p != '\0' && **p != ' ' && **p != '\t' && **p != '\r' &&
	    **p != '#') {
		if (n + 1 < size)
			w[n++] = **p;
		(*p)++;
	}
	w[n] = '\0';
	return true;
}

void
resolved_conf_nameserver(const char *text, size_t len, char *out, size_t size)
{
	char		 line[512], w[64];
	const char	*p;
	size_t		 pos = 0;

	out[0] = '\0';
	while (resolved_next_line(text, len, &pos, line, sizeof(line))) {
		p = line;
		if (!resolved_word(&p, w, sizeof(w)) ||
		    strcmp(w, "nameserver") != 0 ||
		    !resolved_word(&p, w, sizeof(w)))
			continue;
		snprintf(out, size, "%s", w);
		return;
	}
}

bool
resolved_nss_names(const char *text, size_t len, const char *service)
{
	char		 line[1024], w[64];
	const char	*p;
	size_t		 pos = 0, n;

	while (resolved_next_line(text, len, &pos, line, sizeof(line))) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (strncmp(p, "hosts", 5) != 0)
			continue;
		for (p += 5; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != ':')
			continue;
		p++;
		while (resolved_word(&p, w, sizeof(w))) {
			/* "[NOTFOUND=return]" is an action, not a service. */
			if ((n = strcspn(w, "[")) == strlen(service) &&
			    strncmp(w, service, n) == 0)
				return true;
		}
		return false;
	}
	return false;
}

void
resolved_record_clear(struct resolved_record *r)
{
	free(r->link);
	resolved_link_clear(&r->set);
	memset(r, 0, sizeof(*r));
}

char *
resolved_record_json(const struct resolved_record *r)
{
	cJSON	*root, *arr;
	char	 a[IPADDR_STR_BYTES];
	char	*text = NULL, *out = NULL;
	size_t	 i, n;
	bool	 ok = true;

	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddNumberToObject(root, "version",
	    RESOLVED_RECORD_VERSION) != NULL &&
	    cJSON_AddStringToObject(root, "link", r->link) != NULL &&
	    cJSON_AddNumberToObject(root, "ifindex", r->ifindex) != NULL;
	if (ok && (arr = cJSON_AddArrayToObject(root, "servers")) != NULL) {
		for (i = 0; ok && i < r->set.nservers; i++) {
			ok = ipaddr_format(r->set.servers[i].family,
			    r->set.servers[i].addr, a) == 0;
			ok = ok && cJSON_AddItemToArray(arr,
			    cJSON_CreateString(a));
		}
	} else
		ok = false;
	if (ok && (arr = cJSON_AddArrayToObject(root, "domains")) != NULL) {
		for (i = 0; ok && i < r->set.ndomains; i++) {
			cJSON	*d = cJSON_CreateObject();

			ok = d != NULL && cJSON_AddItemToArray(arr, d) &&
			    cJSON_AddStringToObject(d, "name",
			    r->set.domains[i].name) != NULL &&
			    cJSON_AddBoolToObject(d, "routing",
			    r->set.domains[i].routing) != NULL;
		}
	} else
		ok = false;
	ok = ok && cJSON_AddBoolToObject(root, "default_route",
	    r->set.default_route) != NULL;
	if (ok && (text = cJSON_Print(root)) != NULL) {
		n = strlen(text);
		if ((out = malloc(n + 2)) != NULL) {
			memcpy(out, text, n);
			out[n] = '\n';
			out[n + 1] = '\0';
		}
	}
	cJSON_free(text);
	cJSON_Delete(root);
	return out;
}

/* The servers of a record: canonical addresses. */
static void
resolved_record_servers(struct jsonv *v, const cJSON *arr,
    struct resolved_link *l)
{
	const cJSON	*it;
	unsigned char	 b[16];
	char		 p[JSONV_PATH_BYTES];
	size_t		 i = 0;
	int		 fam;

	if (!cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) > (int)RESOLVED_RECORD_MAX_ITEMS) {
		jsonv_fail(v, "$.servers", "must be an array of at most %u "
		    "addresses", RESOLVED_RECORD_MAX_ITEMS);
		return;
	}
	cJSON_ArrayForEach(it, arr) {
		snprintf(p, sizeof(p), "$.servers[%zu]", i++);
		if (!cJSON_IsString(it) ||
		    (fam = ipaddr_bytes(it->valuestring, b)) < 0) {
			jsonv_fail(v, p, "must be an IP address");
			continue;
		}
		if (resolved_link_add_server(l, fam, b) != 0)
			v->oom = true;
	}
}

/* The domains of a record: {"name": "...", "routing": bool}. */
static void
resolved_record_domains(struct jsonv *v, const cJSON *arr,
    struct resolved_link *l)
{
	static const char *const	 keys[] = { "name", "routing", NULL };
	const cJSON			*it, *name, *routing;
	char				 p[JSONV_PATH_BYTES];
	size_t				 i = 0;

	if (!cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) > (int)RESOLVED_RECORD_MAX_ITEMS) {
		jsonv_fail(v, "$.domains", "must be an array of at most %u "
		    "domains", RESOLVED_RECORD_MAX_ITEMS);
		return;
	}
	cJSON_ArrayForEach(it, arr) {
		snprintf(p, sizeof(p), "$.domains[%zu]", i++);
		if (!cJSON_IsObject(it)) {
			jsonv_fail(v, p, "must be an object, not %s",
			    jsonv_type(it));
			continue;
		}
		jsonv_keys(v, it, p, keys);
		name = cJSON_GetObjectItemCaseSensitive(it, "name");
		routing = cJSON_GetObjectItemCaseSensitive(it, "routing");
		if (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
		    strlen(name->valuestring) > DNSNAME_MAX_CHARS ||
		    !cJSON_IsBool(routing)) {
			jsonv_fail(v, p, "must have a \"name\" (a domain) and "
			    "a \"routing\" (true or false)");
			continue;
		}
		if (resolved_link_add_domain(l, name->valuestring,
		    cJSON_IsTrue(routing)) != 0)
			v->oom = true;
	}
}

int
resolved_record_parse(const char *text, size_t len, const char *file,
    struct resolved_record *out, struct dwerr *err)
{
	static const char *const	 keys[] = { "version", "link", "ifindex",
					    "servers", "domains",
					    "default_route", NULL };
	const cJSON			*it;
	struct jsonv			 v;
	cJSON				*root;

	memset(out, 0, sizeof(*out));
	jsonv_init(&v, file, err);
	if ((root = jsonv_parse(&v, text, len, RESOLVED_RECORD_MAX_BYTES,
	    RESOLVED_RECORD_MAX_DEPTH)) == NULL)
		return jsonv_done(&v);
	if (!cJSON_IsObject(root)) {
		jsonv_fail(&v, "$", "must be an object, not %s",
		    jsonv_type(root));
		goto done;
	}
	jsonv_keys(&v, root, "$", keys);
	it = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(it) || it->valuedouble != RESOLVED_RECORD_VERSION)
		jsonv_fail(&v, "$.version", "must be %d",
		    RESOLVED_RECORD_VERSION);
	it = cJSON_GetObjectItemCaseSensitive(root, "link");
	if (!cJSON_IsString(it) || it->valuestring[0] == '\0')
		jsonv_fail(&v, "$.link", "must be a non-empty string");
	else if ((out->link = dwstr_dup(it->valuestring)) == NULL)
		v.oom = true;
	it = cJSON_GetObjectItemCaseSensitive(root, "ifindex");
	if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 &&
	    it->valuedouble <= 2147483647.0) ||
	    it->valuedouble != (double)(int)it->valuedouble)
		jsonv_fail(&v, "$.ifindex", "must be a link index");
	else
		out->ifindex = (int)it->valuedouble;
	resolved_record_servers(&v,
	    cJSON_GetObjectItemCaseSensitive(root, "servers"), &out->set);
	resolved_record_domains(&v,
	    cJSON_GetObjectItemCaseSensitive(root, "domains"), &out->set);
	it = cJSON_GetObjectItemCaseSensitive(root, "default_route");
	if (!cJSON_IsBool(it))
		jsonv_fail(&v, "$.default_route", "must be true or false");
	else
		out->set.default_route = cJSON_IsTrue(it);
done:
	cJSON_Delete(root);
	if (jsonv_done(&v) != 0) {
		resolved_record_clear(out);
		return -1;
	}
	return 0;
}
