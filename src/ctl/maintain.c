/*
 * maintain.c - passionctl maintain: the hourly upkeep that
 * passion-maintain.service runs, as the runtime role.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl/ctl.h"
#include "db/admin.h"
#include "db/sync.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util/util.h"

/*
 * maintain: safe beside a serving passiond (the runtime role, one short
 * transaction per user, every occurrence made once by a unique index).
 *
 * Long (about 100 lines): its steps (users, jobs, blobs, exports) and
 * their counts printed in one place, in the order they run.
 */
int
cmd_maintain(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct db		 db;
	struct arena		 a;
	struct db_sweep		 sw;
	struct db_maintained	 m;
	struct storage		 store;
	struct net		 net;
	struct jobs_blob_sweep	 bs;
	const char		**users;
	size_t			 nusers = 0, i;
	enum db_status		 st;
	long			 failed = 0, removed = 0, unremoved = 0;
	long			 waiting = 0, expired = 0, n = 0;
	long			 imports = 0, ni = 0;
	int			 sweep;
	char			 err[512];

	if (argc != 1)
		return ctl_bad_arg("maintain", argv[1]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	memset(&m, 0, sizeof(m));
	memset(&bs, 0, sizeof(bs));
	ctl_open(cfg, &db, &a, &store, &net);
	sweep = storage_enabled(&store);
	st = db_maintain_sweep(&db, &a, cfg->rate_window, &sw);
	if (st == DB_OK)
		st = db_maintain_users(&db, &a, &users, &nusers);
	for (i = 0; st == DB_OK && i < nusers; i++) {
		const char *uid = users[i];
		struct arena ua;

		arena_init(&ua, 64 * 1024);
		st = db_tx_begin(&db, uid);
		if (st == DB_OK)
			st = db_maintain_user(&db, &ua, uid,
			    cfg->schedule_horizon, &m);
		if (st == DB_OK)
			st = db_vault_exports_expire(&db, &ua, uid,
			    cfg->vault_export_age, &n);
		if (st == DB_OK)
			st = db_vault_imports_expire(&db, &ua, uid,
			    cfg->vault_import_age, &ni);
		expired += n;
		imports += ni;
		if (st == DB_OK && sweep && jobs_blob_sweep_user(&db, &store,
		    &net, &ua, uid, cfg->storage_sweep_age, &bs, err,
		    sizeof(err)) != 0) {
			/* The store's trouble: the others' sweeps wait too. */
			fprintf(stderr, "passionctl: maintain: blobs of user "
			    "%s: %s\n", uid, err);
			failed++;
			sweep = 0;
		}
		if (st == DB_OK)
			st = db_tx_commit(&db);
		if (st != DB_OK) {
			/* One user's trouble does not stop the others'. */
			db_tx_rollback(&db);
			fprintf(stderr, "passionctl: maintain: user %s: %s\n",
			    uid, db.errstr);
			failed++;
			st = st == DB_UNAVAILABLE ? st : DB_OK;
		}
		arena_cleanup(&ua);
	}
	/* Objects whose rows are gone leave the store. */
	if (st == DB_OK && storage_enabled(&store)) {
		if (jobs_blob_drain(&db, &store, &net, &a, &removed,
		    &unremoved, err, sizeof(err)) != 0) {
			fprintf(stderr, "passionctl: maintain: removing "
			    "objects: %s\n", err);
			failed++;
		}
		st = db_blob_deletions_count(&db, &a, &waiting);
	}
	if (st == DB_OK) {
		printf("sessions deleted: %ld\n", sw.sessions);
		printf("magic-link tokens deleted: %ld\n", sw.tokens);
		printf("rate-limit windows deleted: %ld\n", sw.windows);
		printf("users: %zu\n", nusers);
		printf("stale focus sessions abandoned: %ld\n", m.focus);
		printf("change feed deletions past %d days forgotten: %ld\n",
		    DB_SYNC_TOMBSTONE_DAYS, m.tombstones);
		printf("Idempotency-Keys past %d hours forgotten: %ld\n",
		    DB_KEY_HOURS, m.keys);
		printf("quests made from schedule rules: %ld (rules: %ld)\n",
		    m.quests, m.rules);
		if (m.invalid > 0)
			printf("rules that could not be read: %ld\n",
			    m.invalid);
		if (m.capped > 0)
			printf("users with more quests to make next run (500 "
			    "a run): %ld\n", m.capped);
		printf("vault exports past vault_export_age, removed: %ld\n",
		    expired);
		printf("vault imports waiting past vault_import_age, "
		    "removed: %ld\n", imports);
		if (storage_enabled(&store)) {
			printf("blobs left pending, removed: %ld\n", bs.stale);
			printf("objects with no blob, queued: %ld\n",
			    bs.orphans);
			printf("objects removed from the store: %ld (failed: "
			    "%ld, still waiting: %ld)\n", removed, unremoved,
			    waiting);
		}
	} else
		fprintf(stderr, "passionctl: maintain: %s\n", db.errstr);
	ctl_close(&db, &a, &net);
	return st != DB_OK || failed > 0;
}
