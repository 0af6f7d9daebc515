/*
 * nrpt_store: the Windows registry (see nrpt_store.h).
 *
 * Rule keys hold the values Add-DnsClientNrptRule writes: Version, Name
 * (REG_MULTI_SZ of ".namespace"), GenericDNSServers (";"-joined),
 * ConfigOptions (0x8), IPSECCARestriction (""), DisplayName ("") and
 * Comment. Every key is
 * opened in the 64-bit view.
 *
 * Decisions:
 * - An empty ownership record is written as an empty REG_MULTI_SZ rather
 *   than deleted: "owns nothing" stays distinct from "never recorded", which
 *   tunnels sharing the record key (Coder's "SOFTWARE\Coder VPN") read as
 *   "fall back to the legacy rule ID". Reading treats both as empty.
 * - A REG_MULTI_SZ ends at its first empty string or at the end of its data,
 *   whichever comes first; a last string without its terminator still
 *   counts and an odd trailing byte is ignored. A malformed Name thus reads
 *   as fewer names and gets rewritten; a malformed record loses IDs, whose
 *   keys then count as foreign and are never deleted.
 * - A value of the wrong type or size reads as absent, so the planner
 *   rewrites it (on an owned rule) or never adopts the rule (foreign).
 * - The GP table is deleted only when a delete of this store removed a key
 *   from it and it is left without subkeys and without values.
 * - Registry steps fail with the Win32 code; lack of memory with ENOMEM;
 *   a rule ID or record path that cannot be a key name with DWERR_INPUT.
 */
#include "nrpt_store.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsnotify.h"
#include "dwstr.h"
#include "winsys.h"
#include "winutf.h"

#define NRPT_WIDE(s)	L"" s
#define NRPT_KEY_CHARS	256u	/* longest key name (255) + NUL */
#define NRPT_MSG_BYTES	320u
#define NRPT_VIEW	KEY_WOW64_64KEY

struct nrpt_store {
	char	*record_key;		/* under HKLM, UTF-8 for messages */
	char	*record_value;
	wchar_t	*wrecord_key;
	wchar_t	*wrecord_value;
	bool	 gp;			/* the last read found the GP table */
	bool	 gp_dirty;		/* a GP key changed since notify */
};

/* One of the two rule tables. */
struct nrpt_table {
	const char	*path;
	const wchar_t	*wpath;
};

static const struct nrpt_table nrpt_local = {
	NRPT_LOCAL_PATH, NRPT_WIDE(NRPT_LOCAL_PATH)
};
static const struct nrpt_table nrpt_gp = {
	NRPT_GP_PATH, NRPT_WIDE(NRPT_GP_PATH)
};

/* One registry value a rule_write may set. */
struct nrpt_value_out {
	unsigned	 bit;		/* NRPT_V_* */
	const wchar_t	*name;
	const char	*uname;
	DWORD		 type;
	const BYTE	*data;
	DWORD		 len;
};

static int	 nrpt_store_nomem(struct dwerr *);
static bool	 nrpt_store_id_ok(const char *);
static char	*nrpt_reg_sz(const BYTE *);
static wchar_t	*nrpt_multi_make(char *const *, size_t, DWORD *);
static int	 nrpt_rule_read(HKEY, const struct nrpt_table *,
		    const wchar_t *, struct nrpt_rule *, bool *,
		    struct dwerr *);
static int	 nrpt_table_read(HKEY, const struct nrpt_table *,
		    struct nrpt_live *, struct dwerr *);
static void	 nrpt_rule_blank(struct nrpt_rule *);
static bool	 nrpt_names_same(const struct nrpt_rule *,
		    const struct nrpt_rule *);
static bool	 nrpt_str_same(const char *, const char *);
static void	 nrpt_rule_intersect(struct nrpt_rule *,
		    const struct nrpt_rule *);
static int	 nrpt_live_merge(struct nrpt_live *, struct nrpt_live *);
static int	 nrpt_record_read(struct nrpt_store *, struct nrpt_live *,
		    struct dwerr *);
