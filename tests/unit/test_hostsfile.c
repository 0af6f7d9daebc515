/*
 * Tests for os/hostsfile_posix.c on real files in a temp folder.
 * rename(2) is wrapped (-Wl,--wrap=rename) so a test can make it fail the
 * way it does on a bind-mounted file (EBUSY) without mounting anything.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostsfile.h"
#include "journal.h"
#include "platform.h"
#include "testutil.h"

int	__real_rename(const char *, const char *);
int	__wrap_rename(const char *, const char *);
int	__real_fchown(int, uid_t, gid_t);
int	__wrap_fchown(int, uid_t, gid_t);
int	__real_ftruncate(int, off_t);
int	__wrap_ftruncate(int, off_t);

static int rename_fail_errno;	/* 0: the real rename */
static int fchown_fail_errno;	/* 0: the real fchown */
static int ftruncate_fail_errno; /* 0: the real ftruncate */
static int ftruncate_fail_count; /* how many calls fail; -1: all */

int	__real_renameat2(int, const char *, int, const char *, unsigned int);
int	__wrap_renameat2(int, const char *, int, const char *, unsigned int);
int	__real_fsetxattr(int, const char *, const void *, size_t, int);
int	__wrap_fsetxattr(int, const char *, const void *, size_t, int);

static int fsetxattr_fail_errno; /* 0: the real fsetxattr */
static void (*before_rename)(const char *to); /* runs just before it */

int
__wrap_rename(const char *from, const char *to)
{
	if (rename_fail_errno != 0) {
		errno = rename_fail_errno;
		return -1;
	}
	if (before_rename != NULL)
		before_rename(to);
	return __real_rename(from, to);
}

/* The writer's exchange: fails and runs the hook like rename. */
int
__wrap_renameat2(int ofd, const char *from, int nfd, const char *to,
    unsigned int flags)
{
	if (rename_fail_errno != 0) {
		errno = rename_fail_errno;
		return -1;
	}
	if (before_rename != NULL)
		before_rename(to);
	return __real_renameat2(ofd, from, nfd, to, flags);
}

int
__wrap_fsetxattr(int fd, const char *name, const void *v, size_t n, int fl)
{
	if (fsetxattr_fail_errno != 0) {
		errno = fsetxattr_fail_errno;
		return -1;
	}
	return __real_fsetxattr(fd, name, v, n, fl);
}

int
__wrap_fchown(int fd, uid_t uid, gid_t gid)
{
	if (fchown_fail_errno != 0) {
		errno = fchown_fail_errno;
		return -1;
	}
	return __real_fchown(fd, uid, gid);
}

int
__wrap_ftruncate(int fd, off_t len)
{
	if (ftruncate_fail_errno != 0 && ftruncate_fail_count != 0) {
		if (ftruncate_fail_count > 0)
			ftruncate_fail_count--;
		errno = ftruncate_fail_errno;
		return -1;
	}
	return __real_ftruncate(fd, len);
}

struct fx {
	char	dir[64];
	char	path[128];
};

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dw-hostsfile-XXXXXX");
	tu_mkdtemp(fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/hosts", fx->dir);
	rename_fail_errno = 0;
	fchown_fail_errno = 0;
	ftruncate_fail_errno = 0;
	ftruncate_fail_count = 0;
	fsetxattr_fail_errno = 0;
	before_rename = NULL;
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

static void
put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
assert_content(const char *path, const char *want)
{
	char	*buf;
	size_t	 len;
	bool	 exists;

	assert_int_equal(hostsfile_read(path, 1 << 20, &buf, &len, &exists,
	    NULL), 0);
	assert_true(exists);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	free(buf);
}

/* Number of entries in dir besides ".", ".." and the writers' lock file
 * (made once, kept for good: removing a lock file races with its users). */
static int
entries(const char *dir)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, ".hosts" HOSTSFILE_TEMP_TAG "lock") != 0)
			n++;
	closedir(d);
	return n;
}

