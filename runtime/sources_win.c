/*
 * sources: Windows (see sources.h).
 *
 * Windows speaks on threads of its own: IP Helper callbacks (interfaces,
 * unicast addresses, routes), and thread-pool waits on the events that the
 * registry (RegNotifyChangeKeyValue), the folder reads (overlapped
 * ReadDirectoryChangesW) and the group-policy engine
 * (RegisterGPNotification) signal. Those threads only record what happened
 * in a small queue under a lock, and wake the loop when the queue was
 * empty. Everything else happens in the loop: naming the adapter,
 * re-arming the one-shot watches, reading the folder changes, calling the
 * daemon.
 *
 * Interfaces are named by their adapter's Description (GetAdaptersAddresses,
 * cached by interface index, read again on a miss) and kept with their
 * operational state, so a VPN adapter is reported when it comes up, not on
 * every parameter change. Every route change between two looks at the
 * queue makes one event.
 *
 * Each NRPT key is watched (subtree) at the deepest key of its path that
 * exists: the key itself, or the ancestor under which it would appear. The
 * parent of that key is watched too, for the names of its children: Wine
 * never signals a watch on a key that is deleted, only its parent's. The
 * key appearing, changing or going is reported; other changes under an
 * ancestor are not.
 */
#include "sources.h"
#include "sources_int.h"
#include "sources_win_os.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "hostsfile.h"
#include "log.h"
#include "winutf.h"

#define SOURCES_QUEUE_MAX	128u		/* IP Helper records between looks */
#define SOURCES_DIR_BUF_BYTES	(16u << 10)	/* folder changes read at once */
#define SOURCES_MSG_BYTES	256u		/* a Win32 error's text */
#define SOURCES_GAA_BYTES	(15u << 10)	/* first try, as Microsoft advises */
#define SOURCES_GAA_TRIES	4u
#define SOURCES_GAA_FLAGS	(GAA_FLAG_SKIP_UNICAST | GAA_FLAG_SKIP_ANYCAST | \
				 GAA_FLAG_SKIP_MULTICAST | \
				 GAA_FLAG_SKIP_DNS_SERVER | \
				 GAA_FLAG_SKIP_FRIENDLY_NAME)
#define SOURCES_REG_TRIES	8u		/* key races survived in a row */
#define SOURCES_REG_PATH_CHARS	256u
#define SOURCES_REG_VIEW	KEY_WOW64_64KEY
#define SOURCES_REG_FILTER	(REG_NOTIFY_CHANGE_NAME | \
				 REG_NOTIFY_CHANGE_LAST_SET)
#define SOURCES_DIR_FILTER	(FILE_NOTIFY_CHANGE_FILE_NAME | \
				 FILE_NOTIFY_CHANGE_LAST_WRITE | \
				 FILE_NOTIFY_CHANGE_SIZE)
#define SOURCES_NAME_CHARS	(MAX_PATH + 1u)	/* a name within one folder */
#define SOURCES_TEMP_TAG_W	L"" HOSTSFILE_TEMP_TAG

#define SOURCES_LOCAL_KEY	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
				"Parameters\\DnsPolicyConfig"
#define SOURCES_GP_KEY		"SOFTWARE\\Policies\\Microsoft\\Windows NT\\" \
				"DNSClient"

/* The waits, one bit each in the queue. */
enum {
	SOURCES_S_LOCAL_KEY,
	SOURCES_S_LOCAL_GUARD,
	SOURCES_S_GP_KEY,
	SOURCES_S_GP_GUARD,
	SOURCES_S_HOSTS,
	SOURCES_S_DESIRED,
	SOURCES_S_POLICY,
	SOURCES_S_COUNT
};

enum { SOURCES_REG_LOCAL, SOURCES_REG_GP, SOURCES_REG_COUNT };
enum { SOURCES_DIR_HOSTS, SOURCES_DIR_DESIRED, SOURCES_DIR_COUNT };
enum { SOURCES_N_INTERFACE, SOURCES_N_ADDRESS, SOURCES_N_ROUTE,
    SOURCES_N_COUNT };

/* What an IP Helper callback saw. */
struct sources_rec {
	unsigned char		 what;		/* SOURCES_N_INTERFACE, _ADDRESS */
	unsigned char		 type;		/* MIB_NOTIFICATION_TYPE */
	NET_IFINDEX		 ifindex;
};

/* A thread-pool wait on one event; its callback marks the slot fired. */
struct sources_wait {
	struct sources		*src;
	unsigned		 slot;
	HANDLE			 event;
	HANDLE			 wait;		/* NULL: not registered */
};

/* An adapter as last seen, under one of its interface indexes. */
struct sources_adapter {
	NET_IFINDEX		 ifindex;
	bool			 up;		/* operational state last told */
	bool			 seen;		/* in the last full listing */
	char			*desc;		/* UTF-8 Description */
};

