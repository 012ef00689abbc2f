/* router_store_group.c - the SQL of group conversations (see router_store_group.h). */
#include "router_store_group.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int router_store_group_ranges(pc_db_t *db, const char *cid, int64_t user, router_ranges_t *out)
{
    static const char sql[] = "SELECT from_seq, COALESCE(to_seq, 0) FROM msg.group_ranges "
                              "WHERE conversation_id = $1 AND user_id = $2 "
                              "ORDER BY from_seq DESC LIMIT 64";
    pc_db_num_t u = pc_db_num(user);
    const char *p[] = {cid, u.s};
    pc_status_t st;
    memset(out, 0, sizeof *out);
    PGresult *res = pc_db_query_prepared(db, &st, "router_group_ranges", sql, 2, p);
    if (res == NULL)
        return st;
    size_t n = (size_t)PQntuples(res);
    for (size_t i = 0; i < n && i < ROUTER_RANGES_MAX; i++) {
        router_range_t *r = &out->r[n - 1 - i]; /* read newest first */
        r->from = pc_db_i64(res, (int)i, 0);
        r->to = pc_db_i64(res, (int)i, 1);
    }
    out->n = n < ROUTER_RANGES_MAX ? n : ROUTER_RANGES_MAX;
    PQclear(res);
    return PC_OK;
}

static int s_cursor(pc_db_t *db, const char *sql, int64_t *last)
{
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, 0, NULL);
    if (res == NULL)
        return st;
    int rc = PQntuples(res) == 1 ? PC_OK : PC_INTERNAL;
    if (rc == PC_OK)
        *last = pc_db_i64(res, 0, 0);
    PQclear(res);
    return rc;
}

int router_store_group_cursor_lock(pc_db_t *db, int64_t *last_change_id)
{
    return s_cursor(db, "SELECT last_change_id FROM msg.group_cursor WHERE id = 1 FOR UPDATE",
                    last_change_id);
}

int router_store_group_cursor_get(pc_db_t *db, int64_t *last_change_id)
{
    return s_cursor(db, "SELECT last_change_id FROM msg.group_cursor WHERE id = 1",
                    last_change_id);
}

int router_store_group_cursor_set(pc_db_t *db, int64_t last_change_id)
{
    pc_db_num_t v = pc_db_num(last_change_id);
    const char *p[] = {v.s};
    return pc_db_exec(db, "UPDATE msg.group_cursor SET last_change_id = $1 WHERE id = 1", 1, p);
}

/* The system message: counted as unread (only recall markers are not). */
static int s_append(pc_db_t *db, const char *cid, const router_change_t *c, int64_t *seq,
                    int64_t *count)
{
    static const char sql_conv[] =
        "INSERT INTO msg.conversations (id, kind) VALUES ($1, 'group') ON CONFLICT DO NOTHING";
    static const char sql[] =
        "WITH cv AS (UPDATE msg.conversations SET last_seq = last_seq + 1, counted = counted + 1, "
        "  updated_at = now() WHERE id = $1 RETURNING last_seq, counted) "
        "INSERT INTO msg.messages (conversation_id, seq, sender_id, kind, text, counted) "
        "SELECT $1, cv.last_seq, $2, 'system', $3, cv.counted FROM cv RETURNING seq, counted";
    const char *p1[] = {cid};
    int rc = pc_db_exec(db, sql_conv, 1, p1);
    if (rc != PC_OK)
        return rc;
    pc_db_num_t a = pc_db_num(c->actor_id);
    const char *p[] = {cid, a.s, c->system_text};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, 3, p);
    if (res == NULL)
        return st;
    rc = PQntuples(res) == 1 ? PC_OK : PC_INTERNAL;
    if (rc == PC_OK) {
        *seq = pc_db_i64(res, 0, 0);
        *count = pc_db_i64(res, 0, 1);
    }
    PQclear(res);
    return rc;
}

/* Opens a period at seq for each user; read positions per
 * router_group_read_start (at seq for the actor, just before it for the
 * others: counted - 1, since the join message itself counts). */
static int s_open(pc_db_t *db, const char *cid, const router_change_t *c, const char *users,
                  int64_t seq, int64_t count)
{
    static const char sql_ranges[] =
        "INSERT INTO msg.group_ranges (conversation_id, user_id, from_seq) "
        "SELECT $1, u, $3 FROM unnest($2::int8[]) u ON CONFLICT DO NOTHING";
    static const char sql_members[] =
        "INSERT INTO msg.members AS m (user_id, conversation_id, read_seq, read_count, visible_to) "
        "SELECT u, $1, CASE WHEN u = $5 THEN $3 ELSE $3 - 1 END, "
        "  CASE WHEN u = $5 THEN $4 ELSE $4 - 1 END, NULL FROM unnest($2::int8[]) u "
        "ON CONFLICT (user_id, conversation_id) DO UPDATE SET visible_to = NULL, "
        "  read_seq = GREATEST(m.read_seq, EXCLUDED.read_seq), "
        "  read_count = CASE WHEN EXCLUDED.read_seq > m.read_seq THEN EXCLUDED.read_count "
        "  ELSE m.read_count END";
    pc_db_num_t s = pc_db_num(seq), k = pc_db_num(count), a = pc_db_num(c->actor_id);
    const char *p[] = {cid, users, s.s, k.s, a.s};
    int rc = pc_db_exec(db, sql_ranges, 3, p);
    return rc == PC_OK ? (int)pc_db_exec(db, sql_members, 5, p) : rc;
}

