/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the generator measured: per-phase latency percentiles (nearest
 * rank), failures by reason, counters and rates, as a table for people and
 * as JSON for tests/bench/run.
 */
#include "loadgen.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[LG_PHASE_MAX] = {
    [LG_PHASE_INIT] = "ike_sa_init",
    [LG_PHASE_AUTH] = "ike_auth",
    [LG_PHASE_TOTAL] = "setup",
    [LG_PHASE_DELETE] = "delete",
};

void lg_stats_sample(struct lg_stats *st, enum lg_phase phase, uint64_t usec)
{
    struct lg_samples *s = &st->phase[phase];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        double *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return;     /* a lost sample, not a lost run */
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (double)usec / 1e6;
}

void lg_stats_reason(struct lg_stats *st, const char *reason)
{
    for (size_t i = 0; i < st->n_reasons; i++)
        if (strcmp(st->reasons[i].reason, reason) == 0) {
            st->reasons[i].count++;
            return;
        }
    size_t i = st->n_reasons < LG_REASONS_MAX ? st->n_reasons++ : LG_REASONS_MAX - 1;
    if (i == LG_REASONS_MAX - 1 && st->n_reasons == LG_REASONS_MAX && st->reasons[i].count)
        reason = "(other reasons)";
    snprintf(st->reasons[i].reason, sizeof(st->reasons[i].reason), "%s", reason);
    st->reasons[i].count++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples; NAN without any. */
static double percentile(const struct lg_samples *s, double p)
{
    if (s->n == 0)
        return NAN;
    size_t rank = (size_t)ceil(p / 100.0 * (double)s->n);
    if (rank < 1)
        rank = 1;
    return s->v[rank - 1];
}

static void sort_samples(const struct lg *lg)
{
    for (int i = 0; i < LG_PHASE_MAX; i++) {
        const struct lg_samples *s = &lg->stats.phase[i];
        if (s->n)
            qsort(s->v, s->n, sizeof(double), cmp_double);
    }
}

static double wall_seconds(const struct lg *lg)
{
    const struct lg_stats *st = &lg->stats;
    uint64_t end = st->last_established_usec ? st->last_established_usec : st->end_usec;
    return end > st->first_start_usec ? (double)(end - st->first_start_usec) / 1e6 : 0.0;
}

static const char *mode_name(enum lg_mode m)
{
    return m == LG_MODE_HOLD ? "hold" : m == LG_MODE_CHURN ? "churn" : "flood";
}

void lg_report_table(const struct lg *lg, FILE *f)
{
    const struct lg_stats *st = &lg->stats;
    sort_samples(lg);
    if (lg->opt.mode == LG_MODE_FLOOD) {
        fprintf(f, "flood: %u spoofed IKE_SA_INIT requests sent in %.1f s\n", st->flood_sent,
                (double)(st->end_usec - st->first_start_usec) / 1e6);
    }
    double wall = wall_seconds(lg);
    fprintf(f, "mode %s: %u clients started, %u established, %u failed (%u abandoned), %u deleted\n",
            mode_name(lg->opt.mode), st->started, st->established, st->failed, st->abandoned, st->deleted);
    fprintf(f, "setup wall time %.2f s (%.1f tunnels/s); %u retransmissions, %u cookies, %u liveness checks answered\n",
            wall, wall > 0 ? st->established / wall : 0.0, st->retransmissions, st->cookies, st->dpd_answered);
    fprintf(f, "%-12s %8s %9s %9s %9s %9s\n", "phase", "count", "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (int i = 0; i < LG_PHASE_MAX; i++) {
        const struct lg_samples *s = &st->phase[i];
        if (!s->n)
            continue;
        fprintf(f, "%-12s %8zu %9.1f %9.1f %9.1f %9.1f\n", phase_names[i], s->n, 1e3 * percentile(s, 50),
                1e3 * percentile(s, 90), 1e3 * percentile(s, 99), 1e3 * s->v[s->n - 1]);
    }
    for (size_t i = 0; i < st->n_reasons; i++)
        fprintf(f, "  %6u x %s\n", st->reasons[i].count, st->reasons[i].reason);
}

static json_object *num(double v)
{
    return isnan(v) ? NULL : json_object_new_double(round(v * 1e6) / 1e6);
}

int lg_report_json(const struct lg *lg, const char *path)
{
    const struct lg_stats *st = &lg->stats;
    sort_samples(lg);
    json_object *o = json_object_new_object(), *phases = json_object_new_object(),
                *reasons = json_object_new_object();
    double wall = wall_seconds(lg);
    json_object_object_add(o, "mode", json_object_new_string(mode_name(lg->opt.mode)));
    json_object_object_add(o, "clients", json_object_new_int64(lg->opt.n));
    json_object_object_add(o, "sources", json_object_new_int64((int64_t)lg->opt.n_sources));
    json_object_object_add(o, "rate", json_object_new_double(lg->opt.rate));
    json_object_object_add(o, "concurrency", json_object_new_int64(lg->opt.concurrency));
    json_object_object_add(o, "started", json_object_new_int64(st->started));
    json_object_object_add(o, "established", json_object_new_int64(st->established));
    json_object_object_add(o, "failed", json_object_new_int64(st->failed));
    json_object_object_add(o, "abandoned", json_object_new_int64(st->abandoned));
    json_object_object_add(o, "deleted", json_object_new_int64(st->deleted));
    json_object_object_add(o, "deleted_by_responder", json_object_new_int64(st->deleted_by_peer));
    json_object_object_add(o, "retransmissions", json_object_new_int64(st->retransmissions));
    json_object_object_add(o, "cookies", json_object_new_int64(st->cookies));
    json_object_object_add(o, "liveness_checks_answered", json_object_new_int64(st->dpd_answered));
    json_object_object_add(o, "requests_refused", json_object_new_int64(st->requests_refused));
    json_object_object_add(o, "max_in_flight", json_object_new_int64(st->max_in_flight));
    json_object_object_add(o, "setup_wall_seconds", num(wall));
    json_object_object_add(o, "setup_rate_per_second", num(wall > 0 ? st->established / wall : 0.0));
    if (lg->opt.mode == LG_MODE_FLOOD) {
        json_object_object_add(o, "flood_sent", json_object_new_int64(st->flood_sent));
        json_object_object_add(o, "flood_seconds", num((double)(st->end_usec - st->first_start_usec) / 1e6));
    }
    for (int i = 0; i < LG_PHASE_MAX; i++) {
        const struct lg_samples *s = &st->phase[i];
        json_object *p = json_object_new_object();
        json_object_object_add(p, "count", json_object_new_int64((int64_t)s->n));
        json_object_object_add(p, "p50", num(percentile(s, 50)));
        json_object_object_add(p, "p90", num(percentile(s, 90)));
        json_object_object_add(p, "p99", num(percentile(s, 99)));
        json_object_object_add(p, "max", s->n ? num(s->v[s->n - 1]) : NULL);
        json_object_object_add(phases, phase_names[i], p);
    }
    json_object_object_add(o, "latency_seconds", phases);
    for (size_t i = 0; i < st->n_reasons; i++)
        json_object_object_add(reasons, st->reasons[i].reason, json_object_new_int64(st->reasons[i].count));
    json_object_object_add(o, "failures", reasons);
    int r = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(o);
    return r < 0 ? -1 : 0;
}
