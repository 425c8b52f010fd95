/* src/gateway/config_schema.c: the keys of gateway.yaml (tables for base/config.h), their defaults, and
 * the checks of one value or one section. Rules across list items are in config_rules.c; every key is
 * documented for users in examples/gateway.yaml. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "gateway/balancer.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"
#include "http/parser.h"

#define GW_NUM(keys) (sizeof(keys) / sizeof((keys)[0]))
#define GW_SECOND    1000LL
#define GW_DAY       (24 * 3600 * GW_SECOND)

/* --- checks of one value --- */

/* "auto" or 1..256 worker threads. */
static int gw_check_workers(const void *value, struct err *err)
{
        const char *text = *(char *const *)value;
        size_t len = strlen(text);
        long workers = 0;
        if (strcmp(text, "auto") == 0)
                return SMT_OK;
        if (len > 0 && len <= 3 && strspn(text, "0123456789") == len && text[0] != '0')
                workers = strtol(text, NULL, 10);
        if (workers < 1 || workers > 256)
                return SMT_ERR(err, SMT_ECONFIG, "expected \"auto\" or an integer 1..256, got \"%.60s\"", text);
        return SMT_OK;
}

static int gw_check_listen(const void *value, struct err *err)
{
        struct net_address address;
        return gw_config_listen_address(&address, *(char *const *)value, err);
}

static int gw_check_site_name(const void *value, struct err *err)
{
        return gw_config_check_site_name_text(*(char *const *)value, err);
}

/* A site's name goes unquoted into access log lines and into metric labels: visible ASCII, no quote. */
static int gw_check_display_name(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        size_t len = strlen(name);
        if (len == 0 || len > 128)
                return SMT_ERR(err, SMT_ECONFIG, "expected a name of 1..128 characters, got %zu", len);
        for (size_t i = 0; i < len; i++)
                if (name[i] <= ' ' || name[i] > '~' || name[i] == '"' || name[i] == '\\')
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.60s\": a site name is written into log lines and metric labels: use "
                                       "visible ASCII without spaces, '\"' or '\\'",
                                       name);
        return SMT_OK;
}

static int gw_check_origin(const void *value, struct err *err)
{
        bool is_https;
        struct net_address address;
        return gw_config_origin_parse(&is_https, &address, *(char *const *)value, err);
}

static int gw_check_pin(const void *value, struct err *err)
{
        uint8_t pin[32];
        return gw_config_pin_parse(pin, *(char *const *)value, err);
}

/* The name sent as SNI and checked in the origin's certificate: a DNS name or an IP literal. */
static int gw_check_server_name(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        if (net_address_is_ip_literal(name))
                return SMT_OK;
        return gw_config_check_dns_name(name, strlen(name), err);
}

static int gw_check_host_field(const void *value, struct err *err)
{
        return gw_config_check_host_field(*(char *const *)value, err);
}

static int gw_check_request_path(const void *value, struct err *err)
{
        return gw_config_check_request_path(*(char *const *)value, err);
}

static int gw_check_cookie_name(const void *value, struct err *err)
{
        return gw_config_check_cookie_name(*(char *const *)value, err);
}

static int gw_check_expect(const void *value, struct err *err)
{
        int64_t min, max;
        return gw_config_expect_parse(&min, &max, *(char *const *)value, err);
}

static int gw_check_not_empty(const void *value, struct err *err)
{
        if (**(char *const *)value == '\0')
                return SMT_ERR(err, SMT_ECONFIG, "expected a value, got \"\"");
        return SMT_OK;
}

/* --- checks of one section, after its keys parsed --- */

static int gw_check_listener(const void *value, struct err *err)
{
        const struct gw_listener_config *listener = value;
        if ((listener->kind == GW_LISTENER_HTTPS || listener->kind == GW_LISTENER_TCP) && !listener->tlcp && !listener->tls)
                return SMT_ERR(err, SMT_ECONFIG, "an %s listener needs tlcp or tls (both are off)",
                               listener->kind == GW_LISTENER_TCP ? "tcp" : "https");
        return SMT_OK;
}

