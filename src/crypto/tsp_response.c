/* src/crypto/tsp_response.c: TimeStampResp (RFC 3161 2.4.2) written (granted or rejection) and read, and the
 * checks every token gets whatever signed it: TSTInfo content, imprint against the data, nonce.
 *
 *   TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
 *   PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
 *     failInfo PKIFailureInfo OPTIONAL } */
#include <string.h>

#include "crypto/tsp_internal.h"

#define TSP_OID_PKCS7_SIGNED_DATA "1.2.840.113549.1.7.2"
#define TSP_OID_GBT_SIGNED_DATA   "1.2.156.10197.6.1.4.2.2"

static int tsp_grant_check(const struct tsp_signer *signer, const struct tsp_grant *grant, struct err *err)
{
        if (signer->cert == NULL || signer->key == NULL || signer->policy == NULL)
                return SMT_ERR(err, SMT_EINVAL, "tsp: a TSA needs a certificate, a key and a policy");
        bool is_zero = true;
        for (size_t i = 0; i < grant->serial_len && i < TSP_SERIAL_MAX; i++)
                is_zero = is_zero && grant->serial[i] == 0;
        if (grant->serial_len == 0 || grant->serial_len > TSP_SERIAL_MAX || is_zero)
                return SMT_ERR(err, SMT_EINVAL, "tsp: serial of %zu octets, expected a positive number of 1..%d",
                               grant->serial_len, TSP_SERIAL_MAX);
        if (grant->gen_time_us < 0 || signer->accuracy_ms < 0)
                return SMT_ERR(err, SMT_EINVAL, "tsp: genTime %lld us / accuracy %lld ms negative",
                               (long long)grant->gen_time_us, (long long)signer->accuracy_ms);
        return SMT_OK;
}

int tsp_response_grant(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                       const struct tsp_grant *grant, struct err *err)
{
        TRY(tsp_grant_check(signer, grant, err));
        if (key_get_alg(signer->key) != KEY_ALG_SM2)
                return tsp_openssl_grant(out, signer, req, grant, err);
        struct buf_writer body;
        tsp_writer_init(&body);
        int status = tsp_status_info_write(&body, TSP_STATUS_GRANTED, 0, NULL, err);
        if (status == SMT_OK)
                status = tsp_sm2_token(&body, signer, req, grant, err);
        if (status < 0) {
                buf_writer_cleanup(&body);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &body, err);
}

int tsp_response_reject(struct buf_writer *out, uint32_t failure_info, const char *text, struct err *err)
{
        struct buf_writer body;
        tsp_writer_init(&body);
        int status = tsp_status_info_write(&body, TSP_STATUS_REJECTION, failure_info, text, err);
        if (status < 0) {
                buf_writer_cleanup(&body);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &body, err);
}

/* tsp_failure_read reads the PKIFailureInfo BIT STRING: the bits this layer has a mask bit for. */
static int tsp_failure_read(struct buf_reader *r, uint32_t *out, struct err *err)
{
        struct buf_reader bits;
        uint8_t unused = 0;
        TRY(der_read_element(r, DER_TAG_BIT_STRING, &bits, "PKIStatusInfo.failInfo", err));
        if (buf_read_u8(&bits, &unused) < 0 || unused > 7 || (bits.len == 0 && unused != 0))
                return SMT_ERR(err, SMT_EDECODE, "PKIStatusInfo: failInfo BIT STRING malformed");
        *out = 0;
        for (size_t i = 0; i < bits.len; i++)
                for (int bit = 0; bit < 8; bit++)
                        if ((bits.data[i] & (0x80 >> bit)) != 0 && i * 8 + (size_t)bit < 32)
                                *out |= 1u << (i * 8 + (size_t)bit);
        return SMT_OK;
}

static int tsp_status_info_read(struct buf_reader *r, struct tsp_response *out, struct err *err)
{
        struct buf_reader info, strings, text;
        bool present = false;
        int64_t status = 0;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &info, "PKIStatusInfo", err));
        TRY(tsp_read_small(&info, DER_TAG_INTEGER, &status, "PKIStatusInfo.status", err));
        if (status > TSP_STATUS_REVOCATION_NOTIFICATION)
                return SMT_ERR(err, SMT_EDECODE, "PKIStatusInfo: status %lld undefined", (long long)status);
        out->status = (enum tsp_status)status;
        TRY(tsp_read_optional(&info, DER_TAG_SEQUENCE, &present, &strings, "PKIStatusInfo.statusString", err));
        if (present) {
                TRY(der_read_element(&strings, TSP_TAG_UTF8_STRING, &text, "PKIStatusInfo.statusString", err));
                size_t len = text.len < sizeof out->status_text - 1 ? text.len : sizeof out->status_text - 1;
                memcpy(out->status_text, text.data, len);
                out->status_text[len] = '\0';
        }
        uint8_t next = 0;
        if (buf_peek_u8(&info, &next) == SMT_OK && next == DER_TAG_BIT_STRING)
                TRY(tsp_failure_read(&info, &out->failure_info, err));
        return buf_reader_expect_end(&info, "PKIStatusInfo", err);
}

