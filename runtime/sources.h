/*
 * sources: the OS events that may mean DNS needs a look, bridged into the
 * loop. Each event becomes a call of the daemon's callback with a kind and
 * a short detail; the daemon decides what to do (events decide when, the
 * desired state decides what).
 *
 * Linux: rtnetlink (links, IPv4 and IPv6 addresses, routes) and inotify on
 * the folders of the hosts file and of the desired-state file (aware of
 * rename-over). Windows: IP Helper notifications and registry and folder
 * watches (their own issue). sources_none.c: timers and the control
 * channel only.
 */
#ifndef SOURCES_H
#define SOURCES_H

#include <stddef.h>

#include "dwerr.h"
#include "loop.h"

enum source_kind {
	SOURCE_NETWORK,		/* a link, address or route changed */
	SOURCE_VPN,		/* a VPN adapter came up or got an address */
	SOURCE_HOSTS,		/* the hosts file changed (maybe by us) */
	SOURCE_DESIRED,		/* the desired-state file changed */
	SOURCE_NRPT,		/* an NRPT table or DNS-client policy changed */
	SOURCE_POLICY		/* machine group policy was applied (or said
				 * to be: our own publication comes back) */
};

typedef void (*sources_fn)(void *arg, enum source_kind kind, const char *detail);

struct sources_config {
	const char		*hosts_path;	/* NULL: not watched */
	const char		*desired_path;
	const char *const	*vpn_prefixes;	/* adapter name or description prefixes */
	size_t			 nvpn;
	const char		*record_key;	/* follow mode: the tunnel's record
						 * (under HKLM; Windows), or NULL */
};

struct sources;

/* Starts watching; fn(arg, ...) runs in the loop. Returns NULL with err
 * when a source cannot start (the daemon then runs on timers alone). */
struct sources	*sources_new(struct loop *loop, const struct sources_config *cfg,
		    sources_fn fn, void *arg, struct dwerr *err);
/* Stops watching; NULL is a no-op. */
void		 sources_free(struct sources *src);
/* True when name (an interface name or an adapter description) starts
 * with one of the configured VPN prefixes. */
int		 sources_is_vpn(const struct sources_config *cfg, const char *name);

/* "network", "vpn", "hosts", "desired", "nrpt", "policy". */
const char	*sources_kind_name(enum source_kind kind);

#endif
