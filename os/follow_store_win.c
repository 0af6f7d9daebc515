/*
 * follow_store: Windows implementation (see follow_store.h).
 *
 * The record and the rule keys are read through the 64-bit view of the
 * registry, every value as it is (RegEnumValueW: name, type, bytes). A
 * rule key goes back value by value: each value is compared with what
 * the key holds and set only when it differs. The adapter is found with
 * IP Helper's GetAdaptersAddresses, loaded from System32 at run time.
 */
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>

#include "follow_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dwstr.h"
#include "nrpt_store.h"
#include "platform.h"
#include "winsys.h"
#include "winutf.h"

#define FOLLOW_LOCAL_PATH	L"" NRPT_LOCAL_PATH
#define FOLLOW_GP_PATH		L"" NRPT_GP_PATH
#define FOLLOW_VIEW		KEY_WOW64_64KEY
#define FOLLOW_NAME_CHARS	16384u	/* the longest value name, + NUL */
#define FOLLOW_KEY_CHARS	256u	/* the longest key name, + NUL */
#define FOLLOW_RECORD_MAX	(FOLLOW_MAX_RULES * FOLLOW_KEY_CHARS * 2u)
#define FOLLOW_ADAPTERS_TRIES	4u
#define FOLLOW_MSG_BYTES	256u

typedef ULONG (WINAPI *follow_gaa_fn)(ULONG, ULONG, PVOID,
    PIP_ADAPTER_ADDRESSES, PULONG);

static follow_store_alive_fn	 follow_store_hook;
static void			*follow_store_hook_ctx;

static const wchar_t *
follow_table_path(enum follow_table t)
{
	return t == FOLLOW_GP ? FOLLOW_GP_PATH : FOLLOW_LOCAL_PATH;
}

/* Fails with "what: the system's message". */
static int
follow_fail(struct dwerr *err, LONG e, const char *what)
{
	char	 msg[FOLLOW_MSG_BYTES];

	winutf_message((DWORD)e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "%s: %s", what, msg);
	return -1;
}

/* Fails with "rule ID: why: the system's message". */
static int
follow_fail_rule(struct dwerr *err, LONG e, const char *id, const char *why)
{
	char	 what[FOLLOW_KEY_CHARS + 128];

	snprintf(what, sizeof(what), "NRPT rule %s%s%s", id, why != NULL ?
	    ": " : "", why != NULL ? why : "");
	return follow_fail(err, e, what);
}

/* A wide copy of a key path under HKLM; NULL without memory. */
static wchar_t *
follow_wide_key(const char *parent, const char *child)
{
	char	*full;
	wchar_t	*w;
	size_t	 n;

	n = strlen(parent) + (child != NULL ? strlen(child) + 1 : 0) + 1;
	if ((full = malloc(n)) == NULL)
		return NULL;
	snprintf(full, n, "%s%s%s", parent, child != NULL ? "\\" : "",
	    child != NULL ? child : "");
	w = winutf_wide(full);
	free(full);
	return w;
}

