/* src/gateway/challenges.c: see challenges.h. Two growable arrays under one mutex, searched linearly: a
 * gateway validates a handful of names at a time, and only challenge requests and acme-tls/1 handshakes
 * look here. A tls-alpn-01 entry holds the SSL_CTX serving its validation certificate (which holds the
 * certificate and key), keyed by the SNI the validator sends. */
#include "gateway/challenges.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "net/address.h"
#include "net/tls_conn.h"

/* RFC 8555 8.3: a token is base64url without padding; its length is bounded by what a request target can
 * carry (RFC 8555 8.1 asks for at least 128 bits of entropy, 22 characters). */
#define GW_CHALLENGES_TOKEN_MAX 256
#define GW_CHALLENGES_NAME_MAX  NET_ADDRESS_HOST_MAX

struct gw_challenges_http01 {
        char *token;
        char *key_authorization;
};

struct gw_challenges_tls_alpn01 {
        char *server_name; /* the SNI it answers: the name, or an IP's reverse-mapping name */
        SSL_CTX *ctx;
};

struct gw_challenges {
        pthread_mutex_t lock;
        struct gw_challenges_http01 *http01;
        size_t num_http01, cap_http01;
        struct gw_challenges_tls_alpn01 *tls_alpn01;
        size_t num_tls_alpn01, cap_tls_alpn01;
};

int gw_challenges_new(struct gw_challenges **out, struct err *err)
{
        *out = calloc(1, sizeof **out);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "allocating the ACME challenge table");
        if (pthread_mutex_init(&(*out)->lock, NULL) != 0) {
                free(*out);
                *out = NULL;
                return SMT_ERR(err, SMT_ENOMEM, "ACME challenge table: pthread_mutex_init failed");
        }
        return SMT_OK;
}

/* gw_challenges_wipe_free wipes text before freeing it: key authorizations are public once the CA has
 * fetched them, but nothing says how long a freed page lives. */
static void gw_challenges_wipe_free(char *text)
{
        if (text == NULL)
                return;
        explicit_bzero(text, strlen(text));
        free(text);
}

static void gw_challenges_http01_clear(struct gw_challenges_http01 *entry)
{
        free(entry->token);
        gw_challenges_wipe_free(entry->key_authorization);
}

static void gw_challenges_tls_alpn01_clear(struct gw_challenges_tls_alpn01 *entry)
{
        free(entry->server_name);
        net_tls_ctx_free(entry->ctx);
}

void gw_challenges_free(struct gw_challenges *challenges)
{
        if (challenges == NULL)
                return;
        for (size_t i = 0; i < challenges->num_http01; i++)
                gw_challenges_http01_clear(&challenges->http01[i]);
        for (size_t i = 0; i < challenges->num_tls_alpn01; i++)
                gw_challenges_tls_alpn01_clear(&challenges->tls_alpn01[i]);
        free(challenges->http01);
        free(challenges->tls_alpn01);
        pthread_mutex_destroy(&challenges->lock);
        free(challenges);
}

/* gw_challenges_grow makes room for one more element of size in *array (the caller holds the lock). */
static int gw_challenges_grow(void **array, size_t num, size_t *cap, size_t size, struct err *err)
{
        if (num < *cap)
                return SMT_OK;
        size_t more = *cap == 0 ? 8 : *cap * 2;
        void *bigger = realloc(*array, more * size);
        if (bigger == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "ACME challenge table: growing to %zu entries", more);
        *array = bigger;
        *cap = more;
        return SMT_OK;
}

static bool gw_challenges_token_is_valid(const char *token)
{
        static const char base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t len = strlen(token);
        return len > 0 && len < GW_CHALLENGES_TOKEN_MAX && strspn(token, base64url) == len;
}

/* Index of the token_len bytes at token in the table, or num_http01; the caller holds the lock. */
static size_t gw_challenges_http01_find(const struct gw_challenges *challenges, const char *token, size_t token_len)
{
        size_t i = 0;
        while (i < challenges->num_http01 && (strlen(challenges->http01[i].token) != token_len ||
                                              memcmp(challenges->http01[i].token, token, token_len) != 0))
                i++;
        return i;
}

