/* doctor: the support bundle (see doctor.h). */
#include "doctor.h"

#include <errno.h>

int
doctor_bundle(const struct config *cfg, const cJSON *report,
    const char *path, struct dwerr *err)
{
	(void)cfg;
	(void)report;
	dwerr_set(err, ENOTSUP, "%s: support bundles are not written yet",
	    path);
	return -1;
}
