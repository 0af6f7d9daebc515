/*
 * doctor: the support bundle (see doctor.h).
 *
 * Everything is read first, the archive is built in memory (policy/
 * archive.h: a stored ZIP, or a tar in stored gzip), and the file is
 * written atomically at the end. What could not be read is said in
 * README.txt, never fatal. The members are fixed: the report, the config
 * and the desired state (or the learned state, in follow mode) as read,
 * the last DOCTOR_BUNDLE_EVENTS lines of the trace, the report's NRPT
 * part, the hosts file and the report's adapter list; nothing else.
 */
#include "doctor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "hosts.h"
#include "hostsfile.h"
#include "platform.h"

#define DOCTOR_BUNDLE_MAX_BYTES	(256u << 20)	/* an existing bundle */
#define DOCTOR_BUNDLE_TRACE_SLACK (1u << 20)	/* a line past the cap */
#define DOCTOR_BUNDLE_ROTATED	".1"
#define DOCTOR_BUNDLE_MEMBERS	8u
#define DOCTOR_BUNDLE_NOTE_BYTES 512u
#define DOCTOR_BUNDLE_README_BYTES 8192u

/* One member: its bytes (owned, malloc'd) or why there are none. */
struct doctor_member {
	const char	*name;
	const char	*what;
	char		*data;
	size_t		 len;
	char		 note[DOCTOR_BUNDLE_NOTE_BYTES];
};

struct doctor_pack {
	struct doctor_member	 m[DOCTOR_BUNDLE_MEMBERS];
	size_t			 n;
};

static struct doctor_member *
doctor_bundle_member(struct doctor_pack *p, const char *name,
    const char *what)
{
	struct doctor_member	*m = &p->m[p->n++];

	m->name = name;
	m->what = what;
	return m;
}

/* A whole file, or a note saying why not. */
static void
doctor_bundle_file(struct doctor_member *m, const char *path, size_t max)
{
	struct dwerr	 err;

	if (path == NULL) {
		snprintf(m->note, sizeof(m->note), "none: no file is named");
		return;
	}
	if (platform_read_file(path, max, &m->data, &m->len, &err) != 0) {
		m->data = NULL;
		snprintf(m->note, sizeof(m->note), "not read: %.400s", err.msg);
	}
}

/* Part of the report, formatted. */
static void
doctor_bundle_json(struct doctor_member *m, const cJSON *report,
    const char *key)
{
	const cJSON	*it = key == NULL ? report :
			    cJSON_GetObjectItemCaseSensitive(report, key);

	if (it == NULL) {
		snprintf(m->note, sizeof(m->note), "none: the report has no "
		    "\"%s\"", key);
		return;
	}
	if ((m->data = cJSON_Print(it)) == NULL) {
		snprintf(m->note, sizeof(m->note), "not written: out of "
		    "memory");
		return;
	}
	m->len = strlen(m->data);
}

/* Where the last want complete lines of buf[0, len) begin; *have gets
 * how many there are (fewer when the file holds fewer). A last line
 * without its newline is being written: it is left out. */
static size_t
doctor_bundle_tail(const char *buf, size_t *len, size_t want, size_t *have)
{
	size_t	 end = *len, i;

	while (end > 0 && buf[end - 1] != '\n')
		end--;
	*len = end;
	*have = 0;
	if (want == 0)
		return end;
	for (i = end; i > 0; i--)
		if (buf[i - 1] == '\n' && i != end && ++*have == want)
			return i;
	if (end > 0)
		(*have)++;
	return 0;
}

/* The trace's last DOCTOR_BUNDLE_EVENTS lines: the current file's, and
 * the rotated file's before them when the current one has fewer. */
