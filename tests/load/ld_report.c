/* ld_report.c - Markdown tables from benchmark JSON lines (see ld_report.h). */
#include "ld_report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *head; /* column header */
    const char *path; /* "key" or "key.sub" in the run's JSON */
    int prec;         /* decimals of a number */
} col_t;

typedef struct {
    const char *prefix; /* scenario name, or its start ("rest_") */
    const char *title;  /* section title */
    col_t cols[18];     /* columns, ended by a NULL head */
} table_t;

static const table_t s_tables[] = {
    {"login",
     "login (Argon2id)",
     {{"concurrency", "concurrency", 0},
      {"logins", "logins", 0},
      {"logins/s", "logins_per_s", 1},
      {"p50 ms", "latency_ms.p50", 1},
      {"p95 ms", "latency_ms.p95", 1},
      {"p99 ms", "latency_ms.p99", 1},
      {"max ms", "latency_ms.max", 1},
      {"failed", "failed", 0},
      {NULL, NULL, 0}}},
    {"pairs",
     "pairs (100-byte texts over WebSocket)",
     {{"users", "users", 0},
      {"offered/s", "offered_per_s", 0},
      {"acked/s", "acked_per_s", 0},
      {"ack p50", "ack_ms.p50", 2},
      {"ack p99", "ack_ms.p99", 2},
      {"deliver p50", "deliver_ms.p50", 2},
      {"deliver p95", "deliver_ms.p95", 2},
      {"deliver p99", "deliver_ms.p99", 2},
      {"deliver max", "deliver_ms.max", 1},
      {"errors", "errors", 0},
      {"lost", "lost", 0},
      {"dup", "duplicated", 0},
      {"gaps", "gaps", 0},
      {"push missed", "push_missed", 0},
      {"events dropped", "ws_events_dropped", 0},
      {"ok", "ok", 0},
      {NULL, NULL, 0}}},
    {"group",
     "group (one group, every member online)",
     {{"members", "members", 0},
      {"senders", "senders", 0},
      {"offered/s", "offered_per_s", 0},
      {"acked/s", "acked_per_s", 0},
      {"deliveries/s", "pushes_per_s", 0},
      {"fan-out p50", "deliver_ms.p50", 2},
      {"p95", "deliver_ms.p95", 2},
      {"p99", "deliver_ms.p99", 2},
      {"max", "deliver_ms.max", 1},
      {"errors", "errors", 0},
      {"lost", "lost", 0},
      {"dup", "duplicated", 0},
      {"gaps", "gaps", 0},
      {"push missed", "push_missed", 0},
      {"skipped", "skipped", 0},
      {"ok", "ok", 0},
      {NULL, NULL, 0}}},
    {"connections",
     "connections (idle authenticated WebSockets)",
     {{"sockets", "connections", 0},
      {"ready", "ready", 0},
      {"opened/s", "opened_per_s", 0},
      {"held s", "held_s", 0},
      {"still open", "still_open", 0},
      {"RSS before KiB", "gateway_rss_before_kib", 0},
      {"RSS after KiB", "gateway_rss_after_kib", 0},
      {"KiB/conn", "kib_per_conn", 1},
      {"KiB/conn after hold", "kib_per_conn_after_hold", 1},
      {NULL, NULL, 0}}},
    {"rest_",
     "REST mix (wrk)",
     {{"script", "scenario", 0},
      {"requests/s", "requests_per_s", 0},
      {"p50 ms", "latency_ms.p50", 2},
      {"p95 ms", "latency_ms.p95", 2},
      {"p99 ms", "latency_ms.p99", 2},
      {"max ms", "latency_ms.max", 1},
      {"non-2xx", "non_2xx", 0},
      {"socket errors", "socket_errors", 0},
      {NULL, NULL, 0}}},
};

#define NTABLES (sizeof s_tables / sizeof s_tables[0])
#define RUNS_MAX 256

