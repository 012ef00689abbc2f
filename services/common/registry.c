/* registry.c - instance discovery through registry.instances in PostgreSQL.
 *
 * One background thread owns a DB connection. Each tick it upserts this
 * process's rows (heartbeat_at = now()), reads every live row, and now and
 * then deletes rows that have been silent for 10 TTLs. Readers copy from a
 * snapshot under the mutex. When PostgreSQL is unreachable the last snapshot
 * stays: dropping every instance because the registry is down would turn a
 * database blip into a full outage of RPC. */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "migrate.h"

#define S_MAX_SELF 4 /* registrations one process may hold */
#define S_WITHDRAW_WAIT_MS 2000
#define S_HOUSEKEEP_EVERY 30 /* ticks between sweeps of long-dead rows */

static const pc_migration_t s_migrations[] = {
    {"001_instances.sql", "CREATE TABLE IF NOT EXISTS registry.instances (\n"
                          "    service      text NOT NULL,\n"
                          "    instance     text NOT NULL,\n"
                          "    rpc          text NOT NULL DEFAULT '',\n"
                          "    pub          text NOT NULL DEFAULT '',\n"
                          "    admin        text NOT NULL DEFAULT '',\n"
                          "    heartbeat_at timestamptz NOT NULL DEFAULT now(),\n"
                          "    PRIMARY KEY (service, instance)\n"
                          ");\n"},
};

struct pc_registry {
    pthread_mutex_t mu; /* guards everything below the thread fields */
    pthread_cond_t cv;  /* wakes the thread (stop, announce, withdraw) and withdraw's wait */
    pthread_t thread;   /* the DB thread; only when db_url was given */
    bool has_thread;
    char *db_url;                   /* NULL: static only */
    int interval_ms;                /* between ticks */
    int ttl_ms;                     /* a row older than this is not live */
    bool stop;                      /* destroy asked the thread to end */
    bool kick;                      /* run a tick now */
    pc_instance_t self[S_MAX_SELF]; /* what this process announced */
    size_t nself;
    pc_instance_t gone[S_MAX_SELF]; /* withdrawn, not yet deleted from the table */
    size_t ngone;
    uint64_t withdraw_seq;  /* bumped per withdraw ... */
    uint64_t withdraw_done; /* ... and acknowledged by the thread */
    pc_instance_t *live;    /* last good snapshot, sorted by (service, instance) */
    size_t nlive;
    uint64_t version; /* bumped whenever `live` changes */
    bool ready;       /* first refresh done */
    int64_t last_ok_ms;      /* pc_mono_ms() of the last successful refresh */
    int64_t recovered_at_ms; /* first success after a gap longer than the TTL */
    pc_metrics_t *metrics;   /* borrowed; may be NULL */
    bool gauged;             /* the registry thread has reported the live set once */
};

/* --- static override ---------------------------------------------------- */

static void s_env_name(char *out, size_t size, const char *service, const char *suffix)
{
    size_t n = (size_t)snprintf(out, size, "PIGEON_");
    for (const char *p = service; *p && n + 1 < size; p++)
        out[n++] = (char)toupper((unsigned char)*p);
    out[n < size ? n : size - 1] = '\0';
    strncat(out, suffix, size - strlen(out) - 1);
}

/* Copies the i-th comma-separated item of list into out; false if none. */
static bool s_nth_item(const char *list, size_t i, char *out, size_t size)
{
    const char *p = list;
    for (size_t k = 0; p && k < i; k++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        return false;
    while (*p == ' ')
        p++;
    size_t len = strcspn(p, ", ");
    if (len == 0)
        return false;
    snprintf(out, size, "%.*s", (int)len, p);
    return true;
}

/* Fills out from PIGEON_<SVC>_ENDPOINTS / _PUB_ENDPOINTS; -1 when neither is set. */
static long s_static_lookup(const char *service, pc_instance_t *out, size_t max)
{
    char rpc_var[96], pub_var[96];
    s_env_name(rpc_var, sizeof rpc_var, service, "_ENDPOINTS");
    s_env_name(pub_var, sizeof pub_var, service, "_PUB_ENDPOINTS");
    const char *rpc = getenv(rpc_var);
    const char *pub = getenv(pub_var);
    if (!rpc && !pub)
        return -1;
    size_t n = 0;
    for (size_t i = 0;; i++) {
        pc_instance_t inst;
        memset(&inst, 0, sizeof inst);
        bool has_rpc = rpc && s_nth_item(rpc, i, inst.rpc, sizeof inst.rpc);
        bool has_pub = pub && s_nth_item(pub, i, inst.pub, sizeof inst.pub);
        if (!has_rpc && !has_pub)
            break;
        snprintf(inst.service, sizeof inst.service, "%s", service);
        snprintf(inst.instance, sizeof inst.instance, "static-%zu", i);
        if (n < max)
            out[n] = inst;
        n++;
    }
    return (long)n;
}

/* --- the DB thread ------------------------------------------------------ */

static int s_cmp(const void *a, const void *b)
{
    const pc_instance_t *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    return c ? c : strcmp(x->instance, y->instance);
}

static void s_exec(pc_db_t *db, const char *sql, int n, const char *const *values)
{
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, n, values);
    if (res)
        PQclear(res);
}

