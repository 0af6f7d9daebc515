/* winsys: system DLLs from System32 only (see winsys.h). */
#include "winsys.h"

DWORD
winsys_harden(void)
{
	/* Not SetDllDirectoryW: that adds a folder; this one removes the
	 * program's folder and the current one from the default path. */
	if (!SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_SYSTEM32))
		return GetLastError();
	return 0;
}

FARPROC
winsys_proc(const wchar_t *dll, const char *fn, DWORD *err)
{
	HMODULE	 lib;
	FARPROC	 proc;

	/* Once loaded, it stays loaded for the life of the process: found
	 * again without a new reference. */
	if ((lib = GetModuleHandleW(dll)) == NULL &&
	    (lib = LoadLibraryExW(dll, NULL,
	    LOAD_LIBRARY_SEARCH_SYSTEM32)) == NULL) {
		*err = GetLastError();
		return NULL;
	}
	if ((proc = GetProcAddress(lib, fn)) == NULL) {
		*err = GetLastError();
		return NULL;
	}
	*err = 0;
	return proc;
}