static void
doctor_bundle_trace(struct doctor_member *m, const struct config *cfg)
{
	struct dwerr	 err;
	char		*cur = NULL, *old = NULL, *rot;
	size_t		 max, clen = 0, olen = 0, cstart, ostart = 0;
	size_t		 chave = 0, ohave = 0, n;

	if (cfg->trace_jsonl == NULL) {
		snprintf(m->note, sizeof(m->note), "none: the config traces "
		    "to no file (trace.jsonl)");
		return;
	}
	max = (size_t)cfg->trace_max_bytes + DOCTOR_BUNDLE_TRACE_SLACK;
	if (platform_read_file(cfg->trace_jsonl, max, &cur, &clen,
	    &err) != 0) {
		cur = NULL;
		clen = 0;
		snprintf(m->note, sizeof(m->note), "%s: not read: %.300s",
		    cfg->trace_jsonl, err.msg);
	}
	cstart = doctor_bundle_tail(cur != NULL ? cur : "", &clen,
	    DOCTOR_BUNDLE_EVENTS, &chave);
	n = strlen(cfg->trace_jsonl);
	if (chave < DOCTOR_BUNDLE_EVENTS &&
	    (rot = malloc(n + sizeof(DOCTOR_BUNDLE_ROTATED))) != NULL) {
		memcpy(rot, cfg->trace_jsonl, n);
		memcpy(rot + n, DOCTOR_BUNDLE_ROTATED,
		    sizeof(DOCTOR_BUNDLE_ROTATED));
		if (platform_read_file(rot, max, &old, &olen, &err) != 0) {
			old = NULL;
			olen = 0;
		} else
			ostart = doctor_bundle_tail(old, &olen,
			    DOCTOR_BUNDLE_EVENTS - chave, &ohave);
		free(rot);
	}
	if (cur == NULL && old == NULL)
		return;
	n = (olen - ostart) + (clen - cstart);
	if ((m->data = malloc(n + 1)) == NULL) {
		snprintf(m->note, sizeof(m->note), "not written: out of "
		    "memory");
	} else {
		if (old != NULL)
			memcpy(m->data, old + ostart, olen - ostart);
		if (cur != NULL)
			memcpy(m->data + (olen - ostart), cur + cstart,
			    clen - cstart);
		m->data[n] = '\0';
		m->len = n;
		snprintf(m->note + strlen(m->note), sizeof(m->note) -
		    strlen(m->note), "%s%zu events (%zu from %s"
		    DOCTOR_BUNDLE_ROTATED ")", m->note[0] != '\0' ? "; " : "",
		    chave + ohave, ohave, cfg->trace_jsonl);
	}
	free(cur);
	free(old);
}

/* The hosts file as read (a missing one is said so). */
static void
doctor_bundle_hosts(struct doctor_member *m, const struct config *cfg)
{
	struct dwerr	 err;
	bool		 exists;

	if (hostsfile_read(cfg->hosts_path, HOSTS_MAX_BYTES, &m->data,
	    &m->len, &exists, &err) != 0) {
		m->data = NULL;
		m->len = 0;
		snprintf(m->note, sizeof(m->note), "not read: %.400s", err.msg);
	} else if (!exists) {
		free(m->data);
		m->data = NULL;
		m->len = 0;
		snprintf(m->note, sizeof(m->note), "none: %s does not exist",
		    cfg->hosts_path);
	}
}