static bool	 nrpt_gp_empty(void);
static void	 nrpt_gp_mark_found_empty(struct nrpt_store *);
static bool	 nrpt_gp_take_found_empty(struct nrpt_store *);
static int	 nrpt_table_write(const struct nrpt_table *, bool, const char *,
		    const wchar_t *, const struct nrpt_value_out *, size_t,
		    unsigned, struct dwerr *);
static int	 nrpt_table_delete(struct nrpt_store *,
		    const struct nrpt_table *, bool, const char *,
		    const wchar_t *, struct dwerr *);
static int	 nrpt_op_record_set(void *, char *const *, size_t,
		    struct dwerr *);
static int	 nrpt_op_rule_write(void *, const struct nrpt_rule *, unsigned,
		    struct dwerr *);
static int	 nrpt_op_rule_delete(void *, const char *, struct dwerr *);

static const struct nrpt_store_ops nrpt_store_callbacks = {
	nrpt_op_record_set,
	nrpt_op_rule_write,
	nrpt_op_rule_delete
};

static int
nrpt_store_nomem(struct dwerr *err)
{
	dwerr_set(err, ENOMEM, "out of memory in the NRPT registry store");
	return -1;
}

/* A rule ID must name one subkey: not empty, no path separator. */
static bool
nrpt_store_id_ok(const char *id)
{
	return id != NULL && id[0] != '\0' && strchr(id, '\\') == NULL &&
	    strlen(id) < NRPT_KEY_CHARS;
}

/* A UTF-8 copy of the string data read by winsys_reg_query, up to its first
 * NUL. NULL without memory. */
static char *
nrpt_reg_sz(const BYTE *data)
{
	return winutf_narrow((const wchar_t *)(const void *)data);
}

/* REG_MULTI_SZ data for strs (NULL and empty strings are skipped: an empty
 * one would end the list). *bytes gets the size. NULL on bad UTF-8 or no
 * memory. */
static wchar_t *
nrpt_multi_make(char *const *strs, size_t n, DWORD *bytes)
{
	wchar_t	**w, *buf = NULL, *p;
	size_t	  i, total = 1, l;

	if ((w = calloc(n > 0 ? n : 1, sizeof(*w))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strs[i] == NULL || strs[i][0] == '\0')
			continue;
		if ((w[i] = winutf_wide(strs[i])) == NULL)
			goto done;
		total += wcslen(w[i]) + 1;
	}
	if (total > MAXDWORD / sizeof(wchar_t) ||
	    (buf = malloc(total * sizeof(wchar_t))) == NULL)
		goto done;
	p = buf;
	for (i = 0; i < n; i++) {
		if (w[i] == NULL)
			continue;
		l = wcslen(w[i]) + 1;
		memcpy(p, w[i], l * sizeof(wchar_t));
		p += l;
	}
	*p = L'\0';
	*bytes = (DWORD)(total * sizeof(wchar_t));
done:
	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return buf;
}

/* Reads rule key name of table into rule. *found is false when the key
 * vanished since it was listed. */
static int
nrpt_rule_read(HKEY table, const struct nrpt_table *t, const wchar_t *name,
    struct nrpt_rule *rule, bool *found, struct dwerr *err)
{
	static const struct {
		const wchar_t	*name;
		const char	*uname;
		unsigned	 bit;
	} vals[] = {
		{ L"Name", "Name", NRPT_V_NAME },
		{ L"GenericDNSServers", "GenericDNSServers", NRPT_V_SERVERS },
		{ L"Version", "Version", NRPT_V_VERSION },
		{ L"ConfigOptions", "ConfigOptions", NRPT_V_CONFIG },
		{ L"Comment", "Comment", NRPT_V_COMMENT },
		{ L"IPSECCARestriction", "IPSECCARestriction", NRPT_V_IPSECCA },
		{ L"DisplayName", "DisplayName", NRPT_V_DISPLAY },
	};
	HKEY		 key;
	BYTE		*data;
	DWORD		 type, len;
	LONG		 rc;
	size_t		 i;
	char		 step[64], **str;
	int		 ret = -1;