static void
hostsfile_replaces_by_rename_with_a_new_inode(void **state)
{
	struct fx	*fx = *state;
	struct stat	 before, after;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "old\n", 0644);
	assert_int_equal(stat(fx->path, &before), 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "rename");
	assert_content(fx->path, "new\n");
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);
	assert_int_equal(entries(fx->dir), 1);	/* no temp file left */
}

static void
hostsfile_keeps_the_mode_of_the_original(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "old\n", 0604);
	assert_int_equal(hostsfile_write(fx->path, NULL, "x\n", 2, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(st.st_uid, geteuid());
}

static void
hostsfile_creates_a_missing_file_0644(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		*buf;
	size_t		 len;
	bool		 exists = true;

	assert_int_equal(hostsfile_read(fx->path, 1 << 20, &buf, &len, &exists,
	    &err), 0);
	assert_false(exists);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(hostsfile_write(fx->path, NULL, "a\n", 2, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "create");
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_content(fx->path, "a\n");
}

static void
hostsfile_falls_back_in_place_on_a_bind_mount(void **state)
{
	struct fx	*fx = *state;
	struct stat	 before, after;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "a much longer old content\n", 0644);
	assert_int_equal(stat(fx->path, &before), 0);
	rename_fail_errno = EBUSY;
	assert_int_equal(hostsfile_write(fx->path, NULL, "short\n", 6, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "in-place-journaled");
	assert_content(fx->path, "short\n");
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(entries(fx->dir), 1);
	rename_fail_errno = EXDEV;
	assert_int_equal(hostsfile_write(fx->path, NULL, "again\n", 6, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "in-place-journaled");
	assert_content(fx->path, "again\n");
	assert_int_equal(entries(fx->dir), 1);	/* no journal left */
}

static void
hostsfile_reports_a_failed_rename_and_cleans_up(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "old\n", 0644);
	rename_fail_errno = EACCES;
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), -1);
	assert_int_equal(err.code, EACCES);
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "rename"));
	assert_false(res.transient);
	assert_string_equal(hostsfile_error_name(err.code), "EACCES");
	assert_content(fx->path, "old\n");
	assert_int_equal(entries(fx->dir), 1);
}

static void
hostsfile_writes_through_a_symlink_to_its_target(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 target[160];

	snprintf(target, sizeof(target), "%s/real-hosts", fx->dir);
	put(target, "old\n", 0644);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(target, "new\n");
}

static void
hostsfile_refuses_a_directory(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	assert_int_equal(mkdir(fx->path, 0755), 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, "x\n", 2, &res, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	rmdir(fx->path);
}

static void
hostsfile_missing_folder_is_a_permanent_error(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;
	char		 p[192];

	(void)fx;
	snprintf(p, sizeof(p), "%s/no-such-dir/hosts", fx->dir);
	assert_int_equal(hostsfile_write(p, NULL, "x\n", 2, &res, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_false(hostsfile_transient(err.code));
}

static void
hostsfile_cleanup_removes_only_our_temp_files(void **state)
{
	struct fx	*fx = *state;
	char		 p[256];

	put(fx->path, "keep\n", 0644);
	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "Ab12Cd", fx->dir);
	put(p, "partial", 0600);
	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "toolongname", fx->dir);
	put(p, "not ours", 0600);
	snprintf(p, sizeof(p), "%s/hosts.bak", fx->dir);
	put(p, "user backup", 0600);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_int_equal(entries(fx->dir), 3);
	assert_content(fx->path, "keep\n");
}

static void
hostsfile_keeps_a_foreign_owner(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	if (geteuid() != 0)
		skip();	/* only root can give a file away */
	put(fx->path, "old\n", 0644);
	assert_int_equal(chown(fx->path, 1234, 4321), 0);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), 0);
	hostsfile_carry_free(res.carry);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 4321);
}