/* A registry key, watched where it is or where it would appear. */
struct sources_regwatch {
	const wchar_t		*path;		/* under HKLM */
	const char		*upath;
	const char		*detail;	/* what its events say */
	size_t			 full;		/* components of path */
	size_t			 depth;		/* components watched; 0: none */
	HKEY			 key;		/* watched with its subtree */
	HKEY			 guard;		/* its parent: sees it go */
	struct sources_wait	 wkey;
	struct sources_wait	 wguard;
	bool			 told;		/* a failure was logged */
};

/* A file watched through its folder. */
struct sources_dirwatch {
	enum source_kind	 kind;
	const char		*path;		/* the config's; NULL: unused */
	wchar_t			*wpath;
	wchar_t			*dir;
	const wchar_t		*base;		/* within wpath */
	size_t			 baselen;
	HANDLE			 h;		/* the folder, or invalid */
	OVERLAPPED		 ov;
	bool			 reading;	/* a read is under way */
	bool			 lost;		/* was watched, then not */
	bool			 told;		/* a failure was logged */
	struct sources_wait	 w;
	DWORD			 buf[SOURCES_DIR_BUF_BYTES / sizeof(DWORD)];
};

typedef BOOL (WINAPI *sources_gp_register_fn)(HANDLE, BOOL);
typedef BOOL (WINAPI *sources_gp_unregister_fn)(HANDLE);

struct sources {
	struct sources_common	 sc;

	/* Shared with Windows' threads, under lock. */
	SRWLOCK			 lock;
	struct sources_rec	 q[SOURCES_QUEUE_MAX];
	size_t			 nq;
	bool			 q_route;
	bool			 q_overflow;
	unsigned		 q_fired;	/* a bit per fired slot */

	/* The loop's own. */
	struct loop_timer	*waker;
	HANDLE			 notify[SOURCES_N_COUNT];
	struct sources_wait	*slots[SOURCES_S_COUNT];
	struct sources_adapter	*ad;
	size_t			 nad;
	size_t			 capad;
	bool			 refreshed;	/* adapters listed in this look */
	DWORD			 reg_agnostic;	/* REG_NOTIFY_THREAD_AGNOSTIC or 0 */
	struct sources_regwatch	 reg[SOURCES_REG_COUNT];
	struct sources_dirwatch	 dir[SOURCES_DIR_COUNT];
	struct sources_wait	 policy;
	HMODULE			 userenv;
	sources_gp_unregister_fn gp_unregister;	/* set once registered */
	DWORD			 scratch[SOURCES_DIR_BUF_BYTES / sizeof(DWORD)];
};

/*
 * The queue. Windows' threads write it; the loop empties it in one go.
 */

static bool
sources_pending(const struct sources *src)
{
	return src->nq > 0 || src->q_route || src->q_overflow ||
	    src->q_fired != 0;
}

/* Ends a change of the queue: the thread that made it non-empty wakes the
 * loop; later records ride on that wake-up. */
static void
sources_post_end(struct sources *src, bool was_pending)
{
	ReleaseSRWLockExclusive(&src->lock);
	if (!was_pending)
		loop_wake(src->waker);
}

static void
sources_post_rec(struct sources *src, unsigned what,
    MIB_NOTIFICATION_TYPE type, NET_IFINDEX ifindex)
{
	bool	 was;
	size_t	 i;

	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	for (i = 0; i < src->nq; i++)
		if (src->q[i].what == what && src->q[i].type == type &&
		    src->q[i].ifindex == ifindex)
			break;
	if (i == src->nq) {
		if (src->nq < SOURCES_QUEUE_MAX) {
			src->q[src->nq].what = (unsigned char)what;
			src->q[src->nq].type = (unsigned char)type;
			src->q[src->nq].ifindex = ifindex;
			src->nq++;
		} else
			src->q_overflow = true;
	}
	sources_post_end(src, was);
}

VOID WINAPI
sources_win_on_interface(PVOID ctx, PMIB_IPINTERFACE_ROW row,
    MIB_NOTIFICATION_TYPE type)
{
	if (row == NULL || type == MibInitialNotification)
		return;
	sources_post_rec(ctx, SOURCES_N_INTERFACE, type, row->InterfaceIndex);
}

VOID WINAPI
sources_win_on_address(PVOID ctx, PMIB_UNICASTIPADDRESS_ROW row,
    MIB_NOTIFICATION_TYPE type)
{
	if (row == NULL || type == MibInitialNotification)
		return;
	sources_post_rec(ctx, SOURCES_N_ADDRESS, type, row->InterfaceIndex);
}

VOID WINAPI
sources_win_on_route(PVOID ctx, PMIB_IPFORWARD_ROW2 row,
    MIB_NOTIFICATION_TYPE type)
{
	struct sources	*src = ctx;
	bool		 was;

	(void)row;
	if (type == MibInitialNotification)
		return;
	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	src->q_route = true;
	sources_post_end(src, was);
}

