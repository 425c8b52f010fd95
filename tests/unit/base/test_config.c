/* tests/unit/base/test_config.c: the config loader fills a gateway-shaped schema (test_config_schema.h)
 * with the values written, units converted and defaults applied; loads from files; a failed load leaves
 * the caller's struct as it was and nothing allocated behind (ASan build). Error messages, one class at
 * a time: test_config_errors.c. */
#include "base/config.h"
#include "base/file.h"
#include "check.h"
#include "test_config_schema.h"

#include <stdio.h>

/* About 50 KiB: static rather than on the stack. */
static struct config_errors errors;

/* Seven lines: the smallest valid file. */
#define MINIMAL                                                                                    \
        "listeners:\n"                                                                             \
        "  - address: 0.0.0.0\n"                                                                   \
        "    port: 443\n"                                                                          \
        "sites:\n"                                                                                 \
        "  - server_names: shop.example\n"                                                         \
        "    upstreams:\n"                                                                         \
        "      - url: http://127.0.0.1:8080\n"

static int load(struct test_config *config, const char *yaml)
{
        memset(config, 0, sizeof *config);
        return config_load_string(config, &test_config_schema, "gw.yaml", yaml, strlen(yaml), &errors);
}

static void check_loaded(int status, int line)
{
        if (status != 0)
                check_fail(__FILE__, line, "load failed (%s), first problem: %s", err_name(status),
                           errors.num > 0 ? errors.list[0].text : "(none listed)");
        if (errors.num != 0 || errors.num_more != 0)
                check_fail(__FILE__, line, "loaded, yet %zu problems listed", errors.num);
}

#define CHECK_LOADED(status) check_loaded((status), __LINE__)

static const struct test_site *site_at(const struct test_config *config, size_t i)
{
        const struct test_site *sites = config->sites.items;
        return &sites[i];
}

static const struct test_upstream *upstream_at(const struct test_site *site, size_t i)
{
        const struct test_upstream *upstreams = site->upstreams.items;
        return &upstreams[i];
}

