/*
 * resolvedbus: systemd-resolved over sd-bus (see resolvedbus.h and
 * docs/decisions/0012-resolved-backend.md).
 *
 * No request starts resolved (auto-start off): a resolved that an admin
 * stopped stays stopped, and its absence reads as NameHasNoOwner rather
 * than as the failure of a start.
 *
 * sd-bus is used only in its asynchronous form: sd_bus_call_async for
 * every request, sd_bus_process to dispatch, and sd_bus_get_fd,
 * sd_bus_get_events and sd_bus_get_timeout for the caller's loop. The
 * connection itself is started without waiting: the bus's handshake runs
 * from sd_bus_process like everything else.
 */
#define _GNU_SOURCE

#include "resolvedbus.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <net/if.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "dwstr.h"

#define RBUS_DEST	"org.freedesktop.resolve1"
#define RBUS_PATH	"/org/freedesktop/resolve1"
#define RBUS_MANAGER	"org.freedesktop.resolve1.Manager"
#define RBUS_LINK	"org.freedesktop.resolve1.Link"
#define RBUS_LINK_PATH	"/org/freedesktop/resolve1/link"

struct rbus {
	sd_bus		*bus;
	sd_bus_slot	*watch[2];
	rbus_event_fn	 fn;
	void		*arg;
	bool		 lost;
};

struct rbus_op {
	struct rbus	*bus;
	sd_bus_slot	*slot;
	rbus_read_fn	 read;
	rbus_done_fn	 done;
	void		*arg;
};

int
rbus_open(struct rbus **out, struct dwerr *err)
{
	struct rbus	*b;
	int		 r;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	if ((r = sd_bus_open_system(&b->bus)) < 0) {
		dwerr_set(err, -r, "cannot connect to the system bus: %s",
		    strerror(-r));
		free(b);
		return -1;
	}
	*out = b;
	return 0;
}

void
rbus_free(struct rbus *bus)
{
	if (bus == NULL)
		return;
	sd_bus_slot_unref(bus->watch[0]);
	sd_bus_slot_unref(bus->watch[1]);
	/* Drops what is queued: a stop does not wait for the bus. */
	sd_bus_close_unref(bus->bus);
	free(bus);
}

/* NameOwnerChanged(name, old, new) for resolved's name. */
static int
rbus_owner_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct rbus	*bus = arg;
	const char	*name, *old, *new;

	(void)ret;
	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 ||
	    strcmp(name, RBUS_DEST) != 0)
		return 0;
	bus->fn(bus->arg, new[0] != '\0' ? RBUS_RESOLVED_UP :
	    RBUS_RESOLVED_GONE);
	return 0;
}

static int
rbus_props_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct rbus	*bus = arg;

	(void)m;
	(void)ret;
	bus->fn(bus->arg, RBUS_DNS_CHANGED);
	return 0;
}

int
rbus_watch(struct rbus *bus, rbus_event_fn fn, void *arg, struct dwerr *err)
{
	int	 r;

	bus->fn = fn;
	bus->arg = arg;
	/* No sender= in the matches: a well-known sender name cannot be
	 * checked on this side, and path, interface and member are enough. */
	if ((r = sd_bus_add_match_async(bus->bus, &bus->watch[0],
	    "type='signal',path='/org/freedesktop/DBus',"
	    "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
	    "arg0='" RBUS_DEST "'", rbus_owner_cb, NULL, bus)) < 0 ||
	    (r = sd_bus_add_match_async(bus->bus, &bus->watch[1],
	    "type='signal',path='" RBUS_PATH "',"
	    "interface='org.freedesktop.DBus.Properties',"
	    "member='PropertiesChanged',arg0='" RBUS_MANAGER "'",
	    rbus_props_cb, NULL, bus)) < 0) {
		dwerr_set(err, -r, "cannot watch resolved on the bus: %s",
		    strerror(-r));
		return -1;
	}
	return 0;
}

int
rbus_fd(struct rbus *bus)
{
	return sd_bus_get_fd(bus->bus);
}

bool
rbus_wants_write(struct rbus *bus)
{
	int	 ev = sd_bus_get_events(bus->bus);

	return ev > 0 && (ev & POLLOUT) != 0;
}

