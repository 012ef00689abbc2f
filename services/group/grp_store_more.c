/* grp_store_more.c - join requests, the outbox and search: the SQL of
 * pigeon-group (see grp_store.h). docs/search.md explains and measures the
 * search statements. */
#include <string.h>

#include "grp_store_util.h"

/* Key of the outbox's advisory lock ("grp.outb" read as a big-endian int8). */
#define S_OUTBOX_LOCK "7454143677992367202"

#define S_REQUEST_COLS "r.id, r.group_id, r.user_id, r.message, r.status, " GRP_US("r.created_at")

void grp_request_row_clear(grp_request_row_t *row)
{
    if (row == NULL)
        return;
    free(row->message);
    memset(row, 0, sizeof *row);
}

void grp_request_rows_free(grp_request_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        grp_request_row_clear(&rows[i]);
    free(rows);
}

void grp_change_rows_free(grp_change_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(rows[i].user_ids);
        free(rows[i].role);
        free(rows[i].system_text);
    }
    free(rows);
}

static bool s_request_row(const PGresult *res, int row, grp_request_row_t *out)
{
    bool oom = false;
    memset(out, 0, sizeof *out);
    out->id = grp_i64(res, row, 0);
    out->group_id = grp_i64(res, row, 1);
    out->user_id = grp_i64(res, row, 2);
    out->message = pc_db_text(res, row, 3, &oom);
    snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, row, 4));
    out->created_us = grp_i64(res, row, 5);
    return !oom;
}

pc_status_t grp_store_insert_request(pc_db_t *db, int64_t group, int64_t user, const char *message,
                                     grp_request_row_t *out)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s, message};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "INSERT INTO grp.join_requests AS r (group_id, user_id, message)"
                                " VALUES ($1, $2, $3) RETURNING " S_REQUEST_COLS,
                                3, params);
    if (res == NULL)
        return st;
    st = s_request_row(res, 0, out) ? PC_OK : PC_INTERNAL;
    PQclear(res);
    return st;
}

pc_status_t grp_store_has_pending(pc_db_t *db, int64_t group, int64_t user, bool *pending)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT EXISTS (SELECT 1 FROM grp.join_requests WHERE group_id = $1"
                                " AND user_id = $2 AND status = 'pending')",
                                2, params);
    if (res == NULL)
        return st;
    *pending = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return PC_OK;
}

pc_status_t grp_store_get_request(pc_db_t *db, int64_t id, bool for_update, grp_request_row_t *out,
                                  bool *found)
{
    pc_db_num_t r = pc_db_num(id);
    const char *params[] = {r.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        for_update ? "SELECT " S_REQUEST_COLS " FROM grp.join_requests r WHERE r.id = $1 FOR UPDATE"
                   : "SELECT " S_REQUEST_COLS " FROM grp.join_requests r WHERE r.id = $1",
        1, params);
    if (res == NULL)
        return st;
    *found = PQntuples(res) > 0;
    if (*found && !s_request_row(res, 0, out))
        st = PC_INTERNAL;
    PQclear(res);
    return st;
}

pc_status_t grp_store_finish_request(pc_db_t *db, int64_t id, const char *status,
                                     int64_t decided_by, bool *changed)
{
    pc_db_num_t r = pc_db_num(id), d = pc_db_num(decided_by);
    const char *params[] = {r.s, status, d.s};
    long rows;
    pc_status_t st = pc_db_exec_rows(db,
                                     "UPDATE grp.join_requests SET status = $2, decided_by = $3,"
                                     " decided_at = now() WHERE id = $1 AND status = 'pending'",
                                     3, params, &rows);
    *changed = rows == 1;
    return st;
}

