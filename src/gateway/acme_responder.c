/* src/gateway/acme_responder.c: the http-01 responder (RFC 8555 8.3) over http/server.h. */
#include "gateway/acme_responder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

#define GW_ACME_RESPONDER_PREFIX      "/.well-known/acme-challenge/"
#define GW_ACME_KEY_AUTHORIZATION_MAX (GW_ACME_TOKEN_MAX + 64)

struct gw_acme_responder_entry {
        char token[GW_ACME_TOKEN_MAX];
        char key_authorization[GW_ACME_KEY_AUTHORIZATION_MAX];
};

struct gw_acme_responder {
        struct http_server *server;
        pthread_mutex_t lock;
        struct gw_acme_responder_entry entries[GW_ACME_RESPONDER_TOKENS_MAX];
        size_t num_entries;
};

static const char *const gw_acme_responder_type_list[] = {"http-01"};

static bool gw_acme_token_is_valid(const char *token)
{
        size_t len = strlen(token);
        return len > 0 && len < GW_ACME_TOKEN_MAX &&
               strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == len;
}

/* Index of token in the table, or num_entries; the caller holds the lock. */
static size_t gw_acme_responder_find(const struct gw_acme_responder *responder, const char *token)
{
        size_t i = 0;
        while (i < responder->num_entries && strcmp(responder->entries[i].token, token) != 0)
                i++;
        return i;
}

static void gw_acme_responder_handle(void *context, const struct http_server_request *request,
                                     struct http_server_response *response)
{
        struct gw_acme_responder *responder = context;
        const char *path = request->path;
        response->status = 404;
        bool is_get = strcmp(request->method, "GET") == 0 || strcmp(request->method, "HEAD") == 0;
        if (!is_get || strncmp(path, GW_ACME_RESPONDER_PREFIX, strlen(GW_ACME_RESPONDER_PREFIX)) != 0)
                return;
        const char *token = path + strlen(GW_ACME_RESPONDER_PREFIX);
        pthread_mutex_lock(&responder->lock);
        size_t i = gw_acme_responder_find(responder, token);
        if (i < responder->num_entries) {
                const char *text = responder->entries[i].key_authorization;
                if (buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)) == 0)
                        response->status = 200;
        }
        pthread_mutex_unlock(&responder->lock);
        if (response->status == 200)
                SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "application/octet-stream"));
}

int gw_acme_responder_start(struct gw_acme_responder **out, const char *listen, struct err *err)
{
        struct gw_acme_responder *responder = calloc(1, sizeof(*responder));
        if (!responder)
                return SMT_ERR(err, SMT_ENOMEM, "http-01 responder: out of memory");
        pthread_mutex_init(&responder->lock, NULL);
        struct http_server_config config = {
            .listen = listen, .threads = 4, .max_body = 1024, .head_timeout_ms = 5000, .server_header = "smtrust-acme"};
        int status = http_server_start(&responder->server, &config, gw_acme_responder_handle, responder, err);
        if (status < 0) {
                pthread_mutex_destroy(&responder->lock);
                free(responder);
                return err_prefix(err, "http-01 responder on %s", listen);
        }
        *out = responder;
        return 0;
}

uint16_t gw_acme_responder_port(const struct gw_acme_responder *responder)
{
        return http_server_port(responder->server);
}

int gw_acme_responder_add(struct gw_acme_responder *responder, const char *token, const char *key_authorization,
                          struct err *err)
{
        if (!gw_acme_token_is_valid(token))
                return SMT_ERR(err, SMT_EINVAL, "http-01 token is not base64url");
        if (strlen(key_authorization) >= GW_ACME_KEY_AUTHORIZATION_MAX)
                return SMT_ERR(err, SMT_EINVAL, "http-01 key authorization too long");
        int status = 0;
        pthread_mutex_lock(&responder->lock);
        size_t i = gw_acme_responder_find(responder, token);
        if (i == responder->num_entries && i == GW_ACME_RESPONDER_TOKENS_MAX)
                status = SMT_ERR(err, SMT_ENOSPACE, "http-01 responder: %d tokens served already",
                                 GW_ACME_RESPONDER_TOKENS_MAX);
        if (status == 0) {
                strcpy(responder->entries[i].token, token);
                strcpy(responder->entries[i].key_authorization, key_authorization);
                if (i == responder->num_entries)
                        responder->num_entries++;
        }
        pthread_mutex_unlock(&responder->lock);
        return status;
}

void gw_acme_responder_remove(struct gw_acme_responder *responder, const char *token)
{
        pthread_mutex_lock(&responder->lock);
        size_t i = gw_acme_responder_find(responder, token);
        if (i < responder->num_entries) {
                responder->num_entries--;
                responder->entries[i] = responder->entries[responder->num_entries];
                explicit_bzero(&responder->entries[responder->num_entries], sizeof(responder->entries[0]));
        }
        pthread_mutex_unlock(&responder->lock);
}

static int gw_acme_responder_present(void *context, const struct gw_acme_challenge *challenge, struct err *err)
{
        return gw_acme_responder_add(context, challenge->token, challenge->key_authorization, err);
}

static void gw_acme_responder_cleanup(void *context, const struct gw_acme_challenge *challenge)
{
        gw_acme_responder_remove(context, challenge->token);
}

void gw_acme_responder_solver(struct gw_acme_responder *responder, struct gw_acme_solver *out)
{
        *out = (struct gw_acme_solver){.types = gw_acme_responder_type_list,
                                       .num_types = 1,
                                       .present = gw_acme_responder_present,
                                       .cleanup = gw_acme_responder_cleanup,
                                       .context = responder};
}

void gw_acme_responder_stop(struct gw_acme_responder *responder)
{
        if (!responder)
                return;
        http_server_stop(responder->server);
        pthread_mutex_destroy(&responder->lock);
        explicit_bzero(responder->entries, sizeof(responder->entries));
        free(responder);
}
