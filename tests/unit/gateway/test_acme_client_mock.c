/* tests/unit/gateway/test_acme_client_mock.c: gateway/acme_client against a scripted ACME server (http/server.h
 * over TLS on loopback, its certificate the only trusted root) for what a real CA rarely does on demand:
 * badNonce answered by exactly one retry carrying the nonce of the badNonce answer (RFC 8555 6.5), a second
 * badNonce returned as the error, a 503 with a short Retry-After retried once after waiting, a long one not
 * waited for (RFC 8555 6.6), a problem's type and detail in the error, a server certificate the trust
 * file does not hold refused with the file named, and "replaces" (RFC 9773 5): sent only to a server with
 * renewalInfo, with the replaced certificate's ID, and the order placed again without it when refused. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/jose.h"
#include "gateway/acme_client.h"
#include "http/server.h"

/* The script: how many times each resource answers with trouble before it behaves. */
struct mock {
        pthread_mutex_t lock;
        uint16_t port;
        int bad_nonces_left;  /* newAccount answers badNonce this many times */
        int busy_left;        /* newOrder answers 503 this many times */
        int busy_retry_after; /* ... with this Retry-After */
        int account_posts;    /* POSTs seen at newAccount */
        int order_posts;
        bool has_ari;            /* the directory names renewalInfo */
        bool refuses_replaces;   /* newOrder with "replaces" answers alreadyReplaced */
        char replaces[4][128];   /* each newOrder POST's "replaces" ("" when none) */
        int nonce_counter;
        char last_issued[32];   /* the nonce of the last answer */
        char nonce_used[8][32]; /* the nonce of each newAccount POST */
};

static void mock_add_nonce(struct mock *mock, struct http_server_response *response)
{
        snprintf(mock->last_issued, sizeof(mock->last_issued), "nonce-%d", ++mock->nonce_counter);
        SMT_IGNORE(http_server_response_add_field(response, "Replay-Nonce", "%s", mock->last_issued));
}

static void mock_json(struct http_server_response *response, int status, const char *type, const char *text)
{
        response->status = status;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "%s", type));
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
}

static void mock_problem(struct http_server_response *response, int status, const char *type, const char *detail)
{
        char text[256];
        snprintf(text, sizeof(text), "{\"type\":\"urn:ietf:params:acme:error:%s\",\"detail\":\"%s\"}", type, detail);
        mock_json(response, status, "application/problem+json", text);
}

static void mock_directory(struct mock *mock, struct http_server_response *response)
{
        char text[1024];
        const char *base = "https://127.0.0.1";
        snprintf(text, sizeof(text),
                 "{\"newNonce\":\"%s:%u/nonce\",\"newAccount\":\"%s:%u/account\",\"newOrder\":\"%s:%u/order\","
                 "\"revokeCert\":\"%s:%u/revoke\"%s}",
                 base, mock->port, base, mock->port, base, mock->port, base, mock->port,
                 mock->has_ari ? ",\"renewalInfo\":\"https://127.0.0.1/renewal-info\"" : "");
        mock_json(response, 200, "application/json", text);
}

static void mock_account(struct mock *mock, const struct http_server_request *request,
                         struct http_server_response *response)
{
        struct jose_jws jws;
        struct err err = {0};
        if (jose_jws_parse(&jws, request->body, request->body_len, true, &err) < 0) {
                mock_problem(response, 400, "malformed", "not a JWS");
                return;
        }
        if (mock->account_posts < 8)
                snprintf(mock->nonce_used[mock->account_posts], 32, "%s", jws.nonce ? jws.nonce : "");
        mock->account_posts++;
        jose_jws_clear(&jws);
        if (mock->bad_nonces_left > 0) {
                mock->bad_nonces_left--;
                mock_problem(response, 400, "badNonce", "stale nonce");
                return;
        }
        char location[128];
        snprintf(location, sizeof(location), "https://127.0.0.1:%u/acct/1", mock->port);
        SMT_IGNORE(http_server_response_add_field(response, "Location", "%s", location));
        mock_json(response, 201, "application/json", "{\"status\":\"valid\"}");
}

/* mock_order_replaces records the "replaces" of a newOrder POST; true when there was one. */
static bool mock_order_replaces(struct mock *mock, const struct http_server_request *request)
{
        struct jose_jws jws;
        struct err err = {0};
        const char *replaces = NULL;
        json_t *payload = NULL;
        if (jose_jws_parse(&jws, request->body, request->body_len, true, &err) == 0) {
                payload = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
                replaces = json_string_value(json_object_get(payload, "replaces"));
                jose_jws_clear(&jws);
        }
        if (mock->order_posts < 4)
                snprintf(mock->replaces[mock->order_posts], sizeof mock->replaces[0], "%s", replaces ? replaces : "");
        bool has = replaces != NULL;
        json_decref(payload);
        return has;
}

