/* tests/unit/crypto/test_key_files.c: key files on disk (src/crypto/key_io.c, key_write.c): modes,
 * refusing readable private keys, passphrase files, atomic saves that never overwrite by accident. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/file.h"
#include "check.h"
#include "crypto/key.h"

/* cached_key generates each algorithm once per run. */
static struct key *cached_key(enum key_alg alg)
{
        static struct key *keys[8];
        struct err err = {0};
        if (keys[alg] == NULL)
                CHECK_OK(key_generate(&keys[alg], alg, &err), &err);
        return keys[alg];
}

/* check_same_private compares keys by their unencrypted PKCS#8 DER, which holds the private scalar. */
static void check_same_private(const struct key *a, const struct key *b)
{
        struct buf_writer wa, wb;
        struct err err = {0};
        buf_writer_init_heap(&wa, KEY_FILE_MAX);
        buf_writer_init_heap(&wb, KEY_FILE_MAX);
        CHECK_OK(key_write_private(a, KEY_FORMAT_DER, NULL, &wa, &err), &err);
        CHECK_OK(key_write_private(b, KEY_FORMAT_DER, NULL, &wb, &err), &err);
        CHECK_EQ(wa.len, wb.len);
        CHECK_MEM(wa.data, wb.data, wa.len);
        buf_writer_cleanup(&wa);
        buf_writer_cleanup(&wb);
}

static const char *temp_path(const char *name)
{
        static char path[4][512];
        static int next;
        next = (next + 1) % 4;
        snprintf(path[next], sizeof path[next], "%s/%s", check_temp_dir(), name);
        return path[next];
}

static void write_text(const char *path, const char *text, mode_t mode)
{
        struct err err = {0};
        CHECK_OK(file_write_atomic(path, (const uint8_t *)text, strlen(text), mode, FILE_WRITE_REPLACE, &err), &err);
}

static int file_mode(const char *path)
{
        struct stat st;
        CHECK(stat(path, &st) == 0);
        return (int)(st.st_mode & 07777);
}

static void test_load_checks_permissions(void)
{
        struct key *key = cached_key(KEY_ALG_SM2), *back = NULL;
        struct err err = {0};
        const char *priv = temp_path("perm.key"), *pub = temp_path("perm.pub");
        CHECK_OK(key_save_private(key, priv, KEY_FORMAT_PEM, NULL, false, &err), &err);
        CHECK_OK(key_save_public(key, pub, KEY_FORMAT_PEM, false, &err), &err);
        CHECK_EQ(file_mode(priv), 0600);
        CHECK_EQ(file_mode(pub), 0644);
        CHECK_OK(key_load(&back, priv, NULL, &err), &err);
        key_free(back);
        CHECK_OK(key_load(&back, pub, NULL, &err), &err);
        CHECK(!key_is_private(back));
        key_free(back);
        back = NULL;
        CHECK(chmod(priv, 0644) == 0);
        CHECK_STATUS(key_load(&back, priv, NULL, &err), SMT_EPERM);
        CHECK(back == NULL);
        CHECK(strstr(err.msg, "chmod 600") != NULL && strstr(err.msg, priv) != NULL);
        CHECK(chmod(priv, 0640) == 0);
        CHECK_STATUS(key_load(&back, priv, NULL, &err), SMT_EPERM);
        CHECK(chmod(pub, 0666) == 0);
        CHECK_OK(key_load(&back, pub, NULL, &err), &err);
        key_free(back);
}

static void test_passphrase_file(void)
{
        static const char *const contents[] = {"s3cret\n", "s3cret\r\n", "s3cret", "s3cret\nsecond line\n"};
        struct err err = {0};
        char passphrase[KEY_PASSPHRASE_MAX];
        const char *path = temp_path("pass");
        for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
                write_text(path, contents[i], 0600);
                CHECK_OK(key_passphrase_load(passphrase, path, &err), &err);
                CHECK_STR(passphrase, "s3cret");
        }
        write_text(path, "\nsecond\n", 0600);
        CHECK_STATUS(key_passphrase_load(passphrase, path, &err), SMT_EINVAL);
        CHECK_STATUS(key_passphrase_load(passphrase, temp_path("absent"), &err), SMT_EIO);
        /* key_load with the passphrase from a file. */
        const char *key_path = temp_path("enc.key");
        struct key *back = NULL;
        write_text(path, "s3cret\r\n", 0600);
        CHECK_OK(key_save_private(cached_key(KEY_ALG_EC_P256), key_path, KEY_FORMAT_DER, "s3cret", false, &err), &err);
        CHECK_OK(key_load(&back, key_path, path, &err), &err);
        check_same_private(cached_key(KEY_ALG_EC_P256), back);
        key_free(back);
        back = NULL;
        CHECK_STATUS(key_load(&back, key_path, NULL, &err), CRYPTO_EPASSPHRASE);
        CHECK(strstr(err.msg, key_path) != NULL);
        write_text(path, "s3cret \n", 0600);
        CHECK_STATUS(key_load(&back, key_path, path, &err), CRYPTO_EPASSPHRASE);
}

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

static void read_whole(const char *path, struct buf_writer *w)
{
        uint8_t *data = NULL;
        size_t len = 0;
        struct err err = {0};
        CHECK_OK(file_read_all(&data, &len, path, KEY_FILE_MAX, &err), &err);
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK(buf_write_bytes(w, data, len) == 0);
        file_free_contents(data, len);
}

static void test_save_refuses_existing_file(void)
{
        char dir[512];
        snprintf(dir, sizeof dir, "%s/save", check_temp_dir());
        CHECK(mkdir(dir, 0700) == 0);
        char path[600];
        snprintf(path, sizeof path, "%s/k.pem", dir);
        struct err err = {0};
        struct buf_writer before, after;
        CHECK_OK(key_save_private(cached_key(KEY_ALG_SM2), path, KEY_FORMAT_PEM, NULL, false, &err), &err);
        read_whole(path, &before);
        CHECK_STATUS(key_save_private(cached_key(KEY_ALG_EC_P256), path, KEY_FORMAT_PEM, NULL, false, &err),
                     SMT_EEXIST);
        CHECK_STATUS(key_save_public(cached_key(KEY_ALG_EC_P256), path, KEY_FORMAT_PEM, false, &err), SMT_EEXIST);
        read_whole(path, &after);
        CHECK_EQ(after.len, before.len);
        CHECK_MEM(after.data, before.data, before.len);
        CHECK_EQ(count_entries(dir), 1); /* no temporary file left behind */
        buf_writer_cleanup(&after);
        CHECK_OK(key_save_private(cached_key(KEY_ALG_EC_P256), path, KEY_FORMAT_PEM, NULL, true, &err), &err);
        read_whole(path, &after);
        CHECK(after.len != before.len || memcmp(after.data, before.data, before.len) != 0);
        CHECK_EQ(count_entries(dir), 1);
        char missing[700];
        snprintf(missing, sizeof missing, "%s/no/such/dir/k.pem", dir);
        CHECK(key_save_private(cached_key(KEY_ALG_SM2), missing, KEY_FORMAT_PEM, NULL, false, &err) < 0);
        CHECK_EQ(count_entries(dir), 1);
        buf_writer_cleanup(&before);
        buf_writer_cleanup(&after);
}

CHECK_MAIN(CHECK_TEST(test_load_checks_permissions), CHECK_TEST(test_passphrase_file),
           CHECK_TEST(test_save_refuses_existing_file))
