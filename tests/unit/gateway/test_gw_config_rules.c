/* tests/unit/gateway/test_gw_config_rules.c: what gateway.yaml loading refuses, each problem asserted by
 * its whole text and line: value syntax (listen addresses, host names and wildcards, origins, pins), sections
 * (incomplete certificate groups, origin_tls, hsts, limits) and the rules across items (unique addresses
 * and names, one default site, a certificate for each site an https listener serves), upstream groups (origin
 * or servers, distinct servers of one scheme, a primary, at most 1024) and their values and health checks. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config_fixture.h"
#include "gateway/config.h"

static void test_listen_invalid(void)
{
        EXPECT_REFUSED("listeners:\n  - listen: \"443\"\n", 2,
                       "gw.yaml:2: listeners[0].listen: \"443\": expected host:port");
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
                       "gw.yaml:3: listeners[0].protocol: expected one of https, http, redirect, tcp, passthrough, got \"htps\"; did "
                       "you mean \"https\"?");
        EXPECT_REFUSED("listeners:\n  - listen: \":443\"\n    tlcp: false\n    tls: no\n", 2,
                       "gw.yaml:2: listeners[0]: an https listener needs tlcp or tls (both are off)");
        EXPECT_REFUSED("admin:\n  listen: \"127.0.0.1\"\n" LISTENER, 2,
                       "gw.yaml:2: admin.listen: \"127.0.0.1\": expected host:port");
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
                       4,
                       "gw.yaml:4: listeners[2].listen: \"localhost:8080\" takes the port of listeners[0] "
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
        CHECK_STATUS(config_fixture_load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(4, "gw.yaml:4: listeners[2].listen: \"[0::1]:443\" takes the port of listeners[1] (\"[::1]:443\", "
                        "line 3); one address and port can have one listener");
        EXPECT_ERROR(5, "gw.yaml:5: listeners[3].listen: \":443\" takes the port of listeners[0] (\"127.0.0.1:443\", "
                        "line 2); one address and port can have one listener");
        EXPECT_ERROR(9, "gw.yaml:9: admin.listen: \"127.0.0.1:443\" takes the port of listeners[0] (\"127.0.0.1:443\", "
                        "line 2); one address and port can have one listener");
        CHECK_EQ(config_fixture_errors()->num, 3);
        CHECK(config_fixture_errors()->list[0].line <= config_fixture_errors()->list[1].line &&
              config_fixture_errors()->list[1].line <= config_fixture_errors()->list[2].line);
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
            {"\"*.com\"", "\"*.com\": a wildcard needs two labels or more after \"*.\" (it would match every name "
                          "under a top-level domain)"},
            {"a.*.example.com", "\"a.*.example.com\": '*' is allowed only as the whole first label, as in "
                                "\"*.example.com\" (RFC 6125 §6.4.3)"},
            {"\"*a.example.com\"", "\"*a.example.com\": '*' is allowed only as the whole first label, as in "
                                   "\"*.example.com\" (RFC 6125 §6.4.3)"},
            {"\"*.*.example.com\"", "\"*.example.com\": character '*' is not allowed in a host name (letters, "
                                    "digits, '-' and '.')"},
            {"-a.example.com", "\"-a.example.com\": the label \"-a\" starts or ends with '-'"},
            {"a..example.com", "\"a..example.com\": empty label (a leading, trailing or double dot)"},
            {"example.com.", "\"example.com.\": empty label (a leading, trailing or double dot)"},
            {"exa_mple.com", "\"exa_mple.com\": character '_' is not allowed in a host name (letters, digits, "
                             "'-' and '.')"},
            {"\"\"", "an empty host name"},
            {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\": a label of 64 characters "
             "exceeds 63"},
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
        snprintf(want, sizeof want,
                 "gw.yaml:4: sites[0].names[0]: \"%.80s...\": a host name of 258 characters exceeds 253", longest);
        EXPECT_REFUSED(yaml, 4, want);
}

/* Names compare after lowercasing; a repeat is reported on the later line naming both sites. */
static void test_names_unique(void)
{
        struct gw_config config;
        const char *yaml = LISTENER "sites:\n"                    /* 3 */
                                    "  - name: shop\n"            /* 4 */
                                    "    names:\n"                /* 5 */
                                    "      - shop.example.com\n"  /* 6 */
                                    "      - \"*.example.com\"\n" /* 7 */
            SITE_ECC ORIGIN                                       /* 8, 9 */
                                    "  - name: blog\n"            /* 10 */
                                    "    names:\n"                /* 11 */
                                    "      - blog.example.com\n"  /* 12 */
                                    "      - SHOP.example.com\n"  /* 13 */
                                    "      - Blog.Example.com\n"  /* 14 */
                                    "      - \"*.EXAMPLE.com\"\n" /* 15 */
            SITE_ECC ORIGIN                                       /* 16, 17 */
                                    "  - name: shop\n"            /* 18 */
                                    "    names: example.com\n"    /* 19 */
            SITE_ECC ORIGIN;                                      /* 20, 21 */
        CHECK_STATUS(config_fixture_load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(13, "gw.yaml:13: sites[1].names[1]: \"shop.example.com\" is also a name of sites[0] (\"shop\", "
                         "line 6); a name can lead to one site only");
        EXPECT_ERROR(14, "gw.yaml:14: sites[1].names[2]: \"blog.example.com\" is listed twice (also names[0])");
        EXPECT_ERROR(15, "gw.yaml:15: sites[1].names[3]: \"*.example.com\" is also a name of sites[0] (\"shop\", "
                         "line 7); a name can lead to one site only");
        EXPECT_ERROR(18, "gw.yaml:18: sites[2].name: \"shop\" is also the name of sites[0] (line 4); a site's name "
                         "tells it apart in logs and metrics");
        CHECK_EQ(config_fixture_errors()->num, 4);
        for (size_t i = 1; i < config_fixture_errors()->num; i++)
                CHECK(config_fixture_errors()->list[i - 1].line <= config_fixture_errors()->list[i].line);
}

static void test_default_once(void)
{
        struct gw_config config;
        const char *yaml = LISTENER "sites:\n"                   /* 3 */
                                    "  - names: a.example.com\n" /* 4 */
                                    "    default: true\n"        /* 5 */
            SITE_ECC ORIGIN                                      /* 6, 7 */
                                    "  - names: b.example.com\n" /* 8 */
            SITE_ECC ORIGIN                                      /* 9, 10 */
                                    "  - names: c.example.com\n" /* 11 */
            SITE_ECC ORIGIN                                      /* 12, 13 */
                                    "    default: on\n";         /* 14 */
        EXPECT_REFUSED(yaml, 14,
                       "gw.yaml:14: sites[2].default: sites[0] (\"a.example.com\", line 5) is the default site "
                       "already; there can be one");
        /* The default site alone may have no names; its name is then "default". */
        LOAD_OK(&config, LISTENER "sites:\n  - default: true\n" SITE_ECC ORIGIN);
        CHECK_STR(config_fixture_site(&config, 0)->name, "default");
        CHECK_EQ(config_fixture_site(&config, 0)->names.num, 0);
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
        LOAD_OK(&config,
                "listeners:\n  - {listen: \":80\", protocol: http}\n  - {listen: \":81\", protocol: redirect}\n"
                "sites:\n  - names: a.example.com\n" ORIGIN);
        gw_config_free(&config);
        const char *tlcp_only =
            "listeners:\n"
            "  - {listen: \":443\", tls: false}\n"   /* 2 */
            "  - {listen: \":8443\", tlcp: false}\n" /* 3 */
            "sites:\n"
            "  - names: a.example.com\n" SITE_ECC ORIGIN /* 5 */
            "  - names: b.example.com\n"                 /* 8 */
            "    sm2: {sign_cert: s.crt, sign_key: s.key, enc_cert: e.crt, enc_key: e.key}\n" ORIGIN;
        CHECK_STATUS(config_fixture_load(&config, tlcp_only), SMT_ECONFIG);
        EXPECT_ERROR(5, "gw.yaml:5: sites[0]: no sm2 pair, yet listeners[0] (line 2) accepts TLCP only");
        EXPECT_ERROR(8, "gw.yaml:8: sites[1]: no ecc or rsa certificate, yet listeners[1] (line 3) accepts TLS only");
        CHECK_EQ(config_fixture_errors()->num, 2);
        /* On a listener with both, either kind will do. */
        LOAD_OK(&config,
                LISTENER "sites:\n"
                         "  - names: b.example.com\n"
                         "    sm2: {sign_cert: s.crt, sign_key: s.key, enc_cert: e.crt, enc_key: e.key}\n" ORIGIN
                         "  - names: c.example.com\n"
                         "    rsa: {cert: r.crt, key: r.key}\n" ORIGIN);
        gw_config_free(&config);
}

static void test_certificate_groups_complete(void)
{
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    sm2:\n" /* 5 */
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
                       5,
                       "gw.yaml:5: sites[0].sm2: chain without a pair: missing sign_cert, sign_key, enc_cert, enc_key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    rsa: {cert: r.crt}\n" SITE_ECC ORIGIN,
                       5, "gw.yaml:5: sites[0].rsa: incomplete certificate: missing key");
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n"
                                "    ecc: {cert: \"\", key: a.key}\n" ORIGIN,
                       5, "gw.yaml:5: sites[0].ecc.cert: expected a value, got \"\"");
}