static void s_delete_rows(pc_db_t *db, const pc_instance_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v[] = {rows[i].service, rows[i].instance};
        s_exec(db, "DELETE FROM registry.instances WHERE service = $1 AND instance = $2", 2, v);
    }
}

static void s_heartbeat(pc_db_t *db, const pc_instance_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v[] = {rows[i].service, rows[i].instance, rows[i].rpc, rows[i].pub,
                           rows[i].admin};
        s_exec(db,
               "INSERT INTO registry.instances (service, instance, rpc, pub, admin, heartbeat_at) "
               "VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (service, instance) DO UPDATE "
               "SET rpc = EXCLUDED.rpc, pub = EXCLUDED.pub, admin = EXCLUDED.admin, "
               "heartbeat_at = now()",
               5, v);
    }
}

/* Appends the instances of old that rows lacks; returns the new count.
 * rows has room for n + nold. O(n*m) over a few dozen instances. */
static size_t s_keep_old(pc_instance_t *rows, size_t n, const pc_instance_t *old, size_t nold)
{
    size_t out = n;
    for (size_t i = 0; i < nold; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = !strcmp(rows[j].service, old[i].service) &&
                    !strcmp(rows[j].instance, old[i].instance);
        if (!found)
            rows[out++] = old[i];
    }
    return out;
}

/* pigeon_registry_instances{service} for every service in live or prev
 * (a service that left reports 0). Both sorted by service. Only the
 * registry thread calls this, and only it frees `live`. */
static void s_gauge_live(pc_metrics_t *m, const pc_instance_t *live, size_t n,
                         const pc_instance_t *prev, size_t nprev)
{
    for (int pass = 0; pass < 2; pass++) {
        const pc_instance_t *set = pass ? prev : live;
        size_t count = pass ? nprev : n;
        for (size_t i = 0; i < count; i++) {
            if (i > 0 && !strcmp(set[i].service, set[i - 1].service))
                continue;
            size_t k = 0;
            for (size_t j = 0; j < n; j++)
                k += !strcmp(live[j].service, set[i].service);
            char labels[64];
            snprintf(labels, sizeof labels, "service=\"%s\"", set[i].service);
            pc_metrics_gauge(m, "pigeon_registry_instances",
                             "Live instances per service in this process's registry view", labels,
                             (double)k);
        }
    }
}

/* Reads the live rows and swaps them in if they differ. */
static void s_refresh(pc_registry_t *reg, pc_db_t *db)
{
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%d", reg->ttl_ms);
    const char *v[] = {ttl};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT service, instance, rpc, pub, admin FROM registry.instances "
                                "WHERE heartbeat_at > now() - $1::int * interval '1 millisecond' "
                                "ORDER BY service, instance",
                                1, v);
    if (!res) {
        pc_metrics_t *m = pc_registry_metrics(reg);
        if (m)
            pc_metrics_count(m, "pigeon_registry_refresh_failures_total",
                             "Registry refreshes that could not read PostgreSQL (snapshot kept)",
                             NULL, 1);
        return; /* keep the last snapshot */
    }
    size_t n = (size_t)PQntuples(res);
    pthread_mutex_lock(&reg->mu);
    size_t nold = reg->nlive;
    int64_t now = pc_mono_ms();
    if (reg->ready && now - reg->last_ok_ms > reg->ttl_ms)
        reg->recovered_at_ms = now;
    bool grace = reg->recovered_at_ms && now - reg->recovered_at_ms < reg->ttl_ms;
    pthread_mutex_unlock(&reg->mu);
    pc_instance_t *rows = calloc(n + nold + 1, sizeof *rows);
    if (!rows) {
        PQclear(res);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(rows[i].service, sizeof rows[i].service, "%s", PQgetvalue(res, (int)i, 0));
        snprintf(rows[i].instance, sizeof rows[i].instance, "%s", PQgetvalue(res, (int)i, 1));
        snprintf(rows[i].rpc, sizeof rows[i].rpc, "%s", PQgetvalue(res, (int)i, 2));
        snprintf(rows[i].pub, sizeof rows[i].pub, "%s", PQgetvalue(res, (int)i, 3));
        snprintf(rows[i].admin, sizeof rows[i].admin, "%s", PQgetvalue(res, (int)i, 4));
    }
    PQclear(res);
    pthread_mutex_lock(&reg->mu);
    /* Only this thread writes `live`; the lock is for the readers. */
    if (grace)
        n = s_keep_old(rows, n, reg->live, reg->nlive < nold ? reg->nlive : nold);
    pthread_mutex_unlock(&reg->mu);
    /* Collation of ORDER BY may differ from strcmp; lookups expect strcmp order. */
    qsort(rows, n, sizeof *rows, s_cmp);

    pthread_mutex_lock(&reg->mu);
    bool same = n == reg->nlive && (n == 0 || memcmp(rows, reg->live, n * sizeof *rows) == 0);
    pc_instance_t *old = NULL;
    size_t nprev = reg->nlive;
    if (!same) {
        old = reg->live;
        reg->live = rows;
        reg->nlive = n;
        reg->version++;
        rows = NULL;
    }
    reg->ready = true;
    reg->last_ok_ms = pc_mono_ms();
    pthread_mutex_unlock(&reg->mu);
    pc_metrics_t *m = pc_registry_metrics(reg);
    if (m && (!same || !reg->gauged)) {
        s_gauge_live(m, reg->live, reg->nlive, old, old ? nprev : 0);
        reg->gauged = true;
    }
    free(old);
    free(rows);
}

