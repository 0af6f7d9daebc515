/*
 * trace_etw: the ETW sink (Windows). Registers the TraceLogging provider
 * "DnsWatchdog" and writes every event whose level and keyword a session
 * enabled, with the pass's activity ID passed explicitly to
 * EventWriteTransfer. Cheap when nobody listens (the enable callback's
 * state gates every write before any encoding).
 *
 * trace_etw_none.c: platforms without ETW (trace_add_etw says so).
 */
#ifndef TRACE_ETW_H
#define TRACE_ETW_H

#include "dwerr.h"
#include "trace.h"

/* Adds the ETW sink to t. Returns 0, or -1 with err (ENOTSUP off
 * Windows; the Win32 error of EventRegister otherwise). */
int	trace_add_etw(struct trace *t, struct dwerr *err);

#endif
