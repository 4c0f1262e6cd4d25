/*
 * check_entity.c - docs/architecture.md's "Adding an entity", followed:
 * a throwaway entity, sketches (a title, the quest it is for and an
 * image blob), compiled into this test's build only (entities.c built
 * again with MODEL_EXTRA_ENTITY=model_sketches), with its one migration
 * below. Nothing else is changed, and yet a user's sketch goes out in an
 * export (the blob named by its hash, in the zip) and comes back in
 * another user's import, its id, its quest and its image remapped to
 * that user's rows and a new object in the store, against the real
 * PostgreSQL and the S3 server.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "db/db.h"
#include "model/model.h"
#include "net/net.h"
#include "storage/storage.h"
#include "vault/vault.h"
#include "harness.h"
#include "../common/run.h"

/* --- the walkthrough's step 1: its description ------------------------ */

static const char *const ref_quest[] = { "quest", NULL };
static const char *const ref_image[] = { "ready, unused image blob", NULL };

static const struct model_field sketch_fields[] = {
	MODEL_FIELD("id", "id", MT_ID, MF_CREATE_ONLY, 0, 0, NULL),
	MODEL_FIELD("title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1,
	    200, NULL),
	MODEL_FIELD("quest_id", "questId", MT_ID, MF_HASHED | MF_REF, 0, 0,
	    ref_quest, .ref = &model_quests),
	MODEL_FIELD("image_blob_id", "imageBlobId", MT_UUID,
	    MF_HASHED | MF_REF, 0, 0, ref_image, .ref = &model_blobs,
	    .blob_kind = "image"),
	MODEL_FIELD("created_at", "createdAt", MT_TIME, MF_SERVER, 0, 0, NULL),
	MODEL_FIELD("updated_at", "updatedAt", MT_TIME,
	    MF_SERVER | MF_IMPORT_CREATED, 0, 0, NULL),
	MODEL_FIELD("content_hash", "contentHash", MT_TEXT, MF_SERVER, 0, 0,
	    NULL),
};

const struct model_entity model_sketches = {
	.table = "sketches",
	.name = "sketch",
	.fields = sketch_fields,
	.nfields = sizeof(sketch_fields) / sizeof(sketch_fields[0]),
	.order = "created_at",
	.vault = "sketches",
};

/* --- step 2: its migration -------------------------------------------- */

static const char migration[] =
	"CREATE TABLE sketches ("
	" id entity_id PRIMARY KEY,"
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" title text NOT NULL,"
	" quest_id entity_id,"
	" image_blob_id uuid,"
	" created_at timestamptz NOT NULL,"
	" updated_at timestamptz NOT NULL,"
	" content_hash text NOT NULL DEFAULT '',"
	" FOREIGN KEY (quest_id, user_id) REFERENCES quests (id, user_id)"
	"  DEFERRABLE,"
	" FOREIGN KEY (image_blob_id, user_id) REFERENCES blobs (id, user_id));"
	"CREATE INDEX idx_sketches_list ON sketches (user_id, created_at, id);"
	"ALTER TABLE sketches ENABLE ROW LEVEL SECURITY;"
	"ALTER TABLE sketches FORCE ROW LEVEL SECURITY;"
	"CREATE POLICY sketches_owner ON sketches USING (user_id = nullif("
	" current_setting('passion.user_id', true), '')::uuid) WITH CHECK"
	" (user_id = nullif(current_setting('passion.user_id', true), '')"
	" ::uuid);"
	"CREATE POLICY sketches_id_probe ON sketches FOR SELECT TO"
	" passion_owner USING (true);"
	"GRANT SELECT, INSERT, UPDATE, DELETE ON sketches TO passion_app;"
	"CREATE TRIGGER sketches_image BEFORE INSERT OR UPDATE OF"
	" image_blob_id ON sketches FOR EACH ROW EXECUTE FUNCTION"
	" blob_use_check('image_blob_id', 'image');"
	"CREATE TRIGGER sketches_image_gone AFTER DELETE ON sketches FOR EACH"
	" ROW WHEN (OLD.image_blob_id IS NOT NULL) EXECUTE FUNCTION"
	" blob_owner_gone('image_blob_id');";

