/*
 * verify: the rules as systemd-resolved routes them (see verify.h).
 *
 * On Linux, with resolved.enabled, every probe name of the rules is
 * looked up through the system resolver (glibc, so through resolved's stub
 * or nss-resolve, as programs look names up): a name that resolves shows
 * the link routes its namespace to a server that answers. A failure is
 * name-absent (the name does not exist there) or server-unreachable (no
 * answer at all); the detail names the link and the rule's servers.
 * Blocks on the resolver.
 */
#include "verify.h"

#include <stdio.h>
#include <string.h>

#include "resolve.h"

/* The rule's first server and how many more, for a sentence. */
static void
verify_resolved_servers(const struct desired_nrpt *r, char *buf, size_t len)
{
	if (r->nservers > 1)
		snprintf(buf, len, "%s (and %zu more)", r->servers[0],
		    r->nservers - 1);
	else
		snprintf(buf, len, "%s", r->nservers > 0 ? r->servers[0] : "");
}

void
verify_resolved(const struct config *cfg, const struct desired_state *ds,
    struct verify_result *res)
{
	struct resolve_answer	 ans;
	struct dwerr		 err;
	char			 srv[128];
	size_t			 i, k;

	memset(res, 0, sizeof(*res));
	if (!cfg->resolved_enabled || ds == NULL)
		return;
	for (i = 0; i < ds->nnrpt; i++)
		for (k = 0; k < ds->nrpt[i].nprobes; k++) {
			const char *name = ds->nrpt[i].probes[k];

			res->ran = true;
			res->checked++;
			memset(&ans, 0, sizeof(ans));
			if (resolve_name(name, &ans, &err) != 0)
				ans.status = RESOLVE_ERROR;
			if (ans.status != RESOLVE_OK && res->failed++ == 0) {
				verify_resolved_servers(&ds->nrpt[i], srv,
				    sizeof(srv));
				res->cls = ans.status == RESOLVE_NO_NAME ?
				    VERIFY_NAME_ABSENT :
				    VERIFY_SERVER_UNREACHABLE;
				snprintf(res->first_failure,
				    sizeof(res->first_failure), "%s", name);
				snprintf(res->detail, sizeof(res->detail),
				    "probe %s does not resolve through the "
				    "system resolver (%s); link %s should route "
				    "%s to %s", name, ans.status ==
				    RESOLVE_NO_NAME ? "no such name" :
				    "no answer", cfg->resolved_link,
				    ds->nrpt[i].domains[0], srv);
			}
			resolve_answer_clear(&ans);
		}
}
