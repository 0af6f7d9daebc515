/* dnsname: DNS name and IP address validation (see dnsname.h). */
#include "dnsname.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool
dnsname_is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static char
dnsname_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Validates len bytes of in as a dotted name and writes it lower-cased. */
static int
dnsname_check(const char *in, size_t len, char *out, const char **why)
{
	size_t	 i, label = 0, label_start = 0;
	bool	 all_digits = true;

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (len > DNSNAME_MAX_CHARS) {
		*why = "is longer than 253 characters";
		return -1;
	}
	for (i = 0; i <= len; i++) {
		char c = i < len ? in[i] : '.';

		if (c == '.') {
			if (label == 0) {
				*why = "has an empty label";
				return -1;
			}
			if (in[label_start] == '-' || in[i - 1] == '-') {
				*why = "has a label that starts or ends with a hyphen";
				return -1;
			}
			label = 0;
			label_start = i + 1;
			if (i < len) {
				out[i] = '.';
				all_digits = true;
			}
			continue;
		}
		if ((unsigned char)c >= 0x80) {
			*why = "is not ASCII (use the punycode form)";
			return -1;
		}
		if (!dnsname_is_ldh(c)) {
			*why = "contains a character other than a letter, a digit, '-' or '.'";
			return -1;
		}
		if (c < '0' || c > '9')
			all_digits = false;
		if (++label > DNSNAME_LABEL_MAX_CHARS) {
			*why = "has a label longer than 63 characters";
			return -1;
		}
		out[i] = dnsname_lower(c);
	}
	if (all_digits) {
		*why = "ends in an all-numeric label (an address is not a name)";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

int
dnsname_host(const char *in, char *out, const char **why)
{
	size_t	 len;

	if (in == NULL) {
		*why = "is missing";
		return -1;
	}
	len = strlen(in);
	/* A fully qualified "name." means the same host. */
	if (len > 1 && in[len - 1] == '.')
		len--;
	return dnsname_check(in, len, out, why);
}

int
dnsname_domain(const char *in, char *out, const char **why)
{
	size_t	 len;

	if (in == NULL) {
		*why = "is missing";
		return -1;
	}
	len = strlen(in);
	if (len > 0 && in[0] == '.') {
		in++;
		len--;
	}
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "is empty or the root (a catch-all rule would take over all DNS)";
		return -1;
	}
	out[0] = '.';
	return dnsname_check(in, len, out + 1, why);
}

/* Parses a dotted quad at in into b[4]; strict: no leading zeros. */
static int
ipaddr_parse4(const char *in, size_t len, unsigned char b[4])
{
	size_t	 i = 0;
	int	 part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t	 digits = 0;

		if (part > 0) {
			if (i >= len || in[i] != '.')
				return -1;
			i++;
		}
		while (i < len && in[i] >= '0' && in[i] <= '9') {
			if (digits > 0 && v == 0)
				return -1;	/* leading zero: octal or typo */
			v = v * 10 + (unsigned)(in[i] - '0');
			if (v > 255)
				return -1;
			digits++;
			i++;
		}
		if (digits == 0)
			return -1;
		b[part] = (unsigned char)v;
	}
	return i == len ? 0 : -1;
}

