/*
 * faultshim: an LD_PRELOAD library for the daemon's tests (never shipped).
 * While the file named by DW_FAULT_RENAME_WHILE exists, every rename onto
 * a file called "hosts" fails with EIO: the way a failing disk or a
 * flaky network file system looks to the writer. While the file named by
 * DW_FAULT_TRACE_WRITE_WHILE exists, every write to a file called
 * "trace.jsonl" fails with ENOSPC: a full disk under the trace.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAULTSHIM_PATH_BYTES	4096u

int	rename(const char *from, const char *to);
int	renameat2(int ofd, const char *from, int nfd, const char *to,
	    unsigned int flags);
ssize_t	write(int fd, const void *buf, size_t n);

/* Whether a rename onto to fails now (errno set). */
static bool
faultshim_rename_fails(const char *to)
{
	const char	*flag = getenv("DW_FAULT_RENAME_WHILE");
	const char	*base = strrchr(to, '/');

	base = base != NULL ? base + 1 : to;
	if (flag != NULL && strcmp(base, "hosts") == 0 && access(flag, F_OK) == 0) {
		errno = EIO;
		return true;
	}
	return false;
}

int
rename(const char *from, const char *to)
{
	static int	(*real)(const char *, const char *);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	return faultshim_rename_fails(to) ? -1 : real(from, to);
}

/* The writer's exchange fails the same way. */
int
renameat2(int ofd, const char *from, int nfd, const char *to,
    unsigned int flags)
{
	static int	(*real)(int, const char *, int, const char *,
			    unsigned int);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "renameat2");
	return faultshim_rename_fails(to) ? -1 : real(ofd, from, nfd, to,
	    flags);
}

/* True when fd is open on a file called name. */
static bool
faultshim_fd_is(int fd, const char *name)
{
	char		 link[64], path[FAULTSHIM_PATH_BYTES];
	const char	*base;
	ssize_t		 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return false;
	path[n] = '\0';
	base = strrchr(path, '/');
	return strcmp(base != NULL ? base + 1 : path, name) == 0;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t	(*real)(int, const void *, size_t);
	const char	*flag = getenv("DW_FAULT_TRACE_WRITE_WHILE");
	int		 e = errno;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	if (flag != NULL && access(flag, F_OK) == 0 &&
	    faultshim_fd_is(fd, "trace.jsonl")) {
		errno = ENOSPC;
		return -1;
	}
	errno = e;	/* access may have set it */
	return real(fd, buf, n);
}
