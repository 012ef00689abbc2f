/* auth_service.c - pigeon-auth: its settings, its state and its service definition. */
#include "auth_service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth_search.h"
#include "auth_store.h"
#include "clock.h"
#include "config.h"
#include "log.h"

#define S_SWEEP_INTERVAL_MS 60000 /* housekeeping once a minute */
#define S_SWEEP_BATCH 1000        /* expired sessions deleted per sweep */
#define S_BACKFILL_PER_TICK 5000  /* users given a nickname key per tick */

int auth_config_load(auth_config_t *cfg, char *err, size_t errlen)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long v[8];
    if (cores < 1)
        cores = 1;
    if (pc_env_int("PIGEON_TOKEN_TTL_DAYS", 30, 1, 3650, &v[0], err, errlen) != 0 ||
        pc_env_int("PIGEON_HASH_WORKERS", cores, 1, 1024, &v[1], err, errlen) != 0 ||
        pc_env_int("PIGEON_HASH_QUEUE", 64, 0, 100000, &v[2], err, errlen) != 0 ||
        pc_env_int("PIGEON_ARGON2_OPSLIMIT", 2, 1, 64, &v[3], err, errlen) != 0 ||
        pc_env_int("PIGEON_ARGON2_MEMLIMIT_MB", 46, 1, 4096, &v[4], err, errlen) != 0 ||
        pc_env_int("PIGEON_RATE_REGISTER_PER_IP", 30, 0, 1000000, &v[5], err, errlen) != 0 ||
        pc_env_int("PIGEON_RATE_LOGIN_PER_IP", 120, 0, 1000000, &v[6], err, errlen) != 0 ||
        pc_env_int("PIGEON_RATE_LOGIN_PER_USER", 10, 0, 1000000, &v[7], err, errlen) != 0)
        return -1;
    cfg->token_ttl_days = (int)v[0];
    cfg->hash_workers = (int)v[1];
    cfg->hash_queue = (int)v[2];
    cfg->argon2_opslimit = (unsigned long long)v[3];
    cfg->argon2_memlimit = (size_t)v[4] * 1024 * 1024;
    cfg->rate_register_per_ip = (int)v[5];
    cfg->rate_login_per_ip = (int)v[6];
    cfg->rate_login_per_user = (int)v[7];
    return 0;
}

auth_service_t *auth_service_new(const auth_config_t *cfg, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "could not initialize libsodium");
        return NULL;
    }
    auth_service_t *svc = calloc(1, sizeof *svc);
    if (svc == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    svc->config = *cfg;
    auth_password_opts_t opts = {
        .workers = cfg->hash_workers,
        .queue = cfg->hash_queue,
        .opslimit = cfg->argon2_opslimit,
        .memlimit = cfg->argon2_memlimit,
    };
    svc->password = auth_password_new(&opts);
    if (svc->password == NULL) {
        snprintf(err, errlen,
                 "could not compute an Argon2id hash with opslimit %llu and %zu MiB of memory",
                 cfg->argon2_opslimit, cfg->argon2_memlimit / (1024 * 1024));
        auth_service_destroy(&svc);
        return NULL;
    }
    return svc;
}

void auth_service_destroy(auth_service_t **svc_p)
{
    if (svc_p == NULL || *svc_p == NULL)
        return;
    auth_password_destroy(&(*svc_p)->password);
    free(*svc_p);
    *svc_p = NULL;
}

/* Once a second on the main thread: once a minute, drop ended rate-limit
 * windows and long-expired sessions; always, report the hash queue. Several
 * replicas sweeping at once only delete the same rows. */
static void s_tick(const pc_service_ctx_t *ctx, pc_db_t *db)
{
    auth_service_t *svc = ctx->arg;
    int64_t now = pc_mono_ms();
    if (ctx->metrics != NULL)
        pc_metrics_gauge(ctx->metrics, "pigeon_auth_hash_queued",
                         "Calls waiting for an Argon2 hashing slot", NULL,
                         auth_password_queued(svc->password));
    if (!svc->nicknames_keyed) {
        /* Users registered before nickname keys existed: a bounded share
         * per tick (about 0.1 ms each); search finds them meanwhile. */
        long n = auth_nickname_backfill(db, S_BACKFILL_PER_TICK, &svc->nicknames_keyed);
        if (n < 0)
            pc_warn("could not backfill nickname search keys; retrying in a second");
        else if (n > 0)
            pc_info("backfilled the nickname search keys of %ld users%s", n,
                    svc->nicknames_keyed ? ", all done" : "");
    }
    if (now < svc->next_sweep_ms)
        return;
    svc->next_sweep_ms = now + S_SWEEP_INTERVAL_MS;
    long rate_rows = 0, session_rows = 0;
    pc_status_t status = auth_store_sweep(db, S_SWEEP_BATCH, &rate_rows, &session_rows);
    if (status != PC_OK)
        pc_warn("could not sweep expired sessions and rate limits: status %d", (int)status);
    else if (rate_rows > 0 || session_rows > 0)
        pc_debug("swept %ld rate-limit windows and %ld expired sessions", rate_rows, session_rows);
}

static void *s_worker_init(const pc_service_ctx_t *ctx)
{
    auth_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->media = pc_rpc_client_new(ctx->registry, "media", ctx->config->rpc_deadline_ms);
    if (w->media == NULL) {
        pc_error("could not create the pigeon-media client");
        free(w);
        return NULL;
    }
    return w;
}

static void s_worker_fini(void *state)
{
    auth_worker_t *w = state;
    if (w == NULL)
        return;
    pc_rpc_client_destroy(&w->media);
    free(w);
}

void auth_service_def(auth_service_t *svc, pc_service_def_t *def)
{
    *def = (pc_service_def_t){
        .name = "auth",
        .schema = "auth",
        .migrations = auth_migrations,
        .migration_count = auth_migration_count,
        .methods = auth_methods,
        .method_count = auth_method_count,
        .worker_init = s_worker_init,
        .worker_fini = s_worker_fini,
        .tick = s_tick,
        .arg = svc,
    };
}
