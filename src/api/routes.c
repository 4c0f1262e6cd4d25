/*
 * routes.c - the route tables: one row per method and path, naming the
 * handler and, for the domain API, the entity it serves (the route's
 * data). HEAD is answered wherever GET is. The debug table is served
 * only with debug_routes = on. docs/openapi.yaml describes every row
 * (a test holds the two together).
 */
#include "config.h"

#include <stdint.h>

#include "api/api.h"
#include "model/model.h"

#define U	HTTP_AUTH_USER
#define SMALL	4096		/* bodies of actions: {} or a date */
#define NO_BODY	HTTP_ROUTE_NO_BODY	/* actions: no body, or {} */
/* One user's share of the workers at most (config user_workers); so are
 * searches and pages past 50 (api_list_params_or_reply). */
#define COSTLY	HTTP_ROUTE_COSTLY
/* A create that takes an Idempotency-Key (api_entity_create_with). */
#define KEYED	HTTP_ROUTE_KEYED

/* The five routes of an entity: list, create, get, update, delete. */
#define CRUD(path, m, update)	CRUD_LIST(path, m, api_entity_list, update)
#define CRUD_LIST(path, m, list, update) \
	{ "GET", path, (list), U, 0, &(m), 0 }, \
	{ "POST", path, api_entity_create, U, 0, &(m), KEYED }, \
	{ "GET", path "/{id}", api_entity_get, U, 0, &(m), 0 }, \
	{ "PATCH", path "/{id}", (update), U, 0, &(m), 0 }, \
	{ "DELETE", path "/{id}", api_entity_delete, U, 0, &(m), 0 }

