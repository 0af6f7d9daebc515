/*
 * fuzz_resolved: libFuzzer target for the record of what was set on a
 * systemd-resolved link (resolved_record_parse, policy/resolved.c), and
 * the resolv.conf and nsswitch.conf readers the doctor uses.
 *
 * Properties checked on every input (abort with a message otherwise):
 *  - rejected: -1, nothing left in the record, err non-empty;
 *  - accepted: resolved_record_json gives text that parses back to the
 *    same record, and rendering that again gives the same bytes;
 *  - the readers stay within the input's length and their output.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwerr.h"
#include "resolved.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_resolved_fail(const char *what, const char *detail)
		    __attribute__((noreturn));

static void
fuzz_resolved_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_resolved: property violated: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolved_record	 r, back;
	struct dwerr		 err;
	char			 ns[64];
	char			*a, *b;

	resolved_conf_nameserver((const char *)data, size, ns, sizeof(ns));
	if (strlen(ns) >= sizeof(ns))
		fuzz_resolved_fail("a nameserver overran its buffer", NULL);
	(void)resolved_nss_names((const char *)data, size, "resolve");
	if (resolved_record_parse((const char *)data, size, "rec.json", &r,
	    &err) != 0) {
		if (r.link != NULL || r.set.nservers != 0 || r.set.ndomains != 0)
			fuzz_resolved_fail("a rejected record left a value",
			    NULL);
		if (err.msg[0] == '\0')
			fuzz_resolved_fail("a rejected record has no message",
			    NULL);
		return 0;
	}
	if ((a = resolved_record_json(&r)) == NULL)
		fuzz_resolved_fail("an accepted record does not render", NULL);
	if (resolved_record_parse(a, strlen(a), "again.json", &back, &err) != 0)
		fuzz_resolved_fail("a rendered record does not parse", err.msg);
	if (strcmp(r.link, back.link) != 0 || r.ifindex != back.ifindex ||
	    !resolved_same(&r.set, &back.set) ||
	    r.set.nservers != back.set.nservers ||
	    r.set.ndomains != back.set.ndomains)
		fuzz_resolved_fail("a rendered record parses to another", a);
	if ((b = resolved_record_json(&back)) == NULL || strcmp(a, b) != 0)
		fuzz_resolved_fail("rendering is not a fixed point", a);
	free(a);
	free(b);
	resolved_record_clear(&back);
	resolved_record_clear(&r);
	return 0;
}
