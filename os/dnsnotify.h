/*
 * dnsnotify: telling the DNS client that what it reads has changed.
 *
 * Windows (dnsnotify_win.c), after an NRPT change, in this order:
 *   1. SERVICE_CONTROL_PARAMCHANGE to Dnscache: re-read the parameters,
 *      the local NRPT table among them;
 *   2. in group-policy placement, the group-policy change is published
 *      (WNF_GPOL_SYSTEM_CHANGES through RtlPublishWnfStateData, the signal
 *      Windows itself gives once policy is applied), and only when that is
 *      missing or fails RefreshPolicyEx(TRUE, RP_FORCE), which reapplies
 *      all machine policy;
 *   3. DnsFlushResolverCache, last: an answer cached under the old rules
 *      before the re-read is dropped, and none cached in between survives.
 * After a hosts write: DnsFlushResolverCache, so a name the cache holds a
 * (negative) answer for resolves from the new file.
 * Each step is best effort: a failure is reported, and the others still
 * run. Other platforms (dnsnotify_none.c) have nothing to tell.
 *
 * Our own publication comes back through RegisterGPNotification like any
 * policy refresh; dnsnotify_gp_own_take recognises it. A forced refresh is
 * never counted as ours: it reapplies policy, and what it changes (rules
 * a GPO removes) must be looked at.
 *
 * Called from the loop thread only (the state here is not locked).
 */
#ifndef DNSNOTIFY_H
#define DNSNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "dwerr.h"

/* How long after our publication a policy notification counts as ours. */
#define DNSNOTIFY_GP_OWN_MS	10000u
/* Publications remembered at once (each recognises one notification). */
#define DNSNOTIFY_GP_OWN_MAX	4u

/* The NRPT changed; gp: the group-policy table is in use. Returns 0, or
 * -1 with err naming every step that failed. */
int	dnsnotify_nrpt(bool gp, struct dwerr *err);

/* The hosts file was written: flush the cache. 0, or -1 with err. */
int	dnsnotify_hosts(struct dwerr *err);

/* True, once per own publication, when a policy notification arriving at
 * now_ms (platform_mono_ms) falls within DNSNOTIFY_GP_OWN_MS of one. */
bool	dnsnotify_gp_own_take(uint64_t now_ms);

#endif
