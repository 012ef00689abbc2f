/* media_service.h - pigeon-media: its settings, state and definition for
 * pc_service_main.
 *
 * Upload, metadata, byte ranges and thumbnails of images and voice clips
 * (proto/media.proto lists the methods; docs/media.md the formats and
 * limits). A leaf: it calls no other service. */
#ifndef PIGEON_MEDIA_SERVICE_H
#define PIGEON_MEDIA_SERVICE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "media_blobstore.h"
#include "migrate.h"
#include "service.h"

/* The files in sql/, embedded at build time (cmake/pigeon.cmake). */
extern const pc_migration_t media_migrations[];
extern const size_t media_migration_count;

/* Bytes per media.read reply: the gateway streams larger ranges in chunks. */
#define MEDIA_READ_CHUNK_MAX (4 * 1024 * 1024)
/* Ids per media.check call. */
#define MEDIA_CHECK_MAX_IDS 100

/* pigeon-media's own settings, read once at start. */
typedef struct {
    int max_inflight;    /* PIGEON_MEDIA_MAX_INFLIGHT: uploads at once per process; default 4 */
    uint64_t max_pixels; /* PIGEON_MEDIA_MAX_PIXELS: larger images are refused; default 50 M */
} media_config_t;

/* The process's state, shared by every worker (pc_service_ctx_t.arg). */
typedef struct {
    media_config_t cfg;      /* settings */
    media_blobstore_t blobs; /* where the bytes live */
    atomic_int inflight;     /* uploads running now */
} media_service_t;

/* Reads the PIGEON_MEDIA_* variables. 0, or -1 with one line in err. */
int media_config_load(media_config_t *cfg, char *err, size_t errlen);

/* Starts libvips and the PostgreSQL blob store. NULL with err on failure. */
media_service_t *media_service_new(const media_config_t *cfg, char *err, size_t errlen);
void media_service_destroy(media_service_t **svc);

/* Fills *def: name "media", schema "media", migrations, the method table. */
void media_service_def(media_service_t *svc, pc_service_def_t *def);

#endif
