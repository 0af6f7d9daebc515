/*
 * Integration tests of `dnswatchdog doctor`: the built binary on temp
 * files. The hosts part of the report (the section's state, its entries,
 * the processes that hold the file, found through /proc), the adapters
 * recognised as VPNs, the verdict and the exit code, and the support
 * bundle, listed and unpacked by tar and unzip.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "testutil.h"

extern char **environ;

#define RUN_DEADLINE_MS	20000u	/* a run still going then has hung */
#define DEADLINE_MS	8000u	/* a condition not met by then fails */
#define HOLDER_NAME	"dw-holder"	/* the comm of the holding child */
#define TRACE_OLD	12000u	/* lines in trace.jsonl.1 */
#define TRACE_CUR	3000u	/* lines in trace.jsonl */
#define BUNDLE_EVENTS	10000u

#define BEGIN	"# DnsWatchdogSectionStart\n"
#define END	"# DnsWatchdogSectionEnd\n"
#define FOREIGN	"127.0.0.1 localhost\n::1 localhost\n"
#define SECTION	BEGIN \
	"# This section is managed by dnswatchdog. Do not edit it by hand.\n" \
	"100.64.0.7 build.coder\n" \
	"\n" \
	"fd60:627a:a42b::10 alice-ws.coder\n" END
#define DESIRED_TWO \
	"{\"version\":1,\"hosts\":[{\"address\":\"100.64.0.7\"," \
	"\"names\":[\"build.coder\"]},{\"address\":\"fd60:627a:a42b::10\"," \
	"\"names\":[\"alice-ws.coder\"]}]}"
#define DESIRED_EMPTY	"{\"version\":1}"

struct fx {
	char	 dir[64];
	char	 config[128];
	char	 desired[128];
	char	 hosts[128];
	char	 trace[128];
	char	 sock[128];
	char	 log[128];
	char	*out;	/* stdout of the last run */
	char	*err;	/* stderr of the last run */
	cJSON	*report;	/* the last doctor --json, parsed */
	pid_t	 daemon;	/* a running `dnswatchdog run`, or 0 */
	pid_t	 holder;	/* a child that holds the hosts file, or 0 */
	int	 holder_go;	/* its end of the pipe that lets it go */
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
	struct timespec	 ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A config for the test folder; extra goes at the top level (after a
 * comma). */
static void
write_config(struct fx *fx, const char *extra)
{
	char	 cfg[1024];

	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":"
	    "\"trace.jsonl\"},\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":100,\"max_delay_ms\":500}%s}", fx->sock,
	    extra);
	tu_put(fx->config, cfg, strlen(cfg));
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-doctor-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s/config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s/desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s/trace.jsonl", fx->dir);
	snprintf(fx->sock, sizeof(fx->sock), "%s/ctl.sock", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/daemon.log", fx->dir);
	write_config(fx, "");
	tu_put(fx->desired, DESIRED_TWO, strlen(DESIRED_TWO));
	tu_put(fx->hosts, FOREIGN, strlen(FOREIGN));
	fx->holder_go = -1;
	*state = fx;
	return 0;
}

static void
holder_stop(struct fx *fx)
{
	if (fx->holder <= 0)
		return;
	close(fx->holder_go);
	fx->holder_go = -1;
	assert_int_equal(waitpid(fx->holder, NULL, 0), fx->holder);
	fx->holder = 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[256];

	if (fx->holder > 0) {
		kill(fx->holder, SIGKILL);
		waitpid(fx->holder, NULL, 0);
		close(fx->holder_go);
	}
	if (fx->daemon > 0) {
		kill(fx->daemon, SIGKILL);
		waitpid(fx->daemon, NULL, 0);
	}
	/* The bundle tests unpack into subfolders. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", fx->dir);
	cJSON_Delete(fx->report);
	free(fx->out);
	free(fx->err);
	free(fx);
	return 0;
}

/* Waits for pid to exit; past RUN_DEADLINE_MS it is killed and the test
 * fails. */
static int
wait_exit(pid_t pid)
{
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
		pause_ms(5);
	}
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Runs the binary with --config and args (NULL-terminated); returns its
 * exit code, with its output in fx->out and fx->err. */
static int
run(struct fx *fx, ...)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[16], outp[160], errp[160];
	va_list				 ap;
	pid_t				 pid;
	int				 n = 0, rc;

	argv[n++] = (char *)DW_BINARY;
	argv[n++] = (char *)"--config";
	argv[n++] = fx->config;
	va_start(ap, fx);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	snprintf(outp, sizeof(outp), "%s/.stdout", fx->dir);
	snprintf(errp, sizeof(errp), "%s/.stderr", fx->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errp,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, DW_BINARY, &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	rc = wait_exit(pid);
	free(fx->out);
	free(fx->err);
	fx->out = tu_slurp(outp, NULL);
	fx->err = tu_slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	return rc;
}

/* Runs doctor --json; returns its exit code, the report in fx->report
 * (checked to be one JSON object with the verdict its findings say). */
static int
doctor(struct fx *fx)
{
	const cJSON	*f, *sev;
	const char	*want = "ok";
	int		 rc;

	rc = run(fx, "doctor", "--json", NULL);
	cJSON_Delete(fx->report);
	fx->report = cJSON_Parse(fx->out);
	if (fx->report == NULL)
		fail_msg("doctor --json printed no JSON: %s / %s", fx->out,
		    fx->err);
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "findings")) {
		sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
		assert_true(cJSON_IsString(sev));
		if (strcmp(sev->valuestring, "error") == 0)
			want = "broken";
		else if (strcmp(sev->valuestring, "warning") == 0 &&
		    strcmp(want, "ok") == 0)
			want = "degraded";
	}
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    fx->report, "verdict")), want);
	assert_int_equal(rc, strcmp(want, "ok") == 0 ? 0 : 1);
	return rc;
}

