/*
 * Tests for policy/archive.c: the ZIP and .tar.gz writer of support
 * bundles. Each archive is read back here by a reader written from the
 * formats' specifications (APPNOTE's records, RFC 1951 stored blocks,
 * RFC 1952, ustar), so the tests need no tool; the integration tests
 * hand the same archives to unzip and tar.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"

#define FEB29_2024	1709213862	/* 2024-02-29T13:37:42Z */
#define BIG_BYTES	200000u		/* over three stored blocks */

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

static uint8_t *
build(enum archive_kind kind, int64_t mtime, const char *const *names,
    const uint8_t *const *data, const size_t *lens, size_t n, size_t *outlen)
{
	struct archive	*a = archive_new(kind, mtime);
	struct dwerr	 err;
	uint8_t		*out;
	size_t		 i;

	assert_non_null(a);
	for (i = 0; i < n; i++)
		assert_int_equal(archive_add(a, names[i], data[i], lens[i],
		    &err), 0);
	assert_int_equal(archive_finish(a, &out, outlen, &err), 0);
	archive_free(a);
	return out;
}

/* Reads a ZIP from its end record: member i's name, bytes and CRC
 * checked against the local header and the data. */
static void
zip_check(const uint8_t *z, size_t len, const char *const *names,
    const uint8_t *const *data, const size_t *lens, size_t n)
{
	const uint8_t	*end, *c, *l;
	size_t		 i, nlen;

	assert_true(len >= 22);
	end = z + len - 22;
	assert_int_equal(get32(end), 0x06054b50u);
	assert_int_equal(get16(end + 8), n);
	assert_int_equal(get16(end + 10), n);
	assert_int_equal(get32(end + 16) + get32(end + 12), len - 22);
	c = z + get32(end + 16);
	for (i = 0; i < n; i++) {
		nlen = strlen(names[i]);
		assert_int_equal(get32(c), 0x02014b50u);
		assert_int_equal(get16(c + 10), 0);		/* stored */
		assert_int_equal(get32(c + 16),
		    archive_crc32(0, data[i], lens[i]));
		assert_int_equal(get32(c + 20), lens[i]);
		assert_int_equal(get32(c + 24), lens[i]);
		assert_int_equal(get16(c + 28), nlen);
		assert_memory_equal(c + 46, names[i], nlen);
		l = z + get32(c + 42);
		assert_int_equal(get32(l), 0x04034b50u);
		assert_int_equal(get32(l + 14), get32(c + 16));
		assert_int_equal(get32(l + 22), lens[i]);
		assert_int_equal(get16(l + 26), nlen);
		assert_memory_equal(l + 30, names[i], nlen);
		if (lens[i] > 0)
			assert_memory_equal(l + 30 + nlen + get16(l + 28),
			    data[i], lens[i]);
		c += 46 + nlen + get16(c + 30) + get16(c + 32);
	}
	assert_ptr_equal(c, end);
}

/* Undoes the gzip of stored blocks: the tar, malloc'd; *blocks gets how
 * many deflate blocks there were. */
static uint8_t *
gunzip_stored(const uint8_t *g, size_t len, size_t *outlen, size_t *blocks)
{
	const uint8_t	*p = g + 10, *e = g + len - 8;
	uint8_t		*out = malloc(len);
	size_t		 n = 0, bl;
	bool		 final = false;

	assert_non_null(out);
	assert_true(len >= 18);
	assert_int_equal(g[0], 0x1f);
	assert_int_equal(g[1], 0x8b);
	assert_int_equal(g[2], 8);
	assert_int_equal(g[3], 0);
	*blocks = 0;
	while (!final) {
		assert_true(p + 5 <= e);
		assert_int_equal(p[0] & 6, 0);		/* BTYPE 00 */
		final = (p[0] & 1) != 0;
		bl = get16(p + 1);
		assert_int_equal(get16(p + 3), ~bl & 0xffffu);
		assert_true(bl <= ARCHIVE_DEFLATE_BLOCK_BYTES);
		assert_true(p + 5 + bl <= e);
		memcpy(out + n, p + 5, bl);
		n += bl;
		p += 5 + bl;
		(*blocks)++;
	}
	assert_ptr_equal(p, e);
	assert_int_equal(get32(e), archive_crc32(0, out, n));
	assert_int_equal(get32(e + 4), (uint32_t)n);
	*outlen = n;
	return out;
}