pc_status_t grp_store_list_requests(pc_db_t *db, int64_t group, grp_request_row_t **rows, size_t *n)
{
    pc_db_num_t g = pc_db_num(group);
    const char *params[] = {g.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT " S_REQUEST_COLS " FROM grp.join_requests r"
                                " WHERE r.group_id = $1 AND r.status = 'pending'"
                                " ORDER BY r.id LIMIT 5000",
                                1, params);
    if (res == NULL)
        return st;
    size_t count = (size_t)PQntuples(res);
    grp_request_row_t *out = calloc(count ? count : 1, sizeof *out);
    st = out ? PC_OK : PC_INTERNAL;
    for (size_t i = 0; st == PC_OK && i < count; i++)
        if (!s_request_row(res, (int)i, &out[i]))
            st = PC_INTERNAL;
    PQclear(res);
    if (st != PC_OK) {
        grp_request_rows_free(out, count);
        return st;
    }
    *rows = out;
    *n = count;
    return PC_OK;
}

/* --- the outbox --- */

pc_status_t grp_store_add_change(pc_db_t *db, int64_t group, const char *kind, int64_t actor,
                                 const int64_t *users, size_t n, const char *role,
                                 const char *system_text, int64_t *id)
{
    char *array = pc_db_int8_array(users, n);
    if (array == NULL)
        return PC_INTERNAL;
    pc_db_num_t g = pc_db_num(group), a = pc_db_num(actor);
    const char *params[] = {g.s, kind, a.s, array, role, system_text};
    pc_status_t st = PC_OK;
    /* The lock is held until commit, so a smaller id can never become
     * visible after a larger one (README: "Outbox contract"). */
    PGresult *res =
        pc_db_query(db, &st, "SELECT pg_advisory_xact_lock(" S_OUTBOX_LOCK ")", 0, NULL);
    PQclear(res);
    if (st == PC_OK)
        res = pc_db_query(db, &st,
                          "INSERT INTO grp.membership_changes (group_id, kind, actor_id, user_ids,"
                          " role, system_text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                          6, params);
    if (st == PC_OK && res != NULL)
        *id = grp_i64(res, 0, 0);
    PQclear(res);
    free(array);
    return st;
}

/* Parses a bigint[] in text form ("{1,2}") into a malloc'd array. */
static bool s_parse_ids(const char *text, int64_t **ids, size_t *n)
{
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    int64_t *out = malloc(cap * sizeof *out);
    if (out == NULL)
        return false;
    size_t count = 0;
    const char *p = text;
    while (*p != '\0' && count < cap) {
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            char *end = NULL;
            out[count++] = strtoll(p, &end, 10);
            p = end;
        } else {
            p++; /* braces and commas */
        }
    }
    *ids = out;
    *n = count;
    return true;
}

pc_status_t grp_store_changes(pc_db_t *db, int64_t after_id, int limit, grp_change_row_t **rows,
                              size_t *n)
{
    pc_db_num_t a = pc_db_num(after_id), l = pc_db_num(limit);
    const char *params[] = {a.s, l.s};
    pc_status_t st = PC_OK;
    PGresult *res =
        pc_db_query(db, &st,
                    "SELECT id, group_id, kind, actor_id, user_ids, role, system_text, " GRP_US(
                        "created_at") " FROM grp.membership_changes"
                                      " WHERE id > $1 ORDER BY id LIMIT $2",
                    2, params);
    if (res == NULL)
        return st;
    size_t count = (size_t)PQntuples(res);
    grp_change_row_t *out = calloc(count ? count : 1, sizeof *out);
    bool oom = out == NULL;
    for (size_t i = 0; !oom && i < count; i++) {
        int r = (int)i;
        grp_change_row_t *c = &out[i];
        c->id = grp_i64(res, r, 0);
        c->group_id = grp_i64(res, r, 1);
        snprintf(c->kind, sizeof c->kind, "%s", PQgetvalue(res, r, 2));
        c->actor_id = grp_i64(res, r, 3);
        oom = !s_parse_ids(PQgetvalue(res, r, 4), &c->user_ids, &c->n_users);
        c->role = pc_db_text(res, r, 5, &oom);
        c->system_text = pc_db_text(res, r, 6, &oom);
        c->at_us = grp_i64(res, r, 7);
    }
    PQclear(res);
    if (oom) {
        grp_change_rows_free(out, count);
        return PC_INTERNAL;
    }
    *rows = out;
    *n = count;
    return PC_OK;
}

