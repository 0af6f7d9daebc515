/*
 * follow: the DNS state a tunnel leaves behind, learned and put back.
 *
 * In follow mode no desired-state file is read: the watchdog learns what
 * an unmodified tunnel (Coder Desktop, Tailscale) wrote, its NRPT rule
 * keys listed in its own record value and its own section of the hosts
 * file, and puts that back after something wiped it. This file is the
 * pure part: the table of known tunnels, the learned state and its file
 * format, and follow_decide, which compares what a pass saw with what was
 * learned and says what to learn, what to restore and when to stand down.
 * Reading and writing the registry is os/follow_store.h; the pass is
 * pass/followpass.h. See docs/follow.md.
 */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

#define FOLLOW_MAX_RULES	256u	/* rule keys a record may list */
#define FOLLOW_MAX_VALUES	32u	/* values in one rule key */
#define FOLLOW_MAX_VALUE_BYTES	(64u << 10)	/* data of one value */
#define FOLLOW_STATE_MAX_BYTES	(8u << 20)	/* a larger state file is refused */
#define FOLLOW_FORGET_AFTER_MS_DEFAULT	(24u * 3600u * 1000u)

/* A tunnel: where it keeps its rule IDs, its hosts markers, its adapter. */
struct follow_tunnel {
	const char	*name;		/* "coder", "tailscale", or a config's own */
	const char	*record_key;	/* under HKLM */
	const char	*record_value;	/* a REG_MULTI_SZ of rule key names */
	const char	*begin_marker;	/* whole lines of the hosts file */
	const char	*end_marker;
	const char	*adapter_guid;	/* "{...}" (Windows), or NULL */
	const char	*adapter_name;	/* the adapter's name: Windows' friendly
					 * name, or the interface name */
};

/* The known tunnel called name (case-sensitive), or NULL. */
const struct follow_tunnel *follow_tunnel_find(const char *name);
/* The names of the known tunnels, for messages: "coder", "tailscale". */
const char	*follow_tunnel_names(void);

/* Where an NRPT rule key sits. */
enum follow_table {
	FOLLOW_LOCAL,	/* Dnscache\Parameters\DnsPolicyConfig */
	FOLLOW_GP	/* the group-policy table */
};

/* One registry value exactly as read: its type and its bytes. */
struct follow_value {
	char		*name;
	uint32_t	 type;	/* REG_SZ 1, REG_EXPAND_SZ 2, REG_DWORD 4... */
	uint8_t		*data;
	size_t		 len;
};

/* One rule key of the tunnel, in one table. */
struct follow_rule {
	char			*id;	/* the key's name, "{GUID}" */
	enum follow_table	 table;
	struct follow_value	*values;
	size_t			 nvalues;
};

/* What is learned (and kept in the state file). */
struct follow_state {
	char			*tunnel;
	struct follow_rule	*rules;		/* sorted by id, then table */
	size_t			 nrules;
	bool			 has_hosts;	/* a section was learned */
	char			*hosts;		/* its body: the bytes between
						 * the marker lines, as they stood */
	size_t			 hosts_len;
	uint64_t		 learned_ms;	/* wall clock, ms since 1970 */
	uint64_t		 gone_since_ms;	/* wall clock: the adapter was
						 * first seen gone; 0: not gone */
};

/* How the tunnel's hosts section was found. */
enum follow_hosts_seen {
	FOLLOW_HOSTS_UNKNOWN,	/* not read (the file is not managed, or
				 * could not be read) */
	FOLLOW_HOSTS_ABSENT,	/* no marker of the tunnel */
	FOLLOW_HOSTS_COMPLETE,	/* one begin marker, one end marker, in order */
	FOLLOW_HOSTS_BROKEN	/* a lone marker, or more than one section:
				 * left alone */
};

/* What a pass saw of the tunnel. The pass fills it; rules and ids point
 * into storage the caller frees with follow_seen_clear. */