#define PASS	"sketch pass"
#define IMAGE	"\x89PNG\r\n\x1a\n a sketch's image"

static char		 db_name[64], conninfo[512], dir[64], endpoint[64];
static char		 alice[64], bob[64];
static pid_t		 s3;
static struct storage	 st;
static struct net	 net;
static const struct db_limits lim = { 5, 10000, 5000, "check_entity" };

static void
setup(void)
{
	PGconn	*c;

	snprintf(db_name, sizeof(db_name), "passion_entity_%d", (int)getpid());
	harness_db_create(harness_pghost(), db_name);
	c = harness_pg(harness_pghost(), db_name, "passion_owner");
	harness_sql(c, migration);
	PQfinish(c);
	c = harness_pg(harness_pghost(), db_name, "passion_app");
	snprintf(alice, sizeof(alice), "%s", harness_sql(c, "INSERT INTO users "
	    "(email) VALUES ('alice@example.org') RETURNING id"));
	snprintf(bob, sizeof(bob), "%s", harness_sql(c, "INSERT INTO users "
	    "(email) VALUES ('bob@example.org') RETURNING id"));
	PQfinish(c);
	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=%s "
	    "user=passion_app", harness_pghost(), db_name);
	snprintf(dir, sizeof(dir), "/tmp/check_entity.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	harness_s3_client(endpoint, &st);
	net_init(&net, 1, 5);
}

static void
teardown(void)
{
	net_cleanup(&net);
	harness_s3_stop(s3);
}

/* Alice's quest, image (in the store, its row ready) and sketch. */
static void
alice_sketch(struct db *d, struct arena *a)
{
	struct json_object	*row, *out;
	struct db_blob		 b;
	int			 over;

	ck_assert_int_eq(storage_put(&st, &net, a, arena_printf(a,
	    "%s/images/0b6c5e2a-1111-4222-8333-444455550001.png", alice),
	    "image/png", IMAGE, sizeof(IMAGE) - 1, NULL, time(NULL)),
	    STORAGE_OK);
	ck_assert_int_eq(db_tx_begin(d, alice), DB_OK);
	row = json_tokener_parse("{\"id\":\"quest-1\",\"title\":\"Draw\","
	    "\"domainId\":\"art\"}");
	ck_assert_int_eq(db_entity_create(d, a, &model_quests, alice, row,
	    &out, 0), DB_OK);
	json_object_put(row);
	json_object_put(out);
	memset(&b, 0, sizeof(b));
	b.id = "0b6c5e2a-1111-4222-8333-444455550001";
	b.kind = "image";
	b.name = "cat.png";
	b.mime_type = "image/png";
	b.size = sizeof(IMAGE) - 1;
	b.object_key = arena_printf(a, "%s/images/%s.png", alice, b.id);
	ck_assert_int_eq(db_blob_create(d, a, alice, &b, 0, &over), DB_OK);
	ck_assert_int_eq(db_blob_ready(d, a, alice, &b), DB_OK);
	row = json_tokener_parse("{\"id\":\"sketch-1\",\"title\":\"A cat\","
	    "\"questId\":\"quest-1\",\"imageBlobId\":"
	    "\"0b6c5e2a-1111-4222-8333-444455550001\"}");
	ck_assert_int_eq(db_entity_create(d, a, &model_sketches, alice, row,
	    &out, 1), DB_OK);
	json_object_put(row);
	json_object_put(out);
}

static int
to_file(void *ud, const void *p, size_t n)
{
	return fwrite(p, 1, n, ud) == n ? 0 : -1;
}

/* One row of bob's sketches, kept. */
static void
keep_row(void *ud, const struct db_row *row)
{
	struct json_object	**o = ud;

	ck_assert_ptr_null(*o);
	*o = db_row_json(row);
}

