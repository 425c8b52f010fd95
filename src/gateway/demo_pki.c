/* src/gateway/demo_pki.c: the demo PKI of gateway/demo_pki.h, made with cert_issue. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/buf.h"
#include "base/file.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/demo_pki.h"

#define DEMO_PKI_DAY (24 * 60 * 60)
/* Certificates start an hour back so a client whose clock is slightly behind still accepts them. */
#define DEMO_PKI_BACKDATE (60 * 60)
/* The longest validity cert_issue and GmSSL allow. */
#define DEMO_PKI_ROOT_DAYS    3653
#define DEMO_PKI_DNS_NAME_MAX 253 /* RFC 1035 §2.3.4, as text without the final dot */

enum demo_pki_item {
        DEMO_PKI_SM2_ROOT = 0,
        DEMO_PKI_ECC_ROOT = 1,
        DEMO_PKI_SM2_SIGN = 2,
        DEMO_PKI_SM2_ENC = 3,
        DEMO_PKI_ECC_LEAF = 4,
        DEMO_PKI_NUM_ITEMS = 5,
};

struct demo_pki_spec {
        const char *cert_file;
        const char *key_file;
        enum key_alg alg;
        int issuer;              /* enum demo_pki_item of the root; -1: a root itself */
        const char *root_label;  /* roots: what the CN calls it */
        unsigned key_usage;      /* leaves: enum cert_key_usage */
        unsigned extended_usage; /* leaves: serverAuth (GmSSL wants it in any EKU it sees) */
};

static const struct demo_pki_spec demo_pki_specs[DEMO_PKI_NUM_ITEMS] = {
    [DEMO_PKI_SM2_ROOT] = {GW_DEMO_PKI_SM2_ROOT_CERT, GW_DEMO_PKI_SM2_ROOT_KEY, KEY_ALG_SM2, -1, "SM2", 0, 0},
    [DEMO_PKI_ECC_ROOT] = {GW_DEMO_PKI_ECC_ROOT_CERT, GW_DEMO_PKI_ECC_ROOT_KEY, KEY_ALG_EC_P256, -1, "ECC", 0, 0},
    [DEMO_PKI_SM2_SIGN] = {GW_DEMO_PKI_SM2_SIGN_CERT, GW_DEMO_PKI_SM2_SIGN_KEY, KEY_ALG_SM2, DEMO_PKI_SM2_ROOT, NULL,
                           CERT_KEY_USAGE_DIGITAL_SIGNATURE, CERT_EXTENDED_USAGE_SERVER_AUTH},
    /* keyAgreement too: the ECDHE suites use the encryption key in SM2 key exchange (GB/T 38636 §6.4.5.6). */
    [DEMO_PKI_SM2_ENC] = {GW_DEMO_PKI_SM2_ENC_CERT, GW_DEMO_PKI_SM2_ENC_KEY, KEY_ALG_SM2, DEMO_PKI_SM2_ROOT, NULL,
                          CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                              CERT_KEY_USAGE_KEY_AGREEMENT,
                          CERT_EXTENDED_USAGE_SERVER_AUTH},
    [DEMO_PKI_ECC_LEAF] = {GW_DEMO_PKI_ECC_CERT, GW_DEMO_PKI_ECC_KEY, KEY_ALG_EC_P256, DEMO_PKI_ECC_ROOT, NULL,
                           CERT_KEY_USAGE_DIGITAL_SIGNATURE, CERT_EXTENDED_USAGE_SERVER_AUTH},
};

#define DEMO_PKI_NUM_FILES (2 * DEMO_PKI_NUM_ITEMS + 1)

static const char *const demo_pki_default_names[] = {"localhost", "127.0.0.1", "::1"};

/* The site certificates' names, split into SAN types. */
struct demo_pki_names {
        const char *common_name;
        const char *dns[GW_DEMO_PKI_NAMES_MAX];
        size_t num_dns;
        const char *ip[GW_DEMO_PKI_NAMES_MAX];
        size_t num_ip;
};

struct demo_pki_set {
        struct key *keys[DEMO_PKI_NUM_ITEMS];
        struct cert *certs[DEMO_PKI_NUM_ITEMS];
};

const char *gw_demo_pki_file_name(size_t index)
{
        if (index < 2 * DEMO_PKI_NUM_ITEMS)
                return index % 2 == 0 ? demo_pki_specs[index / 2].cert_file : demo_pki_specs[index / 2].key_file;
        return index == 2 * DEMO_PKI_NUM_ITEMS ? GW_DEMO_PKI_ROOTS : NULL;
}

static int demo_pki_path(char out[PATH_MAX], const char *dir, const char *name, struct err *err)
{
        int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
        if (n < 0 || n >= PATH_MAX)
                return SMT_ERR(err, SMT_ENOSPACE, "%s: path longer than %d bytes", dir, PATH_MAX - 1);
        return SMT_OK;
}

