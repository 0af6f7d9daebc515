/*
 * Crash consistency of the POSIX hosts writer (Linux). crashwriter (the
 * real writer in a loop) replaces a 2 MB hosts file with one of two 2 MB
 * contents, A and B, again and again:
 *
 * - it is killed with SIGKILL after a random delay, thousands of times,
 *   through the rename path and through the in-place journaled path (a
 *   bind mount, played by crashshim making rename fail with EBUSY); after
 *   each kill, hostsfile_cleanup (what the next start does first) must
 *   leave the file exactly as before the write that was running or exactly
 *   as that write meant it, and nothing else beside it;
 * - it runs with one injected fault at each write, fsync and rename call
 *   it makes in turn (ENOSPC, a short write, a disk filling mid-write, EIO
 *   from fsync, a failing rename): the writer reports the error, the file
 *   is the old or the new complete content, never a mix, and after the
 *   cleanup no temp file or journal remains.
 *
 * The seed, the number of kills and where they landed are printed.
 * DW_CRASH_SEED, DW_CRASH_KILLS and DW_CRASH_SECONDS (per path) override
 * the defaults.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostsfile.h"
#include "journal.h"
#include "testutil.h"

extern char **environ;

#define CRASH_KILLS		2000u	/* kills per path, at most */
#define CRASH_SECONDS		45u	/* time per path, at most */
#define CRASH_DELAY_BITS	16u	/* delays up to 2^16 us (65 ms) */
#define CRASH_LINES		70000u	/* lines of A and B: about 2 MB each */
#define CRASH_FAULT_CALLS	64u	/* calls of one function tried, at most */
#define CRASH_LOOP_WRITES	"100000000"	/* a writer that runs until killed */
#define CRASH_MODE		0644
/* In the sanitizer build the preloaded shim comes before the ASan runtime,
 * which ASan refuses unless told that this is meant. */
#define CRASH_ASAN_OPTIONS	"ASAN_OPTIONS=verify_asan_link_order=0"

#define INITIAL "127.0.0.1 localhost\n::1 localhost\n"

struct fx {
	char	 dir[64];
	char	 etc[96];	/* holds the hosts file and nothing else */
	char	 hosts[128];
	char	 a[96];
	char	 b[96];
	char	 status[96];
	char	 out[96];
	char	 err[96];
	char	 fired[96];
	char	 journal[128];
	char	 lock[64];	/* the lock file's name */
	char	*ca;		/* content A */
	size_t	 calen;
	char	*cb;		/* content B */
	size_t	 cblen;
	uint64_t rng;
};

/* What a hosts file holds. */
enum content { C_MIX, C_INITIAL, C_A, C_B, C_MISSING };

static const char *const content_names[] = { "a mix", "the initial content",
    "A", "B", "missing" };

