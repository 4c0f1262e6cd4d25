/*
 * blobs.c - objects leave the store after their rows: a deleted blob row
 * (with its track, its library, its project or its account) queues its
 * object in blob_deletions in the same transaction, and a blob_delete
 * job drains the queue here, a batch at a time (DeleteObjects), after
 * the request has been answered. passionctl maintain drains it too, and
 * sweeps what no row accounts for: blobs left pending, and objects
 * under a user's prefix with no row at all.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/jobs.h"
#include "model/model.h"

#define BATCH		1000	/* DeleteObjects' most keys */
#define ROUNDS_MAX	1000	/* batches in one drain */

/* Remove one batch d[rows] from the store; the keys done and failed. */
static enum storage_status
remove_batch(struct storage *s, struct net *n, struct arena *a,
    const struct db_deletion *d, int rows, struct json_object *done,
    struct json_object *failed)
{
	const char		**keys;
	enum storage_status	 st;
	int			*bad, *kept, i;
	long long		 now = time(NULL);

	keys = arena_calloc(a, (size_t)rows * sizeof(*keys));
	bad = arena_calloc(a, (size_t)rows * sizeof(*bad));
	kept = arena_calloc(a, (size_t)rows * sizeof(*kept));
	for (i = 0; i < rows; i++) {
		keys[i] = d[i].key;
		if (d[i].upload_id == NULL)
			continue;
		/* An upload in progress goes first, parts and all. */
		st = storage_multipart_abort(s, n, a, keys[i], d[i].upload_id,
		    now);
		if (st == STORAGE_UNAVAILABLE)
			return st;
		bad[i] = st != STORAGE_OK;
	}
	st = storage_delete_many(s, n, a, keys, (size_t)rows, kept, now);
	if (st != STORAGE_OK)
		return st;
	for (i = 0; i < rows; i++)
		json_object_array_add(bad[i] || kept[i] ? failed : done,
		    json_object_new_string(keys[i]));
	return STORAGE_OK;
}

int
jobs_blob_drain(struct db *db, struct storage *s, struct net *n,
    struct arena *a, long *removed, long *failed, char *err, size_t errlen)
{
	struct json_object	*done, *bad;
	enum storage_status	 ss;
	enum db_status		 st;
	struct db_deletion	*d;
	int			 round, rows, nbad;

	*removed = *failed = 0;
	for (round = 0; round < ROUNDS_MAX; round++) {
		st = db_tx_begin(db, NULL);
		if (st == DB_OK)
			st = db_blob_deletions_take(db, a, BATCH, &d, &rows);
		if (st != DB_OK) {
			db_tx_rollback(db);
			snprintf(err, errlen, "database: %s", db->errstr);
			return -1;
		}
		if (rows == 0) {
			db_tx_rollback(db);
			return 0;
		}
		done = json_object_new_array();
		bad = json_object_new_array();
		ss = remove_batch(s, n, a, d, rows, done, bad);
		nbad = (int)json_object_array_length(bad);
		if (ss == STORAGE_OK)
			st = db_blob_deletions_settle(db, a,
			    json_object_to_json_string(done),
			    json_object_to_json_string(bad), s->errstr);
		if (ss == STORAGE_OK && st == DB_OK)
			st = db_tx_commit(db);
		json_object_put(done);
		json_object_put(bad);
		if (ss != STORAGE_OK || st != DB_OK) {
			db_tx_rollback(db);
			snprintf(err, errlen, "%s: %s", ss != STORAGE_OK ?
			    "store" : "database", ss != STORAGE_OK ? s->errstr :
			    db->errstr);
			return -1;
		}
		*removed += rows - nbad;
		*failed += nbad;
		/* What failed is tried again later, not in a loop now. */
		if (nbad > 0 || rows < BATCH)
			return 0;
	}
	return 0;
}

enum job_result
jobs_blob_delete_run(struct jobs_ctx *ctx, struct json_object *payload,
    char *err, size_t errlen)
{
	long	 removed, failed;

	(void)payload;
	if (!storage_enabled(&ctx->store)) {
		snprintf(err, errlen, "no object store is configured");
		return JOB_FAIL;
	}
	if (jobs_blob_drain(&ctx->db, &ctx->store, &ctx->store_net,
	    &ctx->arena, &removed, &failed, err, errlen) != 0)
		return JOB_RETRY;
	if (removed > 0 || failed > 0)
		log_info("objects removed from the store: %ld (failed: %ld)",
		    removed, failed);
	return JOB_DONE;
}

/* The keys of one listing older than cutoff (ms), as a JSON array. */
static struct json_object *
old_keys(const struct storage_listed *items, size_t n, int64_t cutoff)
{
	struct json_object	*keys = json_object_new_array();
	int64_t			 ms;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (items[i].last_modified != NULL &&
		    model_time_parse(items[i].last_modified, &ms) == 0 &&
		    ms < cutoff)
			json_object_array_add(keys,
			    json_object_new_string(items[i].key));
	return keys;
}

int
jobs_blob_sweep_user(struct db *db, struct storage *s, struct net *n,
    struct arena *a, const char *user_id, long age,
    struct jobs_blob_sweep *out, char *err, size_t errlen)
{
	static const char *const	 kinds[] = { "audio", "images" };
	struct storage_listed		*items;
	struct json_object		*keys;
	enum storage_status		 ss;
	enum db_status			 st;
	const char			*token, *next, *prefix;
	int64_t				 cutoff = time_wall_ms() - age * 1000LL;
	size_t				 k, count;
	long				 c;

	/* Left pending past age: the rows go, their objects are queued. */
	st = db_blob_sweep_stale(db, a, user_id, age, &c);
	out->stale += c;
	/* Objects of the user's with no row, older than age. */
	for (k = 0; st == DB_OK && k < 2; k++) {
		prefix = arena_printf(a, "%s/%s/", user_id, kinds[k]);
		for (token = NULL;; token = next) {
			ss = storage_list(s, n, a, prefix, token, time(NULL),
			    &items, &count, &next);
			if (ss != STORAGE_OK) {
				snprintf(err, errlen, "store: %s", s->errstr);
				return -1;
			}
			keys = old_keys(items, count, cutoff);
			if (json_object_array_length(keys) > 0) {
				st = db_blob_queue_orphans(db, a, user_id,
				    json_object_to_json_string(keys), &c);
				out->orphans += c;
			}
			json_object_put(keys);
			if (st != DB_OK || next == NULL)
				break;
		}
	}
	if (st != DB_OK) {
		snprintf(err, errlen, "database: %s", db->errstr);
		return -1;
	}
	return 0;
}
