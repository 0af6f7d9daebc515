/*
 * nrpt: the NRPT planner and the safe-order applier.
 *
 * nrpt_plan_make compares the desired rules with the live rules read from a
 * store and decides, per rule ID, what to do; nrpt_apply carries a plan out
 * through a store's callbacks in the one order that never loses DNS and
 * never orphans a key:
 *   1. record the IDs of new rules in the ownership record;
 *   2. write every created or changed rule (only the values that differ);
 *   3. only if every write succeeded, delete stale owned rules;
 *   4. drop deleted and vanished IDs from the ownership record.
 * Rules that are neither owned nor adopted are never touched.
 * Pure: no registry access here; the Windows store lives in os/nrpt_store_win.c.
 */
#ifndef NRPT_H
#define NRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desired.h"
#include "dwerr.h"

#define NRPT_MAX_NAMES_PER_RULE	50u	/* domains per registry rule */
#define NRPT_ID_BYTES		39u	/* "{8-4-4-4-12}" + NUL */
#define NRPT_CONFIG_GENERIC_DNS	0x8u	/* ConfigOptions: use GenericDNSServers */

/* Values of a rule key, as bits of struct nrpt_action.values. */
enum nrpt_value {
	NRPT_V_NAME	= 1u << 0,	/* Name, REG_MULTI_SZ */
	NRPT_V_SERVERS	= 1u << 1,	/* GenericDNSServers, REG_SZ */
	NRPT_V_VERSION	= 1u << 2,	/* Version, REG_DWORD */
	NRPT_V_CONFIG	= 1u << 3,	/* ConfigOptions, REG_DWORD */
	NRPT_V_COMMENT	= 1u << 4,	/* Comment, REG_SZ */
	NRPT_V_IPSECCA	= 1u << 5,	/* IPSECCARestriction, REG_SZ */
	NRPT_V_DISPLAY	= 1u << 6,	/* DisplayName, REG_SZ */
	NRPT_V_ALL	= (1u << 7) - 1
};

/* One rule key as read from (or to be written to) the registry. A string
 * value that is absent is NULL; a DWORD that is absent has its flag clear. */
struct nrpt_rule {
	char		 *id;		/* subkey name, e.g. "{...}" */
	char		**names;	/* Name: ".coder", ... */
	size_t		  nnames;
	char		 *servers;	/* GenericDNSServers: "a;b" */
	uint32_t	  version;
	bool		  has_version;
	uint32_t	  config_options;
	bool		  has_config_options;
	char		 *comment;
	char		 *ipsec_ca;	/* IPSECCARestriction */
	char		 *display;	/* DisplayName */
};

/* What a store reads: every rule key, and the ownership record. */
struct nrpt_live {
	struct nrpt_rule  *rules;
	size_t		   nrules;
	char		 **owned;	/* rule IDs this watchdog wrote */
	size_t		   nowned;
};

/* Fixed values every written rule carries. */
struct nrpt_params {
	uint32_t	 version;	/* Version value */
	const char	*comment;	/* Comment value identifying the watchdog */
};

enum nrpt_op {
	NRPT_OP_KEEP,	/* owned rule already right: nothing to write */
	NRPT_OP_ADOPT,	/* foreign rule already expresses a desired chunk */
	NRPT_OP_UPDATE,	/* owned rule reused: write the differing values */
	NRPT_OP_CREATE,	/* new ID: record it, then write every value */
	NRPT_OP_DELETE,	/* owned rule no longer wanted: delete after writes */
	NRPT_OP_FORGET	/* owned ID whose key is gone: drop from the record */
};

struct nrpt_action {
	enum nrpt_op	 op;
	unsigned	 values;	/* NRPT_V_* to write (UPDATE, CREATE) */
	struct nrpt_rule want;		/* the rule's desired content; want.id is the ID */
};

struct nrpt_plan {
	struct nrpt_action	 *actions;	/* writes first, then deletes, then forgets */
	size_t			  nactions;
	char			**owned_after;	/* the record once the plan has run */
	size_t			  nowned_after;
};

/* Supplies a fresh rule ID ("{xxxxxxxx-...}") for a created rule; the
 * randomness comes from the caller so the planner stays pure. */
typedef void (*nrpt_id_fn)(void *ctx, char id[NRPT_ID_BYTES]);

/* Callbacks a store provides to nrpt_apply; each returns 0 or -1 with err. */
struct nrpt_store_ops {
	/* Replaces the ownership record with ids. */
	int	(*record_set)(void *ctx, char *const *ids, size_t nids, struct dwerr *err);
	/* Writes the values of rule->id selected by the NRPT_V_* bits. */
	int	(*rule_write)(void *ctx, const struct nrpt_rule *rule, unsigned values,
		    struct dwerr *err);
	/* Deletes the rule key id. */
	int	(*rule_delete)(void *ctx, const char *id, struct dwerr *err);
};

/* What nrpt_apply did. */
struct nrpt_apply_result {
	size_t	values_written;	/* registry values set */
	size_t	rules_written;	/* rule keys created or updated */
	size_t	rules_deleted;
	bool	deletes_skipped; /* a write failed, so stale rules were kept */
};

/* Plans the changes from live to desired. *out is owned by the caller (free
 * with nrpt_plan_free). Returns 0, or -1 with err (ENOMEM). */
int	nrpt_plan_make(const struct desired_state *ds, const struct nrpt_live *live,
	    const struct nrpt_params *params, nrpt_id_fn new_id, void *id_ctx,
	    struct nrpt_plan **out, struct dwerr *err);

/* Frees a plan; NULL is a no-op. */
void	nrpt_plan_free(struct nrpt_plan *plan);

/* True when the plan writes, deletes and records nothing. */
bool	nrpt_plan_is_noop(const struct nrpt_plan *plan);

/* Carries out plan through ops in the safe order described above. Stops at
 * the first failed write (no deletes then); returns 0 or -1 with err. */
int	nrpt_apply(const struct nrpt_plan *plan, const struct nrpt_live *live,
	    const struct nrpt_store_ops *ops, void *ctx,
	    struct nrpt_apply_result *res, struct dwerr *err);

/* Frees the members of a rule (not the rule itself); NULL is a no-op. */
void	nrpt_rule_clear(struct nrpt_rule *rule);

/* Frees the rules and the record of a live set (not the struct itself). */
void	nrpt_live_clear(struct nrpt_live *live);

/* The name of an op, for plans and traces ("keep", "create", ...). */
const char *nrpt_op_name(enum nrpt_op op);

#endif