static bool demo_pki_is_ip(const char *name)
{
        unsigned char address[sizeof(struct in6_addr)];
        return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

/* demo_pki_check_dns_name accepts letters, digits, '-' and non-empty dot-separated labels, with "*." allowed
 * in front (RFC 6125 §6.4.3: the wildcard is the whole left-most label). */
static int demo_pki_check_dns_name(const char *name, struct err *err)
{
        size_t len = strlen(name);
        size_t start = strncmp(name, "*.", 2) == 0 ? 2 : 0;
        if (len == start || len > DEMO_PKI_DNS_NAME_MAX)
                return SMT_ERR(err, SMT_EINVAL,
                               "name \"%s\": expected a host name of 1..%d characters or an IP address", name,
                               DEMO_PKI_DNS_NAME_MAX);
        size_t label_len = 0;
        for (size_t i = start; i <= len; i++) {
                char c = name[i];
                if (c == '.' || c == '\0') {
                        if (label_len == 0 || label_len > 63)
                                return SMT_ERR(err, SMT_EINVAL, "name \"%s\": labels must be 1..63 characters", name);
                        label_len = 0;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
                        label_len++;
                } else {
                        return SMT_ERR(err, SMT_EINVAL,
                                       "name \"%s\": character '%c' is not a letter, digit, '-' or '.' (nor an IP "
                                       "address)",
                                       name, c);
                }
        }
        return SMT_OK;
}

static int demo_pki_names_split(struct demo_pki_names *out, const struct gw_demo_pki_params *params, struct err *err)
{
        const char *const *names = params->num_names == 0 ? demo_pki_default_names : params->names;
        size_t num_names = params->num_names == 0 ? sizeof demo_pki_default_names / sizeof demo_pki_default_names[0]
                                                  : params->num_names;
        if (num_names > GW_DEMO_PKI_NAMES_MAX)
                return SMT_ERR(err, SMT_EINVAL, "%zu names given, at most %d", num_names, GW_DEMO_PKI_NAMES_MAX);
        *out = (struct demo_pki_names){.common_name = names[0]};
        for (size_t i = 0; i < num_names; i++) {
                if (demo_pki_is_ip(names[i])) {
                        out->ip[out->num_ip++] = names[i];
                        continue;
                }
                TRY(demo_pki_check_dns_name(names[i], err));
                out->dns[out->num_dns++] = names[i];
        }
        return SMT_OK;
}

/* demo_pki_check_folder sets *is_complete when every file exists and fails when only some do. */
static int demo_pki_check_folder(const char *dir, bool *is_complete, struct err *err)
{
        const char *present = NULL, *missing = NULL;
        for (size_t i = 0; i < DEMO_PKI_NUM_FILES; i++) {
                char path[PATH_MAX];
                struct stat st;
                TRY(demo_pki_path(path, dir, gw_demo_pki_file_name(i), err));
                if (lstat(path, &st) == 0)
                        present = present != NULL ? present : gw_demo_pki_file_name(i);
                else if (errno == ENOENT)
                        missing = missing != NULL ? missing : gw_demo_pki_file_name(i);
                else
                        return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(errno));
        }
        if (present != NULL && missing != NULL)
                return SMT_ERR(err, SMT_EEXIST,
                               "%s: holds part of a demo PKI (%s is there, %s is missing); remove the folder or "
                               "choose another",
                               dir, present, missing);
        *is_complete = missing == NULL;
        return SMT_OK;
}

