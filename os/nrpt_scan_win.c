/*
 * nrpt_scan: the Windows registry, read only (see nrpt_scan.h).
 *
 * Decisions:
 * - Every key is opened in the 64-bit view with read access only.
 * - A REG_MULTI_SZ ends at its first empty string or at the end of its
 *   data, as in nrpt_store_win.c.
 * - A rule value of the wrong type is reported in the rule's raw bits and
 *   read as absent; a rule key that vanished while the table was listed
 *   is left out.
 * - An ID list of the wrong type reads as empty: it is no list the product
 *   wrote.
 * - Registry steps fail with the Win32 code; lack of memory with ENOMEM.
 */
#include "nrpt_scan.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrpt_store.h"
#include "winsys.h"
#include "winutf.h"

#define SCAN_WIDE(s)	L"" s
#define SCAN_KEY_CHARS	256u	/* longest key name (255) + NUL */
#define SCAN_MSG_BYTES	320u
#define SCAN_VIEW	(KEY_READ | KEY_WOW64_64KEY)

static int	 scan_nomem(struct dwerr *);
static int	 scan_rule(HKEY, const char *, const wchar_t *,
		    enum nrptcheck_table, struct nrptcheck_rule *, bool *,
		    struct dwerr *);
static void	 scan_rule_free(struct nrptcheck_rule *);
static int	 scan_table(const char *, enum nrptcheck_table,
		    struct nrptcheck_scan *, bool *, size_t *, struct dwerr *);
static int	 scan_list(const char *, const char *, char ***, size_t *,
		    struct dwerr *);

static int
scan_nomem(struct dwerr *err)
{
	dwerr_set(err, ENOMEM, "out of memory reading the NRPT tables");
	return -1;
}

/* Reads rule key name of the open table (at path) into r. *found is
 * false when the key vanished since it was listed. */
static int
scan_rule(HKEY table, const char *path, const wchar_t *name,
    enum nrptcheck_table which, struct nrptcheck_rule *r, bool *found,
    struct dwerr *err)
{
	static const wchar_t *const vals[] = { L"Name", L"GenericDNSServers",
	    L"Comment", L"DisplayName", L"ConfigOptions" };
	static const char *const uvals[] = { "Name", "GenericDNSServers",
	    "Comment", "DisplayName", "ConfigOptions" };
	HKEY		 key;
	BYTE		*data;
	DWORD		 type, len;
	LONG		 rc;
	size_t		 i;
	char		 step[64], **str;
	int		 ret = -1;

	memset(r, 0, sizeof(*r));
	r->table = which;
	*found = false;
	if ((r->id = winutf_narrow(name)) == NULL)
		return scan_nomem(err);
	rc = RegOpenKeyExW(table, name, 0, SCAN_VIEW, &key);
	if (rc == ERROR_FILE_NOT_FOUND) {
		free(r->id);
		r->id = NULL;
		return 0;
	}
	if (rc != ERROR_SUCCESS) {
		winsys_reg_fail(err, rc, "open", path, r->id);
		free(r->id);
		r->id = NULL;
		return -1;
	}
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		rc = winsys_reg_query(key, vals[i], &type, &data, &len);
		if (rc == ERROR_FILE_NOT_FOUND) {
			if (i == 0)
				r->raw |= NRPTCHECK_RAW_NAME_MISSING;
			else if (i == 1)
				r->raw |= NRPTCHECK_RAW_SERVERS_MISSING;
			continue;
		}
		if (rc == ERROR_NOT_ENOUGH_MEMORY) {
			scan_nomem(err);
			goto done;
		}
		if (rc != ERROR_SUCCESS) {
			snprintf(step, sizeof(step), "read %s from", uvals[i]);
			winsys_reg_fail(err, rc, step, path, r->id);
			goto done;
		}
		str = NULL;
		switch (i) {
		case 0:
			if (type != REG_MULTI_SZ)
				r->raw |= NRPTCHECK_RAW_NAME_TYPE;
			else if (winsys_reg_multi(data, len, &r->names,
			    &r->nnames) == -1)
				goto nomem;
			break;
		case 1:
			if (type != REG_SZ && type != REG_EXPAND_SZ)
				r->raw |= NRPTCHECK_RAW_SERVERS_TYPE;
			else
				str = &r->servers;
			break;
		case 2:
			str = type == REG_SZ ? &r->comment : NULL;
			break;
		case 3:
			str = type == REG_SZ ? &r->display : NULL;
			break;
		case 4:
			if (type != REG_DWORD || len != sizeof(DWORD))
				r->raw |= NRPTCHECK_RAW_CONFIG_TYPE;
			else {
				memcpy(&r->config_options, data, sizeof(DWORD));
				r->has_config_options = true;
			}
			break;
		}
		if (str != NULL && (*str = winutf_narrow((const wchar_t *)
		    (const void *)data)) == NULL)
			goto nomem;
		free(data);
	}
	*found = true;
	ret = 0;
	goto done;
nomem:
	free(data);
	scan_nomem(err);
done:
	RegCloseKey(key);
	if (ret == -1)
		scan_rule_free(r);
	return ret;
}