/* The record: the IDs it lists. ERROR_FILE_NOT_FOUND when it is not there. */
static LONG
follow_read_record(const struct follow_tunnel *tun, struct follow_seen *seen)
{
	wchar_t	*key, *name, *buf = NULL, *p;
	DWORD	 type, size = 0;
	HKEY	 k;
	LONG	 e;
	size_t	 i;
	char	*id;

	if ((key = follow_wide_key(tun->record_key, NULL)) == NULL ||
	    (name = winutf_wide(tun->record_value)) == NULL) {
		free(key);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE |
	    FOLLOW_VIEW, &k);
	free(key);
	if (e != ERROR_SUCCESS) {
		free(name);
		return e;
	}
	e = RegQueryValueExW(k, name, NULL, &type, NULL, &size);
	if (e == ERROR_SUCCESS && type == REG_MULTI_SZ &&
	    size <= FOLLOW_RECORD_MAX) {
		/* Room for two more NULs: the value may lack its own. */
		if ((buf = calloc(size / sizeof(wchar_t) + 2,
		    sizeof(wchar_t))) == NULL)
			e = ERROR_NOT_ENOUGH_MEMORY;
		else
			e = RegQueryValueExW(k, name, NULL, &type,
			    (BYTE *)buf, &size);
		if (e == ERROR_SUCCESS && type != REG_MULTI_SZ) {
			free(buf);	/* changed under us: lists nothing */
			buf = NULL;
		}
	}
	RegCloseKey(k);
	free(name);
	if (e != ERROR_SUCCESS) {
		free(buf);
		return e;
	}
	seen->record = true;
	if (buf == NULL)
		return ERROR_SUCCESS;	/* another type: lists nothing */
	if ((seen->ids = calloc(FOLLOW_MAX_RULES, sizeof(char *))) == NULL) {
		free(buf);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	for (p = buf; *p != L'\0' && seen->nids < FOLLOW_MAX_RULES;
	    p += wcslen(p) + 1) {
		if (wcslen(p) >= FOLLOW_KEY_CHARS || wcschr(p, L'\\') != NULL)
			continue;
		if ((id = winutf_narrow(p)) == NULL) {
			free(buf);
			return ERROR_NOT_ENOUGH_MEMORY;
		}
		/* Once each: key names ignore case. */
		for (i = 0; i < seen->nids; i++)
			if (dwstr_casecmp(seen->ids[i], id) == 0)
				break;
		if (i < seen->nids) {
			free(id);
			continue;
		}
		seen->ids[seen->nids++] = id;
	}
	free(buf);
	return ERROR_SUCCESS;
}

/* Every value of the open key k, as read, into r. */
static LONG
follow_read_values(HKEY k, struct follow_rule *r)
{
	wchar_t		*name;
	BYTE		*data;
	DWORD		 i, nlen, dlen, type;
	LONG		 e = ERROR_SUCCESS;

	name = malloc(FOLLOW_NAME_CHARS * sizeof(wchar_t));
	data = malloc(FOLLOW_MAX_VALUE_BYTES);
	if ((r->values = calloc(FOLLOW_MAX_VALUES, sizeof(*r->values))) ==
	    NULL || name == NULL || data == NULL) {
		free(name);
		free(data);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	for (i = 0; r->nvalues < FOLLOW_MAX_VALUES; i++) {
		struct follow_value	*v = &r->values[r->nvalues];

		nlen = FOLLOW_NAME_CHARS;
		dlen = FOLLOW_MAX_VALUE_BYTES;
		e = RegEnumValueW(k, i, name, &nlen, NULL, &type, data, &dlen);
		if (e == ERROR_NO_MORE_ITEMS) {
			e = ERROR_SUCCESS;
			break;
		}
		if (e == ERROR_MORE_DATA)
			continue;	/* larger than we keep: not a rule's */
		if (e != ERROR_SUCCESS)
			break;
		if ((v->name = winutf_narrow(name)) == NULL ||
		    (v->data = malloc(dlen > 0 ? dlen : 1)) == NULL) {
			free(v->name);
			v->name = NULL;
			e = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		memcpy(v->data, data, dlen);
		v->len = dlen;
		v->type = type;
		r->nvalues++;
	}
	free(name);
	free(data);
	return e;
}

/* The key id in table t, when it is there. */
static LONG
follow_read_rule(const char *id, enum follow_table t, struct follow_seen *seen)
{
	struct follow_rule	*r = &seen->rules[seen->nrules];
	wchar_t			*wid, path[512];
	HKEY			 k;
	LONG			 e;

	if ((wid = winutf_wide(id)) == NULL)
		return ERROR_NOT_ENOUGH_MEMORY;
	_snwprintf(path, sizeof(path) / sizeof(path[0]), L"%ls\\%ls",
	    follow_table_path(t), wid);
	path[sizeof(path) / sizeof(path[0]) - 1] = L'\0';
	free(wid);
	e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | FOLLOW_VIEW,
	    &k);
	if (e == ERROR_FILE_NOT_FOUND)
		return ERROR_SUCCESS;
	if (e != ERROR_SUCCESS)
		return e;
	memset(r, 0, sizeof(*r));
	r->table = t;
	if ((r->id = dwstr_dup(id)) == NULL)
		e = ERROR_NOT_ENOUGH_MEMORY;
	else
		e = follow_read_values(k, r);
	RegCloseKey(k);
	seen->nrules++;		/* counted either way: cleared with seen */
	return e;
}

int
follow_store_read(const struct follow_tunnel *tun, struct follow_seen *seen,
    struct dwerr *err)
{
	HKEY	 k;
	LONG	 e;
	size_t	 i;

	seen->nrpt = true;
	e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, FOLLOW_GP_PATH, 0, KEY_READ |
	    FOLLOW_VIEW, &k);
	if (e == ERROR_SUCCESS) {
		seen->gp_table = true;
		RegCloseKey(k);
	} else if (e != ERROR_FILE_NOT_FOUND)
		return follow_fail(err, e, "the group-policy NRPT table");
	e = follow_read_record(tun, seen);
	if (e == ERROR_FILE_NOT_FOUND)
		return 0;	/* no record: seen->record stays false */
	if (e != ERROR_SUCCESS)
		return follow_fail(err, e, tun->record_key);
	if (seen->nids > 0 && (seen->rules = calloc(seen->nids * 2,
	    sizeof(*seen->rules))) == NULL)
		return follow_fail(err, ERROR_NOT_ENOUGH_MEMORY,
		    tun->record_key);
	for (i = 0; i < seen->nids; i++)
		if ((e = follow_read_rule(seen->ids[i], FOLLOW_LOCAL,
		    seen)) != ERROR_SUCCESS || (e = follow_read_rule(
		    seen->ids[i], FOLLOW_GP, seen)) != ERROR_SUCCESS)
			return follow_fail_rule(err, e, seen->ids[i], NULL);
	return 0;
}

/* True when the key holds name with exactly this type and these bytes. */
static bool
follow_value_holds(HKEY k, const wchar_t *name, const struct follow_value *v)
{
	BYTE	*cur;
	DWORD	 type, len = 0;
	bool	 same;

	if (RegQueryValueExW(k, name, NULL, &type, NULL, &len) !=
	    ERROR_SUCCESS || type != v->type || len != v->len)
		return false;
	if (len == 0)
		return true;
	if ((cur = malloc(len)) == NULL)
		return false;
	same = RegQueryValueExW(k, name, NULL, &type, cur, &len) ==
	    ERROR_SUCCESS && type == v->type && len == v->len &&
	    memcmp(cur, v->data, len) == 0;
	free(cur);
	return same;
}

int
follow_store_put(const struct follow_rule *rule, enum follow_table table,
    unsigned *written, struct dwerr *err)
{
	wchar_t	*wid, *name, path[512];
	HKEY	 k;
	LONG	 e;
	size_t	 i;

	if (table == FOLLOW_GP) {
		/* Never the table itself: it is group policy's to make. */
		e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, FOLLOW_GP_PATH, 0,
		    KEY_READ | FOLLOW_VIEW, &k);
		if (e != ERROR_SUCCESS)
			return follow_fail_rule(err, e, rule->id, "the "
			    "group-policy table is not there, and only group "
			    "policy makes it");
		RegCloseKey(k);
	}
	if ((wid = winutf_wide(rule->id)) == NULL)
		return follow_fail_rule(err, ERROR_NOT_ENOUGH_MEMORY,
		    rule->id, NULL);
	_snwprintf(path, sizeof(path) / sizeof(path[0]), L"%ls\\%ls",
	    follow_table_path(table), wid);
	path[sizeof(path) / sizeof(path[0]) - 1] = L'\0';
	free(wid);
	e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
	    KEY_QUERY_VALUE | KEY_SET_VALUE | FOLLOW_VIEW, NULL, &k, NULL);
	if (e != ERROR_SUCCESS)
		return follow_fail_rule(err, e, rule->id, NULL);
	for (i = 0; i < rule->nvalues; i++) {
		const struct follow_value	*v = &rule->values[i];

		if ((name = winutf_wide(v->name)) == NULL) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		if (!follow_value_holds(k, name, v)) {
			e = RegSetValueExW(k, name, 0, v->type, v->data,
			    (DWORD)v->len);
			if (e == ERROR_SUCCESS)
				(*written)++;
		}
		free(name);
		if (e != ERROR_SUCCESS)
			break;
	}
	RegCloseKey(k);
	if (e != ERROR_SUCCESS)
		return follow_fail_rule(err, e, rule->id, NULL);
	return 0;
}

