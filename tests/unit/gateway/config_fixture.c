/* tests/unit/gateway/config_fixture.c: see config_fixture.h. */
#include "config_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static struct config_errors config_fixture_problems;

struct config_errors *config_fixture_errors(void)
{
        return &config_fixture_problems;
}

int config_fixture_load_in(struct gw_config *config, const char *yaml, const char *dir)
{
        return gw_config_load_string(config, "gw.yaml", yaml, strlen(yaml), dir, &config_fixture_problems);
}

int config_fixture_load(struct gw_config *config, const char *yaml)
{
        return config_fixture_load_in(config, yaml, "/etc/smtrust");
}

static void config_fixture_print(void)
{
        for (size_t i = 0; i < config_fixture_problems.num; i++)
                fprintf(stderr, "  [line %zu] %s\n", config_fixture_problems.list[i].line,
                        config_fixture_problems.list[i].text);
}

void config_fixture_expect_error(const char *file, int line, size_t at_line, const char *want)
{
        for (size_t i = 0; i < config_fixture_problems.num; i++)
                if (config_fixture_problems.list[i].line == at_line &&
                    strcmp(config_fixture_problems.list[i].text, want) == 0)
                        return;
        config_fixture_print();
        check_fail(file, line, "no problem at line %zu reads \"%s\"", at_line, want);
}

void config_fixture_expect_refused(const char *file, int line, const char *yaml, size_t num, size_t at_line,
                                   const char *want)
{
        struct gw_config config;
        memset(&config, 0x5a, sizeof config);
        int status = config_fixture_load(&config, yaml);
        if (status != SMT_ECONFIG) {
                config_fixture_print();
                check_fail(file, line, "load gave %s, expected SMT_ECONFIG", err_name(status));
        }
        for (size_t i = 0; i < sizeof config; i++)
                if (((const uint8_t *)&config)[i] != 0x5a)
                        check_fail(file, line, "a refused load changed the caller's struct");
        config_fixture_expect_error(file, line, at_line, want);
        if (config_fixture_problems.num != num) {
                config_fixture_print();
                check_fail(file, line, "%zu problems, expected %zu", config_fixture_problems.num, num);
        }
}

void config_fixture_load_ok(const char *file, int line, struct gw_config *config, const char *yaml)
{
        int status = config_fixture_load(config, yaml);
        if (status != 0) {
                config_fixture_print();
                check_fail(file, line, "load gave %s", err_name(status));
        }
}

const struct gw_site_config *config_fixture_site(const struct gw_config *config, size_t index)
{
        return (const struct gw_site_config *)config->sites.items + index;
}

const struct gw_listener_config *config_fixture_listener(const struct gw_config *config, size_t index)
{
        return (const struct gw_listener_config *)config->listeners.items + index;
}
