/*
 * holders: Linux, through /proc (see holders.h).
 *
 * Every /proc/PID/fd/N is a link to what the descriptor holds; stat
 * follows it to the open file itself, so the file is matched by device
 * and inode, whatever name it was opened under or has now. A process may
 * exit while it is looked at, and another user's descriptors are closed
 * to us without privilege: both are skipped, the second counted.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "holders.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOLDERS_PROC		"/proc"
#define HOLDERS_PATH_BYTES	64u	/* "/proc/PID/fd/N" */

/* A directory entry made of digits only: a PID or a descriptor. */
static bool
holders_number(const char *s, unsigned long *v)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* The process's name, from /proc/PID/comm; "" when it is gone. */
static void
holders_comm(unsigned long pid, char *name, size_t size)
{
	char	 p[HOLDERS_PATH_BYTES];
	ssize_t	 r;
	int	 fd;

	name[0] = '\0';
	snprintf(p, sizeof(p), HOLDERS_PROC "/%lu/comm", pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	r = read(fd, name, size - 1);
	close(fd);
	if (r <= 0)
		return;
	name[r] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/* True when a descriptor's link (what readlink says it points to) may be
 * the file named base: a path whose last part is base. Only those are
 * looked at with stat, which would follow the link into the file's file
 * system: one that hangs (a dead NFS server, a stuck FUSE daemon) must
 * not hang doctor for a socket or a file of no interest. */
static bool
holders_may_be(const char *p, const char *base)
{
	char		 link[PATH_MAX];
	const char	*slash;
	ssize_t		 n;
	size_t		 blen = strlen(base);

	if ((n = readlink(p, link, sizeof(link) - 1)) <= 0 || link[0] != '/')
		return false;	/* gone, or a socket, pipe or anon inode */
	link[n] = '\0';
	slash = strrchr(link, '/');
	return strncmp(slash + 1, base, blen) == 0 &&
	    (slash[1 + blen] == '\0' || strcmp(slash + 1 + blen,
	    " (deleted)") == 0);
}

/* 1 when process pid holds the file (dev, ino) open, 0 when not, -1 when
 * its descriptors cannot be read (EACCES), and 0 when it has gone. */
static int
holders_scan(unsigned long pid, const char *base, dev_t dev, ino_t ino)
{
	char		 p[HOLDERS_PATH_BYTES];
	struct dirent	*e;
	struct stat	 st;
	unsigned long	 fd;
	DIR		*d;
	int		 found = 0;

	snprintf(p, sizeof(p), HOLDERS_PROC "/%lu/fd", pid);
	if ((d = opendir(p)) == NULL)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	while (found == 0 && (e = readdir(d)) != NULL) {
		if (!holders_number(e->d_name, &fd))
			continue;
		snprintf(p, sizeof(p), HOLDERS_PROC "/%lu/fd/%lu", pid, fd);
		if (holders_may_be(p, base) && stat(p, &st) == 0 &&
		    st.st_dev == dev && st.st_ino == ino)
			found = 1;
	}
	closedir(d);
	return found;
}

static int
holders_cmp(const void *a, const void *b)
{
	const struct holders_proc	*x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int
holders_list(const char *path, struct holders_proc **out, size_t *n,
    size_t *unseen, struct dwerr *err)
{
	struct holders_proc	*v = NULL, *nv;
	struct dirent		*e;
	struct stat		 st;
	char			 real[PATH_MAX];
	const char		*base;
	unsigned long		 pid, self = (unsigned long)getpid();
	size_t			 hidden = 0;
	DIR			*d;
	int			 r;

	*out = NULL;
	*n = 0;
	if (unseen != NULL)
		*unseen = 0;
	if (stat(path, &st) != 0) {
		dwerr_set(err, errno, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* The name a descriptor's link ends in: the file's own, past any
	 * symbolic link on the way. */
	if (realpath(path, real) == NULL)
		snprintf(real, sizeof(real), "%s", path);
	base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
	if ((d = opendir(HOLDERS_PROC)) == NULL) {
		dwerr_set(err, errno, "%s: %s: cannot list processes",
		    HOLDERS_PROC, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL && *n < HOLDERS_MAX) {
		if (!holders_number(e->d_name, &pid) || pid == self)
			continue;
		if ((r = holders_scan(pid, base, st.st_dev, st.st_ino)) < 0)
			hidden++;
		if (r <= 0)
			continue;
		if ((nv = realloc(v, (*n + 1) * sizeof(*v))) == NULL) {
			closedir(d);
			free(v);
			*n = 0;
			dwerr_set(err, ENOMEM, "out of memory");
			return -1;
		}
		v = nv;
		v[*n].pid = (uint32_t)pid;
		holders_comm(pid, v[*n].name, sizeof(v[*n].name));
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), holders_cmp);
	*out = v;
	if (unseen != NULL)
		*unseen = hidden;
	return 0;
}

const char *
holders_method(void)
{
	return "proc";
}
