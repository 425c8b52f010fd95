/* src/cmd/cert_issue.c: `smtrust cert issue`, a plain issuing tool for tests and small set-ups: the subject,
 * names and asked keyUsage of a request whose signature verifies, signed by a CA key (cmd/cert.c parses the
 * arguments; the CA's own profiles live in src/ca/). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#define CMD_CERT_ISSUE_SANS_MAX  100
#define CMD_CERT_ISSUE_MAX_DAYS  (30 * 365 + 8) /* cert_issue's cap */
#define CMD_CERT_ISSUE_LEAF_DAYS 90
#define CMD_CERT_ISSUE_CA_DAYS   1825
#define CMD_CERT_ISSUE_HOUR      3600

/* What a request gives the certificate, copied out of it (every value lives here, params points in). */
struct cmd_cert_issue_request {
        char fields[6][CERT_NAME_TEXT_MAX]; /* by enum csr_subject_field - 1 */
        struct cert_san sans[CMD_CERT_ISSUE_SANS_MAX];
        const char *dns[CMD_CERT_ISSUE_SANS_MAX], *ip[CMD_CERT_ISSUE_SANS_MAX], *email[CMD_CERT_ISSUE_SANS_MAX],
            *uri[CMD_CERT_ISSUE_SANS_MAX];
        unsigned key_usage;
};

static const char *cmd_cert_issue_field_or_null(const struct cmd_cert_issue_request *r, enum csr_subject_field field)
{
        return r->fields[field - 1][0] != '\0' ? r->fields[field - 1] : NULL;
}

static int cmd_cert_issue_read_request(struct cmd_cert_issue_request *r, struct cert_issue_params *p,
                                       const struct csr *csr, struct err *err)
{
        for (int field = CSR_SUBJECT_COUNTRY; field <= CSR_SUBJECT_COMMON_NAME; field++)
                TRY(csr_subject_field(csr, (enum csr_subject_field)field, r->fields[field - 1], CERT_NAME_TEXT_MAX,
                                      err));
        size_t count = 0;
        TRY(csr_san_list(csr, r->sans, CMD_CERT_ISSUE_SANS_MAX, &count, err));
        for (size_t i = 0; i < count; i++) {
                const char *value = r->sans[i].value;
                switch (r->sans[i].type) {
                case CERT_SAN_DNS:
                        r->dns[p->num_dns_names++] = value;
                        break;
                case CERT_SAN_IP:
                        r->ip[p->num_ip_addresses++] = value;
                        break;
                case CERT_SAN_EMAIL:
                        r->email[p->num_emails++] = value;
                        break;
                case CERT_SAN_URI:
                        r->uri[p->num_uris++] = value;
                        break;
                }
        }
        p->dns_names = r->dns;
        p->ip_addresses = r->ip;
        p->emails = r->email;
        p->uris = r->uri;
        p->country = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_COUNTRY);
        p->province = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_PROVINCE);
        p->locality = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_LOCALITY);
        p->organization = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_ORGANIZATION);
        p->organizational_unit = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_ORGANIZATIONAL_UNIT);
        p->common_name = cmd_cert_issue_field_or_null(r, CSR_SUBJECT_COMMON_NAME);
        p->omit_common_name = p->common_name == NULL;
        return csr_requested_key_usage(csr, &r->key_usage, err);
}

/* cmd_cert_issue_key_usage: what the request asks, else digitalSignature; certificate and CRL signing only
 * for --ca (cert_issue adds them there). */
static int cmd_cert_issue_key_usage(struct cert_issue_params *p, unsigned asked, struct err *err)
{
        unsigned ca_bits = CERT_KEY_USAGE_KEY_CERT_SIGN | CERT_KEY_USAGE_CRL_SIGN;
        if ((asked & ca_bits) && !p->is_ca)
                return SMT_ERR(err, SMT_EINVAL, "the request asks keyCertSign or cRLSign; issue it with --ca");
        p->key_usage = asked != 0 ? asked : p->is_ca ? 0 : CERT_KEY_USAGE_DIGITAL_SIGNATURE;
        return SMT_OK;
}

static int cmd_cert_issue_usages(struct cert_issue_params *p, const struct cmd_cert_issue_args *args, struct err *err)
{
        static const struct {
                const char *name;
                unsigned bit;
        } names[] = {
            {"server", CERT_EXTENDED_USAGE_SERVER_AUTH},     {"client", CERT_EXTENDED_USAGE_CLIENT_AUTH},
            {"email", CERT_EXTENDED_USAGE_EMAIL_PROTECTION}, {"code", CERT_EXTENDED_USAGE_CODE_SIGNING},
            {"ocsp", CERT_EXTENDED_USAGE_OCSP_SIGNING},      {"timestamp", CERT_EXTENDED_USAGE_TIME_STAMPING},
        };
        for (size_t i = 0; i < args->num_usages; i++) {
                size_t at = 0;
                while (at < sizeof names / sizeof names[0] && strcmp(names[at].name, args->usages[i]) != 0)
                        at++;
                if (at == sizeof names / sizeof names[0])
                        return SMT_ERR(err, SMT_EINVAL,
                                       "--usage '%s': expected server, client, email, code, ocsp or "
                                       "timestamp",
                                       args->usages[i]);
                p->extended_usage |= names[at].bit;
        }
        /* An OCSP responder's own status is not checked (RFC 6960 §4.2.2.2.1); a TSA's EKU is critical and
         * timeStamping alone (RFC 3161 §2.3). */
        p->ocsp_no_check = (p->extended_usage & CERT_EXTENDED_USAGE_OCSP_SIGNING) != 0;
        p->extended_usage_critical = p->extended_usage == CERT_EXTENDED_USAGE_TIME_STAMPING;
        if ((p->extended_usage & CERT_EXTENDED_USAGE_TIME_STAMPING) && !p->extended_usage_critical)
                return SMT_ERR(err, SMT_EINVAL,
                               "--usage timestamp cannot be combined with other usages (RFC 3161 2.3)");
        return SMT_OK;
}

