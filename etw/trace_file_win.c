/* trace_file: Windows implementation (see trace_file.h). */
#include "trace_file.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define TRACE_FILE_MSG_CHARS	256u	/* a Win32 error's text */

struct trace_file {
	HANDLE	 h;
};

/* path (UTF-8) as UTF-16, malloc'd; NULL when it is not valid UTF-8. */
static wchar_t *
trace_file_wide(const char *s)
{
	wchar_t	*w;
	int	 n;

	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	if (n <= 0 || (w = malloc((size_t)n * sizeof(*w))) == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) !=
	    n) {
		free(w);
		return NULL;
	}
	return w;
}

/* The system's text for a Win32 error, into out. */
static void
trace_file_message(DWORD code, char *out, size_t len)
{
	DWORD	 n;

	n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
	    MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), out, (DWORD)len,
	    NULL);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
	    out[n - 1] == ' ' || out[n - 1] == '.'))
		n--;
	if (n == 0)
		snprintf(out, len, "Windows error %lu", (unsigned long)code);
	else
		out[n] = '\0';
}

static void
trace_file_fail(struct dwerr *err, DWORD code, const char *path,
    const char *what)
{
	char	 msg[TRACE_FILE_MSG_CHARS];

	trace_file_message(code, msg, sizeof(msg));
	dwerr_set(err, (int)code, "%s: %s: %s", path, what, msg);
}

int
trace_file_open(const char *path, struct trace_file **out, uint64_t *size,
    struct dwerr *err)
{
	struct trace_file	*f;
	LARGE_INTEGER		 sz;
	wchar_t			*w;
	HANDLE			 h;
	DWORD			 type;

	*out = NULL;
	if ((w = trace_file_wide(path)) == NULL) {
		dwerr_set(err, EINVAL, "%s: cannot open the trace file: the "
		    "path is not valid UTF-8", path);
		return -1;
	}
	/* Opening a pipe or a device does not block here; the file type
	 * refuses them. Others may read, and rename or delete it (log
	 * rotation) while it is open. */
	h = CreateFileW(w, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		trace_file_fail(err, GetLastError(), path,
		    "cannot open the trace file");
		return -1;
	}
	if ((type = GetFileType(h)) != FILE_TYPE_DISK) {
		dwerr_set(err, ERROR_INVALID_PARAMETER, "%s: cannot use it as "
		    "the trace file: it is %s, not a regular file", path,
		    type == FILE_TYPE_PIPE ? "a pipe" : type == FILE_TYPE_CHAR ?
		    "a character device" : "of an unknown kind");
		CloseHandle(h);
		return -1;
	}
	if (!GetFileSizeEx(h, &sz)) {
		trace_file_fail(err, GetLastError(), path,
		    "cannot open the trace file");
		CloseHandle(h);
		return -1;
	}
	if ((f = malloc(sizeof(*f))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		CloseHandle(h);
		return -1;
	}
	f->h = h;
	*size = (uint64_t)sz.QuadPart;
	*out = f;
	return 0;
}

int
trace_file_write(struct trace_file *f, const void *buf, size_t len,
    size_t *done, struct dwerr *err)
{
	const char	*p = buf;
	size_t		 off = 0;
	DWORD		 n, code;
	char		 msg[TRACE_FILE_MSG_CHARS];

	while (off < len) {
		n = 0;
		if (WriteFile(f->h, p + off, (DWORD)(len - off > MAXDWORD ?
		    MAXDWORD : len - off), &n, NULL)) {
			if (n > 0) {
				off += n;
				continue;
			}
			code = ERROR_DISK_FULL;	/* nothing written, no error */
		} else
			code = GetLastError();
		if (done != NULL)
			*done = off;
		trace_file_message(code, msg, sizeof(msg));
		dwerr_set(err, (int)code, "cannot write to the trace file: %s",
		    msg);
		return -1;
	}
	if (done != NULL)
		*done = off;
	return 0;
}

void
trace_file_close(struct trace_file *f)
{
	if (f == NULL)
		return;
	CloseHandle(f->h);
	free(f);
}

int
trace_file_rename(const char *from, const char *to, struct dwerr *err)
{
	wchar_t	*wf = trace_file_wide(from), *wt = trace_file_wide(to);
	DWORD	 code = ERROR_INVALID_NAME;
	char	 msg[TRACE_FILE_MSG_CHARS];
	BOOL	 ok = FALSE;

	if (wf != NULL && wt != NULL &&
	    !(ok = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING)))
		code = GetLastError();
	free(wf);
	free(wt);
	if (ok)
		return 0;
	trace_file_message(code, msg, sizeof(msg));
	dwerr_set(err, (int)code, "cannot rename %s to %s: %s", from, to, msg);
	return -1;
}
