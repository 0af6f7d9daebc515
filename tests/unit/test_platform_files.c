/*
 * Tests for platform_write_file_atomic, platform_remove_file and
 * platform_make_private_dir (os/platform_posix.c) on real files in a temp
 * folder, and for follow_store_posix.c.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "follow_store.h"
#include "platform.h"
#include "testutil.h"

/* The number of entries in dir, "." and ".." aside. */
static int
count_entries(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_atomic_replaces(void **state)
{
	char		 dir[] = "/tmp/dwpfXXXXXX", path[64];
	struct dwerr	 err;
	struct stat	 st;
	char		*got;
	size_t		 len;

	(void)state;
	tu_mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	tu_put(path, "old", 3);
	assert_int_equal(chmod(path, 0644), 0);
	dwerr_reset(&err);
	assert_int_equal(platform_write_file_atomic(path, "new\0bytes", 9,
	    &err), 0);
	assert_non_null(got = tu_slurp(path, &len));
	assert_int_equal(len, 9);
	assert_memory_equal(got, "new\0bytes", 9);
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1);	/* no temporary left */
	/* A new file, and an empty one. */
	snprintf(path, sizeof(path), "%s/fresh", dir);
	assert_int_equal(platform_write_file_atomic(path, "", 0, &err), 0);
	assert_non_null(got = tu_slurp(path, &len));
	assert_int_equal(len, 0);
	free(got);
	assert_int_equal(count_entries(dir), 2);
	tu_rmtree(dir);
}

static void
test_atomic_fails_cleanly(void **state)
{
	char		 dir[] = "/tmp/dwpfXXXXXX", path[96];
	struct dwerr	 err;
	char		*got;
	size_t		 len;

	(void)state;
	tu_mkdtemp(dir);
	/* The folder is missing: the error names the path. */
	snprintf(path, sizeof(path), "%s/gone/state.json", dir);
	dwerr_reset(&err);
	assert_int_equal(platform_write_file_atomic(path, "x", 1, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, path));
	/* The rename fails (the target is a folder): the old one stays and
	 * no temporary is left behind. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/adir/keep", dir);
	tu_put(path, "kept", 4);
	snprintf(path, sizeof(path), "%s/adir", dir);
	dwerr_reset(&err);
	assert_int_equal(platform_write_file_atomic(path, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(count_entries(dir), 1);
	snprintf(path, sizeof(path), "%s/adir/keep", dir);
	assert_non_null(got = tu_slurp(path, &len));
	assert_memory_equal(got, "kept", 4);
	free(got);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(rmdir(path), 0);
	tu_rmtree(dir);
}

static void
test_remove(void **state)
{
	char		 dir[] = "/tmp/dwpfXXXXXX", path[64];
	struct dwerr	 err;
	struct stat	 st;

	(void)state;
	tu_mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	tu_put(path, "x", 1);
	dwerr_reset(&err);
	assert_int_equal(platform_remove_file(path, &err), 0);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(platform_remove_file(path, &err), 0);	/* missing */
	/* A folder is not a file: an error naming it. */
	assert_int_equal(platform_remove_file(dir, &err), -1);
	assert_non_null(strstr(err.msg, dir));
	tu_rmtree(dir);
}

static void
test_private_dir(void **state)
{
	char		 dir[] = "/tmp/dwpfXXXXXX", path[96];
	struct dwerr	 err;
	struct stat	 st;

	(void)state;
	tu_mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/state", dir);
	dwerr_reset(&err);
	assert_int_equal(platform_make_private_dir(path, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(platform_make_private_dir(path, &err), 0); /* again */
	assert_int_equal(rmdir(path), 0);
	/* One level only: a missing parent is an error naming the path. */
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(platform_make_private_dir(path, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, path));
	/* A file in the way. */
	snprintf(path, sizeof(path), "%s/file", dir);
	tu_put(path, "x", 1);
	assert_int_equal(platform_make_private_dir(path, &err), -1);
	assert_int_equal(err.code, ENOTDIR);
	tu_rmtree(dir);
}

static bool
alive_yes(const struct follow_tunnel *tun, void *ctx)
{
	(void)tun;
	++*(int *)ctx;
	return true;
}

static void
test_follow_store_posix(void **state)
{
	struct follow_tunnel	 tun = { .name = "t", .adapter_name = "lo" };
	struct follow_seen	 seen;
	struct follow_rule	 rule = { .id = "{x}" };
	struct dwerr		 err;
	unsigned		 written = 0;
	int			 calls = 0;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.nrpt = true;
	dwerr_reset(&err);
	assert_int_equal(follow_store_read(&tun, &seen, &err), 0);
	assert_false(seen.nrpt);
	assert_false(seen.record);
	assert_int_equal(seen.nids, 0);
	assert_int_equal(follow_store_put(&rule, FOLLOW_LOCAL, &written,
	    &err), -1);
	assert_int_equal(err.code, ENOTSUP);
	assert_int_equal(written, 0);
	assert_true(follow_store_alive(&tun));		/* loopback */
	tun.adapter_name = "dwnotanif0";
	assert_false(follow_store_alive(&tun));
	tun.adapter_name = NULL;
	assert_false(follow_store_alive(&tun));
	follow_store_set_alive_hook(alive_yes, &calls);
	assert_true(follow_store_alive(&tun));
	assert_int_equal(calls, 1);
	follow_store_set_alive_hook(NULL, NULL);
	assert_false(follow_store_alive(&tun));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_replaces),
		cmocka_unit_test(test_atomic_fails_cleanly),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_private_dir),
		cmocka_unit_test(test_follow_store_posix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
