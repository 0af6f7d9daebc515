/* testutil: file helpers shared by the tests that touch real files. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>

/* Creates a fresh folder from a template ending in XXXXXX; aborts the
 * test on failure. */
void	 tu_mkdtemp(char *tmpl);
/* Removes the files in dir (one level) and dir itself. */
void	 tu_rmtree(const char *dir);
/* Writes len bytes to path, replacing it. */
void	 tu_put(const char *path, const char *s, size_t len);
/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL when the
 * file cannot be opened. *len (optional) gets the size. */
char	*tu_slurp(const char *path, size_t *len);

/* POSIX only: another program appending to a file. A child process adds
 * "# appended N" lines, N from 0, as fast as it can (open with O_APPEND,
 * write, close each time) until tu_appender_stop, which returns how many
 * it appended. */
struct tu_appender {
	int	 pid;
	int	 fd;	/* where the child reports its count */
};
void	 tu_appender_start(struct tu_appender *a, const char *path);
unsigned long tu_appender_stop(struct tu_appender *a);
/* Checks that path holds every one of the n appended lines, each once, in
 * order; fails the test with the count of lost and misplaced lines. */
void	 tu_appended_check(const char *path, unsigned long n);

#endif
