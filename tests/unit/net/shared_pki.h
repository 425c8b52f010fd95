/* tests/unit/net/shared_pki.h: the shared TLCP test PKI (vectors/tlcp/pki/sm2) for the net tests. */
#ifndef SMT_TESTS_NET_SHARED_PKI_H
#define SMT_TESTS_NET_SHARED_PKI_H

#include "crypto/key.h"

/* shared_pki_path returns the path of a file of the shared PKI; skips the whole program when it is absent. */
const char *shared_pki_path(const char *name);

/* shared_pki_key parses a key of the shared PKI from memory: the files are mode 0444, which key_load refuses. */
struct key *shared_pki_key(const char *name);

#endif
