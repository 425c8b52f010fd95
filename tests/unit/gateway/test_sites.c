/* tests/unit/gateway/test_sites.c: sites built from real certificate files (the shared TLCP PKI, ECC and RSA
 * chains issued for the test): the lookup from SNI or Host (exact, one-label wildcard, any case, with a
 * port, the default site, none), the credentials each site serves and the files they share, origins, HSTS
 * values, the refusals that name the site and the file, and a TLCP handshake whose SNI picks the site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gateway/sites.h"
#include "sites_fixture.h"

/* SM2 pair lines with relative paths (the fixture folder is the config's folder). */
#define SM2_PAIR "    sm2: {sign_cert: sign.crt, sign_key: sign.key, enc_cert: enc.crt, enc_key: enc.key"

static const char *const sites_yaml =
    "listeners:\n"
    "  - listen: \":443\"\n"
    "sites:\n"
    "  - name: shop\n"
    "    names: [shop.example.com, \"*.shop.example.com\"]\n" SM2_PAIR "}\n"
    "    ecc: {cert: ecc.crt, key: ecc.key}\n"
    "    origin: https://127.0.0.1:8443\n"
    "    origin_tls: {ca_file: ecc_ca.crt, server_name: backend.internal}\n"
    "    hsts: {enabled: true, include_subdomains: true}\n"
    "  - name: blog\n"
    "    names: [blog.example.com, www.blog.example.com]\n"
    "    ecc: {cert: ecc_leaf.crt, key: ecc.key}\n"
    "    rsa: {cert: rsa.crt, key: rsa.key}\n"
    "    origin: http://[::1]:8080\n"
    "  - name: fallback\n"
    "    default: true\n" SM2_PAIR ", chain: sm2_ca.crt}\n"
    "    origin: https://10.0.0.9\n"
    "    origin_tls:\n"
    "      verify: pin\n"
    "      pins:\n"
    "        - \"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"\n"
    "        - \"FF:FE:FD:FC:FB:FA:F9:F8:F7:F6:F5:F4:F3:F2:F1:F0:EF:EE:ED:EC:EB:EA:E9:"
    "E8:E7:E6:E5:E4:E3:E2:E1:E0\"\n"
    "    hsts: {enabled: true, max_age: 400d, include_subdomains: true, preload: true}\n"
    "  - name: both\n"
    "    names: both.example.com\n"
    "    ecc: {cert: ecc.crt, key: ecc.key}\n"
    "    rsa: {cert: rsa.crt, key: rsa.key}\n"
    "    origin: http://origin.internal\n"
    "  - name: both-again\n"
    "    names: both-again.example.com\n"
    "    ecc: {cert: ecc.crt, key: ecc.key}\n"
    "    rsa: {cert: rsa.crt, key: rsa.key}\n"
    "    origin: http://origin.internal\n";

static void check_lookup(const struct gw_sites *sites, const char *name, const char *want)
{
        const struct gw_site *site = gw_sites_lookup(sites, name);
        const char *shown = name != NULL ? name : "(none)";
        if (want == NULL && site != NULL)
                check_fail(__FILE__, __LINE__, "\"%s\" found site \"%s\", expected none", shown, site->name);
        if (want != NULL && (site == NULL || strcmp(site->name, want) != 0))
                check_fail(__FILE__, __LINE__, "\"%s\" found %s, expected \"%s\"", shown,
                           site != NULL ? site->name : "no site", want);
}

static void check_lookup_n(const struct gw_sites *sites, const char *name, size_t len, const char *want)
{
        const struct gw_site *site = gw_sites_lookup_n(sites, name, len);
        if (site == NULL || strcmp(site->name, want) != 0)
                check_fail(__FILE__, __LINE__, "\"%.*s\" found %s, expected \"%s\"", (int)len, name,
                           site != NULL ? site->name : "no site", want);
}

