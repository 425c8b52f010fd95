/* tests/unit/base/test_config_errors.c: every class of config problem gives exactly the line a user
 * reads, "file:line: key.path: message" (STYLE.md §9), and a file with many problems lists them all in
 * file order. Schema: test_config_schema.h. */
#include "base/config.h"
#include "check.h"
#include "test_config_schema.h"

#include <stdio.h>

/* Bytes of a value shown in a message before "..." (CONFIG_QUOTE_MAX in config_internal.h). */
#define CONFIG_QUOTE_MAX_SHOWN 60

static struct config_errors errors;

/* Seven lines; MINIMAL "extra" puts extra on line 8, inside sites[0] when indented by 4, inside
 * sites[0].upstreams[0] when indented by 8. */
#define MINIMAL                                                                                    \
        "listeners:\n"                                                                             \
        "  - address: 0.0.0.0\n"                                                                   \
        "    port: 443\n"                                                                          \
        "sites:\n"                                                                                 \
        "  - server_names: shop.example\n"                                                         \
        "    upstreams:\n"                                                                         \
        "      - url: http://127.0.0.1:8080\n"

/* Loads len bytes, which must fail with exactly one problem reading expected; the struct stays zero. */
static void expect_error_len(int line, const char *yaml, size_t len, const char *expected)
{
        struct test_config config, zero;
        memset(&config, 0, sizeof config);
        memset(&zero, 0, sizeof zero);
        int status = config_load_string(&config, &test_config_schema, "gw.yaml", yaml, len, &errors);
        if (status != SMT_ECONFIG)
                check_fail(__FILE__, line, "status %s, expected SMT_ECONFIG for:\n%s", err_name(status), yaml);
        if (errors.num != 1 || errors.num_more != 0)
                check_fail(__FILE__, line, "%zu problems (first: %s), expected one: %s", errors.num,
                           errors.num > 0 ? errors.list[0].text : "-", expected);
        if (strcmp(errors.list[0].text, expected) != 0)
                check_fail(__FILE__, line, "got      %s\n  expected %s", errors.list[0].text, expected);
        if (memcmp(&config, &zero, sizeof config) != 0)
                check_fail(__FILE__, line, "the output struct was changed by a failed load");
}

#define EXPECT_ERROR(yaml, expected) expect_error_len(__LINE__, (yaml), strlen(yaml), (expected))

static void test_integers_out_of_range_or_malformed(void)
{
        EXPECT_ERROR(MINIMAL "        weight: heavy\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"heavy\"");
        EXPECT_ERROR(MINIMAL "        weight: 0\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"0\"");
        EXPECT_ERROR(MINIMAL "        weight: 1001\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"1001\"");
        EXPECT_ERROR(MINIMAL "        weight: -5\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"-5\"");
        /* past INT64_MAX: refused, not wrapped around into range */
        EXPECT_ERROR(MINIMAL "        weight: 99999999999999999999\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got "
                     "\"99999999999999999999\"");
        EXPECT_ERROR(MINIMAL "        weight: 18446744073709551617\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got "
                     "\"18446744073709551617\"");
        EXPECT_ERROR(MINIMAL "        weight: 1.5\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"1.5\"");
        EXPECT_ERROR(MINIMAL "        weight: 0x10\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"0x10\"");
        /* a leading zero would read as octal in YAML 1.1: refused rather than guessed */
        EXPECT_ERROR(MINIMAL "        weight: 010\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"010\"");
        EXPECT_ERROR(MINIMAL "workers: 0\n", "gw.yaml:8: workers: expected an integer 1..1024, got \"0\"");
        EXPECT_ERROR("listeners:\n  - address: 0.0.0.0\n    port: 65536\nsites: []\n",
                     "gw.yaml:3: listeners[0].port: expected an integer 1..65535, got \"65536\"");
}

static void test_durations_negative_overflowing_or_without_unit(void)
{
        EXPECT_ERROR(MINIMAL "timeouts:\n  idle: -5s\n",
                     "gw.yaml:9: timeouts.idle: expected a duration 1s..1h, got \"-5s\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  idle: 2h\n",
                     "gw.yaml:9: timeouts.idle: expected a duration 1s..1h, got \"2h\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  idle: 999ms\n",
                     "gw.yaml:9: timeouts.idle: expected a duration 1s..1h, got \"999ms\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: -5s\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got \"-5s\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 10\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got \"10\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 5 minutes\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got "
                     "\"5 minutes\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 5min\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got \"5min\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 1.5s\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got \"1.5s\"");
        /* 10^13 days overflows int64_t milliseconds */
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 9999999999999d\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got "
                     "\"9999999999999d\"");
        EXPECT_ERROR(MINIMAL "timeouts:\n  header: 9223372036854775807ms1ms\n",
                     "gw.yaml:9: timeouts.header: expected a duration such as 250ms, 30s, 5m or 1h, got "
                     "\"9223372036854775807ms1ms\"");
}

