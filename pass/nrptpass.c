/* nrptpass: the NRPT part of a reconcile pass (see nrptpass.h). */
#include "nrptpass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nrpt.h"
#include "nrpt_store.h"
#include "platform.h"

/* The store's callbacks, wrapped so that every step is traced. */
struct nrptpass_tracer {
	const struct nrpt_store_ops	*inner;
	void				*inner_ctx;
	struct trace			*trace;
	const struct nrpt_plan		*plan;
};

static void
nrptpass_new_id(void *ctx, char id[NRPT_ID_BYTES])
{
	uint8_t	 g[16];
	char	 s[TRACE_GUID_CHARS + 1];

	(void)ctx;
	platform_random(g, sizeof(g));
	g[6] = (uint8_t)((g[6] & 0x0f) | 0x40);	/* version 4 */
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
	trace_guid_format(g, s);
	id[0] = '{';
	memcpy(id + 1, s, TRACE_GUID_CHARS);
	id[TRACE_GUID_CHARS + 1] = '}';
	id[TRACE_GUID_CHARS + 2] = '\0';
}

static void
nrptpass_fail(struct trace *t, const char *step, const char *id,
    const struct dwerr *err)
{
	trace_nrpt_failed(t, step, id, (uint32_t)err->code,
	    platform_error_name(err->code), err->msg);
}

static int
nrptpass_record_set(void *ctx, char *const *ids, size_t nids, struct dwerr *err)
{
	struct nrptpass_tracer	*tr = ctx;

	if (tr->inner->record_set(tr->inner_ctx, ids, nids, err) != 0) {
		nrptpass_fail(tr->trace, "record", "", err);
		return -1;
	}
	trace_nrpt_record_written(tr->trace, (uint32_t)nids);
	return 0;
}

static const char *
nrptpass_op_of(const struct nrpt_plan *plan, const char *id)
{
	size_t	 i;

	for (i = 0; i < plan->nactions; i++)
		if (strcmp(plan->actions[i].want.id, id) == 0)
			return nrpt_op_name(plan->actions[i].op);
	return "";
}

static int
nrptpass_rule_write(void *ctx, const struct nrpt_rule *rule, unsigned values,
    struct dwerr *err)
{
	struct nrptpass_tracer	*tr = ctx;

	if (tr->inner->rule_write(tr->inner_ctx, rule, values, err) != 0) {
		nrptpass_fail(tr->trace, "write", rule->id, err);
		return -1;
	}
	trace_nrpt_rule_written(tr->trace, rule->id,
	    nrptpass_op_of(tr->plan, rule->id), values, (uint32_t)rule->nnames,
	    rule->servers);
	return 0;
}

static int
nrptpass_rule_delete(void *ctx, const char *id, struct dwerr *err)
{
	struct nrptpass_tracer	*tr = ctx;

	if (tr->inner->rule_delete(tr->inner_ctx, id, err) != 0) {
		nrptpass_fail(tr->trace, "delete", id, err);
		return -1;
	}
	trace_nrpt_rule_deleted(tr->trace, id);
	return 0;
}

static const struct nrpt_store_ops nrptpass_tracer_ops = {
	nrptpass_record_set,
	nrptpass_rule_write,
	nrptpass_rule_delete
};

/* Prints the plan for `plan` and `once --dry-run`. */
static void
nrptpass_print(FILE *out, const struct nrpt_plan *plan, bool gp)
{
	size_t	 i, k;

	fprintf(out, "nrpt: would change the rules (%s)\n",
	    gp ? "local and group-policy tables" : "local table");
	for (i = 0; i < plan->nactions; i++) {
		const struct nrpt_action *a = &plan->actions[i];

		fprintf(out, "  %-6s %s", nrpt_op_name(a->op), a->want.id);
		if (a->op != NRPT_OP_DELETE && a->op != NRPT_OP_FORGET) {
			fputs(" [", out);
			for (k = 0; k < a->want.nnames && k < 3; k++)
				fprintf(out, "%s%s", k > 0 ? " " : "",
				    a->want.names[k]);
			if (a->want.nnames > 3)
				fprintf(out, " +%zu", a->want.nnames - 3);
			fprintf(out, "] -> %s", a->want.servers != NULL ?
			    a->want.servers : "");
		}
		fputc('\n', out);
	}
}

/* Counts the actions of each kind. */
static void
nrptpass_count(const struct nrpt_plan *plan, uint32_t n[6])
{
	size_t	 i;

	memset(n, 0, 6 * sizeof(n[0]));
	for (i = 0; i < plan->nactions; i++)
		n[plan->actions[i].op]++;
}

