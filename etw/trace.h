/*
 * trace: the event schema, and the dispatcher that hands each event to the
 * sinks (JSON Lines everywhere; ETW TraceLogging on Windows).
 *
 * One function per event, with typed fields. Every field type maps onto a
 * TraceLogging type (see docs/trace-events.md): TRACE_T_U32 -> UINT32,
 * TRACE_T_U64 -> UINT64, TRACE_T_STR -> UTF-8 string, TRACE_T_BOOL ->
 * BOOL32, TRACE_T_ERRCODE -> UINT32 shown as WIN32ERROR (an errno on POSIX).
 * Durations and sizes carry their unit in the field name (elapsed_ms).
 *
 * Every event carries the current activity: one GUID per reconcile pass,
 * set with trace_activity_begin, so a reader can tie a pass together. A
 * pass is an ETW activity: ReconcileStart (opcode Start) and ReconcileEnd
 * (opcode Stop) have the same level and keyword, so a session sees both
 * or neither; how the pass ended is in their fields, and a degraded or
 * failed pass adds an event at that severity (ReconcileDegraded,
 * ReconcileFailed) before its ReconcileEnd.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"

#define TRACE_GUID_CHARS 36u	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define TRACE_MAX_FIELDS 16u
#define TRACE_MAX_SINKS	 4u

/* ETW level numbers. */
enum trace_level {
	TRACE_LVL_CRITICAL = 1,
	TRACE_LVL_ERROR = 2,
	TRACE_LVL_WARNING = 3,
	TRACE_LVL_INFO = 4,
	TRACE_LVL_VERBOSE = 5
};

/* ETW keywords, one bit per area. */
enum trace_keyword {
	TRACE_KW_RECONCILE = 0x1,
	TRACE_KW_NRPT = 0x2,
	TRACE_KW_HOSTS = 0x4,
	TRACE_KW_EVENTS = 0x8,
	TRACE_KW_SERVICE = 0x10,
	TRACE_KW_FOLLOW = 0x20,
	TRACE_KW_VERIFY = 0x40,
	TRACE_KW_RESOLVED = 0x80
};

/* ETW opcodes: a pass is a Start/Stop pair. */
enum trace_opcode {
	TRACE_OP_INFO = 0,
	TRACE_OP_START = 1,
	TRACE_OP_STOP = 2
};

enum trace_type {
	TRACE_T_U32,
	TRACE_T_U64,
	TRACE_T_STR,
	TRACE_T_BOOL,
	TRACE_T_ERRCODE
};

struct trace_field {
	const char	*name;
	enum trace_type	 type;
	union {
		uint32_t	 u32;	/* U32, ERRCODE */
		uint64_t	 u64;
		const char	*str;	/* UTF-8; NULL is written as "" */
		bool		 b;
	} v;
};

/* One event as every sink receives it; valid only during the emit call. */
struct trace_record {
	const char		*name;		/* "HostsWriteAttempt" */
	enum trace_level	 level;
	enum trace_keyword	 keyword;
	enum trace_opcode	 opcode;
	uint64_t		 ts_us;		/* microseconds since 1970, UTC */
	uint8_t			 activity[16];	/* zero outside a pass */
	const struct trace_field *fields;
	size_t			 nfields;
};

/* A sink: emit is called for every event, in order; free at teardown. */
struct trace_sink_ops {
	void	(*emit)(void *ctx, const struct trace_record *rec);
	void	(*free)(void *ctx);
};

/* Wall-clock source, in microseconds since 1970 (injected by tests). */
typedef uint64_t (*trace_clock_fn)(void *ctx);

struct trace;

/* A dispatcher with no sinks; free with trace_free (which frees the sinks). */
struct trace	*trace_new(trace_clock_fn clock, void *clock_ctx);
void		 trace_free(struct trace *t);
/* Adds a sink; the trace owns ctx from now on. Returns 0 or -1 (full). */
int		 trace_add_sink(struct trace *t, const struct trace_sink_ops *ops,
		     void *ctx);
