/* dwerr: the error out-parameter (see dwerr.h). */
#include "dwerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
dwerr_reset(struct dwerr *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->count = 0;
	err->truncated = 0;
	err->msg[0] = '\0';
}

static void dwerr_vadd(struct dwerr *, int, const char *, va_list) DW_PRINTF(3, 0);

static void
dwerr_vadd(struct dwerr *err, int code, const char *fmt, va_list ap)
{
	size_t	 used, room;
	int	 n;

	if (err->count == 0)
		err->code = code;
	used = strlen(err->msg);
	if (used > 0 && used + 1 < sizeof(err->msg)) {
		err->msg[used++] = '\n';
		err->msg[used] = '\0';
	}
	room = sizeof(err->msg) - used;
	n = vsnprintf(err->msg + used, room, fmt, ap);
	if (n < 0 || (size_t)n >= room) {
		/* Keep whole sentences only: drop the partial one. */
		err->msg[used > 0 ? used - 1 : 0] = '\0';
		err->truncated = 1;
		if (err->count == 0)
			err->count = 1;
		return;
	}
	err->count++;
}

void
dwerr_set(struct dwerr *err, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	dwerr_reset(err);
	va_start(ap, fmt);
	dwerr_vadd(err, code, fmt, ap);
	va_end(ap);
}

void
dwerr_add(struct dwerr *err, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	dwerr_vadd(err, code, fmt, ap);
	va_end(ap);
}

void
dwerr_prefix(struct dwerr *err, const char *fmt, ...)
{
	char	 head[512], tmp[DWERR_MSG_BYTES];
	va_list	 ap;
	int	 n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = snprintf(tmp, sizeof(tmp), "%s%s", head, err->msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		err->truncated = 1;
	memcpy(err->msg, tmp, sizeof(err->msg));
	err->msg[sizeof(err->msg) - 1] = '\0';
}