/* Tells the DNS client; traced either way. A failure does not fail the
 * pass: the rules are right and Windows reads them again on its own. */
static void
nrptpass_notify(struct nrpt_store *st, struct trace *t)
{
	struct dwerr	 err;

	if (nrpt_store_notify(st, &err) != 0) {
		trace_nrpt_notify_failed(t, err.msg);
		log_debug("nrpt: %s", err.msg);
	} else
		trace_nrpt_notified(t, nrpt_store_gp(st));
}

enum nrptpass_result
nrptpass_run(const struct config *cfg, const struct desired_state *ds,
    struct trace *t, bool plan_only, FILE *out, unsigned *writes)
{
	const struct nrpt_params	 params = { NRPT_RULE_VERSION,
					    NRPT_RULE_COMMENT };
	struct nrptpass_tracer		 tr;
	struct nrpt_apply_result	 res;
	struct nrpt_store		*st = NULL;
	struct nrpt_plan		*plan = NULL;
	struct nrpt_live		 live;
	struct dwerr			 err;
	enum nrptpass_result		 r = NRPTPASS_FAILED;
	uint32_t			 n[6];

	memset(&live, 0, sizeof(live));
	if (nrpt_store_open(cfg->nrpt_record_key, cfg->nrpt_record_value, &st,
	    &err) != 0) {
		if (err.code == ENOTSUP) {
			if (out != NULL && ds->nnrpt > 0 && cfg->resolved_enabled)
				fprintf(out, "nrpt: none on this platform (%zu "
				    "rule%s go%s to systemd-resolved)\n",
				    ds->nnrpt, ds->nnrpt == 1 ? "" : "s",
				    ds->nnrpt == 1 ? "es" : "");
			else if (out != NULL && ds->nnrpt > 0)
				fprintf(out, "nrpt: not managed on this platform "
				    "(%zu rules in the desired state; on Linux "
				    "set resolved.enabled)\n", ds->nnrpt);
			return NRPTPASS_UNSUPPORTED;
		}
		nrptpass_fail(t, "open", "", &err);
		goto fail;
	}
	if (nrpt_store_read(st, &live, &err) != 0) {
		nrptpass_fail(t, "read", "", &err);
		goto fail;
	}
	if (nrpt_plan_make(ds, &live, &params, nrptpass_new_id, NULL, &plan,
	    &err) != 0) {
		nrptpass_fail(t, "plan", "", &err);
		goto fail;
	}
	nrptpass_count(plan, n);
	if (nrpt_plan_is_noop(plan)) {
		trace_nrpt_unchanged(t, n[NRPT_OP_KEEP] + n[NRPT_OP_ADOPT],
		    nrpt_store_gp(st));
		if (out != NULL)
			fprintf(out, "nrpt: unchanged (%u rules)\n",
			    n[NRPT_OP_KEEP] + n[NRPT_OP_ADOPT]);
		r = NRPTPASS_NOOP;
		goto done;
	}
	trace_nrpt_planned(t, nrpt_store_gp(st), n[NRPT_OP_KEEP],
	    n[NRPT_OP_ADOPT], n[NRPT_OP_UPDATE], n[NRPT_OP_CREATE],
	    n[NRPT_OP_DELETE], n[NRPT_OP_FORGET]);
	if (plan_only) {
		if (out != NULL)
			nrptpass_print(out, plan, nrpt_store_gp(st));
		r = NRPTPASS_CHANGED;
		goto done;
	}
	tr.inner = nrpt_store_ops();
	tr.inner_ctx = st;
	tr.trace = t;
	tr.plan = plan;
	memset(&res, 0, sizeof(res));
	if (nrpt_apply(plan, &live, &nrptpass_tracer_ops, &tr, &res, &err) != 0) {
		*writes += (unsigned)(res.values_written + res.rules_deleted);
		/* What was written before the failure should be seen. */
		if (res.values_written + res.rules_deleted > 0)
			nrptpass_notify(st, t);
		goto fail;
	}
	*writes += (unsigned)(res.values_written + res.rules_deleted);
	if (out != NULL)
		fprintf(out, "nrpt: %zu rules written, %zu deleted (%zu values)\n",
		    res.rules_written, res.rules_deleted, res.values_written);
	nrptpass_notify(st, t);
	r = NRPTPASS_CHANGED;
	goto done;
fail:
	log_error("nrpt: %s", err.msg);
	if (out != NULL)
		fprintf(out, "nrpt: failed: %s\n", err.msg);
done:
	nrpt_plan_free(plan);
	nrpt_live_clear(&live);
	nrpt_store_free(st);
	return r;
}