/* Whether an adapter listed by IP Helper is the tunnel's. */
static bool
follow_adapter_is(const IP_ADAPTER_ADDRESSES *a, const struct follow_tunnel *tun)
{
	char	*friendly;
	bool	 yes = false;

	if (tun->adapter_guid != NULL && a->AdapterName != NULL &&
	    dwstr_casecmp(a->AdapterName, tun->adapter_guid) == 0)
		return true;
	if (tun->adapter_name != NULL && a->FriendlyName != NULL &&
	    (friendly = winutf_narrow(a->FriendlyName)) != NULL) {
		yes = strcmp(friendly, tun->adapter_name) == 0;
		free(friendly);
	}
	return yes;
}

bool
follow_store_alive(const struct follow_tunnel *tun)
{
	const ULONG		 flags = GAA_FLAG_SKIP_ANYCAST |
				    GAA_FLAG_SKIP_MULTICAST |
				    GAA_FLAG_SKIP_DNS_SERVER;
	IP_ADAPTER_ADDRESSES	*list = NULL, *a;
	follow_gaa_fn		 gaa;
	ULONG			 size = 16384, rc = ERROR_BUFFER_OVERFLOW;
	DWORD			 e;
	unsigned		 tries;
	bool			 alive = false;

	if (follow_store_hook != NULL)
		return follow_store_hook(tun, follow_store_hook_ctx);
	if ((gaa = (follow_gaa_fn)(void (*)(void))winsys_proc(L"iphlpapi.dll",
	    "GetAdaptersAddresses", &e)) == NULL)
		return false;
	/* Listed is present: a Wintun adapter exists while its tunnel
	 * runs, and goes when it stops, whatever its link state says. */
	for (tries = 0; tries < FOLLOW_ADAPTERS_TRIES &&
	    rc == ERROR_BUFFER_OVERFLOW; tries++) {
		free(list);
		if ((list = malloc(size)) == NULL)
			return false;
		rc = gaa(AF_UNSPEC, flags, NULL, list, &size);
	}
	if (rc == NO_ERROR)
		for (a = list; a != NULL && !alive; a = a->Next)
			alive = follow_adapter_is(a, tun);
	free(list);
	return alive;
}

void
follow_store_set_alive_hook(follow_store_alive_fn fn, void *ctx)
{
	follow_store_hook = fn;
	follow_store_hook_ctx = ctx;
}
