/*
 * Tests for policy/coalesce.c: when the daemon runs a pass, with a fake
 * clock (every time below is a number of milliseconds passed in).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#include "coalesce.h"

#define QUIET	500u
#define MAXD	1000u

static const struct coalesce_config defaults = {
	QUIET, MAXD, { 2000, 15000 }, 5, 60000, 8000
};

static int
setup(void **state)
{
	*state = coalesce_new(&defaults);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	coalesce_free(*state);
	return 0;
}

/* Starts the pass due at now, or fails the test. */
static struct coalesce_pass
begin_at(struct coalesce *c, uint64_t now)
{
	struct coalesce_pass	 p;

	assert_true(coalesce_tick(c, now));
	assert_true(coalesce_begin(c, now, &p));
	assert_true(coalesce_running(c));
	return p;
}

static void
coalesce_idle_wants_no_wakeup(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;

	assert_int_equal(coalesce_next(c), COALESCE_NEVER);
	assert_false(coalesce_tick(c, 123456));
	assert_false(coalesce_begin(c, 123456, &p));
	assert_false(coalesce_pending(c));
	/* After a pass with nothing pending, idle again. */
	coalesce_trigger(c, "manual", false, 10);
	begin_at(c, 10);
	coalesce_end(c, 30);
	assert_int_equal(coalesce_next(c), COALESCE_NEVER);
}

static void
coalesce_first_trigger_after_quiet_starts_at_once(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;

	coalesce_trigger(c, "drift", true, 1000);
	assert_int_equal(coalesce_next(c), 1000);
	p = begin_at(c, 1000);
	assert_string_equal(p.trigger, "drift");
	assert_true(p.drift);
	assert_false(p.retry);
	coalesce_end(c, 1040);
	/* Long after: again at once. */
	coalesce_trigger(c, "network", false, 1040 + QUIET);
	assert_int_equal(coalesce_next(c), 1040 + QUIET);
}

static void
coalesce_policy_refresh_names_a_pass_over_nrpt_but_not_over_drift(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;

	/* A policy refresh says why the rules changed. */
	coalesce_trigger(c, "nrpt", true, 0);
	coalesce_trigger(c, "policy", true, 0);
	p = begin_at(c, 0);
	assert_string_equal(p.trigger, "policy");
	coalesce_end(c, 10);
	coalesce_trigger(c, "policy", true, 1000);
	coalesce_trigger(c, "drift", true, 1000);
	p = begin_at(c, 1000);
	assert_string_equal(p.trigger, "drift");
	assert_true(p.drift);
}

static void
coalesce_triggers_during_a_pass_make_one_trailing_pass(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;

	coalesce_trigger(c, "network", false, 0);
	begin_at(c, 0);
	coalesce_trigger(c, "network", false, 10);
	coalesce_trigger(c, "drift", true, 20);
	coalesce_trigger(c, "retry", false, 30);
	/* Nothing starts while one runs. */
	assert_int_equal(coalesce_next(c), COALESCE_NEVER);
	assert_true(coalesce_pending(c));
	coalesce_end(c, 50);
	/* One trailing pass, a quiet window after the end. */
	assert_int_equal(coalesce_next(c), 50 + QUIET);
	assert_false(coalesce_begin(c, 50 + QUIET - 1, &p));
	p = begin_at(c, 50 + QUIET);
	assert_string_equal(p.trigger, "drift");	/* the most telling */
	assert_true(p.drift);
	assert_true(p.retry);
	coalesce_end(c, 600);
	assert_int_equal(coalesce_next(c), COALESCE_NEVER);
	assert_int_equal(coalesce_triggers(c), 4);
	assert_int_equal(coalesce_coalesced(c), 2);
}

static void
coalesce_quiet_window_after_a_pass_holds_the_next(void **state)
{
	struct coalesce	*c = *state;

	coalesce_trigger(c, "manual", false, 0);
	begin_at(c, 0);
	coalesce_end(c, 100);
	coalesce_trigger(c, "network", false, 300);
	assert_int_equal(coalesce_next(c), 100 + QUIET);
	coalesce_trigger(c, "desired", false, 550);
	/* Later triggers join; they do not push the pass back. */
	assert_int_equal(coalesce_next(c), 100 + QUIET);
	assert_false(coalesce_tick(c, 599));
	assert_string_equal(begin_at(c, 600).trigger, "desired");
	assert_int_equal(coalesce_coalesced(c), 1);
}

static void
coalesce_longest_delay_caps_the_wait(void **state)
{
	struct coalesce			*c = *state;
	struct coalesce_config		 cfg = defaults;

	cfg.quiet_ms = 5000;
	cfg.max_delay_ms = 300;
	coalesce_set_config(c, &cfg);
	coalesce_trigger(c, "manual", false, 0);
	begin_at(c, 0);
	coalesce_end(c, 10);
	coalesce_trigger(c, "drift", true, 100);
	/* Quiet window to 5010, but never more than 300 after the first. */
	assert_int_equal(coalesce_next(c), 400);
}

