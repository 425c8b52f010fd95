/* tests/unit/gateway/sites_fixture.h: certificate and key files for the sites tests, in one private
 * folder: the shared TLCP test PKI (vectors/tlcp/pki/sm2, keys copied with mode 0600 since key_load refuses
 * the shared 0444 files) and ECC and RSA chains issued on the spot. */
#ifndef SMT_TESTS_GATEWAY_SITES_FIXTURE_H
#define SMT_TESTS_GATEWAY_SITES_FIXTURE_H

#include "crypto/cert.h"
#include "gateway/config.h"
#include "gateway/sites.h"

/* Files in sites_fixture_dir():
 *   sign.crt sign.key enc.crt enc.key  the shared PKI's server pair (SM2, "localhost")
 *   client_sign.key                    the shared PKI's client signing key (matches no server certificate)
 *   sm2_ca.crt                         the shared PKI's root
 *   ecc.crt ecc.key                    a P-256 leaf then its intermediate (ECC root -> intermediate -> leaf)
 *   ecc_leaf.crt                       the same leaf alone
 *   ecc_other.key                      a P-256 key of no certificate
 *   ecc_ca.crt                         the ECC root
 *   rsa.crt rsa.key                    an RSA-2048 leaf then its (RSA) root
 *   sign_0644.key                      sign.key readable by everyone */
const char *sites_fixture_dir(void);

/* sites_fixture_path writes the path of a file of the folder to out and returns out. */
const char *sites_fixture_path(const char *name, char *out, size_t out_len);

/* sites_fixture_cert loads the first certificate of a file of the folder; free with cert_free. */
struct cert *sites_fixture_cert(const char *name);

/* sites_fixture_load loads yaml (relative paths against the folder) and fails the test unless it loads. */
void sites_fixture_load(struct gw_config *config, const char *yaml);

/* sites_fixture_build loads yaml and builds its sites, failing the test on any error. */
struct gw_sites *sites_fixture_build(struct gw_config *config, const char *yaml);

/* sites_fixture_same_cert says whether two certificates have the same DER. */
bool sites_fixture_same_cert(const struct cert *a, const struct cert *b);

#endif
