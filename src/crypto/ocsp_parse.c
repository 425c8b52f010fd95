/* src/crypto/ocsp_parse.c: reading OCSPResponse and BasicOCSPResponse (RFC 6960 4.2.1) with the bounds-checked
 * readers; ocsp_verify.c decides whether to believe it. */
#include <string.h>

#include "crypto/ocsp_internal.h"

static int ocsp_revoked_read(struct buf_reader *r, struct ocsp_single *out, struct err *err)
{
        struct buf_reader info, reason_wrapper, reason;
        TRY(der_read_element(r, OCSP_TAG_CTX1, &info, "RevokedInfo", err));
        TRY(ocsp_time_read(&info, &out->revocation_time, "RevokedInfo.revocationTime", err));
        out->revocation_reason = -1;
        if (buf_reader_is_empty(&info))
                return SMT_OK;
        TRY(der_read_element(&info, OCSP_TAG_CTX0, &reason_wrapper, "RevokedInfo.revocationReason", err));
        TRY(der_read_element(&reason_wrapper, OCSP_TAG_ENUMERATED, &reason, "RevokedInfo.revocationReason", err));
        TRY(buf_reader_expect_end(&reason_wrapper, "RevokedInfo.revocationReason", err));
        TRY(buf_reader_expect_end(&info, "RevokedInfo", err));
        if (reason.len != 1 || reason.data[0] > 10 || reason.data[0] == 7)
                return SMT_ERR(err, SMT_EDECODE, "RevokedInfo: CRLReason of %zu bytes is not 0..10 but 7", reason.len);
        out->revocation_reason = reason.data[0];
        return SMT_OK;
}

static int ocsp_cert_status_read(struct buf_reader *r, struct ocsp_single *out, struct err *err)
{
        uint8_t tag = 0;
        struct buf_reader null_value;
        if (buf_peek_u8(r, &tag) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "SingleResponse: certStatus missing");
        if (tag == OCSP_TAG_CTX1) {
                out->status = OCSP_CERT_REVOKED;
                return ocsp_revoked_read(r, out, err);
        }
        if (tag != OCSP_TAG_IMPLICIT0_NULL && tag != OCSP_TAG_IMPLICIT2_NULL)
                return SMT_ERR(err, SMT_EDECODE, "SingleResponse: certStatus tag 0x%02x, expected 0x80, 0xa1, 0x82",
                               tag);
        TRY(der_read_element(r, tag, &null_value, "SingleResponse.certStatus", err));
        if (null_value.len != 0)
                return SMT_ERR(err, SMT_EDECODE, "SingleResponse: certStatus NULL of %zu bytes", null_value.len);
        out->status = tag == OCSP_TAG_IMPLICIT0_NULL ? OCSP_CERT_GOOD : OCSP_CERT_UNKNOWN;
        return SMT_OK;
}

static int ocsp_single_read(struct buf_reader *list, struct ocsp_single *out, struct err *err)
{
        struct buf_reader body, part;
        uint8_t tag = 0;
        memset(out, 0, sizeof *out);
        out->revocation_reason = -1;
        TRY(der_read_element(list, DER_TAG_SEQUENCE, &body, "SingleResponse", err));
        TRY(ocsp_cert_id_read(&body, &out->cert_id, err));
        TRY(ocsp_cert_status_read(&body, out, err));
        TRY(ocsp_time_read(&body, &out->this_update, "SingleResponse.thisUpdate", err));
        if (buf_peek_u8(&body, &tag) == 0 && tag == OCSP_TAG_CTX0) {
                TRY(der_read_element(&body, OCSP_TAG_CTX0, &part, "SingleResponse.nextUpdate", err));
                TRY(ocsp_time_read(&part, &out->next_update, "SingleResponse.nextUpdate", err));
                TRY(buf_reader_expect_end(&part, "SingleResponse.nextUpdate", err));
        }
        if (!buf_reader_is_empty(&body)) {
                TRY(der_read_element(&body, OCSP_TAG_CTX1, &part, "singleExtensions", err));
                TRY(ocsp_extensions_read(&part, NULL, NULL, NULL, "singleExtensions", err));
        }
        return buf_reader_expect_end(&body, "SingleResponse", err);
}

