/* src/crypto/ocsp.h: the OCSP message layer (RFC 6960, RFC 5019 profile): requests parsed and built,
 * responses signed and verified, CertIDs computed. Pure functions over bytes; no network, no store.
 *
 * Contract for the responder (src/ca/) and the clients (`smtrust ocsp status`, gateway stapling):
 * - Requests are parsed with the bounds-checked readers of base/der.h; every length is checked against what
 *   encloses it. A request signature (optionalSignature, RFC 6960 4.1.2) is parsed for well-formedness and then
 *   ignored (req->is_signed says it was there): smtrust answers the same public status to anyone, which
 *   RFC 6960 4.1.2 allows ("the server MAY require that the request be signed"); it never answers sigRequired
 *   on its own.
 * - At most OCSP_MAX_CERT_IDS CertIDs per request: more fails with SMT_ENOSPACE (distinct from SMT_EDECODE for
 *   malformed DER); answer both with OCSP_RESPONSE_MALFORMED_REQUEST (ocsp_request_failure_answer).
 * - A CertID whose hashAlgorithm is none of SHA-1, SHA-256, SM3 parses with hash = OCSP_HASH_UNKNOWN (its raw
 *   OID kept): no issuer can match it, so the responder answers unauthorized (RFC 6960 2.3: it cannot answer
 *   authoritatively for that CertID) unless another CertID of the request is served.
 * - A nonce (id-pkix-ocsp-nonce, RFC 6960 4.4.1, RFC 8954) is kept as the raw extnValue contents (RFC 8954
 *   puts an OCTET STRING of 1..32 octets there; older clients put the bare octets) and echoed byte for byte.
 * - Responses are signed ECDSA-with-SHA256 (EC keys), sha256WithRSAEncryption (RSA keys) or SM2-with-SM3 with
 *   the ID 1234567812345678 (SM2 keys, GM/T 0009 10). The ResponderID is byKey: SHA-1 of the responder's
 *   subjectPublicKey BIT STRING value (RFC 6960 4.2.1). A response for one CertID without a nonce can be
 *   signed ahead of time and served to every client (RFC 5019 2.2.1, 6): ocsp_response_presign.
 * - Times are UTC seconds since the epoch, written as GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280 4.1.2.5.2). */
#ifndef SMT_CRYPTO_OCSP_H
#define SMT_CRYPTO_OCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define OCSP_MAX_CERT_IDS   16   /* CertIDs per request or response this layer handles */
#define OCSP_SERIAL_MAX     20   /* serialNumber INTEGER content octets (RFC 5280 4.1.2.2) */
#define OCSP_HASH_MAX       64   /* issuerNameHash / issuerKeyHash octets kept (any algorithm) */
#define OCSP_OID_MAX        32   /* hashAlgorithm OID content octets kept */
#define OCSP_NONCE_MAX      128  /* nonce extnValue octets (RFC 8954 2.1: at most 32 nonce octets + header) */
#define OCSP_REQUEST_MAX    (256 * 1024) /* larger requests are refused unparsed (SMT_EDECODE); 1,000 CertIDs fit */
#define OCSP_RESPONSE_MAX   (1024 * 1024)
#define OCSP_KEY_HASH_LEN   20   /* SHA-1, ResponderID byKey */

/* The hash algorithm of a CertID (RFC 6960 4.1.1 hashAlgorithm). */
enum ocsp_hash {
        OCSP_HASH_UNKNOWN = 0, /* an OID this layer does not know; see ocsp_cert_id.hash_oid */
        OCSP_HASH_SHA1 = 1,    /* 1.3.14.3.2.26, what RFC 5019 clients send */
        OCSP_HASH_SHA256 = 2,  /* 2.16.840.1.101.3.4.2.1 */
        OCSP_HASH_SM3 = 3,     /* 1.2.156.10197.1.401 */
};

/* OCSPResponseStatus (RFC 6960 4.2.1); 4 is unused. */
enum ocsp_response_status {
        OCSP_RESPONSE_SUCCESSFUL = 0,
        OCSP_RESPONSE_MALFORMED_REQUEST = 1,
        OCSP_RESPONSE_INTERNAL_ERROR = 2,
        OCSP_RESPONSE_TRY_LATER = 3,
        OCSP_RESPONSE_SIG_REQUIRED = 5,
        OCSP_RESPONSE_UNAUTHORIZED = 6,
};

