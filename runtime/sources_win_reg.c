/*
 * sources: Windows, the registry watches on the NRPT keys (see
 * sources_win.c).
 *
 * Each NRPT key is watched (subtree) at the deepest key of its path that
 * exists: the key itself, or the ancestor under which it would appear. The
 * parent of that key is watched too, for the names of its children: Wine
 * never signals a watch on a key that is deleted, only its parent's. The
 * key appearing, changing or going is reported; other changes under an
 * ancestor are not.
 */
#include "sources.h"
#include "sources_win_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "log.h"
#include "winutf.h"

#define SOURCES_REG_TRIES	8u		/* key races survived in a row */
#define SOURCES_REG_PATH_CHARS	256u
#define SOURCES_REG_VIEW	KEY_WOW64_64KEY
#define SOURCES_REG_FILTER	(REG_NOTIFY_CHANGE_NAME | \
				 REG_NOTIFY_CHANGE_LAST_SET)

#define SOURCES_LOCAL_KEY	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
				"Parameters\\DnsPolicyConfig"
#define SOURCES_GP_KEY		"SOFTWARE\\Policies\\Microsoft\\Windows NT\\" \
				"DNSClient"

/* The components of w's path. */
static void
sources_reg_count(struct sources_regwatch *w)
{
	const wchar_t	*p;

	w->full = 0;
	if (w->path == NULL)
		return;
	for (w->full = 1, p = w->path; *p != L'\0'; p++)
		if (*p == L'\\')
			w->full++;
}

/* Names the key each watch follows. */
void
sources_reg_init(struct sources *src)
{
	static const wchar_t *const paths[SOURCES_REG_COUNT] = {
		L"" SOURCES_LOCAL_KEY, L"" SOURCES_GP_KEY, NULL
	};
	static const char *const upaths[SOURCES_REG_COUNT] = {
		"HKLM\\" SOURCES_LOCAL_KEY, "HKLM\\" SOURCES_GP_KEY, NULL
	};
	static const char *const details[SOURCES_REG_COUNT] = {
		"local table", "group policy", "tunnel record"
	};
	size_t	 i;

	for (i = 0; i < SOURCES_REG_COUNT; i++) {
		struct sources_regwatch *w = &src->reg[i];

		w->path = paths[i];
		w->upath = upaths[i];
		w->detail = details[i];
		sources_reg_count(w);
	}
}

int
sources_reg_record(struct sources *src)
{
	struct sources_regwatch	*w = &src->reg[SOURCES_REG_RECORD];
	const char		*key = src->sc.cfg.record_key;
	size_t			 n;

	if (key == NULL)
		return 0;	/* not in follow mode: no such watch */
	n = strlen(key) + sizeof("HKLM\\");
	if ((w->own_path = winutf_wide(key)) == NULL ||
	    wcslen(w->own_path) + 1 >= SOURCES_REG_PATH_CHARS ||
	    (w->own_upath = malloc(n)) == NULL)
		return -1;
	snprintf(w->own_upath, n, "HKLM\\%s", key);
	w->path = w->own_path;
	w->upath = w->own_upath;
	sources_reg_count(w);
	return 0;
}

/* Opens the first depth components of w's path. */
static LSTATUS
sources_reg_open(const struct sources_regwatch *w, size_t depth, REGSAM sam,
    HKEY *out)
{
	wchar_t	 sub[SOURCES_REG_PATH_CHARS];
	size_t	 i, seen = 0;

	*out = NULL;
	for (i = 0; w->path[i] != L'\0' && i + 1 < SOURCES_REG_PATH_CHARS;
	    i++) {
		if (w->path[i] == L'\\' && ++seen == depth)
			break;
		sub[i] = w->path[i];
	}
	sub[i] = L'\0';
	return RegOpenKeyExW(HKEY_LOCAL_MACHINE, sub, 0,
	    sam | SOURCES_REG_VIEW, out);
}

/* Asks for one signal of w's event on a change of key, and waits for it. */
static LSTATUS
sources_reg_arm(struct sources *src, struct sources_wait *w, HKEY key,
    BOOL subtree, DWORD filter)
{
	LSTATUS	 rc;

	rc = RegNotifyChangeKeyValue(key, subtree, filter | src->reg_agnostic,
	    w->event, TRUE);
	if (rc == ERROR_INVALID_PARAMETER && src->reg_agnostic != 0) {
		/* Before Windows 8. The loop's thread, which arms every
		 * watch, outlives them anyway. */
		src->reg_agnostic = 0;
		rc = RegNotifyChangeKeyValue(key, subtree, filter, w->event,
		    TRUE);
	}
	if (rc != ERROR_SUCCESS)
		return rc;
	return (LSTATUS)sources_wait_start(w);
}

