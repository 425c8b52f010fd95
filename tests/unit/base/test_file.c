/* tests/unit/base/test_file.c: atomic writes leave either the old or the new file, never a half or a temp. */
#include "base/file.h"
#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static size_t count_entries(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL)
                if (e->d_name[0] != '.')
                        n++;
        if (d != NULL)
                closedir(d);
        return n;
}

static void test_write_then_read_back_with_mode(void)
{
        char dir[256], path[300];
        snprintf(dir, sizeof dir, "%s/mode", check_temp_dir());
        CHECK_EQ(mkdir(dir, 0700), 0);
        snprintf(path, sizeof path, "%s/secret.key", dir);
        struct err err = { 0 };
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"hello", 5, 0600, FILE_WRITE_EXCLUSIVE, &err), &err);
        struct stat st;
        CHECK_EQ(stat(path, &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
        CHECK_OK(file_check_private(path, &err), &err);
        uint8_t *data;
        size_t len;
        CHECK_OK(file_read_all(&data, &len, path, 100, &err), &err);
        CHECK_EQ(len, 5);
        CHECK_STR((const char *)data, "hello");
        file_free_contents(data, len);
        CHECK_EQ(count_entries(dir), 1);
}

static void test_exclusive_write_keeps_the_existing_file(void)
{
        char dir[256], path[300];
        snprintf(dir, sizeof dir, "%s/exclusive", check_temp_dir());
        CHECK_EQ(mkdir(dir, 0700), 0);
        snprintf(path, sizeof path, "%s/a", dir);
        struct err err = { 0 };
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"old", 3, 0644, FILE_WRITE_EXCLUSIVE, &err), &err);
        CHECK_STATUS(file_write_atomic(path, (const uint8_t *)"new", 3, 0644, FILE_WRITE_EXCLUSIVE, &err), SMT_EEXIST);
        CHECK(strstr(err.msg, "already exists") != NULL);
        uint8_t *data;
        size_t len;
        CHECK_OK(file_read_all(&data, &len, path, 100, &err), &err);
        CHECK_STR((const char *)data, "old");
        file_free_contents(data, len);
        CHECK_EQ(count_entries(dir), 1);
        CHECK_OK(file_write_atomic(path, (const uint8_t *)"new", 3, 0644, FILE_WRITE_REPLACE, &err), &err);
        CHECK_OK(file_read_all(&data, &len, path, 100, &err), &err);
        CHECK_STR((const char *)data, "new");
        file_free_contents(data, len);
}

static void test_failed_write_leaves_nothing(void)
{
        struct err err = { 0 };
        char path[300];
        snprintf(path, sizeof path, "%s/no/such/dir/file", check_temp_dir());
        CHECK_STATUS(file_write_atomic(path, (const uint8_t *)"x", 1, 0600, FILE_WRITE_REPLACE, &err), SMT_EIO);
        CHECK(strstr(err.msg, path) != NULL);
}

static void test_read_limits_and_errors(void)
{
        struct err err = { 0 };
        char path[300];
        snprintf(path, sizeof path, "%s/big", check_temp_dir());
        uint8_t zeros[100] = { 0 };
        CHECK_OK(file_write_atomic(path, zeros, sizeof zeros, 0644, FILE_WRITE_REPLACE, &err), &err);
        uint8_t *data;
        size_t len;
        CHECK_STATUS(file_read_all(&data, &len, path, 99, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "100 bytes exceeds the limit of 99") != NULL);
        CHECK_STATUS(file_check_private(path, &err), SMT_EPERM);
        CHECK(strstr(err.msg, "chmod 600") != NULL);
        CHECK_STATUS(file_read_all(&data, &len, "/nonexistent/file", 99, &err), SMT_EIO);
        CHECK(strstr(err.msg, "/nonexistent/file: No such file") != NULL);
        CHECK_STATUS(file_read_all(&data, &len, check_temp_dir(), 99, &err), SMT_EIO);
}

CHECK_MAIN(CHECK_TEST(test_write_then_read_back_with_mode), CHECK_TEST(test_exclusive_write_keeps_the_existing_file),
           CHECK_TEST(test_failed_write_leaves_nothing), CHECK_TEST(test_read_limits_and_errors))
