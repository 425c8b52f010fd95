/* src/base/config_errors.c: the list of problems of one load, quoting of values in messages, and the
 * edit distance behind "did you mean" (the idea of HAProxy's cfg_find_best_match, by other means). */
#include "base/config_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void config_errors_add(struct config_errors *errors, size_t line, const char *fmt, ...)
{
        if (errors->num == CONFIG_ERRORS_MAX) {
                errors->num_more++;
                return;
        }
        struct config_error *error = &errors->list[errors->num++];
        error->line = line;
        va_list args;
        va_start(args, fmt);
        vsnprintf(error->text, sizeof error->text, fmt, args);
        va_end(args);
        /* one line each, whatever a check's message or the file's name holds */
        for (char *c = error->text; *c != 0; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
}

/* Insertion sort: stable, and a load keeps at most CONFIG_ERRORS_MAX messages, mostly in order already. */
void config_errors_sort(struct config_errors *errors)
{
        for (size_t i = 1; i < errors->num; i++) {
                if (errors->list[i - 1].line <= errors->list[i].line)
                        continue;
                struct config_error moving = errors->list[i];
                size_t j = i;
                while (j > 0 && errors->list[j - 1].line > moving.line) {
                        errors->list[j] = errors->list[j - 1];
                        j--;
                }
                errors->list[j] = moving;
        }
}

/* Appends one byte of text, escaped so a message stays on one line; UTF-8 passes through. */
static size_t config_quote_byte(char *out, size_t room, unsigned char c)
{
        switch (c) {
        case '"':
                return (size_t)snprintf(out, room, "\\\"");
        case '\\':
                return (size_t)snprintf(out, room, "\\\\");
        case '\n':
                return (size_t)snprintf(out, room, "\\n");
        case '\t':
                return (size_t)snprintf(out, room, "\\t");
        default:
                if (c < 0x20 || c == 0x7f)
                        return (size_t)snprintf(out, room, "\\x%02x", c);
                return (size_t)snprintf(out, room, "%c", c);
        }
}

void config_quote(char *out, size_t out_size, const char *text, size_t len, bool is_quoted)
{
        size_t shown = len;
        if (shown > CONFIG_QUOTE_MAX) {
                shown = CONFIG_QUOTE_MAX;
                while (shown > 0 && ((unsigned char)text[shown] & 0xc0) == 0x80)
                        shown--; /* cut before a UTF-8 continuation byte, not inside a character */
        }
        size_t used = 0;
        if (is_quoted)
                used += (size_t)snprintf(out, out_size, "\"");
        for (size_t i = 0; i < shown && used + 5 < out_size; i++)
                used += config_quote_byte(out + used, out_size - used, (unsigned char)text[i]);
        if (shown < len && used + 4 < out_size)
                used += (size_t)snprintf(out + used, out_size - used, "...");
        if (is_quoted && used + 2 < out_size)
                snprintf(out + used, out_size - used, "\"");
}

/* Optimal string alignment distance, two rows back (for adjacent swaps such as "wieght"). */
size_t config_distance(const char *a, size_t a_len, const char *b, size_t b_len)
{
        enum { WORD_MAX = 64 };
        if (a_len > WORD_MAX || b_len > WORD_MAX)
                return SIZE_MAX;
        size_t rows[3][WORD_MAX + 1];
        size_t *before = rows[0], *previous = rows[1], *current = rows[2];
        for (size_t j = 0; j <= b_len; j++)
                previous[j] = j;
        for (size_t i = 1; i <= a_len; i++) {
                current[0] = i;
                for (size_t j = 1; j <= b_len; j++) {
                        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        size_t best = previous[j - 1] + cost;
                        if (previous[j] + 1 < best)
                                best = previous[j] + 1;
                        if (current[j - 1] + 1 < best)
                                best = current[j - 1] + 1;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && before[j - 2] + 1 < best)
                                best = before[j - 2] + 1;
                        current[j] = best;
                }
                size_t *oldest = before;
                before = previous;
                previous = current;
                current = oldest;
        }
        return previous[b_len];
}

/* One edit in a short name, up to three in a long one: close enough to be a typo, not a different key. */
bool config_is_close(size_t distance, const char *candidate)
{
        size_t allowed = (strlen(candidate) + 2) / 4;
        if (allowed < 1)
                allowed = 1;
        if (allowed > 3)
                allowed = 3;
        return distance > 0 && distance <= allowed;
}
