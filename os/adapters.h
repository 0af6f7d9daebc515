/*
 * adapters: the machine's network adapters, as doctor lists them.
 *
 * One implementation per platform: adapters_posix.c (the interfaces of
 * if_nameindex, their flags from getifaddrs; the description is the
 * name), adapters_win.c (GetAdaptersAddresses: the friendly name, the
 * description, the operational state and the interface type).
 */
#ifndef ADAPTERS_H
#define ADAPTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

#define ADAPTERS_MAX	1024u	/* more are not listed */

struct adapters_entry {
	char		*name;		/* the interface name (Windows: the
					 * friendly name) */
	char		*description;	/* Windows: the Description; the name
					 * elsewhere */
	bool		 up;		/* operationally up (POSIX: IFF_UP) */
	uint32_t	 type;		/* the IANA ifType; 0: unknown */
};

/* Lists the adapters: *out is malloc'd, free it with adapters_free.
 * Returns 0, or -1 with err. */
int	adapters_list(struct adapters_entry **out, size_t *n,
	    struct dwerr *err);

/* Frees a list of n entries; NULL is a no-op. */
void	adapters_free(struct adapters_entry *v, size_t n);

#endif
