/*
 * Integration tests: `once` verifying the hosts file through the real
 * system resolver (getaddrinfo), on Linux. Each run happens in private
 * mount and network namespaces the test makes: a scratch file is
 * bind-mounted over /etc/hosts and a scratch nsswitch.conf over
 * /etc/nsswitch.conf, so the real files are never touched, and no DNS
 * server is reachable (a lookup that leaves the hosts file fails fast).
 * Where namespaces are not allowed, the tests are skipped.
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define SKIP_EXIT	77	/* ctest's SKIP_RETURN_CODE */
#define CHILD_SETUP	78	/* the child could not set up: a failure */
#define DEADLINE_MS	8000u	/* for what should take moments */
#define STOP_MAX_MS	4000u	/* the daemon waits 2 s for a verification */

#define DESIRED \
	"{\"version\":1,\"hosts\":[" \
	"{\"address\":\"100.64.0.7\",\"names\":[\"dev.coder\",\"db.coder\"]}," \
	"{\"address\":\"fd60:627a:a42b::10\",\"names\":[\"web.coder\"]}]}"

static int skipped;

struct fx {
	char	 dir[64];
	char	 config[128];
	char	 desired[128];
	char	 hosts[128];
	char	 nsswitch[128];
	char	 nscd[128];
	char	 trace[128];
	char	 out[128];
	char	 hang[128];	/* while it exists, getaddrinfo hangs */
	char	 run_config[128];
	char	 sock[128];
};

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 cfg[1024];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-verify-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s/desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->dir);
	snprintf(fx->nsswitch, sizeof(fx->nsswitch), "%s/nsswitch.conf",
	    fx->dir);
	snprintf(fx->nscd, sizeof(fx->nscd), "%s/nscd", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s/trace.jsonl", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	snprintf(fx->hang, sizeof(fx->hang), "%s/hang", fx->dir);
	snprintf(fx->run_config, sizeof(fx->run_config), "%s/run.json",
	    fx->dir);
	snprintf(fx->sock, sizeof(fx->sock), "%s/ctl.sock", fx->dir);
	/* The system's hosts file, as the resolver reads it. */
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"%s\","
	    "\"hosts\":{\"path\":\"/etc/hosts\"},\"trace\":{\"jsonl\":\"%s\"},"
	    "\"backoff\":{\"deadline_ms\":2000}}", fx->desired, fx->trace);
	tu_put(fx->config, cfg, strlen(cfg));
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"%s\","
	    "\"hosts\":{\"path\":\"/etc/hosts\"},\"trace\":{\"jsonl\":\"%s\"},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":100,\"max_delay_ms\":500}}",
	    fx->desired, fx->trace, fx->sock);
	tu_put(fx->run_config, cfg, strlen(cfg));
	tu_put(fx->desired, DESIRED, strlen(DESIRED));
	tu_put(fx->hosts, "127.0.0.1 localhost\n", 20);
	assert_int_equal(mkdir(fx->nscd, 0700), 0);
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

static int
ns_bind(const char *from, const char *to)
{
	return mount(from, to, NULL, MS_BIND, NULL);
}

/* The child: its own namespaces, the scratch files over the system's,
 * then the program (`run` with a resolver that hangs, `once` or
 * `doctor`). Never returns. */
enum child_cmd { CHILD_ONCE, CHILD_RUN, CHILD_DOCTOR };

