/*
 * check_vault.c - vault bundles imported and exported against the real
 * stack (PostgreSQL, nginx, passiond's jobs worker, the S3 server), with
 * bundles from an independent writer (tests/peers/vault.mjs: WebCrypto,
 * fflate): every row and every object checked; each refusal leaves no
 * row and no object; duplicates and remapped ids; passionctl import.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf/conf.h"
#include "db/db.h"
#include "model/model.h"
#include "net/net.h"
#include "storage/storage.h"
#include "harness.h"
#include "../common/run.h"

#define PASS		"a passphrase for the tests"
#define SWEEP_AGE	5	/* storage_sweep_age: seconds */

static char		 dir[64], endpoint[64], alice[128], bob[128];
static pid_t		 s3;
static struct storage	 st;
static struct net	 net;

static void
setup(void)
{
	char	 conf[2048], pf[128];
	FILE	*f;

	snprintf(dir, sizeof(dir), "/tmp/check_vault.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	snprintf(conf, sizeof(conf), "%sjob_workers = 1\nvault_workers = 2\n"
	    "job_retry_base = 1\noutbound_connect_timeout = 1\n"
	    "outbound_timeout = 5\nstorage_audio_max = 20M\n"
	    "storage_image_max = 1M\nvault_tmpdir = %s\n"
	    "storage_sweep_age = %d\nvault_entities_max = 100000\n"
	    "storage_quota = 64M\n",
	    harness_s3_conf(dir, endpoint), dir,
	    SWEEP_AGE);
	suite_start_pair("vault", conf, alice, bob, sizeof(alice));
	harness_s3_client(endpoint, &st);
	net_init(&net, 1, 5);
	snprintf(pf, sizeof(pf), "%s/pass", dir);
	ck_assert_ptr_nonnull(f = fopen(pf, "w"));
	fprintf(f, "%s\n", PASS);
	fclose(f);
}

static void
teardown(void)
{
	net_cleanup(&net);
	suite_stop_s3(s3, dir);
}

/* node vault.mjs args (the writer); its exit status. */
static int
writer(const char *args)
{
	char	 cmd[2048];
	int	 rc;

	snprintf(cmd, sizeof(cmd), "node %s/vault.mjs %s", harness_peers(),
	    args);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Objects under prefix in the store. */
static long
objects(const char *prefix)
{
	struct arena		 a;
	struct storage_listed	*items;
	const char		*next = NULL;
	size_t			 n = 0;
	long			 total = 0;

	arena_init(&a, 64 * 1024);
	do {
		ck_assert_int_eq(storage_list(&st, &net, &a, prefix, next,
		    time(NULL), &items, &n, &next), STORAGE_OK);
		total += (long)n;
	} while (next != NULL);
	arena_cleanup(&a);
	return total;
}

/* A zip bundle of the writer's with opts, as dir/name, into b. */
static void
zip_bundle(char *b, size_t len, const char *name, const char *opts)
{
	char	 args[1024];

	snprintf(b, len, "%s/%s", dir, name);
	snprintf(args, sizeof(args), "write %s --pass '%s' --layout zip %s",
	    b, PASS, opts);
	ck_assert_int_eq(writer(args), 0);
}

/* Rows of table for user (an email). */
static long
rows(const char *table, const char *email)
{
	char	 q[512];

	snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE user_id = "
	    "(SELECT id FROM users WHERE email = '%s')", table, email);
	return suite_count(q);
}

/* Every row of the user's data, counted. */
static long
all_rows(const char *email)
{
	static const char *const t[] = { "quests", "schedule_rules",
	    "plan_templates", "skill_trees", "reward_ledger", "log_events",
	    "focus_sessions", "projects", "reference_libraries",
	    "reference_tracks", "infobase_entries", "lane_templates",
	    "user_settings", "blobs" };
	long	 n = 0;
	int	 i;

	for (i = 0; i < N(t); i++)
		n += rows(t[i], email);
	return n;
}

static const char *
uid(const char *email)
{
	static char	 id[64];
	char		 q[256];

	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'",
	    email);
	snprintf(id, sizeof(id), "%s", suite_sql(q));
	return id;
}

/* passionctl import of file for email: its status, output in out. */
static int
ctl_import(const char *file, const char *email, char *out, size_t len)
{
	char	 args[1024];

	snprintf(out, len, "%s/import-%ld.out", dir, (long)time(NULL));
	snprintf(args, sizeof(args), "import %s --user %s --passphrase-file "
	    "%s/pass", file, email, dir);
	return harness_passionctl(&suite_st, args, out);
}


/* A file's size. */
static long long
file_size(const char *path)
{
	FILE		*f = fopen(path, "rb");
	long long	 n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

/* curl -T file url: the store's status. */
static long
upload(const char *url, const char *file)
{
	char	 cmd[8192], out[128];
	FILE	*p;
	long	 status = 0;

	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{http_code}' "
	    "-T '%s' '%s'", file, url);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	if (fgets(out, sizeof(out), p) != NULL)
		status = atol(out);
	pclose(p);
	return status;
}

/* Create an import of file for cookie, upload it, start it: its id. */
static void
api_import_begin(const char *cookie, const char *file, const char *pass,
    char id[64])
{
	struct resp	 r;
	char		 body[512], path[256];
	const char	*name = strrchr(file, '/') + 1;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"sizeBytes\":%lld}",
	    name, file_size(file));
	ck_assert_int_eq(api_req("POST", "/api/vault/imports", cookie, body,
	    &r), 201);
	snprintf(id, 64, "%s", resp_str(&r, "id"));
	ck_assert_str_eq(resp_str(&r, "import.state"), "uploading");
	ck_assert_int_eq(upload(resp_str(&r, "upload.url"), file), 200);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/vault/imports/%s/start", id);
	snprintf(body, sizeof(body), "{\"passphrase\":\"%s\"}", pass);
	ck_assert_int_eq(api_req("POST", path, cookie, body, &r), 202);
	ck_assert_str_eq(resp_str(&r, "state"), "queued");
	resp_free(&r);
}

/* Poll import id until it ends (at most secs): its JSON (caller puts). */
static struct json_object *
api_import_wait(const char *cookie, const char *id, int secs)
{
	struct resp		 r;
	struct json_object	*o;
	char			 path[1024];
	int			 i;

	snprintf(path, sizeof(path), "/api/vault/imports/%s", id);
	for (i = 0; i < secs * 10; i++) {
		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
		if (strcmp(resp_str(&r, "state"), "done") == 0 ||
		    strcmp(resp_str(&r, "state"), "failed") == 0) {
			o = json_object_get(r.json);
			resp_free(&r);
			return o;
		}
		resp_free(&r);
		harness_sleep_ms(100);
	}
	snprintf(path, sizeof(path), "grep -v 'comp=worker' %s | tail -30 >&2; "
	    "echo 'SELECT id, kind, state, attempts, last_error, locked_pid "
	    "FROM jobs; SELECT pid, state, wait_event_type, wait_event, "
	    "left(query, 120) FROM pg_stat_activity WHERE datname = "
	    "current_database()' | psql -h %s -d %s -U postgres >&2",
	    suite_st.log, harness_pghost(), suite_db);
	if (system(path) != 0)
		fprintf(stderr, "no log\n");
	ck_abort_msg("import %s did not end in %d s", id, secs);
	return NULL;
}

/* Import file for cookie through the API: how it ended (caller puts). */
static struct json_object *
api_import(const char *cookie, const char *file, const char *pass)
{
	char	 id[64];

	api_import_begin(cookie, file, pass, id);
	return api_import_wait(cookie, id, 60);
}

/* A string member of o by dotted path. */
static const char *
jstr(struct json_object *o, const char *path)
{
	char		 buf[256], *p, *dot;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; p != NULL && v != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		if (!json_object_object_get_ex(v, p, &v))
			return NULL;
	}
	return v ? json_object_get_string(v) : NULL;
}

/* The same, which must have ended done (caller puts). */
static struct json_object *
api_import_done(const char *cookie, const char *file)
{
	struct json_object	*o = api_import(cookie, file, PASS);

	ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
	    json_object_to_json_string(o));
	return o;
}

/* The metadata the writer puts in a bundle made with args. */
static struct json_object *
metadata(const char *args)
{
	char		 cmd[1024];
	struct json_object *o;
	FILE		*p;
	char		*buf = malloc(8 << 20);
	size_t		 n;

	snprintf(cmd, sizeof(cmd), "node %s/vault.mjs meta %s",
	    harness_peers(), args);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(buf, 1, (8 << 20) - 1, p);
	pclose(p);
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	free(buf);
	ck_assert_ptr_nonnull(o);
	return o;
}

/* Are two values the same (times as instants)? */
static int
same(struct json_object *a, struct json_object *b)
{
	int64_t	 x, y;

	if (json_object_is_type(a, json_type_string) &&
	    json_object_is_type(b, json_type_string) &&
	    model_time_parse(json_object_get_string(a), &x) == 0 &&
	    model_time_parse(json_object_get_string(b), &y) == 0)
		return x == y;
	return json_object_equal(a, b);
}

/*
 * Each of the bundle's entities of kind is as the API shows it: every
 * field the bundle gives (but contentHash, recomputed, and blobId, a new
 * blob) has the same value; the API's contentHash is the server's.
 */
