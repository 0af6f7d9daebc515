/*
 * doctor: systemd-resolved, where the config manages it (see doctor.h).
 *
 *   "resolved": { "enabled", "available", "link", "ifindex", "servers",
 *                 "domains", "default_route", "as_desired", "resolv_conf",
 *                 "nss_resolve", "error" }
 *
 * The link is read over the bus like a pass reads it (the doctor waits
 * for the reply: it is a command, not the daemon's loop), and compared
 * with what the desired state wants. Programs use the link's routing
 * domains only when they ask resolved: through its stub, which
 * /etc/resolv.conf must name, or through nss-resolve in nsswitch.conf.
 */
#include "doctor.h"

#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "platform.h"
#include "resolved.h"
#include "resolvedbus.h"

#define DOCTOR_RESOLV_CONF	"/etc/resolv.conf"
#define DOCTOR_NSSWITCH		"/etc/nsswitch.conf"
#define DOCTOR_CONF_MAX_BYTES	(1u << 20)

struct doctor_read {
	bool			 done;
	int			 status;
	char			 msg[256];
	struct resolved_link	 live;
};

static void
doctor_read_cb(void *arg, int status, const struct resolved_link *live,
    const char *msg)
{
	struct doctor_read	*r = arg;

	r->done = true;
	r->status = status;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	if (status == RBUS_OK && resolved_link_copy(&r->live, live) != 0) {
		r->status = -1;
		snprintf(r->msg, sizeof(r->msg), "out of memory");
	}
}

/* Reads the link, waiting for the reply. */
static int
doctor_read_link(struct rbus *bus, int ifindex, struct doctor_read *r,
    char *err, size_t len)
{
	struct rbus_op	*op = NULL;
	struct dwerr	 e;
	uint64_t	 end;

	if (rbus_link_read(bus, ifindex, doctor_read_cb, r, &op, &e) != 0) {
		snprintf(err, len, "%s", e.msg);
		return RBUS_E_UNAVAILABLE;
	}
	end = platform_mono_ms() + RBUS_CALL_TIMEOUT_MS + 1000u;
	while (!r->done && platform_mono_ms() < end)
		if (rbus_wait(bus, 200) != 0)
			break;
	rbus_op_free(op);
	if (!r->done) {
		snprintf(err, len, "resolved did not answer");
		return -1;
	}
	snprintf(err, len, "%s", r->msg);
	return r->status;
}

static void
doctor_resolved_list(struct doctor *d, cJSON *o, const struct resolved_link *l)
{
	cJSON	*a;
	char	 s[DNSNAME_MAX_CHARS + 2];
	size_t	 i;

	if ((a = cJSON_AddArrayToObject(o, "servers")) == NULL) {
		d->oom = true;
		return;
	}
	for (i = 0; i < l->nservers; i++)
		if (ipaddr_format(l->servers[i].family, l->servers[i].addr,
		    s) == 0)
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
	if ((a = cJSON_AddArrayToObject(o, "domains")) == NULL) {
		d->oom = true;
		return;
	}
	for (i = 0; i < l->ndomains; i++) {
		snprintf(s, sizeof(s), "%s%s", l->domains[i].routing ? "~" : "",
		    l->domains[i].name);
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
	}
	cJSON_AddBoolToObject(o, "default_route", l->default_route);
}

