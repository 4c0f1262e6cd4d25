/*
 * stored.c - an entity as the database would hand it back, computed
 * before it is written (a vault import writes each row once, its
 * contentHash with it): every field by its description, a value as its
 * column keeps it, an absent one as the column's default (.dflt), or
 * null. What PostgreSQL changes on the way in is done the same here:
 *
 *  - a time becomes UTC, kept to the microsecond (a longer fraction
 *    rounded half to even), and is shown to the millisecond;
 *  - a UUID is lower case;
 *  - a jsonb value writes its numbers without an exponent and without a
 *    negative zero ("1e2" is 100, "2.5E-3" is 0.0025, "-0.0" is 0.0),
 *    keeping the digits after the point the mantissa and exponent give.
 *
 * A test holds this to the database (tests/integration/check_vault:
 * every imported row's hash is the one the stored row gives).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* A time as the API shows the column: NULL when s is not a time. */
static struct json_object *
time_stored(const char *s)
{
	const char	*p = s + 19, *f;
	char		 out[32];
	int64_t		 ms;
	size_t		 n;
	int		 us, i, up;

	if (model_time_parse(s, &ms) != 0)
		return NULL;
	/* Past six digits the column rounds (half to even) at the µs. */
	if (*p == '.' && (n = strspn(p + 1, "0123456789")) > 6) {
		f = p + 1;
		for (us = 0, i = 0; i < 6; i++)
			us = us * 10 + (f[i] - '0');
		up = f[6] > '5' || (f[6] == '5' && (strspn(f + 7, "0") <
		    n - 7 || (us & 1) != 0));
		/* model_time_parse took the first three: a carry moves them. */
		if (up && (us + 1) / 1000 != us / 1000)
			ms += 1;
	}
	time_iso8601(ms, out, sizeof(out));
	return json_object_new_string(out);
}

/* A JSON number's text as jsonb writes it, into out: no exponent, no
 * negative zero. */
static void
number_stored(const char *s, struct buf *out)
{
	const char	*p = s, *ip, *fp = "";
	size_t		 il, fl = 0, dn, i;
	long		 e = 0, point, scale;
	int		 neg = 0, zero = 1;
	char		*d;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	il = strspn(p, "0123456789");
	p += il;
	if (*p == '.') {
		fp = ++p;
		fl = strspn(p, "0123456789");
		p += fl;
	}
	if (*p == 'e' || *p == 'E')
		e = strtol(p + 1, NULL, 10);
	/* The digits, and where the point falls in them. */
	dn = il + fl;
	d = malloc(dn + 1);
	if (d == NULL)
		fatal("malloc: out of memory");
	memcpy(d, ip, il);
	memcpy(d + il, fp, fl);
	d[dn] = '\0';
	point = (long)il + e;
	scale = (long)fl - e > 0 ? (long)fl - e : 0;
	for (i = 0; i < dn; i++)
		if (d[i] != '0')
			zero = 0;
	if (neg && !zero)
		buf_putc(out, '-');
	/* The integer part, without its leading zeros. */
	{
		int	 started = 0;
		long	 k;

		for (k = 0; k < point; k++) {
			char c = k < (long)dn ? d[k] : '0';

			if (c == '0' && !started)
				continue;
			started = 1;
			buf_putc(out, c);
		}
		if (!started)
			buf_putc(out, '0');
	}
	if (scale > 0) {
		long	 k;

		buf_putc(out, '.');
		for (k = point; k < point + scale; k++)
			buf_putc(out, k >= 0 && k < (long)dn ? d[k] : '0');
	}
	free(d);
}

/* v as jsonb would give it back (a new reference). */
static struct json_object *
jsonb_stored(struct json_object *v)
{
	struct json_object	*o;
	struct buf		 b;
	const char		*s;
	size_t			 i;

	switch (json_object_get_type(v)) {
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(v, k, x)
			json_object_object_add(o, k, jsonb_stored(x));
		return o;
	case json_type_array:
		o = json_object_new_array();
		for (i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(o, jsonb_stored(
			    json_object_array_get_idx(v, i)));
		return o;
	case json_type_double:
		s = json_object_get_string(v);
		if (strpbrk(s, "eE") == NULL && s[0] != '-')
			return json_object_get(v);
		buf_init(&b, 1 << 20);
		number_stored(s, &b);
		o = json_tokener_parse(b.data);
		buf_cleanup(&b);
		return o != NULL ? o : json_object_get(v);
	default:
		return json_object_get(v);
	}
}

/* The value of f in e as its column keeps it (a new reference). */
static struct json_object *
value_stored(const struct model_field *f, struct json_object *v)
{
	struct json_object	*o;
	char			*s;
	size_t			 i;

	if (v == NULL)
		return NULL;
	switch (f->type) {
	case MT_TIME:
		o = json_object_is_type(v, json_type_string) ?
		    time_stored(json_object_get_string(v)) : NULL;
		return o != NULL ? o : json_object_get(v);
	case MT_UUID:
		if (!json_object_is_type(v, json_type_string))
			return json_object_get(v);
		s = strdup(json_object_get_string(v));
		if (s == NULL)
			fatal("strdup: out of memory");
		for (i = 0; s[i] != '\0'; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		o = json_object_new_string(s);
		free(s);
		return o;
	default:
		return MODEL_TYPE_JSON(f->type) ? jsonb_stored(v) :
		    json_object_get(v);
	}
}

struct json_object *
model_as_stored(const struct model_entity *m, struct json_object *e)
{
	struct json_object	*o = json_object_new_object(), *v;
	size_t			 i;

	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if ((f->flags & MF_HIDDEN) != 0)
			continue;
		if (json_object_object_get_ex(e, f->json, &v) && v != NULL)
			v = value_stored(f, v);
		else
			v = f->dflt != NULL ? json_tokener_parse(f->dflt) : NULL;
		json_object_object_add(o, f->json, v);
	}
	return o;
}
