// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loadclient - HTTP load client for the bgxdp end-to-end tests.
 *
 * Every request is a new TCP connection (SO_LINGER off, normal close):
 *     GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
 * The reply body of a test backend is "<color> <name>\n"; the client counts
 * answers per color and per backend name, and counts failures and
 * connection resets (ECONNRESET/EPIPE) separately.  At the end it prints one
 * JSON line of counts to stdout.
 *
 *   loadclient ADDR:PORT [-n COUNT] [-d SECONDS] [-c CONNS] [-t TIMEOUT_MS]
 *   ADDR:PORT is 10.0.0.1:80 or [fd00::1]:80
 *
 * It always stops: after COUNT requests (default 1000, at most 10^7), after
 * SECONDS (default 60, at most 600), or on SIGINT/SIGTERM, whichever comes
 * first; requests in flight finish (bounded by TIMEOUT_MS) and are counted.
 *
 * Build: gcc -O2 -Wall -Wextra -pthread -o loadclient loadclient.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT     10000000L
#define MAX_SECONDS   600.0
#define MAX_CONNS     256
#define MAX_NAMES     32
#define NAME_LEN      32
#define REPLY_MAX     4096
#define MAX_ERR_LOGS  10

static const char request[] =
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

struct name_count {
	char name[NAME_LEN];
	long count;
};

struct counts {
	long requests, ok, failed, resets;
	long timeouts, refused, bad_replies, other_errors;
	long blue, green, other_color;
	struct name_count names[MAX_NAMES];
	int nnames;
};

static struct sockaddr_storage target;
static socklen_t target_len;
static char target_text[128];
static long max_count = 1000;
static double max_seconds = 60.0;
static int timeout_ms = 2000;
static int nconns = 1;

static atomic_long issued;
static atomic_int stop_flag;
static atomic_int threads_done;
static atomic_int err_logs;
static struct timespec t_start;

static double now_since_start(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t_start.tv_sec) +
	       (double)(t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void log_error(const char *what, int err)
{
	if (atomic_fetch_add(&err_logs, 1) < MAX_ERR_LOGS)
		fprintf(stderr, "loadclient: %.3fs %s: %s\n", now_since_start(),
			what, err == EINPROGRESS ? "timed out" :
			err ? strerror(err) : "bad reply");
}

static void count_name(struct counts *c, const char *name, long n)
{
	for (int i = 0; i < c->nnames; i++) {
		if (strcmp(c->names[i].name, name) == 0) {
			c->names[i].count += n;
			return;
		}
	}
	if (c->nnames < MAX_NAMES) {
		snprintf(c->names[c->nnames].name, NAME_LEN, "%s", name);
		c->names[c->nnames].count = n;
		c->nnames++;
	}
}

/* Classify a socket error: resets apart from every other failure. */
static void count_errno(struct counts *c, const char *what, int err)
{
	if (err == ECONNRESET || err == EPIPE) {
		c->resets++;
	} else {
		c->failed++;
		if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS ||
		    err == ETIMEDOUT)
			c->timeouts++;
		else if (err == ECONNREFUSED)
			c->refused++;
		else
			c->other_errors++;
	}
	log_error(what, err);
}

/* Parse "HTTP/1.x 200 ...\r\n...\r\n\r\n<color> <name>\n". */
static bool parse_reply(struct counts *c, char *buf, size_t len)
{
	buf[len] = '\0';
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    strncmp(buf + 8, " 200", 4) != 0)
		return false;
	char *body = strstr(buf, "\r\n\r\n");
	if (!body)
		return false;
	body += 4;
	char color[NAME_LEN], name[NAME_LEN];
	if (sscanf(body, "%31s %31s", color, name) != 2)
		return false;
	if (strcmp(color, "blue") == 0)
		c->blue++;
	else if (strcmp(color, "green") == 0)
		c->green++;
	else
		c->other_color++;
	for (char *p = name; *p; p++)         /* keep the JSON valid */
		if (!(*p == '-' || *p == '_' || *p == '.' ||
		      (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	count_name(c, name, 1);
	return true;
}

static void one_request(struct counts *c)
{
	char buf[REPLY_MAX + 1];
	size_t got = 0;
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	struct linger lg = { .l_onoff = 0, .l_linger = 0 };

	c->requests++;
	int fd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		count_errno(c, "socket", errno);
		return;
	}
	/* SO_SNDTIMEO also bounds connect() on Linux. */
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		count_errno(c, "setsockopt", errno);
		close(fd);
		return;
	}
	if (connect(fd, (struct sockaddr *)&target, target_len) < 0) {
		count_errno(c, "connect", errno);
		close(fd);
		return;
	}
	size_t sent = 0;
	while (sent < sizeof(request) - 1) {
		ssize_t n = send(fd, request + sent, sizeof(request) - 1 - sent,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			count_errno(c, "send", errno);
			close(fd);
			return;
		}
		sent += (size_t)n;
	}
	for (;;) {
		if (got == REPLY_MAX)
			break;
		ssize_t n = recv(fd, buf + got, REPLY_MAX - got, 0);
		if (n == 0)
			break;                  /* server closed: reply complete */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			count_errno(c, "recv", errno);
			close(fd);
			return;
		}
		got += (size_t)n;
	}
	close(fd);
	if (parse_reply(c, buf, got)) {
		c->ok++;
	} else {
		c->failed++;
		c->bad_replies++;
		log_error("reply", 0);
	}
}

