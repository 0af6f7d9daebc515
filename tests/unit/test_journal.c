/* Tests for policy/journal.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "journal.h"

static void
journal_round_trips_old_and_new(void **state)
{
	const char	*old, *new;
	size_t		 oldlen, newlen, len;
	char		*j;

	(void)state;
	assert_int_equal(journal_encode("old\r\n", 5, "new bytes\n", 10, &j,
	    &len), 0);
	assert_int_equal(len, JOURNAL_HEADER_BYTES + 15);
	assert_int_equal(journal_decode(j, len, &old, &oldlen, &new, &newlen), 0);
	assert_int_equal(oldlen, 5);
	assert_memory_equal(old, "old\r\n", 5);
	assert_int_equal(newlen, 10);
	assert_memory_equal(new, "new bytes\n", 10);
	free(j);
}

static void
journal_accepts_empty_contents(void **state)
{
	const char	*old, *new;
	size_t		 oldlen = 9, newlen = 9, len;
	char		*j;

	(void)state;
	assert_int_equal(journal_encode("", 0, "", 0, &j, &len), 0);
	assert_int_equal(journal_decode(j, len, &old, &oldlen, &new, &newlen), 0);
	assert_int_equal(oldlen, 0);
	assert_int_equal(newlen, 0);
	free(j);
}

static void
journal_refuses_every_truncation(void **state)
{
	const char	*old, *new;
	size_t		 oldlen, newlen, len, cut;
	char		*j;

	(void)state;
	assert_int_equal(journal_encode("abc", 3, "defgh", 5, &j, &len), 0);
	/* A crash while writing the journal leaves a prefix of it. */
	for (cut = 0; cut < len; cut++)
		assert_int_equal(journal_decode(j, cut, &old, &oldlen, &new,
		    &newlen), -1);
	free(j);
}

static void
journal_refuses_a_flipped_bit_anywhere(void **state)
{
	const char	*old, *new;
	size_t		 oldlen, newlen, len, i;
	char		*j;

	(void)state;
	assert_int_equal(journal_encode("abc", 3, "defgh", 5, &j, &len), 0);
	for (i = 0; i < len; i++) {
		j[i] ^= 0x10;
		assert_int_equal(journal_decode(j, len, &old, &oldlen, &new,
		    &newlen), -1);
		j[i] ^= 0x10;
	}
	assert_int_equal(journal_decode(j, len, &old, &oldlen, &new, &newlen), 0);
	free(j);
}

static void
journal_refuses_trailing_bytes(void **state)
{
	const char	*old, *new;
	size_t		 oldlen, newlen, len;
	char		*j, *k;

	(void)state;
	assert_int_equal(journal_encode("a", 1, "b", 1, &j, &len), 0);
	k = malloc(len + 1);
	memcpy(k, j, len);
	k[len] = 'x';
	assert_int_equal(journal_decode(k, len + 1, &old, &oldlen, &new,
	    &newlen), -1);
	free(k);
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_round_trips_old_and_new),
		cmocka_unit_test(journal_accepts_empty_contents),
		cmocka_unit_test(journal_refuses_every_truncation),
		cmocka_unit_test(journal_refuses_a_flipped_bit_anywhere),
		cmocka_unit_test(journal_refuses_trailing_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
