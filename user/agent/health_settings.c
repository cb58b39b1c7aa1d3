// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_settings.c - defaults, validation and the expected-status list of
 * a service's health-check settings, and the names used in status output.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "health.h"

void health_settings_default(struct health_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->enabled = true;
	s->kind = HEALTH_TCP;
	snprintf(s->path, sizeof(s->path), "/");
	s->expect[0] = (struct health_code_range){ 200, 399 };
	s->n_expect = 1;
	s->interval_ms = 1000;
	s->timeout_ms = 500;
	s->rise = 2;
	s->fall = 2;
	s->jitter_pct = 50;
}

/* "500ms", "2s", "1.5s": the form users type, for messages. */
static const char *ms_text(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else if (ms > 1000 && ms % 100 == 0)
		snprintf(buf, len, "%u.%us", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, len, "%ums", ms);
	return buf;
}

static int check_count(const char *name, uint32_t v, struct bgx_err *err)
{
	if (v < 1 || v > HEALTH_COUNT_MAX)
		return bgx_fail_usage(err, EINVAL, "%s %u is out of range (accepted: 1 to %u)",
				      name, v, HEALTH_COUNT_MAX);
	return 0;
}

static int check_timing(const struct health_settings *s, struct bgx_err *err)
{
	char a[32], b[32];

	if (s->interval_ms < HEALTH_INTERVAL_MIN_MS || s->interval_ms > HEALTH_INTERVAL_MAX_MS)
		return bgx_fail_usage(err, EINVAL, "interval %s is out of range (accepted: 100ms to 1h)",
				      ms_text(s->interval_ms, a, sizeof(a)));
	if (s->timeout_ms < HEALTH_TIMEOUT_MIN_MS || s->timeout_ms > HEALTH_TIMEOUT_MAX_MS)
		return bgx_fail_usage(err, EINVAL, "timeout %s is out of range (accepted: 10ms to 1m, "
				      "shorter than the interval)", ms_text(s->timeout_ms, a, sizeof(a)));
	if (s->timeout_ms >= s->interval_ms)
		return bgx_fail_usage(err, EINVAL, "timeout %s must be shorter than the interval (%s)",
				      ms_text(s->timeout_ms, a, sizeof(a)),
				      ms_text(s->interval_ms, b, sizeof(b)));
	if (s->fastinter_ms && (s->fastinter_ms < HEALTH_INTERVAL_MIN_MS ||
				s->fastinter_ms > s->interval_ms))
		return bgx_fail_usage(err, EINVAL, "fastinter %s is out of range (accepted: 100ms "
				      "up to the interval, %s)", ms_text(s->fastinter_ms, a, sizeof(a)),
				      ms_text(s->interval_ms, b, sizeof(b)));
	if (s->downinter_ms && (s->downinter_ms < HEALTH_INTERVAL_MIN_MS ||
				s->downinter_ms > HEALTH_INTERVAL_MAX_MS))
		return bgx_fail_usage(err, EINVAL, "downinter %s is out of range (accepted: 100ms to 1h)",
				      ms_text(s->downinter_ms, a, sizeof(a)));
	if (s->jitter_pct > 100)
		return bgx_fail_usage(err, EINVAL, "jitter %u%% is out of range (accepted: 0 to 100 %% "
				      "of the interval)", s->jitter_pct);
	return 0;
}

/* A path or host goes into the request line or a header verbatim. */
static bool is_token_text(const char *text, size_t cap, bool allow_hash)
{
	size_t len = strnlen(text, cap);

	if (len == cap)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= 0x20 || c >= 0x7f || (c == '#' && !allow_hash))
			return false;
	}
	return true;
}

static int check_http(const struct health_settings *s, struct bgx_err *err)
{
	if (s->path[0] != '/')
		return bgx_fail_usage(err, EINVAL, "HTTP check path '%.64s' must start with '/'",
				      s->path);
	if (!is_token_text(s->path, sizeof(s->path), false))
		return bgx_fail_usage(err, EINVAL, "HTTP check path '%.64s' is not accepted (accepted: "
				      "up to 255 printable ASCII characters, no space or '#')", s->path);
	if (s->host[0] && !is_token_text(s->host, sizeof(s->host), false))
		return bgx_fail_usage(err, EINVAL, "HTTP Host header '%.64s' is not accepted (accepted: "
				      "up to 255 printable ASCII characters, no space)", s->host);
	if (s->n_expect < 1 || s->n_expect > HEALTH_MAX_CODE_RANGES)
		return bgx_fail_usage(err, EINVAL, "%u expected status ranges (accepted: 1 to %u)",
				      s->n_expect, HEALTH_MAX_CODE_RANGES);
	for (unsigned i = 0; i < s->n_expect; i++) {
		const struct health_code_range *r = &s->expect[i];

		if (r->lo < 100 || r->hi > 599 || r->lo > r->hi)
			return bgx_fail_usage(err, EINVAL, "expected status %u-%u is not accepted "
					      "(accepted: codes 100 to 599, low-high)", r->lo, r->hi);
	}
	return 0;
}