/* Reads the tar: each header's checksum, name, size and bytes, then the
 * two empty blocks that end it. */
static void
tar_check(const uint8_t *t, size_t len, int64_t mtime,
    const char *const *names, const uint8_t *const *data, const size_t *lens,
    size_t n)
{
	char		 field[16];
	size_t		 off = 0, i, j;
	unsigned	 sum;

	for (i = 0; i < n; i++) {
		assert_true(off + 512 <= len);
		for (sum = 0, j = 0; j < 512; j++)
			sum += j >= 148 && j < 156 ? ' ' : t[off + j];
		assert_int_equal(strtoul((const char *)t + off + 148, NULL, 8),
		    sum);
		assert_string_equal((const char *)t + off, names[i]);
		assert_memory_equal(t + off + 257, "ustar\0" "00", 8);
		assert_int_equal(t[off + 156], '0');
		memcpy(field, t + off + 124, 12);
		field[12] = '\0';
		assert_int_equal(strtoull(field, NULL, 8), lens[i]);
		memcpy(field, t + off + 136, 12);
		assert_int_equal(strtoll(field, NULL, 8), mtime);
		off += 512;
		if (lens[i] > 0)
			assert_memory_equal(t + off, data[i], lens[i]);
		off += (lens[i] + 511) / 512 * 512;
	}
	assert_int_equal(len, off + 1024);
	for (j = off; j < len; j++)
		assert_int_equal(t[j], 0);
}

static void
archive_crc32_matches_known_vectors(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";

	(void)state;
	assert_int_equal(archive_crc32(0, "", 0), 0);
	assert_int_equal(archive_crc32(0, "a", 1), 0xe8b7be43u);
	assert_int_equal(archive_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(archive_crc32(0, fox, strlen(fox)), 0x414fa339u);
	/* Continued over two calls: the same as one. */
	assert_int_equal(archive_crc32(archive_crc32(0, fox, 10), fox + 10,
	    strlen(fox) - 10), 0x414fa339u);
}

static void
archive_kind_follows_the_extension(void **state)
{
	static const char *const bad[] = { "bundle.tar", "bundle.gz",
	    "bundle.tgz", "zip", ".zip", "bundle.zip.txt", "bundle" };
	enum archive_kind	 k;
	struct dwerr		 err;
	size_t			 i;

	(void)state;
	assert_int_equal(archive_kind_of("b.zip", &k, &err), 0);
	assert_int_equal(k, ARCHIVE_ZIP);
	assert_int_equal(archive_kind_of("C:\\x\\B.ZIP", &k, &err), 0);
	assert_int_equal(k, ARCHIVE_ZIP);
	assert_int_equal(archive_kind_of("/tmp/b.tar.gz", &k, &err), 0);
	assert_int_equal(k, ARCHIVE_TAR_GZ);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(archive_kind_of(bad[i], &k, &err), -1);
		assert_int_equal(err.code, DWERR_INPUT);
		assert_non_null(strstr(err.msg, bad[i]));
		assert_non_null(strstr(err.msg, ".zip"));
		assert_non_null(strstr(err.msg, ".tar.gz"));
	}
}

static void
archive_empty_zip_is_its_end_record(void **state)
{
	static const uint8_t	 want[22] = { 0x50, 0x4b, 5, 6 };
	uint8_t			*z;
	size_t			 len;

	(void)state;
	z = build(ARCHIVE_ZIP, FEB29_2024, NULL, NULL, NULL, 0, &len);
	assert_int_equal(len, 22);
	assert_memory_equal(z, want, sizeof(want));
	free(z);
}

static void
archive_empty_tar_gz_is_two_empty_blocks(void **state)
{
	uint8_t	*g, *t;
	size_t	 len, tlen, blocks;

	(void)state;
	g = build(ARCHIVE_TAR_GZ, FEB29_2024, NULL, NULL, NULL, 0, &len);
	t = gunzip_stored(g, len, &tlen, &blocks);
	assert_int_equal(blocks, 1);
	tar_check(t, tlen, FEB29_2024, NULL, NULL, NULL, 0);
	assert_int_equal(get32(g + 4), (uint32_t)FEB29_2024);
	free(t);
	free(g);
}

