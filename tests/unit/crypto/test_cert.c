/* tests/unit/crypto/test_cert.c: certificates from the shared test PKI (vectors/tlcp/pki/sm2, issued by
 * GmSSL/Tongsuo tooling): parsing, PEM chains, trust, usages, host names and public keys, with serials and
 * DER cross-checked against the openssl command; malformed DER never crashes. Issuing is in test_cert_issue.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/der.h"
#include "base/file.h"
#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"

static const char *pki_path(const char *name)
{
        static char path[4][512];
        static int next;
        char relative[128];
        snprintf(relative, sizeof relative, "vectors/tlcp/pki/sm2/%s", name);
        const char *found = check_shared_path(relative);
        if (found == NULL)
                check_skip_all("the shared test PKI (vectors/tlcp/pki/sm2) is not here");
        char *slot = path[next++ % 4];
        snprintf(slot, sizeof path[0], "%s", found);
        return slot;
}

static struct cert *load_one(const char *name)
{
        struct cert_chain *chain = NULL;
        struct cert *cert = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_load_pem(&chain, pki_path(name), &err), &err);
        CHECK_EQ(cert_chain_count(chain), 1);
        CHECK_OK(cert_dup(&cert, cert_chain_get(chain, 0), &err), &err);
        cert_chain_free(chain);
        return cert;
}

static struct cert_store *load_ca_store(void)
{
        struct cert_store *store = NULL;
        struct err err = {0};
        CHECK_OK(cert_store_load(&store, pki_path("ca.crt"), &err), &err);
        return store;
}

/* run_capture runs a shell command and returns its first output line (without the line end). */
static void run_capture(const char *command, char *out, size_t out_cap)
{
        FILE *pipe = popen(command, "r");
        CHECK(pipe != NULL);
        out[0] = '\0';
        if (fgets(out, (int)out_cap, pipe) == NULL)
                out[0] = '\0';
        out[strcspn(out, "\r\n")] = '\0';
        CHECK_EQ(pclose(pipe), 0);
}

static void test_shared_pki_chains_to_ca(void)
{
        static const char *const leaves[] = {"server_sign.crt", "server_enc.crt", "client_sign.crt", "client_enc.crt"};
        struct cert_store *store = load_ca_store();
        struct err err = {0};
        for (size_t i = 0; i < 4; i++) {
                struct cert *leaf = load_one(leaves[i]);
                struct cert_verify_result result;
                time_t not_before = 0;
                CHECK_OK(cert_not_before(leaf, &not_before, &err), &err);
                /* once at a fixed time inside the validity, once now */
                CHECK_OK(cert_verify_chain(store, leaf, NULL, not_before + 3600, &result, &err), &err);
                CHECK_EQ(result.failure, CERT_VERIFY_OK);
                CHECK_OK(cert_verify_chain(store, leaf, NULL, 0, NULL, &err), &err);
                CHECK(!cert_is_ca(leaf));
                cert_free(leaf);
        }
        struct cert *ca = load_one("ca.crt");
        CHECK(cert_is_ca(ca));
        CHECK(cert_is_self_issued(ca));
        cert_free(ca);
        cert_store_free(store);
}

/* An empty store trusts nothing, whatever the intermediates say. */
static void test_shared_pki_untrusted_without_root(void)
{
        struct cert_store *store = NULL;
        struct cert_chain *intermediates = NULL;
        struct err err = {0};
        struct cert_verify_result result;
        CHECK_OK(cert_store_new(&store, &err), &err);
        CHECK_OK(cert_chain_load_pem(&intermediates, pki_path("ca.crt"), &err), &err);
        struct cert *leaf = load_one("server_sign.crt");
        CHECK_STATUS(cert_verify_chain(store, leaf, intermediates, 0, &result, &err), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.failure, CERT_VERIFY_UNKNOWN_ISSUER);
        CHECK(strstr(err.msg, "SM2 Test Root CA") != NULL || strstr(err.msg, "localhost") != NULL);
        cert_free(leaf);
        cert_chain_free(intermediates);
        cert_store_free(store);
}

