/* service.c - a service process from start to SIGTERM.
 *
 * Signals are blocked before any thread exists (threads inherit the mask)
 * and read from a signalfd in the main loop, so no handler ever interrupts a
 * ZeroMQ call in a worker and the drain runs at its own pace. */
#include "service.h"

#include <czmq.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "admin_http.h"
#include "clock.h"
#include "log.h"
#include "pubsub.h"

/* Everything the process runs; torn down in reverse order. */
typedef struct {
    const pc_service_def_t *def;
    pc_config_t cfg; /* loaded once */
    int sigfd;       /* SIGTERM/SIGINT */
    pc_metrics_t *metrics;
    pc_db_t *db; /* main thread: migrations, ticks, sweeps */
    pc_registry_t *registry;
    pc_publisher_t *publisher;
    pc_rpc_server_t *rpc;
    pc_admin_http_t *admin;
    pc_service_ctx_t ctx; /* handed to callbacks */
    char sweep_sql[200];  /* expiry of stored replies */
} s_proc_t;

static void *s_worker_init(void *arg)
{
    const pc_service_ctx_t *ctx = arg;
    return ctx->def->worker_init ? ctx->def->worker_init(ctx) : NULL;
}

static bool s_ready(void *arg)
{
    return pc_rpc_server_db_ok(arg);
}

/* Waits up to ms for a termination signal; true when one came. */
static bool s_signalled(int sigfd, int ms)
{
    struct pollfd p = {.fd = sigfd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return false;
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) != (ssize_t)sizeof si)
        return false;
    pc_info("received signal %u", si.ssi_signo);
    return true;
}

