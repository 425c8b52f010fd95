/* src/ca/config_internal.h: what the files of ca/config share: the schema (config_schema.c), the rules
 * across issuing CAs (config_rules.c) and the loading and normalisation (config.c). Not an API: other
 * modules use ca/config.h. */
#ifndef SMT_CA_CONFIG_INTERNAL_H
#define SMT_CA_CONFIG_INTERNAL_H

#include <stddef.h>

#include "base/config.h"
#include "ca/config.h"

/* An issuing CA's name is a file stem and a URL path segment: 1..CA_CONFIG_NAME_MAX of [a-z0-9-]. */
#define CA_CONFIG_NAME_MAX 47

/* The name of the API's client CA (cas/admin.*), which ca.yaml cannot use for an issuing CA. */
#define CA_CONFIG_ADMIN_NAME "admin"

/* The root of the schema, for struct ca_config. */
extern const struct config_section_schema ca_config_schema;

/* ca_config_load_string is ca_config_load on len bytes of text named name in messages, with relative
 * paths resolved against dir (made absolute against the working folder). */
int ca_config_load_string(struct ca_config *out, const char *name, const char *text, size_t len, const char *dir,
                          struct config_errors *errors) SMT_MUST_USE;

/* ca_config_check_dns_name refuses (SMT_ECONFIG) a name that is not a DNS host name of letters, digits
 * and '-' in dot-separated labels (RFC 1123 §2.1). */
int ca_config_check_dns_name(const char *name, struct err *err) SMT_MUST_USE;

/* ca_config_rules_check applies the rules across issuing CAs (unique names, one CA per ACME kind, an
 * issuing CA no longer valid than its root) to a config that loaded, appending "name:line: path: message"
 * to errors with lines found in text; returns SMT_ECONFIG when there was a problem. */
int ca_config_rules_check(const struct ca_config *config, const char *name, const char *text, size_t len,
                          struct config_errors *errors) SMT_MUST_USE;

#endif
