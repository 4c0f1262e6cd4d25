/*
 * restore.c - passionctl restore: a backup (backup.c) into an empty
 * database, then its manifest against the store. Everything is checked
 * before anything is written: the manifest is there (a backup that
 * finished), the dump has the size and SHA-256 the manifest says and
 * pg_restore can read it, each copied object has its bytes; then
 * pg_restore runs as one transaction, so a dump that fails half-way
 * leaves the database as empty as it was. The store is then listed: an
 * object a row needs that is missing is put back from the backup's
 * copy, or named; an object no row names is counted (maintain sweeps
 * it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/backup.h"
#include "ctl/ctl.h"
#include "db/admin.h"
#include "db/sync.h"
#include "storage/storage.h"
#include "util/util.h"

#define PART	(8 << 20)	/* objects put back in parts of */
#define SHOWN	10		/* keys named of each kind of problem */

/* A member of o as text, or NULL. */
static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static int
member_bool(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_get_boolean(v);
}

/* The manifest's objects into b. */
static int
load_objects(struct backup *b, struct json_object *list)
{
	struct json_object	*o;
	const char		*key;
	size_t			 i, n = json_object_array_length(list);

	b->objects = calloc(n + 1, sizeof(*b->objects));
	if (b->objects == NULL)
		fatal("%s: out of memory", __func__);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(list, i);
		key = member(o, "key");
		if (key == NULL || !backup_key_ok(key))
			return -1;
		b->objects[i].key = arena_strdup(b->arena, key);
		b->objects[i].sha256 = arena_strdup(b->arena, member(o,
		    "sha256"));
		b->objects[i].size = json_object_get_int64(
		    json_object_object_get(o, "bytes"));
		b->objects[i].expected = member_bool(o, "expected");
		b->objects[i].copied = member_bool(o, "copied");
	}
	b->n = n;
	return 0;
}

/* DIR/manifest.json read, the dump's size and SHA-256 into *size, sha. */
static int
load_manifest(struct backup *b, long long *size, char sha[65])
{
	struct json_object	*m, *d, *list;
	char			 path[4096];
	const char		*f, *h;
	int			 rc = -1;

	snprintf(path, sizeof(path), "%s/%s", b->dir, BACKUP_MANIFEST);
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "passionctl: restore: %s has no %s: not a "
		    "backup, or one that did not finish\n", b->dir,
		    BACKUP_MANIFEST);
		return -1;
	}
	if ((m = json_object_from_file(path)) == NULL ||
	    (f = member(m, "format")) == NULL || strcmp(f, BACKUP_FORMAT) != 0 ||
	    json_object_get_int(json_object_object_get(m, "version")) != 1 ||
	    !json_object_object_get_ex(m, "database", &d) ||
	    (h = member(d, "sha256")) == NULL || strlen(h) != 64 ||
	    !json_object_object_get_ex(m, "objects", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    load_objects(b, list) != 0) {
		fprintf(stderr, "passionctl: restore: %s is not a manifest "
		    "this passionctl reads (format %s, version 1)\n", path,
		    BACKUP_FORMAT);
		goto out;
	}
	*size = json_object_get_int64(json_object_object_get(d, "bytes"));
	memcpy(sha, h, 65);
	b->with_objects = member_bool(m, "objects_copied");
	rc = 0;
out:
	json_object_put(m);
	return rc;
}

/* The file has size bytes of that SHA-256 (sha NULL: any): 0 or -1. */
static int
file_is(const char *path, long long size, const char *sha)
{
	char		 hex[65];
	long long	 got = -1;
	int		 fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd == -1)
		return -1;
	rc = sha256_fd(fd, hex, &got);
	close(fd);
	return rc == 0 && got == size && (sha == NULL ||
	    strcmp(hex, sha) == 0) ? 0 : -1;
}

/* Everything restore will read, before it writes anything: 0 or -1. */
static int
check_backup(struct backup *b)
{
	char		 dump[4096], path[4096], sha[65];
	long long	 size = 0;
	size_t		 i;
	char		*argv[] = { "pg_restore", "--list", dump, NULL };

	if (load_manifest(b, &size, sha) != 0)
		return -1;
	snprintf(dump, sizeof(dump), "%s/%s", b->dir, BACKUP_DUMP);
	if (file_is(dump, size, sha) != 0) {
		fprintf(stderr, "passionctl: restore: %s is missing, cut short "
		    "or changed: the manifest says %lld bytes of SHA-256 %s. "
		    "Nothing was restored\n", dump, size, sha);
		return -1;
	}
	if (backup_run(argv, NULL, 1) != 0) {
		fprintf(stderr, "passionctl: restore: pg_restore cannot read "
		    "%s. Nothing was restored\n", dump);
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		if (!b->objects[i].copied)
			continue;
		snprintf(path, sizeof(path), "%s/objects/%s", b->dir,
		    b->objects[i].key);
		if (file_is(path, b->objects[i].size, b->objects[i].sha256)) {
			fprintf(stderr, "passionctl: restore: %s is missing or "
			    "its bytes differ from the manifest's. Nothing was "
			    "restored\n", path);
			return -1;
		}
	}
	return 0;
}

