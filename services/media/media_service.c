/* media_service.c - pigeon-media's settings, state and method table. */
#include "media_service.h"

#include <stdlib.h>

#include "config.h"
#include "media_handlers.h"
#include "media_probe.h"
#include "media_thumb.h"

static const pc_method_t s_methods[] = {
    {"media.upload", media_h_upload, PC_METHOD_WRITE, NULL},
    {"media.get", media_h_get, PC_METHOD_READ, NULL},
    {"media.read", media_h_read, PC_METHOD_READ, NULL},
    {"media.thumbnail", media_h_thumbnail, PC_METHOD_READ, NULL},
    {"media.check", media_h_check, PC_METHOD_READ, NULL},
};

int media_config_load(media_config_t *cfg, char *err, size_t errlen)
{
    long inflight, pixels;
    if (pc_env_int("PIGEON_MEDIA_MAX_INFLIGHT", 4, 1, 1024, &inflight, err, errlen) != 0 ||
        pc_env_int("PIGEON_MEDIA_MAX_PIXELS", (long)MEDIA_DEFAULT_MAX_PIXELS, 1,
                   1000000000L, &pixels, err, errlen) != 0)
        return -1;
    cfg->max_inflight = (int)inflight;
    cfg->max_pixels = (uint64_t)pixels;
    return 0;
}

media_service_t *media_service_new(const media_config_t *cfg, char *err, size_t errlen)
{
    if (media_thumb_init() != 0) {
        snprintf(err, errlen, "could not start libvips");
        return NULL;
    }
    media_service_t *svc = calloc(1, sizeof *svc);
    if (svc == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    svc->cfg = *cfg;
    svc->blobs = media_blobstore_pg();
    atomic_init(&svc->inflight, 0);
    return svc;
}

void media_service_destroy(media_service_t **svc)
{
    if (svc == NULL || *svc == NULL)
        return;
    free(*svc);
    *svc = NULL;
}

void media_service_def(media_service_t *svc, pc_service_def_t *def)
{
    /* Filled at run time: the migration count is a link-time constant. */
    *def = (pc_service_def_t){
        .name = "media",
        .schema = "media",
        .migrations = media_migrations,
        .migration_count = media_migration_count,
        .methods = s_methods,
        .method_count = sizeof s_methods / sizeof s_methods[0],
        .arg = svc,
    };
}
