/* src/tlcp/server_hello_done.c: ServerHelloDone (GB/T 38636 §6.4.5.6), whose body is empty. */
#include "tlcp/messages.h"

int tlcp_server_hello_done_parse(struct buf_reader *in, struct err *err)
{
        if (in->len != 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "server_hello_done: body of %zu bytes, expected none", in->len);
        return SMT_OK;
}

int tlcp_server_hello_done_write(struct buf_writer *out, struct err *err)
{
        (void)out;
        (void)err;
        return SMT_OK;
}
