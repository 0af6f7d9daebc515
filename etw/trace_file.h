/*
 * trace_file: the file under the JSON Lines sink, one implementation per
 * platform (trace_file_posix.c, trace_file_win.c).
 *
 * The trace path comes from a config file: it may name a FIFO, a device or
 * a socket. Opening never blocks on one, and anything but a regular file
 * is refused, so a bad path costs the trace, never the watchdog.
 */
#ifndef TRACE_FILE_H
#define TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

struct trace_file;

/* Opens path for appending, creating it; refuses anything but a regular
 * file. *out is the caller's (trace_file_close); *size gets the file's
 * size. Returns 0, or -1 with err naming path and the reason. */
int	trace_file_open(const char *path, struct trace_file **out,
	    uint64_t *size, struct dwerr *err);
/* Appends len bytes; *done (optional) gets how many reached the file, even
 * on failure. Returns 0 when all did, or -1 with err (ENOSPC...). */
int	trace_file_write(struct trace_file *f, const void *buf, size_t len,
	    size_t *done, struct dwerr *err);
/* Closes the file; NULL is a no-op. */
void	trace_file_close(struct trace_file *f);
/* Renames from to to, replacing to. Returns 0, or -1 with err. */
int	trace_file_rename(const char *from, const char *to, struct dwerr *err);

#endif
