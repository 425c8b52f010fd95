/* src/tlcp/protocol.h: TLCP (GB/T 38636-2020) wire constants and the cipher suite table.
 * Every other file of src/tlcp/ names protocol values through this header, never as bare numbers. */
#ifndef SMT_TLCP_PROTOCOL_H
#define SMT_TLCP_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* GB/T 38636 §6.3.2: every record and ClientHello.client_version carry 0x0101. */
#define TLCP_VERSION 0x0101

/* §6.3.3: a plaintext fragment is at most 2^14 bytes; protection adds at most 2048. */
#define TLCP_MAX_PLAINTEXT 16384
#define TLCP_MAX_CIPHERTEXT (TLCP_MAX_PLAINTEXT + 2048)
#define TLCP_RECORD_HEADER_LEN 5
#define TLCP_HANDSHAKE_HEADER_LEN 4
/* The largest handshake message we accept (a Certificate with a long chain). */
#define TLCP_MAX_HANDSHAKE_MESSAGE (64 * 1024)

#define TLCP_RANDOM_LEN 32
#define TLCP_SESSION_ID_MAX 32
#define TLCP_MASTER_SECRET_LEN 48
#define TLCP_PRE_MASTER_SECRET_LEN 48
#define TLCP_VERIFY_DATA_LEN 12

enum tlcp_content_type {
        TLCP_CONTENT_CHANGE_CIPHER_SPEC = 20,
        TLCP_CONTENT_ALERT = 21,
        TLCP_CONTENT_HANDSHAKE = 22,
        TLCP_CONTENT_APPLICATION_DATA = 23,
};

enum tlcp_handshake_type {
        TLCP_HANDSHAKE_HELLO_REQUEST = 0,
        TLCP_HANDSHAKE_CLIENT_HELLO = 1,
        TLCP_HANDSHAKE_SERVER_HELLO = 2,
        TLCP_HANDSHAKE_NEW_SESSION_TICKET = 4, /* Tongsuo servers send it; not part of GB/T 38636 */
        TLCP_HANDSHAKE_CERTIFICATE = 11,
        TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE = 12,
        TLCP_HANDSHAKE_CERTIFICATE_REQUEST = 13,
        TLCP_HANDSHAKE_SERVER_HELLO_DONE = 14,
        TLCP_HANDSHAKE_CERTIFICATE_VERIFY = 15,
        TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE = 16,
        TLCP_HANDSHAKE_FINISHED = 20,
};

enum tlcp_alert_level {
        TLCP_ALERT_WARNING = 1,
        TLCP_ALERT_FATAL = 2,
};

/* GB/T 38636 §6.4.4.1 alert descriptions: TLS 1.1's plus the TLCP-specific 200..205. */
enum tlcp_alert_description {
        TLCP_ALERT_CLOSE_NOTIFY = 0,
        TLCP_ALERT_UNEXPECTED_MESSAGE = 10,
        TLCP_ALERT_BAD_RECORD_MAC = 20,
        TLCP_ALERT_DECRYPTION_FAILED = 21,
        TLCP_ALERT_RECORD_OVERFLOW = 22,
        TLCP_ALERT_DECOMPRESSION_FAILURE = 30,
        TLCP_ALERT_HANDSHAKE_FAILURE = 40,
        TLCP_ALERT_BAD_CERTIFICATE = 42,
        TLCP_ALERT_UNSUPPORTED_CERTIFICATE = 43,
        TLCP_ALERT_CERTIFICATE_REVOKED = 44,
        TLCP_ALERT_CERTIFICATE_EXPIRED = 45,
        TLCP_ALERT_CERTIFICATE_UNKNOWN = 46,
        TLCP_ALERT_ILLEGAL_PARAMETER = 47,
        TLCP_ALERT_UNKNOWN_CA = 48,
        TLCP_ALERT_ACCESS_DENIED = 49,
        TLCP_ALERT_DECODE_ERROR = 50,
        TLCP_ALERT_DECRYPT_ERROR = 51,
        TLCP_ALERT_PROTOCOL_VERSION = 70,
        TLCP_ALERT_INSUFFICIENT_SECURITY = 71,
        TLCP_ALERT_INTERNAL_ERROR = 80,
        TLCP_ALERT_USER_CANCELED = 90,
        TLCP_ALERT_NO_RENEGOTIATION = 100,
        TLCP_ALERT_UNSUPPORTED_SITE2SITE = 200,
        TLCP_ALERT_NO_AREA = 201,
        TLCP_ALERT_UNSUPPORTED_AREATYPE = 202,
        TLCP_ALERT_BAD_IBCPARAM = 203,
        TLCP_ALERT_UNSUPPORTED_IBCPARAM = 204,
        TLCP_ALERT_IDENTITY_NEED = 205,
};