START_TEST(a_new_entity_goes_out_and_comes_back)
{
	struct vault_limits	 vl = { 1LL << 30, 1 << 20, 1 << 20, 1000, 64,
	    100, NULL, 0 };
	struct vault_export	 ex;
	struct vault_import	 im;
	struct json_object	*got = NULL, *n;
	struct db		 d;
	struct arena		 a;
	char			 path[128], blob[64];
	FILE			*f;
	int			 fd;

	db_init(&d, conninfo, "", &lim);
	arena_init(&a, 64 * 1024);
	alice_sketch(&d, &a);

	/* The export: the sketch, and its image among the blobs. */
	snprintf(path, sizeof(path), "%s/export.zip", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	memset(&ex, 0, sizeof(ex));
	vault_report_init(&ex.report);
	ex.db = &d;
	ex.arena = &a;
	ex.store = &st;
	ex.net = &net;
	ex.user_id = alice;
	ex.passphrase = PASS;
	ex.tmpdir = dir;
	ex.device_id = "0123456789abcdef0123456789abcdef";
	ex.meta_max = 1 << 20;
	ex.write = to_file;
	ex.ud = f;
	ck_assert_msg(vault_export_run(&ex) == VAULT_OK, "export: %s", ex.err);
	fclose(f);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(
	    json_object_object_get(ex.report.kinds, "sketches"), "exported")),
	    1);

	/* Bob's import: ids another user holds are his now. */
	vl.tmpdir = dir;
	memset(&im, 0, sizeof(im));
	vault_report_init(&im.report);
	im.db = &d;
	im.arena = &a;
	im.store = &st;
	im.net = &net;
	im.lim = &vl;
	im.user_id = bob;
	im.passphrase = PASS;
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	if (vault_import_run(&im, fd) != VAULT_OK)
		ck_abort_msg("import: %s %s", im.err, json_object_to_json_string(
		    im.report.errors));
	close(fd);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(
	    json_object_object_get(im.report.kinds, "sketches"), "imported")),
	    1);

	ck_assert_int_eq(db_tx_begin(&d, bob), DB_OK);
	ck_assert_int_eq(db_vault_each(&d, &a, &model_sketches, bob, keep_row,
	    &got), DB_OK);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(got,
	    "title")), "A cat");
	/* Remapped: the sketch, its quest (bob's copy) and its image. */
	ck_assert_str_ne(json_object_get_string(json_object_object_get(got,
	    "id")), "sketch-1");
	n = json_object_object_get(got, "questId");
	ck_assert_str_ne(json_object_get_string(n), "quest-1");
	ck_assert_int_eq(db_entity_get(&d, &a, &model_quests, bob,
	    json_object_get_string(n), &n), DB_OK);
	json_object_put(n);
	snprintf(blob, sizeof(blob), "%s", json_object_get_string(
	    json_object_object_get(got, "imageBlobId")));
	ck_assert_str_ne(blob, "0b6c5e2a-1111-4222-8333-444455550001");
	{
		struct db_blob	 b;
		struct storage_object o;

		ck_assert_int_eq(db_blob_get(&d, &a, bob, blob, &b), DB_OK);
		ck_assert_str_eq(b.state, "ready");
		ck_assert(strncmp(b.object_key, bob, strlen(bob)) == 0);
		ck_assert_int_eq(storage_head(&st, &net, &a, b.object_key,
		    time(NULL), &o), STORAGE_OK);
		ck_assert_int_eq(o.size, (long long)sizeof(IMAGE) - 1);
	}
	db_tx_rollback(&d);
	json_object_put(got);
	vault_report_free(&ex.report);
	vault_report_free(&im.report);
	arena_cleanup(&a);
	db_cleanup(&d);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("entity");
	TCase	*tc = tcase_create("walkthrough");

	harness_pghost();
	harness_peers();
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_new_entity_goes_out_and_comes_back);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