static void test_shared_pki_key_usage(void)
{
        struct err err = {0};
        const unsigned encipher = CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT;
        struct cert *sign = load_one("server_sign.crt");
        struct cert *enc = load_one("server_enc.crt");
        CHECK_OK(cert_check_key_usage(sign, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), &err);
        CHECK_STATUS(cert_check_key_usage_any(sign, encipher, &err), CRYPTO_ECERT_USAGE);
        CHECK(strstr(err.msg, "keyEncipherment") != NULL);
        CHECK_OK(cert_check_key_usage_any(enc, encipher, &err), &err);
        CHECK_OK(cert_check_key_usage(enc, encipher, &err), &err);
        CHECK_STATUS(cert_check_key_usage(enc, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), CRYPTO_ECERT_USAGE);
        CHECK(strstr(err.msg, "digitalSignature") != NULL);
        CHECK(strstr(err.msg, "localhost") != NULL);
        CHECK_OK(cert_check_extended_usage(sign, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), &err);
        CHECK_STATUS(cert_check_extended_usage(sign, CERT_EXTENDED_USAGE_CODE_SIGNING, &err), CRYPTO_ECERT_USAGE);
        cert_free(sign);
        cert_free(enc);

        struct cert *client = load_one("client_sign.crt");
        CHECK_OK(cert_check_key_usage(client, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), &err);
        cert_free(client);
}

static void test_shared_pki_host(void)
{
        struct err err = {0};
        static const char *const names[] = {"server_sign.crt", "server_enc.crt"};
        for (size_t i = 0; i < 2; i++) {
                struct cert *cert = load_one(names[i]);
                CHECK_OK(cert_check_host(cert, "localhost", &err), &err);
                CHECK_OK(cert_check_host(cert, "LOCALHOST", &err), &err);
                CHECK_OK(cert_check_host(cert, "127.0.0.1", &err), &err);
                CHECK_STATUS(cert_check_host(cert, "example.com", &err), CRYPTO_ECERT_NAME);
                CHECK(strstr(err.msg, "example.com") != NULL && strstr(err.msg, "localhost") != NULL);
                CHECK_STATUS(cert_check_host(cert, "127.0.0.2", &err), CRYPTO_ECERT_NAME);
                CHECK_STATUS(cert_check_host(cert, "", &err), SMT_EINVAL);
                cert_free(cert);
        }
}

/* The encryption certificate's key is the one TLCP encrypts the pre-master secret to: it must equal the
 * public half of server_enc.key. key_load insists on mode 0600, so the key is copied first. */
static void test_shared_pki_public_key_matches_key_file(void)
{
        struct err err = {0};
        uint8_t *pem = NULL;
        size_t pem_len = 0;
        char key_path[512];
        snprintf(key_path, sizeof key_path, "%s/server_enc.key", check_temp_dir());
        CHECK_OK(file_read_all(&pem, &pem_len, pki_path("server_enc.key"), KEY_FILE_MAX, &err), &err);
        CHECK_OK(file_write_atomic(key_path, pem, pem_len, 0600, FILE_WRITE_EXCLUSIVE, &err), &err);
        file_free_contents(pem, pem_len);

        struct key *private_key = NULL, *from_cert = NULL;
        CHECK_OK(key_load(&private_key, key_path, NULL, &err), &err);
        struct cert *cert = load_one("server_enc.crt");
        CHECK_OK(cert_public_key(cert, &from_cert, &err), &err);
        CHECK(!key_is_private(from_cert));
        CHECK_EQ(key_get_alg(from_cert), KEY_ALG_SM2);
        uint8_t a[65], b[65];
        size_t a_len = 0, b_len = 0;
        CHECK_OK(key_public_point(private_key, a, sizeof a, &a_len, &err), &err);
        CHECK_OK(key_public_point(from_cert, b, sizeof b, &b_len, &err), &err);
        CHECK_EQ(a_len, 65);
        CHECK_EQ(b_len, 65);
        CHECK_MEM(a, b, 65);

        /* and it is not the signing certificate's key */
        struct cert *sign = load_one("server_sign.crt");
        struct key *sign_key = NULL;
        CHECK_OK(cert_public_key(sign, &sign_key, &err), &err);
        CHECK_OK(key_public_point(sign_key, b, sizeof b, &b_len, &err), &err);
        CHECK(memcmp(a, b, 65) != 0);
        key_free(sign_key);
        cert_free(sign);
        key_free(from_cert);
        key_free(private_key);
        cert_free(cert);
}