static int ocsp_responder_id_read(struct buf_reader *tbs, struct ocsp_response *out, struct err *err)
{
        struct buf_reader id, value;
        uint8_t tag = 0;
        if (buf_peek_u8(tbs, &tag) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "ResponseData: responderID missing");
        if (tag == OCSP_TAG_CTX1) {
                TRY(der_read_element(tbs, OCSP_TAG_CTX1, &id, "ResponderID.byName", err));
                struct buf_reader name_start = id;
                TRY(der_read_element(&id, DER_TAG_SEQUENCE, &value, "ResponderID.byName", err));
                TRY(buf_reader_expect_end(&id, "ResponderID.byName", err));
                out->responder_name = name_start;
                return SMT_OK;
        }
        TRY(der_read_element(tbs, OCSP_TAG_CTX2, &id, "ResponderID.byKey", err));
        TRY(der_read_element(&id, DER_TAG_OCTET_STRING, &value, "ResponderID.byKey", err));
        TRY(buf_reader_expect_end(&id, "ResponderID.byKey", err));
        if (value.len != OCSP_KEY_HASH_LEN)
                return SMT_ERR(err, SMT_EDECODE, "ResponderID.byKey: %zu bytes, expected SHA-1's %d", value.len,
                               OCSP_KEY_HASH_LEN);
        memcpy(out->responder_key_hash, value.data, value.len);
        out->responder_by_key = true;
        return SMT_OK;
}

static int ocsp_response_data_read(struct buf_reader tbs, struct ocsp_response *out, struct err *err)
{
        struct buf_reader part, list;
        uint8_t tag = 0;
        if (buf_peek_u8(&tbs, &tag) == 0 && tag == OCSP_TAG_CTX0) {
                uint8_t version = 0;
                TRY(der_read_element(&tbs, OCSP_TAG_CTX0, &part, "ResponseData.version", err));
                TRY(der_read_unsigned_integer(&part, &version, 1, "ResponseData.version", err));
                TRY(buf_reader_expect_end(&part, "ResponseData.version", err));
                if (version != 0)
                        return SMT_ERR(err, SMT_EDECODE, "ResponseData: version %u, expected v1 (0)", version);
        }
        TRY(ocsp_responder_id_read(&tbs, out, err));
        TRY(ocsp_time_read(&tbs, &out->produced_at, "ResponseData.producedAt", err));
        TRY(der_read_element(&tbs, DER_TAG_SEQUENCE, &list, "ResponseData.responses", err));
        while (!buf_reader_is_empty(&list)) {
                if (out->num_singles == OCSP_MAX_CERT_IDS)
                        return SMT_ERR(err, SMT_ENOSPACE, "ResponseData: more than %d responses", OCSP_MAX_CERT_IDS);
                TRY(ocsp_single_read(&list, &out->singles[out->num_singles], err));
                out->num_singles++;
        }
        if (out->num_singles == 0)
                return SMT_ERR(err, SMT_EDECODE, "ResponseData: no responses");
        if (!buf_reader_is_empty(&tbs)) {
                TRY(der_read_element(&tbs, OCSP_TAG_CTX1, &part, "responseExtensions", err));
                TRY(ocsp_extensions_read(&part, &out->has_nonce, out->nonce, &out->nonce_len, "responseExtensions",
                                         err));
        }
        return buf_reader_expect_end(&tbs, "ResponseData", err);
}

static int ocsp_certs_read(struct buf_reader *r, struct ocsp_response *out, struct err *err)
{
        struct buf_reader wrapper, list, one;
        TRY(der_read_element(r, OCSP_TAG_CTX0, &wrapper, "BasicOCSPResponse.certs", err));
        TRY(der_read_element(&wrapper, DER_TAG_SEQUENCE, &list, "BasicOCSPResponse.certs", err));
        TRY(buf_reader_expect_end(&wrapper, "BasicOCSPResponse.certs", err));
        while (!buf_reader_is_empty(&list)) {
                struct buf_reader start = list;
                struct cert *cert = NULL;
                TRY(der_read_element(&list, DER_TAG_SEQUENCE, &one, "BasicOCSPResponse.certs", err));
                if (cert_parse_der(&cert, start.data, start.len - list.len, err) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "BasicOCSPResponse.certs: %s", err->msg);
                TRY(cert_chain_append(out->certs, cert, err));
        }
        return SMT_OK;
}