/* CertStatus (RFC 6960 4.2.1). */
enum ocsp_cert_status {
        OCSP_CERT_GOOD = 0,
        OCSP_CERT_REVOKED = 1,
        OCSP_CERT_UNKNOWN = 2,
};

/* One CertID. The hashes and serial are copies; der is the exact encoding as read (or as built), which a
 * response echoes so that clients comparing bytes (OpenSSL compares fields) find their CertID. */
struct ocsp_cert_id {
        enum ocsp_hash hash;
        uint8_t hash_oid[OCSP_OID_MAX]; /* OID content octets, for every algorithm */
        size_t hash_oid_len;
        uint8_t issuer_name_hash[OCSP_HASH_MAX];
        size_t issuer_name_hash_len;
        uint8_t issuer_key_hash[OCSP_HASH_MAX];
        size_t issuer_key_hash_len;
        uint8_t serial[OCSP_SERIAL_MAX]; /* INTEGER content octets as encoded (two's complement, minimal) */
        size_t serial_len;
        uint8_t der[2 * OCSP_HASH_MAX + OCSP_OID_MAX + OCSP_SERIAL_MAX + 32];
        size_t der_len;
};

/* A parsed OCSPRequest. */
struct ocsp_request {
        struct ocsp_cert_id cert_ids[OCSP_MAX_CERT_IDS];
        size_t num_cert_ids;      /* 1..OCSP_MAX_CERT_IDS after a successful parse */
        size_t num_requested;     /* how many the request listed (also set when that is over the limit) */
        bool has_nonce;
        uint8_t nonce[OCSP_NONCE_MAX]; /* the nonce extension's extnValue contents */
        size_t nonce_len;
        bool is_signed; /* optionalSignature was present (and ignored) */
};

/* --- CertIDs and requests (client side) --- */

/* ocsp_cert_id_make computes the CertID of leaf issued by issuer with hash (not OCSP_HASH_UNKNOWN):
 * hash of the issuer's subject DER, hash of its subjectPublicKey bits, leaf serial (RFC 6960 4.1.1).
 * SMT_EINVAL for OCSP_HASH_UNKNOWN, CRYPTO_ECERT when the serial is longer than OCSP_SERIAL_MAX. */
int ocsp_cert_id_make(struct ocsp_cert_id *out, const struct cert *leaf, const struct cert *issuer,
                      enum ocsp_hash hash, struct err *err) SMT_MUST_USE;

/* ocsp_cert_id_equal says whether a and b name the same certificate: same algorithm (by OID), hashes and
 * serial; the AlgorithmIdentifier parameters (NULL or absent) do not matter. */
bool ocsp_cert_id_equal(const struct ocsp_cert_id *a, const struct ocsp_cert_id *b);

/* ocsp_cert_id_is_from says whether id's issuerNameHash and issuerKeyHash are those of issuer (false for
 * OCSP_HASH_UNKNOWN): the responder picks the CA a CertID belongs to with it. */
bool ocsp_cert_id_is_from(const struct ocsp_cert_id *id, const struct cert *issuer);

/* The issuer half of a CertID under every known hash, computed once per issuer so that a responder matches
 * each request against its CAs with a few memcmp calls and no hashing. Index: enum ocsp_hash. */
struct ocsp_issuer_id {
        uint8_t name_hash[OCSP_HASH_SM3 + 1][OCSP_HASH_MAX];
        uint8_t key_hash[OCSP_HASH_SM3 + 1][OCSP_HASH_MAX];
        size_t hash_len[OCSP_HASH_SM3 + 1]; /* 0 for OCSP_HASH_UNKNOWN */
};

/* ocsp_issuer_id_make computes issuer's name and key hashes under SHA-1, SHA-256 and SM3. */
int ocsp_issuer_id_make(struct ocsp_issuer_id *out, const struct cert *issuer, struct err *err) SMT_MUST_USE;