/* Serial, names and DER agree with what the openssl command reads from the same file. */
static void test_shared_pki_fields_match_openssl(void)
{
        struct err err = {0};
        const char *path = pki_path("server_sign.crt");
        struct cert *cert = load_one("server_sign.crt");
        char command[1200], line[512], ours[CERT_SERIAL_HEX_MAX];

        snprintf(command, sizeof command, "openssl x509 -noout -serial -in '%s'", path);
        run_capture(command, line, sizeof line);
        CHECK_OK(cert_serial_hex(cert, ours, sizeof ours, &err), &err);
        for (char *c = line; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
        CHECK_STR(line + strlen("serial="), ours);

        char der_path[512];
        snprintf(der_path, sizeof der_path, "%s/server_sign.der", check_temp_dir());
        snprintf(command, sizeof command, "openssl x509 -in '%s' -outform der -out '%s' && echo done", path, der_path);
        run_capture(command, line, sizeof line);
        uint8_t *der = NULL;
        size_t der_len = 0;
        CHECK_OK(file_read_all(&der, &der_len, der_path, CERT_FILE_MAX, &err), &err);
        const uint8_t *ours_der = NULL;
        size_t ours_len = 0;
        cert_der(cert, &ours_der, &ours_len);
        CHECK_EQ(ours_len, der_len);
        CHECK_MEM(ours_der, der, der_len);
        file_free_contents(der, der_len);

        char text[CERT_NAME_TEXT_MAX];
        CHECK_OK(cert_subject_text(cert, text, sizeof text, &err), &err);
        CHECK_STR(text, "C=CN, O=SM2 Test Bench, CN=localhost");
        CHECK_OK(cert_issuer_text(cert, text, sizeof text, &err), &err);
        CHECK_STR(text, "C=CN, O=SM2 Test Bench, CN=SM2 Test Root CA");
        CHECK_STATUS(cert_subject_text(cert, text, 10, &err), SMT_ENOSPACE);
        cert_free(cert);
}

static void test_shared_pki_validity_and_sans(void)
{
        struct err err = {0};
        struct cert *cert = load_one("server_enc.crt");
        time_t not_before = 0, not_after = 0;
        CHECK_OK(cert_not_before(cert, &not_before, &err), &err);
        CHECK_OK(cert_not_after(cert, &not_after, &err), &err);
        /* openssl x509 -dates: Nov 22 11:50:33 2026 GMT .. Nov 21 11:50:33 2031 GMT */
        CHECK_EQ(not_before, 1795348233);
        CHECK_EQ(not_after, 1953028233);

        struct cert_san sans[4];
        size_t count = 0;
        CHECK_OK(cert_san_list(cert, sans, 4, &count, &err), &err);
        CHECK_EQ(count, 2);
        CHECK_EQ(sans[0].type, CERT_SAN_DNS);
        CHECK_STR(sans[0].value, "localhost");
        CHECK_EQ(sans[1].type, CERT_SAN_IP);
        CHECK_STR(sans[1].value, "127.0.0.1");
        CHECK_STATUS(cert_san_list(cert, sans, 1, &count, &err), SMT_ENOSPACE);

        struct buf_writer text;
        buf_writer_init_heap(&text, 8192);
        CHECK_OK(cert_describe(cert, &text, &err), &err);
        CHECK(buf_write_u8(&text, 0) == 0);
        const char *description = (const char *)text.data;
        CHECK(strstr(description, "CN=localhost") != NULL);
        CHECK(strstr(description, "DNS:localhost") != NULL);
        CHECK(strstr(description, "IP:127.0.0.1") != NULL);
        CHECK(strstr(description, "keyEncipherment, dataEncipherment, keyAgreement") != NULL);
        CHECK(strstr(description, "2031-11-21 11:50:33 UTC") != NULL);
        CHECK(strstr(description, "sm2 (256 bits)") != NULL);
        CHECK(strstr(description, "serverAuth") != NULL);
        buf_writer_cleanup(&text);
        cert_free(cert);
}

/* --- PEM files --- */

static const char *write_temp(const char *name, const uint8_t *data, size_t len)
{
        static char path[4][512];
        static int next;
        char *slot = path[next++ % 4];
        struct err err = {0};
        snprintf(slot, sizeof path[0], "%s/%s", check_temp_dir(), name);
        CHECK_OK(file_write_atomic(slot, data, len, 0644, FILE_WRITE_REPLACE, &err), &err);
        return slot;
}

static void test_pem_chain_order_and_round_trip(void)
{
        struct err err = {0};
        struct cert *leaf = load_one("server_sign.crt");
        struct cert *ca = load_one("ca.crt");
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CERT_FILE_MAX);
        CHECK(buf_write_bytes(&pem, (const uint8_t *)"junk before\n", 12) == 0);
        CHECK_OK(cert_write_pem(leaf, &pem, &err), &err);
        CHECK_OK(cert_write_pem(ca, &pem, &err), &err);
        const char *path = write_temp("chain.pem", pem.data, pem.len);

        struct cert_chain *chain = NULL;
        CHECK_OK(cert_chain_load_pem(&chain, path, &err), &err);
        CHECK_EQ(cert_chain_count(chain), 2);
        const uint8_t *a = NULL, *b = NULL;
        size_t a_len = 0, b_len = 0;
        cert_der(leaf, &a, &a_len);
        cert_der(cert_chain_get(chain, 0), &b, &b_len);
        CHECK_EQ(a_len, b_len);
        CHECK_MEM(a, b, a_len);
        cert_der(ca, &a, &a_len);
        cert_der(cert_chain_get(chain, 1), &b, &b_len);
        CHECK_EQ(a_len, b_len);
        CHECK_MEM(a, b, a_len);

        /* saving refuses to overwrite unless asked, and writes what loads again */
        char saved[512];
        snprintf(saved, sizeof saved, "%s/saved.pem", check_temp_dir());
        CHECK_OK(cert_chain_save_pem(chain, saved, false, &err), &err);
        CHECK_STATUS(cert_chain_save_pem(chain, saved, false, &err), SMT_EEXIST);
        CHECK_OK(cert_save_pem(leaf, saved, true, &err), &err);
        struct cert_chain *again = NULL;
        CHECK_OK(cert_chain_load_pem(&again, saved, &err), &err);
        CHECK_EQ(cert_chain_count(again), 1);
        struct stat st;
        CHECK(stat(saved, &st) == 0 && (st.st_mode & 0777) == 0644);

        cert_chain_free(again);
        cert_chain_free(chain);
        buf_writer_cleanup(&pem);
        cert_free(leaf);
        cert_free(ca);
}

