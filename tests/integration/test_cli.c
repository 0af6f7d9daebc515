/*
 * Integration tests: the built dnswatchdog binary, run on temp files.
 * Every test gets a fresh folder with a config, a desired state and a
 * hosts file, runs the real program and checks files, exit codes, output
 * and the JSON Lines trace.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

extern char **environ;

#define RUN_DEADLINE_MS	20000u	/* a run still going then has hung */
#define PROMPT_MS	5000u	/* "at once", with room for a slow machine */

#define WIN_HOSTS \
	"# Copyright (c) 1993-2009 Example Corp.\r\n" \
	"#\r\n" \
	"# This is a sample HOSTS file used by the resolver.\r\n" \
	"#\r\n" \
	"#\t127.0.0.1       localhost\r\n" \
	"#\t::1             localhost\r\n" \
	"\r\n" \
	"# Added by Docker Desktop\r\n" \
	"192.168.1.20 host.docker.internal\r\n" \
	"# End of section\r\n" \
	"10.0.0.5   intranet.example   intranet    # office"

#define DESIRED_TWO \
	"{\"version\":1,\"nrpt\":[{\"domains\":[\"coder\"],\"servers\":[\"100.100.100.100\"]}]," \
	"\"hosts\":[{\"address\":\"fd60:627a:a42b::10\",\"names\":[\"alice-ws.coder\",\"alice-ws.main.alice.coder\"]}," \
	"{\"address\":\"100.64.0.7\",\"names\":[\"Build.Coder\"]}]}"

struct fx {
	char	 dir[64];
	char	 config[128];
	char	 desired[128];
	char	 hosts[128];
	char	 trace[128];
	char	*out;	/* stdout of the last run */
	char	*err;	/* stderr of the last run */
};

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 cfg[512];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-cli-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s/desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s/trace.jsonl", fx->dir);
	/* Relative paths: they resolve against the config's folder. */
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"backoff\":{\"deadline_ms\":200}}");
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, DESIRED_TWO, strlen(DESIRED_TWO));
	tu_put(fx->hosts, WIN_HOSTS, strlen(WIN_HOSTS));
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->dir);
	free(fx->out);
	free(fx->err);
	free(fx);
	return 0;
}

static void
put_desired(struct fx *fx, const char *json)
{
	tu_put(fx->desired, json, strlen(json));
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t	last_run_ms;	/* how long the last run took */

/* Waits for pid to exit; past RUN_DEADLINE_MS it is killed and the test
 * fails (a hung command, not a slow one). */
static int
wait_exit(pid_t pid)
{
	struct timespec	 tick = { 0, 5000000L };
	uint64_t	 t0 = now_ms();
	pid_t		 w;
	int		 status;

	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		if (now_ms() - t0 > RUN_DEADLINE_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("the command did not exit within %u ms",
			    RUN_DEADLINE_MS);
		}
		nanosleep(&tick, NULL);
	}
	assert_int_equal(w, pid);
	last_run_ms = now_ms() - t0;
	return status;
}

/* Runs the binary with args (NULL-terminated); returns its exit code. */
static int
run(struct fx *fx, ...)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[16], outp[160], errp[160];
	va_list				 ap;
	pid_t				 pid;
	int				 n = 0, status;

	argv[n++] = (char *)DW_BINARY;
	va_start(ap, fx);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	snprintf(outp, sizeof(outp), "%s/.stdout", fx->dir);
	snprintf(errp, sizeof(errp), "%s/.stderr", fx->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, DW_BINARY, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	status = wait_exit(pid);
	free(fx->out);
	free(fx->err);
	fx->out = tu_slurp(outp, NULL);
	fx->err = tu_slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The last line of the trace that names event. */
static char *
trace_last(struct fx *fx, const char *event)
{
	char	*all = tu_slurp(fx->trace, NULL), *line, *save = NULL, *found = NULL;
	char	 key[96];

	assert_non_null(all);
	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, key) != NULL) {
			free(found);
			found = strdup(line);
		}
	free(all);
	return found;
}

/* Checks that every line of path is a whole JSON object; returns how
 * many there are. */
