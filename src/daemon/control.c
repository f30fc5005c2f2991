/*
 * control.c - the local control socket.
 */
#include "daemon/control.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int make_path(const char *state_dir, struct sockaddr_un *sun,
		     char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s",
			     state_dir, VS_CONTROL_NAME) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen,
			 "control socket path %s/%s is longer than %zu bytes: choose a shorter server.state_dir",
			 state_dir, VS_CONTROL_NAME, sizeof(sun->sun_path) - 1);
		return -1;
	}
	return 0;
}

int vs_control_listen(const char *state_dir, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (make_path(state_dir, &sun, err, errlen))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	/* The pid lock is held, so a leftover socket is stale. */
	unlink(sun.sun_path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16)) {
		snprintf(err, errlen, "control socket %s: %s", sun.sun_path,
			 strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int vs_control_read_command(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = 0;
		char *nl = strchr(buf, '\n');
		if (nl) {
			*nl = 0;
			return 0;
		}
	}
	return -1;
}

static int request(const char *state_dir, const char *cmd, FILE *out,
		   bool quiet_if_absent)
{
	struct sockaddr_un sun;
	char err[256], buf[4096];
	int fd;
	ssize_t n;

	if (make_path(state_dir, &sun, err, sizeof(err))) {
		fprintf(stderr, "voipshield: %s\n", err);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (quiet_if_absent && (e == ENOENT || e == ECONNREFUSED))
			return 1;
		fprintf(stderr,
			"voipshield: cannot reach the daemon at %s: %s\n"
			"  Is voipshield running with this configuration's server.state_dir?\n",
			sun.sun_path, strerror(e));
		return -1;
	}
	/* A daemon that accepts but never answers must not hang the CLI. */
	{
		struct timeval tv = {10, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "voipshield: control socket: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, (size_t)n, out);
	if (n < 0) {
		fprintf(stderr, "voipshield: no complete answer from the daemon: %s\n",
			errno == EAGAIN ? "timed out after 10 s" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int vs_control_request(const char *state_dir, const char *cmd, FILE *out)
{
	return request(state_dir, cmd, out, false);
}

int vs_control_try(const char *state_dir, const char *cmd, FILE *out)
{
	return request(state_dir, cmd, out, true);
}

int vs_control_command(const char *state_dir, const char *cmd)
{
	char *answer = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&answer, &len);
	int rc;

	if (!mem)
		return 1;
	rc = vs_control_request(state_dir, cmd, mem) ? 1 : 0;
	fclose(mem);
	if (answer) {
		bool err = strncmp(answer, "error", 5) == 0;
		fputs(answer, err ? stderr : stdout);
		if (err)
			rc = 1;
	}
	free(answer);
	return rc;
}
