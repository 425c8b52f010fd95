/* src/crypto/tsp_sm2.c: SM2 time-stamp tokens: our TSTInfo in a GB/T 35275 SignedData (cms_sign) with the
 * signingCertificateV2 attribute RFC 5816 asks for, and their verification.
 *
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *     certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }          (RFC 5035 3)
 *   IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber } */
#include <string.h>

#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "crypto/tsp_internal.h"

/* tsp_sm2_serial turns the grant's unsigned number into minimal INTEGER content octets. */
static void tsp_sm2_serial(struct tsp_tst_info *info, const struct tsp_grant *grant)
{
        size_t start = 0;
        while (start + 1 < grant->serial_len && grant->serial[start] == 0)
                start++;
        size_t len = grant->serial_len - start, pad = grant->serial[start] >= 0x80 ? 1 : 0;
        info->serial[0] = 0;
        memcpy(info->serial + pad, grant->serial + start, len);
        info->serial_len = len + pad;
}

static int tsp_sm2_tst_info(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                            const struct tsp_grant *grant, struct err *err)
{
        struct tsp_tst_info info;
        memset(&info, 0, sizeof info);
        TRY(tsp_oid_encode(info.policy, &info.policy_len, signer->policy, err));
        info.imprint = req->imprint;
        tsp_sm2_serial(&info, grant);
        info.gen_time_us = grant->gen_time_us;
        info.accuracy_seconds = signer->accuracy_ms / 1000;
        info.accuracy_millis = signer->accuracy_ms % 1000;
        info.has_nonce = req->has_nonce;
        info.nonce_len = req->nonce_len;
        memcpy(info.nonce, req->nonce, req->nonce_len);
        const uint8_t *name = NULL;
        size_t name_len = 0;
        TRY(cert_subject_der(signer->cert, &name, &name_len, err));
        info.tsa_name = buf_reader_make(name, name_len);
        return tsp_tst_info_write(out, &info, err);
}

/* tsp_sm2_issuer_serial writes IssuerSerial { GeneralNames { directoryName issuer }, serialNumber }. */
static int tsp_sm2_issuer_serial(struct buf_writer *out, const struct cert *cert, struct err *err)
{
        const uint8_t *issuer = NULL;
        size_t issuer_len = 0;
        TRY(cert_issuer_der(cert, &issuer, &issuer_len, err));
        unsigned char *serial = NULL;
        int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert_x509(cert)), &serial);
        if (serial_len <= 0)
                return crypto_error_set(err, CRYPTO_ECERT, "tsp: TSA certificate serial number");
        struct buf_writer name, names, seq;
        tsp_writer_init(&name);
        tsp_writer_init(&names);
        tsp_writer_init(&seq);
        int status = tsp_write_element(&name, TSP_TAG_DIRECTORY_NAME, issuer, issuer_len, err);
        if (status == SMT_OK)
                status = tsp_seal(&names, DER_TAG_SEQUENCE, &name, err);
        if (status == SMT_OK)
                status = tsp_seal(&seq, DER_TAG_SEQUENCE, &names, err);
        if (status == SMT_OK && buf_write_bytes(&seq, serial, (size_t)serial_len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "tsp: issuerSerial");
        if (status == SMT_OK)
                status = tsp_seal(out, DER_TAG_SEQUENCE, &seq, err);
        OPENSSL_free(serial);
        buf_writer_cleanup(&name);
        buf_writer_cleanup(&names);
        buf_writer_cleanup(&seq);
        return status;
}

/* tsp_sm2_signing_certificate writes the signingCertificateV2 Attribute naming cert by its SM3 hash: SM3 for
 * SM2 tokens, so a relying party needs no other hash (GB/T 35275 uses SM3 throughout). */
static int tsp_sm2_signing_certificate(struct buf_writer *out, const struct cert *cert, struct err *err)
{
        struct tsp_imprint hash;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        cert_der(cert, &der, &der_len);
        TRY(tsp_imprint_make(&hash, TSP_HASH_SM3, der, der_len, err));
        struct buf_writer id, ids, value, set, attr;
        tsp_writer_init(&id);
        tsp_writer_init(&ids);
        tsp_writer_init(&value);
        tsp_writer_init(&set);
        tsp_writer_init(&attr);
        int status = tsp_write_algorithm(&id, TSP_OID_SM3, err);
        if (status == SMT_OK)
                status = tsp_write_element(&id, DER_TAG_OCTET_STRING, hash.digest, hash.digest_len, err);
        if (status == SMT_OK)
                status = tsp_sm2_issuer_serial(&id, cert, err);
        if (status == SMT_OK)
                status = tsp_seal(&ids, DER_TAG_SEQUENCE, &id, err);
        if (status == SMT_OK)
                status = tsp_seal(&value, DER_TAG_SEQUENCE, &ids, err);
        if (status == SMT_OK)
                status = tsp_seal(&set, DER_TAG_SEQUENCE, &value, err);
        if (status == SMT_OK)
                status = tsp_write_oid(&attr, CMS_OID_SIGNING_CERTIFICATE_V2, err);
        if (status == SMT_OK)
                status = tsp_seal(&attr, TSP_TAG_SET, &set, err);
        if (status == SMT_OK)
                status = tsp_seal(out, DER_TAG_SEQUENCE, &attr, err);
        buf_writer_cleanup(&id);
        buf_writer_cleanup(&ids);
        buf_writer_cleanup(&value);
        buf_writer_cleanup(&set);
        buf_writer_cleanup(&attr);
        return status;
}

