/* verify: what was written, seen through the system's resolver (verify.h). */
#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "platform.h"
#include "resolve.h"

static const char *verify_nsswitch;	/* NULL: the system's */

struct verify_job {
	struct config		*cfg;
	struct desired_state	*ds;
	size_t			 cursor;
	struct verify_report	 rep;
	int			 rc;
};

const char *
verify_class_name(enum verify_class c)
{
	switch (c) {
	case VERIFY_OK:
		return "ok";
	case VERIFY_RULE_MISSING:
		return "rule-missing";
	case VERIFY_RULE_IGNORED_GP:
		return "rule-ignored-gp";
	case VERIFY_RULE_SHADOWED:
		return "rule-shadowed";
	case VERIFY_SERVER_UNREACHABLE:
		return "server-unreachable";
	case VERIFY_NAME_ABSENT:
		return "name-absent";
	case VERIFY_ADDRESS_MISMATCH:
		return "address-mismatch";
	case VERIFY_RESOLVER_SKIPS_HOSTS:
		return "resolver-skips-hosts";
	case VERIFY_NOT_SYSTEM_FILE:
		return "not-system-file";
	case VERIFY_RULE_UNPARSABLE:
		return "rule-unparsable";
	}
	return "unknown";
}

void
verify_set_nsswitch(const char *path)
{
	verify_nsswitch = path;
}

/* True when path is the hosts file the resolver reads: the same path, or
 * the same file under another spelling (case, links). */
static bool
verify_is_system_hosts(const char *path)
{
	const char		*sys = platform_default_hosts();
	struct platform_file_id	 a, b;

	if (sys == NULL)
		return false;
	if (strcmp(path, sys) == 0)
		return true;
	/* The file, not its state: a write between the two looks changes
	 * the size and time, not the volume and the inode. */
	return platform_file_id(path, &a) && platform_file_id(sys, &b) &&
	    a.volume == b.volume && a.inode == b.inode;
}

/* The names, flattened: entry by entry, name by name. */
struct verify_names {
	const struct desired_state	*ds;
	size_t				 n;
};

static void
verify_name_at(const struct verify_names *vn, size_t i, size_t *host,
    size_t *name)
{
	size_t	 h;

	for (h = 0; i >= vn->ds->hosts[h].nnames; h++)
		i -= vn->ds->hosts[h].nnames;
	*host = h;
	*name = i;
}

static const char *
verify_name(const struct verify_names *vn, size_t i)
{
	size_t	 h, k;

	verify_name_at(vn, i, &h, &k);
	return vn->ds->hosts[h].names[k];
}

/* True when the name at i is listed earlier too (it is checked there). */
static bool
verify_name_repeated(const struct verify_names *vn, size_t i)
{
	const char	*name = verify_name(vn, i);
	size_t		 h, k, j = 0;

	for (h = 0; h < vn->ds->nhosts; h++)
		for (k = 0; k < vn->ds->hosts[h].nnames; k++, j++) {
			if (j == i)
				return false;
			if (strcmp(vn->ds->hosts[h].names[k], name) == 0)
				return true;
		}
	return false;
}

/* The first desired address of name that the answer lacks, or NULL. */
static const char *
verify_missing_address(const struct desired_state *ds, const char *name,
    const struct resolve_answer *ans)
{
	const struct desired_host	*e;
	size_t				 h, k, a;

	for (h = 0; h < ds->nhosts; h++) {
		e = &ds->hosts[h];
		for (k = 0; k < e->nnames; k++)
			if (strcmp(e->names[k], name) == 0)
				break;
		if (k == e->nnames)
			continue;
		for (a = 0; a < ans->naddrs; a++)
			if (strcmp(ans->addrs[a], e->address) == 0)
				break;
		if (a == ans->naddrs)
			return e->address;
	}
	return NULL;
}

/* Notes a failure of name; the first one is classified. */
static void
verify_hosts_fail(struct verify_result *res, const char *name,
    enum verify_class cls, const char *what)
{
	char	 why[512];

	if (res->failed++ > 0)
		return;
	snprintf(res->first_failure, sizeof(res->first_failure), "%s", name);
	if (!resolve_reads_hosts(verify_nsswitch, why, sizeof(why))) {
		/* Whatever the answer was, it did not come from the file. */
		res->cls = VERIFY_RESOLVER_SKIPS_HOSTS;
		snprintf(res->detail, sizeof(res->detail), "%.200s: %.300s", name,
		    why);
		return;
	}
	res->cls = cls;
	snprintf(res->detail, sizeof(res->detail), "%.200s: %.300s", name, what);
}

