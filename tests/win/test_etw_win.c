/*
 * Tests for etw/trace_etw_win.c, run under Wine. The sink registers through
 * the real EventRegister (Wine accepts it and never enables the provider);
 * the tests then play the session by calling the enable callback, and see
 * what reaches EventWriteTransfer through spies in trace_etw_os that record
 * each call and pass it on to the real function.
 *
 * The last test runs a real reconcile pass against a hosts file another
 * thread holds for a while, with both the JSON Lines and the ETW sink, and
 * checks that both saw the same events in the same order.
 */
#include <windows.h>
#include <evntprov.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "reconcile.h"
#include "testutil.h"
#include "tlg.h"
#include "trace.h"
#include "trace_etw.h"
#include "trace_etw_os.h"

#define WRITES_MAX	64u
#define BLOB_MAX	1024u	/* bytes kept per data descriptor */
#define DD_MAX		8u
#define NAME_BYTES	64u
#define PATH_BYTES	1024u
#define HOLD_MS		400u	/* how long the holder keeps the hosts file */
#define GUID_TEXT_BYTES	(TRACE_GUID_CHARS + 1u)
#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* One EventWriteTransfer call, copied while its buffers were alive. */
struct write {
	REGHANDLE	 handle;
	EVENT_DESCRIPTOR desc;
	ULONG		 count;
	ULONG		 size[DD_MAX];
	ULONG		 reserved[DD_MAX];
	uint8_t		 data[DD_MAX][BLOB_MAX];
	bool		 has_activity, has_related;
	GUID		 activity, related;
};

/* What the sink asked of the OS. Global: the spies have no context. */
struct capture {
	unsigned	 registers;
	GUID		 guid;
	PENABLECALLBACK	 cb;
	PVOID		 ctx;
	REGHANDLE	 handle;
	unsigned	 set_infos;
	REGHANDLE	 set_info_handle;
	ULONG		 set_info_class;
	ULONG		 set_info_len;
	uint8_t		 set_info_data[BLOB_MAX];
	unsigned	 unregisters;
	REGHANDLE	 unregistered;
	unsigned	 n;
	struct write	 w[WRITES_MAX];
};

struct fx {
	struct trace	*trace;
	struct config	*cfg;
	char		 dir[PATH_BYTES];	/* "" unless a test made one */
};

static struct capture			 cap;
static struct trace_etw_os		 real;	/* the defaults */
static trace_etw_set_information_fn	 real_set_information;

static ULONG WINAPI
spy_register(LPCGUID guid, PENABLECALLBACK cb, PVOID ctx, PREGHANDLE h)
{
	ULONG	 rc = real.event_register(guid, cb, ctx, h);

	cap.registers++;
	cap.guid = *guid;
	cap.cb = cb;
	cap.ctx = ctx;
	cap.handle = rc == ERROR_SUCCESS ? *h : 0;
	return rc;
}

static ULONG WINAPI
fail_register(LPCGUID guid, PENABLECALLBACK cb, PVOID ctx, PREGHANDLE h)
{
	(void)guid;
	(void)h;
	cap.registers++;
	cap.cb = cb;
	cap.ctx = ctx;
	return ERROR_INVALID_PARAMETER;
}

static ULONG WINAPI
spy_set_information(REGHANDLE h, EVENT_INFO_CLASS cls, PVOID data, ULONG len)
{
	cap.set_infos++;
	cap.set_info_handle = h;
	cap.set_info_class = (ULONG)cls;
	cap.set_info_len = len;
	if (len <= BLOB_MAX)
		memcpy(cap.set_info_data, data, len);
	return real_set_information != NULL ?
	    real_set_information(h, cls, data, len) : ERROR_SUCCESS;
}

static trace_etw_set_information_fn
spy_find_set_information(void)
{
	return spy_set_information;
}

static trace_etw_set_information_fn
missing_set_information(void)
{
	return NULL;
}

static ULONG WINAPI
spy_write(REGHANDLE h, PCEVENT_DESCRIPTOR desc, LPCGUID activity,
    LPCGUID related, ULONG count, PEVENT_DATA_DESCRIPTOR dd)
{
	struct write	*w;
	ULONG		 i;

	assert_true(cap.n < WRITES_MAX);
	assert_true(count <= DD_MAX);
	w = &cap.w[cap.n++];
	w->handle = h;
	w->desc = *desc;
	w->count = count;
	for (i = 0; i < count; i++) {
		assert_true(dd[i].Size <= BLOB_MAX);
		w->size[i] = dd[i].Size;
		w->reserved[i] = dd[i].Reserved;
		memcpy(w->data[i], (const void *)(ULONG_PTR)dd[i].Ptr, dd[i].Size);
	}
	if ((w->has_activity = activity != NULL))
		w->activity = *activity;
	if ((w->has_related = related != NULL))
		w->related = *related;
	return real.event_write_transfer(h, desc, activity, related, count, dd);
}