static void test_sizes_booleans_and_enums(void)
{
        EXPECT_ERROR(MINIMAL "buffer_size: 16q\n", "gw.yaml:8: buffer_size: expected a size 1k..16m, got \"16q\"");
        EXPECT_ERROR(MINIMAL "buffer_size: 17m\n", "gw.yaml:8: buffer_size: expected a size 1k..16m, got \"17m\"");
        EXPECT_ERROR(MINIMAL "buffer_size: 1023\n", "gw.yaml:8: buffer_size: expected a size 1k..16m, got \"1023\"");
        EXPECT_ERROR(MINIMAL "buffer_size: -1k\n", "gw.yaml:8: buffer_size: expected a size 1k..16m, got \"-1k\"");
        EXPECT_ERROR(MINIMAL "buffer_size: 99999999999t\n",
                     "gw.yaml:8: buffer_size: expected a size 1k..16m, got \"99999999999t\"");
        EXPECT_ERROR(MINIMAL "    max_body: 2g\n", "gw.yaml:8: sites[0].max_body: expected a size 0..1g, got \"2g\"");
        EXPECT_ERROR(MINIMAL "daemon: maybe\n", "gw.yaml:8: daemon: expected true or false, got \"maybe\"");
        EXPECT_ERROR(MINIMAL "daemon: 1\n", "gw.yaml:8: daemon: expected true or false, got \"1\"");
        EXPECT_ERROR(MINIMAL "    load_balancing: random\n",
                     "gw.yaml:8: sites[0].load_balancing: expected one of round_robin, least_conn, ip_hash, got "
                     "\"random\"");
        EXPECT_ERROR(MINIMAL "    load_balancing: least_con\n",
                     "gw.yaml:8: sites[0].load_balancing: expected one of round_robin, least_conn, ip_hash, got "
                     "\"least_con\"; did you mean \"least_conn\"?");
        EXPECT_ERROR(MINIMAL "    load_balancing: Round_Robin\n",
                     "gw.yaml:8: sites[0].load_balancing: expected one of round_robin, least_conn, ip_hash, got "
                     "\"Round_Robin\"; did you mean \"round_robin\"?");
}

static void test_unknown_keys_with_and_without_suggestion(void)
{
        EXPECT_ERROR(MINIMAL "    tls_cert: a.pem\n", "gw.yaml:8: sites[0].tls_cert: unknown key; did you mean \"tls_certs\"?");
        EXPECT_ERROR(MINIMAL "        wieght: 5\n",
                     "gw.yaml:8: sites[0].upstreams[0].wieght: unknown key; did you mean \"weight\"?");
        EXPECT_ERROR(MINIMAL "timeout:\n  idle: 5s\n", "gw.yaml:8: timeout: unknown key; did you mean \"timeouts\"?");
        EXPECT_ERROR(MINIMAL "colour: blue\n", "gw.yaml:8: colour: unknown key");
        EXPECT_ERROR(MINIMAL "    x: 1\n", "gw.yaml:8: sites[0].x: unknown key");
        /* a key with a control byte or a long key stays one readable line */
        EXPECT_ERROR(MINIMAL "\"a\\tb\\nc\": 1\n", "gw.yaml:8: a\\tb\\nc: unknown key");
        EXPECT_ERROR(MINIMAL "k123456789012345678901234567890123456789012345678901234567890123456789: 1\n",
                     "gw.yaml:8: k12345678901234567890123456789012345678901234567890123456789...: unknown key");
}

static void test_missing_required_keys_name_the_mapping_line(void)
{
        EXPECT_ERROR("listeners:\n"
                     "  - address: 0.0.0.0\n"
                     "    port: 443\n"
                     "sites:\n"
                     "  - upstreams:\n"
                     "      - url: http://127.0.0.1:8080\n",
                     "gw.yaml:5: sites[0]: missing required key \"server_names\"");
        EXPECT_ERROR("listeners:\n"
                     "  - address: 0.0.0.0\n"
                     "sites: []\n",
                     "gw.yaml:2: listeners[0]: missing required key \"port\"");
        EXPECT_ERROR("# comment\n"
                     "sites: []\n",
                     "gw.yaml:2: missing required key \"listeners\"");
        EXPECT_ERROR(MINIMAL "      - weight: 3\n", "gw.yaml:8: sites[0].upstreams[1]: missing required key \"url\"");
}

