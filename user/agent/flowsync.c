// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowsync.c - flow sync messages: the key file, encoding, the rules of a
 * record, and the conflict rule.  The receiver's checks: flowsync_rx.c.
 * Format and reasons: flowsync.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sodium.h>
#include "flowsync.h"
#include "flowsync_wire.h"

/* ---- records ------------------------------------------------------------- */

static bool ipv4_padding_clear(const uint8_t *addr)
{
	for (int i = 4; i < BGXDP_ADDR_LEN; i++)
		if (addr[i])
			return false;
	return true;
}

bool flowsync_record_valid(const struct flowsync_record *rec)
{
	const struct flow_key *k = &rec->key;
	const struct flow_value *v = &rec->value;

	if (rec->type != FLOWSYNC_UPSERT && rec->type != FLOWSYNC_CLOSE)
		return false;
	if (k->family != BGXDP_FAMILY_IPV4 && k->family != BGXDP_FAMILY_IPV6)
		return false;
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP)
		return false;
	if (v->color >= BGXDP_COLORS || (v->state != FLOW_OPEN && v->state != FLOW_CLOSING))
		return false;
	if (v->service_id >= BGXDP_MAX_SERVICES || v->backend_slot >= BGXDP_MAX_BACKENDS)
		return false;
	if (!k->client_port || !k->vip_port || !v->backend_port || !rec->created_ns)
		return false;
	if (k->family == BGXDP_FAMILY_IPV4 &&
	    !(ipv4_padding_clear(k->client) && ipv4_padding_clear(k->vip) &&
	      ipv4_padding_clear(v->backend)))
		return false;
	return true;
}

/* ---- the wire ------------------------------------------------------------- */

void flowsync_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void flowsync_put_u32(uint8_t *p, uint32_t v)
{
	flowsync_put_u16(p, (uint16_t)(v >> 16));
	flowsync_put_u16(p + 2, (uint16_t)v);
}

void flowsync_put_u64(uint8_t *p, uint64_t v)
{
	flowsync_put_u32(p, (uint32_t)(v >> 32));
	flowsync_put_u32(p + 4, (uint32_t)v);
}

uint16_t flowsync_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t flowsync_get_u32(const uint8_t *p)
{
	return (uint32_t)flowsync_get_u16(p) << 16 | flowsync_get_u16(p + 2);
}

uint64_t flowsync_get_u64(const uint8_t *p)
{
	return (uint64_t)flowsync_get_u32(p) << 32 | flowsync_get_u32(p + 4);
}

/* Ports are kept as the bytes they are (network order) on both sides. */
static void put_port(uint8_t *p, __be16 port)
{
	memcpy(p, &port, 2);
}

static __be16 get_port(const uint8_t *p)
{
	__be16 port;

	memcpy(&port, p, 2);
	return port;
}

void flowsync_record_to_wire(const struct flowsync_record *rec, uint8_t *p)
{
	memset(p, 0, FLOWSYNC_RECORD_BYTES);
	p[REC_TYPE] = rec->type;
	p[REC_FAMILY] = rec->key.family;
	p[REC_PROTO] = rec->key.proto;
	p[REC_COLOR] = rec->value.color;
	p[REC_STATE] = rec->value.state;
	flowsync_put_u16(p + REC_SERVICE, rec->value.service_id);
	flowsync_put_u16(p + REC_SLOT, rec->value.backend_slot);
	put_port(p + REC_CLIENT_PORT, rec->key.client_port);
	put_port(p + REC_VIP_PORT, rec->key.vip_port);
	put_port(p + REC_BACKEND_PORT, rec->value.backend_port);
	memcpy(p + REC_CLIENT, rec->key.client, BGXDP_ADDR_LEN);
	memcpy(p + REC_VIP, rec->key.vip, BGXDP_ADDR_LEN);
	memcpy(p + REC_BACKEND, rec->value.backend, BGXDP_ADDR_LEN);
	flowsync_put_u64(p + REC_CREATED, rec->created_ns);
}

