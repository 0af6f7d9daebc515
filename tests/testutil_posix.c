/* testutil: folder helpers for the tests, POSIX (see testutil.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
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
