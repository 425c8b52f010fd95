/* src/base/log.c: the log sink (stderr, one line per message). */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The sink's level is the one piece of global state DESIGN.md allows besides cmd/'s signal flags. */
static enum log_level log_current_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
        log_current_level = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
        for (size_t i = 0; i < sizeof log_level_names / sizeof log_level_names[0]; i++) {
                if (strcmp(name, log_level_names[i]) == 0) {
                        *out = (enum log_level)i;
                        return SMT_OK;
                }
        }
        return SMT_EINVAL;
}

void log_write(enum log_level level, const char *fmt, ...)
{
        if (level > log_current_level)
                return;
        char stamp[32];
        struct timespec now;
        struct tm utc;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &utc);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);

        char line[1024];
        va_list args;
        va_start(args, fmt);
        vsnprintf(line, sizeof line, fmt, args);
        va_end(args);
        fprintf(stderr, "%s %s %s\n", stamp, log_level_names[level], line);
}
