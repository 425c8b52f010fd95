/* src/crypto/tsp.h: the RFC 3161 time-stamp protocol message layer: requests parsed and built, TSTInfo written
 * and read, tokens signed and verified, TimeStampResp (granted or rejection) written and read. Pure functions
 * over bytes; no network, no clock (the caller passes genTime and the serial), no state.
 *
 * - Requests (RFC 3161 2.4.1) are read with base/der.h's bounds-checked readers: version 1, messageImprint with
 *   SHA-256/384/512 or SM3 (1.2.156.10197.1.401, GB/T 35275 / GM/T 0006) and a digest of that hash's length,
 *   reqPolicy, nonce (an INTEGER of at most TSP_NONCE_MAX content octets, echoed byte for byte), certReq,
 *   extensions. Each refusal maps to the PKIFailureInfo bit RFC 3161 2.4.2 names: malformed DER or a digest of
 *   the wrong length badDataFormat, another version or an oversized nonce badRequest, another hash (SHA-1 too)
 *   badAlg, a policy other than the TSA's unacceptedPolicy, any extension unacceptedExtension (we recognise none,
 *   and 2.4.2 says an unrecognised one, critical or not, is refused).
 * - SM2 tokens: a TSTInfo we encode, in a GB/T 35275 SignedData from cms_sign (eContentType id-ct-TSTInfo), with
 *   a signingCertificateV2 attribute (RFC 5816, RFC 5035 ESSCertIDv2 with SM3 as hashAlgorithm and
 *   issuerSerial). ECC/RSA tokens: OpenSSL's TS_RESP_CTX, told genTime and the serial by callbacks so the
 *   caller controls both, ESSCertIDv2 with SHA-256, signer digest SHA-256.
 * - genTime is GeneralizedTime to the microsecond, "YYYYMMDDHHMMSS[.ffffff]Z" without trailing zeros (2.4.2):
 *   a TSA that keeps genTime strictly increasing then issues up to a million tokens a second without running
 *   ahead of its clock (with milliseconds, more than 1,000 a second would push genTime into the future).
 * - Verification: SM2 tokens by cms_verify plus the TSTInfo checks; ECC/RSA by OpenSSL's TS_RESP_verify_token
 *   (signature, chain, ESS, critical EKU); then, for both, the imprint against the data and the nonce. */
#ifndef SMT_CRYPTO_TSP_H
#define SMT_CRYPTO_TSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/cms.h"
#include "crypto/key.h"

#define TSP_DIGEST_MAX      64          /* SHA-512 */
#define TSP_NONCE_MAX       32          /* nonce INTEGER content octets accepted */
#define TSP_SERIAL_MAX      20          /* serialNumber content octets written and read (RFC 5280's bound) */
#define TSP_REQUEST_MAX     (64 * 1024) /* larger requests are badDataFormat unparsed */
#define TSP_RESPONSE_MAX    (1024 * 1024)
#define TSP_TIME_TEXT_MAX   32 /* "YYYYMMDDHHMMSS.sssZ" and more fraction digits, NUL */
#define TSP_STATUS_TEXT_MAX 256

/* The hash of a messageImprint. */
enum tsp_hash {
        TSP_HASH_UNKNOWN = 0,
        TSP_HASH_SM3 = 1,    /* 1.2.156.10197.1.401 */
        TSP_HASH_SHA256 = 2, /* 2.16.840.1.101.3.4.2.1 */
        TSP_HASH_SHA384 = 3,
        TSP_HASH_SHA512 = 4,
};

/* PKIStatus (RFC 3161 2.4.2). */
enum tsp_status {
        TSP_STATUS_GRANTED = 0,
        TSP_STATUS_GRANTED_WITH_MODS = 1,
        TSP_STATUS_REJECTION = 2,
        TSP_STATUS_WAITING = 3,
        TSP_STATUS_REVOCATION_WARNING = 4,
        TSP_STATUS_REVOCATION_NOTIFICATION = 5,
};

/* PKIFailureInfo bits (RFC 3161 2.4.2), as a mask: bit n of the mask is bit n of the BIT STRING. */
#define TSP_FAILURE_BAD_ALG                (1u << 0)
#define TSP_FAILURE_BAD_REQUEST            (1u << 2)
#define TSP_FAILURE_BAD_DATA_FORMAT        (1u << 5)
#define TSP_FAILURE_TIME_NOT_AVAILABLE     (1u << 14)
#define TSP_FAILURE_UNACCEPTED_POLICY      (1u << 15)
#define TSP_FAILURE_UNACCEPTED_EXTENSION   (1u << 16)
#define TSP_FAILURE_ADD_INFO_NOT_AVAILABLE (1u << 17)
#define TSP_FAILURE_SYSTEM_FAILURE         (1u << 25)