static int ocsp_basic_read(struct buf_reader basic_der, struct ocsp_response *out, struct err *err)
{
        struct buf_reader basic, tbs, alg, sig;
        TRY(der_read_element(&basic_der, DER_TAG_SEQUENCE, &basic, "BasicOCSPResponse", err));
        TRY(buf_reader_expect_end(&basic_der, "BasicOCSPResponse", err));
        struct buf_reader tbs_start = basic;
        TRY(der_read_element(&basic, DER_TAG_SEQUENCE, &tbs, "ResponseData", err));
        out->tbs = buf_reader_make(tbs_start.data, tbs_start.len - basic.len);
        TRY(ocsp_response_data_read(tbs, out, err));
        TRY(der_read_element(&basic, DER_TAG_SEQUENCE, &alg, "signatureAlgorithm", err));
        TRY(der_read_element(&alg, DER_TAG_OID, &out->sig_alg_oid, "signatureAlgorithm", err));
        TRY(der_read_element(&basic, DER_TAG_BIT_STRING, &sig, "signature", err));
        uint8_t unused = 1;
        if (buf_read_u8(&sig, &unused) < 0 || unused != 0 || sig.len == 0)
                return SMT_ERR(err, SMT_EDECODE, "signature: BIT STRING of %zu bytes is not whole octets", sig.len);
        out->signature = sig;
        TRY(cert_chain_new(&out->certs, err));
        if (!buf_reader_is_empty(&basic))
                TRY(ocsp_certs_read(&basic, out, err));
        return buf_reader_expect_end(&basic, "BasicOCSPResponse", err);
}

static int ocsp_response_outer_read(struct buf_reader r, struct ocsp_response *out, struct err *err)
{
        struct buf_reader response, status, explicit0, bytes, oid, basic;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &response, "OCSPResponse", err));
        TRY(buf_reader_expect_end(&r, "OCSPResponse", err));
        TRY(der_read_element(&response, OCSP_TAG_ENUMERATED, &status, "OCSPResponse.responseStatus", err));
        if (status.len != 1 || status.data[0] > 6 || status.data[0] == 4)
                return SMT_ERR(err, SMT_EDECODE, "OCSPResponse: responseStatus of %zu bytes is not 0..6 but 4",
                               status.len);
        out->status = (enum ocsp_response_status)status.data[0];
        if (out->status != OCSP_RESPONSE_SUCCESSFUL)
                return buf_reader_expect_end(&response, "OCSPResponse (error status)", err);
        TRY(der_read_element(&response, OCSP_TAG_CTX0, &explicit0, "OCSPResponse.responseBytes", err));
        TRY(buf_reader_expect_end(&response, "OCSPResponse", err));
        TRY(der_read_element(&explicit0, DER_TAG_SEQUENCE, &bytes, "ResponseBytes", err));
        TRY(buf_reader_expect_end(&explicit0, "OCSPResponse.responseBytes", err));
        TRY(der_read_element(&bytes, DER_TAG_OID, &oid, "ResponseBytes.responseType", err));
        if (!ocsp_oid_equal(oid, &ocsp_oid_basic))
                return SMT_ERR(err, SMT_EDECODE, "ResponseBytes: responseType is not id-pkix-ocsp-basic");
        TRY(der_read_element(&bytes, DER_TAG_OCTET_STRING, &basic, "ResponseBytes.response", err));
        TRY(buf_reader_expect_end(&bytes, "ResponseBytes", err));
        return ocsp_basic_read(basic, out, err);
}

int ocsp_response_parse(struct ocsp_response *out, const uint8_t *in, size_t in_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (in_len > OCSP_RESPONSE_MAX)
                return SMT_ERR(err, SMT_EDECODE, "OCSPResponse: %zu bytes exceed %d", in_len, OCSP_RESPONSE_MAX);
        int status = ocsp_response_outer_read(buf_reader_make(in, in_len), out, err);
        if (status < 0)
                ocsp_response_cleanup(out);
        return status;
}

void ocsp_response_cleanup(struct ocsp_response *resp)
{
        cert_chain_free(resp->certs);
        memset(resp, 0, sizeof *resp);
}
