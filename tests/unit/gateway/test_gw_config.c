/* tests/unit/gateway/test_gw_config.c: gateway.yaml loading: defaults, values of every type, normalisation
 * (lowercase names, absolute paths), upstream groups and their health checks, the value parsers the gateway
 * uses, files, and examples/gateway.yaml, which must load and mention every key of the schema. The refusals
 * are in test_gw_config_rules.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "check.h"
#include "config_fixture.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"

static void test_defaults(void)
{
        struct gw_config config;
        LOAD_OK(&config, LISTENER "sites:\n"
                                  "  - names: [a.example.com]\n" SITE_ECC ORIGIN);
        CHECK_EQ(config.workers, 0);
        CHECK(gw_config_workers(&config) >= 1);
        CHECK(config.user == NULL);
        CHECK(config.group == NULL);
        CHECK_STR(config.log.access, "-");
        CHECK_STR(config.log.error, "-");
        CHECK_EQ(config.log.level, LOG_LEVEL_INFO);
        CHECK(config.admin.listen == NULL);
        CHECK_EQ(config.timeouts.handshake_ms, 10000);
        CHECK_EQ(config.timeouts.header_ms, 30000);
        CHECK_EQ(config.timeouts.idle_ms, 60000);
        CHECK_EQ(config.timeouts.client_body_ms, 60000);
        CHECK_EQ(config.timeouts.origin_connect_ms, 5000);
        CHECK_EQ(config.timeouts.origin_read_ms, 60000);
        CHECK_EQ(config.timeouts.origin_idle_ms, 30000);
        CHECK_EQ(config.timeouts.websocket_idle_ms, 3600000);
        CHECK_EQ(config.timeouts.shutdown_ms, 30000);
        CHECK_EQ(config.limits.max_connections, 10000);
        CHECK_EQ(config.limits.max_head_size, 32 * 1024);
        CHECK_EQ(config.limits.max_request_line, 8 * 1024);
        CHECK_EQ(config.limits.max_header_fields, 100);
        CHECK_EQ(config.limits.max_body_size, 0);
        CHECK_EQ(config.limits.max_keepalive_requests, 10000);
        CHECK_EQ(config.limits.origin_pool_size, 32);
        CHECK_EQ(config.listeners.num, 1);
        const struct gw_listener_config *listener = config_fixture_listener(&config, 0);
        CHECK_STR(listener->listen, ":443");
        CHECK_EQ(listener->kind, GW_LISTENER_HTTPS);
        CHECK(listener->tlcp && listener->tls);
        CHECK_EQ(listener->redirect_port, 443);
        CHECK_EQ(listener->backlog, 511);
        CHECK_EQ(config.sites.num, 1);
        const struct gw_site_config *site = config_fixture_site(&config, 0);
        CHECK_STR(site->name, "a.example.com");
        CHECK(!site->is_default);
        CHECK(site->sm2.sign_cert == NULL && site->sm2.chain == NULL && site->rsa.cert == NULL);
        CHECK_STR(site->ecc.cert, "/etc/smtrust/a.crt");
        CHECK_STR(site->ecc.key, "/etc/smtrust/a.key");
        CHECK_EQ(site->origin_tls.verify, GW_ORIGIN_VERIFY_ON);
        CHECK(site->origin_tls.ca_file == NULL && site->origin_tls.server_name == NULL);
        CHECK_EQ(site->origin_tls.pins.num, 0);
        CHECK(!site->hsts.enabled && !site->hsts.include_subdomains && !site->hsts.preload);
        CHECK_EQ(site->hsts.max_age_ms, 365LL * 24 * 3600 * 1000);
        CHECK(site->forwarded_headers);
        CHECK_STR(site->origin, "http://127.0.0.1:8080");
        /* Without upstream the site uses origin; the group's keys still have their defaults. */
        CHECK_EQ(site->upstream.servers.num, 0);
        CHECK(site->upstream.servers.items == NULL);
        CHECK_EQ(site->upstream.balance, GW_UPSTREAM_WEIGHTED);
        CHECK_EQ(site->upstream.persistence, GW_PERSIST_NONE);
        CHECK_STR(site->upstream.cookie_name, "smtrust_server");
        CHECK_EQ(site->upstream.retries, 1);
        const struct gw_health_check_config *health = &site->upstream.health_check;
        CHECK_EQ(health->kind, GW_CHECK_NONE);
        CHECK_STR(health->path, "/");
        CHECK(health->host == NULL);
        CHECK_EQ(health->expect_min, 200);
        CHECK_EQ(health->expect_max, 399);
        CHECK_EQ(health->interval_ms, 5000);
        CHECK_EQ(health->timeout_ms, 2000);
        CHECK_EQ(health->rise, 2);
        CHECK_EQ(health->fall, 3);
        CHECK_STR(config.dir, "/etc/smtrust");
        gw_config_free(&config);
        CHECK(config.sites.items == NULL && config.dir == NULL);
        gw_config_free(&config); /* a freed config is empty: freeing it again is harmless */
}

