/*
 * hangshim: an LD_PRELOAD library for the verification tests (never
 * shipped). While the file named by DW_HANG_WHILE exists, getaddrinfo
 * does not return (for up to a minute): a resolver that hangs.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define HANGSHIM_MAX_S	60

int	getaddrinfo(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo **res);

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int		(*real)(const char *, const char *,
			    const struct addrinfo *, struct addrinfo **);
	const char	*flag = getenv("DW_HANG_WHILE");
	struct timespec	 tick = { 0, 50000000L };
	int		 i;

	for (i = 0; flag != NULL && access(flag, F_OK) == 0 &&
	    i < HANGSHIM_MAX_S * 20; i++)
		nanosleep(&tick, NULL);
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real(node, service, hints, res);
}
