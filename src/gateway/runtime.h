/* src/gateway/runtime.h: one generation of the running gateway: a loaded configuration with everything
 * built from it (sites and their certificates, the TLCP and TLS server configs, the origins' addresses
 * and TLS client contexts) and the listening sockets it serves.
 *
 * Reload (SIGHUP) builds a new runtime beside the old one; only when the build succeeded whole does the
 * server publish it, so a bad file or a missing certificate changes nothing. Connections keep a reference
 * to the runtime they were accepted under and finish on it; the last reference frees it. Listening
 * sockets are shared between generations: an address still configured keeps its socket (no connection
 * waiting in its backlog is lost), a new one is bound, a removed one closes when its last runtime goes.
 * Workers must stop watching a runtime's listeners before they drop their reference to it. */
#ifndef SMT_GATEWAY_RUNTIME_H
#define SMT_GATEWAY_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "gateway/balancer.h"
#include "gateway/challenges.h"
#include "gateway/config.h"
#include "gateway/sites.h"
#include "gateway/stapling.h"
#include "http/parser.h"
#include "net/address.h"
#include "net/tls_client.h"
#include "net/tls_conn.h"
#include "tlcp/conn.h"
#include "tlcp/session_cache.h"

/* A listening socket as one runtime serves it. A socket kept across a reload is dup()ed into the new
 * runtime's gw_listener, so each runtime closes its own descriptors and the socket lives while one does. */
struct gw_listener {
        int fd;
        int kind;               /* enum gw_listener_kind */
        bool tlcp, tls;         /* https: which handshakes this port takes */
        int64_t redirect_port;
        char text[NET_ADDRESS_TEXT_MAX]; /* as configured */
};

/* One origin server: where it is and how to reach it. */
struct gw_runtime_server {
        struct sockaddr_storage addr;
        socklen_t addr_len;
        char name[NET_ADDRESS_TEXT_MAX];    /* "host:port", for logs, metrics and the balancer */
        struct net_tls_client_ctx *tls_ctx; /* https servers */
        size_t pool;                        /* index of its idle-connection pool in each worker */
};

/* Per site: its servers (one for a site with a plain origin) and the balancer choosing among them. */
struct gw_runtime_origin {
        struct gw_runtime_server *servers;
        size_t num_servers;
        struct gw_balancer *balancer;
        size_t retries; /* other servers tried when connecting fails (body-less requests) */
        bool has_cookie; /* persistence by a signed cookie naming the server */
        uint8_t cookie_key[GW_BALANCER_COOKIE_KEY_LEN];
};

struct gw_runtime {
        atomic_int refs;
        uint64_t generation; /* 1 for the first, +1 per reload */
        struct gw_config config;
        struct gw_sites *sites;
        struct gw_runtime_origin *origins; /* by site index */
        size_t num_pools;                  /* servers of all sites: each has a pool per worker */
        struct tlcp_config tlcp;
        struct net_tls_config tls;
        struct http_limits limits;
        struct gw_listener **listeners;
        size_t num_listeners;
        struct gw_challenges *challenges; /* borrowed from the server: ACME challenges answered; NULL: none */
        char *config_text;                /* the configuration as loaded, for a rebuild with new certificates */
        size_t config_text_len;
        struct tlcp_session_cache *session_cache; /* borrowed from the server */
        struct gw_stapling *stapling;             /* borrowed from the server; NULL: no OCSP stapling */
        uint64_t stapling_mark;                   /* gw_stapling_commit it once this runtime serves */
};

/* gw_runtime_build loads config_path and builds a runtime (refs 1). Listeners whose address is in old
 * (may be NULL) are shared with it; others are bound now. session_cache is shared by every generation and
 * challenges (may be NULL) answered by each (both borrowed); stapling (may be NULL, borrowed) gets the
 * sites' TLS certificates to staple. Errors: SMT_ECONFIG with each problem in errors, or another status with err. */
int gw_runtime_build(struct gw_runtime **out, const char *config_path, const struct gw_runtime *old,
                     struct tlcp_session_cache *session_cache, struct gw_challenges *challenges,
                     struct gw_stapling *stapling, struct config_errors *errors, struct err *err) SMT_MUST_USE;

/* gw_runtime_rebuild builds a new runtime from the configuration text old was built from (not the file,
 * which may have been edited since: only SIGHUP takes that up), reading every certificate again: how new
 * certificates from the ACME manager go live. */
int gw_runtime_rebuild(struct gw_runtime **out, const char *config_path, const struct gw_runtime *old,
                       struct config_errors *errors, struct err *err) SMT_MUST_USE;

void gw_runtime_ref(struct gw_runtime *rt);
void gw_runtime_unref(struct gw_runtime *rt);

#endif
