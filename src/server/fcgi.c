/*
 * fcgi.c - the only place that knows libfcgi's streams: it turns an
 * accepted FCGX_Request into the http_io the http/ room reads and writes.
 */
#include "config.h"

#include <fcgiapp.h>

#include "server/server.h"

static ssize_t
fcgi_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;
	int		 got;

	if (n > (1 << 30))
		n = 1 << 30;
	got = FCGX_GetStr(buf, (int)n, fr->in);
	if (got < 0 || (got == 0 && FCGX_GetError(fr->in) != 0))
		return -1;
	return got;
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;

	while (n > 0) {
		int chunk = n > (1 << 30) ? (1 << 30) : (int)n;

		if (FCGX_PutStr(buf, chunk, fr->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void
fcgi_io_init(struct http_io *io, struct FCGX_Request *fr)
{
	io->read = fcgi_read;
	io->write = fcgi_write;
	io->ctx = fr;
}
