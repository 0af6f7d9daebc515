/* trace_etw: platforms without ETW (see trace_etw.h). */
#include "trace_etw.h"

#include <errno.h>

int
trace_add_etw(struct trace *t, struct dwerr *err)
{
	(void)t;
	dwerr_set(err, ENOTSUP, "ETW tracing exists on Windows only");
	return -1;
}
