/*
 * Integration tests of the daemon: the real dnswatchdog process ("run"),
 * on temp files, driven through its control socket, the files it watches,
 * signals, and (where the machine allows) a network namespace.
 *
 * Waiting is by condition: a test polls the daemon's status or the file
 * until what it expects holds, with a deadline after which it fails.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "control.h"
#include "control_client.h"
#include "testutil.h"

extern char **environ;

#define DEADLINE_MS	8000	/* a condition not met by then fails */
#define SKIP_EXIT	77	/* ctest's SKIP_RETURN_CODE: a test could not run */
#define CROWD		2000	/* idle clients in the crowd test */
#define CROWD_NOFILE	1024	/* the daemon's limit on open files then */
#define CROWD_CONNECT_MS 200	/* one connect's wait for the daemon */

static int skipped;	/* a test skipped: say so in the exit status */
#define HOSTS_FOREIGN	"127.0.0.1 localhost\n::1 localhost\n"
#define DESIRED_ONE \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\"," \
	"\"names\":[\"build.coder\"]}]}"
#define DESIRED_TWO \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.8\"," \
	"\"names\":[\"test.coder\"]}]}"

struct fx {
	char	 dir[64];
	char	 config[128];
	char	 desired[128];
	char	 hosts[128];
	char	 trace[128];
	char	 sock[128];
	char	 log[128];
	char	 flag[128];	/* while it exists, the fault shim fails renames */
	char	 wflag[128];	/* ...and writes to the trace (ENOSPC) */
	char	 trace_opts[64]; /* more keys of "trace", each after a comma */
	pid_t	 pid;
	char	 netns[32];	/* set when the daemon runs in a namespace */
	unsigned nofile;	/* the daemon's limit on open files (0: ours) */
};

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
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A config for the test folder; daemon_extra goes inside "daemon" (starting
 * with a comma), extra after it at the top level. */
