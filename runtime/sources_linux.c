/*
 * sources: Linux (see sources.h).
 *
 * rtnetlink tells about links, addresses and routes. Links are kept in a
 * table (index, name, up and running) so that only real changes are
 * reported, not every attribute update; the table is filled silently from
 * a dump at start and checked against a new dump after the kernel dropped
 * messages. inotify watches the folders of the hosts file (and of the file
 * it links to) and of the desired-state file, so an edit in place, a
 * rename-over, a delete and a re-create are all seen. A hosts file that is
 * a bind mount (containers) is also watched itself: writes through a bind
 * mount do not show in the folder it is mounted in.
 */
#define _GNU_SOURCE

#include "sources.h"
#include "sources_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "dwstr.h"
#include "hostsfile.h"
#include "log.h"

#define SOURCES_NL_BUF_BYTES	(32u << 10)	/* room for one rtnetlink datagram */
#define SOURCES_NL_RCVBUF_BYTES	(1 << 20)	/* socket buffer asked for */
#define SOURCES_IN_BUF_BYTES	(16u << 10)	/* inotify events read at once */
#define SOURCES_READS_MAX	64u		/* reads per wake-up, then yield */
#define SOURCES_NL_GROUPS	(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | \
				 RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | \
				 RTMGRP_IPV6_ROUTE)
#define SOURCES_IN_MASK		(IN_CLOSE_WRITE | IN_MOVED_TO | \
				 IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
				 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | \
				 IN_ONLYDIR)
#define SOURCES_IN_FILE_MASK	(IN_CLOSE_WRITE | IN_ATTRIB)

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT	0x2000
#endif

/* A link as last seen; "up" means both IFF_UP and IFF_RUNNING. */
struct sources_link {
	int		 ifindex;
	bool		 up;
	unsigned	 gen;		/* the dump generation that last saw it */
	char		 name[IF_NAMESIZE];
};

/* A file watched through its folder. */
struct sources_target {
	enum source_kind kind;
	char		*path;		/* NULL: unused slot */
	char		*dir;
	char		*base;
	int		 wd;		/* -1: folder not watched (yet) */
	int		 fwd;		/* the file itself, when a mount */
	bool		 lost;		/* the folder was watched, then not */
	bool		 told;		/* the failure to watch was logged */
};

enum {
	SOURCES_T_HOSTS,		/* the hosts path as configured */
	SOURCES_T_HOSTS_LINK,		/* the file it links to, if a link */
	SOURCES_T_DESIRED,
	SOURCES_T_COUNT
};

struct sources {
	struct sources_common	 sc;

	int			 nl_fd;
	struct loop_io		*nl_io;
	uint32_t		 nl_port;
	uint32_t		 nl_seq;
	uint32_t		 dump_seq;
	bool			 dumping;	/* a link dump is under way */
	bool			 seeding;	/* it is the first: report nothing */
	bool			 dump_again;	/* dump once more when it ends */
	unsigned		 gen;
	struct sources_link	*links;
	size_t			 nlinks;
	size_t			 caplinks;

	int			 in_fd;
	struct loop_io		*in_io;
	struct sources_target	 t[SOURCES_T_COUNT];

	union {
		struct nlmsghdr	 h;
		char		 b[SOURCES_NL_BUF_BYTES];
	} nlbuf;
	union {
		struct inotify_event e;
		char		 b[SOURCES_IN_BUF_BYTES];
	} inbuf;
};

/* Splits path into a malloc'd folder and base name. */
static int
sources_split(const char *path, char **dir, char **base)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		*dir = dwstr_dup(".");
	else if (slash == path)
		*dir = dwstr_dup("/");
	else
		*dir = dwstr_ndup(path, (size_t)(slash - path));
	*base = dwstr_dup(slash == NULL ? path : slash + 1);
	if (*dir == NULL || *base == NULL) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		return -1;
	}
	return 0;
}

static void
sources_target_clear(struct sources_target *t)
{
	free(t->path);
	free(t->dir);
	free(t->base);
	t->path = t->dir = t->base = NULL;
	t->wd = t->fwd = -1;
	t->lost = t->told = false;
}

