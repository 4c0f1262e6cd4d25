/*
 * check_model.c - the entity descriptions at work: body validation (each
 * rule names its field), canonical JSON and contentHash against vectors
 * computed independently (Python's json.dumps with sorted keys, compact
 * separators, ensure_ascii off; hashlib), cursors and ISO 8601 times.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "../common/run.h"

static const struct {
	enum model_write	 w;
	const char		*body;
	int			 status;	/* 0: valid */
	const char		*field;
	const char		*message;	/* substring */
} validate_cases[] = {
	{ MODEL_CREATE, "{\"title\":\"Write\",\"domainId\":\"music\"}", 0,
	    NULL, NULL },
	{ MODEL_CREATE, "{\"id\":\"q-1:a.b_c\",\"title\":\"W\",\"domainId\":"
	    "\"d\",\"status\":\"in-progress\",\"priority\":\"critical\","
	    "\"dueDate\":\"2026-02-28T23:59:59.999+01:00\",\"tags\":[\"a\"],"
	    "\"xpValue\":0,\"parentId\":null,\"description\":null}", 0, NULL,
	    NULL },
	{ MODEL_CREATE, "{\"domainId\":\"music\"}", 422, "title",
	    "title: is required" },
	/* Ids a URL cannot carry as a segment. */
	{ MODEL_CREATE, "{\"id\":\"..\",\"title\":\"W\",\"domainId\":"
	    "\"d\"}", 422, "id", "not . or .." },
	{ MODEL_CREATE, "{\"id\":\".\",\"title\":\"W\",\"domainId\":"
	    "\"d\"}", 422, "id", "not . or .." },
	{ MODEL_CREATE, "{\"id\":\"...\",\"title\":\"W\",\"domainId\":"
	    "\"d\"}", 0, NULL, NULL },
	{ MODEL_CREATE, "{\"title\":null,\"domainId\":\"m\"}", 422, "title",
	    "cannot be null" },
	{ MODEL_CREATE, "{\"title\":\"\",\"domainId\":\"m\"}", 422, "title",
	    "1 to 500 characters (is 0)" },
	{ MODEL_CREATE, "{\"title\":5,\"domainId\":\"m\"}", 422, "title",
	    "must be a string" },
	{ MODEL_CREATE, "{\"title\":\"t\",\"domainId\":\"m\",\"titel\":\"x\"}",
	    422, "titel", "titel: no such field on a quest" },
	{ MODEL_CREATE, "{\"title\":\"t\",\"domainId\":\"m\","
	    "\"createdAt\":\"2026-01-01T00:00:00Z\"}", 422, "createdAt",
	    "set by the server" },
	{ MODEL_UPDATE, "{\"contentHash\":\"x\"}", 422, "contentHash",
	    "set by the server" },
	{ MODEL_UPDATE, "{\"completedAt\":null}", 422, "completedAt",
	    "set by the server" },
	{ MODEL_UPDATE, "{\"id\":\"other\"}", 422, "id", "cannot be changed" },
	{ MODEL_UPDATE, "{\"title\":\"only this\"}", 0, NULL, NULL },
	{ MODEL_CREATE, "{\"id\":\"has space\",\"title\":\"t\",\"domainId\":"
	    "\"m\"}", 422, "id", "1 to 128" },
	{ MODEL_UPDATE, "{\"status\":\"done\"}", 422, "status",
	    "must be one of pending, in-progress, completed, deferred, "
	    "cancelled" },
	{ MODEL_UPDATE, "{\"priority\":1}", 422, "priority", "one of" },
	{ MODEL_UPDATE, "{\"xpValue\":-1}", 422, "xpValue",
	    "from 0 to 1000000" },
	{ MODEL_UPDATE, "{\"xpValue\":1.5}", 422, "xpValue", "whole number" },
	{ MODEL_UPDATE, "{\"xpValue\":\"5\"}", 422, "xpValue", "whole number" },
	{ MODEL_UPDATE, "{\"dueDate\":\"2026-02-30T00:00:00Z\"}", 422,
	    "dueDate", "ISO 8601" },
	{ MODEL_UPDATE, "{\"dueDate\":\"2026-01-02 12:00:00\"}", 422,
	    "dueDate", "ISO 8601" },
	{ MODEL_UPDATE, "{\"dueDate\":null}", 0, NULL, NULL },
	{ MODEL_UPDATE, "{\"tags\":\"a\"}", 422, "tags", "array of strings" },
	{ MODEL_UPDATE, "{\"tags\":[\"a\",7]}", 422, "tags[1]",
	    "tags[1]: must be a string" },
	{ MODEL_UPDATE, "{\"tags\":[\"\"]}", 422, "tags[0]", "1 to 100" },
	{ MODEL_UPDATE, "{\"parentId\":\"q/2\"}", 422, "parentId", "1 to 128" },
	{ MODEL_UPDATE, "{\"title\":\"\\u00e9\\u00e9\"}", 0, NULL, NULL },
};

