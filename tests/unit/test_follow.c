/*
 * Tests for policy/follow.c: the tunnel table, follow_decide (learn,
 * restore, stand down) and the learned-state file; and the raw section of
 * policy/hosts.c that follow mode puts back.
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
#include "follow.h"
#include "hosts.h"

#define ID_A	"{11111111-1111-1111-1111-111111111111}"
#define ID_B	"{22222222-2222-2222-2222-222222222222}"
#define NOW	1764930000000ull	/* ms since 1970 */
#define DAY	86400000ull
#define BODY	"100.64.0.10 dev.coder\n100.64.0.11 api.coder\n"

/* UTF-16LE of an ASCII string with its NUL (REG_SZ), or two NULs after
 * it (REG_MULTI_SZ). */
static void
value_sz(struct follow_value *v, const char *name, uint32_t type,
    const char *ascii)
{
	size_t	 n = strlen(ascii), i, tail = type == 7 ? 2 : 1;

	v->name = dwstr_dup(name);
	v->type = type;
	v->len = (n + tail) * 2;
	v->data = calloc(1, v->len);
	for (i = 0; i < n; i++)
		v->data[2 * i] = (uint8_t)ascii[i];
}

static void
value_dword(struct follow_value *v, const char *name, uint32_t x)
{
	v->name = dwstr_dup(name);
	v->type = 4;
	v->len = 4;
	v->data = malloc(4);
	memcpy(v->data, &x, 4);
}

/* A rule key as Coder Desktop writes it. */
static void
rule_coder(struct follow_rule *r, const char *id, enum follow_table table,
    const char *server)
{
	memset(r, 0, sizeof(*r));
	r->id = dwstr_dup(id);
	r->table = table;
	r->values = calloc(4, sizeof(*r->values));
	r->nvalues = 4;
	value_sz(&r->values[0], "Name", 7, ".coder");
	value_sz(&r->values[1], "GenericDNSServers", 1, server);
	value_dword(&r->values[2], "ConfigOptions", 8);
	value_dword(&r->values[3], "Version", 1);
}

/* A rule key that lost its values (a half-wiped key). */
static void
rule_bare(struct follow_rule *r, const char *id, enum follow_table table)
{
	memset(r, 0, sizeof(*r));
	r->id = dwstr_dup(id);
	r->table = table;
	r->values = calloc(1, sizeof(*r->values));
	r->nvalues = 1;
	value_dword(&r->values[0], "Version", 1);
}

struct fx {
	struct follow_seen	 seen;
	struct follow_state	*learned;
	struct follow_state	*next;
	struct follow_decision	 d;
	struct dwerr		 err;
};

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	*state = fx;
	return fx == NULL ? -1 : 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	follow_seen_clear(&fx->seen);
	follow_state_free(fx->learned);
	follow_state_free(fx->next);
	follow_decision_clear(&fx->d);
	free(fx);
	return 0;
}

/* What the tunnel left: a record listing ids, alive, nothing else yet. */
static void
seen_record(struct fx *fx, size_t nids, ...)
{
	va_list	 ap;
	size_t	 i;

	follow_seen_clear(&fx->seen);
	fx->seen.tunnel = "coder";
	fx->seen.nrpt = true;
	fx->seen.record = true;
	fx->seen.alive = true;
	fx->seen.hosts = FOLLOW_HOSTS_ABSENT;
	fx->seen.ids = calloc(nids + 1, sizeof(char *));
	va_start(ap, nids);
	for (i = 0; i < nids; i++)
		fx->seen.ids[i] = dwstr_dup(va_arg(ap, const char *));
	va_end(ap);
	fx->seen.nids = nids;
	fx->seen.rules = calloc(8, sizeof(struct follow_rule));
}

static struct follow_rule *
seen_rule(struct fx *fx)
{
	return &fx->seen.rules[fx->seen.nrules++];
}

