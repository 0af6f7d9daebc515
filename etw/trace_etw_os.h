/*
 * trace_etw_os: the ETW calls of the Windows sink (trace_etw_win.c), as
 * replaceable function pointers. They default to the real ones; a test
 * swaps one to see what the sink passes, and calls trace_etw_enable as a
 * session would (Wine never does).
 */
#ifndef TRACE_ETW_OS_H
#define TRACE_ETW_OS_H

#include <windows.h>
#include <evntprov.h>

/*
 * The enable callback's control codes (evntrace.h's EVENT_CONTROL_CODE_*).
 * evntrace.h is not included: its TRACE_LEVEL_* macros would rewrite the
 * enumerators of trace.h included after it.
 */
#define TRACE_ETW_CONTROL_DISABLE	0u
#define TRACE_ETW_CONTROL_ENABLE	1u
#define TRACE_ETW_CONTROL_CAPTURE_STATE	2u

/* EventSetInformation's type (Windows 8 and later). */
typedef ULONG (WINAPI *trace_etw_set_information_fn)(REGHANDLE,
    EVENT_INFO_CLASS, PVOID, ULONG);

struct trace_etw_os {
	ULONG	(WINAPI *event_register)(LPCGUID, PENABLECALLBACK, PVOID,
		    PREGHANDLE);
	/* Finds EventSetInformation at run time; NULL where it is missing. */
	trace_etw_set_information_fn (*find_set_information)(void);
	ULONG	(WINAPI *event_write_transfer)(REGHANDLE, PCEVENT_DESCRIPTOR,
		    LPCGUID, LPCGUID, ULONG, PEVENT_DATA_DESCRIPTOR);
	ULONG	(WINAPI *event_unregister)(REGHANDLE);
};

extern struct trace_etw_os trace_etw_os;

/* The enable callback the sink registers; ctx is the sink's own (the
 * CallbackContext passed to event_register). */
void NTAPI	trace_etw_enable(LPCGUID source, ULONG control, UCHAR level,
		    ULONGLONG any, ULONGLONG all, PEVENT_FILTER_DESCRIPTOR filter,
		    PVOID ctx);

#endif
