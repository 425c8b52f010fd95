/* src/crypto/ocsp_request.c: OCSPRequest (RFC 6960 4.1.1) parsing, including the RFC 5019 GET form, building,
 * and CertID computation. */
#include <string.h>

#include <openssl/x509.h>

#include "crypto/crypto_error.h"
#include "crypto/ocsp_internal.h"
#include "crypto/random.h"

/* --- CertIDs --- */

/* ocsp_serial_content writes the leaf serial's INTEGER content octets, as the certificate encodes them. */
static int ocsp_serial_content(const struct cert *leaf, struct ocsp_cert_id *out, struct err *err)
{
        uint8_t der[64];
        unsigned char *p = der;
        const ASN1_INTEGER *serial = X509_get0_serialNumber(cert_x509(leaf));
        int len = i2d_ASN1_INTEGER(serial, NULL);
        if (len <= 0 || (size_t)len > sizeof der)
                return SMT_ERR(err, CRYPTO_ECERT, "ocsp: serial number of %d DER bytes exceeds %zu", len, sizeof der);
        if (i2d_ASN1_INTEGER(serial, &p) != len)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "ocsp: encoding the serial number");
        struct buf_reader r = buf_reader_make(der, (size_t)len), content;
        TRY(der_read_element(&r, DER_TAG_INTEGER, &content, "serialNumber", err));
        if (content.len == 0 || content.len > OCSP_SERIAL_MAX)
                return SMT_ERR(err, CRYPTO_ECERT, "ocsp: serial number of %zu octets exceeds %d", content.len,
                               OCSP_SERIAL_MAX);
        memcpy(out->serial, content.data, content.len);
        out->serial_len = content.len;
        return SMT_OK;
}

/* ocsp_cert_id_encode writes id's der from its fields, with NULL hash parameters as OpenSSL and RFC 5019 send. */
static int ocsp_cert_id_encode(struct ocsp_cert_id *id, struct err *err)
{
        struct buf_writer alg, body, out;
        ocsp_writer_init(&alg);
        ocsp_writer_init(&body);
        buf_writer_init_fixed(&out, id->der, sizeof id->der);
        int status = ocsp_write_element(&alg, DER_TAG_OID, id->hash_oid, id->hash_oid_len, err);
        if (status == 0)
                status = ocsp_write_element(&alg, DER_TAG_NULL, NULL, 0, err);
        if (status == 0)
                status = ocsp_seal(&body, DER_TAG_SEQUENCE, &alg, err);
        if (status == 0)
                status = ocsp_write_element(&body, DER_TAG_OCTET_STRING, id->issuer_name_hash,
                                            id->issuer_name_hash_len, err);
        if (status == 0)
                status = ocsp_write_element(&body, DER_TAG_OCTET_STRING, id->issuer_key_hash,
                                            id->issuer_key_hash_len, err);
        if (status == 0)
                status = ocsp_write_element(&body, DER_TAG_INTEGER, id->serial, id->serial_len, err);
        if (status == 0)
                status = ocsp_seal(&out, DER_TAG_SEQUENCE, &body, err);
        id->der_len = out.len;
        buf_writer_cleanup(&alg);
        buf_writer_cleanup(&body);
        return status;
}

/* ocsp_issuer_hashes writes md of issuer's subject name and of its public key bits. */
static int ocsp_issuer_hashes(const struct cert *issuer, const EVP_MD *md, uint8_t name_hash[EVP_MAX_MD_SIZE],
                              size_t *name_len, uint8_t key_hash[EVP_MAX_MD_SIZE], size_t *key_len, struct err *err)
{
        const uint8_t *name = NULL;
        size_t len = 0;
        TRY(cert_subject_der(issuer, &name, &len, err));
        TRY(ocsp_digest(md, name, len, name_hash, name_len, err));
        return ocsp_key_hash(issuer, md, key_hash, key_len, err);
}