/* Now on CLOCK_MONOTONIC, which sd-bus's timeouts use. */
static uint64_t
rbus_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint32_t
rbus_timeout_ms(struct rbus *bus)
{
	uint64_t	 at, now;

	if (sd_bus_get_timeout(bus->bus, &at) < 0 || at == UINT64_MAX)
		return UINT32_MAX;
	now = rbus_now_us();
	if (at <= now)
		return 0;
	/* Rounded up: a wake-up just before the deadline would find
	 * nothing to do and come back at once. */
	at = (at - now + 999u) / 1000u;
	return at > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)at;
}

int
rbus_process(struct rbus *bus)
{
	int	 r, n;

	if (bus->lost)
		return -1;
	/* A bounded number of messages per call: the loop has other work. */
	for (n = 0; n < 64; n++) {
		if ((r = sd_bus_process(bus->bus, NULL)) < 0) {
			bus->lost = true;
			if (bus->fn != NULL)
				bus->fn(bus->arg, RBUS_LOST);
			return -1;
		}
		if (r == 0)
			break;
	}
	return 0;
}

int
rbus_wait(struct rbus *bus, uint32_t ms)
{
	if (bus->lost)
		return -1;
	if (sd_bus_wait(bus->bus, (uint64_t)ms * 1000u) < 0) {
		bus->lost = true;
		return -1;
	}
	return rbus_process(bus);
}

/* A failed reply's meaning: resolved absent, link unknown, or an errno. */
static int
rbus_error_status(const sd_bus_error *e)
{
	int	 r;

	if (sd_bus_error_has_names(e, "org.freedesktop.DBus.Error.ServiceUnknown",
	    "org.freedesktop.DBus.Error.NameHasNoOwner"))
		return RBUS_E_UNAVAILABLE;
	if (sd_bus_error_has_names(e, "org.freedesktop.DBus.Error.UnknownObject",
	    "org.freedesktop.resolve1.NoSuchLink"))
		return RBUS_E_NO_LINK;
	r = sd_bus_error_get_errno(e);
	return r > 0 ? r : EIO;
}

static struct rbus_op *
rbus_op_new(struct rbus *bus, rbus_read_fn read, rbus_done_fn done, void *arg,
    struct dwerr *err)
{
	struct rbus_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	op->bus = bus;
	op->read = read;
	op->done = done;
	op->arg = arg;
	return op;
}

void
rbus_op_free(struct rbus_op *op)
{
	if (op == NULL)
		return;
	sd_bus_slot_unref(op->slot);
	free(op);
}

/* Reads a(iay) into l's servers. */
static int
rbus_read_servers(sd_bus_message *m, struct resolved_link *l)
{
	const void	*addr;
	size_t		 len;
	int32_t		 fam;
	int		 r;

	if ((r = sd_bus_message_enter_container(m, 'v', "a(iay)")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "(iay)")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'r', "iay")) > 0) {
		if ((r = sd_bus_message_read(m, "i", &fam)) < 0 ||
		    (r = sd_bus_message_read_array(m, 'y', &addr, &len)) < 0)
			return r;
		if ((fam == AF_INET && len == 4) || (fam == AF_INET6 &&
		    len == 16)) {
			if (resolved_link_add_server(l, fam == AF_INET ? 4 : 6,
			    addr) != 0)
				return -ENOMEM;
		}
		if ((r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* Reads a(sb) into l's domains. */
static int
rbus_read_domains(sd_bus_message *m, struct resolved_link *l)
{
	const char	*name;
	int		 routing, r;

	if ((r = sd_bus_message_enter_container(m, 'v', "a(sb)")) < 0 ||
	    (r = sd_bus_message_enter_container(m, 'a', "(sb)")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "(sb)", &name, &routing)) > 0)
		if (resolved_link_add_domain(l, name, routing != 0) != 0)
			return -ENOMEM;
	if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* GetAll's a{sv}: DNS, Domains and DefaultRoute; the rest skipped. */
static int
rbus_read_props(sd_bus_message *m, struct resolved_link *l)
{
	const char	*name;
	int		 r, b;

	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if ((r = sd_bus_message_read(m, "s", &name)) < 0)
			return r;
		if (strcmp(name, "DNS") == 0)
			r = rbus_read_servers(m, l);
		else if (strcmp(name, "Domains") == 0)
			r = rbus_read_domains(m, l);
		else if (strcmp(name, "DefaultRoute") == 0) {
			if ((r = sd_bus_message_read(m, "v", "b", &b)) >= 0)
				l->default_route = b != 0;
		} else
			r = sd_bus_message_skip(m, "v");
		if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int
rbus_read_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct rbus_op		*op = arg;
	struct resolved_link	 live;
	char			 msg[256];
	int			 r;

	(void)ret;
	memset(&live, 0, sizeof(live));
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);

		snprintf(msg, sizeof(msg), "%s", e->message != NULL ?
		    e->message : e->name);
		op->read(op->arg, rbus_error_status(e), NULL, msg);
		return 0;
	}
	if ((r = rbus_read_props(m, &live)) < 0) {
		snprintf(msg, sizeof(msg), "cannot read the link's properties: "
		    "%s", strerror(-r));
		resolved_link_clear(&live);
		op->read(op->arg, -r, NULL, msg);
		return 0;
	}
	op->read(op->arg, RBUS_OK, &live, "");
	resolved_link_clear(&live);
	return 0;
}

static int
rbus_done_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct rbus_op	*op = arg;
	char		 msg[256];

	(void)ret;
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);

		snprintf(msg, sizeof(msg), "%s", e->message != NULL ?
		    e->message : e->name);
		op->done(op->arg, rbus_error_status(e), msg);
		return 0;
	}
	op->done(op->arg, RBUS_OK, "");
	return 0;
}

