/*
 * check_auth.c - sign-in end to end: a real OpenID Connect provider
 * (oidc-provider), providers that misbehave on purpose (rogue.mjs), a real
 * SMTP sink (aiosmtpd), through nginx and passiond into PostgreSQL.
 * Each test signs in its own user so tests do not depend on each other.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"
#include "../common/run.h"

static struct stack	 st;
static char		 db[64], dir[128], maildir[192];
static int		 oidc_port, rogue_port, smtp_port;
static pid_t		 peers[3];

static const char *const rogue_modes[] = {
	"good", "es256", "unverified", "nonce", "unknownkey", "expired", "aud",
	"hs256",
};

static const char *
peers_dir(void)
{
	static char	 d[512];
	const char	*e = getenv("PASSION_TEST_PEERS");

	if (e != NULL && *e != '\0')
		return e;
	snprintf(d, sizeof(d), "%s/tests/peers", getenv("abs_top_srcdir"));
	return d;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	char		 conf[8192], script[600], oport[16], rport[16];
	char		 redirect[2][160], listen[64], log[256], secret[256];
	struct stack_opts o = { NULL, 0, 0, 0 };
	size_t		 i, n;
	int		 port;

	snprintf(db, sizeof(db), "passion_auth_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	snprintf(dir, sizeof(dir), "/tmp/passion-peers.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	port = harness_free_port();
	oidc_port = harness_free_port();
	rogue_port = harness_free_port();
	smtp_port = harness_free_port();

	snprintf(oport, sizeof(oport), "%d", oidc_port);
	snprintf(redirect[0], sizeof(redirect[0]),
	    "http://127.0.0.1:%d/api/auth/callback/local", port);
	snprintf(redirect[1], sizeof(redirect[1]),
	    "https://passion.test/api/auth/callback/local");
	snprintf(script, sizeof(script), "%s/oidc.mjs", peers_dir());
	snprintf(log, sizeof(log), "%s/oidc.log", dir);
	{
		char *argv[] = { "node", script, oport, redirect[0],
		    redirect[1], NULL };
		peers[0] = harness_spawn(argv, log);
	}
	snprintf(rport, sizeof(rport), "%d", rogue_port);
	snprintf(script, sizeof(script), "%s/rogue.mjs", peers_dir());
	snprintf(log, sizeof(log), "%s/rogue.log", dir);
	{
		char *argv[] = { "node", script, rport, NULL };
		peers[1] = harness_spawn(argv, log);
	}
	/* aiosmtpd's maildir must not exist before it starts. */
	snprintf(maildir, sizeof(maildir), "%s/mail", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", smtp_port);
	snprintf(log, sizeof(log), "%s/smtp.log", dir);
	{
		char *argv[] = { "/usr/bin/python3", "-m", "aiosmtpd", "-n",
		    "-l", listen, "-c", "aiosmtpd.handlers.Mailbox", maildir,
		    NULL };
		peers[2] = harness_spawn(argv, log);
	}
	ck_assert_msg(harness_wait_port(oidc_port, 15000), "oidc-provider");
	ck_assert_msg(harness_wait_port(rogue_port, 15000), "rogue");
	ck_assert_msg(harness_wait_port(smtp_port, 15000), "aiosmtpd");

	snprintf(secret, sizeof(secret), "%s/client_secret", dir);
	write_file(secret, "passiond-secret\n");
	n = (size_t)snprintf(conf, sizeof(conf),
	    "oidc.local.name = Local\n"
	    "oidc.local.issuer = http://127.0.0.1:%d\n"
	    "oidc.local.client_id = passiond\n"
	    "oidc.local.client_secret_file = %s\n"
	    "oidc.down.issuer = http://127.0.0.1:%d\n"
	    "oidc.down.client_id = passiond\n"
	    "oidc.down.client_secret_file = %s\n"
	    "smtp_url = smtp://127.0.0.1:%d\n"
	    "smtp_from = signin@passion.test\n"
	    "smtp_tls = none\n"
	    "rate_per_address = 3\n"
	    "auth_error_url = /signin\n",
	    oidc_port, secret, harness_free_port(), secret, smtp_port);
	for (i = 0; i < sizeof(rogue_modes) / sizeof(rogue_modes[0]); i++)
		n += (size_t)snprintf(conf + n, sizeof(conf) - n,
		    "oidc.rogue-%s.issuer = http://127.0.0.1:%d/%s\n"
		    "oidc.rogue-%s.client_id = passiond\n"
		    "oidc.rogue-%s.client_secret_file = %s\n",
		    rogue_modes[i], rogue_port, rogue_modes[i],
		    rogue_modes[i], rogue_modes[i], secret);
	o.extra_conf = conf;
	o.port = port;
	harness_stack_start_opts(&st, harness_pghost(), db, &o);
}