static void test_valid_file_fills_every_type(void)
{
        static const char yaml[] = "# gateway-shaped example\n"
                                   "workers: 8\n"
                                   "daemon: yes\n"
                                   "buffer_size: 64k\n"
                                   "timeouts:\n"
                                   "  header: 250ms\n"
                                   "  idle: 1m30s\n"
                                   "listeners:\n"
                                   "  - address: 0.0.0.0\n"
                                   "    port: 443\n"
                                   "    proxy_protocol: on\n"
                                   "  - address: \"::\"\n"
                                   "    port: 8443\n"
                                   "sites:\n"
                                   "  - server_names: [shop.example, www.shop.example]\n"
                                   "    tls_certs: /etc/smtrust/shop.pem\n"
                                   "    load_balancing: least_conn\n"
                                   "    hsts: true\n"
                                   "    max_body: 512m\n"
                                   "    upstreams:\n"
                                   "      - url: http://10.0.0.1:8080\n"
                                   "        weight: 5\n"
                                   "      - url: https://10.0.0.2\n"
                                   "  - server_names: \"*.example.org\"\n"
                                   "    upstreams:\n"
                                   "      - url: http://127.0.0.1:9000\n";
        struct test_config config;
        CHECK_LOADED(load(&config, yaml));
        CHECK_EQ(config.workers, 8);
        CHECK(config.is_daemon);
        CHECK_EQ(config.buffer_size, 64 * 1024);
        CHECK_EQ(config.timeouts.header_ms, 250);
        CHECK_EQ(config.timeouts.idle_ms, 90 * 1000);
        CHECK_EQ(config.timeouts.connect_ms, 5 * 1000); /* default "5s" */

        CHECK_EQ(config.listeners.num, 2);
        const struct test_listener *listeners = config.listeners.items;
        CHECK_STR(listeners[0].address, "0.0.0.0");
        CHECK_EQ(listeners[0].port, 443);
        CHECK(listeners[0].has_proxy_protocol);
        CHECK_STR(listeners[1].address, "::");
        CHECK_EQ(listeners[1].port, 8443);
        CHECK(!listeners[1].has_proxy_protocol); /* default "off" */

        CHECK_EQ(config.sites.num, 2);
        const struct test_site *shop = site_at(&config, 0);
        CHECK_EQ(shop->server_names.num, 2);
        CHECK_STR(shop->server_names.items[0], "shop.example");
        CHECK_STR(shop->server_names.items[1], "www.shop.example");
        CHECK_EQ(shop->tls_certs.num, 1); /* one scalar is a list of one */
        CHECK_STR(shop->tls_certs.items[0], "/etc/smtrust/shop.pem");
        CHECK_EQ(shop->load_balancing, TEST_LB_LEAST_CONN);
        CHECK(shop->has_hsts);
        CHECK_EQ(shop->max_body, 512 << 20);
        CHECK_EQ(shop->upstreams.num, 2);
        CHECK_STR(upstream_at(shop, 0)->url, "http://10.0.0.1:8080");
        CHECK_EQ(upstream_at(shop, 0)->weight, 5);
        CHECK_STR(upstream_at(shop, 1)->url, "https://10.0.0.2");
        CHECK_EQ(upstream_at(shop, 1)->weight, 1); /* default */

        const struct test_site *org = site_at(&config, 1);
        CHECK_EQ(org->server_names.num, 1);
        CHECK_STR(org->server_names.items[0], "*.example.org");
        CHECK_EQ(org->tls_certs.num, 0);
        CHECK(org->tls_certs.items == NULL);
        CHECK_EQ(org->load_balancing, TEST_LB_ROUND_ROBIN); /* default */
        CHECK(!org->has_hsts);
        CHECK_EQ(org->max_body, 1 << 20);
        CHECK_EQ(org->upstreams.num, 1);
        CHECK_EQ(upstream_at(org, 0)->weight, 1);
        config_free(&config, &test_config_schema);
        CHECK(config.sites.items == NULL && config.listeners.items == NULL && config.workers == 0);
        config_free(&config, &test_config_schema); /* a freed config is zero: freeing again is harmless */
}

static void test_absent_keys_and_sections_take_defaults(void)
{
        struct test_config config;
        CHECK_LOADED(load(&config, MINIMAL));
        CHECK_EQ(config.workers, 4);
        CHECK_EQ(config.buffer_size, 16 * 1024);
        CHECK(!config.is_daemon);
        CHECK_EQ(config.timeouts.header_ms, 10 * 1000);
        CHECK_EQ(config.timeouts.idle_ms, 60 * 1000);
        CHECK_EQ(config.timeouts.connect_ms, 5 * 1000);
        config_free(&config, &test_config_schema);
}

/* Loads MINIMAL plus one root line, e.g. "timeouts: {header: 1h30m}", and returns the config. */
static void load_with(struct test_config *config, const char *extra, int line)
{
        char yaml[512];
        snprintf(yaml, sizeof yaml, "%s%s\n", MINIMAL, extra);
        check_loaded(load(config, yaml), line);
}

