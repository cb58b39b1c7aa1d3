// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "instance.h"
#include "maglev.h"
#include "recover.h"
#include "security.h"
#include "util.h"

#define BPFFS_ROOT "/sys/fs/bpf"

const char *const instance_map_names[MAP_COUNT] = {
	[MAP_SERVICES] = "services",
	[MAP_SVC_CONFIG] = "svc_config",
	[MAP_VIP_FILTER] = "vip_filter",
	[MAP_BACKENDS] = "backends",
	[MAP_MAGLEV_RINGS] = "maglev_rings",
	[MAP_FLOWS] = "flows",
	[MAP_BACKEND_SERVICES] = "backend_services",
	[MAP_SETTINGS] = "settings",
	[MAP_TX_PORTS] = "tx_ports",
	[MAP_NEXT_HOPS] = "next_hops",
	[MAP_COLOR_COUNTERS] = "color_counters",
	[MAP_BACKEND_COUNTERS] = "backend_counters",
	[MAP_PASSED_COUNTERS] = "passed_counters",
	[MAP_SVC_META] = "svc_meta",
	[MAP_HALFOPEN] = "halfopen",
	[MAP_FLOW_EVENTS] = "flow_events",
	[MAP_BACKEND_CONNECT] = "backend_connect",
};

const char *instance_pin_dir(const struct opts *o)
{
	const char *d = o ? opt_str(o, "pin-dir") : NULL;

	if (!d && o)
		d = o->global_pin_dir;
	if (!d || !*d)
		d = getenv(BGXDP_PIN_DIR_ENV);
	if (!d || !*d)
		d = BGXDP_DEFAULT_PIN_DIR;
	return d;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int instance_ensure_bpffs(const char *pin_dir)
{
	size_t n = strlen(BPFFS_ROOT);

	if (strncmp(pin_dir, BPFFS_ROOT, n) || (pin_dir[n] && pin_dir[n] != '/'))
		return 0;
	if (is_bpffs(BPFFS_ROOT))
		return 0;
	if (mkdir(BPFFS_ROOT, 0755) && errno != EEXIST)
		return err_set(errno, "cannot create %s: %s", BPFFS_ROOT, strerror(errno));
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
		return err_set(errno, "cannot mount bpffs at %s: %s", BPFFS_ROOT, strerror(errno));
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Deepest existing ancestor of the (missing) pin dir must be bpffs. */
static int check_parent_on_bpffs(const char *pin_dir)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	do {
		slash = strrchr(parent, '/');
		if (!slash)
			return 0;
		if (slash == parent)
			parent[1] = 0;
		else
			*slash = 0;
	} while (stat(parent, &st) && errno == ENOENT && strcmp(parent, "/"));
	if (!is_bpffs(parent))
		return err_set(ENOTSUP, "pin dir %s is not on a bpf filesystem (%s is not bpffs; mount one with 'mount -t bpf bpf DIR' or use --pin-dir under /sys/fs/bpf)",
			       pin_dir, parent);
	return 0;
}

/* Is an ancestor of pin_dir the pin dir of an instance?  A nested one would
 * be swept away by that instance's last detach. */
static int check_not_nested(const char *pin_dir)
{
	char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s", pin_dir);
	while ((slash = strrchr(path, '/')) && slash != path) {
		*slash = 0;
		if (strlen(path) + sizeof("/svc_config") > sizeof(path))
			continue;
		strcat(path, "/svc_config");
		if (!access(path, F_OK)) {
			path[strlen(path) - strlen("/svc_config")] = 0;
			return err_set(EEXIST, "pin dir %s is inside the pin dir of another instance (%s); use a directory of its own",
				       pin_dir, path);
		}
		path[strlen(path) - strlen("/svc_config")] = 0;
	}
	return 0;
}

/* A new instance needs a directory of its own: the last detach removes
 * every entry of the pin dir, so it must hold nothing else. */
static int check_empty(int dir_fd, const char *pin_dir)
{
	int fd = dup(dir_fd), n = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_set(errno, "cannot read pin dir %s: %s", pin_dir, strerror(errno));
	}
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	if (n)
		return err_set(ENOTEMPTY, "pin dir %s holds %d entr%s but no bgxdp instance; a new instance needs an empty directory of its own (the last detach removes everything in it)",
			       pin_dir, n, n == 1 ? "y" : "ies");
	return 0;
}