/* Sets the activity ID carried by every event until trace_activity_end. */
void		 trace_activity_begin(struct trace *t, const uint8_t id[16]);
void		 trace_activity_end(struct trace *t);
/* Formats a 16-byte ID as a lower-case GUID string (TRACE_GUID_CHARS + 1). */
void		 trace_guid_format(const uint8_t id[16], char *out);
/* Emits a raw record (the event functions below are the normal way). */
void		 trace_emit(struct trace *t, const char *name, enum trace_level level,
		     enum trace_keyword kw, enum trace_opcode op,
		     const struct trace_field *fields, size_t nfields);

/* The JSON Lines sink (trace_jsonl.c): how it stands, for "status". */
struct trace_jsonl_stats {
	const char	*path;		/* NULL: the sink is off */
	bool		 open;		/* a file is open at path */
	const char	*error;		/* why it is failing now, or NULL */
	uint64_t	 bytes;		/* size of the file in use */
	uint64_t	 max_bytes;	/* rotated past this; 0: never */
	uint64_t	 events;	/* written whole */
	uint64_t	 dropped;	/* not written (no file, or an error) */
	uint64_t	 write_errors;	/* failed writes, rotations, reopens */
	uint64_t	 rotations;
};

struct trace_jsonl;

/* Adds a JSON Lines sink appending to path, renamed to path.1 when an
 * event would take it past max_bytes (0: never); t owns it, *out
 * (optional) gets it. Returns 0 when the file is open; -1 with err when it
 * is not: then, if *out is non-NULL, the sink is there but closed, counts
 * what it drops, and trace_jsonl_reopen may open it later. */
int		 trace_add_jsonl(struct trace *t, const char *path,
		     uint64_t max_bytes, struct trace_jsonl **out,
		     struct dwerr *err);
/* Closes the file and opens path anew (a file moved or removed by log
 * rotation is let go); path NULL turns the sink off. Returns 0, or -1
 * with err (the sink then stays closed). */
int		 trace_jsonl_reopen(struct trace_jsonl *j, const char *path,
		     uint64_t max_bytes, struct dwerr *err);
/* Fills st; its strings point into j and last until j next changes. */
void		 trace_jsonl_stats(const struct trace_jsonl *j,
		     struct trace_jsonl_stats *st);

/* The schema: one function per event. t may be NULL (tracing off).
 * continues (may be NULL) is the activity of an earlier pass that this one
 * takes up (the slow retry after a pass gave up): a field, and not ETW's
 * related activity ID, which names a parent activity, not one that ended. */
void	trace_reconcile_start(struct trace *t, const char *trigger,
	    const uint8_t continues[16]);
void	trace_desired_state_loaded(struct trace *t, const char *path,
	    uint32_t nrpt_rules, uint32_t host_entries);
void	trace_desired_state_invalid(struct trace *t, const char *path,
	    const char *error);
void	trace_hosts_unchanged(struct trace *t, const char *path);
void	trace_hosts_section_repaired(struct trace *t, const char *path,
	    uint32_t sections, uint32_t orphan_markers);
void	trace_hosts_file_rejected(struct trace *t, const char *path,
	    const char *error);
void	trace_hosts_write_attempt(struct trace *t, uint32_t attempt,
	    uint32_t error_code, const char *error_name, const char *error,
	    bool transient, uint32_t next_delay_ms, uint64_t elapsed_ms);
void	trace_hosts_write_succeeded(struct trace *t, uint32_t attempts,
	    uint64_t elapsed_ms, uint64_t bytes, const char *method,
	    const char *guard);
void	trace_hosts_carried(struct trace *t, const char *path, uint64_t bytes,
	    uint64_t waited_ms);
void	trace_hosts_write_gave_up(struct trace *t, uint32_t attempts,
	    uint64_t elapsed_ms, uint32_t error_code, const char *error_name,
	    const char *error, bool transient);
