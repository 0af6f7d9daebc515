/*
 * The hosts file under contention: the built binary against other
 * processes writing the same file, as Docker Desktop, VPN clients, admins
 * and endpoint agents do.
 *
 * - An appender adds numbered lines as fast as it can (open with O_APPEND,
 *   write, close) while 20 `once` runs rewrite the managed section: every
 *   line must be there afterwards, in order.
 * - 100 pairs of `once` started together on one file: all exit 0.
 * - A render that would push the file past the read limit is refused
 *   before anything is written, and the section can still be removed.
 *
 * DW_TEST_BINARY, when set, runs another build (to measure an older one).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

extern char **environ;

#define PASSES		20u	/* section rewrites under the appender */
#define PAIRS		100u	/* concurrent `once` pairs */
#define LIMIT_BYTES	(64u << 20) /* HOSTS_MAX_BYTES */

#define DESIRED_A \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\"," \
	"\"names\":[\"build.coder\"]}]}"
#define DESIRED_B \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.8\"," \
	"\"names\":[\"test.coder\",\"alice.coder\"]}]}"
#define DESIRED_NONE	"{\"version\":1}"
#define START		"127.0.0.1 localhost\n::1 localhost\n"

struct fx {
	char	 dir[64];
	char	 config[128];
	char	 desired[128];
	char	 hosts[128];
	char	 trace[128];
	char	 err[160];
};

static const char *
binary(void)
{
	const char	*b = getenv("DW_TEST_BINARY");

	return b != NULL && *b != '\0' ? b : DW_BINARY;
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	const char	*cfg = "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"backoff\":{\"initial_ms\":5,\"max_interval_ms\":100,"
	    "\"deadline_ms\":20000}}";

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-contention-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s/desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s/trace.jsonl", fx->dir);
	snprintf(fx->err, sizeof(fx->err), "%s/stderr", fx->dir);
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, DESIRED_A, strlen(DESIRED_A));
	tu_put(fx->hosts, START, strlen(START));
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Starts `dnswatchdog --config CONFIG once` (stdout to /dev/null, stderr
 * appended to fx->err). */
static pid_t
once_start(struct fx *fx)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[5];
	pid_t				 pid;

	argv[0] = (char *)binary();
	argv[1] = (char *)"--config";
	argv[2] = fx->config;
	argv[3] = (char *)"once";
	argv[4] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, fx->err,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_int_equal(posix_spawn(&pid, binary(), &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int
once_wait(pid_t pid)
{
	int	 st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
put_desired(struct fx *fx, const char *json)
{
	tu_put(fx->desired, json, strlen(json));
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
contention_appender_loses_no_line_across_20_passes(void **state)
{
	struct fx	*fx = *state;
	struct tu_appender	 ap;
	unsigned long		 appended;
	unsigned		 i;
	char			*all, *trace;
	size_t			 carried;

	tu_appender_start(&ap, fx->hosts);
	for (i = 0; i < PASSES; i++) {
		/* Every pass changes the section, so every pass rewrites. */
		put_desired(fx, i % 2 == 0 ? DESIRED_B : DESIRED_A);
		assert_int_equal(once_wait(once_start(fx)), 0);
	}
	appended = tu_appender_stop(&ap);
	/* Every line, each once, in the order it was appended. */
	tu_appended_check(fx->hosts, appended);
	all = tu_slurp(fx->hosts, NULL);
	assert_non_null(all);
	assert_int_equal(count(all, "# DnsWatchdogSectionStart"), 1);
	free(all);
	trace = tu_slurp(fx->trace, NULL);
	assert_non_null(trace);
	/* Every pass wrote; a merge of carried lines is one more write. */
	assert_true(count(trace, "\"event\":\"HostsWriteSucceeded\"") >=
	    PASSES);
	carried = count(trace, "\"event\":\"HostsCarried\"");
	free(trace);
	print_message("%lu lines appended during %u rewrites, none lost; "
	    "%zu carried from a replaced file\n", appended, PASSES, carried);
}

static void
contention_concurrent_once_pairs_all_exit_0(void **state)
{
	struct fx	*fx = *state;
	unsigned	 i, failed = 0;
	pid_t		 a, b;
	char		*all;

	for (i = 0; i < PAIRS; i++) {
		put_desired(fx, i % 2 == 0 ? DESIRED_B : DESIRED_A);
		a = once_start(fx);
		b = once_start(fx);
		failed += once_wait(a) != 0;
		failed += once_wait(b) != 0;
	}
	if (failed != 0) {
		all = tu_slurp(fx->err, NULL);
		fail_msg("%u of %u runs failed:\n%s", failed, 2 * PAIRS,
		    all != NULL ? all : "");
	}
	all = tu_slurp(fx->hosts, NULL);
	assert_non_null(all);
	assert_int_equal(count(all, "# DnsWatchdogSectionStart"), 1);
	assert_non_null(strstr(all, "100.64.0.7 build.coder"));
	assert_memory_equal(all, START, strlen(START));
	free(all);
	print_message("%u pairs of concurrent once: all exited 0\n", PAIRS);
}

/* Fills path with comment lines up to size bytes, after head. */
static void
fill(const char *path, const char *head, size_t size)
{
	static const char	 line[] = "# filler filler filler filler filler\n";
	FILE			*f = fopen(path, "w");
	size_t			 n = strlen(head);

	assert_non_null(f);
	fputs(head, f);
	while (n + sizeof(line) - 1 <= size) {
		fputs(line, f);
		n += sizeof(line) - 1;
	}
	while (n < size) {
		fputc('#', f);
		n++;
	}
	assert_int_equal(fclose(f), 0);
}

static void
contention_render_past_the_limit_is_refused_before_writing(void **state)
{
	struct fx	*fx = *state;
	struct stat	 before, after;
	char		*err;

	/* 40 bytes short of the limit: the section does not fit. */
	fill(fx->hosts, START, LIMIT_BYTES - 40);
	assert_int_equal(stat(fx->hosts, &before), 0);
	assert_int_equal(once_wait(once_start(fx)), 1);
	assert_int_equal(stat(fx->hosts, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_size, LIMIT_BYTES - 40);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	err = tu_slurp(fx->err, NULL);
	assert_non_null(err);
	assert_non_null(strstr(err, "over the limit"));
	assert_non_null(strstr(err, fx->hosts));
	free(err);
}

static void
contention_section_near_the_limit_can_still_be_removed(void **state)
{
	struct fx	*fx = *state;
	char		*small, *all;
	size_t		 slen, len;

	/* A section written while the file was small... */
	assert_int_equal(once_wait(once_start(fx)), 0);
	small = tu_slurp(fx->hosts, &slen);
	assert_non_null(small);
	/* ...then the file grew to the limit around it. */
	fill(fx->hosts, small, LIMIT_BYTES);
	free(small);
	put_desired(fx, DESIRED_NONE);
	assert_int_equal(once_wait(once_start(fx)), 0);
	all = tu_slurp(fx->hosts, &len);
	assert_non_null(all);
	assert_null(strstr(all, "DnsWatchdogSection"));
	assert_memory_equal(all, START, strlen(START));
	free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(contention_appender_loses_no_line_across_20_passes),
		T(contention_concurrent_once_pairs_all_exit_0),
		T(contention_render_past_the_limit_is_refused_before_writing),
		T(contention_section_near_the_limit_can_still_be_removed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