static int demo_pki_mkdir_one(const char *path, struct err *err)
{
        struct stat st;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return SMT_ERR(err, SMT_EIO, "%s: cannot create the folder: %s", path, strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                return SMT_ERR(err, SMT_EIO, "%s: not a folder", path);
        return SMT_OK;
}

/* demo_pki_make_dir is `mkdir -p dir`. */
static int demo_pki_make_dir(const char *dir, struct err *err)
{
        char path[PATH_MAX];
        size_t len = strlen(dir);
        if (len == 0 || len >= sizeof path)
                return SMT_ERR(err, SMT_EINVAL, "folder name of %zu bytes, expected 1..%zu", len, sizeof path - 1);
        memcpy(path, dir, len + 1);
        for (size_t i = 1; i < len; i++) {
                if (path[i] != '/' || path[i - 1] == '/')
                        continue;
                path[i] = '\0';
                TRY(demo_pki_mkdir_one(path, err));
                path[i] = '/';
        }
        return demo_pki_mkdir_one(path, err);
}

/* demo_pki_root_name writes "smtrust demo <label> root <8 hex digits of the key's fingerprint>": two demo
 * roots on one machine never share a name, so a client that trusts one never confuses it with another. */
static int demo_pki_root_name(char *out, size_t out_cap, const struct key *key, const char *label, struct err *err)
{
        uint8_t fingerprint[32];
        TRY(key_public_fingerprint(key, fingerprint, err));
        snprintf(out, out_cap, "smtrust demo %s root %02x%02x%02x%02x", label, fingerprint[0], fingerprint[1],
                 fingerprint[2], fingerprint[3]);
        return SMT_OK;
}

static int demo_pki_issue(struct demo_pki_set *set, enum demo_pki_item item, const struct demo_pki_names *names,
                          time_t now, int days, struct err *err)
{
        const struct demo_pki_spec *spec = &demo_pki_specs[item];
        char root_name[80];
        TRY(key_generate(&set->keys[item], spec->alg, err));
        struct cert_issue_params params = {
            .subject_key = set->keys[item],
            .organization = "smtrust demo",
            .not_before = now - DEMO_PKI_BACKDATE,
        };
        if (spec->issuer < 0) {
                TRY(demo_pki_root_name(root_name, sizeof root_name, set->keys[item], spec->root_label, err));
                params.common_name = root_name;
                params.not_after = params.not_before + (time_t)DEMO_PKI_ROOT_DAYS * DEMO_PKI_DAY;
                params.is_ca = true;
        } else {
                params.issuer_key = set->keys[spec->issuer];
                params.issuer_cert = set->certs[spec->issuer];
                params.common_name = names->common_name;
                params.dns_names = names->dns;
                params.num_dns_names = names->num_dns;
                params.ip_addresses = names->ip;
                params.num_ip_addresses = names->num_ip;
                params.not_after = now + (time_t)days * DEMO_PKI_DAY;
                params.key_usage = spec->key_usage;
                params.extended_usage = spec->extended_usage;
        }
        int status = cert_issue(&set->certs[item], &params, err);
        if (status < 0)
                err_prefix(err, "%s", spec->cert_file);
        return status;
}

static void demo_pki_set_free(struct demo_pki_set *set)
{
        for (size_t i = 0; i < DEMO_PKI_NUM_ITEMS; i++) {
                key_free(set->keys[i]);
                cert_free(set->certs[i]);
        }
}

static int demo_pki_write_roots(const char *dir, const struct demo_pki_set *set, struct err *err)
{
        char path[PATH_MAX];
        struct buf_writer pem;
        TRY(demo_pki_path(path, dir, GW_DEMO_PKI_ROOTS, err));
        buf_writer_init_heap(&pem, 2 * CERT_FILE_MAX);
        int status = cert_write_pem(set->certs[DEMO_PKI_SM2_ROOT], &pem, err);
        if (status == SMT_OK)
                status = cert_write_pem(set->certs[DEMO_PKI_ECC_ROOT], &pem, err);
        if (status == SMT_OK)
                status = file_write_atomic(path, pem.data, pem.len, 0644, FILE_WRITE_EXCLUSIVE, err);
        buf_writer_cleanup(&pem);
        return status;
}

/* demo_pki_write writes keys before their certificates, so a certificate on disk always has its key. */
static int demo_pki_write(const char *dir, const struct demo_pki_set *set, struct err *err)
{
        for (size_t i = 0; i < DEMO_PKI_NUM_ITEMS; i++) {
                char path[PATH_MAX];
                TRY(demo_pki_path(path, dir, demo_pki_specs[i].key_file, err));
                TRY(key_save_private(set->keys[i], path, KEY_FORMAT_PEM, NULL, false, err));
                TRY(demo_pki_path(path, dir, demo_pki_specs[i].cert_file, err));
                TRY(cert_save_pem(set->certs[i], path, false, err));
        }
        return demo_pki_write_roots(dir, set, err);
}

static int demo_pki_check_params(const struct gw_demo_pki_params *params, int *days, struct err *err)
{
        *days = params->days == 0 ? GW_DEMO_PKI_DAYS_DEFAULT : params->days;
        if (*days < 1 || *days > GW_DEMO_PKI_DAYS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "validity of %d days, expected 1..%d", params->days,
                               GW_DEMO_PKI_DAYS_MAX);
        return SMT_OK;
}

int gw_demo_pki_create(const char *dir, const struct gw_demo_pki_params *params, enum gw_demo_pki_result *result,
                       struct err *err)
{
        struct demo_pki_names names;
        int days;
        bool is_complete = false;
        TRY(demo_pki_check_params(params, &days, err));
        TRY(demo_pki_names_split(&names, params, err));
        TRY(demo_pki_make_dir(dir, err));
        TRY(demo_pki_check_folder(dir, &is_complete, err));
        if (is_complete) {
                *result = GW_DEMO_PKI_ALREADY_PRESENT;
                return SMT_OK;
        }
        struct demo_pki_set set = {0};
        time_t now = time(NULL);
        int status = SMT_OK;
        for (size_t i = 0; i < DEMO_PKI_NUM_ITEMS && status == SMT_OK; i++)
                status = demo_pki_issue(&set, (enum demo_pki_item)i, &names, now, days, err);
        if (status == SMT_OK)
                status = demo_pki_write(dir, &set, err);
        demo_pki_set_free(&set);
        if (status == SMT_OK)
                *result = GW_DEMO_PKI_CREATED;
        return status;
}
