#!/bin/sh
# examples/dns-hook.sh: a dns-01 hook for the gateway (acme.dns_hook in examples/gateway.yaml). dns-01 is the
# only challenge that proves a wildcard name ("*.example.com") and the one that works when the CA cannot
# reach the gateway's ports 80 and 443.
#
# The gateway runs it (directly, not through a shell; with its own environment) as
#   dns-hook.sh present FQDN VALUE    publish the TXT record FQDN with the text VALUE; return only once it is
#                                     visible at the zone's primary server (the CA asks right after)
#   dns-hook.sh cleanup FQDN VALUE    withdraw that record (other values of FQDN stay: an order for a name
#                                     and its wildcard has two at once)
# FQDN is "_acme-challenge.<name>." with the trailing dot (RFC 8555 §8.4), VALUE the base64url SHA-256 of
# the key authorization (43 characters). Exit status 0 means done; anything else fails the order, which is
# retried later (acme.retry_min). The hook writes to the gateway's standard error (not its error log file),
# so it can also log to a file of its own (DNS_LOG). A hook running longer than 5 minutes is killed.
#
# The real-world form: an RFC 2136 dynamic update with nsupdate (Debian: apt-get install bind9-dnsutils),
# signed with a TSIG key (RFC 8945) the zone allows to change _acme-challenge records, e.g. in BIND:
#   tsig-keygen -a hmac-sha256 acme-gateway > /etc/smtrust/acme-gateway.key   (include it in named.conf too)
#   zone "example.com" { ... update-policy { grant acme-gateway wildcard *.example.com TXT; }; };
# Set these variables here or in the gateway's environment (systemd: Environment= in its unit):
#   DNS_SERVER     the zone's primary server that accepts updates, e.g. ns1.example.com (required)
#   DNS_PORT       its port; default 53
#   DNS_TSIG_KEY   the TSIG key file (tsig-keygen's output) passed to nsupdate -k; empty: unsigned updates
#   DNS_ZONE       the zone to update; default: nsupdate finds it from the SOA of FQDN
#   DNS_TTL        the record's TTL in seconds; default 60
#   DNS_WAIT       seconds present waits for DNS_SERVER to answer with the record (checked with dig when
#                  it is installed); default 60
#   DNS_LOG        a file the hook appends a line per call to; default: none
#
# For tests on one machine: with DNS_RECORDS_DIR set the hook writes the record as a file there instead,
# the form tests/integration/dns_server.py reads (a file per value, holding "NAME VALUE"); point the CA's
# acme.challenges.resolver at that server.
set -eu

DNS_SERVER=${DNS_SERVER:-}
DNS_PORT=${DNS_PORT:-53}
DNS_TSIG_KEY=${DNS_TSIG_KEY:-}
DNS_ZONE=${DNS_ZONE:-}
DNS_TTL=${DNS_TTL:-60}
DNS_WAIT=${DNS_WAIT:-60}
DNS_LOG=${DNS_LOG:-}
DNS_RECORDS_DIR=${DNS_RECORDS_DIR:-}

log() {
        if [ -n "$DNS_LOG" ]; then
                echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) dns-hook: $*" >>"$DNS_LOG"
        fi
        echo "dns-hook: $*" >&2
}

if [ "$#" -ne 3 ]; then
        log "usage: $0 present|cleanup FQDN VALUE (got $# arguments)"
        exit 2
fi
verb=$1
fqdn=$2
value=$3
case $verb in
present | cleanup) ;;
*)
        log "expected present or cleanup, got \"$verb\""
        exit 2
        ;;
esac
# The value is base64url (RFC 4648 §5) and the name a host name: refuse anything else rather than pass it to
# nsupdate's command language or use it as a file name.
case $value in
"" | *[!A-Za-z0-9_-]*)
        log "VALUE is not base64url: \"$value\""
        exit 2
        ;;
esac
case $fqdn in
"" | *[!A-Za-z0-9.*_-]*)
        log "FQDN is not a DNS name: \"$fqdn\""
        exit 2
        ;;
esac

if [ -n "$DNS_RECORDS_DIR" ]; then
        if [ "$verb" = present ]; then
                echo "$fqdn $value" >"$DNS_RECORDS_DIR/.$value.tmp"
                mv "$DNS_RECORDS_DIR/.$value.tmp" "$DNS_RECORDS_DIR/$value"
        else
                rm -f "$DNS_RECORDS_DIR/$value"
        fi
        log "$verb $fqdn TXT $value (file in $DNS_RECORDS_DIR)"
        exit 0
fi

if [ -z "$DNS_SERVER" ]; then
        log "set DNS_SERVER (the primary server accepting RFC 2136 updates) or DNS_RECORDS_DIR"
        exit 2
fi

# nsupdate reads its commands on standard input; `send` makes one UPDATE message of the lines before it.
commands() {
        echo "server $DNS_SERVER $DNS_PORT"
        if [ -n "$DNS_ZONE" ]; then
                echo "zone $DNS_ZONE"
        fi
        if [ "$verb" = present ]; then
                echo "update add $fqdn $DNS_TTL IN TXT \"$value\""
        else
                echo "update delete $fqdn IN TXT \"$value\""
        fi
        echo "send"
}
if [ -n "$DNS_TSIG_KEY" ]; then
        commands | nsupdate -k "$DNS_TSIG_KEY"
else
        commands | nsupdate
fi
log "$verb $fqdn TXT $value at $DNS_SERVER:$DNS_PORT"

# The CA asks as soon as present returns: wait until the primary answers with the new value.
if [ "$verb" = present ] && command -v dig >/dev/null 2>&1; then
        waited=0
        until dig +short -p "$DNS_PORT" "@$DNS_SERVER" TXT "$fqdn" | grep -q "\"$value\""; do
                waited=$((waited + 1))
                if [ "$waited" -gt "$DNS_WAIT" ]; then
                        log "$fqdn TXT $value still not visible at $DNS_SERVER after $DNS_WAIT s"
                        exit 1
                fi
                sleep 1
        done
fi
exit 0
