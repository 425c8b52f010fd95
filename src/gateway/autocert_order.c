/* src/gateway/autocert_order.c: one order of the manager: the ACME client opened on the kind's server, the
 * account found or made with the key kept in the state folder, the challenges answered by the gateway itself
 * (http-01 and tls-alpn-01 through gateway/challenges.h) or by the operator's DNS hook (dns-01), and the
 * certificate (or SM2 pair) written whole into a new folder. */

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/acme_client.h"
#include "gateway/autocert_internal.h"

extern char **environ;

/* How long a DNS hook may run before it is killed: publishing a record may wait for propagation. */
#define GW_AUTOCERT_HOOK_TIMEOUT_S 300
/* Each ACME request, connection included. */
#define GW_AUTOCERT_REQUEST_TIMEOUT_MS 30000

static const char *gw_autocert_challenge_type_name(int type)
{
        return type == GW_ACME_HTTP01 ? "http-01" : type == GW_ACME_TLS_ALPN01 ? "tls-alpn-01" : "dns-01";
}

/* gw_autocert_hook_run runs `hook verb fqdn value` and waits for it (bounded); 0 when it exits 0. */
static int gw_autocert_hook_run(const char *hook, const char *verb, const char *fqdn, const char *value,
                                const atomic_bool *cancel, struct err *err)
{
        char *argv[] = {(char *)hook, (char *)verb, (char *)fqdn, (char *)value, NULL};
        pid_t pid;
        int rc = posix_spawn(&pid, hook, NULL, NULL, argv, environ);
        if (rc != 0)
                return SMT_ERR(err, SMT_EIO, "dns_hook %s: cannot run it: %s", hook, strerror(rc));
        int wstatus = 0;
        for (int waited_ms = 0;; waited_ms += 50) {
                pid_t done = waitpid(pid, &wstatus, WNOHANG);
                if (done == pid)
                        break;
                if (done < 0 && errno != EINTR)
                        return SMT_ERR(err, SMT_EIO, "dns_hook %s: waitpid: %s", hook, strerror(errno));
                bool is_cancelled = cancel != NULL && atomic_load(cancel);
                if (waited_ms >= GW_AUTOCERT_HOOK_TIMEOUT_S * 1000 || is_cancelled) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &wstatus, 0);
                        if (is_cancelled)
                                return SMT_ERR(err, SMT_EIO, "dns_hook %s %s %s: killed: the gateway is stopping",
                                               hook, verb, fqdn);
                        return SMT_ERR(err, SMT_EIO, "dns_hook %s %s %s: still running after %d s, killed", hook,
                                       verb, fqdn, GW_AUTOCERT_HOOK_TIMEOUT_S);
                }
                usleep(50 * 1000);
        }
        if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
                return SMT_OK;
        if (WIFEXITED(wstatus))
                return SMT_ERR(err, SMT_EIO, "dns_hook %s %s %s: exit status %d", hook, verb, fqdn,
                               WEXITSTATUS(wstatus));
        return SMT_ERR(err, SMT_EIO, "dns_hook %s %s %s: killed by signal %d", hook, verb, fqdn,
                       WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}

static int gw_autocert_dns_hook(const struct gw_autocert_order *order, const char *verb,
                                const struct gw_acme_challenge *challenge, struct err *err)
{
        char fqdn[300];
        if ((size_t)snprintf(fqdn, sizeof fqdn, "_acme-challenge.%s.", challenge->identifier) >= sizeof fqdn)
                return SMT_ERR(err, SMT_EINVAL, "name too long: %s", challenge->identifier);
        return gw_autocert_hook_run(order->settings->dns_hook, verb, fqdn, challenge->dns_value, order->cancel, err);
}

static int gw_autocert_present(void *context, const struct gw_acme_challenge *challenge, struct err *err)
{
        const struct gw_autocert_order *order = context;
        log_debug("acme: site %s: answering %s for %s", order->site, challenge->type, challenge->identifier);
        if (strcmp(challenge->type, "http-01") == 0)
                return gw_challenges_add_http01(order->challenges, challenge->token, challenge->key_authorization,
                                                err);
        if (strcmp(challenge->type, "tls-alpn-01") == 0)
                return gw_challenges_add_tls_alpn01(order->challenges, challenge->identifier,
                                                    challenge->key_authorization, err);
        if (strcmp(challenge->type, "dns-01") == 0 && order->settings->dns_hook != NULL)
                return gw_autocert_dns_hook(order, "present", challenge, err);
        return SMT_ERR(err, SMT_EINVAL, "challenge type %s cannot be answered", challenge->type);
}

static void gw_autocert_cleanup(void *context, const struct gw_acme_challenge *challenge)
{
        const struct gw_autocert_order *order = context;
        struct err err;
        if (strcmp(challenge->type, "http-01") == 0)
                gw_challenges_remove_http01(order->challenges, challenge->token);
        else if (strcmp(challenge->type, "tls-alpn-01") == 0)
                gw_challenges_remove_tls_alpn01(order->challenges, challenge->identifier);
        else if (strcmp(challenge->type, "dns-01") == 0 && gw_autocert_dns_hook(order, "cleanup", challenge, &err) < 0)
                log_warning("acme: site %s: %s", order->site, err.msg);
}

