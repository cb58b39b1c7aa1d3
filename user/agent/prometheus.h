/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prometheus.h - the Prometheus text exposition (format 0.0.4) of an
 * instance snapshot (libbgxdp.h), separate from collecting it so it is
 * testable without a kernel.
 */
#ifndef BGXDP_PROMETHEUS_H
#define BGXDP_PROMETHEUS_H

#include <stdio.h>
#include "libbgxdp.h"

const char *pass_reason_name(enum pass_reason reason);

/* A label value, escaped as the format wants (\\, \" and \n). */
void prometheus_label_value(FILE *out, const char *value);

/* Writes the whole exposition; returns 0 or -errno (write error). */
int prometheus_render(FILE *out, const struct bgx_snapshot *snapshot);

#endif /* BGXDP_PROMETHEUS_H */
