/*
 * check_backup.c - the restore drill: two users with quests, alice with
 * a track and its audio and a finished export; passionctl backup
 * --objects; passiond stopped, the database dropped and made again
 * empty, the bucket emptied; restore refuses a truncated dump, a changed
 * object, a backup without its manifest and a database that is not
 * empty, each changing nothing; then the real restore: every list route
 * of the API answers each user as before, the audio and the export
 * download byte for byte, maintain finds nothing to remove, and a new
 * sign-in works. Without --objects, restore names what the store lacks.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "api/api.h"
#include "harness.h"
#include "storage/storage.h"
#include "util/util.h"
#include "../common/run.h"

#define PASS	"a passphrase for the tests"
#define NLISTS	64

static char		 dir[64], endpoint[64], alice[128], bob[128];
static char		 lib[64], blob[64], export[64];
static pid_t		 s3;
static struct storage	 st;
static struct net	 net;

static void
setup(void)
{
	char	 conf[2048];

	snprintf(dir, sizeof(dir), "/tmp/check_backup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	snprintf(conf, sizeof(conf), "%sjob_workers = 1\nvault_workers = 1\n"
	    "storage_sweep_age = 1\n", harness_s3_conf(dir, endpoint));
	suite_start_pair("backup", conf, alice, bob, sizeof(alice));
	harness_s3_client(endpoint, &st);
	net_init(&net, 1, 5);
}

static void
teardown(void)
{
	net_cleanup(&net);
	suite_stop_s3(s3, dir);
}

/* The bytes behind a 302 of path (malloc'd), fetched without cookies. */
static char *
download(const char *cookie, const char *path)
{
	struct resp	 r, d;
	char		*bytes;

	ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 302);
	http_get(resp_header(&r, "Location"), &d);
	resp_free(&r);
	ck_assert_int_eq(d.status, 200);
	bytes = strdup(d.body);
	resp_free(&d);
	return bytes;
}

/* Every list route of the API as cookie sees it, into out[]. */
static size_t
lists(const char *cookie, char **out)
{
	const struct http_route	*rt;
	struct resp		 r;
	char			 path[256];
	size_t			 i, n = 0;

	for (i = 0; i < api_routes_count && n < NLISTS - 1; i++) {
		rt = &api_routes[i];
		/* Its own rows only: the sessions' lastSeen moves with use. */
		if (strcmp(rt->method, "GET") != 0 || strchr(rt->pattern, '{') ||
		    rt->auth != HTTP_AUTH_USER ||
		    strcmp(rt->pattern, "/api/auth/sessions") == 0)
			continue;
		ck_assert_int_eq(api_req("GET", rt->pattern, cookie, NULL, &r),
		    200);
		/* The feed's changes; its cursor is of the database it was
		 * given by (a restore is another: the_restore_drill). */
		out[n++] = strdup(strcmp(rt->pattern, "/api/sync") == 0 ?
		    json_object_to_json_string(json_object_object_get(r.json,
		    "changes")) : r.body);
		resp_free(&r);
	}
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks",
	    lib);
	api_req("GET", path, cookie, NULL, &r);
	out[n++] = strdup(r.body);
	resp_free(&r);
	return n;
}

/* The state the drill starts from. */
static void
make_data(void)
{
	struct resp	 r;
	char		 body[512], path[256];
	int		 i;

	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"title\":\"quest %d\","
		    "\"domainId\":\"music\",\"priority\":\"high\",\"xpValue\":"
		    "10}", i);
		ck_assert_int_eq(api_status("POST", "/api/quests", alice, body),
		    201);
		ck_assert_int_eq(api_status("POST", "/api/quests", bob, body),
		    201);
	}
	ck_assert_int_eq(api_req("POST", "/api/reference-libraries", alice,
	    "{\"name\":\"refs\"}", &r), 201);
	snprintf(lib, sizeof(lib), "%s", resp_str(&r, "id"));
	resp_free(&r);
	api_blob(alice, "take.wav", "audio/wav", "audio",
	    "RIFF take one, the bytes of a track", 1, blob);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks", lib);
	snprintf(body, sizeof(body), "{\"name\":\"take\",\"blobId\":\"%s\"}",
	    blob);
	ck_assert_int_eq(api_status("POST", path, alice, body), 201);
	ck_assert_int_eq(api_req("POST", "/api/vault/exports", alice,
	    "{\"passphrase\":\"" PASS "\"}", &r), 202);
	snprintf(export, sizeof(export), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/vault/exports/%s", export);
	for (i = 0; i < 600; i++) {
		ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
		if (strcmp(resp_str(&r, "state"), "running") != 0 &&
		    strcmp(resp_str(&r, "state"), "queued") != 0)
			break;
		resp_free(&r);
		harness_sleep_ms(100);
	}
	ck_assert_str_eq(resp_str(&r, "state"), "done");
	resp_free(&r);
}

