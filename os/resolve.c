/* resolve: the parts every platform shares (see resolve.h). */
#define _POSIX_C_SOURCE 200809L
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "resolve_os.h"

static resolve_hook_fn	 resolve_hook;
static void		*resolve_hook_ctx;

void
resolve_set_hook(resolve_hook_fn fn, void *ctx)
{
	resolve_hook = fn;
	resolve_hook_ctx = ctx;
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

int
resolve_answer_add(struct resolve_answer *ans, int family,
    const unsigned char *raw)
{
	char		 text[64], canon[IPADDR_STR_BYTES];
	const char	*why;
	char		**n;
	size_t		 i;

	if (family == 4)
		snprintf(text, sizeof(text), "%u.%u.%u.%u", raw[0], raw[1],
		    raw[2], raw[3]);
	else
		snprintf(text, sizeof(text), "%x:%x:%x:%x:%x:%x:%x:%x",
		    raw[0] << 8 | raw[1], raw[2] << 8 | raw[3],
		    raw[4] << 8 | raw[5], raw[6] << 8 | raw[7],
		    raw[8] << 8 | raw[9], raw[10] << 8 | raw[11],
		    raw[12] << 8 | raw[13], raw[14] << 8 | raw[15]);
	if (ipaddr_canon(text, canon, &why) < 0)
		return 0;	/* cannot happen: the text is well formed */
	for (i = 0; i < ans->naddrs; i++)
		if (strcmp(ans->addrs[i], canon) == 0)
			return 0;	/* A record and hosts line agree */
	if ((n = realloc(ans->addrs, (ans->naddrs + 1) * sizeof(*n))) == NULL)
		return -1;
	ans->addrs = n;
	if ((n[ans->naddrs] = strdup(canon)) == NULL)
		return -1;
	ans->naddrs++;
	return 0;
}

int
resolve_name(const char *name, struct resolve_answer *ans, struct dwerr *err)
{
	memset(ans, 0, sizeof(*ans));
	if (resolve_hook != NULL)
		return resolve_hook(resolve_hook_ctx, name, NULL, ans, err);
	return resolve_os_name(name, NULL, ans, err);
}

int
resolve_name_at(const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	memset(ans, 0, sizeof(*ans));
	if (resolve_hook != NULL)
		return resolve_hook(resolve_hook_ctx, name, server, ans, err);
	return resolve_os_name(name, server, ans, err);
}
