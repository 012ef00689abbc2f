/* ld_idle.c - the `connections`, `login` and `prepare` scenarios, and the
 * helpers every scenario reports with (histogram JSON, /metrics sums). */
#include "ld_rest.h"
#include "ld_scen.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *ld_hist_json(const ld_hist_t *h)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)h->count, "p50",
                     (double)ld_hist_percentile(h, 50) / 1e3, "p95",
                     (double)ld_hist_percentile(h, 95) / 1e3, "p99",
                     (double)ld_hist_percentile(h, 99) / 1e3, "max", (double)h->max / 1e3, "mean",
                     ld_hist_mean(h) / 1e3);
}

/* Sums every sample line "name{...} v" or "name v" of a Prometheus text. */
static double s_sum_text(const char *text, const char *name, bool *found)
{
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || (p[nl] != '{' && p[nl] != ' '))
            continue;
        const char *v = p[nl] == '{' ? strchr(p, '}') : p + nl;
        if (!v)
            continue;
        sum += strtod(v + 1, NULL);
        *found = true;
    }
    return sum;
}

double ld_metric_sum(const ld_opts_t *o, ld_loop_t *loop, const char *name)
{
    bool found = false;
    double sum = 0;
    char *body = NULL;
    /* an endpoint that answers without the counter has dropped nothing yet */
    if (ld_rest_call(loop, "GET", "/metrics", NULL, NULL, &body, 10) == 200 && body) {
        found = true;
        sum += s_sum_text(body, name, &found);
    }
    free(body);
    for (int k = 0; k < o->nmetrics; k++) {
        char host[64], err[128];
        int port = 0;
        /* http://127.0.0.1:PORT[/metrics] */
        if (sscanf(o->metrics[k], "http://%63[^:]:%d", host, &port) != 2)
            continue;
        ld_loop_t *l2 = ld_loop_new(host, port, err, sizeof err);
        body = NULL;
        if (l2 && ld_rest_call(l2, "GET", "/metrics", NULL, NULL, &body, 10) == 200 && body) {
            found = true;
            sum += s_sum_text(body, name, &found);
        }
        free(body);
        ld_loop_destroy(&l2);
    }
    return found ? sum : -1;
}

/* ---------------------------------------------------------------- connections */

/* VmRSS of a process in KiB; -1 when it cannot be read. */
static long s_rss_kib(int pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* The gateway's pid: the option, else the only `pigeon-gateway` process. */
static int s_gateway_pid(const ld_opts_t *o)
{
    if (o->gateway_pid > 0)
        return o->gateway_pid;
    FILE *p = popen("pgrep -f 'bin/pigeon-gateway' 2>/dev/null", "r");
    int pid = 0, found = 0, v;
    while (p && fscanf(p, "%d", &v) == 1) {
        pid = v;
        found++;
    }
    if (p)
        pclose(p);
    return found == 1 ? pid : 0;
}

int ld_scen_connections(const ld_opts_t *o, ld_loop_t *loop, json_t *res)
{
    ld_users_t us = {0};
    ld_socks_t socks = {0};
    char err[256];
    int rc = -1, pid = s_gateway_pid(o);
    json_object_set_new(res, "connections", json_integer((json_int_t)o->connections));
    json_object_set_new(res, "users", json_integer((json_int_t)o->users));
    if (pid <= 0)
        json_object_set_new(res, "warning",
                            json_string("gateway pid unknown (use --gateway-pid): no RSS"));
    if (ld_users_prepare(loop, o->prefix, o->users, o->users_file, o->pool, &us, err, sizeof err) !=
        0) {
        json_object_set_new(res, "error", json_string(err));
        goto fail;
    }
    long rss0 = pid > 0 ? s_rss_kib(pid) : -1;
    uint64_t t0 = ld_now_us();
    size_t ready = ld_socks_open(loop, &us, o->connections, 512, 120, NULL, NULL, &socks);
    double open_s = (double)(ld_now_us() - t0) / 1e6;
    long rss1 = pid > 0 ? s_rss_kib(pid) : -1;
    if (ready < o->connections) /* where they stopped, before the hold changes it */
        json_object_set_new(res, "not_ready", ld_socks_not_ready(&socks));
    uint64_t end = ld_now_us() + (uint64_t)(o->duration * 1e6);
    while (ld_now_us() < end) /* hold them, answering the server's pings */
        ld_loop_poll(loop, 100);
    long rss2 = pid > 0 ? s_rss_kib(pid) : -1;
    json_object_set_new(res, "ready", json_integer((json_int_t)ready));
    json_object_set_new(res, "open_s", json_real(open_s));
    json_object_set_new(res, "opened_per_s", json_real(open_s > 0 ? (double)ready / open_s : 0));
    json_object_set_new(res, "held_s", json_real(o->duration));
    json_object_set_new(res, "still_open", json_integer((json_int_t)socks.n_ready));
    json_object_set_new(res, "gateway_rss_before_kib", json_integer(rss0));
    json_object_set_new(res, "gateway_rss_after_kib", json_integer(rss2));
    if (rss0 >= 0 && rss1 >= 0 && ready > 0) {
        json_object_set_new(res, "kib_per_conn", json_real((double)(rss1 - rss0) / (double)ready));
        json_object_set_new(res, "kib_per_conn_after_hold",
                            json_real((double)(rss2 - rss0) / (double)ready));
    }
    rc = ready == o->connections ? 0 : -1;
    if (rc != 0)
        json_object_set_new(res, "error",
                            json_sprintf("%zu of %zu sockets became ready", ready, o->connections));
fail:
    ld_socks_close(&socks);
    ld_users_free(&us);
    return rc;
}

/* ---------------------------------------------------------------- login */

typedef struct {
    const ld_users_t *us; /* who logs in, round robin */
    uint64_t end;         /* no new login after this */
    size_t unauth;        /* 401 answers */
    size_t limited;       /* 429 answers */
} login_t;

static bool s_login_gen(void *ctx, size_t i, ld_req_t *req)
{
    login_t *l = ctx;
    if (ld_now_us() >= l->end)
        return false;
    const ld_user_t *u = &l->us->u[i % l->us->n];
    req->method = "POST";
    snprintf(req->path, sizeof req->path, "/v1/auth/login");
    json_t *b = json_pack("{s:s, s:s, s:s}", "username", u->name, "password", LD_PASSWORD, "device",
                          "pigeon-load");
    req->body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    return req->body != NULL;
}

static bool s_login_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    login_t *l = ctx;
    (void)i, (void)body, (void)len;
    l->unauth += status == 401;
    l->limited += status == 429;
    return false;
}