static void test_durations_in_every_unit(void)
{
        static const struct {
                const char *text;
                int64_t ms;
        } cases[] = {
                { "0", 0 },
                { "250ms", 250 },
                { "30s", 30 * 1000 },
                { "5m", 5 * 60 * 1000 },
                { "1h", 3600 * 1000 },
                { "2d", 2 * 86400 * 1000 },
                { "1h30m", 5400 * 1000 },
                { "1m1s500ms", 61500 },
                { "0s", 0 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char extra[64];
                snprintf(extra, sizeof extra, "timeouts: {header: %s}", cases[i].text);
                struct test_config config;
                load_with(&config, extra, __LINE__);
                CHECK_EQ(config.timeouts.header_ms, cases[i].ms);
                config_free(&config, &test_config_schema);
        }
}

static void test_sizes_in_every_unit(void)
{
        static const struct {
                const char *text;
                int64_t bytes;
        } cases[] = {
                { "1024", 1024 },   { "1k", 1024 },        { "1K", 1024 },        { "16kb", 16 * 1024 },
                { "1KiB", 1024 },   { "2m", 2 << 20 },     { "2MB", 2 << 20 },    { "16m", 16 << 20 },
                { "1024b", 1024 },  { "3MiB", 3 << 20 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char extra[64];
                snprintf(extra, sizeof extra, "buffer_size: %s", cases[i].text);
                struct test_config config;
                load_with(&config, extra, __LINE__);
                CHECK_EQ(config.buffer_size, cases[i].bytes);
                config_free(&config, &test_config_schema);
        }
        struct test_config config;
        load_with(&config, "    max_body: 1g", __LINE__); /* the site's own key, indented under sites[0] */
        CHECK_EQ(site_at(&config, 0)->max_body, (int64_t)1 << 30);
        config_free(&config, &test_config_schema);
        load_with(&config, "    max_body: 0", __LINE__);
        CHECK_EQ(site_at(&config, 0)->max_body, 0);
        config_free(&config, &test_config_schema);
}

static void test_booleans_and_integers(void)
{
        static const struct {
                const char *text;
                bool value;
        } bools[] = { { "true", true }, { "false", false }, { "yes", true }, { "no", false },
                      { "on", true },   { "off", false },   { "True", true }, { "OFF", false } };
        for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
                char extra[64];
                snprintf(extra, sizeof extra, "daemon: %s", bools[i].text);
                struct test_config config;
                load_with(&config, extra, __LINE__);
                CHECK_EQ(config.is_daemon, bools[i].value);
                config_free(&config, &test_config_schema);
        }
        struct test_config config;
        load_with(&config, "workers: 1024", __LINE__); /* bounds are inclusive */
        CHECK_EQ(config.workers, 1024);
        config_free(&config, &test_config_schema);
        load_with(&config, "workers: \"1\"", __LINE__); /* quoting does not change what a key reads */
        CHECK_EQ(config.workers, 1);
        config_free(&config, &test_config_schema);
}

static void test_strings_keep_utf8_and_quotes(void)
{
        struct test_config config;
        CHECK_LOADED(load(&config, "listeners:\n"
                                   "  - address: '[::1]'\n"
                                   "    port: 1\n"
                                   "sites:\n"
                                   "  - server_names: []\n"
                                   "    tls_certs: [\"/etc/证书/a.pem\", 'b: c.pem']\n"
                                   "    upstreams: []\n"));
        const struct test_listener *listener = config.listeners.items;
        CHECK_STR(listener->address, "[::1]");
        const struct test_site *site = site_at(&config, 0);
        CHECK_EQ(site->server_names.num, 0);
        CHECK_EQ(site->upstreams.num, 0);
        CHECK_EQ(site->tls_certs.num, 2);
        CHECK_STR(site->tls_certs.items[0], "/etc/证书/a.pem");
        CHECK_STR(site->tls_certs.items[1], "b: c.pem");
        config_free(&config, &test_config_schema);
}

static void test_load_file_and_unreadable_file(void)
{
        struct err err = { 0 };
        char path[300];
        snprintf(path, sizeof path, "%s/gateway.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)MINIMAL "workers: 2\n", strlen(MINIMAL "workers: 2\n"),
                                   0644, FILE_WRITE_REPLACE, &err),
                 &err);
        struct test_config config;
        memset(&config, 0, sizeof config);
        CHECK_LOADED(config_load_file(&config, &test_config_schema, path, &errors));
        CHECK_EQ(config.workers, 2);
        config_free(&config, &test_config_schema);

        /* the file name in messages is the path as given */
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"workers: two\n", 13, 0644, FILE_WRITE_REPLACE, &err), &err);
        CHECK_STATUS(config_load_file(&config, &test_config_schema, path, &errors), SMT_ECONFIG);
        char expected[400];
        snprintf(expected, sizeof expected, "%s:1: missing required key \"listeners\"", path);
        CHECK_STR(errors.list[0].text, expected);

        snprintf(path, sizeof path, "%s/missing.yaml", check_temp_dir());
        CHECK_STATUS(config_load_file(&config, &test_config_schema, path, &errors), SMT_EIO);
        CHECK_EQ(errors.num, 1);
        CHECK_EQ(errors.list[0].line, 0);
        snprintf(expected, sizeof expected, "%s: No such file or directory", path);
        CHECK_STR(errors.list[0].text, expected);

        CHECK_STATUS(config_load_file(&config, &test_config_schema, check_temp_dir(), &errors), SMT_EIO);
        snprintf(expected, sizeof expected, "%s: not a regular file", check_temp_dir());
        CHECK_STR(errors.list[0].text, expected);
}

