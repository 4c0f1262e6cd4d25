/*
 * csrf.c - the cross-site request rule for cookie-authenticated unsafe
 * requests (docs/security.md), and same-origin checks for redirects.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "auth/auth.h"

static int
unsafe(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

int
auth_csrf_ok(const char *method, const char *sec_fetch_site,
    const char *origin_hdr, const char *cookie_hdr, const char *origin)
{
	if (!unsafe(method))
		return 1;
	if (sec_fetch_site != NULL)
		return strcmp(sec_fetch_site, "same-origin") == 0 ||
		    strcmp(sec_fetch_site, "none") == 0;
	if (origin_hdr != NULL)
		return strcasecmp(origin_hdr, origin) == 0;
	/* No browser header at all: fine only for a client with no cookie. */
	return cookie_hdr == NULL || *cookie_hdr == '\0';
}

int
auth_same_origin_url(const char *url, const char *origin)
{
	size_t	 n = strlen(origin);

	if (url == NULL || *url == '\0')
		return 0;
	/* A path: "/x" but not "//host" or "/\host" (browsers read both). */
	if (url[0] == '/')
		return url[1] != '/' && url[1] != '\\' &&
		    strpbrk(url, "\r\n\t") == NULL;
	if (strncasecmp(url, origin, n) != 0)
		return 0;
	return (url[n] == '\0' || url[n] == '/' || url[n] == '?' ||
	    url[n] == '#') && strpbrk(url, "\r\n\t\\") == NULL;
}
