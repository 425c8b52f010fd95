/* src/base/file.h: whole-file reads and crash-safe writes.
 *
 * Writes never leave a half-written file: they go to a temporary file in the
 * same directory, are fsynced, then renamed over the target (and the directory
 * fsynced). Secret files are created with mode 0600 from the start. */
#ifndef SMT_BASE_FILE_H
#define SMT_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* file_read_all reads path into a new heap buffer (free with file_free_contents), refusing files over
 * max_len bytes. A NUL byte is appended after the contents (not counted in *out_len) so text can be parsed. */
int file_read_all(uint8_t **out, size_t *out_len, const char *path, size_t max_len, struct err *err) SMT_MUST_USE;

/* file_free_contents wipes and frees a buffer from file_read_all (it may hold a key). */
void file_free_contents(uint8_t *data, size_t len);

enum file_write_mode {
        FILE_WRITE_REPLACE = 0,   /* replace an existing file */
        FILE_WRITE_EXCLUSIVE = 1, /* fail with SMT_EEXIST when the file exists */
};

/* file_write_atomic writes len bytes to path with permissions mode (0600 for secrets), via temp + fsync +
 * rename. On failure the old file, if any, is untouched and no temporary file is left. */
int file_write_atomic(const char *path, const uint8_t *data, size_t len, mode_t mode, enum file_write_mode how,
                      struct err *err) SMT_MUST_USE;

/* file_check_private fails with SMT_EPERM when path can be read or written by group or others. */
int file_check_private(const char *path, struct err *err) SMT_MUST_USE;

#endif
