/* src/gateway/acme_client.c: opening a client on a directory (RFC 8555 7.1.1), problem documents (6.7) and
 * accounts (7.3, with external account binding 7.3.4). */
#include "gateway/acme_client_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"

#define GW_ACME_ERROR_PREFIX "urn:ietf:params:acme:error:"

static void gw_acme_copy_text(char *out, size_t cap, const json_t *value)
{
        const char *text = json_string_value(value);
        snprintf(out, cap, "%s", text ? text : "");
}

int gw_acme_problem_parse(struct gw_acme_problem *out, const uint8_t *body, size_t body_len, int http_status,
                          struct err *err)
{
        memset(out, 0, sizeof(*out));
        out->http_status = http_status;
        json_error_t error;
        json_t *doc = body_len ? json_loadb((const char *)body, body_len, 0, &error) : NULL;
        if (!json_is_object(doc)) {
                json_decref(doc);
                return SMT_ERR(err, SMT_EDECODE, "problem document (HTTP %d): not a JSON object", http_status);
        }
        gw_acme_copy_text(out->type, sizeof(out->type), json_object_get(doc, "type"));
        gw_acme_copy_text(out->detail, sizeof(out->detail), json_object_get(doc, "detail"));
        json_decref(doc);
        return 0;
}

bool gw_acme_problem_is(const struct gw_acme_problem *problem, const char *short_type)
{
        const char *type = problem->type;
        if (strncmp(type, GW_ACME_ERROR_PREFIX, strlen(GW_ACME_ERROR_PREFIX)) != 0)
                return false;
        return strcmp(type + strlen(GW_ACME_ERROR_PREFIX), short_type) == 0;
}

const struct gw_acme_problem *gw_acme_client_last_problem(const struct gw_acme_client *client)
{
        return &client->problem;
}

const char *gw_acme_client_account_url(const struct gw_acme_client *client)
{
        return client->account_url;
}

