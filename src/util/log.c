/*
 * log.c - logfmt lines on stderr (journald) or a file reopened on SIGUSR1.
 * Each line is built in memory and written with one write(2), so lines
 * from the master and its workers never interleave. Callers must not pass
 * secrets: this file cannot tell them apart.
 *
 * Warnings and errors repeat in bursts (every request while the database
 * is down): an identical line is written once per collapse interval, and
 * the next one carries repeated=N, the number held back meanwhile.
 *
 * A request worker under load holds its lines (log_hold) in its slot and
 * writes them with one write(2) when it would wait for the next request,
 * when they fill PIPE_BUF or after a second at most: one system call
 * fewer per request, and nothing lost if it is killed, since its master
 * writes out what it held.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#define LOG_LINE_MAX	4096
#define RECENT_SLOTS	16
#define COLLAPSE_MS	10000

/* A warning or error line written lately, to hold back its repeats. */
struct recent {
	uint64_t	 hash;		/* 0: free */
	int64_t		 written_ms;
	unsigned long	 held;		/* repeats not written since */
	enum log_level	 lvl;
	char		 msg[160];	/* for the summary line */
};

static enum log_level	 min_level = LOG_INFO;
static const char	*component = "passiond";
static int64_t		 collapse_ms = COLLAPSE_MS;
static int64_t		(*clock_ms)(void) = time_mono_ms;
static struct recent	 recent[RECENT_SLOTS];

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static struct log_held	*held;		/* NULL: write each line at once */
static int64_t		 held_since_ms;	/* when its first line came */
#define HOLD_MS		1000		/* then the held lines go out */

/*
 * This process's pid for pid=…, asked of the kernel once per process
 * (every line of every request would ask otherwise): a fork forgets it.
 */
static pid_t		 pid_cached;

static void
pid_forget(void)
{
	pid_cached = 0;
}

static pid_t
pid_of_process(void)
{
	static int	 registered;

	if (!registered) {
		pthread_atfork(NULL, NULL, pid_forget);
		registered = 1;
	}
	if (pid_cached == 0)
		pid_cached = getpid();
	return pid_cached;
}

void
log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

int
log_level_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_set_collapse(int64_t interval_ms, int64_t (*clock)(void))
{
	collapse_ms = interval_ms;
	clock_ms = clock != NULL ? clock : time_mono_ms;
	memset(recent, 0, sizeof(recent));
}

void
log_set_component(const char *comp)
{
	component = comp;
}

int
log_open(const char *path)
{
	int	 fd;

	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	/* Move it onto fd 2 so stray stderr output lands there too. */
	if (dup2(fd, STDERR_FILENO) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

static int
needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' ||
		    *v == 0x7f)
			return 1;
	return 0;
}

int
log_kv(struct buf *b, const char *key, const char *value)
{
	const char	*v;
	int		 rc;

	if (value == NULL)
		value = "";
	rc = (b->len > 0 ? buf_putc(b, ' ') : 0) | buf_puts(b, key) |
	    buf_putc(b, '=');
	if (!needs_quotes(value))
		return rc | buf_puts(b, value);
	rc |= buf_puts(b, "\"");
	for (v = value; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			rc |= buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc |= buf_puts(b, "\\n");
		else if (c < ' ' || c == 0x7f)
			rc |= buf_printf(b, "\\x%02x", c);
		else
			rc |= buf_append(b, v, 1);
	}
	return rc | buf_puts(b, "\"");
}

void
log_write_held(struct log_held *h)
{
	if (h->len > 0 && h->len <= sizeof(h->data))
		(void)!write(STDERR_FILENO, h->data, h->len);
	h->len = 0;
}

void
log_hold(struct log_held *h)
{
	log_release();
	held = h;
	if (held != NULL)
		held->len = 0;
}

int
log_holding(void)
{
	return held != NULL && held->len > 0;
}

void
log_release(void)
{
	if (held != NULL)
		log_write_held(held);
}

