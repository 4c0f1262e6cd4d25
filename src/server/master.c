/*
 * master.c - the supervisor. It owns the listening socket and forks the
 * workers; it serves no request and opens no database connection.
 *
 * It keeps two kinds of worker: `workers` request workers and
 * `job_workers` jobs workers (jobs/), supervised the same way.
 *
 * Signals are blocked and read from a signalfd, polled with the status
 * listener (status.c), so there are no handlers here at all and /metrics
 * is answered between two turns: CHLD reaps and respawns (with back-off when
 * workers die in a loop), TERM/INT/QUIT drain and stop, HUP re-reads the
 * config and replaces workers one at a time (a new one is accepting before
 * an old one is told to finish), USR1 reopens the log. Every tick also
 * enforces the request deadline (job_timeout for a jobs worker), reads
 * the listen queue and reports status to systemd.
 *
 * The workers count into slots of shared memory mapped here before any
 * fork (util/stats.c); a worker that ends has its counts folded into
 * the retired total, so no counter ever goes back.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server/server.h"

#define MAX_SLOTS	(2 * (256 + 16) + 2)
#define TICK_MS		200
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000
#define STABLE_MS	10000

struct master {
	const char		*config_path;
	const char		*cred_dir;	/* conf_load's fallback */
	struct config		*cfg;
	int			 listen_fd;
	int			 owned_socket;
	int			 status_fd;	/* -1: no status_listen */
	int			 owned_status;
	char			*listen_path;	/* the sockets made, to unlink */
	char			*status_path;
	int			 sig_fd;
	struct worker_slot	*slots;
	struct stats		*board;		/* the slots' counts */
	struct stats		*retired;	/* dead workers', folded */
	struct status_view	 view;
	uint64_t		*marks;		/* slots' users (util/share.c) */
	unsigned		 generation;
	int			 stopping;
	int64_t			 stop_deadline;
	int			 killed;
	int			 reloading;
	int			 crash_streak;
	int64_t			 next_spawn_ms;
	unsigned long		 retired_served;
	char			 status[128];
};

static void	spawn(struct master *m, int jobs);
static void	reap(struct master *m);
static void	begin_stop(struct master *m, int sig);
static void	begin_reload(struct master *m);
static void	maintain(struct master *m);
static void	check_deadlines(struct master *m);
static void	report(struct master *m);
static size_t	count(struct master *m, int current_gen, int retiring,
		    int jobs);
static long	target(struct master *m, int jobs);
static void	handle_signal(struct master *m, int sig);
static int	step(struct master *m);

/*
 * Live workers of a kind (jobs: 0 request, 1 jobs, 2 vault jobs; -1
 * any), generation and state.
 */
static size_t
count(struct master *m, int current_gen, int retiring, int jobs)
{
	size_t	 i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct worker_slot *s = &m->slots[i];

		if (s->pid == 0 || s->retiring != retiring)
			continue;
		if (jobs >= 0 && s->jobs != jobs)
			continue;
		if (current_gen >= 0 &&
		    (s->generation == m->generation) != current_gen)
			continue;
		n++;
	}
	return n;
}

/* How many workers of a kind the config asks for. */
static long
target(struct master *m, int jobs)
{
	return jobs == 2 ? m->cfg->vault_workers : jobs ? m->cfg->job_workers :
	    m->cfg->workers;
}

static void
spawn(struct master *m, int jobs)
{
	struct worker_slot	*s = NULL;
	sigset_t		 none;
	struct share		 share;
	pid_t			 pid;
	size_t			 i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].pid == 0) {
			s = &m->slots[i];
			break;
		}
	if (s == NULL) {
		log_error("%s: no free worker slot", __func__);
		return;
	}
	memset(s, 0, sizeof(*s));
	memset(&m->board[i], 0, sizeof(m->board[i]));
	s->stats = &m->board[i];
	s->generation = m->generation;
	s->started_ms = time_mono_ms();
	s->state_ms = s->started_ms;
	s->jobs = jobs;
	pid = fork();
	if (pid == -1) {
		log_error("%s: fork: %s", __func__, strerror(errno));
		m->next_spawn_ms = time_mono_ms() + BACKOFF_MIN_MS;
		return;
	}
	if (pid == 0) {
		/* The master's own fds are not the worker's. */
		close(m->sig_fd);
		if (m->status_fd != -1)
			close(m->status_fd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (jobs) {
			close(m->listen_fd);
			worker_jobs_run(m->cfg, s);
		}
		share_init(&share, m->marks, MAX_SLOTS, i,
		    m->cfg->user_workers > 0 ? m->cfg->user_workers :
		    m->cfg->workers / 4 > 0 ? m->cfg->workers / 4 : 1);
		worker_run(m->cfg, m->listen_fd, s, &share);
	}
	s->pid = pid;
	log_msg(LOG_INFO, NULL, "%s %ld started (generation %u)", jobs == 2 ?
	    "vault jobs worker" : jobs ? "jobs worker" : "worker", (long)pid,
	    m->generation);
}

