/* trace_file: POSIX implementation (see trace_file.h). */
#define _POSIX_C_SOURCE 200809L

#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACE_FILE_MODE	0644	/* a new trace file; the umask applies */

struct trace_file {
	int	 fd;
};

/* What a file that is not a regular one is, for a message. */
static const char *
trace_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

static void
trace_file_refuse(struct dwerr *err, const char *path, mode_t mode)
{
	dwerr_set(err, EINVAL, "%s: cannot use it as the trace file: it is %s, "
	    "not a regular file", path, trace_file_kind(mode));
}

int
trace_file_open(const char *path, struct trace_file **out, uint64_t *size,
    struct dwerr *err)
{
	struct trace_file	*f;
	struct stat		 st;
	int			 fd, fl, e;

	*out = NULL;
	/* O_NONBLOCK: a FIFO with no reader fails (ENXIO) rather than hang,
	 * and one with a reader opens at once (refused below). */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY |
	    O_NONBLOCK | O_CLOEXEC, TRACE_FILE_MODE)) == -1) {
		e = errno;
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			trace_file_refuse(err, path, st.st_mode);
		else
			dwerr_set(err, e, "%s: cannot open the trace file: %s",
			    path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		dwerr_set(err, e, "%s: cannot open the trace file: %s", path,
		    strerror(e));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		trace_file_refuse(err, path, st.st_mode);
		close(fd);
		return -1;
	}
	/* A regular file never blocks; writes stay plain blocking ones. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		e = errno;
		dwerr_set(err, e, "%s: cannot open the trace file: %s", path,
		    strerror(e));
		close(fd);
		return -1;
	}
	if ((f = malloc(sizeof(*f))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		close(fd);
		return -1;
	}
	f->fd = fd;
	*size = (uint64_t)st.st_size;
	*out = f;
	return 0;
}

int
trace_file_write(struct trace_file *f, const void *buf, size_t len,
    size_t *done, struct dwerr *err)
{
	const char	*p = buf;
	size_t		 off = 0;
	ssize_t		 n;
	int		 e;

	while (off < len) {
		if ((n = write(f->fd, p + off, len - off)) > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		e = n == 0 ? ENOSPC : errno;
		if (done != NULL)
			*done = off;
		dwerr_set(err, e, "cannot write to the trace file: %s",
		    strerror(e));
		return -1;
	}
	if (done != NULL)
		*done = off;
	return 0;
}

void
trace_file_close(struct trace_file *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	free(f);
}

int
trace_file_rename(const char *from, const char *to, struct dwerr *err)
{
	int	 e;

	if (rename(from, to) == 0)
		return 0;
	e = errno;
	dwerr_set(err, e, "cannot rename %s to %s: %s", from, to, strerror(e));
	return -1;
}