struct tsp_imprint {
        enum tsp_hash hash;
        uint8_t digest[TSP_DIGEST_MAX];
        size_t digest_len;
};

/* A parsed TimeStampReq. der borrows the input (valid while it lives). */
struct tsp_request {
        struct tsp_imprint imprint;
        bool has_policy;
        uint8_t policy[CMS_OID_MAX]; /* OID content octets */
        size_t policy_len;
        bool has_nonce;
        uint8_t nonce[TSP_NONCE_MAX]; /* INTEGER content octets as encoded */
        size_t nonce_len;
        bool cert_req;
        bool has_extensions;
        const uint8_t *der;
        size_t der_len;
};

/* --- hashes --- */

/* tsp_hash_parse maps "sm3", "sha256", "sha384", "sha512" to *out; SMT_EINVAL otherwise. */
int tsp_hash_parse(const char *name, enum tsp_hash *out) SMT_MUST_USE;

/* tsp_hash_name returns the name tsp_hash_parse accepts, "unknown" for TSP_HASH_UNKNOWN. */
const char *tsp_hash_name(enum tsp_hash hash);

/* tsp_hash_len returns the digest length of hash (0 for unknown). */
size_t tsp_hash_len(enum tsp_hash hash);

/* tsp_oid_text writes the dotted form of an OID's content octets (arcs of any size, as UUID OIDs have). */
int tsp_oid_text(char *out, size_t out_cap, const uint8_t *oid, size_t oid_len, struct err *err) SMT_MUST_USE;

/* tsp_imprint_make hashes in_len bytes of in with hash into out. */
int tsp_imprint_make(struct tsp_imprint *out, enum tsp_hash hash, const uint8_t *in, size_t in_len,
                     struct err *err) SMT_MUST_USE;

/* --- requests --- */

/* tsp_request_parse reads one DER TimeStampReq that must use all in_len bytes. On failure *failure_info gets
 * the PKIFailureInfo to answer with (see the top of this file): SMT_EDECODE / SMT_ETRUNCATED badDataFormat,
 * SMT_EINVAL badRequest, CRYPTO_EWRONGALG badAlg. */
int tsp_request_parse(struct tsp_request *out, const uint8_t *in, size_t in_len, uint32_t *failure_info,
                      struct err *err) SMT_MUST_USE;

/* tsp_request_accept checks a parsed request against a TSA whose policy is the dotted OID policy: SMT_EINVAL
 * with unacceptedPolicy for another reqPolicy, with unacceptedExtension when it has extensions. */
int tsp_request_accept(const struct tsp_request *req, const char *policy, uint32_t *failure_info,
                       struct err *err) SMT_MUST_USE;

struct tsp_request_params {
        const struct tsp_imprint *imprint;
        const char *policy;   /* dotted reqPolicy, NULL = none */
        const uint8_t *nonce; /* INTEGER content octets (minimal), NULL = none */
        size_t nonce_len;
        bool cert_req;
};

/* tsp_request_build appends a DER TimeStampReq; SMT_EINVAL for an unknown hash, a digest of the wrong length,
 * a bad policy or a nonce that is empty, longer than TSP_NONCE_MAX or not minimal. */
int tsp_request_build(struct buf_writer *out, const struct tsp_request_params *params, struct err *err) SMT_MUST_USE;

/* tsp_nonce_generate writes 16 random octets that form a minimal positive INTEGER. */
int tsp_nonce_generate(uint8_t out[TSP_NONCE_MAX], size_t *out_len, struct err *err) SMT_MUST_USE;

/* --- TSTInfo --- */

/* A TSTInfo to write or as read. Readers borrow the parsed input. */
struct tsp_tst_info {
        uint8_t policy[CMS_OID_MAX]; /* OID content octets */
        size_t policy_len;
        struct tsp_imprint imprint;         /* hash UNKNOWN when read with another algorithm: digest kept */
        uint8_t serial[TSP_SERIAL_MAX + 1]; /* INTEGER content octets */
        size_t serial_len;
        int64_t gen_time_us;                   /* microseconds since the epoch (finer digits are dropped when read) */
        char gen_time_text[TSP_TIME_TEXT_MAX]; /* as encoded */
        bool has_accuracy;
        int64_t accuracy_seconds, accuracy_millis, accuracy_micros;
        bool ordering;
        bool has_nonce;
        uint8_t nonce[TSP_NONCE_MAX + 1];
        size_t nonce_len;
        struct buf_reader tsa_name; /* the Name of a directoryName tsa, empty when none (write: input too) */
        bool has_extensions;
};

/* tsp_time_format writes us (microseconds since the epoch) as GeneralizedTime text "YYYYMMDDHHMMSS[.ffffff]Z",
 * trailing zeros of the fraction dropped and the dot too when it is zero (RFC 3161 2.4.2). */
