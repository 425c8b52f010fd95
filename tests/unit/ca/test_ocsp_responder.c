/* tests/unit/ca/test_ocsp_responder.c: the CA's OCSP responder (ca/ocsp_responder.h) and its responder
 * certificates (ca/delegate.h). Every answer is checked the way a client checks it: parsed and verified
 * with crypto/ocsp.h against the real issuing CA certificate (the delegated responder must chain to it and
 * carry id-kp-OCSPSigning), for an ECC and an SM2 CA. Proven here: answers for certificates in the store at
 * start are kept (served without a signature), a revocation plus ca_revocation_notify changes the answer at
 * once, unknown serials are answered unknown (signed, not kept), foreign CertIDs unauthorized, several
 * CertIDs with a nonce get it echoed, answers are signed anew after half their validity, and the responder
 * file is kept across starts and replaced when it no longer fits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "ca/delegate.h"
#include "ca/ocsp_responder.h"
#include "ca/ocsp_responder_internal.h"
#include "ca/revocation.h"
#include "ca/store.h"
#include "check.h"
#include "crypto/ocsp.h"
#include "store_fixture.h"

static const char test_yaml[] = "organization: OCSP Test\n"
                                "state_dir: state\n"
                                "listen: 127.0.0.1:14000\n"
                                "base_url: https://127.0.0.1:14000\n"
                                "ecc_root: {algorithm: ec-p256}\n"
                                "issuing_cas:\n"
                                "  - {name: sm2-dv, kind: ssl-sm2-dv, common_name: OCSP Test SM2 DV}\n"
                                "  - {name: ecc-dv, kind: ssl-ecc-dv, common_name: OCSP Test ECC DV}\n"
                                "revocation: {ocsp_validity: 2s, ocsp_responder_validity: 60s}\n";

static struct ca_config test_config;
static struct ca_authorities *test_cas;

struct test_leaf {
        struct cert *cert;
        const struct ca_authority *ca;
        char serial[STORE_SERIAL_MAX];
};

static bool cert_sha256_equal(const struct cert *a, const struct cert *b)
{
        uint8_t x[CERT_SHA256_LEN], y[CERT_SHA256_LEN];
        struct err err = {0};
        CHECK_OK(cert_sha256(a, x, &err), &err);
        CHECK_OK(cert_sha256(b, y, &err), &err);
        return memcmp(x, y, sizeof x) == 0;
}

static void test_setup(void)
{
        struct config_errors *errors = calloc(1, sizeof *errors);
        struct ca_init_report report;
        struct err err = {0};
        CHECK_EQ(ca_config_load_string(&test_config, "ca.yaml", test_yaml, strlen(test_yaml), check_temp_dir(), errors),
                 0);
        free(errors);
        CHECK_OK(ca_init(&test_config, &report, &err), &err);
        CHECK_OK(ca_authorities_load(&test_cas, &test_config, &err), &err);
}

static void test_teardown(void)
{
        ca_authorities_free(test_cas);
        ca_config_free(&test_config);
}

/* A real leaf of ca (so clients can make its CertID), recorded in the store. */
/* test_leaf_issue_until issues a leaf and records it in the store as valid until not_after. */
static void test_leaf_issue_until(struct test_leaf *out, struct store *store, const char *ca_name, enum key_alg alg,
                                  int64_t not_after)
{
        struct err err = {0};
        struct key *key = NULL;
        const char *names[] = {"ocsp.example"};
        out->ca = ca_authorities_find(test_cas, ca_name);
        CHECK(out->ca != NULL);
        CHECK_OK(key_generate(&key, alg, &err), &err);
        struct ca_issue_request request = {.subject_key = key, .dns_names = names, .num_dns_names = 1};
        CHECK_OK(ca_issue(out->ca, &test_config, &request, &out->cert, &err), &err);
        key_free(key);
        CHECK_OK(cert_serial_hex(out->cert, out->serial, sizeof out->serial, &err), &err);
        struct store_cert record;
        store_fixture_cert(&record, out->serial, "ocsp.example", ca_name, 1000, not_after);
        CHECK_OK(store_cert_insert(store, &record, &err), &err);
}

static void test_leaf_issue(struct test_leaf *out, struct store *store, const char *ca_name, enum key_alg alg)
{
        test_leaf_issue_until(out, store, ca_name, alg, 4000000000);
}

