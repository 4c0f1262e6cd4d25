/*
 * mail.c - the mail job: a magic link, sealed in the queue, opened and
 * sent here. The link is in the message only: never in a log line, and
 * its sealed token is dropped from the row when the job ends.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobs/jobs.h"

#define AAD_PREFIX	"mail:"

char *
jobs_mail_payload(struct arena *a, const struct auth_keys *k,
    const char *deliver_to, const char *email, const char *token)
{
	struct json_object	*o;
	const char		*json;
	char			*out;

	o = json_object_new_object();
	json_object_object_add(o, "to", json_object_new_string(deliver_to));
	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "secret", json_object_new_string(
	    jobs_secret_seal(a, k, arena_printf(a, AAD_PREFIX "%s", email),
	    token)));
	json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	out = arena_strdup(a, json);
	json_object_put(o);
	return out;
}

static const char *
field(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *
message(struct jobs_ctx *ctx, const char *to, const char *link)
{
	const struct config	*cfg = ctx->cfg;
	struct arena		*a = &ctx->arena;
	unsigned char		 id[16];
	const char		*domain = strchr(cfg->smtp_from, '@');
	char			 date[64];
	time_t			 now = time(NULL);
	struct tm		 tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	random_bytes(id, sizeof(id));
	return arena_printf(a,
	    "Date: %s\r\nFrom: Passion OS <%s>\r\nTo: <%s>\r\n"
	    "Message-ID: <%s@%s>\r\n"
	    "Subject: Sign in to Passion OS\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "Open this link to sign in (it works once, for %ld hours):\r\n\r\n"
	    "%s\r\n\r\nIf you did not ask for it, ignore this message.\r\n",
	    date, cfg->smtp_from, to, b64url_encode(a, id, sizeof(id)),
	    domain ? domain + 1 : "passion.localhost",
	    cfg->email_token_ttl / 3600, link);
}

enum job_result
jobs_mail_run(struct jobs_ctx *ctx, struct json_object *payload, char *err,
    size_t errlen)
{
	struct arena	*a = &ctx->arena;
	const char	*to = field(payload, "to");
	const char	*email = field(payload, "email");
	const char	*secret = field(payload, "secret");
	unsigned char	*tok;
	size_t		 tn;
	const char	*link;

	if (to == NULL || email == NULL || secret == NULL) {
		snprintf(err, errlen, "mail job without to, email or secret");
		return JOB_FAIL;
	}
	tok = jobs_secret_open(a, &ctx->keys, arena_printf(a, AAD_PREFIX "%s",
	    email), secret, &tn);
	if (tok == NULL) {
		snprintf(err, errlen, "the sealed token does not open (was "
		    "secret_key changed?)");
		return JOB_FAIL;
	}
	link = arena_printf(a, "%s/api/auth/callback/email?token=%.*s"
	    "&email=%s", ctx->cfg->public_origin, (int)tn, (const char *)tok,
	    net_escape(a, email));
	explicit_bzero(tok, tn);
	if (net_smtp_send(&ctx->net, ctx->cfg, to, message(ctx, to, link),
	    err, errlen) != 0)
		return JOB_RETRY;
	return JOB_DONE;
}