static const cJSON *
hosts_obj(struct fx *fx)
{
	const cJSON	*h = cJSON_GetObjectItemCaseSensitive(fx->report,
			    "hosts");

	assert_true(cJSON_IsObject(h));
	return h;
}

static const char *
hstr(struct fx *fx, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(hosts_obj(fx),
			    key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double
hnum(struct fx *fx, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(hosts_obj(fx),
			    key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/* The finding with code, or NULL; *n (optional) counts them. */
static const cJSON *
finding(struct fx *fx, const char *code, size_t *n)
{
	const cJSON	*f, *c, *found = NULL;

	if (n != NULL)
		*n = 0;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "findings")) {
		c = cJSON_GetObjectItemCaseSensitive(f, "code");
		if (cJSON_IsString(c) && strcmp(c->valuestring, code) == 0) {
			if (found == NULL)
				found = f;
			if (n != NULL)
				(*n)++;
		}
	}
	return found;
}

static const char *
fstr(const cJSON *f, const char *key)
{
	assert_non_null(f);
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, key));
}

/* No finding of the hosts part (code "hosts-..."). */
static void
no_hosts_findings(struct fx *fx)
{
	const cJSON	*f;
	const char	*c;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "findings")) {
		c = fstr(f, "code");
		if (strncmp(c, "hosts-", 6) == 0)
			fail_msg("unexpected finding %s: %s", c,
			    fstr(f, "message"));
	}
}

static void
put_hosts(struct fx *fx, const char *s)
{
	tu_put(fx->hosts, s, strlen(s));
}

static void
doctor_absent_section_with_entries_wanted_is_missing(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*f;
	size_t		 n;

	assert_int_equal(doctor(fx), 1);
	assert_string_equal(hstr(fx, "path"), fx->hosts);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "managed")));
	assert_string_equal(hstr(fx, "section"), "absent");
	assert_int_equal(hnum(fx, "entries"), 0);
	assert_int_equal(hnum(fx, "sections"), 0);
	assert_int_equal(hnum(fx, "bytes"), strlen(FOREIGN));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "locked_by")));
	f = finding(fx, "hosts-section-missing", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fstr(f, "severity"), "error");
	assert_non_null(strstr(fstr(f, "message"), fx->hosts));
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(fx->report, "verdict")),
	    "broken");
	/* Nothing wanted: an absent section is as it should be. */
	tu_put(fx->desired, DESIRED_EMPTY, strlen(DESIRED_EMPTY));
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "absent");
	no_hosts_findings(fx);
}

static void
doctor_complete_section_counts_its_address_lines(void **state)
{
	struct fx	*fx = *state;

	put_hosts(fx, FOREIGN SECTION "10.9.9.9 after.example\n");
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "complete");
	assert_int_equal(hnum(fx, "sections"), 1);
	assert_int_equal(hnum(fx, "lone_markers"), 0);
	/* Two address lines; the comment, the blank line and the foreign
	 * line after the section are not entries. */
	assert_int_equal(hnum(fx, "entries"), 2);
	no_hosts_findings(fx);
}