static ULONG WINAPI
spy_unregister(REGHANDLE h)
{
	cap.unregisters++;
	cap.unregistered = h;
	return real.event_unregister(h);
}

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	memset(&cap, 0, sizeof(cap));
	real = trace_etw_os;
	real_set_information = real.find_set_information();
	trace_etw_os.event_register = spy_register;
	trace_etw_os.find_set_information = spy_find_set_information;
	trace_etw_os.event_write_transfer = spy_write;
	trace_etw_os.event_unregister = spy_unregister;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	trace_free(fx->trace);
	config_free(fx->cfg);
	trace_etw_os = real;
	if (fx->dir[0] != '\0')
		tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A trace with the ETW sink only. */
static struct trace *
etw_trace(struct fx *fx)
{
	struct dwerr	 err;

	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	if (trace_add_etw(fx->trace, &err) != 0)
		fail_msg("trace_add_etw: %s", err.msg);
	assert_int_equal(cap.registers, 1);
	return fx->trace;
}

/* What a session does when it enables or disables the provider. */
static void
session_enable(UCHAR level, ULONGLONG any, ULONGLONG all)
{
	assert_non_null(cap.cb);
	cap.cb(NULL, TRACE_ETW_CONTROL_ENABLE, level, any, all, NULL,
	    cap.ctx);
}

static void
session_control(ULONG code)
{
	assert_non_null(cap.cb);
	cap.cb(NULL, code, 0, 0, 0, NULL, cap.ctx);
}

/* The event name in a write's event metadata: after the UINT16 size and
 * the single tag byte. */
static const char *
write_name(const struct write *w)
{
	assert_true(w->count >= 2);
	assert_true(w->size[1] > 3);
	assert_non_null(memchr(w->data[1] + 3, '\0', w->size[1] - 3));
	return (const char *)w->data[1] + 3;
}

/* A GUID as Windows prints it, without braces. */
static void
guid_text(const GUID *g, char *out)
{
	snprintf(out, GUID_TEXT_BYTES,
	    "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0],
	    g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
	    g->Data4[6], g->Data4[7]);
}

/* Checks what every TraceLogging write must have. */
static void
assert_write_shape(const struct write *w, unsigned level, unsigned opcode,
    uint64_t keyword)
{
	uint8_t	 pm[64];
	size_t	 pmlen = tlg_provider_meta(pm, sizeof(pm));

	assert_int_equal(w->handle, cap.handle);
	assert_int_equal(w->count, 3);
	assert_int_equal(w->reserved[0], 2);	/* provider metadata */
	assert_int_equal(w->reserved[1], 1);	/* event metadata */
	assert_int_equal(w->reserved[2], 0);	/* payload */
	assert_int_equal(w->size[0], pmlen);
	assert_memory_equal(w->data[0], pm, pmlen);
	assert_int_equal(w->size[1], w->data[1][0] | w->data[1][1] << 8);
	/* No event ID or version (TraceLogging names events): why WPA gets
	 * no regions file (docs/tracing.md, Reading). */
	assert_int_equal(w->desc.Id, 0);
	assert_int_equal(w->desc.Version, 0);
	assert_int_equal(w->desc.Channel, 11);
	assert_int_equal(w->desc.Level, level);
	assert_int_equal(w->desc.Opcode, opcode);
	assert_int_equal(w->desc.Task, 0);
	assert_int_equal(w->desc.Keyword, keyword);
}

/* Emits one event of every level and keyword the schema uses. */
static void
emit_assorted(struct trace *t)
{
	trace_hosts_unchanged(t, "C:\\hosts");			/* 4, hosts */
	trace_reconcile_start(t, "test", NULL);			/* 4, reconcile */
	trace_hosts_write_attempt(t, 1, ERROR_SHARING_VIOLATION,
	    "ERROR_SHARING_VIOLATION", "held", true, 50, 0);	/* 3, hosts */
	trace_nrpt_record_written(t, 2);			/* 5, nrpt */
	trace_emit(t, "HostsVerbose", TRACE_LVL_VERBOSE, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, NULL, 0);				/* 5, hosts */
	trace_hosts_write_gave_up(t, 3, 2000, ERROR_SHARING_VIOLATION,
	    "ERROR_SHARING_VIOLATION", "held", true);		/* 2, hosts */
	trace_fight(t, "hosts", 6, 60000, 1000);		/* 3, events */
	trace_desired_state_invalid(t, "d.json", "bad");	/* 2, reconcile */
	trace_daemon_stopped(t, "test");			/* 4, service */
}