/* Names the keys of a group of files that are missing while others of the group are set. */
static int gw_check_complete(const char *what, const char *const *names, char *const *values, size_t num,
                             struct err *err)
{
        char missing[128] = "";
        size_t num_set = 0, used = 0;
        for (size_t i = 0; i < num; i++) {
                if (values[i] != NULL)
                        num_set++;
                else if (used < sizeof missing)
                        used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%s", used > 0 ? ", " : "",
                                                 names[i]);
        }
        if (num_set > 0 && num_set < num)
                return SMT_ERR(err, SMT_ECONFIG, "incomplete %s: missing %s", what, missing);
        return SMT_OK;
}

/* GB/T 38636 §6.4.5.3: a TLCP server has two certificates, each with its key. */
static int gw_check_sm2(const void *value, struct err *err)
{
        const struct gw_sm2_config *sm2 = value;
        static const char *const names[] = {"sign_cert", "sign_key", "enc_cert", "enc_key"};
        char *const values[] = {sm2->sign_cert, sm2->sign_key, sm2->enc_cert, sm2->enc_key};
        TRY(gw_check_complete("SM2 pair", names, values, GW_NUM(names), err));
        if (sm2->chain != NULL && sm2->sign_cert == NULL)
                return SMT_ERR(err, SMT_ECONFIG,
                               "chain without a pair: missing sign_cert, sign_key, enc_cert, enc_key");
        return SMT_OK;
}

static int gw_check_cert(const void *value, struct err *err)
{
        const struct gw_cert_config *cert = value;
        static const char *const names[] = {"cert", "key"};
        char *const values[] = {cert->cert, cert->key};
        return gw_check_complete("certificate", names, values, GW_NUM(names), err);
}

static int gw_check_origin_tls(const void *value, struct err *err)
{
        const struct gw_origin_tls_config *tls = value;
        if (tls->verify == GW_ORIGIN_VERIFY_PIN && tls->pins.num == 0)
                return SMT_ERR(err, SMT_ECONFIG, "verify: pin needs pins (the SHA-256 of the origin's certificate)");
        if (tls->verify != GW_ORIGIN_VERIFY_PIN && tls->pins.num > 0)
                return SMT_ERR(err, SMT_ECONFIG, "pins are used only with verify: pin");
        if (tls->verify != GW_ORIGIN_VERIFY_ON && tls->ca_file != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "ca_file is used only with verify: on");
        return SMT_OK;
}

static int gw_check_hsts(const void *value, struct err *err)
{
        const struct gw_hsts_config *hsts = value;
        if (hsts->max_age_ms % GW_SECOND != 0)
                return SMT_ERR(err, SMT_ECONFIG, "max_age must be whole seconds (RFC 6797 §6.1.1), got %lldms",
                               (long long)hsts->max_age_ms);
        /* The preload list takes a site only with both (https://hstspreload.org, "Submission Requirements"). */
        if (hsts->preload && (!hsts->include_subdomains || hsts->max_age_ms < 365 * GW_DAY))
                return SMT_ERR(err, SMT_ECONFIG,
                               "preload needs include_subdomains: true and a max_age of 365d or more");
        return SMT_OK;
}

static int gw_check_limits(const void *value, struct err *err)
{
        const struct gw_limits_config *limits = value;
        /* http/parser.h: a head must hold an empty line and the request line with its CRLF. */
        if (limits->max_head_size < limits->max_request_line + 4)
                return SMT_ERR(err, SMT_ECONFIG, "max_head_size %lld is below max_request_line %lld + 4",
                               (long long)limits->max_head_size, (long long)limits->max_request_line);
        return SMT_OK;
}

/* A duration as a user writes one: whole seconds as "3s", else "1500ms". */
static void gw_duration_text(char out[32], int64_t ms)
{
        if (ms % GW_SECOND == 0)
                snprintf(out, 32, "%llds", (long long)(ms / GW_SECOND));
        else
                snprintf(out, 32, "%lldms", (long long)ms);
}