static void test_lookup(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, sites_yaml);
        char longest[400];
        check_lookup(sites, "shop.example.com", "shop");
        check_lookup(sites, "SHOP.Example.COM", "shop");
        check_lookup(sites, "shop.example.com.", "shop");
        check_lookup(sites, "a.shop.example.com", "shop");
        check_lookup(sites, "Images.SHOP.example.com", "shop");
        check_lookup(sites, "www.blog.example.com", "blog");
        check_lookup(sites, "both.example.com", "both");
        /* The wildcard stands for one label: deeper names, the bare suffix and an empty label fall through. */
        check_lookup(sites, "a.b.shop.example.com", "fallback");
        check_lookup(sites, ".shop.example.com", "fallback");
        check_lookup(sites, "example.com", "fallback");
        check_lookup(sites, "unknown.example.org", "fallback");
        check_lookup(sites, "", "fallback");
        check_lookup(sites, NULL, "fallback");
        memset(longest, 'a', sizeof longest - 1);
        longest[sizeof longest - 1] = '\0';
        check_lookup(sites, longest, "fallback");
        /* A Host field: a port, an IPv6 literal in brackets, bytes that are not a C string. */
        check_lookup_n(sites, "Shop.Example.com:8443", 21, "shop");
        check_lookup_n(sites, "x.shop.example.com:443", 22, "shop");
        check_lookup_n(sites, "blog.example.comXYZ", 16, "blog");
        check_lookup_n(sites, "[::1]:443", 9, "fallback");
        check_lookup_n(sites, "blog.example.com:", 17, "blog");
        check_lookup_n(sites, "", 0, "fallback");
        CHECK_EQ(gw_sites_count(sites), 5);
        for (size_t i = 0; i < gw_sites_count(sites); i++) {
                CHECK_EQ(gw_sites_get(sites, i)->index, i);
                CHECK(gw_sites_get(sites, i)->config == (const struct gw_site_config *)config.sites.items + i);
        }
        CHECK(gw_sites_get(sites, 5) == NULL);
        gw_sites_free(sites);
        gw_config_free(&config);
}

/* With no default site, a name that matches nothing, and no name at all, find no site. */
static void test_lookup_without_default(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, "listeners:\n  - listen: \":443\"\n"
                                                              "sites:\n"
                                                              "  - names: \"*.example.com\"\n"
                                                              "    ecc: {cert: ecc.crt, key: ecc.key}\n"
                                                              "    origin: http://127.0.0.1\n");
        check_lookup(sites, "a.example.com", "*.example.com");
        check_lookup(sites, "example.com", NULL);
        check_lookup(sites, "a.b.example.com", NULL);
        check_lookup(sites, NULL, NULL);
        check_lookup(sites, "", NULL);
        const struct net_tls_credentials *tls = NULL;
        CHECK_STATUS(gw_sites_tls_select(sites, "other.org", &tls), TLCP_EUNSUPPORTED_SITE);
        CHECK_STATUS(gw_sites_tls_select(sites, NULL, &tls), TLCP_EUNSUPPORTED_SITE);
        CHECK(tls == NULL);
        gw_sites_free(sites);
        gw_config_free(&config);
}

static size_t chain_count(const struct cert_chain *chain)
{
        return chain != NULL ? cert_chain_count(chain) : 0;
}

/* Each site serves the certificates its files hold; a file named by several sites is one object. */
static void test_credentials(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, sites_yaml);
        const struct gw_site *shop = gw_sites_get(sites, 0), *blog = gw_sites_get(sites, 1);
        const struct gw_site *fallback = gw_sites_get(sites, 2), *both = gw_sites_get(sites, 3);
        struct cert *sign = sites_fixture_cert("sign.crt"), *enc = sites_fixture_cert("enc.crt");
        struct cert *ecc = sites_fixture_cert("ecc.crt"), *rsa = sites_fixture_cert("rsa.crt");
        struct cert *sm2_ca = sites_fixture_cert("sm2_ca.crt");
        CHECK(shop->has_tlcp && shop->has_tls);
        CHECK(sites_fixture_same_cert(shop->tlcp.sign_cert, sign));
        CHECK(sites_fixture_same_cert(shop->tlcp.enc_cert, enc));
        CHECK(shop->tlcp.sign_key != NULL && shop->tlcp.enc_key != NULL && shop->tlcp.sign_key != shop->tlcp.enc_key);
        CHECK(shop->tlcp.chain == NULL); /* sign.crt holds the leaf alone */
        CHECK(sites_fixture_same_cert(shop->tls.ecc_cert, ecc));
        CHECK(shop->tls.rsa_cert == NULL && shop->tls.rsa_key == NULL);
        CHECK_EQ(chain_count(shop->tls.chain), 1); /* the intermediate after the leaf in ecc.crt */
        CHECK(!blog->has_tlcp && blog->has_tls);
        CHECK(sites_fixture_same_cert(blog->tls.ecc_cert, ecc));
        CHECK(sites_fixture_same_cert(blog->tls.rsa_cert, rsa));
        CHECK_EQ(chain_count(blog->tls.chain), 1); /* ecc_leaf.crt has none: the RSA root after rsa.crt's leaf */
        CHECK(fallback->has_tlcp && !fallback->has_tls);
        CHECK_EQ(chain_count(fallback->tlcp.chain), 1);
        CHECK(sites_fixture_same_cert(cert_chain_get(fallback->tlcp.chain, 0), sm2_ca));
        CHECK_EQ(chain_count(both->tls.chain), 2); /* the ECC intermediate, then the RSA root */
        /* One object per file, and one merged chain per pair of files. */
        CHECK(shop->tlcp.sign_cert == fallback->tlcp.sign_cert);
        CHECK(shop->tlcp.enc_key == fallback->tlcp.enc_key);
        CHECK(shop->tls.ecc_key == blog->tls.ecc_key);
        CHECK(shop->tls.ecc_cert == both->tls.ecc_cert);
        CHECK(both->tls.chain == gw_sites_get(sites, 4)->tls.chain);
        /* TLS credentials are prepared once per set of files. */
        CHECK(shop->tls.prepared != NULL && blog->tls.prepared != NULL && both->tls.prepared != NULL);
        CHECK(shop->tls.prepared != blog->tls.prepared && shop->tls.prepared != both->tls.prepared);
        CHECK(both->tls.prepared == gw_sites_get(sites, 4)->tls.prepared);
        CHECK(fallback->tls.prepared == NULL);
        cert_free(sign);
        cert_free(enc);
        cert_free(ecc);
        cert_free(rsa);
        cert_free(sm2_ca);
        gw_sites_free(sites);
        gw_config_free(&config);
}

