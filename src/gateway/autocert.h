/* src/gateway/autocert.h: certificates that look after themselves. For every site with `certificates: auto`
 * the gateway orders, by ACME (gateway/acme_client.h), an ECC (or RSA) certificate from acme.ecc's server and
 * the SM2 signing + encryption pair (docs/acme-sm2.md) from acme.sm2's, answers the challenges itself
 * (gateway/challenges.h for http-01 and tls-alpn-01, acme.dns_hook for dns-01), and renews each one when
 * acme.renewal_window percent of its lifetime is left (two thirds into it by default), earlier when the
 * server's ACME Renewal Information (RFC 9773) says so, with jitter so many sites do not renew at one moment.
 *
 * State lives in acme.state_dir, so a restart orders nothing that is still good:
 *   accounts/<server>/account.key              the account key per ACME server (0600)
 *   sites/<site>/ecc -> ecc-<time>-<random>/     cert.pem (chain, leaf first) + key.pem (0600)
 *   sites/<site>/sm2 -> sm2-<time>-<random>/     sign.crt + sign.key, enc.crt + enc.key
 *   sites/<site>/<kind>.lock                     held while one process orders for that site and kind
 * A new certificate is written whole into a new folder, then the symlink is replaced in one rename, so a
 * reader sees the old set or the new one, never a mix, and a failed or interrupted order leaves the old
 * certificate in place: a valid certificate is never replaced by nothing.
 *
 * Several gateways may share one state_dir (one machine, or a cluster on a shared file system with working
 * flock): before ordering, a process takes the site's lock without waiting and reads the folder again; if
 * another one holds the lock or has just renewed, it orders nothing and serves what the other wrote.
 *
 * A failed order is retried after acme.retry_min, doubling up to acme.retry_max (with jitter), while the
 * old certificate, if any, goes on being served. Work runs on acme.concurrency threads of its own; the
 * event loops never wait for it. When new files are in place, changed() is called (from one of those
 * threads): the server then rebuilds its runtime from the same configuration, and connections in flight
 * finish on the old one (gateway/runtime.h), so no connection is dropped. */
#ifndef SMT_GATEWAY_AUTOCERT_H
#define SMT_GATEWAY_AUTOCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "gateway/challenges.h"
#include "gateway/config.h"

enum gw_autocert_kind {
        GW_AUTOCERT_ECC = 0, /* acme.ecc: cert.pem + key.pem */
        GW_AUTOCERT_SM2 = 1, /* acme.sm2: sign.crt, sign.key, enc.crt, enc.key */
};
#define GW_AUTOCERT_KINDS 2

/* The longest state path the manager makes. */
#define GW_AUTOCERT_PATH_MAX 4096

/* gw_autocert_kind_name: "ecc" or "sm2" (also the names of the state folders). */
const char *gw_autocert_kind_name(enum gw_autocert_kind kind);

/* gw_autocert_site_dir writes state_dir's folder of site_name's kind (the symlink to the current set) into
 * out: "<state_dir>/sites/<site>/<kind>", where <site> is the site's name when it is made of letters,
 * digits, '.', '_' and '-' (and does not start with '.'), else "site-" and 32 hex digits of its SHA-256.
 * SMT_ENOSPACE when cap is too small. */
int gw_autocert_site_dir(char *out, size_t cap, const char *state_dir, const char *site_name,
                         enum gw_autocert_kind kind, struct err *err) SMT_MUST_USE;

struct gw_autocert;

/* gw_autocert_changed_fn: new certificate files are in place (called from an ACME thread; must be quick). */
typedef void (*gw_autocert_changed_fn)(void *arg);

/* gw_autocert_start copies what it needs of config (its acme key and auto sites), creates state_dir (0700)
 * and starts the threads; sites whose certificates are missing, wrong for their names or due are ordered
 * at once. challenges is borrowed and must outlive the manager. */
int gw_autocert_start(struct gw_autocert **out, const struct gw_config *config, struct gw_challenges *challenges,
                      gw_autocert_changed_fn changed, void *changed_arg, struct err *err) SMT_MUST_USE;

/* gw_autocert_update takes up a reloaded configuration: new sites are scheduled, removed ones dropped (their
 * files stay), sites whose names changed are ordered again, new acme settings apply to the next order. */
int gw_autocert_update(struct gw_autocert *autocert, const struct gw_config *config, struct err *err) SMT_MUST_USE;

/* gw_autocert_stop stops the threads (an order in flight stops at its next step: each network wait is
 * bounded) and frees everything; NULL is fine. */
void gw_autocert_stop(struct gw_autocert *autocert);

/* gw_autocert_renew_revoked: the OCSP responder of site's ECC (or RSA) certificate with this serial (hex)
 * says it is revoked. When that is the manager's current certificate of site, it is renewed now (and after
 * a failure, retried with the usual back-off until a new one is in place); returns whether it was. Any
 * thread. */
bool gw_autocert_renew_revoked(struct gw_autocert *autocert, const char *site, const char *serial);

/* What the manager knows of one site's certificate of one kind. */
struct gw_autocert_status {
        char site[128];
        enum gw_autocert_kind kind;
        bool has_certificate;     /* a set is on disk for the site's current names */
        char algorithm[16];       /* "ECDSA P-256", "RSA 2048", "SM2" */
        char issuer[256];         /* the issuer's subject, one line */
        char serial[80];          /* hex */
        time_t not_before, not_after;
        time_t next_renewal;      /* when the certificate is to be renewed; while failing or without one, when
                                   * the next order is tried */
        bool is_ordering;         /* an order is in flight now */
        unsigned failures;        /* failed orders in a row */
        time_t last_error_at;     /* 0: none since the last success */
        char last_error[512];
};

/* gw_autocert_status_list returns a snapshot of every site and kind (malloc'd; free it), in config order. */
int gw_autocert_status_list(struct gw_autocert *autocert, struct gw_autocert_status **out, size_t *num,
                            struct err *err) SMT_MUST_USE;

#endif