static void
archive_zip_members_read_back_with_their_time(void **state)
{
	static const char *const names[] = { "README.txt", "empty",
	    "dir/doctor.json" };
	static const uint8_t	 r[] = "hello\n", j[] = "{\"a\":1}";
	const uint8_t		*data[] = { r, (const uint8_t *)"", j };
	const size_t		 lens[] = { sizeof(r) - 1, 0, sizeof(j) - 1 };
	uint8_t			*z;
	size_t			 len;

	(void)state;
	z = build(ARCHIVE_ZIP, FEB29_2024, names, data, lens, 3, &len);
	zip_check(z, len, names, data, lens, 3);
	/* MS-DOS time and date of 2024-02-29 13:37:42 in the first local
	 * header. */
	assert_int_equal(get16(z + 10), 0x6cb5);
	assert_int_equal(get16(z + 12), 0x585d);
	free(z);
}

static void
archive_big_member_spans_several_stored_blocks(void **state)
{
	static const char *const names[] = { "trace.jsonl", "hosts" };
	uint8_t		*big = malloc(BIG_BYTES), *g, *t, *z;
	const uint8_t	*data[2];
	size_t		 lens[2] = { BIG_BYTES, 5 }, len, tlen, blocks, i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < BIG_BYTES; i++)
		big[i] = (uint8_t)(i * 7u + i / 251u);
	data[0] = big;
	data[1] = (const uint8_t *)"x y\n\n";
	g = build(ARCHIVE_TAR_GZ, FEB29_2024, names, data, lens, 2, &len);
	t = gunzip_stored(g, len, &tlen, &blocks);
	/* The tar: two headers, the bytes padded, two end blocks. */
	assert_int_equal(tlen, 512 + 200192 + 512 + 512 + 1024);
	assert_int_equal(blocks, (tlen + 65534) / 65535);
	assert_true(blocks > 3);
	tar_check(t, tlen, FEB29_2024, names, data, lens, 2);
	free(t);
	free(g);
	z = build(ARCHIVE_ZIP, FEB29_2024, names, data, lens, 2, &len);
	zip_check(z, len, names, data, lens, 2);
	free(z);
	free(big);
}

static void
archive_refuses_unsafe_names(void **state)
{
	static const char *const bad[] = { "", "/etc/passwd", "../x",
	    "a/../b", "a//b", "a/", "./a", "a\\b", "C:x", "tab\there",
	    "caf\xc3\xa9" };
	struct archive	*a = archive_new(ARCHIVE_TAR_GZ, 0);
	struct dwerr	 err;
	char		 name[ARCHIVE_NAME_MAX_BYTES + 2];
	size_t		 i;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(archive_add(a, bad[i], "x", 1, &err), -1);
		assert_int_equal(err.code, DWERR_INPUT);
	}
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(archive_add(a, name, "x", 1, &err), -1);
	name[ARCHIVE_NAME_MAX_BYTES] = '\0';
	assert_int_equal(archive_add(a, name, "x", 1, &err), 0);
	assert_int_equal(archive_add(a, "a/b.c", "x", 1, &err), 0);
	archive_free(a);
}

static void
archive_takes_nothing_after_finish(void **state)
{
	struct archive	*a = archive_new(ARCHIVE_ZIP, 0);
	struct dwerr	 err;
	uint8_t		*out;
	size_t		 len;

	(void)state;
	assert_non_null(a);
	assert_int_equal(archive_add(a, "a", "1", 1, &err), 0);
	assert_int_equal(archive_finish(a, &out, &len, &err), 0);
	free(out);
	assert_int_equal(archive_add(a, "b", "2", 1, &err), -1);
	assert_int_equal(archive_finish(a, &out, &len, &err), -1);
	assert_null(out);
	archive_free(a);
	archive_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(archive_crc32_matches_known_vectors),
		cmocka_unit_test(archive_kind_follows_the_extension),
		cmocka_unit_test(archive_empty_zip_is_its_end_record),
		cmocka_unit_test(archive_empty_tar_gz_is_two_empty_blocks),
		cmocka_unit_test(archive_zip_members_read_back_with_their_time),
		cmocka_unit_test(archive_big_member_spans_several_stored_blocks),
		cmocka_unit_test(archive_refuses_unsafe_names),
		cmocka_unit_test(archive_takes_nothing_after_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
