/*
 * import_ids.c - an import's ids: the bundle's (a map of id to what it
 * becomes), the kinds and what their references name, and the
 * database's view of them — duplicates (the user's already, skipped),
 * ids another user holds (given new ones, references rewritten) and
 * references outside the bundle (which must be the user's).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vault/import.h"

/* --- ids ----------------------------------------------------------- */

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

const char *
imp_text(const struct idmap *m, uint32_t h)
{
	uint32_t	 o = h - 1;

	return m->text[o >> 20] + (o & (IDS_CHUNK - 1));
}

const char *
imp_ident_id(const struct idmap *m, const struct ident *i)
{
	return imp_text(m, i->off);
}

struct ident *
imp_idmap_find(const struct idmap *m, const char *id)
{
	size_t	 i;

	if (m->cap == 0)
		return NULL;
	for (i = hash(id) & (m->cap - 1); m->slots[i].off != 0;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(imp_ident_id(m, &m->slots[i]), id) == 0)
			return &m->slots[i];
	return NULL;
}

/*
 * Text kept in the map's blocks (4 KiB first, doubling to IDS_CHUNK: a
 * kind of a few ids costs little): its handle, offset + 1.
 */
uint32_t
imp_text_keep(struct idmap *m, const char *id)
{
	size_t	 n = strlen(id) + 1, size;

	size = m->ntext == 0 ? 4096 : (size_t)4096 << (m->ntext < 8 ?
	    m->ntext : 8);
	if (size > IDS_CHUNK)
		size = IDS_CHUNK;
	if (m->ntext == 0 || m->used + n > m->last) {
		if (m->ntext >= 4000 || n > IDS_CHUNK)
			fatal("vault import: more ids than a run holds");
		m->text = realloc(m->text, (m->ntext + 1) * sizeof(*m->text));
		if (m->text == NULL || (m->text[m->ntext] = malloc(size)) == NULL)
			fatal("malloc: out of memory");
		m->ntext++;
		m->used = 0;
		m->last = size;
	}
	memcpy(m->text[m->ntext - 1] + m->used, id, n);
	m->used += n;
	return (uint32_t)(((m->ntext - 1) << 20) | (m->used - n)) + 1;
}

/* Add id; NULL when it is there already. */
struct ident *
imp_idmap_add(struct idmap *m, const char *id)
{
	struct ident	*old = m->slots;
	size_t		 oldcap = m->cap, i, j;

	if (strlen(id) > 4096 || imp_idmap_find(m, id) != NULL)
		return NULL;
	/* Three quarters full at most (linear probing stays short). */
	if ((m->n + 1) * 4 > m->cap * 3) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->slots = calloc(m->cap, sizeof(*m->slots));
		if (m->slots == NULL)
			fatal("calloc: out of memory");
		for (j = 0; j < oldcap; j++) {
			if (old[j].off == 0)
				continue;
			for (i = hash(imp_ident_id(m, &old[j])) & (m->cap - 1);
			    m->slots[i].off != 0; i = (i + 1) & (m->cap - 1))
				;
			m->slots[i] = old[j];
		}
		free(old);
	}
	for (i = hash(id) & (m->cap - 1); m->slots[i].off != 0;
	    i = (i + 1) & (m->cap - 1))
		;
	m->slots[i].off = imp_text_keep(m, id);
	m->slots[i].meta = 0;
	m->n++;
	return &m->slots[i];
}