static json_t *s_get(json_t *o, const char *path)
{
    char key[64];
    const char *dot = strchr(path, '.');
    if (!dot)
        return json_object_get(o, path);
    snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
    return json_object_get(json_object_get(o, key), dot + 1);
}

static void s_cell(FILE *out, json_t *v, int prec)
{
    if (json_is_integer(v))
        fprintf(out, " %lld |", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(out, " %.*f |", prec, json_real_value(v));
    else if (json_is_string(v))
        fprintf(out, " %s |", json_string_value(v));
    else if (json_is_boolean(v))
        fprintf(out, " %s |", json_is_true(v) ? "yes" : "no");
    else
        fputs(" - |", out);
}

static void s_table(FILE *out, const table_t *t, json_t **runs, int n)
{
    fprintf(out, "### %s\n\n|", t->title);
    for (const col_t *c = t->cols; c->head; c++)
        fprintf(out, " %s |", c->head);
    fputs("\n|", out);
    for (const col_t *c = t->cols; c->head; c++)
        fputs("---|", out);
    fputs("\n", out);
    for (int i = 0; i < n; i++) {
        const char *sc = json_string_value(json_object_get(runs[i], "scenario"));
        if (!sc || strncmp(sc, t->prefix, strlen(t->prefix)) != 0)
            continue;
        if (json_object_get(runs[i], "error")) {
            fprintf(out, "| failed: %s |\n", json_string_value(json_object_get(runs[i], "error")));
            continue;
        }
        fputs("|", out);
        for (const col_t *c = t->cols; c->head; c++)
            s_cell(out, s_get(runs[i], c->path), c->prec);
        fputs("\n", out);
    }
    fputs("\n", out);
}

static json_int_t s_count(const json_t *run, const char *key)
{
    return json_integer_value(json_object_get(run, key)); /* 0 when missing */
}

int ld_report_verdict(const json_t *run, bool ran, char *why, size_t len)
{
    const char *err = json_string_value(json_object_get(run, "error"));
    json_int_t sync_failed = s_count(run, "sync_failed");
    json_int_t lost = s_count(run, "lost"), dup = s_count(run, "duplicated");
    json_int_t gaps = s_count(run, "gaps"), missing = s_count(run, "not_in_history");
    if (!ran || err) {
        snprintf(why, len, "could not run: %s", err ? err : "see the JSON line");
        return LD_EXIT_UNCHECKED;
    }
    /* an unread history hides gaps and turns missed pushes into losses */
    if (sync_failed > 0) {
        snprintf(why, len, "could not check: %lld history reads failed", (long long)sync_failed);
        return LD_EXIT_UNCHECKED;
    }
    if (lost > 0 || dup > 0 || gaps > 0 || missing > 0) {
        snprintf(why, len, "%lld lost, %lld duplicated, %lld gaps, %lld not in the history",
                 (long long)lost, (long long)dup, (long long)gaps, (long long)missing);
        return LD_EXIT_WRONG;
    }
    snprintf(why, len, "correct");
    return LD_EXIT_OK;
}

int ld_report(FILE *in, FILE *out)
{
    json_t *runs[RUNS_MAX];
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (n < RUNS_MAX && getline(&line, &cap, in) > 0) {
        json_t *j = line[0] == '{' ? json_loads(line, 0, NULL) : NULL;
        if (json_is_object(j))
            runs[n++] = j;
        else
            json_decref(j);
    }
    free(line);
    for (size_t t = 0; t < NTABLES; t++) {
        bool any = false;
        for (int i = 0; i < n && !any; i++) {
            const char *sc = json_string_value(json_object_get(runs[i], "scenario"));
            any = sc && strncmp(sc, s_tables[t].prefix, strlen(s_tables[t].prefix)) == 0;
        }
        if (any)
            s_table(out, &s_tables[t], runs, n);
    }
    for (int i = 0; i < n; i++)
        json_decref(runs[i]);
    return n;
}
