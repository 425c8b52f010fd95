/* src/gateway/config_acme.c: the schema of the key "acme" (how sites with `certificates: auto` get their
 * certificates) and the defaults that depend on the rest of the file: the challenge types tried when
 * "challenges" is absent follow from the listeners and the DNS hook. */
#include <stddef.h>
#include <string.h>

#include "gateway/acme_client.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"

#define GW_ACME_SECOND 1000LL
#define GW_ACME_DAY    (24 * 3600 * GW_ACME_SECOND)

static const struct {
        const char *name;
        int type;
} gw_acme_challenge_names[] = {
        { "http-01", GW_ACME_HTTP01 },
        { "tls-alpn-01", GW_ACME_TLS_ALPN01 },
        { "dns-01", GW_ACME_DNS01 },
};

int gw_config_acme_challenge_type(const char *name)
{
        for (size_t i = 0; i < sizeof gw_acme_challenge_names / sizeof gw_acme_challenge_names[0]; i++)
                if (strcmp(name, gw_acme_challenge_names[i].name) == 0)
                        return gw_acme_challenge_names[i].type;
        return 0;
}

const char *gw_config_acme_challenge_name(int type)
{
        for (size_t i = 0; i < sizeof gw_acme_challenge_names / sizeof gw_acme_challenge_names[0]; i++)
                if (gw_acme_challenge_names[i].type == type)
                        return gw_acme_challenge_names[i].name;
        return "?";
}

static int gw_acme_check_challenge(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        if (gw_config_acme_challenge_type(name) == 0)
                return SMT_ERR(err, SMT_ECONFIG, "expected http-01, tls-alpn-01 or dns-01, got \"%s\"", name);
        return SMT_OK;
}

static int gw_acme_check_directory(const void *value, struct err *err)
{
        const char *url = *(char *const *)value;
        if (strncmp(url, "https://", 8) != 0 || url[8] == '\0')
                return SMT_ERR(err, SMT_ECONFIG, "expected an https:// URL (RFC 8555 6.1), got \"%s\"", url);
        if (strlen(url) >= GW_ACME_URL_MAX)
                return SMT_ERR(err, SMT_ECONFIG, "longer than %d characters", GW_ACME_URL_MAX - 1);
        return SMT_OK;
}