/* A reload that fails must leave the running config exactly as it was (and leak nothing: ASan). */
static void test_failed_load_changes_nothing(void)
{
        struct test_config config;
        CHECK_LOADED(load(&config, MINIMAL "workers: 7\n"));
        struct test_config before = config;
        /* strings, lists and elements get allocated before the problems on the last lines */
        static const char bad[] = "listeners:\n"
                                  "  - address: 10.0.0.1\n"
                                  "    port: 80\n"
                                  "sites:\n"
                                  "  - server_names: [a.example, b.example]\n"
                                  "    tls_certs: x.pem\n"
                                  "    upstreams:\n"
                                  "      - url: http://10.0.0.2\n"
                                  "      - url: http://10.0.0.3\n"
                                  "workers: 9\n"
                                  "daemon: sometimes\n";
        CHECK_STATUS(config_load_string(&config, &test_config_schema, "gw.yaml", bad, strlen(bad), &errors),
                     SMT_ECONFIG);
        CHECK_EQ(errors.num, 1);
        CHECK_MEM(&config, &before, sizeof config);
        CHECK_EQ(config.workers, 7);
        CHECK_STR(((const struct test_listener *)config.listeners.items)->address, "0.0.0.0");

        /* the same for a syntax error, which stops before the walk */
        CHECK_STATUS(config_load_string(&config, &test_config_schema, "gw.yaml", "a: [", 4, &errors), SMT_ECONFIG);
        CHECK_MEM(&config, &before, sizeof config);
        config_free(&config, &test_config_schema);
}

/* 150 problems: the first 100 are kept in order, the rest counted. */
static void test_problems_beyond_the_cap_are_counted(void)
{
        static char yaml[8192];
        size_t used = (size_t)snprintf(yaml, sizeof yaml, "%s", MINIMAL);
        for (int i = 0; i < 150; i++)
                used += (size_t)snprintf(yaml + used, sizeof yaml - used, "unknown_%03d: 1\n", i);
        struct test_config config;
        CHECK_STATUS(load(&config, yaml), SMT_ECONFIG);
        CHECK_EQ(errors.num, CONFIG_ERRORS_MAX);
        CHECK_EQ(errors.num_more, 50);
        CHECK_STR(errors.list[0].text, "gw.yaml:8: unknown_000: unknown key");
        CHECK_STR(errors.list[99].text, "gw.yaml:107: unknown_099: unknown key");
        CHECK_EQ(errors.list[99].line, 107);
}

/* A clean load after a failed one starts from an empty list. */
static void test_errors_are_cleared_by_each_load(void)
{
        struct test_config config;
        CHECK_STATUS(load(&config, "workers: x\n"), SMT_ECONFIG);
        CHECK(errors.num > 0);
        CHECK_LOADED(load(&config, MINIMAL));
        config_free(&config, &test_config_schema);
}

CHECK_MAIN(CHECK_TEST(test_valid_file_fills_every_type), CHECK_TEST(test_absent_keys_and_sections_take_defaults),
           CHECK_TEST(test_durations_in_every_unit), CHECK_TEST(test_sizes_in_every_unit),
           CHECK_TEST(test_booleans_and_integers), CHECK_TEST(test_strings_keep_utf8_and_quotes),
           CHECK_TEST(test_load_file_and_unreadable_file), CHECK_TEST(test_failed_load_changes_nothing),
           CHECK_TEST(test_problems_beyond_the_cap_are_counted), CHECK_TEST(test_errors_are_cleared_by_each_load))
