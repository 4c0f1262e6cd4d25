/*
 * render.c - what the master's status listener answers: the Prometheus
 * text of /metrics and the JSON of /status, both made from the same
 * reading of the slots (tally below): the counts of the live workers
 * folded onto the retired total, the workers by state, the queue at the
 * listening socket, and what /proc says of each process. No label
 * carries anything a user sent: routes are the table's templates,
 * never paths.
 */
#include "config.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api.h"
#include "jobs/jobs.h"
#include "server/server.h"
#include "storage/storage.h"

static const char *const kind_names[WORKER_KINDS] = { "request", "jobs",
	"vault" };
static const char *const state_names[] = { "idle", "reading", "busy",
	"stalled" };
#define STATES	4
static const char *const exit_names[EXIT_REASONS] = { "recycled", "retired",
	"deadline", "signal", "error" };
static const char *const class_names[STATS_CLASSES] = { "2xx", "3xx", "4xx",
	"5xx" };
static const char *const db_error_names[STATS_DB_ERRORS] = { "timeout",
	"unavailable", "other" };
static const char *const presign_names[STATS_PRESIGNS] = { "GET", "PUT",
	"HEAD" };

/* What /proc says of one process. */
struct proc_info {
	double		 cpu_s;
	double		 rss_bytes;
	long		 fds;		/* -1: not readable */
};

/* One reading of everything the master shows. */
struct tally {
	struct stats	 total;		/* retired + live */
	long		 workers[WORKER_KINDS][STATES];
	long		 running[STATS_KINDS];	/* jobs by kind */
	long		 queue, backlog;
	int		 queue_known;
	struct proc_info master, workers_proc;
	double		 cpu_s[WORKER_KINDS];	/* live + retired */
	int64_t		 db_ok_ms, db_fail_ms, queue_ms;
	const struct stats_live *live;	/* the freshest queue reading */
};

static void
proc_read(const char *pid, struct proc_info *p)
{
	char		 path[64], line[1024], *s;
	unsigned long	 utime = 0, stime = 0;
	long		 rss = 0, tick = sysconf(_SC_CLK_TCK);
	struct dirent	*e;
	DIR		*d;
	FILE		*f;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((f = fopen(path, "re")) != NULL) {
		/* After the name in parentheses: fields 3 onwards. */
		if (fgets(line, sizeof(line), f) != NULL &&
		    (s = strrchr(line, ')')) != NULL)
			sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			    "%*u %lu %lu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
			    &utime, &stime, &rss);
		fclose(f);
	}
	p->cpu_s = (double)(utime + stime) / (double)(tick > 0 ? tick : 100);
	p->rss_bytes = (double)rss * (double)sysconf(_SC_PAGESIZE);
	/* A jobs worker is not dumpable: its fds are root's to read. */
	p->fds = -1;
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if ((d = opendir(path)) != NULL) {
		p->fds = 0;
		while ((e = readdir(d)) != NULL)
			p->fds += e->d_name[0] != '.';
		closedir(d);
	}
}

/* Its state, stalled once half-way to the deadline that would end it. */
static int
slot_state(const struct status_view *v, const struct worker_slot *s,
    int64_t now)
{
	int	 st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	long	 limit = st == WORKER_READING ? v->cfg->read_timeout :
	    s->jobs ? (s->job_limit > 0 ? s->job_limit : v->cfg->job_timeout) :
	    v->cfg->request_timeout;

	if (st != WORKER_IDLE && (now - s->state_ms) * 2 >= limit * 1000)
		return 3;
	return st;
}

/* The kind index of the job a jobs worker runs (its slot's "kind id"). */
static size_t
job_kind_of(const struct worker_slot *s)
{
	const char	*name;
	size_t		 i, n;

	for (i = 0; (name = jobs_kind_name(i)) != NULL; i++) {
		n = strlen(name);
		if (strncmp(s->path, name, n) == 0 && s->path[n] == ' ')
			return i;
	}
	return STATS_KINDS - 1;
}

