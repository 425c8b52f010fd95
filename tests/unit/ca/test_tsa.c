/* tests/unit/ca/test_tsa.c: the CA's time-stamping authority (ca/tsa.h) without HTTP. Proven here: the TSA CAs
 * default to document-*, else code-* CAs; SM3 queries get SM2 tokens and SHA-2 ones ECC tokens (each verifies
 * against its own root only), /tsa/sm2 signs SHA-2 queries too; 8 threads asking at once get 1,600 tokens whose
 * genTimes are all distinct and increasing per thread and whose serials are all distinct; refusals carry the
 * failure bit; a second start keeps the TSA certificates; tsa.enabled false serves nothing. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "ca/tsa.h"
#include "check.h"
#include "crypto/tsp.h"

static const char test_yaml[] = "organization: TSA Test\n"
                                "state_dir: state\n"
                                "listen: 127.0.0.1:14000\n"
                                "base_url: https://127.0.0.1:14000\n"
                                "ecc_root: {algorithm: ec-p256}\n"
                                "issuing_cas:\n"
                                "  - {name: code-sm2, kind: code-sm2, common_name: TSA Test SM2 Code CA}\n"
                                "  - {name: doc-ecc, kind: document-ecc, common_name: TSA Test ECC Document CA}\n"
                                "  - {name: code-ecc, kind: code-ecc, common_name: TSA Test ECC Code CA}\n";

static struct ca_config test_config;
static struct ca_authorities *test_cas;

static void test_setup(void)
{
        struct config_errors *errors = calloc(1, sizeof *errors);
        struct ca_init_report report;
        struct err err = {0};
        CHECK_EQ(ca_config_load_string(&test_config, "ca.yaml", test_yaml, strlen(test_yaml), check_temp_dir(), errors),
                 0);
        free(errors);
        CHECK_OK(ca_init(&test_config, &report, &err), &err);
        CHECK_OK(ca_authorities_load(&test_cas, &test_config, &err), &err);
}

static void test_teardown(void)
{
        ca_authorities_free(test_cas);
        ca_config_free(&test_config);
}

/* make_query builds a query for data with hash and a nonce. */
static void make_query(struct buf_writer *out, enum tsp_hash hash, const char *data, const char *policy)
{
        struct tsp_imprint imprint;
        uint8_t nonce[TSP_NONCE_MAX];
        size_t nonce_len = 0;
        struct err err = {0};
        CHECK_OK(tsp_imprint_make(&imprint, hash, (const uint8_t *)data, strlen(data), &err), &err);
        CHECK_OK(tsp_nonce_generate(nonce, &nonce_len, &err), &err);
        struct tsp_request_params p = {
            .imprint = &imprint, .policy = policy, .nonce = nonce, .nonce_len = nonce_len, .cert_req = true};
        buf_writer_init_heap(out, TSP_REQUEST_MAX);
        CHECK_OK(tsp_request_build(out, &p, &err), &err);
}

/* ask sends a query and reads the reply's TSTInfo (the reply must be granted). */
static void ask(struct ca_tsa *tsa, enum ca_tsa_family family, enum tsp_hash hash, const char *data,
                struct buf_writer *reply, struct tsp_tst_info *info)
{
        struct buf_writer query;
        struct err err = {0};
        make_query(&query, hash, data, NULL);
        buf_writer_init_heap(reply, TSP_RESPONSE_MAX);
        CHECK_OK(ca_tsa_answer(tsa, family, query.data, query.len, reply, &err), &err);
        buf_writer_cleanup(&query);
        struct tsp_response resp;
        struct buf_reader type, content;
        CHECK_OK(tsp_response_parse(&resp, reply->data, reply->len, &err), &err);
        CHECK_EQ(resp.status, TSP_STATUS_GRANTED);
        CHECK_OK(tsp_token_content(resp.token.data, resp.token.len, &type, &content, &err), &err);
        CHECK_OK(tsp_tst_info_parse(info, content.data, content.len, &err), &err);
}