static void
hostsfile_refuses_to_change_the_owner(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	/* Not root, and the file belongs to someone else: renaming would
	 * hand it to us, and an in-place write is not atomic. */
	put(fx->path, "old\n", 0644);
	fchown_fail_errno = EPERM;
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), -1);
	assert_int_equal(err.code, EPERM);
	assert_false(res.transient);
	assert_non_null(strstr(err.msg, "owner"));
	assert_content(fx->path, "old\n");
	assert_int_equal(entries(fx->dir), 1);
}

static void
hostsfile_failed_in_place_write_puts_the_old_bytes_back(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "the old content\n", 0644);
	rename_fail_errno = EBUSY;
	ftruncate_fail_errno = ENOSPC;
	ftruncate_fail_count = 1;	/* the new write fails, the restore works */
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), -1);
	assert_int_equal(err.code, ENOSPC);
	assert_true(res.transient);
	assert_content(fx->path, "the old content\n");
	assert_int_equal(entries(fx->dir), 1);	/* journal removed */
}

static void
hostsfile_interrupted_in_place_write_is_finished_at_next_start(void **state)
{
	struct fx	*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr	 err;

	put(fx->path, "the old content\n", 0644);
	rename_fail_errno = EBUSY;
	ftruncate_fail_errno = EIO;
	ftruncate_fail_count = -1;	/* new write and restore both fail */
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err), -1);
	/* Neither cut worked, so the journal stays. */
	assert_int_equal(entries(fx->dir), 2);
	ftruncate_fail_errno = 0;
	rename_fail_errno = 0;
	/* The restore wrote every old byte back: the file is the old one,
	 * whole, and the journal goes without replaying anything. */
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_content(fx->path, "the old content\n");
	assert_int_equal(entries(fx->dir), 1);
}

static void
hostsfile_cleanup_discards_a_torn_journal(void **state)
{
	struct fx	*fx = *state;
	char		 p[256];

	put(fx->path, "untouched\n", 0644);
	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "journal", fx->dir);
	put(p, "DWJRNL1\n\x05", 0600);	/* the crash came mid-journal */
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_content(fx->path, "untouched\n");
	assert_int_equal(entries(fx->dir), 1);
}

static void
hostsfile_cleanup_looks_beside_the_link_target(void **state)
{
	struct fx	*fx = *state;
	char		 sub[160], target[200], p[256];

	snprintf(sub, sizeof(sub), "%s/etc", fx->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(target, sizeof(target), "%s/hosts", sub);
	put(target, "x\n", 0644);
	assert_int_equal(symlink(target, fx->path), 0);
	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "a1B2c3", sub);
	put(p, "partial", 0600);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_int_equal(entries(sub), 1);
	unlink(target);
	rmdir(sub);
}


static const char *self;	/* this program, for the children it starts */

/* The child a holder runs: opens path with flags (and flocks it when
 * lock is "1"), says so on fd ready and waits until fd go closes. */
static int
holder_child(char **argv)
{
	char	 c = 'r';
	int	 fd, ready = atoi(argv[4]), go = atoi(argv[5]);

	if ((fd = open(argv[1], atoi(argv[2]) | O_CLOEXEC, 0600)) < 0 ||
	    (strcmp(argv[3], "1") == 0 && flock(fd, LOCK_EX) != 0))
		return 1;
	if (write(ready, &c, 1) != 1)
		return 2;
	(void)read(go, &c, 1);	/* until the parent closes it */
	return 0;
}

/* The child append_before_rename runs: appends "late\n" to argv[1]. */
static int
append_child(char **argv)
{
	int	 fd;

	if ((fd = open(argv[1], O_WRONLY | O_APPEND)) < 0 ||
	    write(fd, "late\n", 5) != 5)
		return 1;
	return close(fd) == 0 ? 0 : 2;
}

/* A child process that does what a test asks and then waits: the parent
 * learns it is ready on ready[0] and lets it go by closing go[1]. */
struct holder {
	pid_t	 pid;
	int	 ready[2];
	int	 go[2];
};

/* Forks a holder that opens path with flags (and flocks it when lock is
 * set) and keeps it open until released. */
