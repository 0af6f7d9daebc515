/*
 * fuzz_dnsname: libFuzzer target for dnsname_host, dnsname_domain and
 * ipaddr_canon (policy/dnsname.c), the gate in front of every string that
 * reaches the hosts file or a registry value.
 *
 * The input, up to its first NUL, is the string. Properties (abort on
 * violation):
 *  - a name accepted by dnsname_host is lower-case letters, digits, '-'
 *    and '.', at most DNSNAME_MAX_CHARS, labels of 1 to 63 characters not
 *    starting or ending with '-', and normalising it again changes nothing;
 *  - a domain accepted by dnsname_domain is '.' and such a name;
 *  - an address accepted by ipaddr_canon is accepted by inet_pton with the
 *    same bytes, its text is inet_ntop's (RFC 5952; glibc writes the
 *    IPv4-compatible and mapped forms differently, so those are compared as
 *    bytes only), and normalising it again changes nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"

#define FUZZ_DNSNAME_MAX_BYTES	512u	/* longer inputs are cut */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_dnsname_fail(const char *what, const char *s)
		    __attribute__((noreturn));

static void
fuzz_dnsname_fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_dnsname: property violated: %s (\"%s\")\n", what,
	    s);
	abort();
}

/* name is a valid normalised host name. */
static void
fuzz_dnsname_shape(const char *name, const char *in)
{
	size_t	 i, n = strlen(name), label = 0;

	if (n == 0 || n > DNSNAME_MAX_CHARS)
		fuzz_dnsname_fail("accepted name has a bad length", in);
	for (i = 0; i <= n; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > DNSNAME_LABEL_MAX_CHARS)
				fuzz_dnsname_fail("accepted name has a bad "
				    "label length", in);
			if (name[i - 1] == '-' || name[i - label] == '-')
				fuzz_dnsname_fail("accepted name has a label "
				    "with a hyphen at an end", in);
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			fuzz_dnsname_fail("accepted name has a character out "
			    "of the alphabet", in);
		label++;
	}
}

static void
fuzz_dnsname_host(const char *in)
{
	char		 out[DNSNAME_MAX_CHARS + 1], again[DNSNAME_MAX_CHARS + 1];
	const char	*why = NULL;

	if (dnsname_host(in, out, &why) != 0) {
		if (why == NULL)
			fuzz_dnsname_fail("dnsname_host failed without a "
			    "reason", in);
		return;
	}
	fuzz_dnsname_shape(out, in);
	if (dnsname_host(out, again, &why) != 0 || strcmp(out, again) != 0)
		fuzz_dnsname_fail("dnsname_host is not idempotent", in);
}

static void
fuzz_dnsname_domain(const char *in)
{
	char		 out[DNSNAME_MAX_CHARS + 2], again[DNSNAME_MAX_CHARS + 2];
	char		 host[DNSNAME_MAX_CHARS + 1];
	const char	*why = NULL;

	if (dnsname_domain(in, out, &why) != 0) {
		if (why == NULL)
			fuzz_dnsname_fail("dnsname_domain failed without a "
			    "reason", in);
		return;
	}
	if (out[0] != '.')
		fuzz_dnsname_fail("accepted domain lacks its leading dot", in);
	fuzz_dnsname_shape(out + 1, in);
	if (dnsname_domain(out, again, &why) != 0 || strcmp(out, again) != 0)
		fuzz_dnsname_fail("dnsname_domain is not idempotent", in);
	if (dnsname_host(out + 1, host, &why) != 0 || strcmp(out + 1, host) != 0)
		fuzz_dnsname_fail("an accepted domain is not a host name", in);
}

static void
fuzz_dnsname_ip(const char *in)
{
	char		 out[IPADDR_STR_BYTES], again[IPADDR_STR_BYTES];
	char		 ref[INET6_ADDRSTRLEN];
	unsigned char	 a[16], b[16];
	const char	*why = NULL;
	int		 fam, af;
	bool		 glibc_dotted;

	if ((fam = ipaddr_canon(in, out, &why)) < 0) {
		if (why == NULL)
			fuzz_dnsname_fail("ipaddr_canon failed without a "
			    "reason", in);
		return;
	}
	if (fam != 4 && fam != 6)
		fuzz_dnsname_fail("ipaddr_canon returned no family", in);
	if (ipaddr_canon(out, again, &why) != fam || strcmp(out, again) != 0)
		fuzz_dnsname_fail("ipaddr_canon is not idempotent", in);
	af = fam == 4 ? AF_INET : AF_INET6;
	if (inet_pton(af, in, a) != 1)
		fuzz_dnsname_fail("ipaddr_canon accepted what inet_pton "
		    "refuses", in);
	if (inet_pton(af, out, b) != 1 ||
	    memcmp(a, b, fam == 4 ? 4u : 16u) != 0)
		fuzz_dnsname_fail("the canonical text is another address", in);
	if (inet_ntop(af, a, ref, sizeof(ref)) == NULL)
		fuzz_dnsname_fail("inet_ntop failed", in);
	/* glibc writes ::a.b.c.d and ::ffff:a.b.c.d whenever the first 80
	 * bits are zero (and the next 16 are 0 or ffff). */
	glibc_dotted = fam == 6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10) == 0 &&
	    ((a[10] == 0 && a[11] == 0) || (a[10] == 0xff && a[11] == 0xff));
	if (!glibc_dotted && strcmp(out, ref) != 0)
		fuzz_dnsname_fail("the canonical text is not RFC 5952", in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 s[FUZZ_DNSNAME_MAX_BYTES + 1];
	size_t	 n = size < FUZZ_DNSNAME_MAX_BYTES ? size : FUZZ_DNSNAME_MAX_BYTES;

	memcpy(s, data, n);
	s[n] = '\0';
	fuzz_dnsname_host(s);
	fuzz_dnsname_domain(s);
	fuzz_dnsname_ip(s);
	return 0;
}
