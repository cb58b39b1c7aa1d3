// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd.c - the etcd client's operations: configuration, key reads and
 * writes, the guarded transaction and leases (watch: etcd_watch.c,
 * transport: etcd_http.c).  Why the JSON gateway over libcurl: etcd.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include "etcd_internal.h"

/* ---- encoding ------------------------------------------------------------ */

uint64_t etcd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

char *etcd_b64_encode(const void *data, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *text = malloc(size);

	if (text)
		sodium_bin2base64(text, size, data, len, sodium_base64_VARIANT_ORIGINAL);
	return text;
}

unsigned char *etcd_b64_decode(const char *text, size_t *len)
{
	size_t text_len = strlen(text), max = text_len / 4 * 3 + 3;
	unsigned char *bytes = malloc(max + 1);

	if (!bytes)
		return NULL;
	if (sodium_base642bin(bytes, max, text, text_len, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL)) {
		free(bytes);
		return NULL;
	}
	bytes[*len] = 0;
	return bytes;
}

char *etcd_prefix_end_b64(const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned char *end = malloc(n + 1);
	char *b64;

	if (!end)
		return NULL;
	memcpy(end, prefix, n);
	/* the first key after every key that starts with prefix: drop
	 * trailing 0xff bytes, then add one to the last byte; "\0" (no end)
	 * for an empty or all-0xff prefix */
	while (n && end[n - 1] == 0xff)
		n--;
	if (n)
		end[n - 1]++;
	else
		end[n++] = 0;
	b64 = etcd_b64_encode(end, n);
	free(end);
	return b64;
}

int64_t etcd_json_int64(const json_t *object, const char *name)
{
	const json_t *v = json_object_get(object, name);
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	s = json_string_value(v);
	if (!s)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	return (errno || *end || end == s) ? 0 : (int64_t)n;
}

int etcd_kv_from_json(const json_t *j, struct etcd_kv *kv)
{
	const char *key = json_string_value(json_object_get(j, "key"));
	const char *value = json_string_value(json_object_get(j, "value"));
	size_t key_len;

	memset(kv, 0, sizeof(*kv));
	if (!key)
		return -EPROTO;
	kv->key = (char *)etcd_b64_decode(key, &key_len);
	/* a missing value is an empty one (JSON leaves out empty fields) */
	kv->value = etcd_b64_decode(value ? value : "", &kv->value_len);
	if (!kv->key || !kv->value) {
		etcd_kv_free(kv);
		return -EPROTO;
	}
	kv->create_revision = etcd_json_int64(j, "create_revision");
	kv->mod_revision = etcd_json_int64(j, "mod_revision");
	kv->version = etcd_json_int64(j, "version");
	kv->lease = etcd_json_int64(j, "lease");
	return 0;
}

void etcd_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_range_free(struct etcd_range *range)
{
	if (!range)
		return;
	for (size_t i = 0; i < range->count; i++)
		etcd_kv_free(&range->kvs[i]);
	free(range->kvs);
	memset(range, 0, sizeof(*range));
}

/* ---- configuration ---------------------------------------------------------- */

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

static void library_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sodium_init() < 0)
		library_status = -ENOMEM;
}

