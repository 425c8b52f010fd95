/* tests/fuzz/fuzz_dns_answer.c: targets ca_challenge_dns_answer_parse and ca_challenge_dns_txt_join
 * (src/ca/challenge_dns.c), the reader of what a DNS server answers a validating CA. The input is a whole
 * response to "_acme-challenge.example.com" (its ID is taken from the input, so the fuzzer gets past the
 * ID check), read once as the answer to a TXT query and once to an A query. Every record must lie inside
 * the input, address records must have their size, and a TXT record either joins or is refused.
 * Seeds: tests/fuzz/corpus/fuzz_dns_answer/ (TXT answers with split strings and compressed names, an A
 * answer behind a CNAME, NXDOMAIN, a truncated answer). */
#include <stdint.h>
#include <stdlib.h>

#include "ca/challenge_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void fuzz_dns_answer_check(const struct ca_challenge_dns_answer *answer, uint16_t type, const uint8_t *data,
                                  size_t len)
{
        if (answer->num_records > CA_CHALLENGE_DNS_RECORDS_MAX)
                abort();
        for (size_t i = 0; i < answer->num_records; i++) {
                const struct buf_reader *record = &answer->records[i];
                if (record->data < data || record->data + record->len > data + len)
                        abort();
                if (type == CA_CHALLENGE_DNS_A && record->len != 4)
                        abort();
                uint8_t joined[CA_CHALLENGE_DNS_MESSAGE_MAX];
                struct buf_writer w;
                struct err err = {0};
                buf_writer_init_fixed(&w, joined, sizeof joined);
                if (type == CA_CHALLENGE_DNS_TXT && ca_challenge_dns_txt_join(&w, *record, &err) == 0 &&
                    w.len >= record->len)
                        abort(); /* each character-string costs a length byte */
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        static const uint16_t types[] = {CA_CHALLENGE_DNS_TXT, CA_CHALLENGE_DNS_A};
        uint16_t id = len >= 2 ? (uint16_t)((data[0] << 8) | data[1]) : 0;
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
                struct ca_challenge_dns_question q;
                struct ca_challenge_dns_answer answer;
                struct err err = {0};
                if (ca_challenge_dns_question_init(&q, "_acme-challenge.example.com", types[t], id, &err) != 0)
                        abort();
                if (ca_challenge_dns_answer_parse(&answer, &q, data, len, &err) == 0)
                        fuzz_dns_answer_check(&answer, types[t], data, len);
                else if (err.msg[0] == 0)
                        abort(); /* a refusal always says why */
        }
        return 0;
}
