/*
 * adapters: POSIX (see adapters.h). if_nameindex lists every interface,
 * with or without an address; getifaddrs gives their flags.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "adapters.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

void
adapters_free(struct adapters_entry *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].description);
	}
	free(v);
}

/* The flags getifaddrs gives the interface called name; 0 when none. */
static unsigned
adapters_flags(const struct ifaddrs *ifa, const char *name)
{
	for (; ifa != NULL; ifa = ifa->ifa_next)
		if (ifa->ifa_name != NULL && strcmp(ifa->ifa_name, name) == 0)
			return ifa->ifa_flags;
	return 0;
}

int
adapters_list(struct adapters_entry **out, size_t *n, struct dwerr *err)
{
	struct if_nameindex	*ni, *p;
	struct ifaddrs		*ifa = NULL;
	struct adapters_entry	*v;
	size_t			 count = 0;

	*out = NULL;
	*n = 0;
	if ((ni = if_nameindex()) == NULL) {
		dwerr_set(err, errno, "if_nameindex: %s", strerror(errno));
		return -1;
	}
	if (getifaddrs(&ifa) != 0)
		ifa = NULL;	/* names without flags: none is up */
	for (p = ni; p->if_index != 0 && p->if_name != NULL; p++)
		count++;
	if (count > ADAPTERS_MAX)
		count = ADAPTERS_MAX;
	if ((v = calloc(count > 0 ? count : 1, sizeof(*v))) == NULL)
		goto oom;
	for (p = ni; *n < count; p++) {
		v[*n].up = (adapters_flags(ifa, p->if_name) & IFF_UP) != 0;
		v[*n].type = 0;
		if ((v[*n].name = dwstr_dup(p->if_name)) == NULL ||
		    (v[*n].description = dwstr_dup(p->if_name)) == NULL) {
			(*n)++;
			adapters_free(v, *n);
			*n = 0;
			goto oom;
		}
		(*n)++;
	}
	if (ifa != NULL)
		freeifaddrs(ifa);
	if_freenameindex(ni);
	*out = v;
	return 0;
oom:
	if (ifa != NULL)
		freeifaddrs(ifa);
	if_freenameindex(ni);
	dwerr_set(err, ENOMEM, "out of memory");
	return -1;
}
