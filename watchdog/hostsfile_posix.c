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
#include "hosts.h"
#include "journal.h"
#include "platform.h"

#define HOSTSFILE_NEW_MODE	0644	/* mode of a hosts file we create */
#define HOSTSFILE_TEMP_RANDOM	6u	/* mkstemp's XXXXXX */

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

/* Writes buf over the file at target through its own inode. */
static int
hostsfile_overwrite(const char *target, const char *buf, size_t len)
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
	if ((fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0) {
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
 * The fallback when the file cannot be replaced by a rename (a bind mount,
 * as in containers): a journaled rewrite in place. The journal holds the
 * old and the new content and is on disk before the file is touched, so a
 * crash mid-write is finished by hostsfile_cleanup at the next start. A
 * write that fails part-way (disk full) puts the old bytes back.
 */
static int
hostsfile_in_place(const char *target, const char *dir, const char *base,
    const char *buf, size_t len)
{
	struct dwerr	 rerr;
	char		*old = NULL, *jpath;
	size_t		 oldlen;
	int		 e;

	if ((jpath = hostsfile_sibling(dir, base, "journal")) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* An earlier rewrite that failed part-way: finish it first, or the
	 * half-written file would be taken for the old content. */
	if (access(jpath, F_OK) == 0 &&
	    (hostsfile_recover(target, dir, base) <= 0 ||
	    access(jpath, F_OK) == 0)) {
		free(jpath);
		errno = EAGAIN;
		return -1;
	}
	if (platform_read_file(target, HOSTS_MAX_BYTES, &old, &oldlen,
	    &rerr) != 0) {
		free(jpath);
		errno = rerr.code > 0 ? rerr.code : EIO;
		return -1;
	}
	if (hostsfile_journal_write(jpath, dir, old, oldlen, buf, len) != 0)
		goto fail;
	if (hostsfile_overwrite(target, buf, len) != 0) {
		e = errno;
		/* Put the old bytes back; if even that fails, the journal
		 * stays and the next start finishes the job. */
		if (hostsfile_overwrite(target, old, oldlen) == 0)
			unlink(jpath);
		errno = e;
		goto fail;
	}
	unlink(jpath);
	hostsfile_sync_dir(dir);
	free(old);
	free(jpath);
	return 0;
fail:
	e = errno;
	free(old);
	free(jpath);
	errno = e;
	return -1;
}

int
hostsfile_write(const char *path, const char *buf, size_t len,
    struct hostsfile_result *res, struct dwerr *err)
{
	struct stat	 st;
	char		*target = NULL, *dir = NULL, *tmp = NULL;
	const char	*base, *step = "write";
	bool		 exists = true;
	int		 fd = -1, e;

	memset(res, 0, sizeof(*res));
	res->method = "rename";
	if ((target = hostsfile_target(path)) == NULL) {
		e = errno != 0 ? errno : ENOMEM;
		step = "resolve the link of";
		goto fail;
	}
	if (stat(target, &st) != 0) {
		if (errno != ENOENT) {
			e = errno;
			step = "stat";
			goto fail;
		}
		exists = false;
	} else if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		step = "replace (not a regular file)";
		goto fail;
	}
	if ((dir = hostsfile_dir(target, &base)) == NULL ||
	    (tmp = hostsfile_sibling(dir, base, "XXXXXX")) == NULL) {
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
		res->have_id = false;
		unlink(tmp);
		if (hostsfile_in_place(target, dir, base, buf, len) != 0) {
			e = errno;
			step = "rewrite in place";
			goto fail;
		}
		res->method = "in-place-journaled";
	} else {
		if (!exists)
			res->method = "create";
		hostsfile_sync_dir(dir);
	}
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

/* Finishes an interrupted journaled rewrite; returns 1 when a journal was
 * found and dealt with, 0 when there was none. */
static int
hostsfile_recover(const char *target, const char *dir, const char *base)
{
	struct dwerr	 rerr;
	const char	*old, *new;
	char		*jpath, *j = NULL;
	size_t		 jlen, oldlen, newlen;
	int		 n = 0;

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
	} else if (hostsfile_overwrite(target, new, newlen) == 0 ||
	    hostsfile_overwrite(target, old, oldlen) == 0) {
		/* Either complete content will do; the next pass decides. */
		unlink(jpath);
		n = 1;
	}
	hostsfile_sync_dir(dir);
	free(j);
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

int
hostsfile_cleanup(const char *path)
{
	const char	*base;
	char		*target, *dir = NULL, *prefix = NULL, *full;
	struct dirent	*de;
	DIR		*d = NULL;
	size_t		 plen;
	int		 n = 0;

	/* Temp files and the journal sit beside the file a link points to. */
	if ((target = hostsfile_target(path)) == NULL ||
	    (dir = hostsfile_dir(target, &base)) == NULL ||
	    (prefix = hostsfile_sibling("", base, "")) == NULL)
		goto done;
	n += hostsfile_recover(target, dir, base);
	if ((d = opendir(dir)) == NULL)
		goto done;
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
done:
	if (d != NULL)
		closedir(d);
	free(prefix);
	free(dir);
	free(target);
	return n;
}
