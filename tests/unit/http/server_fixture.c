/* tests/unit/http/server_fixture.c: see server_fixture.h. */
#include "server_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "http/parser.h"

#define DAY 86400

int64_t server_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void server_fixture_append(struct http_server_response *response, const char *fmt, const char *a, const char *b)
{
        char line[8192];
        int len = snprintf(line, sizeof line, fmt, a, b);
        CHECK(len >= 0 && (size_t)len < sizeof line);
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)line, (size_t)len));
}

/* server_fixture_fields: /fields shows add_field's verdicts: a good field, a CR LF injection, a name
 * that is not a token, and a Content-Length the server must not copy. */
static void server_fixture_fields(struct http_server_response *response)
{
        char verdicts[256];
        int good = http_server_response_add_field(response, "X-Good", "%d-%s", 7, "seven");
        int injected = http_server_response_add_field(response, "X-Bad", "a\r\nSet-Cookie: evil=1");
        int bad_name = http_server_response_add_field(response, "X Bad", "v");
        int length = http_server_response_add_field(response, "Content-Length", "999");
        snprintf(verdicts, sizeof verdicts, "good=%d injected=%d bad_name=%d length=%d\n", good, injected, bad_name,
                 length);
        server_fixture_append(response, "%s%s", verdicts, "");
}

static void server_fixture_client(struct http_server_response *response, const struct cert *cert)
{
        char subject[CERT_NAME_TEXT_MAX] = "-";
        struct err err = {0};
        if (cert != NULL)
                CHECK_OK(cert_subject_text(cert, subject, sizeof subject, &err), &err);
        server_fixture_append(response, "client=%s\n%s", subject, "");
}

void server_fixture_echo(void *context, const struct http_server_request *request,
                         struct http_server_response *response)
{
        (void)context;
        if (strcmp(request->path, "/sleep") == 0)
                usleep(300 * 1000);
        server_fixture_append(response, "method=%s\ntarget=%s\n", request->method, request->target);
        server_fixture_append(response, "path=%s\nquery=%s\n", request->path, request->query);
        server_fixture_append(response, "host=%s\ntls=%s\n", request->host, request->is_tls ? "1" : "0");
        server_fixture_append(response, "remote=%s\n%s", request->remote_addr, "");
        server_fixture_client(response, request->client_cert);
        for (size_t i = 0; i < request->num_fields; i++)
                server_fixture_append(response, "field=%s: %s\n", request->fields[i].name, request->fields[i].value);
        if (strcmp(request->path, "/fields") == 0)
                server_fixture_fields(response);
        server_fixture_append(response, "body=%s%s", "", "");
        if (request->body_len > 0)
                SMT_IGNORE(buf_write_bytes(&response->body, request->body, request->body_len));
        if (strcmp(request->path, "/close") == 0)
                response->close = true;
        if (strcmp(request->path, "/status0") != 0)
                response->status = 200;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "text/plain"));
}

struct http_server *server_fixture_start(struct http_server_config *config)
{
        struct http_server *server = NULL;
        struct err err = {0};
        config->listen = "127.0.0.1:0";
        CHECK_OK(http_server_start(&server, config, server_fixture_echo, NULL, &err), &err);
        CHECK(http_server_port(server) != 0);
        return server;
}