static size_t
whole_lines(const char *path)
{
	char	*all = tu_slurp(path, NULL), *line, *next;
	size_t	 n = 0;

	assert_non_null(all);
	assert_true(all[0] != '\0' && all[strlen(all) - 1] == '\n');
	for (line = all; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (line[0] != '{' || next[-2] != '}' ||
		    strstr(line, "\"event\":") == NULL)
			fail_msg("%s: not a whole line: %s", path, line);
		n++;
	}
	free(all);
	return n;
}

static void
cli_once_adds_one_section_and_keeps_foreign_bytes(void **state)
{
	struct fx	*fx = *state;
	char		*got, *line;
	size_t		 len;

	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	got = tu_slurp(fx->hosts, &len);
	/* Foreign bytes, then the terminator the last line lacked (CRLF:
	 * the dominant ending), then the section in CRLF. */
	assert_memory_equal(got, WIN_HOSTS "\r\n", strlen(WIN_HOSTS) + 2);
	assert_string_equal(got + strlen(WIN_HOSTS) + 2,
	    "# DnsWatchdogSectionStart\r\n"
	    "# This section is managed by dnswatchdog. Do not edit it by hand.\r\n"
	    "fd60:627a:a42b::10 alice-ws.coder alice-ws.main.alice.coder\r\n"
	    "100.64.0.7 build.coder\r\n"
	    "# DnsWatchdogSectionEnd\r\n");
	assert_int_equal(count(got, "# DnsWatchdogSectionStart"), 1);
	free(got);
	line = trace_last(fx, "HostsWriteSucceeded");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"attempts\":1"));
	assert_non_null(strstr(line, "\"method\":\"rename\""));
	free(line);
	line = trace_last(fx, "ReconcileEnd");
	assert_non_null(strstr(line, "\"result\":\"converged\""));
	assert_non_null(strstr(line, "\"writes\":1"));
	free(line);
}

static void
cli_second_once_changes_nothing(void **state)
{
	struct fx	*fx = *state;
	struct stat	 a, b;
	char		*line, *start;

	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_int_equal(stat(fx->hosts, &a), 0);
	usleep(20000);	/* so a rewrite would show in the mtime */
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_int_equal(stat(fx->hosts, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_non_null(strstr(fx->out, "unchanged"));
	line = trace_last(fx, "HostsUnchanged");
	assert_non_null(line);
	free(line);
	line = trace_last(fx, "ReconcileEnd");
	assert_non_null(strstr(line, "\"result\":\"noop\""));
	assert_non_null(strstr(line, "\"writes\":0"));
	/* The pass's events share its activity. */
	start = trace_last(fx, "ReconcileStart");
	assert_memory_equal(strstr(start, "\"activity\""),
	    strstr(line, "\"activity\""), 50);
	free(start);
	free(line);
}

/* once verifies after its pass, written or not; a scratch hosts file is
 * not the one the resolver reads: skipped, traced under the pass's
 * activity, and the exit code stays the pass's. A plan verifies nothing. */
static void
cli_once_verifies_and_skips_a_file_the_resolver_does_not_read(void **state)
{
	struct fx	*fx = *state;
	char		*line, *end;

	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_non_null(strstr(fx->out, "not verified: hosts: "
	    "not-system-file: "));
	line = trace_last(fx, "VerifyResult");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"level\":\"info\""));
	assert_non_null(strstr(line, "\"artifact\":\"hosts\",\"checked\":0,"
	    "\"failed\":0,\"first_failure\":\"\",\"class\":\"not-system-file\""));
	end = trace_last(fx, "ReconcileEnd");
	assert_memory_equal(strstr(end, "\"activity\""),
	    strstr(line, "\"activity\""), 50);
	free(end);
	free(line);
	/* A no-op pass is verified too. */
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_non_null(strstr(fx->out, "not verified: hosts: "));
	assert_int_equal(run(fx, "--config", fx->config, "plan", NULL), 0);
	assert_null(strstr(fx->out, "verified"));
}

/* doctor resolves the names too: the report has "verify", and a file
 * the resolver does not read is an info finding, not an error. */