	memset(rule, 0, sizeof(*rule));
	*found = false;
	if ((rule->id = winutf_narrow(name)) == NULL)
		return nrpt_store_nomem(err);
	rc = RegOpenKeyExW(table, name, 0, KEY_QUERY_VALUE | NRPT_VIEW, &key);
	if (rc == ERROR_FILE_NOT_FOUND) {
		nrpt_rule_clear(rule);
		return 0;
	}
	if (rc != ERROR_SUCCESS) {
		winsys_reg_fail(err, rc, "open", t->path, rule->id);
		nrpt_rule_clear(rule);
		return -1;
	}
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		rc = winsys_reg_query(key, vals[i].name, &type, &data, &len);
		if (rc == ERROR_FILE_NOT_FOUND)
			continue;
		if (rc == ERROR_NOT_ENOUGH_MEMORY) {
			nrpt_store_nomem(err);
			goto done;
		}
		if (rc != ERROR_SUCCESS) {
			snprintf(step, sizeof(step), "read %s from",
			    vals[i].uname);
			winsys_reg_fail(err, rc, step, t->path, rule->id);
			goto done;
		}
		str = NULL;
		switch (vals[i].bit) {
		case NRPT_V_NAME:
			if (type == REG_MULTI_SZ && winsys_reg_multi(data, len,
			    &rule->names, &rule->nnames) == -1)
				goto nomem;
			break;
		case NRPT_V_VERSION:
			if (type == REG_DWORD && len == sizeof(DWORD)) {
				memcpy(&rule->version, data, sizeof(DWORD));
				rule->has_version = true;
			}
			break;
		case NRPT_V_CONFIG:
			if (type == REG_DWORD && len == sizeof(DWORD)) {
				memcpy(&rule->config_options, data,
				    sizeof(DWORD));
				rule->has_config_options = true;
			}
			break;
		case NRPT_V_SERVERS:
			str = &rule->servers;
			break;
		case NRPT_V_COMMENT:
			str = &rule->comment;
			break;
		case NRPT_V_IPSECCA:
			str = &rule->ipsec_ca;
			break;
		case NRPT_V_DISPLAY:
			str = &rule->display;
			break;
		}
		if (str != NULL && type == REG_SZ &&
		    (*str = nrpt_reg_sz(data)) == NULL)
			goto nomem;
		free(data);
	}
	*found = true;
	ret = 0;
	goto done;
nomem:
	free(data);
	nrpt_store_nomem(err);
done:
	RegCloseKey(key);
	if (ret == -1)
		nrpt_rule_clear(rule);
	return ret;
}

/* Appends every rule key of the open table to out->rules. */
static int
nrpt_table_read(HKEY table, const struct nrpt_table *t, struct nrpt_live *out,
    struct dwerr *err)
{
	struct nrpt_rule	 rule, *p;
	wchar_t			 name[NRPT_KEY_CHARS];
	DWORD			 i, n;
	size_t			 cap = out->nrules;
	LONG			 rc;
	bool			 found;

	for (i = 0;; i++) {
		n = NRPT_KEY_CHARS;
		rc = RegEnumKeyExW(table, i, name, &n, NULL, NULL, NULL, NULL);
		if (rc == ERROR_NO_MORE_ITEMS)
			return 0;
		if (rc != ERROR_SUCCESS)
			return winsys_reg_fail(err, rc, "list the rules of",
			    t->path, NULL);
		if (nrpt_rule_read(table, t, name, &rule, &found, err) == -1)
			return -1;
		if (!found)
			continue;
		if (out->nrules == cap) {
			cap = cap > 0 ? cap * 2 : 8;
			if ((p = realloc(out->rules,
			    cap * sizeof(*p))) == NULL) {
				nrpt_rule_clear(&rule);
				return nrpt_store_nomem(err);
			}
			out->rules = p;
		}
		out->rules[out->nrules++] = rule;
	}
}

/* Frees every value of rule, keeping its ID. */
static void
nrpt_rule_blank(struct nrpt_rule *rule)
{
	char	*id = rule->id;

	rule->id = NULL;
	nrpt_rule_clear(rule);
	rule->id = id;
}

