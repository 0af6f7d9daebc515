/*
 * The resolver's interface (os/resolve.h) for the Windows tests, built
 * only while the tree has no os/resolve_win.c: every lookup goes to the
 * hook, and without a hook nothing can be asked.
 */
#include "resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

static resolve_hook_fn	 resolve_hook;
static void		*resolve_hook_ctx;

void
resolve_set_hook(resolve_hook_fn fn, void *ctx)
{
	resolve_hook = fn;
	resolve_hook_ctx = ctx;
}

static int
resolve_ask(const char *name, const char *server, struct resolve_answer *ans,
    struct dwerr *err)
{
	memset(ans, 0, sizeof(*ans));
	if (resolve_hook == NULL) {
		dwerr_set(err, ENOTSUP, "no resolver in this test build");
		return -1;
	}
	return resolve_hook(resolve_hook_ctx, name, server, ans, err);
}

int
resolve_name(const char *name, struct resolve_answer *ans, struct dwerr *err)
{
	return resolve_ask(name, NULL, ans, err);
}

int
resolve_name_at(const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	return resolve_ask(name, server, ans, err);
}

void
resolve_answer_clear(struct resolve_answer *ans)
{
	size_t	 i;

	for (i = 0; i < ans->naddrs; i++)
		free(ans->addrs[i]);
	free(ans->addrs);
	memset(ans, 0, sizeof(*ans));
}

bool
resolve_reads_hosts(const char *path, char *why, size_t whylen)
{
	(void)path;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return true;
}