static void
tally_slot(struct tally *t, const struct status_view *v,
    const struct worker_slot *s, int64_t now)
{
	struct proc_info	 p;
	char			 pid[16];
	int			 st = slot_state(v, s, now);
	const struct stats_live	*l = &s->stats->live;

	stats_fold(&t->total, s->stats);
	t->workers[s->jobs][st]++;
	if (s->jobs && st != WORKER_IDLE)
		t->running[job_kind_of(s)]++;
	snprintf(pid, sizeof(pid), "%ld", (long)s->pid);
	proc_read(pid, &p);
	t->cpu_s[s->jobs] += p.cpu_s;
	t->workers_proc.cpu_s += p.cpu_s;
	t->workers_proc.rss_bytes += p.rss_bytes;
	if (p.fds > 0)
		t->workers_proc.fds += p.fds;
	if (l->db_ok_ms > t->db_ok_ms)
		t->db_ok_ms = l->db_ok_ms;
	if (l->db_fail_ms > t->db_fail_ms)
		t->db_fail_ms = l->db_fail_ms;
	if (__atomic_load_n(&l->queue_ms, __ATOMIC_ACQUIRE) > t->queue_ms) {
		t->queue_ms = l->queue_ms;
		t->live = l;
	}
}

static struct tally *
tally(const struct status_view *v)
{
	struct tally	*t = calloc(1, sizeof(*t));
	int64_t		 now = time_mono_ms();
	size_t		 i;

	if (t == NULL)
		return NULL;
	t->total = *v->retired;
	for (i = 0; i < WORKER_KINDS; i++)
		t->cpu_s[i] = v->retired_cpu_s[i];
	t->workers_proc.cpu_s = v->retired_cpu_s[0] + v->retired_cpu_s[1] +
	    v->retired_cpu_s[2];
	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].pid != 0)
			tally_slot(t, v, &v->slots[i], now);
	t->queue_known = listen_queue(v->listen_fd, &t->queue,
	    &t->backlog) == 0;
	proc_read("self", &t->master);
	return t;
}

/* -1: not known yet (no worker has reached the server or failed to). */
static int
db_up(const struct tally *t)
{
	if (t->db_ok_ms == 0 && t->db_fail_ms == 0)
		return -1;
	return t->db_ok_ms >= t->db_fail_ms;
}

static uint64_t
sum(const uint64_t *c, size_t n)
{
	uint64_t	 s = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		s += c[i];
	return s;
}

/* --- /metrics --- */