static void
holder_start(struct holder *h, const char *path, int flags, bool lock)
{
	char	 c = 'r';
	char	 fl[16], rd[16], go[16];

	assert_int_equal(pipe(h->ready), 0);
	assert_int_equal(pipe(h->go), 0);
	snprintf(fl, sizeof(fl), "%d", flags);
	snprintf(rd, sizeof(rd), "%d", h->ready[1]);
	snprintf(go, sizeof(go), "%d", h->go[0]);
	if ((h->pid = fork()) == 0) {
		close(h->ready[0]);
		close(h->go[1]);
		/* A new image: a memory checker watching this one never sees
		 * the copy of the test's heap a fork would leave. */
		execl(self, self, "--hold", path, fl, lock ? "1" : "0", rd, go,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(h->pid > 0);
	close(h->ready[1]);
	close(h->go[0]);
	assert_int_equal(read(h->ready[0], &c, 1), 1);
}

static void
holder_stop(struct holder *h)
{
	int	 st;

	close(h->go[1]);
	close(h->ready[0]);
	assert_int_equal(waitpid(h->pid, &st, 0), h->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
hostsfile_refuses_content_changed_since_the_read(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_expect	 ex = { "old\n", 4, true };
	struct hostsfile_result	 res;
	struct dwerr		 err;

	put(fx->path, "edited by someone\n", 0644);
	assert_int_equal(hostsfile_write(fx->path, &ex, "new\n", 4, &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_true(res.transient);
	assert_string_equal(hostsfile_error_name(err.code), "CHANGED");
	assert_content(fx->path, "edited by someone\n");
	assert_int_equal(entries(fx->dir), 1);
	/* Expected missing, but someone created it: the same. */
	ex.exists = false;
	assert_int_equal(hostsfile_write(fx->path, &ex, "new\n", 4, &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
}

static void
hostsfile_keeps_lines_appended_since_the_read(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_expect	 ex = { "a\n", 2, true };
	struct hostsfile_result	 res;
	struct dwerr		 err;

	put(fx->path, "a\nappended\n", 0644);
	assert_int_equal(hostsfile_write(fx->path, &ex, "a\nS\n", 4, &res,
	    &err), 0);
	hostsfile_carry_free(res.carry);
	assert_content(fx->path, "a\nS\nappended\n");
	assert_string_equal(res.guard, "lease");
	/* Not after a line that was cut short: that is not an append. */
	put(fx->path, "a\nbc\n", 0644);
	ex.buf = "a\nb";
	ex.len = 3;
	assert_int_equal(hostsfile_write(fx->path, &ex, "a\nb\nS\n", 6, &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_content(fx->path, "a\nbc\n");
}

static void
hostsfile_a_writer_holding_the_file_open_refuses_the_guard(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct holder		 h;
	struct dwerr		 err;

	put(fx->path, "old\n", 0644);
	holder_start(&h, fx->path, O_WRONLY | O_APPEND, false);
	/* Its next write would go to a file about to be replaced. */
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res,
	    &err), -1);
	assert_int_equal(err.code, EAGAIN);
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "open for writing"));
	holder_stop(&h);
	assert_content(fx->path, "old\n");
	assert_int_equal(entries(fx->dir), 1);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res,
	    &err), 0);
	hostsfile_carry_free(res.carry);
	assert_content(fx->path, "new\n");
}

static void
hostsfile_a_held_lock_is_transient_and_spares_the_temp_files(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct holder		 h;
	struct dwerr		 err;
	char			 lock[256], temp[256];

	put(fx->path, "old\n", 0644);
	snprintf(lock, sizeof(lock), "%s/.hosts" HOSTSFILE_TEMP_TAG "lock",
	    fx->dir);
	snprintf(temp, sizeof(temp), "%s/.hosts" HOSTSFILE_TEMP_TAG "Ab12Cd",
	    fx->dir);
	/* Another dnswatchdog, in the middle of its write. */
	holder_start(&h, lock, O_RDWR | O_CREAT, true);
	put(temp, "its temp file", 0600);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res,
	    &err), -1);
	assert_int_equal(err.code, EWOULDBLOCK);
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "another dnswatchdog"));
	assert_int_equal(hostsfile_cleanup(fx->path), 0);
	assert_int_equal(access(temp, F_OK), 0);
	assert_content(fx->path, "old\n");
	/* It is gone (exited or crashed): what it left is a leftover. */
	holder_stop(&h);
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_int_equal(access(temp, F_OK), -1);
}