static int gw_acme_check_text(const void *value, struct err *err)
{
        const char *text = *(char *const *)value;
        if (text[0] == '\0')
                return SMT_ERR(err, SMT_ECONFIG, "must not be empty");
        for (const char *p = text; *p != '\0'; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                        return SMT_ERR(err, SMT_ECONFIG, "expected visible ASCII without spaces");
        return SMT_OK;
}

static int gw_acme_check_issuer(const void *value, struct err *err)
{
        const struct gw_acme_issuer_config *issuer = value;
        if ((issuer->eab_kid == NULL) != (issuer->eab_hmac_key == NULL))
                return SMT_ERR(err, SMT_ECONFIG, "eab_kid and eab_hmac_key go together (external account binding)");
        if (issuer->directory == NULL && (issuer->ca_file != NULL || issuer->eab_kid != NULL))
                return SMT_ERR(err, SMT_ECONFIG, "needs directory (the ACME server's directory URL)");
        return SMT_OK;
}

static int gw_acme_check(const void *value, struct err *err)
{
        const struct gw_acme_config *acme = value;
        if (acme->retry_min_ms > acme->retry_max_ms)
                return SMT_ERR(err, SMT_ECONFIG, "retry_min is longer than retry_max");
        return SMT_OK;
}

/* clang-format off */
static const struct config_enum_name gw_acme_key_type_names[] = {
        { "ec-p256", GW_ACME_KEY_EC_P256 }, { "ec-p384", GW_ACME_KEY_EC_P384 }, { "rsa-2048", GW_ACME_KEY_RSA_2048 },
        { NULL, 0 },
};

#define GW_ISSUER(field) offsetof(struct gw_acme_issuer_config, field)
static const struct config_key gw_acme_issuer_keys[] = {
    { "directory",      CONFIG_STRING, GW_ISSUER(directory),    .check = gw_acme_check_directory },
    { "ca_file",        CONFIG_STRING, GW_ISSUER(ca_file),      .check = gw_acme_check_text },
    { "key_type",       CONFIG_ENUM,   GW_ISSUER(key_type),     .default_text = "ec-p256", .names = gw_acme_key_type_names },
    { "eab_kid",        CONFIG_STRING, GW_ISSUER(eab_kid),      .check = gw_acme_check_text },
    { "eab_hmac_key",   CONFIG_STRING, GW_ISSUER(eab_hmac_key), .check = gw_acme_check_text },
};
static const struct config_section_schema gw_acme_issuer_schema = {
        .keys = gw_acme_issuer_keys, .num_keys = sizeof gw_acme_issuer_keys / sizeof gw_acme_issuer_keys[0],
        .struct_size = sizeof(struct gw_acme_issuer_config), .check = gw_acme_check_issuer,
};

#define GW_ACME(field) offsetof(struct gw_acme_config, field)
static const struct config_key gw_acme_keys[] = {
    { "ecc",            CONFIG_SECTION, GW_ACME(ecc),                 .section = &gw_acme_issuer_schema },
    { "sm2",            CONFIG_SECTION, GW_ACME(sm2),                 .section = &gw_acme_issuer_schema },
    { "email",          CONFIG_STRING_LIST, GW_ACME(email),           .check = gw_acme_check_text },
    { "state_dir",      CONFIG_STRING, GW_ACME(state_dir),            .default_text = "acme", .check = gw_acme_check_text },
    { "challenges",     CONFIG_STRING_LIST, GW_ACME(challenge_names), .check = gw_acme_check_challenge },
    { "dns_hook",       CONFIG_STRING, GW_ACME(dns_hook),             .check = gw_acme_check_text },
    { "renewal_window", CONFIG_INT,    GW_ACME(renewal_window_percent), .default_text = "33", .min = 5, .max = 95 },
    { "retry_min",      CONFIG_DURATION, GW_ACME(retry_min_ms),       .default_text = "1m", .min = 100, .max = GW_ACME_DAY },
    { "retry_max",      CONFIG_DURATION, GW_ACME(retry_max_ms),       .default_text = "6h", .min = 100, .max = 7 * GW_ACME_DAY },
    { "order_timeout",  CONFIG_DURATION, GW_ACME(order_timeout_ms),   .default_text = "5m", .min = GW_ACME_SECOND, .max = GW_ACME_DAY },
    { "concurrency",    CONFIG_INT,    GW_ACME(concurrency),          .default_text = "4", .min = 1, .max = 64 },
};
const struct config_section_schema gw_config_acme_schema = {
        .keys = gw_acme_keys, .num_keys = sizeof gw_acme_keys / sizeof gw_acme_keys[0],
        .struct_size = sizeof(struct gw_acme_config), .check = gw_acme_check,
};
/* clang-format on */

/* gw_config_acme_normalise reads the challenge names into types, or picks the defaults: http-01 when a
 * redirect or http listener exists, tls-alpn-01 when an https or tcp listener takes TLS, dns-01 with a hook. */
void gw_config_acme_normalise(struct gw_config *config)
{
        struct gw_acme_config *acme = &config->acme;
        acme->num_challenges = 0;
        for (size_t i = 0; i < acme->challenge_names.num && acme->num_challenges < GW_ACME_CHALLENGES_MAX; i++) {
                int type = gw_config_acme_challenge_type(acme->challenge_names.items[i]);
                bool seen = false;
                for (size_t j = 0; j < acme->num_challenges; j++)
                        seen = seen || acme->challenges[j] == type;
                if (!seen)
                        acme->challenges[acme->num_challenges++] = type;
        }
        if (acme->challenge_names.num > 0)
                return;
        bool plain = false, tls = false;
        const struct gw_listener_config *listeners = config->listeners.items;
        for (size_t i = 0; i < config->listeners.num; i++) {
                plain = plain || listeners[i].kind == GW_LISTENER_REDIRECT || listeners[i].kind == GW_LISTENER_HTTP;
                tls = tls || ((listeners[i].kind == GW_LISTENER_HTTPS || listeners[i].kind == GW_LISTENER_TCP) &&
                              listeners[i].tls);
        }
        if (plain)
                acme->challenges[acme->num_challenges++] = GW_ACME_HTTP01;
        if (tls)
                acme->challenges[acme->num_challenges++] = GW_ACME_TLS_ALPN01;
        if (acme->dns_hook != NULL)
                acme->challenges[acme->num_challenges++] = GW_ACME_DNS01;
}