static void test_origin_refused(void)
{
        static const struct {
                const char *origin;
                const char *message;
        } refused[] = {
            {"ftp://a.example.com", "\"ftp://a.example.com\": expected an http:// or https:// URL"},
            {"a.example.com:80", "\"a.example.com:80\": expected an http:// or https:// URL"},
            {"http://user:pw@a.example.com", "\"http://user:pw@a.example.com\": a user name or password is not "
                                             "allowed in an origin"},
            {"http://a.example.com/app", "\"http://a.example.com/app\": a path is not allowed in an origin "
                                         "(requests keep their own path)"},
            {"http://a.example.com?x=1", "\"http://a.example.com?x=1\": a query or fragment is not allowed in an "
                                         "origin"},
            {"http://a.example.com:0", "\"http://a.example.com:0\": port \"0\": expected a number 1..65535"},
            {"http://::1:8080", "\"http://::1:8080\": write an IPv6 address in brackets, as \"[::1]:443\""},
            {"http://", "\"http://\": no host"},
            {"http://:8080", "\"http://:8080\": no host"},
        };
        char yaml[512], want[512];
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
                snprintf(yaml, sizeof yaml,
                         LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    origin: \"%s\"\n",
                         refused[i].origin);
                snprintf(want, sizeof want, "gw.yaml:6: sites[0].origin: %s", refused[i].message);
                EXPECT_REFUSED(yaml, 6, want);
        }
}

