/*
 * vault.h - Vault bundles (docs/vault-v3.md, docs/vault.md):
 * the crypto envelope that holds a bundle's metadata, as the old
 * browser app wrote it with WebCrypto (PBKDF2-HMAC-SHA256, then
 * AES-256-GCM with the tag after the ciphertext), on OpenSSL.
 */
#ifndef PASSION_VAULT_H
#define PASSION_VAULT_H

#include <stddef.h>

#include <json-c/json.h>

#include "db/db.h"
#include "net/net.h"
#include "storage/storage.h"
#include "util/util.h"

#define VAULT_ITER_MIN		10000
#define VAULT_ITER_MAX		10000000
#define VAULT_ITER_WRITE	100000	/* what export writes */
#define VAULT_PASS_MIN		12	/* an export's passphrase, code points */

/* Why a bundle cannot be read: the import's result codes. */
enum vault_error {
	VAULT_OK = 0,
	VAULT_BAD_PASSPHRASE,	/* the tag does not verify: a wrong
				   passphrase or a changed ciphertext */
	VAULT_CORRUPT,		/* not an envelope: JSON, base64, sizes */
	VAULT_UNSUPPORTED,	/* another version, algorithm or iterations */
	VAULT_INVALID,		/* the data breaks a rule: invalid_data */
	VAULT_TOO_LARGE,	/* past a limit: too_large */
	VAULT_UNAVAILABLE	/* the database or the store could not be
				   reached: try again later */
};

/* The code of e as the API says it ("bad_passphrase", …). */
const char	*vault_error_code(enum vault_error e);
/*
 * Is p too weak to seal an export with (shorter than VAULT_PASS_MIN code
 * points, or a common password)? 1 with why (naming the field), or 0.
 */
int		 vault_passphrase_weak(const char *p, char *why, size_t len);
/*
 * May an import that failed with code (its errorCode) be started again
 * with the bundle it has (kept in the store for that)?
 */
int		 vault_import_restartable(const char *code);
/*
 * Standard base64 with padding of s (n bytes, a multiple of 4), strictly,
 * into out (n / 4 * 3 bytes): 0 with *len, or -1.
 */
int		 vault_b64_decode_into(const char *s, size_t n,
		    unsigned char *out, size_t *len);
/*
 * Standard base64 with padding, strictly (no white space, padding only
 * at the end): the bytes into the arena, *len their count. NULL when s
 * is not that.
 */
unsigned char	*vault_b64_decode(struct arena *a, const char *s, size_t n,
		    size_t *len);
/*
 * Open an envelope (its JSON text, n bytes) with passphrase: the
 * plaintext (NUL-terminated) into *out, its length in *len. Otherwise
 * the error, with what is wrong in err.
 */
enum vault_error vault_envelope_open(struct arena *a, const char *json,
		    size_t n, const char *passphrase, unsigned char **out,
		    size_t *len, char *err, size_t errlen);
/*
 * The same, the plaintext written to fd as it is decrypted (*len bytes);
 * it is verified only at the end: on any failure fd is emptied.
 */
enum vault_error vault_envelope_open_fd(struct arena *a, const char *json,
		    size_t n, const char *passphrase, int fd, long long *len,
		    char *err, size_t errlen);
/*
 * An envelope opened as its text comes (the whole never in memory): fed
 * in pieces, the plaintext into sink as it is decrypted, verified at the
 * end (VAULT_OK, or why not with err). tmpdir holds a ciphertext that
 * comes before the members its key needs (NULL: /tmp).
 */
struct vault_envelope_stream *vault_envelope_stream_new(struct arena *a,
		    const char *passphrase, const char *tmpdir,
		    int (*sink)(void *, const unsigned char *, size_t),
		    void *ud);
/* 0, or -1 once it failed (the end says why). */
int		 vault_envelope_stream_feed(struct vault_envelope_stream *st,
		    const char *p, size_t n);
enum vault_error vault_envelope_stream_end(struct vault_envelope_stream *st,
		    char *err, size_t errlen);
void		 vault_envelope_stream_free(struct vault_envelope_stream *st);
/*
 * Seal plain (len bytes) with passphrase under a fresh salt and IV,
 * iterations of PBKDF2: the envelope's JSON text, into the arena.
 */