static int check_file(const char *path, const char *what, struct bgx_err *err)
{
	struct stat st;

	if (!path)
		return 0;
	if (stat(path, &st))
		return bgx_fail_usage(err, errno, "etcd %s '%s': %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bgx_fail_usage(err, EINVAL, "etcd %s '%s': not a regular file", what, path);
	if (access(path, R_OK))
		return bgx_fail_usage(err, errno, "etcd %s '%s': %s", what, path, strerror(errno));
	return 0;
}

/* One endpoint URL: scheme, host and port, nothing after them. */
static int add_endpoint(struct etcd_client *c, const char *url, size_t len, struct bgx_err *err)
{
	bool https = len > 8 && !strncmp(url, "https://", 8);
	size_t scheme = https ? 8 : 7;
	char *copy;

	while (len > scheme && url[len - 1] == '/')
		len--;
	if (!(https || (len > 7 && !strncmp(url, "http://", 7))) || len == scheme ||
	    memchr(url + scheme, '/', len - scheme) || memchr(url + scheme, '?', len - scheme) ||
	    memchr(url, ' ', len))
		return bgx_fail_usage(err, EINVAL, "etcd endpoint '%.*s': expected http://HOST:PORT "
				      "or https://HOST:PORT", (int)len, url);
	if (c->n_endpoints == ETCD_MAX_ENDPOINTS)
		return bgx_fail_usage(err, E2BIG, "etcd endpoints: at most %d", ETCD_MAX_ENDPOINTS);
	if ((c->ca_file || c->cert_file) && !https)
		return bgx_fail_usage(err, EINVAL, "etcd endpoint '%.*s': TLS files are given, "
				      "so the endpoint must be https://", (int)len, url);
	copy = strndup(url, len);
	if (!copy)
		return bgx_fail(err, ENOMEM, "etcd endpoints: out of memory");
	c->endpoints[c->n_endpoints++] = copy;
	return 0;
}

static int parse_endpoints(struct etcd_client *c, const char *list, struct bgx_err *err)
{
	const char *p = list;

	if (!list || !*list)
		return bgx_fail_usage(err, EINVAL, "etcd endpoints: none given (expected "
				      "http://HOST:PORT[,...])");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int r = add_endpoint(c, p, len, err);

		if (r)
			return r;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int copy_config(struct etcd_client *c, const struct etcd_config *cfg, struct bgx_err *err)
{
	const char *const src[] = { cfg->ca_file, cfg->cert_file, cfg->key_file, cfg->user,
				    cfg->password };
	char **const dst[] = { &c->ca_file, &c->cert_file, &c->key_file, &c->user, &c->password };

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (src[i] && !(*dst[i] = strdup(src[i])))
			return bgx_fail(err, ENOMEM, "etcd: out of memory");
	return 0;
}

static int check_config(const struct etcd_config *cfg, struct bgx_err *err)
{
	if (!cfg->cert_file != !cfg->key_file)
		return bgx_fail_usage(err, EINVAL, "etcd client certificate and key: give both "
				      "or neither");
	if (!cfg->user != !cfg->password)
		return bgx_fail_usage(err, EINVAL, "etcd user and password: give both or neither");
	if (cfg->user && (!*cfg->user || strchr(cfg->user, '\n')))
		return bgx_fail_usage(err, EINVAL, "etcd user: empty or not one line");
	if (cfg->timeout_ms > 3600 * 1000u)
		return bgx_fail_usage(err, ERANGE, "etcd timeout %u ms: at most one hour",
				      cfg->timeout_ms);
	return check_file(cfg->ca_file, "CA file", err) ?:
	       check_file(cfg->cert_file, "client certificate", err) ?:
	       check_file(cfg->key_file, "client key", err);
}

int etcd_open(const struct etcd_config *cfg, struct etcd_client **client, struct bgx_err *err)
{
	struct etcd_client *c;
	int r;

	*client = NULL;
	pthread_once(&library_once, library_init);
	if (library_status)
		return bgx_fail(err, library_status, "etcd: cannot initialise libcurl or libsodium");
	r = check_config(cfg, err);
	if (r)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return bgx_fail(err, ENOMEM, "etcd: out of memory");
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	r = copy_config(c, cfg, err) ?: parse_endpoints(c, cfg->endpoints, err);
	if (!r && !(c->easy = curl_easy_init()))
		r = bgx_fail(err, ENOMEM, "etcd: cannot create a libcurl handle");
	if (r) {
		etcd_close(c);
		return r;
	}
	etcd_easy_setup(c, c->easy, false);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->curl_error);
	*client = c;
	return 0;
}

void etcd_close(struct etcd_client *c)
{
	if (!c)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	for (size_t i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	if (c->password)
		sodium_memzero(c->password, strlen(c->password));
	if (c->token)
		sodium_memzero(c->token, strlen(c->token));
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->user);
	free(c->password);
	free(c->token);
	free(c);
}
