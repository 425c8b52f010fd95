/* tests/unit/crypto/memcheck_run.c: see memcheck_run.h. */
#include "memcheck_run.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int memcheck_run_self(const char *mode)
{
        char self[PATH_MAX];
        ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(self_len > 0);
        self[self_len] = '\0';
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                int null_fd = open("/dev/null", O_WRONLY);
                if (null_fd >= 0)
                        dup2(null_fd, STDERR_FILENO);
                execlp("valgrind", "valgrind", "-q", "--error-exitcode=9", self, mode, (char *)NULL);
                _exit(127);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void memcheck_skip_unless_available(void)
{
        if (!MEMCHECK_CAN_RUN || RUNNING_ON_VALGRIND)
                check_skip_all("needs a build without sanitizers and valgrind's memcheck.h");
        if (system("valgrind --version >/dev/null 2>&1") != 0)
                check_skip_all("valgrind is not installed");
}
