/* src/ca/ocsp_responder_status.c: what the responder answers about one certificate, asked the way a client
 * asks and read back from the signed answer, so the CA API shows what relying parties see. */
#include <string.h>

#include "ca/ocsp_responder_internal.h"

static struct ca_ocsp_signer *ca_ocsp_signer_named(struct ca_ocsp *ocsp, const char *ca_name)
{
        size_t count = ca_authorities_count(ocsp->authorities);
        for (size_t i = 0; i < count && i < CA_OCSP_CAS_MAX; i++) {
                struct ca_ocsp_signer *signer = atomic_load_explicit(&ocsp->signers[i], memory_order_acquire);
                if (signer != NULL && strcmp(ca_authority_name(signer->ca), ca_name) == 0)
                        return signer;
        }
        return NULL;
}

static int ca_ocsp_status_read_back(const uint8_t *der, size_t len, struct ca_ocsp_status *out, struct err *err)
{
        struct ocsp_response parsed = {0};
        TRY(ocsp_response_parse(&parsed, der, len, err));
        int status = SMT_OK;
        if (parsed.status != OCSP_RESPONSE_SUCCESSFUL || parsed.num_singles != 1) {
                status = SMT_ERR(err, SMT_EINTERNAL, "the responder answered status %d", (int)parsed.status);
        } else {
                const struct ocsp_single *single = &parsed.singles[0];
                out->status = single->status;
                out->revoked_at = single->revocation_time;
                out->reason = single->revocation_reason;
                out->this_update = single->this_update;
                out->next_update = single->next_update;
                out->produced_at = parsed.produced_at;
        }
        ocsp_response_cleanup(&parsed);
        return status;
}

int ca_ocsp_status_of(struct ca_ocsp *ocsp, const char *ca_name, const char *serial, struct ca_ocsp_status *out,
                      struct err *err)
{
        memset(out, 0, sizeof *out);
        struct ca_ocsp_signer *signer = ca_ocsp_signer_named(ocsp, ca_name);
        uint8_t octets[OCSP_SERIAL_MAX];
        size_t octets_len = 0;
        if (signer == NULL)
                return SMT_ERR(err, CA_ENOT_FOUND, "no OCSP responder for CA %s", ca_name);
        if (!ca_ocsp_serial_from_hex(serial, octets, &octets_len))
                return SMT_ERR(err, SMT_EINVAL, "serial %.80s", serial);
        struct ocsp_cert_id id;
        TRY(ocsp_cert_id_from_issuer(&id, &signer->issuer_id, OCSP_HASH_SHA1, octets, octets_len, err));
        struct buf_writer request, answer;
        buf_writer_init_heap(&request, OCSP_REQUEST_MAX);
        buf_writer_init_heap(&answer, OCSP_RESPONSE_MAX);
        int64_t this_update = 0, next_update = 0;
        int status = ocsp_request_build(&request, &id, 1, NULL, 0, err);
        if (status == SMT_OK)
                status = ca_ocsp_answer(ocsp, request.data, request.len, &answer, &this_update, &next_update, err);
        if (status == SMT_OK)
                status = ca_ocsp_status_read_back(answer.data, answer.len, out, err);
        if (status == SMT_OK)
                status = cert_subject_text(signer->delegate.cert, out->responder, sizeof out->responder, err);
        buf_writer_cleanup(&request);
        buf_writer_cleanup(&answer);
        return status;
}
