/* media_store.h - every SQL statement of pigeon-media about objects and
 * thumbnails (the bytes themselves are behind media_blobstore.h).
 *
 * Statuses are pc_status_t values from db.h's mapping. */
#ifndef PIGEON_MEDIA_STORE_H
#define PIGEON_MEDIA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "media_blobstore.h"

/* One row of media.objects. */
typedef struct {
    int64_t id;                   /* media id */
    int64_t uploader_id;          /* who uploaded it */
    char kind[8];                 /* "image" | "voice" */
    char mime[32];                /* detected type */
    int64_t size;                 /* bytes */
    char sha256[MEDIA_SHA256_HEX]; /* content key */
    int32_t width;                /* 0: null */
    int32_t height;               /* 0: null */
    int64_t duration_ms;          /* -1: null */
    int64_t created_us;           /* microseconds since the epoch */
} media_row_t;

/* A stored thumbnail. */
typedef struct {
    char mime[16];  /* "image/jpeg" | "image/png" */
    int32_t width;  /* pixels */
    int32_t height; /* pixels */
    uint8_t *data;  /* malloc'd */
    size_t len;     /* bytes */
} media_thumb_row_t;

/* Inserts `row` (id and created_us are set from the database). */
int media_store_insert(pc_db_t *db, media_row_t *row);

/* One object by id; *found false when there is none. */
int media_store_get(pc_db_t *db, int64_t id, media_row_t *row, bool *found);

/* Objects among ids (n <= 100; one index probe each); *rows malloc'd,
 * *count found, in no particular order. */
int media_store_get_many(pc_db_t *db, const int64_t *ids, size_t n, media_row_t **rows,
                         size_t *count);

/* The thumbnail made from blob sha, if any. Clear with media_thumb_row_clear. */
int media_store_get_thumb(pc_db_t *db, const char *sha, media_thumb_row_t *thumb, bool *found);

/* Keeps a thumbnail; a concurrent first request that stored one already wins. */
int media_store_put_thumb(pc_db_t *db, const char *sha, const media_thumb_row_t *thumb);

void media_thumb_row_clear(media_thumb_row_t *thumb);

#endif
