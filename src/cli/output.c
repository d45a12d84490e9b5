/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define CELL_MAX 512
#define COLS_MAX 12

const char *kw_cli_jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "-";
}

void kw_cli_print_json(kw_cli *cli, const json_t *json)
{
	if (json == NULL)
		return;
	json_dumpf(json, cli->out, JSON_INDENT(2));
	fputc('\n', cli->out);
}

/* Appends s to out, control characters from the server shown as '?'. */
static void cat(char *out, size_t cap, const char *s)
{
	size_t k = strlen(out);
	for (; *s != '\0' && k + 1 < cap; s++)
		out[k++] = iscntrl((unsigned char)*s) ? '?' : *s;
	out[k] = '\0';
}

/* One JSON value as text: scalars plainly, arrays as "a, b", objects as
 * "k=v, k=v", null as "-". */
static void format_value(const json_t *v, char *out, size_t cap)
{
	char num[64];
	const char *key;
	json_t *item;
	size_t i;
	out[0] = '\0';
	if ((json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_object(v) && json_object_size(v) == 0)) {
		cat(out, cap, "-");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		cat(out, cap, json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		cat(out, cap, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		cat(out, cap, num);
		break;
	case JSON_TRUE:
		cat(out, cap, "yes");
		break;
	case JSON_FALSE:
		cat(out, cap, "no");
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
		{
			char sub[CELL_MAX];
			format_value(item, sub, sizeof(sub));
			if (i > 0)
				cat(out, cap, ", ");
			cat(out, cap, sub);
		}
		break;
	case JSON_OBJECT:
		i = 0;
		json_object_foreach((json_t *)v, key, item)
		{
			char sub[CELL_MAX];
			format_value(item, sub, sizeof(sub));
			if (i++ > 0)
				cat(out, cap, ", ");
			cat(out, cap, key);
			cat(out, cap, "=");
			cat(out, cap, sub);
		}
		break;
	default:
		cat(out, cap, "-");
		break;
	}
}

void kw_cli_print_fields(kw_cli *cli, const json_t *obj,
			 const kw_cli_field *fields)
{
	int width = 0;
	char text[CELL_MAX * 2];
	for (const kw_cli_field *f = fields; f->key != NULL; f++)
		if (json_object_get(obj, f->key) != NULL &&
		    (int)strlen(f->label) > width)
			width = (int)strlen(f->label);
	for (const kw_cli_field *f = fields; f->key != NULL; f++) {
		const json_t *v = json_object_get(obj, f->key);
		if (v == NULL)
			continue;
		format_value(v, text, sizeof(text));
		fprintf(cli->out, "%-*s  %s\n", width, f->label, text);
	}
}

static void upper(char *out, size_t cap, const char *s)
{
	size_t k = 0;
	for (; *s != '\0' && k + 1 < cap; s++)
		out[k++] = (char)toupper((unsigned char)*s);
	out[k] = '\0';
}

void kw_cli_print_table(kw_cli *cli, const json_t *array,
			const kw_cli_field *cols)
{
	int width[COLS_MAX] = {0};
	char cell[CELL_MAX], head[64];
	size_t ncols = 0, i;
	json_t *row;
	while (cols[ncols].key != NULL && ncols < COLS_MAX) {
		width[ncols] = (int)strlen(cols[ncols].label);
		ncols++;
	}
	json_array_foreach(array, i, row)
	{
		for (size_t c = 0; c < ncols; c++) {
			format_value(json_object_get(row, cols[c].key), cell,
				     sizeof(cell));
			if ((int)strlen(cell) > width[c])
				width[c] = (int)strlen(cell);
		}
	}
	for (size_t c = 0; c < ncols; c++) {
		upper(head, sizeof(head), cols[c].label);
		fprintf(cli->out, "%-*s%s", c + 1 < ncols ? width[c] : 0, head,
			c + 1 < ncols ? "  " : "\n");
	}
	json_array_foreach(array, i, row)
	{
		for (size_t c = 0; c < ncols; c++) {
			format_value(json_object_get(row, cols[c].key), cell,
				     sizeof(cell));
			fprintf(cli->out, "%-*s%s",
				c + 1 < ncols ? width[c] : 0, cell,
				c + 1 < ncols ? "  " : "\n");
		}
	}
}

void kw_cli_print_object(kw_cli *cli, const json_t *obj,
			 const kw_cli_field *fields)
{
	if (cli->json)
		kw_cli_print_json(cli, obj);
	else
		kw_cli_print_fields(cli, obj, fields);
}

void kw_cli_print_list(kw_cli *cli, const json_t *obj, const char *member,
		       const kw_cli_field *cols)
{
	char cursor[CELL_MAX];
	if (cli->json) {
		kw_cli_print_json(cli, obj);
		return;
	}
	kw_cli_print_table(cli, json_object_get(obj, member), cols);
	const json_t *next = json_object_get(obj, "next_cursor");
	if (json_is_string(next)) {
		format_value(next, cursor, sizeof(cursor));
		fprintf(cli->err, "(more: add --cursor %s)\n", cursor);
	}
}
