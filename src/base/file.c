/* src/base/file.c: whole-file reads and crash-safe writes. */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_read_fd(int fd, uint8_t *dst, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = read(fd, dst + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return SMT_EIO;
                done += (size_t)n;
        }
        return SMT_OK;
}

int file_read_all(uint8_t **out, size_t *out_len, const char *path, size_t max_len, struct err *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return SMT_ERR(err, SMT_EIO, "%s: not a regular file", path);
        }
        if ((uint64_t)st.st_size > max_len) {
                close(fd);
                return SMT_ERR(err, SMT_EINVAL, "%s: %lld bytes exceeds the limit of %zu", path,
                               (long long)st.st_size, max_len);
        }
        size_t len = (size_t)st.st_size;
        uint8_t *data = malloc(len + 1);
        if (data == NULL) {
                close(fd);
                return SMT_ERR(err, SMT_ENOMEM, "%s: out of memory", path);
        }
        int status = file_read_fd(fd, data, len);
        close(fd);
        if (status < 0) {
                file_free_contents(data, len);
                return SMT_ERR(err, SMT_EIO, "%s: short read", path);
        }
        data[len] = 0;
        *out = data;
        *out_len = len;
        return SMT_OK;
}

void file_free_contents(uint8_t *data, size_t len)
{
        if (data == NULL)
                return;
        explicit_bzero(data, len + 1);
        free(data);
}

static int file_write_fd(int fd, const uint8_t *data, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return SMT_EIO;
                done += (size_t)n;
        }
        return fsync(fd) == 0 ? SMT_OK : SMT_EIO;
}

/* file_sync_parent makes the rename durable: POSIX only promises that after the directory is synced. */
static void file_sync_parent(const char *path)
{
        char copy[PATH_MAX];
        snprintf(copy, sizeof copy, "%s", path);
        int dir_fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
                (void)fsync(dir_fd);
                close(dir_fd);
        }
}

static int file_publish(const char *temp, const char *path, enum file_write_mode how, struct err *err)
{
        if (how == FILE_WRITE_EXCLUSIVE) {
                /* link() fails if path exists, so two writers cannot both win. */
                if (link(temp, path) != 0) {
                        int saved = errno;
                        unlink(temp);
                        if (saved == EEXIST)
                                return SMT_ERR(err, SMT_EEXIST, "%s: already exists", path);
                        return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(saved));
                }
                unlink(temp);
        } else if (rename(temp, path) != 0) {
                int saved = errno;
                unlink(temp);
                return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(saved));
        }
        file_sync_parent(path);
        return SMT_OK;
}

int file_write_atomic(const char *path, const uint8_t *data, size_t len, mode_t mode, enum file_write_mode how,
                      struct err *err)
{
        char temp[PATH_MAX];
        if (snprintf(temp, sizeof temp, "%s.tmp.XXXXXX", path) >= (int)sizeof temp)
                return SMT_ERR(err, SMT_EINVAL, "%s: path too long", path);
        int fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
        /* mkostemp creates 0600; widen only when asked, so a secret is never briefly readable. */
        int status = fchmod(fd, mode) == 0 ? SMT_OK : SMT_EIO;
        if (status == SMT_OK)
                status = file_write_fd(fd, data, len);
        int saved = errno;
        if (close(fd) != 0 && status == SMT_OK)
                status = SMT_EIO;
        if (status < 0) {
                unlink(temp);
                return SMT_ERR(err, status, "%s: write failed: %s", path, strerror(saved));
        }
        return file_publish(temp, path, how, err);
}

int file_check_private(const char *path, struct err *err)
{
        struct stat st;
        if (stat(path, &st) != 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", path, strerror(errno));
        if (st.st_mode & (S_IRWXG | S_IRWXO))
                return SMT_ERR(err, SMT_EPERM, "%s: mode %04o lets others read it; chmod 600 it", path,
                               (unsigned)(st.st_mode & 07777));
        return SMT_OK;
}
