/* vpn: which network adapters are VPNs (see vpn.h). */
#include "vpn.h"

#include <string.h>

bool
vpn_prefix_match(const char *const *prefixes, size_t n, const char *s)
{
	size_t	 i, len;

	if (prefixes == NULL || s == NULL)
		return false;
	for (i = 0; i < n; i++) {
		/* An empty prefix would call every adapter a VPN. */
		if (prefixes[i] == NULL || (len = strlen(prefixes[i])) == 0)
			continue;
		if (strncmp(s, prefixes[i], len) == 0)
			return true;
	}
	return false;
}
