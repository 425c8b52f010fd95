/* bench/tlcp_bench.c: TLCP full and resumed handshakes per second and bulk MB/s per suite, client and server
 * in one process (the cost of both sides), next to OpenSSL doing the same with TLS 1.2
 * ECDHE-ECDSA-AES128-GCM-SHA256 on P-256 in memory; and the server's own CPU time per full handshake
 * (its calls timed with the thread's CPU clock), which is what a gateway pays per new client. OpenSSL is the peer that exists here in the same run; it
 * is a different protocol, so the ratio says what TLCP with SM2/SM4 costs against the TLS most sites use. */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "tlcp/conn.h"
#include "tlcp/session_cache.h"
#include "bench/tls_peer.h"

#define BENCH_TLCP_CHUNK 16384

struct bench_tlcp_pki {
        struct key *ca_key, *sign_key, *enc_key, *client_sign_key, *client_enc_key;
        struct cert *ca, *sign, *enc, *client_sign, *client_enc;
        struct cert_store *trust;
        struct tlcp_credentials server, client;
        struct tlcp_session_cache *cache;
};

static int bench_tlcp_issue(struct cert **out, const struct key *subject, const struct bench_tlcp_pki *pki,
                            const char *cn, unsigned key_usage, struct err *err)
{
        static const char *const names[] = { "localhost" };
        time_t now = time(NULL);
        struct cert_issue_params params = {
                .subject_key = subject,
                .issuer_key = pki->ca != NULL ? pki->ca_key : NULL,
                .issuer_cert = pki->ca,
                .common_name = cn,
                .dns_names = pki->ca != NULL ? names : NULL,
                .num_dns_names = pki->ca != NULL ? 1 : 0,
                .not_before = now - 60,
                .not_after = now + 86400,
                .is_ca = pki->ca == NULL,
                .key_usage = key_usage,
        };
        return cert_issue(out, &params, err);
}

static int bench_tlcp_pki_init(struct bench_tlcp_pki *pki, struct err *err)
{
        memset(pki, 0, sizeof *pki);
        TRY(key_generate(&pki->ca_key, KEY_ALG_SM2, err));
        TRY(key_generate(&pki->sign_key, KEY_ALG_SM2, err));
        TRY(key_generate(&pki->enc_key, KEY_ALG_SM2, err));
        TRY(key_generate(&pki->client_sign_key, KEY_ALG_SM2, err));
        TRY(key_generate(&pki->client_enc_key, KEY_ALG_SM2, err));
        TRY(bench_tlcp_issue(&pki->ca, pki->ca_key, pki, "bench CA", 0, err));
        TRY(bench_tlcp_issue(&pki->sign, pki->sign_key, pki, "localhost", CERT_KEY_USAGE_DIGITAL_SIGNATURE, err));
        TRY(bench_tlcp_issue(&pki->enc, pki->enc_key, pki, "localhost",
                             CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                                     CERT_KEY_USAGE_KEY_AGREEMENT,
                             err));
        TRY(bench_tlcp_issue(&pki->client_sign, pki->client_sign_key, pki, "client", CERT_KEY_USAGE_DIGITAL_SIGNATURE,
                             err));
        TRY(bench_tlcp_issue(&pki->client_enc, pki->client_enc_key, pki, "client",
                             CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_KEY_AGREEMENT, err));
        TRY(cert_store_new(&pki->trust, err));
        TRY(cert_store_add(pki->trust, pki->ca, err));
        TRY(tlcp_session_cache_new(&pki->cache, 1024, 3600, err));
        pki->server = (struct tlcp_credentials){ pki->sign, pki->enc, NULL, pki->sign_key, pki->enc_key };
        pki->client = (struct tlcp_credentials){ pki->client_sign, pki->client_enc, NULL, pki->client_sign_key,
                                                 pki->client_enc_key };
        return SMT_OK;
}

static void bench_tlcp_pki_cleanup(struct bench_tlcp_pki *pki)
{
        tlcp_session_cache_free(pki->cache);
        cert_store_free(pki->trust);
        cert_free(pki->ca);
        cert_free(pki->sign);
        cert_free(pki->enc);
        cert_free(pki->client_sign);
        cert_free(pki->client_enc);
        key_free(pki->ca_key);
        key_free(pki->sign_key);
        key_free(pki->enc_key);
        key_free(pki->client_sign_key);
        key_free(pki->client_enc_key);
}