/* A thread-pool wait ended: its event was signalled. */
static VOID CALLBACK
sources_wait_cb(PVOID arg, BOOLEAN timed_out)
{
	struct sources_wait	*w = arg;
	struct sources		*src = w->src;
	bool			 was;

	(void)timed_out;
	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	src->q_fired |= 1u << w->slot;
	sources_post_end(src, was);
}

/* Waits once for w's event on the thread pool. Returns 0 or a Win32
 * error. */
static DWORD
sources_wait_start(struct sources_wait *w)
{
	if (!RegisterWaitForSingleObject(&w->wait, w->event, sources_wait_cb,
	    w, INFINITE, WT_EXECUTEONLYONCE)) {
		w->wait = NULL;
		return GetLastError();
	}
	return 0;
}

/* Ends w's wait, after its callback if one is under way, and forgets that
 * it fired. */
static void
sources_wait_stop(struct sources *src, struct sources_wait *w)
{
	if (w->wait == NULL)
		return;
	(void)UnregisterWaitEx(w->wait, INVALID_HANDLE_VALUE);
	w->wait = NULL;
	AcquireSRWLockExclusive(&src->lock);
	src->q_fired &= ~(1u << w->slot);
	ReleaseSRWLockExclusive(&src->lock);
}

/*
 * Adapters: names and states by interface index.
 */

static struct sources_adapter *
sources_adapter_find(struct sources *src, NET_IFINDEX ifindex)
{
	size_t	 i;

	for (i = 0; i < src->nad; i++)
		if (src->ad[i].ifindex == ifindex)
			return &src->ad[i];
	return NULL;
}

/* A new entry for ifindex (pointers into the cache move); NULL when memory
 * runs out. */
static struct sources_adapter *
sources_adapter_add(struct sources *src, NET_IFINDEX ifindex)
{
	struct sources_adapter	*a;

	if (src->nad == src->capad) {
		size_t	 cap = src->capad == 0 ? 16 : src->capad * 2;

		if ((a = realloc(src->ad, cap * sizeof(*a))) == NULL) {
			log_error("adapters: out of memory for interface %lu",
			    (unsigned long)ifindex);
			return NULL;
		}
		src->ad = a;
		src->capad = cap;
	}
	a = &src->ad[src->nad++];
	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	return a;
}

static void
sources_adapter_remove(struct sources *src, struct sources_adapter *a)
{
	free(a->desc);
	*a = src->ad[--src->nad];
}

/* "<Description>", or "if<index>" for an adapter nobody lists. */
static void
sources_if_name(const struct sources_adapter *a, NET_IFINDEX ifindex,
    char *name, size_t len)
{
	if (a != NULL && a->desc != NULL && a->desc[0] != '\0')
		snprintf(name, len, "%s", a->desc);
	else
		snprintf(name, len, "if%lu", (unsigned long)ifindex);
}

/* An interface that is up: a VPN trigger when its adapter is one. */
static void
sources_if_report(struct sources *src, const char *name, bool up, bool fresh)
{
	if (up && sources_is_vpn(&src->sc.cfg, name))
		sources_emit(&src->sc, SOURCE_VPN, "%s up", name);
	else
		sources_emit(&src->sc, SOURCE_NETWORK, "interface %s %s", name,
		    up ? "up" : fresh ? "new" : "down");
}

/* Every adapter, malloc'd into *out (NULL: none). Returns 0, or -1 with
 * the failure logged. */
static int
sources_adapters_list(IP_ADAPTER_ADDRESSES **out)
{
	IP_ADAPTER_ADDRESSES	*list = NULL;
	ULONG			 size = SOURCES_GAA_BYTES;
	ULONG			 rc = ERROR_BUFFER_OVERFLOW;
	unsigned		 tries;
	char			 msg[SOURCES_MSG_BYTES];

	*out = NULL;
	for (tries = 0; tries < SOURCES_GAA_TRIES &&
	    rc == ERROR_BUFFER_OVERFLOW; tries++) {
		free(list);
		if ((list = malloc(size)) == NULL) {
			log_error("adapters: out of memory for their list");
			return -1;
		}
		rc = GetAdaptersAddresses(AF_UNSPEC, SOURCES_GAA_FLAGS, NULL,
		    list, &size);
	}
	if (rc == ERROR_NO_DATA) {
		free(list);
		return 0;
	}
	if (rc != NO_ERROR) {
		free(list);
		winutf_message(rc, msg, sizeof(msg));
		log_error("cannot list the network adapters: %s", msg);
		return -1;
	}
	*out = list;
	return 0;
}

/* Puts adapter p into the cache under ifindex; with report, says what
 * changed since the cache was last right. */
