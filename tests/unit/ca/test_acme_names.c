/* tests/unit/ca/test_acme_names.c: identifier and time syntax of the ACME server. */
#include <string.h>

#include "ca/acme_names.h"
#include "check.h"

static void test_dns_names_accepted(void)
{
        char out[256];
        CHECK_EQ(acme_dns_name_normalize("WWW.Example.COM", out, sizeof(out)), 0);
        CHECK_STR(out, "www.example.com");
        CHECK_EQ(acme_dns_name_normalize("*.example.com", out, sizeof(out)), 0);
        CHECK_STR(out, "*.example.com");
        CHECK_EQ(acme_dns_name_normalize("xn--fiqs8s.xn--fiqz9s", out, sizeof(out)), 0);
        CHECK_EQ(acme_dns_name_normalize("a-b.c1.test", out, sizeof(out)), 0);
        /* 63-character label, the longest RFC 1035 allows. */
        char name[128];
        memset(name, 'a', 63);
        strcpy(name + 63, ".test");
        CHECK_EQ(acme_dns_name_normalize(name, out, sizeof(out)), 0);
}

static void test_dns_names_refused(void)
{
        char out[256];
        const char *bad[] = {"", "localhost", "example.com.", ".example.com", "a..example.com", "-a.example.com",
                             "a-.example.com", "*.*.example.com", "a.*.example.com", "*example.com", "*.com.",
                             "ex ample.com", "ex_ample.com", "1.2.3.4", "example.123", "a\x01.test", "*."};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_EQ(acme_dns_name_normalize(bad[i], out, sizeof(out)), -1);
        char name[300];
        memset(name, 'a', 64);
        strcpy(name + 64, ".test");
        CHECK_EQ(acme_dns_name_normalize(name, out, sizeof(out)), -1); /* label of 64 */
        for (int i = 0; i < 127; i++)
                memcpy(name + i * 2, "a.", 2);
        strcpy(name + 254, "b");
        CHECK_EQ(acme_dns_name_normalize(name, out, sizeof(out)), -1); /* 255 characters */
        CHECK_EQ(acme_dns_name_normalize("example.com", out, 5), -1);  /* does not fit */
}

static void test_ip_addresses(void)
{
        char out[64];
        CHECK_EQ(acme_ip_normalize("127.0.0.1", out, sizeof(out)), 0);
        CHECK_STR(out, "127.0.0.1");
        CHECK_EQ(acme_ip_normalize("2001:DB8:0:0::1", out, sizeof(out)), 0);
        CHECK_STR(out, "2001:db8::1");
        CHECK_EQ(acme_ip_normalize("127.1", out, sizeof(out)), -1);
        CHECK_EQ(acme_ip_normalize("example.com", out, sizeof(out)), -1);
}

static void test_times(void)
{
        int64_t t = 0;
        char text[40];
        /* 2026-11-23T00:00:00Z = 1795392000 (date -u -d 2026-11-23 +%s). */
        CHECK_EQ(acme_time_parse("2026-11-23T00:00:00Z", &t), 0);
        CHECK_EQ(t, 1795392000);
        CHECK_EQ(acme_time_parse("2026-11-23T08:00:00.123+08:00", &t), 0);
        CHECK_EQ(t, 1795392000);
        CHECK_EQ(acme_time_parse("2026-11-22T19:30:00-04:30", &t), 0);
        CHECK_EQ(t, 1795392000);
        acme_time_format(1795392000, text, sizeof(text));
        CHECK_STR(text, "2026-11-23T00:00:00Z");
        const char *bad[] = {"2026-11-23", "2026-11-23T00:00:00", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z",
                             "2026-11-23T00:00:00+0800", "2026-11-23T00:00:00Zjunk", "2026-11-23T00:00:00.Z"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_EQ(acme_time_parse(bad[i], &t), -1);
        CHECK_EQ(acme_time_parse(NULL, &t), -1);
}

CHECK_MAIN(CHECK_TEST(test_dns_names_accepted), CHECK_TEST(test_dns_names_refused), CHECK_TEST(test_ip_addresses),
           CHECK_TEST(test_times))