/* Why it ended, and what it counted, into the totals. */
static void
retire(struct master *m, struct worker_slot *s, int status,
    const struct rusage *ru)
{
	enum worker_exit	 why;

	why = s->slow ? EXIT_DEADLINE : WIFSIGNALED(status) ? EXIT_SIGNAL :
	    WEXITSTATUS(status) != 0 ? EXIT_ERROR : s->retiring ?
	    EXIT_RETIRED : EXIT_RECYCLED;
	m->view.exits[s->jobs][why]++;
	m->view.retired_cpu_s[s->jobs] += (double)ru->ru_utime.tv_sec +
	    (double)ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
	    (double)ru->ru_stime.tv_usec / 1e6;
	stats_fold(m->retired, s->stats);
}

static void
reap(struct master *m)
{
	struct worker_slot	*s;
	struct rusage		 ru;
	pid_t			 pid;
	size_t			 i;
	int			 status, crashed;
	int64_t			 now = time_mono_ms();

	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		s = NULL;
		for (i = 0; i < MAX_SLOTS; i++)
			if (m->slots[i].pid == pid)
				s = &m->slots[i];
		if (s == NULL)
			continue;
		/* What it did, then how it ended. */
		log_write_held(&s->log);
		crashed = !s->retiring && !s->slow &&
		    !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		if (WIFSIGNALED(status))
			log_msg(crashed ? LOG_ERROR : LOG_INFO, NULL,
			    "worker %ld killed by signal %d%s", (long)pid,
			    WTERMSIG(status), s->slow ? " (slow request)" : "");
		else if (WEXITSTATUS(status) != 0)
			log_error("worker %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
		else
			log_info("worker %ld exited after %lu requests",
			    (long)pid, s->served);
		if (crashed) {
			/* Dying soon after start, again and again: slow down. */
			if (now - s->started_ms < STABLE_MS)
				m->crash_streak++;
			else
				m->crash_streak = 1;
			int64_t delay = BACKOFF_MIN_MS;
			for (int k = 1; k < m->crash_streak &&
			    delay < BACKOFF_MAX_MS; k++)
				delay *= 2;
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			m->next_spawn_ms = now + delay;
			if (m->crash_streak > 1)
				log_warn("workers keep dying; next start in "
				    "%lld ms", (long long)delay);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			m->crash_streak = 0;
		}
		if (!s->jobs)
			m->retired_served += s->served;
		retire(m, s, status, &ru);
		memset(s, 0, sizeof(*s));
		/* Whatever it held of a user's share is free again. */
		__atomic_store_n(&m->marks[s - m->slots], 0, __ATOMIC_SEQ_CST);
	}
}

static void
signal_all(struct master *m, int sig)
{
	size_t	 i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].pid != 0)
			kill(m->slots[i].pid, sig);
}

static void
begin_stop(struct master *m, int sig)
{
	size_t	 i;

	if (m->stopping)
		return;
	log_info("signal %d: stopping after in-flight requests (at most "
	    "%ld s)", sig, m->cfg->shutdown_timeout);
	sd_notify(0, "STOPPING=1\nSTATUS=draining");
	m->stopping = 1;
	m->stop_deadline = time_mono_ms() + m->cfg->shutdown_timeout * 1000;
	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].pid != 0)
			m->slots[i].retiring = 1;
	signal_all(m, SIGTERM);
}

static void
begin_reload(struct master *m)
{
	struct config	*next;
	char		 err[512];

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	next = malloc(sizeof(*next));
	if (next == NULL)
		fatal("reload: out of memory");
	if (conf_load(next, m->config_path, m->cred_dir, err,
	    sizeof(err)) != 0) {
		log_error("reload refused, keeping the running config: %s",
		    err);
		conf_free(next);
		free(next);
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(next->listen, m->cfg->listen) != 0)
		log_warn("listen changed to %s: takes effect only on restart",
		    next->listen);
	if (strcmp(next->status_listen, m->cfg->status_listen) != 0)
		log_warn("status_listen changed to %s: takes effect only on "
		    "restart", next->status_listen);
	if (log_open(next->log_file) != 0)
		log_error("cannot open log_file %s: %s", next->log_file,
		    strerror(errno));
	log_set_level((enum log_level)log_level_parse(next->log_level));
	/*
	 * Workers of the old generation still point at the old config in
	 * their own copy of memory; the master's copy can go.
	 */
	conf_free(m->cfg);
	*m->cfg = *next;
	free(next);
	m->generation++;
	m->reloading = 1;
	log_info("reloading: replacing workers one by one (generation %u)",
	    m->generation);
}