static void
write_config(struct fx *fx, const char *desired, const char *daemon_extra,
    const char *extra)
{
	char	 cfg[1024];

	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"%s\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"%s},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":200,\"max_delay_ms\":1000,"
	    "\"slow_retry_ms\":1000%s}%s}", desired, fx->trace_opts, fx->sock,
	    daemon_extra, extra);
	tu_put(fx->config, cfg, strlen(cfg));
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-daemon-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s/desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s/trace.jsonl", fx->dir);
	snprintf(fx->sock, sizeof(fx->sock), "%s/ctl.sock", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/daemon.log", fx->dir);
	snprintf(fx->flag, sizeof(fx->flag), "%s/fail-renames", fx->dir);
	snprintf(fx->wflag, sizeof(fx->wflag), "%s/fail-trace-writes", fx->dir);
	write_config(fx, "desired.json", "", "");
	tu_put(fx->desired, DESIRED_ONE, strlen(DESIRED_ONE));
	tu_put(fx->hosts, HOSTS_FOREIGN, strlen(HOSTS_FOREIGN));
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[128];

	if (fx->pid > 0) {
		kill(fx->pid, SIGKILL);
		waitpid(fx->pid, NULL, 0);
	}
	if (fx->netns[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "ip netns delete %s 2>/dev/null",
		    fx->netns);
		if (system(cmd) != 0)
			print_message("could not delete namespace %s\n", fx->netns);
	}
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* The daemon's status, parsed; NULL when it does not answer. */
static cJSON *
status(struct fx *fx)
{
	struct dwerr	 err;
	char		*reply;
	cJSON		*r;

	if (control_call(fx->sock, "status", 2000, &reply, &err) != 0)
		return NULL;
	r = cJSON_Parse(reply);
	free(reply);
	return r;
}

static double
jnum(const cJSON *r, const char *obj, const char *key)
{
	const cJSON *o = obj != NULL ? cJSON_GetObjectItemCaseSensitive(r, obj) : r;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *
jstr(const cJSON *r, const char *obj, const char *key)
{
	const cJSON *o = obj != NULL ? cJSON_GetObjectItemCaseSensitive(r, obj) : r;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool
jtrue(const cJSON *r, const char *obj, const char *key)
{
	const cJSON *o = obj != NULL ? cJSON_GetObjectItemCaseSensitive(r, obj) : r;

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Starts the daemon (through `ip netns exec` when fx->netns is set), with
 * the fault shim preloaded when shim is true. */
static void
start(struct fx *fx, bool shim)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[16], **envp, *envbuf[4];
	size_t				 n = 0, i, nenv;
	char				 e1[256], e2[256], e3[256], limit[64];

	if (fx->netns[0] != '\0') {
		argv[n++] = (char *)"ip";
		argv[n++] = (char *)"netns";
		argv[n++] = (char *)"exec";
		argv[n++] = fx->netns;
	}
	if (fx->nofile != 0) {
		/* Soft and hard: the daemon cannot raise it. */
		snprintf(limit, sizeof(limit), "ulimit -n %u && exec \"$0\" "
		    "\"$@\"", fx->nofile);
		argv[n++] = (char *)"/bin/sh";
		argv[n++] = (char *)"-c";
		argv[n++] = limit;
	}
	argv[n++] = (char *)DW_BINARY;
	argv[n++] = (char *)"--config";
	argv[n++] = fx->config;
	argv[n++] = (char *)"run";
	argv[n] = NULL;
	for (nenv = 0; environ[nenv] != NULL; nenv++)
		;
	envp = calloc(nenv + 5, sizeof(char *));
	for (i = 0, nenv = 0; environ[i] != NULL; i++)
		if (!shim || strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0)
			envp[nenv++] = environ[i];
	i = nenv;
	if (shim) {
		snprintf(e1, sizeof(e1), "LD_PRELOAD=%s", DW_FAULTSHIM);
		snprintf(e2, sizeof(e2), "DW_FAULT_RENAME_WHILE=%s", fx->flag);
		snprintf(e3, sizeof(e3), "DW_FAULT_TRACE_WRITE_WHILE=%s",
		    fx->wflag);
		envbuf[0] = e1;
		envbuf[1] = e2;
		envbuf[2] = e3;
		/* A sanitizer build wants its runtime first; the shim is tiny. */
		envbuf[3] = (char *)"ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1";
		for (n = 0; n < 4; n++)
			envp[i++] = envbuf[n];
	}
	envp[i] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, fx->log,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	assert_int_equal(posix_spawnp(&fx->pid, argv[0], &fa, NULL, argv,
	    envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
}

/* Waits until the daemon answers and its first pass has ended. */
static void
wait_ready(struct fx *fx)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;
	cJSON		*r;

	while (now_ms() < end) {
		if ((r = status(fx)) != NULL) {
			bool done = jnum(r, "counters", "passes") >= 1 &&
			    !jtrue(r, NULL, "pass_running") &&
			    !jtrue(r, NULL, "pass_pending");

			cJSON_Delete(r);
			if (done)
				return;
		}
		pause_ms(20);
	}
	fail_msg("the daemon did not become ready; its log is %s", fx->log);
}

/* Waits until no pass runs or is pending; returns the status then. */
static cJSON *
wait_idle(struct fx *fx)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;
	cJSON		*r;

	while (now_ms() < end) {
		if ((r = status(fx)) != NULL) {
			if (!jtrue(r, NULL, "pass_running") &&
			    !jtrue(r, NULL, "pass_pending"))
				return r;
			cJSON_Delete(r);
		}
		pause_ms(20);
	}
	fail_msg("the daemon did not become idle");
	return NULL;
}

static bool
hosts_has(struct fx *fx, const char *needle)
{
	char	*s = tu_slurp(fx->hosts, NULL);
	bool	 yes = s != NULL && strstr(s, needle) != NULL;

	free(s);
	return yes;
}

/* Waits until the hosts file contains (or not) needle; returns ms taken. */
static uint64_t
wait_hosts(struct fx *fx, const char *needle, bool present)
{
	uint64_t	 t0 = now_ms(), end = t0 + DEADLINE_MS;

	while (now_ms() < end) {
		if (hosts_has(fx, needle) == present)
			return now_ms() - t0;
		pause_ms(5);
	}
	fail_msg("the hosts file never %s \"%s\"", present ? "got" :
	    "lost", needle);
	return 0;
}

/* Lines of the trace file at path with event, counted. */
static size_t
trace_count_in(const char *path, const char *event, const char *also)
{
	char	*all = tu_slurp(path, NULL), *line, *next;
	char	 key[96];
	size_t	 n = 0;

	if (all == NULL)
		return 0;
	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	for (line = all; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strstr(line, key) != NULL &&
		    (also == NULL || strstr(line, also) != NULL))
			n++;
	}
	free(all);
	return n;
}

/* Lines of the trace with event, counted. */
static size_t
trace_count(struct fx *fx, const char *event, const char *also)
{
	return trace_count_in(fx->trace, event, also);
}

/* Checks that every line of path is one whole JSON object; returns how
 * many there are. */
static size_t
whole_lines(const char *path)
{
	char	*all = tu_slurp(path, NULL), *line, *next;
	size_t	 n = 0;
	cJSON	*o;

	assert_non_null(all);
	assert_true(all[0] != '\0' && all[strlen(all) - 1] == '\n');
	for (line = all; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		o = cJSON_Parse(line);
		if (!cJSON_IsObject(o))
			fail_msg("%s: not a whole JSON object: %s", path, line);
		cJSON_Delete(o);
		n++;
	}
	free(all);
	return n;
}

static int
stop(struct fx *fx)
{
	int	 st;

	kill(fx->pid, SIGTERM);
	assert_int_equal(waitpid(fx->pid, &st, 0), fx->pid);
	fx->pid = 0;
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
daemon_start_pass_writes_the_section_then_stops_cleanly(void **state)
{
	struct fx	*fx = *state;
	cJSON		*r;

	start(fx, false);
	wait_ready(fx);
	assert_true(hosts_has(fx, "100.64.0.7 build.coder\n"));
	r = status(fx);
	assert_string_equal(jstr(r, "hosts", "state"), "in_sync");
	assert_string_equal(jstr(r, "last_pass", "trigger"), "start");
	assert_string_equal(jstr(r, "last_pass", "result"), "converged");
	assert_true(jtrue(r, "desired_state", "valid"));
	cJSON_Delete(r);
	assert_int_equal(stop(fx), 0);
	assert_int_equal(trace_count(fx, "DaemonStopped", NULL), 1);
	assert_int_equal(access(fx->sock, F_OK), -1);	/* socket removed */
}

static void
daemon_own_write_does_not_trigger_a_pass(void **state)
{
	struct fx	*fx = *state;
	uint64_t	 end;
	cJSON		*r = NULL;

	start(fx, false);
	wait_ready(fx);
	/* The start pass wrote the file, and the folder watch saw it. That
	 * event must be recognised as ours, not start a second pass. */
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end) {
		cJSON_Delete(r);
		if ((r = status(fx)) != NULL &&
		    jnum(r, "counters", "own_writes_ignored") >= 1)
			break;
		pause_ms(20);
	}
	assert_true(jnum(r, "counters", "own_writes_ignored") >= 1);
	cJSON_Delete(r);
	r = wait_idle(fx);
	assert_int_equal(jnum(r, "counters", "passes"), 1);
	assert_int_equal(jnum(r, "counters", "writes"), 1);
	cJSON_Delete(r);
}

static void
daemon_repairs_drift_within_the_quiet_window(void **state)
{
	struct fx	*fx = *state;
	uint64_t	 ms;
	cJSON		*r;

	start(fx, false);
	wait_ready(fx);
	/* Another program rewrites the file without our section. */
	tu_put(fx->hosts, HOSTS_FOREIGN "10.0.0.1 other\n",
	    strlen(HOSTS_FOREIGN "10.0.0.1 other\n"));
	ms = wait_hosts(fx, "100.64.0.7 build.coder\n", true);
	print_message("drift repaired after %llu ms (quiet window 200 ms)\n",
	    (unsigned long long)ms);
	assert_true(ms < 1000);
	assert_true(hosts_has(fx, "10.0.0.1 other\n"));	/* theirs kept */
	r = wait_idle(fx);
	assert_string_equal(jstr(r, "last_pass", "trigger"), "drift");
	assert_string_equal(jstr(r, "hosts", "state"), "in_sync");
	cJSON_Delete(r);
	assert_true(trace_count(fx, "ReconcileStart", "\"trigger\":\"drift\"") >= 1);
}

static void
daemon_storm_of_edits_gives_a_handful_of_passes(void **state)
{
	struct fx	*fx = *state;
	cJSON		*r;
	double		 before, after, coalesced;
	uint64_t	 t0, storm_ms;
	unsigned	 i;
	FILE		*fp;

	start(fx, false);
	wait_ready(fx);
	r = wait_idle(fx);
	before = jnum(r, "counters", "passes");
	cJSON_Delete(r);
	/* 2000 edits of foreign lines in about a second (longer on a slow
	 * or instrumented build: the bound below follows the real length). */
	t0 = now_ms();
	for (i = 0; i < 2000; i++) {
		fp = fopen(fx->hosts, "a");
		assert_non_null(fp);
		fprintf(fp, "# edit %u\n", i);
		fclose(fp);
		if (i % 200 == 199)
			pause_ms(100);
	}
	storm_ms = now_ms() - t0;
	r = wait_idle(fx);
	after = jnum(r, "counters", "passes");
	coalesced = jnum(r, "counters", "coalesced_triggers");
	print_message("2000 edits in %llu ms: %.0f passes, %.0f triggers "
	    "coalesced\n", (unsigned long long)storm_ms, after - before,
	    coalesced);
	/* At most one pass per quiet window (200 ms) of storm, plus the
	 * leading one and the trailing one. (The kernel merges identical
	 * queued inotify events, so fewer than 2000 triggers reach the
	 * daemon: hundreds, not thousands.) */
	assert_true(after - before >= 1);
	assert_true(after - before <= (double)(storm_ms / 200 + 2));
	assert_true(coalesced >= 100);
	/* The section was intact all along: those passes wrote nothing. */
	assert_true(hosts_has(fx, "100.64.0.7 build.coder\n"));
	cJSON_Delete(r);
}

static void
daemon_invalid_desired_state_keeps_the_last_good_one(void **state)
{
	struct fx	*fx = *state;
	const char	*bad = "{\"version\":1,\"hosts\":[{\"address\":\"x\"}]}";
	uint64_t	 end;
	cJSON		*r = NULL;

	start(fx, false);
	wait_ready(fx);
	tu_put(fx->desired, bad, strlen(bad));
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end) {
		cJSON_Delete(r);
		if ((r = status(fx)) != NULL && !jtrue(r, "desired_state", "valid"))
			break;
		pause_ms(20);
	}
	assert_non_null(r);
	assert_false(jtrue(r, "desired_state", "valid"));
	assert_true(jtrue(r, "desired_state", "in_force"));
	assert_non_null(strstr(jstr(r, "desired_state", "error"),
	    "$.hosts[0].address"));
	cJSON_Delete(r);
	/* The last good state still rules: drift is repaired with it. */
	tu_put(fx->hosts, HOSTS_FOREIGN, strlen(HOSTS_FOREIGN));
	wait_hosts(fx, "100.64.0.7 build.coder\n", true);
	/* A good file again takes over. */
	tu_put(fx->desired, DESIRED_TWO, strlen(DESIRED_TWO));
	wait_hosts(fx, "100.64.0.8 test.coder\n", true);
	assert_false(hosts_has(fx, "build.coder"));
	r = wait_idle(fx);
	assert_true(jtrue(r, "desired_state", "valid"));
	cJSON_Delete(r);
}

static void
daemon_failing_write_backs_off_while_status_answers(void **state)
{
	struct fx	*fx = *state;
	uint64_t	 end;
	cJSON		*r = NULL;
	bool		 seen_pending = false;
	size_t		 attempts;

	/* Every rename of the hosts file fails with EIO while the flag
	 * file exists (an LD_PRELOAD shim: a fault seam for tests only).
	 * No jitter, so the schedule is exact: 50, 100, 200, ... ms. */
	write_config(fx, "desired.json", "", ",\"backoff\":{\"jitter\":0}");
	tu_put(fx->flag, "", 0);
	start(fx, true);
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end && !seen_pending) {
		cJSON_Delete(r);
		r = status(fx);
		if (r != NULL && strcmp(jstr(r, "hosts", "state"),
		    "pending_retry") == 0 && jnum(r, "hosts", "attempt") >= 3)
			seen_pending = true;
		else
			pause_ms(20);
	}
	assert_true(seen_pending);
	assert_non_null(strstr(jstr(r, "hosts", "error"), "rename"));
	assert_true(jnum(r, "hosts", "next_attempt_ms") >= 0);
	cJSON_Delete(r);
	attempts = trace_count(fx, "HostsWriteAttempt", "\"error_name\":\"EIO\"");
	assert_true(attempts >= 2);
	assert_int_equal(trace_count(fx, "HostsWriteAttempt",
	    "\"attempt\":1,"), 1);
	assert_int_equal(trace_count(fx, "HostsWriteAttempt",
	    "\"next_delay_ms\":50,"), 1);
	assert_int_equal(trace_count(fx, "HostsWriteAttempt",
	    "\"next_delay_ms\":100,"), 1);
	/* The holder lets go: the next attempt succeeds. */
	unlink(fx->flag);
	wait_hosts(fx, "100.64.0.7 build.coder\n", true);
	r = wait_idle(fx);
	assert_string_equal(jstr(r, "hosts", "state"), "in_sync");
	cJSON_Delete(r);
	print_message("%zu failed attempts traced before the write went through\n",
	    trace_count(fx, "HostsWriteAttempt", NULL));
}

