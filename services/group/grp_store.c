/* grp_store.c - groups and members: the SQL of pigeon-group (see grp_store.h).
 *
 * Parameters travel as text. Cost notes: single-group questions are
 * primary-key probes; a member list is one index range scan of at most
 * GRP_MAX_MEMBERS rows; "my groups" is one scan of members_user_idx. */
#include <string.h>

#include "grp_store_util.h"

bool grp_store_group_row(const PGresult *res, int row, int col, grp_group_row_t *out)
{
    bool oom = false;
    memset(out, 0, sizeof *out);
    out->id = grp_i64(res, row, col);
    out->name = pc_db_text(res, row, col + 1, &oom);
    out->description = pc_db_text(res, row, col + 2, &oom);
    out->owner_id = grp_i64(res, row, col + 3);
    out->policy = grp_policy_parse(PQgetvalue(res, row, col + 4));
    out->member_count = (int32_t)grp_i64(res, row, col + 5);
    out->created_us = grp_i64(res, row, col + 6);
    out->dismissed_us = grp_i64(res, row, col + 7);
    if (oom)
        grp_group_row_clear(out);
    return !oom;
}

void grp_group_row_clear(grp_group_row_t *row)
{
    if (row == NULL)
        return;
    free(row->name);
    free(row->description);
    memset(row, 0, sizeof *row);
}

void grp_group_rows_free(grp_group_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        grp_group_row_clear(&rows[i]);
    free(rows);
}

/* One group row from a result of GRP_GROUP_COLS; *found false when empty. */
static pc_status_t s_one_group(PGresult *res, grp_group_row_t *out, bool *found)
{
    pc_status_t st = PC_OK;
    *found = PQntuples(res) > 0;
    if (*found && !grp_store_group_row(res, 0, 0, out))
        st = PC_INTERNAL;
    PQclear(res);
    return st;
}

pc_status_t grp_store_group_rows(PGresult *res, grp_group_row_t **rows, size_t *n)
{
    size_t count = (size_t)PQntuples(res);
    grp_group_row_t *out = calloc(count ? count : 1, sizeof *out);
    pc_status_t st = out ? PC_OK : PC_INTERNAL;
    for (size_t i = 0; st == PC_OK && i < count; i++)
        if (!grp_store_group_row(res, (int)i, 0, &out[i]))
            st = PC_INTERNAL;
    PQclear(res);
    if (st != PC_OK) {
        grp_group_rows_free(out, count);
        return st;
    }
    *rows = out;
    *n = count;
    return PC_OK;
}

pc_status_t grp_store_get_group(pc_db_t *db, int64_t id, bool for_update, grp_group_row_t *out,
                                bool *found)
{
    pc_db_num_t g = pc_db_num(id);
    const char *params[] = {g.s};
    pc_status_t st = PC_OK;
    PGresult *res =
        pc_db_query(db, &st,
                    for_update ? "SELECT " GRP_GROUP_COLS " FROM grp.groups g WHERE g.id = $1"
                                 " FOR UPDATE"
                               : "SELECT " GRP_GROUP_COLS " FROM grp.groups g WHERE g.id = $1",
                    1, params);
    if (res == NULL)
        return st;
    return s_one_group(res, out, found);
}

/* Replaces the search grams of a group. */
static pc_status_t s_set_grams(pc_db_t *db, const char *group, const char *grams)
{
    const char *params[] = {group, grams};
    pc_status_t st = PC_OK;
    /* Two statements: in one, a DELETE in a WITH shares the INSERT's
     * snapshot, and a gram the new name keeps would collide with its old row. */
    PGresult *res =
        pc_db_query(db, &st, "DELETE FROM grp.name_grams WHERE group_id = $1", 1, params);
    if (res == NULL)
        return st;
    PQclear(res);
    res = pc_db_query(db, &st,
                      "INSERT INTO grp.name_grams (gram, group_id)"
                      " SELECT DISTINCT t, $1::int8 FROM unnest(string_to_array($2, chr(31))) t"
                      " WHERE t <> ''",
                      2, params);
    PQclear(res);
    return st;
}

pc_status_t grp_store_create_group(pc_db_t *db, const char *name, const char *name_key,
                                   const char *grams, const char *description, grp_policy_t policy,
                                   int64_t owner, grp_group_row_t *out)
{
    pc_db_num_t o = pc_db_num(owner);
    const char *params[] = {name, name_key, description, o.s, grp_policy_name(policy)};
    pc_status_t st = PC_OK;
    PGresult *res =
        pc_db_query(db, &st,
                    "INSERT INTO grp.groups AS g (name, name_key, description, owner_id,"
                    " join_policy) VALUES ($1, $2, $3, $4, $5) RETURNING " GRP_GROUP_COLS,
                    5, params);
    if (res == NULL)
        return st;
    bool found = false;
    st = s_one_group(res, out, &found);
    if (st == PC_OK) {
        pc_db_num_t g = pc_db_num(out->id);
        st = s_set_grams(db, g.s, grams);
    }
    return st;
}

