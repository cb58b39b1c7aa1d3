// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * model_table.c - the model's flow tables: open addressing with linear
 * probing over a fixed array, a list of used slots so that clearing costs
 * what was used.  Nothing here is a data-plane rule; model.c says what
 * goes in and out.
 */
#include <string.h>
#include "bgxdp_hash.h"
#include "model.h"

static __u32 slot_hash(const struct flow_key *k)
{
	return bgxdp_flow_hash(k, 0x12345678u) & (MODEL_FLOW_SLOTS - 1);
}

static __u32 find(const struct model_flow_table *t, const struct flow_key *k,
		  bool *found)
{
	__u32 i = slot_hash(k);

	while (t->used[i]) {
		if (!memcmp(&t->keys[i], k, sizeof(*k))) {
			*found = true;
			return i;
		}
		i = (i + 1) & (MODEL_FLOW_SLOTS - 1);
	}
	*found = false;
	return i;
}

struct halfopen_value *model_table_get(struct model_flow_table *t,
				       const struct flow_key *key)
{
	bool found;
	__u32 i = find(t, key, &found);

	return found ? &t->values[i] : NULL;
}

void model_table_put(struct model_flow_table *t, const struct flow_key *key,
		     const struct halfopen_value *val)
{
	bool found;
	__u32 i = find(t, key, &found);

	if (!found) {
		/* Keep the table at most half full: the fuzzer ends an epoch
		 * long before, this only guards the probe loop. */
		if (t->count >= MODEL_FLOW_SLOTS / 2)
			return;
		t->used[i] = true;
		t->keys[i] = *key;
		t->order[t->count++] = i;
	}
	t->values[i] = *val;
}

/* Take slot i out of the table (used flag and insertion order). */
static void unlink_slot(struct model_flow_table *t, __u32 i)
{
	for (__u32 n = 0; n < t->count; n++) {
		if (t->order[n] == i) {
			t->order[n] = t->order[--t->count];
			break;
		}
	}
	t->used[i] = false;
}

/* Delete a key; the rest of its probe cluster is inserted again so every
 * later key stays reachable from its home slot. */
void model_table_delete(struct model_flow_table *t, const struct flow_key *key)
{
	bool found;
	__u32 i = find(t, key, &found);

	if (!found)
		return;
	unlink_slot(t, i);
	for (__u32 j = (i + 1) & (MODEL_FLOW_SLOTS - 1); t->used[j];
	     j = (j + 1) & (MODEL_FLOW_SLOTS - 1)) {
		struct flow_key k = t->keys[j];
		struct halfopen_value v = t->values[j];

		unlink_slot(t, j);
		model_table_put(t, &k, &v);
	}
}

void model_table_clear(struct model_flow_table *t)
{
	for (__u32 n = 0; n < t->count; n++)
		t->used[t->order[n]] = false;
	t->count = 0;
}
