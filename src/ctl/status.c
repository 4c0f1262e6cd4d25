/*
 * status.c - passionctl status: what the running master says on its
 * status listener (status_listen), GET /status?full, as a few lines and
 * a table of the workers, or (--json) as the JSON it sent. It reads no
 * database: it works when the database or every worker does not.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "net/net.h"
#include "util/util.h"

/* o's member at a dotted path, or NULL. */
static struct json_object *
get(struct json_object *o, const char *path)
{
	char	 key[64];
	size_t	 n;

	while (o != NULL && *path != '\0') {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

/* The member as text ("-" when missing or null). */
static const char *
str(struct json_object *o, const char *path)
{
	struct json_object	*v = get(o, path);

	return v != NULL ? json_object_get_string(v) : "-";
}

static void
pool_line(struct json_object *o, const char *key, const char *name)
{
	struct json_object	*p = get(o, key);

	if (p == NULL || json_object_get_int(get(p, "max")) == 0)
		return;
	printf("%-15s %s: idle %s", name, str(p, "max"), str(p, "idle"));
	if (get(p, "reading") != NULL)
		printf(", reading %s", str(p, "reading"));
	printf(", busy %s, stalled %s\n", str(p, "busy"), str(p, "stalled"));
}

static void
print_table(struct json_object *o)
{
	struct json_object	*procs = get(o, "processes"), *w;
	char			 what[160];
	size_t			 i;

	printf("\n%-8s %-8s %-8s %9s %9s %10s  %s\n", "PID", "KIND", "STATE",
	    "FOR", "SERVED", "RSS", "DOING");
	for (i = 0; procs != NULL && i < json_object_array_length(procs);
	    i++) {
		w = json_object_array_get_idx(procs, i);
		if (get(w, "route") != NULL)
			snprintf(what, sizeof(what), "%s %s", str(w, "method"),
			    str(w, "route"));
		else
			snprintf(what, sizeof(what), "%s", get(w, "job") ?
			    str(w, "job") : "");
		printf("%-8s %-8s %-8s %8.1fs %9s %9.1fM  %s\n", str(w, "pid"),
		    str(w, "kind"), str(w, "state"), json_object_get_double(
		    get(w, "state_seconds")), get(w, "requests") ?
		    str(w, "requests") : str(w, "jobs"),
		    json_object_get_double(get(w, "rss_bytes")) / 1048576.0,
		    what);
	}
}

static void
print_status(struct json_object *o, const char *addr)
{
	struct json_object	*e = get(o, "counts.worker_exits");

	printf("passiond %s, up %s s (since %s), status from %s\n",
	    str(o, "version"), str(o, "uptime_seconds"), str(o, "started_at"),
	    addr);
	printf("%-15s %s: queue %s (most %s), backlog %s\n", "listen",
	    str(o, "listen.address"), str(o, "listen.queue"),
	    str(o, "listen.queue_max"), str(o, "listen.backlog"));
	pool_line(o, "workers", "workers");
	pool_line(o, "jobs_workers", "jobs workers");
	pool_line(o, "vault_workers", "vault workers");
	printf("%-15s %s answered, %s connections, %s read timeouts, %s "
	    "request timeouts\n", "requests", str(o, "counts.requests"),
	    str(o, "counts.accepted_connections"),
	    str(o, "counts.read_timeouts"), str(o, "counts.request_timeouts"));
	printf("%-15s recycled %s, retired %s, deadline %s, signal %s, "
	    "error %s\n", "worker exits", str(e, "recycled"),
	    str(e, "retired"), str(e, "deadline"), str(e, "signal"),
	    str(e, "error"));
	printf("%-15s %s, %s reconnects; errors: timeout %s, unavailable %s, "
	    "other %s\n", "database", get(o, "database.up") == NULL ?
	    "not known yet" : json_object_get_boolean(get(o, "database.up")) ?
	    "up" : "DOWN", str(o, "database.reconnects"),
	    str(o, "database.errors.timeout"),
	    str(o, "database.errors.unavailable"),
	    str(o, "database.errors.other"));
	printf("%-15s %s calls, %s failed, %s presigned URLs\n", "store",
	    str(o, "counts.store.calls"), str(o, "counts.store.failed"),
	    str(o, "counts.store.presigns"));
	printf("%-15s %s queued (the oldest due for %s s), %s running, %s "
	    "done, %s failed\n", "jobs", str(o, "jobs.queued"),
	    str(o, "jobs.oldest_due_seconds"), str(o, "jobs.running"),
	    str(o, "jobs.done"), str(o, "jobs.failed"));
	print_table(o);
}

int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct json_object	*o;
	struct net_resp		 r;
	struct arena		 a;
	struct net		 n;
	char			 err[256];
	int			 json = 0, rc = 1, i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return ctl_bad_arg("status", argv[i]);
	if ((cfg = ctl_conf(ctl)) == NULL)
		return ctl->rc;
	if (*cfg->status_listen == '\0') {
		fprintf(stderr, "passionctl status: status_listen is off in "
		    "the configuration: there is nothing to ask\n");
		return 1;
	}
	arena_init(&a, 16 * 1024);
	net_init(&n, 2, 5);
	if (net_get_at(&n, &a, cfg->status_listen, "/status?full", &r, err,
	    sizeof(err)) != 0)
		fprintf(stderr, "passionctl status: %s: %s (is passiond "
		    "running with this status_listen?)\n", cfg->status_listen,
		    err);
	else if (r.status != 200 || (o = json_tokener_parse(r.body)) == NULL)
		fprintf(stderr, "passionctl status: %s answered %ld: %.200s\n",
		    cfg->status_listen, r.status, r.body);
	else {
		if (json)
			fputs(r.body, stdout);
		else
			print_status(o, cfg->status_listen);
		json_object_put(o);
		rc = 0;
	}
	net_cleanup(&n);
	arena_cleanup(&a);
	return rc;
}
