/*
 * log.c - logfmt lines on stderr (journald) or a file reopened on SIGUSR1.
 * Each line is built in memory and written with one write(2), so lines
 * from the master and its workers never interleave. Callers must not pass
 * secrets: this file cannot tell them apart.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#define LOG_LINE_MAX	4096

static enum log_level	 min_level = LOG_INFO;
static const char	*component = "passiond";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

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
	rc = buf_printf(b, "%s%s=", b->len > 0 ? " " : "", key);
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
log_msg(enum log_level lvl, const char *kv, const char *fmt, ...)
{
	struct buf	 b;
	char		 msg[LOG_LINE_MAX], ts[32], pid[16];
	va_list		 ap;
	int		 saved = errno;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	time_iso8601(time_wall_ms(), ts, sizeof(ts));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	buf_init(&b, LOG_LINE_MAX);
	log_kv(&b, "time", ts);
	log_kv(&b, "level", level_names[lvl]);
	log_kv(&b, "comp", component);
	log_kv(&b, "pid", pid);
	if (*msg != '\0')
		log_kv(&b, "msg", msg);
	if (kv != NULL && *kv != '\0') {
		buf_puts(&b, " ");
		buf_puts(&b, kv);
	}
	if (b.data != NULL) {
		/* A line cut at the cap still ends with a newline. */
		if (buf_puts(&b, "\n") != 0)
			b.data[b.len - 1] = '\n';
		(void)!write(STDERR_FILENO, b.data, b.len);
	}
	buf_cleanup(&b);
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
	log_msg(LOG_ERROR, NULL, "fatal: %s", msg);
	abort();
}
