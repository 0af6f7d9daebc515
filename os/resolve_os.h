/* resolve: what each platform's file provides (resolve_posix.c,
 * resolve_win.c) to resolve.c. */
#ifndef RESOLVE_OS_H
#define RESOLVE_OS_H

#include "resolve.h"

/* Looks name up through the system resolver (server NULL) or at server;
 * fills ans (already empty) like resolve_name. */
int	resolve_os_name(const char *name, const char *server,
	    struct resolve_answer *ans, struct dwerr *err);

/* Adds an address (4 or 16 bytes of raw, family 4 or 6) to ans in the
 * canonical text form, once. -1 without memory. */
int	resolve_answer_add(struct resolve_answer *ans, int family,
	    const unsigned char *raw);

#endif
