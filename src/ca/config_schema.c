/* src/ca/config_schema.c: the keys of ca.yaml (tables for base/config.h), their defaults, and the checks of
 * one value or one section. Rules across issuing CAs are in config_rules.c; every key is documented for
 * users in examples/ca.yaml. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ca/config.h"
#include "ca/config_internal.h"
#include "crypto/key.h"
#include "net/address.h"

#define CA_NUM(keys) (sizeof(keys) / sizeof((keys)[0]))
#define CA_SECOND    1000LL
#define CA_HOUR      (3600 * CA_SECOND)
#define CA_DAY       (24 * CA_HOUR)
/* GmSSL refuses certificates valid longer than 3653 days (../shared/tlcp-wire.md); cert_issue allows a
 * root 30 years. */
#define CA_ISSUING_MAX (3653 * CA_DAY)
#define CA_ROOT_MAX    (10957 * CA_DAY)

/* --- checks of one value --- */

static int ca_check_not_empty(const void *value, struct err *err)
{
        if (**(char *const *)value == '\0')
                return SMT_ERR(err, SMT_ECONFIG, "expected a value, got \"\"");
        return SMT_OK;
}

/* X.520 countryName: two letters of ISO 3166-1 (RFC 5280 appendix A, PrintableString SIZE(2)). */
static int ca_check_country(const void *value, struct err *err)
{
        const char *text = *(char *const *)value;
        if (strlen(text) != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z')
                return SMT_ERR(err, SMT_ECONFIG,
                               "expected a two-letter country code in capitals (\"CN\"), got \"%.60s\"", text);
        return SMT_OK;
}

/* "host:port", or ":port" for every address. */
static int ca_check_listen(const void *value, struct err *err)
{
        const char *text = *(char *const *)value;
        struct net_address address;
        uint16_t port;
        if (text[0] == ':' ? net_address_port_parse(&port, text + 1, err) < 0
                           : net_address_parse(&address, text, 0, err) < 0)
                return SMT_ERR(err, SMT_ECONFIG, "expected \"host:port\" to listen on, got \"%.60s\"",
                               *(char *const *)value);
        return SMT_OK;
}

/* A DNS server: "host" (port 53) or "host:port". */
static int ca_check_resolver(const void *value, struct err *err)
{
        struct net_address address;
        if (net_address_parse(&address, *(char *const *)value, 53, err) < 0)
                return SMT_ERR(err, SMT_ECONFIG, "expected a DNS server as \"host:port\", got \"%.60s\"",
                               *(char *const *)value);
        return SMT_OK;
}

static int ca_check_url(const void *value, struct err *err)
{
        const char *url = *(char *const *)value;
        size_t scheme = strncmp(url, "https://", 8) == 0 ? 8 : (strncmp(url, "http://", 7) == 0 ? 7 : 0);
        if (scheme == 0 || url[scheme] == '\0' || url[scheme] == '/')
                return SMT_ERR(err, SMT_ECONFIG, "expected a URL starting with http:// or https://, got \"%.60s\"",
                               url);
        for (const char *c = url; *c != '\0'; c++)
                if (*c <= ' ' || *c > '~')
                        return SMT_ERR(err, SMT_ECONFIG, "a URL is visible ASCII without spaces, got \"%.60s\"", url);
        return SMT_OK;
}

int ca_config_check_dns_name(const char *name, struct err *err)
{
        size_t len = strlen(name), label = 0;
        if (len == 0 || len > 253)
                return SMT_ERR(err, SMT_ECONFIG, "expected a DNS name of 1..253 characters, got %zu", len);
        for (size_t i = 0; i <= len; i++) {
                char c = name[i];
                if (c == '.' || c == '\0') {
                        if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-')
                                return SMT_ERR(err, SMT_ECONFIG,
                                               "\"%.60s\" is not a DNS name (labels of 1..63 letters, digits, '-', "
                                               "not starting or ending with '-')",
                                               name);
                        label = 0;
                        continue;
                }
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok)
                        return SMT_ERR(err, SMT_ECONFIG, "\"%.60s\" is not a DNS name ('%c' is not allowed)", name, c);
                label++;
        }
        return SMT_OK;
}

