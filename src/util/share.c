/*
 * share.c - how many workers one user holds at once: one mark per worker
 * in memory the master shares with them all (an anonymous MAP_SHARED
 * mapping made before the first fork), no lock.
 *
 * A claim writes the worker's own mark first, then counts the marks
 * equal to it; both are sequentially consistent, so of two workers
 * claiming for the same user at once each sees the other's mark: either
 * may refuse, none both succeed past the limit. A refusal clears the
 * mark again. The master zeroes a worker's mark when it reaps it, so a
 * worker that died holding one frees it.
 */
#include "config.h"

#include <string.h>

#include "util/util.h"

/* FNV-1a: the user's id as a non-zero mark. */
static uint64_t
mark_of(const char *who)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *who != '\0'; who++)
		h = (h ^ (unsigned char)*who) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

void
share_init(struct share *s, uint64_t *marks, size_t n, size_t self,
    long limit)
{
	memset(s, 0, sizeof(*s));
	s->marks = marks;
	s->n = n;
	s->self = self;
	s->limit = limit;
}

int
share_claim(struct share *s, const char *who)
{
	uint64_t	 m;
	long		 held = 0;
	size_t		 i;

	if (s->marks == NULL || s->limit <= 0 || s->held)
		return 0;
	m = mark_of(who);
	__atomic_store_n(&s->marks[s->self], m, __ATOMIC_SEQ_CST);
	for (i = 0; i < s->n; i++)
		if (__atomic_load_n(&s->marks[i], __ATOMIC_SEQ_CST) == m)
			held++;
	if (held > s->limit) {
		__atomic_store_n(&s->marks[s->self], 0, __ATOMIC_SEQ_CST);
		return -1;
	}
	s->held = 1;
	return 0;
}

void
share_release(struct share *s)
{
	if (!s->held)
		return;
	__atomic_store_n(&s->marks[s->self], 0, __ATOMIC_SEQ_CST);
	s->held = 0;
}