int instance_lock_dir(struct instance *in, const char *pin_dir, bool create, bool lock)
{
	struct stat a, b;
	int r;

	memset(in, 0, sizeof(*in));
	in->dir_fd = -1;
	for (int i = 0; i < MAP_COUNT; i++)
		in->map_fd[i] = -1;
	if (strlen(pin_dir) >= sizeof(in->pin_dir) - 64)
		return err_set(ENAMETOOLONG, "pin dir '%s': path too long", pin_dir);
	snprintf(in->pin_dir, sizeof(in->pin_dir), "%s", pin_dir);
	/* Only the attach that creates an instance mounts bpffs: without it
	 * there is no instance to read, and reading must change nothing. */
	if ((create && (r = instance_ensure_bpffs(pin_dir))) || (r = security_check_pin_dir(pin_dir)) ||
	    (create && (r = check_not_nested(pin_dir))))
		return r;
	for (int tries = 0; tries < 10; tries++) {
		if (stat(pin_dir, &a)) {
			if (errno != ENOENT)
				return err_set(errno, "pin dir %s: %s", pin_dir, strerror(errno));
			if (!create)
				return err_set(ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
					       pin_dir);
			/* what we would create under must be on bpffs, or we
			 * would leave plain directories behind on failure */
			if ((r = check_parent_on_bpffs(pin_dir)))
				return r;
			r = mkdir_p(pin_dir, 0700);
			if (r)
				return err_set(r, "cannot create pin dir %s: %s", pin_dir, strerror(-r));
			continue;
		}
		if (!S_ISDIR(a.st_mode))
			return err_set(ENOTDIR, "pin dir %s is not a directory", pin_dir);
		if (!is_bpffs(pin_dir))
			return err_set(ENOTSUP, "pin dir %s is not on a bpf filesystem (mount one with 'mount -t bpf bpf DIR' or use --pin-dir under /sys/fs/bpf)",
				       pin_dir);
		in->dir_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (in->dir_fd < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == EACCES)
				return err_set(EACCES, "cannot open pin dir %s: permission denied (owned by uid %u, mode %04o: the pins are root-only; run bgxdp as root)",
					       pin_dir, (unsigned)a.st_uid, (unsigned)(a.st_mode & 07777));
			return err_set(errno, "cannot open pin dir %s: %s", pin_dir, strerror(errno));
		}
		if ((r = security_check_pin_dir_fd(in->dir_fd, pin_dir)))
			return r;
		if (lock && flock(in->dir_fd, LOCK_EX))
			return err_set(errno, "cannot lock pin dir %s: %s", pin_dir, strerror(errno));
		/* The attach that creates the instance makes its dir root-only,
		 * whatever mode it had and whatever the umask. */
		if (create && !instance_exists(in)) {
			if ((r = check_empty(in->dir_fd, pin_dir)))
				return r;
			if (fchmod(in->dir_fd, 0700))
				return err_set(errno, "cannot make pin dir %s mode 0700: %s",
					       pin_dir, strerror(errno));
		}
		/* the dir may have been removed (last detach) while we waited */
		if (!stat(pin_dir, &a) && !fstat(in->dir_fd, &b) &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return 0;
		close(in->dir_fd);
		in->dir_fd = -1;
	}
	return err_set(EAGAIN, "pin dir %s keeps changing; try again", pin_dir);
}

int instance_path(const struct instance *in, const char *name, char *buf, size_t len)
{
	size_t a = strlen(in->pin_dir), b = strlen(name);

	if (a + 1 + b + 1 > len) {
		if (len)
			buf[0] = 0;
		return -ENAMETOOLONG;
	}
	memcpy(buf, in->pin_dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b + 1);
	return 0;
}

bool instance_exists(const struct instance *in)
{
	return in->dir_fd >= 0 && faccessat(in->dir_fd, "svc_config", F_OK, 0) == 0;
}

int instance_open_maps(struct instance *in)
{
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (!instance_exists(in))
		return err_set(ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
			       in->pin_dir);
	for (int i = 0; i < MAP_COUNT; i++) {
		instance_path(in, instance_map_names[i], path, sizeof(path));
		in->map_fd[i] = bpf_obj_get(path);
		if (in->map_fd[i] < 0)
			return err_set(errno, "cannot open pinned map %s: %s", path, strerror(errno));
	}
	in->cfg_len = ((BGXDP_MAX_SERVICES * sizeof(__u64)) + (size_t)page - 1) &
		      ~((size_t)page - 1);
	p = mmap(NULL, in->cfg_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 in->map_fd[MAP_SVC_CONFIG], 0);
	if (p == MAP_FAILED)
		return err_set(errno, "cannot mmap map svc_config: %s", strerror(errno));
	in->cfg = p;
	return 0;
}

