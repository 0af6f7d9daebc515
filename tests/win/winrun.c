/* winrun: runs a program of the build under Wine (see winrun.h). */
#include "winrun.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

void
winrun_path(const char *p, wchar_t *out, size_t n)
{
	size_t	 i, o = 0;

	if (p[0] == '/') {
		out[o++] = L'Z';
		out[o++] = L':';
	}
	for (i = 0; p[i] != '\0' && o + 1 < n; i++)
		out[o++] = p[i] == '/' ? L'\\' : (wchar_t)(unsigned char)p[i];
	out[o] = L'\0';
}

DWORD
winrun(const char *exe, const char *args, const char *outfile,
    DWORD *elapsed_ms)
{
	STARTUPINFOW		 si;
	PROCESS_INFORMATION	 pi;
	SECURITY_ATTRIBUTES	 sa = { sizeof(sa), NULL, TRUE };
	wchar_t			 wexe[MAX_PATH], cmd[4096], outw[MAX_PATH];
	HANDLE			 out;
	DWORD			 t0, code;

	winrun_path(exe, wexe, MAX_PATH);
	MultiByteToWideChar(CP_UTF8, 0, outfile, -1, outw, MAX_PATH);
	out = CreateFileW(outw, GENERIC_WRITE, FILE_SHARE_READ, &sa,
	    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(out != INVALID_HANDLE_VALUE);
	_snwprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" %hs", wexe, args);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = out;
	si.hStdError = out;
	t0 = GetTickCount();
	assert_true(CreateProcessW(wexe, cmd, NULL, NULL, TRUE, 0, NULL, NULL,
	    &si, &pi));
	CloseHandle(out);
	WaitForSingleObject(pi.hProcess, INFINITE);
	if (elapsed_ms != NULL)
		*elapsed_ms = GetTickCount() - t0;
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return code;
}
