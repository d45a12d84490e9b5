/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "daemon/router.h"

/* Matches one pattern against path; fills params on success. */
static bool pattern_match(const char *pattern, const char *path,
			  kw_route_match *m)
{
	const char *p = pattern;
	const char *s = path;
	size_t np = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		size_t plen = strcspn(p, "/");
		size_t slen = strcspn(s, "/");
		if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (slen == 0 || slen > KW_ROUTE_PARAM_MAX ||
			    np >= KW_ROUTE_PARAMS_MAX)
				return false;
			memcpy(m->params[np], s, slen);
			m->params[np][slen] = '\0';
			np++;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	if (*p != '\0' || *s != '\0')
		return false;
	m->nparams = np;
	return true;
}

kw_route_result kw_route_find(const kw_route *table, size_t n,
			      const char *method, const char *path,
			      kw_route_match *out)
{
	bool path_seen = false;
	size_t allow_len = 0;

	memset(out, 0, sizeof(*out));
	if (path == NULL || method == NULL || path[0] != '/')
		return KW_ROUTE_NO_PATH;
	for (size_t i = 0; i < n; i++) {
		kw_route_match m;
		m.nparams = 0;
		if (!pattern_match(table[i].pattern, path, &m))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			memcpy(out->params, m.params, sizeof(m.params));
			out->nparams = m.nparams;
			out->route = &table[i];
			out->index = i;
			out->allow[0] = '\0';
			return KW_ROUTE_FOUND;
		}
		/* Collect the methods this path has, for the Allow header. */
		size_t ml = strlen(table[i].method);
		if (strstr(out->allow, table[i].method) == NULL &&
		    allow_len + ml + 3 < sizeof(out->allow)) {
			if (allow_len > 0) {
				memcpy(out->allow + allow_len, ", ", 2);
				allow_len += 2;
			}
			memcpy(out->allow + allow_len, table[i].method, ml);
			allow_len += ml;
			out->allow[allow_len] = '\0';
		}
		path_seen = true;
	}
	return path_seen ? KW_ROUTE_NO_METHOD : KW_ROUTE_NO_PATH;
}
