/*
 * Tests for policy/nrptcheck.c: owners, what Windows can parse, which rule
 * wins a name, and the findings. Scans are built here as the registry
 * scan would fill them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "dwstr.h"
#include "nrptcheck.h"

#define ID_OURS		"{11111111-1111-1111-1111-111111111111}"
#define ID_CODER	"{22222222-2222-2222-2222-222222222222}"
#define ID_TS		"{33333333-3333-3333-3333-333333333333}"
#define ID_FZ		"{44444444-4444-4444-4444-444444444444}"
#define ID_OTHER	"{55555555-5555-5555-5555-555555555555}"

struct tctx {
	struct nrptcheck_scan		 s;
	struct desired_state		*ds;
	struct nrptcheck_finding	*f;
	size_t				 nf;
};

static int
tctx_setup(void **state)
{
	struct tctx	*t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	*state = t;
	return 0;
}

static int
tctx_teardown(void **state)
{
	struct tctx	*t = *state;

	nrptcheck_scan_clear(&t->s);
	desired_free(t->ds);
	free(t->f);
	free(t);
	return 0;
}

/* Splits words (space-separated) into a malloc'd array. */
static char **
words(const char *w, size_t *n)
{
	char		**v = calloc(16, sizeof(*v));
	const char	 *sp;
	size_t		  len;

	assert_non_null(v);
	*n = 0;
	while (*w != '\0') {
		if (*w == ' ') {
			w++;
			continue;
		}
		sp = strchr(w, ' ');
		len = sp != NULL ? (size_t)(sp - w) : strlen(w);
		assert_true(*n < 16);
		assert_non_null(v[(*n)++] = dwstr_ndup(w, len));
		w += len;
	}
	return v;
}

/* A rule as a product writes it: Name, GenericDNSServers, ConfigOptions
 * 8, and optionally Comment and DisplayName. */
static struct nrptcheck_rule *
rule(struct tctx *t, enum nrptcheck_table table, const char *id,
    const char *names, const char *servers)
{
	struct nrptcheck_rule	*r;

	t->s.rules = realloc(t->s.rules, (t->s.nrules + 1) * sizeof(*r));
	assert_non_null(t->s.rules);
	r = &t->s.rules[t->s.nrules++];
	memset(r, 0, sizeof(*r));
	r->table = table;
	assert_non_null(r->id = dwstr_dup(id));
	r->names = words(names, &r->nnames);
	if (servers != NULL)
		assert_non_null(r->servers = dwstr_dup(servers));
	r->config_options = 8;
	r->has_config_options = true;
	if (table == NRPTCHECK_GP)
		t->s.gp = NRPTCHECK_GP_PRESENT;
	return r;
}

/* The desired state of one rule: domains to servers. */
static void
want(struct tctx *t, const char *domains, const char *servers)
{
	struct desired_nrpt	*dn;

	if (t->ds == NULL)
		assert_non_null(t->ds = desired_new());
	t->ds->nrpt = realloc(t->ds->nrpt, (t->ds->nnrpt + 1) * sizeof(*dn));
	assert_non_null(t->ds->nrpt);
	dn = &t->ds->nrpt[t->ds->nnrpt++];
	memset(dn, 0, sizeof(*dn));
	dn->domains = words(domains, &dn->ndomains);
	dn->servers = words(servers, &dn->nservers);
}

static void
findings(struct tctx *t)
{
	free(t->f);
	t->f = NULL;
	nrptcheck_owners(&t->s);
	assert_int_equal(nrptcheck_findings(&t->s, t->ds, &t->f, &t->nf), 0);
}

/* The one finding with code, whose message holds every given part. */
static const struct nrptcheck_finding *
finding(struct tctx *t, const char *code, const char *part1,
    const char *part2)
{
	size_t	 i;

	for (i = 0; i < t->nf; i++)
		if (strcmp(t->f[i].code, code) == 0 &&
		    strstr(t->f[i].msg, part1) != NULL &&
		    (part2 == NULL || strstr(t->f[i].msg, part2) != NULL))
			return &t->f[i];
	for (i = 0; i < t->nf; i++)
		print_message("  %s: %s\n", t->f[i].code, t->f[i].msg);
	fail_msg("no %s finding with \"%s\"", code, part1);
	return NULL;
}

