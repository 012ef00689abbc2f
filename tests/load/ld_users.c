/* ld_users.c - register, befriend and connect simulated users (see ld_users.h). */
#include "ld_users.h"

#include "ld_rest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ld_users_t *us; /* the set being filled */
    const char *prefix;
    bool *have;  /* user i has a token */
    bool *login; /* user i exists: log in instead */
} reg_t;

static bool s_reg_gen(void *ctx, size_t i, ld_req_t *req)
{
    reg_t *r = ctx;
    ld_user_t *u = &r->us->u[i];
    if (r->have[i])
        return false;
    snprintf(u->name, sizeof u->name, "%s%zu", r->prefix, i);
    req->method = "POST";
    snprintf(req->path, sizeof req->path, r->login[i] ? "/v1/auth/login" : "/v1/auth/register");
    json_t *b = json_pack("{s:s, s:s, s:s}", "username", u->name, "password", LD_PASSWORD,
                          r->login[i] ? "device" : "nickname", u->name);
    req->body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    return req->body != NULL;
}

static bool s_reg_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    reg_t *r = ctx;
    if (status == 409 && !r->login[i]) {
        r->login[i] = true; /* taken by an earlier run: log in next time round */
        return false;
    }
    if (status != 200 && status != 201)
        return false;
    json_t *j = json_loadb(body, len, 0, NULL);
    json_int_t id = 0;
    const char *tok = NULL;
    if (j && json_unpack(j, "{s:{s:I}, s:s}", "user", "id", &id, "token", &tok) == 0 &&
        strlen(tok) < sizeof r->us->u[i].token) {
        r->us->u[i].id = id;
        snprintf(r->us->u[i].token, sizeof r->us->u[i].token, "%s", tok);
        r->have[i] = true;
    }
    json_decref(j);
    return false;
}

/* Reads "id name token" lines; true when the first n are there with the
 * expected names. */
static bool s_load(const char *file, const char *prefix, size_t n, ld_users_t *us)
{
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return false;
    size_t k = 0;
    char want[48];
    while (k < n) {
        ld_user_t *u = &us->u[k];
        long long id;
        if (fscanf(f, "%lld %47s %127s", &id, u->name, u->token) != 3)
            break;
        snprintf(want, sizeof want, "%s%zu", prefix, k);
        if (strcmp(want, u->name) != 0)
            break;
        u->id = id;
        k++;
    }
    fclose(f);
    return k == n;
}

static void s_save(const char *file, const ld_users_t *us)
{
    FILE *f = fopen(file, "w");
    if (!f)
        return;
    for (size_t k = 0; k < us->n; k++)
        fprintf(f, "%lld %s %s\n", (long long)us->u[k].id, us->u[k].name, us->u[k].token);
    fclose(f);
}

int ld_users_prepare(ld_loop_t *loop, const char *prefix, size_t n, const char *file, int pool,
                     ld_users_t *out, char *err, size_t errlen)
{
    int rc = -1;
    reg_t r = {.us = out, .prefix = prefix};
    out->n = n;
    out->u = calloc(n ? n : 1, sizeof *out->u);
    r.have = calloc(n ? n : 1, sizeof *r.have);
    r.login = calloc(n ? n : 1, sizeof *r.login);
    if (!out->u || !r.have || !r.login) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (s_load(file, prefix, n, out)) {
        rc = 0;
        goto fail; /* the common exit: nothing else to do */
    }
    for (int round = 0; round < 2; round++) /* the second logs in the names that were taken */
        ld_rest_run(loop, pool, n, s_reg_gen, s_reg_done, &r, 600, NULL);
    size_t got = 0;
    for (size_t k = 0; k < n; k++)
        got += r.have[k];
    if (got < n) {
        snprintf(err, errlen, "could not register or log in %zu of %zu users", n - got, n);
        goto fail;
    }
    if (file)
        s_save(file, out);
    rc = 0;
fail:
    free(r.have);
    free(r.login);
    if (rc != 0)
        ld_users_free(out);
    return rc;
}

void ld_users_free(ld_users_t *us)
{
    free(us->u);
    us->u = NULL;
    us->n = 0;
}

typedef struct {
    const ld_users_t *us;
    int64_t *req_id; /* per pair: the request to accept, 0 when none */
    size_t *failed;  /* pairs (or adds) that failed */
    bool star;       /* one_way from user 0 instead of pairs */
    bool told;       /* the first failure went to stderr */
} contact_t;

/* Counts a failed call; the first one's answer goes to stderr, which is all
 * there is to tell why the run could not start. */
static void s_contact_failed(contact_t *c, const char *what, int status, const char *body,
                             size_t len)
{
    (*c->failed)++;
    if (!c->told) {
        c->told = true;
        fprintf(stderr, "pigeon-load: %s: HTTP %d %.*s\n", what, status,
                (int)(len > 300 ? 300 : len), body ? body : "");
    }
}