/* Decides, then makes what it keeps the learned state for the next call. */
static void
decide(struct fx *fx, uint64_t now)
{
	follow_decision_clear(&fx->d);
	follow_state_free(fx->next);
	fx->next = NULL;
	assert_int_equal(follow_decide(fx->learned, &fx->seen, now, DAY, true,
	    &fx->next, &fx->d, &fx->err), 0);
}

static void
adopt(struct fx *fx)
{
	follow_state_free(fx->learned);
	fx->learned = fx->next != NULL ? follow_state_dup(fx->next) : NULL;
}

/* The state after learning ID_A and ID_B in the local table and BODY. */
static void
learn_two(struct fx *fx)
{
	seen_record(fx, 2, ID_A, ID_B);
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	fx->seen.hosts = FOLLOW_HOSTS_COMPLETE;
	fx->seen.hosts_body = BODY;
	fx->seen.hosts_len = strlen(BODY);
	decide(fx, NOW);
	adopt(fx);
}

static void
follow_tunnels_are_in_the_table(void **state)
{
	const struct follow_tunnel	*c = follow_tunnel_find("coder");
	const struct follow_tunnel	*t = follow_tunnel_find("tailscale");

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->record_key, "SOFTWARE\\Coder VPN");
	assert_string_equal(c->record_value, "NRPTRuleIDs");
	assert_string_equal(c->begin_marker, "# CoderHostsSectionStart");
	assert_string_equal(c->end_marker, "# CoderHostsSectionEnd");
	assert_string_equal(c->adapter_guid,
	    "{0ed1515d-04a4-4c46-abae-11ad07cf0e6d}");
	assert_non_null(t);
	assert_string_equal(t->record_key, "SOFTWARE\\Tailscale IPN");
	assert_string_equal(t->begin_marker, "# TailscaleHostsSectionStart");
	assert_null(follow_tunnel_find("Coder"));
	assert_null(follow_tunnel_find("wireguard"));
}

static void
follow_learns_a_complete_set(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	assert_true(fx->d.learned_nrpt);
	assert_true(fx->d.learned_hosts);
	assert_true(fx->d.save);
	assert_false(fx->d.forget);
	assert_int_equal(fx->d.nputs, 0);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	assert_non_null(fx->next);
	assert_int_equal(fx->next->nrules, 2);
	/* Sorted, every value as it was. */
	assert_string_equal(fx->next->rules[0].id, ID_A);
	assert_int_equal(fx->next->rules[0].nvalues, 4);
	assert_int_equal(fx->next->learned_ms, NOW);
	assert_memory_equal(fx->next->hosts, BODY, strlen(BODY));

	/* The same again: nothing to save, nothing to write. */
	decide(fx, NOW + 1000);
	assert_false(fx->d.learned_nrpt);
	assert_false(fx->d.learned_hosts);
	assert_false(fx->d.save);
	assert_int_equal(fx->d.nputs, 0);
	assert_int_equal(fx->next->learned_ms, NOW);
}

static void
follow_restores_missing_keys_under_their_ids(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	/* A reconnect wiped one key and emptied the other; the record and
	 * the section are gone too... the record stays: the tunnel's. */
	seen_record(fx, 2, ID_A, ID_B);
	rule_bare(seen_rule(fx), ID_B, FOLLOW_LOCAL);
	decide(fx, NOW + 5000);
	assert_false(fx->d.learned_nrpt);
	assert_false(fx->d.save);
	assert_int_equal(fx->d.nputs, 2);
	assert_string_equal(fx->d.puts[0].rule->id, ID_A);
	assert_int_equal(fx->d.puts[0].table, FOLLOW_LOCAL);
	assert_string_equal(fx->d.puts[1].rule->id, ID_B);
	assert_int_equal(fx->d.puts[1].rule->nvalues, 4);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_KEEP);
}

