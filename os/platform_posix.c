/* platform: POSIX implementation (see platform.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t
platform_mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
platform_mono_ms(void)
{
	return platform_mono_us() / 1000u;
}

uint64_t
platform_boot_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return platform_mono_ms();
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool
platform_file_id(const char *path, struct platform_file_id *id)
{
	struct stat	 st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) != 0)
		return false;
	id->volume = (uint64_t)st.st_dev;
	id->inode = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime_s = (int64_t)st.st_mtim.tv_sec;
	id->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	return true;
}

uint64_t
platform_wall_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
platform_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < len)
		platform_random_weak(p + got, len - got, (uint64_t)getpid());
}

void
platform_harden(void)
{
	/* Shared objects are found through the system's own paths. */
}

void
platform_sleep_ms(uint32_t ms)
{
	struct timespec	 ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
platform_fd_limit_raise(uint64_t want, uint64_t *soft, struct dwerr *err)
{
	struct rlimit	 rl;
	rlim_t		 to;
	int		 e;

	*soft = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		e = errno;
		dwerr_set(err, e, "cannot read the limit on open files: %s",
		    strerror(e));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY) {
		*soft = UINT64_MAX;
		return 0;
	}
	*soft = (uint64_t)rl.rlim_cur;
	to = (rlim_t)want;
	if (rl.rlim_max != RLIM_INFINITY && to > rl.rlim_max)
		to = rl.rlim_max;
	if (to <= rl.rlim_cur)
		return 0;
	rl.rlim_cur = to;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		e = errno;
		dwerr_set(err, e, "cannot raise the limit on open files to "
		    "%llu: %s", (unsigned long long)to, strerror(e));
		return -1;
	}
	*soft = (uint64_t)to;
	return 0;
}

int
platform_read_file(const char *path, size_t max, char **buf, size_t *len,
    struct dwerr *err)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 cap, used = 0;
	int		 fd, e;

	*buf = NULL;
	*len = 0;
	/* Non-blocking open: a FIFO put in the file's place must not hang
	 * us; it is refused below as not a regular file. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		e = errno;
		dwerr_set(err, e, "%s: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		dwerr_set(err, EINVAL, "%s: not a regular file", path);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((uint64_t)st.st_size > max) {
		close(fd);
		dwerr_set(err, PLATFORM_E_TOOBIG, "%s: %lld bytes, over the limit of %zu",
		    path, (long long)st.st_size, max);
		return -1;
	}
	/* The bytes, the read that sees the end and the NUL: no copy unless
	 * the file grows meanwhile. */
	cap = (size_t)st.st_size + 2;
	if ((p = malloc(cap)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			char *np;

			if (cap > max + 1) {
				close(fd);
				free(p);
				dwerr_set(err, PLATFORM_E_TOOBIG,
				    "%s: grew over the limit of %zu bytes",
				    path, max);
				return -1;
			}
			if ((np = realloc(p, cap * 2)) == NULL) {
				e = ENOMEM;
				goto fail;
			}
			p = np;
			cap *= 2;
		}
		n = read(fd, p + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	p[used] = '\0';
	*buf = p;
	*len = used;
	return 0;
fail:
	close(fd);
	free(p);
	dwerr_set(err, e, "%s: %s", path, strerror(e));
	return -1;
}

/* Writes all of buf to fd; 0, or an errno. */
static int
platform_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
platform_write_file_atomic(const char *path, const void *buf, size_t len,
    struct dwerr *err)
{
	char		*tmp, *dir, *slash;
	uint8_t		 r[6];
	size_t		 n = strlen(path);
	int		 fd, dfd, e = 0, i;

	/* path.tmp-XXXXXX, six random letters: beside it, same file system. */
	if ((tmp = malloc(n + 12)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	platform_random(r, sizeof(r));
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp-", 5);
	for (i = 0; i < 6; i++)
		tmp[n + 5 + i] = (char)('a' + r[i] % 26);
	tmp[n + 11] = '\0';
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		e = errno;
		dwerr_set(err, e, "%s: cannot create %s: %s", path, tmp,
		    strerror(e));
		free(tmp);
		return -1;
	}
	if ((e = platform_write_all(fd, buf, len)) == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0) {
		(void)unlink(tmp);
		free(tmp);
		dwerr_set(err, e, "%s: %s", path, strerror(e));
		return -1;
	}
	free(tmp);
	/* The rename itself, on disk. */
	if ((dir = strdup(path)) != NULL) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		if ((dfd = open(slash != NULL ? dir : ".", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	return 0;
}

int
platform_remove_file(const char *path, struct dwerr *err)
{
	int	 e;

	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	e = errno;
	dwerr_set(err, e, "%s: cannot remove it: %s", path, strerror(e));
	return -1;
}

int
platform_make_private_dir(const char *path, struct dwerr *err)
{
	struct stat	 st;
	int		 e;

	if (mkdir(path, 0700) == 0)
		return 0;
	e = errno;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	dwerr_set(err, e == EEXIST ? ENOTDIR : e, "%s: cannot make the "
	    "folder: %s", path, e == EEXIST ? "something else is there" :
	    strerror(e));
	return -1;
}

const char *
platform_error_name(int code)
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

const char *
platform_default_config(void)
{
	return "/etc/dnswatchdog/config.json";
}

const char *
platform_default_control(void)
{
	return "/run/dnswatchdog.sock";
}

const char *
platform_default_state_dir(void)
{
	return "/var/lib/dnswatchdog";
}

const char *
platform_default_hosts(void)
{
	return "/etc/hosts";
}

enum hosts_eol
platform_default_eol(void)
{
	return HOSTS_EOL_LF;
}

/* Interface names, which is what the Linux event source compares. */
static const char *const platform_vpn_prefixes[] = {
	"gpd",		/* GlobalProtect */
	"cscotun",	/* Cisco AnyConnect */
	"tun",		/* OpenVPN, openconnect, GlobalProtect-openconnect */
	"ppp",		/* PPP-based VPNs */
	NULL
};

const char *const *
platform_default_vpn_prefixes(void)
{
	return platform_vpn_prefixes;
}

int
platform_path_is_absolute(const char *path)
{
	return path[0] == '/';
}

/* What a new thread runs, until it starts. */
struct platform_thread {
	void	(*fn)(void *);
	void	 *arg;
};

static void *
platform_thread_main(void *p)
{
	struct platform_thread	 th = *(struct platform_thread *)p;

	free(p);
	th.fn(th.arg);
	return NULL;
}

int
platform_thread_start(void (*fn)(void *), void *arg, struct dwerr *err)
{
	struct platform_thread	*th;
	pthread_t		 tid;
	int			 e;

	if ((th = malloc(sizeof(*th))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	th->fn = fn;
	th->arg = arg;
	if ((e = pthread_create(&tid, NULL, platform_thread_main, th)) != 0) {
		free(th);
		dwerr_set(err, e, "cannot start a thread: %s", strerror(e));
		return -1;
	}
	pthread_detach(tid);
	return 0;
}
