/* bigram_store.c - the rarest grams of a query, counted in a gram table. */
#include "bigram_store.h"

#include <stdint.h>
#include <stdio.h>

#include "bigram.h"

#define S_STR(x) #x
#define S_XSTR(x) S_STR(x)

/* Appends the picked grams of res (column 0) to out, PC_BIGRAM_SEP-joined. */
static pc_status_t s_join_picked(const PGresult *res, const size_t *picked, size_t k, char *out,
                                 size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        int w = snprintf(out + len, size - len, "%s%s", i ? (char[]){PC_BIGRAM_SEP, '\0'} : "",
                         PQgetvalue(res, (int)picked[i], 0));
        if (w < 0 || (size_t)w >= size - len)
            return PC_INTERNAL;
        len += (size_t)w;
    }
    return PC_OK;
}

pc_status_t pc_bigram_rarest(pc_db_t *db, const char *table, const char *grams, size_t n, char *out,
                             size_t size, size_t *n_out)
{
    char sql[512];
    int w = snprintf(sql, sizeof sql,
                     "SELECT a.t, (SELECT count(*) FROM (SELECT 1 FROM %s n WHERE n.gram = a.t"
                     " LIMIT " S_XSTR(PC_BIGRAM_COUNT_CAP) ") c)"
                                                           " FROM unnest(string_to_array($1, "
                                                           "chr(31))) WITH ORDINALITY AS a(t, i)"
                                                           " ORDER BY a.i LIMIT " S_XSTR(
                                                               PC_BIGRAM_PICK_MAX_GRAMS),
                     table);
    if (w < 0 || (size_t)w >= sizeof sql || size == 0)
        return PC_INTERNAL;
    *n_out = 0;
    out[0] = '\0';
    const char *params[1] = {grams};
    pc_status_t status = PC_OK;
    PGresult *res = pc_db_query(db, &status, sql, 1, params);
    if (res == NULL)
        return status;
    size_t rows = (size_t)PQntuples(res);
    if (rows != (n < PC_BIGRAM_PICK_MAX_GRAMS ? n : PC_BIGRAM_PICK_MAX_GRAMS)) {
        PQclear(res);
        return PC_INTERNAL;
    }
    int64_t counts[PC_BIGRAM_PICK_MAX_GRAMS];
    size_t picked[PC_BIGRAM_INTERSECT];
    for (size_t i = 0; i < rows; i++)
        counts[i] = pc_db_i64(res, (int)i, 1);
    size_t k = pc_bigram_pick(counts, rows, PC_BIGRAM_INTERSECT, PC_BIGRAM_RARE_ENOUGH, picked);
    status = s_join_picked(res, picked, k, out, size);
    PQclear(res);
    if (status == PC_OK)
        *n_out = k;
    return status;
}
