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
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline __u64 cfg_read(const volatile __u64 *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

static inline void cfg_publish(volatile __u64 *word, __u64 value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

/*
 * Before a writer overwrites the inactive ring buffer, every packet that
 * may still be reading it under the word before the current one must be
 * done: otherwise a packet delayed across two publishes (a preempted
 * program, a PREEMPT_RT kernel) could read the old word and a half-new
 * ring.  BPF programs run inside RCU read-side sections, and
 * membarrier(MEMBARRIER_CMD_GLOBAL) is synchronize_rcu(): it returns once
 * every program run that started before it has ended.
 */
static inline void cfg_wait_for_readers(void)
{
	/* EINVAL on nohz_full kernels: then wait far longer than a packet. */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0)
		usleep(50 * 1000);
}

#endif /* BGXDP_CONFIG_WORD_H */
