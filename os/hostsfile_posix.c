/* hostsfile: POSIX implementation (see hostsfile.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define _GNU_SOURCE

#include "hostsfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dwstr.h"
#include "hosts.h"
#include "journal.h"
#include "platform.h"

#define HOSTSFILE_NEW_MODE	0644	/* mode of a hosts file we create */
#define HOSTSFILE_TEMP_RANDOM	6u	/* mkstemp's XXXXXX */
#define HOSTSFILE_CARRY_SETTLE_MS 100u	/* a replaced file is watched this long */
#define HOSTSFILE_CARRY_POLL_MS	20u	/* between two looks at it */
#define HOSTSFILE_CARRY_DRAIN_POLL_MS 2u /* while its writer finishes */
#define HOSTSFILE_CARRY_DRAIN_MS 5000u	/* most we wait for its writers */
#define HOSTSFILE_CARRY_HOLD_MS	1000u	/* most the new file is held for it */
#define HOSTSFILE_LEASE_TRIES	64u	/* lease attempts in one write */
#define HOSTSFILE_LEASE_PAUSE_NS 50000L	/* between two of them */

bool
hostsfile_transient(int code)
{
	switch (code) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EBUSY:
	case ETXTBSY:
	case EINTR:
	case EIO:
	case ENOSPC:
	case EDQUOT:
	case ENOMEM:
	case ENFILE:
	case EMFILE:
	case ESTALE:
		return true;
	default:
		return false;
	}
}

static int	hostsfile_recover(const char *, const char *, const char *);