static int gw_check_health_check(const void *value, struct err *err)
{
        const struct gw_config_health_check_file *file = value;
        const struct gw_health_check_config *check = &file->check;
        char timeout[32], interval[32];
        /* A check still running when the next is due would leave the target's state a check behind. */
        if (check->timeout_ms > check->interval_ms) {
                gw_duration_text(timeout, check->timeout_ms);
                gw_duration_text(interval, check->interval_ms);
                return SMT_ERR(err, SMT_ECONFIG, "timeout %s exceeds interval %s: a check must end within its interval",
                               timeout, interval);
        }
        return SMT_OK;
}

static int gw_check_upstream(const void *value, struct err *err)
{
        const struct gw_config_upstream_file *file = value;
        if (file->upstream.persistence == GW_PERSIST_COOKIE && file->upstream.balance == GW_UPSTREAM_IP_HASH)
                return SMT_ERR(err, SMT_ECONFIG,
                               "persistence: cookie with balance: ip_hash pins a client two ways; use ip_hash alone "
                               "(or persistence: source_ip), or the cookie with another balance");
        return SMT_OK;
}

static int gw_check_site(const void *value, struct err *err)
{
        const struct gw_config_site_file *file = value;
        const struct gw_site_config *site = &file->site;
        if (site->names.num == 0 && !site->is_default)
                return SMT_ERR(err, SMT_ECONFIG, "a site needs names (only the default site may have none)");
        /* Both at once is reported by config_rules.c, at the line of origin. */
        if (site->origin == NULL && file->upstream.upstream.servers.num == 0)
                return SMT_ERR(err, SMT_ECONFIG, "needs origin or upstream.servers (where requests are forwarded to)");
        if (site->certificates == GW_CERTIFICATES_AUTO &&
            (site->sm2.sign_cert != NULL || site->ecc.cert != NULL || site->rsa.cert != NULL))
                return SMT_ERR(err, SMT_ECONFIG, "certificates: auto obtains them: leave out sm2, ecc and rsa");
        if (site->certificates == GW_CERTIFICATES_AUTO && site->names.num == 0)
                return SMT_ERR(err, SMT_ECONFIG, "certificates: auto needs names (the names certified)");
        return SMT_OK;
}

/* --- the tables: one row per key, aligned as a table --- */

/* clang-format off */

#define GW_SECTION(keys_, type_, check_)                                                           \
        { .keys = (keys_), .num_keys = GW_NUM(keys_), .struct_size = sizeof(type_), .check = (check_) }

static const struct config_enum_name gw_protocol_names[] = {
        { "https", GW_LISTENER_HTTPS }, { "http", GW_LISTENER_HTTP }, { "redirect", GW_LISTENER_REDIRECT },
        { "tcp", GW_LISTENER_TCP }, { "passthrough", GW_LISTENER_PASSTHROUGH }, { NULL, 0 },
};

static const struct config_enum_name gw_verify_names[] = {
        { "off", GW_ORIGIN_VERIFY_OFF }, { "on", GW_ORIGIN_VERIFY_ON }, { "pin", GW_ORIGIN_VERIFY_PIN }, { NULL, 0 },
};

static const struct config_enum_name gw_certificates_names[] = {
        { "files", GW_CERTIFICATES_FILES }, { "auto", GW_CERTIFICATES_AUTO }, { NULL, 0 },
};

static const struct config_enum_name gw_level_names[] = {
        { "error", LOG_LEVEL_ERROR }, { "warn", LOG_LEVEL_WARNING }, { "warning", LOG_LEVEL_WARNING },
        { "info", LOG_LEVEL_INFO },   { "debug", LOG_LEVEL_DEBUG },  { NULL, 0 },
};