static void
sources_adapter_note(struct sources *src, NET_IFINDEX ifindex,
    const IP_ADAPTER_ADDRESSES *p, bool report)
{
	struct sources_adapter	*a;
	char			*desc;
	bool			 up = p->OperStatus == IfOperStatusUp;
	bool			 fresh = false;

	if (ifindex == 0)
		return;
	if ((desc = winutf_narrow(p->Description != NULL ?
	    p->Description : L"")) == NULL) {
		log_error("adapters: cannot read the name of interface %lu",
		    (unsigned long)ifindex);
		return;
	}
	if ((a = sources_adapter_find(src, ifindex)) == NULL) {
		if ((a = sources_adapter_add(src, ifindex)) == NULL) {
			free(desc);
			return;
		}
		a->up = up;
		fresh = true;
	}
	free(a->desc);
	a->desc = desc;
	a->seen = true;
	if (!report || (!fresh && a->up == up))
		return;
	a->up = up;
	sources_if_report(src, a->desc, up, fresh);
}

/* Lists the adapters into the cache. With report (events were lost),
 * also reports every adapter that came, went, or went up or down. */
static void
sources_adapters_load(struct sources *src, bool report)
{
	IP_ADAPTER_ADDRESSES	*list, *p;
	size_t			 i;

	src->refreshed = true;
	if (sources_adapters_list(&list) != 0)
		return;
	for (i = 0; i < src->nad; i++)
		src->ad[i].seen = false;
	for (p = list; p != NULL && !src->sc.dying; p = p->Next) {
		sources_adapter_note(src, p->IfIndex, p, report);
		if (p->Ipv6IfIndex != p->IfIndex)
			sources_adapter_note(src, p->Ipv6IfIndex, p, report);
	}
	free(list);
	i = 0;
	while (report && i < src->nad && !src->sc.dying) {
		if (src->ad[i].seen) {
			i++;
			continue;
		}
		sources_emit(&src->sc, SOURCE_NETWORK, "interface %s gone",
		    src->ad[i].desc);
		sources_adapter_remove(src, &src->ad[i]);
	}
}

/* The cached adapter of ifindex; on a miss the adapters are listed again,
 * at most once per look (GetAdaptersAddresses can be slow). */
static struct sources_adapter *
sources_adapter_get(struct sources *src, NET_IFINDEX ifindex)
{
	struct sources_adapter	*a = sources_adapter_find(src, ifindex);

	if (a == NULL && !src->refreshed) {
		sources_adapters_load(src, false);
		a = sources_adapter_find(src, ifindex);
	}
	return a;
}

/* An IP interface came, went or changed: reported when it is new, gone,
 * or went up or down; other parameter changes are noise. */
static void
sources_if_event(struct sources *src, NET_IFINDEX ifindex,
    MIB_NOTIFICATION_TYPE type)
{
	struct sources_adapter	*a;
	MIB_IF_ROW2		 row;
	char			 name[SOURCES_DETAIL_BYTES];
	bool			 known, exists, up;

	known = sources_adapter_find(src, ifindex) != NULL;
	a = sources_adapter_get(src, ifindex);
	sources_if_name(a, ifindex, name, sizeof(name));
	memset(&row, 0, sizeof(row));
	row.InterfaceIndex = ifindex;
	exists = GetIfEntry2(&row) == NO_ERROR;
	up = exists && row.OperStatus == IfOperStatusUp;
	if (!exists || type == MibDeleteInstance) {
		if (!exists && a != NULL)
			sources_adapter_remove(src, a);
		sources_emit(&src->sc, SOURCE_NETWORK, "interface %s gone",
		    name);
		return;
	}
	if (known && type == MibParameterNotification && a->up == up)
		return;
	if (a != NULL)
		a->up = up;
	sources_if_report(src, name, up, !known || type == MibAddInstance);
}

/* A unicast address came, went or changed state. */
static void
sources_addr_event(struct sources *src, NET_IFINDEX ifindex,
    MIB_NOTIFICATION_TYPE type)
{
	struct sources_adapter	*a = sources_adapter_get(src, ifindex);
	char			 name[SOURCES_DETAIL_BYTES];

	sources_if_name(a, ifindex, name, sizeof(name));
	if (type != MibDeleteInstance && a != NULL &&
	    sources_is_vpn(&src->sc.cfg, a->desc))
		sources_emit(&src->sc, SOURCE_VPN, "%s address", name);
	else
		sources_emit(&src->sc, SOURCE_NETWORK, "address %s", name);
}