static void
cli_doctor_reports_the_verification(void **state)
{
	struct fx	*fx = *state;

	run(fx, "--config", fx->config, "doctor", "--json", NULL);
	assert_non_null(strstr(fx->out, "\"verify\":{\"hosts\":{"));
	assert_non_null(strstr(fx->out, "{\"severity\":\"info\","
	    "\"code\":\"verify-skipped\",\"message\":\"hosts: not verified "
	    "(not-system-file): "));
	assert_null(strstr(fx->out, "verify-failed"));
}

static void
cli_empty_desired_state_removes_the_section(void **state)
{
	struct fx	*fx = *state;
	const char	*empty = "{\"version\":1}";
	char		*got;

	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	tu_put(fx->desired, empty, strlen(empty));
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	got = tu_slurp(fx->hosts, NULL);
	/* The original lines come back; only the added terminator stays. */
	assert_string_equal(got, WIN_HOSTS "\r\n");
	free(got);
}

static void
cli_plan_shows_the_change_without_making_it(void **state)
{
	struct fx	*fx = *state;
	struct stat	 a, b;
	char		*got;

	assert_int_equal(stat(fx->hosts, &a), 0);
	assert_int_equal(run(fx, "--config", fx->config, "plan", NULL), 0);
	assert_non_null(strstr(fx->out, "would rewrite"));
	assert_non_null(strstr(fx->out, "+ # DnsWatchdogSectionStart"));
	assert_non_null(strstr(fx->out, "+ 100.64.0.7 build.coder"));
	assert_null(strstr(fx->out, "+ # Added by Docker Desktop"));
	assert_int_equal(stat(fx->hosts, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	got = tu_slurp(fx->hosts, NULL);
	assert_string_equal(got, WIN_HOSTS);
	free(got);
	/* A plan writes no trace either. */
	assert_int_equal(access(fx->trace, F_OK), -1);
	assert_int_equal(run(fx, "--config", fx->config, "once", "--dry-run",
	    NULL), 0);
	assert_non_null(strstr(fx->out, "would rewrite"));
	got = tu_slurp(fx->hosts, NULL);
	assert_string_equal(got, WIN_HOSTS);
	free(got);
}

static void
cli_invalid_desired_states_exit_2_and_change_nothing(void **state)
{
	static const struct {
		const char	*json;
		const char	*path;	/* expected in the message */
	} bad[] = {
		{ "{\"version\":1,", "$" },
		{ "[]", "$" },
		{ "{\"version\":2}", "$.version" },
		{ "{\"version\":1,\"hosts\":{}}", "$.hosts" },
		{ "{\"version\":1,\"hosts\":[{\"address\":\"10.0.0.1\",\"names\":[\"ok.coder\",\"x\\nevil.com\"]}]}",
		    "$.hosts[0].names[1]" },
		{ "{\"version\":1,\"hosts\":[{\"address\":\"10.0.0.1 evil\",\"names\":[\"a\"]}]}",
		    "$.hosts[0].address" },
		{ "{\"version\":1,\"hosts\":[{\"address\":\"10.0.0.1\",\"names\":[\"# comment\"]}]}",
		    "$.hosts[0].names[0]" },
		{ "{\"version\":1,\"nrpt\":[{\"domains\":[\"coder\"],\"servers\":[\"1.1.1.1;8.8.8.8\"]}]}",
		    "$.nrpt[0].servers[0]" },
		{ "{\"version\":1,\"extra\":true}", "$" },
		{ "{\"version\":1,\"hosts\":[{\"address\":\"10.0.0.1\",\"names\":[\"a\\u0000b\"]}]}", "$" },
		{ "{\"version\":1,\"hosts\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}", "$" },
	};
	struct fx	*fx = *state;
	struct stat	 a, b;
	char		*got, want[256];
	size_t		 i;

	assert_int_equal(stat(fx->hosts, &a), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_put(fx->desired, bad[i].json, strlen(bad[i].json));
		assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 2);
		/* "FILE: $.json.path: reason", exactly. */
		snprintf(want, sizeof(want), "%s: %s: ", fx->desired, bad[i].path);
		if (strstr(fx->err, want) == NULL)
			fail_msg("case %lu: \"%s\" not in \"%s\"",
			    (unsigned long)i, want, fx->err);
		assert_int_equal(run(fx, "validate", fx->desired, NULL), 2);
		assert_non_null(strstr(fx->err, want));
	}
	assert_int_equal(stat(fx->hosts, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	got = tu_slurp(fx->hosts, NULL);
	assert_string_equal(got, WIN_HOSTS);
	free(got);
	got = trace_last(fx, "DesiredStateInvalid");
	assert_non_null(got);
	free(got);
}

static void
cli_oversized_desired_state_is_refused_unread(void **state)
{
	struct fx	*fx = *state;
	FILE		*fp = fopen(fx->desired, "wb");

	assert_non_null(fp);
	/* A sparse 17 MiB file: refused on its size. */
	assert_int_equal(fseek(fp, 17L << 20, SEEK_SET), 0);
	fputc('}', fp);
	fclose(fp);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 2);
	assert_non_null(strstr(fx->err, "over the limit"));
	assert_non_null(strstr(fx->err, "desired.json: $: "));
	assert_int_equal(run(fx, "validate", fx->desired, NULL), 2);
}

static void
cli_validate_accepts_a_good_file(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(run(fx, "validate", fx->desired, NULL), 0);
	assert_non_null(strstr(fx->out, "valid (1 NRPT rules, 2 hosts entries, 3 names)"));
}

static void
cli_utf16_hosts_file_is_left_untouched(void **state)
{
	struct fx	*fx = *state;
	const char	 u16[] = "\xff\xfe#\0 \0h\0o\0s\0t\0s\0\r\0\n\0";
	char		*got;
	size_t		 len;

	tu_put(fx->hosts, u16, sizeof(u16) - 1);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 1);
	assert_non_null(strstr(fx->err, "UTF-16"));
	got = tu_slurp(fx->hosts, &len);
	assert_int_equal(len, sizeof(u16) - 1);
	assert_memory_equal(got, u16, len);
	free(got);
	free(trace_last(fx, "HostsFileRejected"));
}

static void
cli_missing_hosts_file_is_created(void **state)
{
	struct fx	*fx = *state;
	char		*got;

	unlink(fx->hosts);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	got = tu_slurp(fx->hosts, NULL);
	assert_non_null(got);
	/* A new file on Linux uses LF. */
	assert_string_equal(got,
	    "# DnsWatchdogSectionStart\n"
	    "# This section is managed by dnswatchdog. Do not edit it by hand.\n"
	    "fd60:627a:a42b::10 alice-ws.coder alice-ws.main.alice.coder\n"
	    "100.64.0.7 build.coder\n"
	    "# DnsWatchdogSectionEnd\n");
	free(got);
	got = trace_last(fx, "HostsWriteSucceeded");
	assert_non_null(strstr(got, "\"method\":\"create\""));
	free(got);
}

static void
cli_unwritable_hosts_path_exits_1_after_one_attempt(void **state)
{
	struct fx	*fx = *state;
	char		 cfg[256], *line;

	snprintf(cfg, sizeof(cfg), "{\"hosts\":{\"path\":\"no-such-dir/hosts\"},"
	    "\"trace\":{\"jsonl\":\"trace.jsonl\"}}");
	tu_put(fx->config, cfg, strlen(cfg));
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 1);
	assert_non_null(strstr(fx->err, "no-such-dir/hosts"));
	line = trace_last(fx, "HostsWriteGaveUp");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"attempts\":1"));
	assert_non_null(strstr(line, "\"transient\":false"));
	free(line);
	/* The pass says it failed at error level, and why; its End stays at
	 * the level of its Start. */
	line = trace_last(fx, "ReconcileFailed");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"level\":\"error\""));
	assert_non_null(strstr(line, "\"hosts\":\"failed\""));
	free(line);
	line = trace_last(fx, "ReconcileEnd");
	assert_non_null(strstr(line, "\"result\":\"failed\""));
	assert_non_null(strstr(line, "\"level\":\"info\""));
	assert_non_null(strstr(line, "\"severity\":\"error\""));
	free(line);
}