#define GW_LISTENER(field) offsetof(struct gw_listener_config, field)
static const struct config_key gw_listener_keys[] = {
    /* key              type           destination                      other */
    { "listen",         CONFIG_STRING, GW_LISTENER(listen),             .is_required = true, .check = gw_check_listen },
    { "protocol",       CONFIG_ENUM,   GW_LISTENER(kind),               .default_text = "https", .names = gw_protocol_names },
    { "tlcp",           CONFIG_BOOL,   GW_LISTENER(tlcp),               .default_text = "true" },
    { "tls",            CONFIG_BOOL,   GW_LISTENER(tls),                .default_text = "true" },
    { "redirect_port",  CONFIG_INT,    GW_LISTENER(redirect_port),      .default_text = "443", .min = 1, .max = 65535 },
    { "backlog",        CONFIG_INT,    GW_LISTENER(backlog),            .default_text = "511", .min = 1, .max = 65535 },
};
static const struct config_section_schema gw_listener_schema =
        GW_SECTION(gw_listener_keys, struct gw_listener_config, gw_check_listener);

#define GW_SM2(field) offsetof(struct gw_sm2_config, field)
static const struct config_key gw_sm2_keys[] = {
    { "sign_cert",      CONFIG_STRING, GW_SM2(sign_cert),               .check = gw_check_not_empty },
    { "sign_key",       CONFIG_STRING, GW_SM2(sign_key),                .check = gw_check_not_empty },
    { "enc_cert",       CONFIG_STRING, GW_SM2(enc_cert),                .check = gw_check_not_empty },
    { "enc_key",        CONFIG_STRING, GW_SM2(enc_key),                 .check = gw_check_not_empty },
    { "chain",          CONFIG_STRING, GW_SM2(chain),                   .check = gw_check_not_empty },
};
static const struct config_section_schema gw_sm2_schema = GW_SECTION(gw_sm2_keys, struct gw_sm2_config, gw_check_sm2);

#define GW_CERT(field) offsetof(struct gw_cert_config, field)
static const struct config_key gw_cert_keys[] = {
    { "cert",           CONFIG_STRING, GW_CERT(cert),                   .check = gw_check_not_empty },
    { "key",            CONFIG_STRING, GW_CERT(key),                    .check = gw_check_not_empty },
};
static const struct config_section_schema gw_cert_schema = GW_SECTION(gw_cert_keys, struct gw_cert_config, gw_check_cert);

#define GW_ORIGIN_TLS(field) offsetof(struct gw_origin_tls_config, field)
static const struct config_key gw_origin_tls_keys[] = {
    { "verify",         CONFIG_ENUM,   GW_ORIGIN_TLS(verify),           .default_text = "on", .names = gw_verify_names },
    { "ca_file",        CONFIG_STRING, GW_ORIGIN_TLS(ca_file),          .check = gw_check_not_empty },
    { "pins",           CONFIG_STRING_LIST, GW_ORIGIN_TLS(pins),        .check = gw_check_pin },
    { "server_name",    CONFIG_STRING, GW_ORIGIN_TLS(server_name),      .check = gw_check_server_name },
};
static const struct config_section_schema gw_origin_tls_schema =
        GW_SECTION(gw_origin_tls_keys, struct gw_origin_tls_config, gw_check_origin_tls);

#define GW_HSTS(field) offsetof(struct gw_hsts_config, field)
static const struct config_key gw_hsts_keys[] = {
    { "enabled",        CONFIG_BOOL,   GW_HSTS(enabled),                .default_text = "false" },
    { "max_age",        CONFIG_DURATION, GW_HSTS(max_age_ms),           .default_text = "365d", .min = 0, .max = 3650 * GW_DAY },
    { "include_subdomains", CONFIG_BOOL, GW_HSTS(include_subdomains),   .default_text = "false" },
    { "preload",        CONFIG_BOOL,   GW_HSTS(preload),                .default_text = "false" },
};
static const struct config_section_schema gw_hsts_schema = GW_SECTION(gw_hsts_keys, struct gw_hsts_config, gw_check_hsts);