static void
etw_registers_the_provider_guid_and_sets_its_traits(void **state)
{
	char	 text[GUID_TEXT_BYTES];
	uint8_t	 pm[64];
	size_t	 pmlen = tlg_provider_meta(pm, sizeof(pm));

	etw_trace(*state);
	assert_memory_equal(&cap.guid, tlg_provider_guid, 16);
	guid_text(&cap.guid, text);
	assert_string_equal(text, TLG_PROVIDER_GUID_STR);
	assert_ptr_equal(cap.cb, trace_etw_enable);
	assert_non_null(cap.ctx);
	assert_int_equal(cap.set_infos, 1);
	assert_int_equal(cap.set_info_handle, cap.handle);
	assert_int_equal(cap.set_info_class, 2);	/* EventProviderSetTraits */
	assert_int_equal(cap.set_info_len, pmlen);
	assert_memory_equal(cap.set_info_data, pm, pmlen);
	assert_int_equal(cap.unregisters, 0);
}

static void
etw_finds_event_set_information_at_run_time(void **state)
{
	(void)state;
	/* Wine has it, as has every Windows since 8. */
	assert_non_null(real_set_information);
}

static void
etw_writes_nothing_until_a_session_enables_it(void **state)
{
	struct trace	*t = etw_trace(*state);
	uint8_t		 id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
			    13, 14, 15, 16 };

	trace_activity_begin(t, id);
	emit_assorted(t);
	trace_reconcile_end(t, "noop", 0, 10);
	trace_activity_end(t);
	assert_int_equal(cap.n, 0);
}

static void
etw_writes_only_the_levels_and_keywords_a_session_enabled(void **state)
{
	static const char *const want[] = { "HostsUnchanged",
	    "HostsWriteAttempt", "HostsWriteGaveUp" };
	static const unsigned levels[] = { 4, 3, 2 };
	struct trace	*t = etw_trace(*state);
	unsigned	 i;

	session_enable(TRACE_LVL_INFO, TRACE_KW_HOSTS, 0);
	emit_assorted(t);
	assert_int_equal(cap.n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(write_name(&cap.w[i]), want[i]);
		assert_write_shape(&cap.w[i], levels[i], TRACE_OP_INFO,
		    TRACE_KW_HOSTS);
		assert_false(cap.w[i].has_activity);
		assert_false(cap.w[i].has_related);
	}
}

static void
etw_write_carries_descriptors_metadata_and_activity(void **state)
{
	/* HostsUnchanged: size 25, tag 0, the name, "path" as a UTF-8
	 * ANSISTRING. */
	static const uint8_t meta[] = { 25, 0, 0, 'H', 'o', 's', 't', 's',
	    'U', 'n', 'c', 'h', 'a', 'n', 'g', 'e', 'd', 0, 'p', 'a', 't', 'h',
	    0, 0x82, 0x23 };
	static const char payload[] = "C:\\hosts";
	struct trace	*t = etw_trace(*state);
	uint8_t		 id[16], prev[16], g[16];
	char		 want[GUID_TEXT_BYTES], got[GUID_TEXT_BYTES];
	unsigned	 i;

	for (i = 0; i < 16; i++) {
		id[i] = (uint8_t)(0xa0 + i);
		prev[i] = (uint8_t)(0x10 + i);
	}
	session_enable(0, 0, 0);	/* everything */
	trace_activity_begin(t, id);
	trace_reconcile_start(t, "test", prev);
	trace_hosts_unchanged(t, "C:\\hosts");
	trace_reconcile_end(t, "degraded", 1, 1234);
	trace_activity_end(t);

	assert_int_equal(cap.n, 3);
	assert_string_equal(write_name(&cap.w[0]), "ReconcileStart");
	assert_write_shape(&cap.w[0], TRACE_LVL_INFO, TRACE_OP_START,
	    TRACE_KW_RECONCILE);
	assert_string_equal(write_name(&cap.w[1]), "HostsUnchanged");
	assert_write_shape(&cap.w[1], TRACE_LVL_INFO, TRACE_OP_INFO,
	    TRACE_KW_HOSTS);
	assert_int_equal(cap.w[1].size[1], sizeof(meta));
	assert_memory_equal(cap.w[1].data[1], meta, sizeof(meta));
	assert_int_equal(cap.w[1].size[2], sizeof(payload));
	assert_memory_equal(cap.w[1].data[2], payload, sizeof(payload));
	/* Degraded, yet at the level of its Start: the result is a field. */
	assert_string_equal(write_name(&cap.w[2]), "ReconcileEnd");
	assert_write_shape(&cap.w[2], TRACE_LVL_INFO, TRACE_OP_STOP,
	    TRACE_KW_RECONCILE);

	/* Every event carries the pass's ID, in GUID layout, so that ETW
	 * shows the same text as the JSON Lines "activity". */
	tlg_guid_layout(id, g);
	trace_guid_format(id, want);
	for (i = 0; i < 3; i++) {
		assert_true(cap.w[i].has_activity);
		assert_memory_equal(&cap.w[i].activity, g, 16);
		guid_text(&cap.w[i].activity, got);
		assert_string_equal(got, want);
	}
	/* The pass it continues is a field of the Start ("test", then the
	 * earlier pass's ID as text), never a related activity ID. */
	trace_guid_format(prev, want);
	assert_int_equal(cap.w[0].size[2], sizeof("test") + TRACE_GUID_CHARS + 1);
	assert_memory_equal(cap.w[0].data[2], "test", sizeof("test"));
	assert_string_equal((const char *)cap.w[0].data[2] + sizeof("test"),
	    want);
	for (i = 0; i < 3; i++)
		assert_false(cap.w[i].has_related);
}

