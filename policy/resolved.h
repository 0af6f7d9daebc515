/*
 * resolved: the split-DNS rules of the desired state as systemd-resolved
 * link settings, and what a pass must change.
 *
 * On Linux the `nrpt` rules go to one link of systemd-resolved (the
 * tunnel's): the servers of every rule, in order and without repeats, are
 * the link's DNS servers, and every namespace becomes a routing-only
 * domain (".coder" -> "coder", routing flag set). resolved routes each
 * link's domains to all of that link's servers, so rules with different
 * servers share the link's list (docs/linux.md).
 *
 * Pure code: what to set (resolved_want), what differs from what the link
 * has (resolved_diff), whether the link holds exactly what we set
 * (resolved_same), and the record of what we set (resolved_record_*), a
 * small JSON file that lets a later pass or program prove a setting is
 * ours before it reverts it.
 */
#ifndef RESOLVED_H
#define RESOLVED_H

#include <stdbool.h>
#include <stddef.h>

#include "desired.h"
#include "dwerr.h"

#define RESOLVED_RECORD_MAX_BYTES	(1u << 20)
#define RESOLVED_RECORD_VERSION		1

/* One DNS server of a link: family 4 or 6 and its bytes. */
struct resolved_server {
	int		 family;
	unsigned char	 addr[16];
};

/* One search or routing domain, without a leading '~' or dot. */
struct resolved_domain {
	char		*name;
	bool		 routing;	/* routing-only ("~name") */
};

/* A link's settings, as wanted or as resolved reports them. */
struct resolved_link {
	struct resolved_server	*servers;
	size_t			 nservers;
	struct resolved_domain	*domains;
	size_t			 ndomains;
	bool			 default_route;
};

/* Which setters a pass must call. */
enum resolved_set {
	RESOLVED_SET_DNS = 0x1,
	RESOLVED_SET_DOMAINS = 0x2,
	RESOLVED_SET_DEFAULT_ROUTE = 0x4
};

/* The settings for ds's rules on a link, with default_route as configured.
 * Returns 0, or -1 with err (out of memory; a server that is not an
 * address). out is the caller's to clear. */
int	resolved_want(const struct desired_state *ds, bool default_route,
	    struct resolved_link *out, struct dwerr *err);

/* Makes dst (cleared first) a copy of src. -1: out of memory (dst is then
 * empty). */
int	resolved_link_copy(struct resolved_link *dst,
	    const struct resolved_link *src);

/* Frees what l holds and zeroes it. */
void	resolved_link_clear(struct resolved_link *l);

/* Appends a server or a domain (the name is copied). -1: out of memory. */
int	resolved_link_add_server(struct resolved_link *l, int family,
	    const unsigned char *addr);
int	resolved_link_add_domain(struct resolved_link *l, const char *name,
	    bool routing);

/* The setters that make live equal want (0: nothing to do). Servers are
 * compared in order (it is the order of preference), domains as a set,
 * names without regard to case. */
unsigned resolved_diff(const struct resolved_link *want,
	    const struct resolved_link *live);

/* True when a and b hold the same settings (resolved_diff is 0). */
bool	resolved_same(const struct resolved_link *a,
	    const struct resolved_link *b);

/* True when the link has no servers and no domains. */
bool	resolved_link_empty(const struct resolved_link *l);

/* "10.0.0.1;fd00::53" and "~corp.example;search.example" (malloc'd; NULL
 * without memory). */
char	*resolved_servers_text(const struct resolved_link *l);
char	*resolved_domains_text(const struct resolved_link *l);
/* "dns,domains,default_route" for a set of enum resolved_set bits, in buf
 * (at least 32 bytes). */
const char *resolved_set_text(unsigned set, char *buf, size_t size);

/* resolved's stub listener, which /etc/resolv.conf names when programs
 * go through resolved (and so through the links' routing domains). */
#define RESOLVED_STUB_ADDR	"127.0.0.53"

/* The first "nameserver" of a resolv.conf text, in out ("" when none). */
void	resolved_conf_nameserver(const char *text, size_t len, char *out,
	    size_t size);
/* True when the "hosts:" line of an nsswitch.conf text names service
 * ("resolve": nss-resolve asks resolved over its own socket). */
bool	resolved_nss_names(const char *text, size_t len, const char *service);

/* The record of what was set on a link: its name, its index then, and the
 * settings. */
struct resolved_record {
	char			*link;
	int			 ifindex;
	struct resolved_link	 set;
};

/* The record as JSON (malloc'd, ends with a newline); NULL without memory. */
char	*resolved_record_json(const struct resolved_record *r);
/* Parses a record read from file (named in messages). Returns 0, or -1
 * with "FILE: $.path: reason" in err; *out is the caller's to clear. */
int	resolved_record_parse(const char *text, size_t len, const char *file,
	    struct resolved_record *out, struct dwerr *err);
void	resolved_record_clear(struct resolved_record *r);

#endif