char		*vault_envelope_seal(struct arena *a, const unsigned char *plain,
		    size_t len, const char *passphrase, long iterations);

/* --- json.c: a bundle's JSON as a stream --- */

/* What to do with a member of the top-level object. */
enum vault_json_take {
	VJ_SKIP,	/* nothing */
	VJ_VALUE,	/* build it whole: value(key, 0, NULL, v) */
	VJ_EACH,	/* an array or object: value(key, index, name, v)
			   for each element or member, built one by one */
	VJ_STREAM,	/* a string (a top-level member only): chunk(key, p,
			   n) with its contents, unescaped, as they are read;
			   chunk(key, NULL, 0) at its end. Never whole. */
	VJ_EACH_IN	/* an object: value(key, -1, name, v) for each member,
			   but an array member's elements one by one:
			   value(key, index, name, v) */
};

struct vault_json_reader {
	enum vault_json_take (*member)(void *ud, const char *key);
	/* v is the reader's (put after the call); 0, or -1 to stop. */
	int	(*value)(void *ud, const char *key, long index,
		    const char *name, struct json_object *v);
	/*
	 * When not NULL: a string taken (VJ_VALUE, name NULL) or a string
	 * element (VJ_EACH), as it is, instead of value(); 0 or -1.
	 */
	int	(*string)(void *ud, const char *key, const char *name,
		    const char *s, size_t len);
	/* A VJ_STREAM member's next piece (p NULL: its end); 0 or -1. */
	int	(*chunk)(void *ud, const char *key, const char *p, size_t n);
	/* Between chunks read from a file; 0, or -1 to stop. */
	int	(*progress)(void *ud);
	void	*ud;
	int	 max_depth;
	/* Values one built value may hold at most (0: no bound); past it
	 * the parse stops and answers -2. */
	long	 max_nodes;
};

/*
 * Read one JSON object from fd (≥ 0, to its end) or from mem (len
 * bytes), calling r as its members go by; *consumed (may be NULL) adds
 * the bytes read. 0, or -1 with err (not JSON, too deep, stopped), or
 * -2 with err when a value passes r->max_nodes.
 */
int		 vault_json_parse(const struct vault_json_reader *r, int fd,
		    const char *mem, size_t len, long long *consumed, char *err,
		    size_t errlen);
/*
 * The same, fed: bytes given as they come (vault_json_feed, 0 or -1/-2
 * with err), then the end (vault_json_end: 0, or -1 when the object is
 * not whole); vault_json_free in any case.
 */
struct vault_json *vault_json_new(const struct vault_json_reader *r);
int		 vault_json_feed(struct vault_json *j, const char *p, size_t n,
		    char *err, size_t errlen);
int		 vault_json_end(struct vault_json *j, char *err, size_t errlen);
void		 vault_json_free(struct vault_json *j);

/* --- report.c: what an import or an export says --- */

#define VAULT_REPORT_MAX	20	/* errors and warnings listed */

struct vault_report {
	struct json_object	*kinds;	/* {kind: {imported, duplicates, …}} */
	struct json_object	*errors, *warnings;	/* [{path, message}] */
	long			 nerrors, nwarnings;
	int			 too_large;	/* an error was a limit */
};

void		 vault_report_init(struct vault_report *r);
void		 vault_report_free(struct vault_report *r);
/* Add n to what ("imported", "duplicates", "remapped"…) of kind. */
void		 vault_report_count(struct vault_report *r, const char *kind,
		    const char *what, long n);
