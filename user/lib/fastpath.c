// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fastpath.h"

static int pinned_map_fd(const struct bgx_instance *in, const char *name, struct bgx_err *e)
{
	char path[PATH_MAX];
	int fd;

	instance_path(in, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bgx_fail(e, errno, "cannot open pinned map %s: %s", path, strerror(errno));
	return fd;
}

void fast_path_close(struct fast_path *fp)
{
	if (fp->settings_fd >= 0)
		close(fp->settings_fd);
	if (fp->tx_fd >= 0)
		close(fp->tx_fd);
	fp->settings_fd = fp->tx_fd = -1;
}

void fast_path_undo(struct fast_path *fp)
{
	__u32 key = 0;

	if (fp->settings_fd >= 0)
		bpf_map_update_elem(fp->settings_fd, &key, &fp->old, BPF_ANY);
	for (int i = 0; i < fp->n && fp->tx_fd >= 0; i++)
		if (fp->added[i])
			bpf_map_delete_elem(fp->tx_fd, &fp->ifindex[i]);
}

static int add_device(struct fast_path *fp, int i, struct bgx_err *e)
{
	char name[IF_NAMESIZE] = "?";
	__u32 v;
	int r;

	fp->added[i] = bpf_map_lookup_elem(fp->tx_fd, &fp->ifindex[i], &v) != 0;
	if (!bpf_map_update_elem(fp->tx_fd, &fp->ifindex[i], &fp->ifindex[i], BPF_ANY))
		return 0;
	r = errno;
	if_indextoname(fp->ifindex[i], name);
	fp->added[i] = false;
	fast_path_undo(fp);
	return bgx_fail(e, r, "--fast-path: cannot add %s to the tx_ports devmap: %s", name,
			strerror(r));
}

int fast_path_enable(const struct bgx_instance *in, const __u32 *ifindex, int n,
		     struct fast_path *fp, struct bgx_err *e)
{
	struct instance_settings now;
	__u32 key = 0;
	int r;

	memset(fp, 0, sizeof(*fp));
	fp->settings_fd = fp->tx_fd = -1;
	fp->n = n < BGXDP_MAX_TX_PORTS ? n : BGXDP_MAX_TX_PORTS;
	memcpy(fp->ifindex, ifindex, sizeof(*ifindex) * (size_t)fp->n);
	if ((fp->settings_fd = pinned_map_fd(in, "settings", e)) < 0)
		return fp->settings_fd;
	if ((fp->tx_fd = pinned_map_fd(in, "tx_ports", e)) < 0)
		return fp->tx_fd;
	if (bpf_map_lookup_elem(fp->settings_fd, &key, &fp->old))
		return bgx_fail(e, errno, "cannot read the settings map: %s", strerror(errno));
	for (int i = 0; i < fp->n; i++)
		if ((r = add_device(fp, i, e)))
			return r;
	now = fp->old;
	now.flags |= SETTINGS_FAST_PATH;
	if (bpf_map_update_elem(fp->settings_fd, &key, &now, BPF_ANY)) {
		r = errno;
		fast_path_undo(fp);
		return bgx_fail(e, r, "cannot write the settings map: %s", strerror(r));
	}
	return 0;
}

/* Devices of the devmap that are not in the wanted set. */
static int remove_unwanted(int tx_fd, const __u32 *ifindex, int n, struct bgx_err *e)
{
	__u32 key, next, *prev = NULL, doomed[BGXDP_MAX_TX_PORTS];
	int nd = 0;

	while (nd < BGXDP_MAX_TX_PORTS && !bpf_map_get_next_key(tx_fd, prev, &next)) {
		bool wanted = false;

		key = next;
		prev = &key;
		for (int i = 0; i < n; i++)
			wanted |= ifindex[i] == key;
		if (!wanted)
			doomed[nd++] = key;
	}
	for (int i = 0; i < nd; i++)
		if (bpf_map_delete_elem(tx_fd, &doomed[i]) && errno != ENOENT)
			return bgx_fail(e, errno, "cannot update the tx_ports devmap: %s", strerror(errno));
	return 0;
}

int bgx_fast_path_set(const char *pin_dir, const __u32 *ifindex, int n, struct bgx_err *e)
{
	struct fast_path fp = { .settings_fd = -1, .tx_fd = -1 };
	struct instance_settings off;
	struct bgx_instance in;
	__u32 key = 0;
	int r;

	if ((r = instance_lock_dir(&in, pin_dir, false, true, e)))
		goto out;
	if (n) {
		/* devices, then the flag; then the devices no longer wanted */
		if ((r = fast_path_enable(&in, ifindex, n, &fp, e)) ||
		    (r = remove_unwanted(fp.tx_fd, ifindex, n, e)))
			goto out;
	} else {
		/* the flag off first: the program never redirects to a device
		 * that is being removed */
		if ((fp.settings_fd = pinned_map_fd(&in, "settings", e)) < 0 ||
		    (fp.tx_fd = pinned_map_fd(&in, "tx_ports", e)) < 0) {
			r = fp.settings_fd < 0 ? fp.settings_fd : fp.tx_fd;
			goto out;
		}
		if (bpf_map_lookup_elem(fp.settings_fd, &key, &off)) {
			r = bgx_fail(e, errno, "cannot read the settings map: %s", strerror(errno));
			goto out;
		}
		off.flags &= ~SETTINGS_FAST_PATH;
		if (bpf_map_update_elem(fp.settings_fd, &key, &off, BPF_ANY)) {
			r = bgx_fail(e, errno, "cannot write the settings map: %s", strerror(errno));
			goto out;
		}
		r = remove_unwanted(fp.tx_fd, ifindex, 0, e);
	}
out:
	fast_path_close(&fp);
	instance_release(&in);
	return r;
}
