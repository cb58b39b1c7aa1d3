// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * complete_live.c - live names for completion: services, backends and
 * attached interfaces from `bgxdp status --json` (its documented, stable
 * keys), and the interfaces of the network namespace.
 *
 * The status comes from a child running this same binary rather than from
 * the maps directly, so completion reads exactly what `status` shows and
 * depends on nothing but its JSON keys.  The child is bounded in time and
 * output: completion must never hang a shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "complete.h"

#define STATUS_TIMEOUT_MS 3000
#define STATUS_MAX_BYTES (8u << 20)

extern char **environ;

void cands_add(struct cands *c, const char *word)
{
	char *dup;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i], word))
			return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		char **v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return;
		c->v = v;
		c->cap = cap;
	}
	dup = strdup(word);
	if (dup)
		c->v[c->n++] = dup;
}

void cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Everything the child writes to fd, until EOF, the deadline or the cap. */
static char *read_bounded(int fd, size_t *len)
{
	long long deadline = now_ms() + STATUS_TIMEOUT_MS;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (n == cap) {
			char *m = cap < STATUS_MAX_BYTES ? realloc(buf, 2 * cap) : NULL;

			if (!m)
				break;
			buf = m;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r == 0) {
			*len = n;
			return buf;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	free(buf);
	return NULL;
}

json_t *live_status_run(const char *pin_dir)
{
	char *argv[] = { "bgxdp", "--pin-dir", (char *)pin_dir, "status", "--json", NULL };
	char **args = pin_dir ? argv : (char *[]){ "bgxdp", "status", "--json", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0;
	json_t *root = NULL;
	char *out = NULL;
	size_t len = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (pid > 0) {
		out = read_bounded(pipefd[0], &len);
		if (!out)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	if (out && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		root = json_loadb(out, len, 0, NULL);
	free(out);
	return root;
}

/* Adds `key` of every object in array `arr`. */
static void add_names(json_t *arr, const char *key, struct cands *c)
{
	size_t i;
	json_t *item;

	json_array_foreach(arr, i, item) {
		const char *s = json_string_value(json_object_get(item, key));

		if (s)
			cands_add(c, s);
	}
}

void live_services(json_t *status, struct cands *c)
{
	add_names(json_object_get(status, "services"), "name", c);
}

void live_interfaces(json_t *status, struct cands *c)
{
	add_names(json_object_get(status, "interfaces"), "name", c);
}

static json_t *find_service(json_t *status, const char *service)
{
	json_t *all = json_object_get(status, "services"), *svc;
	size_t i;

	if (!service)
		return json_array_size(all) == 1 ? json_array_get(all, 0) : NULL;
	json_array_foreach(all, i, svc) {
		const char *name = json_string_value(json_object_get(svc, "name"));

		if (name && !strcmp(name, service))
			return svc;
	}
	return NULL;
}

void live_backends(json_t *status, const char *service, const char *color, struct cands *c)
{
	json_t *backends = json_object_get(find_service(status, service), "backends"), *list;
	const char *key;

	json_object_foreach(backends, key, list)
		if (!color || !strcmp(color, key))
			add_names(list, "address", c);
}

void system_interfaces(struct cands *c)
{
	struct if_nameindex *ifs = if_nameindex();

	if (!ifs)
		return;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		cands_add(c, i->if_name);
	if_freenameindex(ifs);
}