static int
sources_ip_open(struct sources *src, struct dwerr *err)
{
	HANDLE	 h[SOURCES_N_COUNT] = { NULL, NULL, NULL };
	DWORD	 rc;
	char	 msg[SOURCES_MSG_BYTES];
	size_t	 i;

	rc = NotifyIpInterfaceChange(AF_UNSPEC, sources_win_on_interface, src,
	    FALSE, &h[SOURCES_N_INTERFACE]);
	if (rc == NO_ERROR)
		rc = NotifyUnicastIpAddressChange(AF_UNSPEC,
		    sources_win_on_address, src, FALSE, &h[SOURCES_N_ADDRESS]);
	if (rc == NO_ERROR)
		rc = NotifyRouteChange2(AF_UNSPEC, sources_win_on_route, src,
		    FALSE, &h[SOURCES_N_ROUTE]);
	/* Keep what was registered, for sources_free to cancel. */
	for (i = 0; i < SOURCES_N_COUNT; i++)
		src->notify[i] = h[i];
	if (rc != NO_ERROR) {
		winutf_message(rc, msg, sizeof(msg));
		dwerr_set(err, (int)rc, "IP Helper notifications: %s", msg);
		return -1;
	}
	return 0;
}

/*
 * Registry watches.
 */

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

static void
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
static void
sources_reg_watch(struct sources *src, struct sources_regwatch *w)
{
	LSTATUS	 rc = ERROR_SUCCESS;
	char	 msg[SOURCES_MSG_BYTES];
	unsigned tries;

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
static void
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

/*
 * Folder watches.
 */

/* Fills d for path: the folder to watch and the name to look for. */
static int
sources_dir_take(struct sources_dirwatch *d, enum source_kind kind,
    const char *path)
{
	const wchar_t	*slash = NULL, *p;
	size_t		 n;

	d->kind = kind;
	d->path = path;
	if ((d->wpath = winutf_wide(path)) == NULL)
		return -1;
	for (p = d->wpath; *p != L'\0'; p++)
		if (*p == L'\\' || *p == L'/')
			slash = p;
	if (slash == NULL) {
		d->dir = _wcsdup(L".");
		d->base = d->wpath;
	} else {
		n = (size_t)(slash - d->wpath);
		/* "\hosts" and "C:\hosts": the root keeps its separator. */
		if (n == 0 || (n == 2 && d->wpath[1] == L':'))
			n++;
		if ((d->dir = malloc((n + 1) * sizeof(wchar_t))) != NULL) {
			memcpy(d->dir, d->wpath, n * sizeof(wchar_t));
			d->dir[n] = L'\0';
		}
		d->base = slash + 1;
	}
	d->baselen = wcslen(d->base);
	return d->dir == NULL ? -1 : 0;
}

/* Starts the next read of d's folder and waits for it to end. Returns 0
 * or a Win32 error. */
static DWORD
sources_dir_read(struct sources_dirwatch *d)
{
	memset(&d->ov, 0, sizeof(d->ov));
	d->ov.hEvent = d->w.event;
	/* Still signalled by the read before: the new wait would end at
	 * once. */
	ResetEvent(d->w.event);
	if (!ReadDirectoryChangesW(d->h, d->buf, sizeof(d->buf), FALSE,
	    SOURCES_DIR_FILTER, NULL, &d->ov, NULL))
		return GetLastError();
	d->reading = true;
	return sources_wait_start(&d->w);
}

static void
sources_dir_close(struct sources *src, struct sources_dirwatch *d)
{
	DWORD	 got;

	sources_wait_stop(src, &d->w);
	if (d->h == INVALID_HANDLE_VALUE)
		return;
	if (d->reading) {
		/* The read writes into d->buf until it has ended. */
		(void)CancelIoEx(d->h, &d->ov);
		(void)GetOverlappedResult(d->h, &d->ov, &got, TRUE);
		d->reading = false;
	}
	CloseHandle(d->h);
	d->h = INVALID_HANDLE_VALUE;
	ResetEvent(d->w.event);
}

/* Watches d's folder if it is not watched. A file whose folder comes back
 * is reported, since what happened meanwhile was not seen. Failures are
 * logged once and tried again on the next event of any source. */
static void
sources_dir_open(struct sources *src, struct sources_dirwatch *d)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e = 0;

	if (d->path == NULL || d->h != INVALID_HANDLE_VALUE)
		return;
	d->h = CreateFileW(d->dir, FILE_LIST_DIRECTORY, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, NULL);
	if (d->h == INVALID_HANDLE_VALUE)
		e = GetLastError();
	else if ((e = sources_dir_read(d)) != 0)
		sources_dir_close(src, d);
	if (d->h == INVALID_HANDLE_VALUE) {
		if (d->told)
			return;
		d->told = true;
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
			log_notice("%s: its folder does not exist; watching it "
			    "once it does", d->path);
			return;
		}
		winutf_message(e, msg, sizeof(msg));
		log_error("%s: cannot watch its folder: %s; trying again on "
		    "the next event", d->path, msg);
		return;
	}
	log_debug("watching %s in its folder", d->path);
	if (d->told || d->lost) {
		log_notice("%s: watching its folder again", d->path);
		d->told = d->lost = false;
		if (GetFileAttributesW(d->wpath) != INVALID_FILE_ATTRIBUTES)
			sources_emit(&src->sc, d->kind, "created");
	}
}

