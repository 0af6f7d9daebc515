/*
 * faultshim: an LD_PRELOAD library for the daemon's tests (never shipped).
 * While the file named by DW_FAULT_RENAME_WHILE exists, every rename onto
 * a file called "hosts" fails with EIO: the way a failing disk or a
 * flaky network file system looks to the writer.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	rename(const char *from, const char *to);

int
rename(const char *from, const char *to)
{
	static int	(*real)(const char *, const char *);
	const char	*flag = getenv("DW_FAULT_RENAME_WHILE");
	const char	*base = strrchr(to, '/');

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	base = base != NULL ? base + 1 : to;
	if (flag != NULL && strcmp(base, "hosts") == 0 && access(flag, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	return real(from, to);
}