static void
scan_rule_free(struct nrptcheck_rule *r)
{
	free(r->id);
	nrptcheck_strings_free(r->names, r->nnames);
	free(r->servers);
	free(r->comment);
	free(r->display);
	memset(r, 0, sizeof(*r));
}

/* Appends every rule key of the table at path to s->rules. *exists is
 * false when the table is not there; *nkeys gets how many rule keys it
 * holds. */
static int
scan_table(const char *path, enum nrptcheck_table which,
    struct nrptcheck_scan *s, bool *exists, size_t *nkeys, struct dwerr *err)
{
	struct nrptcheck_rule	 r, *p;
	wchar_t			 name[SCAN_KEY_CHARS], *wpath;
	DWORD			 i, n;
	size_t			 cap = s->nrules;
	HKEY			 table;
	LONG			 rc;
	bool			 found;
	int			 ret = -1;

	*nkeys = 0;
	*exists = false;
	if ((wpath = winutf_wide(path)) == NULL)
		return scan_nomem(err);
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, wpath, 0, SCAN_VIEW, &table);
	free(wpath);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	*exists = true;
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, "open", path, NULL);
	for (i = 0;; i++) {
		n = SCAN_KEY_CHARS;
		rc = RegEnumKeyExW(table, i, name, &n, NULL, NULL, NULL, NULL);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS) {
			winsys_reg_fail(err, rc, "list the rules of", path, NULL);
			goto done;
		}
		if (scan_rule(table, path, name, which, &r, &found, err) == -1)
			goto done;
		if (!found)
			continue;
		if (s->nrules == cap) {
			cap = cap > 0 ? cap * 2 : 8;
			if ((p = realloc(s->rules, cap * sizeof(*p))) == NULL) {
				scan_rule_free(&r);
				scan_nomem(err);
				goto done;
			}
			s->rules = p;
		}
		s->rules[s->nrules++] = r;
		(*nkeys)++;
	}
	ret = 0;
done:
	RegCloseKey(table);
	return ret;
}

/* Appends the IDs of the REG_MULTI_SZ value at HKLM\key to *ids. */
static int
scan_list(const char *key, const char *value, char ***ids, size_t *nids,
    struct dwerr *err)
{
	HKEY		 k;
	BYTE		*data;
	DWORD		 type, len;
	LONG		 rc;
	wchar_t		*wkey, *wvalue;
	char		**v, **p, step[SCAN_MSG_BYTES];
	size_t		  n, i;

	if ((wkey = winutf_wide(key)) == NULL)
		return scan_nomem(err);
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, wkey, 0, SCAN_VIEW, &k);
	free(wkey);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS)
		return winsys_reg_fail(err, rc, "open", key, NULL);
	if ((wvalue = winutf_wide(value)) == NULL) {
		RegCloseKey(k);
		return scan_nomem(err);
	}
	rc = winsys_reg_query(k, wvalue, &type, &data, &len);
	free(wvalue);
	RegCloseKey(k);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc == ERROR_NOT_ENOUGH_MEMORY)
		return scan_nomem(err);
	if (rc != ERROR_SUCCESS) {
		snprintf(step, sizeof(step), "read %s from", value);
		return winsys_reg_fail(err, rc, step, key, NULL);
	}
	if (type != REG_MULTI_SZ) {
		free(data);
		return 0;
	}
	if (winsys_reg_multi(data, len, &v, &n) == -1) {
		free(data);
		return scan_nomem(err);
	}
	free(data);
	if (n == 0) {
		free(v);
		return 0;
	}
	if ((p = realloc(*ids, (*nids + n) * sizeof(*p))) == NULL) {
		nrptcheck_strings_free(v, n);
		return scan_nomem(err);
	}
	*ids = p;
	for (i = 0; i < n; i++)
		p[(*nids)++] = v[i];
	free(v);
	return 0;
}

int
nrpt_scan_read(const struct nrpt_scan_record *ours, size_t nours,
    struct nrptcheck_scan *s, struct dwerr *err)
{
	size_t	 i, n;
	bool	 exists;

	memset(s, 0, sizeof(*s));
	if (scan_table(NRPT_LOCAL_PATH, NRPTCHECK_LOCAL, s, &exists, &n,
	    err) == -1 || scan_table(NRPT_GP_PATH, NRPTCHECK_GP, s, &exists,
	    &n, err) == -1)
		goto fail;
	if (!exists)
		s->gp = NRPTCHECK_GP_ABSENT;
	else
		s->gp = n > 0 ? NRPTCHECK_GP_PRESENT : NRPTCHECK_GP_EMPTY;
	for (i = 0; i < nours; i++)
		if (ours[i].key != NULL && ours[i].value != NULL &&
		    scan_list(ours[i].key, ours[i].value, &s->ours, &s->nours,
		    err) == -1)
			goto fail;
	if (scan_list(NRPT_SCAN_CODER_KEY, NRPT_SCAN_IDS_VALUE, &s->coder,
	    &s->ncoder, err) == -1 || scan_list(NRPT_SCAN_TAILSCALE_KEY,
	    NRPT_SCAN_IDS_VALUE, &s->tailscale, &s->ntailscale, err) == -1)
		goto fail;
	dwerr_reset(err);
	return 0;
fail:
	nrptcheck_scan_clear(s);
	return -1;
}
