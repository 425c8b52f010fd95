/* src/base/config.h: table-driven YAML configuration loading with line-numbered errors.
 *
 * A schema is static tables (like nginx's ngx_command_t and HAProxy's cfg_kws): each section lists its
 * keys, their types and where each value goes (offsetof) in the section's struct. The loader parses the
 * YAML with libyaml, walks it against the schema and collects EVERY problem, one line each, in file order:
 *
 *     gateway.yaml:42: sites[2].upstreams[0].weight: expected an integer 1..1000, got "heavy"
 *     gateway.yaml:57: sites[3].tls_cert: unknown key; did you mean "tls_certs"?
 *
 * The loader, not a key's check, adds "file:line: path: ". A load either succeeds whole or changes nothing,
 * so a reload can keep the old configuration when the new file is bad.
 *
 * Deliberately refused, so a file means one thing: anchors and aliases (&a, *a), merge keys (<<), tags
 * (!!str), duplicate keys and more than one document. */
#ifndef SMT_BASE_CONFIG_H
#define SMT_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The largest file config_load_file reads. */
#define CONFIG_FILE_MAX (16u << 20)
/* Problems kept per load (the rest are only counted), and the length of one message. */
#define CONFIG_ERRORS_MAX 100
#define CONFIG_ERROR_LEN  512

/* What a key holds, and so the C type at its destination. */
enum config_type {
        CONFIG_STRING = 1,   /* char *, a heap copy */
        CONFIG_INT,          /* int64_t, decimal (no leading zero: "010" is not read as 8 or 10) */
        CONFIG_BOOL,         /* bool: true/false, yes/no, on/off (any case) */
        CONFIG_DURATION,     /* int64_t milliseconds: "250ms", "30s", "5m", "1h", "2d", "1h30m", "0" */
        CONFIG_SIZE,         /* int64_t bytes: "512", "16k", "1m", "2g" (powers of 1024; "kb", "KiB" too) */
        CONFIG_ENUM,         /* int (not an enum-typed field, whose size is the compiler's): names' value */
        CONFIG_STRING_LIST,  /* struct config_strings: a YAML sequence of scalars, or one scalar */
        CONFIG_SECTION,      /* the struct of section, embedded: a nested mapping */
        CONFIG_SECTION_LIST, /* struct config_list of section structs: a sequence of mappings */
};

/* CONFIG_STRING_LIST's destination. */
struct config_strings {
        char **items;
        size_t num;
};

/* CONFIG_SECTION_LIST's destination: num elements of the section's struct_size, one heap array
 * (the loader knows the sequence's length before it fills it, so nothing moves once filled). */
struct config_list {
        void *items;
        size_t num;
};

/* CONFIG_ENUM's names: a table ending with { NULL, 0 }. */
struct config_enum_name {
        const char *name;
        int value;
};

/* config_check_fn checks one parsed value (a pointer to the destination: int64_t *, char **, ... and
 * each item of a string list, each element of a section list). It returns 0, or a negative status with
 * a message in err naming the value seen and expected; the loader prefixes file, line and key path. */
typedef int config_check_fn(const void *value, struct err *err);

struct config_section_schema;

/* One key of a section. Unused fields stay zero. */
struct config_key {
        const char *name;
        enum config_type type;
        size_t offset;                               /* offsetof(struct section, field) */
        bool is_required;                            /* absent: "missing required key"; [] counts */
        const char *default_text;                    /* absent and not required: parsed as if written */
        int64_t min, max;                            /* INT/DURATION (ms)/SIZE (bytes); both 0: any */
        const struct config_enum_name *names;        /* CONFIG_ENUM */
        const struct config_section_schema *section; /* CONFIG_SECTION, CONFIG_SECTION_LIST */
        config_check_fn *check;                      /* optional, after the value parsed */
};

/* A section (the root, or a nested mapping): its keys and the struct they fill. check, if set, runs on
 * the filled struct (pointer to it) when its keys had no error, for rules that span keys. */
struct config_section_schema {
        const struct config_key *keys;
        size_t num_keys;
        size_t struct_size;
        config_check_fn *check;
};

/* One problem: the line it is at (0 when the file has none, e.g. unreadable) and its whole text. */
struct config_error {
        size_t line;
        char text[CONFIG_ERROR_LEN];
};

/* The problems of one load, in file order; num_more counts those beyond CONFIG_ERRORS_MAX. Caller
 * storage (about 50 KiB), needs no cleanup; a load clears it first. */
struct config_errors {
        size_t num;
        size_t num_more;
        struct config_error list[CONFIG_ERRORS_MAX];
};

/* config_load_file reads path and fills *out (a struct of root->struct_size bytes) from it. It returns 0
 * and overwrites all of *out, or returns SMT_ECONFIG (bad content), SMT_EIO (unreadable), SMT_EINVAL (over
 * CONFIG_FILE_MAX) or SMT_ENOMEM, lists every problem in errors and leaves *out untouched. Free a loaded
 * *out with config_free. To reload, load into a new struct and, on success only, swap it in and free the
 * old one: a bad file then changes nothing. */
int config_load_file(void *out, const struct config_section_schema *root, const char *path,
                     struct config_errors *errors) SMT_MUST_USE;

/* config_load_string is config_load_file on len bytes of text, named name in messages. */
int config_load_string(void *out, const struct config_section_schema *root, const char *name, const char *text,
                       size_t len, struct config_errors *errors) SMT_MUST_USE;

/* config_text_loader loads len bytes of configuration text named name in messages, resolving relative paths
 * against the folder dir: what a role's loader (gateway.yaml, ca.yaml) does once it has the text. */
typedef int config_text_loader(void *out, const char *name, const char *text, size_t len, const char *dir,
                               struct config_errors *errors);

/* config_load_file_in_folder reads path (at most CONFIG_FILE_MAX bytes) and hands its text and folder ("."
 * when path names none) to load, so relative paths in a file mean the same from any working directory. An
 * unreadable file is reported in errors (line 0) with load not called. */
int config_load_file_in_folder(void *out, const char *path, config_text_loader *load,
                               struct config_errors *errors) SMT_MUST_USE;

/* config_folder_absolute writes dir made absolute against the working directory (NULL or "." is the working
 * directory itself) to a new string *out (free()): the folder relative paths of a loaded file resolve
 * against, fixed at load time. SMT_EIO when the working directory is gone, SMT_ENOMEM. */
int config_folder_absolute(char **out, const char *dir) SMT_MUST_USE;

/* config_errors_add appends one whole message (printf-style: "name:line: path: ...") at line, for rules a
 * schema cannot express that the caller checks after a load (the gateway's rules across list items):
 * kept up to CONFIG_ERRORS_MAX, counted beyond, control characters shown as '?' so it stays one line. */
void config_errors_add(struct config_errors *errors, size_t line, const char *fmt, ...) SMT_PRINTF(3, 4);

/* config_errors_sort orders the messages by line, keeping the order of messages on one line. */
void config_errors_sort(struct config_errors *errors);

/* config_free frees every string, list and array the loader put in *out (per root) and zeroes *out. */
void config_free(void *out, const struct config_section_schema *root);

#endif
