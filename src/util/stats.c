/*
 * stats.c - a process's counts (util.h says what they are): histograms
 * by the bounds below, status classes, and the fold of a dead worker's
 * counts into its master's retired total. The counts live in memory the
 * master maps before forking (server/master.c); this file does not know.
 */
#include "config.h"

#include <stddef.h>

#include "util/util.h"

/* From a fast health check to past any request's deadline. */
const double stats_bounds[STATS_BOUNDS] = { 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

static struct stats	 own;
struct stats		*stats_mine = &own;

void
stats_use(struct stats *s)
{
	stats_mine = s != NULL ? s : &own;
}

void
stats_observe(struct stats_hist *h, int64_t us)
{
	size_t	 i;

	if (us < 0)
		us = 0;
	for (i = 0; i < STATS_BOUNDS; i++)
		if ((double)us <= stats_bounds[i] * 1e6)
			break;
	stats_count(&h->counts[i]);
	__atomic_fetch_add(&h->sum_us, (uint64_t)us, __ATOMIC_RELAXED);
}

int
stats_class(int status)
{
	if (status < 300)
		return 0;
	if (status >= 500)
		return 3;
	return status / 100 - 2;
}

void
stats_fold(struct stats *dst, const struct stats *src)
{
	uint64_t	*d = (uint64_t *)dst;
	const uint64_t	*s = (const uint64_t *)src;
	size_t		 i, n = offsetof(struct stats, live) / sizeof(uint64_t);

	for (i = 0; i < n; i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void
stats_db_seen(int ok, int64_t now_ms)
{
	int64_t	*at = ok ? &stats_mine->live.db_ok_ms :
	    &stats_mine->live.db_fail_ms;

	__atomic_store_n(at, now_ms, __ATOMIC_RELAXED);
}