/*
 * A slow retry's pass takes up one that gave up. ETW's related activity
 * ID names the parent of the activity a Start opens; a pass that already
 * ended is no parent, so the link is ReconcileStart's continues field and
 * no write has a related activity ID.
 */
static void
etw_a_retry_names_the_pass_it_continues_in_a_field_not_as_parent(void **state)
{
	struct fx			*fx = *state;
	struct reconcile_pass_opts	 po;
	struct reconcile_pass		*p;
	struct dwerr			 err;
	const struct write		*start[2];
	uint8_t				 prev[16];
	char				 want[GUID_TEXT_BYTES];
	unsigned			 i, n = 0;

	if (config_parse("{}", 2, "C:\\dw\\config.json", &fx->cfg, &err) != 0)
		fail_msg("config_parse: %s", err.msg);
	etw_trace(fx);
	session_enable(0, 0, 0);
	memset(&po, 0, sizeof(po));
	po.mode = RECONCILE_APPLY;
	po.trigger = "start";
	assert_non_null(p = reconcile_begin(fx->cfg, fx->trace, &po));
	memcpy(prev, reconcile_pass_activity(p), sizeof(prev));
	reconcile_pass_free(p);		/* stopped: it ends degraded */
	po.trigger = "retry";
	po.continues = prev;
	assert_non_null(p = reconcile_begin(fx->cfg, fx->trace, &po));
	reconcile_pass_free(p);

	for (i = 0; i < cap.n; i++) {
		assert_true(cap.w[i].has_activity);
		assert_false(cap.w[i].has_related);
		if (cap.w[i].desc.Opcode == TRACE_OP_START) {
			assert_true(n < 2);
			start[n++] = &cap.w[i];
		}
	}
	assert_int_equal(n, 2);
	/* The first pass continues none: "start", then "". */
	assert_string_equal(write_name(start[0]), "ReconcileStart");
	assert_int_equal(start[0]->size[2], sizeof("start") + 1);
	assert_memory_equal(start[0]->data[2], "start\0", sizeof("start") + 1);
	/* The retry names the first by the text JSON Lines shows. */
	trace_guid_format(prev, want);
	assert_int_equal(start[1]->size[2], sizeof("retry") +
	    TRACE_GUID_CHARS + 1);
	assert_memory_equal(start[1]->data[2], "retry", sizeof("retry"));
	assert_string_equal((const char *)start[1]->data[2] + sizeof("retry"),
	    want);
	assert_memory_not_equal(&start[0]->activity, &start[1]->activity,
	    sizeof(GUID));
}

/* One pass as the reconcile traces it, ending with result r. */
static void
emit_pass(struct trace *t, const uint8_t id[16], const char *r)
{
	trace_activity_begin(t, id);
	trace_reconcile_start(t, "test", NULL);
	trace_hosts_unchanged(t, "C:\\hosts");
	if (strcmp(r, "degraded") == 0)
		trace_reconcile_degraded(t, "test", "gave_up", "in_sync", 0, 5);
	else if (strcmp(r, "failed") == 0)
		trace_reconcile_failed(t, "test", "failed", "in_sync", 0, 5);
	trace_reconcile_end(t, r, 0, 5);
	trace_activity_end(t);
}

