/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "bgxdp_hash.h"
#include "helpers_publish.h"

int pub_log_init(struct pub_log *l, struct bgxdp *skel)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(l, 0, sizeof(*l));
	l->skel = skel;
	pthread_mutex_init(&l->lock, NULL);
	l->config_len = (BGXDP_MAX_SERVICES * sizeof(__u64) + (size_t)page - 1) &
			~((size_t)page - 1);
	p = mmap(NULL, l->config_len, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.svc_config), 0);
	if (p == MAP_FAILED)
		return -errno;
	l->config = p;
	l->recs = calloc(PUB_MAX_GENS, sizeof(*l->recs));
	l->rings = calloc(PUB_MAX_RINGS, sizeof(*l->rings));
	return l->recs && l->rings ? 0 : -ENOMEM;
}

void pub_log_free(struct pub_log *l)
{
	if (l->config)
		munmap((void *)l->config, l->config_len);
	free(l->recs);
	free(l->rings);
	pthread_mutex_destroy(&l->lock);
	memset(l, 0, sizeof(*l));
}

__u64 pub_log_word(const struct pub_log *l)
{
	return __atomic_load_n(&l->config[l->svc], __ATOMIC_ACQUIRE);
}

/* The rings index of the ring in buffer `buffer` of `color`, added if
 * new; -1 if it cannot be read or the table is full. */
static int ring_id(struct pub_log *l, __u32 color, __u32 buffer)
{
	static __thread struct maglev_ring ring;
	__u32 key = ring_index(l->svc, color, buffer);
	int id = -1;

	if (bpf_map__lookup_elem(l->skel->maps.maglev_rings, &key, sizeof(key), &ring,
				 sizeof(ring), 0))
		return -1;
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < l->nrings && id < 0; i++)
		if (!memcmp(&l->rings[i], &ring, sizeof(ring)))
			id = i;
	if (id < 0 && l->nrings < PUB_MAX_RINGS) {
		l->rings[l->nrings] = ring;
		id = l->nrings++;
	}
	pthread_mutex_unlock(&l->lock);
	return id;
}

void pub_log_record(struct pub_log *l, const struct pub_rec *asked)
{
	struct pub_rec rec = *asked;
	__u64 word = pub_log_word(l);
	__u32 gen = cfg_generation(word);

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		int id = ring_id(l, c, cfg_ring_buffer(word, c));

		if (id < 0 || gen >= PUB_MAX_GENS) {
			__atomic_add_fetch(&l->errors, 1, __ATOMIC_RELAXED);
			return;
		}
		rec.ring[c] = (__u8)id;
	}
	if (__atomic_load_n(&l->recs[gen].word, __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(&l->duplicates, 1, __ATOMIC_RELAXED);
		return;
	}
	rec.word = 0;
	l->recs[gen] = rec;
	__atomic_store_n(&l->recs[gen].word, word, __ATOMIC_RELEASE);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

const struct pub_rec *pub_log_wait(const struct pub_log *l, __u32 gen, __u64 wait_ns)
{
	__u64 end = now_ns() + wait_ns;

	if (gen >= PUB_MAX_GENS)
		return NULL;
	while (!__atomic_load_n(&l->recs[gen].word, __ATOMIC_ACQUIRE))
		if (now_ns() > end)
			return NULL;
	return &l->recs[gen];
}

void pub_log_choice(const struct pub_log *l, const struct flow_key *k,
		    const struct pub_rec *rec, __u32 *color, __u32 *slot)
{
	*color = bgxdp_pick_color(k, rec->word);
	*slot = l->rings[rec->ring[*color]].slots[bgxdp_pick_ring_slot(k, rec->word)];
}
