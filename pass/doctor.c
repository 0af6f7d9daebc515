/* doctor: the report and its findings (see doctor.h). */
#include "doctor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

void
doctor_add(struct doctor *d, cJSON *obj, const char *name, cJSON *item)
{
	if (item == NULL || obj == NULL ||
	    !cJSON_AddItemToObject(obj, name, item)) {
		cJSON_Delete(item);
		d->oom = true;
	}
}

void
doctor_finding(struct doctor *d, enum doctor_severity sev, const char *code,
    const char *fmt, ...)
{
	static const char *const sevs[] = { "info", "warning", "error" };
	char	 msg[1024];
	va_list	 ap;
	cJSON	*f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev == DOCTOR_ERROR)
		d->errors++;
	else if (sev == DOCTOR_WARNING)
		d->warnings++;
	if ((f = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(f, "severity", sevs[sev]) == NULL ||
	    cJSON_AddStringToObject(f, "code", code) == NULL ||
	    cJSON_AddStringToObject(f, "message", msg) == NULL ||
	    !cJSON_AddItemToArray(d->findings, f)) {
		cJSON_Delete(f);
		d->oom = true;
	}
}

/* The desired state, as the daemon would read it. */
static struct desired_state *
doctor_desired(struct doctor *d)
{
	struct desired_state	*ds = NULL;
	struct dwerr		 err;
	cJSON			*o;

	if ((o = cJSON_CreateObject()) == NULL) {
		d->oom = true;
		return NULL;
	}
	doctor_add(d, d->root, "desired_state", o);
	if (d->cfg->follow_enabled) {
		/* Learned from the tunnel: doctor_nrpt and doctor_hosts read
		 * the state as it stands. */
		cJSON_AddStringToObject(o, "mode", "follow");
		cJSON_AddStringToObject(o, "tunnel", d->cfg->follow_tunnel);
		cJSON_AddStringToObject(o, "state_file", d->cfg->follow_state);
		return NULL;
	}
	cJSON_AddStringToObject(o, "path", d->cfg->desired_state);
	if (reconcile_read_desired(d->cfg->desired_state, &ds, &err) != 0) {
		cJSON_AddBoolToObject(o, "valid", false);
		cJSON_AddStringToObject(o, "error", err.msg);
		doctor_finding(d, DOCTOR_ERROR, "desired-invalid", "%s",
		    err.msg);
		return NULL;
	}
	cJSON_AddBoolToObject(o, "valid", true);
	cJSON_AddNumberToObject(o, "nrpt_rules", (double)ds->nnrpt);
	cJSON_AddNumberToObject(o, "hosts_entries", (double)ds->nhosts);
	return ds;
}

static void
doctor_daemon(struct doctor *d, const struct doctor_opts *opts)
{
	cJSON	*o;

	if (!opts->daemon_checked)
		return;
	if ((o = cJSON_CreateObject()) == NULL) {
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "daemon", o);
	cJSON_AddStringToObject(o, "control", d->cfg->control_socket);
	cJSON_AddBoolToObject(o, "running", opts->daemon_running);
	if (opts->daemon_running)
		return;
	if (opts->daemon_error != NULL)
		cJSON_AddStringToObject(o, "error", opts->daemon_error);
	doctor_finding(d, DOCTOR_ERROR, "daemon-not-running",
	    "no watchdog answered on %s: nothing repairs DNS when a VPN or "
	    "another program breaks it%s%s%s", d->cfg->control_socket,
	    opts->daemon_error != NULL ? " (" : "",
	    opts->daemon_error != NULL ? opts->daemon_error : "",
	    opts->daemon_error != NULL ? ")" : "");
}

const char *
doctor_verdict(const cJSON *report)
{
	const cJSON	*f, *sev;
	bool		 warn = false;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(report,
	    "findings")) {
		sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
		if (!cJSON_IsString(sev))
			continue;
		if (strcmp(sev->valuestring, "error") == 0)
			return "broken";
		if (strcmp(sev->valuestring, "warning") == 0)
			warn = true;
	}
	return warn ? "degraded" : "ok";
}

int
doctor_run(const struct config *cfg, const struct doctor_opts *opts,
    cJSON **out)
{
	struct doctor		 d;
	struct desired_state	*ds;
	cJSON			*v;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	if ((d.root = cJSON_CreateObject()) == NULL)
		return -1;
	/* The verdict first, for a reader; its value comes last. */
	v = cJSON_AddStringToObject(d.root, "verdict", "ok");
	cJSON_AddStringToObject(d.root, "version", opts->version != NULL ?
	    opts->version : "unknown");
	cJSON_AddStringToObject(d.root, "config", cfg->path != NULL ?
	    cfg->path : "(defaults)");
	if ((d.findings = cJSON_CreateArray()) == NULL || v == NULL) {
		cJSON_Delete(d.findings);
		cJSON_Delete(d.root);
		return -1;
	}
	d.ds = ds = doctor_desired(&d);
	doctor_nrpt(&d);
	doctor_hosts(&d);
	doctor_resolved(&d);
	doctor_verify(&d, opts);
	doctor_daemon(&d, opts);
	doctor_adapters(&d);
	doctor_add(&d, d.root, "findings", d.findings);
	desired_free(ds);
	if (d.oom) {
		cJSON_Delete(d.root);
		return -1;
	}
	cJSON_SetValuestring(v, doctor_verdict(d.root));
	*out = d.root;
	return 0;
}

