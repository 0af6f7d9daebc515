/*
 * trace_etw: the ETW sink, Windows (see trace_etw.h).
 *
 * A manifest-free TraceLogging provider: every event carries its own
 * metadata (tlg.c), written with EventWriteTransfer and the pass's activity
 * ID passed explicitly. The enable callback keeps the level and keywords
 * sessions asked for; emit checks them before encoding anything, so the
 * sink costs a few loads when nobody listens. EventWriteEx is never called
 * (Wine aborts on it) and the thread's activity ID is never used.
 */
#include "trace_etw.h"

#include <windows.h>
#include <evntprov.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlg.h"
#include "trace_etw_os.h"

#define TRACE_ETW_PROVIDER_META_BYTES	64u	/* "DnsWatchdog" needs 14 */
#define TRACE_ETW_SET_TRAITS		2	/* EventProviderSetTraits */
#define TRACE_ETW_DD_DATA		0u	/* EVENT_DATA_DESCRIPTOR Type */
#define TRACE_ETW_DD_EVENT_META		1u
#define TRACE_ETW_DD_PROVIDER_META	2u
#define TRACE_ETW_DD_COUNT		3u
#define TRACE_ETW_LEVEL_ALL		255u

struct trace_etw {
	REGHANDLE	 handle;
	bool		 registered;
	uint8_t		 provider_meta[TRACE_ETW_PROVIDER_META_BYTES];
	size_t		 provider_metalen;
	/*
	 * What sessions enabled, written by the enable callback on ETW's
	 * threads. on is stored last (release) and read first (acquire). A
	 * reader racing a change of level or keywords may see a mix of old
	 * and new values: one event more or fewer at that moment.
	 */
	atomic_bool	 on;
	atomic_uint	 level;		/* highest level wanted */
	_Atomic uint64_t any;		/* MatchAnyKeyword */
	_Atomic uint64_t all;		/* MatchAllKeyword */
};

static trace_etw_set_information_fn
trace_etw_find_set_information(void)
{
	HMODULE	 m;
	FARPROC	 p;

	/* Looked up rather than imported: old import libraries lack it. */
	if ((m = GetModuleHandleW(L"advapi32.dll")) == NULL ||
	    (p = GetProcAddress(m, "EventSetInformation")) == NULL)
		return NULL;
	return (trace_etw_set_information_fn)(void (*)(void))p;
}

struct trace_etw_os trace_etw_os = {
	EventRegister,
	trace_etw_find_set_information,
	EventWriteTransfer,
	EventUnregister
};

void NTAPI
trace_etw_enable(LPCGUID source, ULONG control, UCHAR level, ULONGLONG any,
    ULONGLONG all, PEVENT_FILTER_DESCRIPTOR filter, PVOID ctx)
{
	struct trace_etw	*e = ctx;

	(void)source;
	(void)filter;
	if (e == NULL)
		return;
	switch (control) {
	case TRACE_ETW_CONTROL_ENABLE:
		/* 0 asks for every level, and every keyword. */
		atomic_store_explicit(&e->level, level != 0 ? level :
		    TRACE_ETW_LEVEL_ALL, memory_order_relaxed);
		atomic_store_explicit(&e->any, any != 0 ? any : UINT64_MAX,
		    memory_order_relaxed);
		atomic_store_explicit(&e->all, all, memory_order_relaxed);
		atomic_store_explicit(&e->on, true, memory_order_release);
		break;
	case TRACE_ETW_CONTROL_DISABLE:
		atomic_store_explicit(&e->on, false, memory_order_release);
		break;
	default:
		/* TRACE_ETW_CONTROL_CAPTURE_STATE: no state to replay. */
		break;
	}
}

/* True when a session wants events of this level and keyword. */
static bool
trace_etw_wanted(struct trace_etw *e, unsigned level, uint64_t kw)
{
	uint64_t	 all;

	if (!atomic_load_explicit(&e->on, memory_order_acquire))
		return false;
	all = atomic_load_explicit(&e->all, memory_order_relaxed);
	return level <= atomic_load_explicit(&e->level, memory_order_relaxed) &&
	    (kw & atomic_load_explicit(&e->any, memory_order_relaxed)) != 0 &&
	    (kw & all) == all;
}

/* g holds id in GUID layout; returns g, or NULL for the zero ID. */
static LPCGUID
trace_etw_guid(const uint8_t id[16], GUID *g)
{
	static const uint8_t	 zero[16];
	uint8_t			 b[16];

	if (memcmp(id, zero, sizeof(zero)) == 0)
		return NULL;
	tlg_guid_layout(id, b);
	memcpy(g, b, sizeof(b));
	return g;
}

