/* src/gateway/config.h: the gateway's configuration file (gateway.yaml), loaded and checked.
 *
 * The schema is static tables for base/config.h; examples/gateway.yaml documents every key. A load
 * either succeeds whole (every key valid, every cross-key rule met: unique listener addresses, unique
 * site names, at most one default site, each https site has an SM2 pair or an ECC/RSA certificate, ...)
 * or returns every problem as "file:line: key.path: message". Certificate files are NOT read here
 * (gateway/sites.h does that), so `--check` can report syntax first and files second.
 *
 * Relative file paths in the config resolve against the config file's folder: gw_config_load makes them
 * absolute, so nothing depends on the working directory the gateway was started from. */
#ifndef SMT_GATEWAY_CONFIG_H
#define SMT_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/err.h"
#include "net/address.h"

enum gw_listener_kind {
        GW_LISTENER_HTTPS = 1,    /* TLCP and TLS 1.2/1.3 on one port, chosen per ClientHello */
        GW_LISTENER_HTTP = 2,     /* plain HTTP proxying (behind another terminator, or for tests) */
        GW_LISTENER_REDIRECT = 3, /* answers every request with a redirect to https:// */
        GW_LISTENER_TCP = 4,      /* TLCP and TLS terminated, then raw bytes to the site's servers (not HTTP) */
        GW_LISTENER_PASSTHROUGH = 5, /* not terminated: the ClientHello's SNI picks the site, bytes go as they are */
};

struct gw_listener_config {
        char *listen; /* "host:port", "[v6]:port" or ":port" (all addresses) */
        int kind;     /* enum gw_listener_kind; key "protocol": https | http | redirect */
        bool tlcp;    /* https: accept TLCP ClientHellos (default true) */
        bool tls;     /* https: accept TLS ClientHellos (default true) */
        int64_t redirect_port; /* redirect: the https port put in Location (default 443: omitted) */
        int64_t backlog;       /* listen() backlog (default 511) */
};

/* An SM2 signing + encryption certificate pair (GB/T 38636 §6.4.5.3). cert files may hold the chain after
 * the leaf; chain adds intermediates. */
struct gw_sm2_config {
        char *sign_cert;
        char *sign_key;
        char *enc_cert;
        char *enc_key;
        char *chain; /* optional */
};

/* An ECC or RSA certificate: cert is a PEM file, leaf first then intermediates. */
struct gw_cert_config {
        char *cert;
        char *key;
};

enum gw_origin_verify {
        GW_ORIGIN_VERIFY_OFF = 1, /* accept any origin certificate (self-signed, expired, other name) */
        GW_ORIGIN_VERIFY_ON = 2,  /* chain to ca_file (or the system roots) and match the origin's name */
        GW_ORIGIN_VERIFY_PIN = 3, /* the origin's leaf certificate's SHA-256 must be one of pins */
};

/* How an https:// origin is checked. */
struct gw_origin_tls_config {
        int verify;        /* enum gw_origin_verify (default on) */
        char *ca_file;     /* verify on: trusted roots (PEM); absent: the system's */
        struct config_strings pins; /* verify pin: hex SHA-256 of the leaf certificate's DER ("ab:cd:..." too) */
        char *server_name; /* SNI and name to check; absent: the origin URL's host */
};

struct gw_hsts_config {
        bool enabled;
        int64_t max_age_ms; /* key max_age, a duration (default 365d) */
        bool include_subdomains;
        bool preload;
};

/* One server of an upstream group. */
struct gw_upstream_server_config {
        char *url;              /* key "server": "http://host:port" or "https://host:port", like origin */
        int64_t weight;         /* 1..1000 (default 1) */
        bool is_backup;         /* key "backup": used only when every primary is down (default false) */
        int64_t max_fails;      /* consecutive failed requests that mark it down; 0 = never (default 3) */
        int64_t fail_timeout_ms; /* how long it then stays down (default 10s) */
        int64_t slow_start_ms;  /* after recovery its share ramps up over this (default 0: at once) */
};

enum gw_upstream_balance {
        GW_UPSTREAM_ROUND_ROBIN = 1,      /* "round_robin" */
        GW_UPSTREAM_WEIGHTED = 2,         /* "weighted" (smooth weighted round robin; the default) */
        GW_UPSTREAM_LEAST_CONNECTIONS = 3, /* "least_connections" */
        GW_UPSTREAM_RESPONSE_TIME = 4,    /* "response_time" */
        GW_UPSTREAM_IP_HASH = 5,          /* "ip_hash" */
};

enum gw_upstream_persistence {
        GW_PERSIST_NONE = 1,      /* "none" (default) */
        GW_PERSIST_COOKIE = 2,    /* "cookie": the gateway sets a signed cookie naming the server */
        GW_PERSIST_SOURCE_IP = 3, /* "source_ip": the client address picks the server (ip_hash's ring) */
};

