/* metrics.c - counters, gauges and latency histograms in Prometheus text format.
 *
 * The table is two levels: families (one per metric name, carrying HELP and
 * TYPE) and their series (one per label string). Lookups are linear scans
 * under one mutex: O(families + series of that family), a few microseconds
 * for the few hundred series a process has. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_kind_t;

/* Upper bounds in seconds, log-spaced 1-2.5-5 from 100 us to 10 s. */
static const double s_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define S_NBUCKETS (sizeof s_bounds / sizeof s_bounds[0])

typedef struct {
    char *labels;                 /* `a="x",b="y"` or "" */
    uint64_t count;               /* counter value, or observations of a histogram */
    double value;                 /* gauge value, or sum of a histogram */
    uint64_t buckets[S_NBUCKETS]; /* histogram: observations <= s_bounds[i] (not cumulative) */
} s_series_t;

typedef struct {
    char *name;         /* with the "pigeon_" prefix */
    char *given;        /* the name as first passed: found again without building `name` */
    char *help;         /* from the first use */
    s_kind_t kind;      /* fixed by the first use */
    s_series_t *series; /* in order of first use */
    size_t nseries;
    size_t cap;
} s_family_t;

struct pc_metrics {
    pthread_mutex_t lock; /* guards everything below */
    char *service;        /* reported as pigeon_service_info{service="..."} 1 */
    s_family_t *families; /* in order of first use */
    size_t nfamilies;
    size_t cap;
};

pc_metrics_t *pc_metrics_new(const char *service)
{
    pc_metrics_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->service = strdup(service ? service : "");
    if (m->service == NULL) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    /* Service names are ours ([a-z]+), so they need no label escaping. */
    char labels[96];
    snprintf(labels, sizeof labels, "service=\"%s\"", m->service);
    pc_metrics_gauge(m, "service_info", "Which Pigeon service this process is.", labels, 1);
    return m;
}

void pc_metrics_destroy(pc_metrics_t **mp)
{
    if (mp == NULL || *mp == NULL)
        return;
    pc_metrics_t *m = *mp;
    for (size_t i = 0; i < m->nfamilies; i++) {
        s_family_t *f = &m->families[i];
        for (size_t j = 0; j < f->nseries; j++)
            free(f->series[j].labels);
        free(f->series);
        free(f->name);
        free(f->given);
        free(f->help);
    }
    free(m->families);
    free(m->service);
    pthread_mutex_destroy(&m->lock);
    free(m);
    *mp = NULL;
}

/* "pigeon_" + name, with characters Prometheus does not allow made '_'. */
static char *s_full_name(const char *name)
{
    static const char prefix[] = "pigeon_";
    bool has = strncmp(name, prefix, sizeof prefix - 1) == 0;
    size_t len = strlen(name) + (has ? 0 : sizeof prefix - 1);
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    snprintf(out, len + 1, "%s%s", has ? "" : prefix, name);
    for (char *p = out; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == ':';
        if (!ok)
            *p = '_';
    }
    return out;
}

static s_family_t *s_found(s_family_t *f, s_kind_t kind)
{
    if (f->kind != kind) {
        pc_error("metric \"%s\" used with two different types", f->name);
        return NULL;
    }
    return f;
}

static s_family_t *s_family(pc_metrics_t *m, const char *name, const char *help, s_kind_t kind)
{
    /* Hot paths update metrics for every message: the name as passed finds
     * its family without an allocation. */
    for (size_t i = 0; i < m->nfamilies; i++)
        if (strcmp(m->families[i].given, name) == 0)
            return s_found(&m->families[i], kind);
    char *full = s_full_name(name);
    if (full == NULL)
        return NULL;
    for (size_t i = 0; i < m->nfamilies; i++) {
        s_family_t *f = &m->families[i];
        if (strcmp(f->name, full) == 0) {
            free(full);
            return s_found(f, kind);
        }
    }
    if (m->nfamilies == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        s_family_t *grown = realloc(m->families, cap * sizeof *grown);
        if (grown == NULL) {
            free(full);
            return NULL;
        }
        m->families = grown;
        m->cap = cap;
    }
    char *h = strdup(help ? help : "");
    char *given = strdup(name);
    if (h == NULL || given == NULL) {
        free(h);
        free(given);
        free(full);
        return NULL;
    }
    s_family_t *f = &m->families[m->nfamilies++];
    *f = (s_family_t){.name = full, .given = given, .help = h, .kind = kind};
    return f;
}

