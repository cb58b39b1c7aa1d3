/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* fuzz_config.h - the configuration the data-plane fuzzer runs under. */
#ifndef BGXDP_FUZZ_CONFIG_H
#define BGXDP_FUZZ_CONFIG_H

#include "model.h"

/* Services 0..FUZZ_SERVICES-1 are used; backend slots below
 * FUZZ_BACKEND_SLOTS (counters are compared for these). */
#define FUZZ_SERVICES      8
#define FUZZ_BACKEND_SLOTS 8

void fuzz_config_build(struct model_config *c);

#endif
