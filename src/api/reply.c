/*
 * reply.c - what the routes of every file share: the replies to a failed
 * database or store call, and the texts replies are made of (byte counts
 * for people, expiry times, download names, file names' check).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"

#define STORE_RETRY	"5"		/* Retry-After: the store is down */

void
api_reply_db_error(struct http_request *req, enum db_status st)
{
	char	 secs[16];

	switch (st) {
	case DB_OK:
		return;
	case DB_UNAVAILABLE:
	case DB_TIMEOUT:
		snprintf(secs, sizeof(secs), "%ld",
		    api_app(req)->cfg->db_retry_after);
		http_header_add(req, "Retry-After", secs);
		if (st == DB_TIMEOUT)
			http_reply_error(req, 503, "db_timeout", "the database "
			    "is busy and did not answer in time; try again "
			    "shortly");
		else
			http_reply_error(req, 503, "db_unavailable", "the "
			    "database is unavailable; try again shortly");
		return;
	case DB_NOTFOUND:
	case DB_DENIED:
		/* Another user's row answers exactly like a missing one. */
		http_reply_error(req, 404, "not_found", "not found");
		return;
	case DB_CONFLICT:
		http_reply_error(req, 409, "conflict",
		    "conflicts with existing data");
		return;
	case DB_FOREIGN:
		http_reply_error(req, 422, "invalid",
		    "refers to something that does not exist");
		return;
	case DB_STALE:
		http_reply_error(req, 412, "precondition_failed",
		    "the entity changed since this ETag");
		return;
	case DB_UNAUTHENTICATED:
		/* The session went bad since this worker last saw it (what
		 * is left of it goes as the reply is sent: session.c). */
		http_reply_error(req, 401, "unauthenticated", "sign in first");
		return;
	case DB_ERROR:
		break;
	}
	log_error("%s: %s", __func__, api_app(req)->db.errstr);
	http_reply_error(req, 500, "internal", "internal error");
}

/* Answer a failed call to the store (logged: the reason is ours). */
void
api_reply_store_error(struct http_request *req, enum storage_status st)
{
	struct app	*app = api_app(req);

	log_error("store: %s", app->store.errstr);
	if (st == STORAGE_UNAVAILABLE) {
		http_header_add(req, "Retry-After", STORE_RETRY);
		http_reply_error(req, 503, "storage_unavailable", "the object "
		    "store did not answer; nothing was changed; try again "
		    "shortly");
		return;
	}
	http_reply_error(req, 502, "storage_error", "the object store "
	    "refused the request; nothing was changed");
}

/*
 * Hold one of the user's share of the workers for a costly request
 * (config user_workers; util/share.c): 0, or -1 after 429. Released
 * when the request ends (api_handle).
 */
int
api_share_or_reply(struct http_request *req)
{
	struct app	*app = api_app(req);

	if (share_claim(&app->share, req->user_id) == 0)
		return 0;
	http_header_add(req, "Retry-After", "1");
	http_reply_error(req, 429, "busy", "%ld of your searches, long lists, "
	    "summaries or vault requests are running already; try again in "
	    "a second", app->share.limit);
	return -1;
}

/*
 * 413 quota_exceeded for a what ("blob", "bundle") of size bytes, with
 * what the user has in the store, read in the transaction that found it
 * over, which is then rolled back.
 */
void
api_reply_over_quota(struct http_request *req, const char *what,
    long long size)
{
	struct app	*app = api_app(req);
	long long	 used;
	enum db_status	 st;

	st = db_storage_used(&app->db, req->arena, req->user_id, NULL, &used);
	db_tx_rollback(&app->db);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	http_reply_error(req, 413, "quota_exceeded", "this %s (%s) does not "
	    "fit: %s of the %s quota are used", what, api_bytes_text(
	    req->arena, size), api_bytes_text(req->arena, used),
	    api_bytes_text(req->arena, app->cfg->storage_quota));
}

/*
 * Count a hit for key (window seconds) in the open transaction: 0, or
 * -1 after rolling it back (a refusal is not counted) and replying 429
 * rate_limited with message and the window's rest as Retry-After (503
 * when the database fails).
 */
int
api_rate_or_reply(struct http_request *req, const char *key, long window,
    long limit, const char *message)
{
	struct app	*app = api_app(req);
	long		 count = 0, retry = 0;
	enum db_status	 st;

	st = db_rate_hit(&app->db, req->arena, key, window, &count, &retry);
	if (st == DB_OK && count <= limit)
		return 0;
	db_tx_rollback(&app->db);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return -1;
	}
	http_header_add(req, "Retry-After", arena_printf(req->arena, "%ld",
	    retry > 0 ? retry : 1));
	http_reply_error(req, 429, "rate_limited", "%s", message);
	return -1;
}

/* 503 when no store is configured; 0 when one is. */
int
api_store_or_reply(struct http_request *req)
{
	if (storage_enabled(&api_app(req)->store))
		return 0;
	http_reply_error(req, 503, "storage_unavailable", "no object store "
	    "is configured on this server");
	return -1;
}

/* A byte count for people: "200 MB" style (decimal, as stores bill). */
const char *
api_bytes_text(struct arena *a, long long n)
{
	if (n >= 1000000000LL && n % 1000000000LL == 0)
		return arena_printf(a, "%lld GB", n / 1000000000LL);
	if (n >= 1000000 && n % 1000000 == 0)
		return arena_printf(a, "%lld MB", n / 1000000);
	if (n >= (1LL << 20) && n % (1LL << 20) == 0)
		return arena_printf(a, "%lld MiB", n >> 20);
	return arena_printf(a, "%lld bytes", n);
}

/* An ISO 8601 time secs from now. */
const char *
api_expires_at(struct arena *a, long long now, long secs)
{
	char	 out[32];

	time_iso8601((now + secs) * 1000, out, sizeof(out));
	return arena_strdup(a, out);
}

/* A file name's check: printable, no control characters. */
int
api_name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* One character of a filename* value as RFC 5987 attr-char, or 0. */
static int
attr_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

/*
 * Content-Disposition for name (RFC 6266): an ASCII filename for old
 * clients (anything else as '_') and filename* in UTF-8 (RFC 5987).
 */
const char *
api_disposition(struct arena *a, const char *type, const char *name)
{
	struct buf	 b;
	const char	*p, *out;

	buf_init(&b, 4096);
	buf_printf(&b, "%s; filename=\"", type);
	for (p = name; *p != '\0'; p++)
		buf_putc(&b, (unsigned char)*p >= 0x80 || *p == '"' ||
		    *p == '\\' || *p == '/' || *p == '%' ? '_' : *p);
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (p = name; *p != '\0'; p++)
		if (attr_char((unsigned char)*p))
			buf_putc(&b, *p);
		else
			buf_printf(&b, "%%%02X", (unsigned char)*p);
	out = arena_strndup(a, b.data, b.len);
	buf_cleanup(&b);
	return out;
}