/* The hosts part: the managed names, resolved by the system. */
static int
verify_hosts(const struct config *cfg, const struct desired_state *ds,
    size_t *cursor, struct verify_result *res)
{
	struct verify_names	 vn;
	struct resolve_answer	 ans;
	struct dwerr		 err;
	const char		*name, *missing;
	char			 what[384];
	size_t			 i, steps;

	vn.ds = ds;
	vn.n = desired_host_names(ds);
	if (!cfg->hosts_enabled || cfg->hosts_path == NULL ||
	    ds->hosts_raw_set || vn.n == 0)
		return 0;	/* nothing to verify (follow mode: bytes) */
	res->ran = true;
	if (!verify_is_system_hosts(cfg->hosts_path)) {
		res->skipped = true;
		res->cls = VERIFY_NOT_SYSTEM_FILE;
		snprintf(res->detail, sizeof(res->detail), "%s is not the "
		    "hosts file the resolver reads (%s)", cfg->hosts_path,
		    platform_default_hosts());
		return 0;
	}
	i = *cursor < vn.n ? *cursor : 0;
	for (steps = 0; steps < vn.n && res->checked < VERIFY_HOSTS_CAP;
	    steps++, i = (i + 1) % vn.n) {
		if (verify_name_repeated(&vn, i))
			continue;
		name = verify_name(&vn, i);
		dwerr_reset(&err);
		if (resolve_name(name, &ans, &err) != 0) {
			if (err.code == ENOMEM)
				return -1;
			/* The resolver could not be asked at all. */
			res->checked++;
			snprintf(what, sizeof(what), "the resolver could not be "
			    "asked: %.300s", err.msg);
			verify_hosts_fail(res, name, VERIFY_NAME_ABSENT, what);
			continue;
		}
		res->checked++;
		switch (ans.status) {
		case RESOLVE_OK:
			if ((missing = verify_missing_address(ds, name,
			    &ans)) == NULL)
				break;
			snprintf(what, sizeof(what), "resolves to %s%s, not %s",
			    ans.naddrs > 0 ? ans.addrs[0] : "nothing",
			    ans.naddrs > 1 ? " (and more)" : "",
			    missing);
			verify_hosts_fail(res, name, VERIFY_ADDRESS_MISMATCH,
			    what);
			break;
		case RESOLVE_NO_NAME:
			verify_hosts_fail(res, name, VERIFY_NAME_ABSENT,
			    "the resolver does not know the name");
			break;
		case RESOLVE_UNREACHABLE:
			verify_hosts_fail(res, name, VERIFY_NAME_ABSENT,
			    "not found in the hosts file, and no DNS server "
			    "answered");
			break;
		case RESOLVE_ERROR:
			snprintf(what, sizeof(what), "the lookup failed: %.300s",
			    err.msg[0] != '\0' ? err.msg : "unknown error");
			verify_hosts_fail(res, name, VERIFY_NAME_ABSENT, what);
			break;
		}
		resolve_answer_clear(&ans);
	}
	*cursor = i;
	return 0;
}

int
verify_run(const struct config *cfg, const struct desired_state *ds,
    size_t *cursor, struct verify_report *rep)
{
	uint64_t	 start;
	int		 rc;

	memset(rep, 0, sizeof(*rep));
	start = platform_mono_us();
	rc = verify_hosts(cfg, ds, cursor, &rep->hosts);
	rep->hosts.duration_us = platform_mono_us() - start;
	if (rc != 0)
		return -1;
	start = platform_mono_us();
	verify_nrpt(cfg, ds, &rep->nrpt);
	/* No NRPT here: the rules are resolved's (Linux), under the same
	 * name, as the desired state calls them. */
	if (!rep->nrpt.ran)
		verify_resolved(cfg, ds, &rep->nrpt);
	if (rep->nrpt.ran && rep->nrpt.duration_us == 0)
		rep->nrpt.duration_us = platform_mono_us() - start;
	return 0;
}

static bool
verify_result_failed(const struct verify_result *r)
{
	return r->ran && !r->skipped && r->failed > 0;
}

