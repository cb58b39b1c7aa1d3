// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_etcdopts.c - an etcd client from a fleet command's options. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "fleet_cmd.h"

#define PASSWORD_MAX 1024

/* The first line of a file that others cannot read. */
static int read_password(const char *path, char **out, struct bgx_err *e)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	*out = NULL;
	if (fd < 0)
		return bgx_fail_usage(e, errno, "--etcd-password-file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		r = bgx_fail_usage(e, EINVAL, "--etcd-password-file '%s': not a regular file", path);
	else if (st.st_mode & S_IRWXO)
		r = bgx_fail_usage(e, EPERM, "--etcd-password-file '%s': mode %04o lets others in "
				   "(chmod 600 '%s')", path, (unsigned)(st.st_mode & 07777), path);
	else if (!(buf = calloc(1, PASSWORD_MAX + 1)))
		r = bgx_fail(e, ENOMEM, "out of memory");
	else if ((n = read(fd, buf, PASSWORD_MAX)) < 0)
		r = bgx_fail(e, errno, "--etcd-password-file '%s': %s", path, strerror(errno));
	close(fd);
	if (!r) {
		buf[strcspn(buf, "\r\n")] = 0;
		if (!*buf)
			r = bgx_fail_usage(e, EINVAL, "--etcd-password-file '%s': empty first line", path);
	}
	if (r) {
		fleet_password_free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

void fleet_password_free(char *password)
{
	if (!password)
		return;
	sodium_memzero(password, strlen(password));
	free(password);
}

int fleet_etcd_config(const struct fleet_etcd_params *p, struct etcd_config *cfg,
		      char **password, struct bgx_err *e)
{
	int r;

	memset(cfg, 0, sizeof(*cfg));
	*password = NULL;
	if (!p->user != !p->password_file)
		return bgx_fail_usage(e, EINVAL, "--etcd-user and --etcd-password-file go together");
	if (p->password_file && (r = read_password(p->password_file, password, e)))
		return r;
	cfg->endpoints = p->endpoints;
	cfg->timeout_ms = (unsigned)p->timeout_ms;
	cfg->ca_file = p->ca_file;
	cfg->cert_file = p->cert_file;
	cfg->key_file = p->key_file;
	cfg->user = p->user;
	cfg->password = *password;
	return 0;
}

int fleet_etcd_connect(const struct fleet_etcd_params *p, struct etcd_client **client,
		       struct bgx_err *e)
{
	struct etcd_config cfg;
	char *password;
	int r = fleet_etcd_config(p, &cfg, &password, e);

	if (!r)
		r = etcd_open(&cfg, client, e);
	fleet_password_free(password);
	return r;
}