static void test_duplicates_anchors_aliases_merges_tags_refused(void)
{
        EXPECT_ERROR(MINIMAL "    server_names: other.example\n",
                     "gw.yaml:8: sites[0].server_names: duplicate key (first at line 5)");
        EXPECT_ERROR(MINIMAL "workers: 2\nworkers: 3\n", "gw.yaml:9: workers: duplicate key (first at line 8)");
        EXPECT_ERROR(MINIMAL "workers: &w 4\n", "gw.yaml:8: anchors (&w) are not supported; write the value out");
        EXPECT_ERROR(MINIMAL "workers: *w\n", "gw.yaml:8: aliases (*w) are not supported; write the value out");
        EXPECT_ERROR(MINIMAL "<<: {workers: 4}\n", "gw.yaml:8: merge keys (<<) are not supported; write the keys out");
        EXPECT_ERROR(MINIMAL "    <<: {hsts: on}\n",
                     "gw.yaml:8: sites[0]: merge keys (<<) are not supported; write the keys out");
        EXPECT_ERROR(MINIMAL "workers: !!int 4\n", "gw.yaml:8: tags (!!int) are not supported");
        EXPECT_ERROR(MINIMAL "daemon: !local true\n", "gw.yaml:8: tags (!local) are not supported");
        /* a quoted "<<" is an ordinary (here unknown) key */
        EXPECT_ERROR(MINIMAL "\"<<\": 1\n", "gw.yaml:8: <<: unknown key");
}

static void test_wrong_kinds_are_named(void)
{
        EXPECT_ERROR(MINIMAL "        weight: {a: 1}\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got a mapping");
        EXPECT_ERROR(MINIMAL "        weight: [1]\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got a list");
        EXPECT_ERROR(MINIMAL "        weight:\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got nothing");
        EXPECT_ERROR(MINIMAL "        weight: ~\n",
                     "gw.yaml:8: sites[0].upstreams[0].weight: expected an integer 1..1000, got nothing");
        EXPECT_ERROR(MINIMAL "timeouts: [1]\n", "gw.yaml:8: timeouts: expected a mapping, got a list");
        EXPECT_ERROR(MINIMAL "timeouts: 5s\n", "gw.yaml:8: timeouts: expected a mapping, got \"5s\"");
        EXPECT_ERROR("listeners: 0.0.0.0:443\nsites: []\n",
                     "gw.yaml:1: listeners: expected a list of mappings, got \"0.0.0.0:443\"");
        EXPECT_ERROR("listeners: [a]\nsites: []\n", "gw.yaml:1: listeners[0]: expected a mapping, got \"a\"");
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names: {a: b}\n    upstreams: []\n",
                     "gw.yaml:3: sites[0].server_names: expected a string or a list of strings, got a mapping");
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names: [a.example, [b]]\n    upstreams: []\n",
                     "gw.yaml:3: sites[0].server_names[1]: expected a string, got a list");
        EXPECT_ERROR(MINIMAL "    hsts: [yes]\n", "gw.yaml:8: sites[0].hsts: expected true or false, got a list");
        EXPECT_ERROR(MINIMAL "? [a]\n: b\n", "gw.yaml:8: expected a key name, got a list");
        EXPECT_ERROR("listeners:\n  - address: {ip: 1}\n    port: 1\nsites: []\n",
                     "gw.yaml:2: listeners[0].address: expected a string, got a mapping");
        /* C strings end at NUL: a value holding one is refused, not cut */
        EXPECT_ERROR("listeners:\n  - address: \"0.0\\0.0\"\n    port: 1\nsites: []\n",
                     "gw.yaml:2: listeners[0].address: expected a string, got one with a NUL byte");
}

static void test_checks_get_position_and_path(void)
{
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names: shop.example\n    upstreams:\n      - url: ftp://x\n",
                     "gw.yaml:5: sites[0].upstreams[0].url: \"ftp://x\" is not an http:// or https:// URL");
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names:\n      - ok.example\n      - bad name\n    upstreams: []\n",
                     "gw.yaml:5: sites[0].server_names[1]: \"bad name\" is not a host name");
        /* a single scalar is checked as the list's only item, at the key's path */
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names: \"\"\n    upstreams: []\n",
                     "gw.yaml:3: sites[0].server_names: \"\" is not a host name");
        /* a check's message with a control byte still makes one line */
        EXPECT_ERROR("listeners: []\nsites:\n  - server_names: \"a\\nb\"\n    upstreams: []\n",
                     "gw.yaml:3: sites[0].server_names: \"a?b\" is not a host name");
        /* a section's own check runs on the filled struct and reports at the mapping's line */
        EXPECT_ERROR(MINIMAL "    hsts: on\n", "gw.yaml:5: sites[0]: hsts needs tls_certs");
}