/* Keep the right number of workers; move a reload on by one step. */
static void
maintain(struct master *m)
{
	struct worker_slot	*old = NULL;
	size_t			 i, fresh, retiring;
	int64_t			 now = time_mono_ms();
	int			 jobs;

	if (m->reloading) {
		retiring = count(m, -1, 1, -1);
		for (i = 0; i < MAX_SLOTS && old == NULL; i++)
			if (m->slots[i].pid != 0 && !m->slots[i].retiring &&
			    m->slots[i].generation != m->generation)
				old = &m->slots[i];
		if (old == NULL && retiring == 0) {
			m->reloading = 0;
			log_info("reload done");
			sd_notify(0, "READY=1");
		} else if (old != NULL && retiring == 0) {
			/* The replacement accepts before the old one stops. */
			if (count(m, 1, 0, old->jobs) <
			    (size_t)target(m, old->jobs))
				spawn(m, old->jobs);
			old->retiring = 1;
			kill(old->pid, SIGTERM);
			return;
		}
	}
	for (jobs = 0; jobs <= 2; jobs++) {
		fresh = count(m, 1, 0, jobs);
		if (fresh + (m->reloading ? count(m, 0, 0, jobs) : 0) <
		    (size_t)target(m, jobs)) {
			if (now >= m->next_spawn_ms)
				spawn(m, jobs);
		} else if (!m->reloading && fresh > (size_t)target(m, jobs)) {
			for (i = 0; i < MAX_SLOTS; i++)
				if (m->slots[i].pid != 0 &&
				    !m->slots[i].retiring &&
				    m->slots[i].jobs == jobs) {
					m->slots[i].retiring = 1;
					kill(m->slots[i].pid, SIGTERM);
					break;
				}
		}
	}
}

static void
check_deadlines(struct master *m)
{
	int64_t	 now = time_mono_ms(), start;
	long	 limit;
	size_t	 i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct worker_slot *s = &m->slots[i];

		if (s->pid == 0 || s->slow)
			continue;
		start = __atomic_load_n(&s->req_start_ms, __ATOMIC_ACQUIRE);
		limit = s->jobs && s->job_limit > 0 ? s->job_limit : s->jobs ?
		    m->cfg->job_timeout : m->cfg->request_timeout;
		if (start == 0 || now - start < limit * 1000)
			continue;
		log_msg(LOG_ERROR, NULL, "slow %s: %s %.*s ran %lld ms, past "
		    "%s; killing worker %ld", s->jobs ? "job" : "request",
		    s->method, (int)sizeof(s->path), s->path,
		    (long long)(now - start), s->job_limit > 0 ? "vault_timeout" :
		    s->jobs ? "job_timeout" :
		    "request_timeout", (long)s->pid);
		s->slow = 1;
		kill(s->pid, SIGKILL);
	}
}

static void
report(struct master *m)
{
	unsigned long	 served = m->retired_served;
	char		 status[128];
	size_t		 i, busy = 0, live = 0, jobs = 0, running = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		const struct worker_slot *s = &m->slots[i];

		if (s->pid == 0)
			continue;
		if (s->jobs) {
			jobs++;
			running += s->req_start_ms != 0;
			continue;
		}
		live++;
		served += s->served;
		busy += s->req_start_ms != 0;
	}
	snprintf(status, sizeof(status), "STATUS=%zu workers, %zu busy, "
	    "%lu requests served; %zu jobs worker%s, %zu running", live, busy,
	    served, jobs, jobs == 1 ? "" : "s", running);
	if (strcmp(status, m->status) != 0) {
		sd_notify(0, status);
		memcpy(m->status, status, sizeof(status));
	}
}

static void
handle_signal(struct master *m, int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		begin_stop(m, sig);
		break;
	case SIGHUP:
		if (!m->stopping)
			begin_reload(m);
		break;
	case SIGUSR1:
		if (log_open(m->cfg->log_file) != 0)
			log_error("cannot reopen %s: %s", m->cfg->log_file,
			    strerror(errno));
		signal_all(m, SIGUSR1);
		break;
	default:
		/* SIGCHLD and the tick: reap() below does the work. */
		break;
	}
}

/* The most connections seen waiting, for the metrics. */
static void
sample_queue(struct master *m)
{
	long	 queue, backlog;

	if (listen_queue(m->listen_fd, &queue, &backlog) == 0 &&
	    queue > m->view.queue_max)
		m->view.queue_max = queue;
}

/* One turn of the loop after a signal or a tick; 1 when it is time to exit. */
static int
step(struct master *m)
{
	reap(m);
	check_deadlines(m);
	sample_queue(m);
	if (m->stopping) {
		if (count(m, -1, 0, -1) + count(m, -1, 1, -1) == 0)
			return 1;
		if (!m->killed && time_mono_ms() > m->stop_deadline) {
			log_error("shutdown_timeout passed: killing the "
			    "remaining workers");
			signal_all(m, SIGKILL);
			m->killed = 1;
		}
		return 0;
	}
	maintain(m);
	report(m);
	return 0;
}