static void
check_kind(const char *cookie, struct json_object *meta, const char *kind,
    const char *api)
{
	struct json_object	*list = json_object_object_get(meta, kind);
	struct resp		 r;
	char			 path[512];
	size_t			 i, n;

	n = json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 1;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_is_type(list,
		    json_type_array) ? json_object_array_get_idx(list, i) : list;
		const char *hash;

		if (api[strlen(api) - 1] == '/')
			snprintf(path, sizeof(path), "%s%s", api,
			    json_object_get_string(json_object_object_get(e,
			    "id")));
		else
			snprintf(path, sizeof(path), "%s", api);
		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
		json_object_object_foreach(e, k, v) {
			struct json_object *got;

			if (strcmp(k, "contentHash") == 0 ||
			    strcmp(k, "blobId") == 0)
				continue;
			ck_assert_msg(json_object_object_get_ex(r.json, k,
			    &got), "%s[%zu].%s: not in %s", kind, i, k, path);
			ck_assert_msg(same(v, got), "%s[%zu].%s: %s != %s", kind,
			    i, k, json_object_to_json_string(v),
			    json_object_to_json_string(got));
		}
		hash = resp_str(&r, "contentHash");
		if (hash != NULL)
			ck_assert_int_eq(strspn(hash, "0123456789abcdef"), 64);
		resp_free(&r);
	}
}

/* One row's stored hash against the one its stored fields give. */
static void
hash_check(void *ud, const struct db_row *row)
{
	struct json_object	*e = db_row_json(row);
	long			*bad = ud;
	const char		*h = json_object_get_string(json_object_object_get(
	    e, "contentHash"));
	struct arena		 a;

	arena_init(&a, 4096);
	if (h == NULL || strcmp(h, model_content_hash(&a, row->m, e)) != 0) {
		fprintf(stderr, "%s %s: stored %s, the row gives %s\n",
		    row->m->table, json_object_get_string(json_object_object_get(
		    e, "id")), h, model_content_hash(&a, row->m, e));
		(*bad)++;
	}
	arena_cleanup(&a);
	json_object_put(e);
}

/*
 * The import computes each row's contentHash before writing it: every
 * one of email's rows has the hash the server computes from the row as
 * stored (what the API, and migrate's rehash, would write).
 */
static void
hashes_are_the_servers(const char *email)
{
	static const struct db_limits lim = { 5, 10000, 5000, "check_vault" };
	struct db	 d;
	struct arena	 a;
	char		 ci[512], user[64];
	long		 bad = 0, n = 0;
	size_t		 i;

	snprintf(user, sizeof(user), "%s", uid(email));
	snprintf(ci, sizeof(ci), "host=%s dbname=%s user=passion_app",
	    harness_pghost(), suite_db);
	db_init(&d, ci, "", &lim);
	arena_init(&a, 64 * 1024);
	for (i = 0; model_entities[i] != NULL; i++) {
		if (model_field(model_entities[i], "contentHash") == NULL)
			continue;
		ck_assert_int_eq(db_tx_begin(&d, user), DB_OK);
		ck_assert_int_eq(db_vault_each(&d, &a, model_entities[i], user,
		    hash_check, &bad), DB_OK);
		db_tx_rollback(&d);
		arena_reset(&a);
		n++;
	}
	ck_assert_msg(bad == 0, "%ld rows of %s whose hash is not the server's",
	    bad, email);
	ck_assert_int_gt(n, 5);
	arena_cleanup(&a);
	db_cleanup(&d);
}

START_TEST(api_imports_every_row_and_object)
{
	struct json_object	*o, *meta;
	char			 b[256], c[128], prefix[128];
	struct resp		 r;

	suite_user("erin@example.org", c, sizeof(c));
	zip_bundle(b, sizeof(b), "api.vault.zip", "--prefix api");
	o = api_import_done(c, b);
	ck_assert_str_eq(jstr(o, "result.kinds.quests.imported"), "6");
	ck_assert_str_eq(jstr(o, "result.kinds.referenceTracks.imported"),
	    "2");
	ck_assert_str_eq(jstr(o, "entitiesDone"), "29");
	json_object_put(o);
	/* The import's rows are in the change feed, as any write's. */
	meta = api_feed(c);
	ck_assert_int_eq(api_feed_count(meta, "quests"), 6);
	ck_assert_int_eq(api_feed_count(meta, "referenceTracks"), 2);
	ck_assert_int_ge(api_feed_count(meta, "blobs"), 2);
	json_object_put(meta);
	meta = metadata("--prefix api");
	check_kind(c, meta, "quests", "/api/quests/");
	check_kind(c, meta, "scheduleRules", "/api/schedule-rules/");
	check_kind(c, meta, "planTemplates", "/api/plan-templates/");
	check_kind(c, meta, "skillTree", "/api/skill-tree");
	check_kind(c, meta, "rewardLedger", "/api/rewards/");
	check_kind(c, meta, "logEvents", "/api/events/");
	check_kind(c, meta, "focusSessions", "/api/focus/");
	check_kind(c, meta, "projects", "/api/projects/");
	check_kind(c, meta, "referenceLibraries",
	    "/api/reference-libraries/");
	check_kind(c, meta, "infobase", "/api/infobase/");
	check_kind(c, meta, "laneTemplates", "/api/lane-templates/");
	check_kind(c, meta, "settings", "/api/settings");
	json_object_put(meta);
	hashes_are_the_servers("erin@example.org");
	/* The tracks and their audio: each downloads as the bundle's bytes. */
	ck_assert_int_eq(api_req("GET", "/api/reference-libraries/api-lib-0/"
	    "tracks", c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 2);
	resp_free(&r);
	snprintf(prefix, sizeof(prefix), "%s/audio/", uid("erin@example.org"));
	ck_assert_int_eq(objects(prefix), 2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blobs b JOIN "
	    "reference_tracks t ON t.blob_id = b.id WHERE b.state = 'ready' "
	    "AND t.user_id = " OF("erin@example.org")), 2);
	/* The bundle left the store when the job ended. */
	snprintf(prefix, sizeof(prefix), "%s/imports/", uid("erin@example.org"));
	ck_assert_int_eq(objects(prefix), 0);
}
END_TEST


/* Export for cookie, wait, download to file: the export's JSON. */
static struct json_object *
export_to(const char *cookie, const char *file)
{
	struct resp		 r;
	struct json_object	*o = NULL;
	char			 body[256], id[64], path[256], cmd[8192];
	int			 i;

	snprintf(body, sizeof(body), "{\"passphrase\":\"%s\"}", PASS);
	ck_assert_int_eq(api_req("POST", "/api/vault/exports", cookie, body,
	    &r), 202);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/vault/exports/%s", id);
	for (i = 0; i < 600; i++) {
		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
		if (strcmp(resp_str(&r, "state"), "done") == 0 ||
		    strcmp(resp_str(&r, "state"), "failed") == 0) {
			o = json_object_get(r.json);
			resp_free(&r);
			break;
		}
		resp_free(&r);
		harness_sleep_ms(100);
	}
	ck_assert_ptr_nonnull(o);
	ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
	    json_object_to_json_string(o));
	snprintf(path, sizeof(path), "/api/vault/exports/%s/download", id);
	ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 302);
	ck_assert_ptr_nonnull(resp_header(&r, "Location"));
	snprintf(cmd, sizeof(cmd), "curl -sf -o '%s' '%s'", file,
	    resp_header(&r, "Location"));
	resp_free(&r);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(file_size(file), atoll(jstr(o, "sizeBytes")));
	return o;
}

/* The node reader's view of a bundle (decrypted), or NULL. */
static struct json_object *
reader(const char *file)
{
	char		 cmd[1024];
	struct json_object *o;
	FILE		*p;
	char		*buf = malloc(32 << 20);
	size_t		 n;

	snprintf(cmd, sizeof(cmd), "node %s/vault.mjs read '%s' --pass '%s'",
	    harness_peers(), file, PASS);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(buf, 1, (32 << 20) - 1, p);
	pclose(p);
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	free(buf);
	return o;
}

/* A list's page (its "data"), for later (caller puts). */
static struct json_object *
page(const char *cookie, const char *list)
{
	struct resp		 r;
	struct json_object	*d;

	ck_assert_int_eq(api_req("GET", list, cookie, NULL, &r), 200);
	d = json_object_get(json_object_object_get(r.json, "data"));
	resp_free(&r);
	return d;
}

/* Every entity of da (a page of list) is as b has it under the same id. */
static void
same_entities(struct json_object *da, const char *b, const char *list)
{
	struct resp	 rb;
	struct json_object *db;
	size_t		 i, j;

	ck_assert_int_eq(api_req("GET", list, b, NULL, &rb), 200);
	db = json_object_object_get(rb.json, "data");
	ck_assert_int_eq(json_object_array_length(da),
	    json_object_array_length(db));
	for (i = 0; i < json_object_array_length(da); i++) {
		struct json_object *x = json_object_array_get_idx(da, i), *y;
		const char *id = json_object_get_string(
		    json_object_object_get(x, "id"));

		for (j = 0; j < json_object_array_length(db); j++) {
			y = json_object_array_get_idx(db, j);
			if (strcmp(id, json_object_get_string(
			    json_object_object_get(y, "id"))) == 0)
				break;
		}
		ck_assert_msg(j < json_object_array_length(db), "%s %s: "
		    "missing", list, id);
		json_object_object_foreach(x, k, v) {
			if (strcmp(k, "blobId") == 0 || strcmp(k, "blobKey") ==
			    0 || strcmp(k, "coverBlobId") == 0)
				continue;
			ck_assert_msg(same(v, json_object_object_get(y, k)),
			    "%s %s.%s: %s != %s", list, id, k,
			    json_object_to_json_string(v),
			    json_object_to_json_string(json_object_object_get(y,
			    k)));
		}
	}
	resp_free(&rb);
}