/* Fills t for path, which it takes (malloc'd). */
static int
sources_target_take(struct sources_target *t, enum source_kind kind,
    char *path)
{
	sources_target_clear(t);
	if (path == NULL)
		return -1;
	if (sources_split(path, &t->dir, &t->base) != 0) {
		free(path);
		return -1;
	}
	t->kind = kind;
	t->path = path;
	return 0;
}

/* The file path links to, malloc'd; NULL when path is no link. A link
 * whose target is missing still names the place to watch. */
static char *
sources_link_target(const char *path)
{
	struct stat	 st;
	char		 to[PATH_MAX], *real, *dir, *base, *p;
	ssize_t		 n;
	size_t		 len;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return NULL;
	if ((real = realpath(path, NULL)) != NULL)
		return real;
	if ((n = readlink(path, to, sizeof(to) - 1)) <= 0)
		return NULL;
	to[n] = '\0';
	if (to[0] == '/')
		return dwstr_dup(to);
	if (sources_split(path, &dir, &base) != 0)
		return NULL;
	len = strlen(dir) + strlen(to) + 2;
	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s/%s", dir, to);
	free(dir);
	free(base);
	return p;
}

static bool
sources_wd_used(const struct sources *src, int wd)
{
	size_t	 i;

	for (i = 0; i < SOURCES_T_COUNT; i++)
		if (src->t[i].path != NULL && src->t[i].wd == wd)
			return true;
	return false;
}

/* True when path (not following a link) is the root of a mount, as a
 * bind-mounted file is. */
static bool
sources_is_mount(const char *path, const char *dir)
{
	struct statx	 sx;
	struct stat	 a, b;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
	    &sx) == 0 && (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Before Linux 5.8: a mount from another file system at least. */
	return lstat(path, &a) == 0 && stat(dir, &b) == 0 &&
	    S_ISREG(a.st_mode) && a.st_dev != b.st_dev;
}

/* Watches a hosts file that is a mount by itself, once. */
static void
sources_watch_file(struct sources *src, struct sources_target *t)
{
	if (t->kind != SOURCE_HOSTS || t->fwd >= 0 ||
	    !sources_is_mount(t->path, t->dir))
		return;
	if ((t->fwd = inotify_add_watch(src->in_fd, t->path,
	    SOURCES_IN_FILE_MASK)) < 0)
		log_error("%s: a mount, and it cannot be watched: %s", t->path,
		    strerror(errno));
	else
		log_debug("%s: a mount; watching the file too", t->path);
}

/* Stops watching the file of t, if watched. */
static void
sources_unwatch_file(struct sources *src, struct sources_target *t)
{
	if (t->fwd >= 0)
		(void)inotify_rm_watch(src->in_fd, t->fwd);
	t->fwd = -1;
}

/* Watches the folder of every target that has no watch. A target whose
 * folder comes back is reported, since what happened in the meantime was
 * not seen. Failures are logged once per target and retried on the next
 * event of either source. */
static void
sources_watch_all(struct sources *src)
{
	size_t	 i;

	if (src->in_fd < 0)
		return;
	for (i = 0; i < SOURCES_T_COUNT && !src->sc.dying; i++) {
		struct sources_target	*t = &src->t[i];
		struct stat		 st;
		int			 wd, e;

		if (t->path == NULL || t->wd >= 0)
			continue;
		if ((wd = inotify_add_watch(src->in_fd, t->dir,
		    SOURCES_IN_MASK)) < 0) {
			e = errno;
			if (t->told)
				continue;
			t->told = true;
			if (e == ENOENT)
				log_notice("%s: folder %s does not exist; "
				    "watching it once it does", t->path, t->dir);
			else
				log_error("%s: cannot watch folder %s: %s; "
				    "trying again on the next event", t->path,
				    t->dir, strerror(e));
			continue;
		}
		t->wd = wd;
		sources_watch_file(src, t);
		if (t->told || t->lost)
			log_notice("%s: watching folder %s again", t->path,
			    t->dir);
		if ((t->told || t->lost) && lstat(t->path, &st) == 0)
			sources_emit(&src->sc, t->kind, "created");
		t->told = t->lost = false;
	}
}