/* Closes the named users' open periods at seq (all of them: users NULL). */
static int s_close(pc_db_t *db, const char *cid, const char *users, int64_t seq)
{
    static const char sql_members[] =
        "UPDATE msg.members SET visible_to = $3 WHERE conversation_id = $1 AND user_id IN "
        "(SELECT user_id FROM msg.group_ranges WHERE conversation_id = $1 AND to_seq IS NULL "
        " AND ($2::int8[] IS NULL OR user_id = ANY($2::int8[])))";
    static const char sql_ranges[] =
        "UPDATE msg.group_ranges SET to_seq = $3 WHERE conversation_id = $1 AND to_seq IS NULL "
        "AND ($2::int8[] IS NULL OR user_id = ANY($2::int8[]))";
    pc_db_num_t s = pc_db_num(seq);
    const char *p[] = {cid, users, s.s};
    int rc = pc_db_exec(db, sql_members, 3, p);
    return rc == PC_OK ? (int)pc_db_exec(db, sql_ranges, 3, p) : rc;
}

/* Acting in a system message moves one's read position to it, when one may
 * see it. */
static int s_actor_read(pc_db_t *db, const char *cid, int64_t actor, int64_t seq, int64_t count)
{
    static const char sql[] =
        "UPDATE msg.members SET read_seq = $3, read_count = $4 WHERE conversation_id = $1 "
        "AND user_id = $2 AND read_seq < $3 AND EXISTS (SELECT 1 FROM msg.group_ranges r "
        "WHERE r.conversation_id = $1 AND r.user_id = $2 AND r.from_seq <= $3 "
        "AND (r.to_seq IS NULL OR r.to_seq >= $3))";
    pc_db_num_t a = pc_db_num(actor), s = pc_db_num(seq), k = pc_db_num(count);
    const char *p[] = {cid, a.s, s.s, k.s};
    return pc_db_exec(db, sql, 4, p);
}

int router_store_group_apply(pc_db_t *db, const router_change_t *c, int64_t *seq)
{
    char cid[ROUTER_CID_MAX];
    snprintf(cid, sizeof cid, "g:%" PRId64, c->group_id);
    *seq = 0;
    if (c->system_text == NULL)
        return PC_OK; /* muted, updated: only caches change */
    int64_t count = 0;
    int rc = s_append(db, cid, c, seq, &count);
    if (rc != PC_OK)
        return rc;
    char *users = pc_db_int8_array(c->user_ids, c->n_users);
    if (users == NULL)
        return PC_INTERNAL;
    switch (router_group_effect(c->kind)) {
    case ROUTER_GRP_OPEN:
        rc = c->n_users ? s_open(db, cid, c, users, *seq, count) : PC_OK;
        break;
    case ROUTER_GRP_CLOSE:
        rc = c->n_users ? s_close(db, cid, users, *seq) : PC_OK;
        break;
    case ROUTER_GRP_CLOSE_ALL:
        rc = s_close(db, cid, NULL, *seq);
        break;
    case ROUTER_GRP_NONE:
        break;
    }
    free(users);
    if (rc == PC_OK)
        rc = s_actor_read(db, cid, c->actor_id, *seq, count);
    return rc;
}

int router_store_group_may_post(pc_db_t *db, const char *cid, int64_t sender, bool *ok)
{
    static const char sql_lock[] = "SELECT 1 FROM msg.conversations WHERE id = $1 FOR UPDATE";
    static const char sql[] = "SELECT 1 FROM msg.group_ranges WHERE conversation_id = $1 "
                              "AND user_id = $2 AND to_seq IS NULL";
    pc_db_num_t u = pc_db_num(sender);
    const char *p[] = {cid, u.s};
    pc_status_t st;
    *ok = false;
    PGresult *res = pc_db_query_prepared(db, &st, "router_group_lock", sql_lock, 1, p);
    if (res == NULL)
        return st;
    bool exists = PQntuples(res) == 1;
    PQclear(res);
    if (!exists)
        return PC_OK;
    res = pc_db_query_prepared(db, &st, "router_group_open", sql, 2, p);
    if (res == NULL)
        return st;
    *ok = PQntuples(res) == 1;
    PQclear(res);
    return PC_OK;
}

int router_store_group_audience(pc_db_t *db, const char *cid, int64_t seq, int64_t **users,
                                size_t *n)
{
    static const char sql[] = "SELECT DISTINCT user_id FROM msg.group_ranges "
                              "WHERE conversation_id = $1 AND from_seq <= $2 "
                              "AND (to_seq IS NULL OR to_seq >= $2) ORDER BY user_id";
    pc_db_num_t s = pc_db_num(seq);
    const char *p[] = {cid, s.s};
    pc_status_t st;
    *users = NULL;
    *n = 0;
    PGresult *res = pc_db_query(db, &st, sql, 2, p);
    if (res == NULL)
        return st;
    int rows = PQntuples(res);
    if (rows > 0 && (*users = malloc((size_t)rows * sizeof **users)) == NULL) {
        PQclear(res);
        return PC_INTERNAL;
    }
    for (int i = 0; i < rows; i++)
        (*users)[i] = pc_db_i64(res, i, 0);
    *n = (size_t)rows;
    PQclear(res);
    return PC_OK;
}