/* bench_tlcp_move hands everything one side has to send to the other. */
static int bench_tlcp_move(struct tlcp_conn *from, struct tlcp_conn *to, bool *moved, struct err *err)
{
        const uint8_t *data;
        size_t len;
        while ((len = tlcp_conn_peek_output(from, &data)) > 0) {
                size_t consumed = 0;
                TRY(tlcp_conn_put_input(to, data, len, &consumed, err));
                if (consumed == 0)
                        return SMT_OK; /* the receiver is full: let it process first */
                tlcp_conn_consume_output(from, consumed);
                *moved = true;
        }
        return SMT_OK;
}

/* bench_tlcp_step lets one side work on what it has and move its output across; SMT_EAGAIN is progress. */
static int bench_tlcp_step(struct tlcp_conn *self, struct tlcp_conn *peer, int *status, bool *moved,
                           struct err *err)
{
        if (*status != SMT_OK) {
                *status = tlcp_conn_handshake(self, err);
                if (*status < 0 && *status != SMT_EAGAIN)
                        return *status;
        }
        return bench_tlcp_move(self, peer, moved, err);
}

/* bench_tlcp_pump runs a handshake to its end; server_cpu (NULL: not timed) gets the server's steps. */
static int bench_tlcp_pump(struct tlcp_conn *client, struct tlcp_conn *server, struct bench_cpu *server_cpu,
                           struct err *err)
{
        int client_status = SMT_EAGAIN, server_status = SMT_EAGAIN;
        for (int round = 0; round < 64; round++) {
                bool moved = false;
                TRY(bench_tlcp_step(client, server, &client_status, &moved, err));
                if (server_cpu != NULL)
                        bench_cpu_start(server_cpu);
                int status = bench_tlcp_step(server, client, &server_status, &moved, err);
                if (server_cpu != NULL)
                        bench_cpu_stop(server_cpu);
                TRY(status);
                if (client_status == SMT_OK && server_status == SMT_OK && !moved)
                        return SMT_OK;
        }
        return SMT_ERR(err, SMT_EINTERNAL, "bench tlcp: the handshake did not finish");
}

struct bench_tlcp_suite_run {
        struct bench_tlcp_pki *pki;
        uint16_t suite_id;
        struct tlcp_config client_config, server_config;
        struct tlcp_session session; /* for resumed handshakes */
        struct tlcp_conn *bulk_client, *bulk_server;
        uint8_t *chunk;
        struct bench_cpu server_cpu; /* the server's share of the full handshakes (bench_tlcp_full) */
};

/* bench_tlcp_server_new and _free: the server's connection, timed with its handshake when cpu is set. */
static int bench_tlcp_server_new(struct tlcp_conn **out, const struct tlcp_config *config, struct bench_cpu *cpu,
                                 struct err *err)
{
        if (cpu != NULL)
                bench_cpu_start(cpu);
        int status = tlcp_conn_new(out, config, err);
        if (cpu != NULL)
                bench_cpu_stop(cpu);
        return status;
}

static void bench_tlcp_server_free(struct tlcp_conn *server, struct bench_cpu *cpu)
{
        if (cpu != NULL)
                bench_cpu_start(cpu);
        tlcp_conn_free(server);
        if (cpu != NULL) {
                bench_cpu_stop(cpu);
                cpu->count++;
        }
}

static int bench_tlcp_handshake_pair(struct bench_tlcp_suite_run *run, const struct tlcp_session *resume,
                                     struct bench_cpu *server_cpu, struct tlcp_conn **out_client,
                                     struct tlcp_conn **out_server, struct err *err)
{
        struct tlcp_config client_config = run->client_config;
        client_config.resume = resume;
        struct tlcp_conn *client = NULL, *server = NULL;
        int status = tlcp_conn_new(&client, &client_config, err);
        if (status == SMT_OK)
                status = bench_tlcp_server_new(&server, &run->server_config, server_cpu, err);
        if (status == SMT_OK)
                status = bench_tlcp_pump(client, server, server_cpu, err);
        if (status == SMT_OK && resume != NULL && !tlcp_conn_is_resumed(client))
                status = SMT_ERR(err, SMT_EINTERNAL, "bench tlcp: the session did not resume");
        if (status == SMT_OK && out_client != NULL) {
                *out_client = client;
                *out_server = server;
                return SMT_OK;
        }
        tlcp_conn_free(client);
        bench_tlcp_server_free(server, server_cpu);
        return status;
}