int ocsp_cert_id_make(struct ocsp_cert_id *out, const struct cert *leaf, const struct cert *issuer,
                      enum ocsp_hash hash, struct err *err)
{
        memset(out, 0, sizeof *out);
        const EVP_MD *md = ocsp_hash_md(hash);
        if (md == NULL)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_cert_id_make: hash %d is not SHA-1, SHA-256 or SM3", (int)hash);
        const struct ocsp_oid *oid = ocsp_hash_oid(hash);
        out->hash = hash;
        memcpy(out->hash_oid, oid->data, oid->len);
        out->hash_oid_len = oid->len;
        uint8_t name_hash[EVP_MAX_MD_SIZE], key_hash[EVP_MAX_MD_SIZE];
        TRY(ocsp_issuer_hashes(issuer, md, name_hash, &out->issuer_name_hash_len, key_hash,
                               &out->issuer_key_hash_len, err));
        memcpy(out->issuer_name_hash, name_hash, out->issuer_name_hash_len);
        memcpy(out->issuer_key_hash, key_hash, out->issuer_key_hash_len);
        TRY(ocsp_serial_content(leaf, out, err));
        return ocsp_cert_id_encode(out, err);
}

bool ocsp_cert_id_equal(const struct ocsp_cert_id *a, const struct ocsp_cert_id *b)
{
        return a->hash_oid_len == b->hash_oid_len && memcmp(a->hash_oid, b->hash_oid, a->hash_oid_len) == 0 &&
               a->issuer_name_hash_len == b->issuer_name_hash_len &&
               memcmp(a->issuer_name_hash, b->issuer_name_hash, a->issuer_name_hash_len) == 0 &&
               a->issuer_key_hash_len == b->issuer_key_hash_len &&
               memcmp(a->issuer_key_hash, b->issuer_key_hash, a->issuer_key_hash_len) == 0 &&
               a->serial_len == b->serial_len && memcmp(a->serial, b->serial, a->serial_len) == 0;
}

bool ocsp_cert_id_is_from(const struct ocsp_cert_id *id, const struct cert *issuer)
{
        const EVP_MD *md = ocsp_hash_md(id->hash);
        uint8_t name_hash[EVP_MAX_MD_SIZE], key_hash[EVP_MAX_MD_SIZE];
        size_t name_len = 0, key_len = 0;
        struct err ignored = {0};
        if (md == NULL || ocsp_issuer_hashes(issuer, md, name_hash, &name_len, key_hash, &key_len, &ignored) < 0)
                return false;
        return name_len == id->issuer_name_hash_len && memcmp(name_hash, id->issuer_name_hash, name_len) == 0 &&
               key_len == id->issuer_key_hash_len && memcmp(key_hash, id->issuer_key_hash, key_len) == 0;
}

