/* log: human-readable messages on stderr ("dnswatchdog: ..."). */
#ifndef LOG_H
#define LOG_H

#include "dwerr.h"

/* 0: errors only, 1: also notices (default), 2: also debug. */
void	log_set_verbosity(int level);
void	log_error(const char *fmt, ...) DW_PRINTF(1, 2);
void	log_notice(const char *fmt, ...) DW_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) DW_PRINTF(1, 2);

#endif