static void s_wait(pc_registry_t *reg, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&reg->mu);
    while (!reg->stop && !reg->kick) {
        if (pthread_cond_timedwait(&reg->cv, &reg->mu, &ts) == ETIMEDOUT)
            break;
    }
    reg->kick = false;
    pthread_mutex_unlock(&reg->mu);
}

static void *s_thread_main(void *arg)
{
    pc_registry_t *reg = arg;
    pc_db_t *db = pc_db_new(reg->db_url, "pigeon-registry", 5000);
    bool migrated = false;
    unsigned tick = 0;
    int backoff_ms = 100;
    for (;;) {
        pthread_mutex_lock(&reg->mu);
        bool stop = reg->stop;
        pc_instance_t self[S_MAX_SELF], gone[S_MAX_SELF];
        size_t nself = reg->nself, ngone = reg->ngone;
        memcpy(self, reg->self, sizeof self);
        memcpy(gone, reg->gone, sizeof gone);
        uint64_t withdraw_seq = reg->withdraw_seq;
        pthread_mutex_unlock(&reg->mu);
        if (stop)
            break;

        pc_db_set_metrics(db, pc_registry_metrics(reg));
        if (!migrated && db) {
            pc_status_t st = pc_migrate(db, "registry", s_migrations, 1);
            migrated = st == PC_OK;
            if (!migrated)
                pc_warn("could not prepare the registry schema (status %d); retrying", (int)st);
        }
        if (migrated) {
            s_delete_rows(db, gone, ngone);
            s_heartbeat(db, self, nself);
            if (tick++ % S_HOUSEKEEP_EVERY == 0) {
                char dead[32];
                snprintf(dead, sizeof dead, "%lld", (long long)reg->ttl_ms * 10);
                const char *v[] = {dead};
                s_exec(db,
                       "DELETE FROM registry.instances "
                       "WHERE heartbeat_at < now() - $1::bigint * interval '1 millisecond'",
                       1, v);
            }
            s_refresh(reg, db);
            pthread_mutex_lock(&reg->mu);
            /* Rows withdrawn meanwhile stay in `gone` for the next tick. */
            if (reg->withdraw_seq == withdraw_seq) {
                reg->ngone = 0;
                reg->withdraw_done = withdraw_seq;
            }
            pthread_cond_broadcast(&reg->cv);
            pthread_mutex_unlock(&reg->mu);
        }
        backoff_ms = migrated ? reg->interval_ms : (backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2);
        s_wait(reg, migrated ? reg->interval_ms : backoff_ms);
    }
    /* Deregister on the way out (a no-op after withdraw). */
    pthread_mutex_lock(&reg->mu);
    pc_instance_t rows[2 * S_MAX_SELF];
    size_t n = 0;
    for (size_t i = 0; i < reg->nself; i++)
        rows[n++] = reg->self[i];
    for (size_t i = 0; i < reg->ngone; i++)
        rows[n++] = reg->gone[i];
    pthread_mutex_unlock(&reg->mu);
    if (migrated)
        s_delete_rows(db, rows, n);
    pc_db_destroy(&db);
    return NULL;
}

/* --- API ---------------------------------------------------------------- */

