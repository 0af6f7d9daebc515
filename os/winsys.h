/*
 * winsys: Windows only. Where the process finds the system DLLs it uses.
 *
 * The service runs as LocalSystem from a folder an installer chose, and
 * Windows looks for a DLL in the program's own folder first: a DLL planted
 * there under the name of a system one would run as SYSTEM. So:
 * - the program imports only Known DLLs, which Windows maps from System32
 *   whatever the search path (KERNEL32, ADVAPI32, msvcrt, WS2_32; a test
 *   reads the import table of the executable);
 * - every other system DLL is loaded at run time through winsys_proc, from
 *   System32 only;
 * - winsys_harden, first thing in main, makes System32 the only folder
 *   for any load that does not say where (a library's own, or a DLL that
 *   a system DLL pulls in).
 */
#ifndef WINSYS_H
#define WINSYS_H

#include <windows.h>

#include <stdbool.h>

#include "dwerr.h"
#include "platform.h"

/* Makes System32 the default DLL search path of the process. Returns 0, or
 * the Win32 error (the process goes on: the loads below still say where). */
DWORD	winsys_harden(void);

/* The address of fn in the system DLL dll (a bare name: "dnsapi.dll"),
 * loaded from System32 only and kept loaded. NULL with *err set (the Win32
 * error) when either cannot be found. */
FARPROC	winsys_proc(const wchar_t *dll, const char *fn, DWORD *err);

/* The identity (platform.h) of the file open as h. False when Windows
 * cannot say. */
bool	winsys_file_id(HANDLE h, struct platform_file_id *id);

#define WINSYS_REG_PAD_BYTES	(2u * sizeof(wchar_t))	/* NULs after read data */

/* Reads value name of key into *data (malloc'd, followed by
 * WINSYS_REG_PAD_BYTES NUL bytes from the last whole UTF-16 unit on, so
 * string parsing always stops inside the buffer); *len is the stored size.
 * Returns a Win32 code: ERROR_FILE_NOT_FOUND when the value is absent. */
LONG	winsys_reg_query(HKEY key, const wchar_t *name, DWORD *type,
	    BYTE **data, DWORD *len);

/* Fills err with "cannot STEP HKLM\PATH[\SUB]: reason" (the Win32 text
 * of rc) and returns -1. sub may be NULL. */
int	winsys_reg_fail(struct dwerr *err, LONG rc, const char *step,
	    const char *path, const char *sub);

/* Splits REG_MULTI_SZ data read by winsys_reg_query into a malloc'd array
 * of UTF-8 strings (*out, *nout; the caller frees each and the array).
 * -1 without memory. */
int	winsys_reg_multi(const BYTE *data, DWORD len, char ***out,
	    size_t *nout);

#endif