static int gw_challenges_check_key_authorization(const char *key_authorization, struct err *err)
{
        size_t len = key_authorization != NULL ? strlen(key_authorization) : 0;
        if (len == 0 || len >= GW_CHALLENGES_KEY_AUTH_MAX)
                return SMT_ERR(err, SMT_EINVAL, "ACME key authorization of %zu bytes, expected 1..%d", len,
                               GW_CHALLENGES_KEY_AUTH_MAX - 1);
        return SMT_OK;
}

int gw_challenges_add_http01(struct gw_challenges *challenges, const char *token, const char *key_authorization,
                             struct err *err)
{
        if (token == NULL || !gw_challenges_token_is_valid(token))
                return SMT_ERR(err, SMT_EINVAL, "http-01 token \"%.40s\" is not base64url (1..%d characters)",
                               token != NULL ? token : "", GW_CHALLENGES_TOKEN_MAX - 1);
        TRY(gw_challenges_check_key_authorization(key_authorization, err));
        struct gw_challenges_http01 made = {.token = strdup(token), .key_authorization = strdup(key_authorization)};
        if (made.token == NULL || made.key_authorization == NULL) {
                gw_challenges_http01_clear(&made);
                return SMT_ERR(err, SMT_ENOMEM, "http-01 token: copying");
        }
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_http01_find(challenges, token, strlen(token));
        int status = SMT_OK;
        if (i < challenges->num_http01)
                gw_challenges_http01_clear(&challenges->http01[i]);
        else
                status = gw_challenges_grow((void **)&challenges->http01, challenges->num_http01,
                                            &challenges->cap_http01, sizeof *challenges->http01, err);
        if (status == SMT_OK) {
                challenges->http01[i] = made;
                if (i == challenges->num_http01)
                        challenges->num_http01++;
        }
        pthread_mutex_unlock(&challenges->lock);
        if (status != SMT_OK)
                gw_challenges_http01_clear(&made);
        return status;
}

void gw_challenges_remove_http01(struct gw_challenges *challenges, const char *token)
{
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_http01_find(challenges, token, strlen(token));
        if (i < challenges->num_http01) {
                gw_challenges_http01_clear(&challenges->http01[i]);
                challenges->http01[i] = challenges->http01[--challenges->num_http01];
        }
        pthread_mutex_unlock(&challenges->lock);
}

bool gw_challenges_http01(struct gw_challenges *challenges, const char *token, size_t token_len, char *out, size_t cap)
{
        bool found = false;
        if (cap == 0)
                return false;
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_http01_find(challenges, token, token_len);
        if (i < challenges->num_http01 && strlen(challenges->http01[i].key_authorization) < cap) {
                snprintf(out, cap, "%s", challenges->http01[i].key_authorization);
                found = true;
        }
        pthread_mutex_unlock(&challenges->lock);
        return found;
}

/* gw_challenges_server_name writes the SNI a validator sends for name: the name itself, or for an IP
 * literal its reverse-mapping name (RFC 8738 6; RFC 1035 3.5 for IPv4, RFC 3596 2.5 for IPv6). */
static int gw_challenges_server_name(char out[GW_CHALLENGES_NAME_MAX], const char *name, struct err *err)
{
        uint8_t ip[16];
        size_t used = 0;
        if (inet_pton(AF_INET, name, ip) == 1) {
                snprintf(out, GW_CHALLENGES_NAME_MAX, "%u.%u.%u.%u.in-addr.arpa", ip[3], ip[2], ip[1], ip[0]);
                return SMT_OK;
        }
        if (inet_pton(AF_INET6, name, ip) != 1) {
                if (strlen(name) >= GW_CHALLENGES_NAME_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "tls-alpn-01: a name of %zu bytes, at most %d", strlen(name),
                                       GW_CHALLENGES_NAME_MAX - 1);
                snprintf(out, GW_CHALLENGES_NAME_MAX, "%s", name);
                return SMT_OK;
        }
        for (int i = 15; i >= 0; i--)
                used += (size_t)snprintf(out + used, GW_CHALLENGES_NAME_MAX - used, "%x.%x.", ip[i] & 0xfu,
                                         (unsigned)ip[i] >> 4);
        snprintf(out + used, GW_CHALLENGES_NAME_MAX - used, "ip6.arpa");
        return SMT_OK;
}