pc_registry_t *pc_registry_new(const char *db_url, int interval_ms, int ttl_ms)
{
    pc_registry_t *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    pthread_mutex_init(&reg->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&reg->cv, &ca);
    pthread_condattr_destroy(&ca);
    reg->interval_ms = interval_ms > 0 ? interval_ms : 1000;
    reg->ttl_ms = ttl_ms > 0 ? ttl_ms : 5 * reg->interval_ms;
    if (!db_url || !*db_url) {
        reg->ready = true;
        return reg;
    }
    reg->db_url = strdup(db_url);
    if (!reg->db_url || pthread_create(&reg->thread, NULL, s_thread_main, reg) != 0) {
        pc_registry_destroy(&reg);
        return NULL;
    }
    reg->has_thread = true;
    return reg;
}

void pc_registry_destroy(pc_registry_t **regp)
{
    if (!regp || !*regp)
        return;
    pc_registry_t *reg = *regp;
    if (reg->has_thread) {
        pthread_mutex_lock(&reg->mu);
        reg->stop = true;
        pthread_cond_broadcast(&reg->cv);
        pthread_mutex_unlock(&reg->mu);
        pthread_join(reg->thread, NULL);
    }
    pthread_cond_destroy(&reg->cv);
    pthread_mutex_destroy(&reg->mu);
    free(reg->live);
    free(reg->db_url);
    free(reg);
    *regp = NULL;
}

void pc_registry_announce(pc_registry_t *reg, const pc_instance_t *self)
{
    if (!reg || !self)
        return;
    pthread_mutex_lock(&reg->mu);
    size_t i = 0;
    while (i < reg->nself && (strcmp(reg->self[i].service, self->service) ||
                              strcmp(reg->self[i].instance, self->instance)))
        i++;
    if (i < S_MAX_SELF) {
        reg->self[i] = *self;
        if (i == reg->nself)
            reg->nself++;
    }
    reg->kick = true;
    pthread_cond_broadcast(&reg->cv);
    pthread_mutex_unlock(&reg->mu);
}

void pc_registry_withdraw(pc_registry_t *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&reg->mu);
    for (size_t i = 0; i < reg->nself && reg->ngone < S_MAX_SELF; i++)
        reg->gone[reg->ngone++] = reg->self[i];
    reg->nself = 0;
    if (!reg->has_thread) {
        reg->ngone = 0;
        pthread_mutex_unlock(&reg->mu);
        return;
    }
    uint64_t seq = ++reg->withdraw_seq;
    reg->kick = true;
    pthread_cond_broadcast(&reg->cv);
    /* Bounded: with PostgreSQL down the row simply expires after the TTL. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += S_WITHDRAW_WAIT_MS / 1000;
    while (reg->withdraw_done < seq && !reg->stop) {
        if (pthread_cond_timedwait(&reg->cv, &reg->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&reg->mu);
}

size_t pc_registry_lookup(pc_registry_t *reg, const char *service, pc_instance_t *out, size_t max)
{
    if (!reg || !service)
        return 0;
    long st = s_static_lookup(service, out, max);
    if (st >= 0)
        return (size_t)st;
    size_t n = 0;
    pthread_mutex_lock(&reg->mu);
    for (size_t i = 0; i < reg->nlive; i++) {
        if (strcmp(reg->live[i].service, service) != 0)
            continue;
        if (n < max)
            out[n] = reg->live[i];
        n++;
    }
    pthread_mutex_unlock(&reg->mu);
    return n;
}

uint64_t pc_registry_version(pc_registry_t *reg)
{
    if (!reg)
        return 0;
    pthread_mutex_lock(&reg->mu);
    uint64_t v = reg->version;
    pthread_mutex_unlock(&reg->mu);
    return v;
}

int pc_registry_fresh(pc_registry_t *reg)
{
    if (!reg)
        return 0;
    pthread_mutex_lock(&reg->mu);
    int fresh = !reg->has_thread || (reg->ready && pc_mono_ms() - reg->last_ok_ms < reg->ttl_ms);
    pthread_mutex_unlock(&reg->mu);
    return fresh;
}

void pc_registry_set_metrics(pc_registry_t *reg, pc_metrics_t *m)
{
    if (!reg)
        return;
    pthread_mutex_lock(&reg->mu);
    reg->metrics = m;
    pthread_mutex_unlock(&reg->mu);
}

pc_metrics_t *pc_registry_metrics(pc_registry_t *reg)
{
    if (!reg)
        return NULL;
    pthread_mutex_lock(&reg->mu);
    pc_metrics_t *m = reg->metrics;
    pthread_mutex_unlock(&reg->mu);
    return m;
}

int pc_registry_ready(pc_registry_t *reg)
{
    if (!reg)
        return 0;
    pthread_mutex_lock(&reg->mu);
    int r = reg->ready;
    pthread_mutex_unlock(&reg->mu);
    return r;
}
