/*
 * sources: Windows, the IP Helper notifications (see sources_win.c).
 *
 * Interfaces are named by their adapter's Description (GetAdaptersAddresses,
 * cached by interface index, read again on a miss) and kept with their
 * operational state, so a VPN adapter is reported when it comes up, not on
 * every parameter change. Every route change between two looks at the
 * queue makes one event.
 */
#include "sources.h"
#include "sources_win_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "winsys.h"
#include "winutf.h"

#define SOURCES_GAA_BYTES	(15u << 10)	/* first try, as Microsoft advises */
#define SOURCES_GAA_TRIES	4u
#define SOURCES_GAA_FLAGS	(GAA_FLAG_SKIP_UNICAST | GAA_FLAG_SKIP_ANYCAST | \
				 GAA_FLAG_SKIP_MULTICAST | \
				 GAA_FLAG_SKIP_DNS_SERVER | \
				 GAA_FLAG_SKIP_FRIENDLY_NAME)

/*
 * IP Helper's functions, found at run time: iphlpapi.dll is not a Known
 * DLL, so an import would let a copy planted beside the program load first
 * (winsys.h). Set by sources_ip_open before any notification is asked for.
 */
static struct {
	ULONG	(WINAPI *get_adapters)(ULONG, ULONG, PVOID,
		    PIP_ADAPTER_ADDRESSES, PULONG);
	DWORD	(WINAPI *get_if_entry)(PMIB_IF_ROW2);
	DWORD	(WINAPI *notify_interface)(ADDRESS_FAMILY,
		    PIPINTERFACE_CHANGE_CALLBACK, PVOID, BOOLEAN, HANDLE *);
	DWORD	(WINAPI *notify_address)(ADDRESS_FAMILY,
		    PUNICAST_IPADDRESS_CHANGE_CALLBACK, PVOID, BOOLEAN,
		    HANDLE *);
	DWORD	(WINAPI *notify_route)(ADDRESS_FAMILY, PIPFORWARD_CHANGE_CALLBACK,
		    PVOID, BOOLEAN, HANDLE *);
	DWORD	(WINAPI *cancel)(HANDLE);
} iphlp;

/* Finds them all, or says which one is missing. */
static int
sources_iphlp_find(struct dwerr *err)
{
	static const char *const names[] = { "GetAdaptersAddresses",
	    "GetIfEntry2", "NotifyIpInterfaceChange",
	    "NotifyUnicastIpAddressChange", "NotifyRouteChange2",
	    "CancelMibChangeNotify2" };
	FARPROC		 p[sizeof(names) / sizeof(names[0])];
	char		 msg[SOURCES_MSG_BYTES];
	size_t		 i;
	DWORD		 e;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((p[i] = winsys_proc(L"iphlpapi.dll", names[i], &e)) ==
		    NULL) {
			winutf_message(e, msg, sizeof(msg));
			dwerr_set(err, (int)e, "IP Helper: cannot find %s in "
			    "iphlpapi.dll: %s", names[i], msg);
			return -1;
		}
	}
	/* Through void (*)(void): a cast between function types that
	 * the compiler does not take for a mistake. */
	iphlp.get_adapters = (ULONG (WINAPI *)(ULONG, ULONG, PVOID,
	    PIP_ADAPTER_ADDRESSES, PULONG))(void (*)(void))p[0];
	iphlp.get_if_entry = (DWORD (WINAPI *)(PMIB_IF_ROW2))
	    (void (*)(void))p[1];
	iphlp.notify_interface = (DWORD (WINAPI *)(ADDRESS_FAMILY,
	    PIPINTERFACE_CHANGE_CALLBACK, PVOID, BOOLEAN, HANDLE *))
	    (void (*)(void))p[2];
	iphlp.notify_address = (DWORD (WINAPI *)(ADDRESS_FAMILY,
	    PUNICAST_IPADDRESS_CHANGE_CALLBACK, PVOID, BOOLEAN, HANDLE *))
	    (void (*)(void))p[3];
	iphlp.notify_route = (DWORD (WINAPI *)(ADDRESS_FAMILY,
	    PIPFORWARD_CHANGE_CALLBACK, PVOID, BOOLEAN, HANDLE *))
	    (void (*)(void))p[4];
	iphlp.cancel = (DWORD (WINAPI *)(HANDLE))(void (*)(void))p[5];
	return 0;
}

/*
 * The callbacks (sources_win_os.h), on Windows' threads: they only queue.
 */

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
	(void)row;
	if (type == MibInitialNotification)
		return;
	sources_post_route(ctx);
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
		rc = iphlp.get_adapters(AF_UNSPEC, SOURCES_GAA_FLAGS, NULL,
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
	exists = iphlp.get_if_entry(&row) == NO_ERROR;
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

/*
 * The loop's side.
 */

int
sources_ip_open(struct sources *src, struct dwerr *err)
{
	HANDLE	 h[SOURCES_N_COUNT] = { NULL, NULL, NULL };
	DWORD	 rc;
	char	 msg[SOURCES_MSG_BYTES];
	size_t	 i;

	if (sources_iphlp_find(err) != 0)
		return -1;
	/* Known states, so that only changes are reported. */
	sources_adapters_load(src, false);
	rc = iphlp.notify_interface(AF_UNSPEC, sources_win_on_interface, src,
	    FALSE, &h[SOURCES_N_INTERFACE]);
	if (rc == NO_ERROR)
		rc = iphlp.notify_address(AF_UNSPEC, sources_win_on_address, src,
		    FALSE, &h[SOURCES_N_ADDRESS]);
	if (rc == NO_ERROR)
		rc = iphlp.notify_route(AF_UNSPEC, sources_win_on_route, src,
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

/* A look at the queue: what the callbacks recorded since the last one. */
void
sources_ip_fired(struct sources *src, const struct sources_rec *recs,
    size_t n, bool overflow, bool route)
{
	size_t	 i;

	src->refreshed = false;
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
}

void
sources_ip_close(struct sources *src)
{
	size_t	 i;

	/* After these return, no IP Helper callback runs or will run. */
	for (i = 0; i < SOURCES_N_COUNT; i++)
		if (src->notify[i] != NULL)
			(void)iphlp.cancel(src->notify[i]);
	for (i = 0; i < src->nad; i++)
		free(src->ad[i].desc);
	free(src->ad);
}
