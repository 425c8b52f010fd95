/* src/ca/ocsp_responder_answer.c: from a request to an OCSPResponse: the status read from the store,
 * answers signed by the CA's responder certificate and kept, and what is signed at request time
 * (ocsp_responder.h says which). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "ca/ocsp_responder_internal.h"
#include "crypto/random.h"

#define CA_OCSP_RESPONSE_INITIAL 2048

bool ca_ocsp_serial_from_hex(const char *hex, uint8_t out[OCSP_SERIAL_MAX], size_t *out_len)
{
        size_t digits = strlen(hex);
        if (digits == 0 || digits % 2 != 0)
                return false;
        size_t bytes = digits / 2, at = 0;
        uint8_t first = 0;
        if (sscanf(hex, "%2hhx", &first) != 1)
                return false;
        if (first & 0x80) { /* a positive INTEGER whose top bit is set starts with 0x00 (X.690 8.3.2) */
                if (bytes + 1 > OCSP_SERIAL_MAX)
                        return false;
                out[at++] = 0;
        } else if (bytes > OCSP_SERIAL_MAX) {
                return false;
        }
        for (size_t i = 0; i < bytes; i++)
                if (sscanf(hex + 2 * i, "%2hhx", &out[at++]) != 1)
                        return false;
        *out_len = at;
        return true;
}

