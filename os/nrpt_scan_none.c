/* nrpt_scan: platforms without NRPT (see nrpt_scan.h). */
#include "nrpt_scan.h"

#include <errno.h>
#include <string.h>

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

int
nrpt_scan_read(const struct nrpt_scan_record *ours, size_t nours,
    struct nrptcheck_scan *s, struct dwerr *err)
{
	(void)ours;
	(void)nours;
	memset(s, 0, sizeof(*s));
	dwerr_set(err, ENOTSUP, "NRPT is a Windows feature; nothing to scan");
	return -1;
}
