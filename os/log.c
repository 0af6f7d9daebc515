/* log: human-readable messages on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int log_verbosity = 1;

void
log_set_verbosity(int level)
{
	log_verbosity = level;
}

static void log_vprint(int, const char *, va_list) DW_PRINTF(2, 0);

static void
log_vprint(int level, const char *fmt, va_list ap)
{
	if (level > log_verbosity)
		return;
	fputs("dnswatchdog: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vprint(0, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vprint(1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vprint(2, fmt, ap);
	va_end(ap);
}