static int ca_check_dns_name(const void *value, struct err *err)
{
        return ca_config_check_dns_name(*(char *const *)value, err);
}

static int ca_check_server_name(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        if (net_address_is_ip_literal(name))
                return SMT_OK;
        return ca_config_check_dns_name(name, err);
}

static int ca_check_ca_name(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        size_t len = strlen(name);
        if (len == 0 || len > CA_CONFIG_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
            name[0] == '-')
                return SMT_ERR(err, SMT_ECONFIG,
                               "expected a name of 1..%d lowercase letters, digits and '-' (a file name and a URL "
                               "part), got \"%.60s\"",
                               CA_CONFIG_NAME_MAX, name);
        if (strcmp(name, CA_CONFIG_ADMIN_NAME) == 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"admin\" is the CA API's own client CA; choose another name");
        return SMT_OK;
}

static int ca_check_algorithm(const void *value, struct err *err)
{
        enum key_alg alg;
        if (key_alg_parse(*(char *const *)value, &alg) < 0)
                return SMT_ERR(err, SMT_ECONFIG,
                               "expected one of \"sm2\", \"ec-p256\", \"ec-p384\", \"rsa-2048\", \"rsa-3072\", got "
                               "\"%.60s\"",
                               *(char *const *)value);
        return SMT_OK;
}

/* --- checks of one section, after its keys parsed --- */

static int ca_check_sm2_root(const void *value, struct err *err)
{
        const struct ca_root_config *root = value;
        if (strcmp(root->algorithm, "sm2") != 0)
                return SMT_ERR(err, SMT_ECONFIG, "algorithm: the SM2 root's key is \"sm2\", got \"%.60s\"",
                               root->algorithm);
        return SMT_OK;
}

static int ca_check_ecc_root(const void *value, struct err *err)
{
        const struct ca_root_config *root = value;
        const char *a = root->algorithm;
        if (strcmp(a, "ec-p256") != 0 && strcmp(a, "ec-p384") != 0 && strcmp(a, "rsa-3072") != 0)
                return SMT_ERR(err, SMT_ECONFIG,
                               "algorithm: the ECC root's key is \"ec-p256\", \"ec-p384\" or \"rsa-3072\", got "
                               "\"%.60s\"",
                               a);
        return SMT_OK;
}

static int ca_check_issuing(const void *value, struct err *err)
{
        const struct ca_issuing_config *ca = value;
        if (ca->algorithm == NULL)
                return SMT_OK; /* the kind's default, set after the load */
        bool is_sm2 = strcmp(ca->algorithm, "sm2") == 0;
        if (is_sm2 != ca_kind_is_sm2(ca->kind))
                return SMT_ERR(err, SMT_ECONFIG, "algorithm: a %s CA has %s, got \"%s\"", ca_kind_name(ca->kind),
                               ca_kind_is_sm2(ca->kind)
                                   ? "an \"sm2\" key"
                                   : "an \"ec-p256\", \"ec-p384\", \"rsa-2048\" or \"rsa-3072\" key",
                               ca->algorithm);
        return SMT_OK;
}

static void ca_duration_text(char out[32], int64_t ms)
{
        if (ms % CA_DAY == 0)
                snprintf(out, 32, "%lldd", (long long)(ms / CA_DAY));
        else if (ms % CA_HOUR == 0)
                snprintf(out, 32, "%lldh", (long long)(ms / CA_HOUR));
        else
                snprintf(out, 32, "%llds", (long long)(ms / CA_SECOND));
}