/*
 * A new epoch of the change feed: a client's cursor from before is of a
 * database that went on past the backup; it answers 409 and the client
 * starts again, rather than read past what the backup lacks. 0 or -1.
 */
static int
new_epoch(const struct config *cfg, struct backup *b)
{
	struct db	 db;
	int		 rc = 0;

	ctl_backup_init(cfg, &db);
	if (db_sync_epoch_new(&db, b->arena) != DB_OK) {
		fprintf(stderr, "passionctl: restore: the change feed's epoch "
		    "was not replaced (%s): run passionctl restore again into "
		    "an empty database\n", db.errstr);
		rc = -1;
	}
	db_cleanup(&db);
	return rc;
}

/*
 * pg_restore into the database, which must be empty, as the backup role:
 * it loads rows past row-level security, and as a member of the owner it
 * gives every object to passion_owner as the dump says. 0 or -1.
 */
static int
restore_db(const struct config *cfg, struct backup *b)
{
	struct db	 db;
	char		 dump[4096];
	long		 tables = -1;
	int		 rc = -1;
	char		*argv[] = { "pg_restore", "--single-transaction",
	    "--exit-on-error", "--no-password", "--dbname",
	    cfg->backup_database_url, dump, NULL };

	snprintf(dump, sizeof(dump), "%s/%s", b->dir, BACKUP_DUMP);
	ctl_backup_init(cfg, &db);
	if (db_restore_tables(&db, b->arena, &tables) != DB_OK)
		fprintf(stderr, "passionctl: restore: cannot connect as the "
		    "backup role (backup_database_url): %s\n", db.errstr);
	else if (tables != 0)
		fprintf(stderr, "passionctl: restore: the database has %ld "
		    "tables: a restore goes into an empty database "
		    "(docs/operations.md, \"Backup and restore\"). Nothing was "
		    "restored\n", tables);
	else {
		db_cleanup(&db);
		fprintf(stderr, "passionctl: restoring the database "
		    "(pg_restore, one transaction)\n");
		if (backup_run(argv, cfg->backup_database_password, 0) == 0)
			return new_epoch(cfg, b);
		fprintf(stderr, "passionctl: restore: pg_restore failed (above); "
		    "its one transaction was rolled back: the database is as "
		    "empty as it was\n");
		return -1;
	}
	db_cleanup(&db);
	return rc;
}

static int
by_key(const void *x, const void *y)
{
	return strcmp(((const struct backup_object *)x)->key,
	    ((const struct backup_object *)y)->key);
}

static int
by_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Every key in the store, sorted, into *keys (the arena): 0 or -1. */
static int
store_keys(struct storage *st, struct net *net, struct arena *a,
    const char ***keys, size_t *n)
{
	struct storage_listed	*items;
	const char		*token = NULL, *next = NULL;
	size_t			 count, i, cap = 0;

	*keys = NULL;
	*n = 0;
	do {
		if (storage_list(st, net, a, "", token, time(NULL), &items,
		    &count, &next) != STORAGE_OK)
			return -1;
		for (i = 0; i < count; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 1024;
				*keys = realloc(*keys, cap * sizeof(**keys));
				if (*keys == NULL)
					fatal("%s: out of memory", __func__);
			}
			(*keys)[(*n)++] = arena_strdup(a, items[i].key);
		}
		token = next;
	} while (next != NULL);
	if (*n > 0)
		qsort(*keys, *n, sizeof(**keys), by_str);
	return 0;
}