static bool
nrpt_names_same(const struct nrpt_rule *a, const struct nrpt_rule *b)
{
	size_t	 i;

	if (a->names == NULL || b->names == NULL || a->nnames != b->nnames)
		return false;
	for (i = 0; i < a->nnames; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

static bool
nrpt_str_same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Keeps in a only the values b holds identically. */
static void
nrpt_rule_intersect(struct nrpt_rule *a, const struct nrpt_rule *b)
{
	size_t	 i;

	if (!nrpt_names_same(a, b) && a->names != NULL) {
		for (i = 0; i < a->nnames; i++)
			free(a->names[i]);
		free(a->names);
		a->names = NULL;
		a->nnames = 0;
	}
	if (!nrpt_str_same(a->servers, b->servers)) {
		free(a->servers);
		a->servers = NULL;
	}
	if (!nrpt_str_same(a->comment, b->comment)) {
		free(a->comment);
		a->comment = NULL;
	}
	if (!nrpt_str_same(a->ipsec_ca, b->ipsec_ca)) {
		free(a->ipsec_ca);
		a->ipsec_ca = NULL;
	}
	if (!nrpt_str_same(a->display, b->display)) {
		free(a->display);
		a->display = NULL;
	}
	if (!b->has_version || a->version != b->version) {
		a->has_version = false;
		a->version = 0;
	}
	if (!b->has_config_options || a->config_options != b->config_options) {
		a->has_config_options = false;
		a->config_options = 0;
	}
}

/* Merges the GP rules gp into the local rules local (GP mode): a rule in
 * both keeps the values the two copies share; a rule in one table only is
 * reported without values. gp is emptied. */
static int
nrpt_live_merge(struct nrpt_live *local, struct nrpt_live *gp)
{
	struct nrpt_rule	*p;
	bool			*matched;
	size_t			 i, k;

	if ((matched = calloc(gp->nrules > 0 ? gp->nrules : 1,
	    sizeof(*matched))) == NULL)
		return -1;
	if (gp->nrules > 0) {
		if ((p = realloc(local->rules, (local->nrules + gp->nrules) *
		    sizeof(*p))) == NULL) {
			free(matched);
			return -1;
		}
		local->rules = p;
	}
	for (i = 0; i < local->nrules; i++) {
		for (k = 0; k < gp->nrules; k++)
			if (!matched[k] && dwstr_casecmp(local->rules[i].id,
			    gp->rules[k].id) == 0)
				break;
		if (k == gp->nrules) {
			nrpt_rule_blank(&local->rules[i]);
			continue;
		}
		matched[k] = true;
		nrpt_rule_intersect(&local->rules[i], &gp->rules[k]);
	}
	for (k = 0; k < gp->nrules; k++) {
		if (matched[k])
			continue;
		nrpt_rule_blank(&gp->rules[k]);
		local->rules[local->nrules++] = gp->rules[k];
		memset(&gp->rules[k], 0, sizeof(gp->rules[k]));
	}
	free(matched);
	nrpt_live_clear(gp);
	return 0;
}

/* Reads the ownership record into live->owned; absent means empty. */
static int
nrpt_record_read(struct nrpt_store *st, struct nrpt_live *live,
    struct dwerr *err)
{
	HKEY	 key;
	BYTE	*data;
	DWORD	 type, len;
	LONG	 rc;
	char	 step[NRPT_MSG_BYTES];
	int	 ret = 0;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, st->wrecord_key, 0,
	    KEY_QUERY_VALUE | NRPT_VIEW, &key);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, "open", st->record_key, NULL);
	rc = winsys_reg_query(key, st->wrecord_value, &type, &data, &len);
	RegCloseKey(key);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc == ERROR_NOT_ENOUGH_MEMORY)
		return nrpt_store_nomem(err);
	if (rc != ERROR_SUCCESS) {
		snprintf(step, sizeof(step), "read %s from", st->record_value);
		return winsys_reg_fail(err, rc, step, st->record_key, NULL);
	}
	/* Another type is not a record this store wrote: read as empty, and
	 * the next record_set replaces it. */
	if (type == REG_MULTI_SZ &&
	    winsys_reg_multi(data, len, &live->owned, &live->nowned) == -1)
		ret = nrpt_store_nomem(err);
	free(data);
	return ret;
}