/*
 * Export, download, read with the node reader, import into another
 * account (ids remapped: erin has them); then the account deleted and
 * the export imported into a new one: the same ids, fields and hashes,
 * and the same audio bytes.
 */
START_TEST(export_round_trips)
{
	static const char *const lists[] = { "/api/quests?limit=100",
	    "/api/schedule-rules", "/api/plan-templates", "/api/rewards",
	    "/api/events?limit=100", "/api/focus", "/api/projects",
	    "/api/reference-libraries", "/api/infobase",
	    "/api/lane-templates" };
	struct json_object	*o, *rd, *saved[10];
	char			 z[256], b[256], args[512], c[128], d[128];
	char			 e2[128], prefix[128];
	int			 i;

	suite_user("ivy@example.org", c, sizeof(c));
	snprintf(b, sizeof(b), "%s/rt.vault", dir);
	snprintf(args, sizeof(args), "write %s --pass '%s' --prefix rt", b,
	    PASS);
	ck_assert_int_eq(writer(args), 0);
	o = api_import(c, b, PASS);
	ck_assert_str_eq(jstr(o, "state"), "done");
	json_object_put(o);
	snprintf(z, sizeof(z), "%s/ivy-export.zip", dir);
	o = export_to(c, z);
	ck_assert_str_eq(jstr(o, "result.kinds.quests.exported"), "6");
	json_object_put(o);
	/* The independent reader opens it: metadata and every blob. */
	rd = reader(z);
	ck_assert_ptr_nonnull(rd);
	ck_assert_str_eq(jstr(rd, "layout"), "zip");
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    json_object_object_get(rd, "metadata"), "quests")), 6);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    json_object_object_get(rd, "metadata"), "referenceTracks")), 2);
	json_object_object_foreach(json_object_object_get(rd, "blobs"), sha,
	    info) {
		ck_assert_msg(json_object_get_boolean(json_object_object_get(
		    info, "ok")), "blob %s", sha);
	}
	ck_assert_int_eq(json_object_object_length(json_object_object_get(rd,
	    "blobs")), 2);
	json_object_put(rd);
	/* Into another account: every id remapped, the rest the same. */
	suite_user("jack@example.org", d, sizeof(d));
	o = api_import_done(d, z);
	ck_assert_str_eq(jstr(o, "result.kinds.quests.remapped"), "6");
	json_object_put(o);
	ck_assert_int_eq(rows("quests", "jack@example.org"), 6);
	ck_assert_int_eq(rows("reference_tracks", "jack@example.org"), 2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests a JOIN "
	    "quests b ON a.title = b.title AND a.content_hash = b.content_hash "
	    "WHERE a.user_id = " OF("ivy@example.org") " AND b.user_id = "
	    OF("jack@example.org") " AND a.parent_id IS NULL"), 5);
	/* The account goes; a new one takes the export: the same ids,
	 * fields and hashes as the first had. */
	for (i = 0; i < N(lists); i++)
		saved[i] = page(c, lists[i]);
	ck_assert_int_eq(api_status("DELETE", "/api/me", c, NULL), 204);
	suite_user("ivy2@example.org", e2, sizeof(e2));
	o = api_import_done(e2, z);
	ck_assert_ptr_null(jstr(o, "result.kinds.quests.remapped"));
	json_object_put(o);
	for (i = 0; i < N(lists); i++) {
		same_entities(saved[i], e2, lists[i]);
		json_object_put(saved[i]);
	}
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("ivy2@example.org") " AND id LIKE 'rt-q-%'"), 6);
	/* The same audio bytes: each blob's hash is the bundle's. */
	snprintf(prefix, sizeof(prefix), "%s/audio/", uid("ivy2@example.org"));
	ck_assert_int_eq(objects(prefix), 2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blobs b WHERE "
	    "b.user_id = " OF("ivy2@example.org") " AND b.sha256 IN (SELECT "
	    "sha256 FROM blobs WHERE user_id = " OF("jack@example.org") ")"),
	    2);
}
END_TEST


/* What a list (or a singleton) answers: its entities (caller puts). */
static struct json_object *
snapshot(const char *cookie, const char *path)
{
	struct resp		 r;
	struct json_object	*d, *a;

	ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
	if (json_object_object_get_ex(r.json, "data", &d))
		a = json_object_get(d);
	else {
		a = json_object_new_array();
		json_object_array_add(a, json_object_get(r.json));
	}
	resp_free(&r);
	return a;
}

/* The first reference library of cookie's: its id. */
static const char *
first_library(const char *cookie)
{
	static char		 id[64];
	struct json_object	*l = snapshot(cookie, "/api/reference-libraries");

	ck_assert_int_ge(json_object_array_length(l), 1);
	snprintf(id, sizeof(id), "%s", jstr(json_object_array_get_idx(l, 0),
	    "id"));
	json_object_put(l);
	return id;
}

/* Is k a field that names an entity or object (remapped with ids)? */
static int
names_an_id(const char *k)
{
	static const char *const ids[] = { "id", "parentId", "libraryId",
	    "blobId", "coverBlobId", "sourceEventId", "ruleId", "templateId" };
	size_t	 i;

	for (i = 0; i < N(ids); i++)
		if (strcmp(k, ids[i]) == 0)
			return 1;
	return 0;
}

/*
 * e as a text without what may differ between accounts: blobKey (it
 * names the account's object) and, remapped, the ids and the
 * contentHash of one whose references were remapped (they are hashed;
 * a blob is hashed as its sha256 when it has one, else its id).
 */
