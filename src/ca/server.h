/* src/ca/server.h: `smtrust ca -c ca.yaml` serving: the HTTPS listener (ACME under /acme/, the CA API
 * under /api/) and the plain HTTP one (issuer certificates under /ca/), over the store and the hierarchy
 * `smtrust ca init` made. */
#ifndef SMT_CA_SERVER_H
#define SMT_CA_SERVER_H

#include "base/err.h"
#include "ca/config.h"

struct ca_server;

/* ca_server_start opens the store, loads the hierarchy, starts the challenge validators and the listeners;
 * when it returns 0 every listener accepts. config must outlive the server. */
int ca_server_start(struct ca_server **out, const struct ca_config *config, struct err *err) SMT_MUST_USE;

/* ca_server_directory_url returns the ACME directory URL ("<base_url>/acme/directory"). */
const char *ca_server_directory_url(const struct ca_server *server);

/* ca_server_stop stops the listeners (requests being served finish), the validators, and frees everything
 * (NULL is fine). */
void ca_server_stop(struct ca_server *server);

#endif
