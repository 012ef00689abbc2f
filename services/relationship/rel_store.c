/* rel_store.c - every SQL statement of pigeon-relationship (see rel_store.h).
 *
 * Parameters travel as text; times come back as whole microseconds
 * (extract(epoch ...) is numeric since PostgreSQL 14, so the product is
 * exact). Cost notes: every single-pair question is one or a few
 * primary-key probes; the lists are one index range scan each. */
#include "rel_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_US(col) "(extract(epoch from " col ") * 1000000)::int8"

static bool s_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

static rel_kind_t s_kind(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? REL_NONE : rel_kind_parse(PQgetvalue(res, row, col));
}

void rel_contact_rows_free(rel_contact_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(rows[i].remark);
    free(rows);
}

void rel_request_row_clear(rel_request_row_t *row)
{
    if (row == NULL)
        return;
    free(row->message);
    free(row->remark);
    memset(row, 0, sizeof *row);
}

void rel_request_rows_free(rel_request_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        rel_request_row_clear(&rows[i]);
    free(rows);
}

pc_status_t rel_store_lock_pair(pc_db_t *db, int64_t a, int64_t b)
{
    pc_db_num_t lo = pc_db_num(a < b ? a : b);
    pc_db_num_t hi = pc_db_num(a < b ? b : a);
    const char *params[] = {lo.s, hi.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT pg_advisory_xact_lock("
                                "hashtextextended('rel.pair:' || $1 || ':' || $2, 0))",
                                2, params);
    PQclear(res);
    return st;
}

pc_status_t rel_store_add_state(pc_db_t *db, int64_t me, int64_t target, rel_add_state_t *out,
                                int64_t *their_request_id)
{
    pc_db_num_t m = pc_db_num(me), t = pc_db_num(target);
    const char *params[] = {m.s, t.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        "SELECT EXISTS (SELECT 1 FROM rel.blocks WHERE owner_id = $2 AND blocked_id = $1),"
        " (SELECT kind FROM rel.contacts WHERE owner_id = $1 AND peer_id = $2),"
        " EXISTS (SELECT 1 FROM rel.friend_requests"
        "         WHERE from_id = $1 AND to_id = $2 AND status = 'pending'),"
        " (SELECT id FROM rel.friend_requests"
        "  WHERE from_id = $2 AND to_id = $1 AND status = 'pending')",
        2, params);
    if (res == NULL)
        return st;
    out->blocked_by_target = s_bool(res, 0, 0);
    out->mine = s_kind(res, 0, 1);
    out->my_pending = s_bool(res, 0, 2);
    out->their_pending = !PQgetisnull(res, 0, 3);
    *their_request_id = out->their_pending ? pc_db_i64(res, 0, 3) : 0;
    PQclear(res);
    return PC_OK;
}

pc_status_t rel_store_get_kind(pc_db_t *db, int64_t owner, int64_t peer, rel_kind_t *kind)
{
    pc_db_num_t o = pc_db_num(owner), p = pc_db_num(peer);
    const char *params[] = {o.s, p.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st, "SELECT kind FROM rel.contacts WHERE owner_id = $1 AND peer_id = $2", 2, params);
    if (res == NULL)
        return st;
    *kind = PQntuples(res) == 1 ? s_kind(res, 0, 0) : REL_NONE;
    PQclear(res);
    return PC_OK;
}

pc_status_t rel_store_put_contact(pc_db_t *db, int64_t owner, int64_t peer, rel_kind_t kind,
                                  const char *remark, char **remark_out, int64_t *since_us)
{
    pc_db_num_t o = pc_db_num(owner), p = pc_db_num(peer);
    const char *params[] = {o.s, p.s, rel_kind_name(kind), remark};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        "INSERT INTO rel.contacts AS c (owner_id, peer_id, kind, remark) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (owner_id, peer_id) DO UPDATE"
        " SET kind = EXCLUDED.kind, remark = COALESCE(EXCLUDED.remark, c.remark), since = now()"
        " RETURNING remark, " S_US("since"),
        4, params);
    if (res == NULL)
        return st;
    bool oom = false;
    *remark_out = pc_db_text(res, 0, 0, &oom);
    *since_us = pc_db_i64(res, 0, 1);
    PQclear(res);
    return oom ? PC_INTERNAL : PC_OK;
}

pc_status_t rel_store_delete_contact(pc_db_t *db, int64_t owner, int64_t peer, bool both_sides)
{
    pc_db_num_t o = pc_db_num(owner), p = pc_db_num(peer);
    const char *params[] = {o.s, p.s, both_sides ? "true" : "false"};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "DELETE FROM rel.contacts"
                                " WHERE (owner_id = $1 AND peer_id = $2)"
                                "    OR ($3::bool AND owner_id = $2 AND peer_id = $1)",
                                3, params);
    PQclear(res);
    return st;
}

