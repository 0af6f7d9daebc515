/*
 * doctor: the hosts file, its section and who holds it (see doctor.h).
 *
 *   "hosts": { "path", "managed", "readable", "exists", "bytes",
 *     "section": "absent" | "complete" | "duplicated" | "broken",
 *     "sections", "lone_markers", "entries", "locked_by", "holders",
 *     "holders_unseen", "holders_method" }
 *
 * The section is read as a pass reads it (hosts_parse, the config's
 * markers); entries counts the address lines of the one complete section.
 * A holder is another process that has the file open: on Windows the
 * Restart Manager's answer, on Linux every process whose /proc/PID/fd
 * shows the file. locked_by is the first of them (or null), holders all.
 */
#include "doctor.h"

#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "holders.h"
#include "hosts.h"
#include "hostsfile.h"
#include "platform.h"

#define DOCTOR_HOSTS_NAMED	4u	/* holders a finding names */

/* Address lines in a section body: not blank, not a comment. */
static size_t
doctor_hosts_entries(const char *body, size_t len)
{
	size_t	 i = 0, n = 0;
	bool	 start = true, counted = false;

	for (i = 0; i < len; i++) {
		if (body[i] == '\n') {
			start = true;
			counted = false;
			continue;
		}
		if (!start || counted)
			continue;
		if (body[i] == ' ' || body[i] == '\t' || body[i] == '\r')
			continue;
		if (body[i] != '#')
			n++;
		counted = true;
		start = false;
	}
	return n;
}

/* Whether the section ought to be there: the desired state has entries,
 * or (follow mode) a section was learned from the tunnel. *why says
 * whose it is. */
static bool
doctor_hosts_wanted(struct doctor *d, const char **why)
{
	struct follow_state	*st = NULL;
	struct dwerr		 err;
	char			*text;
	size_t			 len;
	bool			 yes;

	if (d->ds != NULL) {
		*why = "the desired state";
		return d->ds->nhosts > 0 || d->ds->hosts_raw_set;
	}
	if (!d->cfg->follow_enabled || d->cfg->follow_state == NULL)
		return false;
	/* Nothing learned yet (or a state file doctor cannot read): the
	 * follow pass says what it makes of it; no guess here. */
	if (platform_read_file(d->cfg->follow_state, FOLLOW_STATE_MAX_BYTES,
	    &text, &len, &err) != 0)
		return false;
	if (follow_state_parse(text, len, d->cfg->follow_state, &st,
	    &err) != 0) {
		free(text);
		return false;
	}
	free(text);
	yes = st->has_hosts;
	follow_state_free(st);
	*why = "the state learned from the tunnel";
	return yes;
}

/* Who holds the file open, into o; a finding when anyone does. */
static void
doctor_hosts_holders(struct doctor *d, cJSON *o, const char *path)
{
	struct holders_proc	*v = NULL;
	struct dwerr		 err;
	cJSON			*arr, *h, *first = NULL;
	char			 who[512];
	size_t			 n = 0, unseen = 0, i, off = 0;
	int			 r;

	cJSON_AddStringToObject(o, "holders_method", holders_method());
	if (holders_list(path, &v, &n, &unseen, &err) != 0) {
		cJSON_AddNullToObject(o, "locked_by");
		cJSON_AddStringToObject(o, "holders_error", err.msg);
		return;
	}
	if ((arr = cJSON_CreateArray()) == NULL) {
		free(v);
		d->oom = true;
		return;
	}
	who[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((h = cJSON_CreateObject()) == NULL ||
		    cJSON_AddNumberToObject(h, "pid", (double)v[i].pid) ==
		    NULL || cJSON_AddStringToObject(h, "process",
		    v[i].name) == NULL || !cJSON_AddItemToArray(arr, h)) {
			cJSON_Delete(h);
			d->oom = true;
			break;
		}
		if (i < DOCTOR_HOSTS_NAMED && off < sizeof(who)) {
			r = snprintf(who + off, sizeof(who) - off, "%s%s (PID "
			    "%lu)", i == 0 ? "" : ", ", v[i].name[0] != '\0' ?
			    v[i].name : "unknown process",
			    (unsigned long)v[i].pid);
			if (r > 0)
				off += (size_t)r;
		}
	}
	if (n > 0 && (first = cJSON_Duplicate(cJSON_GetArrayItem(arr, 0),
	    true)) == NULL)
		d->oom = true;
	if (first != NULL)
		doctor_add(d, o, "locked_by", first);
	else
		cJSON_AddNullToObject(o, "locked_by");
	doctor_add(d, o, "holders", arr);
	cJSON_AddNumberToObject(o, "holders_unseen", (double)unseen);
	if (n > 0)
		doctor_finding(d, DOCTOR_WARNING, "hosts-locked", "%s: %s%s "
		    "open: a process that holds the hosts file may keep "
		    "the watchdog from replacing it, or rewrite it",
		    path, who, n > DOCTOR_HOSTS_NAMED ? " and others hold it" :
		    n == 1 ? " holds it" : " hold it");
	free(v);
}

