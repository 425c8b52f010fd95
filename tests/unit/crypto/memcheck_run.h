/* tests/unit/crypto/memcheck_run.h: constant-time checks with valgrind's memcheck. A test marks its
 * secrets undefined (VALGRIND_MAKE_MEM_UNDEFINED) in a mode of its own and re-runs itself in that mode
 * under memcheck, which then reports every conditional jump and every address that depends on a secret. */
#ifndef SMT_TESTS_MEMCHECK_RUN_H
#define SMT_TESTS_MEMCHECK_RUN_H

#if defined(__SANITIZE_ADDRESS__) || !__has_include(<valgrind/memcheck.h>)
#define MEMCHECK_CAN_RUN 0
#define VALGRIND_MAKE_MEM_UNDEFINED(address, len) ((void)(address), (void)(len))
#define RUNNING_ON_VALGRIND 0
#else
#define MEMCHECK_CAN_RUN 1
#include <valgrind/memcheck.h>
#endif

/* The exit status of a run in which memcheck reported something. */
#define MEMCHECK_RUN_REPORTED 9

/* memcheck_run_self runs this program with the single argument mode under memcheck (its report to
 * /dev/null) and returns the exit status: 0, MEMCHECK_RUN_REPORTED, or the program's own failure. */
int memcheck_run_self(const char *mode);

/* memcheck_skip_unless_available ends the test as skipped (77) in a sanitizer build, without memcheck.h
 * at build time, under valgrind already, or when valgrind is not installed. */
void memcheck_skip_unless_available(void);

#endif