int ocsp_issuer_id_make(struct ocsp_issuer_id *out, const struct cert *issuer, struct err *err)
{
        memset(out, 0, sizeof *out);
        for (int hash = OCSP_HASH_SHA1; hash <= OCSP_HASH_SM3; hash++) {
                uint8_t name[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
                size_t name_len = 0, key_len = 0;
                TRY(ocsp_issuer_hashes(issuer, ocsp_hash_md(hash), name, &name_len, key, &key_len, err));
                if (name_len != key_len || name_len > OCSP_HASH_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "issuer hash of %zu octets", name_len);
                memcpy(out->name_hash[hash], name, name_len);
                memcpy(out->key_hash[hash], key, key_len);
                out->hash_len[hash] = name_len;
        }
        return SMT_OK;
}

bool ocsp_issuer_id_matches(const struct ocsp_issuer_id *issuer, const struct ocsp_cert_id *id)
{
        if (id->hash < OCSP_HASH_SHA1 || id->hash > OCSP_HASH_SM3)
                return false;
        size_t len = issuer->hash_len[id->hash];
        return len != 0 && id->issuer_name_hash_len == len && id->issuer_key_hash_len == len &&
               memcmp(issuer->name_hash[id->hash], id->issuer_name_hash, len) == 0 &&
               memcmp(issuer->key_hash[id->hash], id->issuer_key_hash, len) == 0;
}

int ocsp_cert_id_from_issuer(struct ocsp_cert_id *out, const struct ocsp_issuer_id *issuer, enum ocsp_hash hash,
                             const uint8_t *serial, size_t serial_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (hash < OCSP_HASH_SHA1 || hash > OCSP_HASH_SM3 || issuer->hash_len[hash] == 0)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_cert_id_from_issuer: hash %d", (int)hash);
        if (serial_len == 0 || serial_len > OCSP_SERIAL_MAX)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_cert_id_from_issuer: serial of %zu octets", serial_len);
        const struct ocsp_oid *oid = ocsp_hash_oid(hash);
        out->hash = hash;
        memcpy(out->hash_oid, oid->data, oid->len);
        out->hash_oid_len = oid->len;
        size_t len = issuer->hash_len[hash];
        memcpy(out->issuer_name_hash, issuer->name_hash[hash], len);
        memcpy(out->issuer_key_hash, issuer->key_hash[hash], len);
        out->issuer_name_hash_len = out->issuer_key_hash_len = len;
        memcpy(out->serial, serial, serial_len);
        out->serial_len = serial_len;
        return ocsp_cert_id_encode(out, err);
}

/* --- building --- */

int ocsp_nonce_generate(uint8_t out[OCSP_NONCE_MAX], size_t *out_len, struct err *err)
{
        /* RFC 8954 2.1: the extnValue is an OCTET STRING of 1..32 octets; 32 random ones. */
        out[0] = DER_TAG_OCTET_STRING;
        out[1] = 32;
        TRY(random_bytes(out + 2, 32, err));
        *out_len = 34;
        return SMT_OK;
}

static int ocsp_request_list_write(struct buf_writer *tbs, const struct ocsp_cert_id *ids, size_t num_ids,
                                   struct err *err)
{
        struct buf_writer list, one;
        ocsp_writer_init(&list);
        int status = 0;
        for (size_t i = 0; i < num_ids && status == 0; i++) {
                ocsp_writer_init(&one);
                status = buf_write_bytes(&one, ids[i].der, ids[i].der_len) < 0
                                 ? SMT_ERR(err, SMT_ENOSPACE, "ocsp_request_build: CertID %zu", i)
                                 : ocsp_seal(&list, DER_TAG_SEQUENCE, &one, err);
                buf_writer_cleanup(&one);
        }
        if (status == 0)
                status = ocsp_seal(tbs, DER_TAG_SEQUENCE, &list, err);
        buf_writer_cleanup(&list);
        return status;
}

int ocsp_request_build(struct buf_writer *out, const struct ocsp_cert_id *ids, size_t num_ids, const uint8_t *nonce,
                       size_t nonce_len, struct err *err)
{
        if (num_ids == 0 || num_ids > OCSP_MAX_CERT_IDS)
                return SMT_ERR(err, SMT_EINVAL, "ocsp_request_build: %zu CertIDs, expected 1..%d", num_ids,
                               OCSP_MAX_CERT_IDS);
        if (nonce != NULL && (nonce_len == 0 || nonce_len > OCSP_NONCE_MAX))
                return SMT_ERR(err, SMT_EINVAL, "ocsp_request_build: nonce of %zu bytes, expected 1..%d", nonce_len,
                               OCSP_NONCE_MAX);
        struct buf_writer tbs, request;
        ocsp_writer_init(&tbs);
        ocsp_writer_init(&request);
        int status = ocsp_request_list_write(&tbs, ids, num_ids, err);
        if (status == 0 && nonce != NULL)
                status = ocsp_nonce_extensions_write(&tbs, OCSP_TAG_CTX2, nonce, nonce_len, err);
        if (status == 0)
                status = ocsp_seal(&request, DER_TAG_SEQUENCE, &tbs, err);
        if (status == 0)
                status = ocsp_seal(out, DER_TAG_SEQUENCE, &request, err);
        buf_writer_cleanup(&tbs);
        buf_writer_cleanup(&request);
        return status;
}

/* --- parsing --- */

/* ocsp_request_list_read counts the Requests first, so that a request for 1,000 serials is refused as too many
 * (SMT_ENOSPACE) before any CertID is copied, then reads each. */
static int ocsp_request_list_read(struct buf_reader list, struct ocsp_request *out, struct err *err)
{
        struct buf_reader counting = list, item;
        size_t count = 0;
        while (!buf_reader_is_empty(&counting)) {
                TRY(der_read_element(&counting, DER_TAG_SEQUENCE, &item, "Request", err));
                count++;
        }
        out->num_requested = count;
        if (count == 0)
                return SMT_ERR(err, SMT_EDECODE, "OCSPRequest: empty requestList");
        if (count > OCSP_MAX_CERT_IDS)
                return SMT_ERR(err, SMT_ENOSPACE, "OCSPRequest: %zu CertIDs, at most %d", count, OCSP_MAX_CERT_IDS);
        for (size_t i = 0; i < count; i++) {
                TRY(der_read_element(&list, DER_TAG_SEQUENCE, &item, "Request", err));
                TRY(ocsp_cert_id_read(&item, &out->cert_ids[i], err));
                if (!buf_reader_is_empty(&item)) {
                        struct buf_reader exts;
                        TRY(der_read_element(&item, OCSP_TAG_CTX0, &exts, "singleRequestExtensions", err));
                        TRY(buf_reader_expect_end(&item, "Request", err));
                        TRY(ocsp_extensions_read(&exts, NULL, NULL, NULL, "singleRequestExtensions", err));
                }
        }
        out->num_cert_ids = count;
        return SMT_OK;
}

/* ocsp_request_tbs_read reads TBSRequest: [0] version (only v1 = 0), [1] requestorName (skipped), requestList,
 * [2] requestExtensions. */
static int ocsp_request_tbs_read(struct buf_reader tbs, struct ocsp_request *out, struct err *err)
{
        struct buf_reader part, list;
        uint8_t tag = 0;
        if (buf_peek_u8(&tbs, &tag) == 0 && tag == OCSP_TAG_CTX0) {
                uint8_t version = 0;
                TRY(der_read_element(&tbs, OCSP_TAG_CTX0, &part, "TBSRequest.version", err));
                TRY(der_read_unsigned_integer(&part, &version, 1, "TBSRequest.version", err));
                TRY(buf_reader_expect_end(&part, "TBSRequest.version", err));
                if (version != 0)
                        return SMT_ERR(err, SMT_EDECODE, "OCSPRequest: version %u, expected v1 (0)", version);
        }
        if (buf_peek_u8(&tbs, &tag) == 0 && tag == OCSP_TAG_CTX1)
                TRY(der_read_element(&tbs, OCSP_TAG_CTX1, &part, "TBSRequest.requestorName", err));
        TRY(der_read_element(&tbs, DER_TAG_SEQUENCE, &list, "TBSRequest.requestList", err));
        TRY(ocsp_request_list_read(list, out, err));
        if (!buf_reader_is_empty(&tbs)) {
                TRY(der_read_element(&tbs, OCSP_TAG_CTX2, &part, "TBSRequest.requestExtensions", err));
                TRY(ocsp_extensions_read(&part, &out->has_nonce, out->nonce, &out->nonce_len, "requestExtensions",
                                         err));
        }
        return buf_reader_expect_end(&tbs, "TBSRequest", err);
}

/* ocsp_request_signature_read checks optionalSignature's shape (RFC 6960 4.1.1 Signature) without verifying it. */
static int ocsp_request_signature_read(struct buf_reader *r, struct err *err)
{
        struct buf_reader wrapper, sig, part;
        TRY(der_read_element(r, OCSP_TAG_CTX0, &wrapper, "optionalSignature", err));
        TRY(der_read_element(&wrapper, DER_TAG_SEQUENCE, &sig, "optionalSignature", err));
        TRY(buf_reader_expect_end(&wrapper, "optionalSignature", err));
        TRY(der_read_element(&sig, DER_TAG_SEQUENCE, &part, "optionalSignature.signatureAlgorithm", err));
        TRY(der_read_element(&sig, DER_TAG_BIT_STRING, &part, "optionalSignature.signature", err));
        if (!buf_reader_is_empty(&sig))
                TRY(der_read_element(&sig, OCSP_TAG_CTX0, &part, "optionalSignature.certs", err));
        return buf_reader_expect_end(&sig, "optionalSignature", err);
}

int ocsp_request_parse(struct ocsp_request *out, const uint8_t *in, size_t in_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (in_len > OCSP_REQUEST_MAX)
                return SMT_ERR(err, SMT_EDECODE, "OCSPRequest: %zu bytes exceed %d", in_len, OCSP_REQUEST_MAX);
        struct buf_reader r = buf_reader_make(in, in_len), request, tbs;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &request, "OCSPRequest", err));
        TRY(buf_reader_expect_end(&r, "OCSPRequest", err));
        TRY(der_read_element(&request, DER_TAG_SEQUENCE, &tbs, "TBSRequest", err));
        int status = ocsp_request_tbs_read(tbs, out, err);
        if (status == 0 && !buf_reader_is_empty(&request)) {
                status = ocsp_request_signature_read(&request, err);
                out->is_signed = true;
        }
        if (status == 0)
                status = buf_reader_expect_end(&request, "OCSPRequest", err);
        if (status < 0) {
                size_t requested = out->num_requested;
                memset(out, 0, sizeof *out);
                out->num_requested = requested;
        }
        return status;
}