/* ocsp_issuer_id_matches is ocsp_cert_id_is_from with the hashes computed before. */
bool ocsp_issuer_id_matches(const struct ocsp_issuer_id *issuer, const struct ocsp_cert_id *id);

/* ocsp_cert_id_from_issuer builds the CertID of the certificate with serial (INTEGER content octets,
 * 1..OCSP_SERIAL_MAX) from issuer under hash (not OCSP_HASH_UNKNOWN): what a responder pre-signs for a
 * certificate it knows from its records, without parsing the certificate. SMT_EINVAL for a bad length. */
int ocsp_cert_id_from_issuer(struct ocsp_cert_id *out, const struct ocsp_issuer_id *issuer, enum ocsp_hash hash,
                             const uint8_t *serial, size_t serial_len, struct err *err) SMT_MUST_USE;

/* ocsp_nonce_generate writes an RFC 8954 nonce extnValue (OCTET STRING of 32 random octets) to out. */
int ocsp_nonce_generate(uint8_t out[OCSP_NONCE_MAX], size_t *out_len, struct err *err) SMT_MUST_USE;

/* ocsp_request_build appends an unsigned OCSPRequest for num_ids (1..OCSP_MAX_CERT_IDS) CertIDs to out, with
 * a nonce extension whose extnValue is nonce (NULL = none). SMT_EINVAL for a bad count or nonce length. */
int ocsp_request_build(struct buf_writer *out, const struct ocsp_cert_id *ids, size_t num_ids, const uint8_t *nonce,
                       size_t nonce_len, struct err *err) SMT_MUST_USE;

/* --- requests (responder side) --- */

/* ocsp_request_parse reads one DER OCSPRequest that must use all in_len bytes into *out. Fails with
 * SMT_EDECODE or SMT_ETRUNCATED (malformed), SMT_ENOSPACE (more than OCSP_MAX_CERT_IDS CertIDs;
 * out->num_requested says how many). */