static void test_whole_file_problems(void)
{
        EXPECT_ERROR("", "gw.yaml:1: the file has no settings (expected a mapping of keys)");
        EXPECT_ERROR("# nothing yet\n\n", "gw.yaml:1: the file has no settings (expected a mapping of keys)");
        EXPECT_ERROR("---\n", "gw.yaml:1: the file has no settings (expected a mapping of keys)");
        EXPECT_ERROR("- a\n- b\n", "gw.yaml:1: expected a mapping of keys at the top level, got a list");
        EXPECT_ERROR("hello\n", "gw.yaml:1: expected a mapping of keys at the top level, got \"hello\"");
        EXPECT_ERROR(MINIMAL "---\nworkers: 2\n",
                     "gw.yaml:8: a second YAML document is not allowed (one file, one configuration)");
}

/* libyaml's own words (Debian 12's libyaml 0.2.5) with its line and column. */
static void test_syntax_errors_carry_line_and_column(void)
{
        EXPECT_ERROR("workers: [1, 2\n",
                     "gw.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
                     "column 10)");
        EXPECT_ERROR("workers: a: b\n", "gw.yaml:1:11: mapping values are not allowed in this context");
        EXPECT_ERROR("sites:\n  - a\n b: c\n",
                     "gw.yaml:3:2: did not find expected key (while parsing a block mapping at line 1, column 1)");
        EXPECT_ERROR("workers: \"4\n",
                     "gw.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at line 1, "
                     "column 10)");
        EXPECT_ERROR(MINIMAL "workers: \xff\n", "gw.yaml:8: invalid leading UTF-8 octet (byte 0xff at offset 143)");
        expect_error_len(__LINE__, MINIMAL "workers: \0\n", strlen(MINIMAL) + 11,
                         "gw.yaml:8: control characters are not allowed (byte 0x00 at offset 143)");
}

static void test_nesting_depth_is_bounded(void)
{
        char yaml[400];
        size_t used = (size_t)snprintf(yaml, sizeof yaml, "%s", "workers: ");
        for (int i = 0; i < 100; i++)
                yaml[used++] = '[';
        for (int i = 0; i < 100; i++)
                yaml[used++] = ']';
        yaml[used] = 0;
        EXPECT_ERROR(yaml, "gw.yaml:1: nested deeper than 64 levels");
}

/* Values in messages stay on one line and short: control bytes escaped, the rest cut with "...". */
static void test_values_in_messages_are_escaped_and_cut(void)
{
        EXPECT_ERROR(MINIMAL "workers: \"a\\tb\\\"c\\\\\"\n",
                     "gw.yaml:8: workers: expected an integer 1..1024, got \"a\\tb\\\"c\\\\\"");
        char yaml[1024], expected[512], value[256], shown[256];
        memset(value, 'x', 100);
        value[100] = 0;
        memset(shown, 'x', CONFIG_QUOTE_MAX_SHOWN);
        shown[CONFIG_QUOTE_MAX_SHOWN] = 0;
        snprintf(yaml, sizeof yaml, MINIMAL "workers: %s\n", value);
        snprintf(expected, sizeof expected, "gw.yaml:8: workers: expected an integer 1..1024, got \"%s...\"", shown);
        EXPECT_ERROR(yaml, expected);
        /* "a" and 21 three-byte characters: byte 60 falls inside the 20th, which is left out whole */
        strcpy(value, "a");
        strcpy(shown, "a");
        for (int i = 0; i < 21; i++)
                strcat(value, "证");
        for (int i = 0; i < 19; i++)
                strcat(shown, "证");
        snprintf(yaml, sizeof yaml, MINIMAL "workers: %s\n", value);
        snprintf(expected, sizeof expected, "gw.yaml:8: workers: expected an integer 1..1024, got \"%s...\"", shown);
        EXPECT_ERROR(yaml, expected);
}

/* Every problem of a file, in file order: value, range, kind, check, unknown key, missing key and a
 * refused anchor (found while parsing, before the walk, yet listed at its line). */
