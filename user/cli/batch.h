/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* batch.h - `bgxdp -b FILE|-`: every line checked, then one change. */
#ifndef BGXDP_BATCH_H
#define BGXDP_BATCH_H

#include "cli.h"

int cli_batch(struct cli *cli, const char *path);

#endif
