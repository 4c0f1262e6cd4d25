/*
 * email.c - what an email address is here: NFKC-normalised (libunistring),
 * trimmed, lowercased, one '@'. And who may sign up with one.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "auth/auth.h"

#define EMAIL_MAX	254

char *
auth_email_normalize(struct arena *a, const char *in)
{
	uint8_t		*nfkc, *lower;
	size_t		 n = strlen(in), nlen = 0, llen = 0, i, at = 0;
	const uint8_t	*s = (const uint8_t *)in;
	char		*out;
	int		 ats = 0;

	if (n == 0 || n > 4 * EMAIL_MAX || u8_check(s, n) != NULL)
		return NULL;
	nfkc = u8_normalize(UNINORM_NFKC, s, n, NULL, &nlen);
	if (nfkc == NULL)
		return NULL;
	lower = u8_tolower(nfkc, nlen, NULL, UNINORM_NFKC, NULL, &llen);
	free(nfkc);
	if (lower == NULL)
		return NULL;
	/* Trim (ASCII white space; NFKC already folded the exotic ones). */
	i = 0;
	while (i < llen && isspace(lower[i]))
		i++;
	while (llen > i && isspace(lower[llen - 1]))
		llen--;
	out = arena_strndup(a, (const char *)lower + i, llen - i);
	free(lower);
	n = strlen(out);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '@') {
			ats++;
			at = i;
		} else if (c <= ' ' || c == 0x7f || c == '<' || c == '>' ||
		    c == ',' || c == ';' || c == '"' || c == '\\')
			return NULL;
	}
	if (ats != 1 || at == 0 || at == n - 1 || n > EMAIL_MAX ||
	    strchr(out + at + 1, '.') == NULL || out[n - 1] == '.')
		return NULL;
	return out;
}

int
auth_signup_allowed(const struct config *cfg, const char *email,
    int verified)
{
	const char	*p, *at;
	size_t		 len, elen = strlen(email);

	if (strcmp(cfg->signup, "open") == 0)
		return 1;
	if (strcmp(cfg->signup, "closed") == 0 || !verified)
		return 0;
	at = strchr(email, '@');
	/* signup_allow: "a@b.org, @example.org" - exact or whole domain. */
	for (p = cfg->signup_allow; *p != '\0'; p += len) {
		while (*p == ',' || *p == ' ')
			p++;
		len = strcspn(p, ", ");
		if (len == 0)
			break;
		if (*p == '@' && at != NULL && strlen(at) == len &&
		    strncasecmp(at, p, len) == 0)
			return 1;
		if (*p != '@' && elen == len && strncasecmp(email, p, len) == 0)
			return 1;
	}
	return 0;
}

static int
ascii(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

char *
auth_email_deliverable(struct arena *a, const char *email, int smtputf8,
    const char **why)
{
	const char	*at = strrchr(email, '@');
	char		*domain = NULL, *out;
	int		 rc;

	if (at == NULL) {
		*why = "not an email address";
		return NULL;
	}
	if (!smtputf8 && !ascii(email, (size_t)(at - email))) {
		*why = "this server's mail relay cannot deliver to an address "
		    "with characters other than ASCII before the @; use "
		    "another address";
		return NULL;
	}
	if (ascii(at + 1, strlen(at + 1)))
		return arena_strdup(a, email);
	rc = idn2_to_ascii_8z(at + 1, &domain, IDN2_NONTRANSITIONAL |
	    IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		*why = "the domain is not a valid internationalised domain "
		    "name";
		return NULL;
	}
	out = arena_printf(a, "%.*s@%s", (int)(at - email), email, domain);
	idn2_free(domain);
	return out;
}