/* Sends m; the reply goes to cb with op. */
static int
rbus_send(struct rbus *bus, sd_bus_message *m, sd_bus_message_handler_t cb,
    struct rbus_op *op, struct dwerr *err)
{
	int	 r;

	if (bus->lost)
		r = -ENOTCONN;
	else
		r = sd_bus_call_async(bus->bus, &op->slot, m, cb, op,
		    (uint64_t)RBUS_CALL_TIMEOUT_MS * 1000u);
	if (r < 0) {
		dwerr_set(err, -r, "cannot send to resolved: %s", strerror(-r));
		return -1;
	}
	return 0;
}

int
rbus_link_read(struct rbus *bus, int ifindex, rbus_read_fn fn, void *arg,
    struct rbus_op **out, struct dwerr *err)
{
	sd_bus_message	*m = NULL;
	struct rbus_op	*op;
	char		 idx[16], *path = NULL;
	int		 r;

	*out = NULL;
	if ((op = rbus_op_new(bus, fn, NULL, arg, err)) == NULL)
		return -1;
	snprintf(idx, sizeof(idx), "%d", ifindex);
	if ((r = sd_bus_path_encode(RBUS_LINK_PATH, idx, &path)) < 0 ||
	    (r = sd_bus_message_new_method_call(bus->bus, &m, RBUS_DEST, path,
	    "org.freedesktop.DBus.Properties", "GetAll")) < 0 ||
	    (r = sd_bus_message_set_auto_start(m, 0)) < 0 ||
	    (r = sd_bus_message_append(m, "s", RBUS_LINK)) < 0) {
		dwerr_set(err, -r, "cannot ask resolved: %s", strerror(-r));
		goto fail;
	}
	if (rbus_send(bus, m, rbus_read_cb, op, err) != 0)
		goto fail;
	sd_bus_message_unref(m);
	free(path);
	*out = op;
	return 0;
fail:
	sd_bus_message_unref(m);
	free(path);
	rbus_op_free(op);
	return -1;
}