/* The watch wd is gone (its folder was deleted or moved): watch the
 * folders again by path, now or on a later event. */
static void
sources_watch_lost(struct sources *src, int wd)
{
	size_t	 i;

	for (i = 0; i < SOURCES_T_COUNT; i++) {
		if (src->t[i].path != NULL && src->t[i].wd == wd) {
			src->t[i].wd = -1;
			src->t[i].lost = true;
		}
	}
	sources_watch_all(src);
}

/* Follows the hosts path when it is a link: the file it points to may be
 * edited in its own folder. Called at start and whenever the link itself
 * changes. */
static void
sources_hosts_link(struct sources *src)
{
	struct sources_target	*h = &src->t[SOURCES_T_HOSTS];
	struct sources_target	*l = &src->t[SOURCES_T_HOSTS_LINK];
	char			*to;
	int			 old = l->wd;

	if (h->path == NULL)
		return;
	to = sources_link_target(h->path);
	if (to == NULL ? l->path == NULL :
	    l->path != NULL && strcmp(to, l->path) == 0) {
		free(to);
		return;
	}
	if (to != NULL)
		log_debug("%s links to %s; watching both", h->path, to);
	sources_unwatch_file(src, l);
	if (to == NULL)
		sources_target_clear(l);
	else if (sources_target_take(l, SOURCE_HOSTS, to) != 0)
		log_error("%s: out of memory following its link", h->path);
	sources_watch_all(src);
	if (old >= 0 && !sources_wd_used(src, old))
		(void)inotify_rm_watch(src->in_fd, old);
}

/* Reports detail once for each kind watched through wd (-1: all). */
static void
sources_in_report(struct sources *src, int wd, const char *detail)
{
	unsigned	 seen = 0;
	size_t		 i;

	for (i = 0; i < SOURCES_T_COUNT; i++) {
		const struct sources_target *t = &src->t[i];

		if (t->path == NULL || (wd != -1 && t->wd != wd) ||
		    (seen & (1u << t->kind)))
			continue;
		seen |= 1u << t->kind;
		sources_emit(&src->sc, t->kind, "%s", detail);
	}
}

static const char *
sources_in_what(uint32_t mask)
{
	if (mask & IN_MOVED_TO)
		return "replaced";
	if (mask & IN_CREATE)
		return "created";
	if (mask & IN_CLOSE_WRITE)
		return "modified";
	if (mask & IN_DELETE)
		return "deleted";
	if (mask & IN_MOVED_FROM)
		return "moved away";
	if (mask & IN_ATTRIB)
		return "attributes changed";
	return NULL;
}

static void
sources_in_event(struct sources *src, const struct inotify_event *ev)
{
	const char	*what;
	bool		 relink = false;
	size_t		 i;

	if (ev->mask & IN_Q_OVERFLOW) {
		log_notice("inotify: events were dropped");
		sources_in_report(src, -1, "overflow");
		return;
	}
	for (i = 0; i < SOURCES_T_COUNT; i++) {
		struct sources_target *t = &src->t[i];

		if (t->path == NULL || t->fwd < 0 || t->fwd != ev->wd)
			continue;
		if (ev->mask & IN_IGNORED)
			t->fwd = -1;
		else if ((what = sources_in_what(ev->mask)) != NULL)
			sources_emit(&src->sc, t->kind, "%s", what);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		sources_watch_lost(src, ev->wd);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		bool moved = (ev->mask & IN_MOVE_SELF) != 0;

		sources_in_report(src, ev->wd,
		    moved ? "folder moved" : "folder deleted");
		if (moved && !src->sc.dying) {
			/* The watch follows the folder, not its path. */
			(void)inotify_rm_watch(src->in_fd, ev->wd);
			sources_watch_lost(src, ev->wd);
		}
		return;
	}
	if (ev->len == 0 || ev->name[0] == '\0' ||
	    strstr(ev->name, HOSTSFILE_TEMP_TAG) != NULL ||
	    (what = sources_in_what(ev->mask)) == NULL)
		return;
	for (i = 0; i < SOURCES_T_COUNT && !src->sc.dying; i++) {
		const struct sources_target *t = &src->t[i];

		if (t->path == NULL || t->wd != ev->wd ||
		    strcmp(t->base, ev->name) != 0)
			continue;
		sources_emit(&src->sc, t->kind, "%s", what);
		if (i == SOURCES_T_HOSTS)
			relink = true;
	}
	if (relink && !src->sc.dying)
		sources_hosts_link(src);
}

