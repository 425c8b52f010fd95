/* tests/unit/http/server_fixture.h: what the tests of src/http/server.c share: an echo handler, a real
 * socket client (plain or OpenSSL TLS) that reads whole responses, and a small test PKI on disk. */
#ifndef SMT_TESTS_HTTP_SERVER_FIXTURE_H
#define SMT_TESTS_HTTP_SERVER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "http/server.h"

/* server_fixture_echo answers 200 with the request as text lines: "method=", "target=", "path=", "query=",
 * "host=", "tls=0|1", "remote=", "client=<subject>|-", one "field=<name>: <value>" per field, then
 * "body=" and the body. Paths with a meaning: /status0 (no status: the server must send 500), /close
 * (response->close), /sleep (300 ms in the handler), /fields (add_field checks, see the .c file). */
void server_fixture_echo(void *context, const struct http_server_request *request,
                         struct http_server_response *response);

/* server_fixture_start starts a server on 127.0.0.1:0 with the echo handler (config->listen is set). */
struct http_server *server_fixture_start(struct http_server_config *config);

struct server_client {
        int fd;
        SSL_CTX *ctx;
        SSL *ssl;
        uint8_t in[256 * 1024];
        size_t in_len;
};

struct server_reply {
        int status;
        char head[16 * 1024]; /* status line and fields as received, NUL-terminated */
        uint8_t body[128 * 1024];
        size_t body_len;
        char body_text[128 * 1024 + 1]; /* the body NUL-terminated */
};

/* server_client_connect opens a plain connection to 127.0.0.1:port (reads time out after 5 s). */
struct server_client *server_client_connect(uint16_t port);

/* server_client_connect_tls does the same with TLS, trusting ca_file, presenting cert_file/key_file when
 * not NULL; max_version 0 means any. NULL when the handshake fails. */
struct server_client *server_client_connect_tls(uint16_t port, const char *ca_file, const char *cert_file,
                                                const char *key_file, int max_version);

void server_client_free(struct server_client *client);

/* server_client_send writes all of text (or len bytes of data). */
void server_client_send(struct server_client *client, const char *text);
void server_client_send_bytes(struct server_client *client, const void *data, size_t len);

/* server_client_read_reply reads one whole response to a request of method into reply (heap: free it);
 * NULL when the connection closed or timed out first. */
struct server_reply *server_client_read_reply(struct server_client *client, const char *method);

/* server_client_request sends text and reads the reply to method. */
struct server_reply *server_client_request(struct server_client *client, const char *method, const char *text);

/* server_client_wait_closed says whether the server closed the connection within timeout_ms (bytes that
 * arrive meanwhile are kept). */
bool server_client_wait_closed(struct server_client *client, int timeout_ms);

/* server_reply_field returns the value of the first field name in reply (static storage), or NULL. */
const char *server_reply_field(const struct server_reply *reply, const char *name);

/* server_reply_has_line says whether the echo body has exactly this line. */
bool server_reply_has_line(const struct server_reply *reply, const char *line);

/* A test PKI in check_temp_dir(): a CA, a server certificate for 127.0.0.1/localhost under it, a client
 * certificate under it and one under a second, unrelated CA. */
struct server_pki {
        char ca_file[512];
        char server_cert_file[512];
        char server_key_file[512];
        char client_cert_file[512];
        char client_key_file[512];
        char other_ca_file[512];
        char other_client_cert_file[512];
        char other_client_key_file[512];
};

/* server_pki_get makes the PKI once per process and returns it. */
const struct server_pki *server_pki_get(void);

/* server_now_ms is a monotonic clock for timing checks. */
int64_t server_now_ms(void);

#endif
