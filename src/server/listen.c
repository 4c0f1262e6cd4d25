/*
 * listen.c - the listening sockets: a unix socket with owner, group and
 * mode, a TCP host:port, or the socket systemd passed (LISTEN_FDS). A
 * socket is made non-blocking for the workers' accept (see worker.c).
 * And how many connections wait on one, for the metrics.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server/server.h"

static int	listen_unix(const struct config *cfg, const char *addr,
		    char *err, size_t errlen);
static int	listen_tcp(const struct config *cfg, const char *addr,
		    char *err, size_t errlen);

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
listen_unix(const struct config *cfg, const char *addr, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	const char		*path = addr + 5;
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
listen_tcp(const struct config *cfg, const char *addr, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256];
	const char	*colon = strrchr(addr, ':');
	size_t		 hlen = (size_t)(colon - addr);
	int		 fd = -1, one = 1, rc;

	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen: host too long");
		return -1;
	}
	memcpy(host, addr, hlen);
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
		snprintf(err, errlen, "listen: %s: %s", addr, gai_strerror(rc));
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
		snprintf(err, errlen, "listen: %s: %s", addr, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
server_listen(const struct config *cfg, const char *addr, int systemd,
    int *owned, char *err, size_t errlen)
{
	int	 fd, n, flags;

	*owned = 0;
	n = systemd ? sd_listen_fds(1) : 0;
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
	} else if (strncmp(addr, "unix:", 5) == 0) {
		fd = listen_unix(cfg, addr, err, errlen);
		*owned = fd != -1;
	} else {
		fd = listen_tcp(cfg, addr, err, errlen);
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

/*
 * A unix listener's queue by sock_diag, as `ss -xl` reads it: asked by
 * the socket's inode, the kernel's UNIX_DIAG_RQLEN gives the connections
 * waiting and the backlog.
 */
static int
unix_queue(int fd, long *queue, long *backlog)
{
	struct {
		struct nlmsghdr		 nlh;
		struct unix_diag_req	 req;
	}			 msg;
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	struct timeval		 tv = { 0, 50000 };
	struct nlmsghdr		*h;
	struct rtattr		*at;
	struct unix_diag_rqlen	 rq;
	struct stat		 st;
	char			 buf[1024];
	ssize_t			 n;
	int			 nl, len, found = -1;

	if (fstat(fd, &st) == -1)
		return -1;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl == -1)
		return -1;
	setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = ~0U;
	msg.req.udiag_ino = (unsigned)st.st_ino;
	msg.req.udiag_show = UDIAG_SHOW_RQLEN;
	msg.req.udiag_cookie[0] = msg.req.udiag_cookie[1] = ~0U;
	if (sendto(nl, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) != (ssize_t)sizeof(msg) ||
	    (n = recv(nl, buf, sizeof(buf), 0)) <= 0) {
		close(nl);
		return -1;
	}
	close(nl);
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -1;
	len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct unix_diag_msg));
	at = (struct rtattr *)((char *)NLMSG_DATA(h) +
	    sizeof(struct unix_diag_msg));
	for (; len > 0 && RTA_OK(at, len); at = RTA_NEXT(at, len))
		if (at->rta_type == UNIX_DIAG_RQLEN &&
		    RTA_PAYLOAD(at) >= sizeof(rq)) {
			memcpy(&rq, RTA_DATA(at), sizeof(rq));
			*queue = (long)rq.udiag_rqueue;
			*backlog = (long)rq.udiag_wqueue;
			found = 0;
		}
	return found;
}

int
listen_queue(int fd, long *queue, long *backlog)
{
	struct sockaddr_storage	 ss;
	struct tcp_info		 ti;
	socklen_t		 len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_UNIX)
		return unix_queue(fd, queue, backlog);
	/* A TCP listener's TCP_INFO: unacked waiting, sacked the backlog. */
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return -1;
	*queue = (long)ti.tcpi_unacked;
	*backlog = (long)ti.tcpi_sacked;
	return 0;
}
