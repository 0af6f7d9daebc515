/*
 * holders: the other processes that hold a file open.
 *
 * A hosts file that another process holds can keep the watchdog from
 * replacing it (Windows: a handle that shares no delete), or be written
 * by that process behind the watchdog's back. doctor names them. One
 * implementation per platform: holders_posix.c (Linux's /proc/PID/fd:
 * every process whose descriptors we may read, the file matched by
 * device and inode), holders_win.c (the Restart Manager's RmGetList).
 */
#ifndef HOLDERS_H
#define HOLDERS_H

#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

#define HOLDERS_NAME_BYTES	64u	/* a process name, cut to fit */
#define HOLDERS_MAX		256u	/* more are not listed */

/* One process that holds the file. */
struct holders_proc {
	uint32_t	 pid;
	char		 name[HOLDERS_NAME_BYTES];	/* "" when unknown */
};

/* Lists the processes other than this one that hold path open: *out is
 * malloc'd (free it; NULL when *n is 0), in PID order. *unseen (optional)
 * gets how many processes could not be looked at (another user's, without
 * the right to see their descriptors): a holder may hide among them.
 * Returns 0, or -1 with err when the OS cannot say at all. */
int	holders_list(const char *path, struct holders_proc **out, size_t *n,
	    size_t *unseen, struct dwerr *err);

/* How the OS was asked: "proc", "restart-manager". */
const char *holders_method(void);

#endif