/* The section, from the bytes read: into o, with its findings. */
static void
doctor_hosts_section(struct doctor *d, cJSON *o, const char *buf,
    size_t len)
{
	const struct config	*cfg = d->cfg;
	struct hosts_markers	 m = { cfg->begin_marker, cfg->end_marker };
	struct hosts_doc	*doc;
	struct dwerr		 err;
	const char		*state, *body, *why = "";
	size_t			 sections, lone, entries = 0, blen;

	if (hosts_parse(buf, len, &m, platform_default_eol(), &doc,
	    &err) != 0) {
		/* Not a file the watchdog can manage as it stands. */
		cJSON_AddStringToObject(o, "section", "broken");
		cJSON_AddNumberToObject(o, "entries", 0);
		cJSON_AddStringToObject(o, "error", err.msg);
		doctor_finding(d, DOCTOR_ERROR, "hosts-unreadable", "%s: %s",
		    cfg->hosts_path, err.msg);
		return;
	}
	sections = hosts_doc_sections(doc);
	lone = hosts_doc_orphan_markers(doc);
	if (lone > 0)
		state = "broken";
	else if (sections > 1)
		state = "duplicated";
	else if (sections == 1)
		state = "complete";
	else
		state = "absent";
	if (hosts_doc_section_body(doc, &body, &blen))
		entries = doctor_hosts_entries(body, blen);
	hosts_doc_free(doc);
	cJSON_AddStringToObject(o, "section", state);
	cJSON_AddNumberToObject(o, "sections", (double)sections);
	cJSON_AddNumberToObject(o, "lone_markers", (double)lone);
	cJSON_AddNumberToObject(o, "entries", (double)entries);
	if (lone > 0)
		doctor_finding(d, DOCTOR_ERROR, "hosts-section-broken",
		    "%s: %zu marker line%s without %s pair (%s / %s): the "
		    "next pass drops %s and writes the section anew",
		    cfg->hosts_path, lone, lone == 1 ? "" : "s",
		    lone == 1 ? "its" : "their", cfg->begin_marker,
		    cfg->end_marker, lone == 1 ? "it" : "them");
	else if (sections > 1)
		doctor_finding(d, DOCTOR_WARNING, "hosts-section-duplicated",
		    "%s: %zu complete sections between %s and %s: only the "
		    "first is kept by the next pass", cfg->hosts_path,
		    sections, cfg->begin_marker, cfg->end_marker);
	else if (sections == 0 && doctor_hosts_wanted(d, &why))
		doctor_finding(d, DOCTOR_ERROR, "hosts-section-missing",
		    "%s: no section between %s and %s, though %s has hosts "
		    "entries: the managed names do not resolve through the "
		    "hosts file", cfg->hosts_path, cfg->begin_marker,
		    cfg->end_marker, why);
}

void
doctor_hosts(struct doctor *d)
{
	const struct config	*cfg = d->cfg;
	struct platform_file_id	 id;
	struct dwerr		 err;
	cJSON			*o;
	char			*buf = NULL;
	size_t			 len = 0;
	bool			 exists = false;

	if ((o = cJSON_CreateObject()) == NULL) {
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "hosts", o);
	cJSON_AddStringToObject(o, "path", cfg->hosts_path);
	cJSON_AddBoolToObject(o, "managed", cfg->hosts_enabled);
	if (!cfg->hosts_enabled) {
		/* The fixed fields, for a reader that expects them. */
		cJSON_AddStringToObject(o, "section", "absent");
		cJSON_AddNumberToObject(o, "entries", 0);
		cJSON_AddNullToObject(o, "locked_by");
		return;
	}
	if (hostsfile_read(cfg->hosts_path, HOSTS_MAX_BYTES, &buf, &len,
	    &exists, &err) != 0) {
		cJSON_AddBoolToObject(o, "readable", false);
		/* Nothing read: no section seen (readable says why). */
		cJSON_AddStringToObject(o, "section", "absent");
		cJSON_AddNumberToObject(o, "entries", 0);
		cJSON_AddStringToObject(o, "error", err.msg);
		doctor_finding(d, DOCTOR_ERROR, "hosts-unreadable", "%s",
		    err.msg);
	} else {
		cJSON_AddBoolToObject(o, "readable", true);
		cJSON_AddBoolToObject(o, "exists", exists);
		cJSON_AddNumberToObject(o, "bytes", (double)len);
		doctor_hosts_section(d, o, buf, len);
	}
	free(buf);
	if (exists || platform_file_id(cfg->hosts_path, &id))
		doctor_hosts_holders(d, o, cfg->hosts_path);
	else
		cJSON_AddNullToObject(o, "locked_by");
}