enum ocsp_response_status ocsp_request_failure_answer(int parse_status)
{
        if (parse_status == SMT_EDECODE || parse_status == SMT_ETRUNCATED || parse_status == SMT_ENOSPACE)
                return OCSP_RESPONSE_MALFORMED_REQUEST;
        return OCSP_RESPONSE_INTERNAL_ERROR;
}

/* --- the GET form (RFC 6960 A.1, RFC 5019 5) --- */

static int ocsp_hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int ocsp_base64_value(uint8_t c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* ocsp_url_decode undoes %XX escapes; other characters pass as they are. */
static int ocsp_url_decode(struct buf_writer *out, const char *path, size_t path_len, struct err *err)
{
        for (size_t i = 0; i < path_len; i++) {
                uint8_t c = (uint8_t)path[i];
                if (c == '%') {
                        int hi = i + 2 < path_len ? ocsp_hex_value(path[i + 1]) : -1;
                        int lo = hi >= 0 ? ocsp_hex_value(path[i + 2]) : -1;
                        if (lo < 0)
                                return SMT_ERR(err, SMT_EDECODE, "OCSP GET: bad %%-escape at offset %zu", i);
                        c = (uint8_t)(hi * 16 + lo);
                        i += 2;
                }
                if (buf_write_u8(out, c) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "OCSP GET: path too long");
        }
        return SMT_OK;
}

/* ocsp_base64_decode decodes standard base64 (RFC 4648 4); the '=' padding may be left out, nothing may follow it. */
static int ocsp_base64_decode(struct buf_writer *out, const uint8_t *in, size_t len, struct err *err)
{
        uint32_t acc = 0;
        size_t bits = 0, pad = 0;
        for (size_t i = 0; i < len; i++) {
                int v = ocsp_base64_value(in[i]);
                if (in[i] == '=' && pad < 2) {
                        pad++;
                        continue;
                }
                if (v < 0 || pad > 0)
                        return SMT_ERR(err, SMT_EDECODE, "OCSP GET: byte 0x%02x at offset %zu is not base64", in[i], i);
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (buf_write_u8(out, (uint8_t)(acc >> bits)) < 0)
                                return SMT_ERR(err, SMT_EDECODE, "OCSP GET: request too long");
                }
        }
        if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || (pad > 0 && (len % 4) != 0))
                return SMT_ERR(err, SMT_EDECODE, "OCSP GET: base64 of %zu characters ends badly", len);
        return SMT_OK;
}

int ocsp_request_parse_get(struct ocsp_request *out, const char *path, size_t path_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct buf_writer text, der;
        buf_writer_init_heap(&text, OCSP_REQUEST_MAX);
        buf_writer_init_heap(&der, OCSP_REQUEST_MAX);
        int status = ocsp_url_decode(&text, path, path_len, err);
        if (status == 0)
                status = ocsp_base64_decode(&der, text.data, text.len, err);
        if (status == 0)
                status = ocsp_request_parse(out, der.data, der.len, err);
        buf_writer_cleanup(&text);
        buf_writer_cleanup(&der);
        return status;
}
