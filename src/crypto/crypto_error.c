/* src/crypto/crypto_error.c: OpenSSL's error queue to struct err. */
#include "crypto/crypto_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <openssl/err.h>

int crypto_error_set(struct err *err, int code, const char *what, ...)
{
        char context[160];
        va_list args;
        va_start(args, what);
        vsnprintf(context, sizeof context, what, args);
        va_end(args);

        /* The last error is the most specific one OpenSSL recorded. */
        unsigned long last = ERR_peek_last_error();
        const char *reason = last != 0 ? ERR_reason_error_string(last) : NULL;
        int status;
        if (reason != NULL)
                status = SMT_ERR(err, code, "%s: %s", context, reason);
        else
                status = SMT_ERR(err, code, "%s", context);
        ERR_clear_error();
        return status;
}

void crypto_error_clear(void)
{
        ERR_clear_error();
}
