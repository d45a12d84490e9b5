/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_LISTENER_H
#define KW_DAEMON_LISTENER_H

/*
 * One listening socket: a Unix socket (created, bound and chmod-ed here,
 * then handed to libmicrohttpd) or a TCP socket served with TLS (GnuTLS
 * inside libmicrohttpd; docs/operations.md says why). Client certificates
 * are checked through the GnuTLS session libmicrohttpd exposes.
 */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"

struct MHD_Daemon;
struct MHD_Connection;
typedef struct kw_server kw_server;

typedef struct kw_listener {
	kw_server *srv;
	const kw_listener_config *cfg;
	struct MHD_Daemon *mhd;
	int fd;
	unsigned port; /* TCP: the bound port */
	char name[160];
	char *cert_pem;	    /* TLS: certificate chain (PEM, NUL-terminated) */
	kw_secret *key_pem; /* TLS: private key (PEM, NUL-terminated) */
	char *trust_pem;    /* TLS: client CA bundle, or NULL */
} kw_listener;

/* Binds the socket of cfg and reads its TLS files. KW_OK, or KW_E_INVALID
 * / KW_E_STORAGE after logging why. kw_listener_close() cleans up either
 * way. */
kw_rc kw_listener_open(kw_listener *l, const kw_listener_config *cfg);
/* Closes the socket (if still open), removes a Unix socket file, wipes
 * and frees the TLS material. */
void kw_listener_close(kw_listener *l);

/* The GnuTLS priority string for the configured minimum TLS version. */
const char *kw_listener_priorities(const kw_listener *l);

/* "unix" for the Unix socket, else the peer's IP address. */
void kw_listener_peer_name(const kw_listener *l, struct MHD_Connection *c,
			   char *buf, size_t len);

/* True if the TLS peer presented a certificate that verifies against the
 * listener's client CA bundle. */
bool kw_listener_peer_verified(const kw_listener *l, struct MHD_Connection *c);

/* The DER of the TLS peer's own certificate when it verifies against the
 * listener's client CA bundle (docs/tpm.md: device certificates map to
 * principals); *out points into the TLS session, valid during the
 * request. False if there is none or it does not verify. */
bool kw_listener_peer_cert(const kw_listener *l, struct MHD_Connection *c,
			   const uint8_t **out, size_t *out_len);

#endif
