/* src/ca/acme_names.c: identifier and time syntax (see acme_names.h). */
#include "ca/acme_names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DNS_NAME_MAX  253
#define DNS_LABEL_MAX 63

static bool is_ldh(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* One label of len characters at label (already lowercase). */
static bool label_ok(const char *label, size_t len)
{
        if (len == 0 || len > DNS_LABEL_MAX || label[0] == '-' || label[len - 1] == '-')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!is_ldh(label[i]))
                        return false;
        return true;
}

static bool all_digits(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int acme_dns_name_normalize(const char *name, char *out, size_t out_cap)
{
        size_t len = strlen(name);
        if (len == 0 || len > DNS_NAME_MAX || len >= out_cap)
                return -1;
        for (size_t i = 0; i <= len; i++)
                out[i] = (char)tolower((unsigned char)name[i]);
        const char *labels = out;
        if (strncmp(out, "*.", 2) == 0)
                labels += 2;
        size_t num_labels = 0;
        const char *last = labels;
        for (const char *p = labels;;) {
                size_t label_len = strcspn(p, ".");
                if (!label_ok(p, label_len))
                        return -1;
                num_labels++;
                last = p;
                if (p[label_len] == '\0') {
                        if (all_digits(last, label_len))
                                return -1;
                        break;
                }
                p += label_len + 1;
        }
        return num_labels >= 2 ? 0 : -1;
}

int acme_ip_normalize(const char *text, char *out, size_t out_cap)
{
        unsigned char addr[16];
        if (inet_pton(AF_INET, text, addr) == 1)
                return inet_ntop(AF_INET, addr, out, (socklen_t)out_cap) ? 0 : -1;
        if (inet_pton(AF_INET6, text, addr) == 1)
                return inet_ntop(AF_INET6, addr, out, (socklen_t)out_cap) ? 0 : -1;
        return -1;
}

void acme_time_format(int64_t t, char *out, size_t out_cap)
{
        time_t when = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&when, &tm) || strftime(out, out_cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(out, out_cap, "1970-01-01T00:00:00Z");
}

static int parse_digits(const char **p, int count, int *out)
{
        int value = 0;
        for (int i = 0; i < count; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return -1;
                value = value * 10 + (**p - '0');
        }
        *out = value;
        return 0;
}

static int expect(const char **p, char c)
{
        if (**p != c && !(c == 'T' && (**p == 't' || **p == ' ')))
                return -1;
        (*p)++;
        return 0;
}

/* The numeric offset after the seconds: "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC. */
static int parse_offset(const char *p, int64_t *offset)
{
        if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
                *offset = 0;
                return 0;
        }
        int sign = p[0] == '+' ? 1 : p[0] == '-' ? -1 : 0;
        int hours, minutes;
        p++;
        if (sign == 0 || parse_digits(&p, 2, &hours) < 0 || expect(&p, ':') < 0 || parse_digits(&p, 2, &minutes) < 0 ||
            *p != '\0' || hours > 23 || minutes > 59)
                return -1;
        *offset = sign * (hours * 3600 + minutes * 60);
        return 0;
}

int acme_time_parse(const char *text, int64_t *out)
{
        if (!text)
                return -1;
        const char *p = text;
        int year, month, day, hour, minute, second;
        if (parse_digits(&p, 4, &year) < 0 || expect(&p, '-') < 0 || parse_digits(&p, 2, &month) < 0 ||
            expect(&p, '-') < 0 || parse_digits(&p, 2, &day) < 0 || expect(&p, 'T') < 0 ||
            parse_digits(&p, 2, &hour) < 0 || expect(&p, ':') < 0 || parse_digits(&p, 2, &minute) < 0 ||
            expect(&p, ':') < 0 || parse_digits(&p, 2, &second) < 0)
                return -1;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -1;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        int64_t offset = 0;
        if (parse_offset(p, &offset) < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
            minute > 59 || second > 60)
                return -1;
        struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                        .tm_hour = hour, .tm_min = minute, .tm_sec = second};
        *out = (int64_t)timegm(&tm) - offset;
        return 0;
}