START_TEST(validate_table)
{
	struct json_object	*body = json_tokener_parse(
	    validate_cases[_i].body);
	struct model_error	 e;
	int			 rc;

	ck_assert_ptr_nonnull(body);
	rc = model_validate(&model_quests, body, validate_cases[_i].w, &e);
	if (validate_cases[_i].status == 0)
		ck_assert_msg(rc == 0, "%s: %s", validate_cases[_i].body,
		    e.message);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.status, validate_cases[_i].status);
		ck_assert_str_eq(e.field, validate_cases[_i].field);
		ck_assert_msg(strstr(e.message, validate_cases[_i].message) !=
		    NULL, "%s", e.message);
	}
	json_object_put(body);
}
END_TEST

/* Length is counted in characters, not bytes. */
START_TEST(title_limit_counts_characters)
{
	struct json_object	*body = json_object_new_object();
	struct model_error	 e;
	char			 t[1100];
	size_t			 i;

	for (i = 0; i < 500; i++)
		memcpy(t + 2 * i, "\xc3\xa9", 2);
	t[1000] = '\0';
	/* 500 characters in 1000 bytes: at the limit. */
	json_object_object_add(body, "title", json_object_new_string(t));
	ck_assert_int_eq(model_validate(&model_quests, body, MODEL_UPDATE,
	    &e), 0);
	/* One more character is one too many. */
	memcpy(t + 1000, "\xc3\xa9", 3);
	json_object_object_add(body, "title", json_object_new_string(t));
	ck_assert_int_eq(model_validate(&model_quests, body, MODEL_UPDATE,
	    &e), -1);
	ck_assert_ptr_nonnull(strstr(e.message, "(is 501)"));
	json_object_put(body);
}
END_TEST

START_TEST(canonical_json_sorts_keys_at_every_level)
{
	struct arena		 a;
	struct json_object	*v = json_tokener_parse("{\"b\":{\"z\":1,"
	    "\"a\":[true,null,{\"y\":\"q\",\"x\":-2.5}]},\"a\":\"/\"}");

	arena_init(&a, 1024);
	ck_assert_str_eq(model_canonical_json(&a, v),
	    "{\"a\":\"/\",\"b\":{\"a\":[true,null,{\"x\":-2.5,\"y\":\"q\"}],"
	    "\"z\":1}}");
	json_object_put(v);
	arena_cleanup(&a);
}
END_TEST

START_TEST(content_hash_vector)
{
	struct arena		 a;
	/* Server-owned and unknown members do not count; absent is null. */
	struct json_object	*q = json_tokener_parse("{\"id\":\"q1\","
	    "\"title\":\"Write the bridge\",\"domainId\":\"music\","
	    "\"status\":\"pending\",\"priority\":\"high\",\"dueDate\":"
	    "\"2026-01-02T12:00:00.000Z\",\"tags\":[\"a/b\",\"\xc3\xa9\","
	    "\"tab\\tx\"],\"xpValue\":50,\"createdAt\":"
	    "\"2026-01-01T00:00:00.000Z\",\"contentHash\":\"old\"}");
	const char		*h1, *h2;

	arena_init(&a, 4096);
	h1 = model_content_hash(&a, &model_quests, q);
	ck_assert_str_eq(h1, "ad294c78d1fab7b30a95281cda5ebcb5c9ff093a4000"
	    "70a7132f889f44636c7f");
	/* A content change changes it; a server field does not. */
	json_object_object_add(q, "updatedAt", json_object_new_string("x"));
	ck_assert_str_eq(model_content_hash(&a, &model_quests, q), h1);
	json_object_object_add(q, "xpValue", json_object_new_int(51));
	h2 = model_content_hash(&a, &model_quests, q);
	ck_assert_str_ne(h1, h2);
	json_object_put(q);
	arena_cleanup(&a);
}
END_TEST

