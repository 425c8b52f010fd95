/* tests/unit/gateway/test_autocert_store.c: the ACME manager's state folder and schedule: folder names for
 * sites, reading a set (names compared as sets, without case), publishing by one symlink rename with old
 * sets pruned and the previous one kept, the lock file excluding a second holder (another process too),
 * and the renewal time (two thirds into the lifetime by default, never later, jitter under 5%) and its
 * back-off. Certificates are made with OpenSSL directly, independently of src/crypto/. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gateway/autocert.h"
#include "gateway/autocert_internal.h"

/* Writes a self-signed P-256 certificate for the DNS names (comma separated) valid from now + from_s to
 * now + to_s into dir/file. */
static void write_cert(const char *dir, const char *file, const char *names, long from_s, long to_s)
{
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        X509 *x509 = X509_new();
        CHECK(pkey != NULL && x509 != NULL);
        CHECK(X509_set_version(x509, 2) == 1);
        CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x509), 4660) == 1);
        X509_NAME *name = X509_get_subject_name(x509);
        CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0) == 1);
        CHECK(X509_set_issuer_name(x509, name) == 1);
        CHECK(X509_gmtime_adj(X509_getm_notBefore(x509), from_s) != NULL);
        CHECK(X509_gmtime_adj(X509_getm_notAfter(x509), to_s) != NULL);
        CHECK(X509_set_pubkey(x509, pkey) == 1);
        char san[512] = "";
        for (const char *p = names; *p != '\0';) {
                size_t len = strcspn(p, ",");
                snprintf(san + strlen(san), sizeof san - strlen(san), "%sDNS:%.*s", san[0] ? "," : "", (int)len, p);
                p += len + (p[len] == ',');
        }
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        CHECK(ext != NULL && X509_add_ext(x509, ext, -1) == 1);
        X509_EXTENSION_free(ext);
        CHECK(X509_sign(x509, pkey, EVP_sha256()) > 0);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL && PEM_write_X509(f, x509) == 1);
        fclose(f);
        X509_free(x509);
        EVP_PKEY_free(pkey);
}

static void test_site_dir(void)
{
        char out[512];
        struct err err;
        CHECK_OK(gw_autocert_site_dir(out, sizeof out, "/s", "www.example.com", GW_AUTOCERT_ECC, &err), &err);
        CHECK_STR(out, "/s/sites/www.example.com/ecc");
        CHECK_OK(gw_autocert_site_dir(out, sizeof out, "/s", "shop", GW_AUTOCERT_SM2, &err), &err);
        CHECK_STR(out, "/s/sites/shop/sm2");
        /* Names that are not one plain path component are hashed: no "..", no '/' reaches the path. */
        static const char *const odd[] = {"../../etc", "a/b", ".hidden", "x y"};
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
                CHECK_OK(gw_autocert_site_dir(out, sizeof out, "/s", odd[i], GW_AUTOCERT_ECC, &err), &err);
                CHECK(strncmp(out, "/s/sites/site-", 14) == 0);
                CHECK_EQ(strlen(out), strlen("/s/sites/site-") + 32 + strlen("/ecc"));
                CHECK(strstr(out, "..") == NULL);
        }
        char other[512];
        CHECK_OK(gw_autocert_site_dir(other, sizeof other, "/s", "a/c", GW_AUTOCERT_ECC, &err), &err);
        CHECK(strcmp(out, other) != 0);
        CHECK_STATUS(gw_autocert_site_dir(out, 10, "/s", "shop", GW_AUTOCERT_SM2, &err), SMT_ENOSPACE);
}

