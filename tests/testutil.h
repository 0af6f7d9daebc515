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

#endif