static void
nrptcheck_recognises_every_owner(void **state)
{
	struct tctx	*t = *state;

	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".a", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".coder", "fd60:627a:a42b::53");
	rule(t, NRPTCHECK_LOCAL, ID_TS, ".ts.net", "100.100.100.100");
	rule(t, NRPTCHECK_LOCAL, "NetBird-Match-0", ".nb", "100.64.0.1");
	rule(t, NRPTCHECK_LOCAL, "NetBird-Match-x", ".nb2", "100.64.0.1");
	rule(t, NRPTCHECK_LOCAL, "OpenVPNDNSRouting-1234", ".ovpn", "10.8.0.1");
	assert_non_null(rule(t, NRPTCHECK_LOCAL, ID_FZ, ".fz",
	    "100.100.111.1")->comment = dwstr_dup("firezone-fd0020211111"));
	assert_non_null(rule(t, NRPTCHECK_LOCAL, ID_OTHER, ".fz2",
	    "100.100.111.1")->display = dwstr_dup("Firezone SplitDNS"));
	rule(t, NRPTCHECK_LOCAL, "{66666666-6666-6666-6666-666666666666}",
	    ".x", "10.0.0.9");
	t->s.ours = words(ID_OURS, &t->s.nours);
	/* IDs compare without case, as key names do. */
	t->s.coder = words("{22222222-2222-2222-2222-222222222222}",
	    &t->s.ncoder);
	t->s.tailscale = words(ID_TS, &t->s.ntailscale);
	nrptcheck_owners(&t->s);
	assert_string_equal(nrptcheck_owner_name(t->s.rules[0].owner),
	    "dnswatchdog");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[1].owner), "coder");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[2].owner),
	    "tailscale");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[3].owner),
	    "netbird");
	/* NetBird-Match- with no number is not NetBird's. */
	assert_string_equal(nrptcheck_owner_name(t->s.rules[4].owner),
	    "unknown");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[5].owner),
	    "openvpn");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[6].owner),
	    "firezone");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[7].owner),
	    "firezone");
	assert_string_equal(nrptcheck_owner_name(t->s.rules[8].owner),
	    "unknown");
}

static void
nrptcheck_our_record_comes_before_every_other_sign(void **state)
{
	struct tctx	*t = *state;

	rule(t, NRPTCHECK_LOCAL, "OpenVPNDNSRouting", ".a", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".b", "10.0.0.1");
	t->s.ours = words("openvpndnsrouting " ID_CODER, &t->s.nours);
	t->s.coder = words(ID_CODER, &t->s.ncoder);
	nrptcheck_owners(&t->s);
	assert_int_equal(t->s.rules[0].owner, NRPTCHECK_OURS);
	assert_int_equal(t->s.rules[1].owner, NRPTCHECK_OURS);
}

static void
nrptcheck_parses_what_windows_parses(void **state)
{
	struct tctx		*t = *state;
	struct nrptcheck_rule	*r;
	char			 why[NRPTCHECK_WHY_BYTES];

	r = rule(t, NRPTCHECK_LOCAL, ID_OURS, ". .coder alice.corp",
	    "10.0.0.1;fd60:627a:a42b::53");
	assert_true(nrptcheck_parsable(r, why, sizeof(why)));
	assert_string_equal(why, "");
	free(r->servers);
	r->servers = dwstr_dup("10.0.0.1; 10.0.0.2");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "\"10.0.0.1; 10.0.0.2\" has a space"));
	free(r->servers);
	r->servers = dwstr_dup("10.0.0.1;");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "empty"));
	free(r->servers);
	r->servers = dwstr_dup("10.0.0.1;dns.example");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "server \"dns.example\""));
	free(r->servers);
	r->servers = dwstr_dup("10.0.0.1");
	free(r->names[1]);
	r->names[1] = dwstr_dup(".co der");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "Name \".co der\""));
	free(r->names[1]);
	r->names[1] = dwstr_dup(".coder.");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "ends with a dot"));
	free(r->names[1]);
	r->names[1] = dwstr_dup(".coder");
	r->raw = NRPTCHECK_RAW_NAME_TYPE;
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "Name value is not a REG_MULTI_SZ"));
	r->raw = NRPTCHECK_RAW_SERVERS_TYPE;
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "GenericDNSServers value is not a REG_SZ"));
	r->raw = NRPTCHECK_RAW_CONFIG_TYPE;
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "ConfigOptions value is not a REG_DWORD"));
	r->raw = 0;
	free(r->servers);
	r->servers = NULL;
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "GenericDNSServers, which is missing"));
	/* Without the generic-servers option no server is needed. */
	r->config_options = 0x4;
	assert_true(nrptcheck_parsable(r, why, sizeof(why)));
	r = rule(t, NRPTCHECK_LOCAL, ID_CODER, "", "10.0.0.1");
	assert_false(nrptcheck_parsable(r, why, sizeof(why)));
	assert_non_null(strstr(why, "no Name value"));
}

