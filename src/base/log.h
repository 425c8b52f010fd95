/* src/base/log.h: the one log sink. Library code logs through it; only it and src/cmd/ write output.
 * Never pass a secret to a log function. */
#ifndef SMT_BASE_LOG_H
#define SMT_BASE_LOG_H

#include "base/err.h"

enum log_level {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARNING = 1,
        LOG_LEVEL_INFO = 2,
        LOG_LEVEL_DEBUG = 3,
};

/* log_set_level drops messages less severe than level (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/* log_level_parse maps "error", "warning", "info" or "debug" to a level; SMT_EINVAL otherwise. */
int log_level_parse(const char *name, enum log_level *out) SMT_MUST_USE;

/* log_write formats one line to stderr with a timestamp and the level. */
void log_write(enum log_level level, const char *fmt, ...) SMT_PRINTF(2, 3);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_write(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