static void test_origin_tls(void)
{
        struct gw_config config;
        uint8_t pin[32], want[32];
        struct err err = {0};
        for (size_t i = 0; i < 32; i++)
                want[i] = (uint8_t)(0xa0 + i);
        CHECK_OK(gw_config_pin_parse(pin, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", &err),
                 &err);
        CHECK_MEM(pin, want, 32);
        CHECK_OK(gw_config_pin_parse(pin,
                                     "A0:A1:A2:A3:A4:A5:A6:A7:A8:A9:AA:AB:AC:AD:AE:AF:B0:B1:B2:B3:B4:B5:B6:B7:B8:B9:"
                                     "BA:BB:BC:BD:BE:BF",
                                     &err),
                 &err);
        CHECK_MEM(pin, want, 32);
        LOAD_OK(&config, LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    origin: https://10.0.0.1\n"
                                  "    origin_tls:\n"
                                  "      verify: off\n");
        CHECK_EQ(config_fixture_site(&config, 0)->origin_tls.verify, GW_ORIGIN_VERIFY_OFF);
        gw_config_free(&config);
        const char *start = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    origin: https://10.0.0.1\n"
                                     "    origin_tls:\n"; /* lines 1..7 */
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s      pins: [\"%s\"]\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls: pins are used only with verify: pin");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n", start);
        EXPECT_REFUSED(yaml, 8,
                       "gw.yaml:8: sites[0].origin_tls: verify: pin needs pins (the SHA-256 of the origin's "
                       "certificate)");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      ca_file: roots.pem\n      pins: [\"%s\"]\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls: ca_file is used only with verify: on");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      pins:\n        - \"%s\"\n        - \"%s\"\n", start,
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe");
        EXPECT_REFUSED(yaml, 11,
                       "gw.yaml:11: sites[0].origin_tls.pins[1]: \"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6"
                       "b7b8b9babbbcbdbe\": expected the SHA-256 of a certificate in hex (64 digits, colons "
                       "allowed), got 62 digits");
        snprintf(yaml, sizeof yaml, "%s      verify: pin\n      pins: [\"sha256/abc\"]\n", start);
        EXPECT_REFUSED(yaml, 9,
                       "gw.yaml:9: sites[0].origin_tls.pins[0]: \"sha256/abc\": expected the SHA-256 of a "
                       "certificate in hex (64 digits, colons allowed), got the character 's'");
        snprintf(yaml, sizeof yaml, "%s      verify: maybe\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: sites[0].origin_tls.verify: expected one of off, on, pin, got \"maybe\"");
        snprintf(yaml, sizeof yaml, "%s      server_name: \"back end\"\n", start);
        EXPECT_REFUSED(yaml, 8,
                       "gw.yaml:8: sites[0].origin_tls.server_name: \"back end\": character ' ' is not allowed "
                       "in a host name (letters, digits, '-' and '.')");
}

static void test_hsts_and_limits(void)
{
        const char *start = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC ORIGIN; /* lines 1..6 */
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s    hsts: {enabled: true, preload: true}\n", start);
        EXPECT_REFUSED(yaml, 7,
                       "gw.yaml:7: sites[0].hsts: preload needs include_subdomains: true and a max_age of 365d "
                       "or more");
        snprintf(yaml, sizeof yaml, "%s    hsts: {enabled: true, max_age: 1500ms}\n", start);
        EXPECT_REFUSED(yaml, 7,
                       "gw.yaml:7: sites[0].hsts: max_age must be whole seconds (RFC 6797 §6.1.1), got 1500ms");
        snprintf(yaml, sizeof yaml, "%slimits:\n  max_head_size: 8k\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: limits: max_head_size 8192 is below max_request_line 8192 + 4");
        snprintf(yaml, sizeof yaml, "%slimits:\n  max_header_fields: 129\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: limits.max_header_fields: expected an integer 1..128, got \"129\"");
        snprintf(yaml, sizeof yaml, "%stimeouts:\n  handshake: 0\n", start);
        EXPECT_REFUSED(yaml, 8, "gw.yaml:8: timeouts.handshake: expected a duration 1ms..10m, got \"0\"");
        snprintf(yaml, sizeof yaml, "%s    name: \"my shop\"\n", start);
        EXPECT_REFUSED(yaml, 7,
                       "gw.yaml:7: sites[0].name: \"my shop\": a site name is written into log lines and "
                       "metric labels: use visible ASCII without spaces, '\"' or '\\'");
        snprintf(yaml, sizeof yaml, "%slog: {level: verbose}\n", start);
        EXPECT_REFUSED(yaml, 7,
                       "gw.yaml:7: log.level: expected one of error, warn, warning, info, debug, got \"verbose\"");
}

/* A site with one server group: lines 1..8 (the group at 6, its servers at 7, the first server at 8). */
#define UPSTREAM_SITE                                                                                                  \
        LISTENER "sites:\n"                                                                                            \
                 "  - names: a.example.com\n" SITE_ECC "    upstream:\n"                                               \
                 "      servers:\n"                                                                                    \
                 "        - server: http://10.0.0.1:8080\n"

/* A site forwards to origin or to upstream.servers: exactly one of them. */
static void test_upstream_or_origin(void)
{
        const char *neither = "gw.yaml:4: sites[0]: needs origin or upstream.servers (where requests are forwarded to)";
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC, 4, neither);
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream: {servers: []}\n", 4,
                       neither);
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream: {balance: ip_hash}\n", 4,
                       neither);
        EXPECT_REFUSED(UPSTREAM_SITE ORIGIN, 9,
                       "gw.yaml:9: sites[0].origin: upstream.servers (line 7) is set too; remove origin (or add its "
                       "URL to upstream.servers)");
}

