/* tests/fuzz/replay_main.c: runs a libFuzzer target over every file of a corpus directory, so the
 * ordinary (and the ASan) test build checks that each target builds and no seed crashes it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 2;
        }
        DIR *dir = opendir(argv[1]);
        if (dir == NULL) {
                fprintf(stderr, "%s: no corpus directory\n", argv[1]);
                return 1;
        }
        size_t num_inputs = 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
                if (entry->d_name[0] == '.')
                        continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[1], entry->d_name);
                uint8_t *data;
                size_t len;
                struct err err = { 0 };
                if (file_read_all(&data, &len, path, 1 << 20, &err) != 0) {
                        fprintf(stderr, "%s\n", err.msg);
                        closedir(dir);
                        return 1;
                }
                LLVMFuzzerTestOneInput(data, len);
                file_free_contents(data, len);
                num_inputs++;
        }
        closedir(dir);
        printf("replayed %zu inputs\n", num_inputs);
        return num_inputs > 0 ? 0 : 1;
}