static CURLcode gw_acme_curl_status = CURLE_FAILED_INIT;
static pthread_once_t gw_acme_curl_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe and must run once per process (libcurl-tutorial "Global Preparation"). */
static void gw_acme_curl_init(void)
{
        gw_acme_curl_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int gw_acme_directory_read(struct gw_acme_client *client, const json_t *directory, struct err *err)
{
        const char *what = "directory";
        TRY(gw_acme_copy_url(client->new_nonce_url, directory, "newNonce", what, err));
        TRY(gw_acme_copy_url(client->new_account_url, directory, "newAccount", what, err));
        TRY(gw_acme_copy_url(client->new_order_url, directory, "newOrder", what, err));
        TRY(gw_acme_copy_url(client->revoke_cert_url, directory, "revokeCert", what, err));
        if (json_object_get(directory, "renewalInfo"))
                TRY(gw_acme_copy_url(client->renewal_info_url, directory, "renewalInfo", what, err));
        return 0;
}

static int gw_acme_directory_fetch(struct gw_acme_client *client, struct err *err)
{
        struct gw_acme_response response;
        json_t *directory = NULL;
        char what[GW_ACME_URL_MAX + 16];
        snprintf(what, sizeof(what), "directory %s", client->directory_url);
        gw_acme_response_init(&response);
        int status = gw_acme_http_request(client, "GET", client->directory_url, NULL, 0, &response, err);
        if (status == 0)
                status = gw_acme_check(client, &response, what, err);
        if (status == 0)
                status = gw_acme_response_json(&response, what, &directory, err);
        if (status == 0)
                status = gw_acme_directory_read(client, directory, err);
        json_decref(directory);
        gw_acme_response_cleanup(&response);
        return status;
}

static int gw_acme_config_check(const struct gw_acme_client_config *config, struct err *err)
{
        if (!config->directory_url || strncmp(config->directory_url, "https://", 8) != 0)
                return SMT_ERR(err, SMT_EINVAL, "ACME directory \"%s\": must be an https:// URL (RFC 8555 6.1)",
                               config->directory_url ? config->directory_url : "");
        if (strlen(config->directory_url) >= GW_ACME_URL_MAX)
                return SMT_ERR(err, SMT_EINVAL, "ACME directory URL longer than %d characters", GW_ACME_URL_MAX - 1);
        if (config->ca_file && strlen(config->ca_file) >= sizeof(((struct gw_acme_client *)0)->ca_file_store))
                return SMT_ERR(err, SMT_EINVAL, "trust file name too long");
        struct stat st;
        if (config->ca_file && stat(config->ca_file, &st) != 0)
                return SMT_ERR(err, SMT_EIO, "trust file %s: %s", config->ca_file, strerror(errno));
        return 0;
}

int gw_acme_client_open(struct gw_acme_client **out, const struct gw_acme_client_config *config, struct err *err)
{
        TRY(gw_acme_config_check(config, err));
        pthread_once(&gw_acme_curl_once, gw_acme_curl_init);
        if (gw_acme_curl_status != CURLE_OK)
                return SMT_ERR(err, SMT_EINTERNAL, "libcurl: %s", curl_easy_strerror(gw_acme_curl_status));
        struct gw_acme_client *client = calloc(1, sizeof(*client));
        if (!client)
                return SMT_ERR(err, SMT_ENOMEM, "ACME client: out of memory");
        client->curl = curl_easy_init();
        if (!client->curl) {
                free(client);
                return SMT_ERR(err, SMT_ENOMEM, "ACME client: curl_easy_init failed");
        }
        if (config->ca_file) {
                snprintf(client->ca_file_store, sizeof(client->ca_file_store), "%s", config->ca_file);
                client->ca_file = client->ca_file_store;
        }
        client->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 30000;
        client->retry_after_max_s = config->retry_after_max_s > 0 ? config->retry_after_max_s : 10;
        client->cancel = config->cancel;
        snprintf(client->directory_url, sizeof(client->directory_url), "%s", config->directory_url);
        int status = gw_acme_directory_fetch(client, err);
        if (status < 0) {
                gw_acme_client_free(client);
                return status;
        }
        *out = client;
        return 0;
}

void gw_acme_client_free(struct gw_acme_client *client)
{
        if (!client)
                return;
        curl_easy_cleanup(client->curl);
        free(client);
}

int gw_acme_account_key_load(struct key **out, bool *created, const char *path, struct err *err)
{
        struct stat st;
        *created = false;
        if (stat(path, &st) == 0)
                return key_load(out, path, NULL, err);
        if (errno != ENOENT)
                return SMT_ERR(err, SMT_EIO, "account key %s: %s", path, strerror(errno));
        struct key *key = NULL;
        TRY(key_generate(&key, KEY_ALG_EC_P256, err));
        int status = key_save_private(key, path, KEY_FORMAT_PEM, NULL, false, err);
        if (status < 0) {
                key_free(key);
                return err_prefix(err, "account key %s", path);
        }
        *created = true;
        *out = key;
        return 0;
}

/* RFC 8555 7.3.4: the binding is a JWS over the account's JWK, MACed with the CA's key, url = newAccount. */
static int gw_acme_eab(struct gw_acme_client *client, const struct gw_acme_account_params *params, json_t **out,
                       struct err *err)
{
        struct jose_jwk *jwk = NULL;
        uint8_t *mac_key = NULL;
        size_t mac_key_len = 0;
        char *jwk_text = NULL;
        struct buf_writer jws;
        buf_writer_init_heap(&jws, 64 * 1024);
        int status = jose_jwk_from_key(&jwk, params->key, err);
        json_t *jwk_json = status == 0 ? jose_jwk_to_json(jwk) : NULL;
        jwk_text = jwk_json ? json_dumps(jwk_json, JSON_COMPACT) : NULL;
        if (status == 0 && !jwk_text)
                status = SMT_ERR(err, SMT_ENOMEM, "external account binding: out of memory");
        if (status == 0 && jose_b64url_decode(params->eab_hmac_key_b64, strlen(params->eab_hmac_key_b64), &mac_key,
                                              &mac_key_len, err) < 0)
                status = SMT_ERR(err, SMT_EINVAL, "external account binding: the HMAC key is not base64url");
        if (status == 0)
                status = jose_jws_sign_hmac(mac_key, mac_key_len, params->eab_kid, client->new_account_url,
                                            (const uint8_t *)jwk_text, strlen(jwk_text), &jws, err);
        json_error_t error;
        if (status == 0 && !(*out = json_loadb((const char *)jws.data, jws.len, 0, &error)))
                status = SMT_ERR(err, SMT_EINTERNAL, "external account binding: unreadable JWS");
        if (mac_key)
                explicit_bzero(mac_key, mac_key_len);
        free(mac_key);
        free(jwk_text);
        json_decref(jwk_json);
        jose_jwk_free(jwk);
        buf_writer_cleanup(&jws);
        return status;
}

static int gw_acme_account_payload(struct gw_acme_client *client, const struct gw_acme_account_params *params,
                                   json_t *payload, struct err *err)
{
        json_object_set_new(payload, "termsOfServiceAgreed", json_true());
        if (params->only_existing)
                json_object_set_new(payload, "onlyReturnExisting", json_true());
        if (params->num_contacts > 0) {
                json_t *contacts = json_array();
                for (size_t i = 0; i < params->num_contacts; i++)
                        json_array_append_new(contacts, json_string(params->contacts[i]));
                json_object_set_new(payload, "contact", contacts);
        }
        if (params->eab_kid && params->eab_hmac_key_b64) {
                json_t *binding = NULL;
                TRY(gw_acme_eab(client, params, &binding, err));
                json_object_set_new(payload, "externalAccountBinding", binding);
        }
        return 0;
}

static int gw_acme_thumbprint(struct gw_acme_client *client, const struct key *key, struct err *err)
{
        struct jose_jwk *jwk = NULL;
        TRY(jose_jwk_from_key(&jwk, key, err));
        int status = jose_jwk_thumbprint(jwk, client->thumbprint, err);
        jose_jwk_free(jwk);
        return status;
}

int gw_acme_client_account(struct gw_acme_client *client, const struct gw_acme_account_params *params, bool *created,
                           struct err *err)
{
        TRY(gw_acme_thumbprint(client, params->key, err));
        client->account_key = params->key;
        client->account_url[0] = '\0';
        json_t *payload = json_object();
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        int status = payload ? gw_acme_account_payload(client, params, payload, err)
                             : SMT_ERR(err, SMT_ENOMEM, "newAccount: out of memory");
        if (status == 0)
                status = gw_acme_post(client, client->new_account_url, payload, true, "newAccount", &response, err);
        if (status == 0 && !response.location[0])
                status = SMT_ERR(err, GW_EACME, "newAccount: no account URL (Location) in the answer");
        if (status == 0) {
                memcpy(client->account_url, response.location, sizeof(client->account_url));
                if (created)
                        *created = response.status == 201;
        }
        json_decref(payload);
        gw_acme_response_cleanup(&response);
        return status;
}
