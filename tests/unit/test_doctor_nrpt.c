/*
 * Tests for pass/doctor_nrpt.c where there is no NRPT: the report says so
 * and finds nothing (the Windows side is tests/win/test_doctor_win.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doctor.h"

static void
doctor_nrpt_reports_no_nrpt_and_no_finding(void **state)
{
	struct doctor	 d;
	struct config	*cfg;
	struct dwerr	 err;
	const cJSON	*o, *it;

	(void)state;
	assert_int_equal(config_parse("{}", 2, "config.json", &cfg, &err), 0);
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	assert_non_null(d.root = cJSON_CreateObject());
	assert_non_null(d.findings = cJSON_CreateArray());
	doctor_nrpt(&d);
	assert_false(d.oom);
	assert_non_null(o = cJSON_GetObjectItemCaseSensitive(d.root, "nrpt"));
	it = cJSON_GetObjectItemCaseSensitive(o, "gp_table");
	assert_true(cJSON_IsString(it));
	assert_string_equal(it->valuestring, "absent");
	it = cJSON_GetObjectItemCaseSensitive(o, "rules");
	assert_true(cJSON_IsArray(it));
	assert_int_equal(cJSON_GetArraySize(it), 0);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o,
	    "supported")));
	assert_int_equal(cJSON_GetArraySize(d.findings), 0);
	assert_int_equal(d.errors + d.warnings, 0);
	cJSON_Delete(d.findings);
	cJSON_Delete(d.root);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(doctor_nrpt_reports_no_nrpt_and_no_finding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