static int ca_check_certificates(const void *value, struct err *err)
{
        const struct ca_certificates_config *c = value;
        char low[32], high[32];
        if (c->min_validity > c->default_validity) {
                ca_duration_text(low, c->min_validity);
                ca_duration_text(high, c->default_validity);
                return SMT_ERR(err, SMT_ECONFIG, "min_validity %s exceeds default_validity %s", low, high);
        }
        if (c->default_validity > c->max_validity) {
                ca_duration_text(low, c->default_validity);
                ca_duration_text(high, c->max_validity);
                return SMT_ERR(err, SMT_ECONFIG, "default_validity %s exceeds max_validity %s", low, high);
        }
        return SMT_OK;
}

/* A CRL must be replaced before its nextUpdate passes, or relying parties see no valid CRL at all
 * (RFC 5280 5.1.2.5): the next regeneration has to come before the validity ends. */
static int ca_check_revocation(const void *value, struct err *err)
{
        const struct ca_revocation_config *r = value;
        char low[32], high[32];
        if (r->crl_interval >= r->crl_validity) {
                ca_duration_text(low, r->crl_interval);
                ca_duration_text(high, r->crl_validity);
                return SMT_ERR(err, SMT_ECONFIG, "crl_interval %s is not shorter than crl_validity %s", low, high);
        }
        /* A response must never outlive the certificate that signed it: RFC 6960 4.2.2.2 makes the responder
         * certificate's validity part of checking every response. */
        if (r->ocsp_validity * 2 > r->ocsp_responder_validity) {
                ca_duration_text(low, r->ocsp_validity);
                ca_duration_text(high, r->ocsp_responder_validity);
                return SMT_ERR(err, SMT_ECONFIG,
                               "ocsp_validity %s is more than half of ocsp_responder_validity %s (a response "
                               "must end before the responder certificate that signed it)",
                               low, high);
        }
        return SMT_OK;
}

/* An OBJECT IDENTIFIER in dotted form (X.660): a first arc 0..2, at least two arcs, decimal without
 * leading zeros. */
static int ca_check_oid(const void *value, struct err *err)
{
        const char *oid = *(char *const *)value;
        size_t arcs = 0;
        for (const char *c = oid; *c != '\0'; arcs++) {
                size_t digits = strspn(c, "0123456789");
                bool bad = digits == 0 || digits > 39 || (digits > 1 && c[0] == '0') ||
                           (arcs == 0 && (digits > 1 || c[0] > '2')) || (c[digits] != '.' && c[digits] != '\0') ||
                           (c[digits] == '.' && c[digits + 1] == '\0');
                if (bad)
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "expected an OID such as 1.2.156.10197.1 (first arc 0, 1 or 2), got \"%.60s\"", oid);
                c += digits + (c[digits] == '.');
        }
        if (arcs < 2)
                return SMT_ERR(err, SMT_ECONFIG, "expected an OID of at least two arcs, got \"%.60s\"", oid);
        return SMT_OK;
}

/* --- the tables: one row per key, aligned as a table --- */

/* clang-format off */

#define CA_SECTION(keys_, type_, check_)                                                           \
        { .keys = (keys_), .num_keys = CA_NUM(keys_), .struct_size = sizeof(type_), .check = (check_) }

static const struct config_enum_name ca_kind_names[] = {
        { "ssl-sm2-dv", CA_KIND_SSL_SM2_DV }, { "ssl-sm2-ov", CA_KIND_SSL_SM2_OV }, { "ssl-ecc-dv", CA_KIND_SSL_ECC_DV },
        { "email-sm2", CA_KIND_EMAIL_SM2 }, { "email-ecc", CA_KIND_EMAIL_ECC }, { "code-sm2", CA_KIND_CODE_SM2 },
        { "code-ecc", CA_KIND_CODE_ECC }, { "document-sm2", CA_KIND_DOCUMENT_SM2 },
        { "document-ecc", CA_KIND_DOCUMENT_ECC }, { "iot-sm2", CA_KIND_IOT_SM2 }, { "iot-ecc", CA_KIND_IOT_ECC },
        { NULL, 0 }, /* not "admin": that CA is always made, never listed */
};