static void mock_order(struct mock *mock, const struct http_server_request *request,
                       struct http_server_response *response)
{
        bool has_replaces = mock_order_replaces(mock, request);
        mock->order_posts++;
        if (has_replaces && mock->refuses_replaces) {
                mock_problem(response, 409, "alreadyReplaced", "that certificate was replaced already");
                return;
        }
        if (mock->busy_left > 0) {
                mock->busy_left--;
                SMT_IGNORE(http_server_response_add_field(response, "Retry-After", "%d", mock->busy_retry_after));
                mock_problem(response, 503, "serverInternal", "busy, come back later");
                return;
        }
        mock_problem(response, 400, "rejectedIdentifier", "no such name here");
}

static void mock_handle(void *context, const struct http_server_request *request, struct http_server_response *response)
{
        struct mock *mock = context;
        pthread_mutex_lock(&mock->lock);
        if (strcmp(request->path, "/directory") == 0)
                mock_directory(mock, response);
        else if (strcmp(request->path, "/nonce") == 0)
                response->status = 200;
        else if (strcmp(request->path, "/account") == 0)
                mock_account(mock, request, response);
        else if (strcmp(request->path, "/order") == 0)
                mock_order(mock, request, response);
        else
                mock_problem(response, 404, "malformed", "no such resource");
        mock_add_nonce(mock, response);
        pthread_mutex_unlock(&mock->lock);
}

/* A self-signed certificate for 127.0.0.1 in dir: the server's and the client's only root. */
static void mock_credentials(const char *dir, const char *name, char *cert_path, char *key_path)
{
        struct key *key = NULL;
        struct cert *cert = NULL;
        struct err err = {0};
        const char *ips[] = {"127.0.0.1"};
        CHECK_OK(key_generate(&key, KEY_ALG_EC_P256, &err), &err);
        struct cert_issue_params params = {.subject_key = key,
                                           .common_name = name,
                                           .ip_addresses = ips,
                                           .num_ip_addresses = 1,
                                           .not_after = time(NULL) + 3600,
                                           .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
                                           .extended_usage = CERT_EXTENDED_USAGE_SERVER_AUTH};
        CHECK_OK(cert_issue(&cert, &params, &err), &err);
        sprintf(cert_path, "%s/%s.crt", dir, name);
        sprintf(key_path, "%s/%s.key", dir, name);
        CHECK_OK(cert_save_pem(cert, cert_path, true, &err), &err);
        CHECK_OK(key_save_private(key, key_path, KEY_FORMAT_PEM, NULL, true, &err), &err);
        cert_free(cert);
        key_free(key);
}

struct fixture {
        struct mock mock;
        struct http_server *server;
        struct key *account_key;
        char cert_path[512], key_path[512], directory[128];
};

static void fixture_start(struct fixture *f)
{
        struct err err = {0};
        const char *dir = check_temp_dir();
        memset(f, 0, sizeof(*f));
        pthread_mutex_init(&f->mock.lock, NULL);
        mock_credentials(dir, "mock-acme", f->cert_path, f->key_path);
        struct http_server_config config = {
            .listen = "127.0.0.1:0", .threads = 2, .tls_cert_file = f->cert_path, .tls_key_file = f->key_path};
        CHECK_OK(http_server_start(&f->server, &config, mock_handle, &f->mock, &err), &err);
        f->mock.port = http_server_port(f->server);
        snprintf(f->directory, sizeof(f->directory), "https://127.0.0.1:%u/directory", f->mock.port);
        CHECK_OK(key_generate(&f->account_key, KEY_ALG_EC_P256, &err), &err);
}

static void fixture_stop(struct fixture *f)
{
        http_server_stop(f->server);
        key_free(f->account_key);
        pthread_mutex_destroy(&f->mock.lock);
}

static struct gw_acme_client *fixture_client(struct fixture *f)
{
        struct gw_acme_client *client = NULL;
        struct err err = {0};
        struct gw_acme_client_config config = {
            .directory_url = f->directory, .ca_file = f->cert_path, .timeout_ms = 5000, .retry_after_max_s = 2};
        CHECK_OK(gw_acme_client_open(&client, &config, &err), &err);
        return client;
}

