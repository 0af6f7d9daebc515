/*
 * Tests for runtime/sources_linux.c and sources.c: real inotify and
 * rtnetlink events through the real loop. Nothing sleeps: each wait runs
 * the loop until the awaited event arrives, under a deadline timer that
 * fails the test. "Does not reach the callback" is checked by ordering:
 * the ignored edits happen first, then one that must be reported; inotify
 * queues in order, so anything the ignored edits caused arrives before it.
 *
 * The netlink test runs in a forked child inside a network namespace of
 * its own (a user namespace too when not privileged), creates interfaces
 * with iproute2 and writes what the callback saw to a pipe; the parent
 * checks it. The bind-mount test does the same in a mount namespace.
 * Without namespaces they are skipped, saying so.
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "sources.h"

#define EVENTS_MAX		256u
#define DETAIL_BYTES		96u
#define PATH_BYTES		512u
#define PATHS			8u	/* fx_at buffers in use at once */
#define DEADLINE_MS		5000u
#define CHILD_DEADLINE_MS	10000u
#define CHILD_ALARM_S		60u	/* a child's last resort */
#define CHILD_OUT_BYTES		(256u << 10)
#define FLOOD_PAIRS		300	/* veth pairs: well over 2 MiB of news */

struct rec {
	enum source_kind kind;
	char		 detail[DETAIL_BYTES];
};

struct fx {
	struct loop		*loop;
	struct loop_timer	*deadline;
	struct sources		*src;
	char			 dir[64];
	char			 paths[PATHS][PATH_BYTES];
	unsigned		 next_path;

	struct rec		 ev[EVENTS_MAX];
	size_t			 n;
	size_t			 cursor;	/* events before it were awaited */
	bool			 waiting;
	enum source_kind	 want_kind;
	const char		*want_detail;
	bool			 timed_out;
	bool			 free_in_cb;	/* the callback frees the sources */
};

static void
fx_record(void *arg, enum source_kind kind, const char *detail)
{
	struct fx	*fx = arg;

	/* The file tests run in the host's namespace, where the network
	 * may change at any time. */
	if (kind == SOURCE_NETWORK || kind == SOURCE_VPN)
		return;
	if (fx->n < EVENTS_MAX) {
		fx->ev[fx->n].kind = kind;
		snprintf(fx->ev[fx->n].detail, DETAIL_BYTES, "%s", detail);
		fx->n++;
	}
	if (fx->free_in_cb) {
		fx->free_in_cb = false;
		sources_free(fx->src);
		fx->src = NULL;
		loop_stop(fx->loop);
		return;
	}
	if (fx->waiting && kind == fx->want_kind &&
	    strcmp(detail, fx->want_detail) == 0)
		loop_stop(fx->loop);
}

static void
fx_deadline(void *arg)
{
	struct fx	*fx = arg;

	fx->timed_out = true;
	loop_stop(fx->loop);
}

/* "<temp folder>/<rel>", in one of a few rotating buffers. */
static const char *
fx_at(struct fx *fx, const char *rel)
{
	char	*p = fx->paths[fx->next_path++ % PATHS];

	snprintf(p, PATH_BYTES, "%s/%s", fx->dir, rel);
	return p;
}