/* Writes all of buf to fd. */
static int
hostsfile_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the folder so a rename or unlink itself is durable. */
static void
hostsfile_sync_dir(const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Splits target into a malloc'd folder and a pointer to the base name. */
static char *
hostsfile_dir(const char *target, const char **base)
{
	const char	*slash = strrchr(target, '/');

	if (slash == NULL) {
		*base = target;
		return dwstr_dup(".");
	}
	*base = slash + 1;
	if (slash == target)
		return dwstr_dup("/");
	return dwstr_ndup(target, (size_t)(slash - target));
}

/* "<dir>/.<base>.dnswatchdog-<suffix>", malloc'd. */
static char *
hostsfile_sibling(const char *dir, const char *base, const char *suffix)
{
	size_t	 n = strlen(dir) + strlen(base) + strlen(suffix) +
		    sizeof(HOSTSFILE_TEMP_TAG) + 3;
	char	*p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/.%s%s%s", dir, base, HOSTSFILE_TEMP_TAG, suffix);
	return p;
}

/* The file a path names, following a symbolic link; malloc'd. */
static char *
hostsfile_target(const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return realpath(path, NULL);
	return dwstr_dup(path);
}

/* Reads the whole file behind fd from offset 0, up to max bytes (one more
 * tells it is over). Returns 0 or -1 with errno. */
static int
hostsfile_read_fd(int fd, size_t max, char **buf, size_t *len)
{
	struct stat	 st;
	size_t		 cap = 4096, n = 0;
	ssize_t		 r;
	char		*p = NULL, *q;

	/* Room for the whole file and the read that sees its end: one
	 * allocation, no copy, unless the file grows meanwhile. */
	if (fstat(fd, &st) == 0 && st.st_size >= 0 &&
	    (uint64_t)st.st_size < max && (size_t)st.st_size + 1 > cap)
		cap = (size_t)st.st_size + 1;
	for (;;) {
		if (n == cap || p == NULL) {
			if (p != NULL)
				cap *= 2;
			if ((q = realloc(p, cap + 1)) == NULL) {
				free(p);
				errno = ENOMEM;
				return -1;
			}
			p = q;
		}
		r = pread(fd, p + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(p);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(p);
			errno = EFBIG;
			return -1;
		}
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

/* Writes buf over the file behind fd from offset 0, cuts it to len and
 * flushes it. */
static int
hostsfile_overwrite_fd(int fd, const char *buf, size_t len)
{
	if (lseek(fd, 0, SEEK_SET) != 0 || hostsfile_write_all(fd, buf, len) != 0 ||
	    ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0)
		return -1;
	return 0;
}

/* Creates the journal file holding old and new content, durably. */
static int
hostsfile_journal_write(const char *jpath, const char *dir, const char *old,
    size_t oldlen, const char *buf, size_t len)
{
	char	*j;
	size_t	 jlen;
	int	 fd, e;

	if (journal_encode(old, oldlen, buf, len, &j, &jlen) != 0) {
		errno = ENOMEM;
		return -1;
	}
	if ((fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		e = errno;
		free(j);
		errno = e;
		return -1;
	}
	if (hostsfile_write_all(fd, j, jlen) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(jpath);
		free(j);
		errno = e;
		return -1;
	}
	free(j);
	close(fd);
	hostsfile_sync_dir(dir);
	return 0;
}

/*
 * Leases tell us of other writers: a read lease is refused while another
 * process has the file open for writing and broken by any open for writing
 * or truncation, while readers leave it alone. The kernel signals the
 * break (SIGIO, which would end the process); we look with F_GETLEASE
 * instead, so the signal is ignored unless someone chose a handler.
 */
static void
hostsfile_quiet_sigio(void)
{
	static bool		 done;
	struct sigaction	 sa;

	if (done)
		return;
	done = true;
	if (sigaction(SIGIO, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGIO, &sa, NULL);
	}
}

/* Takes a lease of type on fd: 1 taken, 0 leases unavailable here (the
 * file system, or no right to lease a file we do not own), -1 with errno
 * EAGAIN when another process holds the file open in a conflicting way. */
static int
hostsfile_lease(int fd, int type)
{
	hostsfile_quiet_sigio();
	if (fcntl(fd, F_SETLEASE, type) == 0)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/* hostsfile_lease, tried a few times over a few milliseconds: a writer
 * that appends in a loop has the file open most of the time, and between
 * two of its opens is the moment we need. */
static int
hostsfile_lease_soon(int fd, int type)
{
	struct timespec	 ts = { 0, HOSTSFILE_LEASE_PAUSE_NS };
	unsigned	 i;
	int		 r = -1;

	for (i = 0; i < HOSTSFILE_LEASE_TRIES && (r = hostsfile_lease(fd,
	    type)) < 0; i++)
		(void)nanosleep(&ts, NULL);
	return r;
}

/* Whether the lease of type on fd is intact (no one asked to break it). */
static bool
hostsfile_lease_intact(int fd, int type)
{
	return fcntl(fd, F_GETLEASE) == type;
}

static void
hostsfile_unlease(int fd)
{
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
}

/*
 * Gives the temp file exactly the extended attributes of the original:
 * its POSIX ACL (system.posix_acl_access), SELinux label (security.*) and
 * user.* attributes, and none it does not have. Returns 0 when the copy is
 * exact, -1 when it cannot be (the caller then does not rename).
 */
static int
hostsfile_copy_xattrs(int from, int to)
{
	char	*names = NULL, *tnames = NULL, *val = NULL, *p;
	ssize_t	 n, tn, v;
	int	 rc = -1;

	if ((n = flistxattr(from, NULL, 0)) < 0) {
		if (errno != ENOTSUP)
			return -1;
		n = 0;
	}
	if (n > 0 && ((names = malloc((size_t)n)) == NULL ||
	    (n = flistxattr(from, names, (size_t)n)) < 0))
		goto done;
	for (p = names; p != NULL && p < names + n; p += strlen(p) + 1) {
		if ((v = fgetxattr(from, p, NULL, 0)) < 0)
			goto done;
		free(val);
		if ((val = malloc((size_t)v + 1)) == NULL ||
		    (v = fgetxattr(from, p, val, (size_t)v)) < 0 ||
		    fsetxattr(to, p, val, (size_t)v, 0) != 0)
			goto done;
	}
	/* What the temp file got by itself (a folder's default ACL). */
	if ((tn = flistxattr(to, NULL, 0)) < 0) {
		rc = errno == ENOTSUP && n == 0 ? 0 : -1;
		goto done;
	}
	if (tn > 0 && ((tnames = malloc((size_t)tn)) == NULL ||
	    (tn = flistxattr(to, tnames, (size_t)tn)) < 0))
		goto done;
	for (p = tnames; p != NULL && p < tnames + tn; p += strlen(p) + 1) {
		const char	*q;
		bool		 theirs = false;

		for (q = names; q != NULL && q < names + n; q += strlen(q) + 1)
			if (strcmp(p, q) == 0)
				theirs = true;
		if (!theirs && fremovexattr(to, p) != 0)
			goto done;
	}
	rc = 0;
done:
	free(val);
	free(tnames);
	free(names);
	return rc;
}

/*
 * The fallback when the file cannot be replaced by a rename (a bind mount,
 * as in containers, or attributes that a new file cannot carry): a
 * journaled rewrite in place. The file is opened for writing first (a
 * read-only mount or an immutable file fails here, and no journal is
 * made), then held under a write lease (every other open waits for us; on
 * file systems without leases, a re-read is the guard) while its bytes are
 * checked against what the write was computed from. The journal holds old
 * and new content and is on disk before the file is touched, so a crash
 * mid-write is finished by hostsfile_cleanup at the next start. A write
 * that fails part-way puts the old bytes back.
 */
static int
hostsfile_in_place(const char *target, const char *dir, const char *base,
    const char *old, size_t oldlen, const char *buf, size_t len,
    const char **guard)
{
	char		*jpath = NULL, *now = NULL;
	size_t		 nowlen;
	int		 fd, e, leased;

	if ((fd = open(target, O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	if ((leased = hostsfile_lease_soon(fd, F_WRLCK)) < 0)
		goto fail;
	*guard = leased ? "lease" : "reread";
	if (hostsfile_read_fd(fd, HOSTS_MAX_BYTES, &now, &nowlen) != 0)
		goto fail;
	if (nowlen != oldlen || memcmp(now, old, oldlen) != 0) {
		errno = EAGAIN;
		goto changed;
	}
	if ((jpath = hostsfile_sibling(dir, base, "journal")) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (hostsfile_journal_write(jpath, dir, old, oldlen, buf, len) != 0)
		goto fail;
	/* From here on, whoever opens the file waits until it is whole
	 * again (its lease break): nothing to give up for them. */
	if (hostsfile_overwrite_fd(fd, buf, len) != 0) {
		e = errno;
		/* Put the old bytes back; if even that fails, the journal
		 * stays and the next start finishes the job. */
		if (hostsfile_overwrite_fd(fd, old, oldlen) == 0)
			unlink(jpath);
		errno = e;
		goto fail;
	}
	unlink(jpath);
	hostsfile_sync_dir(dir);
	if (leased)
		hostsfile_unlease(fd);
	close(fd);
	free(now);
	free(jpath);
	return 0;
changed:
	errno = HOSTSFILE_CHANGED;
fail:
	e = errno;
	if (leased > 0)
		hostsfile_unlease(fd);
	close(fd);
	free(now);
	free(jpath);
	errno = e;
	return -1;
}

/* The lock file that serialises writers of target across processes: an
 * open descriptor holding an exclusive flock, or -1 with errno
 * (EWOULDBLOCK when another process holds it). The OS drops the lock when
 * its holder exits or crashes. */
static int
hostsfile_lock(const char *dir, const char *base)
{
	char	*lpath;
	int	 fd, e;

	if ((lpath = hostsfile_sibling(dir, base, "lock")) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	e = errno;
	free(lpath);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno == EWOULDBLOCK ? EWOULDBLOCK : errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int	hostsfile_sweep(const char *, const char *, const char *);

/*
 * A replaced file being watched (see hostsfile.h). A writer that opened
 * the file's name before our rename writes into the old inode. With a
 * read lease we know of it: its open broke the lease and waits for us. We
 * then hold the new file under a write lease (every open of it waits, so
 * the waiting writer's next lines cannot overtake the ones it writes into
 * the old file), let it in, wait until no one has the old file open for
 * writing, and append what it wrote to the new file before anyone else
 * gets at it. Without a lease, or when the new file cannot be held, what
 * arrived is handed to the caller to merge with a guarded write.
 */
struct hostsfile_carry {
	int		 fd;		/* the replaced file (its old inode) */
	int		 nfd;		/* the new file, held under a write lease */
	bool		 leased;	/* fd holds a read lease */
	bool		 draining;	/* lease broken: waiting for writers */
	bool		 settled;
	bool		 started;
	bool		 applied;	/* late bytes already appended to nfd's file */
	uint64_t	 since_ms;	/* first step: the watch began */
	uint64_t	 drain_ms;	/* when the lease was found broken */
	char		*read;		/* what the write was computed from */
	size_t		 readlen;
	const char	*written;	/* what took its place: the caller's */
	char		*owned;		/* or the writer's own, extended */
	size_t		 writtenlen;
	char		*late;		/* its bytes once settled */
	size_t		 latelen;
};

/* Takes *read (what the writer read; NULL afterwards) and what was
 * written: *ext when the write extended the caller's bytes (NULL
 * afterwards), else the caller's buffer, borrowed (see hostsfile.h). No
 * copy of either. */
static struct hostsfile_carry *
hostsfile_carry_new(int fd, bool leased, char **read, size_t readlen,
    const char *written, size_t writtenlen, char **ext)
{
	struct hostsfile_carry	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->read = *read;
	*read = NULL;
	c->readlen = readlen;
	if (*ext != NULL && *ext == written) {
		c->owned = *ext;
		*ext = NULL;
	}
	c->written = written;
	c->writtenlen = writtenlen;
	c->fd = fd;
	c->nfd = -1;
	c->leased = leased;
	return c;
}

/* Lets go of the new file: the openers waiting on it go ahead. */
static void
hostsfile_carry_unhold(struct hostsfile_carry *c)
{
	if (c->nfd < 0)
		return;
	hostsfile_unlease(c->nfd);
	close(c->nfd);
	c->nfd = -1;
}

/*
 * A writer waits on the replaced file: hold the new one (ino is the inode
 * we renamed into place) under a write lease before letting it in. Fails
 * quietly when the new file is already open elsewhere or was replaced.
 */
static void
hostsfile_carry_hold(struct hostsfile_carry *c, const char *target,
    uint64_t ino)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(target, O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0)
		return;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_ino != ino ||
	    (size_t)st.st_size != c->writtenlen ||
	    hostsfile_lease(fd, F_WRLCK) <= 0) {
		close(fd);
		return;
	}
	c->nfd = fd;
}

/* Appends what arrived to the held new file, where the writer would have
 * put it. Returns 0, or -1 when the caller is to merge it instead. */
static int
hostsfile_carry_apply(struct hostsfile_carry *c)
{
	struct stat	 st;
	const char	*more;
	size_t		 n;

	if (c->latelen <= c->readlen || memcmp(c->late, c->read,
	    c->readlen) != 0 || fstat(c->nfd, &st) != 0 ||
	    (size_t)st.st_size != c->writtenlen ||
	    lseek(c->nfd, (off_t)c->writtenlen, SEEK_SET) < 0)
		return -1;
	more = c->late + c->readlen;
	n = c->latelen - c->readlen;
	if ((c->writtenlen > 0 && c->written[c->writtenlen - 1] != '\n' &&
	    hostsfile_write_all(c->nfd, "\n", 1) != 0) ||
	    hostsfile_write_all(c->nfd, more, n) != 0 || fsync(c->nfd) != 0) {
		/* Cut back to what we wrote, so that the merge (a guarded
		 * write) puts them in once; if even that fails, they are in
		 * the file, if not yet on disk. */
		if (ftruncate(c->nfd, (off_t)c->writtenlen) != 0)
			c->applied = true;
		return -1;
	}
	c->applied = true;
	return 0;
}

/* Takes the replaced file's final bytes. */
static int
hostsfile_carry_settle(struct hostsfile_carry *c)
{
	c->settled = true;
	if (c->leased)
		hostsfile_unlease(c->fd);
	c->leased = false;
	if (hostsfile_read_fd(c->fd, HOSTS_MAX_BYTES, &c->late,
	    &c->latelen) != 0) {
		c->late = NULL;
		c->latelen = 0;
	}
	close(c->fd);
	c->fd = -1;
	if (c->nfd >= 0 && c->late != NULL &&
	    hostsfile_carry_bytes(c) > 0)
		(void)hostsfile_carry_apply(c);
	hostsfile_carry_unhold(c);
	return 1;
}

/* At most this long between two looks at a replaced file. */
static uint32_t
hostsfile_carry_wait(uint64_t left)
{
	return left < HOSTSFILE_CARRY_POLL_MS ? (uint32_t)left :
	    HOSTSFILE_CARRY_POLL_MS;
}

/* The lease on the replaced file is broken: a writer waits on it. Hold the
 * new file if we can, then let the writer in. */
static void
hostsfile_carry_drain(struct hostsfile_carry *c, const char *target,
    uint64_t ino, uint64_t now_ms)
{
	if (target != NULL)
		hostsfile_carry_hold(c, target, ino);
	hostsfile_unlease(c->fd);
	c->leased = false;
	c->draining = true;
	c->drain_ms = now_ms;
}

int
hostsfile_carry_step(struct hostsfile_carry *c, uint64_t now_ms,
    uint32_t *next_ms)
{
	uint64_t	 age;

	*next_ms = 0;
	if (c->settled)
		return 1;
	if (!c->started) {
		c->started = true;
		c->since_ms = now_ms;
		if (c->draining)
			c->drain_ms = now_ms;
	}
	age = now_ms >= c->since_ms ? now_ms - c->since_ms : 0;
	if (c->draining) {
		/* Once no one holds the replaced file open for writing any
		 * more (the lease is refused until then), what its writers
		 * wrote is all there. */
		if (hostsfile_lease(c->fd, F_RDLCK) > 0) {
			c->leased = true;
			return hostsfile_carry_settle(c);
		}
		if (now_ms - c->drain_ms >= HOSTSFILE_CARRY_DRAIN_MS)
			return hostsfile_carry_settle(c);
		/* Readers wait while the new file is held: not for long. */
		if (now_ms - c->drain_ms >= HOSTSFILE_CARRY_HOLD_MS)
			hostsfile_carry_unhold(c);
		*next_ms = c->nfd >= 0 ? HOSTSFILE_CARRY_DRAIN_POLL_MS :
		    HOSTSFILE_CARRY_POLL_MS;
		return 0;
	}
	if (c->leased && !hostsfile_lease_intact(c->fd, F_RDLCK)) {
		/* Someone opened it for writing after the rename (through a
		 * name looked up before it): let it in, then wait. */
		hostsfile_carry_drain(c, NULL, 0, now_ms);
		*next_ms = HOSTSFILE_CARRY_POLL_MS;
		return 0;
	}
	if (age < HOSTSFILE_CARRY_SETTLE_MS) {
		*next_ms = hostsfile_carry_wait(HOSTSFILE_CARRY_SETTLE_MS - age);
		return 0;
	}
	return hostsfile_carry_settle(c);
}

int
hostsfile_carry_merge(const struct hostsfile_carry *c, const char *cur,
    size_t curlen, char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (c == NULL || !c->settled || c->late == NULL || c->applied)
		return 0;
	return journal_merge_late(cur, curlen, c->read, c->readlen, c->written,
	    c->writtenlen, c->late, c->latelen, out, outlen);
}

size_t
hostsfile_carry_bytes(const struct hostsfile_carry *c)
{
	if (c == NULL || !c->settled || c->late == NULL ||
	    (c->latelen == c->readlen &&
	    memcmp(c->late, c->read, c->readlen) == 0))
		return 0;
	return c->latelen > c->readlen &&
	    memcmp(c->late, c->read, c->readlen) == 0 ?
	    c->latelen - c->readlen : c->latelen;
}

bool
hostsfile_carry_applied(const struct hostsfile_carry *c)
{
	return c != NULL && c->applied;
}

void
hostsfile_carry_free(struct hostsfile_carry *c)
{
	if (c == NULL)
		return;
	hostsfile_carry_unhold(c);
	if (c->fd >= 0) {
		if (c->leased)
			hostsfile_unlease(c->fd);
		close(c->fd);
	}
	free(c->read);
	free(c->owned);
	free(c->late);
	free(c);
}

/*
 * Puts the temp file at target, only over the file we read (rfd): an
 * exchange, then a look at what came out. Someone who replaced the file by
 * a rename of their own since our read (sed -i, an editor, an agent) gets
 * theirs back, and we fail HOSTSFILE_CHANGED. Where the file system cannot
 * exchange, the name is checked just before a plain rename. A new file is
 * put in place only where none appeared meanwhile.
 */
static int
hostsfile_put(const char *tmp, const char *target, bool exists, int rfd)
{
	struct stat	 ours, out;

	if (!exists) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EINVAL || errno == ENOSYS) {
			if (link(tmp, target) == 0) {
				unlink(tmp);
				return 0;
			}
			/* A file system without hard links either. */
			if (errno == EPERM || errno == EOPNOTSUPP)
				return rename(tmp, target);
		}
		if (errno == EEXIST)
			errno = HOSTSFILE_CHANGED;
		return -1;
	}
	if (fstat(rfd, &ours) != 0)
		return -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_EXCHANGE) == 0) {
		if (lstat(tmp, &out) == 0 && out.st_ino == ours.st_ino &&
		    out.st_dev == ours.st_dev) {
			unlink(tmp);
			return 0;
		}
		/* Not the file we read: theirs goes back under the name. */
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target,
		    RENAME_EXCHANGE) != 0)
			(void)rename(tmp, target);
		errno = HOSTSFILE_CHANGED;
		return -1;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;	/* EBUSY, EXDEV: a bind mount */
	if (stat(target, &out) != 0 || out.st_ino != ours.st_ino ||
	    out.st_dev != ours.st_dev) {
		errno = HOSTSFILE_CHANGED;
		return -1;
	}
	return rename(tmp, target);
}

int
hostsfile_write(const char *path, const struct hostsfile_expect *expect,
    const char *buf, size_t len, struct hostsfile_result *res,
    struct dwerr *err)
{
	struct stat	 st;
	char		*target = NULL, *dir = NULL, *tmp = NULL, *cur = NULL;
	char		*again = NULL, *ext = NULL;
	const char	*base, *step = "write", *note = "";
	size_t		 curlen = 0, againlen;
	bool		 exists = true, in_place = false;
	int		 fd = -1, rfd = -1, lockfd = -1, e, leased = 0;

	memset(res, 0, sizeof(*res));
	res->method = "rename";
	res->guard = "none";
	if ((target = hostsfile_target(path)) == NULL) {
		e = errno != 0 ? errno : ENOMEM;
		step = "resolve the link of";
		goto fail;
	}
	if ((dir = hostsfile_dir(target, &base)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	/* One writer at a time, in this process or another. */
	if ((lockfd = hostsfile_lock(dir, base)) < 0) {
		e = errno;
		step = "lock";
		if (e == EWOULDBLOCK)
			note = " (another dnswatchdog is writing it)";
		goto fail;
	}
	/* With the lock held, every temp file is a dead writer's. */
	(void)hostsfile_sweep(target, dir, base);
	if ((e = hostsfile_journal_pending(target)) != 0) {
		step = "finish the interrupted rewrite of";
		goto fail;
	}
	if ((rfd = open(target, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if ((e = errno) != ENOENT) {
			step = "open";
			goto fail;
		}
		exists = false;
	} else if (fstat(rfd, &st) != 0) {
		e = errno;
		step = "stat";
		goto fail;
	} else if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		step = "replace (not a regular file)";
		goto fail;
	}
	if (exists) {
		/* The guard: held from this read until the new file is in
		 * place, so no other writer's bytes go to the old file. */
		if ((leased = hostsfile_lease_soon(rfd, F_RDLCK)) < 0) {
			e = EAGAIN;
			step = "guard";
			note = " (another process has it open for writing)";
			goto fail;
		}
		res->guard = leased ? "lease" : "reread";
		if (hostsfile_read_fd(rfd, HOSTS_MAX_BYTES, &cur, &curlen) != 0) {
			e = errno;
			step = "read";
			goto fail;
		}
	}
	if (expect != NULL && (expect->exists != exists || (exists &&
	    (expect->len != curlen || memcmp(expect->buf, cur, curlen) != 0)))) {
		/* Lines appended since the read (writers that append in a
		 * loop never leave time for another read) go after ours. */
		if (!exists || !expect->exists || curlen <= expect->len ||
		    memcmp(expect->buf, cur, expect->len) != 0 ||
		    (expect->len > 0 && cur[expect->len - 1] != '\n') ||
		    (len > 0 && buf[len - 1] != '\n') ||
		    (ext = malloc(len + curlen - expect->len + 1)) == NULL) {
			e = HOSTSFILE_CHANGED;
			step = "write";
			note = " (it changed since it was read)";
			goto fail;
		}
		memcpy(ext, buf, len);
		memcpy(ext + len, cur + expect->len, curlen - expect->len);
		len += curlen - expect->len;
		buf = ext;
	}
	if ((tmp = hostsfile_sibling(dir, base, "XXXXXX")) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		e = errno;
		free(tmp);
		tmp = NULL;
		step = "create a temporary file beside";
		goto fail;
	}
	if (fchmod(fd, exists ? st.st_mode & 07777 : HOSTSFILE_NEW_MODE) != 0) {
		e = errno;
		step = "set the mode of the temporary file for";
		goto fail;
	}
	/* Renaming hands the file the temp file's owner: keep the original
	 * one, or do not replace the file at all. */
	if (exists && fchown(fd, st.st_uid, st.st_gid) != 0) {
		e = errno;
		step = "keep the owner and group of";
		goto fail;
	}
	/* An ACL, label or attribute the new file cannot carry exactly:
	 * rewrite the file itself instead. */
	if (exists && hostsfile_copy_xattrs(rfd, fd) != 0)
		in_place = true;
	if (!in_place) {
		if (hostsfile_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
			e = errno;
			goto fail;
		}
		/* The identity the file will have once renamed into place. */
		if (fstat(fd, &st) == 0) {
			res->have_id = true;
			res->id.volume = (uint64_t)st.st_dev;
			res->id.inode = (uint64_t)st.st_ino;
			res->id.size = (uint64_t)st.st_size;
			res->id.mtime_s = (int64_t)st.st_mtim.tv_sec;
			res->id.mtime_ns = (int64_t)st.st_mtim.tv_nsec;
		}
	}
	if (close(fd) != 0) {
		fd = -1;
		e = errno;
		goto fail;
	}
	fd = -1;
	/* The last look before the rename, without a lease: the file must
	 * still be what we read. (With one, no byte can have changed: a
	 * writer's open waits for us, and its bytes are carried below.) */
	if (!in_place && exists && leased == 0 &&
	    (hostsfile_read_fd(rfd, HOSTS_MAX_BYTES, &again, &againlen) != 0 ||
	    againlen != curlen || memcmp(again, cur, curlen) != 0)) {
		e = HOSTSFILE_CHANGED;
		note = " (another process wrote to it meanwhile)";
		goto fail;
	}
	if (!in_place && hostsfile_put(tmp, target, exists, rfd) != 0) {
		e = errno;
		if (!exists || (e != EBUSY && e != EXDEV)) {
			step = exists ? "rename over" : "create";
			if (e == HOSTSFILE_CHANGED)
				note = exists ? " (someone replaced it meanwhile)" :
				    " (someone created it meanwhile)";
			goto fail;
		}
		/* A bind-mounted file (containers) cannot be replaced. */
		in_place = true;
	}
	if (in_place) {
		res->have_id = false;
		unlink(tmp);
		if (leased > 0)
			hostsfile_unlease(rfd);
		leased = 0;
		close(rfd);
		rfd = -1;
		if (hostsfile_in_place(target, dir, base, cur, curlen, buf, len,
		    &res->guard) != 0) {
			e = errno;
			step = "rewrite in place";
			if (e == HOSTSFILE_CHANGED)
				note = " (another process opened it meanwhile)";
			goto fail;
		}
		res->method = "in-place-journaled";
	} else {
		if (!exists)
			res->method = "create";
		hostsfile_sync_dir(dir);
		/* A writer that opened the old name just before the rename
		 * writes into the old file: watch it (see hostsfile.h). */
		if (exists && (res->carry = hostsfile_carry_new(rfd, leased > 0,
		    &cur, curlen, buf, len, &ext)) != NULL) {
			/* One is waiting on it already: hold the new file
			 * and let it in. */
			if (leased > 0 && !hostsfile_lease_intact(rfd, F_RDLCK))
				hostsfile_carry_drain(res->carry, res->have_id ?
				    target : NULL, res->id.inode, 0);
			rfd = -1;
			leased = 0;
		}
	}
	if (rfd >= 0) {
		if (leased > 0)
			hostsfile_unlease(rfd);
		close(rfd);
	}
	close(lockfd);
	free(target);
	free(dir);
	free(tmp);
	free(cur);
	free(again);
	free(ext);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	if (rfd >= 0) {
		if (leased > 0)
			hostsfile_unlease(rfd);
		close(rfd);
	}
	if (lockfd >= 0)
		close(lockfd);
	res->transient = e == HOSTSFILE_CHANGED || hostsfile_transient(e);
	if (e == HOSTSFILE_CHANGED)
		dwerr_set(err, e, "cannot %s %s%s", step,
		    target != NULL ? target : path, note);
	else
		dwerr_set(err, e, "cannot %s %s%s: %s", step,
		    target != NULL ? target : path, note, strerror(e));
	free(target);
	free(dir);
	free(tmp);
	free(cur);
	free(again);
	free(ext);
	return -1;
}

/* Finishes an interrupted journaled rewrite (the caller holds the lock);
 * returns 1 when a journal was found and dealt with, 0 when there was none
 * or it cannot be dealt with yet. A journal is replayed only over what the
 * interrupted write can have left (journal_matches); a file changed since
 * keeps its bytes, and the journal is set aside as "journal-stale". */
static int
hostsfile_recover(const char *target, const char *dir, const char *base)
{
	struct dwerr	 rerr;
	const char	*old, *new;
	char		*jpath, *spath = NULL, *j = NULL, *cur = NULL;
	size_t		 jlen, oldlen, newlen, curlen;
	int		 n = 0, fd = -1;

	if ((jpath = hostsfile_sibling(dir, base, "journal")) == NULL)
		return 0;
	if (platform_read_file(jpath, 2 * (size_t)HOSTS_MAX_BYTES +
	    JOURNAL_HEADER_BYTES, &j, &jlen, &rerr) != 0) {
		free(jpath);
		return 0;
	}
	if (journal_decode(j, jlen, &old, &oldlen, &new, &newlen) != 0) {
		/* Incomplete: the crash came before the file was touched. */
		unlink(jpath);
		n = 1;
		goto done;
	}
	if ((fd = open(target, O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0 ||
	    hostsfile_read_fd(fd, HOSTS_MAX_BYTES, &cur, &curlen) != 0)
		goto done;
	if ((curlen == newlen && memcmp(cur, new, newlen) == 0) ||
	    (curlen == oldlen && memcmp(cur, old, oldlen) == 0)) {
		/* Complete content either way; the next pass decides. */
		unlink(jpath);
		n = 1;
	} else if (journal_matches(cur, curlen, old, oldlen, new, newlen)) {
		if (hostsfile_overwrite_fd(fd, new, newlen) == 0 ||
		    hostsfile_overwrite_fd(fd, old, oldlen) == 0) {
			unlink(jpath);
			n = 1;
		}
	} else if ((spath = hostsfile_sibling(dir, base,
	    "journal-stale")) != NULL && rename(jpath, spath) == 0)
		n = 1;
done:
	if (fd >= 0)
		close(fd);
	hostsfile_sync_dir(dir);
	free(cur);
	free(j);
	free(spath);
	free(jpath);
	return n;
}

int
hostsfile_journal_pending(const char *path)
{
	const char	*base;
	char		*target, *dir = NULL, *jpath = NULL;
	int		 pending = 0;

	if ((target = hostsfile_target(path)) != NULL &&
	    (dir = hostsfile_dir(target, &base)) != NULL &&
	    (jpath = hostsfile_sibling(dir, base, "journal")) != NULL &&
	    access(jpath, F_OK) == 0)
		pending = EAGAIN;
	free(jpath);
	free(dir);
	free(target);
	return pending;
}

/* Removes what dead writers left beside target; the caller holds the lock. */
static int
hostsfile_sweep(const char *target, const char *dir, const char *base)
{
	char		*prefix, *full;
	struct dirent	*de;
	DIR		*d;
	size_t		 plen;
	int		 n = 0;

	n += hostsfile_recover(target, dir, base);
	if ((prefix = hostsfile_sibling("", base, "")) == NULL)
		return n;
	if ((d = opendir(dir)) == NULL) {
		free(prefix);
		return n;
	}
	/* prefix is "/.<base>.dnswatchdog-": compare without the slash. */
	plen = strlen(prefix + 1);
	while ((de = readdir(d)) != NULL) {
		/* Our temp names end in exactly six mkstemp characters. */
		if (strncmp(de->d_name, prefix + 1, plen) != 0 ||
		    strlen(de->d_name) != plen + HOSTSFILE_TEMP_RANDOM)
			continue;
		if ((full = malloc(strlen(dir) + strlen(de->d_name) + 2)) == NULL)
			break;
		sprintf(full, "%s/%s", dir, de->d_name);
		if (unlink(full) == 0)
			n++;
		free(full);
	}
	closedir(d);
	free(prefix);
	return n;
}

int
hostsfile_cleanup(const char *path)
{
	const char	*base;
	char		*target, *dir = NULL;
	int		 n = 0, lockfd;

	/* Temp files and the journal sit beside the file a link points to;
	 * a held lock means their writer is at work. */
	if ((target = hostsfile_target(path)) != NULL &&
	    (dir = hostsfile_dir(target, &base)) != NULL &&
	    (lockfd = hostsfile_lock(dir, base)) >= 0) {
		n = hostsfile_sweep(target, dir, base);
		close(lockfd);
	}
	free(dir);
	free(target);
	return n;
}
