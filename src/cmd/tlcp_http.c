/* src/cmd/tlcp_http.c: the little HTTP/1.1 that `smtrust tlcp-client` needs (RFC 9112): an https URL,
 * one GET request, and a response reader that knows where the body ends (Content-Length, chunked, or the
 * end of the connection). The gateway's full HTTP layer will live in src/http/. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "cmd/cmd.h"

#define CMD_TLCP_HTTPS_PORT 443
/* A status line and headers bigger than this are refused (nginx's default large header buffers: 32 KiB). */
#define CMD_TLCP_HTTP_HEAD_MAX (64 * 1024)

int cmd_tlcp_url_parse(struct cmd_tlcp_url *out, const char *text, struct err *err)
{
        static const char scheme[] = "https://";
        if (strncasecmp(text, scheme, sizeof scheme - 1) != 0)
                return SMT_ERR(err, SMT_EINVAL, "URL '%s': expected https://host[:port]/path", text);
        const char *authority = text + sizeof scheme - 1;
        size_t authority_len = strcspn(authority, "/?#");
        char host_port[NET_ADDRESS_TEXT_MAX];
        if (authority_len == 0 || authority_len >= sizeof host_port)
                return SMT_ERR(err, SMT_EINVAL, "URL '%s': expected a host after https://", text);
        memcpy(host_port, authority, authority_len);
        host_port[authority_len] = '\0';
        if (strchr(host_port, '@') != NULL)
                return SMT_ERR(err, SMT_EINVAL, "URL '%s': user names in URLs are not supported", text);
        TRY(net_address_parse(&out->address, host_port, CMD_TLCP_HTTPS_PORT, err));
        const char *path = authority + authority_len;
        size_t path_len = strcspn(path, "#"); /* the fragment never goes to the server (RFC 3986 §3.5) */
        if (path_len >= sizeof out->path)
                return SMT_ERR(err, SMT_EINVAL, "URL: path of %zu characters exceeds %zu", path_len,
                               sizeof out->path - 1);
        if (strpbrk(path, " \r\n\t") != NULL)
                return SMT_ERR(err, SMT_EINVAL, "URL '%s': spaces and line ends must be percent-encoded", text);
        if (path_len == 0 || path[0] == '?')
                snprintf(out->path, sizeof out->path, "/%.*s", (int)path_len, path);
        else
                snprintf(out->path, sizeof out->path, "%.*s", (int)path_len, path);
        return SMT_OK;
}

int cmd_tlcp_http_request(struct buf_writer *out, const struct cmd_tlcp_url *url, const char *user_agent,
                          struct err *err)
{
        char host[NET_ADDRESS_TEXT_MAX];
        /* Host carries the port only when it is not the scheme's default (RFC 9110 §7.2). */
        if (url->address.port == CMD_TLCP_HTTPS_PORT)
                snprintf(host, sizeof host, strchr(url->address.host, ':') ? "[%s]" : "%s", url->address.host);
        else
                net_address_format(host, &url->address);
        char request[CMD_TLCP_PATH_MAX + 2 * NET_ADDRESS_TEXT_MAX + 256];
        int len = snprintf(request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                           url->path, host, user_agent);
        if (len < 0 || (size_t)len >= sizeof request)
                return SMT_ERR(err, SMT_EINTERNAL, "request of %d bytes does not fit", len);
        return buf_write_bytes(out, (const uint8_t *)request, (size_t)len);
}

void cmd_tlcp_http_response_init(struct cmd_tlcp_http_response *response, size_t max_len)
{
        memset(response, 0, sizeof *response);
        buf_writer_init_heap(&response->raw, max_len);
        buf_writer_init_heap(&response->decoded, max_len);
}

void cmd_tlcp_http_response_cleanup(struct cmd_tlcp_http_response *response)
{
        buf_writer_cleanup(&response->raw);
        buf_writer_cleanup(&response->decoded);
}

/* cmd_tlcp_http_read_line cuts the next CRLF-terminated line off r (without the CRLF); SMT_EAGAIN when r
 * has no complete line yet. */
static int cmd_tlcp_http_read_line(struct buf_reader *r, struct buf_reader *line)
{
        for (size_t i = 0; i + 1 < r->len; i++) {
                if (r->data[i] == '\r' && r->data[i + 1] == '\n') {
                        TRY(buf_read_slice(r, line, i));
                        return buf_skip(r, 2);
                }
        }
        return SMT_EAGAIN;
}

static bool cmd_tlcp_http_line_is(const struct buf_reader *line, const char *text)
{
        return line->len == strlen(text) && strncasecmp((const char *)line->data, text, line->len) == 0;
}

