/* tests/unit/crypto/test_cms.c: SignedData signed with SM2 (src/crypto/cms*.c): attached and detached round
 * trips under an SM2 hierarchy, caller content types and attributes, each kind of tampering refused with its
 * own failure, and OpenSSL's CMS decoder (an independent implementation) reading our structure back: the
 * signer's issuer and serial, the attributes and the content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/der.h"
#include "base/file.h"
#include "check.h"
#include "crypto/cms.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"

#define DAY                            86400
#define SIGNING_TIME                   1790000000 /* 2026-09-21T14:13:20Z */
#define CMS_OID_SM2_SIGN_WITH_SM3_TEST "1.2.156.10197.1.501"

/* AlgorithmIdentifier { SM3 1.2.156.10197.1.401 } without parameters. */
static const uint8_t sm3_algorithm[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11};

struct pki {
        struct key *ca_key, *leaf_key, *other_key;
        struct cert *ca, *leaf, *other;
        struct cert_store *store;
};

static struct cert *issue(const struct key *key, const struct key *ca_key, const struct cert *ca, const char *name)
{
        struct cert *cert = NULL;
        struct err err = {0};
        struct cert_issue_params params = {
            .subject_key = key,
            .issuer_key = ca_key,
            .issuer_cert = ca,
            .common_name = name,
            .organization = "smtrust tests",
            .country = "CN",
            .not_before = time(NULL) - DAY,
            .not_after = time(NULL) + 30 * DAY,
            .is_ca = ca == NULL,
            .key_usage = ca == NULL ? 0 : CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_NON_REPUDIATION,
        };
        CHECK_OK(cert_issue(&cert, &params, &err), &err);
        return cert;
}

