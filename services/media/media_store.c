/* media_store.c - every SQL statement of pigeon-media about objects and
 * thumbnails (see media_store.h). Parameters travel as text, thumbnail
 * bytes as binary; times come back as whole microseconds. */
#include "media_store.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COLUMNS                                                                           \
    "id, uploader_id, kind, mime, size, sha256, coalesce(width, 0), coalesce(height, 0), " \
    "coalesce(duration_ms, -1), (extract(epoch from created_at) * 1000000)::int8"

static void s_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* A row in S_COLUMNS order. */
static void s_row(const PGresult *res, int r, media_row_t *row)
{
    row->id = pc_db_i64(res, r, 0);
    row->uploader_id = pc_db_i64(res, r, 1);
    s_copy(row->kind, sizeof row->kind, PQgetvalue(res, r, 2));
    s_copy(row->mime, sizeof row->mime, PQgetvalue(res, r, 3));
    row->size = pc_db_i64(res, r, 4);
    s_copy(row->sha256, sizeof row->sha256, PQgetvalue(res, r, 5));
    row->width = (int32_t)pc_db_i64(res, r, 6);
    row->height = (int32_t)pc_db_i64(res, r, 7);
    row->duration_ms = pc_db_i64(res, r, 8);
    row->created_us = pc_db_i64(res, r, 9);
}

int media_store_insert(pc_db_t *db, media_row_t *row)
{
    pc_db_num_t up = pc_db_num(row->uploader_id), size = pc_db_num(row->size), w = pc_db_num(row->width),
            h = pc_db_num(row->height), d = pc_db_num(row->duration_ms);
    const char *values[] = {up.s,
                            row->kind,
                            row->mime,
                            size.s,
                            row->sha256,
                            row->width > 0 ? w.s : NULL,
                            row->height > 0 ? h.s : NULL,
                            row->duration_ms >= 0 ? d.s : NULL};
    pc_status_t st;
    PGresult *res = pc_db_query(
        db, &st,
        "INSERT INTO media.objects "
        "(uploader_id, kind, mime, size, sha256, width, height, duration_ms) "
        "VALUES ($1::int8, $2, $3, $4::int8, $5, $6::int4, $7::int4, $8::int8) "
        "RETURNING id, (extract(epoch from created_at) * 1000000)::int8",
        8, values);
    if (res == NULL)
        return st;
    row->id = pc_db_i64(res, 0, 0);
    row->created_us = pc_db_i64(res, 0, 1);
    PQclear(res);
    return PC_OK;
}

int media_store_get(pc_db_t *db, int64_t id, media_row_t *row, bool *found)
{
    *found = false;
    pc_db_num_t n = pc_db_num(id);
    const char *values[] = {n.s};
    pc_status_t st;
    PGresult *res =
        pc_db_query(db, &st, "SELECT " S_COLUMNS " FROM media.objects WHERE id = $1::int8", 1,
                    values);
    if (res == NULL)
        return st;
    if (PQntuples(res) == 1) {
        s_row(res, 0, row);
        *found = true;
    }
    PQclear(res);
    return PC_OK;
}

int media_store_get_many(pc_db_t *db, const int64_t *ids, size_t n, media_row_t **rows,
                         size_t *count)
{
    *rows = NULL;
    *count = 0;
    char *arr = pc_db_int8_array(ids, n);
    if (arr == NULL)
        return PC_INTERNAL;
    const char *values[] = {arr};
    pc_status_t st;
    PGresult *res = pc_db_query(
        db, &st, "SELECT " S_COLUMNS " FROM media.objects WHERE id = ANY ($1::int8[])", 1,
        values);
    free(arr);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    size_t got = (size_t)PQntuples(res);
    *rows = calloc(got ? got : 1, sizeof **rows);
    if (*rows == NULL) {
        rc = PC_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i < got; i++)
        s_row(res, (int)i, &(*rows)[i]);
    *count = got;
done:
    PQclear(res);
    return rc;
}

static int32_t s_bin_i32(const PGresult *res, int col)
{
    uint32_t v;
    memcpy(&v, PQgetvalue(res, 0, col), sizeof v);
    return (int32_t)ntohl(v);
}

int media_store_get_thumb(pc_db_t *db, const char *sha, media_thumb_row_t *thumb, bool *found)
{
    *found = false;
    memset(thumb, 0, sizeof *thumb);
    const char *values[] = {sha};
    pc_status_t st;
    /* Binary results: data as raw bytes, mime as its text, the sizes as
     * 4-byte big-endian integers. */
    PGresult *res = pc_db_query_bin(db, &st,
                                    "SELECT mime, width, height, data FROM media.thumbnails "
                                    "WHERE sha256 = $1",
                                    1, values, NULL, NULL, 1);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    if (PQntuples(res) != 1 || PQgetlength(res, 0, 1) != 4 || PQgetlength(res, 0, 2) != 4)
        goto done;
    size_t n = (size_t)PQgetlength(res, 0, 3);
    thumb->data = malloc(n ? n : 1);
    if (thumb->data == NULL) {
        rc = PC_INTERNAL;
        goto done;
    }
    memcpy(thumb->data, PQgetvalue(res, 0, 3), n);
    thumb->len = n;
    snprintf(thumb->mime, sizeof thumb->mime, "%.*s", PQgetlength(res, 0, 0),
             PQgetvalue(res, 0, 0));
    thumb->width = s_bin_i32(res, 1);
    thumb->height = s_bin_i32(res, 2);
    *found = true;
done:
    PQclear(res);
    return rc;
}

int media_store_put_thumb(pc_db_t *db, const char *sha, const media_thumb_row_t *thumb)
{
    pc_db_num_t w = pc_db_num(thumb->width), h = pc_db_num(thumb->height);
    const char *values[] = {sha, thumb->mime, w.s, h.s, (const char *)thumb->data};
    const int lengths[] = {0, 0, 0, 0, (int)thumb->len};
    const int formats[] = {0, 0, 0, 0, 1};
    pc_status_t st;
    PGresult *res = pc_db_query_bin(db, &st,
                                    "INSERT INTO media.thumbnails "
                                    "(sha256, mime, width, height, data) "
                                    "VALUES ($1, $2, $3::int4, $4::int4, $5) "
                                    "ON CONFLICT (sha256) DO NOTHING",
                                    5, values, lengths, formats, 0);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

void media_thumb_row_clear(media_thumb_row_t *thumb)
{
    if (thumb == NULL)
        return;
    free(thumb->data);
    memset(thumb, 0, sizeof *thumb);
}