/* tsp_read_whole reads one element of tag and gives all of it, tag and length included. */
static int tsp_read_whole(struct buf_reader *r, uint8_t tag, struct buf_reader *whole, const char *what,
                          struct err *err)
{
        struct buf_reader before = *r, content;
        TRY(der_read_element(r, tag, &content, what, err));
        *whole = buf_reader_make(before.data, before.len - r->len);
        return SMT_OK;
}

/* tsp_sm2_strip_certificates copies the ContentInfo in without SignedData's certificates: RFC 3161 2.4.1 says
 * they MUST NOT be there unless certReq was true, and cms_sign always embeds the signer. The signature covers
 * the signed attributes only, so it stays valid. */
static int tsp_sm2_strip_certificates(struct buf_writer *out, const struct buf_writer *in, struct err *err)
{
        struct buf_reader r = buf_reader_make(in->data, in->len), info, oid, explicit, sd, version, algs, encap, rest;
        bool has_certs = false;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &info, "token", err));
        TRY(tsp_read_whole(&info, DER_TAG_OID, &oid, "token", err));
        TRY(der_read_element(&info, TSP_TAG_CONTEXT_0, &explicit, "token", err));
        TRY(der_read_element(&explicit, DER_TAG_SEQUENCE, &sd, "token", err));
        TRY(tsp_read_whole(&sd, DER_TAG_INTEGER, &version, "token", err));
        TRY(tsp_read_whole(&sd, TSP_TAG_SET, &algs, "token", err));
        TRY(tsp_read_whole(&sd, DER_TAG_SEQUENCE, &encap, "token", err));
        TRY(tsp_read_optional(&sd, TSP_TAG_CONTEXT_0, &has_certs, &rest, "token", err));
        struct buf_writer body, wrapper, whole;
        tsp_writer_init(&body);
        tsp_writer_init(&wrapper);
        tsp_writer_init(&whole);
        int status = SMT_OK;
        if (buf_write_bytes(&body, version.data, version.len) < 0 || buf_write_bytes(&body, algs.data, algs.len) < 0 ||
            buf_write_bytes(&body, encap.data, encap.len) < 0 || buf_write_bytes(&body, sd.data, sd.len) < 0 ||
            buf_write_bytes(&whole, oid.data, oid.len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "tsp: token of %zu bytes", in->len);
        if (status == SMT_OK)
                status = tsp_seal(&wrapper, DER_TAG_SEQUENCE, &body, err);
        if (status == SMT_OK)
                status = tsp_seal(&whole, TSP_TAG_CONTEXT_0, &wrapper, err);
        if (status == SMT_OK)
                status = tsp_seal(out, DER_TAG_SEQUENCE, &whole, err);
        buf_writer_cleanup(&body);
        buf_writer_cleanup(&wrapper);
        buf_writer_cleanup(&whole);
        return status;
}

int tsp_sm2_token(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                  const struct tsp_grant *grant, struct err *err)
{
        struct buf_writer tst_info, attribute, token;
        tsp_writer_init(&tst_info);
        tsp_writer_init(&attribute);
        tsp_writer_init(&token);
        int status = tsp_sm2_tst_info(&tst_info, signer, req, grant, err);
        if (status == SMT_OK)
                status = tsp_sm2_signing_certificate(&attribute, signer->cert, err);
        struct cms_attribute extra = {.der = attribute.data, .der_len = attribute.len};
        struct cms_sign_params params = {
            .key = signer->key,
            .signer = signer->cert,
            .chain = req->cert_req ? signer->chain : NULL,
            .content_type = CMS_OID_TST_INFO,
            .content = tst_info.data,
            .content_len = tst_info.len,
            .signing_time = (time_t)(grant->gen_time_us / 1000000),
            .extra_attributes = &extra,
            .num_extra_attributes = 1,
        };
        if (status == SMT_OK)
                status = cms_sign(req->cert_req ? out : &token, &params, err);
        if (status == SMT_OK && !req->cert_req)
                status = tsp_sm2_strip_certificates(out, &token, err);
        buf_writer_cleanup(&tst_info);
        buf_writer_cleanup(&attribute);
        buf_writer_cleanup(&token);
        return status;
}

