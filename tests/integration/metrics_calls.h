/* metrics_calls.h - reading Prometheus /metrics and the registry table in
 * the integration tests (test_failover.c, test_pg_outage.c, test_metrics.c,
 * test_scale_*.c).
 *
 * Header-only (static inline), like contacts_calls.h. */
#ifndef PIGEON_TEST_METRICS_CALLS_H
#define PIGEON_TEST_METRICS_CALLS_H

#include <ctype.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* GET base + path, where base is "http://127.0.0.1:<port>" of any process
 * (a service's admin port, or a gateway). */
static inline h_resp_t mx_get(const char *base, const char *path)
{
    h_system_t at;
    memset(&at, 0, sizeof at);
    snprintf(at.base_url, sizeof at.base_url, "%s", base);
    return h_http(&at, "GET", path, NULL, NULL, NULL);
}

/* Value of the series `series` (name with its labels exactly as rendered,
 * e.g. `pigeon_registry_instances{service="auth"}`), NAN when absent. */
static inline double mx_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    }
    return NAN;
}

/* Sum of every series of metric `name` whose labels contain `part` (NULL: all). */
static inline double mx_sum(const char *text, const char *name, const char *part)
{
    size_t n = strlen(name);
    double sum = 0;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, name, n) != 0 || (line[n] != '{' && line[n] != ' '))
            continue;
        const char *end = strchr(line, '\n');
        const char *sp = line;
        for (const char *q = line; q < (end ? end : line + strlen(line)); q++)
            if (*q == ' ')
                sp = q;
        if (part) {
            char buf[512];
            size_t len =
                (size_t)(sp - line) < sizeof buf - 1 ? (size_t)(sp - line) : sizeof buf - 1;
            memcpy(buf, line, len);
            buf[len] = '\0';
            if (!strstr(buf, part))
                continue;
        }
        sum += strtod(sp + 1, NULL);
    }
    return sum;
}

/* Checks the exposition format line by line: "# HELP name text",
 * "# TYPE name counter|gauge|histogram", or `name{labels} value` / `name value`
 * with a metric name [a-zA-Z_:][a-zA-Z0-9_:]*, quoted label values and a
 * number. Returns false with the offending line in bad. */
static inline bool mx_parses(const char *text, char *bad, size_t size)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        bool ok = true;
        if (buf[0] == '#') {
            ok = !strncmp(buf, "# HELP ", 7) ||
                 (!strncmp(buf, "# TYPE ", 7) &&
                  (strstr(buf, " counter") || strstr(buf, " gauge") || strstr(buf, " histogram")));
        } else if (buf[0]) {
            const char *p = buf;
            ok = isalpha((unsigned char)*p) || *p == '_' || *p == ':';
            while (ok && (isalnum((unsigned char)*p) || *p == '_' || *p == ':'))
                p++;
            if (ok && *p == '{') {
                p++;
                while (ok && *p && *p != '}') {
                    while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                    ok = p[0] == '=' && p[1] == '"';
                    p += ok ? 2 : 0;
                    while (ok && *p && *p != '"')
                        p += *p == '\\' && p[1] ? 2 : 1;
                    ok = ok && *p == '"';
                    p += ok ? 1 : 0;
                    if (ok && *p == ',')
                        p++;
                }
                ok = ok && *p == '}';
                p += ok ? 1 : 0;
            }
            ok = ok && *p == ' ';
            if (ok) {
                char *num_end;
                double v = strtod(p + 1, &num_end);
                (void)v;
                ok = num_end != p + 1 && (*num_end == '\0' || *num_end == ' ');
            }
        }
        if (!ok) {
            snprintf(bad, size, "%s", buf);
            return false;
        }
        line += len + (end ? 1 : 0);
    }
    return true;
}

/* Admin URLs ("http://127.0.0.1:<port>") of the live instances of `service`
 * from registry.instances of the database at db_url; returns how many. */
static inline size_t mx_admin_urls(const char *db_url, const char *service, char out[][64],
                                   size_t max)
{
    PGconn *conn = PQconnectdb(db_url);
    size_t n = 0;
    if (PQstatus(conn) == CONNECTION_OK) {
        const char *v[] = {service};
        PGresult *res = PQexecParams(conn,
                                     "SELECT admin FROM registry.instances WHERE service = $1 "
                                     "AND heartbeat_at > now() - interval '5 seconds' "
                                     "ORDER BY instance",
                                     1, NULL, v, NULL, NULL, 0);
        for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res) && n < max;
             i++)
            snprintf(out[n++], 64, "%s", PQgetvalue(res, i, 0));
        PQclear(res);
    }
    PQfinish(conn);
    return n;
}

/* A gateway's registry view of one service, from its /metrics. */
typedef struct {
    const h_system_t *sys; /* whose gateway */
    const char *service;   /* "auth", ... */
    double want;           /* live copies */
    double last;           /* what the gateway saw last (NAN: no answer) */
} mx_view_t;

static inline bool mx_view_is(void *arg)
{
    mx_view_t *v = arg;
    h_resp_t r = h_http(v->sys, "GET", "/metrics", NULL, NULL, NULL);
    char series[96];
    snprintf(series, sizeof series, "pigeon_registry_instances{service=\"%s\"}", v->service);
    v->last = r.status == 200 && r.body ? mx_value(r.body, series) : NAN;
    h_resp_free(&r);
    return v->last == v->want;
}

/* Waits (at most timeout_ms) until sys's gateway sees `want` live copies of
 * service; fails the test otherwise. */
static inline void mx_wait_view(const h_system_t *sys, const char *service, int want,
                                int timeout_ms)
{
    mx_view_t v = {sys, service, want, NAN};
    if (!h_wait_until(mx_view_is, &v, timeout_ms))
        fail_msg("the gateway on port %d saw %g live %s copies after %d ms, not %d",
                 sys->http_port, v.last, service, timeout_ms, want);
}

#endif
