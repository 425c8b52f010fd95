/* src/crypto/cert_verify.c: trust stores and certificate path validation (RFC 5280 §6) with OpenSSL's
 * X509_verify_cert in strict mode. SM2 signatures verify because every struct cert carries the SM2 ID
 * (cert.c, cert_set_sm2_id). */
#include "crypto/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/crypto_error.h"

struct cert_store {
        X509_STORE *store;
        struct cert **certs; /* our own copies, in the order added, for cert_store_get */
        size_t count;
        size_t cap;
};

int cert_store_new(struct cert_store **out, struct err *err)
{
        struct cert_store *store = calloc(1, sizeof *store);
        if (store == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "trust store: out of memory");
        store->store = X509_STORE_new();
        if (store->store == NULL) {
                free(store);
                return crypto_error_set(err, SMT_ENOMEM, "trust store");
        }
        *out = store;
        return SMT_OK;
}

void cert_store_free(struct cert_store *store)
{
        if (store == NULL)
                return;
        X509_STORE_free(store->store);
        for (size_t i = 0; i < store->count; i++)
                cert_free(store->certs[i]);
        free(store->certs);
        free(store);
}

static bool cert_store_has(const struct cert_store *store, const struct cert *cert)
{
        const uint8_t *der, *other;
        size_t len, other_len;
        cert_der(cert, &der, &len);
        for (size_t i = 0; i < store->count; i++) {
                cert_der(store->certs[i], &other, &other_len);
                if (other_len == len && memcmp(other, der, len) == 0)
                        return true;
        }
        return false;
}

/* cert_store_keep appends a copy of cert to the list cert_store_get reads. */
static int cert_store_keep(struct cert_store *store, const struct cert *cert, struct err *err)
{
        if (store->count == store->cap) {
                size_t cap = store->cap == 0 ? 4 : store->cap * 2;
                struct cert **certs = reallocarray(store->certs, cap, sizeof *certs);
                if (certs == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "trust store: out of memory");
                store->certs = certs;
                store->cap = cap;
        }
        TRY(cert_dup(&store->certs[store->count], cert, err));
        store->count++;
        return SMT_OK;
}

int cert_store_add(struct cert_store *store, const struct cert *cert, struct err *err)
{
        if (cert_store_has(store, cert))
                return SMT_OK;
        TRY(cert_store_keep(store, cert, err));
        /* X509_STORE_add_cert takes its own reference to the X509 of our copy. */
        if (!X509_STORE_add_cert(store->store, cert_x509(store->certs[store->count - 1]))) {
                cert_free(store->certs[--store->count]);
                return crypto_error_set(err, CRYPTO_ECERT, "trust store: adding a certificate");
        }
        return SMT_OK;
}

size_t cert_store_count(const struct cert_store *store)
{
        return store->count;
}

const struct cert *cert_store_get(const struct cert_store *store, size_t index)
{
        return store->certs[index];
}

int cert_store_load(struct cert_store **out, const char *path, struct err *err)
{
        struct cert_chain *chain = NULL;
        struct cert_store *store = NULL;
        TRY(cert_chain_load_pem(&chain, path, err));
        int status = cert_store_new(&store, err);
        for (size_t i = 0; status == SMT_OK && i < cert_chain_count(chain); i++)
                status = cert_store_add(store, cert_chain_get(chain, i), err);
        cert_chain_free(chain);
        if (status < 0) {
                cert_store_free(store);
                return err_prefix(err, "%s", path);
        }
        *out = store;
        return SMT_OK;
}

/* cert_verify_classify sorts OpenSSL's reasons into the few a protocol can tell its peer about. */
static enum cert_verify_failure cert_verify_classify(int reason)
{
        switch (reason) {
        case X509_V_OK:
                return CERT_VERIFY_OK;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_CERT_UNTRUSTED:
        case X509_V_ERR_CERT_REJECTED:
                return CERT_VERIFY_UNKNOWN_ISSUER;
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
                return CERT_VERIFY_BAD_SIGNATURE;
        case X509_V_ERR_CERT_HAS_EXPIRED:
                return CERT_VERIFY_EXPIRED;
        case X509_V_ERR_CERT_NOT_YET_VALID:
                return CERT_VERIFY_NOT_YET_VALID;
        default:
                return CERT_VERIFY_INVALID;
        }
}

