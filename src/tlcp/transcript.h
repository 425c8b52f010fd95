/* src/tlcp/transcript.h: the handshake transcript, every handshake message with its 4-byte header in the
 * order sent and received (GB/T 38636-2020 §6.4.5.9-10: handshake_messages).
 *
 * It is kept two ways: an incremental SM3 for Finished and Tongsuo's CertificateVerify (SM3 of the
 * messages), and, until tlcp_transcript_drop_messages, the bytes themselves, because GmSSL's
 * CertificateVerify signs the raw messages (tlcp-wire.md). */
#ifndef SMT_TLCP_TRANSCRIPT_H
#define SMT_TLCP_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/sm3.h"

struct tlcp_transcript {
        struct sm3_ctx hash;
        struct buf_writer messages; /* the raw messages while they may still be signed */
        bool is_keeping_messages;
};

/* tlcp_transcript_init starts an empty transcript that keeps the raw messages; cleanup after. */
int tlcp_transcript_init(struct tlcp_transcript *transcript, struct err *err) SMT_MUST_USE;

/* tlcp_transcript_cleanup releases the hash and wipes the kept messages. */
void tlcp_transcript_cleanup(struct tlcp_transcript *transcript);

/* tlcp_transcript_add appends one whole handshake message (header and body). */
int tlcp_transcript_add(struct tlcp_transcript *transcript, const uint8_t *message, size_t len,
                        struct err *err) SMT_MUST_USE;

/* tlcp_transcript_hash writes SM3 of every message added so far; the transcript goes on. */
int tlcp_transcript_hash(const struct tlcp_transcript *transcript, uint8_t out[SM3_DIGEST_LEN],
                         struct err *err) SMT_MUST_USE;

/* tlcp_transcript_messages gives the raw messages so far (borrowed until the next add); SMT_EINTERNAL
 * after tlcp_transcript_drop_messages. */
int tlcp_transcript_messages(const struct tlcp_transcript *transcript, struct buf_reader *out,
                             struct err *err) SMT_MUST_USE;

/* tlcp_transcript_drop_messages forgets the raw messages once no CertificateVerify can need them. */
void tlcp_transcript_drop_messages(struct tlcp_transcript *transcript);

#endif