static struct pki make_pki(void)
{
        struct pki pki = {0};
        struct err err = {0};
        CHECK_OK(key_generate(&pki.ca_key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(key_generate(&pki.leaf_key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(key_generate(&pki.other_key, KEY_ALG_SM2, &err), &err);
        pki.ca = issue(pki.ca_key, NULL, NULL, "smtrust cms root");
        pki.leaf = issue(pki.leaf_key, pki.ca_key, pki.ca, "smtrust signer");
        pki.other = issue(pki.other_key, pki.ca_key, pki.ca, "smtrust other signer");
        CHECK_OK(cert_store_new(&pki.store, &err), &err);
        CHECK_OK(cert_store_add(pki.store, pki.ca, &err), &err);
        return pki;
}

static void free_pki(struct pki *pki)
{
        cert_store_free(pki->store);
        cert_free(pki->other);
        cert_free(pki->leaf);
        cert_free(pki->ca);
        key_free(pki->other_key);
        key_free(pki->leaf_key);
        key_free(pki->ca_key);
}

static const uint8_t message[] = "The quick brown fox jumps over the lazy dog";

static struct cms_sign_params params_for(const struct pki *pki)
{
        return (struct cms_sign_params){.key = pki->leaf_key,
                                        .signer = pki->leaf,
                                        .content = message,
                                        .content_len = sizeof message - 1,
                                        .signing_time = SIGNING_TIME};
}

/* sign returns a heap copy of the SignedData (free it). */
static uint8_t *sign(const struct cms_sign_params *params, size_t *len)
{
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_heap(&out, CMS_MAX);
        CHECK_OK(cms_sign(&out, params, &err), &err);
        return buf_writer_release(&out, len);
}

/* verify parses and verifies der and returns the failure (CMS_VERIFY_OK when it verifies). */
static enum cms_verify_failure verify(const uint8_t *der, size_t len, const struct cms_verify_params *vp, int expected)
{
        struct cms_signed_data sd;
        struct err err = {0};
        enum cms_verify_failure failure = CMS_VERIFY_OK;
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        CHECK_STATUS(cms_verify(&sd, vp, &failure, NULL, &err), expected);
        CHECK((expected == 0) == (failure == CMS_VERIFY_OK));
        CHECK(expected == 0 || err.msg[0] != '\0');
        return failure;
}

static void test_attached_round_trip_verifies_against_the_root(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        CHECK(sd.is_gbt_content_info);
        CHECK_EQ(sd.version, 1);
        CHECK(!sd.is_detached);
        CHECK(cms_oid_is(&sd.content_type, CMS_OID_GBT_DATA));
        CHECK_EQ(sd.content.len, sizeof message - 1);
        CHECK_MEM(sd.content.data, message, sizeof message - 1);
        CHECK_EQ(sd.num_certificates, 1);
        CHECK(sd.has_signing_time);
        CHECK_EQ(sd.signing_time, SIGNING_TIME);
        CHECK(!sd.is_sm2_sign_with_sm3);
        uint8_t digest[SM3_DIGEST_LEN];
        CHECK_OK(sm3_hash(digest, message, sizeof message - 1, &err), &err);
        CHECK_EQ(sd.attr_message_digest.len, SM3_DIGEST_LEN);
        CHECK_MEM(sd.attr_message_digest.data, digest, SM3_DIGEST_LEN);
        struct cms_verify_params vp = {.trust = pki.store};
        struct cert *signer = NULL;
        enum cms_verify_failure failure = CMS_VERIFY_SIGNATURE;
        CHECK_OK(cms_verify(&sd, &vp, &failure, &signer, &err), &err);
        CHECK_EQ(failure, CMS_VERIFY_OK);
        const uint8_t *a = NULL, *b = NULL;
        size_t a_len = 0, b_len = 0;
        cert_der(signer, &a, &a_len);
        cert_der(pki.leaf, &b, &b_len);
        CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
        cert_free(signer);
        free(der);
        free_pki(&pki);
}

static void test_detached_needs_the_content(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        params.is_detached = true;
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        CHECK(sd.is_detached);
        CHECK_EQ(sd.content.len, 0);
        struct cms_verify_params vp = {.detached_content = message,
                                       .detached_content_len = sizeof message - 1,
                                       .signer = pki.leaf,
                                       .trust = pki.store};
        CHECK_EQ(verify(der, len, &vp, 0), CMS_VERIFY_OK);
        vp.detached_content_len--;
        CHECK_EQ(verify(der, len, &vp, CRYPTO_EVERIFY), CMS_VERIFY_CONTENT_DIGEST);
        vp.detached_content = NULL;
        vp.detached_content_len = 0;
        CHECK_EQ(verify(der, len, &vp, CRYPTO_EVERIFY), CMS_VERIFY_CONTENT_DIGEST);
        free(der);
        free_pki(&pki);
}

/* A made-up signingCertificateV2-shaped attribute (RFC 5035 §3): SEQUENCE { OID, SET { SEQUENCE { SEQUENCE {
 * SEQUENCE { OCTET STRING of 4 bytes } } } } }; only its bytes matter here. */
static const uint8_t extra_attribute[] = {0x30, 0x1a, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                          0x01, 0x09, 0x10, 0x02, 0x2f, 0x31, 0x0b, 0x30, 0x09, 0x30,
                                          0x07, 0x30, 0x05, 0x04, 0x03, 0xaa, 0xbb, 0xcc};

static void test_timestamp_content_type_and_extra_attribute(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        struct cms_attribute extra = {.der = extra_attribute, .der_len = sizeof extra_attribute};
        params.content_type = CMS_OID_TST_INFO;
        params.extra_attributes = &extra;
        params.num_extra_attributes = 1;
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        CHECK(cms_oid_is(&sd.content_type, CMS_OID_TST_INFO));
        CHECK(cms_oid_is(&sd.attr_content_type, CMS_OID_TST_INFO));
        CHECK_EQ(sd.version, 3); /* RFC 5652 5.1: eContentType other than id-data */
        CHECK_EQ(sd.num_attributes, 4);
        const struct cms_parsed_attribute *a = cms_attribute_lookup(&sd, CMS_OID_SIGNING_CERTIFICATE_V2);
        CHECK(a != NULL);
        CHECK_EQ(a->der.len, sizeof extra_attribute);
        CHECK_MEM(a->der.data, extra_attribute, sizeof extra_attribute);
        /* DER SET OF order (X.690 11.6): each attribute's encoding sorts after the one before. */
        for (size_t i = 1; i < sd.num_attributes; i++) {
                const struct buf_reader *x = &sd.attributes[i - 1].der, *y = &sd.attributes[i].der;
                size_t n = x->len < y->len ? x->len : y->len;
                int order = memcmp(x->data, y->data, n);
                CHECK(order < 0 || (order == 0 && x->len <= y->len));
        }
        struct cms_verify_params vp = {.trust = pki.store};
        CHECK_EQ(verify(der, len, &vp, 0), CMS_VERIFY_OK);
        /* Bad inputs are refused before anything is written. */
        struct cms_attribute broken = {.der = extra_attribute, .der_len = sizeof extra_attribute - 1};
        params.extra_attributes = &broken;
        struct buf_writer out;
        buf_writer_init_heap(&out, CMS_MAX);
        CHECK_STATUS(cms_sign(&out, &params, &err), SMT_EINVAL);
        params.extra_attributes = &extra;
        params.content_type = "1.2.x";
        CHECK_STATUS(cms_sign(&out, &params, &err), SMT_EINVAL);
        params.content_type = NULL;
        params.key = pki.other_key;
        CHECK_STATUS(cms_sign(&out, &params, &err), SMT_EINVAL);
        CHECK_EQ(out.len, 0);
        buf_writer_cleanup(&out);
        free(der);
        free_pki(&pki);
}

/* offset_of gives where a parsed field lies in the signed bytes. */
static size_t offset_of(const uint8_t *der, const struct buf_reader *field)
{
        return (size_t)(field->data - der);
}

/* tampered flips one byte at offset in a copy of der and returns the failure cms_verify reports. */
static enum cms_verify_failure tampered(const uint8_t *der, size_t len, size_t offset,
                                        const struct cms_verify_params *vp, int expected)
{
        uint8_t *copy = malloc(len);
        CHECK(copy != NULL);
        memcpy(copy, der, len);
        copy[offset] ^= 0x01;
        enum cms_verify_failure failure = verify(copy, len, vp, expected);
        free(copy);
        return failure;
}

static void test_each_tampering_fails_with_its_reason(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        struct cms_verify_params vp = {.trust = pki.store};
        CHECK_EQ(tampered(der, len, offset_of(der, &sd.content) + 3, &vp, CRYPTO_EVERIFY), CMS_VERIFY_CONTENT_DIGEST);
        CHECK_EQ(tampered(der, len, offset_of(der, &sd.attr_message_digest), &vp, CRYPTO_EVERIFY),
                 CMS_VERIFY_CONTENT_DIGEST);
        /* The last byte of eContentType's OID: still an OID, no longer the one contentType names. */
        CHECK_EQ(tampered(der, len, offset_of(der, &sd.content_type) + sd.content_type.len - 1, &vp, CRYPTO_EVERIFY),
                 CMS_VERIFY_CONTENT_TYPE);
        const struct cms_parsed_attribute *time_attr = cms_attribute_lookup(&sd, "1.2.840.113549.1.9.5");
        CHECK(time_attr != NULL);
        /* The seconds' last digit of signingTime: still a valid time, no longer what was signed. */
        CHECK_EQ(tampered(der, len, offset_of(der, &time_attr->der) + time_attr->der.len - 2, &vp, CRYPTO_EVERIFY),
                 CMS_VERIFY_SIGNATURE);
        CHECK_EQ(tampered(der, len, offset_of(der, &sd.signature) + sd.signature.len - 5, &vp, CRYPTO_EVERIFY),
                 CMS_VERIFY_SIGNATURE);
        CHECK_EQ(tampered(der, len, offset_of(der, &sd.serial) + sd.serial.len - 1, &vp, CRYPTO_ECERT),
                 CMS_VERIFY_SIGNER_NOT_FOUND);
        struct cms_verify_params wrong = {.signer = pki.other};
        CHECK_EQ(verify(der, len, &wrong, CRYPTO_ECERT), CMS_VERIFY_SIGNER_NOT_FOUND);
        free(der);
        free_pki(&pki);
}

static void test_untrusted_signer_fails_the_chain_check(void)
{
        struct pki pki = make_pki();
        struct pki stranger = make_pki();
        struct cms_sign_params params = params_for(&pki);
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_verify_params vp = {.trust = stranger.store};
        CHECK_EQ(verify(der, len, &vp, CRYPTO_ECERT_UNTRUSTED), CMS_VERIFY_CHAIN);
        vp.trust = NULL; /* signature alone */
        CHECK_EQ(verify(der, len, &vp, 0), CMS_VERIFY_OK);
        vp.trust = pki.store;
        vp.now = time(NULL) + 60 * DAY;
        CHECK_EQ(verify(der, len, &vp, CRYPTO_ECERT_EXPIRED), CMS_VERIFY_CHAIN);
        free(der);
        free_pki(&stranger);
        free_pki(&pki);
}

static void test_truncations_and_trailing_bytes_are_refused(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        size_t len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        for (size_t cut = 0; cut < len; cut++) {
                int status = cms_parse(&sd, der, cut, &err);
                CHECK(status == SMT_ETRUNCATED || status == SMT_EDECODE);
        }
        uint8_t *longer = malloc(len + 1);
        CHECK(longer != NULL);
        memcpy(longer, der, len);
        longer[len] = 0;
        CHECK_STATUS(cms_parse(&sd, longer, len + 1, &err), SMT_EDECODE);
        free(longer);
        free(der);
        free_pki(&pki);
}

/* as_pkcs7 re-wraps our SignedData in a ContentInfo with id-signedData, since OpenSSL does not know the GB/T
 * 35275 OID; the SignedData bytes themselves are unchanged. */
static uint8_t *as_pkcs7(const uint8_t *der, size_t len, size_t *out_len)
{
        static const uint8_t gbt[] = {0x06, 0x0a, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02};
        static const uint8_t pkcs7[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
        struct buf_reader r = buf_reader_make(der, len), info;
        struct err err = {0};
        CHECK_OK(der_read_element(&r, DER_TAG_SEQUENCE, &info, "ContentInfo", &err), &err);
        CHECK(info.len > sizeof gbt && memcmp(info.data, gbt, sizeof gbt) == 0);
        struct buf_writer w;
        buf_writer_init_heap(&w, CMS_MAX);
        CHECK(der_write_header(&w, DER_TAG_SEQUENCE, info.len - 1) == 0);
        CHECK(buf_write_bytes(&w, pkcs7, sizeof pkcs7) == 0);
        CHECK(buf_write_bytes(&w, info.data + sizeof gbt, info.len - sizeof gbt) == 0);
        return buf_writer_release(&w, out_len);
}

static void test_openssl_reads_our_structure(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        struct cms_attribute extra = {.der = extra_attribute, .der_len = sizeof extra_attribute};
        params.content_type = CMS_OID_TST_INFO;
        params.extra_attributes = &extra;
        params.num_extra_attributes = 1;
        size_t len = 0, pkcs7_len = 0;
        uint8_t *der = sign(&params, &len);
        uint8_t *pkcs7 = as_pkcs7(der, len, &pkcs7_len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, pkcs7, pkcs7_len, &err), &err);
        CHECK(!sd.is_gbt_content_info);
        struct cms_verify_params vp = {.trust = pki.store};
        CHECK_EQ(verify(pkcs7, pkcs7_len, &vp, 0), CMS_VERIFY_OK);

        const unsigned char *p = pkcs7;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)pkcs7_len);
        CHECK(cms != NULL);
        CHECK(p == pkcs7 + pkcs7_len);
        char text[80];
        OBJ_obj2txt(text, sizeof text, CMS_get0_eContentType(cms), 1);
        CHECK_STR(text, CMS_OID_TST_INFO);
        ASN1_OCTET_STRING **content = CMS_get0_content(cms);
        CHECK(content != NULL && *content != NULL);
        CHECK_EQ(ASN1_STRING_length(*content), sizeof message - 1);
        CHECK_MEM(ASN1_STRING_get0_data(*content), message, sizeof message - 1);
        STACK_OF(X509) *certs = CMS_get1_certs(cms);
        CHECK_EQ(sk_X509_num(certs), 1);
        CHECK(X509_cmp(sk_X509_value(certs, 0), cert_x509(pki.leaf)) == 0);
        sk_X509_pop_free(certs, X509_free);
        STACK_OF(CMS_SignerInfo) *signers = CMS_get0_SignerInfos(cms);
        CHECK_EQ(sk_CMS_SignerInfo_num(signers), 1);
        CMS_SignerInfo *si = sk_CMS_SignerInfo_value(signers, 0);
        ASN1_OCTET_STRING *keyid = NULL;
        X509_NAME *issuer = NULL;
        ASN1_INTEGER *serial = NULL;
        CHECK_EQ(CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial), 1);
        CHECK(keyid == NULL);
        CHECK(X509_NAME_cmp(issuer, X509_get_issuer_name(cert_x509(pki.leaf))) == 0);
        CHECK(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert_x509(pki.leaf))) == 0);
        CHECK_EQ(CMS_SignerInfo_cert_cmp(si, cert_x509(pki.leaf)), 0);
        CHECK_EQ(CMS_signed_get_attr_count(si), 4);
        ASN1_OCTET_STRING *md =
            CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
        uint8_t digest[SM3_DIGEST_LEN];
        CHECK_OK(sm3_hash(digest, message, sizeof message - 1, &err), &err);
        CHECK(md != NULL && ASN1_STRING_length(md) == SM3_DIGEST_LEN);
        CHECK_MEM(ASN1_STRING_get0_data(md), digest, SM3_DIGEST_LEN);
        ASN1_OBJECT *ct = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
        CHECK(ct != NULL && OBJ_cmp(ct, CMS_get0_eContentType(cms)) == 0);
        ASN1_TIME *when = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_signingTime), -3, V_ASN1_UTCTIME);
        CHECK(when != NULL);
        CHECK_EQ(ASN1_TIME_cmp_time_t(when, SIGNING_TIME), 0);
        X509_ALGOR *digest_alg = NULL, *signature_alg = NULL;
        CMS_SignerInfo_get0_algs(si, NULL, NULL, &digest_alg, &signature_alg);
        CHECK_EQ(OBJ_obj2nid(digest_alg->algorithm), NID_sm3);
        OBJ_obj2txt(text, sizeof text, signature_alg->algorithm, 1);
        CHECK_STR(text, "1.2.156.10197.1.301.1");
        CMS_ContentInfo_free(cms);
        free(pkcs7);
        free(der);
        free_pki(&pki);
}

