/* src/gateway/config_internal.h: what the files of gateway/config share: the schema (config_schema.c), the
 * value syntax checks (config_values.c), the rules across keys and list items (config_rules.c) and the
 * normalisation after a load (config.c). Not an API: other modules use gateway/config.h. */
#ifndef SMT_GATEWAY_CONFIG_INTERNAL_H
#define SMT_GATEWAY_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "gateway/config.h"

/* A DNS name is at most 253 characters (RFC 1035 §2.3.4), a label at most 63. */
#define GW_CONFIG_NAME_MAX  253
#define GW_CONFIG_LABEL_MAX 63

/* Longest health check path, and cookie name, accepted. */
#define GW_CONFIG_PATH_MAX        1024
#define GW_CONFIG_COOKIE_NAME_MAX 128

/* What the schema fills: the public structs, and the text of keys whose value is read in two steps
 * ("workers: auto" becomes config.workers = 0, "expect: 200-399" expect_min 200 and expect_max 399, after
 * the load). base/config.h fills one destination per key, and the public structs have no field for the
 * text, so each site is loaded in a file form that holds it; config.c then moves every site into
 * config.sites (an array of struct gw_site_config, as gateway/config.h says) and frees the texts. */
struct gw_config_health_check_file {
        struct gw_health_check_config check;
        char *expect;
};

struct gw_config_upstream_file {
        struct gw_upstream_config upstream; /* upstream.health_check stays zero: see health_check */
        struct gw_config_health_check_file health_check;
};

struct gw_config_site_file {
        struct gw_site_config site; /* site.upstream stays zero: see upstream */
        struct gw_config_upstream_file upstream;
};

struct gw_config_file {
        struct gw_config config; /* config.sites: empty until the sites are moved from sites */
        char *workers;
        struct config_list sites; /* struct gw_config_site_file */
};

/* The root of the schema, for struct gw_config_file, and the schema of one site in file form. */
extern const struct config_section_schema gw_config_file_schema;
extern const struct config_section_schema gw_config_site_file_schema;

/* The key "acme" (config_acme.c). */
extern const struct config_section_schema gw_config_acme_schema;

/* gw_config_acme_challenge_type maps "http-01", "tls-alpn-01", "dns-01" to enum gw_acme_challenge_type (0:
 * none of them); gw_config_acme_challenge_name maps back. */
int gw_config_acme_challenge_type(const char *name);
const char *gw_config_acme_challenge_name(int type);

/* gw_config_acme_normalise fills config->acme.challenges from its names or from the listeners and hook. */
void gw_config_acme_normalise(struct gw_config *config);

/* gw_config_check_dns_name refuses (SMT_ECONFIG, saying why) a name that is not a DNS host name of
 * letters, digits and '-' in dot-separated labels (RFC 1123 §2.1), any case. */
int gw_config_check_dns_name(const char *name, size_t len, struct err *err) SMT_MUST_USE;

/* gw_config_check_site_name_text accepts a DNS name or "*.<name of two labels or more>" (RFC 6125 §6.4.3:
 * the wildcard is the whole left-most label). */
int gw_config_check_site_name_text(const char *name, struct err *err) SMT_MUST_USE;

/* gw_config_check_host_field accepts a Host field value: a host name or IP literal (IPv6 in brackets),
 * with an optional ":port". */
int gw_config_check_host_field(const char *host, struct err *err) SMT_MUST_USE;

/* gw_config_check_request_path accepts a request target for a health check: '/' first, visible ASCII,
 * no '#', at most GW_CONFIG_PATH_MAX characters. */
int gw_config_check_request_path(const char *path, struct err *err) SMT_MUST_USE;

/* gw_config_check_cookie_name accepts an RFC 6265 cookie name (a token) of 1..GW_CONFIG_COOKIE_NAME_MAX
 * characters. */
int gw_config_check_cookie_name(const char *name, struct err *err) SMT_MUST_USE;

/* gw_config_expect_parse reads a health check's expected status, "200" or "200-399" (100..599, low to
 * high), into *min and *max. */
int gw_config_expect_parse(int64_t *min, int64_t *max, const char *expect, struct err *err) SMT_MUST_USE;

/* gw_config_rules_check applies the rules that span list items (unique listener addresses and site names,
 * one default site, a certificate for every site an https listener serves, a site's origin or upstream
 * servers: one of them, distinct servers of one scheme, a primary among them) to a config that loaded. Each
 * problem is appended to errors as "name:line: path: message", the lines found in text (the file just
 * loaded); returns SMT_ECONFIG when there was one, SMT_ENOMEM. */
int gw_config_rules_check(const struct gw_config *config, const char *name, const char *text, size_t len,
                          struct config_errors *errors) SMT_MUST_USE;


#endif
