/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_SERVER_H
#define KW_DAEMON_SERVER_H

/*
 * The HTTP side of keywardend: one libmicrohttpd daemon per configured
 * listener (a Unix socket, or TCP with TLS), each with an epoll thread pool.
 * Requests are answered only after their audit event is durable: the
 * connection is suspended while the audit trail writes and resumed from its
 * completion callback, so no MHD thread waits for an fsync.
 */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/daemon.h"
#include "keywarden/rc.h"

/* Binds every listener of d->cfg and starts serving. KW_OK, or an error
 * after logging why (nothing is left running). */
kw_rc kw_server_start(kw_daemon *d, kw_server **out);

/* Stops accepting connections; requests in flight go on. */
void kw_server_quiesce(kw_server *s);

/* Waits until no request is in flight (new requests on open connections
 * are refused from now on). */
void kw_server_drain(kw_server *s);

/* Closes every connection, stops the threads, removes the Unix sockets,
 * frees. NULL is allowed. */
void kw_server_stop(kw_server *s);

/* Open connections, over all listeners. */
long kw_server_connections(kw_server *s);

/* The port TCP listener i is bound to (0 for Unix listeners). */
unsigned kw_server_port(kw_server *s, size_t i);

#endif