START_TEST(cursor_round_trip_and_refusals)
{
	struct arena	 a;
	const char	*c, *key, *id;

	arena_init(&a, 1024);
	c = model_cursor_encode(&a, "2026-01-02T12:00:00.000Z", "q\"1");
	ck_assert_int_eq(model_cursor_decode(&a, c, &key, &id), 0);
	ck_assert_str_eq(key, "2026-01-02T12:00:00.000Z");
	ck_assert_str_eq(id, "q\"1");
	ck_assert_int_eq(model_cursor_decode(&a, "", &key, &id), -1);
	ck_assert_int_eq(model_cursor_decode(&a, "not base64!", &key, &id),
	    -1);
	/* base64url of ["a"] and of {"a":"b"}: JSON, but not a cursor. */
	ck_assert_int_eq(model_cursor_decode(&a, "WyJhIl0", &key, &id), -1);
	ck_assert_int_eq(model_cursor_decode(&a, "eyJhIjoiYiJ9", &key, &id),
	    -1);
	arena_cleanup(&a);
}
END_TEST

static const struct {
	const char	*s;
	int		 ok;
	long long	 ms;
} time_cases[] = {
	{ "2026-01-02T12:00:00.000Z", 1, 1767355200000LL },
	{ "2026-01-02T12:00:00Z", 1, 1767355200000LL },
	{ "2026-01-02T13:30:00.5+01:30", 1, 1767355200500LL },
	{ "2026-01-02T07:00:00.123456-05:00", 1, 1767355200123LL },
	{ "2024-02-29T00:00:00Z", 1, 1709164800000LL },
	{ "2025-02-29T00:00:00Z", 0, 0 },
	{ "2026-13-01T00:00:00Z", 0, 0 },
	{ "2026-01-02T24:00:00Z", 0, 0 },
	{ "2026-01-02T12:00:00", 0, 0 },
	{ "2026-01-02T12:00:00.Z", 0, 0 },
	{ "2026-01-02T12:00:00+0100", 0, 0 },
	{ "2026-01-02", 0, 0 },
	{ "2026-01-02T12:00:00Zjunk", 0, 0 },
	/* PostgreSQL's offsets stop at ±15:59; instants stay in 1-9999 UTC. */
	{ "2026-01-02T12:00:00+15:59", 1, 1767297660000LL },
	{ "2026-01-02T12:00:00+16:00", 0, 0 },
	{ "2026-01-02T12:00:00-23:59", 0, 0 },
	{ "9999-12-31T23:59:59.999Z", 1, 253402300799999LL },
	{ "9999-12-31T23:59:59-01:00", 0, 0 },
	{ "0001-01-01T00:00:00Z", 1, -62135596800000LL },
	{ "0001-01-01T00:00:00+01:00", 0, 0 },
};

START_TEST(time_table)
{
	int64_t	 ms = 0;
	int	 rc = model_time_parse(time_cases[_i].s, &ms);

	ck_assert_msg((rc == 0) == time_cases[_i].ok, "%s", time_cases[_i].s);
	if (time_cases[_i].ok)
		ck_assert_int_eq(ms, time_cases[_i].ms);
}
END_TEST