static void test_one_bad_nonce_is_retried_with_the_nonce_it_carried(void)
{
        struct fixture f;
        fixture_start(&f);
        f.mock.bad_nonces_left = 1;
        struct gw_acme_client *client = fixture_client(&f);
        struct gw_acme_account_params params = {.key = f.account_key};
        struct err err = {0};
        bool created = false;
        CHECK_OK(gw_acme_client_account(client, &params, &created, &err), &err);
        CHECK(created);
        CHECK_EQ(f.mock.account_posts, 2);
        CHECK(strcmp(f.mock.nonce_used[0], f.mock.nonce_used[1]) != 0);
        /* The retry used the nonce of the badNonce answer: the one issued right after the first POST's. */
        int first = 0, second = 0;
        CHECK(sscanf(f.mock.nonce_used[0], "nonce-%d", &first) == 1);
        CHECK(sscanf(f.mock.nonce_used[1], "nonce-%d", &second) == 1);
        CHECK_EQ(second, first + 1);
        char expected[160];
        snprintf(expected, sizeof(expected), "https://127.0.0.1:%u/acct/1", f.mock.port);
        CHECK_STR(gw_acme_client_account_url(client), expected);
        gw_acme_client_free(client);
        fixture_stop(&f);
}

static void test_a_second_bad_nonce_is_the_error(void)
{
        struct fixture f;
        fixture_start(&f);
        f.mock.bad_nonces_left = 5;
        struct gw_acme_client *client = fixture_client(&f);
        struct gw_acme_account_params params = {.key = f.account_key};
        struct err err = {0};
        CHECK_STATUS(gw_acme_client_account(client, &params, NULL, &err), GW_EACME);
        CHECK_EQ(f.mock.account_posts, 2);
        CHECK(strstr(err.msg, "newAccount: badNonce: stale nonce (HTTP 400)") != NULL);
        CHECK(gw_acme_problem_is(gw_acme_client_last_problem(client), "badNonce"));
        CHECK_EQ(gw_acme_client_last_problem(client)->http_status, 400);
        gw_acme_client_free(client);
        fixture_stop(&f);
}

static void test_a_short_retry_after_is_waited_for_once(void)
{
        struct fixture f;
        fixture_start(&f);
        f.mock.busy_left = 1;
        f.mock.busy_retry_after = 1;
        struct gw_acme_client *client = fixture_client(&f);
        struct gw_acme_account_params params = {.key = f.account_key};
        struct gw_acme_order order;
        struct err err = {0};
        const char *names[] = {"a.example.test"};
        CHECK_OK(gw_acme_client_account(client, &params, NULL, &err), &err);
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        /* After the wait the server refuses the name: that problem, not the 503, is what comes back. */
        CHECK_STATUS(gw_acme_client_order_new(client, &order, names, 1, &err), GW_EACME);
        clock_gettime(CLOCK_MONOTONIC, &end);
        CHECK_EQ(f.mock.order_posts, 2);
        CHECK(end.tv_sec - start.tv_sec >= 1 || end.tv_nsec >= start.tv_nsec + 900000000L);
        CHECK(strstr(err.msg, "newOrder: rejectedIdentifier: no such name here") != NULL);
        gw_acme_client_free(client);
        fixture_stop(&f);
}

static void test_a_long_retry_after_is_not_waited_for(void)
{
        struct fixture f;
        fixture_start(&f);
        f.mock.busy_left = 1;
        f.mock.busy_retry_after = 3600;
        struct gw_acme_client *client = fixture_client(&f);
        struct gw_acme_account_params params = {.key = f.account_key};
        struct gw_acme_order order;
        struct err err = {0};
        const char *names[] = {"a.example.test"};
        CHECK_OK(gw_acme_client_account(client, &params, NULL, &err), &err);
        CHECK_STATUS(gw_acme_client_order_new(client, &order, names, 1, &err), GW_EACME);
        CHECK_EQ(f.mock.order_posts, 1);
        CHECK(strstr(err.msg, "serverInternal: busy, come back later (HTTP 503)") != NULL);
        gw_acme_client_free(client);
        fixture_stop(&f);
}

static void test_a_server_outside_the_trust_file_is_refused(void)
{
        struct fixture f;
        fixture_start(&f);
        char other_cert[512], other_key[512];
        mock_credentials(check_temp_dir(), "other-root", other_cert, other_key);
        struct gw_acme_client *client = NULL;
        struct err err = {0};
        struct gw_acme_client_config config = {.directory_url = f.directory, .ca_file = other_cert, .timeout_ms = 5000};
        CHECK_STATUS(gw_acme_client_open(&client, &config, &err), SMT_EIO);
        CHECK(strstr(err.msg, "not trusted by") != NULL && strstr(err.msg, other_cert) != NULL);
        CHECK(client == NULL);
        fixture_stop(&f);
}