/* put_element appends tag, length and content to w. */
static void put_element(struct buf_writer *w, uint8_t tag, const uint8_t *content, size_t len)
{
        CHECK(der_write_header(w, tag, len) == 0);
        CHECK(len == 0 || buf_write_bytes(w, content, len) == 0);
}

static void put_oid(struct buf_writer *w, const char *dotted)
{
        uint8_t oid[CMS_OID_MAX];
        size_t len = 0;
        struct err err = {0};
        CHECK_OK(cms_oid_encode(oid, &len, dotted, &err), &err);
        put_element(w, DER_TAG_OID, oid, len);
}

/* without_signed_attrs rebuilds sd (ours, attached data) as RFC 5652 5.4 has it without signedAttrs: the same
 * encapContentInfo and certificates, one SignerInfo whose SM2 signature covers the content octets. */
static uint8_t *without_signed_attrs(const struct cms_signed_data *sd, const uint8_t *der, const struct key *key,
                                     size_t *out_len)
{
        struct buf_writer info, sig_alg, sid, set, signed_data, explicit, outer;
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = 0;
        struct err err = {0};
        CHECK_OK(sm2_sign(key, sig, &sig_len, SM2_DEFAULT_ID, sd->content.data, sd->content.len, &err), &err);
        struct buf_writer *all[] = {&info, &sig_alg, &sid, &set, &signed_data, &explicit, &outer};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                buf_writer_init_heap(all[i], CMS_MAX);
        put_oid(&sig_alg, CMS_OID_SM2_SIGN_WITH_SM3_TEST);
        CHECK(buf_write_bytes(&sid, sd->issuer.data, sd->issuer.len) == 0);
        put_element(&sid, DER_TAG_INTEGER, sd->serial.data, sd->serial.len);
        put_element(&info, DER_TAG_INTEGER, (const uint8_t[]){1}, 1);
        put_element(&info, DER_TAG_SEQUENCE, sid.data, sid.len);
        CHECK(buf_write_bytes(&info, sm3_algorithm, sizeof sm3_algorithm) == 0);
        put_element(&info, DER_TAG_SEQUENCE, sig_alg.data, sig_alg.len);
        put_element(&info, DER_TAG_OCTET_STRING, sig, sig_len);
        put_element(&set, DER_TAG_SEQUENCE, info.data, info.len);
        /* version, digestAlgorithms, encapContentInfo and certificates are copied as they were; they start at our
         * encoder's fixed prefix before eContentType's value: INTEGER 1 (3 bytes), SET { SM3 } (2 + 12), the
         * encapContentInfo header (2: this message is short) and the OID header (2). */
        size_t start = (size_t)(sd->content_type.data - der) - 2 - 2 - sizeof sm3_algorithm - 2 - 3;
        size_t end = (size_t)(sd->certificates[sd->num_certificates - 1].data - der) +
                     sd->certificates[sd->num_certificates - 1].len;
        CHECK(buf_write_bytes(&signed_data, der + start, end - start) == 0);
        put_element(&signed_data, 0x31, set.data, set.len);
        put_element(&explicit, DER_TAG_SEQUENCE, signed_data.data, signed_data.len);
        put_oid(&outer, "1.2.156.10197.6.1.4.2.2");
        put_element(&outer, 0xA0, explicit.data, explicit.len);
        struct buf_writer result;
        buf_writer_init_heap(&result, CMS_MAX);
        put_element(&result, DER_TAG_SEQUENCE, outer.data, outer.len);
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                buf_writer_cleanup(all[i]);
        return buf_writer_release(&result, out_len);
}

