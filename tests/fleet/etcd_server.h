/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * etcd_server.h - a real etcd (Debian's etcd-server) for the fleet tests:
 * one member on free loopback ports, a data dir of its own, started and
 * stopped by the test.  The child gets PR_SET_PDEATHSIG, so a test that
 * crashes takes its etcd with it; tests/fleet/run.sh also kills every pid
 * file it finds and removes the work dir in its trap.
 */
#ifndef BGXDP_TEST_ETCD_SERVER_H
#define BGXDP_TEST_ETCD_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct etcd_server {
	pid_t pid;
	int client_port;
	int peer_port;
	char dir[256];                  /* data dir and log live here */
	char url[64];                   /* http(s)://127.0.0.1:PORT */
	bool tls;
	int auth_token_ttl;             /* seconds; 0: etcd's default */
};

/* Where TLS material is (run.sh makes it with openssl): NULL when absent. */
const char *etcd_test_tls_dir(void);
/* Path of a file in the TLS dir, in a static buffer per slot (0..3). */
const char *etcd_test_tls_file(int slot, const char *name);

/* New data dir, free ports; waits (bounded, 15 s) until etcd answers. */
int etcd_server_start(struct etcd_server *s, bool tls, int auth_token_ttl);
/* Again, same ports and data (after stop). */
int etcd_server_restart(struct etcd_server *s);
/* SIGTERM, then SIGKILL after 5 s; waits for it. */
void etcd_server_stop(struct etcd_server *s);
/* Stop and remove the data dir. */
void etcd_server_destroy(struct etcd_server *s);
/* SIGSTOP / SIGCONT: an etcd that hangs. */
void etcd_server_pause(struct etcd_server *s);
void etcd_server_resume(struct etcd_server *s);

/* A POST to the server with libcurl directly (not the client under test),
 * for setup: users, auth enable, compaction.  Returns the HTTP status (or
 * -1), the body in `out` (may be NULL). */
long etcd_server_post(const struct etcd_server *s, const char *path, const char *json,
		      const char *token, char *out, size_t out_len);

/* A client of the code under test for this server (TLS files when it
 * has TLS); aborts the test on failure. */
struct etcd_client;
struct etcd_client *etcd_server_client(const struct etcd_server *s, unsigned timeout_ms);

long long etcd_test_now_ms(void);

#endif