static void
trace_etw_emit(void *ctx, const struct trace_record *rec)
{
	struct trace_etw	*e = ctx;
	struct tlg_event	 ev;
	EVENT_DESCRIPTOR	 desc;
	EVENT_DATA_DESCRIPTOR	 dd[TRACE_ETW_DD_COUNT];
	GUID			 activity;
	LPCGUID			 pa;

	if (!trace_etw_wanted(e, (unsigned)rec->level, (uint64_t)rec->keyword))
		return;
	/* Out of memory: this event is lost, as when a session's buffers
	 * are full; the pass itself goes on. */
	if (tlg_encode(rec, &ev) != 0)
		return;
	memset(&desc, 0, sizeof(desc));
	desc.Id = 0;
	desc.Version = 0;
	desc.Channel = ev.channel;
	desc.Level = ev.level;
	desc.Opcode = ev.opcode;
	desc.Task = 0;
	desc.Keyword = ev.keyword;
	/* EventDataDescCreate zeroes Reserved, the low byte of which is the
	 * descriptor's Type (MinGW's struct has no Type member). */
	EventDataDescCreate(&dd[0], e->provider_meta, (ULONG)e->provider_metalen);
	dd[0].Reserved = TRACE_ETW_DD_PROVIDER_META;
	EventDataDescCreate(&dd[1], ev.meta, (ULONG)ev.metalen);
	dd[1].Reserved = TRACE_ETW_DD_EVENT_META;
	EventDataDescCreate(&dd[2], ev.payload, (ULONG)ev.paylen);
	dd[2].Reserved = TRACE_ETW_DD_DATA;
	pa = trace_etw_guid(rec->activity, &activity);
	/*
	 * No related activity ID: ETW defines it as the parent of the
	 * activity a Start event opens. The only link a pass has is to an
	 * earlier pass that already ended (a slow retry), which
	 * ReconcileStart carries as its continues field instead.
	 *
	 * A failed write (no buffer space in a session) only loses the
	 * event; there is nowhere better to report it.
	 */
	(void)trace_etw_os.event_write_transfer(e->handle, &desc, pa, NULL,
	    TRACE_ETW_DD_COUNT, dd);
	tlg_event_clear(&ev);
}

static void
trace_etw_free(void *ctx)
{
	struct trace_etw	*e = ctx;

	if (e == NULL)
		return;
	/* After EventUnregister returns, no callback uses e any more. */
	if (e->registered)
		(void)trace_etw_os.event_unregister(e->handle);
	free(e);
}

static const struct trace_sink_ops trace_etw_ops = {
	trace_etw_emit,
	trace_etw_free
};

int
trace_add_etw(struct trace *t, struct dwerr *err)
{
	trace_etw_set_information_fn	 set_information;
	struct trace_etw		*e;
	GUID				 guid;
	ULONG				 rc;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	atomic_init(&e->on, false);
	atomic_init(&e->level, 0);
	atomic_init(&e->any, 0);
	atomic_init(&e->all, 0);
	e->provider_metalen = tlg_provider_meta(e->provider_meta,
	    sizeof(e->provider_meta));
	memcpy(&guid, tlg_provider_guid, sizeof(guid));
	/* The callback may run before EventRegister returns: e is ready. */
	if ((rc = trace_etw_os.event_register(&guid, trace_etw_enable, e,
	    &e->handle)) != ERROR_SUCCESS) {
		dwerr_set(err, (int)rc, "cannot register the ETW provider "
		    TLG_PROVIDER_NAME ": EventRegister failed with Win32 "
		    "error %lu", (unsigned long)rc);
		free(e);
		return -1;
	}
	e->registered = true;
	/*
	 * The provider traits, so that ETW honours the descriptors' types.
	 * Without them (before Windows 10, or on Wine) the events still go
	 * out, with the metadata in their payload, which channel 11 tells
	 * decoders to expect.
	 */
	if ((set_information = trace_etw_os.find_set_information()) != NULL)
		(void)set_information(e->handle,
		    (EVENT_INFO_CLASS)TRACE_ETW_SET_TRAITS, e->provider_meta,
		    (ULONG)e->provider_metalen);
	if (trace_add_sink(t, &trace_etw_ops, e) != 0) {
		dwerr_set(err, ENOSPC, "too many trace sinks");
		trace_etw_free(e);
		return -1;
	}
	return 0;
}