int ocsp_request_parse(struct ocsp_request *out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* ocsp_request_parse_get decodes the RFC 5019 GET form (RFC 6960 A.1): path is what follows the responder's
 * base URL and '/', the URL-encoding (%XX) of the standard base64 of the DER, then parses it as above. */
int ocsp_request_parse_get(struct ocsp_request *out, const char *path, size_t path_len,
                           struct err *err) SMT_MUST_USE;

/* ocsp_request_failure_answer gives the response status for a failed parse: malformedRequest for every failure
 * (too many CertIDs too), internalError for anything that is not the request's fault (SMT_ENOMEM, ...). */
enum ocsp_response_status ocsp_request_failure_answer(int parse_status);

/* --- responses (responder side) --- */

/* One SingleResponse. */
struct ocsp_single {
        struct ocsp_cert_id cert_id;
        enum ocsp_cert_status status;
        time_t revocation_time;  /* OCSP_CERT_REVOKED only */
        int revocation_reason;   /* CRLReason 0..10 (not 7), -1 = none (RFC 5280 5.3.1) */
        time_t this_update;
        time_t next_update;      /* 0 = absent */
};

/* Who signs: the issuing CA itself or its delegated responder (EKU id-kp-OCSPSigning, issued by the CA). */
struct ocsp_signer {
        const struct cert *cert;         /* included in the response's certs (unless it is the issuer) */
        const struct key *key;           /* private, matching cert: SM2, EC or RSA */
        const struct cert_chain *extra;  /* NULL, or more certificates to include after cert */
        bool omit_cert;                  /* include no certificate (the signer is the issuer: RFC 6960 4.2.2.2) */
};

/* ocsp_response_build appends a successful OCSPResponse with a BasicOCSPResponse for num_singles (1..
 * OCSP_MAX_CERT_IDS) responses, producedAt produced_at, the nonce extnValue echoed when nonce is not NULL,
 * signed by signer. SMT_EINVAL for a bad count, reason or nonce; CRYPTO_EWRONGALG for an unusable key. */
int ocsp_response_build(struct buf_writer *out, const struct ocsp_signer *signer, time_t produced_at,
                        const struct ocsp_single *singles, size_t num_singles, const uint8_t *nonce,
                        size_t nonce_len, struct err *err) SMT_MUST_USE;

/* ocsp_response_presign is ocsp_response_build for one CertID without a nonce: the DER a responder caches per
 * certificate and serves to every request for it until refreshed (RFC 5019 2.2.1, 6.2). */
int ocsp_response_presign(struct buf_writer *out, const struct ocsp_signer *signer, time_t produced_at,
                          const struct ocsp_single *single, struct err *err) SMT_MUST_USE;

/* ocsp_response_build_error appends an unsigned OCSPResponse with status (not successful) and no
 * responseBytes (RFC 6960 4.2.1). SMT_EINVAL for OCSP_RESPONSE_SUCCESSFUL or an undefined value. */
int ocsp_response_build_error(struct buf_writer *out, enum ocsp_response_status status,
                              struct err *err) SMT_MUST_USE;

/* --- responses (client side) --- */

/* A parsed OCSPResponse. Byte views borrow the input given to ocsp_response_parse (which must outlive it);
 * certs is owned: release with ocsp_response_cleanup. */
struct ocsp_response {
        enum ocsp_response_status status; /* the fields below are set only when successful */
        struct buf_reader tbs;            /* ResponseData, tag and length included: what was signed */
        struct buf_reader sig_alg_oid;    /* signatureAlgorithm OID content */
        struct buf_reader signature;      /* BIT STRING value without the unused-bits octet */
        bool responder_by_key;
        uint8_t responder_key_hash[OCSP_KEY_HASH_LEN]; /* by key */
        struct buf_reader responder_name;              /* by name: the Name DER */
        time_t produced_at;
        struct ocsp_single singles[OCSP_MAX_CERT_IDS];
        size_t num_singles;
        bool has_nonce;
        uint8_t nonce[OCSP_NONCE_MAX];
        size_t nonce_len;
        struct cert_chain *certs; /* the certs field, possibly empty */
};

/* ocsp_response_parse reads one DER OCSPResponse (all in_len bytes) into *out; a non-successful status is a
 * successful parse (out->status says it). SMT_EDECODE / SMT_ETRUNCATED for malformed input, SMT_ENOSPACE for
 * more than OCSP_MAX_CERT_IDS responses. On failure *out holds nothing to release. */
int ocsp_response_parse(struct ocsp_response *out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* ocsp_response_cleanup releases what ocsp_response_parse made (a zeroed struct is fine). */
void ocsp_response_cleanup(struct ocsp_response *resp);

/* What ocsp_response_verify checks the response against. */
struct ocsp_verify_params {
        const struct cert *leaf;   /* the certificate asked about */
        const struct cert *issuer; /* its issuer: signs the response or certifies the delegated responder */
        time_t now;                /* 0 = the current time */
        long tolerance;            /* seconds of clock skew allowed on thisUpdate / nextUpdate */
        const uint8_t *nonce;      /* NULL = do not require one; else the response must echo this extnValue */
        size_t nonce_len;
};

/* ocsp_response_verify checks a parsed response: status successful, signature by the issuer itself or by a
 * responder certificate in the response issued by the issuer, valid at now and with EKU id-kp-OCSPSigning
 * (RFC 6960 4.2.2.2); a SingleResponse whose CertID (any known hash) names leaf; thisUpdate <= now + tolerance;
 * nextUpdate >= now - tolerance (without nextUpdate, thisUpdate >= now - tolerance); the nonce when asked.
 * Copies that SingleResponse to *out. Failures: CRYPTO_EVERIFY (status not successful, bad signature, nonce
 * missing or different, no matching CertID), CRYPTO_ECERT_UNTRUSTED (responder not the issuer nor certified
 * by it), CRYPTO_ECERT_USAGE (delegated responder without OCSPSigning), CRYPTO_ECERT_EXPIRED (stale or
 * future response, responder certificate out of validity). */
int ocsp_response_verify(const struct ocsp_response *resp, const struct ocsp_verify_params *params,
                         struct ocsp_single *out, struct err *err) SMT_MUST_USE;

#endif