int ld_scen_login(const ld_opts_t *o, ld_loop_t *loop, json_t *res)
{
    ld_users_t us = {0};
    ld_hist_t lat;
    char err[256];
    int conc = o->connections ? (int)o->connections : 8;
    ld_hist_init(&lat);
    if (ld_users_prepare(loop, o->prefix, o->users, o->users_file, o->pool, &us, err, sizeof err) !=
        0) {
        json_object_set_new(res, "error", json_string(err));
        return -1;
    }
    login_t l = {.us = &us, .end = ld_now_us() + (uint64_t)(o->duration * 1e6)};
    ld_rest_result_t r =
        ld_rest_run(loop, conc, 10000000, s_login_gen, s_login_done, &l, o->duration + 30, &lat);
    json_object_set_new(res, "users", json_integer((json_int_t)us.n));
    json_object_set_new(res, "concurrency", json_integer(conc));
    json_object_set_new(res, "logins", json_integer((json_int_t)r.ok));
    json_object_set_new(res, "failed", json_integer((json_int_t)r.failed));
    json_object_set_new(res, "rate_limited", json_integer((json_int_t)l.limited));
    json_object_set_new(res, "seconds", json_real(r.seconds));
    json_object_set_new(res, "logins_per_s",
                        json_real(r.seconds > 0 ? (double)r.ok / r.seconds : 0));
    json_object_set_new(res, "latency_ms", ld_hist_json(&lat));
    ld_users_free(&us);
    return r.failed == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- prepare */

int ld_scen_prepare(const ld_opts_t *o, ld_loop_t *loop, json_t *res)
{
    ld_users_t us = {0};
    char err[256];
    uint64_t t0 = ld_now_us();
    if (ld_users_prepare(loop, o->prefix, o->users, o->users_file, o->pool, &us, err, sizeof err) !=
        0) {
        json_object_set_new(res, "error", json_string(err));
        return -1;
    }
    double secs = (double)(ld_now_us() - t0) / 1e6;
    size_t bad = ld_users_pair(loop, &us, us.n & ~(size_t)1, o->pool);
    json_object_set_new(res, "users", json_integer((json_int_t)us.n));
    json_object_set_new(res, "prepare_s", json_real(secs));
    json_object_set_new(res, "pairs_failed", json_integer((json_int_t)bad));
    ld_users_free(&us);
    return bad == 0 ? 0 : -1;
}