static void
follow_leaves_the_tunnels_own_keys(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	/* One key missing, the other changed by the tunnel: only the
	 * missing one goes back; the changed one is not reverted. */
	seen_record(fx, 2, ID_A, ID_B);
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "10.0.0.53");
	decide(fx, NOW + 5000);
	assert_int_equal(fx->d.nputs, 1);
	assert_string_equal(fx->d.puts[0].rule->id, ID_A);
	/* Then the tunnel writes A again, with its new server: learned. */
	seen_record(fx, 2, ID_A, ID_B);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "10.0.0.53");
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "10.0.0.53");
	decide(fx, NOW + 6000);
	assert_true(fx->d.learned_nrpt);
	assert_int_equal(fx->d.nputs, 0);
}

static void
follow_learns_a_new_workspace(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 3, ID_A, ID_B, "{33333333-3333-3333-3333-333333333333}");
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	rule_coder(seen_rule(fx), "{33333333-3333-3333-3333-333333333333}",
	    FOLLOW_LOCAL, "fd60:627a:a42b::53");
	decide(fx, NOW + 1000);
	assert_true(fx->d.learned_nrpt);
	assert_int_equal(fx->next->nrules, 3);
	/* Keys the record no longer lists are not learned. */
	adopt(fx);
	seen_record(fx, 1, ID_A);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	decide(fx, NOW + 2000);
	assert_true(fx->d.learned_nrpt);
	assert_int_equal(fx->next->nrules, 1);
}

static void
follow_stands_down_when_the_record_goes(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 0);
	fx->seen.record = false;
	decide(fx, NOW + 1000);
	assert_true(fx->d.forget);
	assert_string_equal(fx->d.stand_down, "record removed");
	assert_int_equal(fx->d.nputs, 0);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	assert_null(fx->next);
	/* With nothing learned, a missing record is nothing to say. */
	follow_state_free(fx->learned);
	fx->learned = NULL;
	decide(fx, NOW + 2000);
	assert_false(fx->d.forget);
	assert_null(fx->d.stand_down);
}

static void
follow_restores_nothing_while_the_adapter_is_gone(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 2, ID_A, ID_B);
	fx->seen.alive = false;
	decide(fx, NOW + 1000);
	assert_string_equal(fx->d.stand_down, "adapter gone");
	assert_int_equal(fx->d.nputs, 0);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	assert_true(fx->d.save);	/* when it went is kept */
	assert_int_equal(fx->next->gone_since_ms, NOW + 1000);
	adopt(fx);
	/* Still gone: nothing new to keep. */
	decide(fx, NOW + DAY / 2);
	assert_false(fx->d.save);
	assert_false(fx->d.forget);
	/* Back before the day is out: restored, and no longer gone. */
	fx->seen.alive = true;
	decide(fx, NOW + DAY / 2 + 1);
	assert_int_equal(fx->d.nputs, 2);
	assert_true(fx->d.save);
	assert_int_equal(fx->next->gone_since_ms, 0);
}

static void
follow_forgets_after_the_adapter_stayed_gone(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 2, ID_A, ID_B);
	fx->seen.alive = false;
	decide(fx, NOW + 1000);
	adopt(fx);
	decide(fx, NOW + 1000 + DAY);
	assert_true(fx->d.forget);
	assert_string_equal(fx->d.stand_down, "forgotten");
	assert_null(fx->next);
	/* require_adapter false: the adapter does not matter. */
	follow_decision_clear(&fx->d);
	assert_int_equal(follow_decide(fx->learned, &fx->seen, NOW + 2 * DAY,
	    DAY, false, &fx->next, &fx->d, &fx->err), 0);
	assert_null(fx->d.stand_down);
	assert_int_equal(fx->d.nputs, 2);
}

