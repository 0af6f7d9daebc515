/*
 * dnsname: validation and normalisation of DNS names and IP addresses.
 *
 * Pure functions. Everything that reaches the hosts file or a registry value
 * passes through here first, so the accepted alphabet is deliberately small:
 * ASCII letters, digits, '-' and '.', and IP literals in canonical form.
 */
#ifndef DNSNAME_H
#define DNSNAME_H

#include <stddef.h>
#include <stdint.h>

#define DNSNAME_MAX_CHARS	253u	/* longest name, without a final dot */
#define DNSNAME_LABEL_MAX_CHARS	63u	/* longest label */
#define IPADDR_STR_BYTES	46u	/* INET6_ADDRSTRLEN: longest text form + NUL */

/* Validates a host name and writes its lower-case form to out (out holds
 * DNSNAME_MAX_CHARS + 1 bytes). Returns 0, or -1 with a reason in *why. */
int	dnsname_host(const char *in, char *out, const char **why);

/* Validates an NRPT namespace ("coder", ".coder" or "coder.") and writes the
 * NRPT form (".coder", lower case) to out (DNSNAME_MAX_CHARS + 2 bytes).
 * Returns 0, or -1 with a reason in *why. */
int	dnsname_domain(const char *in, char *out, const char **why);

/* Parses an IPv4 dotted quad or an IPv6 address (no zone ID) and writes the
 * canonical text form (RFC 5952 for IPv6) to out (IPADDR_STR_BYTES bytes).
 * Returns 4 or 6 for the family, or -1 with a reason in *why. */
int	ipaddr_canon(const char *in, char *out, const char **why);

/* Parses in like ipaddr_canon into its bytes (4 or 16 of out, network
 * order). Returns 4 or 6, or -1 when in is not an address. */
int	ipaddr_bytes(const char *in, unsigned char out[16]);

/* Writes the canonical text form of an address of family 4 or 6 (4 or 16
 * bytes at b, network order) to out (IPADDR_STR_BYTES bytes). Returns 0,
 * or -1 for another family. */
int	ipaddr_format(int family, const unsigned char *b, char *out);

#endif
