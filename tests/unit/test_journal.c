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


#define S(x) x, strlen(x)

static void
journal_matches_old_new_and_torn_mixes_only(void **state)
{
	const char	*old = "old line one\nold line two\n";
	const char	*new = "new line one\nnew line two\nmore\n";

	(void)state;
	assert_true(journal_matches(S(old), S(old), S(new)));
	assert_true(journal_matches(S(new), S(old), S(new)));
	assert_true(journal_matches(S("new line one\nold line two\n"), S(old),
	    S(new)));
	/* An admin's edit since: neither content, nor a mix of the two. */
	assert_false(journal_matches(S("old line one\nold line two\nadmin\n"),
	    S(old), S(new)));
	assert_false(journal_matches(S("x"), S(old), S(new)));
	/* Old and new bytes, but in no order a rewrite leaves them. */
	assert_false(journal_matches(S("ayc"), S("abc"), S("xyz")));
	assert_true(journal_matches(S("xbc"), S("abc"), S("xyz")));
	assert_true(journal_matches(S("xyc"), S("abc"), S("xyz")));
	/* Undone half-way: old again up to some offset. */
	assert_true(journal_matches(S("ayz"), S("abc"), S("xyz")));
	/* Extended, and the crash came before the bytes: zeros. */
	assert_true(journal_matches(S("ab\0\0"), S("ab"), S("abcd")));
	assert_false(journal_matches(S(""), S(old), S(new)));
}

/* Runs a merge and compares the result (NULL: nothing to merge). */
static void
check_merge(const char *cur, const char *read, const char *written,
    const char *late, const char *want)
{
	char	*out;
	size_t	 len;

	assert_int_equal(journal_merge_late(S(cur), S(read), S(written),
	    S(late), &out, &len), 0);
	if (want == NULL) {
		assert_null(out);
		return;
	}
	assert_non_null(out);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
journal_merge_puts_late_lines_where_their_writer_put_them(void **state)
{
	(void)state;
	/* Nothing arrived. */
	check_merge("a\nS\n", "a\n", "a\nS\n", "a\n", NULL);
	/* Appended to the old file: after ours, before what followed. */
	check_merge("a\nS\n", "a\n", "a\nS\n", "a\nlate\n", "a\nS\nlate\n");
	check_merge("a\nS\nnext\n", "a\n", "a\nS\n", "a\nlate\n",
	    "a\nS\nlate\nnext\n");
	/* Ours was replaced meanwhile: at the end. */
	check_merge("b\n", "a\n", "a\nS\n", "a\nlate\n", "b\nlate\n");
	check_merge("b", "a\n", "a\nS\n", "a\nlate\n", "b\nlate\n");
	/* Rewritten whole (truncated first): theirs wins while ours is
	 * untouched; otherwise their lines that are new join. */
	check_merge("a\nS\n", "a\n", "a\nS\n", "z\n", "z\n");
	check_merge("a\nS\nq\n", "a\n", "a\nS\n", "z\nq\n",
	    "a\nS\nq\nz\n");
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
		cmocka_unit_test(journal_matches_old_new_and_torn_mixes_only),
		cmocka_unit_test(journal_merge_puts_late_lines_where_their_writer_put_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
