/* src/tlcp/transcript.c: the handshake transcript as an SM3 state plus, for a while, the raw bytes. */
#include "tlcp/transcript.h"

#include "tlcp/protocol.h"

/* Every handshake message before CertificateVerify: hellos, two Certificate messages with their chains,
 * ServerKeyExchange, CertificateRequest, ClientKeyExchange. */
#define TLCP_TRANSCRIPT_MESSAGES_MAX (4 * TLCP_MAX_HANDSHAKE_MESSAGE)

int tlcp_transcript_init(struct tlcp_transcript *transcript, struct err *err)
{
        *transcript = (struct tlcp_transcript){.is_keeping_messages = true};
        buf_writer_init_heap(&transcript->messages, TLCP_TRANSCRIPT_MESSAGES_MAX);
        return sm3_init(&transcript->hash, err);
}

void tlcp_transcript_cleanup(struct tlcp_transcript *transcript)
{
        sm3_cleanup(&transcript->hash);
        buf_writer_cleanup(&transcript->messages);
        transcript->is_keeping_messages = false;
}

int tlcp_transcript_add(struct tlcp_transcript *transcript, const uint8_t *message, size_t len, struct err *err)
{
        if (transcript->is_keeping_messages && buf_write_bytes(&transcript->messages, message, len) < 0)
                return SMT_ERR(err, SMT_ENOMEM, "transcript: handshake messages exceed %d bytes",
                               TLCP_TRANSCRIPT_MESSAGES_MAX);
        return sm3_update(&transcript->hash, message, len, err);
}

int tlcp_transcript_hash(const struct tlcp_transcript *transcript, uint8_t out[SM3_DIGEST_LEN], struct err *err)
{
        struct sm3_ctx snapshot;
        TRY(sm3_copy(&snapshot, &transcript->hash, err));
        int status = sm3_final(&snapshot, out, err);
        sm3_cleanup(&snapshot);
        return status;
}

int tlcp_transcript_messages(const struct tlcp_transcript *transcript, struct buf_reader *out, struct err *err)
{
        if (!transcript->is_keeping_messages)
                return SMT_ERR(err, SMT_EINTERNAL, "transcript: the raw handshake messages were dropped");
        *out = buf_reader_make(transcript->messages.data, transcript->messages.len);
        return SMT_OK;
}

void tlcp_transcript_drop_messages(struct tlcp_transcript *transcript)
{
        buf_writer_cleanup(&transcript->messages);
        transcript->is_keeping_messages = false;
}