/* An error (-1, to return) or a warning at JSON path. */
int		 vault_report_error(struct vault_report *r, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 vault_report_warn(struct vault_report *r, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* {"kinds", "errors", "errorCount", "warnings", "warningCount"} (new). */
struct json_object *vault_report_json(const struct vault_report *r);

/* --- bundle.c: a bundle file, either layout --- */

/* What an import may take (config: vault_*). */
struct vault_limits {
	long long	 bundle_max;	/* bytes of a bundle */
	long long	 audio_max;	/* a blob of each kind */
	long long	 image_max;
	long		 entities_max;
	int		 depth_max;	/* JSON nesting */
	long		 ratio_max;	/* zip: unpacked / packed bytes */
	const char	*tmpdir;	/* where blobs are spilled */
	long long	 quota;		/* storage_quota (0: none) */
};

/* A blob of a bundle: its bytes are in the spill file. */
struct vault_blob {
	char		 sha[65];
	long long	 off, size;
	const char	*mime;		/* from the manifest, or NULL */
};

/* What manifest.blobs says of a blob (bundle.c). */
struct vault_manifest {
	char		 id[65];
	long		 index;		/* in manifest.blobs */
	int		 has_size;
	long long	 size;
	char		*mime;		/* or NULL */
};

struct vault_bundle {
	int		 zip;		/* the zip layout */
	long		 version;	/* the bundle's: 2 or 3 */
	char		*envelope;	/* metadataEnvelope's text */
	size_t		 envelope_len;
	struct vault_manifest *manifest; /* manifest.blobs' entries */
	size_t		 nmanifest, manifest_cap;
	struct vault_blob *blobs;
	size_t		 nblobs, cap;
	int		 spill;		/* the spill file (unlinked) */
	long long	 spilled;
	long long	 read;		/* bytes of the bundle read so far */
	/* Called as bytes are read (may be NULL). */
	void		(*progress)(void *ud, long long bytes);
	/*
	 * When not NULL, the envelope's text is handed here a piece at a
	 * time as it is read, unescaped (never whole; p NULL at its end),
	 * instead of being copied to envelope; not VAULT_OK stops the
	 * reading with that code (the callback reports why).
	 */
	enum vault_error (*on_envelope)(void *ud, const char *p, size_t n);
	int		 envelope_seen;
	void		*ud;
};

/*
 * Read the bundle in fd (either layout): the envelope's text, the
 * manifest, and every blob's bytes spilled to a file under lim->tmpdir
 * with its SHA-256 checked against its id. Nothing is decrypted here.
 * VAULT_OK, or the failure with what and where in rep.
 */
enum vault_error vault_bundle_read(struct vault_bundle *b, int fd,
		    const struct vault_limits *lim, struct vault_report *rep);
void		 vault_bundle_free(struct vault_bundle *b);
/* The blob whose id is sha, or NULL. */
const struct vault_blob *vault_bundle_blob(const struct vault_bundle *b,
		    const char *sha);

/* --- import.c: a bundle into a user's rows and objects --- */

struct vault_import {
	struct db		*db;
	struct arena		*arena;
	struct storage		*store;
	struct net		*net;
	const struct vault_limits *lim;
	const char		*user_id;
	const char		*import_id;	/* its vault_imports row */
	const char		*passphrase;
	/* Progress: bytes of the bundle read, entities written. */
	void			(*progress)(void *ud, long long bytes,
				    long long entities);
	void			*ud;
	struct vault_report	 report;	/* filled */
	char			 err[256];	/* VAULT_UNAVAILABLE: why */
};

/*
 * Import the bundle in fd for im->user_id: all of it or nothing. On
 * VAULT_OK the rows are committed with the import's row marked done and
 * its result; on a failure no row is written and every object put is
 * removed (or queued for removal). VAULT_UNAVAILABLE: try again later.
 */
enum vault_error vault_import_run(struct vault_import *im, int fd);

/* --- export.c: everything a user owns, as a v3 zip bundle --- */

struct vault_export {
	struct db		*db;
	struct arena		*arena;
	struct storage		*store;
	struct net		*net;
	const char		*user_id;
	const char		*passphrase;
	const char		*tmpdir;	/* a blob fetched here */
	const char		*device_id;	/* 32 hex */
	long long		 meta_max;	/* bytes of metadata, at most */
	/* Where the zip goes, a chunk at a time: 0, or -1 (err said). */
	int			(*write)(void *ud, const void *p, size_t n);
	void			(*progress)(void *ud, long long bytes,
				    long long entities);
	void			*ud;
	long long		 bytes;		/* written so far */
	long long		 entities;
	struct vault_report	 report;	/* counts per kind */
	char			 err[256];
};

/*
 * Write ex->user_id's export into ex->write (one snapshot of the rows;
 * the transaction is ended). VAULT_OK, or the failure with ex->err.
 */
enum vault_error vault_export_run(struct vault_export *ex);

#endif