static void test_values_read(void)
{
        struct gw_config config;
        LOAD_OK(&config, "workers: 8\n"
                         "user: www-data\n"
                         "group: www\n"
                         "log: {access: \"off\", error: logs/error.log, level: warn}\n"
                         "admin: {listen: \"127.0.0.1:9145\"}\n"
                         "timeouts: {handshake: 2s, shutdown: 0, websocket_idle: 1h30m}\n"
                         "limits: {max_head_size: 64k, max_body_size: 10m, max_header_fields: 128}\n"
                         "listeners:\n"
                         "  - {listen: \"[::1]:8443\", protocol: https, tlcp: false}\n"
                         "  - {listen: \"*:80\", protocol: redirect, redirect_port: 8443, backlog: 64}\n"
                         "  - {listen: \"127.0.0.1:8080\", protocol: http}\n"
                         "sites:\n"
                         "  - name: shop\n"
                         "    names: WWW.Example.COM\n"
                         "    default: yes\n" SITE_ECC "    origin: https://[2001:db8::1]:8443/\n"
                         "    origin_tls: {verify: pin, pins: [\"AB:cd:"
                         "00112233445566778899aabbccddeeff00112233445566778899aabbccdd\"],"
                         " server_name: Backend.Internal}\n"
                         "    hsts: {enabled: true, max_age: 730d, include_subdomains: true, preload: true}\n"
                         "    forwarded_headers: off\n");
        CHECK_EQ(config.workers, 8);
        CHECK_EQ(gw_config_workers(&config), 8);
        CHECK_STR(config.user, "www-data");
        CHECK_STR(config.group, "www");
        CHECK_STR(config.log.access, "off");
        CHECK_STR(config.log.error, "/etc/smtrust/logs/error.log");
        CHECK_EQ(config.log.level, LOG_LEVEL_WARNING);
        CHECK_STR(config.admin.listen, "127.0.0.1:9145");
        CHECK_EQ(config.timeouts.handshake_ms, 2000);
        CHECK_EQ(config.timeouts.shutdown_ms, 0);
        CHECK_EQ(config.timeouts.websocket_idle_ms, 5400000);
        CHECK_EQ(config.limits.max_head_size, 65536);
        CHECK_EQ(config.limits.max_body_size, 10 << 20);
        CHECK_EQ(config.limits.max_header_fields, 128);
        CHECK_EQ(config_fixture_listener(&config, 0)->kind, GW_LISTENER_HTTPS);
        CHECK(!config_fixture_listener(&config, 0)->tlcp && config_fixture_listener(&config, 0)->tls);
        CHECK_EQ(config_fixture_listener(&config, 1)->kind, GW_LISTENER_REDIRECT);
        CHECK_EQ(config_fixture_listener(&config, 1)->redirect_port, 8443);
        CHECK_EQ(config_fixture_listener(&config, 1)->backlog, 64);
        CHECK_EQ(config_fixture_listener(&config, 2)->kind, GW_LISTENER_HTTP);
        const struct gw_site_config *site = config_fixture_site(&config, 0);
        CHECK_STR(site->name, "shop");
        CHECK_EQ(site->names.num, 1);
        CHECK_STR(site->names.items[0], "www.example.com");
        CHECK(site->is_default);
        CHECK_EQ(site->origin_tls.verify, GW_ORIGIN_VERIFY_PIN);
        CHECK_EQ(site->origin_tls.pins.num, 1);
        CHECK_STR(site->origin_tls.server_name, "backend.internal");
        CHECK(site->hsts.enabled && site->hsts.include_subdomains && site->hsts.preload);
        CHECK_EQ(site->hsts.max_age_ms, 730LL * 24 * 3600 * 1000);
        CHECK(!site->forwarded_headers);
        gw_config_free(&config);
}