/* README.txt: what is in the bundle, and what is not. */
static char *
doctor_bundle_readme(const struct doctor_pack *p, const cJSON *report,
    int64_t now_s, size_t *len)
{
	const cJSON	*ver = cJSON_GetObjectItemCaseSensitive(report,
			    "version");
	char		*s, when[32] = "unknown";
	time_t		 t = (time_t)now_s;
	struct tm	*tm;
	size_t		 off = 0, i;
	int		 r;

	if ((s = malloc(DOCTOR_BUNDLE_README_BYTES)) == NULL)
		return NULL;
	if ((tm = gmtime(&t)) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", tm);
	r = snprintf(s, DOCTOR_BUNDLE_README_BYTES,
	    "dnswatchdog support bundle\n"
	    "written %s by dnswatchdog %s (doctor --bundle)\n"
	    "\n"
	    "What was read, as it was; nothing else is in this bundle.\n"
	    "\n", when, cJSON_IsString(ver) ? ver->valuestring : "unknown");
	off = r > 0 ? (size_t)r : 0;
	for (i = 0; i < p->n && off < DOCTOR_BUNDLE_README_BYTES; i++) {
		const struct doctor_member *m = &p->m[i];

		r = snprintf(s + off, DOCTOR_BUNDLE_README_BYTES - off,
		    "%-14s %s%s%s\n", m->data != NULL ? m->name : "(missing)",
		    m->what, m->note[0] != '\0' ? ": " : "", m->note);
		if (r > 0)
			off += (size_t)r;
	}
	if (off >= DOCTOR_BUNDLE_README_BYTES)
		off = DOCTOR_BUNDLE_README_BYTES - 1;
	*len = off;
	return s;
}

/* A file already at path may be replaced only by a bundle of its kind. */
static int
doctor_bundle_check_old(const char *path, enum archive_kind kind,
    struct dwerr *err)
{
	struct platform_file_id	 id;
	char			*old;
	size_t			 len;
	bool			 same;

	if (!platform_file_id(path, &id))
		return 0;
	if (platform_read_file(path, DOCTOR_BUNDLE_MAX_BYTES, &old, &len,
	    err) != 0) {
		dwerr_prefix(err, "will not replace it with a support bundle: ");
		return -1;
	}
	if (kind == ARCHIVE_ZIP)
		same = len >= 4 && memcmp(old, "PK", 2) == 0 &&
		    ((old[2] == 3 && old[3] == 4) ||
		    (old[2] == 5 && old[3] == 6));
	else
		same = len >= 2 && (unsigned char)old[0] == 0x1f &&
		    (unsigned char)old[1] == 0x8b;
	free(old);
	if (!same) {
		dwerr_set(err, EEXIST, "%s: exists and is not a %s: it is "
		    "not replaced by a support bundle; move it away or name "
		    "another file", path, kind == ARCHIVE_ZIP ? "ZIP file" :
		    "gzip file");
		return -1;
	}
	return 0;
}

int
doctor_bundle(const struct config *cfg, const cJSON *report,
    const char *path, struct dwerr *err)
{
	struct doctor_pack	 p;
	struct archive		*a = NULL;
	enum archive_kind	 kind;
	uint8_t			*out = NULL;
	size_t			 outlen = 0, i, rlen;
	int64_t			 now = (int64_t)(platform_wall_us() / 1000000u);
	char			*readme = NULL;
	int			 rc = -1;

	if (archive_kind_of(path, &kind, err) != 0)
		return -1;
	if (doctor_bundle_check_old(path, kind, err) != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	doctor_bundle_json(doctor_bundle_member(&p, "doctor.json",
	    "the doctor report (doctor --json)"), report, NULL);
	doctor_bundle_file(doctor_bundle_member(&p, "config.json",
	    "the config file"), cfg->path, CONFIG_MAX_BYTES);
	if (cfg->path == NULL)
		snprintf(p.m[p.n - 1].note, sizeof(p.m[p.n - 1].note),
		    "none: the built-in defaults were used");
	if (cfg->follow_enabled)
		doctor_bundle_file(doctor_bundle_member(&p, "desired.json",
		    "the state learned in follow mode"), cfg->follow_state,
		    FOLLOW_STATE_MAX_BYTES);
	else
		doctor_bundle_file(doctor_bundle_member(&p, "desired.json",
		    "the desired-state file"), cfg->desired_state,
		    DESIRED_MAX_BYTES);
	doctor_bundle_trace(doctor_bundle_member(&p, "trace.jsonl",
	    "the last trace events"), cfg);
	doctor_bundle_json(doctor_bundle_member(&p, "nrpt.json",
	    "the NRPT tables as read"), report, "nrpt");
	doctor_bundle_hosts(doctor_bundle_member(&p, "hosts",
	    "the hosts file"), cfg);
	doctor_bundle_json(doctor_bundle_member(&p, "adapters.json",
	    "the network adapters"), report, "adapters");
	if ((readme = doctor_bundle_readme(&p, report, now, &rlen)) == NULL ||
	    (a = archive_new(kind, now)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (archive_add(a, "README.txt", readme, rlen, err) != 0)
		goto out;
	for (i = 0; i < p.n; i++)
		if (p.m[i].data != NULL && archive_add(a, p.m[i].name,
		    p.m[i].data, p.m[i].len, err) != 0)
			goto out;
	if (archive_finish(a, &out, &outlen, err) != 0)
		goto out;
	rc = platform_write_file_atomic(path, out, outlen, err);
out:
	if (rc != 0)
		dwerr_prefix(err, "support bundle %s: ", path);
	for (i = 0; i < p.n; i++)
		free(p.m[i].data);
	free(readme);
	free(out);
	archive_free(a);
	return rc;
}
