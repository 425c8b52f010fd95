/* tests/unit/gateway/config_fixture.h: loading gateway.yaml text in the config tests, and expecting
 * problems by line and exact text (the message a user reads). */
#ifndef SMT_TESTS_GATEWAY_CONFIG_FIXTURE_H
#define SMT_TESTS_GATEWAY_CONFIG_FIXTURE_H

#include <stddef.h>

#include "gateway/config.h"

/* A listener, a certificate and an origin, so a test writes only the lines it is about. */
#define LISTENER "listeners:\n  - listen: \":443\"\n"
#define SITE_ECC "    ecc: {cert: a.crt, key: a.key}\n"
#define ORIGIN   "    origin: http://127.0.0.1:8080\n"

/* config_fixture_errors returns the problems of the last load. */
struct config_errors *config_fixture_errors(void);

/* config_fixture_load_in loads yaml named "gw.yaml" with relative paths against dir. */
int config_fixture_load_in(struct gw_config *config, const char *yaml, const char *dir);

/* config_fixture_load loads yaml named "gw.yaml" in the folder /etc/smtrust. */
int config_fixture_load(struct gw_config *config, const char *yaml);

/* config_fixture_expect_error fails the test (at file:line) unless a problem at at_line reads want. */
void config_fixture_expect_error(const char *file, int line, size_t at_line, const char *want);

/* config_fixture_expect_refused loads yaml and fails unless it is refused with num problems, one of them
 * (at_line, want), leaving the caller's struct untouched. */
void config_fixture_expect_refused(const char *file, int line, const char *yaml, size_t num, size_t at_line,
                                   const char *want);

/* config_fixture_load_ok loads yaml and fails, listing the problems, unless it loads. */
void config_fixture_load_ok(const char *file, int line, struct gw_config *config, const char *yaml);

const struct gw_site_config *config_fixture_site(const struct gw_config *config, size_t index);
const struct gw_listener_config *config_fixture_listener(const struct gw_config *config, size_t index);

#define EXPECT_ERROR(at_line, want)         config_fixture_expect_error(__FILE__, __LINE__, (at_line), (want))
#define EXPECT_REFUSED(yaml, at_line, want) config_fixture_expect_refused(__FILE__, __LINE__, (yaml), 1, (at_line), (want))
#define LOAD_OK(config, yaml)               config_fixture_load_ok(__FILE__, __LINE__, (config), (yaml))

#endif