pc_status_t grp_store_update_group(pc_db_t *db, int64_t id, const char *name, const char *name_key,
                                   const char *grams, bool set_description, const char *description,
                                   grp_policy_t policy, grp_group_row_t *out)
{
    pc_db_num_t g = pc_db_num(id);
    const char *params[] = {
        g.s, name, name_key, set_description ? "t" : "f", description, grp_policy_name(policy)};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "UPDATE grp.groups AS g SET name = coalesce($2, g.name),"
                                " name_key = coalesce($3, g.name_key),"
                                " description = CASE WHEN $4::bool THEN $5 ELSE g.description END,"
                                " join_policy = coalesce($6, g.join_policy)"
                                " WHERE g.id = $1 RETURNING " GRP_GROUP_COLS,
                                6, params);
    if (res == NULL)
        return st;
    bool found = false;
    st = s_one_group(res, out, &found);
    if (st == PC_OK && !found)
        st = PC_INTERNAL; /* the caller holds the row lock: it cannot vanish */
    if (st == PC_OK && name != NULL)
        st = s_set_grams(db, g.s, grams);
    return st;
}

pc_status_t grp_store_dismiss(pc_db_t *db, int64_t id, int64_t actor)
{
    pc_db_num_t g = pc_db_num(id), a = pc_db_num(actor);
    const char *params[] = {g.s, a.s};
    pc_status_t st = PC_OK;
    PGresult *res =
        pc_db_query(db, &st,
                    "WITH r AS (UPDATE grp.join_requests SET status = 'rejected', decided_by = $2,"
                    "           decided_at = now() WHERE group_id = $1 AND status = 'pending'),"
                    " n AS (DELETE FROM grp.name_grams WHERE group_id = $1)"
                    " UPDATE grp.groups SET dismissed_at = now() WHERE id = $1",
                    2, params);
    PQclear(res);
    return st;
}

pc_status_t grp_store_my_groups(pc_db_t *db, int64_t user, grp_group_row_t **rows, size_t *n)
{
    pc_db_num_t u = pc_db_num(user);
    const char *params[] = {u.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT " GRP_GROUP_COLS " FROM grp.members m"
                                " JOIN grp.groups g ON g.id = m.group_id"
                                " WHERE m.user_id = $1 AND g.dismissed_at IS NULL"
                                " ORDER BY m.joined_at DESC, g.id DESC LIMIT 5000",
                                1, params);
    if (res == NULL)
        return st;
    return grp_store_group_rows(res, rows, n);
}

/* --- members --- */

#define S_MEMBER_COLS "m.user_id, m.role, " GRP_US("m.joined_at") ", " GRP_US("m.muted_until")

static void s_member_row(const PGresult *res, int row, grp_member_row_t *out)
{
    out->user_id = grp_i64(res, row, 0);
    out->role = grp_role_parse(PQgetvalue(res, row, 1));
    out->joined_us = grp_i64(res, row, 2);
    out->muted_until_us = grp_i64(res, row, 3);
}

/* One member row from a result of S_MEMBER_COLS; *found false when empty. */
static pc_status_t s_one_member(PGresult *res, grp_member_row_t *out, bool *found)
{
    *found = PQntuples(res) > 0;
    if (*found)
        s_member_row(res, 0, out);
    PQclear(res);
    return PC_OK;
}

pc_status_t grp_store_get_member(pc_db_t *db, int64_t group, int64_t user, grp_member_row_t *out,
                                 bool *found)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT " S_MEMBER_COLS " FROM grp.members m"
                                " WHERE m.group_id = $1 AND m.user_id = $2",
                                2, params);
    if (res == NULL)
        return st;
    return s_one_member(res, out, found);
}

pc_status_t grp_store_add_member(pc_db_t *db, int64_t group, int64_t user, grp_role_t role,
                                 bool *added, grp_member_row_t *out)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s, grp_role_name(role)};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        "WITH i AS (INSERT INTO grp.members AS m (group_id, user_id, role) VALUES ($1, $2, $3)"
        "           ON CONFLICT (group_id, user_id) DO NOTHING RETURNING " S_MEMBER_COLS "),"
        " c AS (UPDATE grp.groups SET member_count = member_count + 1"
        "       WHERE id = $1 AND EXISTS (SELECT 1 FROM i))"
        " SELECT * FROM i",
        3, params);
    if (res == NULL)
        return st;
    *added = PQntuples(res) > 0;
    if (*added) {
        s_member_row(res, 0, out);
        PQclear(res);
        return PC_OK;
    }
    PQclear(res);
    bool found = false;
    st = grp_store_get_member(db, group, user, out, &found);
    return st == PC_OK && !found ? PC_INTERNAL : st;
}