struct follow_seen {
	const char		*tunnel;	/* its name (borrowed) */
	bool			 nrpt;		/* the platform has NRPT rules */
	bool			 record;	/* the record value exists */
	char			**ids;		/* the IDs it lists */
	size_t			 nids;
	struct follow_rule	*rules;		/* the keys found for those
						 * IDs, one per table found in */
	size_t			 nrules;
	bool			 gp_table;	/* the group-policy table exists */
	enum follow_hosts_seen	 hosts;
	const char		*hosts_body;	/* COMPLETE: the section's body */
	size_t			 hosts_len;
	bool			 alive;		/* the tunnel's adapter is up */
};

/* One rule key to write back: rule's values, into table. */
struct follow_put {
	const struct follow_rule	*rule;	/* from the learned state */
	enum follow_table		 table;
};

/* What a pass is to do. */
struct follow_decision {
	bool			 learned_nrpt;	/* the rules were learned anew */
	bool			 learned_hosts;	/* the section was learned anew */
	bool			 save;		/* the state file changes */
	bool			 forget;	/* the state file goes */
	const char		*stand_down;	/* why nothing is restored
						 * ("record removed", "adapter
						 * gone", "forgotten"); NULL */
	struct follow_put	*puts;		/* rule keys to write back */
	size_t			 nputs;
	enum {
		FOLLOW_HOSTS_LEAVE,	/* leave the hosts file alone */
		FOLLOW_HOSTS_KEEP	/* the learned section is wanted:
					 * restore it where it is missing */
	}			 hosts;
};

/*
 * Decides one pass. learned may be NULL (nothing learned yet). *next gets
 * the state to keep from now on (learned, changed or not; NULL when there
 * is none or it is to be forgotten): the caller saves it when d->save,
 * deletes the file when d->forget, and frees the old one. d->puts point
 * into *next. Returns 0, or -1 with err (out of memory).
 *
 * The rules: the tunnel's own writes always win, so a complete set (the
 * record lists IDs, each has a key with Name and GenericDNSServers in a
 * table; a complete hosts section) is learned, while the tunnel is alive
 * (its adapter is up, or require_adapter is false), whenever it differs
 * from what was learned. While it is alive, a record that lists IDs
 * whose keys are missing or lack those values gets them back from what
 * was learned, and a learned section that is missing (no marker of it
 * at all) goes back too; a lone marker or a second section leaves the
 * file alone. A record value that is gone means the tunnel removed its
 * rules on purpose: forget. An adapter gone for forget_after_ms:
 * forget.
 */
int	follow_decide(const struct follow_state *learned,
	    const struct follow_seen *seen, uint64_t now_ms,
	    uint64_t forget_after_ms, bool require_adapter,
	    struct follow_state **next, struct follow_decision *d,
	    struct dwerr *err);

/* Frees what follow_decide allocated in d; leaves it empty. */
void	follow_decision_clear(struct follow_decision *d);

/* True when key holds the values that make a rule (Name and
 * GenericDNSServers, as strings). */
bool	follow_rule_usable(const struct follow_rule *r);
/* The value called name (case-insensitive, as the registry), or NULL. */
const struct follow_value *follow_rule_value(const struct follow_rule *r,
	    const char *name);

/* The state file: JSON, written by follow_state_render and read back by
 * follow_state_parse (which checks every field and reports problems as
 * "FILE: $.path: reason"). Both return 0, or -1 with err. */
int	follow_state_render(const struct follow_state *st, char **out,
	    size_t *outlen, struct dwerr *err);
int	follow_state_parse(const char *text, size_t len, const char *file,
	    struct follow_state **out, struct dwerr *err);

/* A deep copy; NULL without memory. */
struct follow_state *follow_state_dup(const struct follow_state *st);
void	follow_state_free(struct follow_state *st);
/* True when a and b hold the same rules and section (times aside). */
bool	follow_state_same(const struct follow_state *a,
	    const struct follow_state *b);

/* Frees what a follow_seen points to (not hosts_body, which is the
 * caller's) and zeroes it. */
void	follow_seen_clear(struct follow_seen *s);
void	follow_rule_clear(struct follow_rule *r);

#endif