static void
teardown(void)
{
	char	 cmd[256];
	size_t	 i;

	harness_stack_stop(&st);
	for (i = 0; i < 3; i++) {
		kill(peers[i], SIGTERM);
		if (harness_wait(peers[i], 5000) == -1) {
			kill(peers[i], SIGKILL);
			harness_wait(peers[i], 2000);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("PASSION_TEST_KEEP") == NULL && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* --- a small browser: a cookie jar, no automatic redirects --------------- */

struct page {
	long	 status;
	char	*body;
	char	*headers;
	char	 location[2048];
};

static size_t
grow(char *p, size_t size, size_t n, void *ud)
{
	char	**s = ud;
	size_t	 old = *s ? strlen(*s) : 0;
	char	*np = realloc(*s, old + size * n + 1);

	ck_assert_ptr_nonnull(np);
	memcpy(np + old, p, size * n);
	np[old + size * n] = '\0';
	*s = np;
	return size * n;
}

static CURL *
browser(void)
{
	CURL	*c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "check_auth/1.0");
	return c;
}

/* One request; hdr is one extra header or NULL. */
static void
go(CURL *c, const char *method, const char *url, const char *body,
    const char *ctype, const char *hdr, struct page *p)
{
	struct curl_slist	*h = NULL;
	char			 line[256], *loc = NULL;

	memset(p, 0, sizeof(*p));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &p->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (body == NULL)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	if (hdr != NULL)
		h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
	curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
	if (loc != NULL)
		snprintf(p->location, sizeof(p->location), "%s", loc);
	if (p->body == NULL)
		p->body = strdup("");
	if (p->headers == NULL)
		p->headers = strdup("");
	curl_slist_free_all(h);
}

static void
page_free(struct page *p)
{
	free(p->body);
	free(p->headers);
	memset(p, 0, sizeof(*p));
}

static void
url(char *out, size_t len, const char *path)
{
	snprintf(out, len, "%s%s", st.url, path);
}

/* The Set-Cookie line for name (its attributes included), or NULL. */
static const char *
set_cookie(struct page *p, const char *name)
{
	static char	 line[1024];
	const char	*h = p->headers;
	char		 want[128];

	snprintf(want, sizeof(want), "Set-Cookie: %s=", name);
	while (h != NULL && *h != '\0') {
		if (strncasecmp(h, want, strlen(want)) == 0) {
			snprintf(line, sizeof(line), "%.*s",
			    (int)strcspn(h, "\r\n"), h);
			return line;
		}
		h = strchr(h, '\n');
		if (h != NULL)
			h++;
	}
	return NULL;
}

/* The value of cookie name in a Set-Cookie line of p (static), or NULL. */
static const char *
cookie_value(struct page *p, const char *name)
{
	static char	 v[512];
	const char	*l = set_cookie(p, name);

	if (l == NULL)
		return NULL;
	l += strlen("Set-Cookie: ") + strlen(name) + 1;
	snprintf(v, sizeof(v), "%.*s", (int)strcspn(l, ";"), l);
	return v;
}

/* The form action in an oidc-provider interaction page. */
static int
form_action(const char *body, char *out, size_t len)
{
	const char	*a = strstr(body, "action=\"");
	size_t		 n;

	if (a == NULL)
		return 0;
	a += 8;
	n = strcspn(a, "\"");
	snprintf(out, len, "%.*s", (int)n, a);
	return 1;
}

/*
 * Drive the provider until it sends the browser to our callback; returns
 * the callback URL (static) without calling it. login: the account name
 * typed at oidc-provider's login form; abort: deny instead.
 */
static const char *
to_callback(CURL *c, const char *start, const char *login, int abort)
{
	static char	 next[2048];
	struct page	 p;
	char		 action[1024], form[256], cb[128];
	int		 i;

	snprintf(cb, sizeof(cb), "%s/api/auth/callback/", st.url);
	snprintf(next, sizeof(next), "%s", start);
	for (i = 0; i < 12; i++) {
		if (strncmp(next, cb, strlen(cb)) == 0)
			return next;
		go(c, "GET", next, NULL, NULL, NULL, &p);
		if (p.status >= 300 && p.status < 400) {
			snprintf(next, sizeof(next), "%s", p.location);
			page_free(&p);
			continue;
		}
		ck_assert_msg(p.status == 200 && form_action(p.body, action,
		    sizeof(action)), "provider page %ld: %.300s", p.status,
		    p.body);
		if (abort) {
			snprintf(next, sizeof(next), "%s/abort", action);
			page_free(&p);
			continue;
		}
		if (strstr(p.body, "value=\"login\"") != NULL)
			snprintf(form, sizeof(form), "prompt=login&login=%s&"
			    "password=any", login);
		else
			snprintf(form, sizeof(form), "prompt=consent");
		page_free(&p);
		go(c, "POST", action, form, "application/x-www-form-urlencoded",
		    NULL, &p);
		ck_assert_msg(p.status >= 300 && p.status < 400,
		    "form post %ld", p.status);
		snprintf(next, sizeof(next), "%s", p.location);
		page_free(&p);
	}
	ck_abort_msg("no callback after 12 steps");
	return NULL;
}

/* Start sign-in with provider and return the provider's first URL. */
static const char *
signin_start(CURL *c, const char *provider, const char *callback_url,
    struct page *p)
{
	char	 u[512];

	snprintf(u, sizeof(u), "%s/api/auth/signin/%s?callbackUrl=%s", st.url,
	    provider, callback_url);
	go(c, "GET", u, NULL, NULL, NULL, p);
	ck_assert_msg(p->status == 302, "signin: %ld %s", p->status, p->body);
	return p->location;
}

/* A whole sign-in at oidc-provider as login; the callback's page. */
static void
signin_local(CURL *c, const char *login, struct page *out)
{
	struct page	 p;
	char		 start[2048];
	const char	*cb;

	snprintf(start, sizeof(start), "%s", signin_start(c, "local", "/home",
	    &p));
	page_free(&p);
	cb = to_callback(c, start, login, 0);
	go(c, "GET", cb, NULL, NULL, NULL, out);
}

/*
 * The same in a new browser: the provider's own login session (a cookie
 * for 127.0.0.1, whatever the port) must not pick the next user.
 */
static void
signin_local_new(const char *login, struct page *out)
{
	CURL	*b = browser();

	signin_local(b, login, out);
	curl_easy_cleanup(b);
}

/* A sign-in at a rogue provider as email; the callback's page. */
static void
signin_rogue(CURL *c, const char *mode, const char *email, struct page *out)
{
	struct page	 p;
	char		 provider[64], start[2048];

	snprintf(provider, sizeof(provider), "rogue-%s", mode);
	snprintf(start, sizeof(start), "%s&login_hint=%s",
	    signin_start(c, provider, "/home", &p), email);
	page_free(&p);
	go(c, "GET", start, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 302);
	go(c, "GET", p.location, NULL, NULL, NULL, out);
	page_free(&p);
}

/* Whether p redirects to path on this stack (curl resolves Location). */
static int
went_to(struct page *p, const char *path)
{
	char	 want[512];

	snprintf(want, sizeof(want), "%s%s", st.url, path);
	return p->status == 302 && strcmp(p->location, want) == 0;
}

/* Where a failed sign-in sends the browser: /signin?error=code. */
static void
assert_refused(struct page *p, const char *code)
{
	char	 want[128];

	snprintf(want, sizeof(want), "%s/signin?error=%s", st.url, code);
	ck_assert_msg(p->status == 302 && strcmp(p->location, want) == 0,
	    "want %s, got %ld %s", want, p->status, p->location);
	ck_assert_msg(cookie_value(p, "passion.session") == NULL,
	    "a refused sign-in set a session cookie");
}

static PGconn *
owner(void)
{
	return harness_pg(harness_pghost(), db, "passion_owner");
}

/* A count from SQL with one parameter. */
static long
count1(const char *sql, const char *param)
{
	PGconn		*c = owner();
	const char	*p[1] = { param };
	PGresult	*r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
	long		 n;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(r));
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

static long
session_status(CURL *c)
{
	struct page	 p;
	char		 u[256];
	long		 s;

	url(u, sizeof(u), "/api/auth/session");
	go(c, "GET", u, NULL, NULL, NULL, &p);
	s = p.status;
	page_free(&p);
	return s;
}

/* --- OpenID Connect ----------------------------------------------------- */

START_TEST(oidc_code_pkce_signin)
{
	CURL		*c = browser();
	struct page	 p;
	const char	*line, *tok;
	char		 u[256], hash[80], token[64];
	struct resp	 r;

	signin_local(c, "alice", &p);
	ck_assert_msg(p.status == 302, "%ld %s", p.status, p.body);
	ck_assert_msg(went_to(&p, "/home"), "%s", p.location);
	line = set_cookie(&p, "passion.session");
	ck_assert_ptr_nonnull(line);
	/* Plain http (dev): no __Host- prefix and no Secure; the rest holds. */
	ck_assert_ptr_nonnull(strstr(line, "; Path=/"));
	ck_assert_ptr_nonnull(strstr(line, "; HttpOnly"));
	ck_assert_ptr_nonnull(strstr(line, "; SameSite=Lax"));
	ck_assert_ptr_nonnull(strstr(line, "; Max-Age=2592000"));
	ck_assert_ptr_null(strstr(line, "Domain="));
	/* The state cookie is cleared. */
	ck_assert_ptr_nonnull(strstr(set_cookie(&p, "passion.oidc"),
	    "Max-Age=0"));
	tok = cookie_value(&p, "passion.session");
	snprintf(token, sizeof(token), "%s", tok);
	page_free(&p);

	url(u, sizeof(u), "/api/auth/session");
	go(c, "GET", u, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 200);
	r.json = json_tokener_parse(p.body);
	r.body = NULL;
	r.headers = NULL;
	ck_assert_str_eq(resp_str(&r, "user.email"), "alice@example.org");
	ck_assert_str_eq(resp_str(&r, "user.name"), "alice");
	ck_assert_ptr_nonnull(resp_str(&r, "expires"));
	json_object_put(r.json);
	page_free(&p);

	/* The database has the token's SHA-256, never the token. */
	{
		PGconn *o = owner();
		const char *params[1] = { token };
		PGresult *res = PQexecParams(o, "SELECT count(*) FROM sessions "
		    "WHERE session_token = encode(sha256(convert_to($1, "
		    "'UTF8')), 'hex')", 1, NULL, params, NULL, NULL, 0);

		ck_assert_str_eq(PQgetvalue(res, 0, 0), "1");
		PQclear(res);
		res = PQexecParams(o, "SELECT count(*) FROM sessions WHERE "
		    "session_token = $1", 1, NULL, params, NULL, NULL, 0);
		ck_assert_str_eq(PQgetvalue(res, 0, 0), "0");
		PQclear(res);
		PQfinish(o);
	}
	snprintf(hash, sizeof(hash), "alice@example.org");
	ck_assert_int_eq(count1("SELECT count(*) FROM accounts a JOIN users u "
	    "ON u.id = a.user_id WHERE u.email = $1 AND a.provider = 'local' "
	    "AND a.provider_account_id = 'alice'", hash), 1);
	/* Provider tokens are sealed: no JWT, no access token in clear. */
	ck_assert_int_eq(count1("SELECT count(*) FROM accounts a JOIN users u "
	    "ON u.id = a.user_id WHERE u.email = $1 AND a.id_token IS NOT NULL "
	    "AND a.access_token IS NOT NULL AND position('eyJ'::bytea IN "
	    "a.id_token) = 0 AND length(a.id_token) > 100", hash), 1);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_providers_listed)
{
	struct resp	 r;
	char		 u[256];

	url(u, sizeof(u), "/api/auth/providers");
	http_get(u, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "{\"id\":\"local\",\"name\":"
	    "\"Local\",\"type\":\"oidc\",\"signinUrl\":"
	    "\"/api/auth/signin/local\"}"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"type\":\"email\""));
	resp_free(&r);
}
END_TEST

START_TEST(oidc_tampered_state)
{
	CURL		*c = browser();
	struct page	 p;
	char		 cb[2048], *s;

	snprintf(cb, sizeof(cb), "%s", to_callback(c, signin_start(c, "local",
	    "/", &p), "tampered", 0));
	page_free(&p);
	s = strstr(cb, "state=");
	ck_assert_ptr_nonnull(s);
	s[6] = s[6] == 'A' ? 'B' : 'A';
	go(c, "GET", cb, NULL, NULL, NULL, &p);
	assert_refused(&p, "invalid_state");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "tampered@example.org"), 0);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_missing_state_cookie)
{
	CURL		*c = browser();
	struct page	 p;
	char		 cb[2048];

	snprintf(cb, sizeof(cb), "%s", to_callback(c, signin_start(c, "local",
	    "/", &p), "nocookie", 0));
	page_free(&p);
	curl_easy_setopt(c, CURLOPT_COOKIELIST, "ALL");
	go(c, "GET", cb, NULL, NULL, NULL, &p);
	assert_refused(&p, "missing_state");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "nocookie@example.org"), 0);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_reused_code)
{
	CURL		*c = browser(), *c2;
	struct page	 p;
	char		 cb[2048], state[600], hdr[700];

	snprintf(cb, sizeof(cb), "%s", to_callback(c, signin_start(c, "local",
	    "/", &p), "reuse", 0));
	snprintf(state, sizeof(state), "%s", cookie_value(&p, "passion.oidc"));
	page_free(&p);
	go(c, "GET", cb, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 302);
	ck_assert_msg(went_to(&p, "/"), "%s", p.location);
	page_free(&p);
	/* The same code and a valid state cookie again: the provider says no. */
	c2 = browser();
	snprintf(hdr, sizeof(hdr), "Cookie: passion.oidc=%s", state);
	go(c2, "GET", cb, NULL, NULL, hdr, &p);
	assert_refused(&p, "token_exchange_failed");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions s JOIN users u "
	    "ON u.id = s.user_id WHERE u.email = $1", "reuse@example.org"), 1);
	curl_easy_cleanup(c);
	curl_easy_cleanup(c2);
}
END_TEST

