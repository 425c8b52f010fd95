/* src/cmd/io.c: a command's data input and output: a named file, or standard input/output for none or "-". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "cmd/cmd.h"

bool cmd_io_is_standard(const char *path)
{
        return path == NULL || strcmp(path, "-") == 0;
}

static int cmd_io_stdin_full(int status, size_t max_len, struct err *err)
{
        if (status == SMT_ENOSPACE)
                return SMT_ERR(err, SMT_EINVAL, "standard input: more than the limit of %zu bytes", max_len);
        return SMT_ERR(err, status, "standard input: out of memory");
}

/* cmd_io_read_stdin reads standard input to its end, adding a NUL after the data like file_read_all, so
 * file_free_contents (which wipes len + 1 bytes) releases either. */
static int cmd_io_read_stdin(uint8_t **out, size_t *out_len, size_t max_len, struct err *err)
{
        struct buf_writer w;
        buf_writer_init_heap(&w, max_len + 1);
        uint8_t chunk[16384];
        int status = SMT_OK, written = SMT_OK;
        for (;;) {
                ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        status = SMT_ERR(err, SMT_EIO, "standard input: %s", strerror(errno));
                else if (n > 0 && (written = buf_write_bytes(&w, chunk, (size_t)n)) < 0)
                        status = cmd_io_stdin_full(written, max_len, err);
                if (n <= 0 || status < 0)
                        break;
        }
        explicit_bzero(chunk, sizeof chunk);
        if (status == SMT_OK && (written = buf_write_u8(&w, 0)) < 0)
                status = cmd_io_stdin_full(written, max_len, err);
        if (status < 0) {
                buf_writer_cleanup(&w);
                return status;
        }
        size_t len;
        *out = buf_writer_release(&w, &len);
        *out_len = len - 1;
        return SMT_OK;
}

int cmd_io_read_input(uint8_t **out, size_t *out_len, const char *path, size_t max_len, struct err *err)
{
        if (cmd_io_is_standard(path))
                return cmd_io_read_stdin(out, out_len, max_len, err);
        return file_read_all(out, out_len, path, max_len, err);
}

int cmd_io_write_output(const char *path, const uint8_t *data, size_t len, mode_t mode, struct err *err)
{
        if (!cmd_io_is_standard(path))
                return file_write_atomic(path, data, len, mode, FILE_WRITE_REPLACE, err);
        if ((len > 0 && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0)
                return SMT_ERR(err, SMT_EIO, "writing to standard output failed");
        return SMT_OK;
}
