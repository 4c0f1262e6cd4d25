/*
 * backup.c - passionctl backup: the database and a manifest of the
 * objects its rows name, read in one snapshot (the backup role exports it
 * and pg_dump -Fc imports it), into a new directory; with --objects the
 * objects themselves too, through the store client. The manifest is
 * written last, with the dump's size and SHA-256, so that a backup that
 * did not finish, or a dump cut short, is refused by restore (restore.c).
 * What a backup holds and what it cannot: docs/operations.md.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl/backup.h"
#include "ctl/ctl.h"
#include "db/admin.h"
#include "storage/storage.h"
#include "util/util.h"

int
backup_run(char *const argv[], const char *password, int quiet)
{
	pid_t	 pid;
	int	 status, fd;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* libpq reads it; the command line would show it. */
		if (password != NULL && *password != '\0')
			setenv("PGPASSWORD", password, 1);
		setenv("PGAPPNAME", "passionctl", 1);
		if (quiet && (fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "passionctl: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

int
backup_mkdirs(const char *dir, const char *path)
{
	char	 p[4096];
	size_t	 i, n = strlen(dir);

	if (snprintf(p, sizeof(p), "%s/%s", dir, path) >= (int)sizeof(p))
		return -1;
	for (i = n + 1; p[i] != '\0'; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST)
				return -1;
			p[i] = '/';
		}
	return 0;
}

int
backup_key_ok(const char *key)
{
	/* A key is a path below objects/: no "..", no absolute path. */
	return *key != '\0' && *key != '/' && strstr(key, "..") == NULL &&
	    strstr(key, "//") == NULL;
}

static void
object_add(void *ud, const struct db_object *o)
{
	struct backup	*b = ud;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->objects = realloc(b->objects, b->cap * sizeof(*b->objects));
		if (b->objects == NULL)
			fatal("%s: out of memory", __func__);
	}
	memset(&b->objects[b->n], 0, sizeof(b->objects[b->n]));
	b->objects[b->n].key = arena_strdup(b->arena, o->key);
	b->objects[b->n].sha256 = arena_strdup(b->arena, o->sha256);
	b->objects[b->n].source = arena_strdup(b->arena, o->source);
	b->objects[b->n].size = o->size;
	b->objects[b->n].expected = o->expected;
	b->n++;
}

/* pg_dump of the snapshot, and the objects its rows name: 0 or -1. */
static int
dump(const struct config *cfg, struct backup *b)
{
	struct db	 db;
	const char	*snap;
	char		 file[4096], opt[128];
	int		 all = 0, rc = -1;
	char		*argv[] = { "pg_dump", "--format=custom", "--no-password",
	    opt, "--file", file, "--dbname", cfg->backup_database_url, NULL };

	ctl_backup_init(cfg, &db);
	if (db_backup_can_read_all(&db, b->arena, &all) != DB_OK) {
		fprintf(stderr, "passionctl: backup: cannot connect as the "
		    "backup role (backup_database_url): %s\n", db.errstr);
		goto out;
	}
	if (!all) {
		fprintf(stderr, "passionctl: backup: the backup role cannot "
		    "read every user's rows past row-level security: it needs "
		    "BYPASSRLS (docs/operations.md, \"Backup and restore\")\n");
		goto out;
	}
	if (db_backup_begin(&db, b->arena, &snap) != DB_OK) {
		fprintf(stderr, "passionctl: backup: %s\n", db.errstr);
		goto out;
	}
	snprintf(opt, sizeof(opt), "--snapshot=%s", snap);
	snprintf(file, sizeof(file), "%s/%s", b->dir, BACKUP_DUMP);
	fprintf(stderr, "passionctl: dumping the database (pg_dump -Fc)\n");
	if (backup_run(argv, cfg->backup_database_password, 0) != 0)
		fprintf(stderr, "passionctl: backup: pg_dump failed\n");
	else if (db_backup_objects(&db, b->arena, object_add, b) != DB_OK)
		fprintf(stderr, "passionctl: backup: %s\n", db.errstr);
	else
		rc = 0;
	db_tx_rollback(&db);
out:
	db_cleanup(&db);
	return rc;
}

/* Object o from the store to objects/KEY, its bytes checked: 0 or -1. */
static int
copy_object(struct backup *b, struct storage *st, struct net *net,
    struct backup_object *o)
{
	char		 path[4096], hex[65];
	long long	 got = 0, size = 0;
	int		 fd;