#define S_REQUEST_COLS "id, from_id, to_id, message, remark, status, " S_US("created_at")

/* Fills *out from one row selected with S_REQUEST_COLS. */
static pc_status_t s_request_row(const PGresult *res, int row, rel_request_row_t *out)
{
    bool oom = false;
    memset(out, 0, sizeof *out);
    out->id = pc_db_i64(res, row, 0);
    out->from_id = pc_db_i64(res, row, 1);
    out->to_id = pc_db_i64(res, row, 2);
    out->message = pc_db_text(res, row, 3, &oom);
    out->remark = pc_db_text(res, row, 4, &oom);
    snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, row, 5));
    out->created_us = pc_db_i64(res, row, 6);
    if (oom) {
        rel_request_row_clear(out);
        return PC_INTERNAL;
    }
    return PC_OK;
}

pc_status_t rel_store_insert_request(pc_db_t *db, int64_t from, int64_t to, const char *message,
                                     const char *remark, rel_request_row_t *out)
{
    pc_db_num_t f = pc_db_num(from), t = pc_db_num(to);
    const char *params[] = {f.s, t.s, message, remark};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "INSERT INTO rel.friend_requests (from_id, to_id, message, remark)"
                                " VALUES ($1, $2, $3, $4) RETURNING " S_REQUEST_COLS,
                                4, params);
    if (res == NULL)
        return st;
    st = s_request_row(res, 0, out);
    PQclear(res);
    return st;
}

pc_status_t rel_store_get_request(pc_db_t *db, int64_t id, bool for_update, rel_request_row_t *out,
                                  bool *found)
{
    pc_db_num_t i = pc_db_num(id);
    const char *params[] = {i.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        for_update ? "SELECT " S_REQUEST_COLS " FROM rel.friend_requests WHERE id = $1 FOR UPDATE"
                   : "SELECT " S_REQUEST_COLS " FROM rel.friend_requests WHERE id = $1",
        1, params);
    if (res == NULL)
        return st;
    *found = PQntuples(res) == 1;
    st = *found ? s_request_row(res, 0, out) : PC_OK;
    PQclear(res);
    return st;
}

pc_status_t rel_store_finish_request(pc_db_t *db, int64_t id, const char *status,
                                     int64_t decided_by, bool *changed)
{
    pc_db_num_t i = pc_db_num(id), by = pc_db_num(decided_by);
    const char *params[] = {i.s, status, by.s};
    long rows;
    pc_status_t st = pc_db_exec_rows(db,
                                     "UPDATE rel.friend_requests"
                                     " SET status = $2, decided_at = now(), decided_by = $3"
                                     " WHERE id = $1 AND status = 'pending'",
                                     3, params, &rows);
    *changed = rows == 1;
    return st;
}

pc_status_t rel_store_list_contacts(pc_db_t *db, int64_t me, rel_contact_row_t **rows_out,
                                    size_t *n_out)
{
    pc_db_num_t m = pc_db_num(me), lim = pc_db_num(REL_LIST_MAX);
    const char *params[] = {m.s, lim.s};
    pc_status_t st = PC_OK;
    /* My rows, each with the other side's row; then my followers: their
     * one_way rows on me where I hold nothing on them. O(contacts). */
    PGresult *res = pc_db_query(
        db, &st,
        "SELECT peer, mine, theirs, remark, since_us FROM ("
        " SELECT m.peer_id AS peer, m.kind AS mine, t.kind AS theirs, m.remark,"
        "        (extract(epoch from m.since) * 1000000)::int8 AS since_us"
        " FROM rel.contacts m"
        " LEFT JOIN rel.contacts t ON t.owner_id = m.peer_id AND t.peer_id = m.owner_id"
        " WHERE m.owner_id = $1"
        " UNION ALL"
        " SELECT f.owner_id, NULL, f.kind, NULL, (extract(epoch from f.since) * 1000000)::int8"
        " FROM rel.contacts f"
        " WHERE f.peer_id = $1 AND f.kind = 'one_way'"
        "   AND NOT EXISTS (SELECT 1 FROM rel.contacts m"
        "                   WHERE m.owner_id = $1 AND m.peer_id = f.owner_id)"
        ") AS l ORDER BY since_us DESC, peer DESC LIMIT $2",
        2, params);
    if (res == NULL)
        return st;
    size_t n = (size_t)PQntuples(res);
    rel_contact_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    bool oom = rows == NULL;
    for (size_t i = 0; !oom && i < n; i++) {
        rows[i].peer_id = pc_db_i64(res, (int)i, 0);
        rows[i].mine = s_kind(res, (int)i, 1);
        rows[i].theirs = s_kind(res, (int)i, 2);
        rows[i].remark = pc_db_text(res, (int)i, 3, &oom);
        rows[i].since_us = pc_db_i64(res, (int)i, 4);
    }
    PQclear(res);
    if (oom) {
        rel_contact_rows_free(rows, n);
        return PC_INTERNAL;
    }
    *rows_out = rows;
    *n_out = n;
    return PC_OK;
}