static const struct gw_upstream_server_config *upstream_server(const struct gw_site_config *site, size_t index)
{
        return (const struct gw_upstream_server_config *)site->upstream.servers.items + index;
}

/* A server written with its URL alone gets every default; "servers: []" leaves the site on its origin. */
static void test_upstream_defaults(void)
{
        struct gw_config config;
        LOAD_OK(&config, LISTENER "sites:\n"
                                  "  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                                  "      servers:\n"
                                  "        - server: http://10.0.0.1:8080\n"
                                  "  - names: b.example.com\n" SITE_ECC ORIGIN "    upstream: {servers: []}\n");
        const struct gw_site_config *site = config_fixture_site(&config, 0);
        CHECK(site->origin == NULL);
        CHECK_EQ(site->upstream.servers.num, 1);
        const struct gw_upstream_server_config *server = upstream_server(site, 0);
        CHECK_STR(server->url, "http://10.0.0.1:8080");
        CHECK_EQ(server->weight, 1);
        CHECK(!server->is_backup);
        CHECK_EQ(server->max_fails, 3);
        CHECK_EQ(server->fail_timeout_ms, 10000);
        CHECK_EQ(server->slow_start_ms, 0);
        CHECK_EQ(site->upstream.balance, GW_UPSTREAM_WEIGHTED);
        CHECK_EQ(site->upstream.persistence, GW_PERSIST_NONE);
        CHECK_EQ(site->upstream.health_check.kind, GW_CHECK_NONE);
        CHECK_EQ(site->upstream.health_check.expect_min, 200);
        CHECK_EQ(site->upstream.health_check.expect_max, 399);
        CHECK_STR(config_fixture_site(&config, 1)->origin, "http://127.0.0.1:8080");
        CHECK_EQ(config_fixture_site(&config, 1)->upstream.servers.num, 0);
        gw_config_free(&config);
        CHECK(config.sites.items == NULL && config.sites.num == 0);
}