static void
sources_in_read(struct sources *src)
{
	unsigned	 reads;

	for (reads = 0; reads < SOURCES_READS_MAX && !src->sc.dying; reads++) {
		ssize_t	 n = read(src->in_fd, src->inbuf.b, sizeof(src->inbuf.b));
		size_t	 off;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n < 0)
				log_error("inotify: %s", strerror(errno));
			return;
		}
		off = 0;
		while (off + sizeof(struct inotify_event) <= (size_t)n &&
		    !src->sc.dying) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(src->inbuf.b + off);

			if (off + sizeof(*ev) + ev->len > (size_t)n)
				break;
			sources_in_event(src, ev);
			off += sizeof(*ev) + ev->len;
		}
	}
}

static void sources_destroy(struct sources *);
static void sources_nl_read(struct sources *);

static void
sources_in_cb(void *arg)
{
	struct sources	*src = arg;

	sources_watch_all(src);
	sources_in_read(src);
	if (src->sc.dying)
		sources_destroy(src);
}

static void
sources_nl_cb(void *arg)
{
	struct sources	*src = arg;

	sources_watch_all(src);
	sources_nl_read(src);
	if (src->sc.dying)
		sources_destroy(src);
}

static int
sources_in_open(struct sources *src, struct dwerr *err)
{
	size_t	 i;
	int	 e;

	if (src->t[SOURCES_T_HOSTS].path == NULL &&
	    src->t[SOURCES_T_DESIRED].path == NULL)
		return 0;
	if ((src->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		e = errno;
		dwerr_set(err, e, "inotify: %s", strerror(e));
		return -1;
	}
	if ((src->in_io = loop_io_new(src->sc.loop, src->in_fd, sources_in_cb,
	    src)) == NULL) {
		dwerr_set(err, ENOMEM, "inotify: cannot add it to the loop");
		return -1;
	}
	sources_hosts_link(src);
	sources_watch_all(src);
	for (i = 0; i < SOURCES_T_COUNT; i++)
		if (src->t[i].path != NULL && src->t[i].wd >= 0)
			log_debug("watching %s in folder %s", src->t[i].path,
			    src->t[i].dir);
	return 0;
}

/* Asks the kernel for every link; the answer fills or checks the table. */
static void
sources_nl_dump(struct sources *src)
{
	struct {
		struct nlmsghdr		h;
		struct ifinfomsg	i;
	} req;
	struct sockaddr_nl	 kernel;

	if (src->dumping) {
		src->dump_again = true;
		return;
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++src->nl_seq;
	req.h.nlmsg_pid = src->nl_port;
	req.i.ifi_family = AF_UNSPEC;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(src->nl_fd, &req, req.h.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		log_error("rtnetlink: cannot list links: %s; links are "
		    "learnt from their next change", strerror(errno));
		src->seeding = false;
		return;
	}
	src->dump_seq = req.h.nlmsg_seq;
	src->dumping = true;
	src->gen++;
}

static int
sources_nl_open(struct sources *src, struct dwerr *err)
{
	struct sockaddr_nl	 sa;
	socklen_t		 salen = sizeof(sa);
	int			 rcvbuf = SOURCES_NL_RCVBUF_BYTES, e;

	if ((src->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, NETLINK_ROUTE)) < 0) {
		e = errno;
		dwerr_set(err, e, "rtnetlink socket: %s", strerror(e));
		return -1;
	}
	/* A larger buffer makes overflows (and the resulting dump) rarer;
	 * the kernel caps it at net.core.rmem_max. */
	(void)setsockopt(src->nl_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = SOURCES_NL_GROUPS;
	if (bind(src->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(src->nl_fd, (struct sockaddr *)&sa, &salen) != 0) {
		e = errno;
		dwerr_set(err, e, "rtnetlink: cannot join the link, address "
		    "and route groups: %s", strerror(e));
		return -1;
	}
	src->nl_port = sa.nl_pid;
	if ((src->nl_io = loop_io_new(src->sc.loop, src->nl_fd, sources_nl_cb,
	    src)) == NULL) {
		dwerr_set(err, ENOMEM, "rtnetlink: cannot add it to the loop");
		return -1;
	}
	src->seeding = true;
	sources_nl_dump(src);
	return 0;
}

static struct sources_link *
sources_link_find(struct sources *src, int ifindex)
{
	size_t	 i;

	for (i = 0; i < src->nlinks; i++)
		if (src->links[i].ifindex == ifindex)
			return &src->links[i];
	return NULL;
}

/* A new zeroed entry for ifindex; NULL when memory runs out. */
static struct sources_link *
sources_link_add(struct sources *src, int ifindex)
{
	struct sources_link	*l;

	if (src->nlinks == src->caplinks) {
		size_t	 cap = src->caplinks == 0 ? 16 : src->caplinks * 2;

		if ((l = realloc(src->links, cap * sizeof(*l))) == NULL) {
			log_error("rtnetlink: out of memory for link %d",
			    ifindex);
			return NULL;
		}
		src->links = l;
		src->caplinks = cap;
	}
	l = &src->links[src->nlinks++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	return l;
}

static void
sources_link_remove(struct sources *src, struct sources_link *l)
{
	*l = src->links[--src->nlinks];
}

/* The name of link ifindex: from the table, else from the kernel. */
static void
sources_link_name(struct sources *src, int ifindex, char *name)
{
	const struct sources_link *l = sources_link_find(src, ifindex);

	if (l != NULL && l->name[0] != '\0') {
		memcpy(name, l->name, IF_NAMESIZE);
		return;
	}
	if (ifindex <= 0 || if_indextoname((unsigned)ifindex, name) == NULL)
		snprintf(name, IF_NAMESIZE, "if%d", ifindex);
}

static void
sources_link_report(struct sources *src, const char *name, bool up)
{
	if (up && sources_is_vpn(&src->sc.cfg, name))
		sources_emit(&src->sc, SOURCE_VPN, "%s up", name);
	else
		sources_emit(&src->sc, SOURCE_NETWORK, "link %s %s", name,
		    up ? "up" : "down");
}

/* A dump ended: links it did not see (nor any message since it began)
 * are gone. */
static void
sources_nl_dump_done(struct sources *src, bool complete)
{
	bool	 seeding = src->seeding;
	size_t	 i = 0;

	src->dumping = false;
	src->seeding = false;
	while (complete && i < src->nlinks && !src->sc.dying) {
		struct sources_link	*l = &src->links[i];
		char			 name[IF_NAMESIZE];

		if (l->gen == src->gen) {
			i++;
			continue;
		}
		memcpy(name, l->name, sizeof(name));
		sources_link_remove(src, l);
		if (!seeding)
			sources_emit(&src->sc, SOURCE_NETWORK, "link %s gone",
			    name);
	}
	if (src->dump_again && !src->sc.dying) {
		src->dump_again = false;
		sources_nl_dump(src);
	}
}

static void
sources_nl_link(struct sources *src, const struct nlmsghdr *h, bool silent)
{
	const struct ifinfomsg	*ifi;
	const struct rtattr	*rta;
	struct sources_link	*l;
	char			 name[IF_NAMESIZE] = "";
	int			 alen;
	bool			 up;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	ifi = NLMSG_DATA(h);
	/* Bridge port news, not about the link itself. */
	if (ifi->ifi_family == AF_BRIDGE)
		return;
	alen = (int)IFLA_PAYLOAD(h);
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == IFLA_IFNAME) {
			size_t n = RTA_PAYLOAD(rta);

			if (n > IF_NAMESIZE - 1)
				n = IF_NAMESIZE - 1;
			memcpy(name, RTA_DATA(rta), n);
			name[n] = '\0';
		}
	}
	up = (ifi->ifi_flags & (IFF_UP | IFF_RUNNING)) ==
	    (IFF_UP | IFF_RUNNING);
	l = sources_link_find(src, ifi->ifi_index);
	if (name[0] == '\0')
		sources_link_name(src, ifi->ifi_index, name);
	if (h->nlmsg_type == RTM_DELLINK) {
		if (l != NULL)
			sources_link_remove(src, l);
		if (!silent)
			sources_emit(&src->sc, SOURCE_NETWORK, "link %s gone",
			    name);
		return;
	}
	if (l == NULL) {
		if ((l = sources_link_add(src, ifi->ifi_index)) != NULL) {
			memcpy(l->name, name, sizeof(l->name));
			l->up = up;
			l->gen = src->gen;
		}
		if (silent)
			return;
		if (up)
			sources_link_report(src, name, true);
		else
			sources_emit(&src->sc, SOURCE_NETWORK, "link %s new",
			    name);
		return;
	}
	memcpy(l->name, name, sizeof(l->name));
	l->gen = src->gen;
	if (l->up == up)
		return;
	l->up = up;
	if (!silent)
		sources_link_report(src, name, up);
}

static void
sources_nl_addr(struct sources *src, const struct nlmsghdr *h)
{
	const struct ifaddrmsg	*ifa;
	char			 name[IF_NAMESIZE];

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	ifa = NLMSG_DATA(h);
	sources_link_name(src, (int)ifa->ifa_index, name);
	if (h->nlmsg_type == RTM_NEWADDR && sources_is_vpn(&src->sc.cfg, name))
		sources_emit(&src->sc, SOURCE_VPN, "%s address", name);
	else
		sources_emit(&src->sc, SOURCE_NETWORK, "address %s", name);
}

static void
sources_nl_route(struct sources *src, const struct nlmsghdr *h)
{
	const struct rtmsg	*rtm;
	const struct rtattr	*rta;
	uint32_t		 table;
	int			 alen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return;
	rtm = NLMSG_DATA(h);
	if (rtm->rtm_flags & RTM_F_CLONED)
		return;
	table = rtm->rtm_table;
	alen = (int)RTM_PAYLOAD(h);
	for (rta = RTM_RTA(rtm); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen))
		if (rta->rta_type == RTA_TABLE &&
		    RTA_PAYLOAD(rta) >= sizeof(table))
			memcpy(&table, RTA_DATA(rta), sizeof(table));
	/* Local and broadcast addresses of the host: noise. */
	if (table == RT_TABLE_LOCAL)
		return;
	sources_emit(&src->sc, SOURCE_NETWORK, "route");
}

/* The kernel dropped messages: say so, and check the table. */
static void
sources_nl_overflow(struct sources *src, const char *why)
{
	log_notice("rtnetlink: %s; listing links again", why);
	sources_emit(&src->sc, SOURCE_NETWORK, "overflow");
	if (!src->sc.dying)
		sources_nl_dump(src);
}

/* NLMSG_OK and NLMSG_NEXT on a size_t: the macros compare a __u32 with
 * an int length, which -Wsign-compare rejects under clang. */
static bool
sources_nlmsg_ok(const struct nlmsghdr *h, size_t left)
{
	return left >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) &&
	    h->nlmsg_len <= left;
}

