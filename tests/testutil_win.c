/* testutil: folder helpers for the tests, Windows (see testutil.h). */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

void
tu_mkdtemp(char *tmpl)
{
	size_t	 n = strlen(tmpl);
	unsigned i, k;

	assert_true(n >= 6 && strcmp(tmpl + n - 6, "XXXXXX") == 0);
	for (k = 0; k < 1000; k++) {
		unsigned v = (unsigned)GetTickCount() ^ (GetCurrentProcessId() << 8) ^
		    (k * 2654435761u);

		for (i = 0; i < 6; i++, v /= 36)
			tmpl[n - 6 + i] = "abcdefghijklmnopqrstuvwxyz0123456789"[v % 36];
		if (CreateDirectoryA(tmpl, NULL))
			return;
	}
	fail_msg("cannot create a folder like %s", tmpl);
}

void
tu_rmtree(const char *dir)
{
	WIN32_FIND_DATAA	 fd;
	HANDLE			 h;
	char			 pat[MAX_PATH + 4], p[2 * MAX_PATH];

	snprintf(pat, sizeof(pat), "%s\\*", dir);
	if ((h = FindFirstFileA(pat, &fd)) != INVALID_HANDLE_VALUE) {
		do {
			if (strcmp(fd.cFileName, ".") == 0 ||
			    strcmp(fd.cFileName, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s\\%s", dir, fd.cFileName);
			SetFileAttributesA(p, FILE_ATTRIBUTE_NORMAL);
			if (!DeleteFileA(p))
				RemoveDirectoryA(p);
		} while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	RemoveDirectoryA(dir);
}