static char *
comparable(struct json_object *e, int remapped)
{
	struct json_object	*c = json_object_new_object(), *sha;
	char			*out;
	int			 refs = 0;

	json_object_object_foreach(e, k0, v0) {
		if (strcmp(k0, "id") == 0 || !names_an_id(k0) || v0 == NULL)
			continue;
		if (!json_object_object_get_ex(e, strcmp(k0, "blobId") == 0 ?
		    "blobSha256" : strcmp(k0, "coverBlobId") == 0 ?
		    "coverSha256" : "", &sha) || sha == NULL)
			refs = 1;
	}
	json_object_object_foreach(e, k, v) {
		if (strcmp(k, "blobKey") == 0 || (remapped && (names_an_id(k) ||
		    (refs && strcmp(k, "contentHash") == 0))))
			continue;
		json_object_object_add(c, k, json_object_get(v));
	}
	out = strdup(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	return out;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The entities of was are those of now, field by field (comparable()):
 * kept ids, in the same order; remapped, as sets.
 */
static void
same_snapshot(struct json_object *was, struct json_object *now,
    const char *what, int remapped)
{
	size_t	 i, n = json_object_array_length(was);
	char	**x, **y;

	ck_assert_msg(n == json_object_array_length(now), "%s: %zu entities, "
	    "then %zu", what, n, json_object_array_length(now));
	x = calloc(n + 1, sizeof(*x));
	y = calloc(n + 1, sizeof(*y));
	for (i = 0; i < n; i++) {
		x[i] = comparable(json_object_array_get_idx(was, i), remapped);
		y[i] = comparable(json_object_array_get_idx(now, i), remapped);
	}
	if (remapped) {
		qsort(x, n, sizeof(*x), str_cmp);
		qsort(y, n, sizeof(*y), str_cmp);
	}
	for (i = 0; i < n; i++) {
		ck_assert_msg(strcmp(x[i], y[i]) == 0, "%s[%zu]: %s, then %s",
		    what, i, x[i], y[i]);
		free(x[i]);
		free(y[i]);
	}
	free(x);
	free(y);
}

/* The bytes of blob id of cookie's, from the store (a static buffer). */
static const char *
blob_bytes(const char *cookie, const char *id)
{
	static char	 out[4096];
	struct resp	 r;
	char		 path[256], url[4096];

	snprintf(path, sizeof(path), "/api/blobs/%s?redirect=false", id);
	ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
	snprintf(url, sizeof(url), "%s", resp_str(&r, "url"));
	resp_free(&r);
	http_get(url, &r);
	ck_assert_int_eq(r.status, 200);
	snprintf(out, sizeof(out), "%s", r.body != NULL ? r.body : "");
	resp_free(&r);
	return out;
}

#define RT_LISTS	14

/* Every list of every kind of cookie's, blobs and tracks included. */
static void
snapshot_all(const char *cookie, struct json_object *out[RT_LISTS])
{
	static const char *const lists[RT_LISTS - 1] = {
	    "/api/quests?limit=100", "/api/schedule-rules",
	    "/api/plan-templates", "/api/skill-tree", "/api/rewards",
	    "/api/events?limit=100", "/api/focus", "/api/projects",
	    "/api/reference-libraries", "/api/infobase", "/api/lane-templates",
	    "/api/settings", "/api/blobs" };
	char	 path[256];
	int	 i;

	for (i = 0; i < RT_LISTS - 1; i++)
		out[i] = snapshot(cookie, lists[i]);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks",
	    first_library(cookie));
	out[i] = snapshot(cookie, path);
}

/*
 * The round trip a user makes: their data (every kind, a song on a
 * track, a pad on nothing, a cover on a project) exported, imported into
 * another account (ids remapped) and, the account deleted, into a new
 * one (ids kept): every list the same field by field, every blob's
 * bytes, name and createdAt, the contentHashes; imported twice, all
 * duplicates and no new object.
 */
START_TEST(round_trip_is_lossless)
{
	struct json_object	*o, *was[RT_LISTS], *now[RT_LISTS];
	char			 b[256], z[256], k[128], l[128], m[128];
	char			 song[64], pad[64], cover[64], path[512];
	char			 body[512], prefix[128];
	struct resp		 r;
	long			 total, objs, n;
	int			 i;

	suite_user("kim@example.org", k, sizeof(k));
	zip_bundle(b, sizeof(b), "lx.vault.zip", "--prefix lx");
	o = api_import(k, b, PASS);
	ck_assert_str_eq(jstr(o, "state"), "done");
	json_object_put(o);
	/* The cover with its sha256, the two others without. */
	api_blob(k, "Lead vocal take 3.wav", "audio/wav", "audio",
	    "RIFF the song's bytes", 0, song);
	api_blob(k, "Pad.wav", "audio/wav", "audio", "RIFF a pad, unused", 0,
	    pad);
	api_blob(k, "cover.png", "image/png", "image", "PNG the cover", 1,
	    cover);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks",
	    first_library(k));
	snprintf(body, sizeof(body), "{\"name\":\"Song\",\"blobId\":\"%s\"}",
	    song);
	ck_assert_int_eq(api_status("POST", path, k, body), 201);
	snprintf(body, sizeof(body), "{\"name\":\"EP\",\"coverBlobId\":\"%s\"}",
	    cover);
	ck_assert_int_eq(api_status("POST", "/api/projects", k, body), 201);
	snapshot_all(k, was);

	/* The export: every blob, and its progress counts the entities. */
	snprintf(z, sizeof(z), "%s/kim.vault.zip", dir);
	o = export_to(k, z);
	ck_assert_str_eq(jstr(o, "result.kinds.blobs.exported"), "5");
	total = 0;
	json_object_object_foreach(json_object_object_get(json_object_object_get(
	    o, "result"), "kinds"), kind, c) {
		if (strcmp(kind, "blobs") != 0)
			total += json_object_get_int64(json_object_object_get(c,
			    "exported"));
	}
	ck_assert_int_gt(total, 29);
	ck_assert_int_eq(atol(jstr(o, "entitiesDone")), total);
	json_object_put(o);

	/* Into another account: the ids are taken, so remapped. */
	suite_user("lee@example.org", l, sizeof(l));
	o = api_import_done(l, z);
	ck_assert_str_eq(jstr(o, "result.kinds.blobs.remapped"), "5");
	json_object_put(o);
	snapshot_all(l, now);
	for (i = 0; i < RT_LISTS; i++) {
		same_snapshot(was[i], now[i], "lee", 1);
		json_object_put(now[i]);
	}

	/* The account goes; a new one takes the export: everything kept. */
	ck_assert_int_eq(api_status("DELETE", "/api/me", k, NULL), 204);
	suite_user("mia@example.org", m, sizeof(m));
	o = api_import_done(m, z);
	ck_assert_ptr_null(jstr(o, "result.kinds.blobs.remapped"));
	ck_assert_str_eq(jstr(o, "result.kinds.blobs.imported"), "5");
	json_object_put(o);
	snapshot_all(m, now);
	for (i = 0; i < RT_LISTS; i++) {
		same_snapshot(was[i], now[i], "mia", 0);
		json_object_put(now[i]);
		json_object_put(was[i]);
	}
	hashes_are_the_servers("lee@example.org");
	hashes_are_the_servers("mia@example.org");
	ck_assert_str_eq(blob_bytes(m, song), "RIFF the song's bytes");
	ck_assert_str_eq(blob_bytes(m, pad), "RIFF a pad, unused");
	ck_assert_str_eq(blob_bytes(m, cover), "PNG the cover");
	snprintf(path, sizeof(path), "/api/blobs/%s", song);
	ck_assert_int_eq(api_req("HEAD", path, m, NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Content-Disposition"),
	    "Lead vocal take 3.wav"));
	resp_free(&r);

	/* The same bundle again: all duplicates, nothing new. */
	snprintf(prefix, sizeof(prefix), "%s/", uid("mia@example.org"));
	objs = objects(prefix);
	n = all_rows("mia@example.org");
	o = api_import(m, z, PASS);
	ck_assert_str_eq(jstr(o, "state"), "done");
	ck_assert_str_eq(jstr(o, "result.kinds.blobs.duplicates"), "5");
	ck_assert_ptr_null(jstr(o, "result.kinds.blobs.imported"));
	ck_assert_ptr_null(jstr(o, "result.kinds.quests.imported"));
	json_object_put(o);
	ck_assert_int_eq(all_rows("mia@example.org"), n);
	ck_assert_int_eq(objects(prefix), objs);
}
END_TEST

/*
 * Migration 0008 recomputes the hashes it changes, in C, as the API
 * computes them: the database put back as 0007 left it (the columns
 * gone, the hashes stale), then migrated again.
 */
START_TEST(migration_rehashes_tracks_and_projects)
{
	struct resp	 r;
	char		 c[128], song[64], cover[64], path[512], body[512];
	char		 track[64], project[64], th[80], ph[80], q[512];

	suite_user("nia@example.org", c, sizeof(c));
	api_blob(c, "n.wav", "audio/wav", "audio", "RIFF nia", 1, song);
	api_blob(c, "n.png", "image/png", "image", "PNG nia", 1, cover);
	ck_assert_int_eq(api_req("POST", "/api/reference-libraries", c,
	    "{\"name\":\"N\"}", &r), 201);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks",
	    resp_str(&r, "id"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"name\":\"T\",\"blobId\":\"%s\"}", song);
	ck_assert_int_eq(api_req("POST", path, c, body, &r), 201);
	snprintf(track, sizeof(track), "%s", resp_str(&r, "id"));
	snprintf(th, sizeof(th), "%s", resp_str(&r, "contentHash"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"name\":\"P\",\"coverBlobId\":\"%s\"}",
	    cover);
	ck_assert_int_eq(api_req("POST", "/api/projects", c, body, &r), 201);
	snprintf(project, sizeof(project), "%s", resp_str(&r, "id"));
	snprintf(ph, sizeof(ph), "%s", resp_str(&r, "contentHash"));
	resp_free(&r);

	suite_sql("DELETE FROM schema_migrations WHERE version = '0008'");
	suite_sql("ALTER TABLE reference_tracks DROP COLUMN blob_sha256");
	suite_sql("ALTER TABLE projects DROP COLUMN cover_sha256");
	suite_sql("DROP POLICY blobs_id_probe ON blobs");
	suite_sql("UPDATE reference_tracks SET content_hash = 'stale'");
	suite_sql("UPDATE projects SET content_hash = 'stale'");
	snprintf(path, sizeof(path), "%s/migrate-0008.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "migrate", path), 0);
	ck_assert(harness_file_has(path, "applied 0008_vault_fidelity", 0));
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reference_tracks "
	    "WHERE content_hash = 'stale' OR content_hash = ''"), 0);
	snprintf(q, sizeof(q), "SELECT content_hash FROM reference_tracks "
	    "WHERE id = '%s'", track);
	ck_assert_str_eq(suite_sql(q), th);
	snprintf(q, sizeof(q), "SELECT content_hash FROM projects WHERE id = "
	    "'%s'", project);
	ck_assert_str_eq(suite_sql(q), ph);
	snprintf(q, sizeof(q), "SELECT cover_sha256 IS NOT NULL FROM projects "
	    "WHERE id = '%s'", project);
	ck_assert_str_eq(suite_sql(q), "t");
	/* And passiond answers with them as before. */
	snprintf(path, sizeof(path), "/api/reference-tracks/%s", track);
	ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "contentHash"), th);
	resp_free(&r);
}
END_TEST

/*
 * A typo is not a second upload: a wrong passphrase fails the import
 * (bad_passphrase) and keeps its bundle; started again with the right
 * one it imports, and the bundle goes. passionctl jobs tells the two
 * verdicts apart. Wrong passphrases are limited per user (429), and an
 * import left failed ages out with its bundle.
 */