static const char *
sources_dir_what(DWORD action)
{
	switch (action) {
	case FILE_ACTION_RENAMED_NEW_NAME:
		return "replaced";
	case FILE_ACTION_ADDED:
		return "created";
	case FILE_ACTION_MODIFIED:
		return "modified";
	case FILE_ACTION_REMOVED:
		return "deleted";
	case FILE_ACTION_RENAMED_OLD_NAME:
		return "moved away";
	default:
		return NULL;
	}
}

/* True when a change names d's file (and not a temp file of ours). */
static bool
sources_dir_match(const struct sources_dirwatch *d,
    const FILE_NOTIFY_INFORMATION *fi)
{
	wchar_t	 name[SOURCES_NAME_CHARS];
	size_t	 n = fi->FileNameLength / sizeof(wchar_t);

	if (n == 0 || n >= SOURCES_NAME_CHARS)
		return false;
	memcpy(name, fi->FileName, n * sizeof(wchar_t));
	name[n] = L'\0';
	if (wcsstr(name, SOURCES_TEMP_TAG_W) != NULL)
		return false;
	return n == d->baselen && CompareStringOrdinal(name, (int)n, d->base,
	    (int)n, TRUE) == CSTR_EQUAL;
}

/* Reports the changes of d's file among the got bytes of scratch; a run of
 * the same change (a write is several) is one event. */
static void
sources_dir_parse(struct sources *src, struct sources_dirwatch *d, DWORD got)
{
	const char	*base = (const char *)src->scratch, *what, *last = NULL;
	size_t		 off = 0, head = offsetof(FILE_NOTIFY_INFORMATION,
			    FileName);

	while (off + head <= got && !src->sc.dying) {
		const FILE_NOTIFY_INFORMATION *fi =
		    (const FILE_NOTIFY_INFORMATION *)(const void *)(base + off);

		if (off + head + fi->FileNameLength > got)
			break;
		if (sources_dir_match(d, fi) &&
		    (what = sources_dir_what(fi->Action)) != NULL &&
		    what != last) {
			sources_emit(&src->sc, d->kind, "%s", what);
			last = what;
		}
		if (fi->NextEntryOffset == 0)
			break;
		off += fi->NextEntryOffset;
	}
}

/* d's read ended: start the next one, then report what it brought. */
static void
sources_dir_fired(struct sources *src, struct sources_dirwatch *d)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 got = 0, e = 0;
	bool	 ok;

	sources_wait_stop(src, &d->w);
	if (d->h == INVALID_HANDLE_VALUE || !d->reading)
		return;
	if (!(ok = GetOverlappedResult(d->h, &d->ov, &got, FALSE) != 0))
		e = GetLastError();
	if (e == ERROR_IO_INCOMPLETE) {
		(void)sources_wait_start(&d->w);
		return;
	}
	d->reading = false;
	if (!ok && e != ERROR_NOTIFY_ENUM_DIR) {
		winutf_message(e, msg, sizeof(msg));
		log_notice("%s: its folder watch ended: %s", d->path, msg);
		sources_dir_close(src, d);
		d->lost = true;
		sources_emit(&src->sc, d->kind, "folder gone");
		if (!src->sc.dying)
			sources_dir_open(src, d);
		return;
	}
	if (got > sizeof(src->scratch))
		got = 0;
	memcpy(src->scratch, d->buf, got);
	if ((e = sources_dir_read(d)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("%s: cannot read its folder's changes: %s; trying "
		    "again on the next event", d->path, msg);
		sources_dir_close(src, d);
		d->lost = true;
	}
	if (got == 0) {
		/* The changes did not fit: they were dropped. */
		log_notice("%s: folder changes were dropped", d->path);
		sources_emit(&src->sc, d->kind, "overflow");
		return;
	}
	sources_dir_parse(src, d, got);
}

/*
 * Group policy: "machine policy was applied".
 */