static void
cli_fifo_trace_path_is_refused_and_once_still_converges(void **state)
{
	struct fx	*fx = *state;
	char		*got, c;
	int		 rd;

	/* Nobody reads the FIFO: opening it for writing would block. */
	assert_int_equal(mkfifo(fx->trace, 0600), 0);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_true(last_run_ms < PROMPT_MS);
	assert_non_null(strstr(fx->err, "tracing off"));
	assert_non_null(strstr(fx->err, fx->trace));
	assert_non_null(strstr(fx->err, "a FIFO, not a regular file"));
	assert_non_null(got = tu_slurp(fx->hosts, NULL));
	assert_non_null(strstr(got, "100.64.0.7 build.coder\r\n"));
	free(got);

	/* Someone reads it: still refused, and nothing is written to it. */
	assert_true((rd = open(fx->trace, O_RDONLY | O_NONBLOCK)) >= 0);
	put_desired(fx, "{\"version\":1}");
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_non_null(strstr(fx->err, "a FIFO, not a regular file"));
	assert_int_equal(read(rd, &c, 1), 0);
	close(rd);
	assert_non_null(got = tu_slurp(fx->hosts, NULL));
	assert_null(strstr(got, "build.coder"));
	free(got);
}

static void
cli_trace_past_max_bytes_is_rotated_to_dot_1(void **state)
{
	struct fx	*fx = *state;
	char		 cfg[256], old[160];
	struct stat	 st;
	int		 i;

	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"trace.jsonl\",\"max_bytes\":2048}}");
	tu_put(fx->config, cfg, strlen(cfg));
	snprintf(old, sizeof(old), "%s.1", fx->trace);
	/* A pass is a handful of lines of about 200 bytes. */
	for (i = 0; i < 4; i++)
		assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_int_equal(stat(fx->trace, &st), 0);
	assert_true(st.st_size > 0 && st.st_size <= 2048);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size > 0 && st.st_size <= 2048);
	assert_true(whole_lines(fx->trace) > 0);
	assert_true(whole_lines(old) > 0);
}