START_TEST(oidc_denied_consent)
{
	CURL		*c = browser();
	struct page	 p;
	char		 cb[2048];

	snprintf(cb, sizeof(cb), "%s", to_callback(c, signin_start(c, "local",
	    "/", &p), "denied", 1));
	page_free(&p);
	ck_assert_ptr_nonnull(strstr(cb, "error=access_denied"));
	go(c, "GET", cb, NULL, NULL, NULL, &p);
	assert_refused(&p, "access_denied");
	page_free(&p);
	curl_easy_cleanup(c);
}
END_TEST

static const struct {
	const char	*mode, *email;
} bad_token_cases[] = {
	{ "nonce", "nonce@example.org" },
	{ "unknownkey", "unknownkey@example.org" },
	{ "expired", "expired@example.org" },
	{ "aud", "aud@example.org" },
	{ "hs256", "hs256@example.org" },
};

START_TEST(oidc_bad_id_tokens)
{
	CURL		*c = browser();
	struct page	 p;

	signin_rogue(c, bad_token_cases[_i].mode, bad_token_cases[_i].email,
	    &p);
	assert_refused(&p, "invalid_id_token");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    bad_token_cases[_i].email), 0);
	ck_assert_int_eq(session_status(c), 401);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_open_redirect_refused)
{
	static const char *const bad[] = {
		"https://evil.example/", "//evil.example/x", "/%5Cevil.example",
		"javascript:alert(1)",
	};
	struct resp	 r;
	char		 u[512];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(u, sizeof(u), "%s/api/auth/signin/local?callbackUrl=%s",
		    st.url, bad[i]);
		http_get(u, &r);
		ck_assert_msg(r.status == 400, "%s: %ld", bad[i], r.status);
		ck_assert_str_eq(resp_str(&r, "error.code"), "invalid_field");
		ck_assert_ptr_null(resp_header(&r, "Location"));
		resp_free(&r);
	}
}
END_TEST

