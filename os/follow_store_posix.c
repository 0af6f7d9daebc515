/*
 * follow_store: POSIX implementation (see follow_store.h). There is no
 * NRPT here: only the tunnel's adapter, by interface name.
 */
#include "follow_store.h"

#include <errno.h>
#include <net/if.h>

static follow_store_alive_fn	 follow_store_hook;
static void			*follow_store_hook_ctx;

int
follow_store_read(const struct follow_tunnel *tun, struct follow_seen *seen,
    struct dwerr *err)
{
	(void)tun;
	(void)err;
	seen->nrpt = false;
	return 0;
}

int
follow_store_put(const struct follow_rule *rule, enum follow_table table,
    unsigned *written, struct dwerr *err)
{
	(void)table;
	(void)written;
	dwerr_set(err, ENOTSUP, "rule %s: there are no NRPT rules on this "
	    "platform", rule->id);
	return -1;
}

bool
follow_store_alive(const struct follow_tunnel *tun)
{
	if (follow_store_hook != NULL)
		return follow_store_hook(tun, follow_store_hook_ctx);
	return tun->adapter_name != NULL &&
	    if_nametoindex(tun->adapter_name) != 0;
}

void
follow_store_set_alive_hook(follow_store_alive_fn fn, void *ctx)
{
	follow_store_hook = fn;
	follow_store_hook_ctx = ctx;
}
