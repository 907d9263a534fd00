/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The printers of the detailed views: `vpnctl session` (ASA `show
 * vpn-sessiondb detail`), `vpnctl sas` (`show crypto ikev2 sa detail`),
 * `vpnctl ipsec` (`show crypto ipsec sa`) and `vpnctl stats`. Labels are
 * aligned like `vpnctl status`; --json prints the daemon's answer as is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vpnctl.h"

static size_t array_length(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static const char *yes_no(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_get_boolean(v) ? "yes" : "no";
}

/* "1234" or "unlimited" for a null member. */
static const char *uint_or(json_object *o, const char *key, const char *none, char *buf, size_t len)
{
    if (!get_str(o, key))
        return none;
    snprintf(buf, len, "%" PRIu64, get_uint(o, key));
    return buf;
}

static void print_string_list(const char *label, json_object *list)
{
    char text[512] = "";
    for (size_t i = 0; i < array_length(list); i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", i ? ", " : "",
                 json_object_get_string(json_object_array_get_idx(list, i)));
    field(label, "%s", text[0] ? text : "-");
}

static void print_ike_sa(json_object *ike, const char *indent)
{
    char label[64], dur[64], left[64];
#define L(text) (snprintf(label, sizeof(label), "%s%s", indent, text), label)
    if (!ike) {
        field(L("IKE SA:"), "none");
        return;
    }
    const bool v1 = strcmp(get_str(ike, "version") ?: "", "IKEv1") == 0;
    field(L("IKE SA:"), "%s %s, %s, %s%s%s", get_str(ike, "version") ?: "?", get_str(ike, "name") ?: "?",
          get_str(ike, "state") ?: "?", get_str(ike, "role") ?: "?", v1 ? ", " : "", v1 ? get_str(ike, "exchange") ?: "" : "");
    field(L("  SPIs:"), "%s_i %s_r", get_str(ike, "spi_i") ?: "?", get_str(ike, "spi_r") ?: "?");
    field(L("  local:"), "%s%s%s", get_str(ike, "local") ?: "?", get_str(ike, "local_identity") ? " id " : "",
          get_str(ike, "local_identity") ?: "");
    if (v1) {
        field(L("  remote:"), "%s group '%s'%s%s", get_str(ike, "remote") ?: "?", get_str(ike, "group_identity") ?: "",
              get_str(ike, "xauth_user") ? " xauth user " : "", get_str(ike, "xauth_user") ?: "");
        field(L("  authentication:"), "%s", get_str(ike, "auth") ?: "?");
    } else {
        field(L("  remote:"), "%s id %s", get_str(ike, "remote") ?: "?", get_str(ike, "remote_identity") ?: "?");
        field(L("  authentication:"), "local %s, remote %s", get_str(ike, "local_auth") ?: "?",
              get_str(ike, "remote_auth") ?: "?");
    }
    if (v1)
        field(L("  algorithms:"), "%s (%" PRIu64 "-bit key), %s, %s", get_str(ike, "encryption") ?: "?",
              get_uint(ike, "encryption_key_bits"), get_str(ike, "prf") ?: "?", get_str(ike, "dh_group") ?: "?");
    else
        field(L("  algorithms:"), "%s (%" PRIu64 "-bit key), %s, %s, %s", get_str(ike, "encryption") ?: "?",
              get_uint(ike, "encryption_key_bits"), get_str(ike, "integrity") ?: "(AEAD)", get_str(ike, "prf") ?: "?",
              get_str(ike, "dh_group") ?: "?");
    format_duration(get_uint(ike, "established_seconds"), dur, sizeof(dur));
    format_duration(get_uint(ike, "lifetime_left_seconds"), left, sizeof(left));
    field(L("  lifetime:"), "%" PRIu64 " s, established %s ago, %s left", get_uint(ike, "lifetime_seconds"), dur, left);
    json_object *mid = get(ike, "message_ids");
    if (mid)
        field(L("  message IDs:"), "next expected request %" PRIu64 ", next request %" PRIu64 ", window %" PRIu64,
              get_uint(mid, "expected_request"), get_uint(mid, "next_request"), get_uint(mid, "window"));
    json_object *dpd = get(ike, "dpd");
    if (v1)
        field(L("  DPD:"), "interval %" PRIu64 " s, retries %" PRIu64 ", client supports DPD: %s, unanswered %" PRIu64,
              get_uint(dpd, "interval_seconds"), get_uint(dpd, "retries"), yes_no(dpd, "peer_supports"),
              get_uint(dpd, "unanswered"));
    else
        field(L("  DPD:"), "interval %" PRIu64 " s, retries %" PRIu64, get_uint(dpd, "interval_seconds"),
              get_uint(dpd, "retries"));
    json_object *nat = get(ike, "nat");
    field(L("  NAT:"), "%s%s%s%s, ports %" PRIu64 " -> %" PRIu64, json_object_get_boolean(get(nat, "detected")) ?
          "detected" : "not detected", get_str(nat, "method") ? " (" : "", get_str(nat, "method") ?: "",
          get_str(nat, "method") ? " agreed)" : "", get_uint(nat, "remote_port"), get_uint(nat, "local_port"));
    if (v1)
        print_string_list(L("  client vendor IDs:"), get(ike, "client_vendor_ids"));
    else {
        field(L("  fragmentation:"), "%s", yes_no(ike, "fragmentation"));
        field(L("  client version:"), "%s", get_str(ike, "client_version") ?: "-");
    }
#undef L
}

static void print_direction(const char *label, json_object *d)
{
    char sec[32], kb[32];
    if (get_str(d, "kernel_error")) {
        field(label, "spi %s: kernel: %s", get_str(d, "spi") ?: "?", get_str(d, "kernel_error"));
        return;
    }
    json_object *lt = get(d, "lifetime");
    field(label, "spi %s: %" PRIu64 " bytes, %" PRIu64 " packets", get_str(d, "spi") ?: "?", get_uint(d, "bytes"),
          get_uint(d, "packets"));
    field("", "    lifetime left %s s, %s KB", uint_or(lt, "seconds_left", "unlimited", sec, sizeof(sec)),
          uint_or(lt, "kilobytes_left", "unlimited", kb, sizeof(kb)));
    field("", "    replay window %" PRIu64 ", replay errors %" PRIu64 " (outside window %" PRIu64 "), integrity "
          "failures %" PRIu64, get_uint(d, "replay_window"), get_uint(d, "replay_errors"),
          get_uint(d, "replay_window_errors"), get_uint(d, "integrity_failures"));
}

static void print_child_sa(json_object *c)
{
    char ports[64] = "";
    if (json_object_get_boolean(get(c, "encapsulation")))
        snprintf(ports, sizeof(ports), ", UDP-encapsulated %" PRIu64 " -> %" PRIu64, get_uint(c, "encap_local_port"),
                 get_uint(c, "encap_remote_port"));
    field("IPsec SA:", "reqid %" PRIu64 " (%s), %s %s%s", get_uint(c, "reqid"), get_str(c, "role") ?: "?",
          get_str(c, "protocol") ?: "?", get_str(c, "mode") ?: "?", ports);
    field("  SPIs:", "in %s, out %s", get_str(c, "spi_in") ?: "?", get_str(c, "spi_out") ?: "?");
    field("  transform:", "%s", get_str(c, "transform") ?: "?");
    field("  endpoints:", "%s <-> %s", get_str(c, "local") ?: "?", get_str(c, "remote") ?: "?");
    print_string_list("  local TS:", get(c, "local_ts"));
    print_string_list("  remote TS:", get(c, "remote_ts"));
    print_direction("  inbound:", get(c, "inbound"));
    print_direction("  outbound:", get(c, "outbound"));
}

void print_session(json_object *r)
{
    json_object *list = get(r, "sessions");
    for (size_t i = 0; i < array_length(list); i++) {
        json_object *s = json_object_array_get_idx(list, i);
        char dur[64];
        if (i)
            putchar('\n');
        format_duration(get_uint(s, "duration_seconds"), dur, sizeof(dur));
        field("Session:", "%" PRIu64, get_uint(s, "index"));
        field("  user:", "%s", get_str(s, "user") ?: "?");
        field("  tunnel group:", "%s", get_str(s, "tunnel_group") ?: "?");
        field("  group policy:", "%s", get_str(s, "group_policy") ?: "-");
        field("  address:", "%s%s%s", get_str(s, "address") ?: "?", get_str(s, "address6") ? ", " : "",
              get_str(s, "address6") ?: "");
        field("  public address:", "%s", get_str(s, "public_address") ?: "?");
        field("  protocol:", "%s%s", get_str(s, "protocol") ?: "?",
              json_object_get_boolean(get(s, "natt")) ? " (NAT-T)" : "");
        field("  encryption:", "%s", get_str(s, "encryption") ?: "?");
        field("  login:", "%s (%s ago)", get_str(s, "login") ?: "?", dur);
        if (get_str(s, "idle_seconds")) {
            char idle[64];
            format_duration(get_uint(s, "idle_seconds"), idle, sizeof(idle));
            field("  idle:", "%s", idle);
        }
        field("  accounting id:", "%s", get_str(s, "acct_session_id") ?: "-");
        if (get_str(s, "bytes_in"))
            field("  traffic:", "in %" PRIu64 " bytes %" PRIu64 " packets, out %" PRIu64 " bytes %" PRIu64
                  " packets", get_uint(s, "bytes_in"), get_uint(s, "packets_in"), get_uint(s, "bytes_out"),
                  get_uint(s, "packets_out"));
        else
            field("  traffic:", "unknown (the kernel did not answer)");
        print_ike_sa(get(s, "ike_sa"), "");
        json_object *children = get(s, "child_sas");
        for (size_t j = 0; j < array_length(children); j++)
            print_child_sa(json_object_array_get_idx(children, j));
    }
}

struct sa_rows {
    FILE *out;
    size_t n;
};

static void sas_row(json_object *s, void *userdata)
{
    struct sa_rows *rows = userdata;
    char left[32];
    if (rows->n++ == 0)
        fprintf(rows->out, "%-7s %-6s %-16s %-16s %-21s %-24s %-12s %-28s %10s\n", "SESSION", "PROTO", "SPI-I",
                "SPI-R", "REMOTE", "USER", "STATE", "ENCRYPTION", "LIFE-LEFT");
    snprintf(left, sizeof(left), "%" PRIu64 "s", get_uint(s, "lifetime_left_seconds"));
    fprintf(rows->out, "%-7" PRIu64 " %-6s %-16s %-16s %-21s %-24s %-12s %-28s %10s\n", get_uint(s, "session"),
            get_str(s, "version") ?: "?", get_str(s, "spi_i") ?: "?", get_str(s, "spi_r") ?: "?",
            get_str(s, "remote") ?: "?", get_str(s, "user") ?: "?", get_str(s, "state") ?: "?",
            get_str(s, "encryption") ?: "?", left);
}

/* `sas`: each IKE SA parsed on its own as the answer is read. */
int print_sas_stream(struct json_reader *r, enum json_token first, FILE *out)
{
    struct sa_rows rows = { .out = out };
    int res = vpnctl_read_list(r, first, "ike_sas", sas_row, &rows);
    if (res < 0)
        return res;
    if (rows.n == 0)
        fprintf(out, "no IKE SAs\n");
    else
        fprintf(out, "%zu IKE SA%s\n", rows.n, rows.n == 1 ? "" : "s");
    return 0;
}

static void print_ipsec_header(FILE *out)
{
    fprintf(out, "%-7s %-24s %-10s %-10s %12s %9s %12s %9s %6s %6s %9s\n", "SESSION", "USER", "SPI-IN", "SPI-OUT",
            "BYTES-IN", "PKTS-IN", "BYTES-OUT", "PKTS-OUT", "REPLAY", "INTEG", "LIFE-LEFT");
}

static void print_ipsec_row(FILE *f, json_object *c)
{
    json_object *in = get(c, "inbound"), *out = get(c, "outbound");
    char left[32];
    uint_or(get(in, "lifetime"), "seconds_left", "-", left, sizeof(left));
    fprintf(f, "%-7" PRIu64 " %-24s %-10s %-10s %12" PRIu64 " %9" PRIu64 " %12" PRIu64 " %9" PRIu64 " %6" PRIu64
            " %6" PRIu64 " %9s\n", get_uint(c, "session"), get_str(c, "user") ?: "?", get_str(c, "spi_in") ?: "?",
            get_str(c, "spi_out") ?: "?", get_uint(in, "bytes"), get_uint(in, "packets"), get_uint(out, "bytes"),
            get_uint(out, "packets"), get_uint(in, "replay_errors") + get_uint(in, "replay_window_errors"),
            get_uint(in, "integrity_failures"), get_str(get(in, "lifetime"), "seconds_left") ? left : "-");
    if (get_str(in, "kernel_error") || get_str(out, "kernel_error"))
        fprintf(f, "        kernel: %s\n", get_str(in, "kernel_error") ?: get_str(out, "kernel_error"));
}

static void ipsec_row(json_object *c, void *userdata)
{
    struct sa_rows *rows = userdata;
    if (rows->n++ == 0)
        print_ipsec_header(rows->out);
    print_ipsec_row(rows->out, c);
}

/* `ipsec`: each SA parsed on its own as the list is read (vpnctl-stream.c),
 * never the whole list as one json-c tree. */
int print_ipsec_stream(struct json_reader *r, enum json_token first, FILE *out)
{
    struct sa_rows rows = { .out = out };
    int res = vpnctl_read_list(r, first, "ipsec_sas", ipsec_row, &rows);
    if (res < 0)
        return res;
    if (rows.n == 0)
        fprintf(out, "no IPsec SAs\n");
    else
        fprintf(out, "%zu IPsec SA%s\n", rows.n, rows.n == 1 ? "" : "s");
    return 0;
}

void print_stats(json_object *r)
{
    json_object *hs = get(r, "handshakes"), *failed = get(hs, "failed_by_reason"), *d = get(r, "dropped");
    field("Handshakes:", "%" PRIu64 " started, %" PRIu64 " succeeded, %" PRIu64 " failed", get_uint(hs, "started"),
          get_uint(hs, "succeeded"), get_uint(hs, "failed"));
    if (failed && json_object_is_type(failed, json_type_object)) {
        json_object_object_foreach(failed, reason, count) {
            char label[64];
            snprintf(label, sizeof(label), "  %s:", reason);
            field(label, "%" PRIu64, json_object_get_uint64(count));
        }
    }
    field("Now:", "%" PRIu64 " sessions, %" PRIu64 " IKEv2 SAs established, %" PRIu64 " half-open",
          get_uint(r, "sessions_now"), get_uint(r, "ikev2_established_now"), get_uint(r, "half_open_now"));
    field("Cookies:", "%" PRIu64 " sent, %" PRIu64 " wrong", get_uint(r, "cookies_sent"),
          get_uint(r, "cookies_rejected"));
    field("Half-open dropped:", "%" PRIu64, get_uint(r, "half_open_dropped"));
    field("Retransmissions:", "%" PRIu64 " sent, %" PRIu64 " answered from the cache",
          get_uint(r, "retransmissions_sent"), get_uint(r, "retransmissions_answered"));
    field("EAP failures:", "%" PRIu64, get_uint(r, "eap_failures"));
    field("Xauth failures:", "%" PRIu64, get_uint(r, "xauth_failures"));
    field("Kernel errors:", "%" PRIu64, get_uint(r, "kernel_errors"));
    field("Dropped:", "%" PRIu64 " malformed, %" PRIu64 " failed decryption, %" PRIu64 " unknown SPI",
          get_uint(d, "malformed"), get_uint(d, "decrypt_failures"), get_uint(d, "unknown_spi"));
    field("", "%" PRIu64 " outside the window, %" PRIu64 " stray responses, %" PRIu64 " unexpected IKEv1, %" PRIu64
          " fragments", get_uint(d, "bad_message_id"), get_uint(d, "stray_responses"),
          get_uint(d, "ikev1_unexpected"), get_uint(d, "fragments"));
    field("Messages:", "%" PRIu64 " IKE messages received; %" PRIu64 " datagrams received, %" PRIu64 " sent",
          get_uint(r, "messages_received"), get_uint(r, "datagrams_received"), get_uint(r, "datagrams_sent"));
    json_object *a = get(r, "accounting");
    field("Accounting:", "%" PRIu64 " sent, %" PRIu64 " answered, %" PRIu64 " spooled, %" PRIu64 " replayed, %" PRIu64
          " dropped; %" PRIu64 " waiting in the spool", get_uint(a, "sent"), get_uint(a, "answered"),
          get_uint(a, "spooled"), get_uint(a, "replayed"), get_uint(a, "dropped"), get_uint(a, "spool_waiting"));
    field("", "%" PRIu64 " Interim-Updates not delivered (never spooled)", get_uint(a, "interim_skipped"));
    json_object *k = get(r, "kernel");
    field("Kernel installs:", "%" PRIu64 " CHILD SAs; first %" PRIu64 " us, last %" PRIu64 " us", get_uint(k, "installs"),
          get_uint(k, "first_install_us"), get_uint(k, "last_install_us"));
    field("", "mean of the first 100 %" PRIu64 " us, of the last 100 %" PRIu64 " us",
          get_uint(k, "first_100_mean_us"), get_uint(k, "last_100_mean_us"));
    field("", "last %" PRIu64 ": p50 %" PRIu64 " us, p99 %" PRIu64 " us, max %" PRIu64 " us", get_uint(k, "window"),
          get_uint(k, "p50_us"), get_uint(k, "p99_us"), get_uint(k, "max_us"));
    json_object *rt = get(k, "round_trips_per_install"), *msgs = get(k, "messages_per_install");
    json_object *calls = get(k, "xfrm_syscalls_per_install");
    field("", "per install: %.2f netlink round trips, %.2f messages, %.2f XFRM system calls",
          rt ? json_object_get_double(rt) : 0.0, msgs ? json_object_get_double(msgs) : 0.0,
          calls ? json_object_get_double(calls) : 0.0);
}
