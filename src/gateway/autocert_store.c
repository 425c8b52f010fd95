/* src/gateway/autocert_store.c: the manager's state folder: one folder per site and kind behind a symlink
 * swapped in one rename, the lock files that keep gateways sharing the folder from ordering the same
 * certificate together, and the account key paths. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "gateway/acme_client.h"
#include "gateway/autocert_internal.h"

const char *gw_autocert_kind_name(enum gw_autocert_kind kind)
{
        return kind == GW_AUTOCERT_SM2 ? "sm2" : "ecc";
}

static void gw_autocert_hex(char *out, const uint8_t *data, size_t len)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[data[i] >> 4];
                out[2 * i + 1] = digits[data[i] & 15];
        }
        out[2 * len] = '\0';
}

static int gw_autocert_sha256_hex(char out[65], const char *text, struct err *err)
{
        uint8_t digest[32];
        unsigned len = 0;
        if (EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL) != 1 || len != sizeof digest)
                return SMT_ERR(err, SMT_EINTERNAL, "SHA-256 failed");
        gw_autocert_hex(out, digest, sizeof digest);
        return SMT_OK;
}

/* A site name that is safe as one path component as it is (no '/', no "..", nothing a shell quotes). */
static bool gw_autocert_name_is_plain(const char *name)
{
        if (name[0] == '\0' || name[0] == '.' || strlen(name) > 100)
                return false;
        for (const char *p = name; *p != '\0'; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        return false;
        return true;
}

int gw_autocert_site_dir(char *out, size_t cap, const char *state_dir, const char *site_name,
                         enum gw_autocert_kind kind, struct err *err)
{
        char hashed[70];
        const char *component = site_name;
        if (!gw_autocert_name_is_plain(site_name)) {
                char hex[65];
                TRY(gw_autocert_sha256_hex(hex, site_name, err));
                snprintf(hashed, sizeof hashed, "site-%.32s", hex);
                component = hashed;
        }
        int n = snprintf(out, cap, "%s/sites/%s/%s", state_dir, component, gw_autocert_kind_name(kind));
        if (n < 0 || (size_t)n >= cap)
                return SMT_ERR(err, SMT_ENOSPACE, "state folder path too long for site %s", site_name);
        return SMT_OK;
}

/* Creates every missing folder of path up to its last component (excluded when parent_only), mode 0700. */
static int gw_autocert_mkdirs(const char *path, bool parent_only, struct err *err)
{
        char buf[GW_AUTOCERT_PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
                return SMT_ERR(err, SMT_ENOSPACE, "path too long: %s", path);
        if (parent_only) {
                char *slash = strrchr(buf, '/');
                if (slash == NULL || slash == buf)
                        return SMT_OK;
                *slash = '\0';
        }
        for (char *p = buf + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char saved = *p;
                *p = '\0';
                if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                        return SMT_ERR(err, SMT_EIO, "cannot create %s: %s", buf, strerror(errno));
                *p = saved;
                if (saved == '\0')
                        return SMT_OK;
        }
}

/* The certificate at path (the first of its PEM chain). */
static int gw_autocert_read_leaf(struct cert_chain **chain, const char *dir, const char *file, struct err *err)
{
        char path[GW_AUTOCERT_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        TRY(cert_chain_load_pem(chain, path, err));
        if (cert_chain_count(*chain) == 0) {
                cert_chain_free(*chain);
                *chain = NULL;
                return SMT_ERR(err, CRYPTO_ECERT, "%s holds no certificate", path);
        }
        return SMT_OK;
}

/* Whether the leaf's DNS names are exactly names (as sets; DNS names compare without case). */
static bool gw_autocert_names_match(const struct cert *leaf, char *const *names, size_t num_names)
{
        struct cert_san sans[GW_ACME_NAMES_MAX + 1];
        size_t count = 0, num_dns = 0;
        struct err err;
        if (cert_san_list(leaf, sans, GW_ACME_NAMES_MAX + 1, &count, &err) < 0)
                return false;
        for (size_t i = 0; i < count; i++) {
                if (sans[i].type != CERT_SAN_DNS)
                        continue;
                num_dns++;
                bool found = false;
                for (size_t j = 0; j < num_names && !found; j++)
                        found = strcasecmp(sans[i].value, names[j]) == 0;
                if (!found)
                        return false;
        }
        for (size_t j = 0; j < num_names; j++) {
                bool found = false;
                for (size_t i = 0; i < count && !found; i++)
                        found = sans[i].type == CERT_SAN_DNS && strcasecmp(sans[i].value, names[j]) == 0;
                if (!found)
                        return false;
        }
        return num_dns > 0;
}

static void gw_autocert_describe_alg(const struct cert *leaf, char *out, size_t cap)
{
        struct key *key = NULL;
        struct err err;
        snprintf(out, cap, "?");
        if (cert_public_key(leaf, &key, &err) < 0)
                return;
        switch (key_get_alg(key)) {
        case KEY_ALG_SM2: snprintf(out, cap, "SM2"); break;
        case KEY_ALG_EC_P256: snprintf(out, cap, "ECDSA P-256"); break;
        case KEY_ALG_EC_P384: snprintf(out, cap, "ECDSA P-384"); break;
        case KEY_ALG_RSA_2048: snprintf(out, cap, "RSA 2048"); break;
        case KEY_ALG_RSA_3072: snprintf(out, cap, "RSA 3072"); break;
        default: snprintf(out, cap, "RSA"); break;
        }
        key_free(key);
}

static int gw_autocert_set_fill(struct gw_autocert_set *out, const struct cert *leaf, char *const *names,
                                size_t num_names, bool first, struct err *err)
{
        time_t nb, na;
        TRY(cert_not_before(leaf, &nb, err));
        TRY(cert_not_after(leaf, &na, err));
        if (first) {
                out->not_before = nb;
                out->not_after = na;
                out->names_match = gw_autocert_names_match(leaf, names, num_names);
                gw_autocert_describe_alg(leaf, out->algorithm, sizeof out->algorithm);
                TRY(cert_issuer_text(leaf, out->issuer, sizeof out->issuer, err));
                return cert_serial_hex(leaf, out->serial, sizeof out->serial, err);
        }
        out->not_before = nb > out->not_before ? nb : out->not_before;
        out->not_after = na < out->not_after ? na : out->not_after;
        out->names_match = out->names_match && gw_autocert_names_match(leaf, names, num_names);
        return SMT_OK;
}

int gw_autocert_store_read(struct gw_autocert_set *out, const char *link, enum gw_autocert_kind kind,
                           char *const *names, size_t num_names, struct err *err)
{
        memset(out, 0, sizeof *out);
        ssize_t n = readlink(link, out->target, sizeof out->target - 1);
        if (n < 0) {
                if (errno == ENOENT)
                        return SMT_OK;
                return SMT_ERR(err, SMT_EIO, "%s: %s", link, strerror(errno));
        }
        out->target[n] = '\0';
        static const char *const files[GW_AUTOCERT_KINDS][2] = {{"cert.pem", NULL}, {"sign.crt", "enc.crt"}};
        int status = SMT_OK;
        for (size_t i = 0; i < 2 && files[kind][i] != NULL && status == SMT_OK; i++) {
                struct cert_chain *chain = NULL;
                status = gw_autocert_read_leaf(&chain, link, files[kind][i], err);
                if (status == SMT_OK)
                        status = gw_autocert_set_fill(out, cert_chain_get(chain, 0), names, num_names, i == 0, err);
                cert_chain_free(chain);
        }
        out->exists = status == SMT_OK;
        return status;
}

int gw_autocert_store_prepare(const char *link, char *new_dir, size_t cap, struct err *err)
{
        TRY(gw_autocert_mkdirs(link, true, err));
        uint8_t random[4];
        char hex[9], stamp[32];
        TRY(random_bytes(random, sizeof random, err));
        gw_autocert_hex(hex, random, sizeof random);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        int n = snprintf(new_dir, cap, "%s-%s-%s", link, stamp, hex);
        if (n < 0 || (size_t)n >= cap)
                return SMT_ERR(err, SMT_ENOSPACE, "path too long: %s", link);
        return SMT_OK;
}

static int gw_autocert_fsync_dir(const char *dir, struct err *err)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", dir, strerror(errno));
        int rc = fsync(fd);
        close(fd);
        return rc == 0 ? SMT_OK : SMT_ERR(err, SMT_EIO, "fsync %s: %s", dir, strerror(errno));
}

/* Removes a set folder and its files (they are plain files: the manager wrote them). */
void gw_autocert_store_discard(const char *dir)
{
        DIR *d = opendir(dir);
        if (d == NULL)
                return;
        struct dirent *entry;
        while ((entry = readdir(d)) != NULL) {
                if (entry->d_name[0] == '.')
                        continue;
                char path[GW_AUTOCERT_PATH_MAX];
                if (snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) < (int)sizeof path)
                        unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

/* Removes the sets beside link other than keep_a and keep_b ("<kind>-<time>-<random>" folders only). */
static void gw_autocert_prune(const char *link, const char *keep_a, const char *keep_b)
{
        char parent[GW_AUTOCERT_PATH_MAX], base[256];
        snprintf(parent, sizeof parent, "%s", link);
        char *slash = strrchr(parent, '/');
        if (slash == NULL)
                return;
        *slash = '\0';
        snprintf(base, sizeof base, "%s-", slash + 1);
        DIR *d = opendir(parent);
        if (d == NULL)
                return;
        struct dirent *entry;
        while ((entry = readdir(d)) != NULL) {
                if (strncmp(entry->d_name, base, strlen(base)) != 0 || strcmp(entry->d_name, keep_a) == 0 ||
                    strcmp(entry->d_name, keep_b) == 0)
                        continue;
                char path[GW_AUTOCERT_PATH_MAX];
                if (snprintf(path, sizeof path, "%s/%s", parent, entry->d_name) < (int)sizeof path)
                        gw_autocert_store_discard(path);
        }
        closedir(d);
}

int gw_autocert_store_publish(const char *link, const char *new_dir, struct err *err)
{
        char previous[256] = "";
        ssize_t n = readlink(link, previous, sizeof previous - 1);
        previous[n > 0 ? n : 0] = '\0';
        TRY(gw_autocert_fsync_dir(new_dir, err));
        const char *target = strrchr(new_dir, '/') != NULL ? strrchr(new_dir, '/') + 1 : new_dir;
        char temp[GW_AUTOCERT_PATH_MAX + 16];
        snprintf(temp, sizeof temp, "%s.new-%ld", link, (long)getpid());
        unlink(temp);
        if (symlink(target, temp) != 0)
                return SMT_ERR(err, SMT_EIO, "cannot create %s: %s", temp, strerror(errno));
        if (rename(temp, link) != 0) {
                int saved = errno;
                unlink(temp);
                return SMT_ERR(err, SMT_EIO, "cannot replace %s: %s", link, strerror(saved));
        }
        char parent[GW_AUTOCERT_PATH_MAX];
        snprintf(parent, sizeof parent, "%s", link);
        TRY(gw_autocert_fsync_dir(dirname(parent), err));
        gw_autocert_prune(link, target, previous);
        return SMT_OK;
}

int gw_autocert_store_lock(const char *link, int *fd, struct err *err)
{
        char path[GW_AUTOCERT_PATH_MAX + 8];
        TRY(gw_autocert_mkdirs(link, true, err));
        snprintf(path, sizeof path, "%s.lock", link);
        *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (*fd < 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(errno));
        if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
                int saved = errno;
                close(*fd);
                *fd = -1;
                if (saved == EWOULDBLOCK)
                        return SMT_ERR(err, SMT_EAGAIN, "another gateway is ordering (%s is locked)", path);
                return SMT_ERR(err, SMT_EIO, "lock %s: %s", path, strerror(saved));
        }
        return SMT_OK;
}

void gw_autocert_store_unlock(int fd)
{
        if (fd >= 0)
                close(fd); /* releases the flock */
}

int gw_autocert_store_account_key_path(char *out, size_t cap, const char *state_dir, const char *directory,
                                       struct err *err)
{
        char hex[65];
        TRY(gw_autocert_sha256_hex(hex, directory, err));
        int n = snprintf(out, cap, "%s/accounts/%.32s/account.key", state_dir, hex);
        if (n < 0 || (size_t)n >= cap)
                return SMT_ERR(err, SMT_ENOSPACE, "state folder path too long");
        return gw_autocert_mkdirs(out, true, err);
}
