/* tests/unit/tlcp/test_handshake_resume.c: session ID resumption (GB/T 38636-2020 §6.4.5.1 figure 3) between
 * our client and our server: the abbreviated handshake, the cache's lifetime and size limits, and the
 * cases where a full handshake must happen instead. */
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
#include "tlcp/conn.h"
#include "tlcp/session_cache.h"

static struct handshake_fixture_pki pki;

static void load_pki(void)
{
        if (pki.ca == NULL)
                handshake_fixture_pki_load(&pki);
}

/* handshake runs one connection with cache on the server and resume offered by the client; it returns
 * whether it resumed (checked to be the same on both sides), and the client's new session in *session. */
static bool handshake(struct tlcp_session_cache *cache, const struct tlcp_session *resume, uint16_t suite,
                      time_t server_time, const char *server_name, struct tlcp_session *session)
{
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        uint16_t suites[] = {suite};
        f.client_config.suites = suites;
        f.client_config.num_suites = 1;
        f.client_config.client_credentials = &pki.client;
        f.client_config.resume = resume;
        f.client_config.server_name = server_name;
        f.server_config.session_cache = cache;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_OPTIONAL;
        f.server_config.trust = pki.trust;
        f.server_config.verify_time = server_time;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        if (f.client_status != 0 || f.server_status != 0)
                check_fail(__FILE__, __LINE__, "handshake: client %s (%s), server %s (%s)", err_name(f.client_status),
                           f.client_err.msg, err_name(f.server_status), f.server_err.msg);
        bool is_resumed = tlcp_conn_is_resumed(f.client);
        CHECK_EQ(tlcp_conn_is_resumed(f.server), is_resumed);
        CHECK_EQ(tlcp_conn_get_suite(f.client)->id, suite);
        /* Application data works with the resumed keys. */
        struct err err = {0};
        uint8_t buf[5];
        CHECK_OK(tlcp_conn_write(f.client, (const uint8_t *)"hello", 5, &err), &err);
        handshake_fixture_transfer(&f);
        CHECK_OK(handshake_fixture_read(&f, f.server, buf, 5, &err), &err);
        CHECK_MEM(buf, "hello", 5);
        CHECK_OK(tlcp_conn_write(f.server, (const uint8_t *)"world", 5, &err), &err);
        handshake_fixture_transfer(&f);
        CHECK_OK(handshake_fixture_read(&f, f.client, buf, 5, &err), &err);
        CHECK_MEM(buf, "world", 5);
        const struct tlcp_session *made = tlcp_conn_get_session(f.client);
        CHECK(made != NULL);
        *session = *made;
        handshake_fixture_cleanup(&f);
        return is_resumed;
}

static struct tlcp_session_cache *new_cache(size_t max_entries, time_t lifetime)
{
        struct err err = {0};
        struct tlcp_session_cache *cache = NULL;
        CHECK_OK(tlcp_session_cache_new(&cache, max_entries, lifetime, &err), &err);
        return cache;
}

/* A second connection offering the first one's session resumes it, for every suite; the session keeps its
 * ID and master secret, and resumes again. */
static void test_resumes_every_suite(void)
{
        load_pki();
        size_t n;
        const struct tlcp_suite *all = tlcp_suite_all(&n);
        for (size_t i = 0; i < n; i++) {
                struct tlcp_session_cache *cache = new_cache(10, 3600);
                struct tlcp_session first, second, third;
                CHECK(!handshake(cache, NULL, (uint16_t)all[i].id, HANDSHAKE_FIXTURE_TIME, "localhost", &first));
                CHECK_EQ(first.id_len, 32);
                CHECK_EQ(first.suite_id, all[i].id);
                CHECK_STR(first.server_name, "localhost");
                CHECK_EQ(tlcp_session_cache_count(cache), 1);
                CHECK(handshake(cache, &first, (uint16_t)all[i].id, HANDSHAKE_FIXTURE_TIME, "localhost", &second));
                CHECK_EQ(second.id_len, first.id_len);
                CHECK_MEM(second.id, first.id, first.id_len);
                CHECK_MEM(second.master_secret, first.master_secret, TLCP_MASTER_SECRET_LEN);
                CHECK(handshake(cache, &second, (uint16_t)all[i].id, HANDSHAKE_FIXTURE_TIME + 10, "localhost", &third));
                tlcp_session_cache_free(cache);
        }
}

/* Past the cache lifetime the server forgets the session: a full handshake with a new session ID. */
static void test_expired_session_is_not_resumed(void)
{
        load_pki();
        struct tlcp_session_cache *cache = new_cache(10, 600);
        struct tlcp_session first, second;
        CHECK(!handshake(cache, NULL, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &first));
        CHECK(handshake(cache, &first, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME + 599, "localhost", &second));
        CHECK(!handshake(cache, &first, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME + 600, "localhost", &second));
        CHECK(memcmp(second.id, first.id, 32) != 0);
        tlcp_session_cache_free(cache);
}

/* A full cache drops its oldest session for a new one. */
static void test_cache_size_limit_evicts_oldest(void)
{
        load_pki();
        struct tlcp_session_cache *cache = new_cache(2, 3600);
        struct tlcp_session a, b, c, again;
        CHECK(!handshake(cache, NULL, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &a));
        CHECK(!handshake(cache, NULL, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &b));
        CHECK(!handshake(cache, NULL, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &c));
        CHECK_EQ(tlcp_session_cache_count(cache), 2);
        CHECK(handshake(cache, &c, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &again));
        CHECK(handshake(cache, &b, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &again));
        CHECK(!handshake(cache, &a, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &again));
        tlcp_session_cache_free(cache);
}

