/*
 * vault.c - passionctl import and export: a vault bundle into a user's
 * account, or everything of theirs out to a file, in the foreground with
 * progress.
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
#include "auth/auth.h"
#include "ctl/ctl.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util/util.h"

static void
bar_show(void *ud, long long bytes, long long entities)
{
	char	 what[48];

	snprintf(what, sizeof(what), "%lld entities", entities);
	ctl_bar_show(ud, bytes, what);
}

/* The passphrase: from a file (its first line), the environment, or asked. */
static char *
passphrase(const char *file)
{
	char	 line[1024], *p;
	FILE	*f;

	if (file != NULL) {
		if ((f = fopen(file, "r")) == NULL)
			return NULL;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		if (p == NULL)
			return NULL;
	} else if ((p = getenv("PASSION_VAULT_PASSPHRASE")) != NULL) {
		snprintf(line, sizeof(line), "%s", p);
	} else {
		if ((p = getpass("vault passphrase: ")) == NULL)
			return NULL;
		snprintf(line, sizeof(line), "%s", p);
		explicit_bzero(p, strlen(p));
	}
	line[strcspn(line, "\r\n")] = '\0';
	p = strdup(line);
	explicit_bzero(line, sizeof(line));
	return p;
}

/* The id of the user with email, or NULL (said). */
static const char *
user_of(struct db *db, struct arena *a, const char *email)
{
	struct db_user	 u;
	const char	*e = auth_email_normalize(a, email);

	if (e == NULL || db_user_by_email(db, a, e, &u) != DB_OK) {
		fprintf(stderr, "passionctl: %s: no such user (%s)\n", email,
		    db->errstr[0] ? db->errstr : "not found");
		return NULL;
	}
	return u.id;
}

/* What an import says, on stdout: per kind, then the errors. */
static void
print_result(struct json_object *res)
{
	struct json_object	*kinds, *errors, *warnings;
	size_t			 i;

	if (res == NULL)
		return;
	kinds = json_object_object_get(res, "kinds");
	json_object_object_foreach(kinds, kind, counts) {
		printf("%s:", kind);
		json_object_object_foreach(counts, what, n)
			printf(" %s %lld", what, (long long)
			    json_object_get_int64(n));
		printf("\n");
	}
	errors = json_object_object_get(res, "errors");
	for (i = 0; i < json_object_array_length(errors); i++) {
		struct json_object *e = json_object_array_get_idx(errors, i);

		printf("error: %s: %s\n", json_object_get_string(
		    json_object_object_get(e, "path")), json_object_get_string(
		    json_object_object_get(e, "message")));
	}
	warnings = json_object_object_get(res, "warnings");
	printf("warnings: %lld\n", (long long)json_object_get_int64(
	    json_object_object_get(res, "warningCount")));
	for (i = 0; i < json_object_array_length(warnings) && i < 5; i++) {
		struct json_object *e = json_object_array_get_idx(warnings, i);

		printf("warning: %s: %s\n", json_object_get_string(
		    json_object_object_get(e, "path")), json_object_get_string(
		    json_object_object_get(e, "message")));
	}
}

/*
 * passionctl import. Long (about 100 lines): its options, the user, the
 * import's row and the run with its progress bar, in the order a reader
 * of its output meets them.
 */
int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct jobs_vault_run	 r;
	struct db		 db;
	struct arena		 a;
	struct storage		 store;
	struct net		 net;
	struct ctl_bar		 b;
	struct stat		 sb;
	const char		*file = NULL, *email = NULL, *pfile = NULL;
	const char		*uid, *slash;
	char			 id[37], *pass = NULL;
	enum vault_error	 e;
	int			 i, fd = -1, rc = 1, over;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc)
			pfile = argv[++i];
		else if (file == NULL && argv[i][0] != '-')
			file = argv[i];
		else
			return ctl_bad_arg("import", argv[i]);
	}
	if (file == NULL || email == NULL)
		return ctl_bad_usage("import", file == NULL ? "needs a FILE" :
		    "needs --user EMAIL", NULL);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	if ((fd = open(file, O_RDONLY)) < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "passionctl: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if ((pass = passphrase(pfile)) == NULL) {
		fprintf(stderr, "passionctl: no passphrase\n");
		close(fd);
		return 1;
	}
	ctl_open(cfg, &db, &a, &store, &net);
	memset(&b, 0, sizeof(b));
	b.tty = isatty(STDERR_FILENO);
	b.total = (long long)sb.st_size;
	if ((uid = user_of(&db, &a, email)) == NULL)
		goto out;
	uuid_new(id);
	slash = strrchr(file, '/');
	if (db_tx_begin(&db, uid) != DB_OK ||
	    db_vault_import_create(&db, &a, uid, id, arena_printf(&a, "%.255s",
	    slash ? slash + 1 : file), (long long)sb.st_size, arena_printf(&a,
	    "%s/imports/%s.vault", uid, id), "running", 0, &over) != DB_OK ||
	    db_tx_commit(&db) != DB_OK) {
		db_tx_rollback(&db);
		fprintf(stderr, "passionctl: import: %s\n", db.errstr);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.db = &db;
	r.arena = &a;
	r.store = &store;
	r.net = &net;
	r.user_id = uid;
	r.import_id = id;
	r.on_progress = bar_show;
	r.ud = &b;
	printf("import %s of %s for %s\n", id, file, email);
	fflush(stdout);
	e = jobs_vault_import(&r, fd, pass);
	b.last = 0;
	if (b.tty)
		fprintf(stderr, "\n");
	print_result(r.result);
	json_object_put(r.result);
	if (e == VAULT_OK) {
		printf("imported\n");
		rc = 0;
	} else if (e == VAULT_UNAVAILABLE) {
		fprintf(stderr, "passionctl: import: %s (nothing written; try "
		    "again)\n", r.err);
		/* The row says so too. */
		if (db_tx_begin(&db, uid) != DB_OK || db_vault_import_failed(&db,
		    &a, id, "unavailable", r.err, NULL) != DB_OK ||
		    db_tx_commit(&db) != DB_OK)
			db_tx_rollback(&db);
	} else
		printf("refused: %s: %s\n", vault_error_code(e), r.err);
out:
	explicit_bzero(pass, strlen(pass));
	free(pass);
	close(fd);
	ctl_close(&db, &a, &net);
	return rc;
}