/* The argument of one setter. */
static int
rbus_append_set(sd_bus_message *m, unsigned set, const struct resolved_link *w)
{
	size_t	 i;
	int	 r;

	switch (set) {
	case RESOLVED_SET_DNS:
		if ((r = sd_bus_message_open_container(m, 'a', "(iay)")) < 0)
			return r;
		for (i = 0; i < w->nservers; i++) {
			const struct resolved_server *s = &w->servers[i];

			if ((r = sd_bus_message_open_container(m, 'r',
			    "iay")) < 0 ||
			    (r = sd_bus_message_append(m, "i", s->family == 4 ?
			    AF_INET : AF_INET6)) < 0 ||
			    (r = sd_bus_message_append_array(m, 'y', s->addr,
			    s->family == 4 ? 4 : 16)) < 0 ||
			    (r = sd_bus_message_close_container(m)) < 0)
				return r;
		}
		return sd_bus_message_close_container(m);
	case RESOLVED_SET_DOMAINS:
		if ((r = sd_bus_message_open_container(m, 'a', "(sb)")) < 0)
			return r;
		for (i = 0; i < w->ndomains; i++)
			if ((r = sd_bus_message_append(m, "(sb)",
			    w->domains[i].name, (int)w->domains[i].routing)) < 0)
				return r;
		return sd_bus_message_close_container(m);
	case RESOLVED_SET_DEFAULT_ROUTE:
		return sd_bus_message_append(m, "b", (int)w->default_route);
	}
	return 0;
}

int
rbus_link_set(struct rbus *bus, int ifindex, unsigned set,
    const struct resolved_link *want, rbus_done_fn fn, void *arg,
    struct rbus_op **out, struct dwerr *err)
{
	sd_bus_message	*m = NULL;
	struct rbus_op	*op;
	const char	*member;
	int		 r;

	*out = NULL;
	switch (set) {
	case 0:
		member = "RevertLink";
		break;
	case RESOLVED_SET_DNS:
		member = "SetLinkDNS";
		break;
	case RESOLVED_SET_DOMAINS:
		member = "SetLinkDomains";
		break;
	case RESOLVED_SET_DEFAULT_ROUTE:
		member = "SetLinkDefaultRoute";
		break;
	default:
		dwerr_set(err, EINVAL, "one setter at a time");
		return -1;
	}
	if ((op = rbus_op_new(bus, NULL, fn, arg, err)) == NULL)
		return -1;
	if ((r = sd_bus_message_new_method_call(bus->bus, &m, RBUS_DEST,
	    RBUS_PATH, RBUS_MANAGER, member)) < 0 ||
	    (r = sd_bus_message_set_auto_start(m, 0)) < 0 ||
	    (r = sd_bus_message_append(m, "i", (int32_t)ifindex)) < 0 ||
	    (r = rbus_append_set(m, set, want)) < 0) {
		dwerr_set(err, -r, "cannot build %s: %s", member, strerror(-r));
		goto fail;
	}
	if (rbus_send(bus, m, rbus_done_cb, op, err) != 0)
		goto fail;
	sd_bus_message_unref(m);
	*out = op;
	return 0;
fail:
	sd_bus_message_unref(m);
	rbus_op_free(op);
	return -1;
}

/* True when the link is administratively up (sysfs: no socket needed,
 * which a sandboxed service may not be allowed to make). */
static bool
rbus_link_up(const char *name)
{
	char		 path[64];
	unsigned	 flags = 0;
	FILE		*f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", name);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fscanf(f, "%x", &flags) != 1)
		flags = 0;
	fclose(f);
	return (flags & IFF_UP) != 0;
}

int
rbus_find_link(const char *want, char name[RBUS_IFNAME_BYTES])
{
	struct if_nameindex	*all, *it;
	unsigned		 best = 0;
	bool			 best_up = false, up;
	size_t			 wl = strlen(want);

	if (wl == 0 || (all = if_nameindex()) == NULL)
		return 0;
	for (it = all; it->if_index != 0 && it->if_name != NULL; it++) {
		if (strcmp(it->if_name, want) == 0) {
			best = it->if_index;
			snprintf(name, RBUS_IFNAME_BYTES, "%s", it->if_name);
			break;
		}
		if (strncmp(it->if_name, want, wl) != 0)
			continue;
		/* A prefix: a link that is up before one that is down (the
		 * ipip module's tunl0 is there, and down, beside tun0). */
		up = rbus_link_up(it->if_name);
		if (best == 0 || (up && !best_up) ||
		    (up == best_up && it->if_index < best)) {
			best = it->if_index;
			best_up = up;
			snprintf(name, RBUS_IFNAME_BYTES, "%s", it->if_name);
		}
	}
	if_freenameindex(all);
	return (int)best;
}
