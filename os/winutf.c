/* winutf: UTF-8 <-> UTF-16 and Win32 error text (see winutf.h). */
#include "winutf.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wchar_t *
winutf_wide(const char *s)
{
	wchar_t	*w;
	int	 n;

	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	if (n <= 0 || (w = malloc((size_t)n * sizeof(*w))) == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

char *
winutf_narrow(const wchar_t *w)
{
	char	*s;
	int	 n;

	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n <= 0 || (s = malloc((size_t)n)) == NULL)
		return NULL;
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
		free(s);
		return NULL;
	}
	return s;
}

void
winutf_message(unsigned long code, char *out, size_t outlen)
{
	wchar_t	 buf[512];
	char	*u = NULL;
	DWORD	 n;

	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)code,
	    MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), buf,
	    sizeof(buf) / sizeof(buf[0]), NULL);
	if (n == 0)
		n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
		    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)code, 0, buf,
		    sizeof(buf) / sizeof(buf[0]), NULL);
	while (n > 0 && (buf[n - 1] == L'\n' || buf[n - 1] == L'\r' ||
	    buf[n - 1] == L' ' || buf[n - 1] == L'.'))
		buf[--n] = L'\0';
	if (n > 0)
		u = winutf_narrow(buf);
	if (u != NULL && u[0] != '\0')
		snprintf(out, outlen, "%s (error %lu)", u, code);
	else
		snprintf(out, outlen, "error %lu", code);
	free(u);
}

const char *
winutf_error_name(unsigned long code)
{
	switch (code) {
#define N(e) case e: return #e
	N(ERROR_FILE_NOT_FOUND);
	N(ERROR_PATH_NOT_FOUND);
	N(ERROR_ACCESS_DENIED);
	N(ERROR_INVALID_HANDLE);
	N(ERROR_NOT_ENOUGH_MEMORY);
	N(ERROR_OUTOFMEMORY);
	N(ERROR_WRITE_PROTECT);
	N(ERROR_SHARING_VIOLATION);
	N(ERROR_LOCK_VIOLATION);
	N(ERROR_HANDLE_DISK_FULL);
	N(ERROR_DISK_FULL);
	N(ERROR_FILE_EXISTS);
	N(ERROR_ALREADY_EXISTS);
	N(ERROR_INVALID_PARAMETER);
	N(ERROR_INVALID_NAME);
	N(ERROR_DIR_NOT_EMPTY);
	N(ERROR_UNABLE_TO_REMOVE_REPLACED);
	N(ERROR_UNABLE_TO_MOVE_REPLACEMENT);
	N(ERROR_UNABLE_TO_MOVE_REPLACEMENT_2);
	N(ERROR_USER_MAPPED_FILE);
	N(ERROR_FILE_READ_ONLY);
	N(ERROR_CANT_ACCESS_FILE);
	N(ERROR_DELETE_PENDING);
	N(ERROR_NOT_READY);
	N(ERROR_BAD_PATHNAME);
	N(ERROR_DIRECTORY);
	N(ERROR_FILENAME_EXCED_RANGE);
	N(ERROR_MORE_DATA);
	N(ERROR_NO_MORE_ITEMS);
	N(ERROR_KEY_DELETED);
	N(ERROR_BADKEY);
	N(ERROR_CANTOPEN);
	N(ERROR_CANTREAD);
	N(ERROR_CANTWRITE);
	N(ERROR_REGISTRY_CORRUPT);
#undef N
	default:
		return "";
	}
}