const struct http_route api_routes[] = {
	/* Planner. Fixed paths before {id}: the first match wins. */
	{ "GET", "/api/quests/due", api_quests_due, U, 0, &model_quests, 0 },
	CRUD("/api/quests", model_quests, api_quest_update),
	{ "POST", "/api/quests/{id}/complete", api_quest_complete, U,
	    .body_limit = SMALL, .data = &model_quests, .flags = NO_BODY },
	CRUD("/api/schedule-rules", model_schedule_rules, api_entity_update),
	{ "GET", "/api/schedule-rules/{id}/next", api_schedule_next, U, 0,
	    &model_schedule_rules, 0 },
	CRUD("/api/plan-templates", model_plan_templates, api_entity_update),
	{ "POST", "/api/plan-templates/{id}/apply", api_plan_apply, U, SMALL,
	    &model_plan_templates, 0 },
	{ "GET", "/api/skill-tree", api_skill_tree_get, U, 0,
	    &model_skill_trees, 0 },
	{ "PUT", "/api/skill-tree", api_skill_tree_put, U, 0,
	    &model_skill_trees, 0 },
	/* Append-only: no PATCH, no DELETE (405). */
	{ "GET", "/api/rewards/summary", api_rewards_summary, U, 0,
	    &model_rewards, COSTLY },
	{ "GET", "/api/rewards", api_entity_list, U, 0, &model_rewards, 0 },
	{ "POST", "/api/rewards", api_reward_create, U, 0, &model_rewards,
	    KEYED },
	{ "GET", "/api/rewards/{id}", api_entity_get, U, 0, &model_rewards, 0 },
	{ "GET", "/api/events", api_entity_list, U, 0, &model_events, 0 },
	{ "POST", "/api/events", api_entity_create, U, 0, &model_events,
	    KEYED },
	{ "GET", "/api/events/{id}", api_entity_get, U, 0, &model_events, 0 },

	/* Focus: a session is started and ended, not edited. */
	{ "GET", "/api/focus/active", api_focus_active, U, 0,
	    &model_focus_sessions, 0 },
	{ "GET", "/api/focus/stats", api_focus_stats, U, 0,
	    &model_focus_sessions, COSTLY },
	{ "GET", "/api/focus", api_focus_list, U, 0, &model_focus_sessions, 0 },
	{ "POST", "/api/focus", api_focus_start, U, SMALL,
	    &model_focus_sessions, 0 },
	{ "GET", "/api/focus/{id}", api_focus_get, U, 0,
	    &model_focus_sessions, 0 },
	{ "DELETE", "/api/focus/{id}", api_entity_delete, U, 0,
	    &model_focus_sessions, 0 },
	{ "POST", "/api/focus/{id}/complete", api_focus_complete, U,
	    .body_limit = SMALL, .data = &model_focus_sessions,
	    .flags = NO_BODY },
	{ "POST", "/api/focus/{id}/abandon", api_focus_abandon, U,
	    .body_limit = SMALL, .data = &model_focus_sessions,
	    .flags = NO_BODY },

	/* Producing. */
	CRUD("/api/projects", model_projects, api_entity_update),
	CRUD("/api/reference-libraries", model_reference_libraries,
	    api_entity_update),
	{ "GET", "/api/reference-libraries/{id}/tracks", api_tracks_list, U,
	    0, &model_reference_tracks, 0 },
	{ "POST", "/api/reference-libraries/{id}/tracks", api_track_create, U,
	    0, &model_reference_tracks, KEYED },
	{ "GET", "/api/reference-tracks/{id}", api_entity_get, U, 0,
	    &model_reference_tracks, 0 },
	{ "PATCH", "/api/reference-tracks/{id}", api_entity_update, U, 0,
	    &model_reference_tracks, 0 },
	{ "DELETE", "/api/reference-tracks/{id}", api_entity_delete, U, 0,
	    &model_reference_tracks, 0 },
	CRUD_LIST("/api/infobase", model_infobase, api_infobase_list,
	    api_entity_update),
	CRUD("/api/lane-templates", model_lane_templates, api_entity_update),

	/* Blobs: the bytes go to and from the store, never through here. */
	{ "GET", "/api/blobs/usage", api_blobs_usage, U, 0, &model_blobs,
	    COSTLY },
	{ "GET", "/api/blobs", api_blobs_list, U, 0, &model_blobs, 0 },
	{ "POST", "/api/blobs", api_blobs_create, U, SMALL, &model_blobs, 0 },
	{ "HEAD", "/api/blobs/{uuid}", api_blob_head, U, 0, &model_blobs, 0 },
	{ "GET", "/api/blobs/{uuid}", api_blob_get, U, 0, &model_blobs, 0 },
	{ "DELETE", "/api/blobs/{uuid}", api_blob_delete, U, 0, &model_blobs, 0 },
	{ "POST", "/api/blobs/{uuid}/parts", api_blob_parts, U, SMALL,
	    &model_blobs, 0 },
	{ "POST", "/api/blobs/{uuid}/complete", api_blob_complete, U, 0,
	    &model_blobs, 0 },

	/* Vault imports: the bundle goes to the store, not through here. */
	{ "GET", "/api/vault/imports", api_vault_import_list, U, 0, NULL, 0 },
	{ "POST", "/api/vault/imports", api_vault_import_create, U, SMALL,
	    NULL, COSTLY },
	{ "GET", "/api/vault/imports/{uuid}", api_vault_import_get, U, 0,
	    NULL, 0 },
	{ "DELETE", "/api/vault/imports/{uuid}", api_vault_import_delete, U, 0,
	    NULL, 0 },
	{ "POST", "/api/vault/imports/{uuid}/start", api_vault_import_start, U,
	    SMALL, NULL, COSTLY },
	{ "GET", "/api/vault/exports", api_vault_export_list, U, 0, NULL, 0 },
	{ "POST", "/api/vault/exports", api_vault_export_create, U, SMALL,
	    NULL, COSTLY },
	{ "GET", "/api/vault/exports/{uuid}", api_vault_export_get, U, 0,
	    NULL, 0 },
	{ "DELETE", "/api/vault/exports/{uuid}", api_vault_export_delete, U, 0,
	    NULL, 0 },
	{ "GET", "/api/vault/exports/{uuid}/download", api_vault_export_download,
	    U, 0, NULL, 0 },

	/* Settings and the account. */
	{ "GET", "/api/sync", api_sync_get, U, 0, NULL, 0 },
	{ "GET", "/api/settings", api_settings_get, U, 0, &model_settings, 0 },
	{ "PATCH", "/api/settings", api_settings_patch, U, 0,
	    &model_settings, 0 },
	{ "GET", "/api/me", api_me_get, U, 0, NULL, COSTLY },
	{ "DELETE", "/api/me", api_me_delete, U, 0, NULL, COSTLY },

	/* Health and sign-in. */
	{ "GET", "/api/health", api_health_get, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/auth/providers", api_auth_providers, HTTP_AUTH_NONE, 0,
	    NULL, 0 },
	{ "GET", "/api/auth/signin/{provider}", api_auth_signin,
	    HTTP_AUTH_NONE, 0, NULL, 0 },
	/* Before {provider}: the first match wins. */
	{ "GET", "/api/auth/callback/email", api_auth_email_callback,
	    HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/auth/callback/{provider}", api_auth_callback,
	    HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "POST", "/api/auth/email", api_auth_email, HTTP_AUTH_NONE, SMALL,
	    NULL, 0 },
	{ "GET", "/api/auth/session", api_auth_session_get, U, 0, NULL, 0 },
	{ "POST", "/api/auth/signout", api_auth_signout, HTTP_AUTH_NONE,
	    SMALL, NULL, NO_BODY },
	{ "GET", "/api/auth/sessions", api_auth_sessions_list, U, 0, NULL, 0 },
	{ "DELETE", "/api/auth/sessions", api_auth_sessions_delete_others, U,
	    0, NULL, 0 },
	{ "DELETE", "/api/auth/sessions/{id}", api_auth_sessions_delete, U, 0,
	    NULL, 0 },
};
const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