/*
 * Wait for a signal, a status request or the tick, and take it: the
 * status listener's requests are answered here, between two turns.
 */
static void
wait_turn(struct master *m)
{
	struct pollfd			 p[2];
	struct signalfd_siginfo		 si;
	int64_t				 due = time_mono_ms() + TICK_MS, left;

	p[0].fd = m->sig_fd;
	p[0].events = POLLIN;
	p[1].fd = m->status_fd;
	p[1].events = POLLIN;
	while ((left = due - time_mono_ms()) > 0) {
		p[0].revents = p[1].revents = 0;
		if (poll(p, m->status_fd != -1 ? 2 : 1, (int)left) <= 0)
			return;
		if (p[1].revents & POLLIN)
			status_answer(m->status_fd, &m->view);
		if (p[0].revents & POLLIN) {
			if (read(m->sig_fd, &si, sizeof(si)) == sizeof(si))
				handle_signal(m, (int)si.ssi_signo);
			return;
		}
	}
}

/* The listeners: nginx's (or systemd's) and, if asked for, the status one. */
static int
open_listeners(struct master *m, char *err, size_t errlen)
{
	const struct config	*cfg = m->cfg;

	m->status_fd = -1;
	m->listen_fd = server_listen(cfg, cfg->listen, 1, &m->owned_socket,
	    err, errlen);
	if (m->listen_fd == -1)
		return -1;
	m->listen_path = strdup(cfg->listen + 5);
	m->status_path = strdup(cfg->status_listen + 5);
	if (m->listen_path == NULL || m->status_path == NULL)
		fatal("%s: out of memory", __func__);
	if (*cfg->status_listen == '\0')
		return 0;
	m->status_fd = server_listen(cfg, cfg->status_listen, 0,
	    &m->owned_status, err, errlen);
	if (m->status_fd == -1) {
		close(m->listen_fd);
		if (m->owned_socket)
			unlink(m->listen_path);
		return -1;
	}
	return 0;
}

/* Shared with the workers, so mapped before any fork. */
static void *
shared(size_t size)
{
	void	*p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatal("mmap: %s", strerror(errno));
	return p;
}

int
server_run(const char *config_path, const char *cred_dir,
    struct config *cfg)
{
	struct master	 m;
	sigset_t	 set;
	char		 err[512];

	memset(&m, 0, sizeof(m));
	m.config_path = config_path;
	m.cred_dir = cred_dir;
	m.cfg = cfg;
	log_set_component("master");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m.sig_fd == -1)
		fatal("signalfd: %s", strerror(errno));

	if (open_listeners(&m, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	m.slots = shared(MAX_SLOTS * sizeof(*m.slots));
	/* One user's share of the workers (util/share.c). */
	m.marks = shared(MAX_SLOTS * sizeof(*m.marks));
	m.board = shared(MAX_SLOTS * sizeof(*m.board));
	m.retired = calloc(1, sizeof(*m.retired));
	if (m.retired == NULL)
		fatal("%s: out of memory", __func__);
	m.view.cfg = cfg;
	m.view.slots = m.slots;
	m.view.nslots = MAX_SLOTS;
	m.view.retired = m.retired;
	m.view.listen_fd = m.listen_fd;
	m.view.started_ms = time_wall_ms();
	log_info("passiond %s listening on %s with %ld workers and %ld jobs "
	    "worker%s%s%s", PACKAGE_VERSION, cfg->listen, cfg->workers,
	    cfg->job_workers, cfg->job_workers == 1 ? "" : "s",
	    m.status_fd != -1 ? "; status on " : "",
	    m.status_fd != -1 ? cfg->status_listen : "");
	while (count(&m, 1, 0, 0) < (size_t)cfg->workers)
		spawn(&m, 0);
	while (count(&m, 1, 0, 1) < (size_t)cfg->job_workers)
		spawn(&m, 1);
	sd_notify(0, "READY=1");

	do
		wait_turn(&m);
	while (!step(&m));

	if (m.owned_socket)
		unlink(m.listen_path);
	if (m.owned_status)
		unlink(m.status_path);
	close(m.listen_fd);
	if (m.status_fd != -1)
		close(m.status_fd);
	close(m.sig_fd);
	munmap(m.slots, MAX_SLOTS * sizeof(*m.slots));
	munmap(m.marks, MAX_SLOTS * sizeof(*m.marks));
	munmap(m.board, MAX_SLOTS * sizeof(*m.board));
	free(m.retired);
	free(m.listen_path);
	free(m.status_path);
	log_info("stopped");
	log_flush();
	return 0;
}