START_TEST(oidc_provider_down)
{
	CURL		*c = browser();
	struct page	 p;
	char		 u[256];

	url(u, sizeof(u), "/api/auth/signin/down");
	go(c, "GET", u, NULL, NULL, NULL, &p);
	assert_refused(&p, "provider_unavailable");
	page_free(&p);
	/* API clients asking for JSON get JSON. */
	go(c, "GET", u, NULL, NULL, "Accept: application/json", &p);
	ck_assert_int_eq(p.status, 502);
	ck_assert_ptr_nonnull(strstr(p.body, "\"provider_unavailable\""));
	page_free(&p);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_links_verified_email_only)
{
	CURL		*c = browser();
	struct page	 p;

	/* bob@example.org (verified) at oidc-provider, then at rogue-good. */
	signin_local_new("bob", &p);
	ck_assert_int_eq(p.status, 302);
	page_free(&p);
	signin_rogue(c, "good", "bob@example.org", &p);
	ck_assert_msg(went_to(&p, "/home"), "%ld %s", p.status, p.location);
	ck_assert_ptr_nonnull(cookie_value(&p, "passion.session"));
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "bob@example.org"), 1);
	ck_assert_int_eq(count1("SELECT count(*) FROM accounts a JOIN users u "
	    "ON u.id = a.user_id WHERE u.email = $1", "bob@example.org"), 2);

	/* carol exists; an unverified claim of her address links nothing. */
	signin_local_new("carol", &p);
	page_free(&p);
	signin_rogue(c, "unverified", "carol@example.org", &p);
	assert_refused(&p, "account_not_linked");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM accounts a JOIN users u "
	    "ON u.id = a.user_id WHERE u.email = $1", "carol@example.org"), 1);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(oidc_es256_and_client_secret_post)
{
	CURL		*c = browser();
	struct page	 p;

	/* rogue's discovery lists only client_secret_post; its key is EC. */
	signin_rogue(c, "es256", "ec@example.org", &p);
	ck_assert_msg(went_to(&p, "/home"), "%ld %s", p.status, p.location);
	page_free(&p);
	ck_assert_int_eq(session_status(c), 200);
	ck_assert_int_eq(count1("SELECT count(*) FROM accounts WHERE "
	    "provider = 'rogue-es256' AND provider_account_id = $1",
	    "rogue-ec@example.org"), 1);
	curl_easy_cleanup(c);
}
END_TEST

/* --- magic links -------------------------------------------------------- */

