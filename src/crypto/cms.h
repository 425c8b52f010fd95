/* src/crypto/cms.h: SignedData (RFC 5652 §5, GB/T 35275-2017 §8) signed with SM2 over SM3, the base of the
 * timestamp (RFC 3161), signing and encryption services. OpenSSL 3.0's CMS cannot sign with SM2 (it neither
 * sets the distinguishing ID nor knows the GB/T OIDs), so smtrust encodes and checks the structure itself:
 *
 *   ContentInfo { contentType signedData (1.2.156.10197.6.1.4.2.2; 1.2.840.113549.1.7.2 also accepted),
 *     content [0] SignedData { version 1 (3 for content other than data, RFC 5652 §5.1),
 *       digestAlgorithms { SM3 1.2.156.10197.1.401 },
 *       encapContentInfo { eContentType, eContent [0] OCTET STRING OPTIONAL (absent = detached) },
 *       certificates [0] (signer first, then the optional chain),
 *       signerInfos { SignerInfo { version 1, issuerAndSerialNumber, digestAlgorithm SM3,
 *         signedAttrs [0] { contentType, messageDigest, signingTime, extra attributes },
 *         signatureAlgorithm SM2 1.2.156.10197.1.301.1, signature } } } }
 *
 * The signature is SM2 with the ID 1234567812345678 (SM2_DEFAULT_ID) over the DER of the signed attributes
 * tagged as a SET (RFC 5652 §5.4). We emit the signature OID GB/T 35275 §8.1 names (sm2-1, 1.2.156.10197.1.301.1)
 * and accept it or sm2sign-with-sm3 (1.2.156.10197.1.501, what GmSSL emits) when verifying. Only SM3 digests,
 * version-1 SignerInfos (issuerAndSerialNumber) and exactly one signer are supported; anything else is
 * SMT_EDECODE when parsing. */
#ifndef SMT_CRYPTO_CMS_H
#define SMT_CRYPTO_CMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

/* eContentType values (dotted) callers commonly pass. */
#define CMS_OID_GBT_DATA               "1.2.156.10197.6.1.4.2.1"    /* GB/T 35275 §7 data: the default */
#define CMS_OID_PKCS7_DATA             "1.2.840.113549.1.7.1"       /* RFC 5652 §4 id-data */
#define CMS_OID_TST_INFO               "1.2.840.113549.1.9.16.1.4"  /* RFC 3161 §2.4.2 id-ct-TSTInfo */
#define CMS_OID_SIGNING_CERTIFICATE_V2 "1.2.840.113549.1.9.16.2.47" /* RFC 5035 §3, for RFC 5816 tokens */

/* Limits: a SignedData larger than CMS_MAX is refused; at most CMS_CERTIFICATES_MAX embedded certificates
 * and CMS_ATTRIBUTES_MAX signed attributes; an OID has at most CMS_OID_MAX value bytes. */
#define CMS_MAX              (16 * 1024 * 1024)
#define CMS_CERTIFICATES_MAX 16
#define CMS_ATTRIBUTES_MAX   32
#define CMS_OID_MAX          64

/* One caller-supplied signed attribute: the whole Attribute SEQUENCE { attrType, attrValues SET } in DER. */
struct cms_attribute {
        const uint8_t *der;
        size_t der_len;
};

struct cms_sign_params {
        const struct key *key;          /* private SM2 key */
        const struct cert *signer;      /* its certificate: issuerAndSerialNumber and certificates[0] */
        const struct cert_chain *chain; /* more certificates to embed after the signer, NULL = none */
        const char *content_type;       /* dotted eContentType, NULL = CMS_OID_GBT_DATA */
        const uint8_t *content;         /* hashed into messageDigest; may be NULL when content_len is 0 */
        size_t content_len;
        bool is_detached;                             /* leave eContent out (the verifier is given the content) */
        time_t signing_time;                          /* 0 = now */
        const struct cms_attribute *extra_attributes; /* added to signedAttrs, e.g. signingCertificateV2 */
        size_t num_extra_attributes;
};

/* cms_sign appends a ContentInfo holding a SignedData to out. The signed attributes are sorted as DER
 * requires of a SET OF (X.690 §11.6). SMT_EINVAL for a key that is not a private SM2 key, a key that does not
 * match signer, a malformed content_type or extra attribute, too many attributes or certificates. */
int cms_sign(struct buf_writer *out, const struct cms_sign_params *params, struct err *err) SMT_MUST_USE;

/* cms_oid_encode writes the DER value bytes (no tag, no length) of the dotted OID to out (CMS_OID_MAX bytes)
 * and their number to *out_len; SMT_EINVAL when dotted is not an OID. */
int cms_oid_encode(uint8_t out[CMS_OID_MAX], size_t *out_len, const char *dotted, struct err *err) SMT_MUST_USE;

