/* tests/fuzz/fuzz_http_rewrite.c: the gateway's rewrite of a client's request head for the origin
 * (http_writer_request_head) and of an origin's response head for the client (http_writer_response_head).
 *
 * Input: one control byte (bit 0: response instead of request; bits 1-2: the framing asked for; bit 3:
 * forwarding fields; bit 4: IPv6 client), then a head. Whatever head the strict parser accepts, the
 * rewritten head must be accepted by the parser again, carry the framing asked for, and contain no
 * hop-by-hop field: else the proxy would send the next hop something it does not mean (smuggling's other
 * half). A writer refusal (SMT_EINVAL for a combination the gateway never asks, SMT_ENOSPACE) is fine. */
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"
#include "http/writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const char *const hop_by_hop[] = { "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding",
                                          "Proxy-Authenticate", "Proxy-Authorization" };

static void check_output(const uint8_t *out, size_t out_len, bool is_response, struct buf_reader method,
                         enum http_writer_framing framing)
{
        struct http_parser p;
        struct http_head *head = malloc(sizeof *head);
        struct err err;
        if (head == NULL)
                return;
        /* The rewrite may add a few fields (framing, Connection, HSTS, forwarding) and bytes: the next
         * hop's parser is given that much room over the defaults the input was held to. */
        struct http_limits room;
        http_parser_limits_default(&room);
        room.max_fields = HTTP_FIELDS_MAX;
        room.max_head_len = 70000;
        int status = is_response ? http_parser_init_response(&p, &room, method, &err) : http_parser_init_request(&p, &room, &err);
        if (status == 0)
                status = http_parser_parse(&p, head, out, out_len, &err);
        if (status != 0 || head->head_len != out_len)
                abort(); /* we wrote a head our own parser refuses, or bytes after it */
        for (size_t i = 0; i < sizeof hop_by_hop / sizeof hop_by_hop[0]; i++) {
                bool is_framing = strcmp(hop_by_hop[i], "Transfer-Encoding") == 0 && framing == HTTP_WRITER_CHUNKED;
                if (!is_framing && http_parser_lookup_field(head, hop_by_hop[i]) != NULL)
                        abort();
        }
        if (framing == HTTP_WRITER_CHUNKED && !head->is_chunked)
                abort();
        if (framing == HTTP_WRITER_LENGTH && !head->has_content_length)
                abort();
        free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        if (len == 0)
                return 0;
        uint8_t control = data[0];
        bool is_response = (control & 1) != 0;
        static const enum http_writer_framing framings[] = { HTTP_WRITER_NO_BODY, HTTP_WRITER_LENGTH,
                                                             HTTP_WRITER_CHUNKED, HTTP_WRITER_UNTIL_CLOSE };
        enum http_writer_framing framing = framings[(control >> 1) & 3];
        struct http_parser p;
        struct http_head *head = malloc(sizeof *head);
        struct err err;
        if (head == NULL)
                return 0;
        struct buf_reader get = buf_reader_make((const uint8_t *)"GET", 3);
        int status = is_response ? http_parser_init_response(&p, NULL, get, &err) : http_parser_init_request(&p, NULL, &err);
        if (status == 0)
                status = http_parser_parse(&p, head, data + 1, len - 1, &err);
        if (status != 0) {
                free(head);
                return 0;
        }
        uint8_t out[70000];
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, sizeof out);
        if (is_response) {
                struct http_response_rewrite rw = { .framing = framing, .content_length = 42, .keep_alive = (control & 8) != 0,
                                                    .is_websocket = head->is_websocket_upgrade, .hsts = "max-age=60" };
                status = http_writer_response_head(&w, head, &rw, &err);
        } else {
                struct http_request_rewrite rw = { .framing = framing, .content_length = 42, .forwarded = (control & 8) != 0,
                                                   .client_ip = (control & 16) != 0 ? "2001:db8::7" : "192.0.2.7",
                                                   .proto = "https", .is_websocket = head->is_websocket_upgrade };
                status = http_writer_request_head(&w, head, &rw, &err);
        }
        /* 1xx and 101 heads have no framing of their own; the check below is for final messages. */
        bool is_interim = is_response && head->status < 200;
        if (status == 0)
                check_output(w.data, w.len, is_response, get, is_interim ? HTTP_WRITER_NO_BODY : framing);
        free(head);
        return 0;
}