int instance_open(struct instance *in, const char *pin_dir, bool lock)
{
	int r = instance_lock_dir(in, pin_dir, false, lock);

	if (!r)
		r = instance_open_maps(in);
	/* A writer first finishes what a killed writer left half-done. */
	if (!r && lock && (r = instance_recover(in)) > 0)
		r = 0;
	if (r)
		instance_close(in);
	return r;
}

void instance_close(struct instance *in)
{
	if (in->cfg)
		munmap((void *)in->cfg, in->cfg_len);
	in->cfg = NULL;
	for (int i = 0; i < MAP_COUNT; i++) {
		if (in->map_fd[i] >= 0)
			close(in->map_fd[i]);
		in->map_fd[i] = -1;
	}
	if (in->dir_fd >= 0)
		close(in->dir_fd);     /* drops the flock */
	in->dir_fd = -1;
}

/* ---- services ---- */

int svc_meta_read(struct instance *in, __u32 id, struct svc_meta *meta)
{
	if (bpf_map_lookup_elem(in->map_fd[MAP_SVC_META], &id, meta))
		return err_set(errno, "cannot read svc_meta[%u]: %s", id, strerror(errno));
	return 0;
}

int svc_meta_write(struct instance *in, __u32 id, const struct svc_meta *meta)
{
	if (bpf_map_update_elem(in->map_fd[MAP_SVC_META], &id, meta, BPF_ANY))
		return err_set(errno, "cannot write svc_meta[%u]: %s", id, strerror(errno));
	return 0;
}

int svc_find(struct instance *in, const char *name, __u32 *id, struct svc_meta *meta)
{
	struct svc_meta m;
	int found = 0, r;

	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if ((r = svc_meta_read(in, i, &m)))
			return r;
		if (!m.in_use)
			continue;
		if (name && strncmp(m.name, name, BGXDP_NAME_LEN))
			continue;
		if (found++ == 0) {
			*id = i;
			*meta = m;
		}
		if (name)
			break;
	}
	if (!found)
		return name ? err_set(ENOENT, "no service named '%s' (see 'bgxdp status')", name)
			    : err_set(ENOENT, "no service configured (add one with 'bgxdp service add')");
	if (found > 1)
		return err_set(EINVAL, "%d services configured: say which one with --service NAME",
			       found);
	return 0;
}

__u64 svc_word(struct instance *in, __u32 id)
{
	return cfg_read(&in->cfg[id]);
}

void svc_publish(struct instance *in, __u32 id, __u64 word)
{
	cfg_publish(&in->cfg[id], word);
}

int color_backends_read(struct instance *in, __u32 id, __u32 color, struct backend *bk)
{
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
		__u32 key = backend_index(id, color, s);

		if (bpf_map_lookup_elem(in->map_fd[MAP_BACKENDS], &key, &bk[s]))
			return err_set(errno, "cannot read backends[%u]: %s", key, strerror(errno));
	}
	return 0;
}

__u32 backends_up(const struct backend *bk)
{
	__u32 n = 0;

	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		n += bk[s].state == BACKEND_UP;
	return n;
}

int color_prepare_ring(struct instance *in, __u32 id, __u32 color,
		       const struct backend *bk, __u64 word, __u64 *new_word)
{
	struct maglev_ring *ring = calloc(1, sizeof(*ring));
	__u32 inactive = cfg_ring_buffer(word, color) ^ 1;
	__u32 key = ring_index(id, color, inactive);
	int n;

	if (!ring)
		return err_set(ENOMEM, "out of memory");
	cfg_wait_for_readers();         /* readers of the word before the live one */
	n = maglev_build(bk, BGXDP_MAX_BACKENDS, ring);
	if (n < 0) {
		free(ring);
		return err_set(n, "cannot build the %s Maglev ring: %s",
			       color == BGXDP_GREEN ? "green" : "blue", strerror(-n));
	}
	if (bpf_map_update_elem(in->map_fd[MAP_MAGLEV_RINGS], &key, ring, BPF_ANY)) {
		int e = errno;

		free(ring);
		return err_set(e, "cannot write maglev_rings[%u]: %s", key, strerror(e));
	}
	free(ring);
	word ^= CFG_RING_BUFFER(color);
	if (n)
		word |= CFG_HAS_BACKENDS(color);
	else
		word &= ~CFG_HAS_BACKENDS(color);
	*new_word = cfg_next_generation(word);
	return 0;
}

__u32 word_color_share(__u64 word, __u32 color)
{
	__u32 g = cfg_green_share(word);

	if (g > BGXDP_SHARE_SCALE)
		g = BGXDP_SHARE_SCALE;
	return color == BGXDP_GREEN ? g : BGXDP_SHARE_SCALE - g;
}
