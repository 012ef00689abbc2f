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

/* Room for any int64 in decimal, sign and NUL. */
typedef struct {
    char s[24]; /* the digits */
} grp_num_t;

static inline grp_num_t grp_num(int64_t v)
{
    grp_num_t n;
    snprintf(n.s, sizeof n.s, "%" PRId64, v);
    return n;
}

/* An int8 column; 0 for SQL NULL. */
static inline int64_t grp_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* malloc'd copy of a text column, NULL for SQL NULL; *oom set when a copy failed. */
char *grp_store_text(const PGresult *res, int row, int col, bool *oom);

/* Reads GRP_GROUP_COLS starting at column `col` into *out; false on OOM. */
bool grp_store_group_row(const PGresult *res, int row, int col, grp_group_row_t *out);

#endif