static s_series_t *s_series(s_family_t *f, const char *labels)
{
    if (labels == NULL)
        labels = "";
    for (size_t i = 0; i < f->nseries; i++)
        if (strcmp(f->series[i].labels, labels) == 0)
            return &f->series[i];
    if (f->nseries == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        s_series_t *grown = realloc(f->series, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        f->series = grown;
        f->cap = cap;
    }
    char *copy = strdup(labels);
    if (copy == NULL)
        return NULL;
    s_series_t *s = &f->series[f->nseries++];
    memset(s, 0, sizeof *s);
    s->labels = copy;
    return s;
}

/* Finds or makes the series under the lock; NULL (and the update dropped)
 * only on OOM or a type clash. The caller unlocks. */
static s_series_t *s_lookup(pc_metrics_t *m, const char *name, const char *help, const char *labels,
                            s_kind_t kind)
{
    pthread_mutex_lock(&m->lock);
    s_family_t *f = s_family(m, name, help, kind);
    return f ? s_series(f, labels) : NULL;
}

void pc_metrics_count(pc_metrics_t *m, const char *name, const char *help, const char *labels,
                      uint64_t n)
{
    if (m == NULL)
        return;
    s_series_t *s = s_lookup(m, name, help, labels, S_COUNTER);
    if (s != NULL)
        s->count += n;
    pthread_mutex_unlock(&m->lock);
}

void pc_metrics_gauge(pc_metrics_t *m, const char *name, const char *help, const char *labels,
                      double value)
{
    if (m == NULL)
        return;
    s_series_t *s = s_lookup(m, name, help, labels, S_GAUGE);
    if (s != NULL)
        s->value = value;
    pthread_mutex_unlock(&m->lock);
}

void pc_metrics_observe(pc_metrics_t *m, const char *name, const char *help, const char *labels,
                        double seconds)
{
    if (m == NULL)
        return;
    if (isnan(seconds) || seconds < 0)
        seconds = 0;
    s_series_t *s = s_lookup(m, name, help, labels, S_HISTOGRAM);
    if (s != NULL) {
        for (size_t i = 0; i < S_NBUCKETS; i++) {
            if (seconds <= s_bounds[i]) {
                s->buckets[i]++;
                break;
            }
        }
        s->count++;
        s->value += seconds;
    }
    pthread_mutex_unlock(&m->lock);
}

/* Prometheus' float syntax: +Inf, -Inf, NaN, else the shortest exact-enough form. */
static void s_put_double(FILE *out, double v)
{
    if (isnan(v))
        fputs("NaN", out);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", out);
    else
        fprintf(out, "%.17g", v);
}

/* HELP text escapes backslash and newline. */
static void s_put_help(FILE *out, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", out);
        else if (*p == '\n')
            fputs("\\n", out);
        else
            fputc(*p, out);
    }
}

static void s_render_histogram(FILE *out, const s_family_t *f, const s_series_t *s)
{
    const char *sep = s->labels[0] ? "," : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < S_NBUCKETS; i++) {
        cumulative += s->buckets[i];
        fprintf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", f->name, s->labels, sep, s_bounds[i],
                (unsigned long long)cumulative);
    }
    fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name, s->labels, sep,
            (unsigned long long)s->count);
    const char *open = s->labels[0] ? "{" : "";
    const char *close = s->labels[0] ? "}" : "";
    fprintf(out, "%s_sum%s%s%s ", f->name, open, s->labels, close);
    s_put_double(out, s->value);
    fprintf(out, "\n%s_count%s%s%s %llu\n", f->name, open, s->labels, close,
            (unsigned long long)s->count);
}

static void s_render_family(FILE *out, const s_family_t *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", f->name);
    s_put_help(out, f->help);
    fprintf(out, "\n# TYPE %s %s\n", f->name, type_names[f->kind]);
    for (size_t j = 0; j < f->nseries; j++) {
        const s_series_t *s = &f->series[j];
        if (f->kind == S_HISTOGRAM) {
            s_render_histogram(out, f, s);
            continue;
        }
        const char *open = s->labels[0] ? "{" : "";
        const char *close = s->labels[0] ? "}" : "";
        fprintf(out, "%s%s%s%s ", f->name, open, s->labels, close);
        if (f->kind == S_COUNTER)
            fprintf(out, "%llu\n", (unsigned long long)s->count);
        else {
            s_put_double(out, s->value);
            fputc('\n', out);
        }
    }
}

char *pc_metrics_render(pc_metrics_t *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return NULL;
    if (m != NULL) {
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->nfamilies; i++)
            s_render_family(out, &m->families[i]);
        pthread_mutex_unlock(&m->lock);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