static void
etw_pass_start_and_end_pass_the_same_session_filter(void **state)
{
	static const struct {
		UCHAR		 level;
		ULONGLONG	 any;
	} sessions[] = {
		{ 0, 0 },				/* everything */
		{ TRACE_LVL_VERBOSE, TRACE_KW_RECONCILE },
		{ TRACE_LVL_INFO, TRACE_KW_RECONCILE },
		{ TRACE_LVL_WARNING, TRACE_KW_RECONCILE },
		{ TRACE_LVL_ERROR, TRACE_KW_RECONCILE },
		{ TRACE_LVL_INFO, TRACE_KW_HOSTS },
		{ TRACE_LVL_WARNING, UINT64_MAX }
	};
	static const char *const results[] = { "noop", "converged",
	    "degraded", "failed" };
	static const unsigned summary_level[] = { 0, 0, TRACE_LVL_WARNING,
	    TRACE_LVL_ERROR };
	struct trace		*t = etw_trace(*state);
	const struct write	*start, *stop;
	uint8_t			 id[16] = { 0x5a };
	unsigned		 s, r, i, level, summaries;
	bool			 reconcile;

	for (s = 0; s < NELEMS(sessions); s++) {
		session_enable(sessions[s].level, sessions[s].any, 0);
		level = sessions[s].level != 0 ? sessions[s].level : 255;
		reconcile = sessions[s].any == 0 ||
		    (sessions[s].any & TRACE_KW_RECONCILE) != 0;
		for (r = 0; r < NELEMS(results); r++) {
			cap.n = 0;
			id[1] = (uint8_t)(s * 16 + r);
			emit_pass(t, id, results[r]);
			start = stop = NULL;
			summaries = 0;
			for (i = 0; i < cap.n; i++) {
				if (cap.w[i].desc.Opcode == TRACE_OP_START) {
					assert_null(start);
					start = &cap.w[i];
				} else if (cap.w[i].desc.Opcode ==
				    TRACE_OP_STOP) {
					assert_null(stop);
					stop = &cap.w[i];
				} else if (strncmp(write_name(&cap.w[i]),
				    "Reconcile", 9) == 0)
					summaries++;
			}
			/* Both or neither, whatever the result. */
			if ((start == NULL) != (stop == NULL))
				fail_msg("session %u, result %s: a %s without "
				    "its %s", s, results[r], start != NULL ?
				    "Start" : "Stop", start != NULL ? "Stop" :
				    "Start");
			assert_int_equal(start != NULL, reconcile &&
			    level >= TRACE_LVL_INFO);
			if (start != NULL) {
				assert_string_equal(write_name(start),
				    "ReconcileStart");
				assert_string_equal(write_name(stop),
				    "ReconcileEnd");
				assert_int_equal(start->desc.Level,
				    stop->desc.Level);
				assert_true(start->desc.Keyword ==
				    stop->desc.Keyword);
				assert_memory_equal(&start->activity,
				    &stop->activity, sizeof(GUID));
			}
			/* The severity, for a session below the pass's
			 * level: its own event. */
			assert_int_equal(summaries, reconcile &&
			    summary_level[r] != 0 && level >= summary_level[r]);
		}
	}
}

static void
etw_match_all_keyword_requires_every_bit(void **state)
{
	struct trace	*t = etw_trace(*state);

	session_enable(TRACE_LVL_VERBOSE, UINT64_MAX,
	    TRACE_KW_RECONCILE | TRACE_KW_HOSTS);
	trace_hosts_unchanged(t, "C:\\hosts");
	trace_reconcile_start(t, "test", NULL);
	trace_emit(t, "Both", TRACE_LVL_INFO,
	    (enum trace_keyword)(TRACE_KW_RECONCILE | TRACE_KW_HOSTS),
	    TRACE_OP_INFO, NULL, 0);
	assert_int_equal(cap.n, 1);
	assert_string_equal(write_name(&cap.w[0]), "Both");
	assert_write_shape(&cap.w[0], TRACE_LVL_INFO, TRACE_OP_INFO,
	    TRACE_KW_RECONCILE | TRACE_KW_HOSTS);
	assert_int_equal(cap.w[0].size[2], 0);
}

static void
etw_disable_stops_writes_and_enable_resumes_them(void **state)
{
	struct trace	*t = etw_trace(*state);

	session_enable(TRACE_LVL_INFO, TRACE_KW_HOSTS, 0);
	trace_hosts_unchanged(t, "a");
	assert_int_equal(cap.n, 1);

	session_control(TRACE_ETW_CONTROL_DISABLE);
	trace_hosts_unchanged(t, "b");
	emit_assorted(t);
	assert_int_equal(cap.n, 1);
	/* A capture-state request enables nothing. */
	session_control(TRACE_ETW_CONTROL_CAPTURE_STATE);
	trace_hosts_unchanged(t, "c");
	assert_int_equal(cap.n, 1);

	session_enable(TRACE_LVL_INFO, TRACE_KW_HOSTS, 0);
	trace_hosts_unchanged(t, "d");
	assert_int_equal(cap.n, 2);
	assert_memory_equal(cap.w[1].data[2], "d", 2);
}

