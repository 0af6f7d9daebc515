/* sources: the portable part (see sources.h). */
#include "sources.h"

#include <string.h>

int
sources_is_vpn(const struct sources_config *cfg, const char *name)
{
	size_t	 i, n;

	if (cfg == NULL || name == NULL || cfg->vpn_prefixes == NULL)
		return 0;
	for (i = 0; i < cfg->nvpn; i++) {
		const char *prefix = cfg->vpn_prefixes[i];

		/* An empty prefix would call every adapter a VPN. */
		if (prefix == NULL || (n = strlen(prefix)) == 0)
			continue;
		if (strncmp(name, prefix, n) == 0)
			return 1;
	}
	return 0;
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
	}
	return "unknown";
}