static void
cli_invalid_config_exits_2(void **state)
{
	struct fx	*fx = *state;
	const char	*cfg = "{\"hosts\":{\"paht\":\"x\"}}";

	tu_put(fx->config, cfg, strlen(cfg));
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 2);
	assert_non_null(strstr(fx->err, fx->config));
	assert_non_null(strstr(fx->err, "$.hosts"));
	assert_non_null(strstr(fx->err, "paht"));
}

static void
cli_coder_markers_manage_the_tunnels_section(void **state)
{
	struct fx	*fx = *state;
	const char	*cfg = "{\"hosts\":{\"path\":\"hosts\","
	    "\"begin_marker\":\"# CoderHostsSectionStart\","
	    "\"end_marker\":\"# CoderHostsSectionEnd\"}}";
	const char	*hosts = "127.0.0.1 localhost\n"
	    "# CoderHostsSectionStart\n"
	    "# This section contains DNS entries for Coder workspaces.\n\n"
	    "fd60:627a:a42b::9 old.coder\n\n"
	    "# CoderHostsSectionEnd\n"
	    "::1 localhost\n";
	char		*got;

	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->hosts, hosts, strlen(hosts));
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	got = tu_slurp(fx->hosts, NULL);
	assert_string_equal(got, "127.0.0.1 localhost\n"
	    "# CoderHostsSectionStart\n"
	    "# This section is managed by dnswatchdog. Do not edit it by hand.\n"
	    "fd60:627a:a42b::10 alice-ws.coder alice-ws.main.alice.coder\n"
	    "100.64.0.7 build.coder\n"
	    "# CoderHostsSectionEnd\n"
	    "::1 localhost\n");
	assert_null(strstr(got, "DnsWatchdogSection"));
	free(got);
}

static void
cli_usage_errors_exit_64_and_help_exits_0(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(run(fx, NULL), 64);
	assert_int_equal(run(fx, "frobnicate", NULL), 64);
	assert_non_null(strstr(fx->err, "unknown command"));
	assert_int_equal(run(fx, "validate", NULL), 64);
	assert_int_equal(run(fx, "once", "--bogus", NULL), 64);
	assert_int_equal(run(fx, "--help", NULL), 0);
	assert_non_null(strstr(fx->out, "exit codes"));
	assert_int_equal(run(fx, "once", "--help", NULL), 0);
	assert_non_null(strstr(fx->out, "--dry-run"));
	assert_int_equal(run(fx, "plan", "--help", NULL), 0);
	assert_int_equal(run(fx, "validate", "--help", NULL), 0);
	assert_int_equal(run(fx, "help", "once", NULL), 0);
	assert_int_equal(run(fx, "version", NULL), 0);
	assert_string_equal(fx->out, "dnswatchdog " DW_VERSION "\n");
}

