// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cli.c - small things every command uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
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

FILE *cli_json_begin(struct cli *cli)
{
	cli->json = open_memstream(&cli->json_buf, &cli->json_len);
	return cli->json ? cli->json : cli->out;
}

/* Compact as written, or re-read and indented by jansson (--pretty). */
int cli_json_end(struct cli *cli)
{
	json_t *doc = NULL;
	int r = 0;

	if (!cli->json)
		return 0;
	fclose(cli->json);
	cli->json = NULL;
	if (cli->globals.pretty)
		doc = json_loadb(cli->json_buf, cli->json_len, JSON_DECODE_ANY, NULL);
	if (doc) {
		json_dumpf(doc, cli->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', cli->out);
		json_decref(doc);
	} else {
		fwrite(cli->json_buf, 1, cli->json_len, cli->out);
		if (!cli->json_len || cli->json_buf[cli->json_len - 1] != '\n')
			fputc('\n', cli->out);
	}
	free(cli->json_buf);
	cli->json_buf = NULL;
	if (fflush(cli->out) || ferror(cli->out))
		r = bgx_fail(&cli->err, EIO, "cannot write the output: %s", strerror(errno));
	return r;
}