int
nrpt_store_open(const char *record_key, const char *record_value,
    struct nrpt_store **out, struct dwerr *err)
{
	struct nrpt_store	*st;

	*out = NULL;
	if (record_key == NULL)
		record_key = NRPT_RECORD_KEY_DEFAULT;
	if (record_value == NULL)
		record_value = NRPT_RECORD_VALUE_DEFAULT;
	if (record_key[0] == '\0' || record_key[0] == '\\') {
		dwerr_set(err, DWERR_INPUT, "NRPT ownership key \"%s\" is not "
		    "a path under HKLM", record_key);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return nrpt_store_nomem(err);
	if ((st->record_key = dwstr_dup(record_key)) == NULL ||
	    (st->record_value = dwstr_dup(record_value)) == NULL) {
		nrpt_store_free(st);
		return nrpt_store_nomem(err);
	}
	if ((st->wrecord_key = winutf_wide(record_key)) == NULL ||
	    (st->wrecord_value = winutf_wide(record_value)) == NULL) {
		nrpt_store_free(st);
		dwerr_set(err, DWERR_INPUT, "NRPT ownership key \"%s\" or "
		    "value \"%s\" is not valid UTF-8", record_key,
		    record_value);
		return -1;
	}
	*out = st;
	return 0;
}

void
nrpt_store_free(struct nrpt_store *st)
{
	if (st == NULL)
		return;
	free(st->record_key);
	free(st->record_value);
	free(st->wrecord_key);
	free(st->wrecord_value);
	free(st);
}

int
nrpt_store_read(struct nrpt_store *st, struct nrpt_live *live,
    struct dwerr *err)
{
	struct nrpt_live	 got, gp;
	HKEY			 gpkey = NULL, local;
	LONG			 rc;
	bool			 gp_mode;

	/* live is filled afresh (the caller cleared any earlier read). */
	memset(live, 0, sizeof(*live));
	memset(&got, 0, sizeof(got));
	memset(&gp, 0, sizeof(gp));

	/* dnsapi uses the GP table whenever it can be opened. */
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, nrpt_gp.wpath, 0,
	    KEY_READ | NRPT_VIEW, &gpkey);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return winsys_reg_fail(err, rc, "open", nrpt_gp.path, NULL);
	gp_mode = rc == ERROR_SUCCESS;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, nrpt_local.wpath, 0,
	    KEY_READ | NRPT_VIEW, &local);
	if (rc == ERROR_SUCCESS) {
		rc = nrpt_table_read(local, &nrpt_local, &got, err);
		RegCloseKey(local);
		if (rc == -1)
			goto fail;
	} else if (rc != ERROR_FILE_NOT_FOUND) {
		winsys_reg_fail(err, rc, "open", nrpt_local.path, NULL);
		goto fail;
	}
	if (gp_mode) {
		rc = nrpt_table_read(gpkey, &nrpt_gp, &gp, err);
		RegCloseKey(gpkey);
		gpkey = NULL;
		if (rc == -1)
			goto fail;
		if (nrpt_live_merge(&got, &gp) == -1) {
			nrpt_store_nomem(err);
			goto fail;
		}
	}
	if (nrpt_record_read(st, &got, err) == -1)
		goto fail;
	st->gp = gp_mode;
	*live = got;
	return 0;
fail:
	if (gpkey != NULL)
		RegCloseKey(gpkey);
	nrpt_live_clear(&gp);
	nrpt_live_clear(&got);
	return -1;
}

bool
nrpt_store_gp(const struct nrpt_store *st)
{
	return st != NULL && st->gp;
}

const struct nrpt_store_ops *
nrpt_store_ops(void)
{
	return &nrpt_store_callbacks;
}

