/*
 * nrpt_scan: both NRPT tables read back as they are, for doctor and
 * verification; never written.
 *
 * nrpt_scan_read reads every rule key of the local table and of the
 * group-policy table (nrpt_store.h names both), whether the GP table
 * exists and holds rules, every rule's raw values with what is wrong with
 * them (policy/nrptcheck.h), and the rule-ID lists that say who wrote a
 * rule: our own record(s), and the ones Coder Desktop and Tailscale keep.
 *
 * One implementation per platform: nrpt_scan_win.c (the registry, in its
 * 64-bit view) and nrpt_scan_none.c (platforms without NRPT).
 */
#ifndef NRPT_SCAN_H
#define NRPT_SCAN_H

#include <stddef.h>

#include "dwerr.h"
#include "nrptcheck.h"

/* The lists other products keep of their rule IDs (REG_MULTI_SZ). */
#define NRPT_SCAN_CODER_KEY		"SOFTWARE\\Coder VPN"
#define NRPT_SCAN_TAILSCALE_KEY		"SOFTWARE\\Tailscale IPN"
#define NRPT_SCAN_IDS_VALUE		"NRPTRuleIDs"

/* A REG_MULTI_SZ of rule IDs: a key under HKLM and a value name. */
struct nrpt_scan_record {
	const char	*key;
	const char	*value;
};

/* Reads both tables and the ID lists into *s (cleared first; the caller
 * frees it with nrptcheck_scan_clear). The IDs of the nours records ours
 * make up s->ours; a missing list, key or value reads as empty. Owners
 * are not set (nrptcheck_owners). Returns 0, or -1 with err; err->code is
 * ENOTSUP where the platform has no NRPT. */
int	nrpt_scan_read(const struct nrpt_scan_record *ours, size_t nours,
	    struct nrptcheck_scan *s, struct dwerr *err);

#endif