static void
doctor_duplicated_section_is_a_warning(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*f;
	size_t		 n;

	put_hosts(fx, FOREIGN SECTION "10.9.9.9 between.example\n" SECTION);
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "duplicated");
	assert_int_equal(hnum(fx, "sections"), 2);
	assert_int_equal(hnum(fx, "entries"), 0);
	f = finding(fx, "hosts-section-duplicated", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fstr(f, "severity"), "warning");
	assert_non_null(strstr(fstr(f, "message"), "2 complete sections"));
	assert_null(finding(fx, "hosts-section-missing", NULL));
	assert_null(finding(fx, "hosts-section-broken", NULL));
}

static void
doctor_lone_marker_is_a_broken_section(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*f;
	size_t		 n;

	put_hosts(fx, FOREIGN BEGIN "100.64.0.7 build.coder\n");
	assert_int_equal(doctor(fx), 1);
	assert_string_equal(hstr(fx, "section"), "broken");
	assert_int_equal(hnum(fx, "lone_markers"), 1);
	assert_int_equal(hnum(fx, "sections"), 0);
	f = finding(fx, "hosts-section-broken", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fstr(f, "severity"), "error");
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(fx->report, "verdict")),
	    "broken");
	/* An end marker before a complete section: broken too, not
	 * complete. */
	put_hosts(fx, FOREIGN END SECTION);
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "broken");
	assert_int_equal(hnum(fx, "sections"), 1);
	assert_int_equal(hnum(fx, "lone_markers"), 1);
	assert_non_null(finding(fx, "hosts-section-broken", NULL));
}

static void
doctor_unmanaged_hosts_file_has_no_findings(void **state)
{
	struct fx	*fx = *state;
	char		 cfg[512];

	/* hosts.enabled false: neither the section the desired state asks
	 * for nor a broken one is doctor's business. */
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"enabled\":false,\"path\":\"hosts\"},"
	    "\"control\":{\"socket\":\"%s\"}}", fx->sock);
	tu_put(fx->config, cfg, strlen(cfg));
	put_hosts(fx, FOREIGN BEGIN);
	doctor(fx);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "managed")));
	/* The fixed fields stand, saying nothing was looked at. */
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(hosts_obj(fx), "section")),
	    "absent");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "locked_by")));
	no_hosts_findings(fx);
}

static void
doctor_unreadable_hosts_file_is_an_error(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*f;

	unlink(fx->hosts);
	assert_int_equal(mkdir(fx->hosts, 0700), 0);
	assert_int_equal(doctor(fx), 1);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "readable")));
	f = finding(fx, "hosts-unreadable", NULL);
	assert_string_equal(fstr(f, "severity"), "error");
	assert_non_null(strstr(fstr(f, "message"), fx->hosts));
	assert_int_equal(rmdir(fx->hosts), 0);
}

static void
doctor_bad_config_exits_2(void **state)
{
	struct fx	*fx = *state;

	tu_put(fx->config, "{\"hosts\":{\"bogus\":1}}", 21);
	assert_int_equal(run(fx, "doctor", "--json", NULL), 2);
	assert_non_null(strstr(fx->err, "bogus"));
	assert_string_equal(fx->out, "");
}

static void
doctor_follow_mode_misses_the_learned_section(void **state)
{
	struct fx	*fx = *state;
	char		 cfg[512];
	const cJSON	*f;

	/* Follow mode: what `once` learned from the tunnel's section is what
	 * doctor expects to find. */
	snprintf(cfg, sizeof(cfg), "{\"follow\":{\"tunnel\":\"coder\","
	    "\"state\":\"learned.json\",\"require_adapter\":false},"
	    "\"hosts\":{\"path\":\"hosts\"},\"control\":{\"socket\":"
	    "\"%s\"}}", fx->sock);
	tu_put(fx->config, cfg, strlen(cfg));
	/* Nothing learned yet: no guess. */
	put_hosts(fx, FOREIGN);
	doctor(fx);
	no_hosts_findings(fx);
	put_hosts(fx, FOREIGN "# CoderHostsSectionStart\n"
	    "100.64.0.9 ws.coder\n# CoderHostsSectionEnd\n");
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "complete");
	assert_int_equal(hnum(fx, "entries"), 1);
	no_hosts_findings(fx);
	assert_int_equal(run(fx, "once", NULL), 0);
	put_hosts(fx, FOREIGN);
	doctor(fx);
	assert_string_equal(hstr(fx, "section"), "absent");
	f = finding(fx, "hosts-section-missing", NULL);
	assert_string_equal(fstr(f, "severity"), "error");
	assert_non_null(strstr(fstr(f, "message"), "learned"));
}

