/*
 * sync.c - GET /api/sync: the change feed (docs/api.md, "Keeping a
 * client in sync"). A page of the user's changes after a cursor, in one
 * snapshot, and the next cursor. The cursor says where it stands (a
 * commit, a seq in it), the floor of swept tombstones it was given with,
 * where it is
 * good (the database's epoch), and is signed for the user: a cursor the
 * feed cannot honour answers 409 resync_required, never a silent gap.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "db/sync.h"

#define SYNC_LIMIT_DEFAULT	100
#define SYNC_LIMIT_MAX		1000
/* A page holds about this much of entities (one at least). */
#define SYNC_PAGE_BYTES		((size_t)1 << 20)
#define EPOCH_CHARS		16
#define CURSOR_CHARS		127	/* more is not a cursor of ours */

struct cursor {
	struct db_sync_at at;		/* the changes up to it are had */
	long long	 floor;		/* the floor it was given with */
	char		 epoch[EPOCH_CHARS + 1];
	char		 mac[32];
};

/* What the cursor's signature covers, for the user. */
static const char *
signed_text(struct http_request *req, const struct cursor *c)
{
	return arena_printf(req->arena, "sync v2 %s %lld %lld %lld %s",
	    req->user_id, c->at.commit, c->at.seq, c->floor, c->epoch);
}

static const char *
cursor_write(struct http_request *req, struct cursor *c)
{
	const char	*mac = auth_mac(req->arena, api_app(req)->keys.sync,
	    signed_text(req, c));

	return mac == NULL ? NULL : arena_printf(req->arena,
	    "2.%lld.%lld.%lld.%s.%s", c->at.commit, c->at.seq, c->floor,
	    c->epoch, mac);
}

/*
 * Parse s into c: 0; 1 for a cursor of the feed's first version (one
 * seq a row, sql/0019), which no feed honours now; or -1 when it is not
 * a cursor at all.
 */
static int
cursor_read(const char *s, struct cursor *c)
{
	int	 end = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(s) > CURSOR_CHARS)
		return -1;
	if (sscanf(s, "1.%lld.%lld.%16[0-9a-f].%31[A-Za-z0-9_-]%n",
	    &c->at.seq, &c->floor, c->epoch, c->mac, &end) == 4 &&
	    s[end] == '\0')
		return 1;
	end = 0;
	if (sscanf(s, "2.%lld.%lld.%lld.%16[0-9a-f].%31[A-Za-z0-9_-]%n",
	    &c->at.commit, &c->at.seq, &c->floor, c->epoch, c->mac, &end) !=
	    5 || s[end] != '\0' || c->at.commit < 0 || c->at.seq < 0 ||
	    c->floor < 0 || strlen(c->epoch) != EPOCH_CHARS)
		return -1;
	return 0;
}

/* Was c given to this user (a cursor of another, or altered: no)? */
static int
cursor_mine(struct http_request *req, const struct cursor *c)
{
	const char	*mac = auth_mac(req->arena, api_app(req)->keys.sync,
	    signed_text(req, c));

	return mac != NULL && auth_str_eq(mac, c->mac);
}

/* Why the feed cannot go on from c (NULL: it can). */
static const char *
cursor_refused(struct arena *a, const struct cursor *c,
    const struct db_sync *s)
{
	if (strncmp(c->epoch, s->epoch, EPOCH_CHARS) != 0)
		return "the database was restored or failed over since the "
		    "cursor was given";
	/* The last commit the cursor has whole. */
	long long	 had = c->at.seq > 0 ? c->at.commit - 1 : c->at.commit;

	if (s->floor > (had > c->floor ? had : c->floor))
		return arena_printf(a, "deletions after the cursor were "
		    "forgotten (a deletion is kept %d days)",
		    DB_SYNC_TOMBSTONE_DAYS);
	if (c->at.commit > (s->last > s->floor ? s->last : s->floor))
		return "the cursor is ahead of the feed: the database lost "
		    "changes";
	return NULL;
}

/* 200 {"changes":[…],"cursor":"…","more":…} */
static void
reply(struct http_request *req, struct db_sync *s)
{
	struct json_object	*o = json_object_new_object();
	struct cursor		 next;
	const char		*text;

	memset(&next, 0, sizeof(next));
	/* At the end of the feed the cursor has every commit whole: past
	 * the tombstones a first page leaves out, and past the floor. */
	next.at = s->next;
	if (!s->more) {
		if (s->last > next.at.commit)
			next.at.commit = s->last;
		if (s->floor > next.at.commit)
			next.at.commit = s->floor;
		next.at.seq = 0;
	}
	next.floor = s->floor;
	snprintf(next.epoch, sizeof(next.epoch), "%s", s->epoch);
	if ((text = cursor_write(req, &next)) == NULL) {
		json_object_put(o);
		http_reply_error(req, 500, "internal", "the cursor could not be "
		    "signed");
		return;
	}
	json_object_object_add(o, "changes", json_object_get(s->changes));
	json_object_object_add(o, "cursor", json_object_new_string(text));
	json_object_object_add(o, "more", json_object_new_boolean(s->more));
	http_json_own(req, o);
	http_reply_json(req, 200, o);
}

void
api_sync_get(struct http_request *req)
{
	struct app	*app = api_app(req);
	struct db_sync	 s;
	struct cursor	 c;
	const char	*cursor = http_query_get(req, "cursor"), *why;
	long long	 limit;
	enum db_status	 st;
	int		 old = 0;

	if (api_only_params_or_reply(req, (const char *const []){ "cursor",
	    "limit", NULL }) != 0 || api_count_or_reply(req, "limit",
	    SYNC_LIMIT_MAX, SYNC_LIMIT_DEFAULT, &limit) != 0)
		return;
	memset(&c, 0, sizeof(c));	/* no cursor: from the start */
	if (cursor != NULL && (old = cursor_read(cursor, &c)) < 0) {
		http_reply_error(req, 400, "invalid_query", "cursor: not a "
		    "cursor of the feed; start again without it");
		return;
	}
	if (old > 0) {
		http_reply_error(req, 409, "resync_required", "the cursor is of "
		    "the feed's first version, which this server no longer "
		    "reads: start again without a cursor");
		return;
	}
	if (cursor != NULL && !cursor_mine(req, &c)) {
		http_reply_error(req, 409, "resync_required", "the cursor is not "
		    "one this account was given: start again without a cursor");
		return;
	}
	/* A page past the default: a costly request. */
	if (limit > SYNC_LIMIT_DEFAULT && api_share_or_reply(req) != 0)
		return;
	memset(&s, 0, sizeof(s));
	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);	/* a read: one round trip */
	if (st == DB_OK)
		st = db_sync_read(&app->db, req->arena, req->user_id,
		    c.at, cursor == NULL, (int)limit,
		    SYNC_PAGE_BYTES, &s);
	http_json_own(req, s.changes);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	if (cursor != NULL && (why = cursor_refused(req->arena, &c, &s)) != NULL) {
		http_reply_error(req, 409, "resync_required", "%s: start again "
		    "without a cursor", why);
		return;
	}
	reply(req, &s);
}
