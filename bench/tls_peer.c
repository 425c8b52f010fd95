/* bench/tls_peer.c: the peer for `smtrust bench tlcp`: OpenSSL's TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256
 * on P-256, client and server in memory through a BIO pair, the way bench/tlcp_bench.c runs TLCP. */
#include "bench/tls_peer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "bench/bench.h"
#include "crypto/cert.h"
#include "crypto/crypto_error.h"
#include "crypto/key.h"

#define BENCH_TLS_CHUNK 16384

struct bench_tls_peer {
        struct key *key;
        struct cert *cert;
        SSL_CTX *server_ctx;
        SSL_CTX *client_ctx;
        SSL_SESSION *session;
        SSL *bulk_client, *bulk_server;
        uint8_t chunk[BENCH_TLS_CHUNK];
        struct bench_cpu server_cpu; /* the server's calls during full handshakes (bench_tls_peer_full) */
        bool is_timing;
};

static int bench_tls_peer_contexts(struct bench_tls_peer *peer, struct err *err)
{
        peer->server_ctx = SSL_CTX_new(TLS_server_method());
        peer->client_ctx = SSL_CTX_new(TLS_client_method());
        if (peer->server_ctx == NULL || peer->client_ctx == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: SSL_CTX_new");
        SSL_CTX *ctxs[] = { peer->server_ctx, peer->client_ctx };
        for (size_t i = 0; i < 2; i++) {
                if (SSL_CTX_set_min_proto_version(ctxs[i], TLS1_2_VERSION) != 1 ||
                    SSL_CTX_set_max_proto_version(ctxs[i], TLS1_2_VERSION) != 1 ||
                    SSL_CTX_set_cipher_list(ctxs[i], "ECDHE-ECDSA-AES128-GCM-SHA256") != 1)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: configuring TLS 1.2");
                /* Session IDs only, like TLCP: no tickets. */
                SSL_CTX_set_options(ctxs[i], SSL_OP_NO_TICKET);
        }
        if (SSL_CTX_use_certificate(peer->server_ctx, cert_x509(peer->cert)) != 1 ||
            SSL_CTX_use_PrivateKey(peer->server_ctx, key_evp(peer->key)) != 1 ||
            X509_STORE_add_cert(SSL_CTX_get_cert_store(peer->client_ctx), cert_x509(peer->cert)) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: certificate");
        SSL_CTX_set_verify(peer->client_ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_session_id_context(peer->server_ctx, (const unsigned char *)"bench", 5);
        SSL_CTX_set_session_cache_mode(peer->server_ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_session_cache_mode(peer->client_ctx, SSL_SESS_CACHE_CLIENT);
        return SMT_OK;
}

/* bench_tls_peer_close frees ssl as after a clean close_notify exchange: OpenSSL drops the session of a
 * connection freed without one from its cache, which would end resumption after one round. */
static void bench_tls_peer_close(SSL *ssl)
{
        if (ssl != NULL)
                SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl);
}

/* bench_tls_peer_pair connects a new client and server over a BIO pair and runs the handshake. */
/* bench_tls_peer_server_new makes the server's SSL, timed like its handshake calls. */
static SSL *bench_tls_peer_server_new(struct bench_tls_peer *peer)
{
        if (peer->is_timing)
                bench_cpu_start(&peer->server_cpu);
        SSL *server = SSL_new(peer->server_ctx);
        if (peer->is_timing)
                bench_cpu_stop(&peer->server_cpu);
        return server;
}

static int bench_tls_peer_server_step(struct bench_tls_peer *peer, SSL *server)
{
        if (peer->is_timing)
                bench_cpu_start(&peer->server_cpu);
        int done = SSL_do_handshake(server) == 1;
        if (peer->is_timing)
                bench_cpu_stop(&peer->server_cpu);
        return done;
}

static void bench_tls_peer_server_close(struct bench_tls_peer *peer, SSL *server)
{
        if (peer->is_timing)
                bench_cpu_start(&peer->server_cpu);
        bench_tls_peer_close(server);
        if (peer->is_timing) {
                bench_cpu_stop(&peer->server_cpu);
                peer->server_cpu.count++;
        }
}

static int bench_tls_peer_pair(struct bench_tls_peer *peer, SSL_SESSION *resume, SSL **out_client, SSL **out_server,
                               struct err *err)
{
        SSL *client = SSL_new(peer->client_ctx), *server = bench_tls_peer_server_new(peer);
        BIO *client_bio = NULL, *server_bio = NULL;
        int ok = client != NULL && server != NULL && BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) == 1;
        if (ok) {
                SSL_set_bio(client, client_bio, client_bio);
                SSL_set_bio(server, server_bio, server_bio);
                SSL_set_connect_state(client);
                SSL_set_accept_state(server);
                ok = SSL_set1_host(client, "localhost") == 1 && (resume == NULL || SSL_set_session(client, resume) == 1);
        }
        int done_client = 0, done_server = 0;
        for (int round = 0; ok && round < 64 && !(done_client && done_server); round++) {
                done_client = done_client || SSL_do_handshake(client) == 1;
                done_server = done_server || bench_tls_peer_server_step(peer, server);
        }
        ok = ok && done_client && done_server && (resume == NULL || SSL_session_reused(client));
        if (ok && out_client != NULL) {
                *out_client = client;
                *out_server = server;
                return SMT_OK;
        }
        bench_tls_peer_close(client);
        bench_tls_peer_server_close(peer, server);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: handshake");
}

int bench_tls_peer_new(struct bench_tls_peer **out, struct err *err)
{
        struct bench_tls_peer *peer = calloc(1, sizeof *peer);
        if (peer == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "bench tls: out of memory");
        *out = peer;
        static const char *const names[] = { "localhost" };
        TRY(key_generate(&peer->key, KEY_ALG_EC_P256, err));
        time_t now = time(NULL);
        struct cert_issue_params params = { .subject_key = peer->key, .common_name = "localhost",
                                            .dns_names = names, .num_dns_names = 1, .not_before = now - 60,
                                            .not_after = now + 86400, .is_ca = true,
                                            .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE };
        TRY(cert_issue(&peer->cert, &params, err));
        TRY(bench_tls_peer_contexts(peer, err));
        TRY(bench_tls_peer_pair(peer, NULL, &peer->bulk_client, &peer->bulk_server, err));
        peer->session = SSL_get1_session(peer->bulk_client);
        if (peer->session == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: no session");
        return SMT_OK;
}

void bench_tls_peer_free(struct bench_tls_peer *peer)
{
        if (peer == NULL)
                return;
        SSL_free(peer->bulk_client);
        SSL_free(peer->bulk_server);
        SSL_SESSION_free(peer->session);
        SSL_CTX_free(peer->server_ctx);
        SSL_CTX_free(peer->client_ctx);
        cert_free(peer->cert);
        key_free(peer->key);
        free(peer);
}

int bench_tls_peer_full(void *arg, struct err *err)
{
        struct bench_tls_peer *peer = arg;
        peer->is_timing = true;
        int status = bench_tls_peer_pair(peer, NULL, NULL, NULL, err);
        peer->is_timing = false;
        return status;
}

double bench_tls_peer_server_cpu_us(const struct bench_tls_peer *peer)
{
        return bench_cpu_us(&peer->server_cpu);
}

int bench_tls_peer_resumed(void *arg, struct err *err)
{
        struct bench_tls_peer *peer = arg;
        return bench_tls_peer_pair(peer, peer->session, NULL, NULL, err);
}

int bench_tls_peer_bulk(void *arg, struct err *err)
{
        struct bench_tls_peer *peer = arg;
        if (SSL_write(peer->bulk_client, peer->chunk, BENCH_TLS_CHUNK) != BENCH_TLS_CHUNK)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: write");
        int total = 0;
        while (total < BENCH_TLS_CHUNK) {
                int n = SSL_read(peer->bulk_server, peer->chunk, BENCH_TLS_CHUNK);
                if (n <= 0)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "bench tls: read");
                total += n;
        }
        return SMT_OK;
}
