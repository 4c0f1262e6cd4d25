/*
 * json.c - the lexical gate in front of json-c. json-c parses the
 * structure; this file refuses what RFC 8259 does not allow but json-c
 * takes (or silently changes): single quotes, raw control characters,
 * bare words such as NaN and Infinity, numbers json-c would clamp
 * (integers past 64 bits, exponents past a double), escaped lone
 * surrogates (json-c turns them into U+FFFD) and \u0000 (PostgreSQL text
 * cannot hold it). It does not check nesting: json-c does, with a depth
 * limit.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define NUMBER_MAX	512	/* longest number literal taken */

static int	fail(struct http_json_error *e, size_t off, const char *why);
static int	hex4(const char *s, size_t n, size_t i, unsigned *out);
static int	scan_string(const char *s, size_t n, size_t *i,
		    struct http_json_error *e);
static int	scan_number(const char *s, size_t n, size_t *i,
		    struct http_json_error *e);
static int	scan_word(const char *s, size_t n, size_t *i,
		    struct http_json_error *e);
static void	remember_key(const char *s, size_t n, size_t start,
		    size_t end, struct http_json_error *e);

static int
fail(struct http_json_error *e, size_t off, const char *why)
{
	e->offset = off;
	e->reason = why;
	return -1;
}

static int
hex4(const char *s, size_t n, size_t i, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 k;

	if (n - i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		char c = s[i + k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* *i at the opening quote; leaves it after the closing one. */
static int
scan_string(const char *s, size_t n, size_t *i, struct http_json_error *e)
{
	size_t		 j = *i + 1;
	unsigned	 cp, lo;

	while (j < n) {
		unsigned char c = (unsigned char)s[j];

		if (c == '"') {
			*i = j + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(e, j, "control character in a string");
		if (c != '\\') {
			j++;
			continue;
		}
		if (j + 1 >= n)
			break;
		if (strchr("\"\\/bfnrt", s[j + 1]) != NULL && s[j + 1] != '\0') {
			j += 2;
			continue;
		}
		if (s[j + 1] != 'u' || hex4(s, n, j + 2, &cp) != 0)
			return fail(e, j, "invalid escape in a string");
		if (cp == 0)
			return fail(e, j, "\\u0000 is not allowed in a string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(e, j, "lone surrogate escape in a string");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (n - j < 12 || s[j + 6] != '\\' || s[j + 7] != 'u' ||
			    hex4(s, n, j + 8, &lo) != 0 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return fail(e, j, "lone surrogate escape in a "
				    "string");
			j += 12;
			continue;
		}
		j += 6;
	}
	return fail(e, *i, "unterminated string");
}

static size_t
digits(const char *s, size_t n, size_t j)
{
	while (j < n && s[j] >= '0' && s[j] <= '9')
		j++;
	return j;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
scan_number(const char *s, size_t n, size_t *i, struct http_json_error *e)
{
	char		 buf[NUMBER_MAX + 1];
	size_t		 j = *i, d;
	int		 integer = 1;
	char		*end;

	if (s[j] == '-')
		j++;
	if (j >= n || s[j] < '0' || s[j] > '9')
		return fail(e, *i, "invalid number");
	if (s[j] == '0') {
		j++;
		if (j < n && s[j] >= '0' && s[j] <= '9')
			return fail(e, *i, "number with a leading zero");
	} else
		j = digits(s, n, j);
	if (j < n && s[j] == '.') {
		integer = 0;
		d = digits(s, n, j + 1);
		if (d == j + 1)
			return fail(e, *i, "invalid number");
		j = d;
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		integer = 0;
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		d = digits(s, n, j);
		if (d == j)
			return fail(e, *i, "invalid number");
		j = d;
	}
	if (j - *i > NUMBER_MAX)
		return fail(e, *i, "number too long");
	memcpy(buf, s + *i, j - *i);
	buf[j - *i] = '\0';
	errno = 0;
	if (integer) {
		(void)strtoll(buf, &end, 10);
		if (errno == ERANGE)
			return fail(e, *i, "integer out of range (at most 64 "
			    "bits)");
	} else {
		double v = strtod(buf, &end);

		if (!isfinite(v))
			return fail(e, *i, "number out of range");
	}
	*i = j;
	return 0;
}

static int
scan_word(const char *s, size_t n, size_t *i, struct http_json_error *e)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t	 k, len;

	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		len = strlen(words[k]);
		if (n - *i >= len && memcmp(s + *i, words[k], len) == 0 &&
		    (n - *i == len || strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
		    s[*i + len]) == NULL || s[*i + len] == '\0')) {
			*i += len;
			return 0;
		}
	}
	return fail(e, *i, "unexpected word (only true, false and null)");
}

/* The string s[start..end) (quotes included) is a key if ':' follows. */
static void
remember_key(const char *s, size_t n, size_t start, size_t end,
    struct http_json_error *e)
{
	size_t	 j = end, len;

	while (j < n && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
		j++;
	if (j >= n || s[j] != ':')
		return;
	len = end - start - 2;
	if (len >= sizeof(e->key))
		len = sizeof(e->key) - 1;
	memcpy(e->key, s + start + 1, len);
	e->key[len] = '\0';
}

int
http_json_check(const char *s, size_t n, struct http_json_error *e)
{
	size_t	 i = 0, start;

	memset(e, 0, sizeof(*e));
	while (i < n) {
		char c = s[i];

		switch (c) {
		case ' ': case '\t': case '\r': case '\n':
		case '{': case '}': case '[': case ']': case ':': case ',':
			i++;
			break;
		case '"':
			start = i;
			if (scan_string(s, n, &i, e) != 0)
				return -1;
			remember_key(s, n, start, i, e);
			break;
		case '-': case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if (scan_number(s, n, &i, e) != 0)
				return -1;
			break;
		default:
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
				if (scan_word(s, n, &i, e) != 0)
					return -1;
				break;
			}
			return fail(e, i, "unexpected character");
		}
	}
	return 0;
}