static void test_read_and_publish(void)
{
        const char *state = check_temp_dir();
        char link[512], first[512], second[512], third[512];
        struct err err;
        CHECK_OK(gw_autocert_site_dir(link, sizeof link, state, "shop", GW_AUTOCERT_ECC, &err), &err);
        char *names[] = {"www.example.com", "example.com"};
        struct gw_autocert_set set;
        CHECK_OK(gw_autocert_store_read(&set, link, GW_AUTOCERT_ECC, names, 2, &err), &err);
        CHECK(!set.exists); /* nothing yet: no error */

        CHECK_OK(gw_autocert_store_prepare(link, first, sizeof first, &err), &err);
        CHECK(strncmp(first, link, strlen(link)) == 0 && access(first, F_OK) != 0);
        CHECK(mkdir(first, 0700) == 0);
        write_cert(first, "cert.pem", "EXAMPLE.com,www.example.com", -60, 3600);
        CHECK_OK(gw_autocert_store_publish(link, first, &err), &err);
        CHECK_OK(gw_autocert_store_read(&set, link, GW_AUTOCERT_ECC, names, 2, &err), &err);
        CHECK(set.exists && set.names_match);
        CHECK_EQ(set.not_after - set.not_before, 3660);
        CHECK_STR(set.algorithm, "ECDSA P-256");
        CHECK_STR(set.target, strrchr(first, '/') + 1);
        char *fewer[] = {"www.example.com"};
        CHECK_OK(gw_autocert_store_read(&set, link, GW_AUTOCERT_ECC, fewer, 1, &err), &err);
        CHECK(set.exists && !set.names_match);

        CHECK_OK(gw_autocert_store_prepare(link, second, sizeof second, &err), &err);
        CHECK(strcmp(first, second) != 0);
        CHECK(mkdir(second, 0700) == 0);
        write_cert(second, "cert.pem", "www.example.com,example.com", -1, 7200);
        CHECK_OK(gw_autocert_store_publish(link, second, &err), &err);
        CHECK_OK(gw_autocert_store_prepare(link, third, sizeof third, &err), &err);
        CHECK(mkdir(third, 0700) == 0);
        write_cert(third, "cert.pem", "www.example.com,example.com", -1, 9000);
        CHECK_OK(gw_autocert_store_publish(link, third, &err), &err);
        /* The current set and the one before stay; older ones go. */
        CHECK(access(third, F_OK) == 0 && access(second, F_OK) == 0 && access(first, F_OK) != 0);
        CHECK_OK(gw_autocert_store_read(&set, link, GW_AUTOCERT_ECC, names, 2, &err), &err);
        CHECK_EQ(set.not_after - set.not_before, 9001);

        /* A damaged set is an error naming the file, not a crash. */
        FILE *f = fopen(strcat(strcpy(first, third), "/cert.pem"), "w");
        fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f);
        fclose(f);
        CHECK(gw_autocert_store_read(&set, link, GW_AUTOCERT_ECC, names, 2, &err) < 0);
        CHECK(!set.exists);
}

static void test_lock(void)
{
        const char *state = check_temp_dir();
        char link[512];
        struct err err;
        CHECK_OK(gw_autocert_site_dir(link, sizeof link, state, "locked", GW_AUTOCERT_SM2, &err), &err);
        int fd = -1, other = -1;
        CHECK_OK(gw_autocert_store_lock(link, &fd, &err), &err);
        CHECK_STATUS(gw_autocert_store_lock(link, &other, &err), SMT_EAGAIN);
        pid_t child = fork();
        if (child == 0) {
                int child_fd = -1;
                _exit(gw_autocert_store_lock(link, &child_fd, &err) == SMT_EAGAIN ? 0 : 1);
        }
        int wstatus = 0;
        CHECK(waitpid(child, &wstatus, 0) == child && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
        gw_autocert_store_unlock(fd);
        CHECK_OK(gw_autocert_store_lock(link, &other, &err), &err);
        gw_autocert_store_unlock(other);
}

static void test_renew_time(void)
{
        struct gw_autocert_settings settings = {.renewal_window_percent = 33};
        struct gw_autocert_set set = {.exists = true, .names_match = true, .not_before = 1000000,
                                      .not_after = 1000000 + 90 * 86400};
        int64_t lifetime_ms = 90LL * 86400 * 1000, latest = (int64_t)set.not_after * 1000 - lifetime_ms * 33 / 100;
        int64_t earliest = latest - lifetime_ms / 20, seen_min = INT64_MAX, seen_max = 0;
        for (int i = 0; i < 200; i++) {
                int64_t t = gw_autocert_renew_time(&set, &settings, 0);
                CHECK(t >= earliest && t <= latest);
                seen_min = t < seen_min ? t : seen_min;
                seen_max = t > seen_max ? t : seen_max;
        }
        CHECK(seen_max - seen_min > lifetime_ms / 100); /* jittered, not one instant for every site */
        set.names_match = false;
        CHECK_EQ(gw_autocert_renew_time(&set, &settings, 42), 42);
        set.names_match = true;
        set.exists = false;
        CHECK_EQ(gw_autocert_renew_time(&set, &settings, 43), 43);
}

static void test_account_key_path(void)
{
        const char *state = check_temp_dir();
        char a[1024], b[1024];
        struct err err;
        CHECK_OK(gw_autocert_store_account_key_path(a, sizeof a, state, "https://one.example/dir", &err), &err);
        CHECK_OK(gw_autocert_store_account_key_path(b, sizeof b, state, "https://two.example/dir", &err), &err);
        CHECK(strcmp(a, b) != 0);
        char *slash = strrchr(a, '/');
        *slash = '\0';
        struct stat st;
        CHECK(stat(a, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0);
}

CHECK_MAIN(CHECK_TEST(test_site_dir), CHECK_TEST(test_read_and_publish), CHECK_TEST(test_lock),
           CHECK_TEST(test_renew_time), CHECK_TEST(test_account_key_path))