static void
follow_puts_rules_into_a_new_gp_table_too(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 2, ID_A, ID_B);
	fx->seen.gp_table = true;
	decide(fx, NOW + 1000);
	/* Both keys, in the table they were learned from and in the GP
	 * table, which now hides local rules. */
	assert_int_equal(fx->d.nputs, 4);
	assert_int_equal(fx->d.puts[0].table, FOLLOW_LOCAL);
	assert_int_equal(fx->d.puts[1].table, FOLLOW_GP);
	assert_string_equal(fx->d.puts[1].rule->id, ID_A);
	/* A key learned in the GP table alone, that table gone since (it is
	 * not ours to make): put into the local one, which Windows reads
	 * again. */
	seen_record(fx, 1, ID_A);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_GP, "fd60:627a:a42b::53");
	fx->seen.gp_table = true;
	decide(fx, NOW + 2000);
	adopt(fx);
	assert_int_equal(fx->learned->nrules, 1);
	assert_int_equal(fx->learned->rules[0].table, FOLLOW_GP);
	seen_record(fx, 1, ID_A);
	decide(fx, NOW + 3000);
	assert_int_equal(fx->d.nputs, 1);
	assert_int_equal(fx->d.puts[0].table, FOLLOW_LOCAL);
	assert_string_equal(fx->d.puts[0].rule->id, ID_A);
}

static void
follow_record_listing_an_id_twice_puts_it_once(void **state)
{
	struct fx	*fx = *state;
	char		 lower[64];
	size_t		 i;

	learn_two(fx);
	/* The same key four times, once in other case: one put per key
	 * and table, however often it is listed. */
	snprintf(lower, sizeof(lower), "%s", ID_A);
	for (i = 0; lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	seen_record(fx, 5, ID_A, ID_A, lower, ID_A, ID_B);
	fx->seen.gp_table = true;
	decide(fx, NOW + 1000);
	assert_int_equal(fx->d.nputs, 4);
	/* Learned with a key read twice: one copy kept. */
	seen_record(fx, 2, ID_A, ID_A);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "10.0.0.53");
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "10.0.0.53");
	decide(fx, NOW + 2000);
	assert_true(fx->d.learned_nrpt);
	assert_int_equal(fx->next->nrules, 1);
}

static void
follow_learns_only_usable_copies(void **state)
{
	struct fx	*fx = *state;

	/* A usable GP copy and an empty local key: only the rule is kept,
	 * so the empty key is never made again. */
	seen_record(fx, 1, ID_A);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_GP, "fd60:627a:a42b::53");
	rule_bare(seen_rule(fx), ID_A, FOLLOW_LOCAL);
	fx->seen.gp_table = true;
	decide(fx, NOW);
	assert_true(fx->d.learned_nrpt);
	assert_int_equal(fx->next->nrules, 1);
	assert_int_equal(fx->next->rules[0].table, FOLLOW_GP);
}

static void
follow_hosts_missing_is_put_back_broken_is_left(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 2, ID_A, ID_B);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	rule_coder(seen_rule(fx), ID_B, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	fx->seen.hosts = FOLLOW_HOSTS_ABSENT;
	decide(fx, NOW + 500);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_KEEP);
	assert_false(fx->d.save);
	/* A lone marker or a second section: whose lines are whose cannot
	 * be told, so nothing is touched. */
	fx->seen.hosts = FOLLOW_HOSTS_BROKEN;
	decide(fx, NOW + 1000);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	/* A record that lists nothing: the tunnel took its DNS away. */
	seen_record(fx, 0);
	decide(fx, NOW + 1500);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	/* Unread: nothing decided about it. */
	fx->seen.hosts = FOLLOW_HOSTS_UNKNOWN;
	decide(fx, NOW + 2000);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	/* A tunnel that never wrote a section: none is made. */
	follow_state_free(fx->learned);
	fx->learned = NULL;
	fx->seen.hosts = FOLLOW_HOSTS_ABSENT;
	decide(fx, NOW + 3000);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_LEAVE);
	assert_null(fx->next);
}

static void
follow_clock_stepping_back_forgets_nothing(void **state)
{
	struct fx	*fx = *state;

	learn_two(fx);
	seen_record(fx, 2, ID_A, ID_B);
	fx->seen.alive = false;
	decide(fx, NOW + 5000);
	adopt(fx);
	/* The wall clock goes back: gone from now, not for 49 days. */
	decide(fx, NOW + 1000);
	assert_false(fx->d.forget);
	assert_true(fx->d.save);
	assert_int_equal(fx->next->gone_since_ms, NOW + 1000);
}