static void
nrptcheck_splits_servers_as_written(void **state)
{
	char	**v;
	size_t	  n;

	(void)state;
	assert_int_equal(nrptcheck_split("10.0.0.1; 10.0.0.2", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "10.0.0.1");
	assert_string_equal(v[1], " 10.0.0.2");
	nrptcheck_strings_free(v, n);
	assert_int_equal(nrptcheck_split(NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
}

static void
nrptcheck_longest_namespace_wins(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_rule	*w;

	rule(t, NRPTCHECK_LOCAL, ID_OTHER, ".", "1.1.1.1");
	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".coder", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".dev.coder", "10.0.0.2");
	rule(t, NRPTCHECK_LOCAL, ID_TS, "exact.coder", "10.0.0.3");
	t->s.ours = words(ID_OURS, &t->s.nours);
	nrptcheck_owners(&t->s);
	assert_non_null(w = nrptcheck_winner(&t->s, "alice.coder"));
	assert_string_equal(w->id, ID_OURS);
	assert_string_equal(nrptcheck_winner(&t->s, "CODER")->id, ID_OURS);
	assert_string_equal(nrptcheck_winner(&t->s, "a.dev.coder")->id,
	    ID_CODER);
	assert_string_equal(nrptcheck_winner(&t->s, "exact.coder")->id, ID_TS);
	/* "xcoder" is not under "coder": the catch-all takes it. */
	assert_string_equal(nrptcheck_winner(&t->s, "xcoder")->id, ID_OTHER);
	assert_string_equal(nrptcheck_winner(&t->s, "example.com")->id,
	    ID_OTHER);
	/* A namespace: a rule for one name does not take it. */
	assert_string_equal(nrptcheck_winner(&t->s, ".exact.coder")->id,
	    ID_OURS);
	assert_string_equal(nrptcheck_winner(&t->s, ".coder")->id, ID_OURS);
}

static void
nrptcheck_winner_reads_only_the_effective_table(void **state)
{
	struct tctx	*t = *state;

	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".coder", "10.0.0.1");
	t->s.ours = words(ID_OURS, &t->s.nours);
	nrptcheck_owners(&t->s);
	assert_non_null(nrptcheck_winner(&t->s, "a.coder"));
	/* An empty GP table hides the local rule. */
	t->s.gp = NRPTCHECK_GP_EMPTY;
	assert_null(nrptcheck_winner(&t->s, "a.coder"));
	rule(t, NRPTCHECK_GP, ID_OTHER, ".", "1.1.1.1");
	nrptcheck_owners(&t->s);
	assert_string_equal(nrptcheck_winner(&t->s, "a.coder")->id, ID_OTHER);
}

static void
nrptcheck_tie_goes_to_our_rule(void **state)
{
	struct tctx	*t = *state;

	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".coder", "10.0.0.2");
	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".coder", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_OTHER, ".coder", "10.0.0.3");
	t->s.ours = words(ID_OURS, &t->s.nours);
	nrptcheck_owners(&t->s);
	assert_string_equal(nrptcheck_winner(&t->s, "a.coder")->id, ID_OURS);
}