/* Forks a child that opens the hosts file, says so on a pipe, and holds
 * it until its other pipe closes. */
static void
holder_start(struct fx *fx)
{
	int	 ready[2], go[2], fd;
	char	 c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	fx->holder = fork();
	assert_true(fx->holder >= 0);
	if (fx->holder == 0) {
		close(ready[0]);
		close(go[1]);
		prctl(PR_SET_NAME, HOLDER_NAME, 0, 0, 0);
		if ((fd = open(fx->hosts, O_RDONLY)) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	fx->holder_go = go[1];
	fcntl(go[1], F_SETFD, FD_CLOEXEC);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

static void
doctor_names_the_process_that_holds_the_file(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*by, *h, *f;
	char		 want[64];

	put_hosts(fx, FOREIGN SECTION);
	doctor(fx);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "locked_by")));
	assert_null(finding(fx, "hosts-locked", NULL));
	holder_start(fx);
	doctor(fx);
	by = cJSON_GetObjectItemCaseSensitive(hosts_obj(fx), "locked_by");
	assert_true(cJSON_IsObject(by));
	assert_int_equal(cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(by, "pid")), fx->holder);
	assert_string_equal(fstr(by, "process"), HOLDER_NAME);
	h = cJSON_GetObjectItemCaseSensitive(hosts_obj(fx), "holders");
	assert_int_equal(cJSON_GetArraySize(h), 1);
	assert_string_equal(hstr(fx, "holders_method"), "proc");
	f = finding(fx, "hosts-locked", NULL);
	assert_string_equal(fstr(f, "severity"), "warning");
	snprintf(want, sizeof(want), HOLDER_NAME " (PID %ld) holds it open",
	    (long)fx->holder);
	assert_non_null(strstr(fstr(f, "message"), want));
	/* Gone, and so is the finding. */
	holder_stop(fx);
	doctor(fx);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "locked_by")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    hosts_obj(fx), "holders")), 0);
	assert_null(finding(fx, "hosts-locked", NULL));
}

/* Starts `dnswatchdog run` on the test's config and waits until it
 * answers doctor (no daemon-not-running finding). */
static void
daemon_start(struct fx *fx)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[] = { (char *)DW_BINARY,
					    (char *)"--config", fx->config,
					    (char *)"run", NULL };
	uint64_t			 end;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, fx->log,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	assert_int_equal(posix_spawn(&fx->daemon, DW_BINARY, &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	for (end = now_ms() + DEADLINE_MS; now_ms() < end; pause_ms(20)) {
		doctor(fx);
		if (finding(fx, "daemon-not-running", NULL) == NULL)
			return;
	}
	fail_msg("the daemon did not answer; its log is %s", fx->log);
}

static void
doctor_ok_exits_0_and_a_held_file_degrades_it(void **state)
{
	struct fx	*fx = *state;
	const cJSON	*a, *lo = NULL, *f;
	size_t		 n;

	/* Nothing wanted, nothing held, a daemon running: ok. The loopback
	 * interface is made a VPN by its prefix: an info finding, which
	 * changes no verdict. */
	tu_put(fx->desired, DESIRED_EMPTY, strlen(DESIRED_EMPTY));
	write_config(fx, ",\"vpn\":{\"adapter_prefixes\":[\"lo\"]}");
	daemon_start(fx);
	assert_int_equal(doctor(fx), 0);
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(fx->report, "verdict")), "ok");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(fx->report,
	    "adapters")) {
		if (strcmp(fstr(a, "name"), "lo") == 0)
			lo = a;
		else
			assert_false(cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(a, "vpn")));
	}
	assert_non_null(lo);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lo, "vpn")));
	assert_string_equal(fstr(lo, "description"), "lo");
	f = finding(fx, "vpn-adapter", &n);
	assert_int_equal(n, 1);
	assert_string_equal(fstr(f, "severity"), "info");
	assert_non_null(strstr(fstr(f, "message"), "lo (lo, "));
	/* A process holding the file: a warning, degraded, exit 1. */
	holder_start(fx);
	assert_int_equal(doctor(fx), 1);
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(fx->report, "verdict")),
	    "degraded");
	assert_non_null(finding(fx, "hosts-locked", NULL));
	holder_stop(fx);
	assert_int_equal(doctor(fx), 0);
}

