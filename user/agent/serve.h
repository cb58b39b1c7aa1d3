/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef BGXDP_SERVE_H
#define BGXDP_SERVE_H

struct cli;

int run_serve(const void *params, struct cli *cli);

#endif