/* Every hosts fixture, through the real binary: one section after a pass,
 * a second pass changes nothing, and removing the entries gives the
 * foreign lines back. */
static void
cli_every_fixture_converges_and_round_trips(void **state)
{
	static const char *const names[] = {
		"windows_crlf.txt", "windows_crlf_bom.txt", "docker_desktop.txt",
		"no_trailing_newline.txt", "mixed_eol.txt", "linux_etc_hosts.txt",
		"empty.txt", "coder_section.txt", "duplicate_sections.txt",
		"orphan_begin.txt", "orphan_end.txt", "bom_on_marker.txt",
	};
	struct fx	*fx = *state;
	const char	*empty = "{\"version\":1}";
	char		 src[512], *orig, *got, *removed, *line;
	size_t		 i, olen, glen, rlen;
	struct stat	 a, b;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(src, sizeof(src), "%s/hosts/%s", DW_FIXTURES_DIR, names[i]);
		orig = tu_slurp(src, &olen);
		assert_non_null(orig);
		tu_put(fx->hosts, orig, olen);
		put_desired(fx, DESIRED_TWO);
		assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
		got = tu_slurp(fx->hosts, &glen);
		assert_int_equal(count(got, "# DnsWatchdogSectionStart"), 1);
		assert_int_equal(count(got, "# DnsWatchdogSectionEnd"), 1);
		assert_int_equal(count(got, "100.64.0.7 build.coder"), 1);
		free(got);

		assert_int_equal(stat(fx->hosts, &a), 0);
		assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
		assert_int_equal(stat(fx->hosts, &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
		assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
		line = trace_last(fx, "ReconcileEnd");
		assert_non_null(strstr(line, "\"result\":\"noop\""));
		free(line);

		put_desired(fx, empty);
		assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
		removed = tu_slurp(fx->hosts, &rlen);
		assert_null(strstr(removed, "DnsWatchdogSection"));
		if (strstr(orig, "DnsWatchdogSection") == NULL) {
			/* Our markers were never there: the original bytes,
			 * plus at most one added line terminator. */
			assert_true(rlen >= olen && rlen <= olen + 2);
			assert_memory_equal(removed, orig, olen);
		}
		free(removed);
		free(orig);
	}
}

static void
cli_duplicate_sections_are_collapsed_and_reported(void **state)
{
	struct fx	*fx = *state;
	char		 src[512], *orig, *line;
	size_t		 olen;

	snprintf(src, sizeof(src), "%s/hosts/duplicate_sections.txt",
	    DW_FIXTURES_DIR);
	orig = tu_slurp(src, &olen);
	tu_put(fx->hosts, orig, olen);
	free(orig);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	line = trace_last(fx, "HostsSectionRepaired");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"sections\":2"));
	free(line);
	assert_non_null(strstr(fx->err, "keeping one section"));
}

/* -- Follow mode (the section alone: no NRPT here) ------------------- */

#define FSEC	"# AcmeHostsStart\n100.64.0.10 dev.acme\n# AcmeHostsEnd\n"

/* A follow config for the tunnel "acme", no adapter check. */
static void
put_follow_config(struct fx *fx)
{
	const char	*cfg = "{\"follow\":{\"tunnel\":{\"name\":\"acme\","
	    "\"record_key\":\"SOFTWARE\\\\Acme\",\"begin_marker\":"
	    "\"# AcmeHostsStart\",\"end_marker\":\"# AcmeHostsEnd\"},"
	    "\"state\":\"learned.json\",\"require_adapter\":false},"
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"}}";

	tu_put(fx->config, cfg, strlen(cfg));
}

