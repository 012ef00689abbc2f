/* grp_store_util.h - helpers shared by grp_store.c and grp_store_more.c only. */
#ifndef PIGEON_GRP_STORE_UTIL_H
#define PIGEON_GRP_STORE_UTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "grp_store.h"

/* Microseconds since the epoch of a timestamptz column (numeric since
 * PostgreSQL 14, so the product is exact); NULL stays NULL. */
#define GRP_US(col) "(extract(epoch from " col ") * 1000000)::int8"

/* The columns grp_store_group_row reads, for a grp.groups row aliased g. */
#define GRP_GROUP_COLS                                                                             \
    "g.id, g.name, g.description, g.owner_id, g.join_policy, g.member_count, " GRP_US(             \
        "g.created_at") ", " GRP_US("g.dismissed_at")

/* An int8 column; 0 for SQL NULL. */
static inline int64_t grp_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Reads GRP_GROUP_COLS starting at column `col` into *out; false on OOM. */
bool grp_store_group_row(const PGresult *res, int row, int col, grp_group_row_t *out);

/* Every row of a result of GRP_GROUP_COLS into *rows (grp_group_rows_free),
 * clears res. */
pc_status_t grp_store_group_rows(PGresult *res, grp_group_row_t **rows, size_t *n);

#endif
