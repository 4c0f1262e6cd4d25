/*
 * planner.c - the planner routes that are more than an entity's five:
 * the due list, a schedule rule's next occurrences, applying a plan
 * template, the skill tree (one per user) and the reward ledger's
 * append with its summary.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define DUE_MAX		100
#define NEXT_MAX	50
/* How far ahead next looks: a leap day's rule comes within 8 years. */
#define NEXT_DAYS	(8 * 366)

void
api_quests_due(struct http_request *req)
{
	static const char *const params[] = { "limit", NULL };
	struct app		*app = api_app(req);
	struct json_object	*data = NULL;
	long long		 limit;
	enum db_status		 st;

	if (api_only_params_or_reply(req, params) != 0 ||
	    api_count_or_reply(req, "limit", DUE_MAX, DUE_MAX, &limit) != 0 ||
	    api_begin_or_reply(req) != 0)
		return;
	st = db_quests_due(&app->db, req->arena, req->user_id, (long)limit,
	    &data);
	http_json_own(req, data);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_data(req, json_object_get(data));
}

void
api_schedule_next(struct http_request *req)
{
	static const char *const params[] = { "count", NULL };
	struct app		*app = api_app(req);
	struct json_object	*rule = NULL, *data;
	struct model_civil	 now, until, *occ;
	const char		**at = NULL;
	long long		 count;
	enum db_status		 st;
	int			 i, n = 0, nat = 0;

	if (api_only_params_or_reply(req, params) != 0 ||
	    api_count_or_reply(req, "count", NEXT_MAX, 10, &count) != 0 ||
	    api_begin_or_reply(req) != 0)
		return;
	st = db_entity_get(&app->db, req->arena, &model_schedule_rules,
	    req->user_id, http_param(req, 0), &rule);
	http_json_own(req, rule);
	if (st == DB_OK)
		st = db_local_now(&app->db, req->arena, req->user_id, &now);
	if (st == DB_OK) {
		/* From this minute (what is past is dropped below); two more
		 * than asked: this minute's may be past, and a DST change
		 * may fold two wall-clock times into one instant. */
		until = now;
		model_civil_add_days(&until, NEXT_DAYS);
		occ = arena_calloc(req->arena, sizeof(*occ) * (NEXT_MAX + 2));
		n = model_schedule_occurrences(rule, &now, &until, occ,
		    (int)count + 2);
		if (n < 0)
			n = 0;	/* stored before rules were checked: none */
		st = db_local_instants(&app->db, req->arena, req->user_id,
		    occ, n, 1, &at, &nat);
	}
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	data = json_object_new_array();
	for (i = 0; i < nat && i < count; i++)
		json_object_array_add(data, json_object_new_string(at[i]));
	api_reply_data(req, data);
}

void
api_plan_apply(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *date, *plan = NULL, *quests = NULL, *o;
	struct model_civil	 day;
	enum db_status		 st;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	json_object_object_foreach(body, k, v) {
		(void)v;
		if (strcmp(k, "date") != 0) {
			http_reply_invalid(req, 422, k, arena_printf(
			    req->arena, "%s: no such field (only \"date\")",
			    k));
			return;
		}
	}
	if (!json_object_object_get_ex(body, "date", &date) ||
	    !json_object_is_type(date, json_type_string) ||
	    strlen(json_object_get_string(date)) != 10 ||
	    model_civil_parse(json_object_get_string(date), &day) != 0) {
		http_reply_invalid(req, 422, "date", "date: the day to plan, "
		    "YYYY-MM-DD (in your time zone)");
		return;
	}
	if (api_begin_or_reply(req) != 0)
		return;
	st = db_entity_get(&app->db, req->arena, &model_plan_templates,
	    req->user_id, http_param(req, 0), &plan);
	http_json_own(req, plan);
	if (st == DB_OK)
		st = db_plan_apply(&app->db, req->arena, req->user_id, plan,
		    &day, &quests);
	http_json_own(req, quests);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "data", json_object_get(quests));
	http_reply_json(req, 201, o);
}

void
api_skill_tree_get(struct http_request *req)
{
	api_read_reply(req, db_skill_tree_get);
}

void
api_skill_tree_put(struct http_request *req)
{
	/* A replacement: what a create needs (nodes), nothing server-set. */
	api_write_reply(req, &model_skill_trees, MODEL_CREATE, NULL,
	    db_skill_tree_put);
}

/* An xp reward feeds the skill tree's totalXp, in its transaction. */
static enum db_status
reward_xp(struct http_request *req, struct json_object *body,
    struct json_object **e)
{
	struct json_object	*t = json_object_object_get(*e, "type");

	(void)body;
	if (strcmp(json_object_get_string(t), "xp") != 0)
		return DB_OK;
	return db_skill_xp_add(&api_app(req)->db, req->arena, req->user_id,
	    json_object_get_int64(json_object_object_get(*e, "amount")));
}

void
api_reward_create(struct http_request *req)
{
	static const struct api_create how = { NULL, NULL, NULL, reward_xp };

	api_entity_create_with(req, &how);
}

void
api_rewards_summary(struct http_request *req)
{
	static const char *const params[] = { NULL };

	if (api_only_params_or_reply(req, params) == 0)
		api_read_reply(req, db_rewards_summary);
}
