/* hostsfile: POSIX implementation (see hostsfile.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "hostsfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dwstr.h"
#include "platform.h"

#define HOSTSFILE_NEW_MODE 0644	/* mode of a hosts file we create */

int
hostsfile_read(const char *path, size_t max, char **buf, size_t *len,
    bool *exists, struct dwerr *err)
{
	*exists = true;
	if (platform_read_file(path, max, buf, len, err) == 0)
		return 0;
	if (err != NULL && err->code == ENOENT) {
		dwerr_reset(err);
		*exists = false;
		if ((*buf = calloc(1, 1)) == NULL) {
			dwerr_set(err, ENOMEM, "out of memory");
			return -1;
		}
		*len = 0;
		return 0;
	}
	return -1;
}

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

const char *
hostsfile_error_name(int code)
{
	switch (code) {
#define N(e) case e: return #e
	N(EPERM); N(ENOENT); N(EINTR); N(EIO); N(EBADF); N(EAGAIN);
	N(ENOMEM); N(EACCES); N(EBUSY); N(EEXIST); N(EXDEV); N(ENOTDIR);
	N(EISDIR); N(EINVAL); N(ENFILE); N(EMFILE); N(ETXTBSY); N(EFBIG);
	N(ENOSPC); N(EROFS); N(ENAMETOOLONG); N(ELOOP); N(EDQUOT); N(ESTALE);
#undef N
	default:
		return "";
	}
}

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

/* fsync of the folder so the rename itself is durable. */
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

/* Rewrites the existing file through its own inode: the fallback when it
 * cannot be renamed over (a bind mount) or its owner cannot be kept. Not
 * atomic: the new bytes go over the old, then the rest is cut. */
static int
hostsfile_in_place(const char *target, const char *buf, size_t len)
{
	int	 fd, e;

	if ((fd = open(target, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (hostsfile_write_all(fd, buf, len) != 0 ||
	    ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int
hostsfile_write(const char *path, const char *buf, size_t len,
    struct hostsfile_result *res, struct dwerr *err)
{
	struct stat	 st;
	char		*target = NULL, *dir = NULL, *tmp = NULL;
	const char	*base, *step = "write";
	bool		 exists = true, keep_owner_failed = false;
	int		 fd = -1, e;
	size_t		 tmplen;

	res->method = "rename";
	res->transient = false;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			e = errno;
			step = "stat";
			goto fail;
		}
		exists = false;
	} else if (S_ISLNK(st.st_mode)) {
		/* Replace what the link points to, not the link. */
		if ((target = realpath(path, NULL)) == NULL) {
			e = errno;
			step = "resolve the link of";
			goto fail;
		}
		if (stat(target, &st) != 0) {
			e = errno;
			step = "stat";
			goto fail;
		}
	}
	if (target == NULL && (target = dwstr_dup(path)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		e = EINVAL;
		step = "replace (not a regular file)";
		goto fail;
	}
	if ((dir = hostsfile_dir(target, &base)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	tmplen = strlen(dir) + strlen(base) + sizeof(HOSTSFILE_TEMP_TAG) + 10;
	if ((tmp = malloc(tmplen)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	snprintf(tmp, tmplen, "%s/.%s%sXXXXXX", dir, base, HOSTSFILE_TEMP_TAG);
	if ((fd = mkstemp(tmp)) < 0) {
		e = errno;
		free(tmp);
		tmp = NULL;
		step = "create a temporary file beside";
		goto fail;
	}
	if (exists) {
		if (fchmod(fd, st.st_mode & 07777) != 0) {
			e = errno;
			step = "set the mode of the temporary file for";
			goto fail;
		}
		if (fchown(fd, st.st_uid, st.st_gid) != 0)
			keep_owner_failed = true;
	} else if (fchmod(fd, HOSTSFILE_NEW_MODE) != 0) {
		e = errno;
		step = "set the mode of the temporary file for";
		goto fail;
	}
	if (keep_owner_failed) {
		/* Renaming would hand the file to us: rewrite it instead. */
		close(fd);
		fd = -1;
		goto in_place;
	}
	if (hostsfile_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		e = errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, target) != 0) {
		e = errno;
		if (!exists || (e != EBUSY && e != EXDEV)) {
			step = "rename over";
			goto fail;
		}
		/* A bind-mounted file (containers) cannot be replaced. */
		goto in_place;
	}
	if (!exists)
		res->method = "create";
	hostsfile_sync_dir(dir);
	goto done;
in_place:
	unlink(tmp);
	if (hostsfile_in_place(target, buf, len) != 0) {
		e = errno;
		step = "rewrite in place";
		goto fail;
	}
	res->method = "in-place";
done:
	free(target);
	free(dir);
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	res->transient = hostsfile_transient(e);
	dwerr_set(err, e, "cannot %s %s: %s", step,
	    target != NULL ? target : path, strerror(e));
	free(target);
	free(dir);
	free(tmp);
	return -1;
}

int
hostsfile_cleanup(const char *path)
{
	const char	*base;
	char		*dir, *prefix, full[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	size_t		 plen;
	int		 n = 0;

	if ((dir = hostsfile_dir(path, &base)) == NULL)
		return 0;
	plen = strlen(base) + sizeof(HOSTSFILE_TEMP_TAG) + 1;
	if ((prefix = malloc(plen)) == NULL || (d = opendir(dir)) == NULL) {
		free(prefix);
		free(dir);
		return 0;
	}
	snprintf(prefix, plen, ".%s%s", base, HOSTSFILE_TEMP_TAG);
	plen = strlen(prefix);
	while ((de = readdir(d)) != NULL) {
		/* Our names end in exactly six mkstemp characters. */
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 6)
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(full))
			continue;
		if (unlink(full) == 0)
			n++;
	}
	closedir(d);
	free(prefix);
	free(dir);
	return n;
}