bool
verify_failed(const struct verify_report *rep)
{
	return verify_result_failed(&rep->hosts) ||
	    verify_result_failed(&rep->nrpt);
}

static void
verify_trace_one(struct trace *t, const char *artifact,
    const struct verify_result *r)
{
	if (r->ran)
		trace_verify_result(t, artifact, r->checked, r->failed,
		    r->first_failure, verify_class_name(r->cls),
		    r->duration_us, verify_result_failed(r));
}

void
verify_trace(struct trace *t, const struct verify_report *rep)
{
	verify_trace_one(t, "hosts", &rep->hosts);
	verify_trace_one(t, "nrpt", &rep->nrpt);
}

static void
verify_print_one(const char *artifact, const char *what,
    const struct verify_result *r, FILE *out)
{
	if (!r->ran)
		return;
	if (r->skipped)
		fprintf(out, "not verified: %s: %s: %s\n", artifact,
		    verify_class_name(r->cls), r->detail);
	else if (r->failed == 0)
		fprintf(out, "verified: %s: %u %s%s %s as desired\n", artifact,
		    r->checked, what, r->checked == 1 ? "" : "s",
		    strcmp(what, "name") == 0 ? (r->checked == 1 ?
		    "resolves" : "resolve") : (r->checked == 1 ? "works" :
		    "work"));
	else
		fprintf(out, "NOT verified: %s: %s: %s (%u of %u %ss failed)\n",
		    artifact, verify_class_name(r->cls), r->detail, r->failed,
		    r->checked, what);
}

void
verify_print(const struct verify_report *rep, FILE *out)
{
	verify_print_one("hosts", "name", &rep->hosts, out);
	verify_print_one("nrpt", "rule", &rep->nrpt, out);
}

static cJSON *
verify_result_json(const struct verify_result *r)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddBoolToObject(o, "verified", !r->skipped &&
	    r->failed == 0) == NULL ||
	    cJSON_AddBoolToObject(o, "skipped", r->skipped) == NULL ||
	    cJSON_AddNumberToObject(o, "checked", r->checked) == NULL ||
	    cJSON_AddNumberToObject(o, "failed", r->failed) == NULL ||
	    cJSON_AddStringToObject(o, "class",
	    verify_class_name(r->cls)) == NULL ||
	    (r->first_failure[0] != '\0' && cJSON_AddStringToObject(o,
	    "first_failure", r->first_failure) == NULL) ||
	    (r->detail[0] != '\0' && cJSON_AddStringToObject(o, "detail",
	    r->detail) == NULL) ||
	    cJSON_AddNumberToObject(o, "duration_us",
	    (double)r->duration_us) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
verify_add_result(cJSON *root, const char *name, const struct verify_result *r)
{
	cJSON	*o;

	if (!r->ran)
		return 0;
	if ((o = verify_result_json(r)) == NULL)
		return -1;
	if (!cJSON_AddItemToObject(root, name, o)) {
		cJSON_Delete(o);
		return -1;
	}
	return 0;
}