static int
nrpt_op_record_set(void *ctx, char *const *ids, size_t nids, struct dwerr *err)
{
	struct nrpt_store	*st = ctx;
	HKEY			 key;
	wchar_t			*data;
	DWORD			 len;
	LONG			 rc;
	char			 step[NRPT_MSG_BYTES];

	if ((data = nrpt_multi_make(ids, nids, &len)) == NULL) {
		dwerr_set(err, DWERR_INPUT, "cannot encode the NRPT ownership "
		    "record (bad UTF-8 or no memory)");
		return -1;
	}
	rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, st->wrecord_key, 0, NULL,
	    REG_OPTION_NON_VOLATILE, KEY_SET_VALUE | NRPT_VIEW, NULL, &key,
	    NULL);
	if (rc != ERROR_SUCCESS) {
		free(data);
		return winsys_reg_fail(err, rc, "create", st->record_key, NULL);
	}
	rc = RegSetValueExW(key, st->wrecord_value, 0, REG_MULTI_SZ,
	    (const BYTE *)data, len);
	RegCloseKey(key);
	free(data);
	if (rc != ERROR_SUCCESS) {
		snprintf(step, sizeof(step), "write %s to", st->record_value);
		return winsys_reg_fail(err, rc, step, st->record_key, NULL);
	}
	return 0;
}

/* Writes the selected values to rule key wid of table t. The local table is
 * created when missing; a GP table is never created, and one that vanished
 * since the read is skipped (Windows then reads the local copy). */
static int
nrpt_table_write(const struct nrpt_table *t, bool gp, const char *id,
    const wchar_t *wid, const struct nrpt_value_out *vals, size_t nvals,
    unsigned values, struct dwerr *err)
{
	HKEY	 table, key;
	LONG	 rc;
	size_t	 i;
	char	 step[64];

	if (gp)
		rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, t->wpath, 0,
		    KEY_CREATE_SUB_KEY | NRPT_VIEW, &table);
	else
		rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, t->wpath, 0, NULL,
		    REG_OPTION_NON_VOLATILE, KEY_CREATE_SUB_KEY | NRPT_VIEW,
		    NULL, &table, NULL);
	if (gp && rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, gp ? "open" : "create", t->path,
		    NULL);
	rc = RegCreateKeyExW(table, wid, 0, NULL, REG_OPTION_NON_VOLATILE,
	    KEY_SET_VALUE | NRPT_VIEW, NULL, &key, NULL);
	RegCloseKey(table);
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, "create", t->path, id);
	for (i = 0; i < nvals; i++) {
		if ((values & vals[i].bit) == 0)
			continue;
		rc = RegSetValueExW(key, vals[i].name, 0, vals[i].type,
		    vals[i].data, vals[i].len);
		if (rc != ERROR_SUCCESS) {
			RegCloseKey(key);
			snprintf(step, sizeof(step), "write %s to",
			    vals[i].uname);
			return winsys_reg_fail(err, rc, step, t->path, id);
		}
	}
	RegCloseKey(key);
	return 0;
}

static int
nrpt_op_rule_write(void *ctx, const struct nrpt_rule *rule, unsigned values,
    struct dwerr *err)
{
	struct nrpt_store	*st = ctx;
	struct nrpt_value_out	 vals[7];
	wchar_t			*wid = NULL, *names = NULL, *servers = NULL;
	wchar_t			*comment = NULL, *ipsec = NULL, *display = NULL;
	DWORD			 version, config, nameslen = 0;
	int			 ret = -1;

	if (!nrpt_store_id_ok(rule->id)) {
		dwerr_set(err, DWERR_INPUT, "NRPT rule ID \"%s\" is not a key "
		    "name", rule->id != NULL ? rule->id : "");
		return -1;
	}
	if ((wid = winutf_wide(rule->id)) == NULL ||
	    (names = nrpt_multi_make(rule->names, rule->names != NULL ?
	    rule->nnames : 0, &nameslen)) == NULL ||
	    (servers = winutf_wide(rule->servers != NULL ?
	    rule->servers : "")) == NULL ||
	    (comment = winutf_wide(rule->comment != NULL ?
	    rule->comment : "")) == NULL ||
	    (ipsec = winutf_wide(rule->ipsec_ca != NULL ?
	    rule->ipsec_ca : "")) == NULL ||
	    (display = winutf_wide(rule->display != NULL ?
	    rule->display : "")) == NULL) {
		dwerr_set(err, DWERR_INPUT, "cannot encode NRPT rule %s (bad "
		    "UTF-8 or no memory)", rule->id);
		goto done;
	}
	version = rule->has_version ? rule->version : NRPT_RULE_VERSION;
	config = rule->has_config_options ? rule->config_options :
	    NRPT_CONFIG_GENERIC_DNS;

