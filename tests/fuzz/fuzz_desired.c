/*
 * fuzz_desired: libFuzzer target for desired_parse (policy/desired.c).
 *
 * The input is the desired-state JSON, as a tunnel or an admin would write
 * it. Properties checked on every input (abort with a message otherwise):
 *  - rejected: -1, *out NULL, err non-empty with DWERR_INPUT or ENOMEM;
 *  - accepted: every string passes its validator again and comes back
 *    unchanged (normalisation is idempotent), and none holds a character
 *    that could start a new line, comment or field in the hosts file or a
 *    registry value: '\n', '\r', '#', ' ', ';' (and no NUL: C strings);
 *  - accepted: the hosts entries render into an empty hosts file as exactly
 *    one section.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "dnsname.h"
#include "dwerr.h"
#include "hosts.h"

#define FUZZ_DESIRED_FORBIDDEN	"\n\r# ;"	/* never in an accepted string */
#define FUZZ_DESIRED_OUT_BYTES	(DNSNAME_MAX_CHARS + 2 > IPADDR_STR_BYTES ? \
				     DNSNAME_MAX_CHARS + 2 : IPADDR_STR_BYTES)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_desired_fail(const char *what, const char *s)
		    __attribute__((noreturn));

static void
fuzz_desired_fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_desired: property violated: %s%s%s%s\n", what,
	    s != NULL ? " (\"" : "", s != NULL ? s : "", s != NULL ? "\")" : "");
	abort();
}

/* s must be normalised already: fn gives it back unchanged, and it holds
 * no forbidden character. */
static void
fuzz_desired_string(const char *s, const char *what,
    int (*fn)(const char *, char *, const char **))
{
	char		 again[FUZZ_DESIRED_OUT_BYTES];
	const char	*why = NULL;

	if (s == NULL)
		fuzz_desired_fail("accepted state has a NULL string:", what);
	if (s[0] == '\0')
		fuzz_desired_fail("accepted state has an empty string:", what);
	if (strpbrk(s, FUZZ_DESIRED_FORBIDDEN) != NULL)
		fuzz_desired_fail("accepted string holds a forbidden character", s);
	if (fn(s, again, &why) < 0)
		fuzz_desired_fail("accepted string fails its validator again", s);
	if (strcmp(s, again) != 0)
		fuzz_desired_fail("normalisation is not idempotent", s);
}

static int
fuzz_desired_ip(const char *in, char *out, const char **why)
{
	return ipaddr_canon(in, out, why) < 0 ? -1 : 0;
}

static void
fuzz_desired_accepted(const struct desired_state *ds)
{
	size_t	 i, j, names = 0;

	if (ds->nnrpt > 0 && ds->nrpt == NULL)
		fuzz_desired_fail("NRPT rules counted but missing", NULL);
	if (ds->nhosts > 0 && ds->hosts == NULL)
		fuzz_desired_fail("hosts entries counted but missing", NULL);
	for (i = 0; i < ds->nnrpt; i++) {
		const struct desired_nrpt *r = &ds->nrpt[i];

		if (r->ndomains == 0 || r->nservers == 0)
			fuzz_desired_fail("an NRPT rule without domains or "
			    "servers was accepted", NULL);
		if (r->nservers > DESIRED_MAX_SERVERS)
			fuzz_desired_fail("an NRPT rule has too many servers",
			    NULL);
		for (j = 0; j < r->ndomains; j++) {
			fuzz_desired_string(r->domains[j], "domain",
			    dnsname_domain);
			if (r->domains[j][0] != '.')
				fuzz_desired_fail("a domain lacks its leading "
				    "dot", r->domains[j]);
		}
		for (j = 0; j < r->nservers; j++)
			fuzz_desired_string(r->servers[j], "server",
			    fuzz_desired_ip);
	}
	for (i = 0; i < ds->nhosts; i++) {
		const struct desired_host *h = &ds->hosts[i];

		fuzz_desired_string(h->address, "address", fuzz_desired_ip);
		if (h->nnames == 0)
			fuzz_desired_fail("a hosts entry without names was "
			    "accepted", h->address);
		for (j = 0; j < h->nnames; j++)
			fuzz_desired_string(h->names[j], "name", dnsname_host);
		names += h->nnames;
	}
	if (desired_host_names(ds) != names)
		fuzz_desired_fail("desired_host_names disagrees with the entries",
		    NULL);
}

/* What the watchdog does next with an accepted state: render it. */
static void
fuzz_desired_render(const struct desired_state *ds)
{
	static const struct hosts_markers m = { HOSTS_BEGIN_MARKER_DEFAULT,
	    HOSTS_END_MARKER_DEFAULT };
	struct hosts_doc	*doc = NULL, *again = NULL;
	struct dwerr		 err;
	char			*out = NULL;
	size_t			 outlen = 0;
	bool			 changed = false;

	if (hosts_parse("", 0, &m, HOSTS_EOL_LF, &doc, &err) != 0)
		fuzz_desired_fail("an empty hosts file was rejected", err.msg);
	if (hosts_render(doc, ds, &out, &outlen, &changed, &err) != 0) {
		if (err.code == ENOMEM)
			goto done;
		fuzz_desired_fail("hosts_render refused an accepted state",
		    err.msg);
	}
	if (changed != (ds->nhosts > 0))
		fuzz_desired_fail("render into an empty file: wrong changed flag",
		    NULL);
	if (hosts_parse(out, outlen, &m, HOSTS_EOL_LF, &again, &err) != 0)
		fuzz_desired_fail("the rendered hosts file does not parse",
		    err.msg);
	if (hosts_doc_sections(again) != (ds->nhosts > 0 ? 1u : 0u) ||
	    hosts_doc_orphan_markers(again) != 0)
		fuzz_desired_fail("the rendered hosts file does not hold "
		    "exactly one section", NULL);
done:
	hosts_doc_free(again);
	hosts_doc_free(doc);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desired_state	*ds = (struct desired_state *)&ds;
	struct dwerr		 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = desired_parse((const char *)data, size, "desired.json", &ds, &err);
	if (rc != 0) {
		if (rc != -1)
			fuzz_desired_fail("desired_parse returned neither 0 "
			    "nor -1", NULL);
		if (ds != NULL)
			fuzz_desired_fail("a rejected state left a result",
			    NULL);
		if (err.msg[0] == '\0' || err.count == 0)
			fuzz_desired_fail("a rejected state has no message",
			    NULL);
		if (err.code != DWERR_INPUT && err.code != ENOMEM)
			fuzz_desired_fail("a rejected state has an unexpected "
			    "error code", err.msg);
		return 0;
	}
	if (ds == NULL)
		fuzz_desired_fail("an accepted state has no result", NULL);
	fuzz_desired_accepted(ds);
	fuzz_desired_render(ds);
	desired_free(ds);
	return 0;
}
