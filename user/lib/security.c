// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "security.h"
#include "bgx_err.h"

/* Effective capability `cap` of this process (raw capget: no libcap). */
static bool has_effective_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int security_check_caps(struct bgx_err *e)
{
	/* The kernel accepts CAP_SYS_ADMIN where it asks for CAP_BPF. */
	bool bpf = has_effective_cap(CAP_BPF) || has_effective_cap(CAP_SYS_ADMIN);
	bool net = has_effective_cap(CAP_NET_ADMIN);

	if (bpf && net)
		return 0;
	return bgx_fail(e, EPERM, "needs CAP_BPF and CAP_NET_ADMIN (this process has %s; run it as root)",
		       bpf ? "CAP_BPF but not CAP_NET_ADMIN" :
		       net ? "CAP_NET_ADMIN but not CAP_BPF" : "neither");
}

/* One directory: owned by root or us, not writable by group/others unless
 * it is an ancestor with the sticky bit (others cannot rename what is ours). */
static int check_one(const char *pin_dir, const char *dir, const struct stat *st, bool ancestor,
		     struct bgx_err *e)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return bgx_fail(e, EPERM, "unsafe pin dir %s: %s is owned by uid %u, not by root or you "
			       "(fix: 'chown root %s' or use another --pin-dir)",
			       pin_dir, dir, (unsigned)st->st_uid, dir);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(ancestor && (st->st_mode & S_ISVTX)))
		return bgx_fail(e, EPERM, "unsafe pin dir %s: %s is writable by group or others (mode %04o; "
			       "fix: 'chmod go-w %s' or use another --pin-dir)",
			       pin_dir, dir, (unsigned)(st->st_mode & 07777), dir);
	return 0;
}

int security_check_pin_dir(const char *pin_dir, struct bgx_err *e)
{
	char existing[PATH_MAX], *real, *slash;
	struct stat st;
	bool ancestor = false;
	int r = 0;

	if (strlen(pin_dir) >= sizeof(existing))
		return bgx_fail(e, ENAMETOOLONG, "pin dir '%s': path too long", pin_dir);
	snprintf(existing, sizeof(existing), "%s", pin_dir);
	/* Deepest part of the path that exists: what bgxdp would create under. */
	while (stat(existing, &st)) {
		if (errno != ENOENT)
			return bgx_fail(e, errno, "pin dir %s: %s", pin_dir, strerror(errno));
		slash = strrchr(existing, '/');
		if (!slash)
			snprintf(existing, sizeof(existing), ".");
		else if (slash == existing)
			existing[1] = 0;
		else
			*slash = 0;
		ancestor = true;
	}
	real = realpath(existing, NULL);
	if (!real)
		return bgx_fail(e, errno, "pin dir %s: %s", pin_dir, strerror(errno));
	for (;;) {
		if (stat(real, &st)) {
			r = bgx_fail(e, errno, "pin dir %s: %s: %s", pin_dir, real, strerror(errno));
			break;
		}
		if ((r = check_one(pin_dir, real, &st, ancestor, e)))
			break;
		if (!strcmp(real, "/"))
			break;
		slash = strrchr(real, '/');
		if (slash == real)
			real[1] = 0;
		else
			*slash = 0;
		ancestor = true;
	}
	free(real);
	return r;
}

int security_check_pin_dir_fd(int dir_fd, const char *pin_dir, struct bgx_err *e)
{
	struct stat st;

	if (fstat(dir_fd, &st))
		return bgx_fail(e, errno, "pin dir %s: %s", pin_dir, strerror(errno));
	return check_one(pin_dir, pin_dir, &st, false, e);
}