static const struct nlmsghdr *
sources_nlmsg_next(const struct nlmsghdr *h, size_t *left)
{
	size_t	 step = NLMSG_ALIGN(h->nlmsg_len);

	*left = step < *left ? *left - step : 0;
	return (const struct nlmsghdr *)((const char *)h + step);
}

static void
sources_nl_parse(struct sources *src, size_t len)
{
	const struct nlmsghdr	*h = &src->nlbuf.h;
	size_t			 left = len;

	for (; sources_nlmsg_ok(h, left) && !src->sc.dying;
	    h = sources_nlmsg_next(h, &left)) {
		bool ours = src->dumping && h->nlmsg_pid == src->nl_port &&
		    h->nlmsg_seq == src->dump_seq;

		if (ours && (h->nlmsg_flags & NLM_F_DUMP_INTR))
			src->dump_again = true;
		switch (h->nlmsg_type) {
		case NLMSG_DONE:
			if (ours)
				sources_nl_dump_done(src, true);
			break;
		case NLMSG_ERROR:
			if (ours) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)))
					log_error("rtnetlink: listing links "
					    "failed: %s", strerror(-e->error));
				sources_nl_dump_done(src, false);
			}
			break;
		case RTM_NEWLINK:
		case RTM_DELLINK:
			sources_nl_link(src, h, ours && src->seeding);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			sources_nl_addr(src, h);
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			sources_nl_route(src, h);
			break;
		default:
			break;
		}
	}
}

