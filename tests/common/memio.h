/*
 * memio.h - an http_io over memory for the tests and fuzz targets: the
 * body comes from a buffer, the response goes to a capped struct buf.
 */
#ifndef PASSION_TEST_MEMIO_H
#define PASSION_TEST_MEMIO_H

#include <string.h>

#include "http/http.h"

struct memio {
	const char	*in;
	size_t		 inlen, off;
	struct buf	 out;
};

static inline ssize_t
memio_read(void *ctx, char *b, size_t n)
{
	struct memio	*m = ctx;
	size_t		 left = m->inlen - m->off;

	if (n > left)
		n = left;
	memcpy(b, m->in + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static inline int
memio_write(void *ctx, const char *b, size_t n)
{
	return buf_append(&((struct memio *)ctx)->out, b, n);
}

/* Bind io to m, reading in[0..inlen); output capped at 1 MiB. */
static inline void
memio_init(struct memio *m, struct http_io *io, const char *in,
    size_t inlen)
{
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->inlen = inlen;
	buf_init(&m->out, 1 << 20);
	io->read = memio_read;
	io->write = memio_write;
	io->ctx = m;
}

#endif