/* One whole line out: into the held lines, or written at once. */
static void
line_out(const char *line, size_t n)
{
	if (held == NULL || n > sizeof(held->data)) {
		log_release();
		(void)!write(STDERR_FILENO, line, n);
		return;
	}
	if (held->len + n > sizeof(held->data))
		log_release();
	if (held->len == 0)
		held_since_ms = time_mono_ms();
	memcpy(held->data + held->len, line, n);
	/* The line is whole before it counts: a kill between is no tear. */
	__atomic_store_n(&held->len, held->len + n, __ATOMIC_RELEASE);
	if (time_mono_ms() - held_since_ms >= HOLD_MS)
		log_release();
}

static void
write_line(enum log_level lvl, const char *msg, const char *kv,
    unsigned long repeated)
{
	struct buf	 b;
	char		 ts[32], num[24];

	time_iso8601(time_wall_ms(), ts, sizeof(ts));
	buf_init(&b, LOG_LINE_MAX);
	log_kv(&b, "time", ts);
	log_kv(&b, "level", level_names[lvl]);
	log_kv(&b, "comp", component);
	snprintf(num, sizeof(num), "%ld", (long)pid_of_process());
	log_kv(&b, "pid", num);
	if (*msg != '\0')
		log_kv(&b, "msg", msg);
	if (repeated > 0) {
		snprintf(num, sizeof(num), "%lu", repeated);
		log_kv(&b, "repeated", num);
	}
	if (kv != NULL && *kv != '\0') {
		buf_puts(&b, " ");
		buf_puts(&b, kv);
	}
	if (b.data != NULL) {
		/* A line cut at the cap still ends with a newline. */
		if (buf_puts(&b, "\n") != 0)
			b.data[b.len - 1] = '\n';
		line_out(b.data, b.len);
	}
	buf_cleanup(&b);
}

/* FNV-1a over level, message and fields; never 0. */
static uint64_t
line_hash(enum log_level lvl, const char *msg, const char *kv)
{
	uint64_t	 h = 1469598103934665603ULL ^ (uint64_t)lvl;
	const char	*parts[2] = { msg, kv ? kv : "" };
	size_t		 i;

	for (i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];

		for (; *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h ? h : 1;
}

/* Write a summary for a slot that held lines back, and free it. */
static void
recent_flush(struct recent *r)
{
	if (r->hash != 0 && r->held > 0)
		write_line(r->lvl, r->msg, "collapsed=true", r->held);
	memset(r, 0, sizeof(*r));
}

/* 1 when this line is a repeat to hold back; else *repeated is set. */
static int
collapse(enum log_level lvl, const char *msg, const char *kv,
    unsigned long *repeated)
{
	uint64_t	 h = line_hash(lvl, msg, kv);
	int64_t		 now = clock_ms();
	struct recent	*r, *oldest = &recent[0];
	size_t		 i;

	*repeated = 0;
	for (i = 0; i < RECENT_SLOTS; i++) {
		r = &recent[i];
		if (r->hash == h) {
			if (now - r->written_ms < collapse_ms) {
				r->held++;
				return 1;
			}
			*repeated = r->held;
			r->held = 0;
			r->written_ms = now;
			return 0;
		}
		if (r->written_ms < oldest->written_ms)
			oldest = r;
	}
	recent_flush(oldest);
	oldest->hash = h;
	oldest->written_ms = now;
	oldest->lvl = lvl;
	utf8_copy_valid(oldest->msg, sizeof(oldest->msg), msg);
	return 0;
}

void
log_flush(void)
{
	size_t	 i;

	for (i = 0; i < RECENT_SLOTS; i++)
		recent_flush(&recent[i]);
	log_release();
}

void
log_msg(enum log_level lvl, const char *kv, const char *fmt, ...)
{
	char		 msg[LOG_LINE_MAX];
	va_list		 ap;
	unsigned long	 repeated = 0;
	int		 saved = errno;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lvl < LOG_WARN || collapse_ms <= 0 ||
	    !collapse(lvl, msg, kv, &repeated))
		write_line(lvl, msg, kv, repeated);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	char	 msg[LOG_LINE_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_flush();
	write_line(LOG_ERROR, msg, "fatal=true", 0);
	log_release();
	abort();
}