int tsp_response_parse(struct tsp_response *out, const uint8_t *in, size_t in_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (in == NULL || in_len > TSP_RESPONSE_MAX)
                return SMT_ERR(err, SMT_EDECODE, "TimeStampResp: %zu bytes, expected 1..%d", in_len, TSP_RESPONSE_MAX);
        struct buf_reader r = buf_reader_make(in, in_len), body, content;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &body, "TimeStampResp", err));
        TRY(buf_reader_expect_end(&r, "TimeStampResp (trailing bytes)", err));
        TRY(tsp_status_info_read(&body, out, err));
        if (buf_reader_is_empty(&body))
                return SMT_OK;
        struct buf_reader rest = body;
        TRY(der_read_element(&body, DER_TAG_SEQUENCE, &content, "TimeStampResp.timeStampToken", err));
        TRY(buf_reader_expect_end(&body, "TimeStampResp", err));
        out->token = rest;
        return SMT_OK;
}

int tsp_token_content(const uint8_t *token, size_t token_len, struct buf_reader *content_type,
                      struct buf_reader *content, struct err *err)
{
        struct buf_reader r = buf_reader_make(token, token_len), info, oid, explicit, sd, version, algs, encap, wrapper;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &info, "token ContentInfo", err));
        TRY(buf_reader_expect_end(&r, "token (trailing bytes)", err));
        TRY(der_read_element(&info, DER_TAG_OID, &oid, "token contentType", err));
        if (!cms_oid_is(&oid, TSP_OID_PKCS7_SIGNED_DATA) && !cms_oid_is(&oid, TSP_OID_GBT_SIGNED_DATA))
                return SMT_ERR(err, SMT_EDECODE, "token: contentType is not signedData");
        TRY(der_read_element(&info, TSP_TAG_CONTEXT_0, &explicit, "token content", err));
        TRY(buf_reader_expect_end(&info, "token ContentInfo", err));
        TRY(der_read_element(&explicit, DER_TAG_SEQUENCE, &sd, "SignedData", err));
        TRY(der_read_element(&sd, DER_TAG_INTEGER, &version, "SignedData.version", err));
        TRY(der_read_element(&sd, TSP_TAG_SET, &algs, "SignedData.digestAlgorithms", err));
        TRY(der_read_element(&sd, DER_TAG_SEQUENCE, &encap, "SignedData.encapContentInfo", err));
        TRY(der_read_element(&encap, DER_TAG_OID, content_type, "eContentType", err));
        TRY(der_read_element(&encap, TSP_TAG_CONTEXT_0, &wrapper, "eContent", err));
        TRY(der_read_element(&wrapper, DER_TAG_OCTET_STRING, content, "eContent", err));
        TRY(buf_reader_expect_end(&wrapper, "eContent", err));
        return buf_reader_expect_end(&encap, "encapContentInfo", err);
}

/* tsp_token_check_imprint compares the TSTInfo's imprint with the data (hashed the token's way) or digest. */
static int tsp_token_check_imprint(const struct tsp_tst_info *info, const struct tsp_verify_params *p, struct err *err)
{
        struct tsp_imprint want;
        if (p->data != NULL || p->digest == NULL) {
                if (info->imprint.hash == TSP_HASH_UNKNOWN)
                        return SMT_ERR(err, CRYPTO_EWRONGALG, "token: imprint hash algorithm unknown");
                TRY(tsp_imprint_make(&want, info->imprint.hash, p->data, p->data_len, err));
        } else {
                if (p->digest_len > TSP_DIGEST_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "token: digest of %zu bytes given", p->digest_len);
                want.digest_len = p->digest_len;
                memcpy(want.digest, p->digest, p->digest_len);
        }
        if (want.digest_len != info->imprint.digest_len ||
            memcmp(want.digest, info->imprint.digest, want.digest_len) != 0)
                return SMT_ERR(err, CRYPTO_EVERIFY, "token: the message imprint (%s) is not that of the data",
                               tsp_hash_name(info->imprint.hash));
        return SMT_OK;
}

static int tsp_token_check_nonce(const struct tsp_tst_info *info, const struct tsp_verify_params *p, struct err *err)
{
        if (p->nonce == NULL)
                return SMT_OK;
        if (!info->has_nonce || info->nonce_len != p->nonce_len || memcmp(info->nonce, p->nonce, p->nonce_len) != 0)
                return SMT_ERR(err, CRYPTO_EVERIFY, "token: %s", info->has_nonce ? "nonce differs" : "nonce missing");
        return SMT_OK;
}

int tsp_token_verify(struct tsp_verified *out, const uint8_t *token, size_t token_len,
                     const struct tsp_verify_params *params, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct buf_reader content_type, content;
        if (params->trust == NULL)
                return SMT_ERR(err, SMT_EINVAL, "token: trusted roots are needed");
        TRY(tsp_token_content(token, token_len, &content_type, &content, err));
        if (!cms_oid_is(&content_type, CMS_OID_TST_INFO))
                return SMT_ERR(err, SMT_EDECODE, "token: eContentType is not id-ct-TSTInfo");
        TRY(tsp_tst_info_parse(&out->info, content.data, content.len, err));
        struct cms_signed_data sd;
        struct err ignored = {0};
        out->is_sm2 = cms_parse(&sd, token, token_len, &ignored) == SMT_OK;
        if (out->is_sm2)
                TRY(tsp_sm2_verify(token, token_len, params, out->info.gen_time_us, out->tsa_subject, err));
        else
                TRY(tsp_openssl_verify(token, token_len, params, out->tsa_subject, err));
        TRY(tsp_token_check_imprint(&out->info, params, err));
        return tsp_token_check_nonce(&out->info, params, err);
}