START_TEST(a_typo_is_not_a_reupload)
{
	struct json_object	*o;
	struct resp		 r;
	char			 b[256], args[512], c[128], id[64], path[256];
	char			 prefix[128], out[256], q[512];
	int			 i;

	suite_user("oda@example.org", c, sizeof(c));
	snprintf(prefix, sizeof(prefix), "%s/imports/", uid("oda@example.org"));
	zip_bundle(b, sizeof(b), "typo.vault.zip", "--prefix typo");
	api_import_begin(c, b, "a passphrase for the test", id);
	o = api_import_wait(c, id, 60);
	ck_assert_str_eq(jstr(o, "state"), "failed");
	ck_assert_str_eq(jstr(o, "errorCode"), "bad_passphrase");
	json_object_put(o);
	ck_assert_int_eq(objects(prefix), 1);
	snprintf(out, sizeof(out), "%s/jobs-typo.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "jobs", out), 0);
	ck_assert(harness_file_has(out, "import failed (bad_passphrase)", 0));

	/* Again, with the right one: no upload. */
	snprintf(path, sizeof(path), "/api/vault/imports/%s/start", id);
	snprintf(args, sizeof(args), "{\"passphrase\":\"%s\"}", PASS);
	ck_assert_int_eq(api_req("POST", path, c, args, &r), 202);
	ck_assert_str_eq(resp_str(&r, "state"), "queued");
	ck_assert_ptr_null(resp_str(&r, "errorCode"));
	resp_free(&r);
	o = api_import_wait(c, id, 60);
	ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
	    json_object_to_json_string(o));
	ck_assert_str_eq(jstr(o, "result.kinds.quests.imported"), "6");
	json_object_put(o);
	ck_assert_int_eq(rows("quests", "oda@example.org"), 6);
	for (i = 0; i < 50 && objects(prefix) > 0; i++)
		harness_sleep_ms(100);
	ck_assert_int_eq(objects(prefix), 0);
	ck_assert_int_eq(harness_passionctl(&suite_st, "jobs", out), 0);
	ck_assert(harness_file_has(out, "import done", 0));
	/* Done is done. */
	ck_assert_int_eq(api_req("POST", path, c, args, &r), 409);
	resp_free(&r);

	/* A failure no retry mends: 409, and a new import is the way. */
	snprintf(q, sizeof(q), "UPDATE vault_imports SET state = 'failed', "
	    "error_code = 'corrupt_bundle' WHERE id = '%s'", id);
	suite_sql(q);
	ck_assert_int_eq(api_req("POST", path, c, args, &r), 409);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "corrupt_bundle"));
	resp_free(&r);

	/* Ten wrong passphrases within the hour: the eleventh waits. */
	api_import_begin(c, b, "wrong again, as before", id);
	o = api_import_wait(c, id, 60);
	ck_assert_str_eq(jstr(o, "errorCode"), "bad_passphrase");
	json_object_put(o);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM "
	    "vault_passphrase_misses WHERE user_id = " OF("oda@example.org")),
	    2);
	suite_sql("INSERT INTO vault_passphrase_misses (user_id, at) SELECT "
	    "id, now() - interval '10 minutes' FROM users, generate_series(1, "
	    "8) WHERE email = 'oda@example.org'");
	snprintf(path, sizeof(path), "/api/vault/imports/%s/start", id);
	ck_assert_int_eq(api_req("POST", path, c, args, &r), 429);
	ck_assert_str_eq(resp_str(&r, "error.code"), "too_many_attempts");
	ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
	ck_assert_int_gt(atol(resp_header(&r, "Retry-After")), 2900);
	ck_assert_int_le(atol(resp_header(&r, "Retry-After")), 3000);
	resp_free(&r);
	ck_assert_int_eq(objects(prefix), 1);

	/* Left failed past vault_import_age: maintain takes it, and its
	 * bundle. */
	snprintf(q, sizeof(q), "UPDATE vault_imports SET created_at = now() - "
	    "interval '4 days' WHERE id = '%s'", id);
	suite_sql(q);
	snprintf(out, sizeof(out), "%s/maintain-imports.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", out), 0);
	ck_assert(harness_file_has(out, "vault imports waiting past "
	    "vault_import_age, removed: 1", 0));
	ck_assert_int_eq(objects(prefix), 0);
	snprintf(path, sizeof(path), "/api/vault/imports/%s", id);
	ck_assert_int_eq(api_status("GET", path, c, NULL), 404);
}
END_TEST

/* An export's passphrase: 12 characters at least, and not a common one. */
START_TEST(weak_export_passphrases_are_refused)
{
	static const char *const weak[] = { "a", "eleven char",
	    /* 10 code points in 20 bytes (one string: the parentheses) */
	    ("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9"), "Password1234", "correct horse battery staple",
	    "1q2w3e4r5t6y" };
	struct resp	 r;
	char		 c[128], body[256];
	int		 i;

	suite_user("pia@example.org", c, sizeof(c));
	for (i = 0; i < N(weak); i++) {
		snprintf(body, sizeof(body), "{\"passphrase\":\"%s\"}", weak[i]);
		ck_assert_int_eq(api_req("POST", "/api/vault/exports", c, body,
		    &r), 422);
		ck_assert_str_eq(resp_str(&r, "error.code"), "invalid");
		ck_assert_str_eq(resp_str(&r, "error.field"), "passphrase");
		resp_free(&r);
	}
	ck_assert_int_eq(rows("vault_exports", "pia@example.org"), 0);
	/* Twelve code points, some of them two bytes: enough. */
	ck_assert_int_eq(api_status("POST", "/api/vault/exports", c,
	    "{\"passphrase\":\"\xc3\xa9t\xc3\xa9 \xc3\xa0 la mer!\"}"), 202);
}
END_TEST

/*
 * An export never fails for good because of one blob: a ready blob
 * whose stored sha256 does not name its bytes (stored before uploads
 * were checked) is exported as it is, with a warning.
 */
START_TEST(a_wrong_hash_is_an_exports_warning)
{
	struct json_object	*o, *w;
	char			 c[128], id[64], f[256], q[256];

	suite_user("wren@example.org", c, sizeof(c));
	api_blob(c, "w.wav", "audio/wav", "audio", "RIFF....WAVE bytes", 1, id);
	snprintf(q, sizeof(q), "UPDATE blobs SET sha256 = repeat('ab', 32) "
	    "WHERE id = '%s'", id);
	suite_sql(q);
	snprintf(f, sizeof(f), "%s/wren.vault.zip", dir);
	o = export_to(c, f);
	w = json_object_object_get(json_object_object_get(o, "result"),
	    "warnings");
	ck_assert_msg(w != NULL && strstr(json_object_to_json_string(w),
	    "its bytes are not those its sha256 names") != NULL, "%s",
	    json_object_to_json_string(o));
	json_object_put(o);
}
END_TEST

/*
 * An import's blobs count against the storage quota (64 MiB here), and
 * are checked before the first is put: a user whose store filled up to
 * 63 MiB while the bundle waited cannot import 2 MB of blobs
 * (too_large, nothing put, no row); with room, the same bundle is
 * imported (its own bundle is not counted: it goes when done).
 */
START_TEST(imported_blobs_count_against_the_quota)
{
	struct json_object	*o;
	struct resp		 r;
	char			 b[256], c[128], prefix[128];
	char			 body[512], path[256], id[64];

	suite_user("quin@example.org", c, sizeof(c));
	zip_bundle(b, sizeof(b), "quota.vault.zip",
	    "--prefix quota --blobs 2 --blob-bytes 1000000");
	snprintf(body, sizeof(body), "{\"name\":\"quota.zip\",\"sizeBytes\":"
	    "%lld}", file_size(b));
	ck_assert_int_eq(api_req("POST", "/api/vault/imports", c, body, &r),
	    201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	ck_assert_int_eq(upload(resp_str(&r, "upload.url"), b), 200);
	resp_free(&r);
	suite_sql("INSERT INTO blobs (user_id, kind, object_key, mime_type, "
	    "size_bytes, name, state) SELECT id, 'audio', id || '/audio/full.wav',"
	    " 'audio/wav', 66060288, 'full.wav', 'ready' FROM users WHERE "
	    "email = 'quin@example.org'");
	snprintf(path, sizeof(path), "/api/vault/imports/%s/start", id);
	snprintf(body, sizeof(body), "{\"passphrase\":\"%s\"}", PASS);
	ck_assert_int_eq(api_status("POST", path, c, body), 202);
	o = api_import_wait(c, id, 60);
	ck_assert_msg(strcmp(jstr(o, "state"), "failed") == 0 &&
	    strcmp(jstr(o, "errorCode"), "too_large") == 0, "%s",
	    json_object_to_json_string(o));
	ck_assert(strstr(jstr(o, "error"), "storage quota") != NULL);
	json_object_put(o);
	snprintf(prefix, sizeof(prefix), "%s/audio/", uid("quin@example.org"));
	ck_assert_int_eq(objects(prefix), 0);
	ck_assert_int_eq(rows("reference_tracks", "quin@example.org"), 0);
	suite_sql("DELETE FROM blobs WHERE name = 'full.wav'");
	o = api_import(c, b, PASS);
	ck_assert_str_eq(jstr(o, "state"), "done");
	json_object_put(o);
	ck_assert_int_eq(objects(prefix), 2);
}
END_TEST

/* The bytes of cookie's blob id, downloaded, into file: their size. */
static long long
download(const char *cookie, const char *id, const char *file)
{
	struct resp	 r;
	char		 path[128], cmd[4096];

	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 302);
	snprintf(cmd, sizeof(cmd), "curl -sf -o '%s' '%s'", file,
	    resp_header(&r, "Location"));
	resp_free(&r);
	ck_assert_int_eq(system(cmd), 0);
	return file_size(file);
}

/*
 * An old app's bundle whose four tracks name one file (sql/0018): it is
 * put once, and each track has a blob row of its own that holds it. It
 * counts once in the usage and the quota, is fetched once by an export,
 * stays while any row holds it (a track deleted, a freed row deleted
 * through the API), and leaves the store with the last.
 */
