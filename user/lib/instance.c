// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* instance.c - opening an instance: its pin dir, bpffs, the lock, the maps. */
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
#include <bpf/libbpf.h>
#include "instance.h"
#include "pindir.h"
#include "security.h"

#define BPFFS_ROOT "/sys/fs/bpf"

#define BGX_MAP_NAME(name) [MAP_##name] = #name,
const char *const bgx_map_names[MAP_COUNT] = {
	BGXDP_MAP_LIST(BGX_MAP_NAME)
};

const char *bgx_pin_dir_choose(const char *flag)
{
	const char *d = flag;

	if (!d || !*d)
		d = getenv(BGXDP_PIN_DIR_ENV);
	if (!d || !*d)
		d = BGXDP_DEFAULT_PIN_DIR;
	return d;
}

static void instance_init(struct bgx_instance *in)
{
	memset(in, 0, sizeof(*in));
	in->dir_fd = -1;
	for (int i = 0; i < MAP_COUNT; i++)
		in->map_fd[i] = -1;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static int ensure_bpffs(const char *pin_dir, struct bgx_err *e)
{
	size_t n = strlen(BPFFS_ROOT);

	if (strncmp(pin_dir, BPFFS_ROOT, n) || (pin_dir[n] && pin_dir[n] != '/'))
		return 0;
	if (is_bpffs(BPFFS_ROOT))
		return 0;
	if (mkdir(BPFFS_ROOT, 0755) && errno != EEXIST)
		return bgx_fail(e, errno, "cannot create %s: %s", BPFFS_ROOT, strerror(errno));
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
		return bgx_fail(e, errno, "cannot mount bpffs at %s: %s", BPFFS_ROOT, strerror(errno));
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
static int check_parent_on_bpffs(const char *pin_dir, struct bgx_err *e)
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
		return bgx_fail(e, ENOTSUP, "pin dir %s is not on a bpf filesystem (%s is not bpffs; mount one with 'mount -t bpf bpf DIR' or use --pin-dir under /sys/fs/bpf)",
			       pin_dir, parent);
	return 0;
}

/* Is an ancestor of pin_dir the pin dir of an instance?  A nested one would
 * be swept away by that instance's last detach. */
static int check_not_nested(const char *pin_dir, struct bgx_err *e)
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
			return bgx_fail(e, EEXIST, "pin dir %s is inside the pin dir of another instance (%s); use a directory of its own",
				       pin_dir, path);
		}
		path[strlen(path) - strlen("/svc_config")] = 0;
	}
	return 0;
}

/* A new instance needs a directory of its own: the last detach removes
 * every entry of the pin dir, so it must hold nothing else. */
static int check_empty(int dir_fd, const char *pin_dir, struct bgx_err *e)
{
	int n = pindir_count(dir_fd, false);

	if (n < 0)
		return bgx_fail(e, n, "cannot read pin dir %s: %s", pin_dir, strerror(-n));
	if (n)
		return bgx_fail(e, ENOTEMPTY, "pin dir %s holds %d entr%s but no bgxdp instance; a new instance needs an empty directory of its own (the last detach removes everything in it)",
			       pin_dir, n, n == 1 ? "y" : "ies");
	return 0;
}

int instance_lock_dir(struct bgx_instance *in, const char *pin_dir, bool create, bool lock,
		      struct bgx_err *e)
{
	struct stat a, b;
	int r;

	instance_init(in);
	if (strlen(pin_dir) >= sizeof(in->pin_dir) - 64)
		return bgx_fail(e, ENAMETOOLONG, "pin dir '%s': path too long", pin_dir);
	snprintf(in->pin_dir, sizeof(in->pin_dir), "%s", pin_dir);
	/* Only the attach that creates an instance mounts bpffs: without it
	 * there is no instance to read, and reading must change nothing. */
	if ((create && (r = ensure_bpffs(pin_dir, e))) || (r = security_check_pin_dir(pin_dir, e)) ||
	    (create && (r = check_not_nested(pin_dir, e))))
		return r;
	for (int tries = 0; tries < 10; tries++) {
		if (stat(pin_dir, &a)) {
			if (errno != ENOENT)
				return bgx_fail(e, errno, "pin dir %s: %s", pin_dir, strerror(errno));
			if (!create)
				return bgx_fail(e, ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
					       pin_dir);
			/* what we would create under must be on bpffs, or we
			 * would leave plain directories behind on failure */
			if ((r = check_parent_on_bpffs(pin_dir, e)))
				return r;
			r = mkdir_p(pin_dir, 0700);
			if (r)
				return bgx_fail(e, r, "cannot create pin dir %s: %s", pin_dir, strerror(-r));
			continue;
		}
		if (!S_ISDIR(a.st_mode))
			return bgx_fail(e, ENOTDIR, "pin dir %s is not a directory", pin_dir);
		if (!is_bpffs(pin_dir))
			return bgx_fail(e, ENOTSUP, "pin dir %s is not on a bpf filesystem (mount one with 'mount -t bpf bpf DIR' or use --pin-dir under /sys/fs/bpf)",
				       pin_dir);
		in->dir_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (in->dir_fd < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == EACCES)
				return bgx_fail(e, EACCES, "cannot open pin dir %s: permission denied (owned by uid %u, mode %04o: the pins are root-only; run bgxdp as root)",
					       pin_dir, (unsigned)a.st_uid, (unsigned)(a.st_mode & 07777));
			return bgx_fail(e, errno, "cannot open pin dir %s: %s", pin_dir, strerror(errno));
		}
		if ((r = security_check_pin_dir_fd(in->dir_fd, pin_dir, e)))
			return r;
		if (lock && flock(in->dir_fd, LOCK_EX))
			return bgx_fail(e, errno, "cannot lock pin dir %s: %s", pin_dir, strerror(errno));
		/* The attach that creates the instance makes its dir root-only,
		 * whatever mode it had and whatever the umask. */
		if (create && !instance_exists(in)) {
			if ((r = check_empty(in->dir_fd, pin_dir, e)))
				return r;
			if (fchmod(in->dir_fd, 0700))
				return bgx_fail(e, errno, "cannot make pin dir %s mode 0700: %s",
					       pin_dir, strerror(errno));
		}
		/* the dir may have been removed (last detach) while we waited */
		if (!stat(pin_dir, &a) && !fstat(in->dir_fd, &b) &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return 0;
		close(in->dir_fd);
		in->dir_fd = -1;
	}
	return bgx_fail(e, EAGAIN, "pin dir %s keeps changing; try again", pin_dir);
}

