/* src/gateway/server.c: the gateway process around its workers: start, reload, privilege drop, stop. */
#include "gateway/server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "gateway/admin.h"
#include "gateway/autocert.h"
#include "gateway/autocert_status.h"
#include "gateway/health.h"
#include "gateway/stapling.h"
#include "gateway/status.h"
#include "gateway/worker.h"
#include "net/signals.h"

/* TLCP sessions kept for resumption, shared by all workers and every generation. */
#define GW_SERVER_SESSIONS         20000
#define GW_SERVER_SESSION_LIFETIME 3600
/* Rebuilds for new certificates are at least this far apart: while many sites get theirs (the first start
 * of a large configuration), the running configuration is rebuilt once a second, not once per certificate. */
#define GW_SERVER_REBUILD_GAP_MS 1000

struct gw_server {
        const char *config_path;
        struct net_loop *loop; /* the main thread's: signals and admin */
        struct net_signals signals;
        struct gw_runtime *rt;
        struct tlcp_session_cache *sessions;
        struct gw_shared shared;
        struct gw_worker *workers;
        int num_workers;
        struct gw_admin *admin;
        int error_log_fd; /* -1: standard error as inherited */
        struct gw_server_checks *checks; /* active health checks of rt's sites (main loop) */
        struct gw_challenges *challenges; /* ACME challenges answered by every generation */
        struct gw_autocert *autocert;     /* NULL until a site has certificates: auto */
        atomic_bool is_rebuild_posted;    /* a rebuild for new certificates waits on the main loop */
        struct net_timer rebuild_timer;   /* holds a rebuild back until GW_SERVER_REBUILD_GAP_MS passed */
        int64_t last_rebuild_ms;          /* main loop time of the last rebuild; 0: none yet */
        struct gw_stapling *stapling;     /* OCSP staples of every generation's TLS certificates */
};

/* The active health checks of one site, telling its balancer (owned by the runtime they were started
 * for, which outlives them: checks stop before the server drops its reference). */
struct gw_server_site_checks {
        struct gw_health *health;
        struct gw_balancer *balancer;
        struct net_loop *loop;
};

struct gw_server_checks {
        struct gw_server_site_checks *sites;
        size_t num;
};

static const char *gw_server_kind_name(const struct gw_listener *l)
{
        if (l->kind == GW_LISTENER_HTTP)
                return "http";
        if (l->kind == GW_LISTENER_REDIRECT)
                return "redirect to https";
        return l->tlcp && l->tls ? "https: tlcp+tls" : l->tlcp ? "https: tlcp" : "https: tls";
}

int gw_server_check(const char *config_path, char *summary, size_t summary_cap, struct config_errors *errors,
                    struct err *err)
{
        struct gw_config config;
        TRY(gw_config_load(&config, config_path, errors));
        struct gw_sites *sites = NULL;
        int status = gw_sites_build(&sites, &config, err);
        if (status == 0)
                snprintf(summary, summary_cap, "%zu listener(s), %zu site(s)", config.listeners.num,
                         gw_sites_count(sites));
        gw_sites_free(sites);
        gw_config_free(&config);
        return status;
}

static void gw_server_check_changed(void *arg, size_t index, bool is_up, const char *reason)
{
        struct gw_server_site_checks *site = arg;
        struct err err;
        log_warning("health check: %s is %s", reason, is_up ? "up" : "down");
        SMT_IGNORE(gw_balancer_set_up(site->balancer, index, is_up, net_loop_now_ms(site->loop), &err)); /* index is ours */
}

static void gw_server_checks_stop(struct gw_server_checks *checks)
{
        if (checks == NULL)
                return;
        for (size_t i = 0; i < checks->num; i++)
                gw_health_stop(checks->sites[i].health);
        free(checks->sites);
        free(checks);
}