/* Asks the responder about leaf (nonce NULL = none) and returns the verified SingleResponse. */
static int test_ask(struct ca_ocsp *ocsp, const struct test_leaf *leaf, enum ocsp_hash hash, struct ocsp_single *out,
                    int64_t *next_update)
{
        struct err err = {0};
        struct ocsp_cert_id id;
        CHECK_OK(ocsp_cert_id_make(&id, leaf->cert, ca_authority_cert(leaf->ca), hash, &err), &err);
        struct buf_writer request, response;
        buf_writer_init_heap(&request, OCSP_REQUEST_MAX);
        buf_writer_init_heap(&response, OCSP_RESPONSE_MAX);
        CHECK_OK(ocsp_request_build(&request, &id, 1, NULL, 0, &err), &err);
        int64_t this_update = 0;
        CHECK_OK(ca_ocsp_answer(ocsp, request.data, request.len, &response, &this_update, next_update, &err), &err);
        struct ocsp_response parsed = {0};
        CHECK_OK(ocsp_response_parse(&parsed, response.data, response.len, &err), &err);
        struct ocsp_verify_params params = {.leaf = leaf->cert, .issuer = ca_authority_cert(leaf->ca), .tolerance = 5};
        int status = ocsp_response_verify(&parsed, &params, out, &err);
        ocsp_response_cleanup(&parsed);
        buf_writer_cleanup(&request);
        buf_writer_cleanup(&response);
        return status;
}

static void test_serial_hex(void)
{
        uint8_t serial[OCSP_SERIAL_MAX];
        size_t len = 0;
        char hex[STORE_SERIAL_MAX];
        CHECK(ca_ocsp_serial_from_hex("0a01", serial, &len));
        CHECK(len == 2 && serial[0] == 0x0a && serial[1] == 0x01);
        CHECK(ca_ocsp_serial_from_hex("80ff", serial, &len)); /* top bit: a 0x00 first (X.690 8.3.2) */
        CHECK(len == 3 && serial[0] == 0 && serial[1] == 0x80);
        CHECK(ca_ocsp_serial_to_hex(serial, len, hex));
        CHECK_EQ(strcmp(hex, "80ff"), 0);
        CHECK(!ca_ocsp_serial_to_hex((const uint8_t *)"\x80\x01", 2, hex)); /* negative */
        CHECK(!ca_ocsp_serial_from_hex("abc", serial, &len));                /* odd */
        CHECK(!ca_ocsp_serial_from_hex("0102030405060708091011121314151617181920ff", serial, &len));
        CHECK(!ca_ocsp_serial_from_hex("zz", serial, &len));
}

static void test_delegate_file(void)
{
        struct err err = {0};
        const struct ca_authority *ca = ca_authorities_find(test_cas, "sm2-dv");
        struct ca_delegate first = {0}, again = {0}, renewed = {0};
        time_t now = time(NULL);
        CHECK_OK(ca_delegate_ensure(&first, ca, &test_config, CA_DELEGATE_TSA, 86400, 3600, now, &err), &err);
        CHECK_OK(cert_check_extended_usage(first.cert, CERT_EXTENDED_USAGE_TIME_STAMPING, &err), &err);
        CHECK_EQ(key_get_alg(first.key), KEY_ALG_SM2);
        CHECK_EQ(cert_chain_count(first.chain), 3);
        char path[1024];
        snprintf(path, sizeof path, "%s/tsa/sm2-dv.pem", test_config.state_dir);
        struct stat st;
        CHECK_EQ(stat(path, &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
        /* Kept while it has more than renew_before left. */
        CHECK_OK(ca_delegate_ensure(&again, ca, &test_config, CA_DELEGATE_TSA, 86400, 3600, now, &err), &err);
        CHECK(again.not_after == first.not_after && cert_sha256_equal(again.cert, first.cert));
        /* Replaced when it has not. */
        CHECK_OK(ca_delegate_ensure(&renewed, ca, &test_config, CA_DELEGATE_TSA, 86400, 90000, now + 10, &err), &err);
        CHECK(!cert_sha256_equal(renewed.cert, first.cert));
        ca_delegate_cleanup(&first);
        ca_delegate_cleanup(&again);
        ca_delegate_cleanup(&renewed);
        /* A file holding garbage is an error naming it, not silently replaced (it may be an operator's). */
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"junk", 4, 0600, FILE_WRITE_REPLACE, &err), &err);
        CHECK(ca_delegate_ensure(&first, ca, &test_config, CA_DELEGATE_TSA, 86400, 3600, now, &err) < 0);
        CHECK(strstr(err.msg, "sm2-dv.pem") != NULL);
}