/* cmd_tlcp_http_number reads a whole decimal (base 10) or hex (base 16) number, at most 15 digits. */
static int cmd_tlcp_http_number(const struct buf_reader *text, int base, uint64_t *out)
{
        *out = 0;
        if (text->len == 0 || text->len > 15)
                return SMT_EDECODE;
        for (size_t i = 0; i < text->len; i++) {
                char c = (char)text->data[i];
                int digit = c >= '0' && c <= '9'                 ? c - '0'
                            : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                            : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                 : -1;
                if (digit < 0)
                        return SMT_EDECODE;
                *out = *out * (uint64_t)base + (uint64_t)digit;
        }
        return SMT_OK;
}

static int cmd_tlcp_http_status_line(struct cmd_tlcp_http_response *response, struct buf_reader line, struct err *err)
{
        /* status-line = HTTP-version SP 3DIGIT SP [ reason ] (RFC 9112 §4) */
        struct buf_reader version, code;
        uint64_t value = 0;
        if (buf_read_slice(&line, &version, 9) < 0 || strncmp((const char *)version.data, "HTTP/1.", 7) != 0 ||
            version.data[8] != ' ' || buf_read_slice(&line, &code, 3) < 0 ||
            cmd_tlcp_http_number(&code, 10, &value) < 0 || value < 100)
                return SMT_ERR(err, SMT_EDECODE, "the server's answer does not start with an HTTP/1.x status line");
        response->status_code = (int)value;
        return SMT_OK;
}

/* cmd_tlcp_http_header looks at one "name: value" line for the headers that frame the body. */
static int cmd_tlcp_http_header(struct cmd_tlcp_http_response *response, struct buf_reader line, struct err *err)
{
        const uint8_t *colon = memchr(line.data, ':', line.len);
        if (colon == NULL)
                return SMT_ERR(err, SMT_EDECODE, "response header line without ':'");
        struct buf_reader name, value = line;
        if (buf_read_slice(&value, &name, (size_t)(colon - line.data)) < 0 || buf_skip(&value, 1) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "header split");
        while (value.len > 0 && (value.data[0] == ' ' || value.data[0] == '\t') && buf_skip(&value, 1) == SMT_OK)
                ;
        while (value.len > 0 && (value.data[value.len - 1] == ' ' || value.data[value.len - 1] == '\t'))
                value.len--;
        if (cmd_tlcp_http_line_is(&name, "Transfer-Encoding")) {
                /* Chunked must be the last coding; any other ends at the close (RFC 9112 §6.3 item 4). */
                response->is_chunked =
                    value.len >= 7 && strncasecmp((const char *)value.data + value.len - 7, "chunked", 7) == 0;
                response->has_transfer_encoding = true;
        } else if (cmd_tlcp_http_line_is(&name, "Content-Length")) {
                uint64_t length = 0;
                if (cmd_tlcp_http_number(&value, 10, &length) < 0 ||
                    (response->has_content_length && length != response->content_length))
                        return SMT_ERR(err, SMT_EDECODE, "invalid Content-Length: '%.*s'", (int)value.len,
                                       (const char *)value.data);
                response->content_length = length;
                response->has_content_length = true;
        }
        return SMT_OK;
}

/* cmd_tlcp_http_parse_head reads the status line and headers once the blank line has arrived. */
static int cmd_tlcp_http_parse_head(struct cmd_tlcp_http_response *response, struct err *err)
{
        struct buf_reader all = buf_reader_make(response->raw.data, response->raw.len);
        struct buf_reader line;
        int status = cmd_tlcp_http_read_line(&all, &line);
        if (status == SMT_EAGAIN)
                return response->raw.len > CMD_TLCP_HTTP_HEAD_MAX
                           ? SMT_ERR(err, SMT_EDECODE, "no status line in the first %d bytes", CMD_TLCP_HTTP_HEAD_MAX)
                           : SMT_EAGAIN;
        TRY(cmd_tlcp_http_status_line(response, line, err));
        while ((status = cmd_tlcp_http_read_line(&all, &line)) == SMT_OK && line.len > 0)
                TRY(cmd_tlcp_http_header(response, line, err));
        if (status == SMT_EAGAIN && response->raw.len > CMD_TLCP_HTTP_HEAD_MAX)
                return SMT_ERR(err, SMT_EDECODE, "response headers exceed %d bytes", CMD_TLCP_HTTP_HEAD_MAX);
        TRY(status);
        response->head_len = response->raw.len - all.len;
        response->chunk_offset = response->head_len;
        /* 1xx, 204 and 304 responses have no body (RFC 9112 §6.3 item 1). */
        response->has_no_body =
            response->status_code < 200 || response->status_code == 204 || response->status_code == 304;
        return SMT_OK;
}

