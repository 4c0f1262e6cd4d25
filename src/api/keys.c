/*
 * keys.c - Idempotency-Key on creates (docs/api.md, "Retries"): the key
 * is claimed by the create's transaction, its answer stored with its
 * COMMIT, and a request sent again with it gets that answer, written
 * once. Routes that take no key refuse one (the router: a POST without
 * HTTP_ROUTE_KEYED), so that a client never believes a retry is safe
 * where it is not.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "db/sync.h"

#define KEY_MAX		255

/* The key of the request, or NULL; -1 after replying 400 to a bad one. */
static int
key_read_or_reply(struct http_request *req, const char **key)
{
	const char	*k = http_header_get(req, "Idempotency-Key");
	size_t		 i, n;

	*key = NULL;
	if (k == NULL)
		return 0;
	n = strlen(k);
	for (i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			break;
	if (n == 0 || n > KEY_MAX || i < n) {
		http_reply_error(req, 400, "invalid_header", "Idempotency-Key: "
		    "1 to %d visible ASCII characters (a UUID will do)",
		    KEY_MAX);
		return -1;
	}
	*key = k;
	return 0;
}

/* What the key binds: the method, the path and the body's bytes. */
static const char *
request_hash(struct http_request *req)
{
	const char	*head = arena_printf(req->arena, "%s %s\n", req->method,
	    req->path);

	return sha256_hex(req->arena, head, strlen(head),
	    (const unsigned char *)req->body, req->body_len);
}

int
api_key_claim_or_reply(struct http_request *req, struct api_key *k)
{
	struct app		*app = api_app(req);
	struct db_keyed		 got;
	struct json_object	*e;
	enum db_status		 st;

	memset(k, 0, sizeof(*k));
	if (key_read_or_reply(req, &k->key) != 0) {
		db_tx_rollback(&app->db);
		return -1;
	}
	if (k->key == NULL)
		return 0;
	k->hash = request_hash(req);
	st = db_key_claim(&app->db, req->arena, req->user_id, k->key, k->hash,
	    &got);
	if (st == DB_OK && got.fresh)
		return 0;
	db_tx_rollback(&app->db);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return -1;
	}
	if (strcmp(got.request_hash, k->hash) != 0) {
		http_reply_error(req, 422, "idempotency_key_reused",
		    "Idempotency-Key: sent with another request in the last %d "
		    "hours; a new request takes a new key", DB_KEY_HOURS);
		return -1;
	}
	/* The first answer again, as it was. */
	if ((e = json_tokener_parse(got.body)) == NULL) {
		http_reply_error(req, 500, "internal", "the stored answer is "
		    "not JSON");
		return -1;
	}
	http_json_own(req, e);
	if (got.location != NULL)
		http_header_add(req, "Location", got.location);
	http_header_add(req, "Idempotent-Replayed", "true");
	api_reply_entity(req, got.status, e);
	return -1;
}

enum db_status
api_key_keep(struct http_request *req, const struct api_key *k, int status,
    const char *location, struct json_object *e)
{
	struct app	*app = api_app(req);

	if (k->key == NULL)
		return DB_OK;
	return db_key_answer_commit(&app->db, req->arena, req->user_id, k->key,
	    status, location, json_object_to_json_string_ext(e,
	    JSON_C_TO_STRING_PLAIN));
}