/* The string member key of a JSON Lines line, or "" (cJSON owns it). */
static const char *
line_str(const cJSON *o, const char *key)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : "";
}

static void
daemon_slow_retry_names_the_pass_that_gave_up(void **state)
{
	struct fx	*fx = *state;
	char		*all, *line, *next, gave_up[64] = "";
	uint64_t	 end;
	cJSON		*o;
	bool		 seen = false;

	/* Every rename fails while the flag exists; a pass gives up after
	 * 200 ms, and the slow retry (1 s) takes it up. */
	write_config(fx, "desired.json", "",
	    ",\"backoff\":{\"jitter\":0,\"deadline_ms\":200}");
	tu_put(fx->flag, "", 0);
	start(fx, true);
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end && trace_count(fx, "ReconcileStart",
	    "\"trigger\":\"retry\"") == 0)
		pause_ms(20);
	unlink(fx->flag);
	wait_hosts(fx, "100.64.0.7 build.coder\n", true);
	assert_int_equal(stop(fx), 0);

	/* The retry's Start names, as continues, the pass that gave up
	 * last before it; no line has any other link. */
	assert_non_null(all = tu_slurp(fx->trace, NULL));
	for (line = all; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		assert_null(strstr(line, "\"related\""));
		assert_non_null(o = cJSON_Parse(line));
		if (strcmp(line_str(o, "event"), "ReconcileDegraded") == 0)
			snprintf(gave_up, sizeof(gave_up), "%s",
			    line_str(o, "activity"));
		if (strcmp(line_str(o, "event"), "ReconcileStart") == 0) {
			if (strcmp(line_str(o, "trigger"), "retry") == 0) {
				assert_true(gave_up[0] != '\0');
				assert_string_equal(line_str(o, "continues"),
				    gave_up);
				assert_string_not_equal(line_str(o, "activity"),
				    gave_up);
				seen = true;
			} else if (strcmp(line_str(o, "trigger"), "start") == 0)
				assert_string_equal(line_str(o, "continues"),
				    "");
		}
		cJSON_Delete(o);
	}
	free(all);
	assert_true(seen);
}