static void test_pem_without_certificates_is_refused(void)
{
        struct err err = {0};
        struct cert_chain *chain = NULL;
        const char *empty = write_temp("empty.pem", (const uint8_t *)"", 0);
        CHECK_STATUS(cert_chain_load_pem(&chain, empty, &err), CRYPTO_ECERT);
        CHECK(strstr(err.msg, "empty.pem") != NULL);
        CHECK(strstr(err.msg, "no CERTIFICATE") != NULL);

        /* a key file is not a certificate file */
        uint8_t *key_pem = NULL;
        size_t key_len = 0;
        CHECK_OK(file_read_all(&key_pem, &key_len, pki_path("server_sign.key"), KEY_FILE_MAX, &err), &err);
        const char *key_only = write_temp("key.pem", key_pem, key_len);
        file_free_contents(key_pem, key_len);
        CHECK_STATUS(cert_chain_load_pem(&chain, key_only, &err), CRYPTO_ECERT);
        CHECK(strstr(err.msg, "key.pem") != NULL);

        /* a CERTIFICATE block whose base64 is cut off */
        static const char cut[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
        CHECK_STATUS(cert_chain_parse_pem(&chain, (const uint8_t *)cut, sizeof cut - 1, &err), CRYPTO_ECERT);
        /* a CERTIFICATE block that holds no certificate */
        static const char bogus[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        CHECK_STATUS(cert_chain_parse_pem(&chain, (const uint8_t *)bogus, sizeof bogus - 1, &err), CRYPTO_ECERT);
        CHECK(strstr(err.msg, "PEM block 1") != NULL);

        char missing[512];
        snprintf(missing, sizeof missing, "%s/does-not-exist.pem", check_temp_dir());
        CHECK(cert_chain_load_pem(&chain, missing, &err) < 0);
        CHECK(strstr(err.msg, "does-not-exist.pem") != NULL);
}

/* --- malformed DER --- */

static void test_der_truncations_and_trailing_bytes(void)
{
        struct err err = {0};
        struct cert *cert = load_one("server_sign.crt");
        const uint8_t *der = NULL;
        size_t len = 0;
        cert_der(cert, &der, &len);
        uint8_t buf[4096];
        CHECK(len < sizeof buf - 1);
        memcpy(buf, der, len);

        struct cert *parsed = NULL;
        for (size_t cut = 0; cut < len; cut++) {
                CHECK_STATUS(cert_parse_der(&parsed, buf, cut, &err), CRYPTO_ECERT);
        }
        buf[len] = 0x00;
        CHECK_STATUS(cert_parse_der(&parsed, buf, len + 1, &err), CRYPTO_ECERT);
        CHECK(strstr(err.msg, "1 bytes after its end") != NULL);
        CHECK_OK(cert_parse_der(&parsed, buf, len, &err), &err);
        cert_free(parsed);

        /* every single-byte change of the outer header and a run of garbage */
        for (size_t i = 0; i < 4; i++) {
                memcpy(buf, der, len);
                buf[i] ^= 0xff;
                int status = cert_parse_der(&parsed, buf, len, &err);
                CHECK_EQ(status, CRYPTO_ECERT);
        }
        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)(i * 37 + 11);
        CHECK_STATUS(cert_parse_der(&parsed, buf, sizeof buf, &err), CRYPTO_ECERT);
        buf[0] = 0x30;
        buf[1] = 0x82;
        buf[2] = 0x0f;
        buf[3] = 0xfc;
        CHECK_STATUS(cert_parse_der(&parsed, buf, sizeof buf, &err), CRYPTO_ECERT);
        cert_free(cert);
}

/* tbs_name cuts the issuer (which = 0) or subject (which = 1) Name element out of a certificate's DER by
 * walking TBSCertificate (RFC 5280 §4.1: version [0], serialNumber, signature, issuer, validity, subject)
 * with our own DER reader, independently of OpenSSL's name handling. */
static struct buf_reader tbs_name(const struct cert *cert, int which)
{
        struct err err = {0};
        const uint8_t *der;
        size_t len;
        cert_der(cert, &der, &len);
        struct buf_reader in = buf_reader_make(der, len), certificate, tbs, skipped;
        CHECK_OK(der_read_element(&in, DER_TAG_SEQUENCE, &certificate, "Certificate", &err), &err);
        CHECK_OK(der_read_element(&certificate, DER_TAG_SEQUENCE, &tbs, "TBSCertificate", &err), &err);
        CHECK_OK(der_read_element(&tbs, 0xa0, &skipped, "version", &err), &err);
        CHECK_OK(der_read_element(&tbs, DER_TAG_INTEGER, &skipped, "serialNumber", &err), &err);
        CHECK_OK(der_read_element(&tbs, DER_TAG_SEQUENCE, &skipped, "signature", &err), &err);
        for (int i = 0; i <= 2; i++) {
                struct buf_reader before = tbs;
                CHECK_OK(der_read_element(&tbs, DER_TAG_SEQUENCE, &skipped, "name or validity", &err), &err);
                if (i == 2 * which)
                        return buf_reader_make(before.data, before.len - tbs.len);
        }
        return buf_reader_make(NULL, 0);
}

/* cert_subject_der / cert_issuer_der give the Name elements exactly as the certificate encodes them: the
 * CA's subject is its own issuer and every leaf's issuer (what a CertificateRequest lists). */
static void test_name_der_is_the_certificate_bytes(void)
{
        static const char *const names[] = {"ca.crt", "server_sign.crt", "client_enc.crt"};
        struct err err = {0};
        struct cert *ca = load_one("ca.crt");
        const uint8_t *ca_subject, *data;
        size_t ca_subject_len, len;
        CHECK_OK(cert_subject_der(ca, &ca_subject, &ca_subject_len, &err), &err);
        for (size_t i = 0; i < 3; i++) {
                struct cert *cert = load_one(names[i]);
                struct buf_reader subject = tbs_name(cert, 1), issuer = tbs_name(cert, 0);
                CHECK_OK(cert_subject_der(cert, &data, &len, &err), &err);
                CHECK_EQ(len, subject.len);
                CHECK_MEM(data, subject.data, len);
                CHECK_OK(cert_issuer_der(cert, &data, &len, &err), &err);
                CHECK_EQ(len, issuer.len);
                CHECK_MEM(data, issuer.data, len);
                CHECK_EQ(len, ca_subject_len);
                CHECK_MEM(data, ca_subject, len);
                cert_free(cert);
        }
        struct cert *leaf = load_one("server_sign.crt");
        CHECK_OK(cert_subject_der(leaf, &data, &len, &err), &err);
        CHECK(len != ca_subject_len || memcmp(data, ca_subject, len) != 0);
        cert_free(leaf);
        cert_free(ca);
}

/* A store lists its certificates once each, in the order added, as copies the caller need not keep. */
static void test_store_lists_its_certificates(void)
{
        struct err err = {0};
        struct cert_store *store = load_ca_store();
        struct cert *ca = load_one("ca.crt");
        struct cert *leaf = load_one("server_sign.crt");
        const uint8_t *ours, *theirs;
        size_t ours_len, theirs_len;
        CHECK_EQ(cert_store_count(store), 1);
        CHECK_OK(cert_store_add(store, ca, &err), &err);
        CHECK_EQ(cert_store_count(store), 1);
        CHECK_OK(cert_store_add(store, leaf, &err), &err);
        cert_free(leaf);
        CHECK_EQ(cert_store_count(store), 2);
        cert_der(cert_store_get(store, 0), &ours, &ours_len);
        cert_der(ca, &theirs, &theirs_len);
        CHECK_EQ(ours_len, theirs_len);
        CHECK_MEM(ours, theirs, ours_len);
        char text[CERT_NAME_TEXT_MAX];
        CHECK_OK(cert_subject_text(cert_store_get(store, 1), text, sizeof text, &err), &err);
        CHECK_STR(text, "C=CN, O=SM2 Test Bench, CN=localhost");
        /* the copies still verify: the SM2 ID travels with them */
        struct cert *client = load_one("client_sign.crt");
        CHECK_OK(cert_verify_chain(store, client, NULL, 0, NULL, &err), &err);
        cert_free(client);
        cert_free(ca);
        cert_store_free(store);

        CHECK_OK(cert_store_new(&store, &err), &err);
        CHECK_EQ(cert_store_count(store), 0);
        cert_store_free(store);
}

CHECK_MAIN(CHECK_TEST(test_shared_pki_chains_to_ca), CHECK_TEST(test_shared_pki_untrusted_without_root),
           CHECK_TEST(test_shared_pki_key_usage), CHECK_TEST(test_shared_pki_host),
           CHECK_TEST(test_shared_pki_public_key_matches_key_file), CHECK_TEST(test_shared_pki_fields_match_openssl),
           CHECK_TEST(test_shared_pki_validity_and_sans), CHECK_TEST(test_pem_chain_order_and_round_trip),
           CHECK_TEST(test_pem_without_certificates_is_refused), CHECK_TEST(test_der_truncations_and_trailing_bytes),
           CHECK_TEST(test_name_der_is_the_certificate_bytes), CHECK_TEST(test_store_lists_its_certificates))
