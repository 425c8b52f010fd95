/* src/gateway/server.h: the gateway process: loads the configuration, binds, drops privileges, runs the
 * worker threads, and on its main thread handles signals (SIGHUP reload, SIGUSR1 reopen logs, SIGTERM
 * and SIGINT graceful stop) and the admin listener (Prometheus /metrics, /healthz). */
#ifndef SMT_GATEWAY_SERVER_H
#define SMT_GATEWAY_SERVER_H

#include "base/config.h"
#include "base/err.h"

/* gw_server_check loads config_path and everything it names (certificates, keys, origins), binding
 * nothing; 0 with a summary in summary ("2 listeners, 3 sites"), or the problems in errors / err. */
int gw_server_check(const char *config_path, char *summary, size_t summary_cap, struct config_errors *errors,
                    struct err *err) SMT_MUST_USE;

/* gw_server_run serves until SIGTERM or SIGINT, then lets connections finish (timeouts.shutdown) and
 * returns 0. A configuration that does not load returns SMT_ECONFIG with its problems in errors. */
int gw_server_run(const char *config_path, struct config_errors *errors, struct err *err) SMT_MUST_USE;

#endif