static void
daemon_reconcile_command_waits_for_the_pass(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		*reply;

	start(fx, false);
	wait_ready(fx);
	assert_int_equal(control_call(fx->sock, "reconcile", 5000, &reply,
	    &err), 0);
	assert_non_null(strstr(reply, "\"trigger\":\"manual\""));
	assert_non_null(strstr(reply, "\"result\":\"noop\""));
	free(reply);
	assert_int_equal(control_call(fx->sock, "bogus", 5000, &reply, &err), 0);
	assert_non_null(strstr(reply, "\"ok\":false"));
	free(reply);
}

static void
daemon_sighup_reloads_the_config(void **state)
{
	struct fx	*fx = *state;
	char		 other[160];
	uint64_t	 end;
	cJSON		*r;

	start(fx, false);
	wait_ready(fx);
	/* A config that points at another desired-state file. */
	snprintf(other, sizeof(other), "%s/other.json", fx->dir);
	tu_put(other, DESIRED_TWO, strlen(DESIRED_TWO));
	write_config(fx, "other.json", "", "");
	kill(fx->pid, SIGHUP);
	wait_hosts(fx, "100.64.0.8 test.coder\n", true);
	assert_int_equal(trace_count(fx, "ConfigReloaded", "\"ok\":true"), 1);
	/* An invalid config is refused and the running one stays. */
	tu_put(fx->config, "{\"bogus\":1}", 11);
	kill(fx->pid, SIGHUP);
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end &&
	    trace_count(fx, "ConfigReloaded", "\"ok\":false") == 0)
		pause_ms(20);
	assert_int_equal(trace_count(fx, "ConfigReloaded", "\"ok\":false"), 1);
	r = wait_idle(fx);
	assert_string_equal(jstr(r, "desired_state", "path"), other);
	cJSON_Delete(r);
}

/* Waits until the trace file at path has an event with also (NULL: any). */
static void
wait_trace_at(const char *path, const char *event, const char *also)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;
	char		*all, key[96];
	bool		 seen = false;

	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	while (!seen && now_ms() < end) {
		all = tu_slurp(path, NULL);
		seen = all != NULL && strstr(all, key) != NULL &&
		    (also == NULL || strstr(all, also) != NULL);
		free(all);
		if (!seen)
			pause_ms(10);
	}
	if (!seen)
		fail_msg("%s never got a %s event", path, event);
}

/* Waits until the daemon's status says cond; returns that status. */
static cJSON *
wait_status(struct fx *fx, bool (*cond)(const cJSON *), const char *what)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;
	cJSON		*r;

	while (now_ms() < end) {
		if ((r = status(fx)) != NULL) {
			if (cond(r))
				return r;
			cJSON_Delete(r);
		}
		pause_ms(20);
	}
	fail_msg("the status never said %s", what);
	return NULL;
}

static bool
trace_write_failed(const cJSON *r)
{
	return jnum(r, "trace", "write_errors") >= 1;
}

/* Runs `dnswatchdog status` for a person; returns what it printed. */
static char *
status_text(struct fx *fx)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[6], out[160], *s;
	pid_t				 pid;
	int				 st;

	snprintf(out, sizeof(out), "%s/.status", fx->dir);
	argv[0] = (char *)DW_BINARY;
	argv[1] = (char *)"--config";
	argv[2] = fx->config;
	argv[3] = (char *)"status";
	argv[4] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, DW_BINARY, &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	s = tu_slurp(out, NULL);
	unlink(out);
	return s;
}

static bool
verify_in(const cJSON *r)
{
	return cJSON_GetObjectItemCaseSensitive(r, "verify") != NULL &&
	    !jtrue(r, "verify", "running");
}

static bool
two_verified(const cJSON *r)
{
	return verify_in(r) && jnum(r, "counters", "passes") >= 3;
}

/* A write is verified off the loop: the scratch file is not the one the
 * resolver reads, so the hosts part is skipped, not failed; a resync,
 * which writes nothing, is verified too. */
static void
daemon_verifies_after_a_write_and_after_a_resync(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*h;
	cJSON		*r;
	char		*text;

	start(fx, false);
	wait_ready(fx);
	r = wait_status(fx, verify_in, "a verification");
	h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r,
	    "verify"), "hosts");
	assert_non_null(h);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h,
	    "skipped")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(h,
	    "class")->valuestring, "not-system-file");
	assert_true(jtrue(r, "verify", "verified"));
	assert_true(jnum(r, "verify", "ended_ms_ago") >= 0);
	assert_true(jtrue(r, "last_pass", "verified"));
	assert_string_equal(jstr(r, "last_pass", "result"), "converged");
	cJSON_Delete(r);
	assert_int_equal(trace_count(fx, "VerifyResult",
	    "\"class\":\"not-system-file\""), 1);
	text = status_text(fx);
	assert_non_null(strstr(text, "verification   nothing checked"));
	assert_non_null(strstr(text, "hosts not verified: not-system-file"));
	free(text);

	/* Nothing else written: no other verification. */
	r = wait_idle(fx);
	cJSON_Delete(r);
	assert_int_equal(stop(fx), 0);
	assert_int_equal(trace_count(fx, "VerifyResult", NULL), 1);

	/* Resyncs every 300 ms: each no-op pass is verified. */
	write_config(fx, "desired.json", ",\"resync_ms\":300", "");
	start(fx, false);
	wait_ready(fx);
	r = wait_status(fx, two_verified, "resyncs verified");
	cJSON_Delete(r);
	assert_int_equal(stop(fx), 0);
	assert_true(trace_count(fx, "VerifyResult", NULL) >= 3);
}

