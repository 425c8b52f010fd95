/* src/tlcp/finished.c: Finished (GB/T 38636 §6.4.5.10): verify_data, 12 bytes, nothing else. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_finished_name[] = "finished";

int tlcp_finished_parse(struct tlcp_finished *out, struct buf_reader *in, struct err *err)
{
        if (in->len != TLCP_VERIFY_DATA_LEN)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "finished: body of %zu bytes, expected %d", in->len,
                               TLCP_VERIFY_DATA_LEN);
        return tlcp_field_read_bytes(in, out->verify_data, sizeof out->verify_data, tlcp_finished_name, "verify_data",
                                     err);
}

int tlcp_finished_write(struct buf_writer *out, const struct tlcp_finished *finished, struct err *err)
{
        return tlcp_field_wrote(buf_write_bytes(out, finished->verify_data, sizeof finished->verify_data),
                                tlcp_finished_name, err);
}