void
imp_idmap_free(struct idmap *m)
{
	size_t	 i;

	for (i = 0; i < m->ntext; i++)
		free(m->text[i]);
	free(m->text);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* --- the kinds ------------------------------------------------------ */

long
imp_kind_of(const struct run *r, const char *key)
{
	size_t	 i;

	for (i = 0; i < r->nkinds; i++)
		if (strcmp(r->kinds[i].m->vault, key) == 0)
			return (long)i;
	return -1;
}

static long
kind_of_model(const struct run *r, const struct model_entity *m)
{
	size_t	 i;

	for (i = 0; i < r->nkinds; i++)
		if (r->kinds[i].m == m)
			return (long)i;
	return -1;
}

/* The kind field f names (its ref, the bundle's own ids), or -1. */
long
imp_ref_kind(const struct run *r, const struct model_field *f)
{
	if (f->ref == NULL || (f->ref->flags & ME_OBJECTS) != 0)
		return -1;
	return kind_of_model(r, f->ref);
}

/* --- the database's view: duplicates, remaps, references -------------- */

/* ids as a text[] literal (ids are [A-Za-z0-9_.:-]: quoted, no escapes). */
static void
array_add(struct buf *b, const char *id)
{
	buf_puts(b, b->len == 0 ? "{\"" : ",\"");
	buf_puts(b, id);
	buf_putc(b, '"');
}

/* What over_ids hands each id the database names. */
struct over {
	struct run	*r;
	long		 k;
	void		(*each)(struct run *, long, const char *, int);
};

static void
over_one(void *ud, const char *id, int mine)
{
	struct over	*o = ud;

	o->each(o->r, o->k, id, mine);
}

/* db_vault_ids over the ids in m (for kind k) a batch at a time. */
static enum db_status
over_ids(struct run *r, struct idmap *m, long k,
    void (*each)(struct run *, long, const char *, int))
{
	struct over	 o = { r, k, each };
	struct buf	 b;
	enum db_status	 st = DB_OK;
	size_t		 i, n = 0;

	buf_init(&b, 256LL * 1024 * 1024);
	for (i = 0; i < m->cap && st == DB_OK; i++) {
		if (m->slots[i].off == 0)
			continue;
		array_add(&b, imp_ident_id(m, &m->slots[i]));
		if (++n % IDS_BATCH != 0 && n != m->n)
			continue;
		buf_putc(&b, '}');
		st = db_vault_ids(r->im->db, &r->scratch, r->kinds[k].m,
		    arena_strndup(&r->scratch, b.data, b.len), over_one, &o);
		b.len = 0;
		arena_reset(&r->scratch);
	}
	buf_cleanup(&b);
	return st;
}

/* An id of the bundle's held already: the user's is a duplicate, one of
 * another user's is given an id of its own (remapped). */
static void
mark_held(struct run *r, long k, const char *id, int mine)
{
	struct ident	*i = imp_idmap_find(&r->kinds[k].ids, id);

	if (i == NULL || (i->meta & (IDENT_TAKEN | IDENT_DUP)) != 0)
		return;
	if (mine) {
		i->meta |= IDENT_DUP;
		return;
	}
	i->meta |= IDENT_TAKEN;
	vault_report_count(&r->im->report, r->kinds[k].m->vault, "remapped",
	    1);
}

/* An id outside the bundle found among the user's (in r->outside). */
static void
mark_found(struct run *r, long k, const char *id, int mine)
{
	struct ident	*i = imp_idmap_find(&r->outside, id);

	(void)k;
	if (i != NULL && mine)
		i->meta |= IDENT_DUP;	/* here: "the user's" */
}

enum db_status
imp_check_db(struct run *r)
{
	struct vault_import	*im = r->im;
	struct kind		*kd;
	enum db_status		 st;
	size_t			 k, i;
	char			 at[320];

	if (r->zone != NULL) {
		int	 known = 0;

		st = db_zone_known(im->db, &r->scratch, r->zone, &known);
		arena_reset(&r->scratch);
		if (st != DB_OK)
			return st;
		if (!known)
			vault_report_error(&im->report,
			    "$.settings.settingsJson.timeZone", "settingsJson."
			    "timeZone: %.64s is no time zone this server knows",
			    r->zone);
	}
	for (k = 0; k < r->nkinds; k++) {
		kd = &r->kinds[k];
		if (kd->single && kd->count > 0) {
			st = db_vault_has(im->db, &r->scratch, kd->m,
			    im->user_id, &kd->has_mine);
			arena_reset(&r->scratch);
			if (st != DB_OK)
				return st;
			if (kd->has_mine)
				vault_report_count(&im->report, kd->m->vault,
				    "duplicates", kd->count);
		}
		if (kd->ids.n == 0 || kd->has_mine)
			continue;
		if ((st = over_ids(r, &kd->ids, (long)k, mark_held)) != DB_OK)
			return st;
		for (i = 0; i < kd->ids.cap; i++)
			if (kd->ids.slots[i].off != 0 &&
			    (kd->ids.slots[i].meta & IDENT_DUP) != 0)
				vault_report_count(&im->report, kd->m->vault,
				    "duplicates", 1);
	}
	/* References to what the bundle does not hold must be the user's. */
	for (k = 0; k < r->nkinds; k++) {
		for (i = 0; i < r->nrefs; i++)
			if (r->refs[i].kind == (int)k &&
			    imp_idmap_find(&r->kinds[k].ids, imp_text(&r->reftext,
			    r->refs[i].id)) == NULL)
				imp_idmap_add(&r->outside, imp_text(&r->reftext,
				    r->refs[i].id));
		st = r->outside.n == 0 ? DB_OK : over_ids(r, &r->outside,
		    (long)k, mark_found);
		for (i = 0; st == DB_OK && i < r->nrefs; i++) {
			const struct ident *o = r->refs[i].kind == (int)k ?
			    imp_idmap_find(&r->outside, imp_text(&r->reftext,
			    r->refs[i].id)) : NULL;

			if (o != NULL && (o->meta & IDENT_DUP) == 0)
				vault_report_error(&im->report, imp_ref_path(r,
				    &r->refs[i], at, sizeof(at)), "no %s %s in "
				    "the bundle or among the user's",
				    r->kinds[k].m->name, imp_text(&r->reftext,
				    r->refs[i].id));
		}
		imp_idmap_free(&r->outside);
		if (st != DB_OK)
			return st;
	}
	return DB_OK;
}

/*
 * The id an entity of kind k is written with: its own, or, another
 * user's, a UUID made from it and the run's salt (SHA-256, shaped as a
 * version 4 UUID): the same wherever it is asked in the run, so nothing
 * of it is kept (a million remapped ids would be 37 MB).
 */
const char *
imp_new_id(const struct run *r, long k, const char *id, char out[37])
{
	const struct ident	*i = imp_idmap_find(&r->kinds[k].ids, id);
	unsigned char		 d[32];
	unsigned int		 dl;
	EVP_MD_CTX		*md;

	if (i == NULL || (i->meta & IDENT_TAKEN) == 0)
		return id;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("EVP_DigestInit_ex failed");
	EVP_DigestUpdate(md, r->salt, sizeof(r->salt));
	EVP_DigestUpdate(md, r->kinds[k].m->table, strlen(r->kinds[k].m->table)
	    + 1);
	EVP_DigestUpdate(md, id, strlen(id));
	EVP_DigestFinal_ex(md, d, &dl);
	EVP_MD_CTX_free(md);
	d[6] = (unsigned char)((d[6] & 0x0f) | 0x40);
	d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3], d[4], d[5],
	    d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
	return out;
}