/* A session is resumed only with its own suite and for its own server name (RFC 6066 §3); a server
 * without a cache sends an empty session ID, which the client cannot offer again. */
static void test_session_needs_same_suite_and_name(void)
{
        load_pki();
        struct tlcp_session_cache *cache = new_cache(10, 3600);
        struct tlcp_session first, other;
        CHECK(!handshake(cache, NULL, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &first));
        CHECK(!handshake(cache, &first, TLCP_ECC_SM4_CBC_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &other));
        CHECK(!handshake(cache, &first, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME, "127.0.0.1", &other));
        CHECK(handshake(cache, &first, TLCP_ECC_SM4_GCM_SM3, HANDSHAKE_FIXTURE_TIME, "localhost", &other));
        tlcp_session_cache_free(cache);

        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        CHECK_EQ(f.client_status, 0);
        CHECK(tlcp_conn_get_session(f.client) == NULL);
        handshake_fixture_cleanup(&f);
}

/* resume_once runs one connection offering session to a server with cache and client_auth; the client has
 * its pair when has_pair. It returns the fixture after the handshake (the caller cleans it up). */
static void resume_once(struct handshake_fixture *f, struct tlcp_session_cache *cache,
                        const struct tlcp_session *session, enum tlcp_client_auth client_auth, bool has_pair)
{
        handshake_fixture_init(f, &pki);
        f->client_config.resume = session;
        f->client_config.client_credentials = has_pair ? &pki.client : NULL;
        f->server_config.session_cache = cache;
        f->server_config.client_auth = client_auth;
        f->server_config.trust = pki.trust;
        handshake_fixture_start(f);
        handshake_fixture_run(f);
        if (f->client_status != 0 || f->server_status != 0)
                check_fail(__FILE__, __LINE__, "handshake: client %s (%s), server %s (%s)", err_name(f->client_status),
                           f->client_err.msg, err_name(f->server_status), f->server_err.msg);
}

static void check_client_subject(const struct cert *cert)
{
        struct err err = {0};
        char subject[CERT_NAME_TEXT_MAX];
        CHECK(cert != NULL);
        CHECK_OK(cert_subject_text(cert, subject, sizeof subject, &err), &err);
        CHECK_STR(subject, "C=CN, O=SM2 Test Bench, CN=tlcp-client");
}

/* A server that authenticated the client in the full handshake still knows it on a resumed connection:
 * the session cache keeps the client's certificates and hands the connection its own copies, for every
 * suite. A client keeps no server certificates across resumption (it verified them when it made the
 * session). */
static void test_resumed_server_keeps_client_certificates(void)
{
        load_pki();
        size_t n;
        const struct tlcp_suite *all = tlcp_suite_all(&n);
        for (size_t i = 0; i < n; i++) {
                struct tlcp_session_cache *cache = new_cache(10, 3600);
                struct tlcp_session first;
                CHECK(!handshake(cache, NULL, (uint16_t)all[i].id, HANDSHAKE_FIXTURE_TIME, "localhost", &first));
                struct handshake_fixture f;
                resume_once(&f, cache, &first, TLCP_CLIENT_AUTH_REQUIRED, true);
                CHECK(tlcp_conn_is_resumed(f.server));
                check_client_subject(tlcp_conn_get_peer_sign_cert(f.server));
                check_client_subject(tlcp_conn_get_peer_enc_cert(f.server));
                CHECK(tlcp_conn_get_peer_sign_cert(f.client) == NULL);
                handshake_fixture_cleanup(&f);
                /* the cache still holds its own copies for the next resumption (the client sends no
                 * certificates in an abbreviated handshake; it keeps its pair only to offer ECDHE) */
                resume_once(&f, cache, &first, TLCP_CLIENT_AUTH_OPTIONAL, true);
                CHECK(tlcp_conn_is_resumed(f.server));
                check_client_subject(tlcp_conn_get_peer_sign_cert(f.server));
                handshake_fixture_cleanup(&f);
                tlcp_session_cache_free(cache);
        }
}

/* A session made without client certificates resumes unauthenticated where they are optional, and never
 * where they are required (one cache shared by two server configurations): there the client goes through
 * a full handshake and authenticates. */
static void test_unauthenticated_session_not_resumed_when_required(void)
{
        load_pki();
        struct tlcp_session_cache *cache = new_cache(10, 3600);
        struct handshake_fixture f;
        resume_once(&f, cache, NULL, TLCP_CLIENT_AUTH_NONE, false);
        struct tlcp_session first = *tlcp_conn_get_session(f.client);
        handshake_fixture_cleanup(&f);
        resume_once(&f, cache, &first, TLCP_CLIENT_AUTH_OPTIONAL, true);
        CHECK(tlcp_conn_is_resumed(f.server));
        CHECK(tlcp_conn_get_peer_sign_cert(f.server) == NULL);
        handshake_fixture_cleanup(&f);
        resume_once(&f, cache, &first, TLCP_CLIENT_AUTH_REQUIRED, true);
        CHECK(!tlcp_conn_is_resumed(f.server));
        CHECK(!tlcp_conn_is_resumed(f.client));
        check_client_subject(tlcp_conn_get_peer_sign_cert(f.server));
        handshake_fixture_cleanup(&f);
        tlcp_session_cache_free(cache);
}

static void test_cleanup(void)
{
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_resumes_every_suite), CHECK_TEST(test_expired_session_is_not_resumed),
           CHECK_TEST(test_cache_size_limit_evicts_oldest), CHECK_TEST(test_session_needs_same_suite_and_name),
           CHECK_TEST(test_resumed_server_keeps_client_certificates),
           CHECK_TEST(test_unauthenticated_session_not_resumed_when_required), CHECK_TEST(test_cleanup))