	st->errstr[0] = '\0';
	snprintf(path, sizeof(path), "objects/%s", o->key);
	if (!backup_key_ok(o->key) || backup_mkdirs(b->dir, path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/objects/%s", b->dir, o->key);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if (storage_get_fd(st, net, b->arena, o->key, fd, o->size + 1,
	    time(NULL), &got) != STORAGE_OK || got != o->size ||
	    lseek(fd, 0, SEEK_SET) != 0 || sha256_fd(fd, hex, &size) != 0 ||
	    (o->sha256 != NULL && strcmp(hex, o->sha256) != 0) ||
	    fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	if (o->sha256 == NULL)
		o->sha256 = arena_strdup(b->arena, hex);
	o->copied = 1;
	return 0;
}

/* Every object the rows say is there, with progress: how many failed. */
static size_t
copy_objects(const struct config *cfg, struct backup *b)
{
	struct storage	 st;
	struct net	 net;
	struct ctl_bar	 bar = { isatty(STDERR_FILENO), 0, 0 };
	long long	 done = 0;
	size_t		 i, failed = 0;
	char		 what[64];

	if (backup_mkdirs(b->dir, "objects/") != 0)
		return b->n;
	storage_init(&st, cfg);
	net_init(&net, cfg->outbound_connect_timeout, cfg->outbound_timeout);
	for (i = 0; i < b->n; i++)
		bar.total += b->objects[i].expected ? b->objects[i].size : 0;
	for (i = 0; i < b->n; i++) {
		struct backup_object *o = &b->objects[i];

		if (!o->expected)
			continue;
		if (copy_object(b, &st, &net, o) != 0) {
			fprintf(stderr, "%spassionctl: backup: %s: not copied: "
			    "%s\n", bar.tty ? "\n" : "", o->key,
			    st.errstr[0] ? st.errstr : "its bytes differ");
			failed++;
		}
		done += o->size;
		snprintf(what, sizeof(what), "%zu of %zu objects", i + 1, b->n);
		ctl_bar_show(&bar, done, what);
	}
	if (bar.tty)
		fputc('\n', stderr);
	net_cleanup(&net);
	return failed;
}

/* manifest.json, written to a temporary name and moved: 0 or -1. */
static int
write_manifest(struct backup *b, const char *dump_sha, long long dump_size)
{
	struct json_object	*m = json_object_new_object(), *d, *list, *o;
	char			 tmp[4096], path[4096], at[32];
	size_t			 i;
	FILE			*f;
	int			 rc;

	time_iso8601(time_wall_ms(), at, sizeof(at));
	json_object_object_add(m, "format", json_object_new_string(
	    BACKUP_FORMAT));
	json_object_object_add(m, "version", json_object_new_int(1));
	json_object_object_add(m, "passiond", json_object_new_string(
	    PACKAGE_VERSION));
	json_object_object_add(m, "created_at", json_object_new_string(at));
	d = json_object_new_object();
	json_object_object_add(d, "file", json_object_new_string(BACKUP_DUMP));
	json_object_object_add(d, "bytes", json_object_new_int64(dump_size));
	json_object_object_add(d, "sha256", json_object_new_string(dump_sha));
	json_object_object_add(m, "database", d);
	json_object_object_add(m, "objects_copied",
	    json_object_new_boolean(b->with_objects));
	list = json_object_new_array();
	for (i = 0; i < b->n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(
		    b->objects[i].key));
		json_object_object_add(o, "bytes", json_object_new_int64(
		    b->objects[i].size));
		json_object_object_add(o, "sha256", b->objects[i].sha256 ?
		    json_object_new_string(b->objects[i].sha256) : NULL);
		json_object_object_add(o, "table", json_object_new_string(
		    b->objects[i].source));
		json_object_object_add(o, "expected", json_object_new_boolean(
		    b->objects[i].expected));
		json_object_object_add(o, "copied", json_object_new_boolean(
		    b->objects[i].copied));
		json_object_array_add(list, o);
	}
	json_object_object_add(m, "objects", list);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", b->dir, BACKUP_MANIFEST);
	snprintf(path, sizeof(path), "%s/%s", b->dir, BACKUP_MANIFEST);
	rc = (f = fopen(tmp, "we")) == NULL ? -1 : 0;
	if (f != NULL) {
		rc |= fputs(json_object_to_json_string_ext(m,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
		    f) < 0 ? -1 : 0;
		rc |= fflush(f) != 0 || fsync(fileno(f)) != 0 ? -1 : 0;
		rc |= fclose(f) != 0 ? -1 : 0;
	}
	json_object_put(m);
	return rc == 0 ? rename(tmp, path) : -1;
}

int
backup_dir_entries(const char *dir)
{
	struct dirent	*e;
	DIR		*d = opendir(dir);
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* DIR made for this backup (0700), or there and empty: 0 or -1. */
static int
fresh_dir(const char *dir)
{
	struct stat	 sb;
	int		 n;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "passionctl: backup: cannot make %s: %s\n", dir,
		    errno == EEXIST ? "it is not a directory" : strerror(errno));
		return -1;
	}
	n = backup_dir_entries(dir);
	if (n != 0) {
		fprintf(stderr, "passionctl: backup: %s is not empty: a backup "
		    "goes into a directory of its own\n", dir);
		return -1;
	}
	return 0;
}

int
cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct backup		 b;
	struct arena		 a;
	char			 path[4096], hex[65];
	long long		 size = 0;
	size_t			 failed = 0;
	int			 i, fd, rc = 1;

	memset(&b, 0, sizeof(b));
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			b.dir = argv[++i];
		else if (strcmp(argv[i], "--objects") == 0)
			b.with_objects = 1;
		else
			return ctl_bad_arg("backup", argv[i]);
	if (b.dir == NULL)
		return ctl_bad_usage("backup", "--to DIR is needed", NULL);
	if ((cfg = ctl_conf(ctl)) == NULL)
		return ctl->rc;
	if (fresh_dir(b.dir) != 0)
		return 1;
	arena_init(&a, 64 * 1024);
	b.arena = &a;
	if (dump(cfg, &b) != 0)
		goto out;
	if (b.with_objects)
		failed = copy_objects(cfg, &b);
	snprintf(path, sizeof(path), "%s/%s", b.dir, BACKUP_DUMP);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    sha256_fd(fd, hex, &size) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "passionctl: backup: %s: %s\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	close(fd);
	if (write_manifest(&b, hex, size) != 0) {
		fprintf(stderr, "passionctl: backup: %s/%s: %s\n", b.dir,
		    BACKUP_MANIFEST, strerror(errno));
		goto out;
	}
	printf("backup in %s: the database (%lld bytes); objects the rows "
	    "name: %zu, %s\n", b.dir, size, b.n, b.with_objects ? "copied" :
	    "not copied (--objects, or rclone: docs/operations.md)");
	if (failed > 0)
		fprintf(stderr, "passionctl: backup: %zu objects could not be "
		    "copied (above); the manifest says which\n", failed);
	rc = failed > 0;
out:
	free(b.objects);
	arena_cleanup(&a);
	return rc;
}