/* The SNI hooks hand over the looked-up site's credentials of their kind, or refuse. */
static void test_select(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, sites_yaml);
        const struct tlcp_credentials *tlcp = NULL;
        const struct net_tls_credentials *tls = NULL;
        CHECK_OK(gw_sites_tlcp_select(sites, "a.shop.example.com", &tlcp), &(struct err){0});
        CHECK(tlcp == &gw_sites_get(sites, 0)->tlcp);
        CHECK_OK(gw_sites_tls_select(sites, "SHOP.example.com", &tls), &(struct err){0});
        CHECK(tls == &gw_sites_get(sites, 0)->tls);
        CHECK_OK(gw_sites_tls_select(sites, "blog.example.com", &tls), &(struct err){0});
        CHECK(tls == &gw_sites_get(sites, 1)->tls);
        tlcp = NULL;
        CHECK_STATUS(gw_sites_tlcp_select(sites, "blog.example.com", &tlcp), TLCP_EUNSUPPORTED_SITE);
        CHECK(tlcp == NULL);
        CHECK_OK(gw_sites_tlcp_select(sites, NULL, &tlcp), &(struct err){0});
        CHECK(tlcp == &gw_sites_get(sites, 2)->tlcp);
        CHECK_OK(gw_sites_tlcp_select(sites, "nowhere.example.net", &tlcp), &(struct err){0});
        CHECK(tlcp == &gw_sites_get(sites, 2)->tlcp);
        CHECK_STATUS(gw_sites_tls_select(sites, "nowhere.example.net", &tls), TLCP_EUNSUPPORTED_SITE);
        gw_sites_free(sites);
        gw_config_free(&config);
}