/* Put o back from the backup's copy: 0 or -1. */
static int
put_back(struct backup *b, struct storage *st, struct net *net,
    const struct backup_object *o, unsigned char *buf)
{
	struct storage_source	 src = { -1, 0, o->size, o->sha256, buf, PART,
	    NULL, NULL };
	char			 path[4096];
	enum storage_status	 s;

	snprintf(path, sizeof(path), "%s/objects/%s", b->dir, o->key);
	if ((src.fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	s = storage_put_fd(st, net, b->arena, &src, o->key,
	    "application/octet-stream");
	close(src.fd);
	return s == STORAGE_OK ? 0 : -1;
}

/* What the store has and the rows need, put back when copied. */
struct tally {
	size_t	 missing, put, orphans, needed;
};

/*
 * The manifest against the store's keys (both sorted): what no row
 * names is counted, what a row needs and the store lacks is marked
 * (missing) and its bytes counted into *put_bytes when the backup has
 * them.
 */
static void
compare(struct backup *b, const char **keys, size_t nkeys, struct tally *t,
    long long *put_bytes)
{
	size_t	 i = 0, k = 0;
	int	 c;

	while (i < b->n || k < nkeys) {
		c = i == b->n ? 1 : k == nkeys ? -1 :
		    strcmp(b->objects[i].key, keys[k]);
		if (c > 0 && t->orphans++ < SHOWN)
			fprintf(stderr, "no row names %s\n", keys[k]);
		if (c >= 0)
			k++;
		if (c > 0)
			continue;
		if (c < 0 && b->objects[i].expected) {
			b->objects[i].missing = 1;
			if (b->objects[i].copied)
				*put_bytes += b->objects[i].size;
		}
		t->needed += b->objects[i].expected;
		i++;
	}
}

/* The missing objects put back from the backup's copies, or named. */
static void
put_missing(struct backup *b, struct storage *st, struct net *net,
    struct tally *t, long long total)
{
	struct ctl_bar	 bar = { isatty(STDERR_FILENO), total, 0 };
	unsigned char	*buf = NULL;
	long long	 done = 0;
	size_t		 i;
	char		 what[64];

	for (i = 0; i < b->n; i++) {
		struct backup_object *o = &b->objects[i];

		if (!o->missing)
			continue;
		if (buf == NULL && (buf = malloc(PART)) == NULL)
			fatal("%s: out of memory", __func__);
		if (o->copied && put_back(b, st, net, o, buf) == 0) {
			t->put++;
			done += o->size;
			snprintf(what, sizeof(what), "%zu put back", t->put);
			ctl_bar_show(&bar, done, what);
		} else if (t->missing++ < SHOWN)
			fprintf(stderr, "%smissing in the store: %s\n",
			    bar.tty ? "\n" : "", o->key);
	}
	if (bar.tty && t->put > 0)
		fputc('\n', stderr);
	free(buf);
}

/* The manifest against the store; 0 when nothing a row needs is lost. */
static int
check_store(const struct config *cfg, struct backup *b)
{
	struct storage	 st;
	struct net	 net;
	struct tally	 t = { 0, 0, 0, 0 };
	const char	**keys;
	size_t		 nkeys;
	long long	 put_bytes = 0;

	if (*cfg->storage_endpoint == '\0') {
		printf("no store is configured: the %zu objects the rows name "
		    "were not checked\n", b->n);
		return 0;
	}
	storage_init(&st, cfg);
	net_init(&net, cfg->outbound_connect_timeout, cfg->outbound_timeout);
	if (store_keys(&st, &net, b->arena, &keys, &nkeys) != 0) {
		fprintf(stderr, "passionctl: restore: cannot list the store: "
		    "%s\n", st.errstr);
		net_cleanup(&net);
		return -1;
	}
	qsort(b->objects, b->n, sizeof(*b->objects), by_key);
	compare(b, keys, nkeys, &t, &put_bytes);
	free(keys);
	put_missing(b, &st, &net, &t, put_bytes);
	net_cleanup(&net);
	printf("the store: %zu objects the rows need, %zu put back from the "
	    "backup, %zu missing; %zu no row names (maintain removes them)\n",
	    t.needed, t.put, t.missing, t.orphans);
	return t.missing > 0 ? -1 : 0;
}

int
cmd_restore(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct backup		 b;
	struct arena		 a;
	int			 i, rc = 1;

	memset(&b, 0, sizeof(b));
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			b.dir = argv[++i];
		else
			return ctl_bad_arg("restore", argv[i]);
	if (b.dir == NULL)
		return ctl_bad_usage("restore", "--from DIR is needed", NULL);
	if ((cfg = ctl_conf(ctl)) == NULL)
		return ctl->rc;
	arena_init(&a, 64 * 1024);
	b.arena = &a;
	if (check_backup(&b) == 0 && restore_db(cfg, &b) == 0) {
		printf("restored the database from %s\n", b.dir);
		rc = check_store(cfg, &b) == 0 ? 0 : 1;
		if (rc != 0)
			fprintf(stderr, "passionctl: restore: objects the rows "
			    "need are missing (above): copy them back (rclone, "
			    "docs/operations.md), or those uploads are lost\n");
	}
	free(b.objects);
	arena_cleanup(&a);
	return rc;
}
