/*
 * Tests for policy/dnsname.c: host names, NRPT domains and IP literals.
 *
 * Every output buffer is a heap block of exactly the size the header
 * promises is enough, so AddressSanitizer catches a write one byte past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"

#define HOST_OUT_BYTES		(DNSNAME_MAX_CHARS + 1)
#define DOMAIN_OUT_BYTES	(DNSNAME_MAX_CHARS + 2)
#define LONG_NAME_BYTES		512u

/* A valid input and the normalised form it must produce. */
struct good {
	const char	*in;
	const char	*want;
};

/* An invalid input and a part of the reason it must be refused with. */
struct bad {
	const char	*in;
	const char	*why;
};

/* Reasons, as far as the tests rely on them. */
#define WHY_EMPTY	"is empty"
#define WHY_LABEL	"has an empty label"
#define WHY_HYPHEN	"starts or ends with a hyphen"
#define WHY_CHAR	"contains a character other than a letter, a digit"
#define WHY_ASCII	"is not ASCII"
#define WHY_NUMERIC	"all-numeric label"
#define WHY_LONG	"is longer than 253 characters"
#define WHY_LABEL_LONG	"has a label longer than 63 characters"
#define WHY_ROOT	"is empty or the root"
#define WHY_V4		"is not an IPv4 dotted quad"
#define WHY_V6		"is not a valid IPv6 address"
#define WHY_ZONE	"has a zone ID"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Writes a name of exactly len characters to buf: labels of 63 'a'
 * characters separated by dots, the last one shortened to fit and ending
 * in a letter. len must leave the last label non-empty.
 */
static void
make_name(char *buf, size_t len)
{
	size_t	 i, inlabel = 0;

	assert_true(len < LONG_NAME_BYTES);
	for (i = 0; i < len; i++) {
		if (inlabel == DNSNAME_LABEL_MAX_CHARS) {
			buf[i] = '.';
			inlabel = 0;
		} else {
			buf[i] = (char)('a' + (i % 26));
			inlabel++;
		}
	}
	buf[len] = '\0';
	assert_true(buf[len - 1] != '.');
}

static void
expect_host(const char *in, const char *want)
{
	char		*out = malloc(HOST_OUT_BYTES);
	const char	*why = NULL;

	assert_non_null(out);
	if (dnsname_host(in, out, &why) != 0)
		fail_msg("host \"%s\" refused: %s", in, why != NULL ? why : "?");
	assert_string_equal(out, want);
	free(out);
}

static void
expect_host_refused(const char *in, const char *part)
{
	char		*out = malloc(HOST_OUT_BYTES);
	const char	*why = NULL;

	assert_non_null(out);
	if (dnsname_host(in, out, &why) != -1)
		fail_msg("host \"%s\" accepted", in);
	assert_non_null(why);
	if (strstr(why, part) == NULL)
		fail_msg("host \"%s\": reason \"%s\" does not say \"%s\"", in,
		    why, part);
	free(out);
}

static void
expect_domain(const char *in, const char *want)
{
	char		*out = malloc(DOMAIN_OUT_BYTES);
	const char	*why = NULL;

	assert_non_null(out);
	if (dnsname_domain(in, out, &why) != 0)
		fail_msg("domain \"%s\" refused: %s", in, why != NULL ? why : "?");
	assert_string_equal(out, want);
	free(out);
}

static void
expect_domain_refused(const char *in, const char *part)
{
	char		*out = malloc(DOMAIN_OUT_BYTES);
	const char	*why = NULL;

	assert_non_null(out);
	if (dnsname_domain(in, out, &why) != -1)
		fail_msg("domain \"%s\" accepted", in);
	assert_non_null(why);
	if (strstr(why, part) == NULL)
		fail_msg("domain \"%s\": reason \"%s\" does not say \"%s\"", in,
		    why, part);
	free(out);
}

