/*
 * winutf: UTF-8 <-> UTF-16 for the Win32 W functions, and Win32 error
 * messages. Windows only; the portable code speaks UTF-8 throughout.
 */
#ifndef WINUTF_H
#define WINUTF_H

#include <stddef.h>
#include <wchar.h>

/* A malloc'd UTF-16 copy of s, or NULL (invalid UTF-8, no memory). */
wchar_t	*winutf_wide(const char *s);
/* A malloc'd UTF-8 copy of w, or NULL. */
char	*winutf_narrow(const wchar_t *w);
/* The system's English text for a Win32 error, without the final newline,
 * followed by " (error N)". */
void	 winutf_message(unsigned long code, char *out, size_t outlen);
/* The symbolic name of a Win32 error ("ERROR_SHARING_VIOLATION") or "". */
const char *winutf_error_name(unsigned long code);

#endif