/* Servers compare as connections see them (scheme, host lowercase, port with its default), share one
 * scheme, and include a primary; each problem at the line of the server it is about. */
static void test_upstream_servers(void)
{
        struct gw_config config;
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                                "      servers:\n" /* 7 */
                                "        - {server: http://a.internal, backup: true}\n"
                                "        - {server: http://b.internal, backup: on}\n",
                       7,
                       "gw.yaml:7: sites[0].upstream.servers: every server is a backup; at least one must not be "
                       "(backups take requests only while no other server can)");
        const char *repeated = LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                                        "      servers:\n"
                                        "        - server: http://Backend.Internal\n"         /* 8 */
                                        "        - server: http://backend.internal:8080\n"    /* 9 */
                                        "        - server: http://10.0.0.2\n"                 /* 10 */
                                        "        - server: \"http://backend.internal:80/\"\n" /* 11 */
                                        "        - server: http://10.0.0.2:80\n";             /* 12 */
        CHECK_STATUS(config_fixture_load(&config, repeated), SMT_ECONFIG);
        EXPECT_ERROR(11, "gw.yaml:11: sites[0].upstream.servers[3].server: \"http://backend.internal:80/\" is the "
                         "server of servers[0] (\"http://Backend.Internal\", line 8); list a server once (a larger "
                         "weight gives it more requests)");
        EXPECT_ERROR(12, "gw.yaml:12: sites[0].upstream.servers[4].server: \"http://10.0.0.2:80\" is the server of "
                         "servers[2] (\"http://10.0.0.2\", line 10); list a server once (a larger weight gives it "
                         "more requests)");
        CHECK_EQ(config_fixture_errors()->num, 2);
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                                "      servers:\n"
                                "        - server: https://10.0.0.1\n"    /* 8 */
                                "        - server: http://10.0.0.1:443\n" /* 9 */
                                "        - server: HTTPS://10.0.0.2\n",
                       9,
                       "gw.yaml:9: sites[0].upstream.servers[1].server: \"http://10.0.0.1:443\" is http but "
                       "servers[0] (\"https://10.0.0.1\", line 8) is https; the servers of a site share one scheme "
                       "(origin_tls applies to all)");
}