static void
sources_nl_read(struct sources *src)
{
	unsigned	 reads;

	for (reads = 0; reads < SOURCES_READS_MAX && !src->sc.dying; reads++) {
		struct sockaddr_nl	 from;
		struct iovec		 iov;
		struct msghdr		 msg;
		ssize_t			 n;

		iov.iov_base = src->nlbuf.b;
		iov.iov_len = sizeof(src->nlbuf.b);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if ((n = recvmsg(src->nl_fd, &msg, 0)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS) {
				sources_nl_overflow(src,
				    "the kernel dropped messages");
				continue;
			}
			log_error("rtnetlink: %s", strerror(errno));
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			sources_nl_overflow(src, "a message did not fit");
			continue;
		}
		/* Only the kernel speaks on these groups. */
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0)
			continue;
		sources_nl_parse(src, (size_t)n);
	}
}

/* The configured files, as targets. */
static int
sources_targets_init(struct sources *src)
{
	const struct sources_config	*cfg = &src->sc.cfg;

	if (cfg->hosts_path != NULL && sources_target_take(
	    &src->t[SOURCES_T_HOSTS], SOURCE_HOSTS,
	    dwstr_dup(cfg->hosts_path)) != 0)
		return -1;
	if (cfg->desired_path != NULL && sources_target_take(
	    &src->t[SOURCES_T_DESIRED], SOURCE_DESIRED,
	    dwstr_dup(cfg->desired_path)) != 0)
		return -1;
	return 0;
}