/* cms_oid_is says whether value (DER value bytes of an OID) is the dotted OID. */
bool cms_oid_is(const struct buf_reader *value, const char *dotted);

/* One signed attribute as parsed: type is the OID's value bytes, values the content of its SET, der the
 * whole Attribute. */
struct cms_parsed_attribute {
        struct buf_reader type;
        struct buf_reader values;
        struct buf_reader der;
};

/* struct cms_signed_data: a parsed SignedData. Every buf_reader borrows the parsed input (valid while it
 * lives); nothing here is verified until cms_verify says so. */
struct cms_signed_data {
        bool is_gbt_content_info;                             /* outer contentType was GB/T's (else PKCS#7's) */
        uint8_t version;                                      /* SignedData version: 1 or 3 */
        struct buf_reader content_type;                       /* eContentType, OID value bytes */
        bool is_detached;                                     /* no eContent */
        struct buf_reader content;                            /* eContent's octets (empty when detached) */
        struct buf_reader certificates[CMS_CERTIFICATES_MAX]; /* each a whole DER Certificate, in order */
        size_t num_certificates;
        struct buf_reader issuer;       /* signer's issuerAndSerialNumber: the Name SEQUENCE, whole */
        struct buf_reader serial;       /* and the serial's INTEGER value bytes */
        bool has_signed_attrs;          /* false: the signature covers the content itself (RFC 5652 §5.4) */
        struct buf_reader signed_attrs; /* content of signedAttrs [0]: what the SET re-encoding wraps */
        struct cms_parsed_attribute attributes[CMS_ATTRIBUTES_MAX];
        size_t num_attributes;
        struct buf_reader attr_content_type;   /* contentType attribute's OID value bytes */
        struct buf_reader attr_message_digest; /* messageDigest attribute's octets */
        bool has_signing_time;
        time_t signing_time;         /* UTC seconds, when has_signing_time */
        bool is_sm2_sign_with_sm3;   /* signatureAlgorithm was 1.501 (else 301.1) */
        struct buf_reader signature; /* the SM2 signature's DER */
};

/* cms_parse reads a DER ContentInfo holding a SignedData, which must use all in_len bytes. Every length is
 * checked against its enclosing element; SMT_EDECODE or SMT_ETRUNCATED, naming the field, otherwise. Signed
 * attributes, when present, must include contentType and messageDigest (RFC 5652 §5.3), each once with one
 * value; they may be absent only for data content (GB/T 35275 or PKCS#7 data: GmSSL's `cmssign` omits them). */
int cms_parse(struct cms_signed_data *out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* cms_attribute_lookup returns the signed attribute of dotted type, or NULL when absent. */
const struct cms_parsed_attribute *cms_attribute_lookup(const struct cms_signed_data *sd, const char *dotted);

/* Which check failed, so that callers (and tests) can tell tampering apart. */
enum cms_verify_failure {
        CMS_VERIFY_OK = 0,
        CMS_VERIFY_CONTENT_DIGEST = 1,   /* messageDigest is not SM3 of the content: CRYPTO_EVERIFY */
        CMS_VERIFY_CONTENT_TYPE = 2,     /* contentType attribute differs from eContentType: CRYPTO_EVERIFY */
        CMS_VERIFY_SIGNER_NOT_FOUND = 3, /* no certificate matches issuerAndSerialNumber: CRYPTO_ECERT */
        CMS_VERIFY_SIGNATURE = 4,        /* the SM2 signature does not verify: CRYPTO_EVERIFY */
        CMS_VERIFY_CHAIN = 5,            /* signer chain not trusted or expired: cert_verify_chain's status */
        CMS_VERIFY_USAGE = 6,            /* not SM2, or detached without content given: SMT_EINVAL/WRONGALG */
};

struct cms_verify_params {
        const uint8_t *detached_content; /* the content when sd->is_detached (required then; else ignored) */
        size_t detached_content_len;
        const struct cert *signer;      /* the signer's certificate; NULL = find it among sd's certificates */
        const struct cert_store *trust; /* NULL = do not check the chain; else embedded certs are intermediates */
        time_t now;                     /* for the chain check, 0 = the current time */
};

/* cms_verify checks sd (from cms_parse): contentType attribute equals eContentType, messageDigest equals SM3
 * of the content, the signer certificate matches issuerAndSerialNumber, its SM2 key verifies the signature
 * over the signed attributes as a SET (over the content itself when there are no signed attributes), and (with
 * params->trust) the signer chains to a trusted root at params->now. failure (may be NULL) says which check failed;
 * signer_out (may be NULL) receives the signer's certificate on success (free with cert_free). */
int cms_verify(const struct cms_signed_data *sd, const struct cms_verify_params *params,
               enum cms_verify_failure *failure, struct cert **signer_out, struct err *err) SMT_MUST_USE;

#endif