bool ca_ocsp_serial_to_hex(const uint8_t *serial, size_t len, char out[STORE_SERIAL_MAX])
{
        if (len == 0 || (serial[0] & 0x80) != 0)
                return false; /* zero-length or negative: no certificate of ours */
        while (len > 1 && serial[0] == 0) {
                serial++;
                len--;
        }
        if (2 * len + 1 > STORE_SERIAL_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                snprintf(out + 2 * i, 3, "%02x", serial[i]);
        return true;
}

/* ca_ocsp_status_read fills single's status from the store: good, or revoked with time and reason (an
 * unspecified reason, 0, is left out as RFC 5280 5.3.1 asks), or unknown (CA_ENOT_FOUND returned) when
 * the store has no such serial from this CA. */
static int ca_ocsp_status_read(struct ca_ocsp *ocsp, const struct ca_ocsp_signer *signer, struct ocsp_single *single,
                               int64_t *not_after, struct err *err)
{
        char hex[STORE_SERIAL_MAX];
        struct store_cert record = {0};
        single->status = OCSP_CERT_UNKNOWN;
        single->revocation_reason = -1;
        if (!ca_ocsp_serial_to_hex(single->cert_id.serial, single->cert_id.serial_len, hex))
                return CA_ENOT_FOUND;
        int status = store_cert_get(ocsp->store, hex, &record, err);
        if (status == SMT_OK && strcmp(record.ca_name, ca_authority_name(signer->ca)) != 0)
                status = CA_ENOT_FOUND; /* a serial of another CA under this CA's CertID */
        if (status == SMT_OK) {
                single->status = record.status == STORE_CERT_REVOKED ? OCSP_CERT_REVOKED : OCSP_CERT_GOOD;
                single->revocation_time = (time_t)record.revoked_at;
                single->revocation_reason = record.revocation_reason > 0 ? record.revocation_reason : -1;
                if (not_after != NULL)
                        *not_after = record.not_after;
        }
        store_cert_clear(&record);
        return status;
}

static struct ocsp_signer ca_ocsp_signer_of(const struct ca_ocsp_signer *signer)
{
        /* The responder certificate and the CA's, so clients build the responder's path without fetching. */
        return (struct ocsp_signer){.cert = signer->delegate.cert, .key = signer->delegate.key, .extra = signer->extra};
}

static void ca_ocsp_single_times(const struct ca_ocsp *ocsp, struct ocsp_single *single, int64_t now)
{
        single->this_update = (time_t)now;
        single->next_update = (time_t)(now + ocsp->config->revocation.ocsp_validity / 1000);
}

/* Refreshed when half the validity has passed, less up to a tenth at random, so answers signed together
 * at start are not all signed anew in the same second. */
static int64_t ca_ocsp_refresh_time(const struct ca_ocsp *ocsp, int64_t now)
{
        int64_t half = ocsp->config->revocation.ocsp_validity / 2000;
        uint32_t spread = 0;
        struct err ignored = {0};
        if (half >= 10 && random_bytes((uint8_t *)&spread, sizeof spread, &ignored) == 0)
                return now + half - (int64_t)(spread % (uint32_t)(half / 10));
        return now + half;
}

static int ca_ocsp_entry_make(struct ca_ocsp *ocsp, const struct ca_ocsp_signer *signer,
                              const struct ocsp_single *single, struct ca_ocsp_entry **out, struct err *err)
{
        struct ca_ocsp_entry *entry = calloc(1, sizeof *entry);
        if (entry == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP answer");
        struct buf_writer der;
        buf_writer_init_heap(&der, OCSP_RESPONSE_MAX);
        struct ocsp_signer by = ca_ocsp_signer_of(signer);
        int status = ocsp_response_presign(&der, &by, single->this_update, single, err);
        if (status < 0) {
                buf_writer_cleanup(&der);
                free(entry);
                return status;
        }
        entry->key = (struct ca_ocsp_key){.ca_index = (uint32_t)signer->index, .hash = (uint8_t)single->cert_id.hash,
                                          .serial_len = (uint8_t)single->cert_id.serial_len};
        memcpy(entry->key.serial, single->cert_id.serial, single->cert_id.serial_len);
        entry->der = buf_writer_release(&der, &entry->der_len);
        entry->this_update = single->this_update;
        entry->next_update = single->next_update;
        entry->refresh_at = ca_ocsp_refresh_time(ocsp, single->this_update);
        entry->status = single->status;
        *out = entry;
        return SMT_OK;
}

int ca_ocsp_keep(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct ocsp_cert_id *id,
                 struct err *err)
{
        struct ocsp_single single = {.cert_id = *id};
        uint64_t generation = ca_ocsp_table_generation(&ocsp->table);
        int64_t not_after = 0, now = (int64_t)time(NULL);
        TRY(ca_ocsp_status_read(ocsp, signer, &single, &not_after, err));
        /* An expired certificate's answer is no longer kept (nor signed anew in the background): the few
         * clients that still ask get one signed at their request. */
        if (not_after < now)
                return SMT_ERR(err, CA_ENOT_FOUND, "certificate expired: its OCSP answer is not kept");
        ca_ocsp_single_times(ocsp, &single, now);
        struct ca_ocsp_entry *entry = NULL;
        TRY(ca_ocsp_entry_make(ocsp, signer, &single, &entry, err));
        ca_ocsp_table_put(&ocsp->table, entry, generation);
        return SMT_OK;
}

/* ca_ocsp_sign_now signs the answer for the request's CertIDs at once: several CertIDs (those of other
 * CAs than the first one served answered unknown: this responder cannot speak for them), or one the
 * store does not know. The nonce is echoed, since this answer is made for this request alone. */
static int ca_ocsp_sign_now(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct ocsp_request *req,
                            struct buf_writer *out, struct err *err)
{
        struct ocsp_single singles[OCSP_MAX_CERT_IDS];
        int64_t now = (int64_t)time(NULL);
        for (size_t i = 0; i < req->num_cert_ids; i++) {
                singles[i] = (struct ocsp_single){.cert_id = req->cert_ids[i], .status = OCSP_CERT_UNKNOWN,
                                                  .revocation_reason = -1};
                ca_ocsp_single_times(ocsp, &singles[i], now);
                if (!ocsp_issuer_id_matches(&signer->issuer_id, &req->cert_ids[i]))
                        continue;
                int status = ca_ocsp_status_read(ocsp, signer, &singles[i], NULL, err);
                if (status < 0 && status != CA_ENOT_FOUND)
                        return status;
        }
        struct ocsp_signer by = ca_ocsp_signer_of(signer);
        atomic_fetch_add(&ocsp->signed_now, 1);
        return ocsp_response_build(out, &by, (time_t)now, singles, req->num_cert_ids,
                                   req->has_nonce ? req->nonce : NULL, req->nonce_len, err);
}

/* One CertID: the kept answer, kept now when the store knows the certificate, else signed now. */
static int ca_ocsp_answer_one(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct ocsp_request *req,
                              struct buf_writer *out, int64_t *this_update, int64_t *next_update, struct err *err)
{
        const struct ocsp_cert_id *id = &req->cert_ids[0];
        struct ca_ocsp_key key = {.ca_index = (uint32_t)signer->index, .hash = (uint8_t)id->hash,
                                  .serial_len = (uint8_t)id->serial_len};
        memcpy(key.serial, id->serial, id->serial_len);
        /* Twice at most: a revocation may drop the answer just kept; then this request signs its own. */
        for (int attempt = 0; attempt < 2; attempt++) {
                struct ca_ocsp_copy copy = {0};
                if (ca_ocsp_table_get(&ocsp->table, &key, &copy)) {
                        int status = buf_write_bytes(out, copy.der, copy.der_len);
                        free(copy.der);
                        *this_update = copy.this_update;
                        *next_update = copy.next_update;
                        atomic_fetch_add(&ocsp->served_kept, 1);
                        return status < 0 ? SMT_ERR(err, SMT_ENOMEM, "OCSP answer") : SMT_OK;
                }
                int status = ca_ocsp_keep(ocsp, signer, id, err);
                if (status == CA_ENOT_FOUND)
                        break;
                if (status < 0)
                        return status;
        }
        return ca_ocsp_sign_now(ocsp, signer, req, out, err);
}

static int ca_ocsp_error_answer(struct buf_writer *out, enum ocsp_response_status status, struct err *err)
{
        return ocsp_response_build_error(out, status, err);
}

/* Answers a request that parsed (parse_status 0) or did not (its failure). */
static int ca_ocsp_answer_parsed(struct ca_ocsp *ocsp, int parse_status, const struct ocsp_request *req,
                                 struct buf_writer *out, int64_t *this_update, int64_t *next_update, struct err *err)
{
        *this_update = *next_update = 0;
        if (parse_status < 0)
                return ca_ocsp_error_answer(out, ocsp_request_failure_answer(parse_status), err);
        struct ca_ocsp_signer *signer = NULL;
        for (size_t i = 0; i < req->num_cert_ids && signer == NULL; i++)
                signer = ca_ocsp_signer_for(ocsp, &req->cert_ids[i]);
        int status;
        if (signer == NULL) /* RFC 6960 2.3: no CA of ours issued any of them */
                status = ca_ocsp_error_answer(out, OCSP_RESPONSE_UNAUTHORIZED, err);
        else if (req->num_cert_ids == 1)
                status = ca_ocsp_answer_one(ocsp, signer, req, out, this_update, next_update, err);
        else
                status = ca_ocsp_sign_now(ocsp, signer, req, out, err);
        if (status < 0 && err->code != SMT_ENOMEM) {
                /* RFC 6960 2.3: a store that cannot be read now is tryLater; anything else internalError. */
                enum ocsp_response_status answer =
                    err->code == CA_ESTORE ? OCSP_RESPONSE_TRY_LATER : OCSP_RESPONSE_INTERNAL_ERROR;
                log_write(LOG_LEVEL_WARNING, "ocsp: %s (answered %s)", err->msg,
                          answer == OCSP_RESPONSE_TRY_LATER ? "tryLater" : "internalError");
                out->len = 0;
                *this_update = *next_update = 0;
                status = ca_ocsp_error_answer(out, answer, err);
        }
        return status;
}

int ca_ocsp_answer(struct ca_ocsp *ocsp, const uint8_t *request, size_t request_len, struct buf_writer *out,
                   int64_t *this_update, int64_t *next_update, struct err *err)
{
        struct ocsp_request *req = malloc(sizeof *req); /* 16 CertIDs with their DER: too big for a stack */
        if (req == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP request");
        struct err parse_err = {0};
        int parse_status = ocsp_request_parse(req, request, request_len, &parse_err);
        int status = ca_ocsp_answer_parsed(ocsp, parse_status, req, out, this_update, next_update, err);
        free(req);
        return status;
}

int ca_ocsp_answer_get(struct ca_ocsp *ocsp, const char *path, size_t path_len, struct buf_writer *out,
                       int64_t *this_update, int64_t *next_update, struct err *err)
{
        struct ocsp_request *req = malloc(sizeof *req);
        if (req == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP request");
        struct err parse_err = {0};
        int parse_status = ocsp_request_parse_get(req, path, path_len, &parse_err);
        int status = ca_ocsp_answer_parsed(ocsp, parse_status, req, out, this_update, next_update, err);
        free(req);
        return status;
}