static int gw_server_site_checks_start(struct gw_server_site_checks *out, struct net_loop *loop,
                                       const struct gw_site *site, const struct gw_runtime_origin *ro, struct err *err)
{
        const struct gw_health_check_config *hc = &site->config->upstream.health_check;
        struct gw_health_config config = {
                .kind = hc->kind == GW_CHECK_TCP ? GW_HEALTH_TCP : GW_HEALTH_HTTP,
                .path = hc->path,
                .host = hc->host,
                .status_min = (int)hc->expect_min,
                .status_max = (int)hc->expect_max,
                .interval_ms = (int)hc->interval_ms,
                .timeout_ms = (int)hc->timeout_ms,
                .rise = (int)hc->rise,
                .fall = (int)hc->fall,
        };
        struct gw_health_target *targets = calloc(ro->num_servers, sizeof *targets);
        if (targets == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        for (size_t i = 0; i < ro->num_servers; i++)
                targets[i] = (struct gw_health_target){ .addr = ro->servers[i].addr, .addr_len = ro->servers[i].addr_len,
                                                        .name = ro->servers[i].name, .tls_ctx = ro->servers[i].tls_ctx };
        out->balancer = ro->balancer;
        out->loop = loop;
        int status = gw_health_start(&out->health, loop, &config, targets, ro->num_servers, gw_server_check_changed,
                                     out, err);
        free(targets);
        if (status < 0)
                return SMT_ERR(err, status, "site %s: health checks: %s", site->name, err->msg);
        return SMT_OK;
}

/* gw_server_checks_start starts the active health checks of every site of rt that has them. */
static int gw_server_checks_start(struct gw_server_checks **out, struct net_loop *loop, const struct gw_runtime *rt,
                                  struct err *err)
{
        size_t num_sites = gw_sites_count(rt->sites);
        struct gw_server_checks *checks = calloc(1, sizeof *checks);
        if (checks != NULL)
                checks->sites = calloc(num_sites > 0 ? num_sites : 1, sizeof *checks->sites);
        if (checks == NULL || checks->sites == NULL) {
                free(checks);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < num_sites; i++) {
                const struct gw_site *site = gw_sites_get(rt->sites, i);
                if (site->config->upstream.servers.num == 0 || site->config->upstream.health_check.kind == GW_CHECK_NONE)
                        continue;
                int status = gw_server_site_checks_start(&checks->sites[checks->num], loop, site, &rt->origins[i], err);
                if (status < 0) {
                        gw_server_checks_stop(checks);
                        return status;
                }
                checks->num++;
        }
        *out = checks;
        return SMT_OK;
}

static int gw_server_upstreams(void *arg, bool is_json, struct buf_writer *out, struct err *err)
{
        struct gw_server *server = arg;
        return gw_status_upstreams(server->rt, net_loop_now_ms(server->loop), is_json, out, err);
}

/* gw_server_open_error_log points standard error (where base/log.h writes) at the configured file. */
static int gw_server_open_error_log(struct gw_server *server, struct err *err)
{
        const char *path = server->rt->config.log.error;
        if (path == NULL || strcmp(path, "-") == 0 || strcmp(path, "stderr") == 0)
                return SMT_OK;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "error log %s: %m", path);
        dup2(fd, STDERR_FILENO);
        close(fd);
        return SMT_OK;
}

static int gw_server_drop_privileges(const struct gw_config *config, struct err *err)
{
        if (config->user == NULL)
                return SMT_OK;
        if (geteuid() != 0)
                return SMT_ERR(err, SMT_EPERM, "user %s: only a gateway started as root can switch user", config->user);
        struct passwd *pw = getpwnam(config->user);
        if (pw == NULL)
                return SMT_ERR(err, SMT_ECONFIG, "user %s: no such user", config->user);
        gid_t gid = pw->pw_gid;
        if (config->group != NULL) {
                struct group *gr = getgrnam(config->group);
                if (gr == NULL)
                        return SMT_ERR(err, SMT_ECONFIG, "group %s: no such group", config->group);
                gid = gr->gr_gid;
        }
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0)
                return SMT_ERR(err, SMT_EPERM, "switching to user %s: %m", config->user);
        if (setuid(0) == 0)
                return SMT_ERR(err, SMT_EPERM, "switching to user %s: root could be regained", config->user);
        log_info("smtrust gateway: running as user %s", config->user);
        return SMT_OK;
}

