// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_fleetrecord.c - the fleet's records as an agent and `fleet status`
 * read them from etcd (fleet_store.h): any bytes a key may hold.  The first
 * byte picks the record ('D' the desired state, else a host's status), the
 * rest is its JSON.  Invariants: a refused record leaves nothing allocated
 * and says why; an accepted one is within its bounds (revision >= 1, a
 * 64-digit digest, the config NUL-terminated at its length) and encodes and
 * decodes back to the same record.
 */
#include <string.h>
#include "bgx_err.h"
#include "fleet_store.h"
#include "fuzz_util.h"

static void desired(const uint8_t *data, size_t size)
{
	struct fleet_desired d, again;
	struct bgx_err e = { 0 };
	char *json;

	if (fleet_desired_decode(data, size, &d, &e)) {
		CHECK(!d.config && e.msg[0], "refused desired state: config kept or no reason");
		return;
	}
	CHECK(d.revision >= 1 && strlen(d.digest) == FLEET_DIGEST_LEN - 1, "bounds");
	CHECK(d.config && d.config[d.config_len] == 0, "config not terminated at its length");
	json = fleet_desired_encode(&d);
	CHECK(json, "an accepted record does not encode");
	CHECK(!fleet_desired_decode(json, strlen(json), &again, NULL), "re-encoded record refused");
	CHECK(again.revision == d.revision && again.at == d.at && again.config_len == d.config_len &&
	      !memcmp(again.config, d.config, d.config_len) && !strcmp(again.digest, d.digest) &&
	      !strcmp(again.by, d.by), "the record changed on the way back");
	fleet_desired_clear(&again);
	fleet_desired_clear(&d);
	free(json);
}

static void status(const uint8_t *data, size_t size)
{
	struct fleet_host_status s, again;
	char *json;

	if (fleet_status_decode(data, size, &s, NULL))
		return;
	CHECK(s.host[0] && s.state[0] && s.applied_revision >= 0, "bounds");
	json = fleet_status_encode(&s);
	CHECK(json, "an accepted status does not encode");
	CHECK(!fleet_status_decode(json, strlen(json), &again, NULL), "re-encoded status refused");
	CHECK(!memcmp(&s, &again, sizeof(s)), "the status changed on the way back");
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] == 'D')
		desired(data + 1, size - 1);
	else
		status(data + 1, size - 1);
	return 0;
}