static void *worker(void *arg)
{
	struct counts *c = arg;

	while (!atomic_load(&stop_flag)) {
		if (atomic_fetch_add(&issued, 1) >= max_count)
			break;
		if (now_since_start() >= max_seconds)
			break;
		one_request(c);
	}
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

static int parse_target(const char *s)
{
	char host[100];
	const char *port;

	memset(&target, 0, sizeof(target));
	snprintf(target_text, sizeof(target_text), "%s", s);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		port = end + 2;
	} else {
		const char *colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':') || /* IPv6 needs [] */
		    (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	char *endp;
	long p = strtol(port, &endp, 10);
	if (*port == '\0' || *endp != '\0' || p < 1 || p > 65535)
		return -1;

	struct sockaddr_in *a4 = (struct sockaddr_in *)&target;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&target;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1 && s[0] != '[') {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		target_len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		target_len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loadclient ADDR:PORT [-n COUNT] [-d SECONDS] [-c CONNS] [-t TIMEOUT_MS]\n"
		"  ADDR:PORT       10.0.0.1:80 or [fd00::1]:80\n"
		"  -n, --count     stop after COUNT requests (default 1000, max %ld)\n"
		"  -d, --duration  stop after SECONDS (default 60, max %.0f)\n"
		"  -c, --conns     concurrent connections (default 1, max %d)\n"
		"  -t, --timeout-ms  per connect/send/recv timeout (default 2000)\n"
		"      --tag TEXT  ignored (lets tests find their processes)\n"
		"Stops early on SIGINT/SIGTERM. Prints one JSON line of counts.\n",
		MAX_COUNT, MAX_SECONDS, MAX_CONNS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "conns", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;
	char *end;

	while ((o = getopt_long(argc, argv, "n:d:c:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			max_count = strtol(optarg, &end, 10);
			if (*end || max_count < 1 || max_count > MAX_COUNT) {
				fprintf(stderr, "loadclient: --count: 1..%ld\n", MAX_COUNT);
				return 2;
			}
			break;
		case 'd':
			max_seconds = strtod(optarg, &end);
			if (*end || !(max_seconds > 0) || max_seconds > MAX_SECONDS) {
				fprintf(stderr, "loadclient: --duration: (0, %.0f] seconds\n",
					MAX_SECONDS);
				return 2;
			}
			break;
		case 'c':
			nconns = (int)strtol(optarg, &end, 10);
			if (*end || nconns < 1 || nconns > MAX_CONNS) {
				fprintf(stderr, "loadclient: --conns: 1..%d\n", MAX_CONNS);
				return 2;
			}
			break;
		case 't':
			timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || timeout_ms < 1 || timeout_ms > 60000) {
				fprintf(stderr, "loadclient: --timeout-ms: 1..60000\n");
				return 2;
			}
			break;
		case 'T':
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (parse_target(argv[optind]) < 0) {
		fprintf(stderr, "loadclient: bad target '%s': want ADDR:PORT or [ADDR6]:PORT\n",
			argv[optind]);
		return 2;
	}

	/* Workers never see the signals; main waits for them. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	struct counts *per = calloc((size_t)nconns, sizeof(*per));
	pthread_t *tids = calloc((size_t)nconns, sizeof(*tids));
	if (!per || !tids) {
		fprintf(stderr, "loadclient: out of memory\n");
		return 2;
	}
	int started = 0;
	for (int i = 0; i < nconns; i++) {
		if (pthread_create(&tids[i], NULL, worker, &per[i]) != 0) {
			fprintf(stderr, "loadclient: pthread_create failed\n");
			break;
		}
		started++;
	}

	/* Bounded: the workers stop by count/deadline; we add a stop on signal. */
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	while (atomic_load(&threads_done) < started) {
		if (sigtimedwait(&sigs, NULL, &tick) > 0)
			atomic_store(&stop_flag, 1);
		if (now_since_start() > max_seconds + (double)timeout_ms * 3 / 1000 + 5)
			atomic_store(&stop_flag, 1); /* never reached in practice */
	}
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	double secs = now_since_start();

	struct counts t = { 0 };
	for (int i = 0; i < started; i++) {
		struct counts *c = &per[i];
		t.requests += c->requests;
		t.ok += c->ok;
		t.failed += c->failed;
		t.resets += c->resets;
		t.timeouts += c->timeouts;
		t.refused += c->refused;
		t.bad_replies += c->bad_replies;
		t.other_errors += c->other_errors;
		t.blue += c->blue;
		t.green += c->green;
		t.other_color += c->other_color;
		for (int j = 0; j < c->nnames; j++)
			count_name(&t, c->names[j].name, c->names[j].count);
	}

	printf("{\"target\":\"%s\",\"conns\":%d,\"requests\":%ld,\"ok\":%ld,"
	       "\"failed\":%ld,\"resets\":%ld,\"timeouts\":%ld,\"refused\":%ld,"
	       "\"bad_replies\":%ld,\"other_errors\":%ld,\"blue\":%ld,\"green\":%ld,"
	       "\"other_color\":%ld,\"backends\":{",
	       target_text, started, t.requests, t.ok, t.failed, t.resets,
	       t.timeouts, t.refused, t.bad_replies, t.other_errors, t.blue,
	       t.green, t.other_color);
	for (int j = 0; j < t.nnames; j++)
		printf("%s\"%s\":%ld", j ? "," : "", t.names[j].name,
		       t.names[j].count);
	printf("},\"seconds\":%.3f,\"rps\":%.1f}\n", secs,
	       secs > 0 ? (double)t.ok / secs : 0.0);
	free(per);
	free(tids);
	return 0;
}