static void test_upstream_values_read(void)
{
        struct gw_config config;
        LOAD_OK(&config,
                LISTENER "sites:\n"
                         "  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                         "      servers:\n"
                         "        - {server: \"https://[2001:db8::1]:8443\", weight: 1000, max_fails: 0}\n"
                         "        - {server: https://b.internal, backup: yes, fail_timeout: 1m30s,"
                         " slow_start: 1d}\n"
                         "      balance: response_time\n"
                         "      persistence: source_ip\n"
                         "      cookie_name: \"srv-id_2!\"\n"
                         "      retries: 10\n"
                         "      health_check:\n"
                         "        {kind: tcp, path: \"/health?full=1\", host: \"[::1]:8443\", expect: \"301-302\","
                         " interval: 100ms, timeout: 100ms, rise: 100, fall: 1}\n"
                         "  - names: b.example.com\n" SITE_ECC "    upstream:\n"
                         "      servers: [{server: http://c.internal}]\n"
                         "      balance: ip_hash\n"
                         "      health_check: {kind: http, expect: 204, host: Status.Internal}\n");
        const struct gw_site_config *site = config_fixture_site(&config, 0);
        CHECK_EQ(site->upstream.servers.num, 2);
        CHECK_STR(upstream_server(site, 0)->url, "https://[2001:db8::1]:8443");
        CHECK_EQ(upstream_server(site, 0)->weight, 1000);
        CHECK_EQ(upstream_server(site, 0)->max_fails, 0);
        CHECK(!upstream_server(site, 0)->is_backup);
        CHECK(upstream_server(site, 1)->is_backup);
        CHECK_EQ(upstream_server(site, 1)->fail_timeout_ms, 90000);
        CHECK_EQ(upstream_server(site, 1)->slow_start_ms, 24LL * 3600 * 1000);
        CHECK_EQ(site->upstream.balance, GW_UPSTREAM_RESPONSE_TIME);
        CHECK_EQ(site->upstream.persistence, GW_PERSIST_SOURCE_IP);
        CHECK_STR(site->upstream.cookie_name, "srv-id_2!");
        CHECK_EQ(site->upstream.retries, 10);
        const struct gw_health_check_config *health = &site->upstream.health_check;
        CHECK_EQ(health->kind, GW_CHECK_TCP);
        CHECK_STR(health->path, "/health?full=1");
        CHECK_STR(health->host, "[::1]:8443");
        CHECK_EQ(health->expect_min, 301);
        CHECK_EQ(health->expect_max, 302);
        CHECK_EQ(health->interval_ms, 100);
        CHECK_EQ(health->timeout_ms, 100);
        CHECK_EQ(health->rise, 100);
        CHECK_EQ(health->fall, 1);
        site = config_fixture_site(&config, 1);
        CHECK_EQ(site->upstream.balance, GW_UPSTREAM_IP_HASH);
        CHECK_EQ(site->upstream.health_check.kind, GW_CHECK_HTTP);
        CHECK_EQ(site->upstream.health_check.expect_min, 204);
        CHECK_EQ(site->upstream.health_check.expect_max, 204);
        CHECK_STR(site->upstream.health_check.host, "Status.Internal");
        gw_config_free(&config);
}

/* Relative paths name files beside the config: its folder made absolute, never the working folder. */
static void test_relative_paths(void)
{
        struct gw_config config;
        char *cwd = getcwd(NULL, 0), want[4096];
        CHECK(cwd != NULL);
        CHECK_OK(config_fixture_load_in(
                     &config,
                     "log: {access: logs/access.log, error: \"-\"}\n" LISTENER "sites:\n"
                     "  - names: a.example.com\n"
                     "    sm2: {sign_cert: s.crt, sign_key: ../keys/s.key, enc_cert: /abs/e.crt, enc_key: e.key,"
                     " chain: chain/ca.crt}\n"
                     "    rsa: {cert: r.crt, key: r.key}\n"
                     "    origin: https://127.0.0.1\n"
                     "    origin_tls: {ca_file: roots.pem}\n",
                     "conf"),
                 &(struct err){0});
        snprintf(want, sizeof want, "%s/conf", cwd);
        CHECK_STR(config.dir, want);
        snprintf(want, sizeof want, "%s/conf/logs/access.log", cwd);
        CHECK_STR(config.log.access, want);
        CHECK_STR(config.log.error, "-");
        const struct gw_site_config *site = config_fixture_site(&config, 0);
        snprintf(want, sizeof want, "%s/conf/s.crt", cwd);
        CHECK_STR(site->sm2.sign_cert, want);
        snprintf(want, sizeof want, "%s/conf/../keys/s.key", cwd);
        CHECK_STR(site->sm2.sign_key, want);
        CHECK_STR(site->sm2.enc_cert, "/abs/e.crt");
        snprintf(want, sizeof want, "%s/conf/chain/ca.crt", cwd);
        CHECK_STR(site->sm2.chain, want);
        snprintf(want, sizeof want, "%s/conf/r.key", cwd);
        CHECK_STR(site->rsa.key, want);
        snprintf(want, sizeof want, "%s/conf/roots.pem", cwd);
        CHECK_STR(site->origin_tls.ca_file, want);
        gw_config_free(&config);
        free(cwd);
}

