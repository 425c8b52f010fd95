/* src/tlcp/alert.h: TLCP alerts (GB/T 38636-2020 §6.4.4.1, the TLS 1.1 alert protocol).
 *
 * Handlers only return a status; alert.c's one table says which alert each status sends, so
 * `grep -n HANDSHAKE_FAILURE src/tlcp/alert.c` lists every error that causes one. tlcp_alert_write is the
 * only code that builds an alert record. */
#ifndef SMT_TLCP_ALERT_H
#define SMT_TLCP_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "tlcp/record.h"

struct tlcp_alert {
        uint8_t level;       /* enum tlcp_alert_level */
        uint8_t description; /* enum tlcp_alert_description */
};

/* tlcp_alert_lookup gives the alert that status sends to the peer; false when it sends none (SMT_OK,
 * SMT_EAGAIN, TLCP_EPEER_ALERT: an alert is never answered with an alert). */
bool tlcp_alert_lookup(int status, struct tlcp_alert *out);

/* tlcp_alert_write seals the alert for status (tlcp_alert_lookup) into one record of out with protection p;
 * it writes nothing and returns 0 when status sends no alert. */
int tlcp_alert_write(struct tlcp_record_protection *p, struct buf_writer *out, int status,
                     struct err *err) SMT_MUST_USE;

/* tlcp_alert_receive reads one alert (level, description) from content and says what it means: SMT_OK for
 * a warning to ignore, TLCP_ECLOSED for close_notify, TLCP_EPEER_ALERT naming the alert for a fatal one,
 * TLCP_EDECODE_ERROR when fewer than 2 bytes or an unknown level are there. *alert gets what was read. */
int tlcp_alert_receive(struct tlcp_alert *alert, struct buf_reader *content, struct err *err) SMT_MUST_USE;

#endif
