/*
 * backup.h - what passionctl backup (backup.c) and restore (restore.c)
 * share: the backup directory's layout and the manifest's objects.
 *
 *   DIR/database.dump     pg_dump -Fc of one snapshot
 *   DIR/objects/KEY       each object's bytes (backup --objects)
 *   DIR/manifest.json     written last: the dump's size and SHA-256, and
 *                         every object key the rows name
 */
#ifndef PASSION_CTL_BACKUP_H
#define PASSION_CTL_BACKUP_H

#include <stddef.h>

#define BACKUP_FORMAT	"passiond-backup"
#define BACKUP_MANIFEST	"manifest.json"
#define BACKUP_DUMP	"database.dump"

struct arena;

/* An object the manifest names. */
struct backup_object {
	const char	*key, *sha256, *source;	/* sha256 NULL: not known */
	long long	 size;
	int		 expected;	/* the row says the bytes are there */
	int		 copied;	/* in DIR/objects */
	int		 missing;	/* restore: needed, not in the store */
};

struct backup {
	const char		*dir;
	int			 with_objects;
	struct backup_object	*objects;	/* by key */
	size_t			 n, cap;
	struct arena		*arena;
};

/*
 * Run argv[0] from PATH with argv, PGPASSWORD set to password when not
 * empty, stdout to /dev/null when quiet: its exit status (128 + a
 * signal), or -1.
 */
int	 backup_run(char *const argv[], const char *password, int quiet);
/* Make the directories of dir/path (the last part is a file): 0, -1. */
int	 backup_mkdirs(const char *dir, const char *path);
/* Whether key may be a path under objects/ (no "..", not absolute). */
int	 backup_key_ok(const char *key);
/* Entries in dir but . and ..; -1 when it cannot be read. */
int	 backup_dir_entries(const char *dir);

#endif
