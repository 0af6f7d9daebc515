/*
 * fuzz_follow: libFuzzer target for follow_state_parse (policy/follow.c),
 * the learned-state file that follow mode keeps.
 *
 * Properties checked on every input (abort with a message otherwise):
 *  - rejected: -1, *out NULL, err non-empty;
 *  - accepted: follow_state_render gives text that parses back to the
 *    same state, and rendering that again gives the same bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwerr.h"
#include "follow.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_follow_fail(const char *what, const char *detail)
		    __attribute__((noreturn));

static void
fuzz_follow_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_follow: property violated: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct follow_state	*st = (struct follow_state *)&st, *back;
	struct dwerr		 err;
	char			*a, *b;
	size_t			 alen, blen;

	if (follow_state_parse((const char *)data, size, "follow.json", &st,
	    &err) != 0) {
		if (st != NULL)
			fuzz_follow_fail("a rejected file left a state", NULL);
		if (err.msg[0] == '\0')
			fuzz_follow_fail("a rejected file has no message", NULL);
		return 0;
	}
	if (st == NULL)
		fuzz_follow_fail("an accepted file gave no state", NULL);
	if (follow_state_render(st, &a, &alen, &err) != 0)
		fuzz_follow_fail("an accepted state does not render", err.msg);
	if (follow_state_parse(a, alen, "again.json", &back, &err) != 0)
		fuzz_follow_fail("a rendered state does not parse", err.msg);
	if (!follow_state_same(st, back) || st->learned_ms != back->learned_ms ||
	    st->gone_since_ms != back->gone_since_ms)
		fuzz_follow_fail("a rendered state parses to another", a);
	if (follow_state_render(back, &b, &blen, &err) != 0)
		fuzz_follow_fail("a parsed state does not render", err.msg);
	if (alen != blen || memcmp(a, b, alen) != 0)
		fuzz_follow_fail("rendering is not a fixed point", a);
	free(a);
	free(b);
	follow_state_free(back);
	follow_state_free(st);
	return 0;
}