static void test_many_problems_all_listed_in_file_order(void)
{
        static const char yaml[] = "workers: lots\n"                                 /* 1 */
                                   "listeners:\n"                                    /* 2 */
                                   "  - address: 0.0.0.0\n"                          /* 3 */
                                   "    port: 70000\n"                               /* 4 */
                                   "    proxy_protocol: maybe\n"                     /* 5 */
                                   "sites:\n"                                        /* 6 */
                                   "  - server_names: [shop.example, \"bad name\"]\n" /* 7 */
                                   "    load_balancing: least_con\n"                 /* 8 */
                                   "    upstreams:\n"                                /* 9 */
                                   "      - url: ftp://origin\n"                     /* 10 */
                                   "        weight: heavy\n"                         /* 11 */
                                   "      - weight: 2\n"                             /* 12 */
                                   "    tls_cert: x.pem\n"                           /* 13 */
                                   "timeouts:\n"                                     /* 14 */
                                   "  idle: 2h\n"                                    /* 15 */
                                   "  header: &h 5s\n"                               /* 16 */
                                   "colour: blue\n";                                 /* 17 */
        static const char *const expected[] = {
                "gw.yaml:1: workers: expected an integer 1..1024, got \"lots\"",
                "gw.yaml:4: listeners[0].port: expected an integer 1..65535, got \"70000\"",
                "gw.yaml:5: listeners[0].proxy_protocol: expected true or false, got \"maybe\"",
                "gw.yaml:7: sites[0].server_names[1]: \"bad name\" is not a host name",
                "gw.yaml:8: sites[0].load_balancing: expected one of round_robin, least_conn, ip_hash, got "
                "\"least_con\"; did you mean \"least_conn\"?",
                "gw.yaml:10: sites[0].upstreams[0].url: \"ftp://origin\" is not an http:// or https:// URL",
                "gw.yaml:11: sites[0].upstreams[0].weight: expected an integer 1..1000, got \"heavy\"",
                "gw.yaml:12: sites[0].upstreams[1]: missing required key \"url\"",
                "gw.yaml:13: sites[0].tls_cert: unknown key; did you mean \"tls_certs\"?",
                "gw.yaml:15: timeouts.idle: expected a duration 1s..1h, got \"2h\"",
                "gw.yaml:16: anchors (&h) are not supported; write the value out",
                "gw.yaml:17: colour: unknown key",
        };
        struct test_config config;
        memset(&config, 0, sizeof config);
        CHECK_STATUS(config_load_string(&config, &test_config_schema, "gw.yaml", yaml, strlen(yaml), &errors),
                     SMT_ECONFIG);
        for (size_t i = 0; i < errors.num && i < sizeof expected / sizeof expected[0]; i++)
                CHECK_STR(errors.list[i].text, expected[i]);
        CHECK_EQ(errors.num, sizeof expected / sizeof expected[0]);
        CHECK_EQ(errors.list[10].line, 16);
}

/* The STYLE.md example: an error deep in the third site. */
static void test_deep_path_in_a_later_element(void)
{
        static const char yaml[] = "listeners: []\n"
                                   "sites:\n"
                                   "  - server_names: a.example\n"
                                   "    upstreams: []\n"
                                   "  - server_names: b.example\n"
                                   "    upstreams: []\n"
                                   "  - server_names: c.example\n"
                                   "    upstreams:\n"
                                   "      - url: http://c1\n"
                                   "        weight: heavy\n";
        EXPECT_ERROR(yaml, "gw.yaml:10: sites[2].upstreams[0].weight: expected an integer 1..1000, got \"heavy\"");
}

CHECK_MAIN(CHECK_TEST(test_integers_out_of_range_or_malformed),
           CHECK_TEST(test_durations_negative_overflowing_or_without_unit), CHECK_TEST(test_sizes_booleans_and_enums),
           CHECK_TEST(test_unknown_keys_with_and_without_suggestion),
           CHECK_TEST(test_missing_required_keys_name_the_mapping_line),
           CHECK_TEST(test_duplicates_anchors_aliases_merges_tags_refused), CHECK_TEST(test_wrong_kinds_are_named),
           CHECK_TEST(test_checks_get_position_and_path), CHECK_TEST(test_whole_file_problems),
           CHECK_TEST(test_syntax_errors_carry_line_and_column), CHECK_TEST(test_nesting_depth_is_bounded),
           CHECK_TEST(test_values_in_messages_are_escaped_and_cut),
           CHECK_TEST(test_many_problems_all_listed_in_file_order), CHECK_TEST(test_deep_path_in_a_later_element))
