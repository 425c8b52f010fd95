/* bench/gateway_load_response.c: reading one HTTP/1.1 response of `smtrust bench load` as its bytes arrive:
 * the head through http/parser.h, then the body by the framing it gives, checked and dropped. Bytes are
 * parsed where they were read; only an unfinished head or chunk line is copied to keep for the next read.
 * Also the histogram of how long responses took. */
#include "bench/gateway_load.h"

#define LOAD_LATENCY_LINEAR  128
#define LOAD_LATENCY_SUB     64
#define LOAD_LATENCY_BUCKETS BENCH_GATEWAY_LOAD_LATENCY_BUCKETS

/* The most kept between reads: a head (http/parser.h refuses one over 32 KiB) plus one read after it. */
#define LOAD_RESPONSE_PENDING_MAX (128 * 1024)

void bench_gateway_load_response_init(struct bench_gateway_load_response *response, struct http_head *head)
{
        *response = (struct bench_gateway_load_response){.head = head};
        buf_writer_init_heap(&response->pending, LOAD_RESPONSE_PENDING_MAX);
}

void bench_gateway_load_response_cleanup(struct bench_gateway_load_response *response)
{
        buf_writer_cleanup(&response->pending);
}

int bench_gateway_load_response_start(struct bench_gateway_load_response *response, struct err *err)
{
        buf_writer_truncate(&response->pending, 0);
        response->has_head = false;
        response->status = 0;
        return http_parser_init_response(&response->parser, NULL, buf_reader_make((const uint8_t *)"GET", 3), err);
}

/* load_response_head parses the head once it is whole and prepares the body decoder; *rest gets the bytes
 * after the head (in data, or in pending when the head came in pieces). */
static int load_response_head(struct bench_gateway_load_response *response, const uint8_t *data, size_t len,
                              struct buf_reader *rest, struct err *err)
{
        struct http_head *head = response->head;
        if (response->pending.len > 0) {
                TRY(buf_write_bytes(&response->pending, data, len));
                *rest = buf_reader_make(response->pending.data, response->pending.len);
        } else {
                *rest = buf_reader_make(data, len);
        }
        int status = http_parser_parse(&response->parser, head, rest->data, rest->len, err);
        if (status == SMT_EAGAIN && response->pending.len == 0)
                TRY(buf_write_bytes(&response->pending, data, len));
        TRY(status);
        TRY(buf_skip(rest, head->head_len));
        response->has_head = true;
        response->status = head->status;
        response->is_keep_alive = head->is_keep_alive;
        return http_parser_body_init(&response->body, head->framing, head->content_length, NULL, err);
}

/* load_response_body decodes (and drops) the body in rest, which lies in pending when is_pending; what it
 * cannot use yet (part of a chunk-size line) stays in pending. */
static int load_response_body(struct bench_gateway_load_response *response, struct buf_reader rest, bool is_pending,
                              struct err *err)
{
        while (!buf_reader_is_empty(&rest) && !http_parser_body_is_done(&response->body)) {
                struct http_body_part part;
                size_t consumed = 0;
                int status = http_parser_body_decode(&response->body, &part, &consumed, rest.data, rest.len, err);
                if (status == SMT_EAGAIN)
                        break;
                TRY(status);
                TRY(buf_skip(&rest, consumed));
        }
        if (http_parser_body_is_done(&response->body) && !buf_reader_is_empty(&rest))
                return SMT_ERR(err, SMT_EDECODE, "%zu bytes after the response to a request not yet sent", rest.len);
        if (is_pending) {
                buf_writer_drop_front(&response->pending, response->pending.len - rest.len);
                return SMT_OK;
        }
        return buf_write_bytes(&response->pending, rest.data, rest.len);
}

int bench_gateway_load_response_take(struct bench_gateway_load_response *response, const uint8_t *data, size_t len,
                                     bool *is_complete, struct err *err)
{
        *is_complete = false;
        struct buf_reader rest;
        bool is_pending = response->pending.len > 0;
        if (!response->has_head) {
                int status = load_response_head(response, data, len, &rest, err);
                if (status == SMT_EAGAIN)
                        return SMT_OK;
                TRY(status);
        } else if (is_pending) {
                TRY(buf_write_bytes(&response->pending, data, len));
                rest = buf_reader_make(response->pending.data, response->pending.len);
        } else {
                rest = buf_reader_make(data, len);
        }
        TRY(load_response_body(response, rest, is_pending, err));
        *is_complete = http_parser_body_is_done(&response->body);
        return SMT_OK;
}

int bench_gateway_load_response_end(struct bench_gateway_load_response *response, struct err *err)
{
        if (!response->has_head)
                return SMT_ERR(err, SMT_EIO, "the server closed the connection before the response head");
        return http_parser_body_finish(&response->body, err);
}

static size_t load_latency_bucket(uint64_t micros)
{
        if (micros < LOAD_LATENCY_LINEAR)
                return (size_t)micros;
        int exponent = 63 - __builtin_clzll(micros); /* >= 7 */
        size_t sub = (size_t)(micros >> (exponent - 6)) - LOAD_LATENCY_SUB;
        size_t bucket = LOAD_LATENCY_LINEAR + (size_t)(exponent - 7) * LOAD_LATENCY_SUB + sub;
        return bucket < LOAD_LATENCY_BUCKETS ? bucket : LOAD_LATENCY_BUCKETS - 1;
}

/* load_latency_value returns a bucket's lower bound in µs. */
static double load_latency_value(size_t bucket)
{
        if (bucket < LOAD_LATENCY_LINEAR)
                return (double)bucket;
        size_t exponent = (bucket - LOAD_LATENCY_LINEAR) / LOAD_LATENCY_SUB + 7;
        size_t sub = (bucket - LOAD_LATENCY_LINEAR) % LOAD_LATENCY_SUB;
        return (double)((uint64_t)(LOAD_LATENCY_SUB + sub) << (exponent - 6));
}

void bench_gateway_load_latency_add(struct bench_gateway_load_latency *latency, uint64_t micros)
{
        latency->counts[load_latency_bucket(micros)]++;
        latency->total++;
}

double bench_gateway_load_latency_percentile(const struct bench_gateway_load_latency *latency, double fraction)
{
        uint64_t total = latency->total, seen = 0;
        double exact_rank = fraction * (double)total;
        uint64_t rank = (uint64_t)exact_rank;
        if ((double)rank < exact_rank)
                rank++; /* the smallest count that covers fraction of the responses */
        for (size_t i = 0; i < LOAD_LATENCY_BUCKETS && total > 0; i++) {
                seen += latency->counts[i];
                if (seen >= rank)
                        return load_latency_value(i);
        }
        return 0;
}