static void test_origin_and_hsts(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, sites_yaml);
        const struct gw_site *shop = gw_sites_get(sites, 0), *blog = gw_sites_get(sites, 1);
        const struct gw_site *fallback = gw_sites_get(sites, 2), *both = gw_sites_get(sites, 3);
        CHECK(shop->origin.is_https);
        CHECK_STR(shop->origin.host, "127.0.0.1");
        CHECK_EQ(shop->origin.port, 8443);
        CHECK_STR(shop->origin.authority, "127.0.0.1:8443");
        CHECK_EQ(shop->origin.verify, GW_ORIGIN_VERIFY_ON);
        CHECK(shop->origin.trust != NULL);
        CHECK_EQ(cert_store_count(shop->origin.trust), 1);
        CHECK_STR(shop->origin.server_name, "backend.internal");
        CHECK_STR(shop->hsts_value, "max-age=31536000; includeSubDomains");
        CHECK(!blog->origin.is_https);
        CHECK_STR(blog->origin.host, "::1");
        CHECK_EQ(blog->origin.port, 8080);
        CHECK_STR(blog->origin.authority, "[::1]:8080");
        CHECK_STR(blog->origin.server_name, "::1");
        CHECK(blog->origin.trust == NULL && blog->origin.num_pins == 0);
        CHECK(blog->hsts_value == NULL);
        CHECK_EQ(both->origin.port, 80);
        CHECK_STR(both->origin.authority, "origin.internal:80");
        CHECK(fallback->origin.is_https);
        CHECK_EQ(fallback->origin.port, 443);
        CHECK_EQ(fallback->origin.verify, GW_ORIGIN_VERIFY_PIN);
        CHECK(fallback->origin.trust == NULL); /* pinned: no roots */
        CHECK_EQ(fallback->origin.num_pins, 2);
        for (size_t i = 0; i < 32; i++) {
                CHECK_EQ(fallback->origin.pins[0][i], i);
                CHECK_EQ(fallback->origin.pins[1][i], 0xff - i);
        }
        CHECK_STR(fallback->hsts_value, "max-age=34560000; includeSubDomains; preload");
        CHECK_STR(fallback->name, "fallback");
        gw_sites_free(sites);
        gw_config_free(&config);
}

/* Builds a config of one site (lines appended to "  - name: x\n    names: x.example.com\n") and expects the
 * build to fail with status and a message that begins with want (the rest comes from lower layers). */
static void expect_build_refused(int line, const char *site_lines, int status, const char *want)
{
        char yaml[2048];
        struct gw_config config;
        struct gw_sites *sites = (struct gw_sites *)&config; /* must become NULL */
        struct err err = {0};
        snprintf(yaml, sizeof yaml,
                 "listeners:\n  - listen: \":443\"\nsites:\n  - name: first\n    names: a.example.com\n"
                 "    ecc: {cert: ecc.crt, key: ecc.key}\n    origin: http://127.0.0.1\n  - name: x\n"
                 "    names: x.example.com\n    origin: https://127.0.0.1\n%s",
                 site_lines);
        sites_fixture_load(&config, yaml);
        int got = gw_sites_build(&sites, &config, &err);
        gw_config_free(&config);
        if (got != status)
                check_fail(__FILE__, line, "build gave %s (%s), expected %s", err_name(got), err.msg, err_name(status));
        if (sites != NULL)
                check_fail(__FILE__, line, "a failed build left *out set");
        if (strncmp(err.msg, want, strlen(want)) != 0)
                check_fail(__FILE__, line, "message \"%s\" does not begin with \"%s\"", err.msg, want);
}

#define EXPECT_BUILD_REFUSED(lines, status, want) expect_build_refused(__LINE__, (lines), (status), (want))

