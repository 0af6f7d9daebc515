/* Tests for policy/backoff.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backoff.h"

static void
backoff_defaults_match_the_documented_values(void **state)
{
	struct backoff_policy	 p;

	(void)state;
	backoff_defaults(&p);
	assert_int_equal(p.initial_ms, 50);
	assert_true(p.multiplier == 2.0);
	assert_int_equal(p.max_interval_ms, 5000);
	assert_int_equal(p.deadline_ms, 30000);
	assert_true(p.jitter == 0.2);
	assert_int_equal(backoff_check(&p, NULL), 0);
}

static void
backoff_doubles_then_caps_without_jitter(void **state)
{
	struct backoff_policy	 p;
	uint32_t		 d;
	const uint32_t		 want[] = { 50, 100, 200, 400, 800, 1600, 3200,
				    5000, 5000, 5000 };
	unsigned		 i;

	(void)state;
	backoff_defaults(&p);
	p.jitter = 0.0;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(backoff_next(&p, i + 1, 0, 0.5, &d), 0);
		assert_int_equal(d, want[i]);
	}
}

static void
backoff_jitter_stays_within_its_fraction(void **state)
{
	struct backoff_policy	 p;
	uint32_t		 lo, mid, hi;

	(void)state;
	backoff_defaults(&p);
	assert_int_equal(backoff_next(&p, 3, 0, 0.0, &lo), 0);
	assert_int_equal(backoff_next(&p, 3, 0, 0.5, &mid), 0);
	assert_int_equal(backoff_next(&p, 3, 0, 0.9999999, &hi), 0);
	assert_int_equal(lo, 160);	/* 200 - 20 % */
	assert_int_equal(mid, 200);
	assert_in_range(hi, 239, 240);	/* 200 + 20 % */
}

static void
backoff_never_sleeps_past_the_deadline(void **state)
{
	struct backoff_policy	 p;
	uint32_t		 d;

	(void)state;
	backoff_defaults(&p);
	assert_int_equal(backoff_next(&p, 20, 29000, 0.5, &d), 0);
	assert_int_equal(d, 1000);
	assert_int_equal(backoff_next(&p, 20, 29999, 0.5, &d), 0);
	assert_int_equal(d, 1);
}

static void
backoff_gives_up_at_the_deadline(void **state)
{
	struct backoff_policy	 p;
	uint32_t		 d = 77;

	(void)state;
	backoff_defaults(&p);
	assert_int_equal(backoff_next(&p, 5, 30000, 0.5, &d), -1);
	assert_int_equal(backoff_next(&p, 5, 45000, 0.5, &d), -1);
	p.deadline_ms = 0;
	assert_int_equal(backoff_next(&p, 1, 0, 0.5, &d), -1);
}

static void
backoff_schedule_sums_to_the_deadline(void **state)
{
	struct backoff_policy	 p;
	uint64_t		 elapsed = 0;
	uint32_t		 d;
	unsigned		 attempt = 1;

	(void)state;
	backoff_defaults(&p);
	while (backoff_next(&p, attempt, elapsed, 0.37, &d) == 0) {
		elapsed += d;
		attempt++;
		assert_true(attempt < 100);
	}
	assert_int_equal(elapsed, 30000);
	/* 50..3200 ramps (7 attempts) then about 5 s steps. */
	assert_in_range(attempt, 10, 16);
}

static void
backoff_check_rejects_bad_ranges(void **state)
{
	struct backoff_policy	 p;
	struct dwerr		 err;

	(void)state;
	backoff_defaults(&p);
	p.initial_ms = 0;
	assert_int_equal(backoff_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "initial_ms"));
	backoff_defaults(&p);
	p.multiplier = 0.5;
	assert_int_equal(backoff_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "multiplier"));
	backoff_defaults(&p);
	p.max_interval_ms = 10;
	assert_int_equal(backoff_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "max_interval_ms"));
	backoff_defaults(&p);
	p.jitter = 1.5;
	assert_int_equal(backoff_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "jitter"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_defaults_match_the_documented_values),
		cmocka_unit_test(backoff_doubles_then_caps_without_jitter),
		cmocka_unit_test(backoff_jitter_stays_within_its_fraction),
		cmocka_unit_test(backoff_never_sleeps_past_the_deadline),
		cmocka_unit_test(backoff_gives_up_at_the_deadline),
		cmocka_unit_test(backoff_schedule_sums_to_the_deadline),
		cmocka_unit_test(backoff_check_rejects_bad_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
