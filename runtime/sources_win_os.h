/*
 * sources_win_os: where sources_win_iphlp.c meets the IP Helper API.
 *
 * These are the callbacks sources_win_iphlp.c registers with
 * NotifyIpInterfaceChange, NotifyUnicastIpAddressChange and
 * NotifyRouteChange2 (AF_UNSPEC, no initial notification). Their context
 * is the struct sources that sources_new returned. Windows calls them on
 * its thread pool with a row it owns for the call; a test calls them the
 * same way, from a thread of its own, since Wine accepts the registrations
 * but never calls back.
 *
 * They only queue (what, interface index) and wake the loop; the loop
 * names the interface from the Description of its adapter
 * (GetAdaptersAddresses), so a test makes a real adapter a VPN by putting
 * the start of that adapter's Description among the VPN prefixes of its
 * configuration. A test must not call them after sources_free.
 */
#ifndef SOURCES_WIN_OS_H
#define SOURCES_WIN_OS_H

#include <winsock2.h>
#include <ws2ipdef.h>
#include <windows.h>
#include <iphlpapi.h>

/* An IP interface was added, deleted or changed (Row: index and family). */
VOID WINAPI	sources_win_on_interface(PVOID ctx, PMIB_IPINTERFACE_ROW row,
		    MIB_NOTIFICATION_TYPE type);
/* A unicast address was added, deleted or changed (DAD state). */
VOID WINAPI	sources_win_on_address(PVOID ctx, PMIB_UNICASTIPADDRESS_ROW row,
		    MIB_NOTIFICATION_TYPE type);
/* A route was added, deleted or changed; all of them until the loop next
 * looks make one "route" event. */
VOID WINAPI	sources_win_on_route(PVOID ctx, PMIB_IPFORWARD_ROW2 row,
		    MIB_NOTIFICATION_TYPE type);

/* The struct sources the process made last (NULL after its free): how a
 * test that runs the whole daemon in-process reaches the callbacks above. */
struct sources;
struct sources	*sources_win_current(void);

/* The event RegisterGPNotification signals when machine policy was
 * applied. Wine accepts the registration but never signals it; a test
 * sets it to stand for Windows doing so. */
HANDLE		 sources_win_policy_event(struct sources *src);

#endif
