/*
 * json.c - a bundle's JSON read as a stream (yajl): the top-level
 * object's members are visited one at a time, and only the values asked
 * for are built (json-c), one element of an array at a time, so a large
 * bundle is never a tree in memory. Depth is bounded; a string element
 * can be handed over as it is, without a copy (a blob's base64).
 *
 * A string member of the top-level object can also be streamed
 * (VJ_STREAM): yajl would hold it whole, escaped and again unescaped,
 * and lex it again from its start with every chunk it spans (quadratic
 * in its size). Where its name is met the parse is stopped (a callback
 * that cancels; yajl says how far it read), the string's bytes are
 * unescaped here as they come and handed on in pieces, and a fresh
 * yajl handle takes up after it, fed a quiet {"":0 first so that it is
 * where the old one was: inside the root object, past a member.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "vault/vault.h"

#define CHUNK		(64 * 1024)
#define STACK_MAX	256
#define RESUME		"{\"\":0"	/* where a streamed member leaves off */

struct state {
	const struct vault_json_reader *r;
	int		 depth;		/* 1: inside the root object */
	int		 stream;	/* a VJ_STREAM member's name was met */
	int		 quiet;		/* the resuming prefix: no callbacks */
	enum vault_json_take take;	/* of the current top-level member */
	char		*key;		/* the current top-level member */
	long		 index;		/* its element (VJ_EACH of an array) */
	char		*name;		/* its member (VJ_EACH of an object) */
	/* What is being built: containers, and each one's pending key. */
	struct json_object *stack[STACK_MAX];
	char		*keys[STACK_MAX];
	int		 nstack;
	int		 each_base;	/* depth of the VJ_EACH container */
	int		 in_array;	/* VJ_EACH_IN: in an array member */
	long		 nodes;		/* values added to the one built */
	int		 too_big;	/* it passed max_nodes */
	char		 err[256];
};