void	trace_nrpt_planned(struct trace *t, bool gp, uint32_t keep,
	    uint32_t adopt, uint32_t update, uint32_t create, uint32_t remove,
	    uint32_t forget);
void	trace_nrpt_unchanged(struct trace *t, uint32_t rules, bool gp);
void	trace_nrpt_rule_written(struct trace *t, const char *id,
	    const char *op, uint32_t values, uint32_t names, const char *servers);
void	trace_nrpt_rule_deleted(struct trace *t, const char *id);
void	trace_nrpt_record_written(struct trace *t, uint32_t ids);
void	trace_nrpt_failed(struct trace *t, const char *step, const char *id,
	    uint32_t error_code, const char *error_name, const char *error);
void	trace_nrpt_notify_failed(struct trace *t, const char *error);
void	trace_nrpt_notified(struct trace *t, bool gp);
void	trace_fight(struct trace *t, const char *artifact, uint32_t rewrites,
	    uint32_t window_ms, uint32_t next_delay_ms);
/* Follow mode (policy/follow.h): what was learned of the tunnel, what was
 * put back, why nothing is, and a learned-state file that is refused. */
void	trace_follow_learned(struct trace *t, const char *tunnel,
	    uint32_t rules, uint32_t host_lines);
void	trace_follow_restored(struct trace *t, const char *tunnel,
	    uint32_t rules_written, bool hosts_written);
void	trace_follow_stood_down(struct trace *t, const char *tunnel,
	    const char *reason);
void	trace_follow_state_invalid(struct trace *t, const char *file,
	    const char *error);
/* One artifact's verification through the system's resolver (verify.h):
 * cls is "ok", "name-absent", ...; failed true makes it a Warning. */
void	trace_verify_result(struct trace *t, const char *artifact,
	    uint32_t checked, uint32_t failed, const char *first_failure,
	    const char *cls, uint64_t duration_us, bool warn);
/* systemd-resolved (Linux): the link's settings written (set names the
 * setters called: "dns,domains,default_route"), found right, reverted
 * because they were exactly ours, left because they were not, the link
 * not there, resolved not reachable, a step that failed. */
void	trace_resolved_link_set(struct trace *t, const char *link,
	    uint32_t ifindex, const char *servers, const char *domains,
	    bool default_route, const char *set);
void	trace_resolved_unchanged(struct trace *t, const char *link,
	    uint32_t ifindex);
void	trace_resolved_link_reverted(struct trace *t, const char *link,
	    uint32_t ifindex);
void	trace_resolved_link_left(struct trace *t, const char *link,
	    uint32_t ifindex, const char *reason);
void	trace_resolved_link_absent(struct trace *t, const char *link);
void	trace_resolved_unavailable(struct trace *t, const char *reason);
void	trace_resolved_failed(struct trace *t, const char *link,
	    const char *step, const char *error);
void	trace_daemon_started(struct trace *t, const char *config,
	    const char *version);
void	trace_daemon_stopped(struct trace *t, const char *reason);
void	trace_config_reloaded(struct trace *t, const char *path, bool ok,
	    const char *error);
/* A degraded or failed pass: trigger as in ReconcileStart, and how each
 * artifact stands (reconcile.c names them). Just before ReconcileEnd. */
void	trace_reconcile_degraded(struct trace *t, const char *trigger,
	    const char *hosts, const char *nrpt, uint32_t writes,
	    uint64_t duration_us);
void	trace_reconcile_failed(struct trace *t, const char *trigger,
	    const char *hosts, const char *nrpt, uint32_t writes,
	    uint64_t duration_us);
/* The pass's last event, at the level of ReconcileStart whatever the
 * result; the result's own severity is its severity field. */
void	trace_reconcile_end(struct trace *t, const char *result, uint32_t writes,
	    uint64_t duration_us);

#endif
