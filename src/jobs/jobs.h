/*
 * jobs.h - work that can wait (mail, blob removal, vault imports and
 * exports) leaves the request path through the jobs table. A jobs worker
 * (its process: server/worker_jobs.c) takes jobs with FOR UPDATE SKIP
 * LOCKED, sleeps on LISTEN passion_jobs, retries with back-off and
 * requeues what a dead worker left running. Delivery is at least once:
 * a job whose worker died mid-way runs again.
 */
#ifndef PASSION_JOBS_H
#define PASSION_JOBS_H

#include <stddef.h>

#include <json-c/json.h>

#include "auth/auth.h"
#include "conf/conf.h"
#include "db/db.h"
#include "net/net.h"
#include "storage/storage.h"
#include "vault/vault.h"

/* What one run of a job says. */
enum job_result {
	JOB_DONE,	/* finished */
	JOB_RETRY,	/* failed, may work later: back-off */
	JOB_FAIL	/* can never work: failed for good */
};

/* What a jobs worker keeps for its whole life. */
struct jobs_ctx {
	const struct config	*cfg;
	struct db		 db;
	struct net		 net;		/* SMTP */
	struct storage		 store;
	struct net		 store_net;	/* the store's timeouts */
	struct auth_keys	 keys;
	struct arena		 arena;	/* reset after each job */
	struct db		 progress;	/* a long job's progress */
	struct db_lane		 lane;		/* the kinds it takes */
	const char		*job_user;	/* the running job's user */
	unsigned long		 listened;	/* the link LISTENing (opens) */
	int64_t			 swept;		/* last requeue (monotonic) */
	int64_t			 counted;	/* last read of the queue */
	/* Told as a job starts (limit: its seconds, 0: job_timeout) and
	 * ends, for the process around it; may be NULL. */
	void			(*job_start)(void *ud, const char *kind,
				    long long id, long limit);
	void			(*job_end)(void *ud);
	void			*hook_ud;
};

/* The kinds' names, as the counts index them (util/stats.c); the last
 * index is "unknown"; NULL past the known ones. */
const char	*jobs_kind_name(size_t i);
/* The lane that runs kind i under cfg: "vault" or "jobs". */
const char	*jobs_kind_lane(size_t i, const struct config *cfg);

/* What to wait for before the next turn: fd readable (-1: none), ms. */
struct jobs_wait {
	int		 fd;
	long long	 ms;		/* 0: go again now */
};

/* One kind of job: its name in jobs.kind and what runs it. */
struct job_kind {
	const char	*name;
	enum job_result	(*run)(struct jobs_ctx *ctx,
			    struct json_object *payload, char *err,
			    size_t errlen);
};

/* A jobs worker's state; vault_only: the lane of vault jobs alone. */
void	 jobs_init(struct jobs_ctx *ctx, const struct config *cfg,
	    int vault_only);
/* One turn: a due job taken and run, or *w says what to wait for. */
void	 jobs_step(struct jobs_ctx *ctx, struct jobs_wait *w);
void	 jobs_cleanup(struct jobs_ctx *ctx);
/* Seconds to wait before attempt number attempts + 1 (doubling, capped). */
long	 jobs_backoff(const struct config *cfg, int attempts);

/* --- seal.c --- */

/*
 * A secret for a job's payload ("secret": dropped from the row when the
 * job ends), sealed with the jobs key and aad: base64url.
 */
const char *jobs_secret_seal(struct arena *a, const struct auth_keys *k,
	    const char *aad, const char *plain);
/* Open it: the plain bytes (len), or NULL (another key, tampered). */
unsigned char *jobs_secret_open(struct arena *a, const struct auth_keys *k,
	    const char *aad, const char *secret, size_t *len);

/* --- mail.c --- */

/*
 * The payload of a magic-link mail job: the address to deliver to (ASCII
 * domain), the address the link names, and the token sealed with the
 * jobs key, so a copy of the table holds no usable link.
 */
char	*jobs_mail_payload(struct arena *a, const struct auth_keys *k,
	    const char *deliver_to, const char *email, const char *token);
/* Run a mail job: open the token, build the link and the message, send. */
enum job_result	 jobs_mail_run(struct jobs_ctx *ctx,
	    struct json_object *payload, char *err, size_t errlen);

/* --- blobs.c --- */

/*
 * Remove the objects blob_deletions holds from the store (aborting their
 * multipart uploads), a batch at a time, until it is empty or a batch
 * had failures (counted on their rows, tried again later): *removed and
 * *failed set. 0, or -1 with err when the store or the database could
 * not be reached (nothing of that batch is forgotten).
 */
int	 jobs_blob_drain(struct db *db, struct storage *s, struct net *n,
	    struct arena *a, long *removed, long *failed, char *err,
	    size_t errlen);
/* The blob_delete job: jobs_blob_drain. */
enum job_result	 jobs_blob_delete_run(struct jobs_ctx *ctx,
	    struct json_object *payload, char *err, size_t errlen);

/* What a sweep found. */
struct jobs_blob_sweep {
	long	 stale;		/* blobs left pending past the age */
	long	 orphans;	/* objects with no row, queued */
};
/*
 * In the user's transaction: drop the user's blobs pending for more than
 * age seconds, and queue for removal the objects under the user's audio/
 * and images/ prefixes older than that which no blob row names
 * (ListObjectsV2). Adds to *out. 0, or -1 with err.
 */
int	 jobs_blob_sweep_user(struct db *db, struct storage *s, struct net *n,
	    struct arena *a, const char *user_id, long age,
	    struct jobs_blob_sweep *out, char *err, size_t errlen);

/* --- vault.c --- */

/* The import limits of cfg. */
void	 jobs_vault_limits(const struct config *cfg, struct vault_limits *l);
/* The payload of a vault import job: the passphrase sealed. */
char	*jobs_vault_import_payload(struct arena *a, const struct auth_keys *k,
	    const char *import_id, const char *passphrase);

/* One import, as the job and passionctl run it. */
struct jobs_vault_run {
	const struct config	*cfg;
	struct db		*db;
	struct db		*progress;	/* NULL: no progress on the row */
	struct arena		*arena;
	struct storage		*store;
	struct net		*net;
	const char		*user_id;
	const char		*import_id;
	/* Also told of progress (passionctl's bar), may be NULL. */
	void			(*on_progress)(void *ud, long long bytes,
				    long long entities);
	void			*ud;
	int64_t			 last_progress;
	struct json_object	*result;	/* the report (caller puts) */
	char			 err[512];	/* why, when not done */
};

/*
 * Import the bundle in fd: done (the row marked in the import's
 * transaction), or a verdict recorded on the row (the code returned, its
 * first error in r->err), or VAULT_UNAVAILABLE with nothing recorded.
 */
enum vault_error jobs_vault_import(struct jobs_vault_run *r, int fd,
	    const char *passphrase);
/* The vault_import job. */
enum job_result	 jobs_vault_import_run(struct jobs_ctx *ctx,
	    struct json_object *payload, char *err, size_t errlen);

/* The deviceId of a user's exports (32 hex digits, the same each time). */
const char *jobs_vault_device(struct arena *a, const char *user_id);
/* The payload of a vault export job: the passphrase sealed. */
char	*jobs_vault_export_payload(struct arena *a, const struct auth_keys *k,
	    const char *export_id, const char *passphrase);
/* The vault_export job: the zip written to the store, multipart. */
enum job_result	 jobs_vault_export_run(struct jobs_ctx *ctx,
	    struct json_object *payload, char *err, size_t errlen);

#endif