enum gw_health_check_kind {
        GW_CHECK_NONE = 0, /* no active checks (key absent or kind "none") */
        GW_CHECK_HTTP = 1,
        GW_CHECK_TCP = 2,
};

struct gw_health_check_config {
        int kind;            /* enum gw_health_check_kind (default none) */
        char *path;          /* http: request path (default "/") */
        char *host;          /* http: Host sent (default: the server's host:port) */
        int64_t expect_min;  /* key "expect": "200", "200-399" (default 200-399) */
        int64_t expect_max;
        int64_t interval_ms; /* default 5s */
        int64_t timeout_ms;  /* default 2s */
        int64_t rise;        /* consecutive successes to mark up (default 2) */
        int64_t fall;        /* consecutive failures to mark down (default 3) */
};

/* A site's upstream group: key "upstream", instead of the one-server "origin" (a site has exactly one). */
struct gw_upstream_config {
        struct config_list servers; /* struct gw_upstream_server_config; empty: the site uses origin */
        int balance;                /* enum gw_upstream_balance */
        int persistence;            /* enum gw_upstream_persistence */
        char *cookie_name;          /* persistence cookie (default "smtrust_server") */
        int64_t retries;            /* other servers tried when connecting fails, idempotent requests
                                     * only (default 1) */
        struct gw_health_check_config health_check;
};

enum gw_site_certificates {
        GW_CERTIFICATES_FILES = 1, /* "files": the sm2 / ecc / rsa files the site names (the default) */
        GW_CERTIFICATES_AUTO = 2,  /* "auto": obtained and renewed by ACME (key acme), kept in acme.state_dir */
};

struct gw_site_config {
        char *name;                 /* for logs and metrics; default: the first of names */
        struct config_strings names; /* "www.example.com", "*.example.com" (one label wildcard) */
        bool is_default;            /* key "default": serves clients whose SNI/Host matches no site */
        struct gw_sm2_config sm2;   /* all-NULL members: none */
        struct gw_cert_config ecc;
        struct gw_cert_config rsa;
        char *origin;               /* "http://host:port" or "https://host:port" (path not allowed) */
        struct gw_upstream_config upstream; /* several servers; a site has origin or upstream.servers */
        struct gw_origin_tls_config origin_tls; /* applies to every https server of the site */
        struct gw_hsts_config hsts;
        bool forwarded_headers;     /* add X-Forwarded-For/-Proto/-Host and Forwarded (default true) */
        int certificates;           /* enum gw_site_certificates (default files) */
        bool ocsp_stapling;         /* staple OCSP responses for the ECC/RSA certificates (default true) */
};

struct gw_timeouts_config {
        int64_t handshake_ms;      /* accept to end of TLS/TLCP handshake (default 10s) */
        int64_t header_ms;         /* a request head must arrive whole within (default 30s) */
        int64_t idle_ms;           /* keep-alive client idle between requests (default 60s) */
        int64_t client_body_ms;    /* no byte of a request body for this long (default 60s) */
        int64_t origin_connect_ms; /* TCP connect + TLS handshake to the origin (default 5s) */
        int64_t origin_read_ms;    /* no byte from the origin for this long while waiting (default 60s) */
        int64_t origin_idle_ms;    /* a pooled origin connection is closed after (default 30s) */
        int64_t websocket_idle_ms; /* no byte either way on an upgraded connection (default 1h) */
        int64_t shutdown_ms;       /* on reload/stop, old connections may finish for (default 30s) */
};

struct gw_limits_config {
        int64_t max_connections;    /* client connections per gateway (default 10000) */
        int64_t max_head_size;      /* request or response head (default 32k) */
        int64_t max_request_line;   /* (default 8k) */
        int64_t max_header_fields;  /* (default 100, at most 128) */
        int64_t max_body_size;      /* request body, 0 = unlimited (default 0) */
        int64_t max_keepalive_requests; /* per client connection (default 10000) */
        int64_t origin_pool_size;   /* idle origin connections kept per origin per worker (default 32) */
};

struct gw_log_config {
        char *access; /* path, "-" = standard output, "off" (default "-") */
        char *error;  /* path, "-" = standard error (default "-") */
        int level;    /* enum log_level: error | warn | info | debug (default info) */
};

struct gw_admin_config {
        char *listen; /* "127.0.0.1:9145": GET /metrics (Prometheus), /healthz; absent: no admin listener */
};