static const struct config_enum_name gw_balance_names[] = {
        { "round_robin", GW_UPSTREAM_ROUND_ROBIN }, { "weighted", GW_UPSTREAM_WEIGHTED },
        { "least_connections", GW_UPSTREAM_LEAST_CONNECTIONS }, { "response_time", GW_UPSTREAM_RESPONSE_TIME },
        { "ip_hash", GW_UPSTREAM_IP_HASH }, { NULL, 0 },
};

static const struct config_enum_name gw_persistence_names[] = {
        { "none", GW_PERSIST_NONE }, { "cookie", GW_PERSIST_COOKIE }, { "source_ip", GW_PERSIST_SOURCE_IP }, { NULL, 0 },
};

static const struct config_enum_name gw_check_kind_names[] = {
        { "none", GW_CHECK_NONE }, { "http", GW_CHECK_HTTP }, { "tcp", GW_CHECK_TCP }, { NULL, 0 },
};

#define GW_SERVER(field) offsetof(struct gw_upstream_server_config, field)
static const struct config_key gw_server_keys[] = {
    { "server",         CONFIG_STRING, GW_SERVER(url),                  .is_required = true, .check = gw_check_origin },
    { "weight",         CONFIG_INT,    GW_SERVER(weight),               .default_text = "1", .min = 1, .max = GW_BALANCER_WEIGHT_MAX },
    { "backup",         CONFIG_BOOL,   GW_SERVER(is_backup),            .default_text = "false" },
    { "max_fails",      CONFIG_INT,    GW_SERVER(max_fails),            .default_text = "3", .min = 0, .max = 1000 },
    { "fail_timeout",   CONFIG_DURATION, GW_SERVER(fail_timeout_ms),    .default_text = "10s", .min = 1, .max = GW_BALANCER_TIME_MAX_MS },
    { "slow_start",     CONFIG_DURATION, GW_SERVER(slow_start_ms),      .default_text = "0", .min = 0, .max = GW_BALANCER_TIME_MAX_MS },
};
static const struct config_section_schema gw_server_schema = GW_SECTION(gw_server_keys, struct gw_upstream_server_config, NULL);

#define GW_HEALTH(field) offsetof(struct gw_config_health_check_file, field)
static const struct config_key gw_health_check_keys[] = {
    { "kind",           CONFIG_ENUM,   GW_HEALTH(check.kind),           .default_text = "none", .names = gw_check_kind_names },
    { "path",           CONFIG_STRING, GW_HEALTH(check.path),           .default_text = "/", .check = gw_check_request_path },
    { "host",           CONFIG_STRING, GW_HEALTH(check.host),           .check = gw_check_host_field },
    { "expect",         CONFIG_STRING, GW_HEALTH(expect),               .default_text = "200-399", .check = gw_check_expect },
    { "interval",       CONFIG_DURATION, GW_HEALTH(check.interval_ms),  .default_text = "5s", .min = 100, .max = 3600 * GW_SECOND },
    { "timeout",        CONFIG_DURATION, GW_HEALTH(check.timeout_ms),   .default_text = "2s", .min = 1, .max = 3600 * GW_SECOND },
    { "rise",           CONFIG_INT,    GW_HEALTH(check.rise),           .default_text = "2", .min = 1, .max = 100 },
    { "fall",           CONFIG_INT,    GW_HEALTH(check.fall),           .default_text = "3", .min = 1, .max = 100 },
};
static const struct config_section_schema gw_health_check_schema =
        GW_SECTION(gw_health_check_keys, struct gw_config_health_check_file, gw_check_health_check);

