/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_DAEMON_H
#define KW_DAEMON_DAEMON_H

/*
 * What the parts of keywardend share: the configuration, the core service,
 * the metrics and the HTTP server. Set up by main.c before the server
 * starts; read-only afterwards (the parts it points to are thread-safe).
 */

#include <stdbool.h>

#include "daemon/config.h"
#include "service/service.h"

typedef struct kw_daemon kw_daemon;
typedef struct kw_metrics kw_metrics;
typedef struct kw_server kw_server;

struct kw_daemon {
	kw_config *cfg;
	kw_service *svc;
	kw_metrics *metrics;
	kw_server *server;
	bool dev;
};

#endif