static void test_without_signed_attributes_the_signature_covers_the_content(void)
{
        struct pki pki = make_pki();
        struct cms_sign_params params = params_for(&pki);
        size_t len = 0, bare_len = 0;
        uint8_t *der = sign(&params, &len);
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        uint8_t *bare = without_signed_attrs(&sd, der, pki.leaf_key, &bare_len);
        struct cms_signed_data again;
        CHECK_OK(cms_parse(&again, bare, bare_len, &err), &err);
        CHECK(!again.has_signed_attrs && again.is_sm2_sign_with_sm3 && !again.has_signing_time);
        CHECK_EQ(again.content.len, sizeof message - 1);
        struct cms_verify_params vp = {.trust = pki.store};
        CHECK_EQ(verify(bare, bare_len, &vp, 0), CMS_VERIFY_OK);
        CHECK_EQ(tampered(bare, bare_len, (size_t)(again.content.data - bare), &vp, CRYPTO_EVERIFY),
                 CMS_VERIFY_SIGNATURE);
        free(bare);
        free(der);
        free_pki(&pki);
}

/* gmssl_encap_digest computes SM3 over the whole encapContentInfo of der, what GmSSL signs without Z. */
static void gmssl_encap_digest(const uint8_t *der, size_t len, uint8_t digest[SM3_DIGEST_LEN])
{
        struct buf_reader r = buf_reader_make(der, len), info, oid, explicit, sd, skip, encap;
        struct err err = {0};
        CHECK_OK(der_read_element(&r, DER_TAG_SEQUENCE, &info, "ContentInfo", &err), &err);
        CHECK_OK(der_read_element(&info, DER_TAG_OID, &oid, "contentType", &err), &err);
        CHECK_OK(der_read_element(&info, 0xA0, &explicit, "content", &err), &err);
        CHECK_OK(der_read_element(&explicit, DER_TAG_SEQUENCE, &sd, "SignedData", &err), &err);
        CHECK_OK(der_read_element(&sd, DER_TAG_INTEGER, &skip, "version", &err), &err);
        CHECK_OK(der_read_element(&sd, 0x31, &skip, "digestAlgorithms", &err), &err);
        struct buf_reader before = sd;
        CHECK_OK(der_read_element(&sd, DER_TAG_SEQUENCE, &skip, "encapContentInfo", &err), &err);
        CHECK_OK(buf_read_slice(&before, &encap, before.len - sd.len), &err);
        CHECK_OK(sm3_hash(digest, encap.data, encap.len, &err), &err);
}