/* The newest message for to in the maildir (malloc'd), waiting for it. */
static char *
mail_for(const char *to, int ms)
{
	char	 needle[300];

	snprintf(needle, sizeof(needle), "To: <%s>", to);
	return harness_mail_for(maildir, needle, ms);
}

/* The link in a message, rewritten onto this stack's URL. */
static void
link_in(const char *mail, char *out, size_t len)
{
	const char	*l = strstr(mail, "/api/auth/callback/email?");

	ck_assert_ptr_nonnull(l);
	snprintf(out, len, "%s%.*s", st.url, (int)strcspn(l, "\r\n"), l);
}

static long
ask_link(const char *email, const char *callback, struct resp *r)
{
	char	 u[256], body[512];

	url(u, sizeof(u), "/api/auth/email");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"callbackUrl\":\"%s\"}",
	    email, callback);
	http_do("POST", u, "application/json", body, r);
	return r->status;
}

/* Ask for a link for email and return it from the mail that arrives. */
static void
new_link(const char *email, char *link, size_t len)
{
	struct resp	 r;
	char		*m;

	ck_assert_int_eq(ask_link(email, "/", &r), 202);
	resp_free(&r);
	m = mail_for(email, 5000);
	ck_assert_msg(m != NULL, "no mail for %s in %s", email, maildir);
	link_in(m, link, len);
	free(m);
}

START_TEST(magic_link_works_once)
{
	CURL		*c = browser();
	struct page	 p;
	struct resp	 r;
	char		*mail, link[1024];

	ck_assert_int_eq(ask_link("  Erin@Example.ORG ", "/after", &r), 202);
	resp_free(&r);
	mail = mail_for("erin@example.org", 5000);
	ck_assert_msg(mail != NULL, "no mail in %s", maildir);
	ck_assert_ptr_nonnull(strstr(mail, "Subject: Sign in to Passion OS"));
	link_in(mail, link, sizeof(link));
	free(mail);
	/* Only the hash is stored. */
	ck_assert_int_eq(count1("SELECT count(*) FROM verification_tokens "
	    "WHERE identifier = $1 AND token ~ '^[0-9a-f]{64}$'",
	    "erin@example.org"), 1);
	go(c, "GET", link, NULL, NULL, NULL, &p);
	ck_assert_msg(p.status == 302, "%ld %s", p.status, p.body);
	ck_assert_msg(went_to(&p, "/after"), "%s", p.location);
	ck_assert_ptr_nonnull(cookie_value(&p, "passion.session"));
	page_free(&p);
	ck_assert_int_eq(session_status(c), 200);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1 "
	    "AND email_verified IS NOT NULL", "erin@example.org"), 1);
	/* Second use: refused, no new session. */
	go(c, "GET", link, NULL, NULL, NULL, &p);
	assert_refused(&p, "invalid_token");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions s JOIN users u "
	    "ON u.id = s.user_id WHERE u.email = $1", "erin@example.org"), 1);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(magic_link_expired)
{
	CURL		*c = browser();
	struct page	 p;
	char		 link[1024];
	PGconn		*o;

	new_link("frank@example.org", link, sizeof(link));
	o = owner();
	harness_sql(o, "UPDATE verification_tokens SET expires = now() - "
	    "interval '1 second' WHERE identifier = 'frank@example.org'");
	PQfinish(o);
	go(c, "GET", link, NULL, NULL, NULL, &p);
	assert_refused(&p, "expired_token");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "frank@example.org"), 0);
	/* Expired hours ago, after maintain's sweep: still told so, and
	 * what to do, to a client that asks for JSON. */
	new_link("fran@example.org", link, sizeof(link));
	o = owner();
	harness_sql(o, "UPDATE verification_tokens SET expires = now() - "
	    "interval '2 hours' WHERE identifier = 'fran@example.org'");
	PQfinish(o);
	ck_assert_int_eq(harness_passionctl(&st, "maintain", NULL), 0);
	go(c, "GET", link, NULL, NULL, "Accept: application/json", &p);
	ck_assert_int_eq(p.status, 400);
	ck_assert_msg(strstr(p.body, "\"expired_token\"") != NULL &&
	    strstr(p.body, "ask for a new one") != NULL, "%s", p.body);
	page_free(&p);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(magic_link_same_answer_for_everyone)
{
	struct resp	 known, unknown;

	ck_assert_int_eq(ask_link("gina@example.org", "/", &known), 202);
	resp_free(&known);
	{
		char *first = mail_for("gina@example.org", 5000);

		ck_assert_ptr_nonnull(first);
		free(first);
	}
	{
		CURL *c = browser();
		struct page p;
		char link[1024];

		new_link("gina@example.org", link, sizeof(link));
		go(c, "GET", link, NULL, NULL, NULL, &p);
		ck_assert_int_eq(p.status, 302);
		page_free(&p);
		curl_easy_cleanup(c);
	}
	/* gina now exists; nobody-h does not. Same status, same body. */
	ask_link("gina@example.org", "/", &known);
	ask_link("nobody-h@example.org", "/", &unknown);
	ck_assert_int_eq(known.status, 202);
	ck_assert_int_eq(unknown.status, 202);
	ck_assert_str_eq(known.body, unknown.body);
	resp_free(&known);
	resp_free(&unknown);
}
END_TEST

START_TEST(magic_link_rate_limited)
{
	struct resp	 r;
	int		 i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ask_link("hank@example.org", "/", &r), 202);
		resp_free(&r);
	}
	ck_assert_int_eq(ask_link("HANK@example.org", "/", &r), 429);
	ck_assert_str_eq(resp_str(&r, "error.code"), "rate_limited");
	ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
	resp_free(&r);
}
END_TEST

