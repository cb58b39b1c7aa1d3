// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sd_notify.c - the service manager notification protocol (see sd_notify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "sd_notify.h"

/* $NOTIFY_SOCKET as an address: "/path" or "@abstract". */
static int notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len,
			  struct bgx_err *e)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (name[0] != '/' && name[0] != '@')
		return bgx_fail(e, -EAFNOSUPPORT,
				"$%s '%s': not an absolute socket path or an @abstract name",
				BGX_NOTIFY_SOCKET_ENV, name);
	if (n < 2 || n >= sizeof(sa->sun_path))
		return bgx_fail(e, -EINVAL, "$%s '%s': socket name must be 2..%zu characters",
				BGX_NOTIFY_SOCKET_ENV, name, sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';  /* abstract: the length says where it ends */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	return 0;
}

int bgx_sd_notify(const char *state, struct bgx_err *e)
{
	const char *name = getenv(BGX_NOTIFY_SOCKET_ENV);
	struct sockaddr_un sa;
	socklen_t len = 0;
	size_t n = strlen(state);
	ssize_t sent;
	int fd, r;

	if (!name || !*name)
		return 0;
	if ((r = notify_address(name, &sa, &len, e)))
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bgx_fail(e, -errno, "cannot open a socket for $%s: %s",
				BGX_NOTIFY_SOCKET_ENV, strerror(errno));
	sent = sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	r = sent < 0 ? -errno : 0;
	close(fd);
	if (sent < 0)
		return bgx_fail(e, r, "cannot notify the service manager at %s: %s",
				name, strerror(-r));
	if ((size_t)sent != n)
		return bgx_fail(e, -EMSGSIZE, "notification to %s cut short (%zd of %zu bytes)",
				name, sent, n);
	return 1;
}
