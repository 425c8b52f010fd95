/* tests/unit/base/test_config_schema.h: a small gateway-shaped schema for the config loader's tests and
 * its fuzz target (tests/fuzz/fuzz_config.c): listeners, sites with server names and upstreams, timeouts,
 * a boolean, an enum and a size. Not the gateway's real keys. */
#ifndef SMT_TESTS_CONFIG_SCHEMA_H
#define SMT_TESTS_CONFIG_SCHEMA_H

#include <stddef.h>
#include <string.h>

#include "base/config.h"

enum test_lb {
        TEST_LB_ROUND_ROBIN = 1,
        TEST_LB_LEAST_CONN,
        TEST_LB_IP_HASH,
};

struct test_listener {
        char *address;
        int64_t port;
        bool has_proxy_protocol;
};

struct test_upstream {
        char *url;
        int64_t weight;
};

struct test_timeouts {
        int64_t header_ms;
        int64_t idle_ms;
        int64_t connect_ms;
};

struct test_site {
        struct config_strings server_names;
        struct config_strings tls_certs;
        struct config_list upstreams; /* struct test_upstream */
        int load_balancing;           /* enum test_lb */
        bool has_hsts;
        int64_t max_body;
};

struct test_config {
        struct config_list listeners; /* struct test_listener */
        struct config_list sites;     /* struct test_site */
        struct test_timeouts timeouts;
        int64_t workers;
        int64_t buffer_size;
        bool is_daemon;
};

/* An origin must be reached over HTTP or HTTPS. */
static inline int test_check_url(const void *value, struct err *err)
{
        const char *url = *(char *const *)value;
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.60s\" is not an http:// or https:// URL", url);
        return 0;
}

/* A server name: letters, digits, '-', '.', and '*' (wildcards); not empty. */
static inline int test_check_server_name(const void *value, struct err *err)
{
        const char *name = *(char *const *)value;
        if (name[0] == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.*") != strlen(name))
                return SMT_ERR(err, SMT_ECONFIG, "\"%.60s\" is not a host name", name);
        return 0;
}

/* A rule across keys: HSTS promises HTTPS, so the site needs a certificate. */
static inline int test_check_site(const void *value, struct err *err)
{
        const struct test_site *site = value;
        if (site->has_hsts && site->tls_certs.num == 0)
                return SMT_ERR(err, SMT_ECONFIG, "hsts needs tls_certs");
        return 0;
}

static const struct config_enum_name test_lb_names[] = {
        { "round_robin", TEST_LB_ROUND_ROBIN },
        { "least_conn", TEST_LB_LEAST_CONN },
        { "ip_hash", TEST_LB_IP_HASH },
        { NULL, 0 },
};

static const struct config_key test_listener_keys[] = {
        { .name = "address", .type = CONFIG_STRING, .offset = offsetof(struct test_listener, address),
          .is_required = true },
        { .name = "port", .type = CONFIG_INT, .offset = offsetof(struct test_listener, port), .is_required = true,
          .min = 1, .max = 65535 },
        { .name = "proxy_protocol", .type = CONFIG_BOOL, .offset = offsetof(struct test_listener, has_proxy_protocol),
          .default_text = "off" },
};

static const struct config_section_schema test_listener_schema = {
        .keys = test_listener_keys,
        .num_keys = sizeof test_listener_keys / sizeof test_listener_keys[0],
        .struct_size = sizeof(struct test_listener),
};

static const struct config_key test_upstream_keys[] = {
        { .name = "url", .type = CONFIG_STRING, .offset = offsetof(struct test_upstream, url), .is_required = true,
          .check = test_check_url },
        { .name = "weight", .type = CONFIG_INT, .offset = offsetof(struct test_upstream, weight), .min = 1,
          .max = 1000, .default_text = "1" },
};

static const struct config_section_schema test_upstream_schema = {
        .keys = test_upstream_keys,
        .num_keys = sizeof test_upstream_keys / sizeof test_upstream_keys[0],
        .struct_size = sizeof(struct test_upstream),
};

static const struct config_key test_site_keys[] = {
        { .name = "server_names", .type = CONFIG_STRING_LIST, .offset = offsetof(struct test_site, server_names),
          .is_required = true, .check = test_check_server_name },
        { .name = "tls_certs", .type = CONFIG_STRING_LIST, .offset = offsetof(struct test_site, tls_certs) },
        { .name = "upstreams", .type = CONFIG_SECTION_LIST, .offset = offsetof(struct test_site, upstreams),
          .is_required = true, .section = &test_upstream_schema },
        { .name = "load_balancing", .type = CONFIG_ENUM, .offset = offsetof(struct test_site, load_balancing),
          .names = test_lb_names, .default_text = "round_robin" },
        { .name = "hsts", .type = CONFIG_BOOL, .offset = offsetof(struct test_site, has_hsts), .default_text = "no" },
        { .name = "max_body", .type = CONFIG_SIZE, .offset = offsetof(struct test_site, max_body), .min = 0,
          .max = (int64_t)1 << 30, .default_text = "1m" },
};

static const struct config_section_schema test_site_schema = {
        .keys = test_site_keys,
        .num_keys = sizeof test_site_keys / sizeof test_site_keys[0],
        .struct_size = sizeof(struct test_site),
        .check = test_check_site,
};

static const struct config_key test_timeouts_keys[] = {
        { .name = "header", .type = CONFIG_DURATION, .offset = offsetof(struct test_timeouts, header_ms),
          .default_text = "10s" },
        { .name = "idle", .type = CONFIG_DURATION, .offset = offsetof(struct test_timeouts, idle_ms), .min = 1000,
          .max = 3600 * 1000, .default_text = "1m" },
        { .name = "connect", .type = CONFIG_DURATION, .offset = offsetof(struct test_timeouts, connect_ms),
          .default_text = "5s" },
};

static const struct config_section_schema test_timeouts_schema = {
        .keys = test_timeouts_keys,
        .num_keys = sizeof test_timeouts_keys / sizeof test_timeouts_keys[0],
        .struct_size = sizeof(struct test_timeouts),
};

static const struct config_key test_root_keys[] = {
        { .name = "listeners", .type = CONFIG_SECTION_LIST, .offset = offsetof(struct test_config, listeners),
          .is_required = true, .section = &test_listener_schema },
        { .name = "sites", .type = CONFIG_SECTION_LIST, .offset = offsetof(struct test_config, sites),
          .is_required = true, .section = &test_site_schema },
        { .name = "timeouts", .type = CONFIG_SECTION, .offset = offsetof(struct test_config, timeouts),
          .section = &test_timeouts_schema },
        { .name = "workers", .type = CONFIG_INT, .offset = offsetof(struct test_config, workers), .min = 1,
          .max = 1024, .default_text = "4" },
        { .name = "buffer_size", .type = CONFIG_SIZE, .offset = offsetof(struct test_config, buffer_size),
          .min = 1024, .max = 16 << 20, .default_text = "16k" },
        { .name = "daemon", .type = CONFIG_BOOL, .offset = offsetof(struct test_config, is_daemon),
          .default_text = "false" },
};

static const struct config_section_schema test_config_schema = {
        .keys = test_root_keys,
        .num_keys = sizeof test_root_keys / sizeof test_root_keys[0],
        .struct_size = sizeof(struct test_config),
};

#endif