/* An ACME server certificates are ordered from (RFC 8555). */
struct gw_acme_issuer_config {
        char *directory;    /* the directory URL, https://; NULL: this kind is not obtained */
        char *ca_file;      /* PEM roots the directory's HTTPS is checked against; NULL: the system's */
        int key_type;       /* ecc only: enum gw_acme_key_type (EC P-256, P-384 or RSA 2048; default P-256) */
        char *eab_kid;      /* external account binding (RFC 8555 7.3.4): both or neither */
        char *eab_hmac_key; /* base64url, as the CA gave it */
};

enum gw_acme_challenge_type {
        GW_ACME_HTTP01 = 1,     /* on a redirect or http listener (port 80 in production) */
        GW_ACME_TLS_ALPN01 = 2, /* on an https (or tcp) listener accepting TLS (port 443 in production) */
        GW_ACME_DNS01 = 3,      /* through acme.dns_hook; the only one for wildcard names */
};
#define GW_ACME_CHALLENGES_MAX 3

/* Key "acme": how sites with `certificates: auto` get and keep their certificates (gateway/autocert.h). */
struct gw_acme_config {
        struct gw_acme_issuer_config ecc; /* the ECC (or RSA) certificate for TLS: any RFC 8555 CA */
        struct gw_acme_issuer_config sm2; /* the SM2 signing + encryption pair for TLCP: smtrust ca */
        struct config_strings email;      /* account contacts, "ops@example.com" (mailto: added) */
        char *state_dir;                  /* accounts, keys and certificates (default "acme", beside the file) */
        struct config_strings challenge_names; /* key "challenges", preferred first */
        int challenges[GW_ACME_CHALLENGES_MAX]; /* enum gw_acme_challenge_type, from challenge_names or, when
                                                 * absent, every type a listener or the hook can answer */
        size_t num_challenges;
        char *dns_hook;                   /* dns-01: run as `HOOK present|cleanup FQDN VALUE` */
        int64_t renewal_window_percent;   /* renew when this much of the lifetime is left (default 33) */
        int64_t retry_min_ms;             /* first wait after a failed order, doubled up to retry_max */
        int64_t retry_max_ms;
        int64_t order_timeout_ms;         /* one whole order, validation included (default 5m) */
        int64_t concurrency;              /* orders at once (default 4) */
};

struct gw_config {
        int64_t workers;  /* worker threads; 0 (key value "auto", the default) = number of online CPUs */
        char *user;       /* drop to this user after binding (when started as root); absent: stay */
        char *group;      /* default: the user's primary group */
        struct gw_log_config log;
        struct gw_admin_config admin;
        struct gw_acme_config acme;
        struct gw_timeouts_config timeouts;
        struct gw_limits_config limits;
        struct config_list listeners; /* struct gw_listener_config */
        struct config_list sites;     /* struct gw_site_config */
        int64_t ocsp_stapling_refresh_ms; /* longest time between two fetches of a staple (default 1h) */
        char *dir;                    /* not a key: the config file's folder (absolute) */
};

/* gw_config_load reads path into *out (see the top of this file); SMT_ECONFIG with errors listed, or the
 * statuses of config_load_file. Free with gw_config_free. */
int gw_config_load(struct gw_config *out, const char *path, struct config_errors *errors) SMT_MUST_USE;

/* gw_config_load_string is gw_config_load on text named name, relative paths against dir (made absolute;
 * NULL: the working folder). For tests. */
int gw_config_load_string(struct gw_config *out, const char *name, const char *text, size_t len, const char *dir,
                          struct config_errors *errors) SMT_MUST_USE;

void gw_config_free(struct gw_config *config);

/* gw_config_workers returns the worker count to run: config->workers, or the online CPUs when 0. */
int gw_config_workers(const struct gw_config *config);

/* The value syntaxes the loader checks, for the code that uses the values (the same parser accepts and
 * uses them). Each returns SMT_ECONFIG with a message naming the text and what was expected. */

/* gw_config_listen_address reads a listen value ("host:port", "[v6]:port", ":port" or "*:port"; port 0: any
 * free port, for tests) into out: host "" for every address, an IP literal in its canonical form, or a
 * lowercase name. */
int gw_config_listen_address(struct net_address *out, const char *listen, struct err *err) SMT_MUST_USE;

/* gw_config_origin_parse reads an origin URL ("http://host[:port]", "https://[v6]:port", an optional
 * final "/") into *is_https and out (host lowercase, without brackets; port 80 / 443 when absent). */
int gw_config_origin_parse(bool *is_https, struct net_address *out, const char *origin,
                           struct err *err) SMT_MUST_USE;

/* gw_config_pin_parse reads a pin: 64 hex digits, any case, colons allowed between them. */
int gw_config_pin_parse(uint8_t out[32], const char *pin, struct err *err) SMT_MUST_USE;

#endif