static void
nrptcheck_compares_servers_as_sets_of_addresses(void **state)
{
	struct tctx		*t = *state;
	struct nrptcheck_rule	*r;
	size_t			 n;
	char			**want;

	want = words("fd60:627a:a42b::53 10.0.0.1", &n);

	r = rule(t, NRPTCHECK_LOCAL, ID_OURS, ".coder",
	    "10.0.0.1;FD60:627A:A42B:0:0:0:0:53");
	assert_true(nrptcheck_same_servers(r, want, n));
	assert_false(nrptcheck_same_servers(r, want, 1));
	free(r->servers);
	r->servers = dwstr_dup("10.0.0.1; fd60:627a:a42b::53");
	assert_false(nrptcheck_same_servers(r, want, n));
	nrptcheck_strings_free(want, n);
}

static void
nrptcheck_finds_nothing_when_all_is_well(void **state)
{
	struct tctx	*t = *state;

	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".corp", "10.0.0.1;10.0.0.2");
	/* Two owners, one namespace, the same servers (in another order
	 * and form): no conflict. */
	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".coder",
	    "fd60:627a:a42b::53;10.0.0.9");
	rule(t, NRPTCHECK_LOCAL, ID_TS, ".coder",
	    "10.0.0.9;FD60:627A:A42B::53");
	t->s.ours = words(ID_OURS, &t->s.nours);
	t->s.coder = words(ID_CODER, &t->s.ncoder);
	t->s.tailscale = words(ID_TS, &t->s.ntailscale);
	want(t, ".corp", "10.0.0.2 10.0.0.1");
	findings(t);
	assert_int_equal(t->nf, 0);
	/* A GP table that holds the rules is fine too. */
	t->s.rules[0].table = NRPTCHECK_GP;
	t->s.gp = NRPTCHECK_GP_PRESENT;
	findings(t);
	assert_int_equal(t->nf, 0);
}

static void
nrptcheck_finds_the_empty_gp_table(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_finding	*f;

	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".corp", "10.0.0.1");
	t->s.ours = words(ID_OURS, &t->s.nours);
	t->s.gp = NRPTCHECK_GP_EMPTY;
	want(t, ".corp", "10.0.0.1");
	findings(t);
	f = finding(t, "nrpt-gp-table-empty", "ignores all 1 rules", NULL);
	assert_true(f->error);
	/* Our local rule no longer counts: it is missing from the GP table. */
	f = finding(t, "nrpt-missing", "$.nrpt[0]", "group-policy");
	assert_true(f->error);
	assert_int_equal(t->nf, 2);
	/* An empty GP table with nothing local and nothing wanted. */
	nrptcheck_scan_clear(&t->s);
	desired_free(t->ds);
	t->ds = NULL;
	t->s.gp = NRPTCHECK_GP_EMPTY;
	findings(t);
	assert_int_equal(t->nf, 0);
}

static void
nrptcheck_finds_catch_all_rules_of_others(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_finding	*f;

	rule(t, NRPTCHECK_LOCAL, ID_TS, ". .ts.net", "100.100.100.100");
	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".", "10.0.0.1");
	t->s.ours = words(ID_OURS, &t->s.nours);
	t->s.tailscale = words(ID_TS, &t->s.ntailscale);
	findings(t);
	f = finding(t, "nrpt-catch-all", "tailscale's rule " ID_TS,
	    "\"100.100.100.100\"");
	assert_false(f->error);
	/* Ours is no finding of that kind (the overlap is). */
	finding(t, "nrpt-overlap", "namespace . ", NULL);
	assert_int_equal(t->nf, 2);
}