/* Extensions smtrust reads; every other one is ignored (GmSSL's server aborts on unknown ones; we must not). */
enum tlcp_extension_type {
        TLCP_EXTENSION_SERVER_NAME = 0,
        TLCP_EXTENSION_SESSION_TICKET = 35,
        TLCP_EXTENSION_RENEGOTIATION_INFO = 0xFF01,
};

/* The signalling suite value Tongsuo offers (RFC 5746 §3.3); never chosen. */
#define TLCP_SCSV_EMPTY_RENEGOTIATION_INFO 0x00FF

/* ServerKeyExchange/ClientKeyExchange ECParameters for ECDHE: named_curve (3), curve id 41 (SM2). */
#define TLCP_EC_CURVE_TYPE_NAMED 3
#define TLCP_EC_CURVE_SM2 41

/* CertificateRequest certificate types (GB/T 38636 §6.4.5.5). */
enum tlcp_certificate_type {
        TLCP_CERTIFICATE_TYPE_RSA_SIGN = 1,
        TLCP_CERTIFICATE_TYPE_ECDSA_SIGN = 64,
        TLCP_CERTIFICATE_TYPE_IBC_PARAMS = 80,
};

enum tlcp_suite_id {
        TLCP_ECDHE_SM4_CBC_SM3 = 0xE011,
        TLCP_ECC_SM4_CBC_SM3 = 0xE013,
        TLCP_ECDHE_SM4_GCM_SM3 = 0xE051,
        TLCP_ECC_SM4_GCM_SM3 = 0xE053,
};

enum tlcp_key_exchange {
        TLCP_KEY_EXCHANGE_ECC = 1,   /* pre-master SM2-encrypted to the server's encryption certificate */
        TLCP_KEY_EXCHANGE_ECDHE = 2, /* SM2 key exchange (GB/T 32918.3); client certificates required */
};

enum tlcp_bulk_cipher {
        TLCP_BULK_SM4_CBC = 1, /* MAC-then-encrypt with HMAC-SM3, explicit IV per record */
        TLCP_BULK_SM4_GCM = 2, /* 4-byte implicit salt + 8-byte explicit nonce, 16-byte tag */
};

struct tlcp_suite {
        enum tlcp_suite_id id;
        const char *name; /* GB/T name: "ECC_SM4_GCM_SM3" */
        enum tlcp_key_exchange key_exchange;
        enum tlcp_bulk_cipher bulk_cipher;
};

/* tlcp_suite_lookup returns the suite with wire id, or NULL when smtrust does not implement it. */
const struct tlcp_suite *tlcp_suite_lookup(uint16_t id);

/* tlcp_suite_lookup_name finds a suite by its GB/T name (case-insensitive; Tongsuo's "ECC-SM2-SM4-GCM-SM3"
 * and GmSSL's "TLS_ECC_SM4_GCM_SM3" spellings are accepted too), or returns NULL. */
const struct tlcp_suite *tlcp_suite_lookup_name(const char *name);

/* tlcp_suite_all lists every implemented suite in smtrust's default preference order (GCM before CBC,
 * ECC before ECDHE because ECDHE needs a client certificate); *num_suites gets their number. */
const struct tlcp_suite *tlcp_suite_all(size_t *num_suites);

/* tlcp_handshake_type_name returns "client_hello" etc., or "unknown" (for messages in error texts). */
const char *tlcp_handshake_type_name(uint8_t type);

/* tlcp_alert_description_name returns "bad_record_mac" etc., or "unknown". */
const char *tlcp_alert_description_name(uint8_t description);

#endif
