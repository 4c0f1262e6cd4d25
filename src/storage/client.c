/*
 * client.c - the calls passiond makes to the store itself, signed with
 * an Authorization header (x-amz-content-sha256 included, which
 * libcurl's own SigV4 leaves out), through the worker's libcurl handle
 * and its outbound timeouts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"

/* The S3 status of a response: 2xx ok, 404 not found, 403 denied. */
static enum storage_status
status_of(long http)
{
	if (http >= 200 && http < 300)
		return STORAGE_OK;
	if (http == 404)
		return STORAGE_NOTFOUND;
	if (http == 403)
		return STORAGE_DENIED;
	if (http >= 500 || http == 0)
		return STORAGE_UNAVAILABLE;
	return STORAGE_ERROR;
}

/* Send method on key with an empty body, signed; r its response. */
static enum storage_status
call(struct storage *s, struct net *n, struct arena *a, const char *method,
    const char *key, long long now, struct net_resp *r)
{
	struct sigv4_pair	 h[3];
	struct sigv4_request	 q;
	const char		*hdr[5];
	char			 date[17], err[256];

	storage_request(a, s, method, key, now, date, h, &q);
	h[1].name = "x-amz-content-sha256";
	h[1].value = SIGV4_EMPTY_SHA;
	h[2].name = "x-amz-date";
	h[2].value = date;
	q.nheaders = 3;
	q.payload_hash = SIGV4_EMPTY_SHA;
	hdr[0] = arena_printf(a, "x-amz-content-sha256: %s", SIGV4_EMPTY_SHA);
	hdr[1] = arena_printf(a, "x-amz-date: %s", date);
	hdr[2] = arena_printf(a, "Authorization: %s", sigv4_authorization(a,
	    &s->creds, &s->keys, &q));
	hdr[3] = NULL;
	if (net_request(n, a, method, storage_url(a, s, key), hdr, r, err,
	    sizeof(err)) != 0) {
		snprintf(s->errstr, sizeof(s->errstr), "%s %.100s: %.120s",
		    method, key, err);
		return STORAGE_UNAVAILABLE;
	}
	if (status_of(r->status) != STORAGE_OK)
		snprintf(s->errstr, sizeof(s->errstr), "%s %.100s: HTTP %ld",
		    method, key, r->status);
	return status_of(r->status);
}

enum storage_status
storage_head(struct storage *s, struct net *n, struct arena *a,
    const char *key, long long now, struct storage_object *o)
{
	struct net_resp		 r;
	enum storage_status	 st;
	const char		*len;

	memset(o, 0, sizeof(*o));
	st = call(s, n, a, "HEAD", key, now, &r);
	if (st != STORAGE_OK)
		return st;
	len = net_resp_header(a, &r, "Content-Length");
	o->size = len ? strtoll(len, NULL, 10) : -1;
	o->content_type = net_resp_header(a, &r, "Content-Type");
	o->etag = net_resp_header(a, &r, "ETag");
	return STORAGE_OK;
}

enum storage_status
storage_delete(struct storage *s, struct net *n, struct arena *a,
    const char *key, long long now)
{
	struct net_resp		 r;
	enum storage_status	 st;

	/* Gone already is what was asked. */
	st = call(s, n, a, "DELETE", key, now, &r);
	return st == STORAGE_NOTFOUND ? STORAGE_OK : st;
}
