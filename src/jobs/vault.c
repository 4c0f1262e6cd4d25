/*
 * vault.c - the vault jobs: an import fetches its bundle from the store
 * into a temporary file, runs vault_import_run with progress written
 * (on a connection of its own, so the user sees it while the import's
 * transaction is open) and records the verdict; the bundle leaves the
 * store when the job ends. passionctl import runs the same code.
 *
 * The passphrase reaches the worker sealed with the jobs key in the
 * job's payload ("secret", dropped from the row when the job ends), is
 * opened here, and wiped when the import is over.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs/jobs.h"
#include "vault/vault.h"

#define AAD_PREFIX	"passiond vault import "
#define AAD_EXPORT	"passiond vault export "
#define PART_SIZE	(8 << 20)	/* an export's parts (R2: ≥ 5 MiB) */
#define META_MAX	(512LL << 20)	/* an export's metadata, bytes */
#define PROGRESS_MS	500	/* the row's progress, at least this often */

void
jobs_vault_limits(const struct config *cfg, struct vault_limits *l)
{
	l->bundle_max = cfg->vault_bundle_max;
	l->quota = cfg->storage_quota;
	l->audio_max = cfg->storage_audio_max;
	l->image_max = cfg->storage_image_max;
	l->entities_max = cfg->vault_entities_max;
	l->depth_max = (int)cfg->vault_json_depth;
	l->ratio_max = cfg->vault_zip_ratio;
	l->tmpdir = cfg->vault_tmpdir;
}