#define GW_UPSTREAM(field) offsetof(struct gw_config_upstream_file, field)
static const struct config_key gw_upstream_keys[] = {
    { "servers",        CONFIG_SECTION_LIST, GW_UPSTREAM(upstream.servers), .section = &gw_server_schema },
    { "balance",        CONFIG_ENUM,   GW_UPSTREAM(upstream.balance),   .default_text = "weighted", .names = gw_balance_names },
    { "persistence",    CONFIG_ENUM,   GW_UPSTREAM(upstream.persistence), .default_text = "none", .names = gw_persistence_names },
    { "cookie_name",    CONFIG_STRING, GW_UPSTREAM(upstream.cookie_name), .default_text = "smtrust_server", .check = gw_check_cookie_name },
    { "retries",        CONFIG_INT,    GW_UPSTREAM(upstream.retries),   .default_text = "1", .min = 0, .max = 10 },
    { "health_check",   CONFIG_SECTION, GW_UPSTREAM(health_check),      .section = &gw_health_check_schema },
};
static const struct config_section_schema gw_upstream_schema =
        GW_SECTION(gw_upstream_keys, struct gw_config_upstream_file, gw_check_upstream);

#define GW_SITE(field) offsetof(struct gw_config_site_file, site.field)
static const struct config_key gw_site_keys[] = {
    { "name",           CONFIG_STRING, GW_SITE(name),                   .check = gw_check_display_name },
    { "names",          CONFIG_STRING_LIST, GW_SITE(names),             .check = gw_check_site_name },
    { "default",        CONFIG_BOOL,   GW_SITE(is_default),             .default_text = "false" },
    { "sm2",            CONFIG_SECTION, GW_SITE(sm2),                   .section = &gw_sm2_schema },
    { "ecc",            CONFIG_SECTION, GW_SITE(ecc),                   .section = &gw_cert_schema },
    { "rsa",            CONFIG_SECTION, GW_SITE(rsa),                   .section = &gw_cert_schema },
    { "origin",         CONFIG_STRING, GW_SITE(origin),                 .check = gw_check_origin },
    { "upstream",       CONFIG_SECTION, offsetof(struct gw_config_site_file, upstream), .section = &gw_upstream_schema },
    { "origin_tls",     CONFIG_SECTION, GW_SITE(origin_tls),            .section = &gw_origin_tls_schema },
    { "hsts",           CONFIG_SECTION, GW_SITE(hsts),                  .section = &gw_hsts_schema },
    { "forwarded_headers", CONFIG_BOOL, GW_SITE(forwarded_headers),     .default_text = "true" },
    { "certificates",   CONFIG_ENUM,   GW_SITE(certificates),           .default_text = "files", .names = gw_certificates_names },
    { "ocsp_stapling",  CONFIG_BOOL,   GW_SITE(ocsp_stapling),          .default_text = "true" },
};
const struct config_section_schema gw_config_site_file_schema =
        GW_SECTION(gw_site_keys, struct gw_config_site_file, gw_check_site);

#define GW_TIMEOUT(key, field, default_, max_)                                                     \
        { key, CONFIG_DURATION, offsetof(struct gw_timeouts_config, field), .default_text = default_, \
          .min = 1, .max = (max_) }
static const struct config_key gw_timeouts_keys[] = {
    GW_TIMEOUT("handshake",      handshake_ms,      "10s", 600 * GW_SECOND),
    GW_TIMEOUT("header",         header_ms,         "30s", 600 * GW_SECOND),
    GW_TIMEOUT("idle",           idle_ms,           "60s", GW_DAY),
    GW_TIMEOUT("client_body",    client_body_ms,    "60s", GW_DAY),
    GW_TIMEOUT("origin_connect", origin_connect_ms, "5s",  600 * GW_SECOND),
    GW_TIMEOUT("origin_read",    origin_read_ms,    "60s", GW_DAY),
    GW_TIMEOUT("origin_idle",    origin_idle_ms,    "30s", GW_DAY),
    GW_TIMEOUT("websocket_idle", websocket_idle_ms, "1h",  7 * GW_DAY),
    /* 0: stop at once, dropping connections in flight */
    { "shutdown", CONFIG_DURATION, offsetof(struct gw_timeouts_config, shutdown_ms), .default_text = "30s",
      .min = 0, .max = 3600 * GW_SECOND },
};
static const struct config_section_schema gw_timeouts_schema = GW_SECTION(gw_timeouts_keys, struct gw_timeouts_config, NULL);