/* An export's zip into a file. */
struct file_sink {
	int		 fd;
	struct ctl_bar	*bar;
	char		*err;
	size_t		 errlen;
};

static int
file_write(void *ud, const void *p, size_t n)
{
	struct file_sink	*f = ud;

	if (fd_write_all(f->fd, p, n) != 0) {
		snprintf(f->err, f->errlen, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
file_progress(void *ud, long long bytes, long long entities)
{
	struct file_sink	*f = ud;

	bar_show(f->bar, bytes, entities);
}

/*
 * passionctl export. Long (about 90 lines), as import: options, user,
 * the export streamed to a file with its progress bar.
 */
int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct vault_export	 ex;
	struct file_sink	 fs;
	struct db		 db;
	struct arena		 a;
	struct storage		 store;
	struct net		 net;
	struct ctl_bar		 b;
	const char		*email = NULL, *out = NULL, *pfile = NULL, *uid;
	char			*pass = NULL, tmp[4096];
	enum vault_error	 e;
	int			 i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc)
			pfile = argv[++i];
		else
			return ctl_bad_arg("export", argv[i]);
	}
	if (email == NULL || out == NULL)
		return ctl_bad_usage("export", email == NULL ? "needs --user EMAIL" :
		    "needs -o FILE", NULL);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	if ((pass = passphrase(pfile)) == NULL || *pass == '\0') {
		fprintf(stderr, "passionctl: no passphrase\n");
		free(pass);
		return 1;
	}
	if (vault_passphrase_weak(pass, tmp, sizeof(tmp))) {
		fprintf(stderr, "passionctl: export: %s\n", tmp);
		explicit_bzero(pass, strlen(pass));
		free(pass);
		return 1;
	}
	/* Written beside, renamed when whole: never half a file at out. */
	snprintf(tmp, sizeof(tmp), "%s.partial", out);
	memset(&fs, 0, sizeof(fs));
	if ((fs.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "passionctl: %s: %s\n", tmp, strerror(errno));
		free(pass);
		return 1;
	}
	ctl_open(cfg, &db, &a, &store, &net);
	memset(&b, 0, sizeof(b));
	b.tty = isatty(STDERR_FILENO);
	if ((uid = user_of(&db, &a, email)) == NULL)
		goto out;
	memset(&ex, 0, sizeof(ex));
	fs.bar = &b;
	fs.err = ex.err;
	fs.errlen = sizeof(ex.err);
	ex.db = &db;
	ex.arena = &a;
	ex.store = &store;
	ex.net = &net;
	ex.user_id = uid;
	ex.passphrase = pass;
	ex.tmpdir = cfg->vault_tmpdir;
	ex.device_id = jobs_vault_device(&a, uid);
	ex.meta_max = 512LL << 20;
	ex.write = file_write;
	ex.progress = file_progress;
	ex.ud = &fs;
	vault_report_init(&ex.report);
	e = vault_export_run(&ex);
	if (b.tty)
		fprintf(stderr, "\n");
	if (e == VAULT_OK && (fsync(fs.fd) != 0 || rename(tmp, out) != 0)) {
		snprintf(ex.err, sizeof(ex.err), "%s: %s", out,
		    strerror(errno));
		e = VAULT_UNAVAILABLE;
	}
	if (e == VAULT_OK) {
		struct json_object *res = vault_report_json(&ex.report);

		print_result(res);
		json_object_put(res);
		printf("exported %lld bytes to %s\n", ex.bytes, out);
		rc = 0;
	} else
		fprintf(stderr, "passionctl: export: %s: %s\n",
		    vault_error_code(e), ex.err);
	vault_report_free(&ex.report);
out:
	close(fs.fd);
	if (rc != 0)
		unlink(tmp);
	explicit_bzero(pass, strlen(pass));
	free(pass);
	ctl_close(&db, &a, &net);
	return rc;
}