static struct server_client *server_client_open(uint16_t port)
{
        struct server_client *client = calloc(1, sizeof *client);
        CHECK(client != NULL);
        client->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(client->fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK_EQ(connect(client->fd, (struct sockaddr *)&sa, sizeof sa), 0);
        struct timeval five = {.tv_sec = 5};
        setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
        setsockopt(client->fd, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five);
        int one = 1;
        setsockopt(client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return client;
}

struct server_client *server_client_connect(uint16_t port)
{
        return server_client_open(port);
}

static void server_client_tls_setup(struct server_client *client, const char *ca_file, const char *cert_file,
                                    const char *key_file, int max_version)
{
        client->ctx = SSL_CTX_new(TLS_client_method());
        CHECK(client->ctx != NULL);
        CHECK_EQ(SSL_CTX_load_verify_file(client->ctx, ca_file), 1);
        SSL_CTX_set_verify(client->ctx, SSL_VERIFY_PEER, NULL);
        if (max_version != 0)
                CHECK_EQ(SSL_CTX_set_max_proto_version(client->ctx, max_version), 1);
        if (cert_file != NULL) {
                CHECK_EQ(SSL_CTX_use_certificate_chain_file(client->ctx, cert_file), 1);
                CHECK_EQ(SSL_CTX_use_PrivateKey_file(client->ctx, key_file, SSL_FILETYPE_PEM), 1);
        }
        client->ssl = SSL_new(client->ctx);
        CHECK(client->ssl != NULL);
        CHECK_EQ(SSL_set_fd(client->ssl, client->fd), 1);
        SSL_set_tlsext_host_name(client->ssl, "localhost");
        CHECK_EQ(SSL_set1_host(client->ssl, "localhost"), 1);
}

struct server_client *server_client_connect_tls(uint16_t port, const char *ca_file, const char *cert_file,
                                                const char *key_file, int max_version)
{
        struct server_client *client = server_client_open(port);
        server_client_tls_setup(client, ca_file, cert_file, key_file, max_version);
        if (SSL_connect(client->ssl) != 1) {
                ERR_clear_error();
                server_client_free(client);
                return NULL;
        }
        return client;
}

void server_client_free(struct server_client *client)
{
        if (client == NULL)
                return;
        SSL_free(client->ssl);
        SSL_CTX_free(client->ctx);
        close(client->fd);
        free(client);
}

void server_client_send_bytes(struct server_client *client, const void *data, size_t len)
{
        if (client->ssl != NULL) {
                CHECK_EQ(SSL_write(client->ssl, data, (int)len), (int)len);
                return;
        }
        CHECK_EQ(send(client->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

void server_client_send(struct server_client *client, const char *text)
{
        server_client_send_bytes(client, text, strlen(text));
}

/* server_client_recv adds what arrives to client->in: bytes, 0 at the peer's close, -1 on a timeout
 * or a reset. */
static int server_client_recv(struct server_client *client)
{
        size_t room = sizeof client->in - client->in_len;
        CHECK(room > 0);
        if (client->ssl != NULL) {
                int got = SSL_read(client->ssl, client->in + client->in_len, (int)room);
                if (got > 0) {
                        client->in_len += (size_t)got;
                        return got;
                }
                int why = SSL_get_error(client->ssl, got);
                ERR_clear_error();
                return why == SSL_ERROR_ZERO_RETURN || (why == SSL_ERROR_SYSCALL && errno == 0) ? 0 : -1;
        }
        ssize_t got = recv(client->fd, client->in + client->in_len, room, 0);
        if (got > 0)
                client->in_len += (size_t)got;
        if (got < 0 && errno == ECONNRESET)
                return 0;
        return (int)got;
}

/* server_client_parse_head waits for a whole response head: 0 with head filled, -1 if the connection ended. */
static int server_client_parse_head(struct server_client *client, const char *method, struct http_head *head)
{
        struct http_parser parser;
        struct err err = {0};
        CHECK_OK(
            http_parser_init_response(&parser, NULL, buf_reader_make((const uint8_t *)method, strlen(method)), &err),
            &err);
        for (;;) {
                int status = http_parser_parse(&parser, head, client->in, client->in_len, &err);
                if (status == 0)
                        return 0;
                CHECK_STATUS(status, SMT_EAGAIN);
                if (server_client_recv(client) <= 0)
                        return -1;
        }
}

static void server_client_consume(struct server_client *client, size_t len)
{
        memmove(client->in, client->in + len, client->in_len - len);
        client->in_len -= len;
}

struct server_reply *server_client_read_reply(struct server_client *client, const char *method)
{
        struct http_head head; /* per call: client threads read at once */
        if (server_client_parse_head(client, method, &head) != 0)
                return NULL;
        CHECK(head.framing == HTTP_FRAMING_LENGTH || head.framing == HTTP_FRAMING_NONE);
        size_t body_len = head.framing == HTTP_FRAMING_LENGTH ? (size_t)head.content_length : 0;
        struct server_reply *reply = calloc(1, sizeof *reply);
        CHECK(reply != NULL && body_len <= sizeof reply->body && head.head_len < sizeof reply->head);
        while (client->in_len < head.head_len + body_len) {
                if (server_client_recv(client) <= 0) {
                        free(reply);
                        return NULL;
                }
        }
        reply->status = head.status;
        memcpy(reply->head, client->in, head.head_len);
        memcpy(reply->body, client->in + head.head_len, body_len);
        memcpy(reply->body_text, reply->body, body_len);
        reply->body_len = body_len;
        server_client_consume(client, head.head_len + body_len);
        return reply;
}

struct server_reply *server_client_request(struct server_client *client, const char *method, const char *text)
{
        server_client_send(client, text);
        return server_client_read_reply(client, method);
}

bool server_client_wait_closed(struct server_client *client, int timeout_ms)
{
        struct timeval wait = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        int got;
        while ((got = server_client_recv(client)) > 0)
                ;
        struct timeval five = {.tv_sec = 5};
        setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
        return got == 0;
}

const char *server_reply_field(const struct server_reply *reply, const char *name)
{
        static char value[4096];
        size_t name_len = strlen(name);
        for (const char *line = strstr(reply->head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
                const char *start = line + 2;
                if (strncasecmp(start, name, name_len) != 0 || start[name_len] != ':')
                        continue;
                start += name_len + 1;
                while (*start == ' ')
                        start++;
                size_t len = strcspn(start, "\r");
                CHECK(len < sizeof value);
                memcpy(value, start, len);
                value[len] = '\0';
                return value;
        }
        return NULL;
}

bool server_reply_has_line(const struct server_reply *reply, const char *line)
{
        size_t len = strlen(line);
        for (const char *at = reply->body_text; (at = strstr(at, line)) != NULL; at++) {
                if ((at == reply->body_text || at[-1] == '\n') && (at[len] == '\n' || at[len] == '\0'))
                        return true;
        }
        return false;
}

/* --- the PKI --- */

static struct key *server_pki_key(void)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&key, KEY_ALG_EC_P256, &err), &err);
        return key;
}

static struct cert *server_pki_ca(const struct key *key, const char *name)
{
        struct cert *ca = NULL;
        struct err err = {0};
        struct cert_issue_params params = {
            .subject_key = key,
            .common_name = name,
            .organization = "smtrust tests",
            .not_before = time(NULL) - DAY,
            .not_after = time(NULL) + 30 * DAY,
            .is_ca = true,
        };
        CHECK_OK(cert_issue(&ca, &params, &err), &err);
        return ca;
}

static void server_pki_leaf(const struct key *ca_key, const struct cert *ca, const char *name, unsigned usage,
                            const char *cert_file, const char *key_file)
{
        static const char *const dns[] = {"localhost"};
        static const char *const ips[] = {"127.0.0.1"};
        struct key *key = server_pki_key();
        struct cert *leaf = NULL;
        struct err err = {0};
        struct cert_issue_params params = {
            .subject_key = key,
            .issuer_key = ca_key,
            .issuer_cert = ca,
            .common_name = name,
            .organization = "smtrust tests",
            .dns_names = dns,
            .num_dns_names = 1,
            .ip_addresses = ips,
            .num_ip_addresses = 1,
            .not_before = time(NULL) - 60,
            .not_after = time(NULL) + 7 * DAY,
            .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
            .extended_usage = usage,
        };
        CHECK_OK(cert_issue(&leaf, &params, &err), &err);
        CHECK_OK(cert_save_pem(leaf, cert_file, true, &err), &err);
        CHECK_OK(key_save_private(key, key_file, KEY_FORMAT_PEM, NULL, true, &err), &err);
        cert_free(leaf);
        key_free(key);
}

static void server_pki_path(char out[512], const char *name)
{
        snprintf(out, 512, "%s/%s", check_temp_dir(), name);
}

static void server_pki_make(struct server_pki *pki)
{
        struct err err = {0};
        server_pki_path(pki->ca_file, "ca.pem");
        server_pki_path(pki->server_cert_file, "server.pem");
        server_pki_path(pki->server_key_file, "server.key");
        server_pki_path(pki->client_cert_file, "client.pem");
        server_pki_path(pki->client_key_file, "client.key");
        server_pki_path(pki->other_ca_file, "other-ca.pem");
        server_pki_path(pki->other_client_cert_file, "other-client.pem");
        server_pki_path(pki->other_client_key_file, "other-client.key");
        struct key *ca_key = server_pki_key(), *other_key = server_pki_key();
        struct cert *ca = server_pki_ca(ca_key, "smtrust test CA");
        struct cert *other = server_pki_ca(other_key, "smtrust test CA");
        CHECK_OK(cert_save_pem(ca, pki->ca_file, true, &err), &err);
        CHECK_OK(cert_save_pem(other, pki->other_ca_file, true, &err), &err);
        server_pki_leaf(ca_key, ca, "localhost", CERT_EXTENDED_USAGE_SERVER_AUTH, pki->server_cert_file,
                        pki->server_key_file);
        server_pki_leaf(ca_key, ca, "admin", CERT_EXTENDED_USAGE_CLIENT_AUTH, pki->client_cert_file,
                        pki->client_key_file);
        /* Same names as the real ones: only the signature tells them apart. */
        server_pki_leaf(other_key, other, "admin", CERT_EXTENDED_USAGE_CLIENT_AUTH, pki->other_client_cert_file,
                        pki->other_client_key_file);
        cert_free(ca);
        cert_free(other);
        key_free(ca_key);
        key_free(other_key);
}

const struct server_pki *server_pki_get(void)
{
        static struct server_pki pki;
        static bool is_made;
        if (!is_made) {
                server_pki_make(&pki);
                is_made = true;
        }
        return &pki;
}
