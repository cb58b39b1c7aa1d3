// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cli.c - small things every command uses. */
#include "commands.h"

int cli_open(struct cli *cli, enum bgx_access access, struct bgx_instance **in)
{
	return bgx_open(cli->pin_dir, access, in, &cli->err);
}

void json_write_string(FILE *f, const char *text)
{
	fputc('"', f);
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
