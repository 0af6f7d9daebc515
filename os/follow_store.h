/*
 * follow_store: what a tunnel left in the registry, read as it is, and a
 * rule key of it written back (follow mode, policy/follow.h).
 *
 * Nothing here decides: follow_store_read reports the tunnel's record
 * value, the rule keys it lists in both NRPT tables (every value as read:
 * type and bytes) and whether the group-policy table exists;
 * follow_store_put writes one learned rule key back, value by value.
 * follow_store_alive says whether the tunnel's adapter is present.
 *
 * One implementation per platform: follow_store_win.c (the registry, IP
 * Helper) and follow_store_posix.c (no NRPT; the adapter by interface
 * name).
 */
#ifndef FOLLOW_STORE_H
#define FOLLOW_STORE_H

#include <stdbool.h>

#include "dwerr.h"
#include "follow.h"

/* Fills seen's nrpt, record, ids, rules and gp_table (the caller clears
 * it with follow_seen_clear). Where the platform has no NRPT, seen->nrpt
 * is false and the rest stays empty. A record value of another type than
 * REG_MULTI_SZ counts as present and listing nothing; a listed ID that is
 * not a plain key name ("{...}", no backslash) is ignored. Returns 0, or
 * -1 with err when the registry could not be read (other than "not
 * there"). */
int	follow_store_read(const struct follow_tunnel *tun,
	    struct follow_seen *seen, struct dwerr *err);

/* Writes rule's values into its key in table (creating the key, never
 * the group-policy table itself): only values whose type or bytes differ
 * are set, and values the key holds beyond rule's are left alone. The
 * tunnel's record value is never written. *written grows by the values
 * set. Returns 0, or -1 with err. */
int	follow_store_put(const struct follow_rule *rule,
	    enum follow_table table, unsigned *written, struct dwerr *err);

/* True when the tunnel's adapter is present: on Windows an adapter whose
 * name (its GUID) is adapter_guid or whose friendly name is adapter_name;
 * elsewhere an interface named adapter_name. */
bool	follow_store_alive(const struct follow_tunnel *tun);

/* The seam tests drive (Wine has no Wintun adapter): while set, fn
 * answers follow_store_alive. NULL restores the OS. */
typedef bool (*follow_store_alive_fn)(const struct follow_tunnel *tun,
	    void *ctx);
void	follow_store_set_alive_hook(follow_store_alive_fn fn, void *ctx);

#endif
