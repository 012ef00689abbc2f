/* media_blobstore_pg.c - media bytes in PostgreSQL (see media_blobstore.h).
 *
 * Bytes go in as a binary parameter and come out in binary result format,
 * so nothing is hex-encoded on the way (text bytea would double the size).
 * A range is substring(data FROM offset + 1 FOR len): with STORAGE EXTERNAL
 * PostgreSQL fetches only the TOAST chunks (about 2 KB each) it covers, so a
 * 64 KiB range of a 10 MiB file reads about 64 KiB. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_blobstore.h"

static int s_put(void *self, pc_db_t *db, const char *sha, const uint8_t *data, size_t len)
{
    (void)self;
    char size[24];
    snprintf(size, sizeof size, "%zu", len);
    const char *values[] = {sha, size, (const char *)data};
    const int lengths[] = {0, 0, (int)len};
    const int formats[] = {0, 0, 1};
    pc_status_t st;
    PGresult *res = pc_db_query_bin(db, &st,
                                    "INSERT INTO media.blobs (sha256, size, data) "
                                    "VALUES ($1, $2::int8, $3) ON CONFLICT (sha256) DO NOTHING",
                                    3, values, lengths, formats, 0);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

static int s_exists(void *self, pc_db_t *db, const char *sha, bool *found, int64_t *size)
{
    (void)self;
    *found = false;
    const char *values[] = {sha};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, "SELECT size FROM media.blobs WHERE sha256 = $1", 1,
                                values);
    if (res == NULL)
        return st;
    if (PQntuples(res) == 1) {
        *found = true;
        *size = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return PC_OK;
}

static int s_get_range(void *self, pc_db_t *db, const char *sha, int64_t offset, size_t len,
                       uint8_t **out, size_t *out_len)
{
    (void)self;
    *out = NULL;
    *out_len = 0;
    char from[24], count[24];
    /* substring(bytea, int4, int4) counts from 1; media is at most 10 MiB. */
    if (offset < 0 || offset >= INT32_MAX || len > INT32_MAX)
        return PC_INVALID_ARGUMENT;
    snprintf(from, sizeof from, "%" PRId64, offset + 1);
    snprintf(count, sizeof count, "%zu", len);
    const char *values[] = {sha, from, count};
    pc_status_t st;
    PGresult *res = pc_db_query_bin(db, &st,
                                    "SELECT substring(data FROM $2::int4 FOR $3::int4) "
                                    "FROM media.blobs WHERE sha256 = $1",
                                    3, values, NULL, NULL, 1);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    if (PQntuples(res) != 1) {
        rc = PC_NOT_FOUND;
        goto done;
    }
    size_t n = (size_t)PQgetlength(res, 0, 0);
    *out = malloc(n ? n : 1);
    if (*out == NULL) {
        rc = PC_INTERNAL;
        goto done;
    }
    memcpy(*out, PQgetvalue(res, 0, 0), n);
    *out_len = n;
done:
    PQclear(res);
    return rc;
}

static const media_blobstore_ops_t s_ops = {
    .put = s_put,
    .exists = s_exists,
    .get_range = s_get_range,
};

media_blobstore_t media_blobstore_pg(void)
{
    return (media_blobstore_t){.ops = &s_ops, .self = NULL};
}