/* labels: key, value pairs ending in NULL, into lab. */
static const char *
labels(struct buf *lab, ...)
{
	va_list		 ap;
	const char	*k, *val;

	lab->len = 0;
	va_start(ap, lab);
	while ((k = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		metrics_label(lab, k, val);
	}
	va_end(ap);
	buf_putc(lab, '\0');
	lab->len--;
	return lab->data;
}

static int
hist(struct buf *b, const char *name, const char *lab,
    const struct stats_hist *h)
{
	return metrics_histogram(b, name, lab, stats_bounds, h->counts,
	    STATS_BOUNDS, (double)h->sum_us / 1e6);
}

static int
put_workers(struct buf *b, struct buf *lab, const struct status_view *v,
    const struct tally *t)
{
	const long	 max[WORKER_KINDS] = { v->cfg->workers,
	    v->cfg->job_workers, v->cfg->vault_workers };
	int		 rc, k, s;

	rc = metrics_family(b, "passiond_workers", "gauge", "Workers by kind "
	    "and state (stalled: half-way to the deadline that ends it).");
	for (k = 0; k < WORKER_KINDS; k++)
		for (s = 0; s < STATES; s++)
			if (k == 0 || s != WORKER_READING)
				rc |= metrics_sample(b, "passiond_workers",
				    labels(lab, "kind", kind_names[k], "state",
				    state_names[s], NULL),
				    (double)t->workers[k][s]);
	rc |= metrics_family(b, "passiond_workers_max", "gauge", "Workers of "
	    "each kind the configuration asks for.");
	for (k = 0; k < WORKER_KINDS; k++)
		rc |= metrics_sample(b, "passiond_workers_max", labels(lab,
		    "kind", kind_names[k], NULL), (double)max[k]);
	rc |= metrics_family(b, "passiond_worker_exits_total", "counter",
	    "Workers ended, by kind and reason.");
	for (k = 0; k < WORKER_KINDS; k++)
		for (s = 0; s < EXIT_REASONS; s++)
			rc |= metrics_sample(b, "passiond_worker_exits_total",
			    labels(lab, "kind", kind_names[k], "reason",
			    exit_names[s], NULL), (double)v->exits[k][s]);
	return rc;
}

/* A family of one sample without labels. */
static int
single(struct buf *b, const char *name, const char *type, const char *help,
    double v)
{
	return metrics_family(b, name, type, help) |
	    metrics_sample(b, name, NULL, v);
}

static int
put_listen(struct buf *b, const struct status_view *v, const struct tally *t)
{
	int	 rc = 0;

	if (t->queue_known) {
		rc |= single(b, "passiond_listen_queue", "gauge", "Connections "
		    "waiting to be accepted.", (double)t->queue);
		rc |= single(b, "passiond_listen_backlog", "gauge", "The "
		    "listening socket's backlog.", (double)t->backlog);
	}
	rc |= single(b, "passiond_listen_queue_max", "gauge", "The most "
	    "connections seen waiting since start (sampled every 200 ms).",
	    (double)v->queue_max);
	rc |= single(b, "passiond_connections_accepted_total", "counter",
	    "Connections accepted from nginx.", (double)t->total.accepted);
	rc |= metrics_family(b, "passiond_request_timeouts_total", "counter",
	    "Requests cut off: by read_timeout (the request did not come in "
	    "time) or request_timeout (its worker was killed).");
	rc |= metrics_sample(b, "passiond_request_timeouts_total",
	    "timeout=\"read_timeout\"", (double)t->total.read_timeouts);
	rc |= metrics_sample(b, "passiond_request_timeouts_total",
	    "timeout=\"request_timeout\"", (double)v->exits[0][EXIT_DEADLINE]);
	return rc;
}

/* The route's template and method as labels; "unmatched" for none. */
static const char *
route_labels(struct buf *lab, size_t i, const char *cls)
{
	const struct http_route	*r = api_route_at(i);

	return labels(lab, "route", r ? r->pattern : "unmatched", "method",
	    r ? r->method : "any", cls ? "class" : NULL, cls, NULL);
}

static int
put_requests(struct buf *b, struct buf *lab, const struct tally *t)
{
	const struct stats	*s = &t->total;
	size_t			 i, n = api_route_slots();
	int			 rc, c;

	rc = metrics_family(b, "passiond_requests_total", "counter",
	    "Requests answered, by route template, method and status class.");
	for (i = 0; i < n; i++)
		for (c = 0; c < STATS_CLASSES; c++)
			if (s->requests[i][c] > 0)
				rc |= metrics_sample(b,
				    "passiond_requests_total",
				    route_labels(lab, i, class_names[c]),
				    (double)s->requests[i][c]);
	rc |= metrics_family(b, "passiond_request_duration_seconds",
	    "histogram", "From accept to the answer's last byte, by route "
	    "template.");
	for (i = 0; i < n; i++)
		if (sum(s->requests[i], STATS_CLASSES) > 0)
			rc |= hist(b, "passiond_request_duration_seconds",
			    route_labels(lab, i, NULL), &s->duration[i]);
	return rc;
}

static int
put_db(struct buf *b, struct buf *lab, const struct tally *t)
{
	const struct stats	*s = &t->total;
	int			 rc = 0, i;

	if (db_up(t) >= 0)
		rc |= single(b, "passiond_db_up", "gauge", "1 if the workers' "
		    "last word from PostgreSQL was an answer, 0 if it could "
		    "not be reached.", db_up(t));
	rc |= single(b, "passiond_db_reconnects_total", "counter",
	    "Connections to PostgreSQL opened again after one was lost.",
	    (double)s->db_reconnects);
	rc |= metrics_family(b, "passiond_db_errors_total", "counter",
	    "Statements that failed, by class.");
	for (i = 0; i < STATS_DB_ERRORS; i++)
		rc |= metrics_sample(b, "passiond_db_errors_total", labels(lab,
		    "class", db_error_names[i], NULL),
		    (double)s->db_errors[i]);
	rc |= metrics_family(b, "passiond_db_statement_duration_seconds",
	    "histogram", "Round trips to PostgreSQL (a pipelined batch counts "
	    "once).");
	rc |= hist(b, "passiond_db_statement_duration_seconds", NULL,
	    &s->db_duration);
	return rc;
}

static int
put_store(struct buf *b, struct buf *lab, const struct tally *t)
{
	const struct stats	*s = &t->total;
	int			 rc, op, o;

	rc = metrics_family(b, "passiond_store_calls_total", "counter",
	    "Calls to the object store, by operation and outcome.");
	for (op = 0; op < STORAGE_OPS; op++)
		for (o = 0; o < STATS_OUTCOMES; o++)
			if (s->store_calls[op][o] > 0 || o == 0)
				rc |= metrics_sample(b,
				    "passiond_store_calls_total", labels(lab,
				    "operation", storage_op_names[op],
				    "outcome", storage_outcome_names[o], NULL),
				    (double)s->store_calls[op][o]);
	rc |= metrics_family(b, "passiond_store_call_duration_seconds",
	    "histogram", "Calls to the object store.");
	rc |= hist(b, "passiond_store_call_duration_seconds", NULL,
	    &s->store_duration);
	rc |= metrics_family(b, "passiond_store_presigns_total", "counter",
	    "URLs presigned in-process, by method.");
	for (o = 0; o < STATS_PRESIGNS; o++)
		rc |= metrics_sample(b, "passiond_store_presigns_total",
		    labels(lab, "method", presign_names[o], NULL),
		    (double)s->presigns[o]);
	return rc;
}

static int
put_jobs(struct buf *b, struct buf *lab, const struct status_view *v,
    const struct tally *t)
{
	static const char *const fam[][3] = {
		{ "passiond_jobs_running", "gauge", "Jobs running now." },
		{ "passiond_jobs_done_total", "counter", "Jobs done." },
		{ "passiond_jobs_failed_total", "counter",
		    "Jobs failed for good (attempts spent or expired)." },
		{ "passiond_jobs_queued", "gauge", "Jobs waiting, due or not "
		    "(read by a jobs worker every 5 s)." },
		{ "passiond_jobs_oldest_due_seconds", "gauge", "How long the "
		    "oldest due job has waited (0: none due)." } };
	const char	*name, *l;
	double		 val;
	size_t		 f, k, nf = t->live != NULL ? 5 : 3;
	int		 rc = 0;

	for (f = 0; f < nf; f++) {
		rc |= metrics_family(b, fam[f][0], fam[f][1], fam[f][2]);
		for (k = 0; k < STATS_KINDS; k++) {
			if ((name = jobs_kind_name(k)) == NULL)
				continue;
			l = labels(lab, "lane", jobs_kind_lane(k, v->cfg),
			    "kind", name, NULL);
			val = f == 0 ? (double)t->running[k] : f == 1 ?
			    (double)t->total.jobs_done[k] : f == 2 ?
			    (double)t->total.jobs_failed[k] : f == 3 ?
			    (double)t->live->queued[k] :
			    (double)(t->live->oldest_due_s[k] > 0 ?
			    t->live->oldest_due_s[k] : 0);
			rc |= metrics_sample(b, fam[f][0], l, val);
		}
	}
	return rc;
}

static int
put_process(struct buf *b, const struct status_view *v,
    const struct tally *t)
{
	struct rlimit	 rl;
	int		 rc;

	rc = metrics_family(b, "process_cpu_seconds_total", "counter",
	    "User and system CPU time: the master's, and its workers' "
	    "(those that ended included).");
	rc |= metrics_sample(b, "process_cpu_seconds_total",
	    "process=\"master\"", t->master.cpu_s);
	rc |= metrics_sample(b, "process_cpu_seconds_total",
	    "process=\"workers\"", t->workers_proc.cpu_s);
	rc |= metrics_family(b, "process_resident_memory_bytes", "gauge",
	    "Resident memory: the master's, and the sum over its workers.");
	rc |= metrics_sample(b, "process_resident_memory_bytes",
	    "process=\"master\"", t->master.rss_bytes);
	rc |= metrics_sample(b, "process_resident_memory_bytes",
	    "process=\"workers\"", t->workers_proc.rss_bytes);
	rc |= metrics_family(b, "process_open_fds", "gauge", "Open file "
	    "descriptors: the master's, and its request workers' (a jobs "
	    "worker's are not readable to it).");
	rc |= metrics_sample(b, "process_open_fds", "process=\"master\"",
	    (double)t->master.fds);
	rc |= metrics_sample(b, "process_open_fds", "process=\"workers\"",
	    (double)t->workers_proc.fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rc |= metrics_family(b, "process_max_fds", "gauge",
		    "The open file limit of each process.");
		rc |= metrics_sample(b, "process_max_fds", "process=\"master\"",
		    (double)rl.rlim_cur);
	}
	rc |= metrics_family(b, "process_start_time_seconds", "gauge",
	    "When the master started, in seconds since the epoch.");
	rc |= metrics_sample(b, "process_start_time_seconds",
	    "process=\"master\"", (double)(v->started_ms / 1000));
	return rc;
}

int
render_metrics(struct buf *b, const struct status_view *v)
{
	struct tally	*t = tally(v);
	struct buf	 lab;
	int		 rc;

	if (t == NULL)
		return -1;
	buf_init(&lab, 4096);
	rc = metrics_family(b, "passiond_build_info", "gauge",
	    "The running version (always 1).");
	rc |= metrics_sample(b, "passiond_build_info", labels(&lab, "version",
	    PACKAGE_VERSION, NULL), 1);
	rc |= put_workers(b, &lab, v, t);
	rc |= put_listen(b, v, t);
	rc |= put_requests(b, &lab, t);
	rc |= put_db(b, &lab, t);
	rc |= put_store(b, &lab, t);
	rc |= put_jobs(b, &lab, v, t);
	rc |= put_process(b, v, t);
	buf_cleanup(&lab);
	free(t);
	return rc != 0 ? -1 : 0;
}

/* --- /status --- */

static void
add_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *
pool_json(const struct tally *t, int kind, long max)
{
	struct json_object	*o = json_object_new_object();
	int			 s;

	add_int(o, "max", max);
	for (s = 0; s < STATES; s++)
		if (kind == 0 || s != WORKER_READING)
			add_int(o, state_names[s], t->workers[kind][s]);
	return o;
}

/* One worker, for ?full: its state and the route, never the path. */
static struct json_object *
worker_json(const struct status_view *v, const struct worker_slot *s,
    int64_t now)
{
	struct json_object	*o = json_object_new_object();
	const struct http_route	*r;
	struct proc_info	 p;
	char			 pid[16];
	int			 st = slot_state(v, s, now);

	snprintf(pid, sizeof(pid), "%ld", (long)s->pid);
	proc_read(pid, &p);
	add_int(o, "pid", s->pid);
	json_object_object_add(o, "kind", json_object_new_string(
	    kind_names[s->jobs]));
	json_object_object_add(o, "state", json_object_new_string(
	    state_names[st]));
	json_object_object_add(o, "state_seconds", json_object_new_double(
	    (double)(now - s->state_ms) / 1000));
	json_object_object_add(o, "uptime_seconds", json_object_new_double(
	    (double)(now - s->started_ms) / 1000));
	add_int(o, s->jobs ? "jobs" : "requests", (long long)s->served);
	if (st != WORKER_IDLE && s->jobs)
		json_object_object_add(o, "job", json_object_new_string(
		    jobs_kind_name(job_kind_of(s))));
	else if (st != WORKER_IDLE && st != WORKER_READING &&
	    (r = api_route_at((size_t)s->route)) != NULL) {
		json_object_object_add(o, "method",
		    json_object_new_string(r->method));
		json_object_object_add(o, "route",
		    json_object_new_string(r->pattern));
	}
	add_int(o, "rss_bytes", (long long)p.rss_bytes);
	json_object_object_add(o, "cpu_seconds",
	    json_object_new_double(p.cpu_s));
	return o;
}

static struct json_object *
counts_json(const struct status_view *v, const struct tally *t)
{
	struct json_object	*o = json_object_new_object(), *e;
	const struct stats	*s = &t->total;
	uint64_t		 req = 0, failed = 0;
	size_t			 i, k;

	for (i = 0; i < STATS_ROUTES; i++)
		req += sum(s->requests[i], STATS_CLASSES);
	add_int(o, "accepted_connections", (long long)s->accepted);
	add_int(o, "requests", (long long)req);
	add_int(o, "read_timeouts", (long long)s->read_timeouts);
	add_int(o, "request_timeouts", (long long)v->exits[0][EXIT_DEADLINE]);
	e = json_object_new_object();
	for (i = 0; i < EXIT_REASONS; i++)
		add_int(e, exit_names[i], (long long)(v->exits[0][i] +
		    v->exits[1][i] + v->exits[2][i]));
	json_object_object_add(o, "worker_exits", e);
	for (i = 0; i < STORAGE_OPS; i++)
		for (k = 1; k < STATS_OUTCOMES; k++)
			failed += s->store_calls[i][k];
	e = json_object_new_object();
	add_int(e, "calls", (long long)sum(&s->store_calls[0][0],
	    STATS_STORE_OPS * STATS_OUTCOMES));
	add_int(e, "failed", (long long)failed);
	add_int(e, "presigns", (long long)sum(s->presigns, STATS_PRESIGNS));
	json_object_object_add(o, "store", e);
	return o;
}

static struct json_object *
db_jobs_json(const struct tally *t, struct json_object *o)
{
	struct json_object	*d = json_object_new_object(), *j, *e;
	const struct stats	*s = &t->total;
	long long		 queued = 0, oldest = 0, running = 0;
	size_t			 k;

	json_object_object_add(d, "up", db_up(t) < 0 ? NULL :
	    json_object_new_boolean(db_up(t)));
	add_int(d, "reconnects", (long long)s->db_reconnects);
	e = json_object_new_object();
	for (k = 0; k < STATS_DB_ERRORS; k++)
		add_int(e, db_error_names[k], (long long)s->db_errors[k]);
	json_object_object_add(d, "errors", e);
	json_object_object_add(o, "database", d);
	j = json_object_new_object();
	for (k = 0; k < STATS_KINDS; k++) {
		running += t->running[k];
		if (t->live == NULL)
			continue;
		queued += t->live->queued[k];
		if (t->live->oldest_due_s[k] > oldest)
			oldest = t->live->oldest_due_s[k];
	}
	json_object_object_add(j, "queued", t->live ?
	    json_object_new_int64(queued) : NULL);
	json_object_object_add(j, "oldest_due_seconds", t->live ?
	    json_object_new_int64(oldest) : NULL);
	add_int(j, "running", running);
	add_int(j, "done", (long long)sum(s->jobs_done, STATS_KINDS));
	add_int(j, "failed", (long long)sum(s->jobs_failed, STATS_KINDS));
	json_object_object_add(o, "jobs", j);
	return o;
}

int
render_status(struct buf *b, const struct status_view *v, int full)
{
	struct tally		*t = tally(v);
	struct json_object	*o, *l, *w;
	char			 at[32];
	int64_t			 now = time_mono_ms();
	size_t			 i;
	int			 rc;

	if (t == NULL)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	time_iso8601(v->started_ms, at, sizeof(at));
	json_object_object_add(o, "started_at", json_object_new_string(at));
	add_int(o, "uptime_seconds", (time_wall_ms() - v->started_ms) / 1000);
	json_object_object_add(o, "workers", pool_json(t, 0, v->cfg->workers));
	json_object_object_add(o, "jobs_workers", pool_json(t, 1,
	    v->cfg->job_workers));
	json_object_object_add(o, "vault_workers", pool_json(t, 2,
	    v->cfg->vault_workers));
	l = json_object_new_object();
	json_object_object_add(l, "address",
	    json_object_new_string(v->cfg->listen));
	json_object_object_add(l, "queue", t->queue_known ?
	    json_object_new_int64(t->queue) : NULL);
	add_int(l, "queue_max", v->queue_max);
	json_object_object_add(l, "backlog", t->queue_known ?
	    json_object_new_int64(t->backlog) : NULL);
	json_object_object_add(o, "listen", l);
	json_object_object_add(o, "counts", counts_json(v, t));
	db_jobs_json(t, o);
	if (full) {
		w = json_object_new_array();
		for (i = 0; i < v->nslots; i++)
			if (v->slots[i].pid != 0)
				json_object_array_add(w, worker_json(v,
				    &v->slots[i], now));
		json_object_object_add(o, "processes", w);
	}
	rc = buf_puts(b, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc |= buf_putc(b, '\n');
	json_object_put(o);
	free(t);
	return rc != 0 ? -1 : 0;
}