int instance_path(const struct bgx_instance *in, const char *name, char *buf, size_t len)
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

bool instance_exists(const struct bgx_instance *in)
{
	return in->dir_fd >= 0 && faccessat(in->dir_fd, "svc_config", F_OK, 0) == 0;
}

/* The config words: one aligned 8-byte store publishes a service. */
static int map_config_words(struct bgx_instance *in, struct bgx_err *e)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	in->cfg_len = ((BGXDP_MAX_SERVICES * sizeof(__u64)) + (size_t)page - 1) &
		      ~((size_t)page - 1);
	p = mmap(NULL, in->cfg_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 map_fd(in, MAP_svc_config), 0);
	if (p == MAP_FAILED)
		return bgx_fail(e, errno, "cannot mmap map svc_config: %s", strerror(errno));
	in->cfg = p;
	return 0;
}

int instance_open_map(struct bgx_instance *in, enum bgx_map map)
{
	char path[PATH_MAX];

	if (in->dir_fd < 0)
		return -EBADF;
	instance_path(in, bgx_map_names[map], path, sizeof(path));
	in->map_fd[map] = bpf_obj_get(path);
	if (in->map_fd[map] < 0) {
		int err = -errno;

		bgx_log(BGX_LOG_ERROR, "cannot open pinned map %s: %s", path, strerror(-err));
		return err;
	}
	bgx_log(BGX_LOG_DEBUG, "opened pinned map %s", path);
	return in->map_fd[map];
}

/* Only the config words are needed at once (and mapped); every other map
 * is opened when first used. */
int instance_open_maps(struct bgx_instance *in, struct bgx_err *e)
{
	int fd;

	if (!instance_exists(in))
		return bgx_fail(e, ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
				in->pin_dir);
	in->own_map_fds = true;
	if ((fd = instance_open_map(in, MAP_svc_config)) < 0)
		return bgx_fail(e, fd, "cannot open pinned map %s/svc_config: %s", in->pin_dir,
				strerror(-fd));
	return map_config_words(in, e);
}

void instance_release(struct bgx_instance *in)
{
	if (in->cfg)
		munmap((void *)in->cfg, in->cfg_len);
	in->cfg = NULL;
	for (int i = 0; i < MAP_COUNT; i++) {
		if (in->own_map_fds && in->map_fd[i] >= 0)
			close(in->map_fd[i]);
		in->map_fd[i] = -1;
	}
	if (in->dir_fd >= 0)
		close(in->dir_fd);     /* drops the flock */
	in->dir_fd = -1;
}

int instance_must_write(const struct bgx_instance *in, struct bgx_err *e)
{
	if (in->writable)
		return 0;
	return bgx_fail(e, EBADF, "instance %s was opened read-only", in->pin_dir);
}

int bgx_open(const char *pin_dir, enum bgx_access access, struct bgx_instance **out,
	     struct bgx_err *e)
{
	struct bgx_instance *in = malloc(sizeof(*in));
	bool lock = access == BGX_WRITE;
	int r;

	*out = NULL;
	if (!in)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = instance_lock_dir(in, pin_dir, false, lock, e);
	if (!r)
		r = instance_open_maps(in, e);
	in->writable = lock;
	/* A writer first finishes what a killed writer left half-done. */
	if (!r && lock && (r = bgx_recover(in, 0, e)) > 0)
		r = 0;
	if (r) {
		bgx_close(in);
		return r;
	}
	bgx_log(BGX_LOG_DEBUG, "opened %s %s", pin_dir, lock ? "for writing (locked)" : "for reading");
	*out = in;
	return 0;
}

int bgx_open_object(struct bpf_object *obj, struct bgx_instance **out, struct bgx_err *e)
{
	struct bgx_instance *in = malloc(sizeof(*in));
	int r;

	*out = NULL;
	if (!in)
		return bgx_fail(e, ENOMEM, "out of memory");
	instance_init(in);
	in->writable = true;
	for (int i = 0; i < MAP_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, bgx_map_names[i]);

		in->map_fd[i] = map ? bpf_map__fd(map) : -1;
		if (in->map_fd[i] < 0) {
			bgx_close(in);
			return bgx_fail(e, ENOENT, "the BPF object has no loaded map '%s'",
					bgx_map_names[i]);
		}
	}
	if ((r = map_config_words(in, e))) {
		bgx_close(in);
		return r;
	}
	*out = in;
	return 0;
}

void bgx_close(struct bgx_instance *in)
{
	if (!in)
		return;
	instance_release(in);
	free(in);
}

const char *bgx_instance_pin_dir(const struct bgx_instance *in)
{
	return in->pin_dir;
}

void bgx_set_step_hook(struct bgx_instance *in, bgx_step_fn fn, void *ctx)
{
	in->step_fn = fn;
	in->step_ctx = ctx;
}
