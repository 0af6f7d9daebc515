/*
 * doctor: the adapters, and which are recognised as VPNs (see doctor.h).
 *
 *   "adapters": [ { "name", "description", "up", "type", "vpn" } ]
 *
 * An adapter is a VPN when its name or its description begins with one
 * of the config's VPN prefixes (policy/vpn.h: the test the daemon's event
 * sources make); each one found is an info finding, so a support engineer
 * sees at once which adapters the watchdog reacts to.
 */
#include "doctor.h"

#include "adapters.h"
#include "vpn.h"

void
doctor_adapters(struct doctor *d)
{
	const struct config	*cfg = d->cfg;
	const char *const	*pre = (const char *const *)cfg->vpn_prefixes;
	struct adapters_entry	*v;
	struct dwerr		 err;
	cJSON			*arr, *a, *p;
	size_t			 n, i;
	bool			 vpn;

	if ((p = cJSON_CreateArray()) == NULL) {
		d->oom = true;
		return;
	}
	for (i = 0; i < cfg->nvpn_prefixes; i++)
		if (!cJSON_AddItemToArray(p,
		    cJSON_CreateString(cfg->vpn_prefixes[i])))
			d->oom = true;
	doctor_add(d, d->root, "vpn_prefixes", p);
	if (adapters_list(&v, &n, &err) != 0) {
		cJSON_AddStringToObject(d->root, "adapters_error", err.msg);
		doctor_finding(d, DOCTOR_WARNING, "adapters-unreadable",
		    "the network adapters could not be listed: %s", err.msg);
		return;
	}
	if ((arr = cJSON_CreateArray()) == NULL) {
		adapters_free(v, n);
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "adapters", arr);
	for (i = 0; i < n; i++) {
		vpn = vpn_prefix_match(pre, cfg->nvpn_prefixes, v[i].name) ||
		    vpn_prefix_match(pre, cfg->nvpn_prefixes, v[i].description);
		if ((a = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, a)) {
			cJSON_Delete(a);
			d->oom = true;
			break;
		}
		cJSON_AddStringToObject(a, "name", v[i].name);
		cJSON_AddStringToObject(a, "description", v[i].description);
		cJSON_AddBoolToObject(a, "up", v[i].up);
		cJSON_AddNumberToObject(a, "type", (double)v[i].type);
		cJSON_AddBoolToObject(a, "vpn", vpn);
		if (vpn)
			doctor_finding(d, DOCTOR_INFO, "vpn-adapter",
			    "%s (%s, %s) is recognised as a VPN: the watchdog "
			    "looks again when it comes up or gets an address",
			    v[i].name, v[i].description, v[i].up ? "up" :
			    "down");
	}
	adapters_free(v, n);
}