static void
daemon_fifo_trace_path_is_refused_and_the_socket_comes_up(void **state)
{
	struct fx	*fx = *state;
	char		*log;
	cJSON		*r;

	/* Nobody reads the FIFO: a blocking open would wait forever. */
	assert_int_equal(mkfifo(fx->trace, 0600), 0);
	start(fx, false);
	wait_ready(fx);
	assert_true(hosts_has(fx, "100.64.0.7 build.coder\n"));
	r = status(fx);
	assert_non_null(r);
	assert_string_equal(jstr(r, "trace", "path"), fx->trace);
	assert_false(jtrue(r, "trace", "open"));
	assert_true(jnum(r, "trace", "dropped_events") >= 1);
	assert_non_null(strstr(jstr(r, "trace", "last_error"),
	    "a FIFO, not a regular file"));
	cJSON_Delete(r);
	log = tu_slurp(fx->log, NULL);
	assert_non_null(strstr(log, "tracing off"));
	assert_non_null(strstr(log, fx->trace));
	assert_non_null(strstr(log, "a FIFO, not a regular file"));
	free(log);
	assert_int_equal(stop(fx), 0);
}

static void
daemon_sighup_reopens_a_moved_trace_file(void **state)
{
	struct fx	*fx = *state;
	char		 moved[160];
	cJSON		*r;

	start(fx, false);
	wait_ready(fx);
	/* logrotate's way: move the file, then SIGHUP. */
	snprintf(moved, sizeof(moved), "%s.1", fx->trace);
	assert_int_equal(rename(fx->trace, moved), 0);
	kill(fx->pid, SIGHUP);
	wait_trace_at(fx->trace, "ConfigReloaded", "\"ok\":true");
	assert_int_equal(trace_count(fx, "DaemonStarted", NULL), 0);
	r = wait_idle(fx);
	assert_true(jtrue(r, "trace", "open"));
	cJSON_Delete(r);
	assert_int_equal(stop(fx), 0);
	assert_int_equal(trace_count(fx, "DaemonStopped", NULL), 1);
	/* The moved file got nothing after the signal. */
	assert_int_equal(trace_count_in(moved, "DaemonStarted", NULL), 1);
	assert_int_equal(trace_count_in(moved, "ConfigReloaded", NULL), 0);
	assert_int_equal(trace_count_in(moved, "DaemonStopped", NULL), 0);
}

static void
daemon_reload_reopens_a_removed_trace_file(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		*reply;

	start(fx, false);
	wait_ready(fx);
	assert_int_equal(unlink(fx->trace), 0);
	assert_int_equal(control_call(fx->sock, "reload", 5000, &reply,
	    &err), 0);
	assert_non_null(strstr(reply, "\"ok\":true"));
	free(reply);
	wait_trace_at(fx->trace, "ConfigReloaded", "\"ok\":true");
	/* A reload refused for a bad config still lets go of the file. */
	assert_int_equal(unlink(fx->trace), 0);
	tu_put(fx->config, "{\"bogus\":1}", 11);
	assert_int_equal(control_call(fx->sock, "reload", 5000, &reply,
	    &err), 0);
	assert_non_null(strstr(reply, "\"ok\":false"));
	free(reply);
	wait_trace_at(fx->trace, "ConfigReloaded", "\"ok\":false");
}

static void
daemon_rotates_the_trace_past_max_bytes(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		 old[160], *reply;
	struct stat	 st;
	cJSON		*r;
	int		 i;

	snprintf(fx->trace_opts, sizeof(fx->trace_opts), ",\"max_bytes\":1024");
	write_config(fx, "desired.json", "", "");
	snprintf(old, sizeof(old), "%s.1", fx->trace);
	start(fx, false);
	wait_ready(fx);
	/* A pass is two lines at least, of about 200 bytes. */
	for (i = 0; i < 6; i++) {
		assert_int_equal(control_call(fx->sock, "reconcile", 5000,
		    &reply, &err), 0);
		free(reply);
	}
	r = wait_idle(fx);
	assert_true(jnum(r, "trace", "rotations") >= 1);
	assert_true(jnum(r, "trace", "bytes") <= 1024);
	assert_int_equal(jnum(r, "trace", "write_errors"), 0);
	cJSON_Delete(r);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size > 0 && st.st_size <= 1024);
	assert_int_equal(stat(fx->trace, &st), 0);
	assert_true(st.st_size > 0 && st.st_size <= 1024);
	assert_true(whole_lines(fx->trace) > 0);
	assert_true(whole_lines(old) > 0);
}

static void
daemon_trace_write_errors_are_counted_in_status(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		*reply, *text;
	double		 events;
	cJSON		*r;

	start(fx, true);
	wait_ready(fx);
	/* The disk under the trace fills up (the fault shim: ENOSPC). */
	tu_put(fx->wflag, "", 0);
	assert_int_equal(control_call(fx->sock, "reconcile", 5000, &reply,
	    &err), 0);
	free(reply);
	r = wait_status(fx, trace_write_failed, "a trace write error");
	assert_true(jtrue(r, "trace", "open"));
	assert_true(jnum(r, "trace", "dropped_events") >= 1);
	assert_non_null(strstr(jstr(r, "trace", "last_error"),
	    strerror(ENOSPC)));
	events = jnum(r, "trace", "events");
	cJSON_Delete(r);
	/* Said in the log too, at the end of the pass. */
	text = tu_slurp(fx->log, NULL);
	assert_non_null(strstr(text, "trace write error"));
	free(text);
	text = status_text(fx);
	assert_non_null(strstr(text, "write errors"));
	assert_non_null(strstr(text, "events dropped"));
	assert_non_null(strstr(text, strerror(ENOSPC)));
	free(text);
	/* Room again: events are written again. */
	unlink(fx->wflag);
	assert_int_equal(control_call(fx->sock, "reconcile", 5000, &reply,
	    &err), 0);
	free(reply);
	r = wait_idle(fx);
	assert_true(jnum(r, "trace", "events") > events);
	cJSON_Delete(r);
	assert_true(whole_lines(fx->trace) > 0);
}