static int __attribute__((format(printf, 2, 3)))
fail(struct state *s, const char *fmt, ...)
{
	va_list	 ap;

	if (s->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* A finished value v at the current place: add it, or hand it over. */
static int
emit(struct state *s, struct json_object *v)
{
	struct json_object	*top;
	int			 rc;

	if (s->nstack > 0) {
		if (s->r->max_nodes > 0 && ++s->nodes > s->r->max_nodes) {
			json_object_put(v);
			s->too_big = 1;
			return fail(s, "%s: a value of more than %ld parts",
			    s->key, s->r->max_nodes);
		}
		top = s->stack[s->nstack - 1];
		if (json_object_is_type(top, json_type_array))
			json_object_array_add(top, v);
		else {
			json_object_object_add(top, s->keys[s->nstack - 1], v);
			free(s->keys[s->nstack - 1]);
			s->keys[s->nstack - 1] = NULL;
		}
		return 1;
	}
	s->nodes = 0;
	rc = s->r->value(s->r->ud, s->key, s->take == VJ_EACH_IN &&
	    !s->in_array ? -1 : s->index, s->name, v);
	json_object_put(v);
	if (s->take == VJ_EACH || s->in_array)
		s->index++;
	if (!s->in_array) {
		free(s->name);
		s->name = NULL;
	}
	if (rc != 0)
		return fail(s, "stopped");
	return 1;
}

/* Is a value starting here one to build (inside a taken member)? */
static int
building(struct state *s)
{
	if (s->nstack > 0)
		return 1;
	if (s->take == VJ_VALUE && s->depth == 1)
		return 1;
	if (s->take == VJ_EACH_IN)
		return s->depth == 2 || (s->depth == 3 && s->in_array);
	return s->take == VJ_EACH && s->depth == 2;
}

static int
scalar(struct state *s, struct json_object *v)
{
	if (s->depth == 0) {
		json_object_put(v);
		return fail(s, "not a JSON object");
	}
	if (!building(s)) {
		json_object_put(v);
		if (s->depth == 1 && s->take == VJ_EACH)
			return fail(s, "%s: must be an array or an object",
			    s->key);
		if (s->depth == 1 && s->take == VJ_EACH_IN)
			return fail(s, "%s: must be an object", s->key);
		return 1;
	}
	return emit(s, v);
}

static int
on_null(void *ud)
{
	return scalar(ud, NULL);
}

static int
on_bool(void *ud, int b)
{
	return scalar(ud, json_object_new_boolean(b));
}

static int
on_number(void *ud, const char *p, size_t n)
{
	struct state	*s = ud;
	char		 tmp[64], *end;
	long long	 i;
	double		 d;

	if (!building(s))
		return scalar(s, NULL);
	if (n >= sizeof(tmp))
		return fail(s, "a number too long");
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (strpbrk(tmp, ".eE") == NULL) {
		errno = 0;
		i = strtoll(tmp, &end, 10);
		if (errno == 0 && *end == '\0')
			return emit(s, json_object_new_int64(i));
	}
	d = strtod(tmp, &end);
	return emit(s, json_object_new_double_s(d, tmp));
}

static int
on_string(void *ud, const unsigned char *p, size_t n)
{
	struct state	*s = ud;

	if (s->nstack == 0 && s->r->string != NULL && ((s->take == VJ_EACH &&
	    s->depth == 2) || (s->take == VJ_VALUE && s->depth == 1))) {
		int rc = s->r->string(s->r->ud, s->key, s->name,
		    (const char *)p, n);

		free(s->name);
		s->name = NULL;
		s->index++;
		return rc == 0 ? 1 : fail(s, "stopped");
	}
	if (!building(s))
		return scalar(s, NULL);
	return emit(s, json_object_new_string_len((const char *)p, (int)n));
}

static int
opened(struct state *s, struct json_object *c)
{
	int	 build = building(s);

	if (++s->depth > s->r->max_depth) {
		json_object_put(c);
		return fail(s, "nested deeper than %d levels",
		    s->r->max_depth);
	}
	if (!build) {
		json_object_put(c);
		return 1;
	}
	if (s->nstack == STACK_MAX) {
		json_object_put(c);
		return fail(s, "nested deeper than %d levels", STACK_MAX);
	}
	s->keys[s->nstack] = NULL;
	s->stack[s->nstack++] = c;
	return 1;
}

static int
on_start_map(void *ud)
{
	struct state	*s = ud;

	if (s->depth == 0) {
		s->depth = 1;
		return 1;
	}
	if (s->depth == 1 && (s->take == VJ_EACH || s->take == VJ_EACH_IN)) {
		s->depth++;
		s->each_base = s->depth;
		s->index = 0;
		return 1;
	}
	return opened(s, json_object_new_object());
}

static int
on_start_array(void *ud)
{
	struct state	*s = ud;

	if (s->depth == 0)
		return fail(s, "not a JSON object");
	if (s->depth == 1 && s->take == VJ_EACH_IN)
		return fail(s, "%s: must be an object", s->key);
	if (s->depth == 1 && s->take == VJ_EACH) {
		s->depth++;
		s->each_base = s->depth;
		s->index = 0;
		return 1;
	}
	/* An array member of a VJ_EACH_IN object: its elements one by one. */
	if (s->depth == 2 && s->take == VJ_EACH_IN && s->nstack == 0) {
		s->depth++;
		s->in_array = 1;
		s->index = 0;
		return 1;
	}
	return opened(s, json_object_new_array());
}

static int
on_map_key(void *ud, const unsigned char *p, size_t n)
{
	struct state	*s = ud;

	if (memchr(p, '\0', n) != NULL)
		return fail(s, "a member name holds a NUL");
	if (s->nstack > 0) {
		free(s->keys[s->nstack - 1]);
		s->keys[s->nstack - 1] = strndup((const char *)p, n);
		return 1;
	}
	if (s->depth == 1 && s->quiet) {
		s->take = VJ_SKIP;
		return 1;
	}
	if (s->depth == 1) {
		free(s->key);
		s->key = strndup((const char *)p, n);
		s->take = s->r->member(s->r->ud, s->key);
		s->index = 0;
		if (s->take == VJ_STREAM) {
			s->stream = 1;
			return 0;	/* stop here: the string is ours */
		}
		return 1;
	}
	if ((s->take == VJ_EACH || s->take == VJ_EACH_IN) && s->depth == 2) {
		free(s->name);
		s->name = strndup((const char *)p, n);
	}
	return 1;
}

static int
closed(struct state *s)
{
	struct json_object	*c;

	if (s->depth == 1) {		/* the root's end */
		s->depth = 0;
		return 1;
	}
	if (s->in_array && s->depth == 3 && s->nstack == 0) {
		s->depth--;
		s->in_array = 0;
		free(s->name);
		s->name = NULL;
		return 1;
	}
	if ((s->take == VJ_EACH || s->take == VJ_EACH_IN) &&
	    s->depth == s->each_base && s->nstack == 0) {
		s->depth--;
		s->take = VJ_SKIP;
		return 1;
	}
	s->depth--;
	if (s->nstack == 0)
		return 1;
	c = s->stack[--s->nstack];
	free(s->keys[s->nstack]);
	s->keys[s->nstack] = NULL;
	return emit(s, c);
}

static int
on_end(void *ud)
{
	return closed(ud);
}

static const yajl_callbacks callbacks = {
	on_null, on_bool, NULL, NULL, on_number, on_string,
	on_start_map, on_map_key, on_end, on_start_array, on_end,
};

/* Where a streamed string's reading is. */
enum phase { P_COLON, P_QUOTE, P_BODY, P_ESC, P_HEX };

struct vault_json {
	yajl_handle	 h;
	struct state	 s;
	int		 streaming;	/* in a VJ_STREAM member's value */
	enum phase	 phase;
	unsigned	 cp, hi;	/* \u: the code point; a high surrogate */
	int		 nhex;
	long long	 streamed;	/* its bytes, unescaped */
};

static yajl_handle
handle(struct state *s)
{
	yajl_handle	 h = yajl_alloc(&callbacks, NULL, s);

	if (h == NULL)
		fatal("yajl_alloc: out of memory");
	yajl_config(h, yajl_dont_validate_strings, 0);
	return h;
}

static void
state_free(struct state *s)
{
	int	 i;

	for (i = 0; i < s->nstack; i++) {
		json_object_put(s->stack[i]);
		free(s->keys[i]);
	}
	s->nstack = 0;
	free(s->key);
	free(s->name);
	s->key = s->name = NULL;
}

/* The reason the parse stopped, into err. */
static void
why(yajl_handle h, struct state *s, const unsigned char *p, size_t n,
    char *err, size_t errlen)
{
	unsigned char	*m;

	if (s->err[0] != '\0') {
		snprintf(err, errlen, "%s", s->err);
		return;
	}
	m = yajl_get_error(h, 0, p, n);
	snprintf(err, errlen, "not JSON: %s", m ? (char *)m : "?");
	if (m != NULL)
		yajl_free_error(h, m);
	err[strcspn(err, "\n")] = '\0';
}

/* Hand the streamed member n bytes at p (NULL: its end). */
static int
piece(struct vault_json *j, const char *p, size_t n)
{
	struct state	*s = &j->s;

	if (p != NULL && n == 0)
		return 0;
	j->streamed += (long long)n;
	if (s->r->chunk(s->r->ud, s->key, p, n) != 0)
		return fail(s, "stopped"), -1;
	return 0;
}

/* A code point as UTF-8, handed on. */
static int
put_cp(struct vault_json *j, unsigned cp)
{
	char	 u[4];
	size_t	 n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return piece(j, u, n);
}

/* The end of the streamed string: a new handle takes up after it. */
static int
resume(struct vault_json *j)
{
	struct state	*s = &j->s;

	if (piece(j, NULL, 0) != 0)
		return -1;
	yajl_free(j->h);
	j->h = handle(s);
	j->streaming = 0;
	s->depth = 0;
	s->quiet = 1;
	if (yajl_parse(j->h, (const unsigned char *)RESUME,
	    sizeof(RESUME) - 1) != yajl_status_ok)
		return fail(s, "resuming after %s", s->key), -1;
	s->quiet = 0;
	s->take = VJ_SKIP;
	return 0;
}

/* \u's code point cp, pairing surrogates: 0, or -1. */
static int
escaped_cp(struct vault_json *j, unsigned cp)
{
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (j->hi != 0)
			return fail(&j->s, "%s: a lone surrogate", j->s.key), -1;
		j->hi = cp;
		return 0;
	}
	if (cp >= 0xdc00 && cp < 0xe000) {
		if (j->hi == 0)
			return fail(&j->s, "%s: a lone surrogate", j->s.key), -1;
		cp = 0x10000 + ((j->hi - 0xd800) << 10) + (cp - 0xdc00);
		j->hi = 0;
	} else if (j->hi != 0)
		return fail(&j->s, "%s: a lone surrogate", j->s.key), -1;
	return put_cp(j, cp);
}

/*
 * Read the streamed member's value from p (n bytes): its colon, its
 * opening quote, then its characters unescaped and handed on in runs.
 * The bytes used, or -1.
 */
static long
stream(struct vault_json *j, const char *p, size_t n)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	struct state		*s = &j->s;
	size_t			 i = 0, run;
	const char		*e;
	int			 h;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		switch (j->phase) {
		case P_COLON:
		case P_QUOTE:
			i++;
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				break;
			if (j->phase == P_COLON && c == ':')
				j->phase = P_QUOTE;
			else if (j->phase == P_QUOTE && c == '"')
				j->phase = P_BODY;
			else
				return fail(s, "%s: must be a string", s->key), -1;
			break;
		case P_BODY:
			for (run = i; run < n && p[run] != '"' &&
			    p[run] != '\\' && (unsigned char)p[run] >= 0x20;
			    run++)
				;
			if (j->hi != 0 && run > i)
				return fail(s, "%s: a lone surrogate", s->key), -1;
			if (piece(j, p + i, run - i) != 0)
				return -1;
			i = run;
			if (i == n)
				break;
			c = (unsigned char)p[i++];
			if (c == '\\')
				j->phase = P_ESC;
			else if (c < 0x20)
				return fail(s, "%s: a control character in a "
				    "string", s->key), -1;
			else {
				if (j->hi != 0)
					return fail(s, "%s: a lone surrogate",
					    s->key), -1;
				return resume(j) != 0 ? -1 : (long)i;
			}
			break;
		case P_ESC:
			i++;
			if (c == 'u') {
				j->phase = P_HEX;
				j->cp = 0;
				j->nhex = 0;
				break;
			}
			if ((e = strchr(from, c)) == NULL || c == '\0')
				return fail(s, "%s: a bad escape", s->key), -1;
			if (j->hi != 0)
				return fail(s, "%s: a lone surrogate", s->key), -1;
			if (piece(j, to + (e - from), 1) != 0)
				return -1;
			j->phase = P_BODY;
			break;
		case P_HEX:
			i++;
			h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' &&
			    c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ?
			    c - 'A' + 10 : -1;
			if (h < 0)
				return fail(s, "%s: a bad \\u escape", s->key), -1;
			j->cp = j->cp << 4 | (unsigned)h;
			if (++j->nhex == 4) {
				if (escaped_cp(j, j->cp) != 0)
					return -1;
				j->phase = P_BODY;
			}
			break;
		}
	}
	return (long)i;
}

