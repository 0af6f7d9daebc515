/*
 * backoff: capped exponential backoff with jitter and a deadline.
 *
 * Pure: the caller passes the attempt number, the time spent so far and a
 * random number, so a test can replay any schedule exactly.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdint.h>

#include "dwerr.h"

#define BACKOFF_INITIAL_MS_DEFAULT	50u
#define BACKOFF_MULTIPLIER_DEFAULT	2.0
#define BACKOFF_MAX_INTERVAL_MS_DEFAULT	5000u
#define BACKOFF_DEADLINE_MS_DEFAULT	30000u
#define BACKOFF_JITTER_DEFAULT		0.2

struct backoff_policy {
	uint32_t	initial_ms;	 /* delay after the first failure */
	double		multiplier;	 /* growth per attempt, >= 1 */
	uint32_t	max_interval_ms; /* cap on one delay, before jitter */
	uint32_t	deadline_ms;	 /* no attempt starts after this */
	double		jitter;		 /* +/- fraction of a delay, 0..1 */
};

/* The defaults: 50 ms, x2, 5 s cap, 30 s deadline, +/-20 % jitter. */
void	backoff_defaults(struct backoff_policy *p);

/* Checks a policy's ranges; returns 0 or -1 with a sentence in err. */
int	backoff_check(const struct backoff_policy *p, struct dwerr *err);

/*
 * The delay before the next attempt, after failed attempt number `attempt`
 * (1 for the first) when elapsed_ms have passed since the first attempt.
 * rand01 is uniform in [0, 1). Returns 0 with *delay_ms set, never reaching
 * past the deadline, or -1 when the deadline has come: give up.
 */
int	backoff_next(const struct backoff_policy *p, unsigned attempt,
	    uint64_t elapsed_ms, double rand01, uint32_t *delay_ms);

#endif
