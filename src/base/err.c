/* src/base/err.c: error contexts. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set_at(struct err *e, int code, const char *file, int line, const char *fmt, ...)
{
        if (e == NULL)
                return code;
        e->code = code;
        e->file = file;
        e->line = line;
        va_list args;
        va_start(args, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, args);
        va_end(args);
        return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
        if (e == NULL)
                return SMT_EINTERNAL;
        char prefix[sizeof e->msg];
        va_list args;
        va_start(args, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, args);
        va_end(args);

        /* prefix ": " message, cut to fit e->msg. */
        char joined[sizeof e->msg];
        size_t prefix_len = strlen(prefix);
        size_t used = prefix_len < sizeof joined - 3 ? prefix_len : sizeof joined - 3;
        memcpy(joined, prefix, used);
        memcpy(joined + used, ": ", 2);
        used += 2;
        size_t msg_len = strnlen(e->msg, sizeof e->msg - 1);
        size_t room = sizeof joined - 1 - used;
        memcpy(joined + used, e->msg, msg_len < room ? msg_len : room);
        joined[used + (msg_len < room ? msg_len : room)] = 0;
        memcpy(e->msg, joined, sizeof e->msg);
        return e->code;
}

void err_clear(struct err *e)
{
        if (e != NULL)
                memset(e, 0, sizeof *e);
}

const char *err_name(int code)
{
        switch (code) {
#define ERR_STATUS_NAME(name, value, text)                                                         \
        case value:                                                                                \
                return #name;
                ERR_STATUS_MAP(ERR_STATUS_NAME)
#undef ERR_STATUS_NAME
        default:
                return "UNKNOWN";
        }
}

const char *err_describe(int code)
{
        switch (code) {
#define ERR_STATUS_TEXT(name, value, text)                                                         \
        case value:                                                                                \
                return text;
                ERR_STATUS_MAP(ERR_STATUS_TEXT)
#undef ERR_STATUS_TEXT
        default:
                return "unknown status";
        }
}