static DWORD WINAPI
session_thread(LPVOID arg)
{
	(void)arg;
	session_enable(TRACE_LVL_WARNING, TRACE_KW_HOSTS, 0);
	return 0;
}

static void
etw_enable_from_another_thread_takes_effect(void **state)
{
	struct trace	*t = etw_trace(*state);
	HANDLE		 thread;

	/* ETW calls the callback on threads of its own. */
	assert_non_null(thread = CreateThread(NULL, 0, session_thread, NULL, 0,
	    NULL));
	assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
	CloseHandle(thread);
	trace_hosts_unchanged(t, "C:\\hosts");
	trace_hosts_write_attempt(t, 1, ERROR_SHARING_VIOLATION,
	    "ERROR_SHARING_VIOLATION", "held", true, 50, 0);
	assert_int_equal(cap.n, 1);
	assert_string_equal(write_name(&cap.w[0]), "HostsWriteAttempt");
}

static void
etw_without_event_set_information_still_writes(void **state)
{
	struct trace	*t;

	trace_etw_os.find_set_information = missing_set_information;
	t = etw_trace(*state);
	assert_int_equal(cap.set_infos, 0);
	session_enable(0, 0, 0);
	trace_hosts_unchanged(t, "C:\\hosts");
	assert_int_equal(cap.n, 1);
	assert_write_shape(&cap.w[0], TRACE_LVL_INFO, TRACE_OP_INFO,
	    TRACE_KW_HOSTS);
}

static void
etw_register_failure_is_reported_and_adds_no_sink(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;

	trace_etw_os.event_register = fail_register;
	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	assert_int_equal(trace_add_etw(fx->trace, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "EventRegister"));
	assert_int_equal(cap.set_infos, 0);
	emit_assorted(fx->trace);
	assert_int_equal(cap.n, 0);
	trace_free(fx->trace);
	fx->trace = NULL;
	assert_int_equal(cap.unregisters, 0);
}

static void
etw_free_unregisters_the_handle(void **state)
{
	struct fx	*fx = *state;

	etw_trace(fx);
	trace_free(fx->trace);
	fx->trace = NULL;
	assert_int_equal(cap.unregisters, 1);
	assert_int_equal(cap.unregistered, cap.handle);
}

/* Another program holding the hosts file, sharing nothing. */
struct holder {
	const char	*path;
	DWORD		 hold_ms;
	HANDLE		 opened;	/* event: the handle is open (or failed) */
	HANDLE		 file;
};

