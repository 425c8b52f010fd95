/* src/gateway/sites.h: the sites of a loaded configuration, with their certificates read and checked, and
 * the lookup from a server name (SNI or Host) to a site in constant time.
 *
 * gw_sites_build reads every certificate and key file the config names (a file named by several sites is
 * read once), checks each key is the private key of its certificate and that SM2 pairs are SM2, and
 * parses each origin URL. Names are lowercase; lookup is exact name first, then the wildcard for the name
 * minus its first label ("a.b.example.com" -> "*.b.example.com", one label only, RFC 6125 §6.4.3), then the
 * default site. Both are hash lookups: 10,000 sites cost no more per handshake than one.
 *
 * A struct gw_sites is immutable once built and shared read-only by every worker thread; reload builds a
 * new one and the old one is freed when its last connection ends (the owner counts references). */
#ifndef SMT_GATEWAY_SITES_H
#define SMT_GATEWAY_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/config.h"
#include "net/tls_conn.h"
#include "tlcp/conn.h"

/* struct gw_origin: where a site's requests go. */
struct gw_origin {
        bool is_https;
        char host[256];       /* name or IP literal, no brackets */
        uint16_t port;        /* default 80 / 443 */
        char authority[300];  /* "host:port" as written for logs ("[::1]:8443") */
        int verify;           /* enum gw_origin_verify */
        const struct cert_store *trust; /* verify on with ca_file; NULL = the system's default paths */
        const uint8_t (*pins)[32];     /* verify pin: SHA-256 of acceptable leaf certificates' DER */
        size_t num_pins;
        const char *server_name; /* SNI sent and name checked: origin_tls.server_name or host (never NULL) */
};

struct gw_site {
        const char *name;  /* for logs and metrics */
        size_t index;      /* position in the config's sites list, for per-site metrics */
        const struct gw_site_config *config;
        bool has_tlcp;     /* an SM2 pair is configured */
        bool has_tls;      /* an ECC and/or RSA certificate is configured */
        struct tlcp_credentials tlcp;     /* valid when has_tlcp */
        struct net_tls_credentials tls;   /* valid when has_tls; prepared, shared by the sites naming the
                                           * same files and released by gw_sites_free (never by the user) */
        struct gw_origin origin;
        const char *hsts_value; /* "max-age=31536000; includeSubDomains", or NULL when off */
};

struct gw_sites;

/* gw_sites_build loads config's sites. Problems (unreadable file, key not matching its certificate, an SM2
 * pair whose certificates are not SM2, a bad origin URL) come back as SMT_ECONFIG, SMT_EIO or a crypto
 * status with err naming the site (sites[i]) and file. config is borrowed and must outlive the sites. */
int gw_sites_build(struct gw_sites **out, const struct gw_config *config, struct err *err) SMT_MUST_USE;

void gw_sites_free(struct gw_sites *sites);

size_t gw_sites_count(const struct gw_sites *sites);
const struct gw_site *gw_sites_get(const struct gw_sites *sites, size_t index);

/* gw_sites_lookup finds the site for name (SNI, or a Host without its port; any case; NULL or "" means
 * none was sent): exact, then wildcard, then the default site, else NULL. */
const struct gw_site *gw_sites_lookup(const struct gw_sites *sites, const char *name);

/* gw_sites_lookup_n is gw_sites_lookup on len bytes (a Host field), ignoring a ":port" suffix and the
 * brackets of an IPv6 literal. */
const struct gw_site *gw_sites_lookup_n(const struct gw_sites *sites, const char *name, size_t len);

/* gw_sites_tlcp_select and gw_sites_tls_select are the SNI hooks for tlcp/conn.h and net/tls_conn.h, with
 * the struct gw_sites as arg: they pick the looked-up site's credentials, and refuse a name with no site or
 * whose site has no credentials of that kind. */
int gw_sites_tlcp_select(void *arg, const char *server_name, const struct tlcp_credentials **out);
int gw_sites_tls_select(void *arg, const char *server_name, const struct net_tls_credentials **out);

#endif
