/* coalesce: when the daemon runs a pass (see coalesce.h). */
#include "coalesce.h"

#include <stdlib.h>
#include <string.h>

/* Triggers gathered for one pass. */
struct coalesce_batch {
	bool		 on;		/* at least one trigger */
	uint64_t	 first_ms;	/* its first trigger */
	const char	*trigger;
	bool		 drift;
	bool		 retry;
};

struct coalesce {
	struct coalesce_config	 cfg;
	bool			 running;
	struct coalesce_batch	 pending;	/* for the next pass */
	struct coalesce_batch	 dirty;		/* arrived during the running one */
	bool			 ended;		/* a pass has ended */
	uint64_t		 last_end_ms;
	uint64_t		 settle_at[COALESCE_SETTLES];
	uint64_t		 ring[COALESCE_DRIFT_RING]; /* drift repairs */
	size_t			 ring_next;
	uint32_t		 fight_delay_ms;	/* 0: not fighting */
	uint64_t		 fight_until_ms;
	uint64_t		 triggers, coalesced;
};

/* How telling a trigger is: a pass that several triggers caused is named
 * after the most telling one (a VPN reconnect says more than the route
 * changes that came with it). */
static int
coalesce_rank(const char *name)
{
	static const char *const order[] = { "resync", "retry", "network",
	    "vpn-settle", "resume", "desired", "reload", "nrpt", "resolved",
	    "policy", "drift", "vpn", "manual", "start", NULL };
	int	 i;

	for (i = 0; order[i] != NULL; i++)
		if (strcmp(order[i], name) == 0)
			return i;
	return -1;
}

/* Adds a trigger to a batch; returns true when it joined earlier ones. */
static bool
coalesce_add(struct coalesce_batch *b, const char *name, bool drift,
    uint64_t now)
{
	bool	 joined = b->on;

	if (!b->on) {
		b->on = true;
		b->first_ms = now;
		b->trigger = name;
	} else if (coalesce_rank(name) > coalesce_rank(b->trigger))
		b->trigger = name;
	b->drift |= drift;
	b->retry |= strcmp(name, "retry") == 0;
	return joined;
}

struct coalesce *
coalesce_new(const struct coalesce_config *cfg)
{
	struct coalesce	*c;
	size_t		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = *cfg;
	for (i = 0; i < COALESCE_SETTLES; i++)
		c->settle_at[i] = COALESCE_NEVER;
	return c;
}

void
coalesce_free(struct coalesce *c)
{
	free(c);
}

void
coalesce_set_config(struct coalesce *c, const struct coalesce_config *cfg)
{
	c->cfg = *cfg;
}

void
coalesce_trigger(struct coalesce *c, const char *name, bool drift,
    uint64_t now)
{
	size_t	 i;

	c->triggers++;
	if (strcmp(name, "vpn") == 0)
		for (i = 0; i < COALESCE_SETTLES; i++)
			c->settle_at[i] = c->cfg.settle_ms[i] != 0 ?
			    now + c->cfg.settle_ms[i] : COALESCE_NEVER;
	if (coalesce_add(c->running ? &c->dirty : &c->pending, name, drift,
	    now))
		c->coalesced++;
}

/* When the pending pass is due. */
static uint64_t
coalesce_due(const struct coalesce *c)
{
	const struct coalesce_batch	*b = &c->pending;
	uint64_t			 due, cap;

	if (c->running || !b->on)
		return COALESCE_NEVER;
	/* Leading edge after a quiet period; otherwise quiet_ms after the
	 * last pass, but never later than max_delay_ms after the first. */
	due = b->first_ms;
	if (c->ended && due < c->last_end_ms + c->cfg.quiet_ms)
		due = c->last_end_ms + c->cfg.quiet_ms;
	cap = b->first_ms + c->cfg.max_delay_ms;
	if (due > cap)
		due = cap < b->first_ms ? b->first_ms : cap;
	/* Fighting another writer: repairs of drift wait their turn. */
	if (b->drift && c->fight_delay_ms != 0 && due < c->fight_until_ms &&
	    strcmp(b->trigger, "manual") != 0)
		due = c->fight_until_ms;
	return due;
}

uint64_t
coalesce_next(const struct coalesce *c)
{
	uint64_t	 next = coalesce_due(c);
	size_t		 i;

	for (i = 0; i < COALESCE_SETTLES; i++)
		if (c->settle_at[i] < next)
			next = c->settle_at[i];
	return next;
}

bool
coalesce_tick(struct coalesce *c, uint64_t now)
{
	size_t	 i;

	for (i = 0; i < COALESCE_SETTLES; i++)
		if (c->settle_at[i] <= now) {
			c->settle_at[i] = COALESCE_NEVER;
			coalesce_trigger(c, "vpn-settle", false, now);
		}
	return coalesce_due(c) <= now;
}

bool
coalesce_begin(struct coalesce *c, uint64_t now, struct coalesce_pass *out)
{
	if (coalesce_due(c) > now)
		return false;
	out->trigger = c->pending.trigger;
	out->drift = c->pending.drift;
	out->retry = c->pending.retry;
	memset(&c->pending, 0, sizeof(c->pending));
	c->running = true;
	return true;
}

void
coalesce_end(struct coalesce *c, uint64_t now)
{
	c->running = false;
	c->ended = true;
	c->last_end_ms = now;
	/* What arrived meanwhile makes one more pass. */
	if (c->dirty.on) {
		c->pending = c->dirty;
		c->pending.first_ms = now;
		memset(&c->dirty, 0, sizeof(c->dirty));
	}
}

bool
coalesce_drift_write(struct coalesce *c, uint64_t now,
    struct coalesce_fight *f)
{
	const struct coalesce_config	*cfg = &c->cfg;
	size_t				 i;
	uint32_t			 recent = 0;

	c->ring[c->ring_next++ % COALESCE_DRIFT_RING] = now;
	for (i = 0; i < COALESCE_DRIFT_RING && i < c->ring_next; i++)
		if (now - c->ring[i] <= cfg->fight_window_ms)
			recent++;
	if (recent <= cfg->fight_rewrites) {
		if (c->fight_delay_ms != 0 && now > c->fight_until_ms +
		    cfg->fight_window_ms)
			c->fight_delay_ms = 0;	/* peace returned */
		return false;
	}
	c->fight_delay_ms = c->fight_delay_ms == 0 ? COALESCE_FIGHT_FIRST_MS :
	    c->fight_delay_ms * 2;
	if (c->fight_delay_ms > cfg->fight_max_delay_ms)
		c->fight_delay_ms = cfg->fight_max_delay_ms;
	c->fight_until_ms = now + c->fight_delay_ms;
	f->rewrites = recent;
	f->delay_ms = c->fight_delay_ms;
	return true;
}

bool
coalesce_running(const struct coalesce *c)
{
	return c->running;
}

bool
coalesce_pending(const struct coalesce *c)
{
	return c->pending.on || c->dirty.on;
}

uint32_t
coalesce_fight_delay(const struct coalesce *c)
{
	return c->fight_delay_ms;
}

bool
coalesce_fighting(const struct coalesce *c, uint64_t now)
{
	return c->fight_delay_ms != 0 &&
	    now < c->fight_until_ms + c->cfg.fight_window_ms;
}

uint64_t
coalesce_triggers(const struct coalesce *c)
{
	return c->triggers;
}

uint64_t
coalesce_coalesced(const struct coalesce *c)
{
	return c->coalesced;
}
