// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_claims.c - flow sync's side table of claims (fleet_claims.h). */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "fleet_claims.h"

#define WAYS 4

struct way {
	struct flow_key key;
	struct fleet_claim claim;
	uint64_t stamp;                 /* 0: empty */
};

struct fleet_claims {
	size_t sets;                    /* a power of two */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct way ways[];              /* sets * WAYS */
};

struct fleet_claims *fleet_claims_new(size_t capacity)
{
	size_t sets = 1;
	struct fleet_claims *c;

	if (sodium_init() < 0)
		return NULL;
	while (sets * WAYS < capacity && sets < ((size_t)1 << 28))
		sets <<= 1;
	c = calloc(1, sizeof(*c) + sets * WAYS * sizeof(struct way));
	if (!c)
		return NULL;
	c->sets = sets;
	randombytes_buf(c->hash_key, sizeof(c->hash_key));
	return c;
}

void fleet_claims_free(struct fleet_claims *c)
{
	free(c);
}

size_t fleet_claims_capacity(const struct fleet_claims *c)
{
	return c->sets * WAYS;
}

static struct way *set_of(const struct fleet_claims *c, const struct flow_key *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const uint8_t *)key, sizeof(*key), c->hash_key);
	memcpy(&v, h, sizeof(v));
	return (struct way *)&c->ways[(v & (c->sets - 1)) * WAYS];
}

static bool same_key(const struct flow_key *a, const struct flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

bool fleet_claims_get(const struct fleet_claims *c, const struct flow_key *key,
		      struct fleet_claim *out)
{
	const struct way *set = set_of(c, key);

	for (int i = 0; i < WAYS; i++) {
		if (set[i].stamp && same_key(&set[i].key, key)) {
			*out = set[i].claim;
			return true;
		}
	}
	return false;
}

void fleet_claims_put(struct fleet_claims *c, const struct flow_key *key,
		      const struct fleet_claim *claim, uint64_t now_ns)
{
	struct way *set = set_of(c, key), *pick = NULL;

	for (int i = 0; i < WAYS && !pick; i++)
		if (set[i].stamp && same_key(&set[i].key, key))
			pick = &set[i];
	for (int i = 0; i < WAYS && !pick; i++)
		if (!set[i].stamp)
			pick = &set[i];
	if (!pick) {
		pick = &set[0];
		for (int i = 1; i < WAYS; i++)
			if (set[i].stamp < pick->stamp)
				pick = &set[i];
	}
	pick->key = *key;
	pick->claim = *claim;
	pick->stamp = now_ns ? now_ns : 1;
}