int tsp_time_format(char out[TSP_TIME_TEXT_MAX], int64_t us, struct err *err) SMT_MUST_USE;

/* tsp_tst_info_write appends a DER TSTInfo version 1 (ordering false; accuracy when any part is non-zero; nonce
 * when has_nonce; tsa as a directoryName when tsa_name is not empty). */
int tsp_tst_info_write(struct buf_writer *out, const struct tsp_tst_info *info, struct err *err) SMT_MUST_USE;

/* tsp_tst_info_parse reads one DER TSTInfo (all in_len bytes). SMT_EDECODE / SMT_ETRUNCATED when malformed. */
int tsp_tst_info_parse(struct tsp_tst_info *out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* --- responses (TSA side) --- */

/* The TSA: its certificate and key (SM2, EC or RSA), the certificates after it (issuing CA, root) included
 * when the request asks certReq, the policy, and the accuracy every token states. */
struct tsp_signer {
        const struct cert *cert;
        const struct key *key;
        const struct cert_chain *chain; /* the certificates after cert (issuing CA, root), NULL = none */
        const char *policy;             /* dotted TSAPolicyId */
        int64_t accuracy_ms;            /* 0 = no accuracy */
};

/* What the caller decided for one token. */
struct tsp_grant {
        int64_t gen_time_us;            /* microseconds since the epoch */
        uint8_t serial[TSP_SERIAL_MAX]; /* positive big-endian number, leading zeros allowed */
        size_t serial_len;
};

/* tsp_response_grant appends a granted TimeStampResp with a token for req (parsed and accepted) signed by
 * signer. SM2 keys: our TSTInfo in cms_sign's SignedData; EC/RSA keys: OpenSSL's TS_RESP_CTX. SMT_EINVAL for
 * a bad serial or policy, CRYPTO_* when signing fails. */
int tsp_response_grant(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                       const struct tsp_grant *grant, struct err *err) SMT_MUST_USE;

/* tsp_response_reject appends a TimeStampResp with status rejection, failInfo failure_info (may be 0) and
 * statusString text (NULL = none). */
int tsp_response_reject(struct buf_writer *out, uint32_t failure_info, const char *text, struct err *err) SMT_MUST_USE;

/* --- responses and tokens (client side) --- */

/* A parsed TimeStampResp. token borrows the input; it is empty without a token. */
struct tsp_response {
        enum tsp_status status;
        uint32_t failure_info;                 /* the bits this layer knows, from failInfo */
        char status_text[TSP_STATUS_TEXT_MAX]; /* first statusString, "" when none (cut when longer) */
        struct buf_reader token;               /* the whole ContentInfo */
};

/* tsp_response_parse reads one DER TimeStampResp (all in_len bytes). SMT_EDECODE / SMT_ETRUNCATED. */
int tsp_response_parse(struct tsp_response *out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* tsp_token_content reads a token's ContentInfo far enough to give eContentType and the encapsulated TSTInfo
 * octets (borrowed), for any signature algorithm. SMT_EDECODE when it is not a SignedData with eContent. */
int tsp_token_content(const uint8_t *token, size_t token_len, struct buf_reader *content_type,
                      struct buf_reader *content, struct err *err) SMT_MUST_USE;

struct tsp_verify_params {
        const uint8_t *data; /* the time-stamped data, hashed with the token's algorithm; or NULL and: */
        size_t data_len;
        const uint8_t *digest; /* its digest, compared with the imprint */
        size_t digest_len;
        const struct cert_store *trust; /* roots the TSA certificate must chain to (required) */
        const struct cert_chain *certs; /* NULL, or certificates to use besides the token's (TSA, CA) */
        const uint8_t *nonce;           /* NULL = not checked; else the INTEGER content octets sent */
        size_t nonce_len;
};

/* What a verified token says. */
struct tsp_verified {
        struct tsp_tst_info info; /* borrows the token */
        bool is_sm2;
        char tsa_subject[CERT_NAME_TEXT_MAX];
};

/* tsp_token_verify checks a token (a ContentInfo; tsp_response_parse gives it from a reply): the signature by
 * a certificate that chains to params->trust and has the critical EKU timeStamping alone (RFC 3161 2.3), the
 * signingCertificate(V2) attribute naming that certificate (RFC 5816), TSTInfo version 1, the imprint against
 * the data or digest, the nonce when asked. CRYPTO_EVERIFY (signature, imprint, nonce), CRYPTO_ECERT_USAGE
 * (EKU), CRYPTO_ECERT_UNTRUSTED / _EXPIRED (chain), SMT_EDECODE (malformed). */
int tsp_token_verify(struct tsp_verified *out, const uint8_t *token, size_t token_len,
                     const struct tsp_verify_params *params, struct err *err) SMT_MUST_USE;

#endif
