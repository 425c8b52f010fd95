/* src/gateway/config_internal.h: what the files of gateway/config share: the schema (config_schema.c), the
 * value syntax checks (config_values.c), the rules across keys and list items (config_rules.c) and the
 * normalisation after a load (config.c). Not an API: other modules use gateway/config.h. */
#ifndef SMT_GATEWAY_CONFIG_INTERNAL_H
#define SMT_GATEWAY_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "gateway/config.h"

/* A DNS name is at most 253 characters (RFC 1035 §2.3.4), a label at most 63. */
#define GW_CONFIG_NAME_MAX  253
#define GW_CONFIG_LABEL_MAX 63

/* What the schema fills: the public struct, and the text of keys whose value is read in two steps
 * ("workers: auto" becomes config.workers = 0 after the load). */
struct gw_config_file {
        struct gw_config config;
        char *workers;
};

/* The root of the schema, for struct gw_config_file. */
extern const struct config_section_schema gw_config_file_schema;

/* gw_config_check_dns_name refuses (SMT_ECONFIG, saying why) a name that is not a DNS host name of
 * letters, digits and '-' in dot-separated labels (RFC 1123 §2.1), any case. */
int gw_config_check_dns_name(const char *name, size_t len, struct err *err) SMT_MUST_USE;

/* gw_config_check_site_name_text accepts a DNS name or "*.<name of two labels or more>" (RFC 6125 §6.4.3:
 * the wildcard is the whole left-most label). */
int gw_config_check_site_name_text(const char *name, struct err *err) SMT_MUST_USE;

/* gw_config_rules_check applies the rules that span list items (unique listener addresses and site names,
 * one default site, a certificate for every site an https listener serves) to a config that loaded. Each
 * problem is appended to errors as "name:line: path: message", the lines found in text (the file just
 * loaded); returns SMT_ECONFIG when there was one, SMT_ENOMEM. */
int gw_config_rules_check(const struct gw_config *config, const char *name, const char *text, size_t len,
                          struct config_errors *errors) SMT_MUST_USE;

/* gw_config_errors_add appends one message (printf-style, whole: "name:line: path: ...") at line, as
 * base/config does: kept up to CONFIG_ERRORS_MAX, counted beyond; control characters shown as '?'. */
void gw_config_errors_add(struct config_errors *errors, size_t line, const char *fmt, ...) SMT_PRINTF(3, 4);

/* gw_config_errors_sort orders the messages by line, keeping the order of messages on one line. */
void gw_config_errors_sort(struct config_errors *errors);

#endif