struct vault_json *
vault_json_new(const struct vault_json_reader *r)
{
	struct vault_json	*j = calloc(1, sizeof(*j));

	if (j == NULL)
		fatal("calloc: out of memory");
	j->s.r = r;
	j->h = handle(&j->s);
	return j;
}

int
vault_json_feed(struct vault_json *j, const char *p, size_t n, char *err,
    size_t errlen)
{
	yajl_status	 st;
	size_t		 used;
	long		 got;

	while (n > 0) {
		if (j->streaming) {
			if ((got = stream(j, p, n)) < 0)
				goto failed;
			p += got;
			n -= (size_t)got;
			continue;
		}
		st = yajl_parse(j->h, (const unsigned char *)p, n);
		if (st == yajl_status_client_canceled && j->s.stream &&
		    j->s.err[0] == '\0') {
			/* A VJ_STREAM member's name: its value is ours. */
			used = yajl_get_bytes_consumed(j->h);
			j->s.stream = 0;
			j->streaming = 1;
			j->phase = P_COLON;
			j->hi = 0;
			p += used;
			n -= used;
			continue;
		}
		if (st != yajl_status_ok) {
			why(j->h, &j->s, (const unsigned char *)p, n, err,
			    errlen);
			return j->s.too_big ? -2 : -1;
		}
		return 0;
	}
	return 0;
failed:
	snprintf(err, errlen, "%s", j->s.err);
	return -1;
}