static void test_answers(void)
{
        struct err err = {0};
        struct store *store = store_fixture_open(2);
        struct test_leaf ecc, sm2, later;
        test_leaf_issue(&ecc, store, "ecc-dv", KEY_ALG_EC_P256);
        test_leaf_issue(&sm2, store, "sm2-dv", KEY_ALG_SM2);
        struct ca_ocsp *ocsp = NULL;
        CHECK_OK(ca_ocsp_start(&ocsp, &test_config, store, test_cas, &err), &err);
        struct ocsp_single single;
        int64_t next_update = 0;
        CHECK_OK(test_ask(ocsp, &ecc, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        CHECK(next_update > 0); /* a kept answer */
        CHECK_OK(test_ask(ocsp, &sm2, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        struct ca_ocsp_stats stats;
        ca_ocsp_stats(ocsp, &stats);
        CHECK_EQ(stats.signed_now, 0); /* both were signed at start */
        CHECK_EQ(stats.served_kept, 2);
        /* An SM3 CertID: signed at the first request, then kept. */
        CHECK_OK(test_ask(ocsp, &sm2, OCSP_HASH_SM3, &single, &next_update), &err);
        CHECK_OK(test_ask(ocsp, &sm2, OCSP_HASH_SM3, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        ca_ocsp_stats(ocsp, &stats);
        CHECK_EQ(stats.signed_now, 0);
        CHECK_EQ(stats.served_kept, 4);
        /* Revoked: the very next answer says so. */
        CHECK_OK(store_cert_revoke(store, sm2.serial, 1, 1700000000, &err), &err);
        ca_revocation_notify(store, sm2.serial);
        CHECK_OK(test_ask(ocsp, &sm2, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_REVOKED);
        CHECK(single.revocation_reason == 1 && single.revocation_time == 1700000000);
        CHECK_OK(test_ask(ocsp, &sm2, OCSP_HASH_SM3, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_REVOKED);
        /* Issued after start: kept at its first request. */
        test_leaf_issue(&later, store, "ecc-dv", KEY_ALG_EC_P256);
        CHECK_OK(test_ask(ocsp, &later, OCSP_HASH_SHA256, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        /* An expired certificate: answered, but signed at each request, never kept. */
        struct test_leaf expired;
        test_leaf_issue_until(&expired, store, "ecc-dv", KEY_ALG_EC_P256, 2000);
        ca_ocsp_stats(ocsp, &stats);
        uint64_t signed_before = stats.signed_now;
        CHECK_OK(test_ask(ocsp, &expired, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_OK(test_ask(ocsp, &expired, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        ca_ocsp_stats(ocsp, &stats);
        CHECK_EQ(stats.signed_now, signed_before + 2);
        cert_free(expired.cert);
        /* Signed anew after half of ocsp_validity (2 s). */
        struct ocsp_single before = single;
        sleep(2);
        CHECK_OK(test_ask(ocsp, &later, OCSP_HASH_SHA256, &single, &next_update), &err);
        CHECK(single.this_update > before.this_update);
        ca_ocsp_stop(ocsp);
        cert_free(ecc.cert);
        cert_free(sm2.cert);
        cert_free(later.cert);
        store_close(store);
}

/* Requests built by hand: an unknown serial, a CertID of another issuer, several CertIDs with a nonce. */
static void test_other_requests(void)
{
        struct err err = {0};
        struct store *store = store_fixture_open(2);
        struct test_leaf ecc, unrecorded;
        test_leaf_issue(&ecc, store, "ecc-dv", KEY_ALG_EC_P256);
        struct ca_ocsp *ocsp = NULL;
        CHECK_OK(ca_ocsp_start(&ocsp, &test_config, store, test_cas, &err), &err);
        /* A certificate of the CA the store does not know: unknown, signed now. */
        unrecorded.ca = ecc.ca;
        struct key *key = NULL;
        const char *names[] = {"nobody.example"};
        CHECK_OK(key_generate(&key, KEY_ALG_EC_P256, &err), &err);
        struct ca_issue_request request = {.subject_key = key, .dns_names = names, .num_dns_names = 1};
        CHECK_OK(ca_issue(ecc.ca, &test_config, &request, &unrecorded.cert, &err), &err);
        struct ocsp_single single;
        int64_t next_update = 1;
        CHECK_OK(test_ask(ocsp, &unrecorded, OCSP_HASH_SHA1, &single, &next_update), &err);
        CHECK_EQ(single.status, OCSP_CERT_UNKNOWN);
        CHECK_EQ(next_update, 0); /* not kept */
        /* Two CertIDs and a nonce: one answer for both, the nonce echoed. */
        struct ocsp_cert_id ids[2];
        CHECK_OK(ocsp_cert_id_make(&ids[0], ecc.cert, ca_authority_cert(ecc.ca), OCSP_HASH_SHA1, &err), &err);
        CHECK_OK(ocsp_cert_id_make(&ids[1], unrecorded.cert, ca_authority_cert(ecc.ca), OCSP_HASH_SHA1, &err), &err);
        uint8_t nonce[OCSP_NONCE_MAX];
        size_t nonce_len = 0;
        CHECK_OK(ocsp_nonce_generate(nonce, &nonce_len, &err), &err);
        struct buf_writer req, resp;
        buf_writer_init_heap(&req, OCSP_REQUEST_MAX);
        buf_writer_init_heap(&resp, OCSP_RESPONSE_MAX);
        CHECK_OK(ocsp_request_build(&req, ids, 2, nonce, nonce_len, &err), &err);
        int64_t this_update = 0;
        CHECK_OK(ca_ocsp_answer(ocsp, req.data, req.len, &resp, &this_update, &next_update, &err), &err);
        struct ocsp_response parsed = {0};
        CHECK_OK(ocsp_response_parse(&parsed, resp.data, resp.len, &err), &err);
        CHECK_EQ(parsed.num_singles, 2);
        struct ocsp_verify_params params = {.leaf = ecc.cert, .issuer = ca_authority_cert(ecc.ca), .tolerance = 5,
                                            .nonce = nonce, .nonce_len = nonce_len};
        CHECK_OK(ocsp_response_verify(&parsed, &params, &single, &err), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        ocsp_response_cleanup(&parsed);
        /* The ECC CA's CertID asked of a responder that also serves SM2: still the right signer. A CertID
         * naming the SM2 root (which this responder does not serve) is unauthorized. */
        const struct cert *root = cert_chain_get(ca_authorities_roots(test_cas), 0);
        CHECK_OK(ocsp_cert_id_make(&ids[0], ecc.cert, root, OCSP_HASH_SHA1, &err), &err);
        req.len = resp.len = 0;
        CHECK_OK(ocsp_request_build(&req, ids, 1, NULL, 0, &err), &err);
        CHECK_OK(ca_ocsp_answer(ocsp, req.data, req.len, &resp, &this_update, &next_update, &err), &err);
        CHECK_OK(ocsp_response_parse(&parsed, resp.data, resp.len, &err), &err);
        CHECK_EQ(parsed.status, OCSP_RESPONSE_UNAUTHORIZED);
        ocsp_response_cleanup(&parsed);
        /* Broken DER: malformedRequest. */
        resp.len = 0;
        CHECK_OK(ca_ocsp_answer(ocsp, req.data, req.len - 3, &resp, &this_update, &next_update, &err), &err);
        CHECK_OK(ocsp_response_parse(&parsed, resp.data, resp.len, &err), &err);
        CHECK_EQ(parsed.status, OCSP_RESPONSE_MALFORMED_REQUEST);
        ocsp_response_cleanup(&parsed);
        buf_writer_cleanup(&req);
        buf_writer_cleanup(&resp);
        key_free(key);
        ca_ocsp_stop(ocsp);
        cert_free(ecc.cert);
        cert_free(unrecorded.cert);
        store_close(store);
}

static void test_all(void)
{
        test_setup();
        test_serial_hex();
        test_delegate_file();
        test_answers();
        test_other_requests();
        test_teardown();
}

CHECK_MAIN(CHECK_TEST(test_all))