static const struct {
	const char	*body;
	const char	*message;
} bad_email_cases[] = {
	{ "{}", "email: required" },
	{ "{\"email\":42}", "email: required" },
	{ "{\"email\":\"not-an-address\"}", "email: not an email address" },
	{ "{\"email\":\"a@b.org\",\"callbackUrl\":\"https://evil.example/\"}",
	    "callbackUrl" },
	{ "{\"email\":\"a@b.org\",\"callbackUrl\":7}", "callbackUrl" },
};

START_TEST(magic_link_bad_requests)
{
	struct resp	 r;
	char		 u[256];

	url(u, sizeof(u), "/api/auth/email");
	http_do("POST", u, "application/json", bad_email_cases[_i].body, &r);
	/* A field's rule, as every other field's: 422 naming it. */
	ck_assert_int_eq(r.status, 422);
	ck_assert_str_eq(resp_str(&r, "error.code"), "invalid");
	ck_assert_str_eq(resp_str(&r, "error.field"),
	    bad_email_cases[_i].message[0] == 'e' ? "email" : "callbackUrl");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    bad_email_cases[_i].message));
	resp_free(&r);
}
END_TEST

/* --- sessions ----------------------------------------------------------- */

/* Sign in by magic link as email in a fresh browser. */
static CURL *
signed_in(const char *email)
{
	CURL		*c = browser();
	struct page	 p;
	char		 link[1024];

	new_link(email, link, sizeof(link));
	go(c, "GET", link, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 302);
	page_free(&p);
	ck_assert_int_eq(session_status(c), 200);
	return c;
}

static void
sql_for(const char *sql, const char *email)
{
	PGconn		*o = owner();
	const char	*p[1] = { email };
	PGresult	*r = PQexecParams(o, sql, 1, NULL, p, NULL, NULL, 0);

	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s",
	    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(o);
}

#define OF_USER	" WHERE user_id = (SELECT id FROM users WHERE email = $1)"

