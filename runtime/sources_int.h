/*
 * sources_int: what sources.c shares with the platform files only (see
 * sources.h). Every platform's struct sources holds a struct
 * sources_common: the loop, the daemon's callback, an own copy of the
 * configuration, and the flags that let sources_free run inside the
 * callback. sources_emit is the one way the platform files call the
 * daemon.
 */
#ifndef SOURCES_INT_H
#define SOURCES_INT_H

#include <stdbool.h>

#include "dwerr.h"
#include "sources.h"

/* An event's detail, and the adapter names (Windows Descriptions) that
 * go into one. */
#define SOURCES_DETAIL_BYTES	160u

struct sources_common {
	struct loop		*loop;
	sources_fn		 fn;
	void			*arg;
	struct sources_config	 cfg;		/* over the copies below */
	char			*hosts_path;
	char			*desired_path;
	char			*record_key;
	char			**vpn;		/* cfg.nvpn, each may be NULL */

	bool			 in_fn;		/* fn is running */
	bool			 dying;		/* sources_free ran in fn */
};

/* Copies cfg, its strings too, into sc->cfg. Returns 0, or -1 when memory
 * runs out (with what was copied left for sources_clear_config). */
int	sources_copy_config(struct sources_common *sc,
	    const struct sources_config *cfg);
/* Frees the copies sources_copy_config made. */
void	sources_clear_config(struct sources_common *sc);
/* Calls the daemon's callback with kind and the detail fmt makes, unless
 * sources_free was already called from it. */
void	sources_emit(struct sources_common *sc, enum source_kind kind,
	    const char *fmt, ...) DW_PRINTF(3, 4);

#endif