int health_settings_validate(const struct health_settings *s, struct bgx_err *err)
{
	int r;

	if (s->kind != HEALTH_TCP && s->kind != HEALTH_HTTP)
		return bgx_fail_usage(err, EINVAL, "unknown check kind %d (accepted: tcp, http)",
				      (int)s->kind);
	r = check_timing(s, err);
	if (!r)
		r = check_count("rise", s->rise, err);
	if (!r)
		r = check_count("fall", s->fall, err);
	if (!r && s->kind == HEALTH_HTTP)
		r = check_http(s, err);
	return r;
}

/* Three digits, 100..599, at *p; advances *p. */
static bool parse_code(const char **p, uint16_t *code)
{
	const char *s = *p;

	if (s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return false;
	if (s[3] >= '0' && s[3] <= '9')
		return false;
	*code = (uint16_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	*p = s + 3;
	return true;
}

int health_parse_expect(const char *text, struct health_settings *s, struct bgx_err *err)
{
	struct health_code_range ranges[HEALTH_MAX_CODE_RANGES];
	const char *p = text;
	unsigned n = 0;

	for (;;) {
		struct health_code_range r;

		if (n == HEALTH_MAX_CODE_RANGES)
			return bgx_fail_usage(err, EINVAL, "--expect '%.64s': more than %u codes or ranges",
					      text, HEALTH_MAX_CODE_RANGES);
		if (!parse_code(&p, &r.lo))
			goto bad;
		r.hi = r.lo;
		if (*p == '-') {
			p++;
			if (!parse_code(&p, &r.hi) || r.hi < r.lo)
				goto bad;
		}
		ranges[n++] = r;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	memcpy(s->expect, ranges, n * sizeof(ranges[0]));
	s->n_expect = n;
	return 0;
bad:
	return bgx_fail_usage(err, EINVAL, "--expect '%.64s': not a list of status codes (accepted: "
			      "codes 100-599 and ranges like 200-399, separated by commas)", text);
}

void health_format_expect(const struct health_settings *s, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < s->n_expect && i < HEALTH_MAX_CODE_RANGES && used < len; i++) {
		const struct health_code_range *r = &s->expect[i];
		int w = r->lo == r->hi
			? snprintf(buf + used, len - used, "%s%u", i ? "," : "", r->lo)
			: snprintf(buf + used, len - used, "%s%u-%u", i ? "," : "", r->lo, r->hi);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

bool health_code_expected(const struct health_settings *s, long code)
{
	for (unsigned i = 0; i < s->n_expect && i < HEALTH_MAX_CODE_RANGES; i++)
		if (code >= s->expect[i].lo && code <= s->expect[i].hi)
			return true;
	return false;
}

uint32_t health_fastinter_ms(const struct health_settings *s)
{
	uint32_t half = s->interval_ms / 2;

	if (s->fastinter_ms)
		return s->fastinter_ms;
	return half > s->timeout_ms ? half : s->timeout_ms;
}

uint32_t health_downinter_ms(const struct health_settings *s)
{
	return s->downinter_ms ? s->downinter_ms : s->interval_ms;
}

const char *health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UNCHECKED: return "unchecked";
	case HEALTH_UP: return "up";
	case HEALTH_DOWN: return "down";
	case HEALTH_OFF: return "off";
	}
	return "?";
}

const char *health_result_name(enum health_result r)
{
	static const char *const names[HEALTH_RESULT_COUNT] = {
		[HEALTH_RESULT_NONE] = "none", [HEALTH_RESULT_OK] = "ok",
		[HEALTH_RESULT_REFUSED] = "refused", [HEALTH_RESULT_TIMEOUT] = "timeout",
		[HEALTH_RESULT_BAD_STATUS] = "bad_status", [HEALTH_RESULT_ERROR] = "error",
	};

	return (unsigned)r < HEALTH_RESULT_COUNT ? names[r] : "?";
}

bool health_target_id_equal(const struct health_target_id *a, const struct health_target_id *b)
{
	return !strncmp(a->service, b->service, sizeof(a->service)) && a->color == b->color &&
	       a->backend.family == b->backend.family && a->backend.port == b->backend.port &&
	       !memcmp(a->backend.addr, b->backend.addr, sizeof(a->backend.addr));
}

void health_format_target(const struct health_target_id *id, char *buf, size_t len)
{
	char ep[ENDPOINT_STRLEN];

	format_endpoint(id->backend.addr, htons(id->backend.port),
			id->backend.family, ep, sizeof(ep));
	snprintf(buf, len, "%.*s %s %s", (int)sizeof(id->service), id->service,
		 color_name(id->color), ep);
}