static volatile sig_atomic_t lease_broken;
static pid_t late_writer;	/* the process append_before_rename starts */

static void
on_sigio(int sig)
{
	(void)sig;
	lease_broken = 1;
}

/* Before the rename: another process opens the file to append a line. Its
 * open breaks our lease and waits, on the file about to be replaced. */
static void
append_before_rename(const char *to)
{
	struct timespec	 ms = { 0, 1000000L };
	pid_t		 pid;
	int		 i;

	before_rename = NULL;
	lease_broken = 0;
	if ((pid = fork()) == 0) {
		execl(self, self, "--append", to, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	late_writer = pid;
	for (i = 0; i < 5000 && !lease_broken; i++)
		nanosleep(&ms, NULL);
	assert_true(lease_broken);
}

/* Steps a carry to its end, with real time. */
static void
carry_settle(struct hostsfile_carry *c)
{
	struct timespec	 ts;
	uint32_t	 next;
	int		 i;

	for (i = 0; i < 10000; i++) {
		if (hostsfile_carry_step(c, platform_mono_ms(), &next) == 1)
			return;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(next == 0 ? 1 : next) * 1000000L;
		nanosleep(&ts, NULL);
	}
	fail_msg("the replaced file never settled");
}

static void
hostsfile_carries_a_line_written_into_the_replaced_file(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_expect	 ex = { "old\n", 4, true };
	struct hostsfile_result	 res;
	struct sigaction	 sa, prev;
	struct dwerr		 err;
	int			 st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigio;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGIO, &sa, &prev), 0);
	put(fx->path, "old\n", 0644);
	before_rename = append_before_rename;
	assert_int_equal(hostsfile_write(fx->path, &ex, "new\n", 4, &res,
	    &err), 0);
	assert_string_equal(res.guard, "lease");
	assert_non_null(res.carry);
	carry_settle(res.carry);
	assert_int_equal(waitpid(late_writer, &st, 0), late_writer);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(hostsfile_carry_bytes(res.carry), 5);
	/* The new file was held while the writer finished: its line went
	 * in at once, where it would have been. */
	assert_true(hostsfile_carry_applied(res.carry));
	assert_content(fx->path, "new\nlate\n");
	hostsfile_carry_free(res.carry);
	assert_int_equal(sigaction(SIGIO, &prev, NULL), 0);
}

/* A POSIX ACL as the kernel stores it: u:nobody:r on top of mode 0600
 * (user::rw-, user:65534:r--, group::---, mask::r--, other::---). */
static const unsigned char acl_nobody_r[] = {
	2, 0, 0, 0,
	0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
	0x02, 0, 4, 0, 0xfe, 0xff, 0, 0,
	0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
	0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff
};

/* Gives path the ACL and a user attribute; false where the file system
 * takes neither. */
static bool
decorate(const char *path)
{
	return setxattr(path, "system.posix_acl_access", acl_nobody_r,
	    sizeof(acl_nobody_r), 0) == 0 &&
	    setxattr(path, "user.origin", "docker", 6, 0) == 0;
}