static DWORD WINAPI
holder_main(LPVOID arg)
{
	struct holder	*ho = arg;

	ho->file = CreateFileA(ho->path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	SetEvent(ho->opened);
	if (ho->file == INVALID_HANDLE_VALUE)
		return 1;
	Sleep(ho->hold_ms);
	CloseHandle(ho->file);
	return 0;
}

/* The value of "event" on one JSON Lines line, into out. */
static void
jsonl_event(const char *line, char *out)
{
	const char	*p = strstr(line, "\"event\":\""), *q;

	assert_non_null(p);
	p += strlen("\"event\":\"");
	assert_non_null(q = strchr(p, '"'));
	assert_true((size_t)(q - p) < NAME_BYTES);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

static void
etw_and_jsonl_see_the_same_events_while_the_hosts_file_is_held(void **state)
{
	static const char cfgjson[] = "{"
	    "\"desired_state\": \"desired.json\","
	    "\"hosts\": {\"path\": \"hosts\"},"
	    "\"nrpt\": {\"enabled\": false},"
	    "\"trace\": {\"jsonl\": \"trace.jsonl\"},"
	    "\"backoff\": {\"initial_ms\": 50, \"multiplier\": 2,"
	    " \"max_interval_ms\": 400, \"deadline_ms\": 2000, \"jitter\": 0}}";
	static const char desired[] = "{\"version\": 1, \"hosts\": ["
	    "{\"address\": \"10.0.0.2\", \"names\": [\"main.workspace.coder\"]}]}";
	static const char hosts[] = "127.0.0.1 localhost\r\n";
	struct fx		*fx = *state;
	struct reconcile_opts	 opts = { RECONCILE_APPLY, "test", NULL };
	struct reconcile_summary sum;
	struct holder		 ho;
	struct config		*cfg;
	struct dwerr		 err;
	char			 tmp[MAX_PATH + 1], path[PATH_BYTES];
	char			 names[WRITES_MAX][NAME_BYTES], act[GUID_TEXT_BYTES];
	char			*text, *line, *next;
	HANDLE			 thread;
	unsigned		 n = 0, i, attempts = 0;

	assert_true(GetTempPathA(sizeof(tmp), tmp) > 0);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-etw-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(path, sizeof(path), "%s\\desired.json", fx->dir);
	tu_put(path, desired, sizeof(desired) - 1);
	snprintf(path, sizeof(path), "%s\\hosts", fx->dir);
	tu_put(path, hosts, sizeof(hosts) - 1);
	snprintf(path, sizeof(path), "%s\\config.json", fx->dir);
	if (config_parse(cfgjson, sizeof(cfgjson) - 1, path, &fx->cfg,
	    &err) != 0)
		fail_msg("config_parse: %s", err.msg);
	cfg = fx->cfg;
	assert_false(cfg->nrpt_enabled);
	assert_non_null(cfg->trace_jsonl);

	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	if (trace_add_jsonl(fx->trace, cfg->trace_jsonl, cfg->trace_max_bytes,
	    NULL, &err) != 0)
		fail_msg("trace_add_jsonl: %s", err.msg);
	if (trace_add_etw(fx->trace, &err) != 0)
		fail_msg("trace_add_etw: %s", err.msg);
	session_enable(0, 0, 0);

	memset(&ho, 0, sizeof(ho));
	ho.path = cfg->hosts_path;
	ho.hold_ms = HOLD_MS;
	assert_non_null(ho.opened = CreateEventW(NULL, TRUE, FALSE, NULL));
	assert_non_null(thread = CreateThread(NULL, 0, holder_main, &ho, 0,
	    NULL));
	assert_int_equal(WaitForSingleObject(ho.opened, 5000), WAIT_OBJECT_0);
	assert_true(ho.file != INVALID_HANDLE_VALUE);

	assert_int_equal(reconcile_once(cfg, fx->trace, &opts, &sum), 0);
	assert_int_equal(WaitForSingleObject(thread, 10000), WAIT_OBJECT_0);
	CloseHandle(thread);
	CloseHandle(ho.opened);
	assert_int_equal(sum.result, RECONCILE_CONVERGED);
	assert_int_equal(sum.writes, 1);
	trace_free(fx->trace);		/* closes the JSON Lines file */
	fx->trace = NULL;

	assert_non_null(text = tu_slurp(cfg->trace_jsonl, NULL));
	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '\0' || *line == '\r')
			continue;
		assert_true(n < WRITES_MAX);
		jsonl_event(line, names[n]);
		if (n == 0) {
			const char *a = strstr(line, "\"activity\":\"");

			assert_non_null(a);
			a += strlen("\"activity\":\"");
			memcpy(act, a, TRACE_GUID_CHARS);
			act[TRACE_GUID_CHARS] = '\0';
		}
		n++;
	}
	free(text);

	for (i = 0; i < n; i++)
		print_message("%2u %-22s %s\n", i, names[i],
		    i < cap.n ? write_name(&cap.w[i]) : "-");
	assert_int_equal(cap.n, n);
	for (i = 0; i < n; i++) {
		char	 got[GUID_TEXT_BYTES];

		assert_string_equal(write_name(&cap.w[i]), names[i]);
		assert_true(cap.w[i].has_activity);
		assert_false(cap.w[i].has_related);
		guid_text(&cap.w[i].activity, got);
		assert_string_equal(got, act);
		if (strcmp(names[i], "HostsWriteAttempt") == 0)
			attempts++;
	}
	/* The pass met the holder, retried, and got through. */
	assert_true(n >= 5);
	assert_string_equal(names[0], "ReconcileStart");
	assert_string_equal(names[1], "DesiredStateLoaded");
	assert_true(attempts >= 1);
	assert_string_equal(names[n - 2], "HostsWriteSucceeded");
	assert_string_equal(names[n - 1], "ReconcileEnd");
}