#define CA_ROOT(field) offsetof(struct ca_root_config, field)
static const struct config_key ca_sm2_root_keys[] = {
    /* key              type             destination           other */
    { "common_name",    CONFIG_STRING,   CA_ROOT(common_name), .check = ca_check_not_empty },
    { "algorithm",      CONFIG_STRING,   CA_ROOT(algorithm),   .default_text = "sm2", .check = ca_check_algorithm },
    /* GmSSL refuses any certificate of a chain valid longer than 3653 days, the trusted root included. */
    { "validity",       CONFIG_DURATION, CA_ROOT(validity),    .default_text = "3653d", .min = CA_DAY, .max = CA_ISSUING_MAX },
};
static const struct config_section_schema ca_sm2_root_schema =
        CA_SECTION(ca_sm2_root_keys, struct ca_root_config, ca_check_sm2_root);

static const struct config_key ca_ecc_root_keys[] = {
    { "common_name",    CONFIG_STRING,   CA_ROOT(common_name), .check = ca_check_not_empty },
    { "algorithm",      CONFIG_STRING,   CA_ROOT(algorithm),   .default_text = "ec-p384", .check = ca_check_algorithm },
    { "validity",       CONFIG_DURATION, CA_ROOT(validity),    .default_text = "7305d", .min = CA_DAY, .max = CA_ROOT_MAX },
};
static const struct config_section_schema ca_ecc_root_schema =
        CA_SECTION(ca_ecc_root_keys, struct ca_root_config, ca_check_ecc_root);

#define CA_ISSUING(field) offsetof(struct ca_issuing_config, field)
static const struct config_key ca_issuing_keys[] = {
    { "name",           CONFIG_STRING,   CA_ISSUING(name),        .is_required = true, .check = ca_check_ca_name },
    { "kind",           CONFIG_ENUM,     CA_ISSUING(kind),        .is_required = true, .names = ca_kind_names },
    { "common_name",    CONFIG_STRING,   CA_ISSUING(common_name), .is_required = true, .check = ca_check_not_empty },
    { "algorithm",      CONFIG_STRING,   CA_ISSUING(algorithm),   .check = ca_check_algorithm },
    { "validity",       CONFIG_DURATION, CA_ISSUING(validity),    .default_text = "3652d", .min = CA_DAY, .max = CA_ISSUING_MAX },
    { "permitted_dns",  CONFIG_STRING_LIST, CA_ISSUING(permitted_dns), .check = ca_check_dns_name },
    { "excluded_dns",   CONFIG_STRING_LIST, CA_ISSUING(excluded_dns),  .check = ca_check_dns_name },
};
static const struct config_section_schema ca_issuing_schema =
        CA_SECTION(ca_issuing_keys, struct ca_issuing_config, ca_check_issuing);

#define CA_CERTS(field) offsetof(struct ca_certificates_config, field)
static const struct config_key ca_certificates_keys[] = {
    { "default_validity", CONFIG_DURATION, CA_CERTS(default_validity), .default_text = "90d", .min = 60 * CA_SECOND, .max = CA_ISSUING_MAX },
    { "min_validity",   CONFIG_DURATION, CA_CERTS(min_validity),  .default_text = "1h", .min = 60 * CA_SECOND, .max = CA_ISSUING_MAX },
    { "max_validity",   CONFIG_DURATION, CA_CERTS(max_validity),  .default_text = "398d", .min = 60 * CA_SECOND, .max = CA_ISSUING_MAX },
};
static const struct config_section_schema ca_certificates_schema =
        CA_SECTION(ca_certificates_keys, struct ca_certificates_config, ca_check_certificates);

#define CA_CHALLENGE(field) offsetof(struct ca_challenge_settings, field)
static const struct config_key ca_challenge_keys[] = {
    { "resolver",       CONFIG_STRING,   CA_CHALLENGE(resolver),  .check = ca_check_resolver },
    { "http_port",      CONFIG_INT,      CA_CHALLENGE(http_port), .default_text = "80", .min = 1, .max = 65535 },
    { "tls_alpn_port",  CONFIG_INT,      CA_CHALLENGE(tls_alpn_port), .default_text = "443", .min = 1, .max = 65535 },
    { "timeout",        CONFIG_DURATION, CA_CHALLENGE(timeout),   .default_text = "10s", .min = 100, .max = 300 * CA_SECOND },
    { "workers",        CONFIG_INT,      CA_CHALLENGE(workers),   .default_text = "4", .min = 1, .max = 256 },
};
static const struct config_section_schema ca_challenge_schema =
        CA_SECTION(ca_challenge_keys, struct ca_challenge_settings, NULL);