static void
assert_decorated(const char *path)
{
	unsigned char	 acl[64];
	char		 v[16];
	struct stat	 st;

	assert_int_equal(getxattr(path, "system.posix_acl_access", acl,
	    sizeof(acl)), (ssize_t)sizeof(acl_nobody_r));
	assert_memory_equal(acl, acl_nobody_r, sizeof(acl_nobody_r));
	assert_int_equal(getxattr(path, "user.origin", v, sizeof(v)), 6);
	assert_memory_equal(v, "docker", 6);
	assert_int_equal(stat(path, &st), 0);
	/* The group bits are the ACL's mask; no wider. */
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* Before our rename, another program replaces the file by a rename of its
 * own, as sed -i and most editors do. */
static void
replace_before_rename(const char *to)
{
	char	 p[256];

	before_rename = NULL;
	snprintf(p, sizeof(p), "%s.sed", to);
	put(p, "old\nedited by sed\n", 0644);
	assert_int_equal(__real_rename(p, to), 0);
}

static void
hostsfile_never_replaces_a_file_replaced_since_the_read(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_expect	 ex = { "old\n", 4, true };
	struct hostsfile_result	 res;
	struct dwerr		 err;

	put(fx->path, "old\n", 0644);
	before_rename = replace_before_rename;
	assert_int_equal(hostsfile_write(fx->path, &ex, "new\n", 4, &res,
	    &err), -1);
	assert_int_equal(err.code, HOSTSFILE_CHANGED);
	assert_true(res.transient);
	assert_non_null(strstr(err.msg, "replaced it meanwhile"));
	assert_content(fx->path, "old\nedited by sed\n");
	assert_int_equal(entries(fx->dir), 1);	/* nothing left beside it */
}

static void
hostsfile_keeps_the_acl_and_extended_attributes(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr		 err;

	put(fx->path, "old\n", 0600);
	if (!decorate(fx->path))
		skip();
	assert_decorated(fx->path);
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res,
	    &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "rename");
	assert_content(fx->path, "new\n");
	assert_decorated(fx->path);
}

static void
hostsfile_rewrites_in_place_when_attributes_cannot_be_copied(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct stat		 before, after;
	struct dwerr		 err;

	put(fx->path, "old\n", 0600);
	if (!decorate(fx->path))
		skip();
	assert_int_equal(stat(fx->path, &before), 0);
	fsetxattr_fail_errno = ENOTSUP;
	assert_int_equal(hostsfile_write(fx->path, NULL, "new\n", 4, &res,
	    &err), 0);
	hostsfile_carry_free(res.carry);
	assert_string_equal(res.method, "in-place-journaled");
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_content(fx->path, "new\n");
	fsetxattr_fail_errno = 0;
	assert_decorated(fx->path);
	assert_int_equal(entries(fx->dir), 1);
}

/* Sets or clears the immutable flag; false where it cannot be. */
static bool
immutable(const char *path, bool on)
{
	int	 fd, flags, ok;

	if ((fd = open(path, O_RDONLY)) < 0)
		return false;
	ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
	if (ok) {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
	}
	close(fd);
	return ok;
}

static void
hostsfile_no_journal_without_the_file_open_for_writing(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr		 err;
	int			 rc;

	/* A bind mount (no rename) of a file that cannot be written. */
	put(fx->path, "old\n", 0644);
	if (!immutable(fx->path, true))
		skip();
	rename_fail_errno = EBUSY;
	rc = hostsfile_write(fx->path, NULL, "new\n", 4, &res, &err);
	immutable(fx->path, false);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, EPERM);
	assert_false(res.transient);
	assert_int_equal(entries(fx->dir), 1);	/* no journal */
	/* Writable again, an admin adds a line: nothing replays over it. */
	put(fx->path, "old\nadmin\n", 0644);
	rename_fail_errno = 0;
	assert_int_equal(hostsfile_cleanup(fx->path), 0);
	assert_content(fx->path, "old\nadmin\n");
}

/* Puts a complete journal of a rewrite of old into new beside fx->path. */
static void
put_journal(struct fx *fx, const char *old, const char *new)
{
	char	 p[256], *j;
	size_t	 jlen;
	int	 fd;

	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "journal", fx->dir);
	assert_int_equal(journal_encode(old, strlen(old), new, strlen(new), &j,
	    &jlen), 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, j, jlen), (ssize_t)jlen);
	close(fd);
	free(j);
}