/* GW_BALANCER_SERVERS_MAX (1024) servers in a group, written as one flow list on line 7. */
static void test_upstream_servers_max(void)
{
        static char yaml[64 * 1024];
        struct gw_config config;
        for (size_t num = 1024; num <= 1025; num++) {
                size_t used = (size_t)snprintf(yaml, sizeof yaml,
                                               LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream:\n"
                                                        "      servers: [");
                for (size_t i = 0; i < num; i++)
                        used += (size_t)snprintf(yaml + used, sizeof yaml - used, "%s{server: \"http://10.0.%zu.%zu\"}",
                                                 i > 0 ? ", " : "", i / 256, i % 256);
                snprintf(yaml + used, sizeof yaml - used, "]\n");
                CHECK(used + 3 < sizeof yaml);
                if (num == 1024) {
                        LOAD_OK(&config, yaml);
                        CHECK_EQ(config_fixture_site(&config, 0)->upstream.servers.num, 1024);
                        gw_config_free(&config);
                } else {
                        EXPECT_REFUSED(yaml, 7,
                                       "gw.yaml:7: sites[0].upstream.servers: 1025 servers exceed the limit "
                                       "of 1024");
                }
        }
}

/* Each value of a server and of the group, refused at its line with its key path. */
static void test_upstream_values_refused(void)
{
        EXPECT_REFUSED(LISTENER "sites:\n  - names: a.example.com\n" SITE_ECC "    upstream:\n      servers:\n"
                                "        - {server: http://10.0.0.1, weight: 0}\n",
                       8, "gw.yaml:8: sites[0].upstream.servers[0].weight: expected an integer 1..1000, got \"0\"");
        EXPECT_REFUSED(UPSTREAM_SITE "          weight: 1001\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[0].weight: expected an integer 1..1000, got \"1001\"");
        EXPECT_REFUSED(UPSTREAM_SITE "          fail_timeout: 0\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[0].fail_timeout: expected a duration 1ms..1d, got \"0\"");
        EXPECT_REFUSED(UPSTREAM_SITE "          slow_start: 2d\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[0].slow_start: expected a duration 0ms..1d, got \"2d\"");
        EXPECT_REFUSED(UPSTREAM_SITE "          max_fails: -1\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[0].max_fails: expected an integer 0..1000, got \"-1\"");
        /* A server URL is read exactly as origin is. */
        EXPECT_REFUSED(UPSTREAM_SITE "        - server: http://10.0.0.2/app\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[1].server: \"http://10.0.0.2/app\": a path is not "
                       "allowed in an origin (requests keep their own path)");
        EXPECT_REFUSED(UPSTREAM_SITE "        - weight: 2\n", 9,
                       "gw.yaml:9: sites[0].upstream.servers[1]: missing required key \"server\"");
        EXPECT_REFUSED(
            UPSTREAM_SITE "      balance: least_connection\n", 9,
            "gw.yaml:9: sites[0].upstream.balance: expected one of round_robin, weighted, least_connections, "
            "response_time, ip_hash, got \"least_connection\"; did you mean \"least_connections\"?");
        EXPECT_REFUSED(UPSTREAM_SITE "      persistence: sticky\n", 9,
                       "gw.yaml:9: sites[0].upstream.persistence: expected one of none, cookie, source_ip, got "
                       "\"sticky\"");
        EXPECT_REFUSED(UPSTREAM_SITE "      retries: 11\n", 9,
                       "gw.yaml:9: sites[0].upstream.retries: expected an integer 0..10, got \"11\"");
        EXPECT_REFUSED(UPSTREAM_SITE "      cookie_name: \"a;b\"\n", 9,
                       "gw.yaml:9: sites[0].upstream.cookie_name: \"a;b\": character ';' is not allowed in a cookie "
                       "name (RFC 6265 §4.1.1: a token: visible ASCII without ()<>@,;:\\\"/[]?={})");
        EXPECT_REFUSED(UPSTREAM_SITE "      cookie_name: \"my server\"\n", 9,
                       "gw.yaml:9: sites[0].upstream.cookie_name: \"my server\": character ' ' is not allowed in a "
                       "cookie name (RFC 6265 §4.1.1: a token: visible ASCII without ()<>@,;:\\\"/[]?={})");
        EXPECT_REFUSED(UPSTREAM_SITE "      cookie_name: \"\"\n", 9,
                       "gw.yaml:9: sites[0].upstream.cookie_name: expected a cookie name of 1..128 characters, got 0");
        /* Two ways of pinning a client at once; the group is reported at its first line. */
        EXPECT_REFUSED(UPSTREAM_SITE "      balance: ip_hash\n      persistence: cookie\n", 7,
                       "gw.yaml:7: sites[0].upstream: persistence: cookie with balance: ip_hash pins a client two "
                       "ways; use ip_hash alone (or persistence: source_ip), or the cookie with another balance");
        struct gw_config config;
        LOAD_OK(&config, UPSTREAM_SITE "      balance: ip_hash\n      persistence: source_ip\n");
        gw_config_free(&config);
        LOAD_OK(&config, UPSTREAM_SITE "      balance: round_robin\n      persistence: cookie\n");
        gw_config_free(&config);
}

