/* src/crypto/crypto_error.h: turns OpenSSL's error queue into a struct err. */
#ifndef SMT_CRYPTO_CRYPTO_ERROR_H
#define SMT_CRYPTO_CRYPTO_ERROR_H

#include "base/err.h"

/* crypto_error_set fills err with "what: <OpenSSL's reason>" (or just what when the queue is empty),
 * clears OpenSSL's error queue of this thread and returns code. */
int crypto_error_set(struct err *err, int code, const char *what, ...) SMT_PRINTF(3, 4);

/* crypto_error_clear empties OpenSSL's error queue, for paths where a failure is expected and handled. */
void crypto_error_clear(void);

#endif