static void
follow_learns_nothing_while_the_adapter_is_gone(void **state)
{
	struct fx	*fx = *state;

	/* What a stopped tunnel left is not learned (it is what stale
	 * rules are made of), so a forgotten state stays forgotten. */
	seen_record(fx, 1, ID_A);
	rule_coder(seen_rule(fx), ID_A, FOLLOW_LOCAL, "fd60:627a:a42b::53");
	fx->seen.hosts = FOLLOW_HOSTS_COMPLETE;
	fx->seen.hosts_body = BODY;
	fx->seen.hosts_len = strlen(BODY);
	fx->seen.alive = false;
	decide(fx, NOW);
	assert_false(fx->d.learned_nrpt);
	assert_false(fx->d.learned_hosts);
	assert_null(fx->next);
	assert_string_equal(fx->d.stand_down, "adapter gone");
}

static void
follow_without_nrpt_follows_the_section(void **state)
{
	struct fx	*fx = *state;

	/* Linux: no record, no rules; the section alone. */
	fx->seen.tunnel = "coder";
	fx->seen.alive = true;
	fx->seen.hosts = FOLLOW_HOSTS_COMPLETE;
	fx->seen.hosts_body = BODY;
	fx->seen.hosts_len = strlen(BODY);
	decide(fx, NOW);
	assert_true(fx->d.learned_hosts);
	assert_null(fx->d.stand_down);
	adopt(fx);
	fx->seen.hosts = FOLLOW_HOSTS_ABSENT;
	decide(fx, NOW + 1);
	assert_int_equal(fx->d.hosts, FOLLOW_HOSTS_KEEP);
}

/* -- The state file --------------------------------------------------- */

