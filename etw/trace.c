/* trace: the event schema and its dispatcher (see trace.h). */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A pass is an activity: its Start and its Stop must pass the same session
 * filter, or a session sees one without the other. Both use these.
 */
#define TRACE_PASS_LEVEL	TRACE_LVL_INFO
#define TRACE_PASS_KEYWORD	TRACE_KW_RECONCILE

struct trace_sink {
	const struct trace_sink_ops	*ops;
	void				*ctx;
};

struct trace {
	trace_clock_fn		 clock;
	void			*clock_ctx;
	uint8_t			 activity[16];
	struct trace_sink	 sinks[TRACE_MAX_SINKS];
	size_t			 nsinks;
};

struct trace *
trace_new(trace_clock_fn clock, void *clock_ctx)
{
	struct trace	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->clock = clock;
	t->clock_ctx = clock_ctx;
	return t;
}

void
trace_free(struct trace *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsinks; i++)
		if (t->sinks[i].ops->free != NULL)
			t->sinks[i].ops->free(t->sinks[i].ctx);
	free(t);
}

int
trace_add_sink(struct trace *t, const struct trace_sink_ops *ops, void *ctx)
{
	if (t->nsinks == TRACE_MAX_SINKS)
		return -1;
	t->sinks[t->nsinks].ops = ops;
	t->sinks[t->nsinks].ctx = ctx;
	t->nsinks++;
	return 0;
}

void
trace_activity_begin(struct trace *t, const uint8_t id[16])
{
	if (t == NULL)
		return;
	memcpy(t->activity, id, sizeof(t->activity));
}

void
trace_activity_end(struct trace *t)
{
	if (t == NULL)
		return;
	memset(t->activity, 0, sizeof(t->activity));
}

void
trace_guid_format(const uint8_t id[16], char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 0xf];
	}
	out[o] = '\0';
}

void
trace_emit(struct trace *t, const char *name, enum trace_level level,
    enum trace_keyword kw, enum trace_opcode op,
    const struct trace_field *fields, size_t nfields)
{
	struct trace_record	 rec;
	size_t			 i;

	if (t == NULL || t->nsinks == 0)
		return;
	rec.name = name;
	rec.level = level;
	rec.keyword = kw;
	rec.opcode = op;
	rec.ts_us = t->clock != NULL ? t->clock(t->clock_ctx) : 0;
	memcpy(rec.activity, t->activity, sizeof(rec.activity));
	rec.fields = fields;
	rec.nfields = nfields;
	for (i = 0; i < t->nsinks; i++)
		t->sinks[i].ops->emit(t->sinks[i].ctx, &rec);
}

#define F_U32(n, x)	{ .name = (n), .type = TRACE_T_U32, .v.u32 = (x) }
#define F_U64(n, x)	{ .name = (n), .type = TRACE_T_U64, .v.u64 = (x) }
#define F_STR(n, x)	{ .name = (n), .type = TRACE_T_STR, .v.str = (x) }
#define F_BOOL(n, x)	{ .name = (n), .type = TRACE_T_BOOL, .v.b = (x) }
#define F_ERR(n, x)	{ .name = (n), .type = TRACE_T_ERRCODE, .v.u32 = (x) }
#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

void
trace_reconcile_start(struct trace *t, const char *trigger,
    const uint8_t continues[16])
{
	char			 id[TRACE_GUID_CHARS + 1] = "";
	const struct trace_field f[] = {
		F_STR("trigger", trigger),
		F_STR("continues", id)
	};

	if (continues != NULL)
		trace_guid_format(continues, id);

	trace_emit(t, "ReconcileStart", TRACE_PASS_LEVEL, TRACE_PASS_KEYWORD,
	    TRACE_OP_START, f, NFIELDS(f));
}