static void
nrptcheck_finds_overlaps_between_owners(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_finding	*f;

	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".coder", "fd60:627a:a42b::53");
	rule(t, NRPTCHECK_LOCAL, "NetBird-Match-0", ".coder .nb", "100.64.0.1");
	/* Same owner twice is that owner's business. */
	rule(t, NRPTCHECK_LOCAL, "NetBird-Match-1", ".nb", "100.64.0.2");
	t->s.coder = words(ID_CODER, &t->s.ncoder);
	findings(t);
	f = finding(t, "nrpt-overlap", "coder's rule " ID_CODER,
	    "netbird's rule NetBird-Match-0");
	assert_false(f->error);
	assert_non_null(strstr(f->msg, "namespace .coder"));
	assert_int_equal(t->nf, 1);
	/* Two unknown rules are two owners as far as anyone can tell. */
	rule(t, NRPTCHECK_LOCAL, "{a}", ".u", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, "{b}", ".u", "10.0.0.2");
	findings(t);
	finding(t, "nrpt-overlap", "unknown's rule {a}", "unknown's rule {b}");
	assert_int_equal(t->nf, 2);
}

static void
nrptcheck_finds_unparsable_rules_in_the_effective_table(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_finding	*f;

	rule(t, NRPTCHECK_LOCAL, ID_TS, ".ts.net", "100.100.100.100; fd7a::53");
	t->s.tailscale = words(ID_TS, &t->s.ntailscale);
	findings(t);
	f = finding(t, "nrpt-unparsable", "tailscale's rule " ID_TS,
	    "\"100.100.100.100; fd7a::53\" has a space");
	assert_true(f->error);
	assert_int_equal(t->nf, 1);
	/* Hidden behind a GP table, it harms nothing. */
	rule(t, NRPTCHECK_GP, ID_OTHER, ".x", "10.0.0.1");
	findings(t);
	assert_int_equal(t->nf, 0);
}

static void
nrptcheck_finds_missing_desired_rules(void **state)
{
	struct tctx			*t = *state;
	const struct nrptcheck_finding	*f;

	/* .a is ours; .b is someone else's; .c is ours with other servers. */
	rule(t, NRPTCHECK_LOCAL, ID_OURS, ".a .c", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_OTHER, ".b", "10.0.0.1");
	rule(t, NRPTCHECK_LOCAL, ID_CODER, ".d", "10.0.0.2");
	t->s.ours = words(ID_OURS " " ID_CODER, &t->s.nours);
	want(t, ".a .b", "10.0.0.1");
	want(t, ".c", "10.0.0.2");
	want(t, ".d", "10.0.0.2");
	findings(t);
	f = finding(t, "nrpt-missing", "$.nrpt[0] (.a)", "routing .b to");
	assert_true(f->error);
	assert_null(strstr(f->msg, ".a to"));
	finding(t, "nrpt-missing", "$.nrpt[1] (.c)", "routing .c to");
	assert_int_equal(t->nf, 2);
}

static void
nrptcheck_names_every_state(void **state)
{
	(void)state;
	assert_string_equal(nrptcheck_gp_name(NRPTCHECK_GP_ABSENT), "absent");
	assert_string_equal(nrptcheck_gp_name(NRPTCHECK_GP_EMPTY), "empty");
	assert_string_equal(nrptcheck_gp_name(NRPTCHECK_GP_PRESENT),
	    "present");
	assert_string_equal(nrptcheck_table_name(NRPTCHECK_LOCAL), "local");
	assert_string_equal(nrptcheck_table_name(NRPTCHECK_GP), "gp");
	assert_string_equal(nrptcheck_owner_name(NRPTCHECK_UNKNOWN), "unknown");
	nrptcheck_scan_clear(NULL);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tctx_setup, tctx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(nrptcheck_recognises_every_owner),
		T(nrptcheck_our_record_comes_before_every_other_sign),
		T(nrptcheck_parses_what_windows_parses),
		T(nrptcheck_splits_servers_as_written),
		T(nrptcheck_longest_namespace_wins),
		T(nrptcheck_winner_reads_only_the_effective_table),
		T(nrptcheck_tie_goes_to_our_rule),
		T(nrptcheck_compares_servers_as_sets_of_addresses),
		T(nrptcheck_finds_nothing_when_all_is_well),
		T(nrptcheck_finds_the_empty_gp_table),
		T(nrptcheck_finds_catch_all_rules_of_others),
		T(nrptcheck_finds_overlaps_between_owners),
		T(nrptcheck_finds_unparsable_rules_in_the_effective_table),
		T(nrptcheck_finds_missing_desired_rules),
		T(nrptcheck_names_every_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
