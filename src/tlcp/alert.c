/* src/tlcp/alert.c: which alert each failure sends (GB/T 38636-2020 §6.4.4.1) and the alert record. */
#include "tlcp/alert.h"

/* One row per status that reaches the peer. Choices the standard leaves open:
 * - A certificate whose keyUsage does not fit its place (a signing certificate where the encryption one
 *   belongs, or the reverse) is unsupported_certificate (RFC 5246 §7.2.2: "of an unsupported type"), as is
 *   a non-SM2 key; a malformed certificate or a host name mismatch is bad_certificate.
 * - A handshake message over TLCP_MAX_HANDSHAKE_MESSAGE is decode_error (the codec refuses its header).
 * - No SNI credentials: handshake_failure, since TLCP has no unrecognized_name (RFC 6066 §3).
 * - Renegotiation is refused with a warning no_renegotiation (RFC 5246 §7.2.2): the connection goes on.
 * - A ClientKeyExchange that does not decrypt sends nothing of its own: the server goes on with a random
 *   pre-master secret and the client's Finished record fails as bad_record_mac (RFC 5246 §7.4.7.1).
 * Any status not listed (out of memory, internal failures) sends internal_error. */
/* clang-format off */
static const struct {
        int status;
        struct tlcp_alert alert;
} tlcp_alert_table[] = {
        { TLCP_ECLOSED, { TLCP_ALERT_WARNING, TLCP_ALERT_CLOSE_NOTIFY } },
        { TLCP_ENO_RENEGOTIATION, { TLCP_ALERT_WARNING, TLCP_ALERT_NO_RENEGOTIATION } },
        { TLCP_EUNEXPECTED_MESSAGE, { TLCP_ALERT_FATAL, TLCP_ALERT_UNEXPECTED_MESSAGE } },
        { TLCP_EBAD_RECORD_MAC, { TLCP_ALERT_FATAL, TLCP_ALERT_BAD_RECORD_MAC } },
        { TLCP_ERECORD_OVERFLOW, { TLCP_ALERT_FATAL, TLCP_ALERT_RECORD_OVERFLOW } },
        { TLCP_EHANDSHAKE_FAILURE, { TLCP_ALERT_FATAL, TLCP_ALERT_HANDSHAKE_FAILURE } },
        { TLCP_EUNSUPPORTED_SITE, { TLCP_ALERT_FATAL, TLCP_ALERT_HANDSHAKE_FAILURE } },
        { TLCP_EBAD_CERTIFICATE, { TLCP_ALERT_FATAL, TLCP_ALERT_BAD_CERTIFICATE } },
        { CRYPTO_ECERT, { TLCP_ALERT_FATAL, TLCP_ALERT_BAD_CERTIFICATE } },
        { CRYPTO_ECERT_NAME, { TLCP_ALERT_FATAL, TLCP_ALERT_BAD_CERTIFICATE } },
        { TLCP_EUNSUPPORTED_CERTIFICATE, { TLCP_ALERT_FATAL, TLCP_ALERT_UNSUPPORTED_CERTIFICATE } },
        { CRYPTO_ECERT_USAGE, { TLCP_ALERT_FATAL, TLCP_ALERT_UNSUPPORTED_CERTIFICATE } },
        { CRYPTO_EWRONGALG, { TLCP_ALERT_FATAL, TLCP_ALERT_UNSUPPORTED_CERTIFICATE } },
        { TLCP_ECERTIFICATE_EXPIRED, { TLCP_ALERT_FATAL, TLCP_ALERT_CERTIFICATE_EXPIRED } },
        { CRYPTO_ECERT_EXPIRED, { TLCP_ALERT_FATAL, TLCP_ALERT_CERTIFICATE_EXPIRED } },
        { TLCP_EUNKNOWN_CA, { TLCP_ALERT_FATAL, TLCP_ALERT_UNKNOWN_CA } },
        { CRYPTO_ECERT_UNTRUSTED, { TLCP_ALERT_FATAL, TLCP_ALERT_UNKNOWN_CA } },
        { TLCP_EILLEGAL_PARAMETER, { TLCP_ALERT_FATAL, TLCP_ALERT_ILLEGAL_PARAMETER } },
        { CRYPTO_EKEY, { TLCP_ALERT_FATAL, TLCP_ALERT_ILLEGAL_PARAMETER } },
        { CRYPTO_EKEYEXCHANGE, { TLCP_ALERT_FATAL, TLCP_ALERT_ILLEGAL_PARAMETER } },
        { TLCP_EDECODE_ERROR, { TLCP_ALERT_FATAL, TLCP_ALERT_DECODE_ERROR } },
        { SMT_EDECODE, { TLCP_ALERT_FATAL, TLCP_ALERT_DECODE_ERROR } },
        { SMT_ETRUNCATED, { TLCP_ALERT_FATAL, TLCP_ALERT_DECODE_ERROR } },
        { TLCP_EDECRYPT_ERROR, { TLCP_ALERT_FATAL, TLCP_ALERT_DECRYPT_ERROR } },
        { CRYPTO_EVERIFY, { TLCP_ALERT_FATAL, TLCP_ALERT_DECRYPT_ERROR } },
        { CRYPTO_EDECRYPT, { TLCP_ALERT_FATAL, TLCP_ALERT_DECRYPT_ERROR } },
        { TLCP_EPROTOCOL_VERSION, { TLCP_ALERT_FATAL, TLCP_ALERT_PROTOCOL_VERSION } },
};
/* clang-format on */

bool tlcp_alert_lookup(int status, struct tlcp_alert *out)
{
        if (status >= 0 || status == SMT_EAGAIN || status == TLCP_EPEER_ALERT)
                return false;
        for (size_t i = 0; i < sizeof tlcp_alert_table / sizeof tlcp_alert_table[0]; i++) {
                if (tlcp_alert_table[i].status == status) {
                        *out = tlcp_alert_table[i].alert;
                        return true;
                }
        }
        *out = (struct tlcp_alert){TLCP_ALERT_FATAL, TLCP_ALERT_INTERNAL_ERROR};
        return true;
}

int tlcp_alert_write(struct tlcp_record_protection *p, struct buf_writer *out, int status, struct err *err)
{
        struct tlcp_alert alert;
        if (!tlcp_alert_lookup(status, &alert))
                return SMT_OK;
        const uint8_t content[2] = {alert.level, alert.description};
        return tlcp_record_seal(p, out, TLCP_CONTENT_ALERT, content, sizeof content, err);
}

int tlcp_alert_receive(struct tlcp_alert *alert, struct buf_reader *content, struct err *err)
{
        if (buf_read_u8(content, &alert->level) < 0 || buf_read_u8(content, &alert->description) < 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "alert: record content shorter than 2 bytes");
        const char *name = tlcp_alert_description_name(alert->description);
        if (alert->description == TLCP_ALERT_CLOSE_NOTIFY)
                return SMT_ERR(err, TLCP_ECLOSED, "the peer closed the connection (close_notify)");
        switch (alert->level) {
        case TLCP_ALERT_WARNING:
                return SMT_OK; /* RFC 5246 §7.2: a warning leaves the connection as it is */
        case TLCP_ALERT_FATAL:
                return SMT_ERR(err, TLCP_EPEER_ALERT, "the peer sent a fatal %s alert (%u)", name,
                               (unsigned)alert->description);
        default:
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "alert: level %u is neither warning (1) nor fatal (2)",
                               (unsigned)alert->level);
        }
}