static void
hostsfile_a_journal_never_replays_over_newer_content(void **state)
{
	struct fx		*fx = *state;
	struct hostsfile_result	 res;
	struct dwerr		 err;
	char			 p[256];

	put(fx->path, "a\nadmin added this\n", 0644);
	put_journal(fx, "a\n", "a\nS\n");
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_content(fx->path, "a\nadmin added this\n");
	/* Set aside for a person to read, never replayed. */
	snprintf(p, sizeof(p), "%s/.hosts" HOSTSFILE_TEMP_TAG "journal-stale",
	    fx->dir);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(hostsfile_journal_pending(fx->path), 0);
	/* The same through a write. */
	put_journal(fx, "a\n", "a\nS\n");
	assert_int_equal(hostsfile_write(fx->path, NULL, "x\n", 2, &res,
	    &err), 0);
	hostsfile_carry_free(res.carry);
	assert_content(fx->path, "x\n");
}

static void
hostsfile_a_torn_rewrite_is_finished_from_its_journal(void **state)
{
	struct fx	*fx = *state;

	/* New up to some offset, old after it. */
	put(fx->path, "new line one\nold line two\n", 0644);
	put_journal(fx, "old line one\nold line two\n",
	    "new line one\nnew line two\n");
	assert_int_equal(hostsfile_cleanup(fx->path), 1);
	assert_content(fx->path, "new line one\nnew line two\n");
	assert_int_equal(entries(fx->dir), 1);
}

static void
hostsfile_classifies_errors(void **state)
{
	(void)state;
	assert_true(hostsfile_transient(EBUSY));
	assert_true(hostsfile_transient(EAGAIN));
	assert_true(hostsfile_transient(ENOSPC));
	assert_true(hostsfile_transient(EIO));
	assert_false(hostsfile_transient(EACCES));
	assert_false(hostsfile_transient(EPERM));
	assert_false(hostsfile_transient(EROFS));
	assert_false(hostsfile_transient(ENOENT));
	assert_false(hostsfile_transient(EINVAL));
}

int
main(int argc, char **argv)
{
	self = argv[0];
	if (argc == 7 && strcmp(argv[1], "--hold") == 0)
		return holder_child(argv + 1);
	if (argc == 3 && strcmp(argv[1], "--append") == 0)
		return append_child(argv + 1);

	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(hostsfile_replaces_by_rename_with_a_new_inode),
		T(hostsfile_keeps_the_mode_of_the_original),
		T(hostsfile_creates_a_missing_file_0644),
		T(hostsfile_falls_back_in_place_on_a_bind_mount),
		T(hostsfile_reports_a_failed_rename_and_cleans_up),
		T(hostsfile_writes_through_a_symlink_to_its_target),
		T(hostsfile_refuses_a_directory),
		T(hostsfile_missing_folder_is_a_permanent_error),
		T(hostsfile_cleanup_removes_only_our_temp_files),
		T(hostsfile_keeps_a_foreign_owner),
		T(hostsfile_refuses_to_change_the_owner),
		T(hostsfile_failed_in_place_write_puts_the_old_bytes_back),
		T(hostsfile_interrupted_in_place_write_is_finished_at_next_start),
		T(hostsfile_cleanup_discards_a_torn_journal),
		T(hostsfile_cleanup_looks_beside_the_link_target),
		T(hostsfile_refuses_content_changed_since_the_read),
		T(hostsfile_keeps_lines_appended_since_the_read),
		T(hostsfile_a_writer_holding_the_file_open_refuses_the_guard),
		T(hostsfile_a_held_lock_is_transient_and_spares_the_temp_files),
		T(hostsfile_carries_a_line_written_into_the_replaced_file),
		T(hostsfile_never_replaces_a_file_replaced_since_the_read),
		T(hostsfile_keeps_the_acl_and_extended_attributes),
		T(hostsfile_rewrites_in_place_when_attributes_cannot_be_copied),
		T(hostsfile_no_journal_without_the_file_open_for_writing),
		T(hostsfile_a_journal_never_replays_over_newer_content),
		T(hostsfile_a_torn_rewrite_is_finished_from_its_journal),
		cmocka_unit_test(hostsfile_classifies_errors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
