/* winsys: system DLLs from System32 only (see winsys.h). */
#include "winsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dwerr.h"
#include "winutf.h"

#define WINSYS_MSG_BYTES	320u	/* a Win32 error text */
#define WINSYS_REG_QUERY_TRIES	8u	/* re-reads of a value that keeps growing */

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

bool
winsys_file_id(HANDLE h, struct platform_file_id *id)
{
	BY_HANDLE_FILE_INFORMATION	 fi;
	uint64_t			 t;

	memset(id, 0, sizeof(*id));
	if (!GetFileInformationByHandle(h, &fi))
		return false;
	id->volume = fi.dwVolumeSerialNumber;
	id->inode = ((uint64_t)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
	id->size = ((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow;
	t = ((uint64_t)fi.ftLastWriteTime.dwHighDateTime << 32) |
	    fi.ftLastWriteTime.dwLowDateTime;
	id->mtime_s = (int64_t)(t / 10000000u);
	id->mtime_ns = (int64_t)(t % 10000000u) * 100;
	return true;
}

/*
 * libevent names interfaces with if_nametoindex (iphlpapi.dll), which
 * would make iphlpapi.dll a static import again. This definition satisfies
 * the linker and finds the real one at run time, from System32 only; 0
 * (no such interface) when it cannot.
 */
typedef unsigned long (WINAPI *winsys_nametoindex_fn)(const char *);
unsigned long WINAPI	if_nametoindex(const char *name);

unsigned long WINAPI
if_nametoindex(const char *name)
{
	FARPROC	 p;
	DWORD	 e;

	if ((p = winsys_proc(L"iphlpapi.dll", "if_nametoindex", &e)) == NULL)
		return 0;
	return ((winsys_nametoindex_fn)(void (*)(void))p)(name);
}

/* See winsys.h. */
LONG
winsys_reg_query(HKEY key, const wchar_t *name, DWORD *type, BYTE **data,
    DWORD *len)
{
	BYTE		*buf = NULL, *p;
	DWORD		 cap = 0, n;
	LONG		 rc;
	unsigned	 tries;

	*data = NULL;
	*len = 0;
	for (tries = 0; tries < WINSYS_REG_QUERY_TRIES; tries++) {
		n = cap;
		rc = RegQueryValueExW(key, name, NULL, type, buf, &n);
		if (rc == ERROR_SUCCESS && buf != NULL) {
			memset(buf + n / sizeof(wchar_t) * sizeof(wchar_t), 0,
			    WINSYS_REG_PAD_BYTES + n % sizeof(wchar_t));
			*data = buf;
			*len = n;
			return ERROR_SUCCESS;
		}
		if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA)
			break;
		/* A size query, or the value grew since: make room. */
		if (n > MAXDWORD - WINSYS_REG_PAD_BYTES - 1 || (p = realloc(buf,
		    (size_t)n + WINSYS_REG_PAD_BYTES + 1)) == NULL) {
			rc = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		buf = p;
		cap = n;
	}
	if (tries == WINSYS_REG_QUERY_TRIES)
		rc = ERROR_MORE_DATA;
	free(buf);
	return rc;
}

/* See winsys.h. */
int
winsys_reg_fail(struct dwerr *err, LONG rc, const char *step,
    const char *path, const char *sub)
{
	char	 msg[WINSYS_MSG_BYTES];

	winutf_message((unsigned long)rc, msg, sizeof(msg));
	dwerr_set(err, (int)rc, "cannot %s HKLM\\%s%s%s: %s", step, path,
	    sub != NULL ? "\\" : "", sub != NULL ? sub : "", msg);
	return -1;
}

/* See winsys.h. */
int
winsys_reg_multi(const BYTE *data, DWORD len, char ***out, size_t *nout)
{
	const wchar_t	*w = (const wchar_t *)(const void *)data;
	char		**v;
	size_t		  n = len / sizeof(wchar_t), i, k = 0, count = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n && w[i] != L'\0'; i += wcslen(w + i) + 1)
		count++;
	if ((v = calloc(count > 0 ? count : 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; k < count; i += wcslen(w + i) + 1) {
		if ((v[k] = winutf_narrow(w + i)) == NULL) {
			while (k > 0)
				free(v[--k]);
			free(v);
			return -1;
		}
		k++;
	}
	*out = v;
	*nout = count;
	return 0;
}