/* A certificate with an AKI (issued under a CA), as ACME servers issue them, and its RFC 9773 ID. */
static struct cert *replaced_cert(char id[128])
{
        struct key *ca_key = NULL, *key = NULL;
        struct cert *ca = NULL, *leaf = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&ca_key, KEY_ALG_EC_P256, &err), &err);
        CHECK_OK(key_generate(&key, KEY_ALG_EC_P256, &err), &err);
        struct cert_issue_params params = {.subject_key = ca_key, .common_name = "Mock CA", .is_ca = true,
                                           .not_after = time(NULL) + 3600, .key_usage = CERT_KEY_USAGE_KEY_CERT_SIGN};
        CHECK_OK(cert_issue(&ca, &params, &err), &err);
        const char *names[] = {"a.example.test"};
        params = (struct cert_issue_params){.subject_key = key, .issuer_key = ca_key, .issuer_cert = ca,
                                            .common_name = "a.example.test", .dns_names = names, .num_dns_names = 1,
                                            .not_after = time(NULL) + 3600,
                                            .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE};
        CHECK_OK(cert_issue(&leaf, &params, &err), &err);
        const uint8_t *der;
        size_t der_len;
        cert_der(leaf, &der, &der_len);
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)id, 127);
        CHECK_OK(gw_acme_cert_id(der, der_len, &w, &err), &err);
        id[w.len] = '\0';
        cert_free(ca);
        key_free(ca_key);
        key_free(key);
        return leaf;
}

/* replaces_client opens a client with an account on f's mock and has its next order replace a new
 * certificate (*old, its ID in id). */
static struct gw_acme_client *replaces_client(struct fixture *f, struct cert **old, char id[128])
{
        struct gw_acme_client *client = fixture_client(f);
        struct gw_acme_account_params params = {.key = f->account_key};
        struct err err = {0};
        *old = replaced_cert(id);
        CHECK_OK(gw_acme_client_account(client, &params, NULL, &err), &err);
        CHECK_OK(gw_acme_client_set_replaces(client, *old, &err), &err);
        return client;
}

static void test_replaces_is_sent_and_dropped_when_refused(void)
{
        struct fixture f;
        fixture_start(&f);
        f.mock.has_ari = true;
        f.mock.refuses_replaces = true;
        struct gw_acme_order order;
        struct err err = {0};
        const char *names[] = {"a.example.test"};
        char id[128];
        struct cert *old = NULL;
        struct gw_acme_client *client = replaces_client(&f, &old, id);
        /* refused with "replaces", placed again without it: the mock's answer to that is the error */
        CHECK_STATUS(gw_acme_client_order_new(client, &order, names, 1, &err), GW_EACME);
        CHECK_EQ(f.mock.order_posts, 2);
        CHECK_STR(f.mock.replaces[0], id);
        CHECK_STR(f.mock.replaces[1], "");
        CHECK(strstr(err.msg, "rejectedIdentifier") != NULL);
        /* one order only: the next goes without */
        CHECK_STATUS(gw_acme_client_order_new(client, &order, names, 1, &err), GW_EACME);
        CHECK_EQ(f.mock.order_posts, 3);
        CHECK_STR(f.mock.replaces[2], "");
        gw_acme_client_free(client);
        fixture_stop(&f);
        cert_free(old);
}

static void test_replaces_needs_a_server_with_renewal_info(void)
{
        struct fixture f;
        fixture_start(&f);
        struct gw_acme_order order;
        struct err err = {0};
        const char *names[] = {"a.example.test"};
        char id[128];
        struct cert *old = NULL;
        struct gw_acme_client *client = replaces_client(&f, &old, id);
        CHECK_STATUS(gw_acme_client_order_new(client, &order, names, 1, &err), GW_EACME);
        CHECK_EQ(f.mock.order_posts, 1);
        CHECK_STR(f.mock.replaces[0], "");
        gw_acme_client_free(client);
        fixture_stop(&f);
        cert_free(old);
}

CHECK_MAIN(CHECK_TEST(test_replaces_is_sent_and_dropped_when_refused),
           CHECK_TEST(test_replaces_needs_a_server_with_renewal_info),
           CHECK_TEST(test_one_bad_nonce_is_retried_with_the_nonce_it_carried),
           CHECK_TEST(test_a_second_bad_nonce_is_the_error), CHECK_TEST(test_a_short_retry_after_is_waited_for_once),
           CHECK_TEST(test_a_long_retry_after_is_not_waited_for),
           CHECK_TEST(test_a_server_outside_the_trust_file_is_refused))