/* tsp_sm2_check_tsa_cert: RFC 3161 2.3, the extendedKeyUsage is critical and lists id-kp-timeStamping only. */
static int tsp_sm2_check_tsa_cert(const struct cert *cert, struct err *err)
{
        X509 *x = cert_x509(cert);
        int index = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
        if (index < 0 || X509_EXTENSION_get_critical(X509_get_ext(x, index)) != 1)
                return SMT_ERR(err, CRYPTO_ECERT_USAGE, "token: the TSA certificate has no critical extendedKeyUsage");
        if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) == 0 || X509_get_extended_key_usage(x) != XKU_TIMESTAMP)
                return SMT_ERR(err, CRYPTO_ECERT_USAGE, "token: the TSA certificate's EKU is not timeStamping alone");
        return SMT_OK;
}

/* tsp_sm2_check_ess finds signingCertificateV2 and checks its first ESSCertIDv2 hashes to signer. */
static int tsp_sm2_check_ess(const struct cms_signed_data *sd, const struct cert *signer, struct err *err)
{
        const struct cms_parsed_attribute *attr = cms_attribute_lookup(sd, CMS_OID_SIGNING_CERTIFICATE_V2);
        if (attr == NULL)
                return SMT_ERR(err, CRYPTO_EVERIFY, "token: no signingCertificateV2 attribute (RFC 5816)");
        struct buf_reader values = attr->values, value, ids, id, oid, hash;
        TRY(der_read_element(&values, DER_TAG_SEQUENCE, &value, "signingCertificateV2", err));
        TRY(der_read_element(&value, DER_TAG_SEQUENCE, &ids, "signingCertificateV2.certs", err));
        TRY(der_read_element(&ids, DER_TAG_SEQUENCE, &id, "ESSCertIDv2", err));
        enum tsp_hash alg = TSP_HASH_SHA256; /* the DEFAULT (RFC 5035 3) */
        uint8_t next = 0;
        if (buf_peek_u8(&id, &next) == SMT_OK && next == DER_TAG_SEQUENCE) {
                TRY(tsp_read_algorithm(&id, &oid, "ESSCertIDv2.hashAlgorithm", err));
                alg = tsp_hash_from_oid(&oid);
        }
        TRY(der_read_element(&id, DER_TAG_OCTET_STRING, &hash, "ESSCertIDv2.certHash", err));
        struct tsp_imprint want;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        cert_der(signer, &der, &der_len);
        if (alg == TSP_HASH_UNKNOWN)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "token: ESSCertIDv2 hash algorithm unknown");
        TRY(tsp_imprint_make(&want, alg, der, der_len, err));
        if (hash.len != want.digest_len || memcmp(hash.data, want.digest, hash.len) != 0)
                return SMT_ERR(err, CRYPTO_EVERIFY, "token: signingCertificateV2 names another certificate");
        return SMT_OK;
}

/* tsp_sm2_check_signature runs cms_verify with the token's certificates, or with each of params->certs as the
 * signer when the token carries none (certReq false); the chain is then checked with params->certs. */
static int tsp_sm2_check_signature(const struct cms_signed_data *sd, const struct tsp_verify_params *params,
                                   time_t when, struct cert **signer, struct err *err)
{
        enum cms_verify_failure failure = CMS_VERIFY_OK;
        if (sd->num_certificates > 0) {
                struct cms_verify_params p = {.trust = params->trust, .now = when};
                return cms_verify(sd, &p, &failure, signer, err);
        }
        size_t count = params->certs != NULL ? cert_chain_count(params->certs) : 0;
        int status = SMT_ERR(err, CRYPTO_ECERT, "token: carries no certificate and none given to find its signer");
        for (size_t i = 0; i < count && status < 0; i++) {
                struct cms_verify_params p = {.signer = cert_chain_get(params->certs, i), .now = when};
                status = cms_verify(sd, &p, &failure, signer, err);
                if (status < 0 && failure != CMS_VERIFY_SIGNER_NOT_FOUND)
                        return status;
        }
        if (status == SMT_OK &&
            (status = cert_verify_chain(params->trust, *signer, params->certs, when, NULL, err)) < 0) {
                cert_free(*signer);
                *signer = NULL;
        }
        return status;
}

int tsp_sm2_verify(const uint8_t *token, size_t token_len, const struct tsp_verify_params *params, int64_t gen_time_us,
                   char subject[CERT_NAME_TEXT_MAX], struct err *err)
{
        struct cms_signed_data sd;
        struct cert *signer = NULL;
        TRY(cms_parse(&sd, token, token_len, err));
        TRY(tsp_sm2_check_signature(&sd, params, (time_t)(gen_time_us / 1000000), &signer, err));
        int status = tsp_sm2_check_tsa_cert(signer, err);
        if (status == SMT_OK)
                status = tsp_sm2_check_ess(&sd, signer, err);
        if (status == SMT_OK)
                status = cert_subject_text(signer, subject, CERT_NAME_TEXT_MAX, err);
        cert_free(signer);
        return status;
}
