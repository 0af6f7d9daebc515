/*
 * nrptcheck: what the NRPT tables, as read, mean for name resolution.
 *
 * A scan (os/nrpt_scan.h fills it) holds every rule key of both tables
 * with its raw values, whether the group-policy table exists, and the
 * rule-ID lists the tunnels leave behind. nrptcheck then says who owns
 * each rule, whether Windows can parse it, which rule wins a name, and
 * what is wrong (the findings of `dnswatchdog doctor`).
 *
 * The effective table is the GP table when it exists (even empty: Windows
 * then ignores every local rule), else the local one.
 * Pure: no registry access here.
 */
#ifndef NRPTCHECK_H
#define NRPTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desired.h"

#define NRPTCHECK_WHY_BYTES	256u	/* a problem's sentence */
#define NRPTCHECK_MSG_BYTES	768u	/* a finding's sentence */

enum nrptcheck_table {
	NRPTCHECK_LOCAL,
	NRPTCHECK_GP
};

enum nrptcheck_gp {
	NRPTCHECK_GP_ABSENT,
	NRPTCHECK_GP_EMPTY,	/* the key exists, no rule under it */
	NRPTCHECK_GP_PRESENT
};

/* Who wrote a rule, from what each product leaves (nrptcheck_owners). */
enum nrptcheck_owner {
	NRPTCHECK_OURS,		/* in our ownership record */
	NRPTCHECK_CODER,	/* HKLM\SOFTWARE\Coder VPN NRPTRuleIDs */
	NRPTCHECK_TAILSCALE,	/* HKLM\SOFTWARE\Tailscale IPN NRPTRuleIDs */
	NRPTCHECK_NETBIRD,	/* key NetBird-Match-<n> */
	NRPTCHECK_OPENVPN,	/* key OpenVPNDNSRouting* */
	NRPTCHECK_FIREZONE,	/* Comment firezone-..., or DisplayName */
	NRPTCHECK_UNKNOWN
};

/* Raw-value problems of a rule key, as bits of nrptcheck_rule.raw. */
enum nrptcheck_raw {
	NRPTCHECK_RAW_NAME_MISSING	= 1u << 0,
	NRPTCHECK_RAW_NAME_TYPE		= 1u << 1,	/* not REG_MULTI_SZ */
	NRPTCHECK_RAW_SERVERS_MISSING	= 1u << 2,
	NRPTCHECK_RAW_SERVERS_TYPE	= 1u << 3,	/* not REG_SZ */
	NRPTCHECK_RAW_CONFIG_TYPE	= 1u << 4	/* not a REG_DWORD */
};

/* One rule key as read. Strings are malloc'd; an absent value is NULL. */
struct nrptcheck_rule {
	enum nrptcheck_table	  table;
	char			 *id;		/* the key's name */
	char			**names;	/* Name */
	size_t			  nnames;
	char			 *servers;	/* GenericDNSServers, raw */
	char			 *comment;
	char			 *display;	/* DisplayName */
	uint32_t		  config_options;
	bool			  has_config_options;
	unsigned		  raw;		/* NRPTCHECK_RAW_* */
	enum nrptcheck_owner	  owner;	/* set by nrptcheck_owners */
};

/* Both tables and the rule-ID lists (a missing list is empty). */
struct nrptcheck_scan {
	enum nrptcheck_gp	  gp;
	struct nrptcheck_rule	 *rules;
	size_t			  nrules;
	char			**ours;		/* our ownership record(s) */
	size_t			  nours;
	char			**coder;
	size_t			  ncoder;
	char			**tailscale;
	size_t			  ntailscale;
};

/* One finding: a fixed code ("nrpt-catch-all", ...) and a sentence. */
struct nrptcheck_finding {
	bool		 error;		/* false: a warning */
	const char	*code;
	char		 msg[NRPTCHECK_MSG_BYTES];
};

/* Frees what a scan holds and empties it; NULL is a no-op. */
void	 nrptcheck_scan_clear(struct nrptcheck_scan *s);

/* Sets the owner of every rule, in this order: our record, the Coder
 * list, the Tailscale list, NetBird-Match-<n>, OpenVPNDNSRouting*, a
 * Firezone Comment or DisplayName, else unknown. */
void	 nrptcheck_owners(struct nrptcheck_scan *s);

/* "dnswatchdog", "coder", "tailscale", "netbird", "openvpn", "firezone",
 * "unknown". */
const char *nrptcheck_owner_name(enum nrptcheck_owner o);

/* "absent", "empty", "present"; "local", "gp". */
const char *nrptcheck_gp_name(enum nrptcheck_gp gp);
const char *nrptcheck_table_name(enum nrptcheck_table t);

/* True when the rule is in the table Windows reads. */
bool	 nrptcheck_effective(const struct nrptcheck_scan *s,
	    const struct nrptcheck_rule *r);

/* True when Windows can parse the rule's Name and GenericDNSServers;
 * otherwise why gets a sentence naming the value. */
bool	 nrptcheck_parsable(const struct nrptcheck_rule *r, char *why,
	    size_t whylen);

/* Splits a GenericDNSServers string on ';' into a malloc'd array of
 * malloc'd pieces as written (free with nrptcheck_strings_free).
 * Returns 0, or -1 without memory. */
int	 nrptcheck_split(const char *servers, char ***out, size_t *nout);
void	 nrptcheck_strings_free(char **v, size_t n);

/* The rule of the effective table that routes name: the longest matching
 * namespace wins ("." matches every name; ".x" matches x and the names
 * under it; a name without a leading dot matches itself only). name is a
 * host name, or a namespace ".x" standing for the names under it (then
 * rules for single names do not count). On a tie our rule is preferred.
 * NULL when no rule matches. */
const struct nrptcheck_rule *nrptcheck_winner(const struct nrptcheck_scan *s,
	    const char *name);

/* True when the rule's servers, each as an IP literal, are the set
 * servers (canonical IP literals). */
bool	 nrptcheck_same_servers(const struct nrptcheck_rule *r,
	    char *const *servers, size_t nservers);

/* The findings of the scan against ds (NULL: no desired state): the
 * empty GP table, catch-all rules of others, namespaces routed by two
 * owners to different servers, unparsable rules, desired namespaces
 * without a rule of ours. *out is malloc'd (NULL when none). Returns 0,
 * or -1 without memory. Call nrptcheck_owners first. */
int	 nrptcheck_findings(const struct nrptcheck_scan *s,
	    const struct desired_state *ds, struct nrptcheck_finding **out,
	    size_t *nout);

#endif