pc_status_t grp_store_last_change(pc_db_t *db, int64_t group, int64_t *id)
{
    pc_db_num_t g = pc_db_num(group);
    const char *params[] = {g.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT coalesce(max(id), 0) FROM grp.membership_changes"
                                " WHERE group_id = $1",
                                1, params);
    if (res == NULL)
        return st;
    *id = grp_i64(res, 0, 0);
    PQclear(res);
    return PC_OK;
}

/* --- search --- */

/* How many listed groups the ordered walk reads before giving up on filling
 * the page that way (docs/search.md). */
#define S_WALK_ROWS "4000"

/* Listed, after the cursor, in page order: shared by the statements. */
#define S_LISTED                                                                                   \
    " g.dismissed_at IS NULL AND g.join_policy <> 'invite_only'"                                   \
    " AND (g.member_count < $2::int8 OR (g.member_count = $2::int8 AND g.id > $3::int8))"

pc_status_t grp_store_search(pc_db_t *db, const char *q_key, const char *grams, size_t n_grams,
                             const char *prefix_end, int64_t after_count, int64_t after_id,
                             int limit, grp_group_row_t **rows, size_t *n)
{
    pc_db_num_t k = pc_db_num((int64_t)n_grams), c = pc_db_num(after_count),
                a = pc_db_num(after_id), l = pc_db_num(limit);
    pc_status_t st = PC_OK;
    /* 1. A popular query: walk the listed groups in page order, testing the
     *    name, and stop at the page size. Fills the page after a few hundred
     *    rows when many names match; stops after S_WALK_ROWS otherwise. */
    const char *walk[] = {q_key, c.s, a.s, l.s};
    PGresult *res =
        pc_db_query(db, &st,
                    "SELECT " GRP_GROUP_COLS " FROM (SELECT * FROM grp.groups g WHERE" S_LISTED
                    " ORDER BY g.member_count DESC, g.id LIMIT " S_WALK_ROWS
                    ") g WHERE strpos(g.name_key, $1) > 0"
                    " ORDER BY g.member_count DESC, g.id LIMIT $4",
                    4, walk);
    if (res == NULL)
        return st;
    if (PQntuples(res) >= limit)
        return grp_store_group_rows(res, rows, n);
    PQclear(res);
    /* 2. A rarer one: the groups that hold every gram of the query, then the
     *    exact substring test, sorted. */
    if (n_grams > 0) {
        const char *params[] = {q_key, c.s, a.s, l.s, grams, k.s};
        res = pc_db_query(db, &st,
                          "SELECT " GRP_GROUP_COLS " FROM grp.groups g"
                          " WHERE g.id IN (SELECT n.group_id FROM grp.name_grams n"
                          "   WHERE n.gram = ANY (string_to_array($5, chr(31)))"
                          "   GROUP BY n.group_id HAVING count(*) = $6::int8)"
                          " AND strpos(g.name_key, $1) > 0 AND" S_LISTED
                          " ORDER BY g.member_count DESC, g.id LIMIT $4",
                          6, params);
    } else {
        /* One character: the grams that start with it (bigrams and tails). */
        const char *params[] = {q_key, c.s, a.s, l.s, prefix_end};
        res = pc_db_query(db, &st,
                          "SELECT " GRP_GROUP_COLS " FROM grp.groups g"
                          " WHERE g.id IN (SELECT n.group_id FROM grp.name_grams n"
                          "   WHERE n.gram >= $1 AND n.gram < $5)"
                          " AND" S_LISTED " ORDER BY g.member_count DESC, g.id LIMIT $4",
                          5, params);
    }
    if (res == NULL)
        return st;
    return grp_store_group_rows(res, rows, n);
}