/* false when a byte that must be zero is not (the record is refused). */
bool flowsync_record_from_wire(const uint8_t *p, struct flowsync_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = p[REC_TYPE];
	rec->key.family = p[REC_FAMILY];
	rec->key.proto = p[REC_PROTO];
	rec->value.color = p[REC_COLOR];
	rec->value.state = p[REC_STATE];
	rec->value.service_id = flowsync_get_u16(p + REC_SERVICE);
	rec->value.backend_slot = flowsync_get_u16(p + REC_SLOT);
	rec->key.client_port = get_port(p + REC_CLIENT_PORT);
	rec->key.vip_port = get_port(p + REC_VIP_PORT);
	rec->value.backend_port = get_port(p + REC_BACKEND_PORT);
	memcpy(rec->key.client, p + REC_CLIENT, BGXDP_ADDR_LEN);
	memcpy(rec->key.vip, p + REC_VIP, BGXDP_ADDR_LEN);
	memcpy(rec->value.backend, p + REC_BACKEND, BGXDP_ADDR_LEN);
	rec->created_ns = flowsync_get_u64(p + REC_CREATED);
	return p[REC_ZERO] == 0;
}

size_t flowsync_records_per_datagram(size_t bytes)
{
	size_t n;

	if (bytes < FLOWSYNC_MIN_BYTES + FLOWSYNC_RECORD_BYTES)
		return 0;
	n = (bytes - FLOWSYNC_MIN_BYTES) / FLOWSYNC_RECORD_BYTES;
	return n > FLOWSYNC_MAX_RECORDS ? FLOWSYNC_MAX_RECORDS : n;
}

size_t flowsync_encode(const struct flowsync_key *key, const struct flowsync_header *h,
		       const struct flowsync_record *recs, size_t n, uint8_t *out, size_t out_len)
{
	size_t body = FLOWSYNC_HEADER_BYTES + n * FLOWSYNC_RECORD_BYTES;

	if (n > FLOWSYNC_MAX_RECORDS || out_len < body + FLOWSYNC_MAC_BYTES)
		return 0;
	flowsync_put_u32(out + HDR_MAGIC, FLOWSYNC_MAGIC);
	out[HDR_VERSION] = FLOWSYNC_VERSION;
	out[HDR_FLAGS] = 0;
	flowsync_put_u16(out + HDR_COUNT, (uint16_t)n);
	flowsync_put_u64(out + HDR_HOST, h->host_id);
	flowsync_put_u64(out + HDR_SEQUENCE, h->sequence);
	flowsync_put_u64(out + HDR_SENT, h->sent_ns);
	for (size_t i = 0; i < n; i++)
		flowsync_record_to_wire(&recs[i], out + FLOWSYNC_HEADER_BYTES + i * FLOWSYNC_RECORD_BYTES);
	crypto_auth(out + body, out, body, key->bytes);
	return body + FLOWSYNC_MAC_BYTES;
}

/* ---- the key file --------------------------------------------------------------- */

static int parse_hex_key(const char *text, size_t len, struct flowsync_key *key)
{
	size_t bin_len;
	const char *end;

	if (len && text[len - 1] == '\n')
		len--;
	if (len != 2 * FLOWSYNC_KEY_BYTES)
		return -EINVAL;
	if (sodium_hex2bin(key->bytes, sizeof(key->bytes), text, len, NULL, &bin_len, &end) ||
	    bin_len != FLOWSYNC_KEY_BYTES || end != text + len)
		return -EINVAL;
	return 0;
}