/* Occurrences of a rule between two wall-clock times: "a, b, …". */
static const struct {
	const char	*rule;
	const char	*from, *until;
	const char	*want;		/* NULL: the rule is refused */
} schedule_cases[] = {
	/* Daily across a month end, at midnight. */
	{ "{\"recurrence\":\"daily\"}", "2026-01-30 00:00",
	    "2026-02-02 12:00", "2026-01-30 00:00,2026-01-31 00:00,"
	    "2026-02-01 00:00,2026-02-02 00:00" },
	/* From a minute past midnight: that day's is past. */
	{ "{\"recurrence\":\"daily\"}", "2026-01-30 00:01",
	    "2026-01-31 00:00", "2026-01-31 00:00" },
	/* Weekly on Monday and Wednesday (1, 3); 2026-03-02 is a Monday. */
	{ "{\"recurrence\":\"weekly\",\"daysOfWeek\":[3,1]}",
	    "2026-03-01 00:00", "2026-03-10 00:00", "2026-03-02 00:00,"
	    "2026-03-04 00:00,2026-03-09 00:00" },
	/* Monthly on the 31st: the month's last day when it has no 31st. */
	{ "{\"recurrence\":\"monthly\",\"dayOfMonth\":31}",
	    "2026-01-01 00:00", "2026-05-01 00:00", "2026-01-31 00:00,"
	    "2026-02-28 00:00,2026-03-31 00:00,2026-04-30 00:00" },
	/* A leap year's February has its 29th. */
	{ "{\"recurrence\":\"monthly\",\"dayOfMonth\":30}",
	    "2028-02-01 00:00", "2028-03-31 00:00", "2028-02-29 00:00,"
	    "2028-03-30 00:00" },
	/* Cron: the leap day only, at noon; none in 2029-2031. */
	{ "{\"recurrence\":\"custom\",\"customCron\":\"0 12 29 2 *\"}",
	    "2027-01-01 00:00", "2032-12-31 00:00", "2028-02-29 12:00,"
	    "2032-02-29 12:00" },
	/* Steps, ranges and names; weekdays only (2026-03-06 is Friday). */
	{ "{\"recurrence\":\"custom\",\"customCron\":"
	    "\"*/30 9-10 * * mon-fri\"}", "2026-03-06 09:15",
	    "2026-03-09 09:30", "2026-03-06 09:30,2026-03-06 10:00,"
	    "2026-03-06 10:30,2026-03-09 09:00,2026-03-09 09:30" },
	/* Both day fields restricted: either matches (Vixie cron). The
	 * 13th, or a Friday, in March 2026. */
	{ "{\"recurrence\":\"custom\",\"customCron\":\"0 0 13 3 5\"}",
	    "2026-03-01 00:00", "2026-03-14 00:00", "2026-03-06 00:00,"
	    "2026-03-13 00:00" },
	/* 7 is Sunday too; "5/20" is 5, 25, 45. */
	{ "{\"recurrence\":\"custom\",\"customCron\":\"5/20 0 * * 7\"}",
	    "2026-03-01 00:00", "2026-03-01 23:59", "2026-03-01 00:05,"
	    "2026-03-01 00:25,2026-03-01 00:45" },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"0 0 30 feb *\"}",
	    "2026-01-01 00:00", "2030-01-01 00:00", NULL },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"60 * * * *\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	/* More than 96 a day: every minute, every 14 minutes, 0-6 of each
	 * hour past 8 o'clock; but every 15 minutes is taken. */
	{ "{\"recurrence\":\"custom\",\"customCron\":\"* * * * *\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"*/14 * * * *\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"0-6 8-23 * * *\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"*/15 * * * *\"}",
	    "2026-01-01 00:00", "2026-01-01 01:00", "2026-01-01 00:00,"
	    "2026-01-01 00:15,2026-01-01 00:30,2026-01-01 00:45,"
	    "2026-01-01 01:00" },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"@daily\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"custom\",\"customCron\":\"* * * * 1-\"}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"weekly\",\"daysOfWeek\":[]}",
	    "2026-01-01 00:00", "2026-01-02 00:00", NULL },
	{ "{\"recurrence\":\"monthly\"}", "2026-01-01 00:00",
	    "2026-01-02 00:00", NULL },
};

START_TEST(schedule_table)
{
	struct json_object	*rule = json_tokener_parse(
	    schedule_cases[_i].rule);
	struct model_civil	 from, until, out[64];
	char			 got[2048] = "", one[20];
	int			 n, k;

	ck_assert_ptr_nonnull(rule);
	json_object_object_add(rule, "questTemplate",
	    json_tokener_parse("{\"title\":\"t\"}"));
	ck_assert_int_eq(model_civil_parse(schedule_cases[_i].from, &from), 0);
	ck_assert_int_eq(model_civil_parse(schedule_cases[_i].until, &until),
	    0);
	n = model_schedule_occurrences(rule, &from, &until, out, 64);
	json_object_put(rule);
	if (schedule_cases[_i].want == NULL) {
		ck_assert_int_eq(n, -1);
		return;
	}
	for (k = 0; k < n; k++) {
		model_civil_format(&out[k], one);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    k ? "," : "", one);
	}
	ck_assert_str_eq(got, schedule_cases[_i].want);
}
END_TEST

/*
 * An entity as the database hands it back (model_as_stored), against
 * what PostgreSQL 15 gave for the same input (psql, recorded here):
 * jsonb's numbers, timestamptz's rounding, defaults, lower-case UUIDs.
 */