static bool s_add_gen(void *ctx, size_t i, ld_req_t *req)
{
    contact_t *c = ctx;
    const ld_user_t *from = c->star ? &c->us->u[0] : &c->us->u[2 * i];
    const ld_user_t *to = c->star ? &c->us->u[i + 1] : &c->us->u[2 * i + 1];
    req->method = "POST";
    snprintf(req->path, sizeof req->path, "/v1/contacts");
    req->token = from->token;
    json_t *b = json_pack("{s:I, s:s}", "user_id", (json_int_t)to->id, "mode",
                          c->star ? "one_way" : "two_way");
    req->body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    return req->body != NULL;
}

static bool s_add_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    contact_t *c = ctx;
    if (status == 202 && !c->star) {
        json_t *j = json_loadb(body, len, 0, NULL);
        json_int_t id = 0;
        if (j && json_unpack(j, "{s:{s:I}}", "request", "id", &id) == 0)
            c->req_id[i] = id;
        else
            s_contact_failed(c, "adding a contact", status, body, len);
        json_decref(j);
    } else if (status != 201 && status != 409) { /* 409: friends already */
        s_contact_failed(c, "adding a contact", status, body, len);
    }
    return false;
}

static bool s_accept_gen(void *ctx, size_t i, ld_req_t *req)
{
    contact_t *c = ctx;
    if (c->req_id[i] == 0)
        return false;
    req->method = "POST";
    snprintf(req->path, sizeof req->path, "/v1/friend-requests/%lld/accept",
             (long long)c->req_id[i]);
    req->token = c->us->u[2 * i + 1].token;
    return true;
}

static bool s_accept_done(void *ctx, size_t i, int status, const char *body, size_t len)
{
    contact_t *c = ctx;
    (void)i;
    if (status != 200)
        s_contact_failed(c, "accepting a friend request", status, body, len);
    return false;
}

size_t ld_users_pair(ld_loop_t *loop, const ld_users_t *us, size_t n, int pool)
{
    size_t failed = 0, pairs = n / 2;
    contact_t c = {.us = us, .failed = &failed};
    c.req_id = calloc(pairs ? pairs : 1, sizeof *c.req_id);
    if (!c.req_id)
        return pairs;
    ld_rest_run(loop, pool, pairs, s_add_gen, s_add_done, &c, 300, NULL);
    ld_rest_run(loop, pool, pairs, s_accept_gen, s_accept_done, &c, 300, NULL);
    free(c.req_id);
    return failed;
}

size_t ld_users_star(ld_loop_t *loop, const ld_users_t *us, size_t m, int pool)
{
    size_t failed = 0;
    contact_t c = {.us = us, .failed = &failed, .star = true};
    if (m < 2)
        return 0;
    ld_rest_run(loop, pool, m - 1, s_add_gen, s_add_done, &c, 300, NULL);
    return failed;
}

static void s_sock_cb(ld_conn_t *c, const char *text, size_t len, void *arg)
{
    ld_socks_t *s = arg;
    size_t k = (size_t)ld_conn_tag(c);
    if (!text) {
        s->n_closed++;
        if (s->ready[k])
            s->n_ready--;
        s->ready[k] = false;
        if (s->cb)
            s->cb(c, NULL, 0, s->arg);
        return;
    }
    if (!s->ready[k]) {
        if (strstr(text, "\"ready\"")) {
            s->ready[k] = true;
            s->n_ready++;
        }
        return;
    }
    if (s->cb)
        s->cb(c, text, len, s->arg);
}

size_t ld_socks_open(ld_loop_t *loop, const ld_users_t *us, size_t n, size_t burst,
                     double timeout_s, ld_ws_fn *cb, void *arg, ld_socks_t *out)
{
    memset(out, 0, sizeof *out);
    out->conn = calloc(n ? n : 1, sizeof *out->conn);
    out->ready = calloc(n ? n : 1, sizeof *out->ready);
    out->n = n;
    out->cb = cb;
    out->arg = arg;
    if (!out->conn || !out->ready || us->n == 0)
        return 0;
    uint64_t deadline = ld_now_us() + (uint64_t)(timeout_s * 1e6);
    size_t started = 0;
    while (out->n_ready + out->n_closed < n && ld_now_us() < deadline) {
        /* keep at most `burst` upgrades waiting for `ready` */
        while (started < n && started - out->n_ready - out->n_closed < burst) {
            ld_conn_t *c = ld_conn_open(loop, (int)started);
            out->conn[started] = c;
            if (!c || ld_ws_upgrade(c, us->u[started % us->n].token, s_sock_cb, out) != 0) {
                out->n_closed++;
                if (c)
                    ld_conn_close(c);
            }
            started++;
        }
        if (ld_loop_poll(loop, 5) < 0)
            break;
    }
    return out->n_ready;
}

json_t *ld_socks_not_ready(const ld_socks_t *s)
{
    json_t *o = json_object();
    for (size_t k = 0; o && k < s->n; k++) {
        if (s->ready[k])
            continue;
        const char *stage = s->conn[k] ? ld_conn_stage(s->conn[k]) : "not started";
        json_int_t n = json_integer_value(json_object_get(o, stage));
        json_object_set_new(o, stage, json_integer(n + 1));
    }
    return o;
}

void ld_socks_close(ld_socks_t *s)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->conn && s->conn[k])
            ld_conn_close(s->conn[k]);
    free(s->conn);
    free(s->ready);
    memset(s, 0, sizeof *s);
}