static void gw_server_log_problems(const char *what, const struct config_errors *errors, const struct err *err)
{
        if (errors->num == 0) {
                log_error("%s: %s", what, err->msg);
                return;
        }
        for (size_t i = 0; i < errors->num; i++)
                log_error("%s: %s", what, errors->list[i].text);
        if (errors->num_more > 0)
                log_error("%s: and %zu more problem(s)", what, errors->num_more);
}

static void gw_server_publish_sites(struct gw_server *server)
{
        struct err err;
        size_t n = gw_sites_count(server->rt->sites);
        const char **names = calloc(n > 0 ? n : 1, sizeof *names);
        if (names == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                names[i] = gw_sites_get(server->rt->sites, i)->name;
        if (gw_metrics_set_sites(server->shared.metrics, names, n, &err) < 0)
                log_warning("metrics: %s", err.msg);
        free(names);
}

/* gw_server_publish makes rt (built beside the running one) the one new connections get: its health checks
 * start first, and if they cannot, rt is dropped and the running one stays. */
static bool gw_server_publish(struct gw_server *server, struct gw_runtime *rt, const char *refused)
{
        static struct config_errors none; /* main thread only */
        struct err err = {0};
        struct gw_server_checks *checks = NULL;
        if (gw_server_checks_start(&checks, server->loop, rt, &err) < 0) {
                gw_server_log_problems(refused, &none, &err);
                gw_runtime_unref(rt);
                return false;
        }
        gw_server_checks_stop(server->checks); /* before the old runtime's balancers can go */
        server->checks = checks;
        struct gw_runtime *old = server->rt;
        server->rt = rt;
        gw_server_publish_sites(server);
        for (int i = 0; i < server->num_workers; i++)
                if (gw_worker_switch(&server->workers[i], rt, &err) < 0)
                        log_error("worker %d: %s", i, err.msg);
        gw_runtime_unref(old);
        gw_stapling_commit(server->stapling, rt->stapling_mark);
        return true;
}

static bool gw_server_has_auto_sites(const struct gw_config *config)
{
        const struct gw_site_config *sites = config->sites.items;
        for (size_t i = 0; i < config->sites.num; i++)
                if (sites[i].certificates == GW_CERTIFICATES_AUTO)
                        return true;
        return false;
}

static void gw_server_certificates_changed(void *arg);

static int gw_server_certificates(void *arg, bool is_json, struct buf_writer *out, struct err *err)
{
        struct gw_server *server = arg;
        if (!is_json) {
                if (server->autocert != NULL)
                        TRY(gw_autocert_status_write(server->autocert, false, out, err));
                return gw_stapling_status_metrics(server->stapling, out, err);
        }
        return gw_stapling_status_document(server->stapling, server->autocert, out, err);
}

/* gw_server_autocert starts the ACME manager once a site has certificates: auto, or gives it the
 * configuration just published. */
static void gw_server_autocert(struct gw_server *server)
{
        struct err err = {0};
        if (server->autocert != NULL) {
                if (gw_autocert_update(server->autocert, &server->rt->config, &err) < 0)
                        log_error("acme: %s", err.msg);
                return;
        }
        if (!gw_server_has_auto_sites(&server->rt->config))
                return;
        if (gw_autocert_start(&server->autocert, &server->rt->config, server->challenges,
                              gw_server_certificates_changed, server, &err) < 0) {
                log_error("acme: %s", err.msg);
                gw_autocert_stop(server->autocert);
                server->autocert = NULL;
                return;
        }
        gw_stapling_set_autocert(server->stapling, server->autocert); /* revoked staples renew at once */
}

static void gw_server_reload(struct gw_server *server)
{
        static struct config_errors errors; /* main thread only; large */
        static const char refused[] = "smtrust gateway: reload refused (the running configuration stays)";
        struct err err = { 0 };
        struct gw_runtime *rt = NULL;
        int status = gw_runtime_build(&rt, server->config_path, server->rt, server->sessions, server->challenges,
                                      server->stapling, &errors, &err);
        if (status < 0) {
                gw_server_log_problems(refused, &errors, &err);
                gw_metrics_reload(server->shared.metrics, false);
                return;
        }
        if (!gw_server_publish(server, rt, refused)) {
                gw_metrics_reload(server->shared.metrics, false);
                return;
        }
        gw_metrics_reload(server->shared.metrics, true);
        gw_server_autocert(server);
        log_info("smtrust gateway: reloaded %s (%zu sites)", server->config_path, gw_sites_count(server->rt->sites));
}

/* gw_server_rebuild_now builds the running configuration again with the certificates now on disk;
 * connections in flight finish on the old runtime. */
static void gw_server_rebuild_now(struct gw_server *server)
{
        static struct config_errors errors; /* main thread only; large */
        static const char refused[] = "acme: new certificates not served yet (the running ones stay)";
        struct err err = {0};
        struct gw_runtime *rt = NULL;
        atomic_store(&server->is_rebuild_posted, false);
        server->last_rebuild_ms = net_loop_now_ms(server->loop);
        if (gw_runtime_rebuild(&rt, server->config_path, server->rt, &errors, &err) < 0) {
                gw_server_log_problems(refused, &errors, &err);
                return;
        }
        if (gw_server_publish(server, rt, refused))
                log_info("acme: serving the new certificates (generation %llu)", (unsigned long long)rt->generation);
}

static void gw_server_rebuild_timer(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop, (void)timer;
        gw_server_rebuild_now(arg);
}

/* gw_server_rebuild runs on the main loop after the ACME manager put new certificates in place. */
static void gw_server_rebuild(struct net_loop *loop, void *arg)
{
        struct gw_server *server = arg;
        struct err err;
        int64_t wait_ms = server->last_rebuild_ms + GW_SERVER_REBUILD_GAP_MS - net_loop_now_ms(loop);
        if (server->last_rebuild_ms != 0 && wait_ms > 0 &&
            net_loop_timer_start(loop, &server->rebuild_timer, wait_ms, gw_server_rebuild_timer, server, &err) == 0)
                return;
        gw_server_rebuild_now(server);
}

/* Called by an ACME thread: one rebuild is posted for any number of certificates that arrive meanwhile. */
static void gw_server_certificates_changed(void *arg)
{
        struct gw_server *server = arg;
        struct err err;
        if (atomic_exchange(&server->is_rebuild_posted, true))
                return;
        if (net_loop_post(server->loop, gw_server_rebuild, server, &err) < 0) {
                atomic_store(&server->is_rebuild_posted, false);
                log_error("acme: %s", err.msg);
        }
}

static void gw_server_signal(struct net_loop *loop, int signal_number, void *arg)
{
        struct gw_server *server = arg;
        struct err err;
        if (signal_number == SIGHUP) {
                gw_server_reload(server);
        } else if (signal_number == SIGUSR1) {
                if (gw_log_file_reopen(server->shared.access_log, &err) < 0 || gw_server_open_error_log(server, &err) < 0)
                        log_error("smtrust gateway: reopening logs: %s", err.msg);
                else
                        log_info("smtrust gateway: logs reopened");
        } else {
                log_info("smtrust gateway: stopping (connections may finish for %lld ms)",
                         (long long)server->rt->config.timeouts.shutdown_ms);
                net_loop_stop(loop);
        }
}

static int gw_server_start_workers(struct gw_server *server, struct err *err)
{
        server->num_workers = gw_config_workers(&server->rt->config);
        server->workers = calloc((size_t)server->num_workers, sizeof *server->workers);
        if (server->workers == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        TRY(gw_metrics_new(&server->shared.metrics, server->num_workers, err));
        gw_server_publish_sites(server);
        for (int i = 0; i < server->num_workers; i++)
                TRY(gw_worker_start(&server->workers[i], i, &server->shared, server->rt, err));
        return SMT_OK;
}

static int gw_server_start(struct gw_server *server, struct config_errors *errors, struct err *err)
{
        static const int signals[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
        TRY(net_loop_new(&server->loop, err));
        /* Before any thread exists: the workers inherit the blocked mask. */
        TRY(net_signals_init(&server->signals, server->loop, signals, sizeof signals / sizeof signals[0],
                             gw_server_signal, server, err));
        signal(SIGPIPE, SIG_IGN);
        TRY(tlcp_session_cache_new(&server->sessions, GW_SERVER_SESSIONS, GW_SERVER_SESSION_LIFETIME, err));
        TRY(gw_challenges_new(&server->challenges, err));
        TRY(gw_stapling_new(&server->stapling, err));
        TRY(gw_runtime_build(&server->rt, server->config_path, NULL, server->sessions, server->challenges,
                             server->stapling, errors, err));
        enum log_level level = (enum log_level)server->rt->config.log.level;
        log_set_level(level);
        TRY(gw_server_open_error_log(server, err));
        TRY(gw_log_file_open(&server->shared.access_log, server->rt->config.log.access, err));
        for (size_t i = 0; i < server->rt->num_listeners; i++)
                log_info("smtrust gateway: listening on %s (%s)", server->rt->listeners[i]->text,
                         gw_server_kind_name(server->rt->listeners[i]));
        TRY(gw_server_start_workers(server, err));
        TRY(gw_server_checks_start(&server->checks, server->loop, server->rt, err));
        if (server->rt->config.admin.listen != NULL) {
                TRY(gw_admin_start(&server->admin, server->loop, server->rt->config.admin.listen, server->shared.metrics,
                                   gw_server_upstreams, server, gw_server_certificates, server, err));
                log_info("smtrust gateway: admin on %s (/metrics, /healthz, /upstreams, /certificates)", server->rt->config.admin.listen);
        }
        TRY(gw_server_drop_privileges(&server->rt->config, err));
        gw_server_autocert(server); /* after the drop: state files belong to the user the gateway runs as */
        log_info("smtrust gateway: ready (%d workers, %zu sites)", server->num_workers,
                 gw_sites_count(server->rt->sites));
        return SMT_OK;
}

static void gw_server_cleanup(struct gw_server *server)
{
        for (int i = 0; server->workers != NULL && i < server->num_workers; i++)
                if (server->workers[i].loop != NULL)
                        gw_worker_stop(&server->workers[i]);
        for (int i = 0; server->workers != NULL && i < server->num_workers; i++)
                gw_worker_join(&server->workers[i]);
        free(server->workers);
        if (server->stapling != NULL)
                gw_stapling_set_autocert(server->stapling, NULL);
        gw_autocert_stop(server->autocert);
        gw_server_checks_stop(server->checks);
        gw_admin_stop(server->admin);
        gw_runtime_unref(server->rt);
        gw_stapling_free(server->stapling); /* no handshake runs any more: the workers are gone */
        gw_metrics_free(server->shared.metrics);
        gw_log_file_close(server->shared.access_log);
        tlcp_session_cache_free(server->sessions);
        gw_challenges_free(server->challenges);
        net_signals_cleanup(&server->signals);
        if (server->loop != NULL)
                net_loop_timer_stop(server->loop, &server->rebuild_timer);
        if (server->loop != NULL)
                net_loop_free(server->loop);
}

int gw_server_run(const char *config_path, struct config_errors *errors, struct err *err)
{
        struct gw_server server = { .config_path = config_path, .error_log_fd = -1 };
        errors->num = errors->num_more = 0;
        int status = gw_server_start(&server, errors, err);
        if (status == 0)
                status = net_loop_run(server.loop, err);
        gw_server_cleanup(&server);
        if (status == 0)
                log_info("smtrust gateway: stopped");
        return status;
}