static void test_workers(void)
{
        struct gw_config config;
        LOAD_OK(&config, "workers: 256\n" LISTENER);
        CHECK_EQ(config.workers, 256);
        gw_config_free(&config);
        EXPECT_REFUSED("workers: 0\n" LISTENER, 1,
                       "gw.yaml:1: workers: expected \"auto\" or an integer 1..256, got \"0\"");
        EXPECT_REFUSED(LISTENER "workers: 257\n", 3,
                       "gw.yaml:3: workers: expected \"auto\" or an integer 1..256, got \"257\"");
        EXPECT_REFUSED(LISTENER "workers: many\n", 3,
                       "gw.yaml:3: workers: expected \"auto\" or an integer 1..256, got \"many\"");
}

static void test_listen_address(void)
{
        struct net_address address;
        struct err err = {0};
        CHECK_OK(gw_config_listen_address(&address, ":443", &err), &err);
        CHECK_STR(address.host, "");
        CHECK_EQ(address.port, 443);
        CHECK_OK(gw_config_listen_address(&address, "*:80", &err), &err);
        CHECK_STR(address.host, "");
        CHECK_EQ(address.port, 80);
        CHECK_OK(gw_config_listen_address(&address, "[0:0::0001]:0", &err), &err);
        CHECK_STR(address.host, "::1");
        CHECK_EQ(address.port, 0);
        CHECK_OK(gw_config_listen_address(&address, "LocalHost:8080", &err), &err);
        CHECK_STR(address.host, "localhost");
        CHECK_STATUS(gw_config_listen_address(&address, "", &err), SMT_ECONFIG);
        CHECK_STATUS(gw_config_listen_address(&address, "[::1]", &err), SMT_ECONFIG);
        CHECK_STATUS(gw_config_listen_address(&address, "[::1]x:1", &err), SMT_ECONFIG);
        CHECK_STATUS(gw_config_listen_address(&address, "a:b:c", &err), SMT_ECONFIG);
}

static void test_origin_parse(void)
{
        bool is_https = false;
        struct net_address address;
        struct err err = {0};
        CHECK_OK(gw_config_origin_parse(&is_https, &address, "HTTPS://Backend.Example.COM/", &err), &err);
        CHECK(is_https);
        CHECK_STR(address.host, "backend.example.com");
        CHECK_EQ(address.port, 443);
        CHECK_OK(gw_config_origin_parse(&is_https, &address, "http://[2001:DB8::1]:8080", &err), &err);
        CHECK(!is_https);
        CHECK_STR(address.host, "2001:db8::1");
        CHECK_EQ(address.port, 8080);
        CHECK_OK(gw_config_origin_parse(&is_https, &address, "http://10.0.0.5", &err), &err);
        CHECK_STR(address.host, "10.0.0.5");
        CHECK_EQ(address.port, 80);
}