static void
daemon_backs_off_from_a_fight_and_says_so(void **state)
{
	struct fx	*fx = *state;
	uint64_t	 end;
	unsigned	 rewrites = 0;
	cJSON		*r;
	double		 passes;

	/* Three repairs within ten seconds make a fight. */
	write_config(fx, "desired.json", ",\"fight_rewrites\":3,"
	    "\"fight_window_ms\":9999", "");
	start(fx, false);
	wait_ready(fx);
	/* Another program keeps taking our section out, for four seconds. */
	end = now_ms() + 4000;
	while (now_ms() < end) {
		if (hosts_has(fx, "build.coder")) {
			tu_put(fx->hosts, HOSTS_FOREIGN, strlen(HOSTS_FOREIGN));
			rewrites++;
		}
		pause_ms(10);
	}
	r = status(fx);
	assert_non_null(r);
	passes = jnum(r, "counters", "passes");
	print_message("fighter rewrote the file %u times in 4 s; %.0f passes; "
	    "fight delay now %.0f ms\n", rewrites, passes,
	    jnum(r, "fight", "delay_ms"));
	assert_true(jtrue(r, "fight", "active"));
	assert_true(jnum(r, "fight", "delay_ms") >= 1000);
	/* No tight loop: the repairs slowed down to a handful. */
	assert_true(passes <= 12);
	cJSON_Delete(r);
	assert_true(trace_count(fx, "Fight", "\"artifact\":\"hosts\"") >= 1);
}

/* Connects to the daemon, waiting at most CROWD_CONNECT_MS; -1 when it
 * does not take the connection. */
static int
crowd_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 0, CROWD_CONNECT_MS * 1000 };
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The daemon's limit on open files, as /proc shows it; 0 when unknown. */
static unsigned long
proc_nofile(pid_t pid)
{
	char		 path[64], line[256];
	unsigned long	 soft = 0;
	FILE		*fp;

	snprintf(path, sizeof(path), "/proc/%ld/limits", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Max open files %lu", &soft) == 1)
			break;
	fclose(fp);
	return soft;
}

static void
daemon_answers_and_repairs_under_a_crowd_of_idle_clients(void **state)
{
	struct fx	*fx = *state;
	struct rlimit	 rl;
	uint64_t	 t0, end, crowd_ms, repair_ms, status_ms;
	int		*fds, i, connected = 0, refused = 0;
	char		 buf[256];
	size_t		 len;
	ssize_t		 got;
	cJSON		*r = NULL;

	/* The test holds the crowd's descriptors itself. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < CROWD + 64) {
		if (rl.rlim_max < CROWD + 64) {
			print_message("SKIPPED: the hard limit on open files "
			    "(%llu) is too low for %d clients\n",
			    (unsigned long long)rl.rlim_max, CROWD);
			skipped = 1;
			skip();
		}
		rl.rlim_cur = CROWD + 64;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	fx->nofile = CROWD_NOFILE;
	start(fx, false);
	wait_ready(fx);
	print_message("the daemon's limit on open files: %lu\n",
	    proc_nofile(fx->pid));
	fds = calloc(CROWD, sizeof(int));
	assert_non_null(fds);
	/* 2000 clients connect and say nothing. */
	t0 = now_ms();
	end = t0 + DEADLINE_MS;
	for (i = 0; i < CROWD; i++) {
		fds[i] = now_ms() < end ? crowd_connect(fx->sock) : -1;
		if (fds[i] != -1)
			connected++;
	}
	crowd_ms = now_ms() - t0;
	/* The last ones were refused at once, in one line. */
	for (i = CROWD - 1; i >= 0 && fds[i] == -1; i--)
		;
	print_message("%d of %d idle clients connected in %llu ms\n",
	    connected, CROWD, (unsigned long long)crowd_ms);
	assert_int_equal(connected, CROWD);
	len = 0;
	while (len + 1 < sizeof(buf) &&
	    (got = recv(fds[i], buf + len, sizeof(buf) - 1 - len, 0)) > 0)
		len += (size_t)got;
	buf[len] = '\0';
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"too many clients "
	    "(64); try again\"}\n");
	/* Earlier ones, taken in order, are settled by now: answered (and
	 * closed), or held. */
	for (i = 0; i < CROWD; i++) {
		struct pollfd	 pfd = { .fd = fds[i], .events = POLLIN };

		if (fds[i] != -1 && poll(&pfd, 1, 0) == 1)
			refused++;
	}
	print_message("%d refused at once\n", refused);
	assert_int_equal(refused, CROWD - (int)CONTROL_MAX_CLIENTS);
	/* With the crowd still there, another program deletes our section:
	 * the repair goes through. */
	tu_put(fx->hosts, HOSTS_FOREIGN, strlen(HOSTS_FOREIGN));
	repair_ms = wait_hosts(fx, "100.64.0.7 build.coder\n", true);
	/* status answers (once the idle clients' time is up, if it came
	 * while all 64 places were taken). */
	t0 = now_ms();
	end = t0 + DEADLINE_MS;
	while (now_ms() < end) {
		cJSON_Delete(r);
		if ((r = status(fx)) != NULL && jtrue(r, NULL, "ok"))
			break;
		pause_ms(50);
	}
	status_ms = now_ms() - t0;
	print_message("drift repaired after %llu ms; status answered after "
	    "%llu ms\n", (unsigned long long)repair_ms,
	    (unsigned long long)status_ms);
	assert_true(jtrue(r, NULL, "ok"));
	assert_true(jnum(r, "counters", "writes") >= 2);
	cJSON_Delete(r);
	/* No write attempt failed (EMFILE or anything else). */
	assert_int_equal(trace_count(fx, "HostsWriteAttempt", NULL), 0);
	for (i = 0; i < CROWD; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(fds);
}

static void
daemon_network_change_in_a_namespace_triggers_a_pass(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[512];
	uint64_t	 end;

	snprintf(fx->netns, sizeof(fx->netns), "dwtest%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s 2>/dev/null", fx->netns);
	if (geteuid() != 0 || system(cmd) != 0) {
		fx->netns[0] = '\0';
		print_message("SKIPPED: cannot create a network namespace here "
		    "(needs root and CAP_SYS_ADMIN); the netlink test did not run\n");
		skipped = 1;
		skip();
	}
	start(fx, false);
	wait_ready(fx);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link add dw0 type veth "
	    "peer name dw1 && ip netns exec %s ip addr add 192.0.2.1/24 dev dw0 "
	    "&& ip netns exec %s ip link set dw1 up && ip netns exec %s ip link "
	    "set dw0 up", fx->netns, fx->netns, fx->netns, fx->netns);
	assert_int_equal(system(cmd), 0);
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end && trace_count(fx, "ReconcileStart",
	    "\"trigger\":\"network\"") == 0)
		pause_ms(20);
	if (trace_count(fx, "ReconcileStart", "\"trigger\":\"network\"") == 0) {
		char *all = tu_slurp(fx->trace, NULL);

		fail_msg("no network pass; the trace was:\n%s", all);
	}
}

