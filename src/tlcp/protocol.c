/* src/tlcp/protocol.c: the cipher suite table and names of protocol values. */
#include "tlcp/protocol.h"

#include <strings.h>

static const struct tlcp_suite tlcp_suites[] = {
        { TLCP_ECC_SM4_GCM_SM3, "ECC_SM4_GCM_SM3", TLCP_KEY_EXCHANGE_ECC, TLCP_BULK_SM4_GCM },
        { TLCP_ECC_SM4_CBC_SM3, "ECC_SM4_CBC_SM3", TLCP_KEY_EXCHANGE_ECC, TLCP_BULK_SM4_CBC },
        { TLCP_ECDHE_SM4_GCM_SM3, "ECDHE_SM4_GCM_SM3", TLCP_KEY_EXCHANGE_ECDHE, TLCP_BULK_SM4_GCM },
        { TLCP_ECDHE_SM4_CBC_SM3, "ECDHE_SM4_CBC_SM3", TLCP_KEY_EXCHANGE_ECDHE, TLCP_BULK_SM4_CBC },
};

/* Other libraries' spellings of the same suites, so users can paste what they know. */
static const struct {
        const char *alias;
        enum tlcp_suite_id id;
} tlcp_suite_aliases[] = {
        { "ECC-SM2-SM4-GCM-SM3", TLCP_ECC_SM4_GCM_SM3 },     { "ECC-SM2-SM4-CBC-SM3", TLCP_ECC_SM4_CBC_SM3 },
        { "ECDHE-SM2-SM4-GCM-SM3", TLCP_ECDHE_SM4_GCM_SM3 }, { "ECDHE-SM2-SM4-CBC-SM3", TLCP_ECDHE_SM4_CBC_SM3 },
        { "TLS_ECC_SM4_GCM_SM3", TLCP_ECC_SM4_GCM_SM3 },     { "TLS_ECC_SM4_CBC_SM3", TLCP_ECC_SM4_CBC_SM3 },
        { "TLS_ECDHE_SM4_GCM_SM3", TLCP_ECDHE_SM4_GCM_SM3 }, { "TLS_ECDHE_SM4_CBC_SM3", TLCP_ECDHE_SM4_CBC_SM3 },
};

#define TLCP_COUNT(array) (sizeof(array) / sizeof((array)[0]))

const struct tlcp_suite *tlcp_suite_lookup(uint16_t id)
{
        for (size_t i = 0; i < TLCP_COUNT(tlcp_suites); i++)
                if (tlcp_suites[i].id == id)
                        return &tlcp_suites[i];
        return NULL;
}

const struct tlcp_suite *tlcp_suite_lookup_name(const char *name)
{
        for (size_t i = 0; i < TLCP_COUNT(tlcp_suites); i++)
                if (strcasecmp(name, tlcp_suites[i].name) == 0)
                        return &tlcp_suites[i];
        for (size_t i = 0; i < TLCP_COUNT(tlcp_suite_aliases); i++)
                if (strcasecmp(name, tlcp_suite_aliases[i].alias) == 0)
                        return tlcp_suite_lookup(tlcp_suite_aliases[i].id);
        return NULL;
}

const struct tlcp_suite *tlcp_suite_all(size_t *num_suites)
{
        *num_suites = TLCP_COUNT(tlcp_suites);
        return tlcp_suites;
}

const char *tlcp_handshake_type_name(uint8_t type)
{
        switch (type) {
        case TLCP_HANDSHAKE_HELLO_REQUEST:
                return "hello_request";
        case TLCP_HANDSHAKE_CLIENT_HELLO:
                return "client_hello";
        case TLCP_HANDSHAKE_SERVER_HELLO:
                return "server_hello";
        case TLCP_HANDSHAKE_NEW_SESSION_TICKET:
                return "new_session_ticket";
        case TLCP_HANDSHAKE_CERTIFICATE:
                return "certificate";
        case TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE:
                return "server_key_exchange";
        case TLCP_HANDSHAKE_CERTIFICATE_REQUEST:
                return "certificate_request";
        case TLCP_HANDSHAKE_SERVER_HELLO_DONE:
                return "server_hello_done";
        case TLCP_HANDSHAKE_CERTIFICATE_VERIFY:
                return "certificate_verify";
        case TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE:
                return "client_key_exchange";
        case TLCP_HANDSHAKE_FINISHED:
                return "finished";
        default:
                return "unknown";
        }
}

static const struct {
        uint8_t description;
        const char *name;
} tlcp_alert_names[] = {
        { TLCP_ALERT_CLOSE_NOTIFY, "close_notify" },
        { TLCP_ALERT_UNEXPECTED_MESSAGE, "unexpected_message" },
        { TLCP_ALERT_BAD_RECORD_MAC, "bad_record_mac" },
        { TLCP_ALERT_DECRYPTION_FAILED, "decryption_failed" },
        { TLCP_ALERT_RECORD_OVERFLOW, "record_overflow" },
        { TLCP_ALERT_DECOMPRESSION_FAILURE, "decompression_failure" },
        { TLCP_ALERT_HANDSHAKE_FAILURE, "handshake_failure" },
        { TLCP_ALERT_BAD_CERTIFICATE, "bad_certificate" },
        { TLCP_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate" },
        { TLCP_ALERT_CERTIFICATE_REVOKED, "certificate_revoked" },
        { TLCP_ALERT_CERTIFICATE_EXPIRED, "certificate_expired" },
        { TLCP_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown" },
        { TLCP_ALERT_ILLEGAL_PARAMETER, "illegal_parameter" },
        { TLCP_ALERT_UNKNOWN_CA, "unknown_ca" },
        { TLCP_ALERT_ACCESS_DENIED, "access_denied" },
        { TLCP_ALERT_DECODE_ERROR, "decode_error" },
        { TLCP_ALERT_DECRYPT_ERROR, "decrypt_error" },
        { TLCP_ALERT_PROTOCOL_VERSION, "protocol_version" },
        { TLCP_ALERT_INSUFFICIENT_SECURITY, "insufficient_security" },
        { TLCP_ALERT_INTERNAL_ERROR, "internal_error" },
        { TLCP_ALERT_USER_CANCELED, "user_canceled" },
        { TLCP_ALERT_NO_RENEGOTIATION, "no_renegotiation" },
        { TLCP_ALERT_UNSUPPORTED_SITE2SITE, "unsupported_site2site" },
        { TLCP_ALERT_NO_AREA, "no_area" },
        { TLCP_ALERT_UNSUPPORTED_AREATYPE, "unsupported_areatype" },
        { TLCP_ALERT_BAD_IBCPARAM, "bad_ibcparam" },
        { TLCP_ALERT_UNSUPPORTED_IBCPARAM, "unsupported_ibcparam" },
        { TLCP_ALERT_IDENTITY_NEED, "identity_need" },
};

const char *tlcp_alert_description_name(uint8_t description)
{
        for (size_t i = 0; i < TLCP_COUNT(tlcp_alert_names); i++)
                if (tlcp_alert_names[i].description == description)
                        return tlcp_alert_names[i].name;
        return "unknown";
}
