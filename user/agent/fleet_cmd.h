/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_cmd.h - the run() of the fleet commands (specs: user/cli/cmd_fleet.c)
 * and what they share: an etcd client from the command's options.
 */
#ifndef BGXDP_FLEET_CMD_H
#define BGXDP_FLEET_CMD_H

#include "cli.h"
#include "etcd.h"
#include "fleet_params.h"

int run_fleet_apply(const void *params, struct cli *cli);
int run_fleet_status(const void *params, struct cli *cli);

/* The etcd settings of the options; the password (read from its file) is
 * malloc-ed into *password, to be wiped and freed with fleet_password_free. */
int fleet_etcd_config(const struct fleet_etcd_params *p, struct etcd_config *cfg,
		      char **password, struct bgx_err *e);
void fleet_password_free(char *password);

/* An open client for the options. */
int fleet_etcd_connect(const struct fleet_etcd_params *p, struct etcd_client **client,
		       struct bgx_err *e);

#endif
