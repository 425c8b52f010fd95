/* src/ca/acme_names.h: identifier and time syntax for ACME: DNS names as a public CA accepts them
 * (CA/Browser Forum BR 7.1.4.2: LDH labels, wildcard in the left-most label alone), IP addresses in
 * their canonical text (RFC 8738), RFC 3339 times. Pure functions over untrusted text. */
#ifndef SMT_CA_ACME_NAMES_H
#define SMT_CA_ACME_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* acme_dns_name_normalize writes name in lowercase to out: 1..253 characters, at least two labels of 1..63
 * letters, digits and inner hyphens, the last not all digits, optionally "*." in front; a trailing dot is
 * refused. -1 when name is not such a name (or does not fit out_cap). */
int acme_dns_name_normalize(const char *name, char *out, size_t out_cap);

/* acme_ip_normalize writes an IPv4 or IPv6 address in its canonical text (inet_ntop) to out; -1 otherwise. */
int acme_ip_normalize(const char *text, char *out, size_t out_cap);

/* acme_time_format writes t as "2026-11-23T16:04:05Z". */
void acme_time_format(int64_t t, char *out, size_t out_cap);

/* acme_time_parse reads an RFC 3339 date-time ("...Z" or "+hh:mm", fractions ignored) into *out; -1 when
 * text is NULL or not one. */
int acme_time_parse(const char *text, int64_t *out);

#endif