static const struct config_key ca_eab_keys[] = {
    { "required",       CONFIG_BOOL,     offsetof(struct ca_eab_settings, required), .default_text = "false" },
};
static const struct config_section_schema ca_eab_schema = CA_SECTION(ca_eab_keys, struct ca_eab_settings, NULL);

static const struct config_key ca_rate_keys[] = {
    { "orders_per_hour", CONFIG_INT, offsetof(struct ca_rate_limits, orders_per_hour), .default_text = "300", .min = 1, .max = 100000000 },
    { "accounts_per_hour", CONFIG_INT, offsetof(struct ca_rate_limits, accounts_per_hour), .default_text = "50", .min = 1, .max = 100000000 },
};
static const struct config_section_schema ca_rate_schema = CA_SECTION(ca_rate_keys, struct ca_rate_limits, NULL);

#define CA_ACME(field) offsetof(struct ca_acme_config, field)
static const struct config_key ca_acme_keys[] = {
    { "enabled",        CONFIG_BOOL,     CA_ACME(enabled),        .default_text = "true" },
    { "order_lifetime", CONFIG_DURATION, CA_ACME(order_lifetime), .default_text = "7d", .min = 60 * CA_SECOND, .max = 90 * CA_DAY },
    { "authz_lifetime", CONFIG_DURATION, CA_ACME(authz_lifetime), .default_text = "30d", .min = 60 * CA_SECOND, .max = 398 * CA_DAY },
    { "nonce_lifetime", CONFIG_DURATION, CA_ACME(nonce_lifetime), .default_text = "1h", .min = CA_SECOND, .max = CA_DAY },
    { "challenges",     CONFIG_SECTION,  CA_ACME(challenges),     .section = &ca_challenge_schema },
    { "external_account_binding", CONFIG_SECTION, CA_ACME(external_account_binding), .section = &ca_eab_schema },
    { "rate_limits",    CONFIG_SECTION,  CA_ACME(rate_limits),    .section = &ca_rate_schema },
    { "terms_of_service", CONFIG_STRING, CA_ACME(terms_of_service), .check = ca_check_url },
    { "website",        CONFIG_STRING,   CA_ACME(website),        .check = ca_check_url },
    { "caa_identities", CONFIG_STRING_LIST, CA_ACME(caa_identities), .check = ca_check_dns_name },
};
static const struct config_section_schema ca_acme_schema = CA_SECTION(ca_acme_keys, struct ca_acme_config, NULL);

#define CA_REVOCATION(field) offsetof(struct ca_revocation_config, field)
static const struct config_key ca_revocation_keys[] = {
    { "crl_interval",   CONFIG_DURATION, CA_REVOCATION(crl_interval), .default_text = "1h", .min = CA_SECOND, .max = 7 * CA_DAY },
    { "crl_validity",   CONFIG_DURATION, CA_REVOCATION(crl_validity), .default_text = "24h", .min = 2 * CA_SECOND, .max = 30 * CA_DAY },
    { "ocsp_validity",  CONFIG_DURATION, CA_REVOCATION(ocsp_validity), .default_text = "24h", .min = 2 * CA_SECOND, .max = 7 * CA_DAY },
    { "ocsp_responder_validity", CONFIG_DURATION, CA_REVOCATION(ocsp_responder_validity), .default_text = "30d", .min = 60 * CA_SECOND, .max = 398 * CA_DAY },
};
static const struct config_section_schema ca_revocation_schema =
        CA_SECTION(ca_revocation_keys, struct ca_revocation_config, ca_check_revocation);

