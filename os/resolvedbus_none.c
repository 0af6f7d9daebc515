/*
 * resolvedbus: builds without a D-Bus client (Windows, or Linux without
 * libsystemd): there is no resolved to talk to (see resolvedbus.h).
 */
#include "resolvedbus.h"

#include <errno.h>
#include <stddef.h>

int
rbus_open(struct rbus **out, struct dwerr *err)
{
	*out = NULL;
	dwerr_set(err, ENOTSUP, "this build has no D-Bus client: "
	    "systemd-resolved cannot be managed");
	return -1;
}

void
rbus_free(struct rbus *bus)
{
	(void)bus;
}

int
rbus_watch(struct rbus *bus, rbus_event_fn fn, void *arg, struct dwerr *err)
{
	(void)bus;
	(void)fn;
	(void)arg;
	dwerr_set(err, ENOTSUP, "no D-Bus client");
	return -1;
}

int
rbus_fd(struct rbus *bus)
{
	(void)bus;
	return -1;
}

bool
rbus_wants_write(struct rbus *bus)
{
	(void)bus;
	return false;
}

uint32_t
rbus_timeout_ms(struct rbus *bus)
{
	(void)bus;
	return UINT32_MAX;
}

int
rbus_process(struct rbus *bus)
{
	(void)bus;
	return -1;
}

int
rbus_wait(struct rbus *bus, uint32_t ms)
{
	(void)bus;
	(void)ms;
	return -1;
}

int
rbus_link_read(struct rbus *bus, int ifindex, rbus_read_fn fn, void *arg,
    struct rbus_op **op, struct dwerr *err)
{
	(void)bus;
	(void)ifindex;
	(void)fn;
	(void)arg;
	*op = NULL;
	dwerr_set(err, ENOTSUP, "no D-Bus client");
	return -1;
}

int
rbus_link_set(struct rbus *bus, int ifindex, unsigned set,
    const struct resolved_link *want, rbus_done_fn fn, void *arg,
    struct rbus_op **op, struct dwerr *err)
{
	(void)bus;
	(void)ifindex;
	(void)set;
	(void)want;
	(void)fn;
	(void)arg;
	*op = NULL;
	dwerr_set(err, ENOTSUP, "no D-Bus client");
	return -1;
}

void
rbus_op_free(struct rbus_op *op)
{
	(void)op;
}

int
rbus_find_link(const char *want, char name[RBUS_IFNAME_BYTES])
{
	(void)want;
	name[0] = '\0';
	return 0;
}
