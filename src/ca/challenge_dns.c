/* src/ca/challenge_dns.c: the DNS messages challenge validation exchanges (RFC 1035 4.1): a recursive
 * query for one name and type, and a strict reader of the answer that only keeps what it needs, the
 * data of the records of the type asked for. Fuzzed by tests/fuzz/fuzz_dns_answer.c. */
#include <stdio.h>
#include <string.h>

#include "ca/challenge_internal.h"

#define CA_CHALLENGE_DNS_CLASS_IN 1
#define CA_CHALLENGE_DNS_FLAG_QR  0x8000u
#define CA_CHALLENGE_DNS_FLAG_TC  0x0200u
#define CA_CHALLENGE_DNS_FLAG_RD  0x0100u
#define CA_CHALLENGE_DNS_OPCODE   0x7800u
#define CA_CHALLENGE_DNS_RCODE    0x000fu

int ca_challenge_dns_question_init(struct ca_challenge_dns_question *q, const char *name, uint16_t type, uint16_t id,
                                   struct err *err)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, q->name, sizeof q->name);
        q->id = id;
        q->type = type;
        const char *label = name;
        while (*label != 0) {
                const char *dot = strchr(label, '.');
                size_t label_len = dot != NULL ? (size_t)(dot - label) : strlen(label);
                if (label_len == 0 || label_len > 63)
                        return SMT_ERR(err, SMT_EINVAL, "DNS name \"%.64s\": a label is empty or over 63 bytes", name);
                if (buf_write_u8(&w, (uint8_t)label_len) < 0 ||
                    buf_write_bytes(&w, (const uint8_t *)label, label_len) < 0)
                        return SMT_ERR(err, SMT_EINVAL, "DNS name \"%.64s\" exceeds 255 bytes", name);
                label += label_len + (dot != NULL ? 1 : 0);
        }
        if (w.len == 0 || buf_write_u8(&w, 0) < 0)
                return SMT_ERR(err, SMT_EINVAL, "DNS name \"%.64s\" is empty or exceeds 255 bytes", name);
        q->name_len = w.len;
        return SMT_OK;
}

int ca_challenge_dns_query_write(struct buf_writer *w, const struct ca_challenge_dns_question *q)
{
        TRY(buf_write_u16(w, q->id));
        TRY(buf_write_u16(w, CA_CHALLENGE_DNS_FLAG_RD));
        TRY(buf_write_u16(w, 1)); /* QDCOUNT */
        TRY(buf_write_u16(w, 0)); /* ANCOUNT */
        TRY(buf_write_u16(w, 0)); /* NSCOUNT */
        TRY(buf_write_u16(w, 0)); /* ARCOUNT */
        TRY(buf_write_bytes(w, q->name, q->name_len));
        TRY(buf_write_u16(w, q->type));
        return buf_write_u16(w, CA_CHALLENGE_DNS_CLASS_IN);
}

/* A name in a record (RFC 1035 4.1.4): labels ending with a zero byte or a compression pointer. The
 * records' owners are not compared (the resolver followed the CNAMEs), so a pointer is not followed. */
static int ca_challenge_dns_skip_name(struct buf_reader *r, struct err *err)
{
        for (size_t total = 0;;) {
                uint8_t len;
                if (buf_read_u8(r, &len) < 0)
                        return SMT_ERR(err, SMT_ETRUNCATED, "DNS answer: a name is cut short");
                if (len == 0)
                        return SMT_OK;
                if ((len & 0xc0) == 0xc0) {
                        uint8_t low;
                        if (buf_read_u8(r, &low) < 0)
                                return SMT_ERR(err, SMT_ETRUNCATED, "DNS answer: a name pointer is cut short");
                        return SMT_OK;
                }
                if ((len & 0xc0) != 0)
                        return SMT_ERR(err, SMT_EDECODE, "DNS answer: label type 0x%02x is not defined", len);
                total += 1u + len;
                if (total > CA_CHALLENGE_DNS_NAME_MAX || buf_skip(r, len) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "DNS answer: a name is cut short or over 255 bytes");
        }
}