	/* ConfigOptions last: the key says "use these servers" only once
	 * they are there. */
	vals[0] = (struct nrpt_value_out){ NRPT_V_VERSION, L"Version",
	    "Version", REG_DWORD, (const BYTE *)&version, sizeof(version) };
	vals[1] = (struct nrpt_value_out){ NRPT_V_NAME, L"Name", "Name",
	    REG_MULTI_SZ, (const BYTE *)names, nameslen };
	vals[2] = (struct nrpt_value_out){ NRPT_V_SERVERS,
	    L"GenericDNSServers", "GenericDNSServers", REG_SZ,
	    (const BYTE *)servers,
	    (DWORD)((wcslen(servers) + 1) * sizeof(wchar_t)) };
	vals[3] = (struct nrpt_value_out){ NRPT_V_IPSECCA,
	    L"IPSECCARestriction", "IPSECCARestriction", REG_SZ,
	    (const BYTE *)ipsec,
	    (DWORD)((wcslen(ipsec) + 1) * sizeof(wchar_t)) };
	vals[4] = (struct nrpt_value_out){ NRPT_V_COMMENT, L"Comment",
	    "Comment", REG_SZ, (const BYTE *)comment,
	    (DWORD)((wcslen(comment) + 1) * sizeof(wchar_t)) };
	vals[5] = (struct nrpt_value_out){ NRPT_V_DISPLAY, L"DisplayName",
	    "DisplayName", REG_SZ, (const BYTE *)display,
	    (DWORD)((wcslen(display) + 1) * sizeof(wchar_t)) };
	vals[6] = (struct nrpt_value_out){ NRPT_V_CONFIG, L"ConfigOptions",
	    "ConfigOptions", REG_DWORD, (const BYTE *)&config, sizeof(config) };

	if (nrpt_table_write(&nrpt_local, false, rule->id, wid, vals, 7,
	    values, err) == -1)
		goto done;
	if (st->gp) {
		st->gp_dirty = true;
		if (nrpt_gp_empty())
			nrpt_gp_mark_found_empty(st);
		if (nrpt_table_write(&nrpt_gp, true, rule->id, wid, vals, 7,
		    values, err) == -1)
			goto done;
	}
	ret = 0;
done:
	free(wid);
	free(names);
	free(servers);
	free(comment);
	free(ipsec);
	free(display);
	return ret;
}

#define NRPT_GP_FOUND_EMPTY	L"GPTableFoundEmpty"	/* in the record key */

/* True when the GP table exists and holds no rule and no value. */
static bool
nrpt_gp_empty(void)
{
	HKEY	 k;
	DWORD	 nsub = 1, nval = 1;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, nrpt_gp.wpath, 0,
	    KEY_READ | NRPT_VIEW, &k) != ERROR_SUCCESS)
		return false;
	RegQueryInfoKeyW(k, NULL, NULL, NULL, &nsub, NULL, NULL, &nval, NULL,
	    NULL, NULL, NULL);
	RegCloseKey(k);
	return nsub == 0 && nval == 0;
}

/* Remembers (in the record key) that the GP table was empty before our
 * first rule went in, so that emptying it again never deletes a table we
 * did not make empty. Best effort: without the mark, the table goes when
 * we empty it, as before. */
static void
nrpt_gp_mark_found_empty(struct nrpt_store *st)
{
	HKEY	 k;
	DWORD	 one = 1;

	if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, st->wrecord_key, 0, NULL,
	    REG_OPTION_NON_VOLATILE, KEY_SET_VALUE | NRPT_VIEW, NULL, &k,
	    NULL) != ERROR_SUCCESS)
		return;
	RegSetValueExW(k, NRPT_GP_FOUND_EMPTY, 0, REG_DWORD,
	    (const BYTE *)&one, sizeof(one));
	RegCloseKey(k);
}