static void test_load_file(void)
{
        struct gw_config config;
        char path[4096];
        const char *yaml = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC ORIGIN;
        struct err err = {0};
        snprintf(path, sizeof path, "%s/gateway.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)yaml, strlen(yaml), 0600, FILE_WRITE_REPLACE, &err), &err);
        CHECK_OK(gw_config_load(&config, path, config_fixture_errors()), &err);
        CHECK_STR(config.dir, check_temp_dir());
        snprintf(path, sizeof path, "%s/a.crt", check_temp_dir());
        CHECK_STR(config_fixture_site(&config, 0)->ecc.cert, path);
        gw_config_free(&config);
        snprintf(path, sizeof path, "%s/absent.yaml", check_temp_dir());
        CHECK(gw_config_load(&config, path, config_fixture_errors()) < 0);
        CHECK_EQ(config_fixture_errors()->num, 1);
        CHECK_EQ(config_fixture_errors()->list[0].line, 0);
        CHECK(strstr(config_fixture_errors()->list[0].text, "absent.yaml") != NULL);
        /* A problem names the file as it was given. */
        snprintf(path, sizeof path, "%s/bad.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"listeners: []\n", 14, 0600, FILE_WRITE_REPLACE, &err), &err);
        CHECK_STATUS(gw_config_load(&config, path, config_fixture_errors()), SMT_ECONFIG);
        char want[4200];
        snprintf(want, sizeof want, "%s:1: listeners: at least one listener is needed", path);
        EXPECT_ERROR(1, want);
}

/* examples/gateway.yaml loads as it is, and names every key of the schema (each documented there). */
static void test_example(void)
{
        struct gw_config config;
        const char *path = check_source_path("examples/gateway.yaml");
        CHECK_OK(gw_config_load(&config, path, config_fixture_errors()), &(struct err){0});
        CHECK_EQ(config.sites.num, 4);
        CHECK_EQ(config.listeners.num, 3);
        CHECK(config_fixture_site(&config, 0)->is_default);
        CHECK(config_fixture_site(&config, 0)->sm2.chain != NULL &&
              config_fixture_site(&config, 0)->sm2.chain[0] == '/');
        /* The site "api" forwards to an upstream group with health checks. */
        const struct gw_site_config *api = config_fixture_site(&config, 3);
        CHECK_STR(api->name, "api");
        CHECK(api->origin == NULL);
        CHECK_EQ(api->upstream.servers.num, 3);
        CHECK(upstream_server(api, 2)->is_backup && !upstream_server(api, 0)->is_backup);
        CHECK_EQ(api->upstream.balance, GW_UPSTREAM_LEAST_CONNECTIONS);
        CHECK_EQ(api->upstream.persistence, GW_PERSIST_COOKIE);
        CHECK_EQ(api->upstream.health_check.kind, GW_CHECK_HTTP);
        CHECK_STR(api->upstream.health_check.path, "/healthz");
        CHECK_EQ(api->upstream.health_check.expect_min, 200);
        CHECK_EQ(api->upstream.health_check.expect_max, 200);
        gw_config_free(&config);
}

static void check_schema_keys_in(const struct config_section_schema *schema, const char *text, size_t *num_keys)
{
        char needle[64];
        for (size_t k = 0; k < schema->num_keys; k++) {
                const struct config_key *key = &schema->keys[k];
                snprintf(needle, sizeof needle, "%s:", key->name);
                if (strstr(text, needle) == NULL)
                        check_fail(__FILE__, __LINE__, "examples/gateway.yaml does not mention the key \"%s\"",
                                   key->name);
                (*num_keys)++;
                if (key->section != NULL)
                        check_schema_keys_in(key->section, text, num_keys);
        }
}

static void test_example_names_every_key(void)
{
        uint8_t *data = NULL;
        size_t len = 0, num_keys = 0;
        struct err err = {0};
        CHECK_OK(file_read_all(&data, &len, check_source_path("examples/gateway.yaml"), 1 << 20, &err), &err);
        char *text = strndup((const char *)data, len);
        check_schema_keys_in(&gw_config_file_schema, text, &num_keys);
        CHECK(num_keys >= 50);
        free(text);
        file_free_contents(data, len);
}

CHECK_MAIN(CHECK_TEST(test_defaults), CHECK_TEST(test_values_read), CHECK_TEST(test_upstream_defaults),
           CHECK_TEST(test_upstream_values_read), CHECK_TEST(test_relative_paths), CHECK_TEST(test_workers),
           CHECK_TEST(test_listen_address), CHECK_TEST(test_origin_parse), CHECK_TEST(test_load_file),
           CHECK_TEST(test_example), CHECK_TEST(test_example_names_every_key))