static const char *
doctor_str(const cJSON *o, const char *key)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The strings of an array, each after a space. */
static void
doctor_print_strings(const cJSON *arr, FILE *out)
{
	const cJSON	*it;

	for (it = arr != NULL ? arr->child : NULL; it != NULL; it = it->next)
		if (cJSON_IsString(it))
			fprintf(out, " %s", it->valuestring);
}

/* The verification, one line per artifact. */
static void
doctor_print_verify(const cJSON *v, FILE *out)
{
	static const char *const arts[] = { "hosts", "nrpt" };
	const cJSON	*a;
	size_t		 i;
	double		 checked, failed;

	for (i = 0; i < sizeof(arts) / sizeof(arts[0]); i++) {
		if ((a = cJSON_GetObjectItemCaseSensitive(v, arts[i])) == NULL)
			continue;
		checked = cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(a, "checked"));
		failed = cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(a, "failed"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a,
		    "skipped")))
			fprintf(out, "verify %s: skipped (%s)\n", arts[i],
			    doctor_str(a, "class"));
		else if (failed > 0)
			fprintf(out, "verify %s: %.0f of %.0f failed, first %s "
			    "(%s)\n", arts[i], failed, checked,
			    doctor_str(a, "first_failure"),
			    doctor_str(a, "class"));
		else
			fprintf(out, "verify %s: %.0f checked, all resolve as "
			    "desired\n", arts[i], checked);
	}
}

void
doctor_print(const cJSON *r, FILE *out)
{
	const cJSON	*o, *f;
	const char	*verdict = doctor_str(r, "verdict"), *s;

	if (strcmp(verdict, "ok") == 0)
		fputs("verdict: ok: DNS is as the desired state asks and "
		    "nothing stands in its way\n", out);
	else if (strcmp(verdict, "degraded") == 0)
		fputs("verdict: degraded: DNS works, but something may break "
		    "it (warnings below)\n", out);
	else
		fputs("verdict: broken: names will not resolve as they should "
		    "(errors below)\n", out);
	f = cJSON_GetObjectItemCaseSensitive(r, "findings");
	for (f = f != NULL ? f->child : NULL; f != NULL; f = f->next)
		fprintf(out, "  %-7s %s: %s\n", doctor_str(f, "severity"),
		    doctor_str(f, "code"), doctor_str(f, "message"));
	o = cJSON_GetObjectItemCaseSensitive(r, "nrpt");
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "supported")))
		fputs("nrpt: none on this platform\n", out);
	else if ((s = doctor_str(o, "gp_table")) != NULL) {
		f = cJSON_GetObjectItemCaseSensitive(o, "rules");
		fprintf(out, "nrpt: group-policy table %s, %d rules\n", s,
		    cJSON_GetArraySize(f));
		for (f = f != NULL ? f->child : NULL; f != NULL; f = f->next) {
			fprintf(out, "  %-5s %-11s %s:", doctor_str(f, "table"),
			    doctor_str(f, "owner"), doctor_str(f, "id"));
			doctor_print_strings(cJSON_GetObjectItemCaseSensitive(f,
			    "namespaces"), out);
			fputs(" ->", out);
			doctor_print_strings(cJSON_GetObjectItemCaseSensitive(f,
			    "servers"), out);
			fputc('\n', out);
		}
	}
	o = cJSON_GetObjectItemCaseSensitive(r, "resolved");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "enabled"))) {
		fprintf(out, "resolved: link %s", doctor_str(o, "link"));
		if ((f = cJSON_GetObjectItemCaseSensitive(o, "servers")) != NULL) {
			fputs(": dns", out);
			doctor_print_strings(f, out);
			fputs("; domains", out);
			doctor_print_strings(cJSON_GetObjectItemCaseSensitive(o,
			    "domains"), out);
			fprintf(out, "; default route %s",
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
			    "default_route")) ? "yes" : "no");
		} else
			fputs(": not read", out);
		fputc('\n', out);
	}
	doctor_print_verify(cJSON_GetObjectItemCaseSensitive(r, "verify"),
	    out);
	o = cJSON_GetObjectItemCaseSensitive(r, "hosts");
	if ((s = doctor_str(o, "path")) != NULL) {
		const cJSON	*e = cJSON_GetObjectItemCaseSensitive(o,
		    "entries");

		fprintf(out, "hosts: %s: section %s, %.0f entries\n", s,
		    doctor_str(o, "section") != NULL ? doctor_str(o,
		    "section") : "unknown", cJSON_IsNumber(e) ?
		    e->valuedouble : 0);
	}
}
