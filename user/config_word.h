/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config_word.h - publishing a service's config word.
 *
 * The `svc_config` map is mmap-ed (BPF_F_MMAPABLE), so a publish is a
 * single aligned 8-byte store that the XDP program reads with one load:
 * no packet can see half of an old and half of a new config.  Everything
 * the word points at (the inactive ring buffer) is written before it.
 */
#ifndef BGXDP_CONFIG_WORD_H
#define BGXDP_CONFIG_WORD_H

#include <linux/types.h>

static inline __u64 cfg_read(const volatile __u64 *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

static inline void cfg_publish(volatile __u64 *word, __u64 value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

#endif /* BGXDP_CONFIG_WORD_H */