int
vault_json_end(struct vault_json *j, char *err, size_t errlen)
{
	if (j->streaming) {
		snprintf(err, errlen, "not JSON: it ends too soon (in %s)",
		    j->s.key ? j->s.key : "a string");
		return -1;
	}
	if (yajl_complete_parse(j->h) != yajl_status_ok) {
		why(j->h, &j->s, NULL, 0, err, errlen);
		if (j->s.err[0] == '\0')
			snprintf(err, errlen, "not JSON: it ends too soon");
		return j->s.too_big ? -2 : -1;
	}
	return 0;
}

void
vault_json_free(struct vault_json *j)
{
	if (j == NULL)
		return;
	state_free(&j->s);
	yajl_free(j->h);
	free(j);
}

int
vault_json_parse(const struct vault_json_reader *r, int fd, const char *mem,
    size_t len, long long *consumed, char *err, size_t errlen)
{
	struct vault_json	*j = vault_json_new(r);
	char			*chunk = NULL;
	ssize_t			 n;
	int			 rc = -1;

	*err = '\0';
	if (fd < 0) {
		if ((rc = vault_json_feed(j, mem, len, err, errlen)) != 0)
			goto out;
		if (consumed != NULL)
			*consumed = (long long)len;
	} else {
		chunk = malloc(CHUNK);
		if (chunk == NULL)
			fatal("malloc: out of memory");
		for (;;) {
			n = read(fd, chunk, CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err, errlen, "read: %s",
				    strerror(errno));
				rc = -1;
				goto out;
			}
			if (n == 0)
				break;
			if (consumed != NULL)
				*consumed += n;
			if ((rc = vault_json_feed(j, chunk, (size_t)n, err,
			    errlen)) != 0)
				goto out;
			if (r->progress != NULL && r->progress(r->ud) != 0) {
				snprintf(err, errlen, "stopped");
				rc = -1;
				goto out;
			}
		}
	}
	rc = vault_json_end(j, err, errlen);
out:
	vault_json_free(j);
	free(chunk);
	return rc;
}