static int cmd_cert_issue_number(const char *text, long max, const char *option, long *out, struct err *err)
{
        char *end = NULL;
        long value = strtol(text, &end, 10);
        if (end == text || *end != '\0' || value < 1 || value > max)
                return SMT_ERR(err, SMT_EINVAL, "%s '%s': expected a whole number 1..%ld", option, text, max);
        *out = value;
        return SMT_OK;
}

/* cmd_cert_issue_validity starts now and must end within the CA certificate's own validity. */
static int cmd_cert_issue_validity(struct cert_issue_params *p, const struct cmd_cert_issue_args *args, struct err *err)
{
        long amount = p->is_ca ? CMD_CERT_ISSUE_CA_DAYS : CMD_CERT_ISSUE_LEAF_DAYS, unit = 24 * CMD_CERT_ISSUE_HOUR;
        if (args->days != NULL)
                TRY(cmd_cert_issue_number(args->days, CMD_CERT_ISSUE_MAX_DAYS, "--days", &amount, err));
        if (args->hours != NULL) {
                TRY(cmd_cert_issue_number(args->hours, CMD_CERT_ISSUE_MAX_DAYS * 24L, "--hours", &amount, err));
                unit = CMD_CERT_ISSUE_HOUR;
        }
        time_t ca_end = 0;
        TRY(cert_not_after(p->issuer_cert, &ca_end, err));
        p->not_before = time(NULL);
        p->not_after = p->not_before + (time_t)amount * unit;
        if (p->not_after > ca_end)
                return SMT_ERR(err, SMT_EINVAL,
                               "the certificate would outlive its CA certificate (which ends in %lld "
                               "hours); give fewer --days or --hours",
                               (long long)(ca_end - p->not_before) / CMD_CERT_ISSUE_HOUR);
        return SMT_OK;
}

/* The files issue reads, loaded and checked. */
struct cmd_cert_issue_inputs {
        struct csr *csr;
        struct key *subject_key;
        struct cert_chain *ca_chain;
        struct key *ca_key;
};

static void cmd_cert_issue_inputs_cleanup(struct cmd_cert_issue_inputs *in)
{
        csr_free(in->csr);
        key_free(in->subject_key);
        cert_chain_free(in->ca_chain);
        key_free(in->ca_key);
}

static int cmd_cert_issue_load(struct cmd_cert_issue_inputs *in, const struct cmd_cert_issue_args *args,
                               struct err *err)
{
        TRY(csr_load(&in->csr, args->csr, err));
        if (csr_verify(in->csr, err) < 0)
                return err_prefix(err, "%s: refused", args->csr);
        if (csr_public_key(in->csr, &in->subject_key, err) < 0)
                return err_prefix(err, "%s", args->csr);
        TRY(cert_chain_load_pem(&in->ca_chain, args->ca_cert, err));
        if (!cert_is_ca(cert_chain_get(in->ca_chain, 0)))
                return SMT_ERR(err, SMT_EINVAL, "%s: not a CA certificate (no basicConstraints CA:TRUE)",
                               args->ca_cert);
        return key_load(&in->ca_key, args->ca_key, args->passphrase_file, err);
}

static int cmd_cert_issue_with(const struct cmd_cert_issue_inputs *in, const struct cmd_cert_issue_args *args,
                               struct err *err)
{
        struct cmd_cert_issue_request *request = calloc(1, sizeof *request);
        if (request == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        struct cert_issue_params params = {
            .subject_key = in->subject_key,
            .issuer_key = in->ca_key,
            .issuer_cert = cert_chain_get(in->ca_chain, 0),
            .is_ca = args->is_ca,
        };
        struct cert *cert = NULL;
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CERT_FILE_MAX);
        int status = cmd_cert_issue_read_request(request, &params, in->csr, err);
        if (status < 0)
                status = err_prefix(err, "%s", args->csr);
        if (status == SMT_OK)
                status = cmd_cert_issue_key_usage(&params, request->key_usage, err);
        if (status == SMT_OK)
                status = cmd_cert_issue_usages(&params, args, err);
        if (status == SMT_OK)
                status = cmd_cert_issue_validity(&params, args, err);
        if (status == SMT_OK)
                status = cert_issue(&cert, &params, err);
        if (status == SMT_OK)
                status = cert_write_pem(cert, &pem, err);
        if (status == SMT_OK)
                status = cmd_io_write_output(args->out, pem.data, pem.len, 0644, err);
        buf_writer_cleanup(&pem);
        cert_free(cert);
        free(request);
        return status;
}

int cmd_cert_issue(const struct cmd_cert_issue_args *args, struct err *err)
{
        struct cmd_cert_issue_inputs inputs = {0};
        int status = cmd_cert_issue_load(&inputs, args, err);
        if (status == SMT_OK)
                status = cmd_cert_issue_with(&inputs, args, err);
        cmd_cert_issue_inputs_cleanup(&inputs);
        return status;
}