/* verify_with checks reply's token for data against the root at index root (0 SM2, 1 ECC). */
static int verify_with(const struct buf_writer *reply, const char *data, size_t root, struct tsp_verified *out)
{
        struct tsp_response resp;
        struct cert_store *trust = NULL;
        struct err err = {0};
        CHECK_OK(tsp_response_parse(&resp, reply->data, reply->len, &err), &err);
        CHECK_OK(cert_store_new(&trust, &err), &err);
        CHECK_OK(cert_store_add(trust, cert_chain_get(ca_authorities_roots(test_cas), root), &err), &err);
        struct tsp_verify_params p = {.data = (const uint8_t *)data, .data_len = strlen(data), .trust = trust};
        int status = tsp_token_verify(out, resp.token.data, resp.token.len, &p, &err);
        cert_store_free(trust);
        return status;
}

static void test_families_and_routing(void)
{
        struct ca_tsa *tsa = NULL;
        struct err err = {0};
        CHECK_STR(test_config.tsa.sm2_ca, "code-sm2"); /* no document-sm2: the code-signing CA */
        CHECK_STR(test_config.tsa.ecc_ca, "doc-ecc");
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        CHECK(tsa != NULL && ca_tsa_has(tsa, CA_TSA_SM2) && ca_tsa_has(tsa, CA_TSA_ECC));
        struct buf_writer reply;
        struct tsp_tst_info info;
        struct tsp_verified v;
        ask(tsa, CA_TSA_AUTO, TSP_HASH_SM3, "sm3 data", &reply, &info);
        CHECK_OK(verify_with(&reply, "sm3 data", 0, &v), &err);
        CHECK(v.is_sm2 && strstr(v.tsa_subject, "code-sm2") != NULL);
        CHECK(verify_with(&reply, "sm3 data", 1, &v) < 0);
        buf_writer_cleanup(&reply);
        ask(tsa, CA_TSA_AUTO, TSP_HASH_SHA384, "sha data", &reply, &info);
        CHECK_OK(verify_with(&reply, "sha data", 1, &v), &err);
        CHECK(!v.is_sm2 && strstr(v.tsa_subject, "doc-ecc") != NULL);
        CHECK(verify_with(&reply, "sha data", 0, &v) < 0);
        buf_writer_cleanup(&reply);
        ask(tsa, CA_TSA_SM2, TSP_HASH_SHA256, "sha to sm2", &reply, &info);
        CHECK_OK(verify_with(&reply, "sha to sm2", 0, &v), &err);
        CHECK(v.is_sm2);
        CHECK_EQ(info.accuracy_seconds, 1); /* the default accuracy, 1 s */
        buf_writer_cleanup(&reply);
        ca_tsa_stop(tsa);
}

static void test_refusals(void)
{
        struct ca_tsa *tsa = NULL;
        struct err err = {0};
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        struct buf_writer query, reply;
        struct tsp_response resp;
        make_query(&query, TSP_HASH_SHA256, "x", "1.2.3.4");
        for (size_t cut = 0; cut <= query.len; cut++) {
                buf_writer_init_heap(&reply, TSP_RESPONSE_MAX);
                CHECK_OK(ca_tsa_answer(tsa, CA_TSA_AUTO, query.data, cut, &reply, &err), &err);
                CHECK_OK(tsp_response_parse(&resp, reply.data, reply.len, &err), &err);
                CHECK_EQ(resp.status, TSP_STATUS_REJECTION);
                CHECK_EQ(resp.failure_info,
                         cut == query.len ? TSP_FAILURE_UNACCEPTED_POLICY : TSP_FAILURE_BAD_DATA_FORMAT);
                buf_writer_cleanup(&reply);
        }
        buf_writer_cleanup(&query);
        ca_tsa_stop(tsa);
}

struct test_worker {
        struct ca_tsa *tsa;
        int index;
        int64_t times[200];
        uint8_t serials[200][TSP_SERIAL_MAX + 1];
};