/* A vault job's payload: its row's id, and the passphrase sealed. */
static char *
payload(struct arena *a, const struct auth_keys *k, const char *what,
    const char *aad, const char *id, const char *passphrase)
{
	struct json_object	*o;
	char			*out;

	o = json_object_new_object();
	json_object_object_add(o, what, json_object_new_string(id));
	json_object_object_add(o, "secret", json_object_new_string(
	    jobs_secret_seal(a, k, arena_printf(a, "%s%s", aad, id),
	    passphrase)));
	out = arena_strdup(a, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

char *
jobs_vault_import_payload(struct arena *a, const struct auth_keys *k,
    const char *import_id, const char *passphrase)
{
	return payload(a, k, "import", AAD_PREFIX, import_id, passphrase);
}

/* The import's progress on the row, from its own connection. */
static void
track(void *ud, long long bytes, long long entities)
{
	struct jobs_vault_run	*r = ud;
	struct arena		 a;
	int64_t			 now = time_mono_ms();

	if (r->on_progress != NULL)
		r->on_progress(r->ud, bytes, entities);
	if (r->progress == NULL || now - r->last_progress < PROGRESS_MS)
		return;
	r->last_progress = now;
	arena_init(&a, 4096);
	if (db_tx_begin(r->progress, r->user_id) != DB_OK ||
	    db_vault_import_progress(r->progress, &a, r->import_id, bytes,
	    entities) != DB_OK || db_tx_commit(r->progress) != DB_OK) {
		db_tx_rollback(r->progress);
		log_warn("vault import %s: progress not recorded: %s",
		    r->import_id, r->progress->errstr);
	}
	arena_cleanup(&a);
}

enum vault_error
jobs_vault_import(struct jobs_vault_run *r, int fd, const char *passphrase)
{
	struct vault_import	 im;
	struct vault_limits	 lim;
	struct json_object	*res, *first;
	enum vault_error	 e;
	const char		*msg;
	enum db_status		 st;

	jobs_vault_limits(r->cfg, &lim);
	memset(&im, 0, sizeof(im));
	im.db = r->db;
	im.arena = r->arena;
	im.store = r->store;
	im.net = r->net;
	im.lim = &lim;
	im.user_id = r->user_id;
	im.import_id = r->import_id;
	im.passphrase = passphrase;
	im.progress = track;
	im.ud = r;
	vault_report_init(&im.report);
	e = vault_import_run(&im, fd);
	res = vault_report_json(&im.report);
	r->result = res;
	if (e == VAULT_OK || e == VAULT_UNAVAILABLE) {
		if (e == VAULT_UNAVAILABLE)
			snprintf(r->err, sizeof(r->err), "%s", im.err);
		vault_report_free(&im.report);
		return e;
	}
	first = json_object_array_get_idx(im.report.errors, 0);
	msg = first != NULL ? arena_printf(r->arena, "%s: %s",
	    json_object_get_string(json_object_object_get(first, "path")),
	    json_object_get_string(json_object_object_get(first, "message"))) :
	    vault_error_code(e);
	snprintf(r->err, sizeof(r->err), "%s", msg);
	st = db_tx_begin(r->db, r->user_id);
	if (st == DB_OK)
		st = db_vault_import_failed(r->db, r->arena, r->import_id,
		    vault_error_code(e), msg, json_object_to_json_string_ext(res,
		    JSON_C_TO_STRING_PLAIN));
	if (st == DB_OK)
		st = db_tx_commit(r->db);
	if (st != DB_OK) {
		db_tx_rollback(r->db);
		snprintf(r->err, sizeof(r->err), "recording the failure: %s",
		    r->db->errstr);
		e = VAULT_UNAVAILABLE;
	}
	vault_report_free(&im.report);
	return e;
}


/*
 * The vault_import job. Long (about 110 lines) on purpose: a verdict
 * already reached, the passphrase opened, the bundle fetched to a
 * temporary file, the import and its verdict, in the order they happen,
 * with one cleanup path that forgets the passphrase and the file.
 */
enum job_result
jobs_vault_import_run(struct jobs_ctx *ctx, struct json_object *payload,
    char *err, size_t errlen)
{
	struct arena		*a = &ctx->arena;
	struct jobs_vault_run	 r;
	struct json_object	*v;
	struct db_vault_job	 row;
	const char		*id = NULL, *secret = NULL, *key, *state;
	const char		*code = NULL;
	unsigned char		*pass = NULL;
	size_t			 pn = 0;
	long long		 size, got;
	enum storage_status	 ss;
	enum vault_error	 e = VAULT_OK;
	enum db_status		 st;
	int			 fd = -1;
	enum job_result		 res = JOB_RETRY;

	if (json_object_object_get_ex(payload, "import", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(payload, "secret", &v))
		secret = json_object_get_string(v);
	if (id == NULL || secret == NULL || ctx->job_user == NULL) {
		snprintf(err, errlen, "vault import job without its import, "
		    "secret or user");
		return JOB_FAIL;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = ctx->cfg;
	r.db = &ctx->db;
	r.progress = &ctx->progress;
	r.arena = a;
	r.store = &ctx->store;
	r.net = &ctx->store_net;
	r.user_id = ctx->job_user;
	r.import_id = id;
	/* Decided already (a run that died after its verdict)? */
	st = db_tx_begin(&ctx->db, r.user_id);
	if (st == DB_OK)
		st = db_vault_import_get(&ctx->db, a, r.user_id, id, 0, &row);
	db_tx_rollback(&ctx->db);
	if (st == DB_NOTFOUND)
		return JOB_DONE;	/* deleted meanwhile */
	if (st != DB_OK) {
		snprintf(err, errlen, "reading the import: %s",
		    ctx->db.errstr);
		return JOB_RETRY;
	}
	state = row.state;
	key = row.object_key;
	size = row.size;
	if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0) {
		code = db_row_text(&row.row, "errorCode");
		goto verdict;
	}
	pass = jobs_secret_open(a, &ctx->keys, arena_printf(a, AAD_PREFIX "%s",
	    id), secret, &pn);
	if (pass == NULL) {
		snprintf(err, errlen, "the sealed passphrase does not open "
		    "(was secret_key changed?)");
		return JOB_FAIL;
	}
	if ((fd = fd_temp(ctx->cfg->vault_tmpdir, "passion-bundle")) < 0) {
		snprintf(err, errlen, "%.200s: %s", ctx->cfg->vault_tmpdir,
		    strerror(errno));
		goto out;
	}
	ss = storage_get_fd(&ctx->store, &ctx->store_net, a, key, fd, size,
	    time(NULL), &got);
	if (ss == STORAGE_NOTFOUND) {
		/* Never uploaded, or gone: a verdict, not a retry. */
		r.result = NULL;
		st = db_tx_begin(&ctx->db, r.user_id);
		if (st == DB_OK)
			st = db_vault_import_failed(&ctx->db, a, id,
			    "corrupt_bundle", "the bundle is not in the store "
			    "(was it uploaded?)", NULL);
		if (st == DB_OK)
			st = db_tx_commit(&ctx->db);
		if (st != DB_OK) {
			db_tx_rollback(&ctx->db);
			snprintf(err, errlen, "%s", ctx->db.errstr);
			goto out;
		}
		snprintf(err, errlen, "import failed (corrupt_bundle): the "
		    "bundle is not in the store");
		res = JOB_DONE;
		goto out;
	}
	if (ss != STORAGE_OK || lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "fetching the bundle: %s",
		    ctx->store.errstr);
		goto out;
	}
	e = jobs_vault_import(&r, fd, (const char *)pass);
	json_object_put(r.result);
	if (e == VAULT_UNAVAILABLE) {
		snprintf(err, errlen, "%s", r.err);
		goto out;
	}
	log_info("vault import %s of user %s: %s%s%s", id, r.user_id,
	    e == VAULT_OK ? "done" : vault_error_code(e), e == VAULT_OK ? "" :
	    ": ", e == VAULT_OK ? "" : r.err);
	code = e == VAULT_OK ? NULL : vault_error_code(e);
verdict:
	/* The job's outcome is the import's verdict (passionctl jobs). */
	if (code == NULL)
		snprintf(err, errlen, "import done");
	else
		snprintf(err, errlen, "import failed (%s)%s%.400s", code,
		    e != VAULT_OK && r.err[0] ? ": " : "", e != VAULT_OK ?
		    r.err : "");
	/*
	 * The bundle's work is over, and it leaves the store, unless the
	 * import may be started again (vault_import_restartable): then it
	 * stays until it is, or is deleted, or ages out.
	 */
	if (!vault_import_restartable(code) && storage_delete(&ctx->store,
	    &ctx->store_net, a, key, time(NULL)) != STORAGE_OK &&
	    db_vault_forget_objects(&ctx->db, a, arena_printf(a,
	    "[\"%s\"]", key)) != DB_OK)
		log_warn("vault import %s: the bundle %s stays in the store: "
		    "%s", id, key, ctx->store.errstr);
	res = JOB_DONE;
out:
	if (pass != NULL)
		explicit_bzero(pass, pn);
	if (fd >= 0)
		close(fd);
	return res;
}

/* --- export --------------------------------------------------------- */

const char *
jobs_vault_device(struct arena *a, const char *user_id)
{
	char	*h = sha256_hex(a, user_id, strlen(user_id), NULL, 0);

	h[32] = '\0';
	return h;
}

char *
jobs_vault_export_payload(struct arena *a, const struct auth_keys *k,
    const char *export_id, const char *passphrase)
{
	return payload(a, k, "export", AAD_EXPORT, export_id, passphrase);
}

/* The zip on its way to the store: parts of PART_SIZE, as it comes. */
struct upload {
	struct jobs_ctx		*ctx;
	struct vault_export	*ex;
	const char		*key, *upload_id, *export_id;
	unsigned char		*buf;
	size_t			 len;
	struct storage_part	*parts;
	int			 nparts, cap;
	int64_t			 last_progress;
};

static int
upload_part(struct upload *u)
{
	struct jobs_ctx	*ctx = u->ctx;
	const char	*etag;

	if (u->nparts == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 64;
		u->parts = realloc(u->parts, (size_t)u->cap * sizeof(*u->parts));
		if (u->parts == NULL)
			fatal("realloc: out of memory");
	}
	if (storage_upload_part(&ctx->store, &ctx->store_net, &ctx->arena,
	    u->key, u->upload_id, u->nparts + 1, u->buf, u->len, time(NULL),
	    &etag) != STORAGE_OK) {
		snprintf(u->ex->err, sizeof(u->ex->err), "the store: %.200s",
		    ctx->store.errstr);
		return -1;
	}
	u->parts[u->nparts].number = u->nparts + 1;
	u->parts[u->nparts++].etag = etag;
	u->len = 0;
	return 0;
}

static int
upload_write(void *ud, const void *p, size_t n)
{
	struct upload	*u = ud;
	const char	*c = p;
	size_t		 take;

	while (n > 0) {
		take = PART_SIZE - u->len < n ? PART_SIZE - u->len : n;
		memcpy(u->buf + u->len, c, take);
		u->len += take;
		c += take;
		n -= take;
		if (u->len == PART_SIZE && upload_part(u) != 0)
			return -1;
	}
	return 0;
}

static void
upload_progress(void *ud, long long bytes, long long entities)
{
	struct upload	*u = ud;
	struct jobs_ctx	*ctx = u->ctx;
	struct arena	 a;
	int64_t		 now = time_mono_ms();

	if (now - u->last_progress < PROGRESS_MS)
		return;
	u->last_progress = now;
	arena_init(&a, 4096);
	if (db_tx_begin(&ctx->progress, ctx->job_user) != DB_OK ||
	    db_vault_export_progress(&ctx->progress, &a, u->export_id, bytes,
	    entities) != DB_OK || db_tx_commit(&ctx->progress) != DB_OK)
		db_tx_rollback(&ctx->progress);
	arena_cleanup(&a);
}

/* Record the export's end (done: size and result; else failed). */
static enum db_status
export_end(struct jobs_ctx *ctx, const char *id, enum vault_error e,
    long long size, struct vault_export *ex)
{
	struct arena		*a = &ctx->arena;
	struct json_object	*res;
	enum db_status		 st;

	st = db_tx_begin(&ctx->db, ctx->job_user);
	if (st == DB_OK && e == VAULT_OK) {
		res = vault_report_json(&ex->report);
		st = db_vault_export_done(&ctx->db, a, id, size, ex->entities,
		    arena_strdup(a,
		    json_object_to_json_string_ext(res,
		    JSON_C_TO_STRING_PLAIN)));
		json_object_put(res);
	} else if (st == DB_OK)
		st = db_vault_export_failed(&ctx->db, a, id,
		    vault_error_code(e), ex->err);
	if (st == DB_OK)
		st = db_tx_commit(&ctx->db);
	if (st != DB_OK)
		db_tx_rollback(&ctx->db);
	return st;
}

/*
 * The vault_export job. Long (about 120 lines) on purpose: one attempt
 * from the row's state to its verdict — a dead attempt's upload
 * aborted, the zip streamed to a multipart upload, then done or failed —
 * reads best in the order the store sees it, with one cleanup path.
 */
enum job_result
jobs_vault_export_run(struct jobs_ctx *ctx, struct json_object *payload,
    char *err, size_t errlen)
{
	struct arena		*a = &ctx->arena;
	struct vault_export	 ex;
	struct upload		 u;
	struct json_object	*v;
	struct db_vault_job	 row;
	const char		*id = NULL, *secret = NULL, *state, *old;
	unsigned char		*pass = NULL;
	size_t			 pn = 0;
	enum vault_error	 e;
	enum db_status		 st;
	enum job_result		 res = JOB_RETRY;

	if (json_object_object_get_ex(payload, "export", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(payload, "secret", &v))
		secret = json_object_get_string(v);
	if (id == NULL || secret == NULL || ctx->job_user == NULL) {
		snprintf(err, errlen, "vault export job without its export, "
		    "secret or user");
		return JOB_FAIL;
	}
	memset(&u, 0, sizeof(u));
	memset(&ex, 0, sizeof(ex));
	st = db_tx_begin(&ctx->db, ctx->job_user);
	if (st == DB_OK)
		st = db_vault_export_get(&ctx->db, a, ctx->job_user, id, 0, &row);
	db_tx_rollback(&ctx->db);
	if (st == DB_NOTFOUND)
		return JOB_DONE;
	if (st != DB_OK) {
		snprintf(err, errlen, "reading the export: %s", ctx->db.errstr);
		return JOB_RETRY;
	}
	state = row.state;
	if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)
		return JOB_DONE;
	u.key = row.object_key;
	old = row.upload_id;
	pass = jobs_secret_open(a, &ctx->keys, arena_printf(a, AAD_EXPORT "%s",
	    id), secret, &pn);
	if (pass == NULL) {
		snprintf(err, errlen, "the sealed passphrase does not open "
		    "(was secret_key changed?)");
		return JOB_FAIL;
	}
	/* A dead attempt's upload goes; this one starts afresh. */
	if (old != NULL && storage_multipart_abort(&ctx->store, &ctx->store_net,
	    a, u.key, old, time(NULL)) != STORAGE_OK) {
		snprintf(err, errlen, "%s", ctx->store.errstr);
		goto out;
	}
	if (storage_multipart_create(&ctx->store, &ctx->store_net, a, u.key,
	    "application/zip", time(NULL), &u.upload_id) != STORAGE_OK) {
		snprintf(err, errlen, "%s", ctx->store.errstr);
		goto out;
	}
	st = db_tx_begin(&ctx->db, ctx->job_user);
	if (st == DB_OK)
		st = db_vault_export_upload(&ctx->db, a, id, u.upload_id);
	if (st == DB_OK)
		st = db_tx_commit(&ctx->db);
	if (st != DB_OK) {
		db_tx_rollback(&ctx->db);
		snprintf(err, errlen, "%s", ctx->db.errstr);
		(void)storage_multipart_abort(&ctx->store, &ctx->store_net, a,
		    u.key, u.upload_id, time(NULL));
		goto out;
	}
	u.ctx = ctx;
	u.ex = &ex;
	u.export_id = id;
	if ((u.buf = malloc(PART_SIZE)) == NULL)
		fatal("malloc: out of memory");
	ex.db = &ctx->db;
	ex.arena = a;
	ex.store = &ctx->store;
	ex.net = &ctx->store_net;
	ex.user_id = ctx->job_user;
	ex.passphrase = (const char *)pass;
	ex.tmpdir = ctx->cfg->vault_tmpdir;
	ex.device_id = jobs_vault_device(a, ctx->job_user);
	ex.meta_max = META_MAX;
	ex.write = upload_write;
	ex.progress = upload_progress;
	ex.ud = &u;
	vault_report_init(&ex.report);
	e = vault_export_run(&ex);
	/* The last part (a zip is never empty), then the whole. */
	if (e == VAULT_OK && (upload_part(&u) != 0 ||
	    storage_multipart_complete(&ctx->store, &ctx->store_net, a, u.key,
	    u.upload_id, u.parts, (size_t)u.nparts, time(NULL)) !=
	    STORAGE_OK)) {
		if (ex.err[0] == '\0')
			snprintf(ex.err, sizeof(ex.err), "%.200s",
			    ctx->store.errstr);
		e = VAULT_UNAVAILABLE;
	}
	if (e != VAULT_OK)
		(void)storage_multipart_abort(&ctx->store, &ctx->store_net, a,
		    u.key, u.upload_id, time(NULL));
	if (e == VAULT_UNAVAILABLE) {
		snprintf(err, errlen, "%s", ex.err);
		vault_report_free(&ex.report);
		goto out;
	}
	st = export_end(ctx, id, e, ex.bytes, &ex);
	vault_report_free(&ex.report);
	if (st != DB_OK) {
		snprintf(err, errlen, "recording the end: %s", ctx->db.errstr);
		goto out;
	}
	log_info("vault export %s of user %s: %s (%lld bytes)", id,
	    ctx->job_user, e == VAULT_OK ? "done" : vault_error_code(e),
	    ex.bytes);
	res = JOB_DONE;
out:
	free(u.buf);
	free(u.parts);
	if (pass != NULL)
		explicit_bzero(pass, pn);
	return res;
}