START_TEST(one_file_many_tracks_is_stored_once)
{
	struct json_object	*o, *rd;
	struct resp		 r;
	char			 b[256], z[256], f[256], c[128];
	char			 prefix[128], q[512], path[128], id[4][64];
	int			 i;

	suite_user("stan@example.org", c, sizeof(c));
	zip_bundle(b, sizeof(b), "once.vault.zip",
	    "--prefix once --blobs 4 --blob-bytes 100000 --mutate one-blob");
	o = api_import(c, b, PASS);
	ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
	    json_object_to_json_string(o));
	json_object_put(o);
	snprintf(prefix, sizeof(prefix), "%s/audio/", uid("stan@example.org"));
	ck_assert_int_eq(rows("reference_tracks", "stan@example.org"), 4);
	ck_assert_int_eq(rows("blobs", "stan@example.org"), 4);
	ck_assert_int_eq(objects(prefix), 1);
	ck_assert_int_eq(api_req("GET", "/api/blobs/usage", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "usedBytes"), "100000");
	ck_assert_str_eq(resp_str(&r, "kinds.audio.count"), "4");
	resp_free(&r);
	/* An export: four rows, one member. */
	snprintf(z, sizeof(z), "%s/once-export.zip", dir);
	json_object_put(export_to(c, z));
	ck_assert_ptr_nonnull(rd = reader(z));
	ck_assert_int_eq(json_object_object_length(json_object_object_get(rd,
	    "blobs")), 1);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    json_object_object_get(rd, "metadata"), "blobs")), 4);
	json_object_put(rd);
	for (i = 0; i < 4; i++) {
		snprintf(q, sizeof(q), "SELECT t.id || ' ' || t.blob_id FROM "
		    "reference_tracks t WHERE t.user_id = '%s' ORDER BY t.id "
		    "OFFSET %d LIMIT 1", uid("stan@example.org"), i);
		snprintf(id[i], sizeof(id[i]), "%s", suite_sql(q));
	}
	/* Track 0 deleted: its row goes, the object stays. */
	*strchr(id[0], ' ') = '\0';
	snprintf(path, sizeof(path), "/api/reference-tracks/%s", id[0]);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	/* Track 1's row freed, then deleted through the API: the same. */
	snprintf(q, sizeof(q), "UPDATE reference_tracks SET blob_id = NULL "
	    "WHERE id = '%.*s'", (int)(strchr(id[1], ' ') - id[1]), id[1]);
	suite_sql(q);
	snprintf(path, sizeof(path), "/api/blobs/%s", strchr(id[1], ' ') + 1);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	harness_sleep_ms(500);		/* a removal would be drained by now */
	ck_assert_int_eq(rows("blobs", "stan@example.org"), 2);
	ck_assert_int_eq(objects(prefix), 1);
	snprintf(f, sizeof(f), "%s/once.wav", dir);
	ck_assert_int_eq(download(c, strchr(id[3], ' ') + 1, f), 100000);
	/* The last two go: so does the object. */
	for (i = 2; i < 4; i++) {
		*strchr(id[i], ' ') = '\0';
		snprintf(path, sizeof(path), "/api/reference-tracks/%s", id[i]);
		ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	}
	for (i = 0; i < 100 && objects(prefix) > 0; i++)
		harness_sleep_ms(100);
	ck_assert_int_eq(objects(prefix), 0);
	ck_assert_int_eq(rows("blobs", "stan@example.org"), 0);
}
END_TEST

/*
 * Three open vault jobs per user (sql/0013): a fourth export is 429
 * too_many_jobs with Retry-After, and nothing is written; when one of
 * them ends, the next is taken.
 */
START_TEST(three_vault_jobs_per_user)
{
	struct resp	 r;
	char		 c[128], q[512];
	const char	*body = "{\"passphrase\":\"three is the limit here\"}";

	suite_user("tri@example.org", c, sizeof(c));
	/* Three of hers, queued for later: not run in the meantime. */
	snprintf(q, sizeof(q), "INSERT INTO jobs (kind, user_id, max_attempts, "
	    "run_at) SELECT 'vault_export', id, 3, now() + interval '1 day' "
	    "FROM users, generate_series(1, 3) WHERE email = "
	    "'tri@example.org'");
	suite_sql(q);
	ck_assert_int_eq(api_req("POST", "/api/vault/exports", c, body, &r),
	    429);
	ck_assert_str_eq(resp_str(&r, "error.code"), "too_many_jobs");
	ck_assert_str_eq(resp_header(&r, "Retry-After"), "60");
	resp_free(&r);
	ck_assert_int_eq(rows("vault_exports", "tri@example.org"), 0);
	suite_sql("DELETE FROM jobs WHERE id = (SELECT max(id) FROM jobs WHERE "
	    "user_id = (SELECT id FROM users WHERE email = 'tri@example.org'))");
	ck_assert_int_eq(api_status("POST", "/api/vault/exports", c, body),
	    202);
	ck_assert_int_eq(rows("vault_exports", "tri@example.org"), 1);
}
END_TEST

/*
 * The defaults an import writes into its hashes (model .dflt) are the
 * columns' own: every column with a constant default has it in the
 * model, and no field claims one its column does not have.
 */
START_TEST(model_defaults_are_the_columns)
{
	char		 q[1024], col[64], def[512];
	size_t		 i, j;
	long		 checked = 0;

	for (i = 0; model_entities[i] != NULL; i++) {
		const struct model_entity *m = model_entities[i];

		for (j = 0; j < m->nfields; j++) {
			const struct model_field *f = &m->fields[j];
			struct json_object *want, *got;

			snprintf(col, sizeof(col), "%s", f->column[0] == '"' ?
			    f->column + 1 : f->column);
			col[strcspn(col, "\"")] = '\0';
			snprintf(q, sizeof(q), "SELECT coalesce(column_default, "
			    "'') FROM information_schema.columns WHERE "
			    "table_schema = 'public' AND table_name = '%s' AND "
			    "column_name = '%s'", m->table, col);
			snprintf(def, sizeof(def), "%s", suite_sql(q));
			/* Made when written (times, ids), or the hash itself. */
			if (strstr(def, "now()") != NULL || strstr(def,
			    "gen_random") != NULL || strcmp(col,
			    "content_hash") == 0)
				continue;
			if (def[0] == '\0') {
				ck_assert_msg(f->dflt == NULL, "%s.%s: the model "
				    "says %s, the column has no default",
				    m->table, col, f->dflt);
				continue;
			}
			ck_assert_msg(f->dflt != NULL, "%s.%s: the column's "
			    "default is %s, the model has none", m->table, col,
			    def);
			snprintf(q, sizeof(q), "SELECT to_jsonb(%s)::text", def);
			got = json_tokener_parse(suite_sql(q));
			want = json_tokener_parse(f->dflt);
			ck_assert_msg(json_object_equal(got, want), "%s.%s: the "
			    "column's default %s, the model's %s", m->table, col,
			    def, f->dflt);
			json_object_put(got);
			json_object_put(want);
			checked++;
		}
	}
	ck_assert_int_ge(checked, 16);
}
END_TEST

/* An export deleted, and one past vault_export_age: gone, files too. */
START_TEST(exports_are_deleted_and_expire)
{
	struct json_object	*o;
	char			 z[256], c[128], path[256], prefix[128], q[512];
	char			 id[64];
	int			 i;

	suite_user("lena@example.org", c, sizeof(c));
	snprintf(prefix, sizeof(prefix), "%s/exports/", uid("lena@example.org"));
	snprintf(z, sizeof(z), "%s/lena1.zip", dir);
	o = export_to(c, z);
	snprintf(id, sizeof(id), "%s", jstr(o, "id"));
	json_object_put(o);
	ck_assert_int_eq(objects(prefix), 1);
	/* One at a time, and deleted with its file. */
	snprintf(path, sizeof(path), "/api/vault/exports/%s", id);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	ck_assert_int_eq(api_status("GET", path, c, NULL), 404);
	for (i = 0; i < 100 && objects(prefix) > 0; i++)
		harness_sleep_ms(100);
	ck_assert_int_eq(objects(prefix), 0);
	/* Eight days old: maintain removes it. */
	o = export_to(c, z);
	snprintf(q, sizeof(q), "UPDATE vault_exports SET created_at = now() - "
	    "interval '8 days' WHERE id = '%s'", jstr(o, "id"));
	json_object_put(o);
	suite_sql(q);
	ck_assert_int_eq(objects(prefix), 1);
	snprintf(path, sizeof(path), "%s/maintain-exports.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", path), 0);
	ck_assert(harness_file_has(path, "vault exports past "
	    "vault_export_age, removed: 1", 0));
	ck_assert_int_eq(rows("vault_exports", "lena@example.org"), 0);
	ck_assert_int_eq(objects(prefix), 0);
}
END_TEST


/* A producer-hub v2 bundle: what has a home, and what was skipped. */
START_TEST(v2_bundles_are_mapped)
{
	struct json_object	*o;
	struct resp		 r;
	char			 b[256], args[512], c[128];
	int			 zip;

	for (zip = 0; zip <= 1; zip++) {
		snprintf(args, sizeof(args), "v2u%d@example.org", zip);
		suite_user(args, c, sizeof(c));
		snprintf(b, sizeof(b), "%s/v2-%d.vault%s", dir, zip, zip ?
		    ".zip" : "");
		snprintf(args, sizeof(args), "write %s --pass '%s' --version 2 "
		    "--layout %s --prefix v2x%d", b, PASS, zip ? "zip" : "json",
		    zip);
		ck_assert_int_eq(writer(args), 0);
		o = api_import_done(c, b);
		ck_assert_str_eq(jstr(o, "result.kinds.projects.imported"),
		    "1");
		/* Its library, and "Audio loops" for the loops. */
		ck_assert_str_eq(jstr(o,
		    "result.kinds.referenceLibraries.imported"), "2");
		ck_assert_str_eq(jstr(o,
		    "result.kinds.referenceTracks.imported"), "2");
		ck_assert_str_eq(jstr(o, "result.kinds.infobase.imported"),
		    "1");
		ck_assert_str_eq(jstr(o, "result.kinds.laneTemplates.imported"),
		    "1");
		ck_assert_str_eq(jstr(o, "result.kinds.settings.imported"), "1");
		ck_assert_str_eq(jstr(o,
		    "result.kinds.chordProgressions.skipped"), "2");
		ck_assert_str_eq(jstr(o, "result.kinds.projectClips.skipped"),
		    "3");
		json_object_put(o);
		ck_assert_int_eq(api_req("GET", "/api/settings", c, NULL, &r),
		    200);
		ck_assert_str_eq(resp_str(&r, "theme"), "dark");
		ck_assert_str_eq(resp_str(&r, "selectedProduct"), "daw");
		resp_free(&r);
		snprintf(args, sizeof(args), "/api/lane-templates/v2x%d-l-0",
		    zip);
		ck_assert_int_eq(api_req("GET", args, c, NULL, &r), 200);
		ck_assert_str_eq(resp_str(&r, "templateType"), "drums");
		resp_free(&r);
		snprintf(args, sizeof(args), "SELECT count(*) FROM "
		    "reference_tracks t JOIN reference_libraries l ON l.id = "
		    "t.library_id WHERE l.name = 'Audio loops' AND t.user_id = "
		    "(SELECT id FROM users WHERE email = 'v2u%d@example.org')",
		    zip);
		ck_assert_int_eq(suite_count(args), 2);
	}
}
END_TEST


