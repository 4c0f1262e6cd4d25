/*
 * bare.c - bench/run's floor for passiond's own cost: a prefork libfcgi
 * program with as many request workers as passiond, behind the same
 * nginx, doing what passiond's cheapest routes do and nothing else.
 * GET /api/health: one prepared SELECT 1 (one round trip) and a small
 * JSON reply. GET /api/auth/session: the cookie's token hashed and the
 * very statement passiond's session lookup prepares (its text taken from
 * src/db/statements.c), its row put into the same JSON with one printf.
 * Anything else: a 404 JSON error. No route table, arena, log line,
 * deadline, memo or JSON library: what passiond's machinery costs per
 * request is measured against it, and bench/run also sets the session
 * route against this program's SELECT 1 (the database's share).
 *
 *   bench/bare SOCKET WORKERS CONNINFO
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "db/db_internal.h"
#include "util/util.h"

#define HEALTH	"{\"status\":\"ok\",\"db\":\"ok\",\"version\":\"bare\"}"
#define COOKIE	"passion.session="
/* passiond's defaults for session_max_age (90d) and session_roll (24h). */
#define MAX_AGE	"7776000"
#define ROLL	"86400"
#define MISSING	"{\"error\":{\"code\":\"not_found\",\"message\":\"no such " \
		"route\"}}"

static void
reply(FCGX_Request *r, const char *status, const char *body)
{
	/* libfcgi's own printf knows no %zu. */
	FCGX_FPrintF(r->out, "Status: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %lu\r\nCache-Control: no-store\r\n\r\n%s", status,
	    (unsigned long)strlen(body), body);
}

/* One round trip: 0, or -1 when the database did not answer. */
static int
select_one(PGconn *c)
{
	PGresult	*res = PQexecPrepared(c, "one", 0, NULL, NULL, NULL, 0);
	int		 ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

/* "null" or the text quoted (bench data needs no escaping). */
static const char *
quoted(char *out, size_t size, const char *v)
{
	if (*v == '\0')
		return "null";
	snprintf(out, size, "\"%s\"", v);
	return out;
}

/* GET /api/auth/session: the lookup passiond makes, in one round trip. */
static void
session(FCGX_Request *r, PGconn *c, const EVP_MD *sha256)
{
	const char	*cookie = FCGX_GetParam("HTTP_COOKIE", r->envp);
	const char	*tok = cookie ? strstr(cookie, COOKIE) : NULL;
	const char	*p[3];
	char		 hex[65], body[1024], n[300], e[300], im[300];
	unsigned char	 md[32];
	unsigned int	 len;
	PGresult	*res;

	if (tok == NULL) {
		reply(r, "401 Unauthorized", MISSING);
		return;
	}
	tok += strlen(COOKIE);
	EVP_Digest(tok, strcspn(tok, "; "), md, &len, sha256, NULL);
	hex_lower(hex, md, sizeof(md));
	p[0] = hex;
	p[1] = MAX_AGE;
	p[2] = ROLL;
	res = PQexecPrepared(c, "session", 3, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		reply(r, "401 Unauthorized", MISSING);
	else {
		snprintf(body, sizeof(body), "{\"user\":{\"id\":\"%s\","
		    "\"name\":%s,\"email\":%s,\"image\":%s},\"expires\":"
		    "\"%s\"}", PQgetvalue(res, 0, 1), quoted(n, sizeof(n),
		    PQgetvalue(res, 0, 6)), quoted(e, sizeof(e),
		    PQgetvalue(res, 0, 7)), quoted(im, sizeof(im),
		    PQgetvalue(res, 0, 8)), PQgetvalue(res, 0, 2));
		reply(r, "200 OK", body);
	}
	PQclear(res);
}

static void
serve(int fd, const char *conninfo)
{
	FCGX_Request	 r;
	PGconn		*c;
	EVP_MD		*sha256;
	const char	*uri;
	size_t		 n;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bare: %s", PQerrorMessage(c));
		_exit(1);
	}
	PQclear(PQprepare(c, "one", "SELECT 1", 0, NULL));
	PQclear(PQprepare(c, "session",
	    db_stmt_defs[DB_STMT_SESSION_LOOKUP].sql, 3, NULL));
	if ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		_exit(1);
	FCGX_Init();
	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		uri = FCGX_GetParam("REQUEST_URI", r.envp);
		n = uri != NULL ? strcspn(uri, "?") : 0;
		if (uri != NULL && n == 11 && strncmp(uri, "/api/health",
		    n) == 0)
			reply(&r, select_one(c) == 0 ? "200 OK" :
			    "503 Service Unavailable", HEALTH);
		else if (uri != NULL && n == 17 && strncmp(uri,
		    "/api/auth/session", n) == 0)
			session(&r, c, sha256);
		else
			reply(&r, "404 Not Found", MISSING);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	int	 fd, n, i;

	if (argc != 4 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bare SOCKET WORKERS CONNINFO\n");
		return 2;
	}
	unlink(argv[1]);
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(argv[1], 128)) < 0) {
		fprintf(stderr, "bare: cannot listen on %s\n", argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	for (i = 0; i < n; i++)
		if (fork() == 0)
			serve(fd, argv[3]);
	/* The workers end with us (PR_SET_PDEATHSIG). */
	while (wait(NULL) > 0)
		;
	return 0;
}
