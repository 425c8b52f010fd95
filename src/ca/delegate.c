/* src/ca/delegate.c: OCSP responder and TSA certificates of an issuing CA (delegate.h): loaded from their
 * one-file pair, checked against the CA's current certificate, made anew when missing, foreign or near
 * their end. */
#include "ca/delegate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"

#define CA_DELEGATE_PATH_MAX 4096
#define CA_DELEGATE_FILE_MAX (64 * 1024)
#define CA_DELEGATE_BACKDATE 3600 /* notBefore an hour back, for relying parties whose clock is behind */

static const char *ca_delegate_folder(enum ca_delegate_purpose purpose)
{
        return purpose == CA_DELEGATE_OCSP ? "ocsp" : "tsa";
}

void ca_delegate_cleanup(struct ca_delegate *d)
{
        if (d->chain != NULL)
                cert_chain_free(d->chain); /* owns cert */
        else
                cert_free(d->cert);
        key_free(d->key);
        memset(d, 0, sizeof *d);
}

static int ca_delegate_path(char out[CA_DELEGATE_PATH_MAX], const struct ca_config *config,
                            enum ca_delegate_purpose purpose, const char *name, struct err *err)
{
        int len = snprintf(out, CA_DELEGATE_PATH_MAX, "%s/%s", config->state_dir, ca_delegate_folder(purpose));
        if (len < 0 || len >= CA_DELEGATE_PATH_MAX)
                return SMT_ERR(err, SMT_ENOSPACE, "state_dir path too long");
        if (mkdir(out, 0700) < 0 && errno != EEXIST)
                return SMT_ERR(err, SMT_EIO, "cannot make %s: %s", out, strerror(errno));
        len = snprintf(out, CA_DELEGATE_PATH_MAX, "%s/%s/%s.pem", config->state_dir, ca_delegate_folder(purpose), name);
        if (len < 0 || len >= CA_DELEGATE_PATH_MAX)
                return SMT_ERR(err, SMT_ENOSPACE, "state_dir path too long");
        return SMT_OK;
}

/* The chain a response or token carries: the delegate, then the CA's own chain (CA, root). */
static int ca_delegate_chain(struct ca_delegate *d, const struct ca_authority *ca, struct err *err)
{
        TRY(cert_chain_new(&d->chain, err));
        int status = cert_chain_append(d->chain, d->cert, err); /* the chain owns it from here */
        if (status < 0) {
                cert_free(d->cert);
                d->cert = NULL;
                return status;
        }
        const struct cert_chain *own = ca_authority_chain(ca);
        for (size_t i = 0; i < cert_chain_count(own); i++) {
                struct cert *copy = NULL;
                TRY(cert_dup(&copy, cert_chain_get(own, i), err));
                if ((status = cert_chain_append(d->chain, copy, err)) < 0) {
                        cert_free(copy);
                        return status;
                }
        }
        return cert_not_after(d->cert, &d->not_after, err);
}

static bool ca_delegate_same_key(const struct key *key, const struct cert *cert)
{
        struct err ignored = {0};
        struct key *certified = NULL;
        uint8_t want[32], have[32];
        if (cert_public_key(cert, &certified, &ignored) < 0)
                return false;
        bool same = key_public_fingerprint(certified, want, &ignored) == 0 &&
                    key_public_fingerprint(key, have, &ignored) == 0 && memcmp(want, have, sizeof want) == 0;
        key_free(certified);
        return same;
}

/* Is the loaded pair ours to keep: issued by the CA's current certificate (the CA may have been re-made),
 * valid now and for renew_before more seconds? */
static bool ca_delegate_is_current(const struct ca_delegate *d, const struct ca_authority *ca, int64_t renew_before,
                                   time_t now)
{
        const struct cert_chain *own = ca_authority_chain(ca);
        struct cert_store *anchors = NULL;
        struct err ignored = {0};
        if (!ca_delegate_same_key(d->key, d->cert) || cert_store_new(&anchors, &ignored) < 0)
                return false;
        bool ok = cert_store_add(anchors, cert_chain_get(own, cert_chain_count(own) - 1), &ignored) == 0 &&
                  cert_verify_chain(anchors, d->cert, own, now, NULL, &ignored) == 0 &&
                  (int64_t)d->not_after - (int64_t)now > renew_before;
        cert_store_free(anchors);
        return ok;
}

/* Reads the file: the certificate first, then the key (split at the key's PEM header, so neither parser
 * sees the other's block). A missing file is CA_ENOT_FOUND, quietly. */