/* Health check values, each at its line under health_check (line 9). */
static void test_health_check_refused(void)
{
        static const struct {
                const char *line;
                const char *message;
        } cases[] = {
            {"kind: ping", "kind: expected one of none, http, tcp, got \"ping\""},
            {"path: healthz", "path: \"healthz\": expected a path starting with '/', as \"/healthz\""},
            {"path: \"/a b\"", "path: \"/a b\": character ' ' is not allowed in a request path (visible ASCII only: "
                               "write others as %XX)"},
            {"path: \"/a\\tb\"", "path: \"/a?b\": character '?' is not allowed in a request path (visible ASCII "
                                 "only: write others as %XX)"},
            {"path: \"/a#top\"", "path: \"/a#top\": a fragment ('#') is not sent in a request (RFC 9112 §3.2)"},
            {"host: \"a b\"", "host: \"a b\": \"a b\": character ' ' is not allowed in a host name (letters, digits, "
                              "'-' and '.')"},
            {"host: \"a.internal:0\"", "host: \"a.internal:0\": port \"0\": expected a number 1..65535"},
            {"expect: 600", "expect: \"600\": expected an HTTP status 100..599 (\"200\") or a range of them "
                            "(\"200-399\")"},
            {"expect: 2xx", "expect: \"2xx\": expected an HTTP status 100..599 (\"200\") or a range of them "
                            "(\"200-399\")"},
            {"expect: 200-", "expect: \"200-\": expected an HTTP status 100..599 (\"200\") or a range of them "
                             "(\"200-399\")"},
            {"expect: \" 200\"", "expect: \" 200\": expected an HTTP status 100..599 (\"200\") or a range of them "
                                 "(\"200-399\")"},
            {"expect: 399-200", "expect: \"399-200\": the range ends below its start (399 > 200)"},
            {"interval: 99ms", "interval: expected a duration 100ms..1h, got \"99ms\""},
            {"timeout: 0", "timeout: expected a duration 1ms..1h, got \"0\""},
            {"rise: 0", "rise: expected an integer 1..100, got \"0\""},
            {"fall: 101", "fall: expected an integer 1..100, got \"101\""},
        };
        char yaml[1024], want[512];
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                snprintf(yaml, sizeof yaml, UPSTREAM_SITE "      health_check:\n        %s\n", cases[i].line);
                snprintf(want, sizeof want, "gw.yaml:10: sites[0].upstream.health_check.%s", cases[i].message);
                EXPECT_REFUSED(yaml, 10, want);
        }
        /* A check ends within its interval, whichever of the two is left at its default. */
        EXPECT_REFUSED(UPSTREAM_SITE "      health_check:\n        kind: tcp\n        timeout: 6s\n", 10,
                       "gw.yaml:10: sites[0].upstream.health_check: timeout 6s exceeds interval 5s: a check must end "
                       "within its interval");
        EXPECT_REFUSED(UPSTREAM_SITE "      health_check: {interval: 1500ms}\n", 9,
                       "gw.yaml:9: sites[0].upstream.health_check: timeout 2s exceeds interval 1500ms: a check must "
                       "end within its interval");
}