/* The question must be ours, compared ignoring ASCII case (RFC 4343). */
static int ca_challenge_dns_read_question(struct buf_reader *r, const struct ca_challenge_dns_question *q,
                                          struct err *err)
{
        uint8_t name[CA_CHALLENGE_DNS_NAME_MAX];
        uint16_t type, class;
        if (buf_read_bytes(r, name, q->name_len) < 0 || buf_read_u16(r, &type) < 0 || buf_read_u16(r, &class) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "DNS answer: the question section is cut short");
        bool same = type == q->type && class == CA_CHALLENGE_DNS_CLASS_IN;
        for (size_t i = 0; same && i < q->name_len; i++) {
                uint8_t a = name[i], b = q->name[i];
                same = a == b || ((a | 0x20) == (b | 0x20) && (a | 0x20) >= 'a' && (a | 0x20) <= 'z');
        }
        if (!same)
                return SMT_ERR(err, SMT_EDECODE, "DNS answer: its question is not the one asked");
        return SMT_OK;
}

static int ca_challenge_dns_read_record(struct buf_reader *r, struct ca_challenge_dns_answer *answer,
                                        uint16_t wanted_type, struct err *err)
{
        uint16_t type, class, rdata_len;
        uint32_t ttl;
        struct buf_reader rdata;
        TRY(ca_challenge_dns_skip_name(r, err));
        if (buf_read_u16(r, &type) < 0 || buf_read_u16(r, &class) < 0 || buf_read_u32(r, &ttl) < 0 ||
            buf_read_u16(r, &rdata_len) < 0 || buf_read_slice(r, &rdata, rdata_len) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "DNS answer: a record is cut short");
        if (type != wanted_type || class != CA_CHALLENGE_DNS_CLASS_IN)
                return SMT_OK;
        if ((type == CA_CHALLENGE_DNS_A && rdata_len != 4) || (type == CA_CHALLENGE_DNS_AAAA && rdata_len != 16))
                return SMT_ERR(err, SMT_EDECODE, "DNS answer: an address record of %u bytes", (unsigned)rdata_len);
        if (answer->num_records == CA_CHALLENGE_DNS_RECORDS_MAX) {
                answer->num_records_dropped++;
                return SMT_OK;
        }
        answer->records[answer->num_records++] = rdata;
        return SMT_OK;
}

int ca_challenge_dns_answer_parse(struct ca_challenge_dns_answer *answer, const struct ca_challenge_dns_question *q,
                                  const uint8_t *message, size_t message_len, struct err *err)
{
        struct buf_reader r = buf_reader_make(message, message_len);
        uint16_t id, flags, num_questions, num_answers, num_authority, num_additional;
        memset(answer, 0, sizeof *answer);
        if (buf_read_u16(&r, &id) < 0 || buf_read_u16(&r, &flags) < 0 || buf_read_u16(&r, &num_questions) < 0 ||
            buf_read_u16(&r, &num_answers) < 0 || buf_read_u16(&r, &num_authority) < 0 ||
            buf_read_u16(&r, &num_additional) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "DNS answer: %zu bytes, shorter than a header", message_len);
        if (id != q->id || (flags & CA_CHALLENGE_DNS_FLAG_QR) == 0 || (flags & CA_CHALLENGE_DNS_OPCODE) != 0)
                return SMT_ERR(err, SMT_EDECODE, "DNS answer: id %u flags 0x%04x do not answer query %u", (unsigned)id,
                               (unsigned)flags, (unsigned)q->id);
        answer->rcode = (uint8_t)(flags & CA_CHALLENGE_DNS_RCODE);
        answer->is_truncated = (flags & CA_CHALLENGE_DNS_FLAG_TC) != 0;
        if (answer->is_truncated)
                return SMT_OK;
        if (num_questions != 1)
                return SMT_ERR(err, SMT_EDECODE, "DNS answer: %u questions, expected 1", (unsigned)num_questions);
        TRY(ca_challenge_dns_read_question(&r, q, err));
        for (uint16_t i = 0; i < num_answers; i++)
                TRY(ca_challenge_dns_read_record(&r, answer, q->type, err));
        return SMT_OK;
}

int ca_challenge_dns_txt_join(struct buf_writer *out, struct buf_reader rdata, struct err *err)
{
        if (buf_reader_is_empty(&rdata))
                return SMT_ERR(err, SMT_EDECODE, "DNS answer: a TXT record without a character-string");
        while (!buf_reader_is_empty(&rdata)) {
                struct buf_reader text;
                if (buf_read_u8_vector(&rdata, &text) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "DNS answer: a TXT character-string overruns its record");
                if (buf_write_bytes(out, text.data, text.len) < 0)
                        return SMT_ERR(err, SMT_ENOSPACE, "DNS answer: a TXT record longer than %zu bytes",
                                       out->max_len);
        }
        return SMT_OK;
}