/* Lines in a file (each ends in a newline), and its first and last. */
static size_t
lines(const char *path, char *first, char *last, size_t size)
{
	char	*all = tu_slurp(path, NULL), *p, *nl;
	size_t	 n = 0;

	assert_non_null(all);
	for (p = all; *p != '\0'; p = nl + 1) {
		assert_non_null(nl = strchr(p, '\n'));
		*nl = '\0';
		if (n == 0)
			snprintf(first, size, "%s", p);
		snprintf(last, size, "%s", p);
		n++;
	}
	free(all);
	return n;
}

static void
write_trace(const char *path, const char *tag, unsigned n, const char *tail)
{
	FILE		*f = fopen(path, "w");
	unsigned	 i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fprintf(f, "{\"event\":\"%s\",\"n\":%u}\n", tag, i);
	fputs(tail, f);
	assert_int_equal(fclose(f), 0);
}

/* The unpacked bundle in dir: its members, the report and the trace. */
static void
bundle_check(struct fx *fx, const char *dir)
{
	static const char *const always[] = { "README.txt", "doctor.json",
	    "config.json", "desired.json", "trace.jsonl", "hosts",
	    "adapters.json" };
	char		 p[256], first[128], last[128], *s;
	cJSON		*r;
	size_t		 i;

	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, always[i]);
		if (access(p, R_OK) != 0)
			fail_msg("the bundle lacks %s", always[i]);
	}
	snprintf(p, sizeof(p), "%s/doctor.json", dir);
	s = tu_slurp(p, NULL);
	assert_non_null(r = cJSON_Parse(s));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(r, "hosts"), "section")),
	    "complete");
	cJSON_Delete(r);
	free(s);
	snprintf(p, sizeof(p), "%s/adapters.json", dir);
	s = tu_slurp(p, NULL);
	assert_non_null(r = cJSON_Parse(s));
	assert_true(cJSON_IsArray(r));
	cJSON_Delete(r);
	free(s);
	/* The last 10,000 events: the current file's 3,000 after the
	 * rotated file's last 7,000; the torn last line is left out. */
	snprintf(p, sizeof(p), "%s/trace.jsonl", dir);
	assert_int_equal(lines(p, first, last, sizeof(first)), BUNDLE_EVENTS);
	assert_string_equal(first, "{\"event\":\"Old\",\"n\":5000}");
	assert_string_equal(last, "{\"event\":\"New\",\"n\":2999}");
	snprintf(p, sizeof(p), "%s/hosts", dir);
	s = tu_slurp(p, NULL);
	assert_string_equal(s, FOREIGN SECTION);
	free(s);
	snprintf(p, sizeof(p), "%s/config.json", dir);
	s = tu_slurp(p, NULL);
	assert_non_null(strstr(s, "\"desired_state\""));
	free(s);
	snprintf(p, sizeof(p), "%s/README.txt", dir);
	s = tu_slurp(p, NULL);
	assert_non_null(strstr(s, "10000 events (7000 from"));
	free(s);
	(void)fx;
}

/* The member names of a listing (one a line), checked against the only
 * ones a bundle may hold. */
static void
names_check(const char *listing)
{
	static const char *const allowed[] = { "README.txt", "doctor.json",
	    "config.json", "desired.json", "trace.jsonl", "nrpt.json", "hosts",
	    "adapters.json" };
	char		*all = strdup(listing), *line, *save = NULL;
	size_t		 i, n = 0;
	bool		 ok;

	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (ok = false, i = 0; i < sizeof(allowed) /
		    sizeof(allowed[0]); i++)
			ok = ok || strcmp(line, allowed[i]) == 0;
		if (!ok)
			fail_msg("the bundle holds %s", line);
		n++;
	}
	assert_true(n >= 7);
	free(all);
}

/* Runs a shell command; its output, malloc'd. */
static char *
sh(struct fx *fx, const char *cmd)
{
	char	 full[1024], out[160];
	char	*s;

	snprintf(out, sizeof(out), "%s/.sh", fx->dir);
	snprintf(full, sizeof(full), "( %s ) > '%s' 2>&1", cmd, out);
	if (system(full) != 0) {
		s = tu_slurp(out, NULL);
		fail_msg("%s failed: %s", cmd, s);
	}
	s = tu_slurp(out, NULL);
	unlink(out);
	return s;
}

