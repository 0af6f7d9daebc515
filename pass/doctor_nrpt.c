/*
 * doctor: the NRPT tables, every rule with its owner (see doctor.h).
 *
 * "nrpt": { "gp_table": "absent" | "empty" | "present", "supported": bool,
 *   "rules": [ { "table", "id", "namespaces", "servers", "owner",
 *   "effective", and when set "comment", "display_name", "problem" } ] }
 * The servers are the pieces of GenericDNSServers between the ';', as
 * written (a space shows). The findings come from nrptcheck_findings.
 */
#include "doctor.h"

#include <errno.h>
#include <stdlib.h>

#include "nrpt_scan.h"
#include "nrptcheck.h"

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

/* One rule of the scan as JSON; NULL without memory. */
static cJSON *
doctor_nrpt_rule(const struct nrptcheck_scan *s,
    const struct nrptcheck_rule *r)
{
	char	 why[NRPTCHECK_WHY_BYTES], **v;
	size_t	 n, i;
	cJSON	*o, *a;
	bool	 ok = true;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddStringToObject(o, "table",
	    nrptcheck_table_name(r->table)) != NULL &&
	    cJSON_AddStringToObject(o, "id", r->id) != NULL;
	if (ok && (a = cJSON_AddArrayToObject(o, "namespaces")) != NULL) {
		for (i = 0; ok && i < r->nnames; i++)
			ok = cJSON_AddItemToArray(a,
			    cJSON_CreateString(r->names[i]));
	} else
		ok = false;
	if (ok && (a = cJSON_AddArrayToObject(o, "servers")) != NULL &&
	    nrptcheck_split(r->servers, &v, &n) == 0) {
		for (i = 0; ok && i < n; i++)
			ok = cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
		nrptcheck_strings_free(v, n);
	} else
		ok = false;
	ok = ok && cJSON_AddStringToObject(o, "owner",
	    nrptcheck_owner_name(r->owner)) != NULL &&
	    cJSON_AddBoolToObject(o, "effective",
	    nrptcheck_effective(s, r)) != NULL;
	if (ok && r->comment != NULL && r->comment[0] != '\0')
		ok = cJSON_AddStringToObject(o, "comment", r->comment) != NULL;
	if (ok && r->display != NULL && r->display[0] != '\0')
		ok = cJSON_AddStringToObject(o, "display_name",
		    r->display) != NULL;
	if (ok && !nrptcheck_parsable(r, why, sizeof(why)))
		ok = cJSON_AddStringToObject(o, "problem", why) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
doctor_nrpt(struct doctor *d)
{
	struct nrpt_scan_record		 recs[2];
	struct nrptcheck_scan		 s;
	struct nrptcheck_finding	*f = NULL;
	struct dwerr			 err;
	size_t				 nrecs = 0, nf = 0, i;
	cJSON				*o, *rules;

	if ((o = cJSON_CreateObject()) == NULL) {
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "nrpt", o);
	recs[nrecs].key = d->cfg->nrpt_record_key;
	recs[nrecs++].value = d->cfg->nrpt_record_value;
	if (d->cfg->follow_enabled) {
		recs[nrecs].key = d->cfg->follow_record_key;
		recs[nrecs++].value = d->cfg->follow_record_value;
	}
	if (nrpt_scan_read(recs, nrecs, &s, &err) != 0) {
		cJSON_AddStringToObject(o, "gp_table", "absent");
		doctor_add(d, o, "rules", cJSON_CreateArray());
		if (err.code == ENOTSUP) {
			cJSON_AddBoolToObject(o, "supported", false);
			return;
		}
		if (err.code == ENOMEM) {
			d->oom = true;
			return;
		}
		cJSON_AddBoolToObject(o, "supported", true);
		cJSON_AddStringToObject(o, "error", err.msg);
		doctor_finding(d, DOCTOR_ERROR, "nrpt-unreadable",
		    "the NRPT tables could not be read: %s", err.msg);
		return;
	}
	nrptcheck_owners(&s);
	cJSON_AddStringToObject(o, "gp_table", nrptcheck_gp_name(s.gp));
	cJSON_AddBoolToObject(o, "supported", true);
	if ((rules = cJSON_CreateArray()) == NULL) {
		d->oom = true;
		goto done;
	}
	doctor_add(d, o, "rules", rules);
	for (i = 0; i < s.nrules; i++)
		if (!cJSON_AddItemToArray(rules, doctor_nrpt_rule(&s,
		    &s.rules[i])))
			d->oom = true;
	/* Desired rules are missing only where the NRPT is managed. */
	if (nrptcheck_findings(&s, d->cfg->nrpt_enabled ? d->ds : NULL, &f,
	    &nf) != 0) {
		d->oom = true;
		goto done;
	}
	for (i = 0; i < nf; i++)
		doctor_finding(d, f[i].error ? DOCTOR_ERROR : DOCTOR_WARNING,
		    f[i].code, "%s", f[i].msg);
done:
	free(f);
	nrptcheck_scan_clear(&s);
}