static void
sources_destroy(struct sources *src)
{
	size_t	 i;

	loop_io_free(src->nl_io);
	if (src->nl_fd >= 0)
		close(src->nl_fd);
	loop_io_free(src->in_io);
	if (src->in_fd >= 0)
		close(src->in_fd);
	for (i = 0; i < SOURCES_T_COUNT; i++)
		sources_target_clear(&src->t[i]);
	sources_clear_config(&src->sc);
	free(src->links);
	free(src);
}

struct sources *
sources_new(struct loop *loop, const struct sources_config *cfg,
    sources_fn fn, void *arg, struct dwerr *err)
{
	struct sources	*src;
	size_t		 i;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: out of memory");
		return NULL;
	}
	src->sc.loop = loop;
	src->sc.fn = fn;
	src->sc.arg = arg;
	src->nl_fd = src->in_fd = -1;
	for (i = 0; i < SOURCES_T_COUNT; i++)
		src->t[i].wd = src->t[i].fwd = -1;
	if (sources_copy_config(&src->sc, cfg) != 0 ||
	    sources_targets_init(src) != 0) {
		dwerr_set(err, ENOMEM, "event sources: out of memory");
		goto fail;
	}
	if (sources_nl_open(src, err) != 0 || sources_in_open(src, err) != 0)
		goto fail;
	return src;
fail:
	sources_destroy(src);
	return NULL;
}

void
sources_free(struct sources *src)
{
	if (src == NULL)
		return;
	/* Called from fn: our own callback frees it once fn returns. */
	if (src->sc.in_fn) {
		src->sc.dying = true;
		return;
	}
	sources_destroy(src);
}