static void
daemon_vpn_adapter_coming_up_is_rechecked_after_settling(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[512];
	uint64_t	 end;

	snprintf(fx->netns, sizeof(fx->netns), "dwvpn%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s 2>/dev/null", fx->netns);
	if (geteuid() != 0 || system(cmd) != 0) {
		fx->netns[0] = '\0';
		print_message("SKIPPED: cannot create a network namespace here "
		    "(needs root and CAP_SYS_ADMIN); the VPN test did not run\n");
		skipped = 1;
		skip();
	}
	/* Short settle re-checks for the test; "tun" is a default prefix. */
	write_config(fx, "desired.json", "",
	    ",\"vpn\":{\"settle_ms\":[300,900]}");
	start(fx, false);
	wait_ready(fx);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link add tundw0 type veth "
	    "peer name dw1 && ip netns exec %s ip link set dw1 up && "
	    "ip netns exec %s ip link set tundw0 up", fx->netns, fx->netns,
	    fx->netns);
	assert_int_equal(system(cmd), 0);
	end = now_ms() + DEADLINE_MS;
	while (now_ms() < end && trace_count(fx, "ReconcileStart",
	    "\"trigger\":\"vpn-settle\"") < 2)
		pause_ms(20);
	assert_true(trace_count(fx, "ReconcileStart",
	    "\"trigger\":\"vpn\"") >= 1);
	assert_int_equal(trace_count(fx, "ReconcileStart",
	    "\"trigger\":\"vpn-settle\""), 2);
}

static void
daemon_appender_loses_no_line_while_passes_rewrite(void **state)
{
	struct fx		*fx = *state;
	struct tu_appender	 ap;
	unsigned long		 appended;
	unsigned		 i;
	char			 cfg[512];
	cJSON			*r;

	/* A 1 ms quiet window: passes follow the appender's every line. */
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"trace.jsonl\"},\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":1,\"max_delay_ms\":50}}", fx->sock);
	tu_put(fx->config, cfg, strlen(cfg));
	start(fx, false);
	wait_ready(fx);
	tu_appender_start(&ap, fx->hosts);
	for (i = 0; i < 10; i++) {
		/* A new desired state: the next pass rewrites the section. */
		tu_put(fx->desired, i % 2 == 0 ? DESIRED_TWO : DESIRED_ONE,
		    strlen(i % 2 == 0 ? DESIRED_TWO : DESIRED_ONE));
		wait_hosts(fx, i % 2 == 0 ? "100.64.0.8 test.coder\n" :
		    "100.64.0.7 build.coder\n", true);
	}
	appended = tu_appender_stop(&ap);
	r = wait_idle(fx);
	cJSON_Delete(r);
	tu_appended_check(fx->hosts, appended);
	print_message("%lu lines appended while the daemon rewrote the section "
	    "%zu times: none lost, %zu carried\n", appended,
	    trace_count(fx, "HostsWriteSucceeded", NULL),
	    trace_count(fx, "HostsCarried", NULL));
	assert_true(trace_count(fx, "HostsWriteSucceeded", NULL) >= 11);
}

/* -- Follow mode -------------------------------------------------------- */

#define FOLLOW_SECTION	"# DwTestHostsStart\n100.64.0.10 dev.dwt\n" \
	"# DwTestHostsEnd\n"

/* A follow-mode config: the tunnel "dwt", its adapter dwtun0. */
static void
write_follow_config(struct fx *fx)
{
	char	 cfg[1024];

	snprintf(cfg, sizeof(cfg), "{\"follow\":{\"tunnel\":{\"name\":\"dwt\","
	    "\"record_key\":\"SOFTWARE\\\\DwTest\",\"begin_marker\":"
	    "\"# DwTestHostsStart\",\"end_marker\":\"# DwTestHostsEnd\","
	    "\"adapter_name\":\"dwtun0\"},\"state\":\"follow.json\"},"
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":100,\"max_delay_ms\":500}}", fx->sock);
	tu_put(fx->config, cfg, strlen(cfg));
}

/* Runs cmd in fx's namespace; asserts it worked. */
static void
in_netns(struct fx *fx, const char *cmd)
{
	char	 full[512];

	snprintf(full, sizeof(full), "ip netns exec %s %s", fx->netns, cmd);
	assert_int_equal(system(full), 0);
}

/* Waits until the trace has at least n of event (with also). */
static void
wait_trace(struct fx *fx, const char *event, const char *also, size_t n)
{
	uint64_t	 end = now_ms() + DEADLINE_MS;

	while (now_ms() < end && trace_count(fx, event, also) < n)
		pause_ms(10);
	if (trace_count(fx, event, also) < n) {
		char *all = tu_slurp(fx->trace, NULL);

		fail_msg("no %zu %s %s; the trace was:\n%s", n, event,
		    also != NULL ? also : "", all);
	}
}

