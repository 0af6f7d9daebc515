/* dnsname: DNS name and IP address validation (see dnsname.h). */
#include "dnsname.h"

#include <stdbool.h>
#include <string.h>

/* Validates len bytes of in as a dotted name and writes it lower-cased.
 * The problems are found in the order a reader would meet them, byte by
 * byte; the common bytes (letters, digits) take the first tests. */
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
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)in[i];

		if ((unsigned)(c | 0x20) - 'a' < 26u) {
			out[i] = (char)(c | 0x20);
			all_digits = false;
		} else if ((unsigned)c - '0' < 10u)
			out[i] = (char)c;
		else if (c == '-') {
			out[i] = '-';
			all_digits = false;
		} else if (c == '.') {
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
			out[i] = '.';
			all_digits = true;
			continue;
		} else if (c >= 0x80) {
			*why = "is not ASCII (use the punycode form)";
			return -1;
		} else {
			*why = "contains a character other than a letter, a digit, '-' or '.'";
			return -1;
		}
		if (++label > DNSNAME_LABEL_MAX_CHARS) {
			*why = "has a label longer than 63 characters";
			return -1;
		}
	}
	/* The end closes the last label as a '.' would. */
	if (label == 0) {
		*why = "has an empty label";
		return -1;
	}
	if (in[label_start] == '-' || in[len - 1] == '-') {
		*why = "has a label that starts or ends with a hyphen";
		return -1;
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

/* Writes v (0-255) in decimal at p; returns the end. */
static char *
ipaddr_put_dec(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Writes v (0-0xffff) in lower-case hex without leading zeros at p;
 * returns the end. */
static char *
ipaddr_put_hex(char *p, unsigned v)
{
	static const char	 digit[] = "0123456789abcdef";
	int			 shift = 12;

	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digit[(v >> shift) & 0xf];
	return p;
}

/* Writes a dotted quad and a NUL at p; returns the NUL. */
static char *
ipaddr_put4(char *p, const unsigned char b[4])
{
	int	 k;

	for (k = 0; k < 4; k++) {
		if (k > 0)
			*p++ = '.';
		p = ipaddr_put_dec(p, b[k]);
	}
	*p = '\0';
	return p;
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
			const unsigned char b[4] = { (unsigned char)(g[6] >> 8),
			    (unsigned char)g[6], (unsigned char)(g[7] >> 8),
			    (unsigned char)g[7] };

			p = ipaddr_put4(p, b);
			break;
		}
		p = ipaddr_put_hex(p, g[k]);
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
	bool		 zone = false, colon = false;

	if (in == NULL) {
		*why = "is missing";
		return -1;
	}
	/* One look at every byte: the length, a zone ID, a colon. */
	for (len = 0; in[len] != '\0'; len++) {
		if (in[len] == '%')
			zone = true;
		else if (in[len] == ':')
			colon = true;
	}
	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (len >= IPADDR_STR_BYTES) {
		*why = "is too long for an IP address";
		return -1;
	}
	if (zone) {
		*why = "has a zone ID ('%'), which hosts files and NRPT do not take";
		return -1;
	}
	if (!colon) {
		if (ipaddr_parse4(in, len, b) != 0) {
			*why = "is not an IPv4 dotted quad (four numbers 0-255, no leading zeros) or an IPv6 address";
			return -1;
		}
		ipaddr_put4(out, b);
		return 4;
	}
	if (ipaddr_parse6(in, len, g) != 0) {
		*why = "is not a valid IPv6 address";
		return -1;
	}
	ipaddr_format6(g, out);
	return 6;
}

int
ipaddr_bytes(const char *in, unsigned char out[16])
{
	char		 canon[IPADDR_STR_BYTES];
	const char	*why;
	unsigned short	 g[8];
	int		 fam, i;
	size_t		 len;

	if ((fam = ipaddr_canon(in, canon, &why)) < 0)
		return -1;
	len = strlen(canon);
	if (fam == 4)
		return ipaddr_parse4(canon, len, out) == 0 ? 4 : -1;
	if (ipaddr_parse6(canon, len, g) != 0)
		return -1;
	for (i = 0; i < 8; i++) {
		out[2 * i] = (unsigned char)(g[i] >> 8);
		out[2 * i + 1] = (unsigned char)(g[i] & 0xff);
	}
	return 6;
}

int
ipaddr_format(int family, const unsigned char *b, char *out)
{
	unsigned short	 g[8];
	int		 i;

	if (family == 4) {
		ipaddr_put4(out, b);
		return 0;
	}
	if (family != 6)
		return -1;
	for (i = 0; i < 8; i++)
		g[i] = (unsigned short)((b[2 * i] << 8) | b[2 * i + 1]);
	ipaddr_format6(g, out);
	return 0;
}