static void
follow_state_file_round_trips(void **state)
{
	struct fx		*fx = *state;
	struct follow_state	*back;
	char			*text, *again;
	size_t			 len, len2;

	learn_two(fx);
	fx->learned->gone_since_ms = NOW + 7;
	assert_int_equal(follow_state_render(fx->learned, &text, &len,
	    &fx->err), 0);
	assert_int_equal(text[len - 1], '\n');
	assert_non_null(strstr(text, "\"tunnel\":\t\"coder\""));
	assert_non_null(strstr(text, "\"section\":\t\"100.64.0.10 dev.coder\\n"));
	assert_int_equal(follow_state_parse(text, len, "follow-coder.json",
	    &back, &fx->err), 0);
	assert_true(follow_state_same(back, fx->learned));
	assert_int_equal(back->learned_ms, NOW);
	assert_int_equal(back->gone_since_ms, NOW + 7);
	assert_int_equal(follow_state_render(back, &again, &len2, &fx->err), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(text, again, len);
	free(again);
	free(text);
	follow_state_free(back);
}

static void
follow_state_file_keeps_other_bytes_as_hex(void **state)
{
	struct fx		*fx = *state;
	struct follow_state	*back;
	const char		 body[] = "10.0.0.1 caf\xc3\xa9.example\r\n";
	char			*text;
	size_t			 len;

	learn_two(fx);
	free(fx->learned->hosts);
	fx->learned->hosts = dwstr_dup(body);
	fx->learned->hosts_len = strlen(body);
	assert_int_equal(follow_state_render(fx->learned, &text, &len,
	    &fx->err), 0);
	assert_null(strstr(text, "\"section\""));
	assert_non_null(strstr(text, "\"section_hex\""));
	assert_int_equal(follow_state_parse(text, len, "s.json", &back,
	    &fx->err), 0);
	assert_int_equal(back->hosts_len, strlen(body));
	assert_memory_equal(back->hosts, body, strlen(body));
	free(text);
	follow_state_free(back);
}

static void
refused(const char *json, const char *want)
{
	struct follow_state	*st = (struct follow_state *)1;
	struct dwerr		 err;

	assert_int_equal(follow_state_parse(json, strlen(json), "s.json", &st,
	    &err), -1);
	assert_null(st);
	if (strstr(err.msg, want) == NULL)
		fail_msg("got \"%s\", wanted \"%s\"", err.msg, want);
}

#define HEAD	"{\"version\":1,\"tunnel\":\"coder\",\"learned_at\":1," \
	"\"gone_since\":0,"

static void
follow_state_file_errors_name_the_path(void **state)
{
	(void)state;
	refused("[]", "s.json: $: must be an object");
	refused("{\"version\":2}", "s.json: $.version: must be 1");
	refused(HEAD "\"rules\":[],\"hosts\":null,\"x\":1}",
	    "s.json: $: unknown key \"x\"");
	refused(HEAD "\"rules\":{},\"hosts\":null}", "$.rules: must be an array");
	refused(HEAD "\"rules\":[{\"id\":\"a\\\\b\",\"table\":\"local\","
	    "\"values\":[]}],\"hosts\":null}",
	    "$.rules[0].id: must be 1 to 255 characters without a backslash");
	refused(HEAD "\"rules\":[{\"id\":\"a\",\"table\":\"both\","
	    "\"values\":[]}],\"hosts\":null}", "$.rules[0].table");
	refused(HEAD "\"rules\":[{\"id\":\"a\",\"table\":\"gp\",\"values\":"
	    "[{\"name\":\"Name\",\"type\":12,\"data\":\"\"}]}],\"hosts\":null}",
	    "$.rules[0].values[0].type: must be a whole number from 0 to 11");
	refused(HEAD "\"rules\":[{\"id\":\"a\",\"table\":\"gp\",\"values\":"
	    "[{\"name\":\"Name\",\"type\":1,\"data\":\"0G\"}]}],\"hosts\":null}",
	    "$.rules[0].values[0].data: must be an even number");
	refused(HEAD "\"rules\":[],\"hosts\":{\"section\":\"no end\"}}",
	    "$.hosts.section: must end with a line end");
	refused(HEAD "\"rules\":[],\"hosts\":{\"section\":\"a\\n\","
	    "\"section_hex\":\"0a\"}}", "must have one of");
	refused(HEAD "\"rules\":[],\"hosts\":{\"section_hex\":\"610a00\"}}",
	    "holds a NUL byte");
	refused("{\"version\":1}", "must have \"version\", \"tunnel\"");
	refused(HEAD "\"rules\":[{\"id\":\"a\",\"table\":\"gp\",\"values\":"
	    "[{\"name\":\"Name\",\"type\":1,\"data\":\"\"},{\"name\":\"NAME\","
	    "\"type\":4,\"data\":\"\"}]}],\"hosts\":null}",
	    "$.rules[0].values[1].name: repeats the name of values[0]");
	refused(HEAD "\"rules\":[{\"id\":\"a\",\"table\":\"gp\",\"values\":[]},"
	    "{\"id\":\"A\",\"table\":\"gp\",\"values\":[]}],\"hosts\":null}",
	    "$.rules[1]: repeats the ID and table of rules[0]");
}

/* -- The raw section in the hosts file --------------------------------- */

#define CB	"# CoderHostsSectionStart"
#define CE	"# CoderHostsSectionEnd"

static char *
render_raw(const char *file, const char *body, bool *changed)
{
	const struct hosts_markers	 m = { CB, CE };
	struct desired_state		 ds = { .hosts_raw_set = true };
	struct hosts_doc		*doc;
	struct dwerr			 err;
	char				*out;
	size_t				 len;

	ds.hosts_raw = (char *)body;
	ds.hosts_raw_len = strlen(body);
	assert_int_equal(hosts_parse(file, strlen(file), &m, HOSTS_EOL_LF,
	    &doc, &err), 0);
	assert_int_equal(hosts_render(doc, &ds, &out, &len, changed, &err), 0);
	assert_int_equal(strlen(out), len);
	hosts_doc_free(doc);
	return out;
}

static void
hosts_raw_section_goes_back_only_where_missing(void **state)
{
	const char	*sec = CB "\n" BODY CE "\n";
	char		*out, file[512];
	bool		 changed;

	(void)state;
	/* Missing: added at the end, every other byte kept. */
	out = render_raw("127.0.0.1 localhost\n# mine\n", BODY, &changed);
	assert_true(changed);
	snprintf(file, sizeof(file), "127.0.0.1 localhost\n# mine\n%s", sec);
	assert_string_equal(out, file);
	free(out);
	/* A lone begin marker (a cut section): left as it is. */
	out = render_raw("a\n" CB "\nb\n", BODY, &changed);
	assert_false(changed);
	assert_string_equal(out, "a\n" CB "\nb\n");
	free(out);
	/* Two sections: left as they are. */
	out = render_raw(CB "\n" CE "\n" CB "\n" CE "\n", BODY, &changed);
	assert_false(changed);
	free(out);
	/* A complete section, whatever it holds, is the tunnel's: kept. */
	out = render_raw("a\n" CB "\n10.0.0.1 new.coder\n" CE "\nz", BODY,
	    &changed);
	assert_false(changed);
	assert_string_equal(out, "a\n" CB "\n10.0.0.1 new.coder\n" CE "\nz");
	free(out);
}

static void
hosts_section_body_is_the_bytes_between_the_markers(void **state)
{
	const struct hosts_markers	 m = { CB, CE };
	const char			*files[] = {
		"x\r\n" CB "\r\n1.2.3.4 a\r\n" CE "\r\ny\r\n",
		CB "\n" CE "\n",
		"x\n" CB "\n1.2.3.4 a\n" CE,
	};
	const char			*want[] = { "1.2.3.4 a\r\n", "",
					    "1.2.3.4 a\n" };
	struct hosts_doc		*doc;
	struct dwerr			 err;
	const char			*body;
	size_t				 len, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(hosts_parse(files[i], strlen(files[i]), &m,
		    HOSTS_EOL_LF, &doc, &err), 0);
		if (!hosts_doc_section_body(doc, &body, &len))
			fail_msg("no body in file %zu", i);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(body, want[i], len);
		hosts_doc_free(doc);
	}
	/* Two sections, or a lone marker: no single body. */
	body = CB "\n" CE "\n" CB "\n" CE "\n";
	assert_int_equal(hosts_parse(body, strlen(body), &m, HOSTS_EOL_LF,
	    &doc, &err), 0);
	assert_false(hosts_doc_section_body(doc, &body, &len));
	hosts_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		cmocka_unit_test(follow_tunnels_are_in_the_table),
		T(follow_learns_a_complete_set),
		T(follow_restores_missing_keys_under_their_ids),
		T(follow_leaves_the_tunnels_own_keys),
		T(follow_learns_a_new_workspace),
		T(follow_stands_down_when_the_record_goes),
		T(follow_restores_nothing_while_the_adapter_is_gone),
		T(follow_forgets_after_the_adapter_stayed_gone),
		T(follow_puts_rules_into_a_new_gp_table_too),
		T(follow_hosts_missing_is_put_back_broken_is_left),
		T(follow_record_listing_an_id_twice_puts_it_once),
		T(follow_learns_only_usable_copies),
		T(follow_clock_stepping_back_forgets_nothing),
		T(follow_learns_nothing_while_the_adapter_is_gone),
		T(follow_without_nrpt_follows_the_section),
		T(follow_state_file_round_trips),
		T(follow_state_file_keeps_other_bytes_as_hex),
		cmocka_unit_test(follow_state_file_errors_name_the_path),
		cmocka_unit_test(hosts_raw_section_goes_back_only_where_missing),
		cmocka_unit_test(
		    hosts_section_body_is_the_bytes_between_the_markers),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