/*
 * SIGTERM to passiond, and wait for it to end: it is the fixture's child,
 * not this test's, so it ends as a zombie, not reaped here.
 */
static void
stop_passiond(void)
{
	ck_assert_int_eq(kill(suite_st.passiond, SIGTERM), 0);
	ck_assert_msg(harness_gone(suite_st.passiond, 15000),
	    "passiond did not stop");
	suite_st.passiond = 0;
}

/* passiond stopped, the database dropped and made empty, the bucket too. */
static void
wipe(void)
{
	PGconn			*pg = harness_pg(harness_pghost(), "postgres",
	    "postgres");
	struct arena		 a;
	struct storage_listed	*items;
	const char		*keys[1000], *next = NULL;
	size_t			 n, i;
	int			 failed[1000];
	char			 sql[256];

	stop_passiond();
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", suite_db);
	harness_sql(pg, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER passion_owner",
	    suite_db);
	harness_sql(pg, sql);
	PQfinish(pg);
	arena_init(&a, 16 * 1024);
	ck_assert_int_eq(storage_list(&st, &net, &a, "", NULL, time(NULL),
	    &items, &n, &next), STORAGE_OK);
	ck_assert_ptr_null(next);
	for (i = 0; i < n; i++)
		keys[i] = items[i].key;
	if (n > 0)
		ck_assert_int_eq(storage_delete_many(&st, &net, &a, keys, n,
		    failed, time(NULL)), STORAGE_OK);
	ck_assert_int_eq(storage_list(&st, &net, &a, "", NULL, time(NULL),
	    &items, &n, &next), STORAGE_OK);
	ck_assert_uint_eq(n, 0);
	arena_cleanup(&a);
}

static long
tables(void)
{
	char	 sql[] = "SELECT count(*) FROM pg_tables WHERE schemaname = "
	    "'public'";

	return suite_count(sql);
}

/* restore --from from: its status; its output in out. */
static int
restore(const char *from, const char *out)
{
	char	 args[512];

	snprintf(args, sizeof(args), "restore --from %s", from);
	return harness_passionctl(&suite_st, args, out);
}

/* Backups broken three ways: each refused, the database left empty. */
static void
refusals(const char *good)
{
	static const char *const breaks[][2] = {
		{ "truncate -s -100 \"$B/database.dump\"",
		    "database.dump is missing, cut short or changed" },
		{ "f=$(find \"$B/objects\" -type f | head -n 1) && "
		    "printf x >> \"$f\"", "its bytes differ from the manifest's" },
		{ "rm \"$B/manifest.json\"",
		    "has no manifest.json: not a backup, or one that did not "
		    "finish" } };
	char	 bad[128], out[128], cmd[512];
	size_t	 i;

	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(out, sizeof(out), "%s/refused.out", dir);
	for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s && cp -a %s %s", bad,
		    good, bad);
		ck_assert_int_eq(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "B='%s'; %s", bad, breaks[i][0]);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(restore(bad, out), 1);
		ck_assert_msg(harness_file_has(out, breaks[i][1], 10), "%s",
		    breaks[i][1]);
		ck_assert_int_eq(tables(), 0);
	}
}

