/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

/*
 * Repeated-denial detection. Each subject ("principal" alice, "source"
 * 10.0.0.7) keeps the times of its last `threshold` denials in a ring; the
 * threshold-th denial within the window raises an alert and empties the
 * ring, so a steady flood raises one alert per `threshold` denials, not one
 * per denial.
 *
 * Memory is bounded: at most SUBJECTS_MAX subjects; when full, subjects
 * quiet for a whole window are dropped, and if none is, the least recently
 * denied one goes (an attacker rotating sources can dilute the count, but
 * each source still alerts on its own threshold). Used by the writer thread
 * only: no lock.
 */

#define BUCKETS	     1024
#define SUBJECTS_MAX 8192

typedef struct subject {
	struct subject *next;
	int64_t last_ms;
	unsigned n;   /* denials held in times[] */
	unsigned pos; /* where the next one goes */
	int64_t *times;
	char name[]; /* kind '\0' value */
} subject;

struct audit_alerts {
	unsigned threshold;
	int64_t window_ms;
	size_t count;
	subject *buckets[BUCKETS];
};

kw_rc audit_alerts_new(unsigned threshold, unsigned window_s,
		       audit_alerts **out)
{
	audit_alerts *al;

	if (threshold == 0 || window_s == 0 || out == NULL)
		return KW_E_INVALID;
	al = calloc(1, sizeof(*al));
	if (al == NULL)
		return KW_E_NOMEM;
	al->threshold = threshold;
	al->window_ms = (int64_t)window_s * 1000;
	*out = al;
	return KW_OK;
}

static void subject_free(subject *s)
{
	if (s == NULL)
		return;
	free(s->times);
	free(s);
}

void audit_alerts_free(audit_alerts *al)
{
	if (al == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (al->buckets[i] != NULL) {
			subject *s = al->buckets[i];

			al->buckets[i] = s->next;
			subject_free(s);
		}
	}
	free(al);
}

/* FNV-1a over kind, a separator and value. */
static size_t bucket_of(const char *kind, const char *value)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = kind; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = value; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h % BUCKETS);
}

/* Drops subjects without a denial in the last window; if that frees
 * nothing, drops the least recently denied subject. */
static void make_room(audit_alerts *al, int64_t now_ms)
{
	subject **oldest = NULL;

	for (size_t i = 0; i < BUCKETS; i++) {
		subject **pp = &al->buckets[i];

		while (*pp != NULL) {
			subject *s = *pp;

			if (now_ms - s->last_ms >= al->window_ms) {
				*pp = s->next;
				subject_free(s);
				al->count--;
				continue;
			}
			if (oldest == NULL || s->last_ms < (*oldest)->last_ms)
				oldest = pp;
			pp = &s->next;
		}
	}
	if (al->count == SUBJECTS_MAX && oldest != NULL) {
		subject *s = *oldest;

		*oldest = s->next;
		subject_free(s);
		al->count--;
	}
}

static subject *subject_get(audit_alerts *al, const char *kind,
			    const char *value, int64_t now_ms)
{
	size_t kl = strlen(kind);
	size_t vl = strlen(value);
	size_t b = bucket_of(kind, value);
	subject *s;

	for (s = al->buckets[b]; s != NULL; s = s->next)
		if (strcmp(s->name, kind) == 0 &&
		    strcmp(s->name + kl + 1, value) == 0)
			return s;
	if (al->count == SUBJECTS_MAX)
		make_room(al, now_ms);
	s = calloc(1, sizeof(*s) + kl + vl + 2);
	if (s == NULL)
		return NULL;
	s->times = calloc(al->threshold, sizeof(*s->times));
	if (s->times == NULL) {
		free(s);
		return NULL;
	}
	memcpy(s->name, kind, kl + 1);
	memcpy(s->name + kl + 1, value, vl + 1);
	s->next = al->buckets[b];
	al->buckets[b] = s;
	al->count++;
	return s;
}

bool audit_alerts_note(audit_alerts *al, const char *kind, const char *value,
		       int64_t now_ms)
{
	subject *s;
	int64_t oldest;

	if (al == NULL || value == NULL || value[0] == '\0')
		return false;
	s = subject_get(al, kind, value, now_ms);
	if (s == NULL)
		return false; /* out of memory: no alert, the entry is written */
	s->last_ms = now_ms;
	s->times[s->pos] = now_ms;
	s->pos = (s->pos + 1) % al->threshold;
	if (s->n < al->threshold)
		s->n++;
	if (s->n < al->threshold)
		return false;
	/* Full ring: times[pos] is the oldest of the last `threshold`. */
	oldest = s->times[s->pos];
	if (now_ms - oldest >= al->window_ms)
		return false;
	s->n = 0;
	s->pos = 0;
	return true;
}