/* GmSSL's `gmssl cmssign` output (tests/unit/crypto/vectors/cms/README.md): we read all of its structure, and
 * refuse its signature because GmSSL signs SM3(encapContentInfo) raw, without Z; OpenSSL confirms that is what
 * the signature covers, so the refusal is about the scheme, not a misread field. */
static void test_gmssl_signed_data(void)
{
        uint8_t *der = NULL;
        size_t len = 0;
        struct err err = {0};
        CHECK_OK(file_read_all(&der, &len, check_source_path("tests/unit/crypto/vectors/cms/gmssl_cmssign.der"),
                               CMS_MAX, &err),
                 &err);
        struct cms_signed_data sd;
        CHECK_OK(cms_parse(&sd, der, len, &err), &err);
        static const char content[] = "hello interop SignedData\n";
        CHECK(sd.is_gbt_content_info && !sd.is_detached && !sd.has_signed_attrs && sd.is_sm2_sign_with_sm3);
        CHECK(cms_oid_is(&sd.content_type, CMS_OID_GBT_DATA));
        CHECK_EQ(sd.content.len, sizeof content - 1);
        CHECK_MEM(sd.content.data, content, sizeof content - 1);
        CHECK_EQ(sd.num_certificates, 1);
        struct cert *embedded = NULL, *signer = NULL;
        CHECK_OK(cert_parse_der(&embedded, sd.certificates[0].data, sd.certificates[0].len, &err), &err);
        struct cms_verify_params vp = {.signer = embedded}; /* issuerAndSerialNumber must name it */
        enum cms_verify_failure failure = CMS_VERIFY_OK;
        CHECK_STATUS(cms_verify(&sd, &vp, &failure, &signer, &err), CRYPTO_EVERIFY);
        CHECK_EQ(failure, CMS_VERIFY_SIGNATURE);
        uint8_t digest[SM3_DIGEST_LEN];
        gmssl_encap_digest(der, len, digest);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert_x509(embedded)), NULL);
        CHECK(ctx != NULL && EVP_PKEY_verify_init(ctx) == 1);
        CHECK_EQ(EVP_PKEY_verify(ctx, sd.signature.data, sd.signature.len, digest, sizeof digest), 1);
        EVP_PKEY_CTX_free(ctx);
        cert_free(embedded);
        file_free_contents(der, len);
}

CHECK_MAIN(CHECK_TEST(test_attached_round_trip_verifies_against_the_root), CHECK_TEST(test_detached_needs_the_content),
           CHECK_TEST(test_timestamp_content_type_and_extra_attribute),
           CHECK_TEST(test_each_tampering_fails_with_its_reason),
           CHECK_TEST(test_untrusted_signer_fails_the_chain_check),
           CHECK_TEST(test_truncations_and_trailing_bytes_are_refused), CHECK_TEST(test_openssl_reads_our_structure),
           CHECK_TEST(test_without_signed_attributes_the_signature_covers_the_content),
           CHECK_TEST(test_gmssl_signed_data))