/* The value of string member key ("level") on one JSON Lines line. */
static void
jsonl_member(const char *line, const char *key, char *out)
{
	char		 pat[NAME_BYTES];
	const char	*p, *q;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	assert_non_null(p = strstr(line, pat));
	p += strlen(pat);
	assert_non_null(q = strchr(p, '"'));
	assert_true((size_t)(q - p) < NAME_BYTES);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

static void
etw_and_jsonl_agree_on_a_failed_pass_seen_at_warning_level(void **state)
{
	static const char cfgjson[] = "{"
	    "\"desired_state\": \"missing.json\","
	    "\"hosts\": {\"path\": \"hosts\"},"
	    "\"nrpt\": {\"enabled\": false},"
	    "\"trace\": {\"jsonl\": \"trace.jsonl\"}}";
	struct fx		*fx = *state;
	struct reconcile_opts	 opts = { RECONCILE_APPLY, "test", NULL };
	struct reconcile_summary sum;
	struct dwerr		 err;
	char			 tmp[MAX_PATH + 1], path[PATH_BYTES];
	char			 names[WRITES_MAX][NAME_BYTES];
	char			 levels[WRITES_MAX][NAME_BYTES];
	char			 severity[NAME_BYTES], hosts[NAME_BYTES];
	char			*text, *line, *next;
	unsigned		 n = 0, i, seen = 0;

	assert_true(GetTempPathA(sizeof(tmp), tmp) > 0);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-etw-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(path, sizeof(path), "%s\\config.json", fx->dir);
	if (config_parse(cfgjson, sizeof(cfgjson) - 1, path, &fx->cfg,
	    &err) != 0)
		fail_msg("config_parse: %s", err.msg);

	fx->trace = trace_new(NULL, NULL);
	assert_non_null(fx->trace);
	if (trace_add_jsonl(fx->trace, fx->cfg->trace_jsonl,
	    fx->cfg->trace_max_bytes, NULL, &err) != 0)
		fail_msg("trace_add_jsonl: %s", err.msg);
	if (trace_add_etw(fx->trace, &err) != 0)
		fail_msg("trace_add_etw: %s", err.msg);
	/* A session that wants warnings and worse about passes. */
	session_enable(TRACE_LVL_WARNING, TRACE_KW_RECONCILE, 0);

	assert_int_equal(reconcile_once(fx->cfg, fx->trace, &opts, &sum), -1);
	assert_int_equal(sum.result, RECONCILE_FAILED);
	assert_true(sum.input_invalid);
	trace_free(fx->trace);
	fx->trace = NULL;

	assert_non_null(text = tu_slurp(fx->cfg->trace_jsonl, NULL));
	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '\0' || *line == '\r')
			continue;
		assert_true(n < WRITES_MAX);
		jsonl_event(line, names[n]);
		jsonl_member(line, "level", levels[n]);
		if (strcmp(names[n], "ReconcileEnd") == 0)
			jsonl_member(line, "severity", severity);
		if (strcmp(names[n], "ReconcileFailed") == 0)
			jsonl_member(line, "hosts", hosts);
		n++;
	}
	free(text);

	/* The JSON Lines file has the whole pass; its Start and End at one
	 * level, the End's severity and the failure's own event. */
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "ReconcileStart");
	assert_string_equal(names[1], "DesiredStateInvalid");
	assert_string_equal(names[2], "ReconcileFailed");
	assert_string_equal(names[3], "ReconcileEnd");
	assert_string_equal(levels[0], levels[3]);
	assert_string_equal(levels[2], "error");
	assert_string_equal(severity, "error");
	assert_string_equal(hosts, "not_tried");

	/* The session saw what it asked for and no half of the pass. */
	for (i = 0; i < n; i++) {
		if (strcmp(levels[i], "error") != 0 &&
		    strcmp(levels[i], "warning") != 0)
			continue;
		assert_true(seen < cap.n);
		assert_string_equal(write_name(&cap.w[seen]), names[i]);
		assert_true(cap.w[seen].desc.Opcode == TRACE_OP_INFO);
		seen++;
	}
	assert_int_equal(cap.n, seen);
	assert_int_equal(seen, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(etw_registers_the_provider_guid_and_sets_its_traits),
		T(etw_finds_event_set_information_at_run_time),
		T(etw_writes_nothing_until_a_session_enables_it),
		T(etw_writes_only_the_levels_and_keywords_a_session_enabled),
		T(etw_write_carries_descriptors_metadata_and_activity),
		T(etw_a_retry_names_the_pass_it_continues_in_a_field_not_as_parent),
		T(etw_pass_start_and_end_pass_the_same_session_filter),
		T(etw_match_all_keyword_requires_every_bit),
		T(etw_disable_stops_writes_and_enable_resumes_them),
		T(etw_enable_from_another_thread_takes_effect),
		T(etw_without_event_set_information_still_writes),
		T(etw_register_failure_is_reported_and_adds_no_sink),
		T(etw_free_unregisters_the_handle),
		T(etw_and_jsonl_see_the_same_events_while_the_hosts_file_is_held),
		T(etw_and_jsonl_agree_on_a_failed_pass_seen_at_warning_level),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
