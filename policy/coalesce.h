/*
 * coalesce: when the daemon runs a pass. Pure: time comes in as "now" in
 * milliseconds of a monotonic clock; nothing here reads a clock or arms a
 * timer. The daemon feeds it triggers and pass ends, and keeps one timer
 * armed at coalesce_next.
 *
 * - Leading edge: the first trigger after a quiet period starts a pass at
 *   once, so a wipe is repaired in the time a pass takes.
 * - Triggers that arrive while a pass runs, or within quiet_ms after one
 *   ended, make at most one trailing pass, due quiet_ms after the last
 *   pass ended (never later than max_delay_ms after its first trigger).
 * - A pass caused by several triggers is named after the most telling.
 * - A VPN trigger asks for re-checks settle_ms[0] and settle_ms[1] later
 *   ("vpn-settle"), when VPN clients have finished rewriting DNS.
 * - Fights: drift repairs (writes of a pass that drift caused) are
 *   counted over fight_window_ms; past fight_rewrites of them, repairs of
 *   drift wait a delay that doubles from COALESCE_FIGHT_FIRST_MS up to
 *   fight_max_delay_ms, until a window passes without a fight. A "manual"
 *   trigger is never held.
 */
#ifndef COALESCE_H
#define COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COALESCE_NEVER		UINT64_MAX	/* no wake-up needed */
#define COALESCE_FIGHT_FIRST_MS	1000u	/* first delay of a fight's backoff */
#define COALESCE_DRIFT_RING	64u	/* drift repairs remembered */
#define COALESCE_SETTLES	2u	/* re-checks after a VPN trigger */

struct coalesce_config {
	uint32_t	 quiet_ms;
	uint32_t	 max_delay_ms;
	uint32_t	 settle_ms[COALESCE_SETTLES];	/* 0: that re-check is off */
	uint32_t	 fight_rewrites;
	uint32_t	 fight_window_ms;
	uint32_t	 fight_max_delay_ms;
};

/* The pass to run now, as coalesce_begin hands it out. */
struct coalesce_pass {
	const char	*trigger;	/* the most telling of its triggers */
	bool		 drift;		/* a hosts drift is among them */
	bool		 retry;		/* the slow retry is among them */
};

/* A fight declared by coalesce_drift_write. */
struct coalesce_fight {
	uint32_t	 rewrites;	/* drift repairs in the window */
	uint32_t	 delay_ms;	/* repairs of drift wait this long now */
};

struct coalesce;

/* A coalescer with cfg (copied); NULL without memory. */
struct coalesce	*coalesce_new(const struct coalesce_config *cfg);
void		 coalesce_free(struct coalesce *c);
/* Takes new settings (a reload); pending work keeps its times. */
void		 coalesce_set_config(struct coalesce *c,
		    const struct coalesce_config *cfg);

/* A trigger at now. name must be a literal ("drift", "vpn", "manual"...);
 * drift: another program changed the hosts file. */
void		 coalesce_trigger(struct coalesce *c, const char *name,
		    bool drift, uint64_t now);
/* When the caller must call coalesce_tick next (COALESCE_NEVER: idle). */
uint64_t	 coalesce_next(const struct coalesce *c);
/* Time has come to now: due re-checks become triggers. Returns true when
 * a pass is due: call coalesce_begin and run it. */
bool		 coalesce_tick(struct coalesce *c, uint64_t now);
/* The pass starts at now: hands out its trigger and flags. Returns false
 * when none is due (or one runs). */
bool		 coalesce_begin(struct coalesce *c, uint64_t now,
		    struct coalesce_pass *out);
/* The running pass ended at now. */
void		 coalesce_end(struct coalesce *c, uint64_t now);
/* The running pass repaired drift (wrote the hosts file after another
 * program changed it) at now. Returns true, with *f, when that starts or
 * prolongs a fight. */
bool		 coalesce_drift_write(struct coalesce *c, uint64_t now,
		    struct coalesce_fight *f);
/* Whether a pass runs, is pending; the fight delay now (0: none). */
bool		 coalesce_running(const struct coalesce *c);
bool		 coalesce_pending(const struct coalesce *c);
uint32_t	 coalesce_fight_delay(const struct coalesce *c);
/* Whether a fight is on at now: declared, and its window not yet over. */
bool		 coalesce_fighting(const struct coalesce *c, uint64_t now);
/* Triggers seen, and how many of them joined a pass already pending or
 * running. */
uint64_t	 coalesce_triggers(const struct coalesce *c);
uint64_t	 coalesce_coalesced(const struct coalesce *c);

#endif
