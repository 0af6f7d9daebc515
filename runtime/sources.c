/* sources: the portable part (see sources.h and sources_int.h). */
#include "sources.h"
#include "sources_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "log.h"
#include "vpn.h"

int
sources_copy_config(struct sources_common *sc,
    const struct sources_config *cfg)
{
	size_t	 i;

	if (cfg->nvpn > 0 && cfg->vpn_prefixes != NULL) {
		if ((sc->vpn = calloc(cfg->nvpn, sizeof(*sc->vpn))) == NULL)
			return -1;
		sc->cfg.nvpn = cfg->nvpn;
		sc->cfg.vpn_prefixes = (const char *const *)sc->vpn;
		for (i = 0; i < cfg->nvpn; i++)
			if (cfg->vpn_prefixes[i] != NULL &&
			    (sc->vpn[i] = dwstr_dup(cfg->vpn_prefixes[i])) ==
			    NULL)
				return -1;
	}
	if (cfg->hosts_path != NULL &&
	    (sc->hosts_path = dwstr_dup(cfg->hosts_path)) == NULL)
		return -1;
	if (cfg->desired_path != NULL &&
	    (sc->desired_path = dwstr_dup(cfg->desired_path)) == NULL)
		return -1;
	if (cfg->record_key != NULL &&
	    (sc->record_key = dwstr_dup(cfg->record_key)) == NULL)
		return -1;
	sc->cfg.hosts_path = sc->hosts_path;
	sc->cfg.desired_path = sc->desired_path;
	sc->cfg.record_key = sc->record_key;
	return 0;
}

void
sources_clear_config(struct sources_common *sc)
{
	size_t	 i;

	for (i = 0; sc->vpn != NULL && i < sc->cfg.nvpn; i++)
		free(sc->vpn[i]);
	free(sc->vpn);
	free(sc->hosts_path);
	free(sc->desired_path);
	free(sc->record_key);
	memset(&sc->cfg, 0, sizeof(sc->cfg));
	sc->vpn = NULL;
	sc->hosts_path = sc->desired_path = sc->record_key = NULL;
}

void
sources_emit(struct sources_common *sc, enum source_kind kind,
    const char *fmt, ...)
{
	char	 detail[SOURCES_DETAIL_BYTES];
	va_list	 ap;

	if (sc->dying)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_debug("event: %s %s", sources_kind_name(kind), detail);
	sc->in_fn = true;
	sc->fn(sc->arg, kind, detail);
	sc->in_fn = false;
}

int
sources_is_vpn(const struct sources_config *cfg, const char *name)
{
	if (cfg == NULL)
		return 0;
	return vpn_prefix_match(cfg->vpn_prefixes, cfg->nvpn, name) ? 1 : 0;
}

const char *
sources_kind_name(enum source_kind kind)
{
	switch (kind) {
	case SOURCE_NETWORK:
		return "network";
	case SOURCE_VPN:
		return "vpn";
	case SOURCE_HOSTS:
		return "hosts";
	case SOURCE_DESIRED:
		return "desired";
	case SOURCE_NRPT:
		return "nrpt";
	case SOURCE_POLICY:
		return "policy";
	}
	return "unknown";
}
