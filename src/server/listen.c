/*
 * listen.c - the listening socket: a unix socket with owner, group and
 * mode, a TCP host:port, or the socket systemd passed (LISTEN_FDS). The
 * socket is made non-blocking for the workers' accept (see worker.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server/server.h"

static int	listen_unix(const struct config *cfg, char *err, size_t errlen);
static int	listen_tcp(const struct config *cfg, char *err, size_t errlen);

static int
socket_alive(const struct sockaddr_un *sun)
{
	int	 fd, alive;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return 0;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return alive;
}

static int
listen_unix(const struct config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	const char		*path = cfg->listen + 5;
	struct stat		 st;
	uid_t			 uid = (uid_t)-1;
	gid_t			 gid = (gid_t)-1;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "listen: socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (*cfg->socket_owner != '\0') {
		struct passwd *pw = getpwnam(cfg->socket_owner);
		if (pw == NULL) {
			snprintf(err, errlen, "socket_owner: no user '%s'",
			    cfg->socket_owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (*cfg->socket_group != '\0') {
		struct group *gr = getgrnam(cfg->socket_group);
		if (gr == NULL) {
			snprintf(err, errlen, "socket_group: no group '%s'",
			    cfg->socket_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* A stale socket file from a crash is removed; a live one is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "listen: %s exists and is not a "
			    "socket", path);
			return -1;
		}
		if (socket_alive(&sun)) {
			snprintf(err, errlen, "listen: %s is in use by another "
			    "process", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if (chmod(path, (mode_t)cfg->socket_mode) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1))
		goto fail_unlink;
	if (listen(fd, (int)cfg->backlog) == -1)
		goto fail_unlink;
	return fd;
fail_unlink:
	unlink(path);
fail:
	snprintf(err, errlen, "listen: %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
listen_tcp(const struct config *cfg, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256];
	const char	*colon = strrchr(cfg->listen, ':');
	size_t		 hlen = (size_t)(colon - cfg->listen);
	int		 fd = -1, one = 1, rc;

	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen: host too long");
		return -1;
	}
	memcpy(host, cfg->listen, hlen);
	host[hlen] = '\0';
	/* "[::1]:9000": strip the brackets of an IPv6 literal. */
	if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "listen: %s: %s", cfg->listen,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, (int)cfg->backlog) == 0)
			break;
		snprintf(err, errlen, "listen: %s: %s", cfg->listen,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
server_listen(const struct config *cfg, int *owned, char *err, size_t errlen)
{
	int	 fd, n, flags;

	*owned = 0;
	n = sd_listen_fds(1);
	if (n > 1) {
		snprintf(err, errlen, "systemd passed %d sockets; expected 1",
		    n);
		return -1;
	}
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			snprintf(err, errlen, "systemd's fd %d is not a "
			    "listening stream socket", fd);
			return -1;
		}
		log_info("using the socket passed by systemd");
	} else if (strncmp(cfg->listen, "unix:", 5) == 0) {
		fd = listen_unix(cfg, err, errlen);
		*owned = fd != -1;
	} else {
		fd = listen_tcp(cfg, err, errlen);
	}
	if (fd == -1)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "listen: fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
