/*
 * bare.c - bench/run's floor for passiond's own cost: a prefork libfcgi
 * program with as many request workers as passiond, behind the same
 * nginx, doing what passiond's cheapest routes do and nothing else.
 * GET /api/health and GET /api/auth/session: one prepared SELECT 1 (one
 * round trip) and a small JSON reply; anything else: a 404 JSON error.
 * No route table, arena, log line, deadline or session check: what
 * passiond's machinery costs per request is measured against it.
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

#define HEALTH	"{\"status\":\"ok\",\"db\":\"ok\",\"version\":\"bare\"}"
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

static void
serve(int fd, const char *conninfo)
{
	FCGX_Request	 r;
	PGconn		*c;
	const char	*uri;
	size_t		 n;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bare: %s", PQerrorMessage(c));
		_exit(1);
	}
	PQclear(PQprepare(c, "one", "SELECT 1", 0, NULL));
	FCGX_Init();
	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		uri = FCGX_GetParam("REQUEST_URI", r.envp);
		n = uri != NULL ? strcspn(uri, "?") : 0;
		if (uri != NULL && ((n == 11 && strncmp(uri, "/api/health",
		    n) == 0) || (n == 17 && strncmp(uri, "/api/auth/session",
		    n) == 0)))
			reply(&r, select_one(c) == 0 ? "200 OK" :
			    "503 Service Unavailable", HEALTH);
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