static int bench_tlcp_full(void *arg, struct err *err)
{
        struct bench_tlcp_suite_run *run = arg;
        return bench_tlcp_handshake_pair(run, NULL, &run->server_cpu, NULL, NULL, err);
}

static int bench_tlcp_resumed(void *arg, struct err *err)
{
        struct bench_tlcp_suite_run *run = arg;
        return bench_tlcp_handshake_pair(run, &run->session, NULL, NULL, NULL, err);
}

/* bench_tlcp_bulk seals one 16 KiB record on the client and opens it on the server. */
static int bench_tlcp_bulk(void *arg, struct err *err)
{
        struct bench_tlcp_suite_run *run = arg;
        TRY(tlcp_conn_write(run->bulk_client, run->chunk, BENCH_TLCP_CHUNK, err));
        bool moved = false;
        TRY(bench_tlcp_move(run->bulk_client, run->bulk_server, &moved, err));
        size_t total = 0;
        while (total < BENCH_TLCP_CHUNK) {
                size_t len = 0;
                TRY(tlcp_conn_read(run->bulk_server, run->chunk, BENCH_TLCP_CHUNK, &len, err));
                total += len;
        }
        return SMT_OK;
}

static int bench_tlcp_run_init(struct bench_tlcp_suite_run *run, struct bench_tlcp_pki *pki, uint16_t suite_id,
                               struct err *err)
{
        memset(run, 0, sizeof *run);
        run->pki = pki;
        run->suite_id = suite_id;
        tlcp_config_init(&run->client_config, TLCP_ROLE_CLIENT);
        run->client_config.suites = &run->suite_id;
        run->client_config.num_suites = 1;
        run->client_config.trust = pki->trust;
        run->client_config.server_name = "localhost";
        /* Mutual authentication only where the suite demands it (ECDHE), as a browser would do. */
        bool is_ecdhe = tlcp_suite_lookup(suite_id)->key_exchange == TLCP_KEY_EXCHANGE_ECDHE;
        run->client_config.client_credentials = is_ecdhe ? &pki->client : NULL;
        tlcp_config_init(&run->server_config, TLCP_ROLE_SERVER);
        run->server_config.credentials = &pki->server;
        run->server_config.trust = pki->trust;
        run->server_config.client_auth = is_ecdhe ? TLCP_CLIENT_AUTH_OPTIONAL : TLCP_CLIENT_AUTH_NONE;
        run->server_config.session_cache = pki->cache;
        run->chunk = calloc(1, BENCH_TLCP_CHUNK);
        if (run->chunk == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "bench tlcp: out of memory");
        TRY(bench_tlcp_handshake_pair(run, NULL, NULL, &run->bulk_client, &run->bulk_server, err));
        const struct tlcp_session *session = tlcp_conn_get_session(run->bulk_client);
        if (session == NULL || session->id_len == 0)
                return SMT_ERR(err, SMT_EINTERNAL, "bench tlcp: no resumable session");
        run->session = *session;
        return SMT_OK;
}

static void bench_tlcp_run_cleanup(struct bench_tlcp_suite_run *run)
{
        tlcp_conn_free(run->bulk_client);
        tlcp_conn_free(run->bulk_server);
        tlcp_session_wipe(&run->session);
        free(run->chunk);
}