static int cert_verify_status(enum cert_verify_failure failure)
{
        switch (failure) {
        case CERT_VERIFY_OK:
                return SMT_OK;
        case CERT_VERIFY_EXPIRED:
        case CERT_VERIFY_NOT_YET_VALID:
                return CRYPTO_ECERT_EXPIRED;
        case CERT_VERIFY_UNKNOWN_ISSUER:
        case CERT_VERIFY_BAD_SIGNATURE:
        case CERT_VERIFY_INVALID:
                return CRYPTO_ECERT_UNTRUSTED;
        }
        return CRYPTO_ECERT_UNTRUSTED;
}

/* cert_verify_subject names the certificate OpenSSL was checking when it failed (the leaf if none). */
static void cert_verify_subject(X509_STORE_CTX *ctx, const struct cert *leaf, char *out, size_t out_cap)
{
        X509 *failed = X509_STORE_CTX_get_current_cert(ctx);
        X509 *copy = failed != NULL ? X509_dup(failed) : NULL; /* a copy: the original may be shared */
        struct cert *named = NULL;
        int status = SMT_EINTERNAL;
        if (copy != NULL && cert_wrap(&named, copy, NULL) == SMT_OK)
                status = cert_subject_text(named, out, out_cap, NULL);
        else if (failed == NULL)
                status = cert_subject_text(leaf, out, out_cap, NULL);
        if (status < 0)
                snprintf(out, out_cap, "(unprintable)");
        cert_free(named);
        crypto_error_clear();
}

/* cert_verify_report fills result and err from a failed X509_verify_cert, naming the failing certificate. */
static int cert_verify_report(X509_STORE_CTX *ctx, const struct cert *leaf, struct cert_verify_result *result,
                              struct err *err)
{
        int reason = X509_STORE_CTX_get_error(ctx);
        if (reason == X509_V_OK)
                reason = X509_V_ERR_UNSPECIFIED; /* failed without saying why: never report success */
        enum cert_verify_failure failure = cert_verify_classify(reason);
        result->failure = failure;
        result->depth = X509_STORE_CTX_get_error_depth(ctx);
        result->openssl_reason = reason;

        char subject[CERT_NAME_TEXT_MAX];
        cert_verify_subject(ctx, leaf, subject, sizeof subject);
        const char *what = failure == CERT_VERIFY_BAD_SIGNATURE ? "signature is bad: " : "";
        return SMT_ERR(err, cert_verify_status(failure), "certificate \"%s\" (chain depth %d): %s%s", subject,
                       result->depth, what, X509_verify_cert_error_string(reason));
}

static int cert_verify_untrusted(STACK_OF(X509) * *out, const struct cert_chain *intermediates, struct err *err)
{
        *out = sk_X509_new_null();
        if (*out == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "verifying a certificate");
        for (size_t i = 0; intermediates != NULL && i < cert_chain_count(intermediates); i++)
                if (!sk_X509_push(*out, cert_x509(cert_chain_get(intermediates, i))))
                        return crypto_error_set(err, SMT_ENOMEM, "verifying a certificate");
        return SMT_OK;
}

/* cert_verify_context sets up strict RFC 5280 checking (X509_V_FLAG_X509_STRICT: AKI/SKI present, CA
 * basicConstraints critical, ...) at time now; the caller checks usages and names itself. */
static int cert_verify_context(X509_STORE_CTX *ctx, const struct cert_store *store, const struct cert *leaf,
                               STACK_OF(X509) * untrusted, time_t now, struct err *err)
{
        if (!X509_STORE_CTX_init(ctx, store->store, cert_x509(leaf), untrusted))
                return crypto_error_set(err, SMT_ENOMEM, "verifying a certificate");
        X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
        if (now != 0)
                X509_VERIFY_PARAM_set_time(param, now);
        return SMT_OK;
}

int cert_verify_chain(const struct cert_store *store, const struct cert *leaf, const struct cert_chain *intermediates,
                      time_t now, struct cert_verify_result *result, struct err *err)
{
        struct cert_verify_result ignored;
        if (result == NULL)
                result = &ignored;
        *result = (struct cert_verify_result){.failure = CERT_VERIFY_INVALID, .depth = -1, .openssl_reason = 0};
        STACK_OF(X509) *untrusted = NULL;
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int status = ctx != NULL ? SMT_OK : crypto_error_set(err, SMT_ENOMEM, "verifying a certificate");
        if (status == SMT_OK)
                status = cert_verify_untrusted(&untrusted, intermediates, err);
        if (status == SMT_OK)
                status = cert_verify_context(ctx, store, leaf, untrusted, now, err);
        if (status == SMT_OK && X509_verify_cert(ctx) == 1)
                result->failure = CERT_VERIFY_OK;
        else if (status == SMT_OK)
                status = cert_verify_report(ctx, leaf, result, err);
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted); /* the certificates belong to the chain */
        return status;
}