pc_status_t grp_store_remove_member(pc_db_t *db, int64_t group, int64_t user, bool *removed)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        "WITH d AS (DELETE FROM grp.members WHERE group_id = $1 AND user_id = $2 RETURNING 1),"
        " c AS (UPDATE grp.groups SET member_count = member_count - 1"
        "       WHERE id = $1 AND EXISTS (SELECT 1 FROM d))"
        " SELECT count(*) FROM d",
        2, params);
    if (res == NULL)
        return st;
    *removed = grp_i64(res, 0, 0) > 0;
    PQclear(res);
    return PC_OK;
}

/* Runs an UPDATE ... RETURNING S_MEMBER_COLS of one member. */
static pc_status_t s_update_member(pc_db_t *db, const char *sql, int nparams,
                                   const char *const *params, grp_member_row_t *out)
{
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st, sql, nparams, params);
    if (res == NULL)
        return st;
    bool found = false;
    st = s_one_member(res, out, &found);
    return st == PC_OK && !found ? PC_INTERNAL : st; /* checked under the group lock */
}

pc_status_t grp_store_set_role(pc_db_t *db, int64_t group, int64_t user, grp_role_t role,
                               grp_member_row_t *out)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user);
    const char *params[] = {g.s, u.s, grp_role_name(role)};
    return s_update_member(db,
                           "UPDATE grp.members AS m SET role = $3 WHERE group_id = $1"
                           " AND user_id = $2 RETURNING " S_MEMBER_COLS,
                           3, params, out);
}

pc_status_t grp_store_set_mute(pc_db_t *db, int64_t group, int64_t user, int64_t muted_until_us,
                               grp_member_row_t *out)
{
    pc_db_num_t g = pc_db_num(group), u = pc_db_num(user), t = pc_db_num(muted_until_us);
    const char *params[] = {g.s, u.s, muted_until_us > 0 ? t.s : NULL};
    return s_update_member(db,
                           "UPDATE grp.members AS m SET muted_until ="
                           " to_timestamp($3::int8 / 1000000.0) WHERE group_id = $1"
                           " AND user_id = $2 RETURNING " S_MEMBER_COLS,
                           3, params, out);
}

pc_status_t grp_store_transfer(pc_db_t *db, int64_t group, int64_t from, int64_t to)
{
    pc_db_num_t g = pc_db_num(group), f = pc_db_num(from), t = pc_db_num(to);
    const char *params[] = {g.s, f.s, t.s};
    pc_status_t st = PC_OK;
    /* Demote first: the partial unique index allows one owner at a time. */
    PGresult *res = pc_db_query(db, &st,
                                "UPDATE grp.members SET role = 'admin'"
                                " WHERE group_id = $1 AND user_id = $2",
                                2, params);
    PQclear(res);
    if (st != PC_OK)
        return st;
    res = pc_db_query(db, &st,
                      "WITH m AS (UPDATE grp.members SET role = 'owner'"
                      "           WHERE group_id = $1 AND user_id = $3)"
                      " UPDATE grp.groups SET owner_id = $3 WHERE id = $1 AND owner_id = $2",
                      3, params);
    PQclear(res);
    return st;
}

pc_status_t grp_store_list_members(pc_db_t *db, int64_t group, grp_member_row_t **rows, size_t *n)
{
    pc_db_num_t g = pc_db_num(group);
    const char *params[] = {g.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT " S_MEMBER_COLS " FROM grp.members m WHERE m.group_id = $1"
                                " ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1"
                                " ELSE 2 END, m.joined_at, m.user_id LIMIT 2000",
                                1, params);
    if (res == NULL)
        return st;
    size_t count = (size_t)PQntuples(res);
    grp_member_row_t *out = calloc(count ? count : 1, sizeof *out);
    if (out == NULL) {
        PQclear(res);
        return PC_INTERNAL;
    }
    for (size_t i = 0; i < count; i++)
        s_member_row(res, (int)i, &out[i]);
    PQclear(res);
    *rows = out;
    *n = count;
    return PC_OK;
}

pc_status_t grp_store_member_ids(pc_db_t *db, int64_t group, bool admins_only, int64_t **ids,
                                 size_t *n)
{
    pc_db_num_t g = pc_db_num(group);
    const char *params[] = {g.s, admins_only ? "t" : "f"};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT user_id FROM grp.members WHERE group_id = $1"
                                " AND (NOT $2::bool OR role IN ('owner', 'admin'))"
                                " ORDER BY user_id LIMIT 5000",
                                2, params);
    if (res == NULL)
        return st;
    size_t count = (size_t)PQntuples(res);
    int64_t *out = malloc((count ? count : 1) * sizeof *out);
    if (out == NULL) {
        PQclear(res);
        return PC_INTERNAL;
    }
    for (size_t i = 0; i < count; i++)
        out[i] = grp_i64(res, (int)i, 0);
    PQclear(res);
    *ids = out;
    *n = count;
    return PC_OK;
}