/* Reads and clears that mark. */
static bool
nrpt_gp_take_found_empty(struct nrpt_store *st)
{
	HKEY	 k;
	DWORD	 v = 0, size = sizeof(v), type = 0;
	bool	 set;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, st->wrecord_key, 0,
	    KEY_QUERY_VALUE | KEY_SET_VALUE | NRPT_VIEW, &k) != ERROR_SUCCESS)
		return false;
	set = RegQueryValueExW(k, NRPT_GP_FOUND_EMPTY, NULL, &type,
	    (BYTE *)&v, &size) == ERROR_SUCCESS && type == REG_DWORD && v == 1;
	if (set)
		RegDeleteValueW(k, NRPT_GP_FOUND_EMPTY);
	RegCloseKey(k);
	return set;
}

/* Deletes rule key wid from table t; a missing key or table is no error.
 * In the GP table, a delete that leaves the table without subkeys and
 * values also deletes the table: Windows would otherwise keep ignoring
 * every local rule. */
static int
nrpt_table_delete(struct nrpt_store *st, const struct nrpt_table *t, bool gp,
    const char *id, const wchar_t *wid, struct dwerr *err)
{
	HKEY	 table;
	DWORD	 nsub = 0, nval = 0;
	LONG	 rc;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, t->wpath, 0,
	    KEY_READ | DELETE | KEY_SET_VALUE | NRPT_VIEW, &table);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, "open", t->path, NULL);
	rc = RegDeleteTreeW(table, wid);
	if (rc == ERROR_FILE_NOT_FOUND) {
		RegCloseKey(table);
		return 0;
	}
	if (rc != ERROR_SUCCESS) {
		RegCloseKey(table);
		return winsys_reg_fail(err, rc, "delete", t->path, id);
	}
	if (!gp) {
		RegCloseKey(table);
		return 0;
	}
	st->gp_dirty = true;
	rc = RegQueryInfoKeyW(table, NULL, NULL, NULL, &nsub, NULL, NULL,
	    &nval, NULL, NULL, NULL, NULL);
	if (rc != ERROR_SUCCESS) {
		RegCloseKey(table);
		return winsys_reg_fail(err, rc, "inspect", t->path, NULL);
	}
	if (nsub > 0 || nval > 0) {
		RegCloseKey(table);
		return 0;
	}
	if (nrpt_gp_take_found_empty(st)) {
		/* It was empty when we first wrote into it (a GPO's own empty
		 * table): empty again is how we found it, so it stays. */
		RegCloseKey(table);
		return 0;
	}
	rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, t->wpath, NRPT_VIEW, 0);
	/* Windows refuses to delete a key that gained a subkey meanwhile:
	 * then it is no longer empty, and stays. */
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND &&
	    RegQueryInfoKeyW(table, NULL, NULL, NULL, &nsub, NULL, NULL,
	    &nval, NULL, NULL, NULL, NULL) == ERROR_SUCCESS &&
	    (nsub > 0 || nval > 0))
		rc = ERROR_SUCCESS;
	RegCloseKey(table);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return winsys_reg_fail(err, rc, "delete the emptied", t->path,
		    NULL);
	return 0;
}

static int
nrpt_op_rule_delete(void *ctx, const char *id, struct dwerr *err)
{
	struct nrpt_store	*st = ctx;
	wchar_t			*wid;
	int			 ret = -1;

	if (!nrpt_store_id_ok(id)) {
		dwerr_set(err, DWERR_INPUT, "NRPT rule ID \"%s\" is not a key "
		    "name", id != NULL ? id : "");
		return -1;
	}
	if ((wid = winutf_wide(id)) == NULL) {
		dwerr_set(err, DWERR_INPUT, "NRPT rule ID \"%s\" is not valid "
		    "UTF-8", id);
		return -1;
	}
	if (nrpt_table_delete(st, &nrpt_local, false, id, wid, err) == -1)
		goto done;
	if (st->gp && nrpt_table_delete(st, &nrpt_gp, true, id, wid,
	    err) == -1)
		goto done;
	ret = 0;
done:
	free(wid);
	return ret;
}

int
nrpt_store_notify(struct nrpt_store *st, struct dwerr *err)
{
	bool	 gp = st != NULL && (st->gp || st->gp_dirty);

	if (st != NULL)
		st->gp_dirty = false;
	return dnsnotify_nrpt(gp, err);
}