/* True when key no longer names a key in the registry. */
static bool
sources_reg_gone(HKEY key)
{
	return RegQueryInfoKeyW(key, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL) != ERROR_SUCCESS;
}

/* True when a key deeper on w's path than the one watched exists now. */
static bool
sources_reg_deeper(const struct sources_regwatch *w)
{
	HKEY	 k;

	if (w->depth >= w->full ||
	    sources_reg_open(w, w->depth + 1, KEY_NOTIFY, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

void
sources_reg_unwatch(struct sources *src, struct sources_regwatch *w)
{
	sources_wait_stop(src, &w->wkey);
	sources_wait_stop(src, &w->wguard);
	if (w->key != NULL)
		RegCloseKey(w->key);
	if (w->guard != NULL)
		RegCloseKey(w->guard);
	w->key = w->guard = NULL;
	w->depth = 0;
	/* Closing a key with a watch pending signals its event: not news. */
	ResetEvent(w->wkey.event);
	ResetEvent(w->wguard.event);
}

/* Watches the deepest key of w's path that exists, and its parent. On
 * failure nothing is watched (depth 0), and the next look tries again. */
void
sources_reg_watch(struct sources *src, struct sources_regwatch *w)
{
	LSTATUS	 rc = ERROR_SUCCESS;
	char	 msg[SOURCES_MSG_BYTES];
	unsigned tries;

	if (w->path == NULL)
		return;		/* a watch this config has not */
	for (tries = 0; tries < SOURCES_REG_TRIES; tries++) {
		size_t	 d;
		HKEY	 k = NULL;

		sources_reg_unwatch(src, w);
		for (d = w->full; d > 0; d--)
			if ((rc = sources_reg_open(w, d, KEY_NOTIFY |
			    KEY_QUERY_VALUE, &k)) == ERROR_SUCCESS)
				break;
		if (d == 0)
			break;
		w->key = k;
		w->depth = d;
		if ((rc = sources_reg_arm(src, &w->wkey, k, TRUE,
		    SOURCES_REG_FILTER)) != ERROR_SUCCESS) {
			if (rc == ERROR_KEY_DELETED)
				continue;
			break;
		}
		if (d > 1) {
			rc = sources_reg_open(w, d - 1, KEY_NOTIFY, &w->guard);
			if (rc == ERROR_FILE_NOT_FOUND)
				continue;	/* deleted meanwhile */
			if (rc == ERROR_SUCCESS && (rc = sources_reg_arm(src,
			    &w->wguard, w->guard, FALSE,
			    REG_NOTIFY_CHANGE_NAME)) == ERROR_KEY_DELETED)
				continue;
			if (rc != ERROR_SUCCESS)
				log_debug("%s: its parent cannot be watched; "
				    "a delete may show late", w->upath);
			rc = ERROR_SUCCESS;
		}
		/* A deeper key made before the watch began went unseen. */
		if (sources_reg_deeper(w))
			continue;
		if (w->told)
			log_notice("%s: watched again", w->upath);
		w->told = false;
		log_debug("%s: %s", w->upath, w->depth == w->full ?
		    "watched" : "absent; watching where it would appear");
		return;
	}
	sources_reg_unwatch(src, w);
	if (w->told)
		return;
	w->told = true;
	if (rc == ERROR_SUCCESS)
		snprintf(msg, sizeof(msg), "it kept changing while the watch "
		    "began");
	else
		winutf_message((unsigned long)rc, msg, sizeof(msg));
	log_error("%s: cannot watch it: %s; trying again on the next event",
	    w->upath, msg);
}

/* One of w's watches fired: re-arm it, moving to another key if the one
 * watched went or a deeper one came, and report what concerns the key. */
void
sources_reg_fired(struct sources *src, struct sources_regwatch *w,
    bool key_fired, bool guard_fired)
{
	bool	 was = w->depth == w->full;
	bool	 moved;

	if (key_fired)
		sources_wait_stop(src, &w->wkey);
	if (guard_fired)
		sources_wait_stop(src, &w->wguard);
	moved = w->key == NULL || sources_reg_gone(w->key) ||
	    sources_reg_deeper(w);
	if (!moved && key_fired && sources_reg_arm(src, &w->wkey, w->key,
	    TRUE, SOURCES_REG_FILTER) != ERROR_SUCCESS)
		moved = true;
	if (!moved && guard_fired && w->guard != NULL &&
	    sources_reg_arm(src, &w->wguard, w->guard, FALSE,
	    REG_NOTIFY_CHANGE_NAME) != ERROR_SUCCESS)
		moved = true;
	if (moved)
		sources_reg_watch(src, w);
	/* Watched again before the daemon looks: nothing falls between. */
	if ((key_fired && was) || (moved && (was || w->depth == w->full)))
		sources_emit(&src->sc, SOURCE_NRPT, "%s", w->detail);
}
