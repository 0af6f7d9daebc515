/*
 * resolve: names looked up the way applications look them up.
 *
 * resolve_name goes through the system's own resolver path, the one that
 * honours the hosts file and (on Windows) the NRPT: getaddrinfo on POSIX,
 * DnsQueryEx with the default query options on Windows. resolve_name_at
 * asks one DNS server directly (to say which server of a rule answers).
 * Both block: callers run them off the loop thread.
 *
 * The seam: while a hook is set (tests; Wine's resolver has no NRPT),
 * every lookup goes to the hook instead of the OS.
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "dwerr.h"

enum resolve_status {
	RESOLVE_OK,		/* addrs holds the answer */
	RESOLVE_NO_NAME,	/* the name does not exist (NXDOMAIN, not in
				 * the hosts file) or has no address */
	RESOLVE_UNREACHABLE,	/* no server answered (timeout, refused) */
	RESOLVE_ERROR		/* anything else: err says what */
};

struct resolve_answer {
	enum resolve_status	  status;
	char			**addrs;	/* canonical IP literals */
	size_t			  naddrs;
};

/* Looks name up through the system resolver. Returns 0 with ans filled
 * (ans->status says how it went), or -1 with err when it could not ask
 * at all (out of memory). */
int	resolve_name(const char *name, struct resolve_answer *ans,
	    struct dwerr *err);

/* Asks server (an IP literal) for name's addresses, bypassing the
 * system's policy. -1 with err->code ENOTSUP where the platform cannot. */
int	resolve_name_at(const char *name, const char *server,
	    struct resolve_answer *ans, struct dwerr *err);

/* Frees what an answer holds and empties it. */
void	resolve_answer_clear(struct resolve_answer *ans);

/* True when the system resolver reads the hosts file. When not, why says
 * so in a sentence (the nsswitch.conf line). path: the nsswitch.conf to
 * read, NULL for /etc/nsswitch.conf; ignored on Windows (always true). */
bool	resolve_reads_hosts(const char *path, char *why, size_t whylen);

/* The seam. server is NULL for resolve_name. The hook fills ans like the
 * functions above and returns what they would. */
typedef int (*resolve_hook_fn)(void *ctx, const char *name,
    const char *server, struct resolve_answer *ans, struct dwerr *err);
void	resolve_set_hook(resolve_hook_fn fn, void *ctx);

#endif