static int ca_delegate_load(struct ca_delegate *out, const char *path, struct err *err)
{
        uint8_t *text = NULL;
        size_t len = 0;
        struct stat st;
        if (stat(path, &st) < 0 && errno == ENOENT)
                return CA_ENOT_FOUND;
        TRY(file_check_private(path, err));
        TRY(file_read_all(&text, &len, path, CA_DELEGATE_FILE_MAX, err));
        const char *key_begin = memmem(text, len, "-----BEGIN PRIVATE KEY-----", 27);
        int status = key_begin == NULL ? SMT_ERR(err, SMT_EDECODE, "%s: no private key after the certificate", path)
                                       : SMT_OK;
        struct cert_chain *certs = NULL;
        size_t cert_len = key_begin != NULL ? (size_t)((const uint8_t *)key_begin - text) : 0;
        if (status == SMT_OK)
                status = cert_chain_parse_pem(&certs, text, cert_len, err);
        if (status == SMT_OK)
                status = key_parse(&out->key, (const uint8_t *)key_begin, len - cert_len, NULL, err);
        if (status == SMT_OK && cert_chain_count(certs) == 0)
                status = SMT_ERR(err, SMT_EDECODE, "%s: no certificate", path);
        if (status == SMT_OK)
                status = cert_dup(&out->cert, cert_chain_get(certs, 0), err);
        cert_chain_free(certs);
        file_free_contents(text, len);
        return status;
}

static void ca_delegate_usage(struct cert_issue_params *params, enum ca_delegate_purpose purpose)
{
        if (purpose == CA_DELEGATE_OCSP) {
                params->key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE;
                params->extended_usage = CERT_EXTENDED_USAGE_OCSP_SIGNING;
                params->ocsp_no_check = true;
                return;
        }
        /* RFC 3161 2.3: timeStamping is the only purpose, and the extension is critical. */
        params->key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_NON_REPUDIATION;
        params->extended_usage = CERT_EXTENDED_USAGE_TIME_STAMPING;
        params->extended_usage_critical = true;
}

/* The delegate's key follows the CA's family: SM2 under SM2 CAs, P-256 under EC CAs, RSA-2048 under RSA. */
static enum key_alg ca_delegate_alg(const struct ca_authority *ca)
{
        enum key_alg alg = key_get_alg(ca_authority_key(ca));
        if (alg == KEY_ALG_SM2)
                return KEY_ALG_SM2;
        return alg == KEY_ALG_EC_P256 || alg == KEY_ALG_EC_P384 ? KEY_ALG_EC_P256 : KEY_ALG_RSA_2048;
}

static int ca_delegate_issue(struct ca_delegate *out, const struct ca_authority *ca, const struct ca_config *config,
                             enum ca_delegate_purpose purpose, int64_t validity, time_t now, struct err *err)
{
        const struct cert *issuer = ca_authority_cert(ca);
        time_t ca_end;
        TRY(cert_not_after(issuer, &ca_end, err));
        char common_name[160];
        snprintf(common_name, sizeof common_name, "%s %s", ca_authority_name(ca),
                 purpose == CA_DELEGATE_OCSP ? "OCSP Responder" : "Time Stamping Authority");
        TRY(key_generate(&out->key, ca_delegate_alg(ca), err));
        struct cert_issue_params params = {
                .subject_key = out->key,
                .issuer_key = ca_authority_key(ca),
                .issuer_cert = issuer,
                .common_name = common_name,
                .organization = config->organization,
                .country = config->country,
                .not_before = now - CA_DELEGATE_BACKDATE,
                .not_after = now + (time_t)validity < ca_end ? now + (time_t)validity : ca_end,
        };
        ca_delegate_usage(&params, purpose);
        return cert_issue(&out->cert, &params, err);
}

static int ca_delegate_save(const struct ca_delegate *d, const char *path, struct err *err)
{
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CA_DELEGATE_FILE_MAX);
        int status = cert_write_pem(d->cert, &pem, err);
        if (status == SMT_OK)
                status = key_write_private(d->key, KEY_FORMAT_PEM, NULL, &pem, err);
        if (status == SMT_OK)
                status = file_write_atomic(path, pem.data, pem.len, 0600, FILE_WRITE_REPLACE, err);
        explicit_bzero(pem.data, pem.len);
        buf_writer_cleanup(&pem);
        return status;
}

int ca_delegate_ensure(struct ca_delegate *out, const struct ca_authority *ca, const struct ca_config *config,
                       enum ca_delegate_purpose purpose, int64_t validity, int64_t renew_before, time_t now,
                       struct err *err)
{
        char path[CA_DELEGATE_PATH_MAX];
        struct ca_delegate d = {0};
        TRY(ca_delegate_path(path, config, purpose, ca_authority_name(ca), err));
        int status = ca_delegate_load(&d, path, err);
        if (status < 0 && status != CA_ENOT_FOUND) {
                ca_delegate_cleanup(&d);
                return status;
        }
        if (status == SMT_OK && cert_not_after(d.cert, &d.not_after, err) == SMT_OK &&
            ca_delegate_is_current(&d, ca, renew_before, now))
                goto chain;
        ca_delegate_cleanup(&d);
        status = ca_delegate_issue(&d, ca, config, purpose, validity, now, err);
        if (status == SMT_OK)
                status = ca_delegate_save(&d, path, err);
        if (status < 0) {
                ca_delegate_cleanup(&d);
                return status;
        }
chain:
        status = ca_delegate_chain(&d, ca, err);
        if (status < 0) {
                ca_delegate_cleanup(&d);
                return status;
        }
        *out = d;
        return SMT_OK;
}