/* Replaces the hosts file the way a tunnel does: a new file renamed over. */
static void
put_hosts(struct fx *fx, const char *s)
{
	char	 tmp[160];

	snprintf(tmp, sizeof(tmp), "%s.new", fx->hosts);
	tu_put(tmp, s, strlen(s));
	assert_int_equal(rename(tmp, fx->hosts), 0);
}

static void
daemon_follow_learns_restores_and_stands_down(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[512], state_file[160], *learned;
	size_t		 drifts;
	cJSON		*r;

	snprintf(fx->netns, sizeof(fx->netns), "dwfol%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s 2>/dev/null", fx->netns);
	if (geteuid() != 0 || system(cmd) != 0) {
		fx->netns[0] = '\0';
		print_message("SKIPPED: cannot create a network namespace here "
		    "(needs root and CAP_SYS_ADMIN); the follow test did not "
		    "run\n");
		skipped = 1;
		skip();
	}
	in_netns(fx, "ip link add dwtun0 type veth peer name dwtun0p");
	in_netns(fx, "ip link set dwtun0 up");
	snprintf(state_file, sizeof(state_file), "%s/follow.json", fx->dir);
	write_follow_config(fx);
	put_hosts(fx, HOSTS_FOREIGN FOLLOW_SECTION);
	start(fx, false);
	wait_ready(fx);

	/* Learned as it stands; the file is left byte for byte. */
	wait_trace(fx, "FollowLearned", "\"host_lines\":1", 1);
	learned = tu_slurp(state_file, NULL);
	assert_non_null(learned);
	assert_non_null(strstr(learned, "100.64.0.10 dev.dwt\\n"));
	free(learned);
	learned = tu_slurp(fx->hosts, NULL);
	assert_string_equal(learned, HOSTS_FOREIGN FOLLOW_SECTION);
	free(learned);
	r = wait_idle(fx);
	assert_true(jtrue(r, "follow", "alive"));
	assert_true(jtrue(r, "follow", "learned"));
	assert_int_equal(jnum(r, "follow", "host_lines"), 1);
	cJSON_Delete(r);

	/* Wiped, with another program's line: put back, the line kept. */
	put_hosts(fx, HOSTS_FOREIGN "10.1.2.3 portal.example\n");
	wait_hosts(fx, "100.64.0.10 dev.dwt\n", true);
	wait_trace(fx, "FollowRestored", "\"hosts_written\":true", 1);
	learned = tu_slurp(fx->hosts, NULL);
	assert_string_equal(learned, HOSTS_FOREIGN "10.1.2.3 portal.example\n"
	    FOLLOW_SECTION);
	free(learned);

	/* The tunnel adds a workspace: learned, not reverted. */
	put_hosts(fx, HOSTS_FOREIGN "# DwTestHostsStart\n100.64.0.10 dev.dwt\n"
	    "100.64.0.12 new.dwt\n# DwTestHostsEnd\n");
	wait_trace(fx, "FollowLearned", "\"host_lines\":2", 1);
	r = wait_idle(fx);
	cJSON_Delete(r);
	assert_true(hosts_has(fx, "100.64.0.12 new.dwt\n"));

	/* A restart keeps what was learned: wiped while it was down, put
	 * back by the new daemon's first pass, with the workspace. */
	assert_int_equal(stop(fx), 0);
	put_hosts(fx, HOSTS_FOREIGN);
	start(fx, false);
	wait_hosts(fx, "100.64.0.12 new.dwt\n", true);

	/* The tunnel stops (its adapter goes): nothing is put back. */
	in_netns(fx, "ip link del dwtun0");
	drifts = trace_count(fx, "ReconcileStart", "\"trigger\":\"drift\"");
	put_hosts(fx, HOSTS_FOREIGN);
	wait_trace(fx, "ReconcileStart", "\"trigger\":\"drift\"", drifts + 1);
	wait_trace(fx, "FollowStoodDown", "\"reason\":\"adapter gone\"", 1);
	r = wait_idle(fx);
	assert_false(jtrue(r, "follow", "alive"));
	assert_string_equal(jstr(r, "follow", "standing_down"), "adapter gone");
	cJSON_Delete(r);
	assert_false(hosts_has(fx, "DwTestHostsStart"));
	/* What was learned is kept until forget_after_ms. */
	learned = tu_slurp(state_file, NULL);
	assert_non_null(learned);
	assert_non_null(strstr(learned, "new.dwt"));
	free(learned);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(daemon_start_pass_writes_the_section_then_stops_cleanly),
		T(daemon_own_write_does_not_trigger_a_pass),
		T(daemon_repairs_drift_within_the_quiet_window),
		T(daemon_storm_of_edits_gives_a_handful_of_passes),
		T(daemon_invalid_desired_state_keeps_the_last_good_one),
		T(daemon_failing_write_backs_off_while_status_answers),
		T(daemon_slow_retry_names_the_pass_that_gave_up),
		T(daemon_reconcile_command_waits_for_the_pass),
		T(daemon_sighup_reloads_the_config),
		T(daemon_verifies_after_a_write_and_after_a_resync),
		T(daemon_fifo_trace_path_is_refused_and_the_socket_comes_up),
		T(daemon_sighup_reopens_a_moved_trace_file),
		T(daemon_reload_reopens_a_removed_trace_file),
		T(daemon_rotates_the_trace_past_max_bytes),
		T(daemon_trace_write_errors_are_counted_in_status),
		T(daemon_backs_off_from_a_fight_and_says_so),
		T(daemon_answers_and_repairs_under_a_crowd_of_idle_clients),
		T(daemon_appender_loses_no_line_while_passes_rewrite),
		T(daemon_network_change_in_a_namespace_triggers_a_pass),
		T(daemon_vpn_adapter_coming_up_is_rechecked_after_settling),
		T(daemon_follow_learns_restores_and_stands_down),
#undef T
	};

	int	 rc = cmocka_run_group_tests(tests, NULL, NULL);

	/* Everything else passed but something could not run: not a pass. */
	return rc == 0 && skipped ? SKIP_EXIT : rc;
}