static void
doctor_bundle_tar_gz_and_zip_hold_the_report_and_the_last_events(void **state)
{
	struct fx	*fx = *state;
	char		 path[160], cmd[512], rot[160], *s;
	struct stat	 st;

	put_hosts(fx, FOREIGN SECTION);
	snprintf(rot, sizeof(rot), "%s.1", fx->trace);
	write_trace(rot, "Old", TRACE_OLD, "");
	write_trace(fx->trace, "New", TRACE_CUR, "{\"event\":\"Torn");

	snprintf(path, sizeof(path), "%s/b.tar.gz", fx->dir);
	assert_int_equal(run(fx, "doctor", "--bundle", path, NULL), 1);
	assert_non_null(strstr(fx->out, "support bundle written to"));
	snprintf(cmd, sizeof(cmd), "tar -tzf '%s'", path);
	names_check(s = sh(fx, cmd));
	free(s);
	snprintf(cmd, sizeof(cmd), "mkdir '%s/t' && tar -xzf '%s' -C '%s/t'",
	    fx->dir, path, fx->dir);
	free(sh(fx, cmd));
	snprintf(path, sizeof(path), "%s/t", fx->dir);
	bundle_check(fx, path);

	snprintf(path, sizeof(path), "%s/b.zip", fx->dir);
	assert_int_equal(run(fx, "doctor", "--json", "--bundle", path, NULL),
	    1);
	/* With --json, stdout is the report alone. */
	cJSON_Delete(fx->report);
	assert_non_null(fx->report = cJSON_Parse(fx->out));
	snprintf(cmd, sizeof(cmd), "unzip -Z1 '%s'", path);
	names_check(s = sh(fx, cmd));
	free(s);
	snprintf(cmd, sizeof(cmd), "unzip -tq '%s' && unzip -q '%s' -d '%s/z'",
	    path, path, fx->dir);
	free(sh(fx, cmd));
	snprintf(path, sizeof(path), "%s/z", fx->dir);
	bundle_check(fx, path);
	/* Written again over itself: a bundle may replace a bundle. */
	snprintf(path, sizeof(path), "%s/b.zip", fx->dir);
	assert_int_equal(run(fx, "doctor", "--bundle", path, NULL), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_null(strstr(fx->err, "b.zip"));
}

static void
doctor_bundle_refuses_a_bad_name_and_another_file(void **state)
{
	struct fx	*fx = *state;
	char		 path[160], *s;

	/* A name of no archive kind is a usage error, said before any
	 * reading. */
	snprintf(path, sizeof(path), "%s/bundle.tar", fx->dir);
	assert_int_equal(run(fx, "doctor", "--bundle", path, NULL), 64);
	assert_non_null(strstr(fx->err, path));
	assert_non_null(strstr(fx->err, ".zip"));
	assert_non_null(strstr(fx->err, ".tar.gz"));
	assert_int_equal(access(path, F_OK), -1);
	/* A file that is no ZIP is left as it is. */
	snprintf(path, sizeof(path), "%s/notes.zip", fx->dir);
	tu_put(path, "my notes\n", 9);
	assert_int_equal(run(fx, "doctor", "--bundle", path, NULL), 1);
	assert_non_null(strstr(fx->err, "not a ZIP file"));
	s = tu_slurp(path, NULL);
	assert_string_equal(s, "my notes\n");
	free(s);
	/* Nor is a folder replaced. */
	snprintf(path, sizeof(path), "%s/dir.tar.gz", fx->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(run(fx, "doctor", "--bundle", path, NULL), 1);
	assert_non_null(strstr(fx->err, "dir.tar.gz"));
	assert_int_equal(rmdir(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(doctor_absent_section_with_entries_wanted_is_missing),
		T(doctor_complete_section_counts_its_address_lines),
		T(doctor_duplicated_section_is_a_warning),
		T(doctor_lone_marker_is_a_broken_section),
		T(doctor_unmanaged_hosts_file_has_no_findings),
		T(doctor_unreadable_hosts_file_is_an_error),
		T(doctor_bad_config_exits_2),
		T(doctor_follow_mode_misses_the_learned_section),
		T(doctor_names_the_process_that_holds_the_file),
		T(doctor_ok_exits_0_and_a_held_file_degrades_it),
		T(doctor_bundle_tar_gz_and_zip_hold_the_report_and_the_last_events),
		T(doctor_bundle_refuses_a_bad_name_and_another_file),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