START_TEST(stored_rows_are_the_databases)
{
	struct json_object	*in, *st;
	struct arena		 a;

	arena_init(&a, 4096);
	/* SELECT '[1e2,-0.0,2.5E-3,1.50e1,-1.5,1.5e-10,123e-2,-0,0e5,
	 * 1.0e0,12e+0]'::jsonb::text */
	in = json_tokener_parse("{\"name\":\"n\",\"templateType\":\"melody\","
	    "\"laneSettings\":{},\"bpm\":120,\"bars\":4,\"timeSignature\":"
	    "[4,4],\"notes\":[{\"p\":[1e2,-0.0,2.5E-3,1.50e1,-1.5,1.5e-10,"
	    "123e-2,-0,0e5,1.0e0,12e+0]}],\"createdAt\":"
	    "\"2026-03-01T12:00:00.1234565+02:00\",\"updatedAt\":"
	    "\"2026-03-01T12:00:00.9999995Z\"}");
	ck_assert_ptr_nonnull(in);
	st = model_as_stored(&model_lane_templates, in);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(
	    st, "notes"), JSON_C_TO_STRING_PLAIN), "[{\"p\":[100,0.0,0.0025,"
	    "15.0,-1.5,0.00000000015,1.23,0,0,1.0,12]}]");
	/* '…12:00:00.1234565+02:00'::timestamptz is 10:00:00.123456+00;
	 * '…12:00:00.9999995Z' is 12:00:01+00 (half to even at the µs). */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(st,
	    "createdAt")), "2026-03-01T10:00:00.123Z");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(st,
	    "updatedAt")), "2026-03-01T12:00:01.000Z");
	json_object_put(st);
	json_object_put(in);
	/* Defaults, and a cover's UUID as uuid keeps it. */
	in = json_tokener_parse("{\"name\":\"EP\",\"coverBlobId\":"
	    "\"0B6C5E2A-1111-4222-8333-444455550001\"}");
	st = model_as_stored(&model_projects, in);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(st,
	    "status")), "active");
	ck_assert(!json_object_get_boolean(json_object_object_get(st,
	    "starred")));
	ck_assert_ptr_null(json_object_object_get(st, "notes"));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(st,
	    "coverBlobId")), "0b6c5e2a-1111-4222-8333-444455550001");
	json_object_put(st);
	json_object_put(in);
	arena_cleanup(&a);
}
END_TEST

/* A civil date or time: exactly YYYY-MM-DD[ HH:MM] (sscanf took more). */
START_TEST(civil_dates_are_exact)
{
	static const char *const bad[] = { "2026-1-1xx", "+026-01-01",
	    " 2026-01-5", "2026-01-05x", "2026-02-30", "2026-01-05 7:00",
	    "2026-01-05 07:00:00", "20260105", "" };
	struct model_civil	 c;
	size_t			 i;

	ck_assert_int_eq(model_civil_parse("2026-01-05", &c), 0);
	ck_assert_int_eq(c.d, 5);
	ck_assert_int_eq(model_civil_parse("2026-01-05 07:30", &c), 0);
	ck_assert_int_eq(c.mi, 30);
	ck_assert_int_eq(model_civil_parse("2026-01-05T07:30", &c), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(model_civil_parse(bad[i], &c) != 0, "%s", bad[i]);
}
END_TEST

START_TEST(zone_names)
{
	ck_assert(model_zone_name_ok("UTC"));
	ck_assert(model_zone_name_ok("Europe/Berlin"));
	ck_assert(model_zone_name_ok("America/Argentina/Buenos_Aires"));
	ck_assert(model_zone_name_ok("Etc/GMT+5"));
	ck_assert(!model_zone_name_ok(""));
	ck_assert(!model_zone_name_ok("../etc/passwd"));
	ck_assert(!model_zone_name_ok("/Europe/Berlin"));
	ck_assert(!model_zone_name_ok("Europe//Berlin"));
	ck_assert(!model_zone_name_ok("Europe/Berlin "));
	ck_assert(!model_zone_name_ok("Europe/Berlin/"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("model");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
	tcase_add_test(tc, title_limit_counts_characters);
	tcase_add_test(tc, canonical_json_sorts_keys_at_every_level);
	tcase_add_test(tc, content_hash_vector);
	tcase_add_test(tc, cursor_round_trip_and_refusals);
	tcase_add_loop_test(tc, time_table, 0, N(time_cases));
	tcase_add_loop_test(tc, schedule_table, 0, N(schedule_cases));
	tcase_add_test(tc, zone_names);
	tcase_add_test(tc, stored_rows_are_the_databases);
	tcase_add_test(tc, civil_dates_are_exact);
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