static void
expect_ip(const char *in, int family, const char *want)
{
	char		*out = malloc(IPADDR_STR_BYTES);
	const char	*why = NULL;
	int		 got;

	assert_non_null(out);
	got = ipaddr_canon(in, out, &why);
	if (got != family)
		fail_msg("address \"%s\": got %d (%s), want family %d", in, got,
		    why != NULL ? why : "no reason", family);
	if (strcmp(out, want) != 0)
		fail_msg("address \"%s\": got \"%s\", want \"%s\"", in, out, want);
	free(out);
}

static void
expect_ip_refused(const char *in, const char *part)
{
	char		*out = malloc(IPADDR_STR_BYTES);
	const char	*why = NULL;

	assert_non_null(out);
	if (ipaddr_canon(in, out, &why) != -1)
		fail_msg("address \"%s\" accepted as \"%s\"", in, out);
	assert_non_null(why);
	if (strstr(why, part) == NULL)
		fail_msg("address \"%s\": reason \"%s\" does not say \"%s\"", in,
		    why, part);
	free(out);
}

/* Host names. */

static void
host_accepts_plain_names(void **state)
{
	static const struct good cases[] = {
		{ "alice-ws.coder", "alice-ws.coder" },
		{ "alice-ws.main.alice.coder", "alice-ws.main.alice.coder" },
		{ "localhost", "localhost" },
		{ "a", "a" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "123.coder", "123.coder" },
		{ "host.1a", "host.1a" },
		{ "a-b-c.d--e.f", "a-b-c.d--e.f" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host(cases[i].in, cases[i].want);
}

static void
host_lowers_upper_case(void **state)
{
	(void)state;
	expect_host("Alice-WS.Main.CODER", "alice-ws.main.coder");
	expect_host("ABCDEFGHIJKLMNOPQRSTUVWXYZ.z", "abcdefghijklmnopqrstuvwxyz.z");
}

static void
host_strips_one_trailing_dot(void **state)
{
	(void)state;
	expect_host("alice-ws.coder.", "alice-ws.coder");
	expect_host("Localhost.", "localhost");
	expect_host("a.", "a");
	expect_host_refused("alice-ws.coder..", WHY_LABEL);
}

static void
host_accepts_63_char_label_and_refuses_64(void **state)
{
	char	 name[LONG_NAME_BYTES];

	(void)state;
	memset(name, 'x', 63);
	memcpy(name + 63, ".coder", sizeof(".coder"));
	expect_host(name, name);
	memset(name, 'x', 64);
	memcpy(name + 64, ".coder", sizeof(".coder"));
	expect_host_refused(name, WHY_LABEL_LONG);
	/* The last label is held to the same limit. */
	memcpy(name, "a.", 2);
	memset(name + 2, 'y', 64);
	name[66] = '\0';
	expect_host_refused(name, WHY_LABEL_LONG);
}

static void
host_accepts_253_chars_and_refuses_254(void **state)
{
	char	 name[LONG_NAME_BYTES];

	(void)state;
	make_name(name, 253);
	assert_int_equal(strlen(name), 253);
	expect_host(name, name);

	make_name(name, 254);
	expect_host_refused(name, WHY_LONG);
}

static void
host_trailing_dot_does_not_count_towards_the_limit(void **state)
{
	char	 name[LONG_NAME_BYTES], want[LONG_NAME_BYTES];

	(void)state;
	make_name(want, 253);
	memcpy(name, want, 253);
	memcpy(name + 253, ".", 2);
	expect_host(name, want);

	make_name(name, 254);
	memcpy(name + 254, ".", 2);
	expect_host_refused(name, WHY_LONG);
}

static void
host_refuses_empty_labels(void **state)
{
	static const struct bad cases[] = {
		{ "", WHY_EMPTY },
		{ ".", WHY_LABEL },
		{ "..", WHY_LABEL },
		{ ".coder", WHY_LABEL },
		{ "a..coder", WHY_LABEL },
		{ "a.coder..", WHY_LABEL },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host_refused(cases[i].in, cases[i].why);
}

static void
host_refuses_leading_or_trailing_hyphen(void **state)
{
	static const char *const cases[] = {
		"-alice.coder", "alice-.coder", "alice.-coder", "alice.coder-",
		"-", "a.-.b",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host_refused(cases[i], WHY_HYPHEN);
}

static void
host_refuses_characters_outside_letters_digits_hyphen(void **state)
{
	static const char *const cases[] = {
		"alice_ws.coder", "alice ws.coder", "alice.coder ", " alice.coder",
		"alice\nws.coder", "alice.coder\n", "alice\rws.coder",
		"alice\tws.coder", "#alice.coder", "alice#.coder",
		"alice;ws.coder", "alice/ws.coder", "alice:ws.coder",
		"*.coder", "alice@coder", "a\x01.coder", "a\x7f.coder",
		"1.2.3.4 evil.com",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host_refused(cases[i], WHY_CHAR);
}

static void
host_refuses_non_ascii_bytes(void **state)
{
	static const char *const cases[] = {
		"caf\xc3\xa9.coder",		/* UTF-8 e-acute */
		"\xe2\x80\x8b" "alice.coder",	/* zero-width space */
		"alice.c\xd0\xbe" "der",		/* Cyrillic o */
		"\x80",
		"a.\xff",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host_refused(cases[i], WHY_ASCII);
}

static void
host_refuses_all_numeric_last_label(void **state)
{
	static const char *const cases[] = {
		"1.2.3.4", "host.123", "123", "alice.coder.0", "0", "10.0.0.1.",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_host_refused(cases[i], WHY_NUMERIC);
}

static void
host_refuses_null(void **state)
{
	char		 out[HOST_OUT_BYTES];
	const char	*why = NULL;

	(void)state;
	assert_int_equal(dnsname_host(NULL, out, &why), -1);
	assert_string_equal(why, "is missing");
}

/* NRPT domains. */

static void
domain_gets_one_leading_dot_however_written(void **state)
{
	(void)state;
	expect_domain("coder", ".coder");
	expect_domain(".coder", ".coder");
	expect_domain("coder.", ".coder");
	expect_domain(".coder.", ".coder");
	expect_domain("Corp.Example", ".corp.example");
	expect_domain(".CORP.EXAMPLE.", ".corp.example");
}

static void
domain_refuses_root_and_empty(void **state)
{
	static const char *const cases[] = { "", ".", ".." };
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_domain_refused(cases[i], WHY_ROOT);
}

static void
domain_refuses_extra_dots(void **state)
{
	(void)state;
	expect_domain_refused("..coder", WHY_LABEL);
	expect_domain_refused("coder..", WHY_LABEL);
	expect_domain_refused("corp..example", WHY_LABEL);
}

static void
domain_refuses_wildcards_and_bad_characters(void **state)
{
	(void)state;
	expect_domain_refused("*.coder", WHY_CHAR);
	expect_domain_refused("*", WHY_CHAR);
	expect_domain_refused("co der", WHY_CHAR);
	expect_domain_refused("coder\n", WHY_CHAR);
	expect_domain_refused("my_corp.example", WHY_CHAR);
	expect_domain_refused("-coder", WHY_HYPHEN);
	expect_domain_refused("caf\xc3\xa9", WHY_ASCII);
	expect_domain_refused("corp.123", WHY_NUMERIC);
}

static void
domain_accepts_253_chars_and_refuses_254(void **state)
{
	char	 name[LONG_NAME_BYTES], want[LONG_NAME_BYTES], in[LONG_NAME_BYTES];

	(void)state;
	make_name(name, 253);
	want[0] = '.';
	memcpy(want + 1, name, 254);
	expect_domain(name, want);
	/* Both dots around the longest name still fit. */
	in[0] = '.';
	memcpy(in + 1, name, 253);
	memcpy(in + 254, ".", 2);
	expect_domain(in, want);

	make_name(name, 254);
	expect_domain_refused(name, WHY_LONG);
}

static void
domain_refuses_null(void **state)
{
	char		 out[DOMAIN_OUT_BYTES];
	const char	*why = NULL;

	(void)state;
	assert_int_equal(dnsname_domain(NULL, out, &why), -1);
	assert_string_equal(why, "is missing");
}

/* IPv4. */

static void
ipv4_accepts_dotted_quads(void **state)
{
	static const char *const cases[] = {
		"100.100.100.100", "0.0.0.0", "255.255.255.255", "10.0.0.1",
		"127.0.0.1", "192.168.100.200", "1.10.100.250",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip(cases[i], 4, cases[i]);
}

static void
ipv4_refuses_leading_zeros(void **state)
{
	static const char *const cases[] = {
		"01.2.3.4", "1.02.3.4", "1.2.003.4", "1.2.3.00", "010.0.0.1",
		"0127.0.0.1",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V4);
}

static void
ipv4_refuses_numbers_over_255(void **state)
{
	static const char *const cases[] = {
		"256.1.1.1", "1.2.3.999", "1.300.3.4", "1.2.3.4294967297",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V4);
}

static void
ipv4_refuses_wrong_number_of_parts(void **state)
{
	static const char *const cases[] = {
		"1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1",
		"16909060", "1.2.3.",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V4);
}

static void
ipv4_refuses_other_notations_and_trailing_text(void **state)
{
	static const char *const cases[] = {
		"0x7f.0.0.1", "-1.2.3.4", "+1.2.3.4", "1.2.3.4/24",
		"1.2.3.4 evil.com", " 1.2.3.4", "1.2.3.4\n", "1.2.3.4\r",
		"1.2.3.4#x", "1.2.3.4;1.1.1.1", "localhost", "a;b",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V4);
}

static void
ip_refuses_empty_null_and_overlong(void **state)
{
	char		 out[IPADDR_STR_BYTES];
	char		 in[64];
	const char	*why = NULL;

	(void)state;
	expect_ip_refused("", "is empty");
	assert_int_equal(ipaddr_canon(NULL, out, &why), -1);
	assert_string_equal(why, "is missing");
	/* 46 characters: one more than the longest text form. */
	memset(in, '0', 46);
	in[4] = in[9] = in[14] = in[19] = in[24] = in[29] = ':';
	in[46] = '\0';
	expect_ip_refused(in, "is too long");
}

/* IPv6. */

static void
ipv6_keeps_the_short_forms(void **state)
{
	static const char *const cases[] = {
		"::", "::1", "1::", "1::2", "fd7a:115c:a1e0::53",
		"fd60:627a:a42b::10", "2001:db8::1", "fe80::1",
		"1:2:3:4:5:6:7:8",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip(cases[i], 6, cases[i]);
}

static void
ipv6_writes_eight_groups_in_canonical_form(void **state)
{
	static const struct good cases[] = {
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8:0:0:0:0:0:1", "2001:db8::1" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "fe80:0:0:0:0:0:0:1", "fe80::1" },
		{ "0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8" },
		{ "1:2:3:4:5:6:0:0", "1:2:3:4:5:6::" },
		{ "0:0:3:4:5:6:7:8", "::3:4:5:6:7:8" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip(cases[i].in, 6, cases[i].want);
}

static void
ipv6_lowers_hex_digits(void **state)
{
	(void)state;
	expect_ip("FD7A:115C:A1E0::53", 6, "fd7a:115c:a1e0::53");
	expect_ip("2001:DB8::ABCD:EF01", 6, "2001:db8::abcd:ef01");
	expect_ip("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", 6,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void
ipv6_compresses_the_longest_zero_run(void **state)
{
	(void)state;
	/* RFC 5952 4.2.3: the longest run is the one shortened. */
	expect_ip("2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1");
	expect_ip("1:0:0:0:2:0:0:3", 6, "1::2:0:0:3");
	expect_ip("0:0:1:0:0:0:0:2", 6, "0:0:1::2");
	/* A compressed input is re-compressed where the rule says. */
	expect_ip("2001:0:0:1::1", 6, "2001:0:0:1::1");
	expect_ip("2001::1:0:0:0:1", 6, "2001:0:0:1::1");
}

static void
ipv6_compresses_the_first_of_equal_runs(void **state)
{
	(void)state;
	expect_ip("2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1");
	expect_ip("1:0:0:2:0:0:3:4", 6, "1::2:0:0:3:4");
	expect_ip("0:0:1:2:3:4:0:0", 6, "::1:2:3:4:0:0");
	expect_ip("2001:db8:0:0:1::1", 6, "2001:db8::1:0:0:1");
}

static void
ipv6_does_not_compress_a_single_zero_group(void **state)
{
	(void)state;
	/* RFC 5952 4.2.2. */
	expect_ip("2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1");
	expect_ip("2001:db8::1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1");
	expect_ip("::1:2:3:4:5:6:7", 6, "0:1:2:3:4:5:6:7");
	expect_ip("1:2:3:4:5:6:7::", 6, "1:2:3:4:5:6:7:0");
	expect_ip("1:0:2:0:3:0:4:0", 6, "1:0:2:0:3:0:4:0");
}

static void
ipv6_writes_ipv4_mapped_with_a_dotted_quad(void **state)
{
	char	 in[IPADDR_STR_BYTES];

	(void)state;
	expect_ip("::ffff:1.2.3.4", 6, "::ffff:1.2.3.4");
	expect_ip("::FFFF:1.2.3.4", 6, "::ffff:1.2.3.4");
	expect_ip("0:0:0:0:0:ffff:1.2.3.4", 6, "::ffff:1.2.3.4");
	expect_ip("::ffff:0102:0304", 6, "::ffff:1.2.3.4");
	expect_ip("::ffff:0.0.0.0", 6, "::ffff:0.0.0.0");
	/* The longest text form an address can take: 45 characters. */
	snprintf(in, sizeof(in), "%s",
	    "0000:0000:0000:0000:0000:ffff:255.255.255.255");
	assert_int_equal(strlen(in), IPADDR_STR_BYTES - 1);
	expect_ip(in, 6, "::ffff:255.255.255.255");
}

static void
ipv6_writes_other_embedded_ipv4_in_hex(void **state)
{
	(void)state;
	expect_ip("64:ff9b::192.0.2.33", 6, "64:ff9b::c000:221");
	expect_ip("1:2:3:4:5:6:1.2.3.4", 6, "1:2:3:4:5:6:102:304");
}

static void
ipv6_refuses_embedded_ipv4_that_is_not_strict(void **state)
{
	static const char *const cases[] = {
		"::ffff:1.2.3", "::ffff:01.2.3.4", "::ffff:256.1.1.1",
		"::ffff:1.2.3.4.5", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
		"1.2.3.4::", "::ffff:1.2.3.4 ", "::ffff:a.2.3.4",
		"1:2:3:4:5:6::1.2.3.4",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V6);
}

static void
ipv6_refuses_zone_ids(void **state)
{
	(void)state;
	expect_ip_refused("fe80::1%eth0", WHY_ZONE);
	expect_ip_refused("fe80::1%1", WHY_ZONE);
	expect_ip_refused("fe80::1%", WHY_ZONE);
	expect_ip_refused("1.2.3.4%eth0", WHY_ZONE);
}

static void
ipv6_refuses_two_double_colons(void **state)
{
	(void)state;
	expect_ip_refused("1::2::3", WHY_V6);
	expect_ip_refused("::1::", WHY_V6);
	expect_ip_refused("::::", WHY_V6);
}

static void
ipv6_refuses_wrong_group_counts(void **state)
{
	static const char *const cases[] = {
		"1:2:3:4:5:6:7:8:9",	/* nine groups */
		"1:2:3:4:5:6:7",	/* seven, no "::" */
		"1:2:3:4:5:6:7:8::",	/* "::" that stands for nothing */
		"::1:2:3:4:5:6:7:8",
		"1:2:3:4::5:6:7:8",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V6);
}

static void
ipv6_refuses_five_digit_groups(void **state)
{
	(void)state;
	expect_ip_refused("12345::1", WHY_V6);
	expect_ip_refused("::123456", WHY_V6);
	expect_ip_refused("1:2:3:4:5:6:7:00008", WHY_V6);
}

static void
ipv6_refuses_brackets_stray_colons_and_junk(void **state)
{
	static const char *const cases[] = {
		"[::1]", "[::1]:53", "[fd7a:115c:a1e0::53]", ":", ":::",
		":1::", "1:", "1::2:", ":1:2:3:4:5:6:7:8", "g::1", "::1 ",
		" ::1", "::1\n", "fd7a:115c:a1e0::53 evil.com", "::-1",
		"1:2:3:4:5:6:7:8/64",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++)
		expect_ip_refused(cases[i], WHY_V6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_accepts_plain_names),
		cmocka_unit_test(host_lowers_upper_case),
		cmocka_unit_test(host_strips_one_trailing_dot),
		cmocka_unit_test(host_accepts_63_char_label_and_refuses_64),
		cmocka_unit_test(host_accepts_253_chars_and_refuses_254),
		cmocka_unit_test(host_trailing_dot_does_not_count_towards_the_limit),
		cmocka_unit_test(host_refuses_empty_labels),
		cmocka_unit_test(host_refuses_leading_or_trailing_hyphen),
		cmocka_unit_test(host_refuses_characters_outside_letters_digits_hyphen),
		cmocka_unit_test(host_refuses_non_ascii_bytes),
		cmocka_unit_test(host_refuses_all_numeric_last_label),
		cmocka_unit_test(host_refuses_null),
		cmocka_unit_test(domain_gets_one_leading_dot_however_written),
		cmocka_unit_test(domain_refuses_root_and_empty),
		cmocka_unit_test(domain_refuses_extra_dots),
		cmocka_unit_test(domain_refuses_wildcards_and_bad_characters),
		cmocka_unit_test(domain_accepts_253_chars_and_refuses_254),
		cmocka_unit_test(domain_refuses_null),
		cmocka_unit_test(ipv4_accepts_dotted_quads),
		cmocka_unit_test(ipv4_refuses_leading_zeros),
		cmocka_unit_test(ipv4_refuses_numbers_over_255),
		cmocka_unit_test(ipv4_refuses_wrong_number_of_parts),
		cmocka_unit_test(ipv4_refuses_other_notations_and_trailing_text),
		cmocka_unit_test(ip_refuses_empty_null_and_overlong),
		cmocka_unit_test(ipv6_keeps_the_short_forms),
		cmocka_unit_test(ipv6_writes_eight_groups_in_canonical_form),
		cmocka_unit_test(ipv6_lowers_hex_digits),
		cmocka_unit_test(ipv6_compresses_the_longest_zero_run),
		cmocka_unit_test(ipv6_compresses_the_first_of_equal_runs),
		cmocka_unit_test(ipv6_does_not_compress_a_single_zero_group),
		cmocka_unit_test(ipv6_writes_ipv4_mapped_with_a_dotted_quad),
		cmocka_unit_test(ipv6_writes_other_embedded_ipv4_in_hex),
		cmocka_unit_test(ipv6_refuses_embedded_ipv4_that_is_not_strict),
		cmocka_unit_test(ipv6_refuses_zone_ids),
		cmocka_unit_test(ipv6_refuses_two_double_colons),
		cmocka_unit_test(ipv6_refuses_wrong_group_counts),
		cmocka_unit_test(ipv6_refuses_five_digit_groups),
		cmocka_unit_test(ipv6_refuses_brackets_stray_colons_and_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
