/* tests/unit/gateway/test_gw_config.c: gateway.yaml loading: defaults, normalisation (lowercase names,
 * absolute paths), each value syntax and each rule across keys, every problem reported with its line,
 * and examples/gateway.yaml, which must load and mention every key of the schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "check.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"

static struct config_errors errors;

static int load_in(struct gw_config *config, const char *yaml, const char *dir)
{
        return gw_config_load_string(config, "gw.yaml", yaml, strlen(yaml), dir, &errors);
}

static int load(struct gw_config *config, const char *yaml)
{
        return load_in(config, yaml, "/etc/smtrust");
}

static void print_errors(void)
{
        for (size_t i = 0; i < errors.num; i++)
                fprintf(stderr, "  [%zu] %s\n", errors.list[i].line, errors.list[i].text);
}

/* Fails (at the caller's line) unless a problem at line has exactly the text want. */
static void expect_error_at(int caller, size_t line, const char *want)
{
        for (size_t i = 0; i < errors.num; i++)
                if (errors.list[i].line == line && strcmp(errors.list[i].text, want) == 0)
                        return;
        print_errors();
        check_fail(__FILE__, caller, "no problem at line %zu reading \"%s\"", line, want);
}

#define EXPECT_ERROR(line, want) expect_error_at(__LINE__, (line), (want))

/* Loads yaml, expecting a refusal whose problems include (line, want) and number num. */
static void expect_refused_at(int caller, const char *yaml, size_t num, size_t line, const char *want)
{
        struct gw_config config;
        memset(&config, 0x5a, sizeof config);
        int status = load(&config, yaml);
        if (status != SMT_ECONFIG) {
                print_errors();
                check_fail(__FILE__, caller, "load gave %s, expected SMT_ECONFIG", err_name(status));
        }
        for (size_t i = 0; i < sizeof config; i++)
                if (((const uint8_t *)&config)[i] != 0x5a)
                        check_fail(__FILE__, caller, "a refused load changed the caller's struct");
        expect_error_at(caller, line, want);
        if (errors.num != num) {
                print_errors();
                check_fail(__FILE__, caller, "%zu problems, expected %zu", errors.num, num);
        }
}

#define EXPECT_REFUSED(yaml, line, want) expect_refused_at(__LINE__, (yaml), 1, (line), (want))

static void load_ok_at(int caller, struct gw_config *config, const char *yaml)
{
        int status = load(config, yaml);
        if (status != 0) {
                print_errors();
                check_fail(__FILE__, caller, "load gave %s", err_name(status));
        }
}

#define LOAD_OK(config, yaml) load_ok_at(__LINE__, (config), (yaml))

static const struct gw_site_config *site_of(const struct gw_config *config, size_t i)
{
        return (const struct gw_site_config *)config->sites.items + i;
}

static const struct gw_listener_config *listener_of(const struct gw_config *config, size_t i)
{
        return (const struct gw_listener_config *)config->listeners.items + i;
}

/* A listener and the start of a site, so a test adds the lines it is about. */
#define LISTENER "listeners:\n  - listen: \":443\"\n"
#define SITE_ECC "    ecc: {cert: a.crt, key: a.key}\n"
#define ORIGIN   "    origin: http://127.0.0.1:8080\n"