/* cmd_tlcp_http_next_chunk decodes one chunk at chunk_offset (RFC 9112 §7.1); SMT_EAGAIN until it is all
 * there. The last chunk (size 0) and its trailer section complete the response. */
static int cmd_tlcp_http_next_chunk(struct cmd_tlcp_http_response *response, struct err *err)
{
        struct buf_reader rest = buf_reader_make(response->raw.data, response->raw.len);
        struct buf_reader line, data;
        uint64_t size = 0;
        TRY(buf_skip(&rest, response->chunk_offset));
        TRY(cmd_tlcp_http_read_line(&rest, &line));
        size_t size_len = 0;
        while (size_len < line.len && line.data[size_len] != ';' && line.data[size_len] != ' ')
                size_len++;
        line.len = size_len; /* chunk extensions are ignored */
        if (cmd_tlcp_http_number(&line, 16, &size) < 0)
                return SMT_ERR(err, SMT_EDECODE, "malformed chunk size '%.*s'", (int)line.len, (const char *)line.data);
        if (size == 0) {
                while (cmd_tlcp_http_read_line(&rest, &line) == SMT_OK)
                        if (line.len == 0) {
                                response->is_complete = true;
                                return SMT_OK;
                        }
                return SMT_EAGAIN;
        }
        if (rest.len < size + 2)
                return SMT_EAGAIN;
        TRY(buf_read_slice(&rest, &data, (size_t)size));
        if (rest.data[0] != '\r' || rest.data[1] != '\n')
                return SMT_ERR(err, SMT_EDECODE, "chunk of %zu bytes not followed by CRLF", (size_t)size);
        TRY(buf_skip(&rest, 2));
        int status = buf_write_bytes(&response->decoded, data.data, data.len);
        if (status < 0)
                return SMT_ERR(err, status, "response body exceeds %zu bytes", response->decoded.max_len);
        response->chunk_offset = response->raw.len - rest.len;
        return SMT_OK;
}

static int cmd_tlcp_http_advance(struct cmd_tlcp_http_response *response, struct err *err)
{
        if (response->head_len == 0)
                TRY(cmd_tlcp_http_parse_head(response, err));
        size_t body_len = response->raw.len - response->head_len;
        if (response->has_no_body) {
                response->is_complete = true;
        } else if (response->is_chunked) {
                int status;
                while (!response->is_complete && (status = cmd_tlcp_http_next_chunk(response, err)) == SMT_OK)
                        ;
                if (!response->is_complete && status != SMT_EAGAIN)
                        return status;
        } else if (response->has_content_length && !response->has_transfer_encoding) {
                response->is_complete = body_len >= response->content_length;
        }
        return SMT_OK;
}

int cmd_tlcp_http_response_put(struct cmd_tlcp_http_response *response, const uint8_t *data, size_t len,
                               struct err *err)
{
        int status = buf_write_bytes(&response->raw, data, len);
        if (status < 0)
                return SMT_ERR(err, status, "response exceeds %zu bytes", response->raw.max_len);
        status = cmd_tlcp_http_advance(response, err);
        return status == SMT_EAGAIN ? SMT_OK : status;
}

int cmd_tlcp_http_response_end(struct cmd_tlcp_http_response *response, struct err *err)
{
        if (response->is_complete)
                return SMT_OK;
        if (response->head_len == 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "the connection ended before the response headers (%zu bytes)",
                               response->raw.len);
        if (response->is_chunked)
                return SMT_ERR(err, SMT_ETRUNCATED, "the connection ended inside the chunked body");
        if (response->has_content_length && !response->has_transfer_encoding)
                return SMT_ERR(err, SMT_ETRUNCATED, "the connection ended after %zu of %llu body bytes",
                               response->raw.len - response->head_len, (unsigned long long)response->content_length);
        response->is_complete = true; /* the body was delimited by the end of the connection */
        return SMT_OK;
}

void cmd_tlcp_http_response_body(const struct cmd_tlcp_http_response *response, const uint8_t **data, size_t *len)
{
        struct buf_reader all = buf_reader_make(response->raw.data, response->raw.len);
        struct buf_reader body = {0};
        if (response->is_chunked) {
                *data = response->decoded.data;
                *len = response->decoded.len;
                return;
        }
        size_t body_len = response->has_no_body ? 0 : response->raw.len - response->head_len;
        if (response->has_content_length && !response->has_transfer_encoding && body_len > response->content_length)
                body_len = (size_t)response->content_length;
        if (buf_skip(&all, response->head_len) < 0 || buf_read_slice(&all, &body, body_len) < 0)
                body = buf_reader_make(NULL, 0);
        *data = body.data;
        *len = body.len;
}
