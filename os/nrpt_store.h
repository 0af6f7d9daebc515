/*
 * nrpt_store: where NRPT rules live (the Windows registry).
 *
 * The store reads the live rules and the ownership record into a struct
 * nrpt_live for the planner (policy/nrpt.h), and carries a plan out through
 * the callbacks of nrpt_store_ops (nrpt_apply calls them in the safe order).
 *
 * Placement: rules go to the local table
 *   HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters\DnsPolicyConfig
 * and, when the group-policy table
 *   HKLM\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient\DnsPolicyConfig
 * exists (even empty: Windows then ignores every local rule), to both.
 * The store never creates the GP table, and deletes it only when its own
 * deletes emptied it. In GP mode a value is reported to the planner only
 * when both tables hold it identically, so a missing or stale copy is
 * rewritten by the next plan.
 *
 * One implementation per platform: nrpt_store_win.c (registry) and
 * nrpt_store_none.c (platforms without NRPT: nrpt_store_open says so).
 */
#ifndef NRPT_STORE_H
#define NRPT_STORE_H

#include <stdbool.h>

#include "dwerr.h"
#include "nrpt.h"

/* The two NRPT tables, under HKLM (the comment above says which wins). */
#define NRPT_LOCAL_PATH	\
	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\Parameters\\" \
	"DnsPolicyConfig"
#define NRPT_GP_PATH	\
	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient\\DnsPolicyConfig"

#define NRPT_RECORD_KEY_DEFAULT		"SOFTWARE\\DnsWatchdog"
#define NRPT_RECORD_VALUE_DEFAULT	"NRPTRuleIDs"
#define NRPT_RULE_VERSION		2u	/* see docs/decisions/0002 */
#define NRPT_RULE_COMMENT		"Managed by dnswatchdog"

struct nrpt_store;

/* Opens the store. record_key is a path under HKLM holding the ownership
 * record (a REG_MULTI_SZ named record_value). Returns 0, or -1 with err;
 * err->code is ENOTSUP where the platform has no NRPT. */
int	nrpt_store_open(const char *record_key, const char *record_value,
	    struct nrpt_store **out, struct dwerr *err);

/* Closes the store; NULL is a no-op. */
void	nrpt_store_free(struct nrpt_store *st);

/* Reads every rule of the effective table(s) and the ownership record into
 * live (the caller clears it with nrpt_live_clear). Decides the placement
 * (local only, or local and GP) for the writes that follow. */
int	nrpt_store_read(struct nrpt_store *st, struct nrpt_live *live,
	    struct dwerr *err);

/* True when the last read found the GP table, so writes go to both. */
bool	nrpt_store_gp(const struct nrpt_store *st);

/* The callbacks for nrpt_apply; their ctx is the store. */
const struct nrpt_store_ops *nrpt_store_ops(void);

/* Asks the DNS client to pick up changed rules (dnsnotify_nrpt: re-read,
 * a policy change when the GP table is in use, then a flush). Best effort:
 * returns -1 with err when a step failed, and the caller traces it. */
int	nrpt_store_notify(struct nrpt_store *st, struct dwerr *err);

#endif
