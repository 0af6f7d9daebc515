/* testutil: folder helpers for the tests, POSIX (see testutil.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

void
tu_mkdtemp(char *tmpl)
{
	assert_non_null(mkdtemp(tmpl));
}

void
tu_rmtree(const char *dir)
{
	struct dirent	*de;
	char		 p[1024];
	DIR		*d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

#define TU_APPEND_MAX	2000000ul	/* the appender stops here at the latest */
#define TU_APPEND_TAG	"# appended "

static volatile sig_atomic_t tu_appender_stopping;

static void
tu_appender_on_term(int sig)
{
	(void)sig;
	tu_appender_stopping = 1;
}

/* The child's loop; reports its count on out and exits. */
static void
tu_appender_run(const char *path, int out)
{
	struct sigaction	 sa;
	char			 line[64];
	unsigned long		 n;
	int			 fd, len;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tu_appender_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	for (n = 0; !tu_appender_stopping && n < TU_APPEND_MAX; n++) {
		len = snprintf(line, sizeof(line), TU_APPEND_TAG "%lu\n", n);
		while ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
			if (errno != EINTR)
				_exit(2);
		if (write(fd, line, (size_t)len) != len)
			_exit(3);
		close(fd);
	}
	if (write(out, &n, sizeof(n)) != (ssize_t)sizeof(n))
		_exit(4);
	_exit(0);
}

void
tu_appender_start(struct tu_appender *a, const char *path)
{
	int	 pfd[2];
	pid_t	 pid;

	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		tu_appender_run(path, pfd[1]);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	a->pid = (int)pid;
	a->fd = pfd[0];
}

unsigned long
tu_appender_stop(struct tu_appender *a)
{
	unsigned long	 n = 0;
	int		 st;

	kill((pid_t)a->pid, SIGTERM);
	assert_int_equal(read(a->fd, &n, sizeof(n)), (ssize_t)sizeof(n));
	close(a->fd);
	assert_int_equal(waitpid((pid_t)a->pid, &st, 0), (pid_t)a->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return n;
}

void
tu_appended_check(const char *path, unsigned long n)
{
	unsigned long	 want = 0, got, present = 0, misplaced = 0;
	unsigned long	 first_gap = ULONG_MAX;
	char		*all, *p, *end, *nl;
	size_t		 len, tag = strlen(TU_APPEND_TAG);

	assert_non_null(all = tu_slurp(path, &len));
	/* Line by line (a strstr loop is quadratic under a sanitizer that
	 * measures the rest of the string at every call). */
	for (p = all, end = all + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) <= tag || memcmp(p, TU_APPEND_TAG, tag) != 0)
			continue;
		got = strtoul(p + tag, NULL, 10);
		/* want: the next line in order; a smaller one came late. */
		if (got < want)
			misplaced++;
		else if (got > want && first_gap == ULONG_MAX)
			first_gap = want;
		if (got >= want)
			want = got + 1;
		present++;
	}
	free(all);
	if (present != n || want != n || misplaced != 0)
		fail_msg("%lu lines appended: %lu lost, %lu out of order "
		    "(first gap at %lu)", n, n - present, misplaced, first_gap);
}