/* A vault job failed for good: its import says so, its bundle goes. */
START_TEST(a_job_failed_for_good_fails_its_import)
{
	char	 q[1024], id[64], job[64], c[128];

	suite_user("max@example.org", c, sizeof(c));
	snprintf(id, sizeof(id), "%s", suite_sql("INSERT INTO vault_imports "
	    "(user_id, name, size_bytes, object_key, state) SELECT id, "
	    "'m.vault', 1, id || '/imports/gone.vault', 'queued' FROM users "
	    "WHERE email = 'max@example.org' RETURNING id"));
	/* Not due for an hour: no worker takes it meanwhile. */
	snprintf(job, sizeof(job), "%s", suite_sql("INSERT INTO jobs (kind, "
	    "user_id, max_attempts, run_at) SELECT 'vault_import', id, 3, "
	    "now() + interval '1 hour' FROM users WHERE email = "
	    "'max@example.org' RETURNING id"));
	snprintf(q, sizeof(q), "UPDATE vault_imports SET job_id = %s WHERE "
	    "id = '%s'", job, id);
	suite_sql(q);
	/* One implicit transaction: a queued key would be seen before any
	 * drain could take it. The bundle stays: the import may be started
	 * again (its row's deletion, or its age, takes the bundle). */
	snprintf(q, sizeof(q), "UPDATE jobs SET state = 'failed', last_error "
	    "= 'gave up after 3 attempts', finished_at = now() WHERE id = %s; "
	    "SELECT count(*) FROM blob_deletions WHERE object_key LIKE "
	    "'%%/imports/gone.vault'", job);
	ck_assert_str_eq(suite_sql(q), "0");
	snprintf(q, sizeof(q), "SELECT state || ' ' || error_code || ' ' || "
	    "error FROM vault_imports WHERE id = '%s'", id);
	ck_assert_str_eq(suite_sql(q), "failed internal gave up after 3 "
	    "attempts");
	/* internal may be mended by a second start: it is taken past the
	 * state's check (here to find the bundle was never uploaded). */
	{
		struct resp	 r;
		char		 path[256];

		snprintf(path, sizeof(path), "/api/vault/imports/%s/start", id);
		ck_assert_int_eq(api_req("POST", path, c, "{\"passphrase\":"
		    "\"whatever it was\"}", &r), 409);
		ck_assert_str_eq(resp_str(&r, "error.code"), "not_uploaded");
		resp_free(&r);
	}
}
END_TEST

/* Each bad bundle: its code, nothing written, nothing left in the store. */
START_TEST(bad_bundles_write_nothing)
{
	static const struct {
		const char	*mutate, *layout, *code, *path;
		int		 wrong_pass;
	} cases[] = {
		{ "", "json", "bad_passphrase", "$.metadataEnvelope", 1 },
		{ "flip", "zip", "bad_passphrase", "$.metadataEnvelope", 0 },
		{ "bad-hash", "zip", "invalid_data", "vault/blobs/", 0 },
		{ "bad-hash", "json", "invalid_data", "$.blobs.", 0 },
		{ "missing-parent", "json", "invalid_data",
		    "$.quests[1].parentId", 0 },
		{ "bad-enum", "json", "invalid_data", "$.quests[0].status", 0 },
		{ "big-row", "zip", "too_large", "$.infobase[0]", 0 },
		{ "dup-id", "json", "invalid_data", "$.quests[1].id", 0 },
		{ "missing-blob", "json", "invalid_data",
		    "$.referenceTracks[0].blobId", 0 },
		{ "missing-library", "json", "invalid_data",
		    "$.referenceTracks[0].libraryId", 0 },
		{ "missing-event", "json", "invalid_data",
		    "$.rewardLedger[0].sourceEventId", 0 },
		{ "self-parent", "zip", "invalid_data", "$.quests[1].parentId",
		    0 },
		/* 101 schedule rules: past a user's 100 (sql/0014). */
		{ "many-rules", "json", "invalid_data", "$", 0 },
		{ "schema", "json", "unsupported_version", "$.schemaVersion", 0 },
		{ "iterations", "json", "unsupported_version",
		    "$.metadataEnvelope", 0 },
		{ "bad-base64", "json", "corrupt_bundle", "$.metadataEnvelope",
		    0 },
		{ "deep", "json", "corrupt_bundle", "$", 0 },
		{ "deep-meta", "zip", "corrupt_bundle", "$", 0 },
		/* Stored, it made /api/quests/due and plan apply 500. */
		{ "bad-zone", "zip", "invalid_data",
		    "$.settings.settingsJson.timeZone", 0 },
		{ "truncate", "json", "corrupt_bundle", "$", 0 },
		{ "truncate", "zip", "corrupt_bundle", "", 0 },
		{ "dotdot", "zip", "corrupt_bundle", "$", 0 },
		{ "absolute", "zip", "corrupt_bundle", "$", 0 },
		{ "dupname", "zip", "corrupt_bundle", "vault/bundle.json", 0 },
		{ "bomb", "zip", "too_large", "vault/blobs/", 0 },
		/* vault_entities_max is 100 000 here: 100 016 members at most. */
		{ "many-members", "zip", "too_large", "$", 0 },
		/* A manifest is kept entry by entry, 100 000 at most. */
		{ "big-manifest", "zip", "too_large", "$.manifest.blobs", 0 },
		{ "fat-entry", "json", "too_large", "$", 0 },
	};
	struct json_object	*o;
	char			 b[256], args[512], c[128], prefix[128];
	char			 kept[128];
	const char		*path;
	int			 i;

	suite_user("gina@example.org", c, sizeof(c));
	for (i = 0; i < N(cases); i++) {
		snprintf(b, sizeof(b), "%s/bad%d.vault%s", dir, i,
		    strcmp(cases[i].layout, "zip") == 0 ? ".zip" : "");
		snprintf(args, sizeof(args), "write %s --pass '%s' --layout %s "
		    "--prefix bad%d --mutate '%s'", b, PASS, cases[i].layout, i,
		    cases[i].mutate);
		ck_assert_int_eq(writer(args), 0);
		o = api_import(c, b, cases[i].wrong_pass ? "not the one" :
		    PASS);
		ck_assert_msg(strcmp(jstr(o, "state"), "failed") == 0 &&
		    strcmp(jstr(o, "errorCode"), cases[i].code) == 0,
		    "%s %s: %s", cases[i].mutate, cases[i].layout,
		    json_object_to_json_string(o));
		path = jstr(o, "error");
		ck_assert_msg(path != NULL && strncmp(path, cases[i].path,
		    strlen(cases[i].path)) == 0, "%s %s: %s", cases[i].mutate,
		    cases[i].layout, path);
		/* A wrong passphrase (or a changed ciphertext: the same
		 * failure) keeps its bundle, for a second try; deleted. */
		if (strcmp(cases[i].code, "bad_passphrase") == 0) {
			snprintf(kept, sizeof(kept), "/api/vault/imports/%s",
			    jstr(o, "id"));
			snprintf(prefix, sizeof(prefix), "%s/imports/",
			    uid("gina@example.org"));
			ck_assert_int_eq(objects(prefix), 1);
			ck_assert_int_eq(api_status("DELETE", kept, c, NULL),
			    204);
		}
		json_object_put(o);
		ck_assert_int_eq(all_rows("gina@example.org"), 0);
	}
	/* Not one object: no blob, no bundle, nothing spilled behind. */
	snprintf(prefix, sizeof(prefix), "%s/", uid("gina@example.org"));
	for (i = 0; i < 50 && objects(prefix) > 0; i++)
		harness_sleep_ms(100);	/* a removal the drain finishes */
	ck_assert_int_eq(objects(prefix), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM vault_imports "
	    "WHERE user_id = " OF("gina@example.org") " AND state = "
	    "'failed'"), N(cases) - 2);
}
END_TEST

/* The vault jobs worker that has a bundle open (the one importing). */
static pid_t
importer(void)
{
	pid_t	 kids[64];
	char	 path[384], link[512];
	int	 i, n = harness_children(suite_st.passiond, kids, 64);
	DIR	*d;
	struct dirent *e;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)kids[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			ssize_t	 len;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s",
			    (int)kids[i], e->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (strstr(link, "passion-bundle-") != NULL) {
				closedir(d);
				return kids[i];
			}
		}
		closedir(d);
	}
	return 0;
}

/*
 * The jobs worker killed mid-import: nothing of it is left in the rows;
 * the job runs again and imports it once; maintain removes the objects
 * the killed attempt had put.
 */
