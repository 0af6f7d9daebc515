/*
 * dwerr: the error out-parameter every fallible function fills.
 *
 * A function returns 0 on success and -1 on failure; when the caller passed
 * a non-NULL struct dwerr, it then holds a code (errno, a Win32 error, or
 * DWERR_INPUT for bad input) and one or more human sentences, one per line.
 * Several sentences are collected when a parser reports every problem it
 * found (see desired_parse); the count says how many.
 */
#ifndef DWERR_H
#define DWERR_H

#include <stddef.h>

#define DWERR_MSG_BYTES 4096u /* room for the sentences of one failure */
#define DWERR_INPUT	(-1)  /* code for bad input rather than an OS error */

struct dwerr {
	int	 code;		/* errno, Win32 error, or DWERR_INPUT */
	unsigned count;		/* sentences added since the last reset */
	int	 truncated;	/* 1 when sentences were dropped for lack of room */
	char	 msg[DWERR_MSG_BYTES];
};

#if defined(__MINGW32__)
/* MinGW builds use its C99 printf (__USE_MINGW_ANSI_STDIO): %zu, %lld. */
#define DW_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define DW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DW_PRINTF(f, a)
#endif

/* Empties err (a no-op on NULL). */
void	dwerr_reset(struct dwerr *err);
/* Replaces any previous content of err with one sentence and a code. */
void	dwerr_set(struct dwerr *err, int code, const char *fmt, ...) DW_PRINTF(3, 4);
/* Appends one sentence on its own line; the first one sets the code. */
void	dwerr_add(struct dwerr *err, int code, const char *fmt, ...) DW_PRINTF(3, 4);
/* Puts a prefix ("file: ") in front of the existing message. */
void	dwerr_prefix(struct dwerr *err, const char *fmt, ...) DW_PRINTF(2, 3);

#endif