static int gw_autocert_client_open(struct gw_acme_client **client, const struct gw_autocert_issuer *issuer,
                                   const atomic_bool *cancel, struct err *err)
{
        struct gw_acme_client_config config = {
                .directory_url = issuer->directory,
                .ca_file = issuer->ca_file,
                .timeout_ms = GW_AUTOCERT_REQUEST_TIMEOUT_MS,
                .cancel = cancel,
        };
        return gw_acme_client_open(client, &config, err);
}

/* The account key in the state folder: made on first use. Two gateways sharing the folder may race to make
 * it; the loser reads the winner's. */
static int gw_autocert_account(struct gw_acme_client *client, struct key **key,
                               const struct gw_autocert_settings *settings, const struct gw_autocert_issuer *issuer,
                               struct err *err)
{
        char path[GW_AUTOCERT_PATH_MAX];
        bool created = false;
        TRY(gw_autocert_store_account_key_path(path, sizeof path, settings->state_dir, issuer->directory, err));
        if (gw_acme_account_key_load(key, &created, path, err) < 0)
                TRY(gw_acme_account_key_load(key, &created, path, err));
        struct gw_acme_account_params params = {
                .key = *key,
                .contacts = (const char *const *)settings->contacts,
                .num_contacts = settings->num_contacts,
                .eab_kid = issuer->eab_kid,
                .eab_hmac_key_b64 = issuer->eab_hmac_key,
        };
        bool account_created = false;
        TRY(gw_acme_client_account(client, &params, &account_created, err));
        if (account_created)
                log_info("acme: new account %s at %s", gw_acme_client_account_url(client), issuer->directory);
        return SMT_OK;
}

/* gw_autocert_order_replaces names the certificate being renewed in the order (RFC 9773 5), for ECC sets
 * (an SM2 pair is two orders); without it the order still goes ahead. */
static void gw_autocert_order_replaces(struct gw_acme_client *client, const struct gw_autocert_order *order)
{
        if (order->replaces == NULL || order->kind != GW_AUTOCERT_ECC)
                return;
        char path[GW_AUTOCERT_PATH_MAX];
        snprintf(path, sizeof path, "%s/cert.pem", order->replaces);
        struct cert_chain *chain = NULL;
        struct err err = {0};
        int status = cert_chain_load_pem(&chain, path, &err);
        if (status == SMT_OK && cert_chain_count(chain) > 0)
                status = gw_acme_client_set_replaces(client, cert_chain_get(chain, 0), &err);
        if (status < 0)
                log_info("acme: site %s: the order will not name the certificate it replaces: %s", order->site, err.msg);
        cert_chain_free(chain);
}

int gw_autocert_order_run(const struct gw_autocert_order *order, const char *new_dir, struct err *err)
{
        const struct gw_autocert_issuer *issuer = &order->settings->issuers[order->kind];
        const char *types[GW_ACME_CHALLENGES_MAX];
        for (size_t i = 0; i < order->settings->num_challenges; i++)
                types[i] = gw_autocert_challenge_type_name(order->settings->challenges[i]);
        struct gw_acme_solver solver = {
                .types = types,
                .num_types = order->settings->num_challenges,
                .present = gw_autocert_present,
                .cleanup = gw_autocert_cleanup,
                .context = (void *)order,
        };
        struct gw_acme_client *client = NULL;
        struct key *account_key = NULL;
        struct gw_acme_issued issued[GW_ACME_ISSUED_MAX];
        size_t num_issued = 0;
        int status = gw_autocert_client_open(&client, issuer, order->cancel, err);
        if (status == SMT_OK)
                status = gw_autocert_account(client, &account_key, order->settings, issuer, err);
        if (status == SMT_OK)
                gw_autocert_order_replaces(client, order);
        if (status == SMT_OK) {
                enum gw_acme_key_type key_type =
                    order->kind == GW_AUTOCERT_SM2 ? GW_ACME_KEY_SM2_PAIR : (enum gw_acme_key_type)issuer->key_type;
                time_t deadline = time(NULL) + (time_t)(order->settings->order_timeout_ms / 1000);
                status = gw_acme_client_issue(client, key_type, (const char *const *)order->names, order->num_names,
                                              &solver, new_dir, deadline, issued, &num_issued, err);
                gw_acme_issued_cleanup(issued, num_issued);
        }
        gw_acme_client_free(client);
        key_free(account_key);
        return status;
}

int gw_autocert_order_renewal_info(const struct gw_autocert_settings *settings, enum gw_autocert_kind kind,
                                   const atomic_bool *cancel, const char *link, time_t *start, time_t *end, int *retry_after_s, struct err *err)
{
        char path[GW_AUTOCERT_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", link, kind == GW_AUTOCERT_SM2 ? "sign.crt" : "cert.pem");
        struct cert_chain *chain = NULL;
        TRY(cert_chain_load_pem(&chain, path, err));
        struct gw_acme_client *client = NULL;
        struct gw_acme_renewal_info info = {0};
        int status = cert_chain_count(chain) > 0 ? SMT_OK : SMT_ERR(err, CRYPTO_ECERT, "%s: no certificate", path);
        if (status == SMT_OK)
                status = gw_autocert_client_open(&client, &settings->issuers[kind], cancel, err);
        if (status == SMT_OK)
                status = gw_acme_client_renewal_info(client, cert_chain_get(chain, 0), &info, err);
        if (status == SMT_OK) {
                *start = info.window_start;
                *end = info.window_end;
                *retry_after_s = info.retry_after_s;
        }
        gw_acme_client_free(client);
        cert_chain_free(chain);
        return status;
}