const struct http_route api_debug_routes[] = {
	{ "POST", "/api/_debug/echo", api_debug_echo, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/_debug/sleep", api_debug_sleep, HTTP_AUTH_NONE, 0, NULL, 0 },
	/* The same, signed in, as a costly request (the user's share). */
	{ "GET", "/api/_debug/costly-sleep", api_debug_sleep, U, 0, NULL,
	    COSTLY },
	{ "GET", "/api/_debug/db-sleep", api_debug_db_sleep, HTTP_AUTH_NONE, 0,
	    NULL, 0 },
	{ "POST", "/api/_debug/crash", api_debug_crash, HTTP_AUTH_NONE, 0,
	    NULL, 0 },
};
const size_t api_debug_routes_count =
    sizeof(api_debug_routes) / sizeof(api_debug_routes[0]);
_Static_assert(sizeof(api_routes) / sizeof(api_routes[0]) +
    sizeof(api_debug_routes) / sizeof(api_debug_routes[0]) < STATS_ROUTES,
    "stats: more routes than STATS_ROUTES");

size_t
api_route_slots(void)
{
	return api_routes_count + api_debug_routes_count + 1;
}

size_t
api_route_index(const struct http_route *r)
{
	uintptr_t	 p = (uintptr_t)r;

	if (p >= (uintptr_t)api_routes &&
	    p < (uintptr_t)(api_routes + api_routes_count))
		return (size_t)(r - api_routes);
	if (p >= (uintptr_t)api_debug_routes &&
	    p < (uintptr_t)(api_debug_routes + api_debug_routes_count))
		return api_routes_count + (size_t)(r - api_debug_routes);
	return api_routes_count + api_debug_routes_count;
}

const struct http_route *
api_route_at(size_t i)
{
	if (i < api_routes_count)
		return &api_routes[i];
	if (i - api_routes_count < api_debug_routes_count)
		return &api_debug_routes[i - api_routes_count];
	return NULL;
}
