/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "daemon/config.h"

/*
 * Finds the line of a node in a YAML file by its dotted path, to point
 * configuration errors found after loading (values out of range) at their
 * line. libcyaml does not expose node positions of loaded values, so the
 * file is walked once more with libyaml's event parser (the parser libcyaml
 * itself is built on).
 */

#define DEPTH_MAX 16

typedef struct frame {
	bool is_map;
	bool want_key;	/* maps: the next scalar is a key */
	char key[64];	/* maps: the current key */
	unsigned index; /* sequences: the current item */
} frame;

/* The dotted path of the innermost frame's current position. */
static void path_of(const frame *st, size_t depth, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < depth && w < len; i++) {
		if (st[i].is_map)
			w += (size_t)snprintf(buf + w, len - w, "%s%s",
					      i > 0 ? "." : "", st[i].key);
		else
			w += (size_t)snprintf(buf + w, len - w, "%s%u",
					      i > 0 ? "." : "", st[i].index);
	}
}

/* A value node finished in frame f: advance to the next key or item. */
static void value_done(frame *f)
{
	if (f->is_map)
		f->want_key = true;
	else
		f->index++;
}

unsigned kw_yaml_locate(const char *file, const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	frame st[DEPTH_MAX];
	size_t depth = 0;
	unsigned line = 0;
	bool done = false;
	char cur[512];
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return 0;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return 0;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done && line == 0) {
		if (!yaml_parser_parse(&parser, &ev))
			break;
		frame *top = depth > 0 ? &st[depth - 1] : NULL;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (top != NULL && top->is_map && top->want_key) {
				snprintf(top->key, sizeof(top->key), "%s",
					 (const char *)ev.data.scalar.value);
				top->want_key = false;
				path_of(st, depth, cur, sizeof(cur));
				if (strcmp(cur, path) == 0)
					line = (unsigned)ev.start_mark.line + 1;
			} else if (top != NULL) {
				path_of(st, depth, cur, sizeof(cur));
				if (strcmp(cur, path) == 0)
					line = (unsigned)ev.start_mark.line + 1;
				value_done(top);
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (top != NULL && !top->is_map) {
				path_of(st, depth, cur, sizeof(cur));
				if (strcmp(cur, path) == 0)
					line = (unsigned)ev.start_mark.line + 1;
			}
			if (depth == DEPTH_MAX) {
				done = true;
				break;
			}
			memset(&st[depth], 0, sizeof(st[depth]));
			st[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].want_key = true;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth > 0)
				depth--;
			if (depth > 0)
				value_done(&st[depth - 1]);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return line;
}
