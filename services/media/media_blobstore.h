/* media_blobstore.h - where the bytes of media live, by SHA-256.
 *
 * A small interface so that an object store (S3 and the like) can replace
 * PostgreSQL later without touching the handlers. Keys are 64 lowercase hex
 * digits of the content's SHA-256, so a put of bytes already stored is a
 * no-op and the same file is kept once. Every operation gets the calling
 * worker's PostgreSQL connection: the PostgreSQL store uses it (so a put
 * joins the upload's transaction), other stores ignore it.
 *
 * Statuses are pc_status_t values: PC_OK, PC_NOT_FOUND (no such key), or
 * what the backend failed with (PC_UNAVAILABLE, PC_DEADLINE_EXCEEDED, ...). */
#ifndef PIGEON_MEDIA_BLOBSTORE_H
#define PIGEON_MEDIA_BLOBSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define MEDIA_SHA256_HEX 65 /* 64 digits and NUL */

typedef struct {
    /* Stores len bytes under sha (nothing when the key exists already). */
    int (*put)(void *self, pc_db_t *db, const char *sha, const uint8_t *data, size_t len);
    /* *found and, when found, *size (bytes). */
    int (*exists)(void *self, pc_db_t *db, const char *sha, bool *found, int64_t *size);
    /* Bytes [offset, offset + len) cut to the end: *out is malloc'd (the
     * caller frees; non-NULL even when *out_len is 0). PC_NOT_FOUND when
     * the key is missing. */
    int (*get_range)(void *self, pc_db_t *db, const char *sha, int64_t offset, size_t len,
                     uint8_t **out, size_t *out_len);
} media_blobstore_ops_t;

typedef struct {
    const media_blobstore_ops_t *ops; /* the implementation */
    void *self;                       /* its state (NULL for PostgreSQL) */
} media_blobstore_t;

/* The PostgreSQL store: media.blobs, bytea with STORAGE EXTERNAL, read
 * with substring() in binary result format (media_blobstore_pg.c). */
media_blobstore_t media_blobstore_pg(void);

static inline int media_blob_put(const media_blobstore_t *bs, pc_db_t *db, const char *sha,
                                 const uint8_t *data, size_t len)
{
    return bs->ops->put(bs->self, db, sha, data, len);
}

static inline int media_blob_exists(const media_blobstore_t *bs, pc_db_t *db, const char *sha,
                                    bool *found, int64_t *size)
{
    return bs->ops->exists(bs->self, db, sha, found, size);
}

static inline int media_blob_get_range(const media_blobstore_t *bs, pc_db_t *db, const char *sha,
                                       int64_t offset, size_t len, uint8_t **out, size_t *out_len)
{
    return bs->ops->get_range(bs->self, db, sha, offset, len, out, out_len);
}

#endif
