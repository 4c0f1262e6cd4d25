/*
 * json.c - a bundle's JSON read as a stream (yajl): the top-level
 * object's members are visited one at a time, and only the values asked
 * for are built (json-c), one element of an array at a time, so a large
 * bundle is never a tree in memory. Depth is bounded; a string element
 * can be handed over as it is, without a copy (a blob's base64).
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

struct state {
	const struct vault_json_reader *r;
	int		 depth;		/* 1: inside the root object */
	enum vault_json_take take;	/* of the current top-level member */
	char		*key;		/* the current top-level member */
	long		 index;		/* its element (VJ_EACH of an array) */
	char		*name;		/* its member (VJ_EACH of an object) */
	/* What is being built: containers, and each one's pending key. */
	struct json_object *stack[STACK_MAX];
	char		*keys[STACK_MAX];
	int		 nstack;
	int		 each_base;	/* depth of the VJ_EACH container */
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
	rc = s->r->value(s->r->ud, s->key, s->index, s->name, v);
	json_object_put(v);
	if (s->take == VJ_EACH)
		s->index++;
	free(s->name);
	s->name = NULL;
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
	if (s->depth == 1 && s->take == VJ_EACH) {
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
	if (s->depth == 1 && s->take == VJ_EACH) {
		s->depth++;
		s->each_base = s->depth;
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
	if (s->depth == 1) {
		free(s->key);
		s->key = strndup((const char *)p, n);
		s->take = s->r->member(s->r->ud, s->key);
		s->index = 0;
		return 1;
	}
	if (s->take == VJ_EACH && s->depth == 2) {
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
	if (s->take == VJ_EACH && s->depth == s->each_base &&
	    s->nstack == 0) {
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

struct vault_json {
	yajl_handle	 h;
	struct state	 s;
	int		 done;
};

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

int
vault_json_parse(const struct vault_json_reader *r, int fd, const char *mem,
    size_t len, long long *consumed, char *err, size_t errlen)
{
	struct state	 s;
	yajl_handle	 h;
	yajl_status	 st = yajl_status_ok;
	unsigned char	*chunk = NULL;
	ssize_t		 n;
	int		 rc = -1;

	memset(&s, 0, sizeof(s));
	s.r = r;
	*err = '\0';
	h = yajl_alloc(&callbacks, NULL, &s);
	if (h == NULL)
		fatal("yajl_alloc: out of memory");
	yajl_config(h, yajl_dont_validate_strings, 0);
	if (fd < 0) {
		st = yajl_parse(h, (const unsigned char *)mem, len);
		if (consumed != NULL)
			*consumed = (long long)len;
		if (st != yajl_status_ok) {
			why(h, &s, (const unsigned char *)mem, len, err,
			    errlen);
			goto out;
		}
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
				goto out;
			}
			if (n == 0)
				break;
			if (consumed != NULL)
				*consumed += n;
			st = yajl_parse(h, chunk, (size_t)n);
			if (st != yajl_status_ok) {
				why(h, &s, chunk, (size_t)n, err, errlen);
				goto out;
			}
			if (r->progress != NULL && r->progress(r->ud) != 0) {
				snprintf(err, errlen, "stopped");
				goto out;
			}
		}
	}
	st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		why(h, &s, NULL, 0, err, errlen);
		if (s.err[0] == '\0')
			snprintf(err, errlen, "not JSON: it ends too soon");
		goto out;
	}
	rc = 0;
out:
	state_free(&s);
	free(chunk);
	yajl_free(h);
	return rc;
}