/* gw_challenges_validation_ctx makes the context serving name's validation certificate (RFC 8737 3). */
static int gw_challenges_validation_ctx(SSL_CTX **out, const char *name, const char *key_authorization, struct err *err)
{
        uint8_t digest[32];
        unsigned digest_len = 0;
        if (EVP_Digest(key_authorization, strlen(key_authorization), digest, &digest_len, EVP_sha256(), NULL) != 1)
                return SMT_ERR(err, CRYPTO_EOPENSSL, "tls-alpn-01: SHA-256 of the key authorization failed");
        struct cert *cert = NULL;
        struct key *key = NULL;
        int status = cert_acme_tls_alpn01_new(&cert, &key, name, digest, err);
        if (status == SMT_OK)
                status = net_tls_acme_ctx_new(out, cert, key, err); /* the context keeps its own references */
        cert_free(cert);
        key_free(key);
        return status;
}

/* Index of server_name in the table, or num_tls_alpn01 (DNS names compare without case); lock held. */
static size_t gw_challenges_tls_alpn01_find(const struct gw_challenges *challenges, const char *server_name)
{
        size_t i = 0;
        while (i < challenges->num_tls_alpn01 && strcasecmp(challenges->tls_alpn01[i].server_name, server_name) != 0)
                i++;
        return i;
}

int gw_challenges_add_tls_alpn01(struct gw_challenges *challenges, const char *name, const char *key_authorization,
                                 struct err *err)
{
        char server_name[GW_CHALLENGES_NAME_MAX];
        if (name == NULL || name[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL, "tls-alpn-01: no name");
        TRY(gw_challenges_check_key_authorization(key_authorization, err));
        TRY(gw_challenges_server_name(server_name, name, err));
        struct gw_challenges_tls_alpn01 made = {.server_name = strdup(server_name)};
        if (made.server_name == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "tls-alpn-01: copying the name");
        int status = gw_challenges_validation_ctx(&made.ctx, name, key_authorization, err);
        if (status != SMT_OK) {
                gw_challenges_tls_alpn01_clear(&made);
                return status;
        }
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_tls_alpn01_find(challenges, server_name);
        if (i < challenges->num_tls_alpn01)
                gw_challenges_tls_alpn01_clear(&challenges->tls_alpn01[i]); /* live handshakes keep theirs */
        else
                status = gw_challenges_grow((void **)&challenges->tls_alpn01, challenges->num_tls_alpn01,
                                            &challenges->cap_tls_alpn01, sizeof *challenges->tls_alpn01, err);
        if (status == SMT_OK) {
                challenges->tls_alpn01[i] = made;
                if (i == challenges->num_tls_alpn01)
                        challenges->num_tls_alpn01++;
        }
        pthread_mutex_unlock(&challenges->lock);
        if (status != SMT_OK)
                gw_challenges_tls_alpn01_clear(&made);
        return status;
}

void gw_challenges_remove_tls_alpn01(struct gw_challenges *challenges, const char *name)
{
        char server_name[GW_CHALLENGES_NAME_MAX];
        struct err ignored;
        if (gw_challenges_server_name(server_name, name, &ignored) != SMT_OK)
                return;
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_tls_alpn01_find(challenges, server_name);
        if (i < challenges->num_tls_alpn01) {
                gw_challenges_tls_alpn01_clear(&challenges->tls_alpn01[i]);
                challenges->tls_alpn01[i] = challenges->tls_alpn01[--challenges->num_tls_alpn01];
        }
        pthread_mutex_unlock(&challenges->lock);
}

struct ssl_ctx_st *gw_challenges_tls_alpn01_select(void *arg, const char *server_name)
{
        struct gw_challenges *challenges = arg;
        SSL_CTX *ctx = NULL;
        if (challenges == NULL || server_name == NULL)
                return NULL;
        pthread_mutex_lock(&challenges->lock);
        size_t i = gw_challenges_tls_alpn01_find(challenges, server_name);
        if (i < challenges->num_tls_alpn01 && SSL_CTX_up_ref(challenges->tls_alpn01[i].ctx) == 1)
                ctx = challenges->tls_alpn01[i].ctx;
        pthread_mutex_unlock(&challenges->lock);
        return ctx;
}
