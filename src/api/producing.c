/*
 * producing.c - the producer's routes beyond an entity's five: the
 * tracks of a reference library, and the infobase's full-text search.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define SEARCH_MAX	200	/* characters of a ?q= */
#define SEARCH_WINDOW	10	/* seconds of search_rate */

void
api_tracks_list(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*lib = NULL;
	struct db_list		 l;
	struct db_page		 pg;
	enum db_status		 st;

	if (api_list_params_or_reply(req, &model_reference_tracks, NULL,
	    &l) != 0 || api_begin_or_reply(req) != 0)
		return;
	l.scope_column = "library_id";
	l.scope_value = http_param(req, 0);
	memset(&pg, 0, sizeof(pg));
	/* Another user's library is no library: 404 as for a missing one. */
	st = db_entity_get(&app->db, req->arena, &model_reference_libraries,
	    req->user_id, l.scope_value, &lib);
	http_json_own(req, lib);
	if (st == DB_NOTFOUND) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 404, "not_found", "no such reference "
		    "library");
		return;
	}
	if (st == DB_OK)
		st = db_entity_list(&app->db, req->arena,
		    &model_reference_tracks, req->user_id, &l, &pg);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_page(req, &pg);
}

void
api_track_create(struct http_request *req)
{
	static const struct api_create how = { "libraryId",
	    &model_reference_libraries, "/api/reference-tracks", NULL };

	api_entity_create_with(req, &how);
}

void
api_infobase_list(struct http_request *req)
{
	static const char *const extra[] = { "q", NULL };
	struct app	*app = api_app(req);
	struct db_list	 l;
	struct db_page	 pg;
	enum db_status	 st;

	if (api_list_params_or_reply(req, &model_infobase, extra, &l) != 0)
		return;
	l.search = http_query_get(req, "q");
	if (l.search != NULL && (*l.search == '\0' ||
	    strlen(l.search) > SEARCH_MAX * 4)) {
		http_reply_error(req, 400, "invalid_query", "q: 1 to %d "
		    "characters to search for", SEARCH_MAX);
		return;
	}
	if (api_begin_or_reply(req) != 0)
		return;
	/* The share bounds how many run at once; search_rate how many a
	 * user runs back to back, each a core's time. */
	if (l.search != NULL && app->cfg->search_rate > 0 &&
	    api_rate_or_reply(req, arena_printf(req->arena, "search:%s",
	    req->user_id), SEARCH_WINDOW, app->cfg->search_rate,
	    arena_printf(req->arena, "%ld searches in %d seconds is as many "
	    "as one user may make; try again shortly", app->cfg->search_rate,
	    SEARCH_WINDOW)) != 0)
		return;
	memset(&pg, 0, sizeof(pg));
	st = db_entity_list(&app->db, req->arena, &model_infobase,
	    req->user_id, &l, &pg);
	/* Only excluded words ("-word"): nothing to look up (sql/0012). */
	if (st == DB_ERROR && strcmp(app->db.hint, "search_excluded_only") == 0) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 400, "invalid_query", "q: name a word to "
		    "find, not only words to leave out");
		return;
	}
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_page(req, &pg);
}