/* Each suite gives four rows; their names must outlive the results, hence the static table. */
#define BENCH_TLCP_ROWS 4
static const char *const bench_tlcp_row_names[][BENCH_TLCP_ROWS] = {
        { "ECC_SM4_GCM_SM3 full", "ECC_SM4_GCM_SM3 resumed", "ECC_SM4_GCM_SM3 16 KiB",
          "ECC_SM4_GCM_SM3 full, server" },
        { "ECC_SM4_CBC_SM3 full", "ECC_SM4_CBC_SM3 resumed", "ECC_SM4_CBC_SM3 16 KiB",
          "ECC_SM4_CBC_SM3 full, server" },
        { "ECDHE_SM4_GCM_SM3 full+mutual", "ECDHE_SM4_GCM_SM3 resumed", "ECDHE_SM4_GCM_SM3 16 KiB",
          "ECDHE_SM4_GCM_SM3 full, server" },
        { "ECDHE_SM4_CBC_SM3 full+mutual", "ECDHE_SM4_CBC_SM3 resumed", "ECDHE_SM4_CBC_SM3 16 KiB",
          "ECDHE_SM4_CBC_SM3 full, server" },
};

static int bench_tlcp_suite(struct bench_result *rows, struct bench_tlcp_pki *pki, struct bench_tls_peer *peer,
                            size_t suite_index, const struct bench_options *options, struct err *err)
{
        size_t num_suites;
        const struct tlcp_suite *suite = &tlcp_suite_all(&num_suites)[suite_index];
        if (strncmp(bench_tlcp_row_names[suite_index][0], suite->name, strlen(suite->name)) != 0)
                return SMT_ERR(err, SMT_EINTERNAL, "bench tlcp: row names out of step with the suite table");
        struct bench_tlcp_suite_run run;
        int status = bench_tlcp_run_init(&run, pki, (uint16_t)suite->id, err);
        static const bench_step_fn ours[] = { bench_tlcp_full, bench_tlcp_resumed, bench_tlcp_bulk };
        static const bench_step_fn theirs[] = { bench_tls_peer_full, bench_tls_peer_resumed, bench_tls_peer_bulk };
        static const char *const peer_names[] = { "OpenSSL TLS 1.2 ECDHE-ECDSA P-256 full",
                                                  "OpenSSL TLS 1.2 session-ID resumption",
                                                  "OpenSSL TLS 1.2 AES-128-GCM 16 KiB" };
        for (size_t i = 0; status == SMT_OK && i < 3; i++) {
                rows[i] = (struct bench_result){ .operation = bench_tlcp_row_names[suite_index][i],
                                                 .peer = peer_names[i],
                                                 .unit = i == 2 ? BENCH_UNIT_BYTES : BENCH_UNIT_OPS };
                status = bench_compare(&rows[i], ours[i], &run, theirs[i], peer, BENCH_TLCP_CHUNK, options, err);
        }
        /* the server's CPU per full handshake, from the full handshakes just measured (the peer's figure
         * covers every suite's rounds: it is the same handshake each time) */
        rows[3] = (struct bench_result){ .operation = bench_tlcp_row_names[suite_index][3],
                                         .peer = "OpenSSL TLS 1.2 ECDHE-ECDSA P-256 server CPU",
                                         .unit = BENCH_UNIT_CPU_US,
                                         .ours = bench_cpu_us(&run.server_cpu),
                                         .peer_rate = bench_tls_peer_server_cpu_us(peer) };
        bench_tlcp_run_cleanup(&run);
        return status;
}

int bench_tlcp_run(struct bench_result *results, size_t *num_results, const struct bench_options *options,
                   struct err *err)
{
        struct bench_tlcp_pki pki;
        struct bench_tls_peer *peer = NULL;
        size_t num_suites;
        tlcp_suite_all(&num_suites);
        int status = bench_tlcp_pki_init(&pki, err);
        if (status == SMT_OK)
                status = bench_tls_peer_new(&peer, err);
        size_t n = 0;
        for (size_t i = 0; status == SMT_OK && i < num_suites && n + BENCH_TLCP_ROWS <= BENCH_TLCP_MAX; i++) {
                status = bench_tlcp_suite(&results[n], &pki, peer, i, options, err);
                if (status == SMT_OK)
                        n += BENCH_TLCP_ROWS;
        }
        bench_tls_peer_free(peer);
        bench_tlcp_pki_cleanup(&pki);
        *num_results = n;
        return status;
}
