/*
 * util.h - arena, bounded buffers, logging, time, encodings (base64url,
 * hex, SHA-256, UUIDs) and small string helpers.
 *
 * Everything here is free of libfcgi, libpq and json-c (libcrypto only for
 * the encodings); it is the floor the other rooms stand on.
 */
#ifndef PASSION_UTIL_H
#define PASSION_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Arena: request-scoped memory, freed all at once by arena_reset. */
struct arena_block;
struct arena_defer;
struct arena {
	struct arena_block	*head;
	struct arena_defer	*defers;
	size_t			 block_size;
	size_t			 total;
};

/* Prepare an empty arena whose blocks are at least block_size bytes. */
void		 arena_init(struct arena *a, size_t block_size);
/* Run deferred cleanups (last first) and free every block. */
void		 arena_cleanup(struct arena *a);
/* Like cleanup, but keep the first block for the next request. */
void		 arena_reset(struct arena *a);
/* n bytes, aligned for any type; aborts with a log line when out of memory. */
void		*arena_alloc(struct arena *a, size_t n);
/* n zeroed bytes. */
void		*arena_calloc(struct arena *a, size_t n);
/* Copy of s (NULL stays NULL). */
char		*arena_strdup(struct arena *a, const char *s);
/* Copy of the first n bytes of s, NUL-terminated. */
char		*arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char		*arena_printf(struct arena *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Call fn(p) when the arena is reset or cleaned up (LIFO). */
void		 arena_defer(struct arena *a, void (*fn)(void *), void *p);

/* Growable byte buffer with a hard cap; past the cap appends fail. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	size_t	 cap;
};

/* Empty buffer that never grows past cap bytes. */
void		 buf_init(struct buf *b, size_t cap);
void		 buf_cleanup(struct buf *b);
/* Append n bytes; -1 (and nothing appended) when the cap would be passed. */
int		 buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string; -1 past the cap. */
int		 buf_puts(struct buf *b, const char *s);
int		 buf_putc(struct buf *b, char c);
/* printf-append; -1 past the cap. */
int		 buf_printf(struct buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * The Prometheus text format (util/metrics.c). Each appends to b and
 * returns -1 past its cap. metrics_family: the HELP and TYPE lines.
 * metrics_label: key="value" (escaped), after a comma unless b ends in
 * '{' or is empty: build a label list in a buffer of its own.
 * metrics_sample: name{labels} value (labels may be NULL).
 * metrics_histogram: counts[0..n] are per bucket (counts[n] above the
 * last bound), written cumulative with le labels, then _sum and _count.
 */
int		 metrics_family(struct buf *b, const char *name,
		    const char *type, const char *help);
int		 metrics_label(struct buf *b, const char *key, const char *value);
int		 metrics_sample(struct buf *b, const char *name,
		    const char *labels, double v);
int		 metrics_histogram(struct buf *b, const char *name,
		    const char *labels, const double *bounds,
		    const uint64_t *counts, size_t n, double sum);

/*
 * What one process counts (util/stats.c), in the slot of memory its
 * master shares with it; outside a worker, into a private one. Each
 * slot has one writer, so a count is a relaxed atomic add and the
 * request path takes no lock. Everything before `live` only grows: the
 * master folds a dead worker's counts into its retired total. The
 * owners of what is counted name the indexes (routes: api/, store
 * operations: storage/, job kinds: jobs/) within these sizes.
 */
#define STATS_ROUTES	160	/* route tables' rows, and one for none */
#define STATS_CLASSES	4	/* 2xx 3xx 4xx 5xx */
#define STATS_BOUNDS	13	/* histogram bounds: stats_bounds */
#define STATS_STORE_OPS	12
#define STATS_OUTCOMES	5	/* enum storage_status */
#define STATS_PRESIGNS	3	/* GET, PUT, HEAD */
#define STATS_KINDS	8	/* job kinds */
enum stats_db_error { STATS_DB_TIMEOUT, STATS_DB_UNAVAILABLE, STATS_DB_OTHER,
	STATS_DB_ERRORS };
struct stats_hist {
	uint64_t	 counts[STATS_BOUNDS + 1];	/* the last: +Inf */
	uint64_t	 sum_us;
};
struct stats {
	uint64_t		 accepted;	/* connections */
	uint64_t		 read_timeouts;	/* peers dropped at read_timeout */
	uint64_t		 requests[STATS_ROUTES][STATS_CLASSES];
	struct stats_hist	 duration[STATS_ROUTES];
	uint64_t		 db_reconnects;
	uint64_t		 db_errors[STATS_DB_ERRORS];
	struct stats_hist	 db_duration;	/* per round trip */
	uint64_t		 store_calls[STATS_STORE_OPS][STATS_OUTCOMES];
	struct stats_hist	 store_duration;
	uint64_t		 presigns[STATS_PRESIGNS];
	uint64_t		 jobs_done[STATS_KINDS];
	uint64_t		 jobs_failed[STATS_KINDS];
	/* Gauges, not folded: what this process saw last. */
	struct stats_live {
		int64_t		 db_ok_ms;	/* last answer from the server */
		int64_t		 db_fail_ms;	/* last failure to reach it */
		int64_t		 queue_ms;	/* when the job queue was read */
		int64_t		 queued[STATS_KINDS];
		int64_t		 oldest_due_s[STATS_KINDS];	/* -1: none */
	}			 live;
};
/* Histograms' upper bounds in seconds (Prometheus' le). */
extern const double	 stats_bounds[STATS_BOUNDS];
/* This process's counts (a private struct until stats_use). */
extern struct stats	*stats_mine;
/* Count into s from now on (a worker: its slot's). */
void		 stats_use(struct stats *s);
/* Add one to a counter of stats_mine's. */
static inline void
stats_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}
/* Record a duration of us microseconds in h. */
void		 stats_observe(struct stats_hist *h, int64_t us);
/* The status class index of an HTTP status (1xx counts as 2xx). */
int		 stats_class(int status);
/* dst += src, counters only (the part before live). */
void		 stats_fold(struct stats *dst, const struct stats *src);
/* db/: at now_ms, the server answered (ok 1) or could not be reached. */
void		 stats_db_seen(int ok, int64_t now_ms);

/* Log levels, in order of severity. */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the least severe level that is written (default LOG_INFO). */
void		 log_set_level(enum log_level lvl);
/* Parse "debug", "info", "warn" or "error"; -1 when unknown. */
int		 log_level_parse(const char *s);
/*
 * Write an identical warning or error at most once per interval_ms; the
 * next one written carries repeated=N (0 turns collapsing off). Default
 * 10 s on the monotonic clock; clock (NULL: that one) is for tests.
 */
void		 log_set_collapse(int64_t interval_ms, int64_t (*clock)(void));
/* Write the counts of lines still held back, and held lines (at exit). */
void		 log_flush(void);
/*
 * Lines held in memory that another process can read (a worker's slot,
 * which its master writes out if the worker dies): whole lines only,
 * at most PIPE_BUF bytes, so one write(2) of them stays whole on a pipe.
 */
#define LOG_HELD_MAX	4096
struct log_held {
	size_t		 len;		/* bytes of data[] that are lines */
	char		 data[LOG_HELD_MAX];
};
/*
 * From now on keep lines in h rather than writing each at once (NULL:
 * write at once again); a line that does not fit writes out the held
 * ones first, and none is held longer than a second. A request worker
 * holds its lines while more requests wait and writes them when it would
 * wait (one write(2) for many requests).
 */
void		 log_hold(struct log_held *h);
/* 1 when lines are held. */
int		 log_holding(void);
/* Write the held lines out now. */
void		 log_release(void);
/*
 * Write out the lines a dead process held in h (the master, for a worker
 * it reaped). A process killed between its write and its reset leaves
 * them twice in the log: a repeat, never a loss.
 */
void		 log_write_held(struct log_held *h);
/* Set a component name written as comp=… on every line ("master"…). */
void		 log_set_component(const char *comp);
/*
 * Send log lines to path (append) instead of the stderr we were given;
 * NULL or "" keeps stderr. Reopening the same path after rotation is how
 * SIGUSR1 is served. Returns 0 or -1 with errno.
 */
int		 log_open(const char *path);
/* One logfmt line: time, level, comp, msg="…" and then the raw kv text. */
void		 log_msg(enum log_level lvl, const char *kv, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
#define log_error(...)	log_msg(LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, NULL, __VA_ARGS__)
/* Append key=value to b, quoting the value as logfmt requires. */
int		 log_kv(struct buf *b, const char *key, const char *value);
/* Log and abort: for allocation failure and broken invariants only. */
void		 fatal(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* Milliseconds on the monotonic clock. */
int64_t		 time_mono_ms(void);
/* Microseconds on the monotonic clock. */
int64_t		 time_mono_us(void);
/* Milliseconds since the epoch (wall clock). */
int64_t		 time_wall_ms(void);
/* ISO 8601 UTC with milliseconds, "2026-01-02T12:00:00.000Z"; out >= 25. */
void		 time_iso8601(int64_t epoch_ms, char *out, size_t outlen);

/* Parse a base-10 integer in [min, max], whole string; 0 or -1. */
int		 str_to_ll(const char *s, long long min, long long max,
		    long long *out);
/* Decode %XX and (when plus_space) '+' in place; -1 on a bad escape. */
int		 str_percent_decode(char *s, int plus_space);
/* Whether s[0..n) is strict UTF-8; on failure *bad is the byte offset. */
int		 utf8_valid(const char *s, size_t n, size_t *bad);
/*
 * Copy s into dst[dstlen] as valid UTF-8: each byte that does not start
 * a valid sequence becomes U+FFFD; stops before a character that would
 * not fit. Always NUL-terminated; returns dst.
 */
char		*utf8_copy_valid(char *dst, size_t dstlen, const char *s);
/* The same, whole, into the arena. */
char		*utf8_sanitize(struct arena *a, const char *s);
/* Trim ASCII white space at both ends, in place; returns s. */
char		*str_trim(char *s);
/* Whether s is a UUID in its text form (8-4-4-4-12 hex digits). */
int		 str_is_uuid(const char *s);

/* --- encode.c --- */

/* n bytes from the OS CSPRNG; aborts if it fails. */
void		 random_bytes(unsigned char *out, size_t n);
/* A random (version 4) UUID in its text form. */
void		 uuid_new(char out[37]);
/* in[0..n) as lowercase hex into out (2n + 1 bytes). */
void		 hex_lower(char *out, const unsigned char *in, size_t n);
/* Standard base64 with padding of in[0..n), into the arena. */
char		*b64_encode(struct arena *a, const unsigned char *in,
		    size_t n);
/* base64url without padding of in[0..n), into the arena. */
char		*b64url_encode(struct arena *a, const unsigned char *in,
		    size_t n);
/* Decode base64url (no padding); NULL on bad input. *outlen set. */
unsigned char	*b64url_decode(struct arena *a, const char *in,
		    size_t *outlen);
/* Lowercase hex SHA-256 of in[0..n) followed by key[0..klen) (may be 0). */
char		*sha256_hex(struct arena *a, const void *in, size_t n,
		    const unsigned char *key, size_t klen);
/* The SHA-256 of what fd reads to its end, and how many bytes: 0, or
 * -1 (errno) when a read fails. */
int		 sha256_fd(int fd, char hex[65], long long *size);
/* A new file under dir (name-XXXXXX), unlinked at once: fd, or -1. */
int		 fd_temp(const char *dir, const char *name);
/* n bytes of fd at offset off into p: 0, or -1 (errno; EIO at its end). */
int		 fd_pread_all(int fd, void *p, size_t n, long long off);
/* Write all n bytes (EINTR retried): 0, or -1 with errno. */
int		 fd_write_all(int fd, const void *p, size_t n);

/*
 * A share of the workers: at most limit of them serve one user's costly
 * requests at once (share.c). marks[n] is shared by every worker, self
 * this worker's index; marks NULL or limit 0: no limit.
 */
struct share {
	uint64_t	*marks;
	size_t		 n;
	size_t		 self;
	long		 limit;
	int		 held;
};

void		 share_init(struct share *s, uint64_t *marks, size_t n,
		    size_t self, long limit);
/* Hold one of who's share: 0, or -1 when who holds limit already. */
int		 share_claim(struct share *s, const char *who);
/* Give back what share_claim held (nothing held: nothing done). */
void		 share_release(struct share *s);

#endif