static void
coalesce_storm_gives_one_pass_per_quiet_window_plus_one(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;
	uint64_t		 t, end = 0;
	unsigned		 passes = 0, started_at_once = 0;

	/* 10,000 writes a second for 10 s; a pass takes 5 ms. */
	for (t = 0; t < 10000 * 10; t++) {
		uint64_t now = t / 10;

		if (coalesce_running(c) && now >= end)
			coalesce_end(c, now);
		coalesce_trigger(c, "drift", true, now);
		if (!coalesce_running(c) && coalesce_tick(c, now) &&
		    coalesce_begin(c, now, &p)) {
			if (passes == 0 && now == 0)
				started_at_once++;
			passes++;
			end = now + 5;
		}
	}
	assert_int_equal(started_at_once, 1);
	assert_true(passes <= 10000 / QUIET + 1);
	assert_true(passes >= 10000 / (QUIET + 5));
	print_message("storm: %u passes for 100,000 triggers in 10 s\n", passes);
}

static void
coalesce_vpn_trigger_asks_for_settle_rechecks(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_pass	 p;

	coalesce_trigger(c, "vpn", false, 0);
	assert_string_equal(begin_at(c, 0).trigger, "vpn");
	coalesce_end(c, 30);
	/* The first re-check is the next wake-up. */
	assert_int_equal(coalesce_next(c), 2000);
	assert_false(coalesce_tick(c, 1999));
	p = begin_at(c, 2000);
	assert_string_equal(p.trigger, "vpn-settle");
	coalesce_end(c, 2010);
	assert_int_equal(coalesce_next(c), 15000);
	assert_string_equal(begin_at(c, 15000).trigger, "vpn-settle");
	coalesce_end(c, 15010);
	assert_int_equal(coalesce_next(c), COALESCE_NEVER);
	/* A later VPN trigger starts the re-checks over. */
	coalesce_trigger(c, "vpn", false, 20000);
	begin_at(c, 20000);
	coalesce_end(c, 20010);
	assert_int_equal(coalesce_next(c), 22000);
}

static void
coalesce_fight_holds_drift_repairs_and_backs_off(void **state)
{
	struct coalesce		*c = *state;
	struct coalesce_fight	 f;
	uint64_t		 t;
	unsigned		 i;

	/* Five repairs in the window are no fight; the sixth is. */
	for (i = 0, t = 0; i < 5; i++, t += 100)
		assert_false(coalesce_drift_write(c, t, &f));
	assert_int_equal(coalesce_fight_delay(c), 0);
	assert_true(coalesce_drift_write(c, t, &f));
	assert_int_equal(f.rewrites, 6);
	assert_int_equal(f.delay_ms, COALESCE_FIGHT_FIRST_MS);
	assert_true(coalesce_fighting(c, t));
	/* A drift repair now waits for the delay... */
	coalesce_trigger(c, "drift", true, t + 10);
	assert_int_equal(coalesce_next(c), t + COALESCE_FIGHT_FIRST_MS);
	/* ...but an admin's request does not. */
	coalesce_trigger(c, "manual", false, t + 20);
	assert_int_equal(coalesce_next(c), t + 10);
	begin_at(c, t + 20);
	coalesce_end(c, t + 30);
	/* Each further repair doubles the delay, up to the cap. */
	assert_true(coalesce_drift_write(c, t + 40, &f));
	assert_int_equal(f.delay_ms, 2 * COALESCE_FIGHT_FIRST_MS);
	assert_true(coalesce_drift_write(c, t + 50, &f));
	assert_true(coalesce_drift_write(c, t + 60, &f));
	assert_true(coalesce_drift_write(c, t + 70, &f));
	assert_int_equal(f.delay_ms, 8000);
	/* A network trigger (no drift) is not held. */
	coalesce_trigger(c, "network", false, t + 1000);
	assert_int_equal(coalesce_next(c), t + 1000);
	/* Peace: a window and a delay later, one repair ends the fight. */
	assert_false(coalesce_drift_write(c, t + 70 + 8000 + 60001, &f));
	assert_int_equal(coalesce_fight_delay(c), 0);
	assert_false(coalesce_fighting(c, t + 70 + 8000 + 60001));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(coalesce_idle_wants_no_wakeup),
		T(coalesce_first_trigger_after_quiet_starts_at_once),
		T(coalesce_triggers_during_a_pass_make_one_trailing_pass),
		T(coalesce_policy_refresh_names_a_pass_over_nrpt_but_not_over_drift),
		T(coalesce_quiet_window_after_a_pass_holds_the_next),
		T(coalesce_longest_delay_caps_the_wait),
		T(coalesce_storm_gives_one_pass_per_quiet_window_plus_one),
		T(coalesce_vpn_trigger_asks_for_settle_rechecks),
		T(coalesce_fight_holds_drift_repairs_and_backs_off),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