static void
cli_follow_once_learns_then_restores(void **state)
{
	struct fx	*fx = *state;
	char		 learned[160], *s;

	put_follow_config(fx);
	snprintf(learned, sizeof(learned), "%s/learned.json", fx->dir);
	/* Nothing to learn yet: nothing kept, nothing written. */
	tu_put(fx->hosts, "127.0.0.1 localhost\n", 20);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_int_equal(access(learned, F_OK), -1);
	/* The tunnel writes its section: learned, the file left as it is. */
	tu_put(fx->hosts, "127.0.0.1 localhost\n" FSEC, strlen(FSEC) + 20);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	assert_non_null(strstr(fx->out, "follow acme: learned 0 rule keys and "
	    "its hosts section"));
	s = tu_slurp(fx->hosts, NULL);
	assert_string_equal(s, "127.0.0.1 localhost\n" FSEC);
	free(s);
	assert_non_null(s = tu_slurp(learned, NULL));
	assert_non_null(strstr(s, "\"section\":\t\"100.64.0.10 dev.acme\\n\""));
	free(s);
	/* Wiped: plan says so and changes nothing; once puts it back. */
	tu_put(fx->hosts, "127.0.0.1 localhost\n10.9.9.9 other\n", 35);
	assert_int_equal(run(fx, "--config", fx->config, "plan", NULL), 0);
	assert_non_null(strstr(fx->out, "  + # AcmeHostsStart\n"));
	s = tu_slurp(fx->hosts, NULL);
	assert_string_equal(s, "127.0.0.1 localhost\n10.9.9.9 other\n");
	free(s);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 0);
	s = tu_slurp(fx->hosts, NULL);
	assert_string_equal(s, "127.0.0.1 localhost\n10.9.9.9 other\n" FSEC);
	free(s);
	assert_non_null(s = trace_last(fx, "FollowRestored"));
	assert_non_null(strstr(s, "\"hosts_written\":true"));
	free(s);
}

static void
cli_follow_invalid_state_changes_nothing(void **state)
{
	struct fx	*fx = *state;
	char		 learned[160], *s;

	put_follow_config(fx);
	snprintf(learned, sizeof(learned), "%s/learned.json", fx->dir);
	tu_put(learned, "{\"version\":1}", 13);
	tu_put(fx->hosts, "127.0.0.1 localhost\n" FSEC, strlen(FSEC) + 20);
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 2);
	assert_non_null(strstr(fx->err, "learned.json: $: must have "
	    "\"version\""));
	assert_non_null(s = tu_slurp(learned, NULL));
	assert_string_equal(s, "{\"version\":1}");
	free(s);
	assert_non_null(s = trace_last(fx, "FollowStateInvalid"));
	free(s);
	/* Another tunnel's state: refused the same way. */
	s = "{\"version\":1,\"tunnel\":\"coder\",\"learned_at\":1,"
	    "\"gone_since\":0,\"rules\":[],\"hosts\":null}";
	tu_put(learned, s, strlen(s));
	assert_int_equal(run(fx, "--config", fx->config, "once", NULL), 2);
	assert_non_null(strstr(fx->err, "$.tunnel: holds what was learned of "
	    "the tunnel \"coder\", not of \"acme\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(cli_once_adds_one_section_and_keeps_foreign_bytes),
		T(cli_second_once_changes_nothing),
		T(cli_once_verifies_and_skips_a_file_the_resolver_does_not_read),
		T(cli_doctor_reports_the_verification),
		T(cli_empty_desired_state_removes_the_section),
		T(cli_plan_shows_the_change_without_making_it),
		T(cli_invalid_desired_states_exit_2_and_change_nothing),
		T(cli_oversized_desired_state_is_refused_unread),
		T(cli_validate_accepts_a_good_file),
		T(cli_utf16_hosts_file_is_left_untouched),
		T(cli_missing_hosts_file_is_created),
		T(cli_unwritable_hosts_path_exits_1_after_one_attempt),
		T(cli_fifo_trace_path_is_refused_and_once_still_converges),
		T(cli_trace_past_max_bytes_is_rotated_to_dot_1),
		T(cli_invalid_config_exits_2),
		T(cli_coder_markers_manage_the_tunnels_section),
		T(cli_usage_errors_exit_64_and_help_exits_0),
		T(cli_every_fixture_converges_and_round_trips),
		T(cli_duplicate_sections_are_collapsed_and_reported),
		T(cli_follow_once_learns_then_restores),
		T(cli_follow_invalid_state_changes_nothing),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
