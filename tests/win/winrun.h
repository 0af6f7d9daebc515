/* winrun: runs a program of the build under Wine from a Windows test. */
#ifndef WINRUN_H
#define WINRUN_H

#include <windows.h>

/* Runs exe (a path as CMake gives it: a Linux path becomes Wine's Z:
 * drive) with args, stdout and stderr into outfile. Returns its exit code;
 * *elapsed_ms (optional) gets how long it ran. */
DWORD	winrun(const char *exe, const char *args, const char *outfile,
	    DWORD *elapsed_ms);

/* p as a Windows path (a Linux path becomes one on Wine's Z: drive). */
void	winrun_path(const char *p, wchar_t *out, size_t n);

#endif