START_TEST(the_restore_drill)
{
	char	*before_a[NLISTS], *before_b[NLISTS], *after[NLISTS];
	char	*audio, *bundle, *got, out[128], back[128], path[256];
	char	 cursor[512];
	struct resp r;
	size_t	 na, nb, i;

	make_data();
	na = lists(alice, before_a);
	nb = lists(bob, before_b);
	ck_assert_uint_gt(na, 15);
	snprintf(path, sizeof(path), "/api/blobs/%s", blob);
	audio = download(alice, path);
	snprintf(path, sizeof(path), "/api/vault/exports/%s/download", export);
	bundle = download(alice, path);

	snprintf(back, sizeof(back), "%s/backup", dir);
	snprintf(out, sizeof(out), "%s/backup.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "backup --objects --to "
	    "/nonexistent/x/y", out), 1);
	snprintf(path, sizeof(path), "backup --objects --to %s", back);
	ck_assert_int_eq(harness_passionctl(&suite_st, path, out), 0);
	ck_assert(harness_file_has(out, "objects the rows name: 2, copied", 10));
	/* Not over a backup, and not into a database that has one. */
	ck_assert_int_eq(harness_passionctl(&suite_st, path, out), 1);
	ck_assert(harness_file_has(out, "is not empty", 10));
	ck_assert_int_eq(restore(back, out), 1);
	ck_assert(harness_file_has(out, "a restore goes into an empty "
	    "database", 10));

	ck_assert_int_eq(api_req("GET", "/api/sync", alice, NULL, &r), 200);
	snprintf(cursor, sizeof(cursor), "/api/sync?cursor=%s",
	    resp_str(&r, "cursor"));
	resp_free(&r);
	wipe();
	refusals(back);
	ck_assert_int_eq(restore(back, out), 0);
	ck_assert(harness_file_has(out, "put back from the backup, 0 missing; "
	    "0 no row names", 10));
	harness_passiond_start(&suite_st);
	for (i = 0; i < 100 && api_status("GET", "/api/health", NULL, NULL) !=
	    200; i++)
		harness_sleep_ms(50);

	/* The sessions came back: the same cookies see the same lists; a
	 * cursor of the feed given before is of another database. */
	ck_assert_int_eq(api_status("GET", cursor, alice, NULL), 409);
	ck_assert_uint_eq(lists(alice, after), na);
	for (i = 0; i < na; i++) {
		ck_assert_str_eq(after[i], before_a[i]);
		free(after[i]);
		free(before_a[i]);
	}
	ck_assert_uint_eq(lists(bob, after), nb);
	for (i = 0; i < nb; i++) {
		ck_assert_str_eq(after[i], before_b[i]);
		free(after[i]);
		free(before_b[i]);
	}
	snprintf(path, sizeof(path), "/api/blobs/%s", blob);
	got = download(alice, path);
	ck_assert_str_eq(got, audio);
	free(got);
	snprintf(path, sizeof(path), "/api/vault/exports/%s/download", export);
	got = download(alice, path);
	ck_assert(strcmp(got, bundle) == 0);
	free(got);
	free(audio);
	free(bundle);
	snprintf(out, sizeof(out), "%s/maintain.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", out), 0);
	ck_assert(harness_file_has(out, "objects with no blob, queued: 0", 10));
	ck_assert(harness_file_has(out, "objects removed from the store: 0 ",
	    10));
	/* A new session of alice's sees her quests. */
	suite_user("alice@example.org", alice, sizeof(alice));
	ck_assert_int_eq(api_req("GET", "/api/quests", alice, NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"quest 2\""));
	resp_free(&r);
}
END_TEST

/* Without --objects: restore brings the rows back and names each object
 * the store lacks (exit 1). */
START_TEST(without_objects_restore_names_what_is_missing)
{
	char	 back[128], out[128], args[256];
	char	 key[256];

	snprintf(back, sizeof(back), "%s/rows-only", dir);
	snprintf(out, sizeof(out), "%s/rows-only.out", dir);
	snprintf(args, sizeof(args), "backup --to %s", back);
	ck_assert_int_eq(harness_passionctl(&suite_st, args, out), 0);
	ck_assert(harness_file_has(out, "not copied (--objects, or rclone",
	    10));
	snprintf(key, sizeof(key), "%s", suite_sql("SELECT object_key FROM "
	    "blobs LIMIT 1"));
	wipe();
	ck_assert_int_eq(restore(back, out), 1);
	ck_assert(harness_file_has(out, "restored the database", 10));
	ck_assert(harness_file_has(out, key, 10));
	ck_assert_msg(harness_file_has(out, "put back from the backup, 2 "
	    "missing", 10), "%s", harness_read_file(out));
	ck_assert_int_gt(tables(), 10);
	harness_passiond_start(&suite_st);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("backup");
	TCase	*tc = tcase_create("backup");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, the_restore_drill);
	tcase_add_test(tc, without_objects_restore_names_what_is_missing);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