#define GW_LIMIT(field) offsetof(struct gw_limits_config, field)
static const struct config_key gw_limits_keys[] = {
    { "max_connections",  CONFIG_INT,  GW_LIMIT(max_connections),       .default_text = "10000", .min = 1, .max = 10000000 },
    { "max_head_size",    CONFIG_SIZE, GW_LIMIT(max_head_size),         .default_text = "32k", .min = 1024, .max = 1 << 20 },
    { "max_request_line", CONFIG_SIZE, GW_LIMIT(max_request_line),      .default_text = "8k", .min = 256, .max = 1 << 20 },
    { "max_header_fields", CONFIG_INT, GW_LIMIT(max_header_fields),     .default_text = "100", .min = 1, .max = HTTP_FIELDS_MAX },
    { "max_body_size",    CONFIG_SIZE, GW_LIMIT(max_body_size),         .default_text = "0", .min = 0, .max = 1LL << 40 },
    { "max_keepalive_requests", CONFIG_INT, GW_LIMIT(max_keepalive_requests), .default_text = "10000", .min = 1, .max = 1000000000 },
    { "origin_pool_size", CONFIG_INT,  GW_LIMIT(origin_pool_size),      .default_text = "32", .min = 0, .max = 10000 },
};
static const struct config_section_schema gw_limits_schema = GW_SECTION(gw_limits_keys, struct gw_limits_config, gw_check_limits);

#define GW_LOG(field) offsetof(struct gw_log_config, field)
static const struct config_key gw_log_keys[] = {
    { "access",         CONFIG_STRING, GW_LOG(access),                  .default_text = "-", .check = gw_check_not_empty },
    { "error",          CONFIG_STRING, GW_LOG(error),                   .default_text = "-", .check = gw_check_not_empty },
    { "level",          CONFIG_ENUM,   GW_LOG(level),                   .default_text = "info", .names = gw_level_names },
};
static const struct config_section_schema gw_log_schema = GW_SECTION(gw_log_keys, struct gw_log_config, NULL);

static const struct config_key gw_admin_keys[] = {
    { "listen",         CONFIG_STRING, offsetof(struct gw_admin_config, listen), .check = gw_check_listen },
};
static const struct config_section_schema gw_admin_schema = GW_SECTION(gw_admin_keys, struct gw_admin_config, NULL);

#define GW_ROOT(field) offsetof(struct gw_config_file, config.field)
static const struct config_key gw_root_keys[] = {
    { "workers",        CONFIG_STRING, offsetof(struct gw_config_file, workers), .default_text = "auto", .check = gw_check_workers },
    { "user",           CONFIG_STRING, GW_ROOT(user),                   .check = gw_check_not_empty },
    { "group",          CONFIG_STRING, GW_ROOT(group),                  .check = gw_check_not_empty },
    { "log",            CONFIG_SECTION, GW_ROOT(log),                   .section = &gw_log_schema },
    { "admin",          CONFIG_SECTION, GW_ROOT(admin),                 .section = &gw_admin_schema },
    { "acme",           CONFIG_SECTION, GW_ROOT(acme),                  .section = &gw_config_acme_schema },
    { "timeouts",       CONFIG_SECTION, GW_ROOT(timeouts),              .section = &gw_timeouts_schema },
    { "limits",         CONFIG_SECTION, GW_ROOT(limits),                .section = &gw_limits_schema },
    { "listeners",      CONFIG_SECTION_LIST, GW_ROOT(listeners),        .is_required = true, .section = &gw_listener_schema },
    { "sites",          CONFIG_SECTION_LIST, offsetof(struct gw_config_file, sites), .section = &gw_config_site_file_schema },
    { "ocsp_stapling_refresh", CONFIG_DURATION, GW_ROOT(ocsp_stapling_refresh_ms), .default_text = "1h", .min = GW_SECOND, .max = GW_DAY },
};
const struct config_section_schema gw_config_file_schema = GW_SECTION(gw_root_keys, struct gw_config_file, NULL);
/* clang-format on */