static void test_defaults(void)
{
        struct gw_config config;
        LOAD_OK(&config, LISTENER
                "sites:\n"
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
        const struct gw_listener_config *listener = listener_of(&config, 0);
        CHECK_STR(listener->listen, ":443");
        CHECK_EQ(listener->kind, GW_LISTENER_HTTPS);
        CHECK(listener->tlcp && listener->tls);
        CHECK_EQ(listener->redirect_port, 443);
        CHECK_EQ(listener->backlog, 511);
        CHECK_EQ(config.sites.num, 1);
        const struct gw_site_config *site = site_of(&config, 0);
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
                "    default: yes\n" SITE_ECC
                "    origin: https://[2001:db8::1]:8443/\n"
                "    origin_tls: {verify: pin, pins: [\"AB:cd:" "00112233445566778899aabbccddeeff00112233445566778899aabbccdd\"],"
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
        CHECK_EQ(listener_of(&config, 0)->kind, GW_LISTENER_HTTPS);
        CHECK(!listener_of(&config, 0)->tlcp && listener_of(&config, 0)->tls);
        CHECK_EQ(listener_of(&config, 1)->kind, GW_LISTENER_REDIRECT);
        CHECK_EQ(listener_of(&config, 1)->redirect_port, 8443);
        CHECK_EQ(listener_of(&config, 1)->backlog, 64);
        CHECK_EQ(listener_of(&config, 2)->kind, GW_LISTENER_HTTP);
        const struct gw_site_config *site = site_of(&config, 0);
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

/* Relative paths name files beside the config: its folder made absolute, never the working folder. */
static void test_relative_paths(void)
{
        struct gw_config config;
        char *cwd = getcwd(NULL, 0), want[4096];
        CHECK(cwd != NULL);
        CHECK_OK(load_in(&config, "log: {access: logs/access.log, error: \"-\"}\n" LISTENER
                         "sites:\n"
                         "  - names: a.example.com\n"
                         "    sm2: {sign_cert: s.crt, sign_key: ../keys/s.key, enc_cert: /abs/e.crt, enc_key: e.key,"
                         " chain: chain/ca.crt}\n"
                         "    rsa: {cert: r.crt, key: r.key}\n"
                         "    origin: https://127.0.0.1\n"
                         "    origin_tls: {ca_file: roots.pem}\n",
                         "conf"),
                 &(struct err){ 0 });
        snprintf(want, sizeof want, "%s/conf", cwd);
        CHECK_STR(config.dir, want);
        snprintf(want, sizeof want, "%s/conf/logs/access.log", cwd);
        CHECK_STR(config.log.access, want);
        CHECK_STR(config.log.error, "-");
        const struct gw_site_config *site = site_of(&config, 0);
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
        EXPECT_REFUSED("workers: 0\n" LISTENER, 1, "gw.yaml:1: workers: expected \"auto\" or an integer 1..256, got \"0\"");
        EXPECT_REFUSED(LISTENER "workers: 257\n", 3,
                       "gw.yaml:3: workers: expected \"auto\" or an integer 1..256, got \"257\"");
        EXPECT_REFUSED(LISTENER "workers: many\n", 3,
                       "gw.yaml:3: workers: expected \"auto\" or an integer 1..256, got \"many\"");
}

static void test_listen_invalid(void)
{
        EXPECT_REFUSED("listeners:\n  - listen: \"443\"\n", 2, "gw.yaml:2: listeners[0].listen: \"443\": expected host:port");
        EXPECT_REFUSED("listeners:\n  - listen: \"[::1:443\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"[::1:443\": '[' without ']'");
        EXPECT_REFUSED("listeners:\n  - listen: \"::1:443\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"::1:443\": write an IPv6 address in brackets, as "
                       "\"[::1]:443\"");
        EXPECT_REFUSED("listeners:\n  - listen: \"[fe80::zz]:443\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"[fe80::zz]:443\": \"fe80::zz\" is not an IPv6 address");
        EXPECT_REFUSED("listeners:\n  - listen: \"localhost:65536\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"localhost:65536\": port \"65536\": expected a number "
                       "1..65535 (or 0: any free port)");
        EXPECT_REFUSED("listeners:\n  - listen: \"bad_host:443\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"bad_host:443\": \"bad_host\": character '_' is not allowed "
                       "in a host name (letters, digits, '-' and '.')");
        EXPECT_REFUSED("listeners:\n  - listen: \":443\"\n    protocol: htps\n", 3,
                       "gw.yaml:3: listeners[0].protocol: expected one of https, http, redirect, got \"htps\"; did "
                       "you mean \"https\"?");
        EXPECT_REFUSED("listeners:\n  - listen: \":443\"\n    tlcp: false\n    tls: no\n", 2,
                       "gw.yaml:2: listeners[0]: an https listener needs tlcp or tls (both are off)");
        EXPECT_REFUSED("admin:\n  listen: \"127.0.0.1\"\n" LISTENER, 2,
                       "gw.yaml:2: admin.listen: \"127.0.0.1\": expected host:port");
}

static void test_listen_address(void)
{
        struct net_address address;
        struct err err = { 0 };
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

/* Two listeners on one address and port (compared in canonical form), or one on every address and one on
 * a single address of the same port: the later one is refused, naming the earlier; port 0 (any free port)
 * never collides. */
static void test_listen_unique(void)
{
        EXPECT_REFUSED("listeners:\n"
                       "  - listen: \"LocalHost:8080\"\n"
                       "  - listen: \"127.0.0.1:8443\"\n"
                       "  - listen: \"localhost:8080\"\n",
                       4, "gw.yaml:4: listeners[2].listen: \"localhost:8080\" takes the port of listeners[0] "
                          "(\"LocalHost:8080\", line 2); one address and port can have one listener");
}

static void test_listen_collisions(void)
{
        struct gw_config config;
        const char *yaml = "listeners:\n"
                           "  - listen: \"127.0.0.1:443\"\n"
                           "  - listen: \"[::1]:443\"\n"
                           "  - listen: \"[0::1]:443\"\n"
                           "  - listen: \":443\"\n"
                           "  - listen: \"127.0.0.1:0\"\n"
                           "  - listen: \"127.0.0.1:0\"\n"
                           "admin:\n"
                           "  listen: \"127.0.0.1:443\"\n";
        CHECK_STATUS(load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(4, "gw.yaml:4: listeners[2].listen: \"[0::1]:443\" takes the port of listeners[1] (\"[::1]:443\", "
                        "line 3); one address and port can have one listener");
        EXPECT_ERROR(5, "gw.yaml:5: listeners[3].listen: \":443\" takes the port of listeners[0] (\"127.0.0.1:443\", "
                        "line 2); one address and port can have one listener");
        EXPECT_ERROR(9, "gw.yaml:9: admin.listen: \"127.0.0.1:443\" takes the port of listeners[0] (\"127.0.0.1:443\", "
                        "line 2); one address and port can have one listener");
        CHECK_EQ(errors.num, 3);
        CHECK(errors.list[0].line <= errors.list[1].line && errors.list[1].line <= errors.list[2].line);
}

static void test_listeners_needed(void)
{
        EXPECT_REFUSED("workers: auto\nlisteners: []\n", 2, "gw.yaml:2: listeners: at least one listener is needed");
        EXPECT_REFUSED("workers: auto\n", 1, "gw.yaml:1: missing required key \"listeners\"");
}

/* Host names: RFC 1123 labels; a wildcard is the whole first label over two labels or more. */
static void test_names_invalid(void)
{
        char yaml[1024], want[512];
        static const struct {
                const char *name;
                const char *message;
        } cases[] = {
                { "\"*.com\"", "\"*.com\": a wildcard needs two labels or more after \"*.\" (it would match every name "
                               "under a top-level domain)" },
                { "a.*.example.com", "\"a.*.example.com\": '*' is allowed only as the whole first label, as in "
                                     "\"*.example.com\" (RFC 6125 §6.4.3)" },
                { "\"*a.example.com\"", "\"*a.example.com\": '*' is allowed only as the whole first label, as in "
                                        "\"*.example.com\" (RFC 6125 §6.4.3)" },
                { "\"*.*.example.com\"", "\"*.example.com\": character '*' is not allowed in a host name (letters, "
                                         "digits, '-' and '.')" },
                { "-a.example.com", "\"-a.example.com\": the label \"-a\" starts or ends with '-'" },
                { "a..example.com", "\"a..example.com\": empty label (a leading, trailing or double dot)" },
                { "example.com.", "\"example.com.\": empty label (a leading, trailing or double dot)" },
                { "exa_mple.com", "\"exa_mple.com\": character '_' is not allowed in a host name (letters, digits, "
                                  "'-' and '.')" },
                { "\"\"", "an empty host name" },
                { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
                  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\": a label of 64 characters "
                  "exceeds 63" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                snprintf(yaml, sizeof yaml, LISTENER "sites:\n  - names: [ok.example.com, %s]\n" SITE_ECC ORIGIN,
                         cases[i].name);
                snprintf(want, sizeof want, "gw.yaml:4: sites[0].names[1]: %s", cases[i].message);
                EXPECT_REFUSED(yaml, 4, want);
        }
        /* 254 characters: five labels of 50 and ".com" */
        char longest[300] = "";
        for (int i = 0; i < 5; i++)
                snprintf(longest + strlen(longest), sizeof longest - strlen(longest), "%.50s.",
                         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        snprintf(longest + strlen(longest), sizeof longest - strlen(longest), "com");
        CHECK_EQ(strlen(longest), 258);
        snprintf(yaml, sizeof yaml, LISTENER "sites:\n  - names: [%s]\n" SITE_ECC ORIGIN, longest);
        snprintf(want, sizeof want, "gw.yaml:4: sites[0].names[0]: \"%.80s...\": a host name of 258 characters exceeds 253",
                 longest);
        EXPECT_REFUSED(yaml, 4, want);
}

/* Names compare after lowercasing; a repeat is reported on the later line naming both sites. */
static void test_names_unique(void)
{
        struct gw_config config;
        const char *yaml = LISTENER
                "sites:\n"                             /* 3 */
                "  - name: shop\n"                     /* 4 */
                "    names:\n"                         /* 5 */
                "      - shop.example.com\n"           /* 6 */
                "      - \"*.example.com\"\n"          /* 7 */
                SITE_ECC ORIGIN                        /* 8, 9 */
                "  - name: blog\n"                     /* 10 */
                "    names:\n"                         /* 11 */
                "      - blog.example.com\n"           /* 12 */
                "      - SHOP.example.com\n"           /* 13 */
                "      - Blog.Example.com\n"           /* 14 */
                "      - \"*.EXAMPLE.com\"\n"          /* 15 */
                SITE_ECC ORIGIN                        /* 16, 17 */
                "  - name: shop\n"                     /* 18 */
                "    names: example.com\n"             /* 19 */
                SITE_ECC ORIGIN;                       /* 20, 21 */
        CHECK_STATUS(load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(13, "gw.yaml:13: sites[1].names[1]: \"shop.example.com\" is also a name of sites[0] (\"shop\", "
                         "line 6); a name can lead to one site only");
        EXPECT_ERROR(14, "gw.yaml:14: sites[1].names[2]: \"blog.example.com\" is listed twice (also names[0])");
        EXPECT_ERROR(15, "gw.yaml:15: sites[1].names[3]: \"*.example.com\" is also a name of sites[0] (\"shop\", "
                         "line 7); a name can lead to one site only");
        EXPECT_ERROR(18, "gw.yaml:18: sites[2].name: \"shop\" is also the name of sites[0] (line 4); a site's name "
                         "tells it apart in logs and metrics");
        CHECK_EQ(errors.num, 4);
        for (size_t i = 1; i < errors.num; i++)
                CHECK(errors.list[i - 1].line <= errors.list[i].line);
}

static void test_default_once(void)
{
        struct gw_config config;
        const char *yaml = LISTENER
                "sites:\n"                      /* 3 */
                "  - names: a.example.com\n"    /* 4 */
                "    default: true\n"           /* 5 */
                SITE_ECC ORIGIN                 /* 6, 7 */
                "  - names: b.example.com\n"    /* 8 */
                SITE_ECC ORIGIN                 /* 9, 10 */
                "  - names: c.example.com\n"    /* 11 */
                SITE_ECC ORIGIN                 /* 12, 13 */
                "    default: on\n";            /* 14 */
        EXPECT_REFUSED(yaml, 14, "gw.yaml:14: sites[2].default: sites[0] (\"a.example.com\", line 5) is the default site "
                                 "already; there can be one");
        /* The default site alone may have no names; its name is then "default". */
        LOAD_OK(&config, LISTENER "sites:\n  - default: true\n" SITE_ECC ORIGIN);
        CHECK_STR(site_of(&config, 0)->name, "default");
        CHECK_EQ(site_of(&config, 0)->names.num, 0);
        gw_config_free(&config);
        EXPECT_REFUSED(LISTENER "sites:\n  - name: x\n" SITE_ECC ORIGIN, 4,
                       "gw.yaml:4: sites[0]: a site needs names (only the default site may have none)");
}

/* Each site an https listener serves needs what that listener accepts. */
static void test_https_needs_certificate(void)
{
        struct gw_config config;
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" ORIGIN, 4,
                       "gw.yaml:4: sites[0]: no certificate, yet listeners[0] (line 2) serves it over https: give an "
                       "sm2 pair (sign_cert, sign_key, enc_cert, enc_key) or an ecc or rsa certificate");
        /* Plain HTTP and redirect listeners need none. */
        LOAD_OK(&config, "listeners:\n  - {listen: \":80\", protocol: http}\n  - {listen: \":81\", protocol: redirect}\n"
                         "sites:\n  - names: a.example.com\n" ORIGIN);
        gw_config_free(&config);
        const char *tlcp_only = "listeners:\n"
                                "  - {listen: \":443\", tls: false}\n"          /* 2 */
                                "  - {listen: \":8443\", tlcp: false}\n"        /* 3 */
                                "sites:\n"
                                "  - names: a.example.com\n" SITE_ECC ORIGIN   /* 5 */
                                "  - names: b.example.com\n"                     /* 8 */
                                "    sm2: {sign_cert: s.crt, sign_key: s.key, enc_cert: e.crt, enc_key: e.key}\n" ORIGIN;
        CHECK_STATUS(load(&config, tlcp_only), SMT_ECONFIG);
        EXPECT_ERROR(5, "gw.yaml:5: sites[0]: no sm2 pair, yet listeners[0] (line 2) accepts TLCP only");
        EXPECT_ERROR(8, "gw.yaml:8: sites[1]: no ecc or rsa certificate, yet listeners[1] (line 3) accepts TLS only");
        CHECK_EQ(errors.num, 2);
        /* On a listener with both, either kind will do. */
        LOAD_OK(&config, LISTENER "sites:\n"
                         "  - names: b.example.com\n"
                         "    sm2: {sign_cert: s.crt, sign_key: s.key, enc_cert: e.crt, enc_key: e.key}\n" ORIGIN
                         "  - names: c.example.com\n"
                         "    rsa: {cert: r.crt, key: r.key}\n" ORIGIN);
        gw_config_free(&config);
}

static void test_certificate_groups_complete(void)
{
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    sm2:\n"                         /* 5 */
                                "      sign_cert: s.crt\n"
                                "      sign_key: s.key\n"
                                "      enc_cert: e.crt\n"
                                "    ecc: {cert: a.crt, key: a.key}\n" ORIGIN,
                       6, "gw.yaml:6: sites[0].sm2: incomplete SM2 pair: missing enc_key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    sm2: {sign_key: s.key, enc_cert: e.crt}\n" SITE_ECC ORIGIN,
                       5, "gw.yaml:5: sites[0].sm2: incomplete SM2 pair: missing sign_cert, enc_key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    sm2: {chain: c.crt}\n" SITE_ECC ORIGIN,
                       5, "gw.yaml:5: sites[0].sm2: chain without a pair: missing sign_cert, sign_key, enc_cert, enc_key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    rsa: {cert: r.crt}\n" SITE_ECC ORIGIN,
                       5, "gw.yaml:5: sites[0].rsa: incomplete certificate: missing key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    ecc: {cert: \"\", key: a.key}\n" ORIGIN,
                       5, "gw.yaml:5: sites[0].ecc.cert: expected a value, got \"\"");
}

static void test_origin(void)
{
        static const struct {
                const char *origin;
                const char *message;
        } refused[] = {
                { "ftp://a.example.com", "\"ftp://a.example.com\": expected an http:// or https:// URL" },
                { "a.example.com:80", "\"a.example.com:80\": expected an http:// or https:// URL" },
                { "http://user:pw@a.example.com", "\"http://user:pw@a.example.com\": a user name or password is not "
                                                  "allowed in an origin" },
                { "http://a.example.com/app", "\"http://a.example.com/app\": a path is not allowed in an origin "
                                              "(requests keep their own path)" },
                { "http://a.example.com?x=1", "\"http://a.example.com?x=1\": a query or fragment is not allowed in an "
                                              "origin" },
                { "http://a.example.com:0", "\"http://a.example.com:0\": port \"0\": expected a number 1..65535" },
                { "http://::1:8080", "\"http://::1:8080\": write an IPv6 address in brackets, as \"[::1]:443\"" },
                { "http://", "\"http://\": no host" },
                { "http://:8080", "\"http://:8080\": no host" },
        };
        char yaml[512], want[512];
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
                snprintf(yaml, sizeof yaml, LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC
                         "    origin: \"%s\"\n", refused[i].origin);
                snprintf(want, sizeof want, "gw.yaml:6: sites[0].origin: %s", refused[i].message);
                EXPECT_REFUSED(yaml, 6, want);
        }
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC, 4,
                       "gw.yaml:4: sites[0]: missing required key \"origin\"");
        bool is_https = false;
        struct net_address address;
        struct err err = { 0 };
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

static void test_origin_tls(void)
{
        struct gw_config config;
        uint8_t pin[32], want[32];
        struct err err = { 0 };
        for (size_t i = 0; i < 32; i++)
                want[i] = (uint8_t)(0xa0 + i);
        CHECK_OK(gw_config_pin_parse(pin, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", &err), &err);
        CHECK_MEM(pin, want, 32);
        CHECK_OK(gw_config_pin_parse(pin, "A0:A1:A2:A3:A4:A5:A6:A7:A8:A9:AA:AB:AC:AD:AE:AF:B0:B1:B2:B3:B4:B5:B6:B7:B8:B9:"
                                          "BA:BB:BC:BD:BE:BF", &err), &err);
        CHECK_MEM(pin, want, 32);
        LOAD_OK(&config, LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC
                         "    origin: https://10.0.0.1\n"
                         "    origin_tls:\n"
                         "      verify: off\n");
        CHECK_EQ(site_of(&config, 0)->origin_tls.verify, GW_ORIGIN_VERIFY_OFF);
        gw_config_free(&config);
        const char *start = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    origin: https://10.0.0.1\n"
                                     "    origin_tls:\n"; /* lines 1..7 */
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s      pins: [\"%s\"]\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls: pins are used only with verify: pin");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls: verify: pin needs pins (the SHA-256 of the origin's "
                                "certificate)");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      ca_file: roots.pem\n      pins: [\"%s\"]\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls: ca_file is used only with verify: on");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      pins:\n        - \"%s\"\n        - \"%s\"\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe");
        EXPECT_REFUSED(yaml, 11, "gw.yaml:11: sites[0].origin_tls.pins[1]: \"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6"
                                 "b7b8b9babbbcbdbe\": expected the SHA-256 of a certificate in hex (64 digits, colons "
                                 "allowed), got 62 digits");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      pins: [\"sha256/abc\"]\n", start);
        EXPECT_REFUSED(yaml, 9, "gw.yaml:9: sites[0].origin_tls.pins[0]: \"sha256/abc\": expected the SHA-256 of a "
                                "certificate in hex (64 digits, colons allowed), got the character 's'");
        snprintf(yaml, sizeof yaml, "%s      verify: maybe\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls.verify: expected one of off, on, pin, got \"maybe\"");
        snprintf(yaml, sizeof yaml, "%s      server_name: \"back end\"\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls.server_name: \"back end\": character ' ' is not allowed "
                                "in a host name (letters, digits, '-' and '.')");
}

static void test_hsts_and_limits(void)
{
        const char *start = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC ORIGIN; /* lines 1..6 */
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s    hsts: {enabled: true, preload: true}\n", start);
        EXPECT_REFUSED(yaml, 7, "gw.yaml:7: sites[0].hsts: preload needs include_subdomains: true and a max_age of 365d "
                                "or more");
        snprintf(yaml, sizeof yaml, "%s    hsts: {enabled: true, max_age: 1500ms}\n", start);
        EXPECT_REFUSED(yaml, 7, "gw.yaml:7: sites[0].hsts: max_age must be whole seconds (RFC 6797 §6.1.1), got 1500ms");
        snprintf(yaml, sizeof yaml, "%slimits:\n  max_head_size: 8k\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: limits: max_head_size 8192 is below max_request_line 8192 + 4");
        snprintf(yaml, sizeof yaml, "%slimits:\n  max_header_fields: 129\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: limits.max_header_fields: expected an integer 1..128, got \"129\"");
        snprintf(yaml, sizeof yaml, "%stimeouts:\n  handshake: 0\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: timeouts.handshake: expected a duration 1ms..10m, got \"0\"");
        snprintf(yaml, sizeof yaml, "%s    name: \"my shop\"\n", start);
        EXPECT_REFUSED(yaml, 7, "gw.yaml:7: sites[0].name: \"my shop\": a site name is written into log lines and "
                                "metric labels: use visible ASCII without spaces, '\"' or '\\'");
        snprintf(yaml, sizeof yaml, "%slog: {level: verbose}\n", start);
        EXPECT_REFUSED(yaml, 7, "gw.yaml:7: log.level: expected one of error, warn, warning, info, debug, got \"verbose\"");
}

/* One load lists the problems of every section, each at its own line, in line order. */
static void test_every_problem_listed(void)
{
        struct gw_config config;
        const char *yaml = "workers: lots\n"                                   /* 1 */
                           "listeners:\n"                                       /* 2 */
                           "  - listen: \"443\"\n"                              /* 3 */
                           "  - listen: \":80\"\n"                              /* 4 */
                           "    protocol: redirectt\n"                          /* 5 */
                           "sites:\n"                                           /* 6 */
                           "  - names: [a.example.com, b_c.example.com]\n"      /* 7 */
                           "    sm2: {sign_cert: s.crt}\n"                      /* 8 */
                           "    origin: http://a/b\n"                           /* 9 */
                           "    hsts: {enabeld: true}\n";                       /* 10 */
        CHECK_STATUS(load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(1, "gw.yaml:1: workers: expected \"auto\" or an integer 1..256, got \"lots\"");
        EXPECT_ERROR(3, "gw.yaml:3: listeners[0].listen: \"443\": expected host:port");
        EXPECT_ERROR(5, "gw.yaml:5: listeners[1].protocol: expected one of https, http, redirect, got \"redirectt\"; did "
                        "you mean \"redirect\"?");
        EXPECT_ERROR(7, "gw.yaml:7: sites[0].names[1]: \"b_c.example.com\": character '_' is not allowed in a host name "
                        "(letters, digits, '-' and '.')");
        EXPECT_ERROR(8, "gw.yaml:8: sites[0].sm2: incomplete SM2 pair: missing sign_key, enc_cert, enc_key");
        EXPECT_ERROR(9, "gw.yaml:9: sites[0].origin: \"http://a/b\": a path is not allowed in an origin (requests keep "
                        "their own path)");
        EXPECT_ERROR(10, "gw.yaml:10: sites[0].hsts.enabeld: unknown key; did you mean \"enabled\"?");
        CHECK_EQ(errors.num, 7);
        for (size_t i = 1; i < errors.num; i++)
                CHECK(errors.list[i - 1].line <= errors.list[i].line);
}

static void test_load_file(void)
{
        struct gw_config config;
        char path[4096];
        const char *yaml = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC ORIGIN;
        struct err err = { 0 };
        snprintf(path, sizeof path, "%s/gateway.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)yaml, strlen(yaml), 0600, FILE_WRITE_REPLACE, &err), &err);
        CHECK_OK(gw_config_load(&config, path, &errors), &err);
        CHECK_STR(config.dir, check_temp_dir());
        snprintf(path, sizeof path, "%s/a.crt", check_temp_dir());
        CHECK_STR(site_of(&config, 0)->ecc.cert, path);
        gw_config_free(&config);
        snprintf(path, sizeof path, "%s/absent.yaml", check_temp_dir());
        CHECK(gw_config_load(&config, path, &errors) < 0);
        CHECK_EQ(errors.num, 1);
        CHECK_EQ(errors.list[0].line, 0);
        CHECK(strstr(errors.list[0].text, "absent.yaml") != NULL);
        /* A problem names the file as it was given. */
        snprintf(path, sizeof path, "%s/bad.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"listeners: []\n", 14, 0600, FILE_WRITE_REPLACE, &err), &err);
        CHECK_STATUS(gw_config_load(&config, path, &errors), SMT_ECONFIG);
        char want[4200];
        snprintf(want, sizeof want, "%s:1: listeners: at least one listener is needed", path);
        EXPECT_ERROR(1, want);
}

/* examples/gateway.yaml loads as it is, and names every key of the schema (each documented there). */
static void test_example(void)
{
        struct gw_config config;
        const char *path = check_source_path("examples/gateway.yaml");
        CHECK_OK(gw_config_load(&config, path, &errors), &(struct err){ 0 });
        CHECK_EQ(config.sites.num, 3);
        CHECK_EQ(config.listeners.num, 3);
        CHECK(site_of(&config, 0)->is_default);
        CHECK(site_of(&config, 0)->sm2.chain != NULL && site_of(&config, 0)->sm2.chain[0] == '/');
        gw_config_free(&config);
}

static void check_schema_keys_in(const struct config_section_schema *schema, const char *text, size_t *num_keys)
{
        char needle[64];
        for (size_t k = 0; k < schema->num_keys; k++) {
                const struct config_key *key = &schema->keys[k];
                snprintf(needle, sizeof needle, "%s:", key->name);
                if (strstr(text, needle) == NULL)
                        check_fail(__FILE__, __LINE__, "examples/gateway.yaml does not mention the key \"%s\"", key->name);
                (*num_keys)++;
                if (key->section != NULL)
                        check_schema_keys_in(key->section, text, num_keys);
        }
}

static void test_example_names_every_key(void)
{
        uint8_t *data = NULL;
        size_t len = 0, num_keys = 0;
        struct err err = { 0 };
        CHECK_OK(file_read_all(&data, &len, check_source_path("examples/gateway.yaml"), 1 << 20, &err), &err);
        char *text = strndup((const char *)data, len);
        check_schema_keys_in(&gw_config_file_schema, text, &num_keys);
        CHECK(num_keys >= 50);
        free(text);
        file_free_contents(data, len);
}

CHECK_MAIN(CHECK_TEST(test_defaults), CHECK_TEST(test_values_read), CHECK_TEST(test_relative_paths),
           CHECK_TEST(test_workers), CHECK_TEST(test_listen_invalid), CHECK_TEST(test_listen_address),
           CHECK_TEST(test_listen_unique), CHECK_TEST(test_listen_collisions), CHECK_TEST(test_listeners_needed),
           CHECK_TEST(test_names_invalid), CHECK_TEST(test_names_unique), CHECK_TEST(test_default_once),
           CHECK_TEST(test_https_needs_certificate), CHECK_TEST(test_certificate_groups_complete),
           CHECK_TEST(test_origin), CHECK_TEST(test_origin_tls), CHECK_TEST(test_hsts_and_limits),
           CHECK_TEST(test_every_problem_listed), CHECK_TEST(test_load_file), CHECK_TEST(test_example),
           CHECK_TEST(test_example_names_every_key))