cJSON *
verify_report_json(const struct verify_report *rep)
{
	cJSON	*root;

	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	if (verify_add_result(root, "hosts", &rep->hosts) != 0 ||
	    verify_add_result(root, "nrpt", &rep->nrpt) != 0) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* A copy of the config: the fields verify_run and verify_nrpt read. */
static struct config *
verify_config_dup(const struct config *cfg)
{
	struct config	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->hosts_enabled = cfg->hosts_enabled;
	c->nrpt_enabled = cfg->nrpt_enabled;
	c->follow_enabled = cfg->follow_enabled;
	c->follow_require_adapter = cfg->follow_require_adapter;
	c->follow_forget_after_ms = cfg->follow_forget_after_ms;
	c->backoff = cfg->backoff;
	c->resolved_enabled = cfg->resolved_enabled;
	c->resolved_default_route = cfg->resolved_default_route;
#define VERIFY_DUP(f) \
	(cfg->f == NULL || (c->f = dwstr_dup(cfg->f)) != NULL)
	if (VERIFY_DUP(path) && VERIFY_DUP(desired_state) &&
	    VERIFY_DUP(hosts_path) && VERIFY_DUP(begin_marker) &&
	    VERIFY_DUP(end_marker) && VERIFY_DUP(nrpt_record_key) &&
	    VERIFY_DUP(nrpt_record_value) && VERIFY_DUP(follow_tunnel) &&
	    VERIFY_DUP(follow_record_key) && VERIFY_DUP(follow_record_value) &&
	    VERIFY_DUP(follow_adapter_guid) &&
	    VERIFY_DUP(follow_adapter_name) && VERIFY_DUP(follow_state) &&
	    VERIFY_DUP(resolved_link) && VERIFY_DUP(resolved_state))
		return c;
#undef VERIFY_DUP
	config_free(c);
	return NULL;
}

/* A malloc'd copy of n strings. */
static char **
verify_strv_dup(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	if ((c = calloc(n > 0 ? n : 1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((c[i] = dwstr_dup(v[i])) == NULL) {
			while (i-- > 0)
				free(c[i]);
			free(c);
			return NULL;
		}
	return c;
}

/* A deep copy of a desired state (desired_free frees it). */
static struct desired_state *
verify_desired_dup(const struct desired_state *ds)
{
	struct desired_state	*c;
	size_t			 i;

	if ((c = desired_new()) == NULL)
		return NULL;
	if (ds->nnrpt > 0 &&
	    (c->nrpt = calloc(ds->nnrpt, sizeof(*c->nrpt))) == NULL)
		goto fail;
	c->nnrpt = ds->nnrpt;	/* zeroed: desired_free copes */
	for (i = 0; i < ds->nnrpt; i++) {
		if ((c->nrpt[i].domains = verify_strv_dup(ds->nrpt[i].domains,
		    ds->nrpt[i].ndomains)) == NULL)
			goto fail;
		c->nrpt[i].ndomains = ds->nrpt[i].ndomains;
		if ((c->nrpt[i].servers = verify_strv_dup(ds->nrpt[i].servers,
		    ds->nrpt[i].nservers)) == NULL)
			goto fail;
		c->nrpt[i].nservers = ds->nrpt[i].nservers;
		if (ds->nrpt[i].probes != NULL) {
			if ((c->nrpt[i].probes = verify_strv_dup(
			    ds->nrpt[i].probes, ds->nrpt[i].nprobes)) == NULL)
				goto fail;
			c->nrpt[i].nprobes = ds->nrpt[i].nprobes;
		}
	}
	if (ds->nhosts > 0 &&
	    (c->hosts = calloc(ds->nhosts, sizeof(*c->hosts))) == NULL)
		goto fail;
	c->nhosts = ds->nhosts;
	for (i = 0; i < ds->nhosts; i++) {
		if ((c->hosts[i].address = dwstr_dup(ds->hosts[i].address)) ==
		    NULL)
			goto fail;
		if ((c->hosts[i].names = verify_strv_dup(ds->hosts[i].names,
		    ds->hosts[i].nnames)) == NULL)
			goto fail;
		c->hosts[i].nnames = ds->hosts[i].nnames;
	}
	if (ds->hosts_raw_set) {
		if ((c->hosts_raw = dwstr_ndup(ds->hosts_raw != NULL ?
		    ds->hosts_raw : "", ds->hosts_raw_len)) == NULL)
			goto fail;
		c->hosts_raw_len = ds->hosts_raw_len;
		c->hosts_raw_set = true;
	}
	return c;
fail:
	desired_free(c);
	return NULL;
}

struct verify_job *
verify_job_new(const struct config *cfg, const struct desired_state *ds,
    size_t cursor)
{
	struct verify_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->cursor = cursor;
	if ((j->cfg = verify_config_dup(cfg)) == NULL ||
	    (j->ds = verify_desired_dup(ds)) == NULL) {
		verify_job_free(j);
		return NULL;
	}
	return j;
}

void
verify_job_run(struct verify_job *j)
{
	j->rc = verify_run(j->cfg, j->ds, &j->cursor, &j->rep);
}

const struct verify_report *
verify_job_report(const struct verify_job *j)
{
	return &j->rep;
}

size_t
verify_job_cursor(const struct verify_job *j)
{
	return j->cursor;
}

int
verify_job_rc(const struct verify_job *j)
{
	return j->rc;
}

void
verify_job_free(struct verify_job *j)
{
	if (j == NULL)
		return;
	config_free(j->cfg);
	desired_free(j->ds);
	free(j);
}
