/*
 * arena.c - per-request memory: bump allocation in blocks, deferred
 * cleanups for foreign objects (PGresult, json_object…), freed at once.
 * It does not bound memory: bounds belong to what fills it (bodies, bufs).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct arena_block {
	struct arena_block	*next;
	size_t			 size;
	size_t			 used;
	max_align_t		 data[];
};

struct arena_defer {
	struct arena_defer	*next;
	void			(*fn)(void *);
	void			*p;
};

static struct arena_block	*block_new(size_t size);
static void			 run_defers(struct arena *a);

#define ALIGN		_Alignof(max_align_t)
#define ALIGN_UP(n)	(((n) + ALIGN - 1) & ~(ALIGN - 1))

static struct arena_block *
block_new(size_t size)
{
	struct arena_block	*b;

	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		fatal("arena: out of memory (%zu bytes)", size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void
arena_init(struct arena *a, size_t block_size)
{
	a->head = NULL;
	a->defers = NULL;
	a->block_size = block_size < 1024 ? 1024 : block_size;
	a->total = 0;
}

static void
run_defers(struct arena *a)
{
	struct arena_defer	*d;

	/* Defer records live in the arena itself: read next before the call. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->p);
	}
}

void
arena_cleanup(struct arena *a)
{
	struct arena_block	*b, *next;

	run_defers(a);
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->total = 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_block	*keep;

	run_defers(a);
	/* Keep the oldest block (the usual size) and drop the rest. */
	keep = a->head;
	if (keep == NULL)
		return;
	while (keep->next != NULL) {
		struct arena_block *b = keep;
		keep = keep->next;
		free(b);
	}
	keep->used = 0;
	if (keep->size > a->block_size) {
		free(keep);
		keep = NULL;
	}
	a->head = keep;
	a->total = 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block	*b;
	size_t			 need;
	void			*p;

	need = ALIGN_UP(n == 0 ? 1 : n);
	if (need < n)
		fatal("arena: size overflow");
	b = a->head;
	if (b == NULL || b->size - b->used < need) {
		b = block_new(need > a->block_size ? need : a->block_size);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

void *
arena_calloc(struct arena *a, size_t n)
{
	void	*p;

	p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("arena_printf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct arena_defer	*d;

	d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}
