/*
 * crashshim: an LD_PRELOAD library for the crash-consistency test (never
 * shipped). It makes the hosts writer see the faults of a full or failing
 * disk, at a chosen call:
 *
 *   DW_CRASH_BIND=1           every rename onto a file called "hosts"
 *                             fails with EBUSY, as on a bind mount (the
 *                             writer falls back to its in-place rewrite)
 *   DW_CRASH_FAULT=KIND       the fault, one of
 *     write:ENOSPC              the write fails, nothing written
 *     write:short               half the bytes are written and counted
 *     write:full                half the bytes are written, then the
 *                               next write fails with ENOSPC (the disk
 *                               filled up during the write; with
 *                               DW_CRASH_FAULT_TIMES=0, every later one)
 *     fsync:EIO                 the fsync fails
 *     rename:EIO, rename:EBUSY  the rename fails
 *   DW_CRASH_FAULT_AT=N       at the Nth call of that function (from 1)
 *   DW_CRASH_FAULT_TIMES=M    on M calls in a row (default 1; 0: for good)
 *   DW_CRASH_FIRED=PATH       created when the fault fires, so the test
 *                             knows it reached the Nth call
 *
 * Only calls on descriptors above 2 are counted and faulted: the writer
 * program's own output goes through stdout and stderr.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t	write(int fd, const void *buf, size_t len);
int	fsync(int fd);
int	rename(const char *from, const char *to);
int	renameat2(int ofd, const char *from, int nfd, const char *to,
	    unsigned int flags);

/* Calls seen so far, per function. */
static unsigned long	crashshim_write_calls;
static unsigned long	crashshim_fsync_calls;
static unsigned long	crashshim_rename_calls;
static int		crashshim_full;	/* write:full: 1 the next write fails
					 * with ENOSPC, 2 every later one */

static void *
crashshim_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* Records that the fault fired (once is enough to tell). */
static void
crashshim_fired(void)
{
	const char	*path = getenv("DW_CRASH_FIRED");
	int		 fd;

	if (path != NULL && (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) >= 0)
		close(fd);
}

/* Whether the fault stays once it fired (DW_CRASH_FAULT_TIMES=0). */
static bool
crashshim_forever(void)
{
	const char	*times = getenv("DW_CRASH_FAULT_TIMES");

	return times != NULL && strtoul(times, NULL, 10) == 0;
}

/* Counts a call of function fn (*calls) and says whether it is to fail;
 * *what gets the part of the fault kind after the colon. */
static bool
crashshim_due(const char *fn, unsigned long *calls, const char **what)
{
	const char	*kind = getenv("DW_CRASH_FAULT");
	const char	*at = getenv("DW_CRASH_FAULT_AT");
	const char	*times = getenv("DW_CRASH_FAULT_TIMES");
	size_t		 fnlen = strlen(fn);
	unsigned long	 n, m;

	(*calls)++;
	if (kind == NULL || at == NULL || strncmp(kind, fn, fnlen) != 0 ||
	    kind[fnlen] != ':')
		return false;
	n = strtoul(at, NULL, 10);
	m = times != NULL ? strtoul(times, NULL, 10) : 1;
	if (n == 0 || *calls < n || (m != 0 && *calls >= n + m))
		return false;
	*what = kind + fnlen + 1;
	crashshim_fired();
	return true;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t	(*real)(int, const void *, size_t);
	const char	*what;

	if (real == NULL)
		*(void **)&real = crashshim_next("write");
	if (fd <= 2)
		return real(fd, buf, len);
	if (crashshim_full != 0) {
		if (crashshim_full == 1)
			crashshim_full = 0;
		errno = ENOSPC;
		return -1;
	}
	if (!crashshim_due("write", &crashshim_write_calls, &what))
		return real(fd, buf, len);
	if (strcmp(what, "ENOSPC") == 0) {
		errno = ENOSPC;
		return -1;
	}
	if (len < 2)
		return real(fd, buf, len);
	/* short and full: half of it reaches the file. */
	if (strcmp(what, "full") == 0)
		crashshim_full = crashshim_forever() ? 2 : 1;
	return real(fd, buf, len / 2);
}

int
fsync(int fd)
{
	static int	(*real)(int);
	const char	*what;

	if (real == NULL)
		*(void **)&real = crashshim_next("fsync");
	if (fd <= 2 || !crashshim_due("fsync", &crashshim_fsync_calls, &what))
		return real(fd);
	(void)what;
	errno = EIO;
	return -1;
}

/* Whether a rename onto to fails now, and how (errno set): the bind
 * mount of DW_CRASH_BIND, or a fault due at this rename. */
static bool
crashshim_rename_fails(const char *to)
{
	const char	*bind = getenv("DW_CRASH_BIND");
	const char	*base = strrchr(to, '/');
	const char	*what;

	base = base != NULL ? base + 1 : to;
	if (bind != NULL && strcmp(bind, "1") == 0 && strcmp(base, "hosts") == 0) {
		errno = EBUSY;
		return true;
	}
	if (!crashshim_due("rename", &crashshim_rename_calls, &what))
		return false;
	errno = strcmp(what, "EBUSY") == 0 ? EBUSY : EIO;
	return true;
}

int
rename(const char *from, const char *to)
{
	static int	(*real)(const char *, const char *);

	if (real == NULL)
		*(void **)&real = crashshim_next("rename");
	return crashshim_rename_fails(to) ? -1 : real(from, to);
}

/* The writer's exchange: a rename like the others (same count, same
 * faults, the same bind mount). */
int
renameat2(int ofd, const char *from, int nfd, const char *to,
    unsigned int flags)
{
	static int	(*real)(int, const char *, int, const char *,
			    unsigned int);

	if (real == NULL)
		*(void **)&real = crashshim_next("renameat2");
	return crashshim_rename_fails(to) ? -1 : real(ofd, from, nfd, to,
	    flags);
}