static void
child_run(const struct fx *fx, enum child_cmd cmd)
{
	char	 env[2][256];
	int	 fd;

	if ((fd = open(fx->out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    dup2(fd, 1) < 0)
		_exit(CHILD_SETUP);
	close(fd);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
		_exit(errno == EPERM || errno == EINVAL || errno == ENOSYS ?
		    SKIP_EXIT : CHILD_SETUP);
	/* Nothing mounted here may reach the parent's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    ns_bind(fx->hosts, "/etc/hosts") != 0 ||
	    ns_bind(fx->nsswitch, "/etc/nsswitch.conf") != 0)
		_exit(errno == EPERM || errno == EACCES ? SKIP_EXIT :
		    CHILD_SETUP);
	/* A caching daemon would answer from the real hosts file. */
	if (access("/var/run/nscd", F_OK) == 0 &&
	    ns_bind(fx->nscd, "/var/run/nscd") != 0)
		_exit(CHILD_SETUP);
	if (cmd == CHILD_RUN) {
		snprintf(env[0], sizeof(env[0]), "LD_PRELOAD=%s", DW_HANGSHIM);
		snprintf(env[1], sizeof(env[1]), "DW_HANG_WHILE=%s", fx->hang);
		/* A sanitizer build wants its runtime first; the shim is
		 * tiny. */
		if (putenv(env[0]) != 0 || putenv(env[1]) != 0 ||
		    putenv((char *)"ASAN_OPTIONS=verify_asan_link_order=0:"
		    "detect_leaks=1") != 0 ||
		    dup2(1, 2) < 0)
			_exit(CHILD_SETUP);
		execl(DW_BINARY, "dnswatchdog", "--config", fx->run_config,
		    "run", (char *)NULL);
	} else
		execl(DW_BINARY, "dnswatchdog", "--config", fx->config,
		    cmd == CHILD_DOCTOR ? "doctor" : "once",
		    cmd == CHILD_DOCTOR ? "--json" : (char *)NULL,
		    (char *)NULL);
	_exit(CHILD_SETUP);
}

/* Runs cmd in the namespaces with nsswitch as /etc/nsswitch.conf;
 * returns its exit code, or -1 when the namespaces are not allowed. */
static int
run_cmd(const struct fx *fx, const char *nsswitch, enum child_cmd cmd)
{
	pid_t	 pid;
	int	 status;

	tu_put(fx->nsswitch, nsswitch, strlen(nsswitch));
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		child_run(fx, cmd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_EXIT)
		return -1;
	assert_int_not_equal(WEXITSTATUS(status), CHILD_SETUP);
	return WEXITSTATUS(status);
}

/* The last VerifyResult line of the trace (the caller's). */
static char *
verify_line(const struct fx *fx)
{
	char	*t, *p, *line = NULL, *nl;
	size_t	 len;

	t = tu_slurp(fx->trace, &len);
	assert_non_null(t);
	for (p = t; (p = strstr(p, "\"event\":\"VerifyResult\"")) != NULL;
	    p++)
		line = p;
	assert_non_null(line);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	line = strdup(line);
	free(t);
	return line;
}

static void
verify_ns_names_resolve_through_the_system_resolver(void **state)
{
	struct fx	*fx = *state;
	char		*before, *after, *out, *line, *h;
	size_t		 len;
	int		 rc;

	before = tu_slurp("/etc/hosts", &len);
	rc = run_cmd(fx, "passwd: files\nhosts: files dns\n",
	    CHILD_ONCE);
	if (rc < 0) {
		free(before);
		skipped = 1;
		skip();
	}
	assert_int_equal(rc, 0);
	/* The pass wrote the scratch file, seen as /etc/hosts... */
	h = tu_slurp(fx->hosts, &len);
	assert_non_null(strstr(h, "100.64.0.7 dev.coder db.coder"));
	free(h);
	/* ...and the real one is as it was. */
	after = tu_slurp("/etc/hosts", &len);
	assert_string_equal(before, after);
	free(before);
	free(after);
	out = tu_slurp(fx->out, &len);
	assert_non_null(strstr(out,
	    "verified: hosts: 3 names resolve as desired\n"));
	free(out);
	line = verify_line(fx);
	assert_non_null(strstr(line, "\"level\":\"info\""));
	assert_non_null(strstr(line, "\"artifact\":\"hosts\",\"checked\":3,"
	    "\"failed\":0,\"first_failure\":\"\",\"class\":\"ok\""));
	free(line);
}

static void
verify_ns_resolver_without_files_is_resolver_skips_hosts(void **state)
{
	struct fx	*fx = *state;
	char		*out, *line;
	size_t		 len;
	int		 rc;

	rc = run_cmd(fx, "hosts: dns\n", CHILD_ONCE);
	if (rc < 0) {
		skipped = 1;
		skip();
	}
	/* Written as asked: converged, whatever the verification says. */
	assert_int_equal(rc, 0);
	out = tu_slurp(fx->out, &len);
	assert_non_null(strstr(out, "NOT verified: hosts: "
	    "resolver-skips-hosts: dev.coder: /etc/nsswitch.conf"));
	free(out);
	line = verify_line(fx);
	assert_non_null(strstr(line, "\"level\":\"warning\""));
	assert_non_null(strstr(line, "\"artifact\":\"hosts\",\"checked\":3,"
	    "\"failed\":3,\"first_failure\":\"dev.coder\","
	    "\"class\":\"resolver-skips-hosts\""));
	free(line);
	/* doctor says so, as an error. */
	assert_int_equal(run_cmd(fx, "hosts: dns\n", CHILD_DOCTOR), 1);
	out = tu_slurp(fx->out, &len);
	assert_non_null(strstr(out, "{\"severity\":\"error\","
	    "\"code\":\"verify-failed\",\"message\":\"hosts: "
	    "resolver-skips-hosts: dev.coder fails (3 of 3 checked)"));
	free(out);
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
pause_ms(unsigned ms)
{
	struct timespec	 ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Lines of the trace with event (and also, when not NULL). */
static size_t
trace_count(const struct fx *fx, const char *event, const char *also)
{
	char	 needle[96], *t, *line, *save = NULL;
	size_t	 n = 0;

	if ((t = tu_slurp(fx->trace, NULL)) == NULL)
		return 0;
	snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
	for (line = strtok_r(t, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, needle) != NULL &&
		    (also == NULL || strstr(line, also) != NULL))
			n++;
	free(t);
	return n;
}

/* Waits until the trace has n lines of event; false past the deadline. */
static bool
wait_trace(const struct fx *fx, const char *event, size_t n)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;

	while (now_ms() < end) {
		if (trace_count(fx, event, NULL) >= n)
			return true;
		pause_ms(20);
	}
	return false;
}

/* The daemon verifies on a worker thread: with the resolver hung, a
 * drift is still repaired at once, and a stop does not wait for the
 * resolver longer than its bound. */
static void
verify_ns_daemon_neither_repair_nor_stop_waits_for_the_resolver(void **state)
{
	struct fx	*fx = *state;
	const char	*drift = "127.0.0.1 localhost\n10.9.9.9 other\n";
	pid_t		 pid;
	uint64_t	 t0, stop_ms;
	int		 status;
	FILE		*f;
	char		*out;

	tu_put(fx->hang, "", 0);
	tu_put(fx->nsswitch, "hosts: files\n", 13);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		child_run(fx, CHILD_RUN);
	/* The start pass writes, and its verification hangs. */
	if (!wait_trace(fx, "ReconcileEnd", 1)) {
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_EXIT) {
			skipped = 1;
			skip();
		}
		fail_msg("the daemon never ended its start pass");
	}
	assert_int_equal(trace_count(fx, "HostsWriteSucceeded", NULL), 1);
	/* Another program drops the section (in place: the bind mount
	 * follows the inode). */
	assert_non_null(f = fopen(fx->hosts, "w"));
	fputs(drift, f);
	fclose(f);
	assert_true(wait_trace(fx, "HostsWriteSucceeded", 2));
	assert_int_equal(trace_count(fx, "VerifyResult", NULL), 0);
	t0 = now_ms();
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	stop_ms = now_ms() - t0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(stop_ms < STOP_MAX_MS);
	assert_int_equal(trace_count(fx, "DaemonStopped", NULL), 1);
	assert_int_equal(trace_count(fx, "VerifyResult", NULL), 0);
	assert_non_null(out = tu_slurp(fx->out, NULL));
	assert_non_null(strstr(out, "stopping without waiting for the "
	    "verification"));
	free(out);
	unlink(fx->hang);
}

/* A request while a verification runs is remembered and runs after it:
 * two writes, two verifications, in turn, once the resolver answers. */
static void
verify_ns_daemon_runs_a_request_made_meanwhile_after(void **state)
{
	struct fx	*fx = *state;
	pid_t		 pid;
	int		 status;
	FILE		*f;

	tu_put(fx->hang, "", 0);
	tu_put(fx->nsswitch, "hosts: files\n", 13);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		child_run(fx, CHILD_RUN);
	if (!wait_trace(fx, "ReconcileEnd", 1)) {
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_EXIT) {
			skipped = 1;
			skip();
		}
		fail_msg("the daemon never ended its start pass");
	}
	assert_non_null(f = fopen(fx->hosts, "w"));
	fputs("127.0.0.1 localhost\n", f);
	fclose(f);
	assert_true(wait_trace(fx, "HostsWriteSucceeded", 2));
	pause_ms(100);
	assert_int_equal(trace_count(fx, "VerifyResult", NULL), 0);
	unlink(fx->hang);	/* the resolver answers again */
	assert_true(wait_trace(fx, "VerifyResult", 2));
	pause_ms(300);
	assert_int_equal(trace_count(fx, "VerifyResult",
	    "\"checked\":3,\"failed\":0,\"first_failure\":\"\","
	    "\"class\":\"ok\""), 2);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(verify_ns_names_resolve_through_the_system_resolver),
		T(verify_ns_resolver_without_files_is_resolver_skips_hosts),
		T(verify_ns_daemon_neither_repair_nor_stop_waits_for_the_resolver),
		T(verify_ns_daemon_runs_a_request_made_meanwhile_after),
#undef T
	};
	int	 rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc == 0 && skipped ? SKIP_EXIT : rc;
}
