/* backoff: capped exponential backoff (see backoff.h). */
#include "backoff.h"

void
backoff_defaults(struct backoff_policy *p)
{
	p->initial_ms = BACKOFF_INITIAL_MS_DEFAULT;
	p->multiplier = BACKOFF_MULTIPLIER_DEFAULT;
	p->max_interval_ms = BACKOFF_MAX_INTERVAL_MS_DEFAULT;
	p->deadline_ms = BACKOFF_DEADLINE_MS_DEFAULT;
	p->jitter = BACKOFF_JITTER_DEFAULT;
}

int
backoff_check(const struct backoff_policy *p, struct dwerr *err)
{
	if (p->initial_ms == 0) {
		dwerr_set(err, DWERR_INPUT, "initial_ms must be at least 1");
		return -1;
	}
	if (!(p->multiplier >= 1.0 && p->multiplier <= 100.0)) {
		dwerr_set(err, DWERR_INPUT, "multiplier must be between 1 and 100");
		return -1;
	}
	if (p->max_interval_ms < p->initial_ms) {
		dwerr_set(err, DWERR_INPUT,
		    "max_interval_ms must not be below initial_ms");
		return -1;
	}
	if (!(p->jitter >= 0.0 && p->jitter <= 1.0)) {
		dwerr_set(err, DWERR_INPUT, "jitter must be between 0 and 1");
		return -1;
	}
	return 0;
}

int
backoff_next(const struct backoff_policy *p, unsigned attempt,
    uint64_t elapsed_ms, double rand01, uint32_t *delay_ms)
{
	double	 d = p->initial_ms;
	unsigned i;

	if (elapsed_ms >= p->deadline_ms)
		return -1;
	for (i = 1; i < attempt && d < p->max_interval_ms; i++)
		d *= p->multiplier;
	if (d > p->max_interval_ms)
		d = p->max_interval_ms;
	if (rand01 < 0.0)
		rand01 = 0.0;
	if (rand01 >= 1.0)
		rand01 = 0.999999;
	d *= 1.0 + p->jitter * (2.0 * rand01 - 1.0);
	if (d < 1.0)
		d = 1.0;
	if (d > (double)(p->deadline_ms - elapsed_ms))
		d = (double)(p->deadline_ms - elapsed_ms);
	*delay_ms = (uint32_t)(d + 0.5);
	if (*delay_ms == 0)
		*delay_ms = 1;
	return 0;
}