static void *test_worker_run(void *arg)
{
        struct test_worker *w = arg;
        for (int i = 0; i < 200; i++) {
                struct buf_writer reply;
                struct tsp_tst_info info;
                ask(w->tsa, CA_TSA_AUTO, (i + w->index) % 2 ? TSP_HASH_SM3 : TSP_HASH_SHA256, "load", &reply, &info);
                w->times[i] = info.gen_time_us;
                CHECK(info.serial_len <= TSP_SERIAL_MAX + 1);
                memset(w->serials[i], 0, sizeof w->serials[i]);
                memcpy(w->serials[i] + (TSP_SERIAL_MAX + 1 - info.serial_len), info.serial, info.serial_len);
                buf_writer_cleanup(&reply);
        }
        return NULL;
}

static int compare_times(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

static int compare_serials(const void *a, const void *b)
{
        return memcmp(a, b, TSP_SERIAL_MAX + 1);
}

static void test_threads_get_distinct_times_and_serials(void)
{
        enum { num_threads = 8 };
        struct ca_tsa *tsa = NULL;
        struct err err = {0};
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        struct test_worker *workers = calloc(num_threads, sizeof *workers);
        pthread_t threads[num_threads];
        CHECK(workers != NULL);
        for (int t = 0; t < num_threads; t++) {
                workers[t] = (struct test_worker){.tsa = tsa, .index = t};
                CHECK_EQ(pthread_create(&threads[t], NULL, test_worker_run, &workers[t]), 0);
        }
        for (int t = 0; t < num_threads; t++)
                CHECK_EQ(pthread_join(threads[t], NULL), 0);
        int64_t *times = calloc(num_threads * 200, sizeof *times);
        uint8_t(*serials)[TSP_SERIAL_MAX + 1] = calloc(num_threads * 200, sizeof *serials);
        CHECK(times != NULL && serials != NULL);
        for (int t = 0; t < num_threads; t++)
                for (int i = 0; i < 200; i++) {
                        if (i > 0)
                                CHECK(workers[t].times[i] > workers[t].times[i - 1]);
                        times[t * 200 + i] = workers[t].times[i];
                        memcpy(serials[t * 200 + i], workers[t].serials[i], TSP_SERIAL_MAX + 1);
                }
        qsort(times, num_threads * 200, sizeof *times, compare_times);
        qsort(serials, num_threads * 200, sizeof *serials, compare_serials);
        for (int i = 1; i < num_threads * 200; i++) {
                CHECK(times[i] > times[i - 1]);
                CHECK(memcmp(serials[i], serials[i - 1], TSP_SERIAL_MAX + 1) != 0);
        }
        int64_t now = (int64_t)time(NULL) * 1000000;
        CHECK(times[num_threads * 200 - 1] <= now + 1000000); /* never ahead of the clock by a second */
        free(times);
        free(serials);
        free(workers);
        ca_tsa_stop(tsa);
}

static void test_restart_keeps_certificates_and_disabled_serves_nothing(void)
{
        char path[4096];
        uint8_t *before = NULL, *after = NULL;
        size_t before_len = 0, after_len = 0;
        struct err err = {0};
        struct ca_tsa *tsa = NULL;
        snprintf(path, sizeof path, "%s/tsa/doc-ecc.pem", test_config.state_dir);
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        ca_tsa_stop(tsa);
        CHECK_OK(file_read_all(&before, &before_len, path, 1 << 20, &err), &err);
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        ca_tsa_stop(tsa);
        CHECK_OK(file_read_all(&after, &after_len, path, 1 << 20, &err), &err);
        CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
        file_free_contents(before, before_len);
        file_free_contents(after, after_len);
        test_config.tsa.enabled = false;
        CHECK_OK(ca_tsa_start(&tsa, &test_config, test_cas, &err), &err);
        CHECK(tsa == NULL && !ca_tsa_has(tsa, CA_TSA_AUTO));
        test_config.tsa.enabled = true;
}

static void test_all(void)
{
        test_setup();
        test_families_and_routing();
        test_refusals();
        test_threads_get_distinct_times_and_serials();
        test_restart_keeps_certificates_and_disabled_serves_nothing();
        test_teardown();
}

CHECK_MAIN(CHECK_TEST(test_all))