/* splitmix64. */
static uint64_t
rnd(struct fx *fx)
{
	uint64_t	 z = (fx->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
env_ul(const char *name, unsigned long def)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : def;
}

/* Hosts-like lines, every one of them different from every line of the
 * other content; B is shorter than A, so a rewrite must also truncate. */
static char *
make_content(char which, size_t *len)
{
	char		*buf = malloc(CRASH_LINES * 40), *p = buf;
	unsigned	 i;

	assert_non_null(buf);
	for (i = 0; i < CRASH_LINES; i++) {
		if (which == 'A')
			p += sprintf(p, "10.%u.%u.%u a%07u.example\n",
			    (i >> 16) & 255, (i >> 8) & 255, i & 255, i);
		else
			p += sprintf(p, "192.168.%u.%u b%06u.test\n",
			    (i >> 8) & 255, i & 255, i);
	}
	*len = (size_t)(p - buf);
	return buf;
}

static void
put_hosts(struct fx *fx, const char *s, size_t len)
{
	tu_put(fx->hosts, s, len);
	assert_int_equal(chmod(fx->hosts, CRASH_MODE), 0);
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-crash-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->etc, sizeof(fx->etc), "%s/etc", fx->dir);
	assert_int_equal(mkdir(fx->etc, 0755), 0);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s/hosts", fx->etc);
	snprintf(fx->journal, sizeof(fx->journal), "%s/.hosts%sjournal",
	    fx->etc, HOSTSFILE_TEMP_TAG);
	snprintf(fx->lock, sizeof(fx->lock), ".hosts%slock", HOSTSFILE_TEMP_TAG);
	snprintf(fx->a, sizeof(fx->a), "%s/a", fx->dir);
	snprintf(fx->b, sizeof(fx->b), "%s/b", fx->dir);
	snprintf(fx->status, sizeof(fx->status), "%s/status", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	snprintf(fx->err, sizeof(fx->err), "%s/err", fx->dir);
	snprintf(fx->fired, sizeof(fx->fired), "%s/fired", fx->dir);
	fx->ca = make_content('A', &fx->calen);
	fx->cb = make_content('B', &fx->cblen);
	tu_put(fx->a, fx->ca, fx->calen);
	tu_put(fx->b, fx->cb, fx->cblen);
	put_hosts(fx, INITIAL, strlen(INITIAL));
	fx->rng = env_ul("DW_CRASH_SEED", (unsigned long)time(NULL) ^
	    ((unsigned long)getpid() << 16));
	print_message("crash: seed %llu (DW_CRASH_SEED to repeat)\n",
	    (unsigned long long)fx->rng);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	tu_rmtree(fx->etc);
	tu_rmtree(fx->dir);
	free(fx->ca);
	free(fx->cb);
	free(fx);
	return 0;
}

static enum content
hosts_content(struct fx *fx)
{
	enum content	 c = C_MIX;
	size_t		 len;
	char		*buf = tu_slurp(fx->hosts, &len);

	if (buf == NULL)
		return C_MISSING;
	if (len == fx->calen && memcmp(buf, fx->ca, len) == 0)
		c = C_A;
	else if (len == fx->cblen && memcmp(buf, fx->cb, len) == 0)
		c = C_B;
	else if (len == strlen(INITIAL) && memcmp(buf, INITIAL, len) == 0)
		c = C_INITIAL;
	free(buf);
	return c;
}

/* What lies beside the hosts file. */
struct leftovers {
	unsigned	 temps;		/* ".hosts.dnswatchdog-XXXXXX" */
	bool		 journal;
	bool		 journal_complete;
	unsigned	 others;	/* anything else but "hosts" */
};

static struct leftovers
leftovers(struct fx *fx)
{
	struct leftovers	 l = { 0 };
	struct dirent		*de;
	const char		*old, *new;
	size_t			 len, oldlen, newlen;
	char			 temp[64], *j;
	DIR			*d = opendir(fx->etc);

	assert_non_null(d);
	snprintf(temp, sizeof(temp), ".hosts%s", HOSTSFILE_TEMP_TAG);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "hosts") == 0 ||
		    strcmp(de->d_name, fx->lock) == 0)
			continue;	/* the writers' lock file stays for good */
		if (strcmp(de->d_name, strrchr(fx->journal, '/') + 1) == 0)
			l.journal = true;
		else if (strncmp(de->d_name, temp, strlen(temp)) == 0)
			l.temps++;
		else
			l.others++;
	}
	closedir(d);
	if (l.journal && (j = tu_slurp(fx->journal, &len)) != NULL) {
		l.journal_complete = journal_decode(j, len, &old, &oldlen, &new,
		    &newlen) == 0;
		free(j);
	}
	return l;
}

static void
assert_nothing_beside(struct fx *fx, const char *when)
{
	struct leftovers	 l = leftovers(fx);

	if (l.temps != 0 || l.journal || l.others != 0)
		fail_msg("%s: %u temp file(s), %s journal, %u other file(s) "
		    "beside the hosts file", when, l.temps, l.journal ? "a" : "no",
		    l.others);
}

static void
assert_mode_kept(struct fx *fx)
{
	struct stat	 st;

	assert_int_equal(stat(fx->hosts, &st), 0);
	assert_int_equal(st.st_mode & 07777, CRASH_MODE);
}

/*
 * Starts crashwriter with args (NULL-terminated), its environment stripped
 * of LD_PRELOAD, ASAN_OPTIONS and DW_CRASH_* and given env (NULL-terminated) instead.
 * Its stdout goes to a pipe whose read end is *out_pipe when out_pipe is
 * not NULL, else to fx->out; its stderr to fx->err.
 */