static int check_key_file(int fd, const char *path, struct bgx_err *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return bgx_fail(err, errno, "sync key '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bgx_fail_usage(err, EINVAL, "sync key '%s': not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return bgx_fail_usage(err, EPERM, "sync key '%s': mode %04o lets group or others "
				      "in; it must be 0600 or 0400 (chmod 600 '%s')", path,
				      (unsigned)(st.st_mode & 07777), path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return bgx_fail_usage(err, EPERM, "sync key '%s': owned by uid %u, not by us "
				      "(uid %u) or root", path, (unsigned)st.st_uid, (unsigned)geteuid());
	return 0;
}

int flowsync_key_load(const char *path, struct flowsync_key *key, struct bgx_err *err)
{
	char text[2 * FLOWSYNC_KEY_BYTES + 2];
	ssize_t n;
	int fd, r;

	memset(key, 0, sizeof(*key));
	/* O_NOFOLLOW: the file checked is the file read, never a link's target */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return bgx_fail_usage(err, errno, "sync key '%s': %s", path,
				      errno == ELOOP ? "a symbolic link (give the file itself)"
						     : strerror(errno));
	r = check_key_file(fd, path, err);
	if (!r) {
		n = read(fd, text, sizeof(text));
		if (n < 0)
			r = bgx_fail(err, errno, "sync key '%s': %s", path, strerror(errno));
		else if (parse_hex_key(text, (size_t)n, key))
			r = bgx_fail_usage(err, EINVAL, "sync key '%s': expected %d hex digits "
					   "(%d random bytes; make one with `openssl rand -hex %d`)",
					   path, 2 * FLOWSYNC_KEY_BYTES, FLOWSYNC_KEY_BYTES,
					   FLOWSYNC_KEY_BYTES);
		sodium_memzero(text, sizeof(text));
	}
	close(fd);
	if (r)
		flowsync_key_wipe(key);
	return r;
}

int flowsync_key_generate(const char *path, struct bgx_err *err)
{
	uint8_t bytes[FLOWSYNC_KEY_BYTES];
	char hex[2 * FLOWSYNC_KEY_BYTES + 2];
	size_t len;
	int fd, r = 0;

	if (sodium_init() < 0)
		return bgx_fail(err, ENOMEM, "sync key: cannot initialise libsodium");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bgx_fail_usage(err, errno, "sync key '%s': %s", path, strerror(errno));
	randombytes_buf(bytes, sizeof(bytes));
	sodium_bin2hex(hex, sizeof(hex), bytes, sizeof(bytes));
	len = strlen(hex);
	hex[len++] = '\n';
	if (write(fd, hex, len) != (ssize_t)len || fsync(fd))
		r = bgx_fail(err, errno ? errno : EIO, "sync key '%s': %s", path, strerror(errno));
	sodium_memzero(bytes, sizeof(bytes));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	if (r)
		unlink(path);
	return r;
}

void flowsync_key_wipe(struct flowsync_key *key)
{
	sodium_memzero(key, sizeof(*key));
}

uint64_t flowsync_host_id(const char *name)
{
	uint8_t hash[8];
	uint64_t id;

	if (sodium_init() < 0)
		abort();        /* only when the system has no randomness source */
	crypto_generichash(hash, sizeof(hash), (const uint8_t *)name, strlen(name), NULL, 0);
	id = flowsync_get_u64(hash);
	return id ? id : 1;
}

/* ---- the conflict rule ------------------------------------------------------------ */

static bool same_backend(const struct flowsync_claim *a, const struct flowsync_claim *b)
{
	return !memcmp(a->backend, b->backend, BGXDP_ADDR_LEN) && a->backend_port == b->backend_port;
}

/* Rule 4's total order: <0 when a wins. */
static int race_order(const struct flowsync_claim *a, const struct flowsync_claim *b)
{
	int c;

	if (a->created_ns != b->created_ns)
		return a->created_ns < b->created_ns ? -1 : 1;
	if (a->host_id != b->host_id)
		return a->host_id < b->host_id ? -1 : 1;
	c = memcmp(a->backend, b->backend, BGXDP_ADDR_LEN);
	if (c)
		return c;
	return memcmp(&a->backend_port, &b->backend_port, sizeof(a->backend_port));
}

enum flowsync_resolution flowsync_resolve(const struct flowsync_claim *local,
					  const struct flowsync_claim *remote,
					  uint64_t race_window_ns)
{
	const struct flowsync_claim *later;
	uint64_t apart;

	if (same_backend(local, remote))
		return FLOWSYNC_SAME_BACKEND;
	later = remote->created_ns > local->created_ns ? remote : local;
	apart = later->created_ns - (later == remote ? local->created_ns : remote->created_ns);
	/* rule 2: a new connection after a close */
	if (apart && later->state == FLOW_OPEN &&
	    (later == remote ? local : remote)->state == FLOW_CLOSING)
		return later == remote ? FLOWSYNC_TAKE_REMOTE : FLOWSYNC_KEEP_LOCAL;
	/* rule 3: a new connection on a reused 5-tuple */
	if (apart > race_window_ns)
		return later == remote ? FLOWSYNC_TAKE_REMOTE : FLOWSYNC_KEEP_LOCAL;
	/* rule 4: one connection, two hosts */
	return race_order(remote, local) < 0 ? FLOWSYNC_TAKE_REMOTE : FLOWSYNC_KEEP_LOCAL;
}