static int
ipaddr_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses IPv6 text into 8 groups. */
static int
ipaddr_parse6(const char *in, size_t len, unsigned short g[8])
{
	unsigned short	 head[8] = { 0 }, tail[8] = { 0 };
	size_t		 nhead = 0, ntail = 0, i = 0;
	bool		 gap = false;

	if (len >= 2 && in[0] == ':' && in[1] == ':') {
		gap = true;
		i = 2;
	} else if (len >= 1 && in[0] == ':')
		return -1;
	while (i < len) {
		unsigned	 v = 0;
		size_t		 start = i, digits = 0;
		unsigned short	*arr = gap ? tail : head;
		size_t		*n = gap ? &ntail : &nhead;

		while (i < len && ipaddr_hex(in[i]) >= 0 && digits < 5) {
			v = v * 16 + (unsigned)ipaddr_hex(in[i]);
			digits++;
			i++;
		}
		if (i < len && in[i] == '.') {
			unsigned char b[4];

			/* Embedded IPv4 in the last 32 bits. */
			if (ipaddr_parse4(in + start, len - start, b) != 0)
				return -1;
			if (nhead + ntail + 2 > 8)
				return -1;
			arr[(*n)++] = (unsigned short)(b[0] << 8 | b[1]);
			arr[(*n)++] = (unsigned short)(b[2] << 8 | b[3]);
			i = len;
			break;
		}
		if (digits == 0 || digits > 4)
			return -1;
		if (nhead + ntail >= 8)
			return -1;
		arr[(*n)++] = (unsigned short)v;
		if (i == len)
			break;
		if (in[i] != ':')
			return -1;
		i++;
		if (i < len && in[i] == ':') {
			if (gap)
				return -1;	/* a second "::" */
			gap = true;
			i++;
		} else if (i == len)
			return -1;		/* trailing single ':' */
	}
	if (gap) {
		size_t	 k;

		if (nhead + ntail > 7)
			return -1;
		memset(g, 0, 8 * sizeof(g[0]));
		for (k = 0; k < nhead; k++)
			g[k] = head[k];
		for (k = 0; k < ntail; k++)
			g[8 - ntail + k] = tail[k];
	} else {
		if (nhead != 8)
			return -1;
		memcpy(g, head, 8 * sizeof(g[0]));
	}
	return 0;
}

/* Writes 8 groups in RFC 5952 form. */
static void
ipaddr_format6(const unsigned short g[8], char *out)
{
	int	 best = -1, bestlen = 0, run = -1, runlen = 0, k;
	char	*p = out;
	bool	 mapped;

	for (k = 0; k < 8; k++) {
		if (g[k] == 0) {
			if (run < 0) {
				run = k;
				runlen = 0;
			}
			runlen++;
			if (runlen > bestlen) {
				best = run;
				bestlen = runlen;
			}
		} else
			run = -1;
	}
	if (bestlen < 2)
		best = -1;
	mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 &&
	    g[4] == 0 && g[5] == 0xffff;
	for (k = 0; k < 8; k++) {
		if (k == best) {
			*p++ = ':';
			if (k == 0)
				*p++ = ':';
			k += bestlen - 1;
			continue;
		}
		if (mapped && k == 6) {
			p += sprintf(p, "%u.%u.%u.%u", g[6] >> 8, g[6] & 0xff,
			    g[7] >> 8, g[7] & 0xff);
			break;
		}
		p += sprintf(p, "%x", g[k]);
		if (k < 7)
			*p++ = ':';
	}
	*p = '\0';
}

int
ipaddr_canon(const char *in, char *out, const char **why)
{
	unsigned char	 b[4];
	unsigned short	 g[8];
	size_t		 len;

	if (in == NULL) {
		*why = "is missing";
		return -1;
	}
	len = strlen(in);
	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (len >= IPADDR_STR_BYTES) {
		*why = "is too long for an IP address";
		return -1;
	}
	if (strchr(in, '%') != NULL) {
		*why = "has a zone ID ('%'), which hosts files and NRPT do not take";
		return -1;
	}
	if (strchr(in, ':') == NULL) {
		if (ipaddr_parse4(in, len, b) != 0) {
			*why = "is not an IPv4 dotted quad (four numbers 0-255, no leading zeros) or an IPv6 address";
			return -1;
		}
		snprintf(out, IPADDR_STR_BYTES, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return 4;
	}
	if (ipaddr_parse6(in, len, g) != 0) {
		*why = "is not a valid IPv6 address";
		return -1;
	}
	ipaddr_format6(g, out);
	return 6;
}
