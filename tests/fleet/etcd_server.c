// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* etcd_server.c - start, stop and talk to a real etcd for the fleet tests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include "etcd.h"
#include "etcd_server.h"

#define START_WAIT_MS 15000

static const char *work_dir(void)
{
	const char *d = getenv("FLEET_TEST_DIR");

	return d && *d ? d : "/tmp";
}

const char *etcd_test_tls_dir(void)
{
	const char *d = getenv("FLEET_TLS_DIR");
	char probe[512];

	if (!d || !*d)
		return NULL;
	snprintf(probe, sizeof(probe), "%s/ca.crt", d);
	return access(probe, R_OK) ? NULL : d;
}

const char *etcd_test_tls_file(int slot, const char *name)
{
	static char paths[4][512];

	snprintf(paths[slot & 3], sizeof(paths[0]), "%s/%s", etcd_test_tls_dir(), name);
	return paths[slot & 3];
}

/* A port nobody listens on right now (the kernel picks it). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void write_pid_file(const struct etcd_server *s, bool present)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etcd-%d.pid", work_dir(), s->client_port);
	if (!present) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", (int)s->pid);
		fclose(f);
	}
}

static void exec_etcd(const struct etcd_server *s)
{
	char data[300], log[300], client[64], peer[64], cluster[96], ttl[32];
	char cert[512], key[512], ca[512];
	const char *argv[40];
	int n = 0, fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(log, sizeof(log), "%s/etcd.log", s->dir);
	snprintf(client, sizeof(client), "%s", s->url);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", s->peer_port);
	snprintf(cluster, sizeof(cluster), "t=%s", peer);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	argv[n++] = "etcd";
	argv[n++] = "--name=t";
	argv[n++] = "--data-dir";
	argv[n++] = data;
	argv[n++] = "--listen-client-urls";
	argv[n++] = client;
	argv[n++] = "--advertise-client-urls";
	argv[n++] = client;
	argv[n++] = "--listen-peer-urls";
	argv[n++] = peer;
	argv[n++] = "--initial-advertise-peer-urls";
	argv[n++] = peer;
	argv[n++] = "--initial-cluster";
	argv[n++] = cluster;
	if (s->auth_token_ttl) {
		snprintf(ttl, sizeof(ttl), "--auth-token-ttl=%d", s->auth_token_ttl);
		argv[n++] = ttl;
	}
	if (s->tls) {
		snprintf(cert, sizeof(cert), "--cert-file=%s/server.crt", etcd_test_tls_dir());
		snprintf(key, sizeof(key), "--key-file=%s/server.key", etcd_test_tls_dir());
		snprintf(ca, sizeof(ca), "--trusted-ca-file=%s/ca.crt", etcd_test_tls_dir());
		argv[n++] = cert;
		argv[n++] = key;
		argv[n++] = ca;
		argv[n++] = "--client-cert-auth";
	}
	argv[n] = NULL;
	execvp("etcd", (char **)argv);
	_exit(127);
}

static void apply_tls(CURL *h, bool tls)
{
	if (!tls)
		return;
	curl_easy_setopt(h, CURLOPT_CAINFO, etcd_test_tls_file(0, "ca.crt"));
	curl_easy_setopt(h, CURLOPT_SSLCERT, etcd_test_tls_file(1, "client.crt"));
	curl_easy_setopt(h, CURLOPT_SSLKEY, etcd_test_tls_file(2, "client.key"));
}

struct sink {
	char *out;
	size_t cap;
	size_t used;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *k = userdata;
	size_t n = size * nmemb, take;

	if (k->out && k->used + 1 < k->cap) {
		take = n < k->cap - k->used - 1 ? n : k->cap - k->used - 1;
		memcpy(k->out + k->used, data, take);
		k->used += take;
		k->out[k->used] = 0;
	}
	return n;
}

long etcd_server_post(const struct etcd_server *s, const char *path, const char *json,
		      const char *token, char *out, size_t out_len)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[256], auth[512];
	struct sink k = { .out = out, .cap = out_len };
	long status = -1;

	if (out && out_len)
		out[0] = 0;
	if (!h)
		return -1;
	snprintf(url, sizeof(url), "%s%s", s->url, path);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	apply_tls(h, s->tls);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

long long etcd_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* etcd answers a range read (bounded wait); false if it died or timed out. */
static bool wait_ready(struct etcd_server *s)
{
	long long give_up = etcd_test_now_ms() + START_WAIT_MS;
	int status;

	while (etcd_test_now_ms() < give_up) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return false;
		}
		/* 200 without auth; 400 "user name is empty" with it: both answer */
		long code = etcd_server_post(s, "/v3/kv/range", "{\"key\":\"AA==\"}", NULL, NULL, 0);

		if (code == 200 || code == 400)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static int spawn(struct etcd_server *s)
{
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0)
		exec_etcd(s);
	write_pid_file(s, true);
	if (wait_ready(s))
		return 0;
	etcd_server_stop(s);
	return -ETIMEDOUT;
}

int etcd_server_start(struct etcd_server *s, bool tls, int auth_token_ttl)
{
	char tmpl[256];

	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->auth_token_ttl = auth_token_ttl;
	snprintf(tmpl, sizeof(tmpl), "%s/etcd.XXXXXX", work_dir());
	if (!mkdtemp(tmpl))
		return -errno;
	snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
	/* a free port can be taken between the probe and etcd's bind: retry */
	for (int attempt = 0; attempt < 3; attempt++) {
		s->client_port = free_port();
		s->peer_port = free_port();
		snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d", tls ? "https" : "http",
			 s->client_port);
		if (s->client_port > 0 && s->peer_port > 0 && s->client_port != s->peer_port &&
		    spawn(s) == 0)
			return 0;
	}
	return -EADDRINUSE;
}

int etcd_server_restart(struct etcd_server *s)
{
	return spawn(s);
}

void etcd_server_stop(struct etcd_server *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGCONT);
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			goto gone;
		usleep(50 * 1000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
gone:
	write_pid_file(s, false);
	s->pid = 0;
}

void etcd_server_destroy(struct etcd_server *s)
{
	char cmd[512];

	etcd_server_stop(s);
	if (s->dir[0] && strstr(s->dir, "/etcd.")) {
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", s->dir);
	}
	s->dir[0] = 0;
}

void etcd_server_pause(struct etcd_server *s)
{
	if (s->pid > 0)
		kill(s->pid, SIGSTOP);
}

void etcd_server_resume(struct etcd_server *s)
{
	if (s->pid > 0)
		kill(s->pid, SIGCONT);
}

struct etcd_client *etcd_server_client(const struct etcd_server *s, unsigned timeout_ms)
{
	struct etcd_config cfg = { .endpoints = s->url, .timeout_ms = timeout_ms };
	struct etcd_client *c;
	struct bgx_err e = { 0 };

	if (s->tls) {
		cfg.ca_file = etcd_test_tls_file(0, "ca.crt");
		cfg.cert_file = etcd_test_tls_file(1, "client.crt");
		cfg.key_file = etcd_test_tls_file(2, "client.key");
	}
	if (etcd_open(&cfg, &c, &e)) {
		fprintf(stderr, "etcd_open %s: %s\n", s->url, e.msg);
		abort();
	}
	return c;
}