static void test_refusals_name_site_and_file(void)
{
        char want[1024], a[4200], b[4200];
        snprintf(want, sizeof want, "sites[1] (\"x\"): sm2.sign_key %s is not the private key of sm2.sign_cert %s",
                 sites_fixture_path("client_sign.key", a, sizeof a), sites_fixture_path("sign.crt", b, sizeof b));
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: sign.crt, sign_key: client_sign.key, enc_cert: enc.crt, enc_key: "
                             "enc.key}\n",
                             CRYPTO_EKEY, want);
        snprintf(want, sizeof want, "sites[1] (\"x\"): ecc.key %s is not the private key of ecc.cert %s",
                 sites_fixture_path("ecc_other.key", a, sizeof a), sites_fixture_path("ecc.crt", b, sizeof b));
        EXPECT_BUILD_REFUSED("    ecc: {cert: ecc.crt, key: ecc_other.key}\n", CRYPTO_EKEY, want);
        snprintf(want, sizeof want, "sites[1] (\"x\"): rsa.key %s is not the private key of rsa.cert %s",
                 sites_fixture_path("ecc.key", a, sizeof a), sites_fixture_path("rsa.crt", b, sizeof b));
        EXPECT_BUILD_REFUSED("    rsa: {cert: rsa.crt, key: ecc.key}\n", CRYPTO_EKEY, want);
        snprintf(want, sizeof want,
                 "sites[1] (\"x\"): sm2.sign_cert %s: the certificate's key is ec-p256; expected sm2",
                 sites_fixture_path("ecc_leaf.crt", a, sizeof a));
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: ecc_leaf.crt, sign_key: ecc.key, enc_cert: enc.crt, enc_key: "
                             "enc.key}\n",
                             CRYPTO_EWRONGALG, want);
        snprintf(want, sizeof want,
                 "sites[1] (\"x\"): ecc.cert %s: the certificate's key is sm2; expected ec-p256 or "
                 "ec-p384",
                 sites_fixture_path("sign.crt", a, sizeof a));
        EXPECT_BUILD_REFUSED("    ecc: {cert: sign.crt, key: sign.key}\n", CRYPTO_EWRONGALG, want);
        snprintf(want, sizeof want, "sites[1] (\"x\"): rsa.cert %s: the certificate's key is ec-p256; expected rsa",
                 sites_fixture_path("ecc.crt", a, sizeof a));
        EXPECT_BUILD_REFUSED("    rsa: {cert: ecc.crt, key: ecc.key}\n", CRYPTO_EWRONGALG, want);
        /* GB/T 38636 dual certificates: the pair swapped has a signing certificate that may not sign. */
        snprintf(want, sizeof want, "sites[1] (\"x\"): sm2.sign_cert %s: ", sites_fixture_path("enc.crt", a, sizeof a));
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: enc.crt, sign_key: enc.key, enc_cert: sign.crt, enc_key: "
                             "sign.key}\n",
                             CRYPTO_ECERT_USAGE, want);
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: sign.crt, sign_key: sign.key, enc_cert: sign.crt, enc_key: "
                             "sign.key}\n",
                             CRYPTO_ECERT_USAGE, "sites[1] (\"x\"): sm2.enc_cert ");
        EXPECT_BUILD_REFUSED("    ecc: {cert: absent.crt, key: ecc.key}\n", SMT_EIO, "sites[1] (\"x\"): ecc.cert: ");
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: sign.crt, sign_key: sign_0644.key, enc_cert: enc.crt, enc_key: "
                             "enc.key}\n",
                             SMT_EPERM, "sites[1] (\"x\"): sm2.sign_key: ");
        EXPECT_BUILD_REFUSED("    sm2: {sign_cert: sign.crt, sign_key: sign.key, enc_cert: enc.crt, enc_key: enc.key, "
                             "chain: absent.crt}\n",
                             SMT_EIO, "sites[1] (\"x\"): sm2.chain: ");
        EXPECT_BUILD_REFUSED("    ecc: {cert: ecc.crt, key: ecc.key}\n    origin_tls: {ca_file: absent.crt}\n", SMT_EIO,
                             "sites[1] (\"x\"): origin_tls.ca_file: ");
}

/* A config made by hand rather than loaded is checked as well: names must be lowercase and unique. */
static void test_hand_made_config(void)
{
        struct gw_config config;
        struct gw_sites *sites = NULL;
        struct err err = {0};
        sites_fixture_load(&config, "listeners:\n  - listen: \":80\"\n    protocol: http\nsites:\n"
                                    "  - names: a.example.com\n    origin: http://127.0.0.1\n"
                                    "  - names: b.example.com\n    origin: http://127.0.0.1\n");
        struct gw_site_config *second = (struct gw_site_config *)config.sites.items + 1;
        char *kept = second->names.items[0];
        second->names.items[0] = "A.example.com";
        CHECK_STATUS(gw_sites_build(&sites, &config, &err), SMT_ECONFIG);
        CHECK_STR(err.msg, "sites[1] (\"b.example.com\"): names[0] \"A.example.com\" is not lowercase (gw_config_load "
                           "makes it so)");
        second->names.items[0] = "a.example.com";
        CHECK_STATUS(gw_sites_build(&sites, &config, &err), SMT_ECONFIG);
        CHECK_STR(err.msg, "sites[1] (\"b.example.com\"): names[0] \"a.example.com\" is also a name of sites[0] "
                           "(\"a.example.com\")");
        CHECK(sites == NULL);
        second->names.items[0] = kept;
        CHECK_OK(gw_sites_build(&sites, &config, &err), &err);
        CHECK(!gw_sites_get(sites, 0)->has_tlcp && !gw_sites_get(sites, 0)->has_tls);
        gw_sites_free(sites);
        gw_sites_free(NULL);
        gw_config_free(&config);
}

CHECK_MAIN(CHECK_TEST(test_lookup), CHECK_TEST(test_lookup_without_default), CHECK_TEST(test_credentials),
           CHECK_TEST(test_select), CHECK_TEST(test_origin_and_hsts), CHECK_TEST(test_refusals_name_site_and_file),
           CHECK_TEST(test_hand_made_config))
