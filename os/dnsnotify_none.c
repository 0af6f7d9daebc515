/* dnsnotify: platforms whose resolver keeps no state to flush here (see
 * dnsnotify.h). */
#include "dnsnotify.h"

#include <stddef.h>

int
dnsnotify_nrpt(bool gp, struct dwerr *err)
{
	(void)gp;
	(void)err;
	return 0;
}

int
dnsnotify_hosts(struct dwerr *err)
{
	(void)err;
	return 0;
}

bool
dnsnotify_gp_own_take(uint64_t now_ms)
{
	(void)now_ms;
	return false;
}