static void
sources_gp_open(struct sources *src)
{
	FARPROC	 reg, unreg;
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e;

	/* Looked up, so that a system without it still runs the rest. */
	if ((src->userenv = LoadLibraryExW(L"userenv.dll", NULL,
	    LOAD_LIBRARY_SEARCH_SYSTEM32)) == NULL ||
	    (reg = GetProcAddress(src->userenv, "RegisterGPNotification")) ==
	    NULL ||
	    (unreg = GetProcAddress(src->userenv,
	    "UnregisterGPNotification")) == NULL) {
		log_debug("policy refreshes are not watched: no "
		    "RegisterGPNotification");
		return;
	}
	if (!((sources_gp_register_fn)(void (*)(void))reg)(src->policy.event,
	    TRUE)) {
		winutf_message(GetLastError(), msg, sizeof(msg));
		log_notice("policy refreshes are not watched: %s", msg);
		return;
	}
	src->gp_unregister = (sources_gp_unregister_fn)(void (*)(void))unreg;
	if ((e = sources_wait_start(&src->policy)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("policy refreshes are not watched: %s", msg);
	}
}

static void
sources_gp_fired(struct sources *src)
{
	char	 msg[SOURCES_MSG_BYTES];
	DWORD	 e;

	sources_wait_stop(src, &src->policy);
	if ((e = sources_wait_start(&src->policy)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		log_error("policy refreshes are no longer watched: %s", msg);
	}
	sources_emit(&src->sc, SOURCE_NRPT, "policy refresh");
}

/*
 * The loop's side.
 */

/* Watches that failed or were lost: try them again. */
static void
sources_retry(struct sources *src)
{
	size_t	 i;

	for (i = 0; i < SOURCES_REG_COUNT && !src->sc.dying; i++) {
		struct sources_regwatch *w = &src->reg[i];

		if (w->depth != 0)
			continue;
		sources_reg_watch(src, w);
		/* It may have changed while it was not watched. */
		if (w->depth == w->full)
			sources_emit(&src->sc, SOURCE_NRPT, "%s", w->detail);
	}
	for (i = 0; i < SOURCES_DIR_COUNT && !src->sc.dying; i++)
		sources_dir_open(src, &src->dir[i]);
}

static void sources_destroy(struct sources *);

/* The waker: takes everything queued at once, then handles it. */
static void
sources_drain(void *arg)
{
	struct sources		*src = arg;
	struct sources_rec	 recs[SOURCES_QUEUE_MAX];
	size_t			 n, i;
	unsigned		 fired;
	bool			 route, overflow;

	AcquireSRWLockExclusive(&src->lock);
	n = src->nq;
	memcpy(recs, src->q, n * sizeof(recs[0]));
	route = src->q_route;
	overflow = src->q_overflow;
	fired = src->q_fired;
	src->nq = 0;
	src->q_route = src->q_overflow = false;
	src->q_fired = 0;
	ReleaseSRWLockExclusive(&src->lock);

	src->refreshed = false;
	sources_retry(src);
	for (i = 0; i < SOURCES_REG_COUNT && !src->sc.dying; i++) {
		struct sources_regwatch *w = &src->reg[i];
		bool k = (fired & (1u << w->wkey.slot)) != 0;
		bool g = (fired & (1u << w->wguard.slot)) != 0;

		if (k || g)
			sources_reg_fired(src, w, k, g);
	}
	for (i = 0; i < SOURCES_DIR_COUNT && !src->sc.dying; i++)
		if (fired & (1u << src->dir[i].w.slot))
			sources_dir_fired(src, &src->dir[i]);
	if ((fired & (1u << SOURCES_S_POLICY)) && !src->sc.dying)
		sources_gp_fired(src);
	if (overflow && !src->sc.dying) {
		log_notice("IP Helper: more changes than the queue holds; "
		    "listing the adapters again");
		sources_emit(&src->sc, SOURCE_NETWORK, "overflow");
		if (!src->sc.dying)
			sources_adapters_load(src, true);
	}
	for (i = 0; i < n && !src->sc.dying; i++) {
		MIB_NOTIFICATION_TYPE type = (MIB_NOTIFICATION_TYPE)recs[i].type;

		if (recs[i].what == SOURCES_N_INTERFACE)
			sources_if_event(src, recs[i].ifindex, type);
		else
			sources_addr_event(src, recs[i].ifindex, type);
	}
	if (route && !src->sc.dying)
		sources_emit(&src->sc, SOURCE_NETWORK, "route");
	if (src->sc.dying)
		sources_destroy(src);
}

/* The configured files, as folder watches. */
static int
sources_dirs_init(struct sources *src)
{
	const struct sources_config	*cfg = &src->sc.cfg;

	if (cfg->hosts_path != NULL && sources_dir_take(
	    &src->dir[SOURCES_DIR_HOSTS], SOURCE_HOSTS, cfg->hosts_path) != 0)
		return -1;
	if (cfg->desired_path != NULL && sources_dir_take(
	    &src->dir[SOURCES_DIR_DESIRED], SOURCE_DESIRED,
	    cfg->desired_path) != 0)
		return -1;
	return 0;
}

/* Gives every wait its slot and event; the folder reads' events are
 * manual-reset, as overlapped I/O wants. */
static int
sources_init_waits(struct sources *src)
{
	static const wchar_t *const paths[SOURCES_REG_COUNT] = {
		L"" SOURCES_LOCAL_KEY, L"" SOURCES_GP_KEY
	};
	static const char *const upaths[SOURCES_REG_COUNT] = {
		"HKLM\\" SOURCES_LOCAL_KEY, "HKLM\\" SOURCES_GP_KEY
	};
	static const char *const details[SOURCES_REG_COUNT] = {
		"local table", "group policy"
	};
	size_t	 i;
	unsigned s;

	for (i = 0; i < SOURCES_REG_COUNT; i++) {
		struct sources_regwatch *w = &src->reg[i];
		const wchar_t *p;

		w->path = paths[i];
		w->upath = upaths[i];
		w->detail = details[i];
		for (w->full = 1, p = w->path; *p != L'\0'; p++)
			if (*p == L'\\')
				w->full++;
		src->slots[SOURCES_S_LOCAL_KEY + 2 * i] = &w->wkey;
		src->slots[SOURCES_S_LOCAL_GUARD + 2 * i] = &w->wguard;
	}
	for (i = 0; i < SOURCES_DIR_COUNT; i++) {
		src->dir[i].h = INVALID_HANDLE_VALUE;
		src->slots[SOURCES_S_HOSTS + i] = &src->dir[i].w;
	}
	src->slots[SOURCES_S_POLICY] = &src->policy;
	for (s = 0; s < SOURCES_S_COUNT; s++) {
		struct sources_wait *w = src->slots[s];
		bool manual = s == SOURCES_S_HOSTS || s == SOURCES_S_DESIRED;

		w->src = src;
		w->slot = s;
		if ((w->event = CreateEventW(NULL, manual, FALSE, NULL)) ==
		    NULL)
			return -1;
	}
	return 0;
}

static void
sources_destroy(struct sources *src)
{
	size_t	 i;

	/* After these return, no IP Helper callback runs or will run. */
	for (i = 0; i < SOURCES_N_COUNT; i++)
		if (src->notify[i] != NULL)
			(void)CancelMibChangeNotify2(src->notify[i]);
	for (i = 0; i < SOURCES_REG_COUNT; i++)
		if (src->reg[i].wkey.event != NULL)
			sources_reg_unwatch(src, &src->reg[i]);
	for (i = 0; i < SOURCES_DIR_COUNT; i++)
		sources_dir_close(src, &src->dir[i]);
	sources_wait_stop(src, &src->policy);
	if (src->gp_unregister != NULL)
		(void)src->gp_unregister(src->policy.event);
	if (src->userenv != NULL)
		FreeLibrary(src->userenv);
	for (i = 0; i < SOURCES_S_COUNT; i++)
		if (src->slots[i] != NULL && src->slots[i]->event != NULL)
			CloseHandle(src->slots[i]->event);
	/* Nothing can wake it any more. */
	loop_timer_free(src->waker);
	for (i = 0; i < src->nad; i++)
		free(src->ad[i].desc);
	free(src->ad);
	for (i = 0; i < SOURCES_DIR_COUNT; i++) {
		free(src->dir[i].wpath);
		free(src->dir[i].dir);
	}
	sources_clear_config(&src->sc);
	free(src);
}

/* The sources the process made last: the seam a whole-daemon test uses
 * to drive the IP Helper callbacks of a daemon it runs in-process. */
static _Atomic(struct sources *) sources_win_last;

struct sources *
sources_win_current(void)
{
	return atomic_load(&sources_win_last);
}

struct sources *
sources_new(struct loop *loop, const struct sources_config *cfg,
    sources_fn fn, void *arg, struct dwerr *err)
{
	struct sources	*src;
	char		 msg[SOURCES_MSG_BYTES];
	size_t		 i;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: out of memory");
		return NULL;
	}
	src->sc.loop = loop;
	src->sc.fn = fn;
	src->sc.arg = arg;
	src->reg_agnostic = REG_NOTIFY_THREAD_AGNOSTIC;
	InitializeSRWLock(&src->lock);
	if (sources_init_waits(src) != 0) {
		winutf_message(GetLastError(), msg, sizeof(msg));
		dwerr_set(err, ENOMEM, "event sources: cannot create an "
		    "event: %s", msg);
		goto fail;
	}
	if (sources_copy_config(&src->sc, cfg) != 0 ||
	    sources_dirs_init(src) != 0) {
		dwerr_set(err, ENOMEM, "event sources: out of memory (or a "
		    "path that is not UTF-8)");
		goto fail;
	}
	if ((src->waker = loop_waker_new(loop, sources_drain, src)) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: cannot add a waker to "
		    "the loop");
		goto fail;
	}
	/* Known states, so that only changes are reported. */
	sources_adapters_load(src, false);
	if (sources_ip_open(src, err) != 0)
		goto fail;
	for (i = 0; i < SOURCES_REG_COUNT; i++)
		sources_reg_watch(src, &src->reg[i]);
	for (i = 0; i < SOURCES_DIR_COUNT; i++)
		sources_dir_open(src, &src->dir[i]);
	sources_gp_open(src);
	atomic_store(&sources_win_last, src);
	return src;
fail:
	sources_destroy(src);
	return NULL;
}

void
sources_free(struct sources *src)
{
	if (src == NULL)
		return;
	atomic_compare_exchange_strong(&sources_win_last, &(struct sources *){ src },
	    NULL);
	/* Called from fn: the drain frees it once fn returns. */
	if (src->sc.in_fn) {
		src->sc.dying = true;
		return;
	}
	sources_destroy(src);
}