/* Connects and migrates, retrying with backoff. 0 done, 1 signalled. */
static int s_migrate(s_proc_t *p)
{
    int backoff = 100;
    for (;;) {
        pc_status_t st =
            pc_migrate(p->db, p->def->schema, p->def->migrations, p->def->migration_count);
        if (st == PC_OK)
            return 0;
        pc_warn("could not migrate schema \"%s\" (status %d); retrying in %d ms", p->def->schema,
                (int)st, backoff);
        if (s_signalled(p->sigfd, backoff))
            return 1;
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
}

/* "tcp://127.0.0.1:41234" with host replaced: "tcp://<host>:41234". */
static void s_advertise(const char *bound, const char *host, char *out, size_t size)
{
    const char *port = strrchr(bound, ':');
    const char *scheme = strstr(bound, "://");
    if (!port || !scheme || port < scheme + 3) {
        snprintf(out, size, "%s", bound);
        return;
    }
    snprintf(out, size, "%.*s%s%s", (int)(scheme + 3 - bound), bound, host, port);
}

static int s_start(s_proc_t *p)
{
    const pc_config_t *cfg = &p->cfg;
    const pc_service_def_t *def = p->def;
    char ep[160], pub_bound[160] = "", rpc_bound[160] = "";
    snprintf(ep, sizeof ep, cfg->pub_port ? "tcp://%s:%d" : "tcp://%s:*", cfg->bind_addr,
             cfg->pub_port);
    p->publisher = pc_publisher_new(ep, cfg->instance_id, p->metrics, pub_bound, sizeof pub_bound);
    p->registry = pc_registry_new(cfg->db_url, cfg->registry_interval_ms, cfg->registry_ttl_ms);
    if (!p->publisher || !p->registry)
        return -1;
    pc_registry_set_metrics(p->registry, p->metrics); /* before workers make RPC clients */
    p->ctx = (pc_service_ctx_t){def, cfg, p->registry, p->metrics, def->arg, p->publisher};
    snprintf(ep, sizeof ep, cfg->rpc_port ? "tcp://%s:%d" : "tcp://%s:*", cfg->bind_addr,
             cfg->rpc_port);
    pc_rpc_server_opts_t o = {
        .service = def->name,
        .schema = def->schema,
        .methods = def->methods,
        .method_count = def->method_count,
        .workers = cfg->workers,
        .bind_endpoint = ep,
        .db_url = cfg->db_url,
        .db_timeout_ms = cfg->db_timeout_ms,
        .worker_init = s_worker_init,
        .worker_fini = def->worker_fini,
        .service_arg = &p->ctx,
        .publisher = p->publisher,
        .metrics = p->metrics,
    };
    p->rpc = pc_rpc_server_new(&o, rpc_bound, sizeof rpc_bound);
    int admin_port = 0;
    if (p->rpc)
        p->admin = pc_admin_http_new(cfg->bind_addr, cfg->admin_port, p->metrics, s_ready, p->rpc,
                                     &admin_port);
    if (!p->rpc || !p->admin)
        return -1;

    pc_instance_t self;
    memset(&self, 0, sizeof self);
    snprintf(self.service, sizeof self.service, "%s", def->name);
    snprintf(self.instance, sizeof self.instance, "%s", cfg->instance_id);
    s_advertise(rpc_bound, cfg->advertise_host, self.rpc, sizeof self.rpc);
    s_advertise(pub_bound, cfg->advertise_host, self.pub, sizeof self.pub);
    snprintf(self.admin, sizeof self.admin, "http://%s:%d", cfg->advertise_host, admin_port);
    pc_registry_announce(p->registry, &self);
    pc_info("started: rpc %s, pub %s, admin %s, %d workers", self.rpc, self.pub, self.admin,
            cfg->workers);
    return 0;
}

/* Deletes stored replies older than a day, a bounded batch per tick (the
 * created_at index makes an empty sweep one index probe). */
static void s_sweep(s_proc_t *p)
{
    pc_status_t st;
    PGresult *res = pc_db_query(p->db, &st, p->sweep_sql, 0, NULL);
    if (res)
        PQclear(res);
}

static void s_stop(s_proc_t *p)
{
    if (p->registry)
        pc_registry_withdraw(p->registry);
    if (p->rpc && p->registry) {
        /* Callers learn of the withdrawal at their next registry refresh; a
         * request they send before that must still be served, or it would
         * vanish and cost its caller half a deadline before the retry. So
         * keep taking work for one refresh interval (a quarter of the grace
         * at most; a second signal cuts it short), then drain. */
        int leave_ms = p->cfg.registry_interval_ms + 200;
        if (leave_ms > p->cfg.shutdown_grace_ms / 4)
            leave_ms = p->cfg.shutdown_grace_ms / 4;
        if (leave_ms > 0 && p->sigfd >= 0)
            s_signalled(p->sigfd, leave_ms);
    }
    if (p->rpc)
        pc_rpc_server_drain(p->rpc, p->cfg.shutdown_grace_ms);
    pc_admin_http_destroy(&p->admin);
    pc_rpc_server_destroy(&p->rpc);
    pc_registry_destroy(&p->registry);
    pc_publisher_destroy(&p->publisher);
    pc_db_destroy(&p->db);
    pc_metrics_destroy(&p->metrics);
}

int pc_service_main(const pc_service_def_t *def, int argc, char **argv)
{
    /* Freed large buffers (media bodies) go back to the system at once. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    zsys_handler_set(NULL);

    s_proc_t p = {.def = def, .sigfd = -1};
    int rc = 1;
    bool migrate_only = argc > 1 && !strcmp(argv[1], "--migrate");
    char err[256];
    if (argc > 1 && !migrate_only) {
        fprintf(stderr, "usage: %s [--migrate]\n", argv[0]);
        return 2;
    }
    if (pc_config_load(&p.cfg, def->name, err, sizeof err) != 0) {
        pc_log_init(def->name, "", PC_LOG_INFO);
        pc_error("%s", err);
        return 1;
    }
    pc_log_init(def->name, p.cfg.instance_id, (pc_log_level_t)p.cfg.log_level);
    snprintf(p.sweep_sql, sizeof p.sweep_sql,
             "DELETE FROM %s.rpc_replies WHERE ctid = ANY(ARRAY(SELECT ctid FROM %s.rpc_replies "
             "WHERE created_at < now() - interval '24 hours' LIMIT 1000))",
             def->schema, def->schema);
    p.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    p.metrics = pc_metrics_new(def->name);
    p.db = pc_db_new(p.cfg.db_url, def->name, p.cfg.db_timeout_ms);
    if (p.sigfd < 0 || !p.metrics || !p.db) {
        pc_error("could not start: %s", strerror(errno));
        goto done;
    }
    pc_db_set_metrics(p.db, p.metrics);
    if (s_migrate(&p) != 0) {
        rc = 0; /* asked to stop while waiting for PostgreSQL */
        goto done;
    }
    if (migrate_only) {
        pc_info("migrations applied to schema \"%s\"", def->schema);
        rc = 0;
        goto done;
    }
    if (s_start(&p) != 0) {
        pc_error("could not start the service");
        goto done;
    }
    while (!s_signalled(p.sigfd, 1000)) {
        if (def->tick)
            def->tick(&p.ctx, p.db);
        s_sweep(&p);
    }
    pc_info("stopping");
    rc = 0;
done:
    s_stop(&p);
    if (p.sigfd >= 0)
        close(p.sigfd);
    if (rc == 0)
        pc_info("stopped");
    pc_config_clear(&p.cfg);
    return rc;
}
