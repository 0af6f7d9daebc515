/*
 * sources: platforms without OS event sources yet (see sources.h). The
 * daemon runs on its timers and its control channel alone.
 */
#include "sources.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"

struct sources {
	struct loop	*loop;
};

struct sources *
sources_new(struct loop *loop, const struct sources_config *cfg,
    sources_fn fn, void *arg, struct dwerr *err)
{
	static bool	 told;
	struct sources	*src;

	(void)cfg;
	(void)fn;
	(void)arg;
	if ((src = calloc(1, sizeof(*src))) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: out of memory");
		return NULL;
	}
	src->loop = loop;
	if (!told) {
		log_notice("OS events are not watched on this platform; "
		    "checks run on timers and on request");
		told = true;
	}
	return src;
}

void
sources_free(struct sources *src)
{
	free(src);
}