START_TEST(session_idle_expiry)
{
	CURL	*c = signed_in("idle@example.org");

	sql_for("UPDATE sessions SET expires = now() - interval '1 second'"
	    OF_USER, "idle@example.org");
	ck_assert_int_eq(session_status(c), 401);
	/* Rejected and deleted. */
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions" OF_USER,
	    "idle@example.org"), 0);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(session_absolute_cap)
{
	CURL	*c = signed_in("cap@example.org");

	/* Idle expiry still far away, but created more than 90 days ago. */
	sql_for("UPDATE sessions SET created_at = now() - interval '91 days', "
	    "expires = now() + interval '10 days'" OF_USER, "cap@example.org");
	ck_assert_int_eq(session_status(c), 401);
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions" OF_USER,
	    "cap@example.org"), 0);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(session_rolls_once_a_day)
{
	CURL		*c = signed_in("roll@example.org");
	struct page	 p;
	char		 u[256];

	/* Touched less than 24 h ago: no roll, no new cookie. */
	url(u, sizeof(u), "/api/auth/session");
	go(c, "GET", u, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 200);
	ck_assert_ptr_null(set_cookie(&p, "passion.session"));
	page_free(&p);
	sql_for("UPDATE sessions SET last_seen_at = now() - interval '25 hours',"
	    " expires = now() + interval '1 hour'" OF_USER, "roll@example.org");
	go(c, "GET", u, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 200);
	ck_assert_ptr_nonnull(strstr(set_cookie(&p, "passion.session"),
	    "Max-Age=2592000"));
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions" OF_USER
	    " AND expires > now() + interval '29 days' AND last_seen_at > "
	    "now() - interval '1 minute'", "roll@example.org"), 1);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(session_signout)
{
	CURL		*c = signed_in("out@example.org");
	struct page	 p;
	char		 u[256];

	url(u, sizeof(u), "/api/auth/signout");
	go(c, "POST", u, "", NULL, "Sec-Fetch-Site: same-origin", &p);
	ck_assert_int_eq(p.status, 204);
	ck_assert_ptr_nonnull(strstr(set_cookie(&p, "passion.session"),
	    "Max-Age=0"));
	page_free(&p);
	ck_assert_int_eq(session_status(c), 401);
	ck_assert_int_eq(count1("SELECT count(*) FROM sessions" OF_USER,
	    "out@example.org"), 0);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(session_list_and_revoke)
{
	CURL		*a = signed_in("many@example.org");
	CURL		*b = signed_in("many@example.org");
	CURL		*c = signed_in("many@example.org");
	struct page	 p;
	struct resp	 r;
	char		 u[256], other[64];

	url(u, sizeof(u), "/api/auth/sessions");
	go(a, "GET", u, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 200);
	r.json = json_tokener_parse(p.body);
	{
		struct json_object *data, *e, *v;
		size_t i, current = 0;

		ck_assert(json_object_object_get_ex(r.json, "data", &data));
		ck_assert_int_eq(json_object_array_length(data), 3);
		other[0] = '\0';
		for (i = 0; i < 3; i++) {
			e = json_object_array_get_idx(data, i);
			json_object_object_get_ex(e, "current", &v);
			if (json_object_get_boolean(v))
				current++;
			else
				snprintf(other, sizeof(other), "%s",
				    json_object_get_string(
				    json_object_object_get(e, "id")));
			json_object_object_get_ex(e, "userAgent", &v);
			ck_assert_str_eq(json_object_get_string(v),
			    "check_auth/1.0");
		}
		ck_assert_int_eq(current, 1);
	}
	json_object_put(r.json);
	page_free(&p);
	/* Revoke one other session: exactly one of b, c loses access. */
	snprintf(u, sizeof(u), "%s/api/auth/sessions/%s", st.url, other);
	go(a, "DELETE", u, NULL, NULL, "Sec-Fetch-Site: same-origin", &p);
	ck_assert_int_eq(p.status, 204);
	page_free(&p);
	ck_assert_int_eq((session_status(b) == 401) + (session_status(c) ==
	    401), 1);
	/* Someone else's or an unknown id: 404, nothing deleted. */
	snprintf(u, sizeof(u), "%s/api/auth/sessions/%s", st.url,
	    "00000000-0000-0000-0000-000000000000");
	go(a, "DELETE", u, NULL, NULL, "Sec-Fetch-Site: same-origin", &p);
	ck_assert_int_eq(p.status, 404);
	page_free(&p);
	/* Revoke all others. */
	url(u, sizeof(u), "/api/auth/sessions");
	go(a, "DELETE", u, NULL, NULL, "Sec-Fetch-Site: same-origin", &p);
	ck_assert_int_eq(p.status, 200);
	ck_assert_ptr_nonnull(strstr(p.body, "\"revoked\":1"));
	page_free(&p);
	ck_assert_int_eq(session_status(a), 200);
	ck_assert_int_eq(session_status(b), 401);
	ck_assert_int_eq(session_status(c), 401);
	curl_easy_cleanup(a);
	curl_easy_cleanup(b);
	curl_easy_cleanup(c);
}
END_TEST

static const char *const forged_cookies[] = {
	"passion.session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"passion.session=short",
	"passion.session=",
	"passion.session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*",
	"passion.session='; DROP TABLE sessions; --",
};

START_TEST(session_forged_cookies_401)
{
	CURL		*c = browser();
	struct page	 p;
	char		 u[256], hdr[256];

	url(u, sizeof(u), "/api/auth/session");
	snprintf(hdr, sizeof(hdr), "Cookie: %s", forged_cookies[_i]);
	go(c, "GET", u, NULL, NULL, hdr, &p);
	ck_assert_int_eq(p.status, 401);
	ck_assert_ptr_nonnull(strstr(p.body, "\"unauthenticated\""));
	page_free(&p);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(session_truncated_cookie_401)
{
	CURL		*c = signed_in("trunc@example.org"), *d = browser();
	struct curl_slist *cookies = NULL, *k;
	struct page	 p;
	char		 u[256], hdr[256];
	const char	*val = NULL;

	curl_easy_getinfo(c, CURLINFO_COOKIELIST, &cookies);
	for (k = cookies; k != NULL; k = k->next)
		if (strstr(k->data, "\tpassion.session\t") != NULL)
			val = strrchr(k->data, '\t') + 1;
	ck_assert_ptr_nonnull(val);
	snprintf(hdr, sizeof(hdr), "Cookie: passion.session=%.*s",
	    (int)strlen(val) - 1, val);
	curl_slist_free_all(cookies);
	url(u, sizeof(u), "/api/auth/session");
	go(d, "GET", u, NULL, NULL, hdr, &p);
	ck_assert_int_eq(p.status, 401);
	page_free(&p);
	curl_easy_cleanup(c);
	curl_easy_cleanup(d);
}
END_TEST

/* --- CSRF ----------------------------------------------------------------- */

START_TEST(csrf_cross_site_refused)
{
	CURL		*c = signed_in("csrf@example.org");
	struct page	 p;
	char		 u[256], origin[128];

	url(u, sizeof(u), "/api/auth/signout");
	go(c, "POST", u, "", NULL, "Origin: https://evil.example", &p);
	ck_assert_int_eq(p.status, 403);
	ck_assert_ptr_nonnull(strstr(p.body, "\"cross_site_request\""));
	page_free(&p);
	go(c, "POST", u, "", NULL, "Sec-Fetch-Site: cross-site", &p);
	ck_assert_int_eq(p.status, 403);
	page_free(&p);
	/* A cookie and no browser header at all: refused too. */
	go(c, "POST", u, "", NULL, NULL, &p);
	ck_assert_int_eq(p.status, 403);
	page_free(&p);
	ck_assert_int_eq(session_status(c), 200);
	/* Same origin: allowed. */
	snprintf(origin, sizeof(origin), "Origin: %s", st.url);
	go(c, "POST", u, "", NULL, origin, &p);
	ck_assert_int_eq(p.status, 204);
	page_free(&p);
	ck_assert_int_eq(session_status(c), 401);
	curl_easy_cleanup(c);
}
END_TEST

/* --- who may sign up; disabled users ------------------------------------- */

static void
reload_with(const char *extra)
{
	FILE	*f = fopen(st.conf, "a");
	char	 marker[64];
	static int n;

	ck_assert_ptr_nonnull(f);
	fputs(extra, f);
	fclose(f);
	kill(st.passiond, SIGHUP);
	/* Wait for the reload that this call started. */
	n++;
	snprintf(marker, sizeof(marker), "(generation %d)", n);
	ck_assert(harness_file_has(st.log, marker, 5000));
	ck_assert(harness_file_has(st.log, "reload done", 5000));
	harness_sleep_ms(300);
}

START_TEST(signup_policies)
{
	CURL		*c = browser();
	struct page	 p;

	/* An existing user still gets in when sign-up is closed. */
	signin_local_new("olduser", &p);
	ck_assert_int_eq(p.status, 302);
	page_free(&p);
	reload_with("signup = closed\n");
	signin_local_new("olduser", &p);
	ck_assert_msg(went_to(&p, "/home"), "%ld %s", p.status, p.location);
	page_free(&p);
	signin_local_new("stranger", &p);
	assert_refused(&p, "signup_not_allowed");
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "stranger@example.org"), 0);

	reload_with("signup = allowlist\nsignup_allow = zed@example.org, "
	    "@allowed.example\n");
	signin_local_new("stranger", &p);
	assert_refused(&p, "signup_not_allowed");
	page_free(&p);
	signin_local_new("zed", &p);
	ck_assert_int_eq(p.status, 302);
	page_free(&p);
	/* An allowlisted address needs a verified email. */
	signin_rogue(c, "unverified", "un@allowed.example", &p);
	assert_refused(&p, "signup_not_allowed");
	page_free(&p);
	signin_rogue(c, "good", "yes@allowed.example", &p);
	ck_assert_int_eq(p.status, 302);
	page_free(&p);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email IN "
	    "('zed@example.org', 'yes@allowed.example', $1)",
	    "un@allowed.example"), 2);
	reload_with("signup = open\n");
	curl_easy_cleanup(c);
}
END_TEST