/* Whether programs ask resolved at all. */
static void
doctor_resolved_conf(struct doctor *d, cJSON *o)
{
	char		*text;
	char		 ns[64];
	size_t		 len;
	struct dwerr	 err;
	bool		 nss = false;

	if (platform_read_file(DOCTOR_NSSWITCH, DOCTOR_CONF_MAX_BYTES, &text,
	    &len, &err) == 0) {
		nss = resolved_nss_names(text, len, "resolve");
		free(text);
	}
	cJSON_AddBoolToObject(o, "nss_resolve", nss);
	if (platform_read_file(DOCTOR_RESOLV_CONF, DOCTOR_CONF_MAX_BYTES, &text,
	    &len, &err) != 0) {
		cJSON_AddStringToObject(o, "resolv_conf", "");
		doctor_finding(d, nss ? DOCTOR_WARNING : DOCTOR_ERROR,
		    "resolved-not-stub", "%s cannot be read (%s): programs "
		    "that read it do not ask resolved, and the link's routing "
		    "domains are not used for them", DOCTOR_RESOLV_CONF,
		    err.msg);
		return;
	}
	resolved_conf_nameserver(text, len, ns, sizeof(ns));
	free(text);
	cJSON_AddStringToObject(o, "resolv_conf", ns);
	if (strcmp(ns, RESOLVED_STUB_ADDR) == 0)
		return;
	doctor_finding(d, nss ? DOCTOR_WARNING : DOCTOR_ERROR,
	    "resolved-not-stub", "%s names %s%s%s, not resolved's stub %s: "
	    "programs that read it ask that server directly, so the rules "
	    "set on the link are not used for them%s", DOCTOR_RESOLV_CONF,
	    ns[0] != '\0' ? "the server " : "no server",
	    ns, ns[0] != '\0' ? " first" : "", RESOLVED_STUB_ADDR,
	    nss ? " (nss-resolve in nsswitch.conf still sends glibc's "
	    "look-ups to resolved)" : "; link /etc/resolv.conf to "
	    "/run/systemd/resolve/stub-resolv.conf");
}

void
doctor_resolved(struct doctor *d)
{
	const struct config	*cfg = d->cfg;
	struct resolved_link	 want;
	struct doctor_read	 r;
	struct rbus		*bus;
	struct dwerr		 err;
	char			 name[RBUS_IFNAME_BYTES], why[256];
	cJSON			*o;
	int			 ifindex, st;

	if ((o = cJSON_CreateObject()) == NULL) {
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "resolved", o);
	cJSON_AddBoolToObject(o, "enabled", cfg->resolved_enabled);
	if (!cfg->resolved_enabled)
		return;
	cJSON_AddStringToObject(o, "link", cfg->resolved_link);
	memset(&r, 0, sizeof(r));
	/* Whether programs ask resolved matters most when it is away. */
	doctor_resolved_conf(d, o);
	if (rbus_open(&bus, &err) != 0) {
		cJSON_AddBoolToObject(o, "available", false);
		cJSON_AddStringToObject(o, "error", err.msg);
		doctor_finding(d, DOCTOR_ERROR, "resolved-unavailable",
		    "systemd-resolved cannot be asked: %s; the rules cannot be "
		    "set (the hosts file is still managed)", err.msg);
		return;
	}
	if ((ifindex = rbus_find_link(cfg->resolved_link, name)) == 0) {
		rbus_free(bus);
		cJSON_AddBoolToObject(o, "available", false);
		doctor_finding(d, DOCTOR_WARNING, "resolved-link-absent", "no "
		    "network link is named %s (or starts so): the tunnel is "
		    "down, or $.resolved.link names another interface; the "
		    "rules are set once it appears", cfg->resolved_link);
		return;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(o, "link",
	    cJSON_CreateString(name));
	cJSON_AddNumberToObject(o, "ifindex", ifindex);
	st = doctor_read_link(bus, ifindex, &r, why, sizeof(why));
	rbus_free(bus);
	if (st != RBUS_OK) {
		cJSON_AddBoolToObject(o, "available", false);
		cJSON_AddStringToObject(o, "error", why);
		doctor_finding(d, DOCTOR_ERROR, "resolved-unavailable",
		    "systemd-resolved could not be asked about link %s: %s; "
		    "the rules cannot be set (the hosts file is still "
		    "managed)", name, why);
		resolved_link_clear(&r.live);
		return;
	}
	cJSON_AddBoolToObject(o, "available", true);
	doctor_resolved_list(d, o, &r.live);
	if (d->ds != NULL && resolved_want(d->ds, cfg->resolved_default_route,
	    &want, &err) == 0) {
		bool	 same = resolved_link_empty(&want) ||
			    resolved_same(&want, &r.live);

		cJSON_AddBoolToObject(o, "as_desired", same);
		if (!same)
			doctor_finding(d, DOCTOR_ERROR, "resolved-link-differs",
			    "link %s (ifindex %d) does not hold the desired "
			    "servers, routing domains and default route: "
			    "another program changed them, or no watchdog "
			    "put them back", name, ifindex);
		resolved_link_clear(&want);
	}
	resolved_link_clear(&r.live);
}