static void
put(const char *path, const char *s)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(s, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	struct dwerr	 err;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-sources-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->loop = loop_new(&err);
	assert_non_null(fx->loop);
	fx->deadline = loop_timer_new(fx->loop, fx_deadline, fx);
	assert_non_null(fx->deadline);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	sources_free(fx->src);
	loop_timer_free(fx->deadline);
	loop_free(fx->loop);
	(void)nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
fx_start(struct fx *fx, const char *hosts, const char *desired)
{
	static const char *const vpn[] = { "dwvpn" };
	struct sources_config	 cfg = { hosts, desired, vpn, 1, NULL };
	struct dwerr		 err;

	fx->src = sources_new(fx->loop, &cfg, fx_record, fx, &err);
	if (fx->src == NULL)
		fail_msg("sources_new: %s", err.msg);
}

static void
fx_print(const struct fx *fx)
{
	size_t	 i;

	for (i = 0; i < fx->n; i++)
		print_message("  event %zu: %s \"%s\"\n", i,
		    sources_kind_name(fx->ev[i].kind), fx->ev[i].detail);
}

/* Runs the loop until kind "detail" arrives (or has arrived) after the
 * events already awaited; fails after DEADLINE_MS. Returns its index. */
static size_t
wait_for(struct fx *fx, enum source_kind kind, const char *detail)
{
	size_t	 i;

	for (;;) {
		for (i = fx->cursor; i < fx->n; i++) {
			if (fx->ev[i].kind == kind &&
			    strcmp(fx->ev[i].detail, detail) == 0) {
				fx->cursor = i + 1;
				return i;
			}
		}
		if (fx->timed_out) {
			fx_print(fx);
			fail_msg("no %s \"%s\" within %u ms",
			    sources_kind_name(kind), detail, DEADLINE_MS);
		}
		fx->waiting = true;
		fx->want_kind = kind;
		fx->want_detail = detail;
		loop_timer_schedule(fx->deadline, DEADLINE_MS);
		assert_int_equal(loop_run(fx->loop), 0);
		loop_timer_cancel(fx->deadline);
		fx->waiting = false;
	}
}

/* Fails unless every event in [from, fx->n) is of kind. */
static void
assert_all_of_kind(const struct fx *fx, size_t from, enum source_kind kind)
{
	size_t	 i;

	for (i = from; i < fx->n; i++) {
		if (fx->ev[i].kind != kind) {
			fx_print(fx);
			fail_msg("event %zu is %s, not %s", i,
			    sources_kind_name(fx->ev[i].kind),
			    sources_kind_name(kind));
		}
	}
}

static size_t
count(const struct fx *fx, enum source_kind kind, const char *detail)
{
	size_t	 i, n = 0;

	for (i = 0; i < fx->n; i++)
		if (fx->ev[i].kind == kind && strcmp(fx->ev[i].detail, detail) == 0)
			n++;
	return n;
}

static void
sources_name_kinds_and_match_vpn_prefixes_case_sensitively(void **state)
{
	static const char *const prefixes[] = { "tun", "", NULL, "wg",
	    "Cisco AnyConnect" };
	struct sources_config	 cfg = { NULL, NULL, prefixes, 5, NULL };
	struct sources_config	 none = { NULL, NULL, NULL, 0, NULL };

	(void)state;
	assert_string_equal(sources_kind_name(SOURCE_NETWORK), "network");
	assert_string_equal(sources_kind_name(SOURCE_VPN), "vpn");
	assert_string_equal(sources_kind_name(SOURCE_HOSTS), "hosts");
	assert_string_equal(sources_kind_name(SOURCE_DESIRED), "desired");
	assert_true(sources_is_vpn(&cfg, "tun0"));
	assert_true(sources_is_vpn(&cfg, "wg-home"));
	assert_true(sources_is_vpn(&cfg, "tun"));
	assert_true(sources_is_vpn(&cfg,
	    "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter"));
	assert_false(sources_is_vpn(&cfg, "Tun0"));
	assert_false(sources_is_vpn(&cfg, "cisco anyconnect"));
	assert_false(sources_is_vpn(&cfg, "eth0"));
	assert_false(sources_is_vpn(&cfg, "tu"));
	assert_false(sources_is_vpn(&cfg, ""));
	assert_false(sources_is_vpn(&cfg, NULL));
	assert_false(sources_is_vpn(&none, "tun0"));
	assert_false(sources_is_vpn(NULL, "tun0"));
	sources_free(NULL);
}

/* Edits name in the fixture folder the four ways a file changes and checks
 * that each reaches the callback as kind, and nothing else does. */
static void
check_edits(struct fx *fx, const char *name, enum source_kind kind)
{
	char	 temp[PATH_BYTES], path[PATH_BYTES];
	size_t	 from = fx->n;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	snprintf(temp, sizeof(temp), "%s/.%s.dnswatchdog-abc123", fx->dir, name);

	put(path, "edited in place\n");
	wait_for(fx, kind, "modified");

	/* Rename-over, the way the writer and most editors save. */
	put(temp, "renamed over\n");
	assert_int_equal(rename(temp, path), 0);
	wait_for(fx, kind, "replaced");

	assert_int_equal(unlink(path), 0);
	wait_for(fx, kind, "deleted");

	put(path, "back again\n");
	wait_for(fx, kind, "created");
	wait_for(fx, kind, "modified");
	assert_all_of_kind(fx, from, kind);
}

static void
sources_report_hosts_edits_as_hosts(void **state)
{
	struct fx	*fx = *state;

	put(fx_at(fx, "hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "desired.json"), "{}\n");
	fx_start(fx, fx_at(fx, "hosts"), fx_at(fx, "desired.json"));
	check_edits(fx, "hosts", SOURCE_HOSTS);
}

static void
sources_report_desired_edits_as_desired(void **state)
{
	struct fx	*fx = *state;

	put(fx_at(fx, "hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "desired.json"), "{}\n");
	fx_start(fx, fx_at(fx, "hosts"), fx_at(fx, "desired.json"));
	check_edits(fx, "desired.json", SOURCE_DESIRED);
}

static void
sources_ignore_other_files_and_writer_temp_files(void **state)
{
	struct fx	*fx = *state;
	size_t		 i;

	put(fx_at(fx, "hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "desired.json"), "{}\n");
	fx_start(fx, fx_at(fx, "hosts"), fx_at(fx, "desired.json"));

	put(fx_at(fx, "other.txt"), "x\n");
	put(fx_at(fx, "hosts.bak"), "x\n");
	put(fx_at(fx, "desired.json~"), "x\n");
	put(fx_at(fx, ".hosts.dnswatchdog-abc123"), "x\n");
	put(fx_at(fx, ".hosts.dnswatchdog-journal"), "x\n");
	assert_int_equal(rename(fx_at(fx, ".hosts.dnswatchdog-abc123"),
	    fx_at(fx, "hosts.old")), 0);
	assert_int_equal(chmod(fx_at(fx, "other.txt"), 0600), 0);
	assert_int_equal(unlink(fx_at(fx, "other.txt")), 0);
	assert_int_equal(unlink(fx_at(fx, ".hosts.dnswatchdog-journal")), 0);
	assert_int_equal(mkdir(fx_at(fx, "hosts.d"), 0700), 0);
	assert_int_equal(rmdir(fx_at(fx, "hosts.d")), 0);

	/* The one edit that counts comes last. */
	put(fx_at(fx, "desired.json"), "{ \"v\": 2 }\n");
	i = wait_for(fx, SOURCE_DESIRED, "modified");
	if (i != 0 || fx->n != 1) {
		fx_print(fx);
		fail_msg("other files reached the callback");
	}
}

static void
sources_follow_a_hosts_link_to_its_target_and_retarget(void **state)
{
	struct fx	*fx = *state;
	size_t		 from;

	assert_int_equal(mkdir(fx_at(fx, "etc"), 0700), 0);
	assert_int_equal(mkdir(fx_at(fx, "real"), 0700), 0);
	assert_int_equal(mkdir(fx_at(fx, "real2"), 0700), 0);
	put(fx_at(fx, "real/hosts.real"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "real2/hosts.other"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "etc/desired.json"), "{}\n");
	assert_int_equal(symlink("../real/hosts.real", fx_at(fx, "etc/hosts")),
	    0);
	fx_start(fx, fx_at(fx, "etc/hosts"), fx_at(fx, "etc/desired.json"));

	/* Written through its real path, in a folder of its own. */
	put(fx_at(fx, "real/hosts.real"), "edited\n");
	wait_for(fx, SOURCE_HOSTS, "modified");
	put(fx_at(fx, "real/.hosts.real.dnswatchdog-abc123"), "renamed over\n");
	assert_int_equal(rename(fx_at(fx, "real/.hosts.real.dnswatchdog-abc123"),
	    fx_at(fx, "real/hosts.real")), 0);
	wait_for(fx, SOURCE_HOSTS, "replaced");

	/* The link is replaced by one pointing elsewhere. */
	assert_int_equal(symlink("../real2/hosts.other",
	    fx_at(fx, "etc/.hosts.dnswatchdog-lnk")), 0);
	assert_int_equal(rename(fx_at(fx, "etc/.hosts.dnswatchdog-lnk"),
	    fx_at(fx, "etc/hosts")), 0);
	wait_for(fx, SOURCE_HOSTS, "replaced");
	put(fx_at(fx, "real2/hosts.other"), "edited\n");
	wait_for(fx, SOURCE_HOSTS, "modified");

	/* The old target no longer counts. */
	from = fx->n;
	put(fx_at(fx, "real/hosts.real"), "not ours any more\n");
	put(fx_at(fx, "etc/desired.json"), "{ \"v\": 2 }\n");
	wait_for(fx, SOURCE_DESIRED, "modified");
	assert_all_of_kind(fx, from, SOURCE_DESIRED);
}

static void
sources_watch_a_deleted_and_recreated_folder_again(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(mkdir(fx_at(fx, "a"), 0700), 0);
	assert_int_equal(mkdir(fx_at(fx, "b"), 0700), 0);
	put(fx_at(fx, "a/hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "b/desired.json"), "{}\n");
	fx_start(fx, fx_at(fx, "a/hosts"), fx_at(fx, "b/desired.json"));

	assert_int_equal(unlink(fx_at(fx, "b/desired.json")), 0);
	wait_for(fx, SOURCE_DESIRED, "deleted");
	assert_int_equal(rmdir(fx_at(fx, "b")), 0);
	wait_for(fx, SOURCE_DESIRED, "folder deleted");

	/* Back while unwatched: the next event of any source watches it. */
	assert_int_equal(mkdir(fx_at(fx, "b"), 0700), 0);
	put(fx_at(fx, "a/hosts"), "edited\n");
	wait_for(fx, SOURCE_HOSTS, "modified");
	put(fx_at(fx, "b/desired.json"), "{}\n");
	wait_for(fx, SOURCE_DESIRED, "created");
	wait_for(fx, SOURCE_DESIRED, "modified");
}

static void
sources_report_a_file_whose_folder_appears_later(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(mkdir(fx_at(fx, "a"), 0700), 0);
	put(fx_at(fx, "a/hosts"), "127.0.0.1 localhost\n");
	/* Folder c does not exist yet: that is no reason to fail. */
	fx_start(fx, fx_at(fx, "a/hosts"), fx_at(fx, "c/desired.json"));

	assert_int_equal(mkdir(fx_at(fx, "c"), 0700), 0);
	put(fx_at(fx, "c/desired.json"), "{}\n");
	put(fx_at(fx, "a/hosts"), "edited\n");
	/* Watching c starts before the hosts event is handled, and finds
	 * the file already there. */
	wait_for(fx, SOURCE_DESIRED, "created");
	wait_for(fx, SOURCE_HOSTS, "modified");
	put(fx_at(fx, "c/desired.json"), "{ \"v\": 2 }\n");
	wait_for(fx, SOURCE_DESIRED, "modified");
}

/* The number at the start of a file; 0 when it cannot be read. */
static long
read_long(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	 line[32];
	long	 v = 0;

	if (fp == NULL)
		return 0;
	if (fgets(line, sizeof(line), fp) != NULL)
		v = strtol(line, NULL, 10);
	fclose(fp);
	return v;
}

static void
sources_report_both_files_once_on_queue_overflow(void **state)
{
	struct fx	*fx = *state;
	const char	*a, *b;
	long		 max = read_long("/proc/sys/fs/inotify/max_queued_events");
	long		 i;

	if (max <= 0 || max > (1L << 20)) {
		print_message("SKIPPED: fs.inotify.max_queued_events is %ld; "
		    "too large to overflow in a test\n", max);
		skip();
	}
	/* A link and its target in one folder: still one report. */
	put(fx_at(fx, "hosts.real"), "127.0.0.1 localhost\n");
	assert_int_equal(symlink("hosts.real", fx_at(fx, "hosts")), 0);
	put(fx_at(fx, "desired.json"), "{}\n");
	a = fx_at(fx, "other1");
	b = fx_at(fx, "other2");
	put(a, "x\n");
	put(b, "x\n");
	fx_start(fx, fx_at(fx, "hosts"), fx_at(fx, "desired.json"));

	/* Alternate files: inotify merges a repeat of the last event. */
	for (i = 0; i < max + 16; i++)
		assert_int_equal(chmod(i % 2 == 0 ? a : b,
		    i % 4 < 2 ? 0600 : 0644), 0);
	wait_for(fx, SOURCE_HOSTS, "overflow");
	wait_for(fx, SOURCE_DESIRED, "overflow");
	put(fx_at(fx, "hosts.real"), "edited\n");
	wait_for(fx, SOURCE_HOSTS, "modified");
	assert_int_equal(count(fx, SOURCE_HOSTS, "overflow"), 1);
	assert_int_equal(count(fx, SOURCE_DESIRED, "overflow"), 1);
}

static void
sources_may_be_freed_from_their_callback(void **state)
{
	struct fx	*fx = *state;

	put(fx_at(fx, "hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "desired.json"), "{}\n");
	fx_start(fx, fx_at(fx, "hosts"), fx_at(fx, "desired.json"));

	/* Two events in one read: the second must not reach freed memory. */
	put(fx_at(fx, "hosts"), "edited\n");
	put(fx_at(fx, "desired.json"), "{ \"v\": 2 }\n");
	fx->free_in_cb = true;
	loop_timer_schedule(fx->deadline, DEADLINE_MS);
	assert_int_equal(loop_run(fx->loop), 0);
	loop_timer_cancel(fx->deadline);
	assert_false(fx->timed_out);
	assert_null(fx->src);
	assert_int_equal(fx->n, 1);
}

/*
 * Tests that need namespaces run in a forked child, which writes one line
 * per callback ("event <kind> <detail>"), or "skip <why>" or "fail <why>",
 * to a pipe; the parent checks the lines with cmocka. The child enters
 * its namespaces directly when privileged, else inside a user namespace
 * of its own where it is root.
 */
struct child {
	struct loop		*loop;
	int			 out;
	enum source_kind	 until_kind;	/* stop when this arrives */
	const char		*until;
	bool			 done;
};

static void
child_record(void *arg, enum source_kind kind, const char *detail)
{
	struct child	*c = arg;

	dprintf(c->out, "event %s %s\n", sources_kind_name(kind), detail);
	if (kind == c->until_kind && strcmp(detail, c->until) == 0) {
		c->done = true;
		loop_stop(c->loop);
	}
}

static void
child_deadline(void *arg)
{
	struct child	*c = arg;

	loop_stop(c->loop);
}

static int
child_write(const char *path, const char *s, int flags)
{
	int	 fd, ok;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC | flags)) < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	return close(fd) == 0 && ok ? 0 : -1;
}

/* Enters new namespaces (CLONE_NEWNET, CLONE_NEWNS). */
static int
child_unshare(int flags, char *why, size_t len)
{
	char	 map[64];
	uid_t	 uid = getuid();
	gid_t	 gid = getgid();
	int	 e1, e2;

	if (unshare(flags) == 0)
		return 0;
	e1 = errno;
	if (unshare(CLONE_NEWUSER | flags) == 0) {
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
		if (child_write("/proc/self/setgroups", "deny\n", 0) == 0 &&
		    child_write("/proc/self/uid_map", map, 0) == 0) {
			snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
			if (child_write("/proc/self/gid_map", map, 0) == 0)
				return 0;
		}
		snprintf(why, len, "a user namespace was made but its ids "
		    "could not be mapped: %s", strerror(errno));
		return -1;
	}
	e2 = errno;
	snprintf(why, len, "cannot create a %s namespace (unshare: %s; with "
	    "a user namespace: %s)", flags == CLONE_NEWNET ? "network" :
	    "mount", strerror(e1), strerror(e2));
	return -1;
}

/* Runs the loop of c until its event or ms; says "fail" on a timeout. */
static void
child_wait(struct child *c, struct loop_timer *deadline, unsigned ms)
{
	loop_timer_schedule(deadline, ms);
	if (loop_run(c->loop) != 0)
		dprintf(c->out, "fail loop_run\n");
	else if (!c->done)
		dprintf(c->out, "fail no %s \"%s\" within %u ms\n",
		    sources_kind_name(c->until_kind), c->until, ms);
	loop_timer_cancel(deadline);
}

/* Runs body(out, arg) in a forked child and returns what it wrote
 * (malloc'd). Skips the test when the child says "skip", fails it on
 * "fail" or an abnormal end. */
static char *
child_run(void (*body)(int, void *), void *arg, const char *what)
{
	char	*out;
	size_t	 used = 0;
	ssize_t	 r;
	pid_t	 pid;
	int	 pfd[2], status;

	assert_int_equal(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		alarm(CHILD_ALARM_S);
		body(pfd[1], arg);
		_exit(0);
	}
	close(pfd[1]);
	out = calloc(1, CHILD_OUT_BYTES);
	assert_non_null(out);
	while (used < CHILD_OUT_BYTES - 1 &&
	    ((r = read(pfd[0], out + used, CHILD_OUT_BYTES - 1 - used)) > 0 ||
	    (r < 0 && errno == EINTR)))
		if (r > 0)
			used += (size_t)r;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (strncmp(out, "skip ", 5) == 0) {
		print_message("SKIPPED: the %s test did not run: %s", what,
		    out + 5);
		free(out);
		skip();
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    strstr(out, "\nfail ") != NULL || strncmp(out, "fail ", 5) == 0) {
		print_message("child (status 0x%x) said:\n%s", status, out);
		free(out);
		fail_msg("the %s test failed in its child", what);
	}
	return out;
}

/* Lines of the child's output that equal line. */
static size_t
child_count(const char *out, const char *line)
{
	size_t		 n = 0, len = strlen(line);
	const char	*p = out;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') && p[len] == '\n')
			n++;
		p += len;
	}
	return n;
}

static const char *
netns_ip(void)
{
	static const char *const where[] = { "/usr/sbin/ip", "/sbin/ip",
	    "/usr/bin/ip", "/bin/ip" };
	size_t	 i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static int
netns_run(const char *ip, const char *args)
{
	char	 cmd[1024];

	if (snprintf(cmd, sizeof(cmd), "%s %s", ip, args) >= (int)sizeof(cmd))
		return -1;
	return system(cmd);
}

/* In a new network namespace: interfaces come and go, an address and
 * routes are added. */
static void
netns_child(int out, void *arg)
{
	static const char *const vpn[] = { "dwvpn" };
	struct sources_config	 cfg = { NULL, NULL, vpn, 1, NULL };
	struct child		 c = { NULL, out, SOURCE_NETWORK,
				    "link dw0 gone", false };
	struct loop_timer	*deadline = NULL;
	struct sources		*src = NULL;
	struct dwerr		 err;
	const char		*ip;
	char			 why[256];
	bool			 veth = false;

	(void)arg;
	if (child_unshare(CLONE_NEWNET, why, sizeof(why)) != 0) {
		dprintf(out, "skip %s\n", why);
		return;
	}
	if ((ip = netns_ip()) == NULL) {
		dprintf(out, "skip iproute2's ip is not installed\n");
		return;
	}
	/* IPv6 adds its routes later, when the kernel gets to it: without
	 * it, every route below comes from the command that made it. */
	if ((child_write("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1\n",
	    0) != 0 && errno != ENOENT) ||
	    (child_write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1\n",
	    0) != 0 && errno != ENOENT))
		dprintf(out, "info ipv6 on\n");
	if ((c.loop = loop_new(&err)) == NULL ||
	    (deadline = loop_timer_new(c.loop, child_deadline, &c)) == NULL) {
		dprintf(out, "fail no loop\n");
		goto done;
	}
	if ((src = sources_new(c.loop, &cfg, child_record, &c, &err)) == NULL) {
		dprintf(out, "fail sources_new: %s\n", err.msg);
		goto done;
	}
	/* A dummy interface where the module exists, else a veth pair. */
	if (netns_run(ip, "link add dw0 type dummy 2>/dev/null") != 0) {
		veth = true;
		if (netns_run(ip, "link add dw0 type veth peer name dwp0") != 0) {
			dprintf(out, "skip cannot create a dummy or veth "
			    "interface in the namespace\n");
			goto done;
		}
	}
	dprintf(out, "info %s\n", veth ? "veth" : "dummy");
	if ((veth && netns_run(ip, "link set dwp0 up") != 0) ||
	    netns_run(ip, "link set dw0 up") != 0 ||
	    netns_run(ip, "link set dw0 mtu 1400") != 0 ||
	    netns_run(ip, veth ? "link add dwvpn0 type veth peer name dwp1" :
	    "link add dwvpn0 type dummy") != 0 ||
	    (veth && netns_run(ip, "link set dwp1 up") != 0) ||
	    netns_run(ip, "link set dwvpn0 up") != 0 ||
	    netns_run(ip, "addr add 192.0.2.1/24 dev dwvpn0") != 0 ||
	    /* A marker, then a route of the local table: not reported. */
	    netns_run(ip, veth ? "link add dwm0 type veth peer name dwm1" :
	    "link add dwm0 type dummy") != 0 ||
	    netns_run(ip, "route add local 198.51.100.1 dev dwvpn0 "
	    "table local") != 0 ||
	    netns_run(ip, "link set dw0 down") != 0 ||
	    netns_run(ip, "link del dw0") != 0) {
		dprintf(out, "fail an ip command failed\n");
		goto done;
	}
	child_wait(&c, deadline, CHILD_DEADLINE_MS);
done:
	sources_free(src);
	loop_timer_free(deadline);
	loop_free(c.loop);
}

/* True when a line "event network route" comes between the lines a and
 * b of the child's output (both must be there). */
static bool
netns_route_between(const char *out, const char *a, const char *b)
{
	const char	*pa = strstr(out, a), *pb = strstr(out, b), *r;

	assert_non_null(pa);
	assert_non_null(pb);
	if (strstr(out, "info ipv6 on\n") != NULL) {
		print_message("IPv6 could not be turned off in the namespace: "
		    "the local-table route is not checked\n");
		return false;
	}
	r = strstr(pa, "event network route\n");
	return r != NULL && r < pb;
}

static void
sources_report_link_address_and_route_changes_in_a_namespace(void **state)
{
	char	*out;

	(void)state;
	out = child_run(netns_child, NULL, "netlink");
	print_message("netlink: interfaces in a private namespace (%s)\n",
	    strstr(out, "info veth") != NULL ? "veth pair" : "dummy");
	if (child_count(out, "event network link dw0 new") != 1 ||
	    child_count(out, "event network link dw0 up") != 1 ||
	    child_count(out, "event network link dw0 down") != 1 ||
	    child_count(out, "event network link dw0 gone") != 1 ||
	    child_count(out, "event vpn dwvpn0 up") != 1 ||
	    child_count(out, "event network link dwvpn0 up") != 0 ||
	    child_count(out, "event network link dwvpn0 new") != 1 ||
	    child_count(out, "event vpn dwvpn0 address") < 1 ||
	    child_count(out, "event network route") < 1 ||
	    strstr(out, "event network link lo ") != NULL ||
	    netns_route_between(out, "event network link dwm0 new\n",
	    "event network link dw0 down\n")) {
		print_message("child said:\n%s", out);
		free(out);
		fail_msg("unexpected netlink events");
	}
	free(out);
}

/* In a new network namespace: so many links at once that the socket
 * overflows; the sources then list the links again and go on. */
static void
flood_child(int out, void *arg)
{
	struct sources_config	 cfg = { NULL, NULL, NULL, 0, NULL };
	struct child		 c = { NULL, out, SOURCE_NETWORK,
				    "link last up", false };
	struct loop_timer	*deadline = NULL;
	struct sources		*src = NULL;
	struct dwerr		 err;
	const char		*ip, *dir = arg;
	char			 batch[PATH_BYTES], cmd[PATH_BYTES + 16];
	char			 why[256];
	FILE			*fp;
	int			 i;

	if (child_unshare(CLONE_NEWNET, why, sizeof(why)) != 0) {
		dprintf(out, "skip %s\n", why);
		return;
	}
	if ((ip = netns_ip()) == NULL) {
		dprintf(out, "skip iproute2's ip is not installed\n");
		return;
	}
	snprintf(batch, sizeof(batch), "%s/ip.batch", dir);
	if ((fp = fopen(batch, "w")) == NULL) {
		dprintf(out, "fail cannot write %s\n", batch);
		return;
	}
	for (i = 0; i < FLOOD_PAIRS; i++)
		fprintf(fp, "link add x%d type veth peer name y%d\n"
		    "link set y%d up\nlink set x%d up\n", i, i, i, i);
	fprintf(fp, "link del x5\n");
	fclose(fp);
	if ((c.loop = loop_new(&err)) == NULL ||
	    (deadline = loop_timer_new(c.loop, child_deadline, &c)) == NULL) {
		dprintf(out, "fail no loop\n");
		goto done;
	}
	if ((src = sources_new(c.loop, &cfg, child_record, &c, &err)) == NULL) {
		dprintf(out, "fail sources_new: %s\n", err.msg);
		goto done;
	}
	snprintf(cmd, sizeof(cmd), "-batch %s", batch);
	if (netns_run(ip, cmd) != 0) {
		dprintf(out, "skip cannot create veth pairs in the namespace\n");
		goto done;
	}
	if (netns_run(ip, "link add last type veth peer name lastp") != 0 ||
	    netns_run(ip, "link set lastp up") != 0 ||
	    netns_run(ip, "link set last up") != 0) {
		dprintf(out, "fail an ip command failed\n");
		goto done;
	}
	child_wait(&c, deadline, CHILD_DEADLINE_MS);
done:
	sources_free(src);
	loop_timer_free(deadline);
	loop_free(c.loop);
}

static void
sources_list_links_again_after_netlink_overflow(void **state)
{
	struct fx	*fx = *state;
	char		*out;
	const char	*p;
	size_t		 gone = 0;

	out = child_run(flood_child, fx->dir, "netlink overflow");
	if (child_count(out, "event network overflow") == 0) {
		free(out);
		print_message("SKIPPED: %d veth pairs did not overflow the "
		    "rtnetlink socket here; the relisting was not tested\n",
		    FLOOD_PAIRS);
		skip();
	}
	for (p = out; (p = strstr(p, " gone\n")) != NULL; p++)
		gone++;
	/* x5 and its peer went away, reported once each whether their news
	 * survived or the relisting found them missing; no one else. */
	if (child_count(out, "event network link x5 gone") != 1 ||
	    child_count(out, "event network link y5 gone") != 1 || gone != 2 ||
	    child_count(out, "event network link last up") != 1) {
		print_message("child said:\n%s", out);
		free(out);
		fail_msg("links were not listed again correctly");
	}
	free(out);
}

/* In a new mount namespace: the hosts file is a bind mount, as in a
 * container, and is rewritten in place through it. */
static void
bind_child(int out, void *arg)
{
	const char		*dir = arg;
	struct sources_config	 cfg = { NULL, NULL, NULL, 0, NULL };
	struct child		 c = { NULL, out, SOURCE_HOSTS, "modified",
				    false };
	struct loop_timer	*deadline = NULL;
	struct sources		*src = NULL;
	struct dwerr		 err;
	char			 from[PATH_BYTES], hosts[PATH_BYTES];
	char			 desired[PATH_BYTES], why[256];

	snprintf(from, sizeof(from), "%s/outside/hosts", dir);
	snprintf(hosts, sizeof(hosts), "%s/etc/hosts", dir);
	snprintf(desired, sizeof(desired), "%s/etc/desired.json", dir);
	if (child_unshare(CLONE_NEWNS, why, sizeof(why)) != 0) {
		dprintf(out, "skip %s\n", why);
		return;
	}
	/* The type is ignored for these flags; "none" rather than NULL
	 * keeps memory checkers quiet. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(from, hosts, "none", MS_BIND, NULL) != 0) {
		dprintf(out, "skip cannot bind-mount a file: %s\n",
		    strerror(errno));
		return;
	}
	cfg.hosts_path = hosts;
	cfg.desired_path = desired;
	if ((c.loop = loop_new(&err)) == NULL ||
	    (deadline = loop_timer_new(c.loop, child_deadline, &c)) == NULL) {
		dprintf(out, "fail no loop\n");
		goto done;
	}
	if ((src = sources_new(c.loop, &cfg, child_record, &c, &err)) == NULL) {
		dprintf(out, "fail sources_new: %s\n", err.msg);
		goto done;
	}
	/* The writer's fallback for a mount: in place, through it. */
	if (child_write(hosts, "rewritten in place\n", O_TRUNC) != 0) {
		dprintf(out, "fail cannot write %s: %s\n", hosts,
		    strerror(errno));
		goto done;
	}
	child_wait(&c, deadline, DEADLINE_MS);
done:
	sources_free(src);
	loop_timer_free(deadline);
	loop_free(c.loop);
}

static void
sources_report_in_place_writes_to_a_bind_mounted_hosts_file(void **state)
{
	struct fx	*fx = *state;
	char		*out;

	assert_int_equal(mkdir(fx_at(fx, "etc"), 0700), 0);
	assert_int_equal(mkdir(fx_at(fx, "outside"), 0700), 0);
	put(fx_at(fx, "outside/hosts"), "127.0.0.1 localhost\n");
	put(fx_at(fx, "etc/hosts"), "");
	put(fx_at(fx, "etc/desired.json"), "{}\n");
	out = child_run(bind_child, fx->dir, "bind mount");
	if (child_count(out, "event hosts modified") != 1) {
		print_message("child said:\n%s", out);
		free(out);
		fail_msg("the write through the mount was not reported once");
	}
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    sources_name_kinds_and_match_vpn_prefixes_case_sensitively),
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(sources_report_hosts_edits_as_hosts),
		T(sources_report_desired_edits_as_desired),
		T(sources_ignore_other_files_and_writer_temp_files),
		T(sources_follow_a_hosts_link_to_its_target_and_retarget),
		T(sources_watch_a_deleted_and_recreated_folder_again),
		T(sources_report_a_file_whose_folder_appears_later),
		T(sources_report_both_files_once_on_queue_overflow),
		T(sources_may_be_freed_from_their_callback),
		T(sources_report_in_place_writes_to_a_bind_mounted_hosts_file),
		T(sources_list_links_again_after_netlink_overflow),
#undef T
		cmocka_unit_test(
		    sources_report_link_address_and_route_changes_in_a_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