void
trace_desired_state_loaded(struct trace *t, const char *path,
    uint32_t nrpt_rules, uint32_t host_entries)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_U32("nrpt_rules", nrpt_rules),
		F_U32("host_entries", host_entries)
	};

	trace_emit(t, "DesiredStateLoaded", TRACE_LVL_INFO,
	    TRACE_KW_RECONCILE, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_desired_state_invalid(struct trace *t, const char *path,
    const char *error)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_STR("error", error)
	};

	trace_emit(t, "DesiredStateInvalid", TRACE_LVL_ERROR,
	    TRACE_KW_RECONCILE, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_unchanged(struct trace *t, const char *path)
{
	const struct trace_field f[] = { F_STR("path", path) };

	trace_emit(t, "HostsUnchanged", TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_section_repaired(struct trace *t, const char *path,
    uint32_t sections, uint32_t orphan_markers)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_U32("sections", sections),
		F_U32("orphan_markers", orphan_markers)
	};

	trace_emit(t, "HostsSectionRepaired", TRACE_LVL_WARNING,
	    TRACE_KW_HOSTS, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_file_rejected(struct trace *t, const char *path, const char *error)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_STR("error", error)
	};

	trace_emit(t, "HostsFileRejected", TRACE_LVL_ERROR, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_write_attempt(struct trace *t, uint32_t attempt,
    uint32_t error_code, const char *error_name, const char *error,
    bool transient, uint32_t next_delay_ms, uint64_t elapsed_ms)
{
	const struct trace_field f[] = {
		F_U32("attempt", attempt),
		F_ERR("error_code", error_code),
		F_STR("error_name", error_name),
		F_STR("error", error),
		F_BOOL("transient", transient),
		F_U32("next_delay_ms", next_delay_ms),
		F_U64("elapsed_ms", elapsed_ms)
	};

	trace_emit(t, "HostsWriteAttempt", TRACE_LVL_WARNING, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_write_succeeded(struct trace *t, uint32_t attempts,
    uint64_t elapsed_ms, uint64_t bytes, const char *method, const char *guard)
{
	const struct trace_field f[] = {
		F_U32("attempts", attempts),
		F_U64("elapsed_ms", elapsed_ms),
		F_U64("bytes", bytes),
		F_STR("method", method),
		F_STR("guard", guard)
	};

	trace_emit(t, "HostsWriteSucceeded", TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_carried(struct trace *t, const char *path, uint64_t bytes,
    uint64_t waited_ms)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_U64("bytes", bytes),
		F_U64("waited_ms", waited_ms)
	};

	trace_emit(t, "HostsCarried", TRACE_LVL_WARNING, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_hosts_write_gave_up(struct trace *t, uint32_t attempts,
    uint64_t elapsed_ms, uint32_t error_code, const char *error_name,
    const char *error, bool transient)
{
	const struct trace_field f[] = {
		F_U32("attempts", attempts),
		F_U64("elapsed_ms", elapsed_ms),
		F_ERR("error_code", error_code),
		F_STR("error_name", error_name),
		F_STR("error", error),
		F_BOOL("transient", transient)
	};

	trace_emit(t, "HostsWriteGaveUp", TRACE_LVL_ERROR, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_planned(struct trace *t, bool gp, uint32_t keep, uint32_t adopt,
    uint32_t update, uint32_t create, uint32_t remove, uint32_t forget)
{
	const struct trace_field f[] = {
		F_BOOL("gp", gp),
		F_U32("keep", keep),
		F_U32("adopt", adopt),
		F_U32("update", update),
		F_U32("create", create),
		F_U32("delete", remove),
		F_U32("forget", forget)
	};

	trace_emit(t, "NrptPlanned", TRACE_LVL_INFO, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_unchanged(struct trace *t, uint32_t rules, bool gp)
{
	const struct trace_field f[] = {
		F_U32("rules", rules),
		F_BOOL("gp", gp)
	};

	trace_emit(t, "NrptUnchanged", TRACE_LVL_INFO, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_rule_written(struct trace *t, const char *id, const char *op,
    uint32_t values, uint32_t names, const char *servers)
{
	const struct trace_field f[] = {
		F_STR("id", id),
		F_STR("op", op),
		F_U32("values", values),
		F_U32("names", names),
		F_STR("servers", servers)
	};

	trace_emit(t, "NrptRuleWritten", TRACE_LVL_INFO, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_rule_deleted(struct trace *t, const char *id)
{
	const struct trace_field f[] = { F_STR("id", id) };

	trace_emit(t, "NrptRuleDeleted", TRACE_LVL_INFO, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_record_written(struct trace *t, uint32_t ids)
{
	const struct trace_field f[] = { F_U32("ids", ids) };

	trace_emit(t, "NrptRecordWritten", TRACE_LVL_VERBOSE, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_failed(struct trace *t, const char *step, const char *id,
    uint32_t error_code, const char *error_name, const char *error)
{
	const struct trace_field f[] = {
		F_STR("step", step),
		F_STR("id", id),
		F_ERR("error_code", error_code),
		F_STR("error_name", error_name),
		F_STR("error", error)
	};

	trace_emit(t, "NrptFailed", TRACE_LVL_ERROR, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_notify_failed(struct trace *t, const char *error)
{
	const struct trace_field f[] = { F_STR("error", error) };

	trace_emit(t, "NrptNotifyFailed", TRACE_LVL_WARNING, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_nrpt_notified(struct trace *t, bool gp)
{
	const struct trace_field f[] = { F_BOOL("gp", gp) };

	trace_emit(t, "NrptNotified", TRACE_LVL_INFO, TRACE_KW_NRPT,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_fight(struct trace *t, const char *artifact, uint32_t rewrites,
    uint32_t window_ms, uint32_t next_delay_ms)
{
	const struct trace_field f[] = {
		F_STR("artifact", artifact),
		F_U32("rewrites", rewrites),
		F_U32("window_ms", window_ms),
		F_U32("next_delay_ms", next_delay_ms)
	};

	trace_emit(t, "Fight", TRACE_LVL_WARNING, TRACE_KW_EVENTS,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_follow_learned(struct trace *t, const char *tunnel, uint32_t rules,
    uint32_t host_lines)
{
	const struct trace_field f[] = {
		F_STR("tunnel", tunnel),
		F_U32("rules", rules),
		F_U32("host_lines", host_lines)
	};

	trace_emit(t, "FollowLearned", TRACE_LVL_INFO, TRACE_KW_FOLLOW,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_follow_restored(struct trace *t, const char *tunnel,
    uint32_t rules_written, bool hosts_written)
{
	const struct trace_field f[] = {
		F_STR("tunnel", tunnel),
		F_U32("rules_written", rules_written),
		F_BOOL("hosts_written", hosts_written)
	};

	trace_emit(t, "FollowRestored", TRACE_LVL_INFO, TRACE_KW_FOLLOW,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_follow_stood_down(struct trace *t, const char *tunnel,
    const char *reason)
{
	const struct trace_field f[] = {
		F_STR("tunnel", tunnel),
		F_STR("reason", reason)
	};

	trace_emit(t, "FollowStoodDown", TRACE_LVL_INFO, TRACE_KW_FOLLOW,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_follow_state_invalid(struct trace *t, const char *file,
    const char *error)
{
	const struct trace_field f[] = {
		F_STR("file", file),
		F_STR("error", error)
	};

	trace_emit(t, "FollowStateInvalid", TRACE_LVL_ERROR, TRACE_KW_FOLLOW,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_verify_result(struct trace *t, const char *artifact, uint32_t checked,
    uint32_t failed, const char *first_failure, const char *cls,
    uint64_t duration_us, bool warn)
{
	const struct trace_field f[] = {
		F_STR("artifact", artifact),
		F_U32("checked", checked),
		F_U32("failed", failed),
		F_STR("first_failure", first_failure),
		F_STR("class", cls),
		F_U64("duration_us", duration_us)
	};

	trace_emit(t, "VerifyResult", warn ? TRACE_LVL_WARNING :
	    TRACE_LVL_INFO, TRACE_KW_VERIFY, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_link_set(struct trace *t, const char *link, uint32_t ifindex,
    const char *servers, const char *domains, bool default_route,
    const char *set)
{
	const struct trace_field f[] = {
		F_STR("link", link),
		F_U32("ifindex", ifindex),
		F_STR("servers", servers),
		F_STR("domains", domains),
		F_BOOL("default_route", default_route),
		F_STR("set", set)
	};

	trace_emit(t, "ResolvedLinkSet", TRACE_LVL_INFO, TRACE_KW_RESOLVED,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_unchanged(struct trace *t, const char *link, uint32_t ifindex)
{
	const struct trace_field f[] = {
		F_STR("link", link),
		F_U32("ifindex", ifindex)
	};

	trace_emit(t, "ResolvedUnchanged", TRACE_LVL_INFO, TRACE_KW_RESOLVED,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_link_reverted(struct trace *t, const char *link,
    uint32_t ifindex)
{
	const struct trace_field f[] = {
		F_STR("link", link),
		F_U32("ifindex", ifindex)
	};

	trace_emit(t, "ResolvedLinkReverted", TRACE_LVL_INFO,
	    TRACE_KW_RESOLVED, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_link_left(struct trace *t, const char *link, uint32_t ifindex,
    const char *reason)
{
	const struct trace_field f[] = {
		F_STR("link", link),
		F_U32("ifindex", ifindex),
		F_STR("reason", reason)
	};

	trace_emit(t, "ResolvedLinkLeft", TRACE_LVL_INFO, TRACE_KW_RESOLVED,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_link_absent(struct trace *t, const char *link)
{
	const struct trace_field f[] = { F_STR("link", link) };

	trace_emit(t, "ResolvedLinkAbsent", TRACE_LVL_INFO, TRACE_KW_RESOLVED,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_unavailable(struct trace *t, const char *reason)
{
	const struct trace_field f[] = { F_STR("reason", reason) };

	trace_emit(t, "ResolvedUnavailable", TRACE_LVL_WARNING,
	    TRACE_KW_RESOLVED, TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_resolved_failed(struct trace *t, const char *link, const char *step,
    const char *error)
{
	const struct trace_field f[] = {
		F_STR("link", link),
		F_STR("step", step),
		F_STR("error", error)
	};

	trace_emit(t, "ResolvedFailed", TRACE_LVL_ERROR, TRACE_KW_RESOLVED,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_daemon_started(struct trace *t, const char *config, const char *version)
{
	const struct trace_field f[] = {
		F_STR("config", config),
		F_STR("version", version)
	};

	trace_emit(t, "DaemonStarted", TRACE_LVL_INFO, TRACE_KW_SERVICE,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_daemon_stopped(struct trace *t, const char *reason)
{
	const struct trace_field f[] = { F_STR("reason", reason) };

	trace_emit(t, "DaemonStopped", TRACE_LVL_INFO, TRACE_KW_SERVICE,
	    TRACE_OP_INFO, f, NFIELDS(f));
}

void
trace_config_reloaded(struct trace *t, const char *path, bool ok,
    const char *error)
{
	const struct trace_field f[] = {
		F_STR("path", path),
		F_BOOL("ok", ok),
		F_STR("error", error)
	};

	trace_emit(t, "ConfigReloaded", ok ? TRACE_LVL_INFO :
	    TRACE_LVL_ERROR, TRACE_KW_SERVICE, TRACE_OP_INFO, f, NFIELDS(f));
}

/* ReconcileDegraded and ReconcileFailed: the same fields, their own level. */
static void
trace_reconcile_trouble(struct trace *t, const char *name,
    enum trace_level level, const char *trigger, const char *hosts,
    const char *nrpt, uint32_t writes, uint64_t duration_us)
{
	const struct trace_field f[] = {
		F_STR("trigger", trigger),
		F_STR("hosts", hosts),
		F_STR("nrpt", nrpt),
		F_U32("writes", writes),
		F_U64("duration_us", duration_us)
	};

	trace_emit(t, name, level, TRACE_KW_RECONCILE, TRACE_OP_INFO, f,
	    NFIELDS(f));
}

void
trace_reconcile_degraded(struct trace *t, const char *trigger,
    const char *hosts, const char *nrpt, uint32_t writes, uint64_t duration_us)
{
	trace_reconcile_trouble(t, "ReconcileDegraded", TRACE_LVL_WARNING,
	    trigger, hosts, nrpt, writes, duration_us);
}

void
trace_reconcile_failed(struct trace *t, const char *trigger,
    const char *hosts, const char *nrpt, uint32_t writes, uint64_t duration_us)
{
	trace_reconcile_trouble(t, "ReconcileFailed", TRACE_LVL_ERROR,
	    trigger, hosts, nrpt, writes, duration_us);
}

/* The level name of a result: "error" for failed, "warning" for degraded. */
static const char *
trace_result_severity(const char *result)
{
	if (result != NULL && strcmp(result, "failed") == 0)
		return "error";
	if (result != NULL && strcmp(result, "degraded") == 0)
		return "warning";
	return "info";
}

void
trace_reconcile_end(struct trace *t, const char *result, uint32_t writes,
    uint64_t duration_us)
{
	const struct trace_field f[] = {
		F_STR("result", result),
		F_U32("writes", writes),
		F_U64("duration_us", duration_us),
		F_STR("severity", trace_result_severity(result))
	};

	trace_emit(t, "ReconcileEnd", TRACE_PASS_LEVEL, TRACE_PASS_KEYWORD,
	    TRACE_OP_STOP, f, NFIELDS(f));
}