static int
passionctl(const char *args)
{
	return harness_passionctl(&st, args, NULL);
}

START_TEST(disabled_user_loses_access_at_once)
{
	CURL		*c = signed_in("dis@example.org"), *d;
	struct page	 p;
	char		 link[1024];

	ck_assert_int_eq(passionctl("user disable dis@example.org"), 0);
	ck_assert_int_eq(session_status(c), 401);
	/* Signing in again is refused while disabled... */
	new_link("dis@example.org", link, sizeof(link));
	d = browser();
	go(d, "GET", link, NULL, NULL, NULL, &p);
	assert_refused(&p, "account_disabled");
	page_free(&p);
	/* ...and works again once enabled. */
	ck_assert_int_eq(passionctl("user enable dis@example.org"), 0);
	curl_easy_cleanup(d);
	d = signed_in("dis@example.org");
	curl_easy_cleanup(d);
	curl_easy_cleanup(c);
}
END_TEST

START_TEST(passionctl_user_commands)
{
	ck_assert_int_eq(passionctl("user create Ctl@Example.org"), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1 "
	    "AND email_verified IS NOT NULL", "ctl@example.org"), 1);
	ck_assert_int_eq(passionctl("user create ctl@example.org"), 1);
	ck_assert_int_eq(passionctl("user list"), 0);
	ck_assert_int_eq(passionctl("user delete ctl@example.org"), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM users WHERE email = $1",
	    "ctl@example.org"), 0);
	ck_assert_int_eq(passionctl("user delete ctl@example.org"), 1);
	ck_assert_int_eq(passionctl("user disable not-an-address"), 2);
	ck_assert_int_eq(passionctl("user frobnicate x@y.org"), 2);
}
END_TEST

/* Over https the cookie is __Host-passion.session with Secure. */
START_TEST(https_cookie_attributes)
{
	struct stack		 s;
	struct stack_opts	 o = { NULL, 0, 0, 0 };
	struct page		 p;
	char			 conf[512], u[256], body[128], *m, *l;
	char			 db2[80];
	CURL			*c = browser();

	snprintf(conf, sizeof(conf), "public_origin = https://passion.test\n"
	    "smtp_url = smtp://127.0.0.1:%d\nsmtp_from = x@passion.test\n"
	    "smtp_tls = none\n", smtp_port);
	o.extra_conf = conf;
	/*
	 * A database of its own: the main stack's jobs worker, with its
	 * own public_origin, would take this stack's mail job too.
	 */
	snprintf(db2, sizeof(db2), "%s_https", db);
	harness_db_create(harness_pghost(), db2);
	harness_stack_start_opts(&s, harness_pghost(), db2, &o);
	snprintf(u, sizeof(u), "%s/api/auth/email", s.url);
	snprintf(body, sizeof(body), "{\"email\":\"secure@example.org\"}");
	go(c, "POST", u, body, "application/json", NULL, &p);
	ck_assert_int_eq(p.status, 202);
	page_free(&p);
	m = mail_for("secure@example.org", 5000);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "https://passion.test/api/auth/"
	    "callback/email?token="));
	l = strstr(m, "/api/auth/callback/email?");
	snprintf(u, sizeof(u), "%s%.*s", s.url, (int)strcspn(l, "\r\n"), l);
	free(m);
	go(c, "GET", u, NULL, NULL, NULL, &p);
	ck_assert_int_eq(p.status, 302);
	l = (char *)set_cookie(&p, "__Host-passion.session");
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(strstr(l, "; Path=/; Max-Age=2592000; HttpOnly; "
	    "SameSite=Lax; Secure"));
	ck_assert_ptr_null(strstr(l, "Domain="));
	page_free(&p);
	harness_stack_stop(&s);
	curl_easy_cleanup(c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc = tcase_create("signin");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, oidc_code_pkce_signin);
	tcase_add_test(tc, oidc_providers_listed);
	tcase_add_test(tc, oidc_tampered_state);
	tcase_add_test(tc, oidc_missing_state_cookie);
	tcase_add_test(tc, oidc_reused_code);
	tcase_add_test(tc, oidc_denied_consent);
	tcase_add_loop_test(tc, oidc_bad_id_tokens, 0, N(bad_token_cases));
	tcase_add_test(tc, oidc_open_redirect_refused);
	tcase_add_test(tc, oidc_provider_down);
	tcase_add_test(tc, oidc_links_verified_email_only);
	tcase_add_test(tc, oidc_es256_and_client_secret_post);
	tcase_add_test(tc, magic_link_works_once);
	tcase_add_test(tc, magic_link_expired);
	tcase_add_test(tc, magic_link_same_answer_for_everyone);
	tcase_add_test(tc, magic_link_rate_limited);
	tcase_add_loop_test(tc, magic_link_bad_requests, 0,
	    N(bad_email_cases));
	tcase_add_test(tc, session_idle_expiry);
	tcase_add_test(tc, session_absolute_cap);
	tcase_add_test(tc, session_rolls_once_a_day);
	tcase_add_test(tc, session_signout);
	tcase_add_test(tc, session_list_and_revoke);
	tcase_add_loop_test(tc, session_forged_cookies_401, 0,
	    N(forged_cookies));
	tcase_add_test(tc, session_truncated_cookie_401);
	tcase_add_test(tc, csrf_cross_site_refused);
	tcase_add_test(tc, signup_policies);
	tcase_add_test(tc, disabled_user_loses_access_at_once);
	tcase_add_test(tc, passionctl_user_commands);
	tcase_add_test(tc, https_cookie_attributes);
	harness_add_no_crash(tc, &st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