static pid_t
writer_start(struct fx *fx, const char *const *args, const char *const *env,
    int *out_pipe)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[16], **envp;
	size_t				 n = 0, i, ne = 0;
	pid_t				 pid;
	int				 p[2] = { -1, -1 };

	argv[n++] = (char *)DW_CRASHWRITER;
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	for (i = 0; environ[i] != NULL; i++)
		;
	for (n = 0; env[n] != NULL; n++)
		;
	envp = calloc(i + n + 1, sizeof(*envp));
	assert_non_null(envp);
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
		    strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0 &&
		    strncmp(environ[i], "DW_CRASH_", 9) != 0)
			envp[ne++] = environ[i];
	for (i = 0; env[i] != NULL; i++)
		envp[ne++] = (char *)env[i];
	envp[ne] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (out_pipe != NULL) {
		assert_int_equal(pipe(p), 0);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
		posix_spawn_file_actions_addclose(&fa, p[1]);
	} else
		posix_spawn_file_actions_addopen(&fa, 1, fx->out,
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, fx->err,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, DW_CRASHWRITER, &fa, NULL, argv,
	    envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	if (out_pipe != NULL) {
		close(p[1]);
		*out_pipe = p[0];
	}
	return pid;
}

/* Waits for "ready\n" on fd; false when the writer died first. */
static bool
writer_ready(int fd)
{
	char	 buf[8];
	size_t	 got = 0;
	ssize_t	 n;

	while (got < 6) {
		n = read(fd, buf + got, 6 - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return memcmp(buf, "ready\n", 6) == 0;
}

/* The delay before a kill, in microseconds: 1 to 2^CRASH_DELAY_BITS,
 * spread evenly over the powers of two (as many kills in the first
 * microseconds of a write as in its last milliseconds). */
static unsigned
kill_delay_us(struct fx *fx)
{
	unsigned	 k = (unsigned)(rnd(fx) % CRASH_DELAY_BITS);

	return (1u << k) + (unsigned)(rnd(fx) % (1u << k));
}

static void
sleep_us(unsigned us)
{
	struct timespec	 ts = { us / 1000000u, (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static const char *
errors_of_writer(struct fx *fx)
{
	static char	 msg[512];
	char		*e = tu_slurp(fx->err, NULL);

	snprintf(msg, sizeof(msg), "%s", e != NULL ? e : "");
	free(e);
	return msg;
}

/* Kills the writer at random points, over and over; see the top. */
static void
sigkill_many(struct fx *fx, bool in_place)
{
	const char		*path = in_place ? "in-place" : "rename";
	const char		*env_bind[] = { "LD_PRELOAD=" DW_CRASHSHIM,
				    CRASH_ASAN_OPTIONS, "DW_CRASH_BIND=1", NULL };
	const char		*env_none[] = { NULL };
	unsigned long		 max_kills = env_ul("DW_CRASH_KILLS", CRASH_KILLS);
	double			 limit = (double)env_ul("DW_CRASH_SECONDS",
				    CRASH_SECONDS), t0 = now_s();
	unsigned long		 kills = 0, mid = 0, mid_old = 0, mid_new = 0;
	unsigned long		 writes = 0, temps = 0, jdone = 0, jdropped = 0;
	enum content		 prev = C_INITIAL, now;

	while (kills < max_kills && now_s() - t0 < limit) {
		/* The first write always changes the file. */
		enum content		 first = prev == C_A ? C_B : C_A;
		enum content		 second = first == C_A ? C_B : C_A;
		enum content		 before, writing;
		const char		*args[10];
		struct leftovers	 l;
		uint64_t		 st[2];
		char			*s;
		size_t			 n = 0, slen;
		pid_t			 pid;
		int			 fd, status;

		if (in_place)
			args[n++] = "-i";
		args[n++] = "-n";
		args[n++] = CRASH_LOOP_WRITES;
		args[n++] = "-s";
		args[n++] = fx->status;
		args[n++] = fx->hosts;
		args[n++] = first == C_A ? fx->a : fx->b;
		args[n++] = first == C_A ? fx->b : fx->a;
		args[n] = NULL;
		pid = writer_start(fx, args, in_place ? env_bind : env_none, &fd);
		if (!writer_ready(fd)) {
			waitpid(pid, &status, 0);
			fail_msg("%s path: the writer did not start: %s", path,
			    errors_of_writer(fx));
		}
		sleep_us(kill_delay_us(fx));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		close(fd);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("%s path: the writer ended by itself (status "
			    "%#x): %s", path, (unsigned)status, errors_of_writer(fx));
		kills++;

		/* Which write was running: st[0] begun, st[1] finished. */
		s = tu_slurp(fx->status, &slen);
		assert_non_null(s);
		assert_int_equal(slen, sizeof(st));
		memcpy(st, s, sizeof(st));
		free(s);
		assert_true(st[0] == st[1] || st[0] == st[1] + 1);
		writes += st[1];
		/* Write k (from 0) puts first when k is even, second when odd. */
		before = st[1] == 0 ? prev : st[1] % 2 == 1 ? first : second;
		writing = st[1] % 2 == 0 ? first : second;

		/* The next start. */
		l = leftovers(fx);
		temps += l.temps;
		if (l.journal && l.journal_complete)
			jdone++;
		else if (l.journal)
			jdropped++;
		(void)hostsfile_cleanup(fx->hosts);
		now = hosts_content(fx);
		if (st[0] == st[1] && now != before)
			fail_msg("%s path, kill %lu, between writes (%llu done): "
			    "the file is %s, not %s", path, kills,
			    (unsigned long long)st[1], content_names[now],
			    content_names[before]);
		if (st[0] != st[1]) {
			mid++;
			if (now == before)
				mid_old++;
			else if (now == writing)
				mid_new++;
			else
				fail_msg("%s path, kill %lu, in write %llu (of %s "
				    "over %s; %s journal, %u temp file(s)): after "
				    "the cleanup the file is %s", path, kills,
				    (unsigned long long)st[0], content_names[writing],
				    content_names[before], !l.journal ? "no" :
				    l.journal_complete ? "a complete" : "an incomplete",
				    l.temps, content_names[now]);
		}
		assert_nothing_beside(fx, path);
		assert_mode_kept(fx);
		prev = now;
	}
	print_message("crash: %s path: %lu kills in %.1f s (%lu writes "
	    "finished); %lu inside a write: %lu left the old content, %lu the "
	    "new; the cleanup removed %lu temp file(s), finished %lu complete "
	    "journal(s) and dropped %lu incomplete one(s)\n", path, kills,
	    now_s() - t0, writes, mid, mid_old, mid_new, temps, jdone, jdropped);
	assert_true(kills > 0);
	assert_true(mid > 0);
}

static void
crash_sigkill_on_the_rename_path_leaves_old_or_new(void **state)
{
	sigkill_many(*state, false);
}

static void
crash_sigkill_on_the_in_place_path_leaves_old_or_new(void **state)
{
	sigkill_many(*state, true);
}

/* A fault to inject, and what the writer must say. */
struct fault {
	const char	*kind;		/* DW_CRASH_FAULT */
	const char	*times;		/* DW_CRASH_FAULT_TIMES */
	const char	*error;		/* the error it must report, or NULL
					 * when the write must succeed */
	bool		 may_succeed;	/* it may also succeed (a failed fsync
					 * of the folder is not an error) */
	bool		 rename_only;	/* only on the rename path */
};

static const struct fault faults[] = {
	{ "write:ENOSPC", "1", "ENOSPC", false, false },
	{ "write:short", "1", NULL, true, false },
	{ "write:full", "1", "ENOSPC", false, false },
	{ "fsync:EIO", "1", "EIO", true, false },
	{ "rename:EIO", "1", "EIO", false, true },
	{ "rename:EBUSY", "1", NULL, true, true },
	/* The disk stays full or broken: putting the old bytes back fails
	 * too, and the next start has to finish the job. */
	{ "write:ENOSPC", "0", "ENOSPC", false, false },
	{ "write:full", "0", "ENOSPC", false, false },
	{ "fsync:EIO", "0", "EIO", true, false },
};

/* Writes B over A with a fault at each call in turn; see the top. */
static void
faults_each(struct fx *fx, bool in_place)
{
	const char	*path = in_place ? "in-place" : "rename";
	unsigned	 fi, at, fired = 0, failed = 0, journals = 0;

	for (fi = 0; fi < sizeof(faults) / sizeof(faults[0]); fi++) {
		const struct fault	*f = &faults[fi];

		if (in_place && f->rename_only)
			continue;
		for (at = 1; at <= CRASH_FAULT_CALLS; at++) {
			char		 e_kind[64], e_at[32], e_times[32], e_fired[128];
			const char	*env[] = { "LD_PRELOAD=" DW_CRASHSHIM,
					    CRASH_ASAN_OPTIONS, in_place ? "DW_CRASH_BIND=1" : "DW_CRASH_BIND=0",
					    e_kind, e_at, e_times, e_fired, NULL };
			const char	*args[4];
			struct leftovers l;
			enum content	 c, after;
			bool		 hit;
			char		*err;
			pid_t		 pid;
			int		 status, code;

			size_t		 n = 0;

			if (in_place)
				args[n++] = "-i";
			args[n++] = fx->hosts;
			args[n++] = fx->b;
			args[n] = NULL;
			snprintf(e_kind, sizeof(e_kind), "DW_CRASH_FAULT=%s", f->kind);
			snprintf(e_at, sizeof(e_at), "DW_CRASH_FAULT_AT=%u", at);
			snprintf(e_times, sizeof(e_times), "DW_CRASH_FAULT_TIMES=%s",
			    f->times);
			snprintf(e_fired, sizeof(e_fired), "DW_CRASH_FIRED=%s",
			    fx->fired);
			put_hosts(fx, fx->ca, fx->calen);
			(void)unlink(fx->fired);
			pid = writer_start(fx, args, env, NULL);
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_true(WIFEXITED(status));
			code = WEXITSTATUS(status);
			hit = access(fx->fired, F_OK) == 0;
			c = hosts_content(fx);
			l = leftovers(fx);
			err = tu_slurp(fx->err, NULL);
			assert_non_null(err);
			if (!hit) {
				/* Past the last call: a plain, good write. */
				if (code != 0 || c != C_B)
					fail_msg("%s path, no fault: exit %d, file %s: %s",
					    path, code, content_names[c], err);
				assert_nothing_beside(fx, "after a good write");
				free(err);
				break;
			}
			fired++;
			if (code == 0 && !f->may_succeed)
				fail_msg("%s path, %s at call %u (x%s): the write "
				    "succeeded", path, f->kind, at, f->times);
			if (code != 0 && code != 1)
				fail_msg("%s path, %s at call %u: exit %d: %s", path,
				    f->kind, at, code, err);
			if (code == 1 && (f->error == NULL || strncmp(err, f->error,
			    strlen(f->error)) != 0 || err[strlen(f->error)] != ':'))
				fail_msg("%s path, %s at call %u (x%s): reported "
				    "\"%s\", expected %s", path, f->kind, at, f->times,
				    err, f->error != NULL ? f->error : "success");
			/* Before any cleanup: a good write left B and nothing
			 * else; a failed one the old content, unless it also
			 * failed to put the old bytes back (then a journal
			 * stays for the next start). Never a temp file. */
			if (code == 0 && (c != C_B || l.journal))
				fail_msg("%s path, %s at call %u: the write "
				    "succeeded but left %s%s", path, f->kind, at,
				    content_names[c], l.journal ? " and a journal" : "");
			if (code == 1 && !l.journal && c != C_A)
				fail_msg("%s path, %s at call %u (x%s): the write "
				    "failed and left %s, not the old content A",
				    path, f->kind, at, f->times, content_names[c]);
			if (l.temps != 0 || l.others != 0)
				fail_msg("%s path, %s at call %u: the writer left %u "
				    "temp file(s)", path, f->kind, at, l.temps);
			failed += code != 0;
			journals += l.journal;

			(void)hostsfile_cleanup(fx->hosts);
			after = hosts_content(fx);
			if (after != C_A && after != C_B)
				fail_msg("%s path, %s at call %u (x%s): after the "
				    "cleanup the file is %s (%s journal before)", path,
				    f->kind, at, f->times, content_names[after],
				    l.journal ? "a" : "no");
			if (!l.journal && after != c)
				fail_msg("%s path, %s at call %u: the cleanup changed "
				    "a complete file", path, f->kind, at);
			assert_nothing_beside(fx, "after the cleanup");
			assert_mode_kept(fx);
			print_message("crash: %s path, %-12s at call %u%s: %s; "
			    "file %s%s%s\n", path, f->kind, at,
			    strcmp(f->times, "0") == 0 ? " and after" : "",
			    code == 0 ? "written" : f->error,
			    content_names[c] , l.journal ? " with a journal, "
			    "after the cleanup " : "", l.journal ?
			    content_names[after] : "");
			free(err);
		}
		assert_true(at > 1 && at <= CRASH_FAULT_CALLS);
	}
	print_message("crash: %s path: %u faults injected, %u writes reported "
	    "an error, %u left a journal that the cleanup finished\n", path,
	    fired, failed, journals);
}

static void
crash_faults_on_the_rename_path_leave_old_or_new(void **state)
{
	faults_each(*state, false);
}

static void
crash_faults_on_the_in_place_path_leave_old_or_new(void **state)
{
	faults_each(*state, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(crash_faults_on_the_rename_path_leave_old_or_new),
		T(crash_faults_on_the_in_place_path_leave_old_or_new),
		T(crash_sigkill_on_the_rename_path_leaves_old_or_new),
		T(crash_sigkill_on_the_in_place_path_leaves_old_or_new),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