/* The default TSAPolicyId: an OID under the UUID arc (ITU-T X.667, 2.25.<UUID as an integer>), which
 * needs no registration and belongs to no one else; operators with their own arc set theirs. */
#define CA_TSA(field) offsetof(struct ca_tsa_config, field)
static const struct config_key ca_tsa_keys[] = {
    { "enabled",        CONFIG_BOOL,     CA_TSA(enabled),         .default_text = "true" },
    { "sm2_ca",         CONFIG_STRING,   CA_TSA(sm2_ca),          .check = ca_check_ca_name },
    { "ecc_ca",         CONFIG_STRING,   CA_TSA(ecc_ca),          .check = ca_check_ca_name },
    { "policy",         CONFIG_STRING,   CA_TSA(policy),          .default_text = "2.25.221790257517122638238211225828340011145", .check = ca_check_oid },
    { "accuracy",       CONFIG_DURATION, CA_TSA(accuracy),        .default_text = "1s", .min = 1, .max = 60 * CA_SECOND },
    { "certificate_validity", CONFIG_DURATION, CA_TSA(certificate_validity), .default_text = "1096d", .min = CA_DAY, .max = CA_ISSUING_MAX },
};
static const struct config_section_schema ca_tsa_schema = CA_SECTION(ca_tsa_keys, struct ca_tsa_config, NULL);

#define CA_FIELD(field) offsetof(struct ca_config, field)
static const struct config_key ca_root_keys[] = {
    { "organization",   CONFIG_STRING,   CA_FIELD(organization),  .is_required = true, .check = ca_check_not_empty },
    { "country",        CONFIG_STRING,   CA_FIELD(country),       .default_text = "CN", .check = ca_check_country },
    { "state_dir",      CONFIG_STRING,   CA_FIELD(state_dir),     .is_required = true, .check = ca_check_not_empty },
    { "store",          CONFIG_STRING,   CA_FIELD(store),         .check = ca_check_not_empty },
    { "listen",         CONFIG_STRING,   CA_FIELD(listen),        .is_required = true, .check = ca_check_listen },
    { "http_listen",    CONFIG_STRING,   CA_FIELD(http_listen),   .check = ca_check_listen },
    { "base_url",       CONFIG_STRING,   CA_FIELD(base_url),      .is_required = true, .check = ca_check_url },
    { "public_url",     CONFIG_STRING,   CA_FIELD(public_url),    .check = ca_check_url },
    { "server_names",   CONFIG_STRING_LIST, CA_FIELD(server_names), .check = ca_check_server_name },
    { "threads",        CONFIG_INT,      CA_FIELD(threads),       .default_text = "32", .min = 1, .max = 1024 },
    { "http_threads",   CONFIG_INT,      CA_FIELD(http_threads),  .default_text = "64", .min = 1, .max = 4096 },
    { "store_pool",     CONFIG_INT,      CA_FIELD(store_pool),    .min = 1, .max = 1024 },
    { "sm2_root",       CONFIG_SECTION,  CA_FIELD(sm2_root),      .section = &ca_sm2_root_schema },
    { "ecc_root",       CONFIG_SECTION,  CA_FIELD(ecc_root),      .section = &ca_ecc_root_schema },
    { "issuing_cas",    CONFIG_SECTION_LIST, CA_FIELD(issuing_cas), .section = &ca_issuing_schema },
    { "certificates",   CONFIG_SECTION,  CA_FIELD(certificates),  .section = &ca_certificates_schema },
    { "acme",           CONFIG_SECTION,  CA_FIELD(acme),          .section = &ca_acme_schema },
    { "revocation",     CONFIG_SECTION,  CA_FIELD(revocation),    .section = &ca_revocation_schema },
    { "tsa",            CONFIG_SECTION,  CA_FIELD(tsa),           .section = &ca_tsa_schema },
};
const struct config_section_schema ca_config_schema = CA_SECTION(ca_root_keys, struct ca_config, NULL);
/* clang-format on */
