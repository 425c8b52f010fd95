/* src/tlcp/new_session_ticket.c: NewSessionTicket (RFC 5077 §3.3): uint32 ticket_lifetime_hint ||
 * ticket<0..2^16-1>. Not in GB/T 38636, but Tongsuo servers send it before their ChangeCipherSpec when the
 * client offered session_ticket; smtrust reads it only to keep it in the transcript and move on. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_new_session_ticket_name[] = "new_session_ticket";

int tlcp_new_session_ticket_parse(struct tlcp_new_session_ticket *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_new_session_ticket_name;
        *out = (struct tlcp_new_session_ticket){.lifetime_hint = 0};
        TRY(tlcp_field_read_u32(in, &out->lifetime_hint, m, "ticket_lifetime_hint", err));
        TRY(tlcp_field_read_u16_vector(in, &out->ticket, m, "ticket", err));
        return tlcp_field_expect_end(in, m, "ticket", err);
}

static int tlcp_new_session_ticket_write_body(struct buf_writer *out, const struct tlcp_new_session_ticket *ticket)
{
        TRY(buf_write_u32(out, ticket->lifetime_hint));
        TRY(buf_write_u16(out, (uint16_t)ticket->ticket.len));
        return buf_write_bytes(out, ticket->ticket.data, ticket->ticket.len);
}

int tlcp_new_session_ticket_write(struct buf_writer *out, const struct tlcp_new_session_ticket *ticket, struct err *err)
{
        if (ticket->ticket.len > UINT16_MAX)
                return SMT_ERR(err, SMT_EINVAL, "new_session_ticket: ticket of %zu bytes exceeds 65535",
                               ticket->ticket.len);
        return tlcp_field_wrote(tlcp_new_session_ticket_write_body(out, ticket), tlcp_new_session_ticket_name, err);
}
