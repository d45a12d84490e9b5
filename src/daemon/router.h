/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTER_H
#define KW_DAEMON_ROUTER_H

/*
 * The route table: method + path pattern ("/v1/keys/{name}/sign") ->
 * handler, flags and the operation name used in the audit trail and the
 * metrics. Matching is exact on every segment except {params}, which match
 * one non-empty segment of at most KW_ROUTE_PARAM_MAX bytes.
 */

#include <stdbool.h>
#include <stddef.h>

#define KW_ROUTE_PARAMS_MAX 3
#define KW_ROUTE_PARAM_MAX  128
#define KW_ROUTE_ALLOW_MAX  64

typedef struct kw_req kw_req;
typedef void (*kw_handler_fn)(kw_req *r);

enum {
	KW_RF_NO_AUTH = 1u << 0,       /* no bearer token needed */
	KW_RF_NO_AUDIT = 1u << 1,      /* probes only: health, metrics */
	KW_RF_AUTH_ON_TCP = 1u << 2,   /* no token on the Unix socket */
	KW_RF_AUTH_OPTIONAL = 1u << 3, /* a token is checked if one is sent */
	KW_RF_RAW_BODY = 1u << 4,      /* the body is bytes (r->raw), not JSON;
				   * the handler checks r->raw_type */
};

typedef struct kw_route {
	const char *method;
	const char *pattern;
	kw_handler_fn handler;
	unsigned flags;
	const char *op; /* audit op and metrics label, e.g. "key_sign" */
} kw_route;

typedef enum kw_route_result {
	KW_ROUTE_FOUND = 0,
	KW_ROUTE_NO_PATH,   /* 404 unknown_route */
	KW_ROUTE_NO_METHOD, /* 405 method_not_allowed; allow lists methods */
} kw_route_result;

typedef struct kw_route_match {
	const kw_route *route;
	size_t index; /* of route in the table */
	size_t nparams;
	char params[KW_ROUTE_PARAMS_MAX][KW_ROUTE_PARAM_MAX + 1];
	char allow[KW_ROUTE_ALLOW_MAX]; /* "GET, POST" for 405 */
} kw_route_match;

/* Finds the route for method and path (no query string) in
 * table[0..n). Pure; thread-safe. */
kw_route_result kw_route_find(const kw_route *table, size_t n,
			      const char *method, const char *path,
			      kw_route_match *out);

/* The daemon's table (routes.c). */
extern const kw_route kw_routes[];
extern const size_t kw_routes_count;

#endif