pc_status_t rel_store_list_requests(pc_db_t *db, int64_t me, bool incoming,
                                    rel_request_row_t **rows_out, size_t *n_out)
{
    pc_db_num_t m = pc_db_num(me), lim = pc_db_num(REL_LIST_MAX);
    const char *params[] = {m.s, lim.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        incoming ? "SELECT " S_REQUEST_COLS " FROM rel.friend_requests"
                   " WHERE to_id = $1 AND status = 'pending' ORDER BY id DESC LIMIT $2"
                 : "SELECT " S_REQUEST_COLS " FROM rel.friend_requests"
                   " WHERE from_id = $1 AND status = 'pending' ORDER BY id DESC LIMIT $2",
        2, params);
    if (res == NULL)
        return st;
    size_t n = (size_t)PQntuples(res);
    rel_request_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    st = rows == NULL ? PC_INTERNAL : PC_OK;
    for (size_t i = 0; st == PC_OK && i < n; i++)
        st = s_request_row(res, (int)i, &rows[i]);
    PQclear(res);
    if (st != PC_OK) {
        rel_request_rows_free(rows, n);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return PC_OK;
}

pc_status_t rel_store_is_blocked(pc_db_t *db, int64_t owner, int64_t blocked, bool *yes)
{
    pc_db_num_t o = pc_db_num(owner), b = pc_db_num(blocked);
    const char *params[] = {o.s, b.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st, "SELECT 1 FROM rel.blocks WHERE owner_id = $1 AND blocked_id = $2", 2, params);
    if (res == NULL)
        return st;
    *yes = PQntuples(res) == 1;
    PQclear(res);
    return PC_OK;
}

pc_status_t rel_store_block(pc_db_t *db, int64_t owner, int64_t blocked, bool *changed)
{
    pc_db_num_t o = pc_db_num(owner), b = pc_db_num(blocked);
    const char *params[] = {o.s, b.s};
    long rows;
    pc_status_t st = pc_db_exec_rows(db,
                                     "INSERT INTO rel.blocks (owner_id, blocked_id) VALUES ($1, $2)"
                                     " ON CONFLICT (owner_id, blocked_id) DO NOTHING",
                                     2, params, &rows);
    *changed = rows == 1;
    return st;
}

pc_status_t rel_store_unblock(pc_db_t *db, int64_t owner, int64_t blocked, bool *changed)
{
    pc_db_num_t o = pc_db_num(owner), b = pc_db_num(blocked);
    const char *params[] = {o.s, b.s};
    long rows;
    pc_status_t st = pc_db_exec_rows(
        db, "DELETE FROM rel.blocks WHERE owner_id = $1 AND blocked_id = $2", 2, params, &rows);
    *changed = rows == 1;
    return st;
}

pc_status_t rel_store_list_blocks(pc_db_t *db, int64_t owner, int64_t **ids_out, size_t *n_out)
{
    pc_db_num_t o = pc_db_num(owner), lim = pc_db_num(REL_LIST_MAX);
    const char *params[] = {o.s, lim.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(db, &st,
                                "SELECT blocked_id FROM rel.blocks WHERE owner_id = $1"
                                " ORDER BY created_at DESC, blocked_id DESC LIMIT $2",
                                2, params);
    if (res == NULL)
        return st;
    size_t n = (size_t)PQntuples(res);
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids == NULL) {
        PQclear(res);
        return PC_INTERNAL;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = pc_db_i64(res, (int)i, 0);
    PQclear(res);
    *ids_out = ids;
    *n_out = n;
    return PC_OK;
}

pc_status_t rel_store_may_message(pc_db_t *db, int64_t sender, int64_t recipient,
                                  bool *recipient_blocked_sender, rel_kind_t *sender_holds,
                                  rel_kind_t *recipient_holds)
{
    pc_db_num_t s = pc_db_num(sender), r = pc_db_num(recipient);
    const char *params[] = {s.s, r.s};
    pc_status_t st = PC_OK;
    PGresult *res = pc_db_query(
        db, &st,
        "SELECT EXISTS (SELECT 1 FROM rel.blocks WHERE owner_id = $2 AND blocked_id = $1),"
        " (SELECT kind FROM rel.contacts WHERE owner_id = $1 AND peer_id = $2),"
        " (SELECT kind FROM rel.contacts WHERE owner_id = $2 AND peer_id = $1)",
        2, params);
    if (res == NULL)
        return st;
    *recipient_blocked_sender = s_bool(res, 0, 0);
    *sender_holds = s_kind(res, 0, 1);
    *recipient_holds = s_kind(res, 0, 2);
    PQclear(res);
    return PC_OK;
}
