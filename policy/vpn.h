/*
 * vpn: which network adapters are VPNs, by the start of their name.
 *
 * The daemon's event sources and doctor ask the same question of the same
 * prefixes (the config's vpn.adapter_prefixes, or the platform's own list):
 * an adapter is a VPN when its name (or, on Windows, its description)
 * begins with one of them, case-sensitively.
 */
#ifndef VPN_H
#define VPN_H

#include <stdbool.h>
#include <stddef.h>

/* True when s begins with one of the n prefixes. An empty or NULL prefix
 * matches nothing (it would make every adapter a VPN); a NULL s is no
 * match. */
bool	vpn_prefix_match(const char *const *prefixes, size_t n, const char *s);

#endif