/* One load lists the problems of every section, each at its own line, in line order. */
static void test_every_problem_listed(void)
{
        struct gw_config config;
        const char *yaml = "workers: lots\n"                               /* 1 */
                           "listeners:\n"                                  /* 2 */
                           "  - listen: \"443\"\n"                         /* 3 */
                           "  - listen: \":80\"\n"                         /* 4 */
                           "    protocol: redirectt\n"                     /* 5 */
                           "sites:\n"                                      /* 6 */
                           "  - names: [a.example.com, b_c.example.com]\n" /* 7 */
                           "    sm2: {sign_cert: s.crt}\n"                 /* 8 */
                           "    origin: http://a/b\n"                      /* 9 */
                           "    hsts: {enabeld: true}\n";                  /* 10 */
        CHECK_STATUS(config_fixture_load(&config, yaml), SMT_ECONFIG);
        EXPECT_ERROR(1, "gw.yaml:1: workers: expected \"auto\" or an integer 1..256, got \"lots\"");
        EXPECT_ERROR(3, "gw.yaml:3: listeners[0].listen: \"443\": expected host:port");
        EXPECT_ERROR(5,
                     "gw.yaml:5: listeners[1].protocol: expected one of https, http, redirect, tcp, passthrough, got \"redirectt\"; did "
                     "you mean \"redirect\"?");
        EXPECT_ERROR(7,
                     "gw.yaml:7: sites[0].names[1]: \"b_c.example.com\": character '_' is not allowed in a host name "
                     "(letters, digits, '-' and '.')");
        EXPECT_ERROR(8, "gw.yaml:8: sites[0].sm2: incomplete SM2 pair: missing sign_key, enc_cert, enc_key");
        EXPECT_ERROR(9, "gw.yaml:9: sites[0].origin: \"http://a/b\": a path is not allowed in an origin (requests keep "
                        "their own path)");
        EXPECT_ERROR(10, "gw.yaml:10: sites[0].hsts.enabeld: unknown key; did you mean \"enabled\"?");
        CHECK_EQ(config_fixture_errors()->num, 7);
        for (size_t i = 1; i < config_fixture_errors()->num; i++)
                CHECK(config_fixture_errors()->list[i - 1].line <= config_fixture_errors()->list[i].line);
}

CHECK_MAIN(CHECK_TEST(test_listen_invalid), CHECK_TEST(test_listen_unique), CHECK_TEST(test_listen_collisions),
           CHECK_TEST(test_listeners_needed), CHECK_TEST(test_names_invalid), CHECK_TEST(test_names_unique),
           CHECK_TEST(test_default_once), CHECK_TEST(test_https_needs_certificate),
           CHECK_TEST(test_certificate_groups_complete), CHECK_TEST(test_origin_refused), CHECK_TEST(test_origin_tls),
           CHECK_TEST(test_hsts_and_limits), CHECK_TEST(test_upstream_or_origin), CHECK_TEST(test_upstream_servers),
           CHECK_TEST(test_upstream_servers_max), CHECK_TEST(test_upstream_values_refused),
           CHECK_TEST(test_health_check_refused), CHECK_TEST(test_every_problem_listed))