START_TEST(killed_worker_mid_import)
{
	struct json_object	*o;
	struct resp		 r;
	char			 b[256], c[128], id[64], path[256];
	char			 prefix[128], q[512];
	pid_t			 pid = 0;
	int			 i;

	suite_user("hank@example.org", c, sizeof(c));
	zip_bundle(b, sizeof(b), "kill.vault.zip",
	    "--prefix kill --entities 20000 --blobs 3 --blob-bytes 200000");
	api_import_begin(c, b, PASS, id);
	snprintf(path, sizeof(path), "/api/vault/imports/%s", id);
	/* Writing its rows (entities counted), then killed. */
	for (i = 0; i < 600; i++) {
		ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
		ck_assert_str_ne(resp_str(&r, "state"), "done");
		if (atol(resp_str(&r, "entitiesDone")) > 0 &&
		    (pid = importer()) != 0) {
			resp_free(&r);
			break;
		}
		resp_free(&r);
		harness_sleep_ms(50);
	}
	ck_assert_msg(pid != 0, "the import never got to its rows");
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(rows("quests", "hank@example.org"), 0);
	ck_assert_int_eq(rows("blobs", "hank@example.org"), 0);
	/* Retried once the dead worker's session is gone; done once. */
	o = api_import_wait(c, id, 120);
	ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
	    json_object_to_json_string(o));
	ck_assert_ptr_null(jstr(o, "result.kinds.quests.duplicates"));
	json_object_put(o);
	ck_assert_int_eq(rows("quests", "hank@example.org"), 20000);
	ck_assert_int_eq(rows("log_events", "hank@example.org"), 20000);
	ck_assert_int_eq(rows("reference_tracks", "hank@example.org"), 3);
	snprintf(q, sizeof(q), "SELECT attempts FROM jobs WHERE kind = "
	    "'vault_import' AND payload->>'import' = '%s'", id);
	ck_assert_int_eq(suite_count(q), 2);
	/* The first attempt's objects have no rows: maintain's sweep. */
	snprintf(prefix, sizeof(prefix), "%s/audio/", uid("hank@example.org"));
	harness_sleep_ms(SWEEP_AGE * 1000 + 500);
	snprintf(path, sizeof(path), "%s/maintain.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", path), 0);
	ck_assert_int_eq(objects(prefix), 3);
}
END_TEST

/* Two vault jobs workers, three imports at once: each runs once. */
START_TEST(two_workers_never_share_a_job)
{
	struct json_object	*o;
	char			 b[3][256], args[512], c[3][128], id[3][64];
	char			 email[64], q[512];
	int			 i;

	for (i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "par%d@example.org", i);
		suite_user(email, c[i], sizeof(c[i]));
		snprintf(b[i], sizeof(b[i]), "%s/par%d.vault", dir, i);
		snprintf(args, sizeof(args), "write %s --pass '%s' --prefix "
		    "par%d --entities 2000", b[i], PASS, i);
		ck_assert_int_eq(writer(args), 0);
	}
	for (i = 0; i < 3; i++)
		api_import_begin(c[i], b[i], PASS, id[i]);
	for (i = 0; i < 3; i++) {
		o = api_import_wait(c[i], id[i], 120);
		ck_assert_msg(strcmp(jstr(o, "state"), "done") == 0, "%s",
		    json_object_to_json_string(o));
		ck_assert_str_eq(jstr(o, "result.kinds.quests.imported"),
		    "2000");
		ck_assert_ptr_null(jstr(o, "result.kinds.quests.duplicates"));
		json_object_put(o);
		snprintf(q, sizeof(q), "SELECT attempts FROM jobs WHERE kind = "
		    "'vault_import' AND payload->>'import' = '%s'", id[i]);
		ck_assert_int_eq(suite_count(q), 1);
	}
}
END_TEST

/* Another user's ids: new ones, every reference rewritten. */
START_TEST(other_users_ids_are_remapped)
{
	struct json_object	*o;
	char			 b[256], c[128];

	zip_bundle(b, sizeof(b), "api.vault.zip", "--prefix api");
	suite_user("frank@example.org", c, sizeof(c));
	o = api_import_done(c, b);
	ck_assert_str_eq(jstr(o, "result.kinds.quests.remapped"), "6");
	ck_assert_str_eq(jstr(o, "result.kinds.quests.imported"), "6");
	json_object_put(o);
	ck_assert_int_eq(rows("quests", "frank@example.org"), 6);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("frank@example.org") " AND id LIKE 'api-%'"), 0);
	/* Parents, libraries and sources are frank's own. */
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests q WHERE "
	    "q.user_id = " OF("frank@example.org") " AND q.parent_id IS NOT "
	    "NULL AND NOT EXISTS (SELECT 1 FROM quests p WHERE p.id = "
	    "q.parent_id AND p.user_id = q.user_id)"), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("frank@example.org") " AND parent_id IS NOT "
	    "NULL"), 1);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reference_tracks t "
	    "JOIN reference_libraries l ON l.id = t.library_id AND l.user_id "
	    "= t.user_id WHERE t.user_id = " OF("frank@example.org")), 2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger r "
	    "JOIN log_events e ON e.id = r.source_event_id AND e.user_id = "
	    "r.user_id WHERE r.user_id = " OF("frank@example.org")), 6);
	/* And erin's rows are as they were. */
	ck_assert_int_eq(rows("quests", "erin@example.org"), 6);
}
END_TEST

START_TEST(cli_imports_json_and_zip)
{
	struct json_object	*o;
	char			 b[256], out[256], args[512], prefix[128];
	int			 zip;

	for (zip = 0; zip <= 1; zip++) {
		const char *email = zip ? "carol@example.org" :
		    "dave@example.org";
		char cookie[128];

		suite_user(email, cookie, sizeof(cookie));
		snprintf(b, sizeof(b), "%s/cli%d.vault%s", dir, zip, zip ?
		    ".zip" : "");
		snprintf(args, sizeof(args), "write %s --pass '%s' --layout %s "
		    "--prefix cli%d", b, PASS, zip ? "zip" : "json", zip);
		ck_assert_int_eq(writer(args), 0);
		ck_assert_int_eq(ctl_import(b, email, out, sizeof(out)), 0);
		ck_assert(harness_file_has(out, "imported", 0));
		/* Not a terminal: progress as plain lines. */
		ck_assert(harness_file_has(out, "progress: ", 0));
		ck_assert(harness_file_has(out, "quests: imported 6", 0));
		ck_assert_int_eq(rows("quests", email), 6);
		ck_assert_int_eq(rows("log_events", email), 6);
		ck_assert_int_eq(rows("reward_ledger", email), 6);
		ck_assert_int_eq(rows("reference_tracks", email), 2);
		ck_assert_int_eq(rows("blobs", email), 2);
		ck_assert_int_eq(rows("skill_trees", email), 1);
		ck_assert_int_eq(rows("user_settings", email), 1);
		snprintf(prefix, sizeof(prefix), "%s/audio/", uid(email));
		ck_assert_int_eq(objects(prefix), 2);
		/* Again: every row a duplicate, nothing new. */
		ck_assert_int_eq(ctl_import(b, email, out, sizeof(out)), 0);
		ck_assert(harness_file_has(out, "quests: duplicates 6", 0));
		ck_assert_int_eq(rows("quests", email), 6);
		ck_assert_int_eq(objects(prefix), 2);
		(void)cookie;
		/* And out again: passionctl export, read by the other side. */
		snprintf(b, sizeof(b), "%s/cli-export%d.zip", dir, zip);
		snprintf(args, sizeof(args), "export --user %s -o %s "
		    "--passphrase-file %s/pass", email, b, dir);
		ck_assert_int_eq(harness_passionctl(&suite_st, args, out), 0);
		ck_assert(harness_file_has(out, "exported ", 0));
		ck_assert(harness_file_has(out, "progress: ", 0));
		ck_assert(harness_file_has(out, "quests: exported 6", 0));
		o = reader(b);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(json_object_array_length(json_object_object_get(
		    json_object_object_get(o, "metadata"), "quests")), 6);
		ck_assert_int_eq(json_object_object_length(
		    json_object_object_get(o, "blobs")), 2);
		json_object_put(o);
	}
	/* No user, no passphrase, no file: refused, nothing written. */
	snprintf(args, sizeof(args), "import %s/nothing.vault --user "
	    "carol@example.org --passphrase-file %s/pass", dir, dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, args, out), 1);
	snprintf(args, sizeof(args), "export --user nobody@example.org -o "
	    "%s/x.zip --passphrase-file %s/pass", dir, dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, args, out), 1);
	ck_assert(harness_file_has(out, "no such user", 0));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("vault");
	TCase	*tc = tcase_create("vault");

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cli_imports_json_and_zip);
	tcase_add_test(tc, api_imports_every_row_and_object);
	tcase_add_test(tc, other_users_ids_are_remapped);
	tcase_add_test(tc, bad_bundles_write_nothing);
	tcase_add_test(tc, v2_bundles_are_mapped);
	tcase_add_test(tc, export_round_trips);
	tcase_add_test(tc, round_trip_is_lossless);
	tcase_add_test(tc, migration_rehashes_tracks_and_projects);
	tcase_add_test(tc, a_typo_is_not_a_reupload);
	tcase_add_test(tc, weak_export_passphrases_are_refused);
	tcase_add_test(tc, three_vault_jobs_per_user);
	tcase_add_test(tc, imported_blobs_count_against_the_quota);
	tcase_add_test(tc, one_file_many_tracks_is_stored_once);
	tcase_add_test(tc, a_wrong_hash_is_an_exports_warning);
	tcase_add_test(tc, model_defaults_are_the_columns);
	tcase_add_test(tc, a_job_failed_for_good_fails_its_import);
	tcase_add_test(tc, exports_are_deleted_and_expire);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	/* Workers killed on purpose: a stack of their own. */
	tc = tcase_create("crash");
	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, killed_worker_mid_import);
	tcase_add_test(tc, two_workers_never_share_a_job);
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
