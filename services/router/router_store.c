/* router_store.c - every SQL statement of pigeon-router (see router_store.h).
 *
 * Parameters travel as text; times come back as whole microseconds. Cost
 * notes: a batch of direct sends is one prepared statement, whatever its
 * size (router_store_insert_direct); a group send is six statements of
 * primary-key probes and inserts (seven with media); history is one range
 * scan of the messages primary key. */
#include "router_store.h"

#include "router_store_group.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_US(col) "(extract(epoch from " col ") * 1000000)::int8"
/* The message columns every reader selects, in the order s_msg_read expects. */
#define S_MSG_COLS(p)                                                                              \
    p "conversation_id, " p "seq, " p "sender_id, " p "kind, " p "text, " p "media_id, " p         \
      "client_msg_id, " S_US(p "created_at") ", " p "recalled"
#define S_MSG_NCOLS 9

/* Reads S_MSG_COLS starting at column col; false on OOM. */
static bool s_msg_read(const PGresult *res, int row, int col, router_msg_row_t *m)
{
    bool oom = false;
    memset(m, 0, sizeof *m);
    snprintf(m->cid, sizeof m->cid, "%s", PQgetvalue(res, row, col));
    m->seq = pc_db_i64(res, row, col + 1);
    m->sender_id = pc_db_i64(res, row, col + 2);
    snprintf(m->kind, sizeof m->kind, "%s", PQgetvalue(res, row, col + 3));
    m->text = pc_db_text(res, row, col + 4, &oom);
    m->has_media = !PQgetisnull(res, row, col + 5);
    m->media_id = m->has_media ? pc_db_i64(res, row, col + 5) : 0;
    m->client_msg_id = pc_db_text(res, row, col + 6, &oom);
    m->created_us = pc_db_i64(res, row, col + 7);
    m->recalled = PQgetvalue(res, row, col + 8)[0] == 't';
    if (oom)
        router_msg_row_clear(m);
    return !oom;
}

void router_msg_row_clear(router_msg_row_t *row)
{
    if (row == NULL)
        return;
    free(row->text);
    free(row->client_msg_id);
    memset(row, 0, sizeof *row);
}

void router_msg_rows_free(router_msg_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        router_msg_row_clear(&rows[i]);
    free(rows);
}

void router_conv_rows_free(router_conv_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        router_msg_row_clear(&rows[i].last);
    free(rows);
}

int router_store_find_client(pc_db_t *db, int64_t sender, const char *client_msg_id,
                             const char *request_id, router_msg_row_t *row, bool *found,
                             bool *same_request)
{
    static const char sql[] =
        "SELECT " S_MSG_COLS("m.") ", ci.request_id IS NOT DISTINCT FROM $3 "
                                   "FROM msg.client_ids ci "
                                   "JOIN msg.messages m ON m.conversation_id = ci.conversation_id "
                                   "AND m.seq = ci.seq "
                                   "WHERE ci.sender_id = $1 AND ci.client_msg_id = $2";
    pc_db_num_t a = pc_db_num(sender);
    const char *p[] = {a.s, client_msg_id, request_id ? request_id : ""};
    pc_status_t st;
    *found = false;
    *same_request = false;
    PGresult *res = pc_db_query_prepared(db, &st, "router_find_client", sql, 3, p);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    if (PQntuples(res) == 1) {
        *found = true;
        *same_request = request_id != NULL && PQgetvalue(res, 0, S_MSG_NCOLS)[0] == 't';
        if (!s_msg_read(res, 0, 0, row))
            rc = PC_INTERNAL;
    }
    PQclear(res);
    return rc;
}

/* Moves `user`'s read position forward to seq (count: messages.counted at
 * seq), creating the row when needed; with other > 0 also creates the other
 * user's row at 0. A row already at or past seq is not written at all. */
static int s_touch_members(pc_db_t *db, const char *cid, int64_t user, int64_t seq, int64_t count,
                           int64_t other)
{
    static const char sql[] =
        "INSERT INTO msg.members AS m (user_id, conversation_id, read_seq, read_count) "
        "SELECT * FROM (VALUES ($1::int8, $2::text, $3::int8, $4::int8), "
        "($5::int8, $2::text, 0::int8, 0::int8)) v WHERE v.column1 > 0 "
        "ON CONFLICT (user_id, conversation_id) DO UPDATE "
        "SET read_seq = EXCLUDED.read_seq, read_count = EXCLUDED.read_count "
        "WHERE EXCLUDED.read_seq > m.read_seq";
    pc_db_num_t u = pc_db_num(user), s = pc_db_num(seq), c = pc_db_num(count), o = pc_db_num(other);
    const char *p[] = {u.s, cid, s.s, c.s, o.s};
    pc_status_t st;
    PGresult *res = pc_db_query_prepared(db, &st, "router_touch_members", sql, 5, p);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

/* media_refs: the side table "which messages carry media M" (DESIGN.md
 * "Storage"), filled with the message, emptied by its recall. */
static int s_add_media_ref(pc_db_t *db, int64_t media_id, const char *cid, int64_t seq)
{
    static const char sql[] = "INSERT INTO msg.media_refs (media_id, conversation_id, seq) "
                              "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    pc_db_num_t m = pc_db_num(media_id), q = pc_db_num(seq);
    const char *p[] = {m.s, cid, q.s};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, 3, p);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

int router_store_insert_send(pc_db_t *db, const router_send_row_t *s, bool *inserted, int64_t *seq,
                             int64_t *created_us)
{
    /* The client id goes first: ON CONFLICT DO NOTHING waits for a
     * concurrent transaction holding the same key and then yields no row, so
     * the conversation upsert and the message insert (fed by it) do nothing
     * and no seq is taken. */
    static const char sql[] =
        "WITH ci AS (INSERT INTO msg.client_ids (sender_id, client_msg_id, conversation_id, seq, "
        "  request_id) VALUES ($1, $2, $3, 0, $7) ON CONFLICT DO NOTHING RETURNING 1), "
        "cv AS (INSERT INTO msg.conversations AS c (id, kind, last_seq, counted, updated_at) "
        "  SELECT $3, 'direct', 1, 1, now() FROM ci "
        "  ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + 1, counted = c.counted + 1, "
        "  updated_at = now() RETURNING c.last_seq, c.counted) "
        "INSERT INTO msg.messages (conversation_id, seq, sender_id, kind, text, media_id, "
        "  client_msg_id, counted) "
        "SELECT $3, cv.last_seq, $1, $4, $5, $6::int8, $2, cv.counted FROM cv "
        "RETURNING seq, counted, " S_US("created_at");
    static const char sql_seq[] =
        "UPDATE msg.client_ids SET seq = $3 WHERE sender_id = $1 AND client_msg_id = $2";
    pc_db_num_t a = pc_db_num(s->sender), m = pc_db_num(s->media_id);
    const char *p[] = {a.s,     s->client_msg_id,          s->cid,       s->kind,
                       s->text, s->has_media ? m.s : NULL, s->request_id};
    pc_status_t st;
    *inserted = false;
    if (s->is_group) { /* locks the conversation row first: see router_store_group.h */
        bool member = false;
        int rc = router_store_group_may_post(db, s->cid, s->sender, &member);
        if (rc != PC_OK || !member)
            return rc;
    }
    PGresult *res = pc_db_query_prepared(db, &st, "router_insert_send", sql, 7, p);
    if (res == NULL)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return PC_OK; /* a duplicate */
    }
    *seq = pc_db_i64(res, 0, 0);
    int64_t count = pc_db_i64(res, 0, 1);
    *created_us = pc_db_i64(res, 0, 2);
    PQclear(res);
    pc_db_num_t q = pc_db_num(*seq);
    const char *p2[] = {a.s, s->client_msg_id, q.s};
    res = pc_db_query_prepared(db, &st, "router_client_seq", sql_seq, 3, p2);
    if (res == NULL)
        return st;
    PQclear(res);
    if (s->has_media && (st = s_add_media_ref(db, s->media_id, s->cid, *seq)) != PC_OK)
        return st;
    /* Both members exist from the first message on; later ones only move the
     * sender's read position. */
    int rc = s_touch_members(db, s->cid, s->sender, *seq, count, *seq == 1 ? s->recipient : 0);
    if (rc == PC_OK)
        *inserted = true;
    return rc;
}

/* One statement for a whole batch of direct sends (router_store.h). The
 * batch arrives as parallel arrays, one element per send in the committer's
 * order (by conversation id, arrival within it):
 *   f   the sends that take a seq: not stored before (the client id is not
 *       in msg.client_ids as of this statement's snapshot) and the first of
 *       each (sender, client_msg_id) within the batch;
 *   cv  each conversation's last_seq and counted moved by its number of
 *       such sends, rows locked in conversation id order (COLLATE "C", the
 *       committer's strcmp order, whatever the database's collation);
 *   s   seqs from the new last_seq: last_seq - k + r for the r-th of k sends
 *       of a conversation, so they are contiguous and in arrival order;
 *   then the messages, their client ids (with their seq at once), media
 *   references and members: per (user, conversation) the highest read
 *   position of the batch - the sender's own newest message, and 0 for the
 *   recipient when the conversation starts in it.
 * A client id stored by a concurrent transaction after the snapshot makes
 * the client_ids insert fail with a unique violation (the whole statement
 * is undone; the committer retries the batch, which then sees it). */
#define S_DIRECT_INPUT                                                                             \
    "WITH b AS (SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], "             \
    "  $5::text[], $6::int8[], $7::text[], $8::int8[]) "                                           \
    "  WITH ORDINALITY AS b(sender, cmid, cid, kind, body, media, rid, recipient, ord)), "
/* f with the given filter of b (empty, or a WHERE clause). */
#define S_DIRECT_FIRST(filter)                                                                     \
    "f AS (SELECT DISTINCT ON (b.sender, b.cmid) b.* FROM b " filter                               \
    "  ORDER BY b.sender, b.cmid, b.ord), "
#define S_DIRECT_STORE                                                                             \
    "n AS (SELECT f.*, row_number() OVER (PARTITION BY f.cid ORDER BY f.ord) AS r, "               \
    "  count(*) OVER (PARTITION BY f.cid) AS k FROM f), "                                          \
    "cv AS (INSERT INTO msg.conversations AS c (id, kind, last_seq, counted, updated_at) "         \
    "  SELECT cid, 'direct', count(*), count(*), now() FROM f "                                    \
    "  GROUP BY cid ORDER BY cid COLLATE \"C\" "                                                   \
    "  ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq, "                 \
    "  counted = c.counted + EXCLUDED.counted, updated_at = now() "                                \
    "  RETURNING c.id, c.last_seq, c.counted), "                                                   \
    "s AS (SELECT n.*, cv.last_seq - n.k + n.r AS seq, cv.counted - n.k + n.r AS cnt "             \
    "  FROM n JOIN cv ON cv.id = n.cid), "                                                         \
    "m AS (INSERT INTO msg.messages (conversation_id, seq, sender_id, kind, text, media_id, "       \
    "  client_msg_id, counted) SELECT cid, seq, sender, kind, body, media, cmid, cnt FROM s), "    \
    "ci AS (INSERT INTO msg.client_ids (sender_id, client_msg_id, conversation_id, seq, "          \
    "  request_id) SELECT sender, cmid, cid, seq, rid FROM s), "                                   \
    "mr AS (INSERT INTO msg.media_refs (media_id, conversation_id, seq) "                          \
    "  SELECT media, cid, seq FROM s WHERE media IS NOT NULL ON CONFLICT DO NOTHING), "            \
    "mb AS (INSERT INTO msg.members AS mb (user_id, conversation_id, read_seq, read_count) "       \
    "  SELECT u, cid, max(rs), max(rc) FROM (SELECT sender AS u, cid, seq AS rs, cnt AS rc "       \
    "    FROM s UNION ALL SELECT recipient, cid, 0, 0 FROM s WHERE seq = 1) x "                    \
    "  GROUP BY u, cid ORDER BY u, cid COLLATE \"C\" "                                             \
    "  ON CONFLICT (user_id, conversation_id) DO UPDATE "                                          \
    "  SET read_seq = EXCLUDED.read_seq, read_count = EXCLUDED.read_count "                        \
    "  WHERE EXCLUDED.read_seq > mb.read_seq) "                                                    \
    "SELECT ord, seq, " S_US("now()") " FROM s"

static const char s_sql_direct[] =
    S_DIRECT_INPUT S_DIRECT_FIRST("WHERE NOT EXISTS (SELECT 1 FROM msg.client_ids ci "
                                  "  WHERE ci.sender_id = b.sender AND ci.client_msg_id = b.cmid)")
        S_DIRECT_STORE;

/* The same without looking for stored client ids: every table it touches
 * is reached through a unique index (ON CONFLICT, or the unique check of
 * an insert), so its plan does not depend on how big the tables are and a
 * connection may keep one generic plan (pc_db_use_generic_plans). A resend
 * fails it with a unique violation on msg.client_ids. */
static const char s_sql_direct_new[] = S_DIRECT_INPUT S_DIRECT_FIRST("") S_DIRECT_STORE;

#define S_DIRECT_COLS 8

int router_store_insert_direct(pc_db_t *db, const router_send_row_t *const *s, size_t n,
                               bool all_new, router_send_result_t *out)
{
    int rc = PC_INTERNAL;
    /* Column-major: col[c * n + i] is column c of send i. */
    const char **col = calloc(n * S_DIRECT_COLS, sizeof *col);
    pc_db_num_t *nums = calloc(n * 3, sizeof *nums);
    char *arrays[S_DIRECT_COLS] = {0};
    if (col == NULL || nums == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const router_send_row_t *r = s[i];
        nums[3 * i] = pc_db_num(r->sender);
        nums[3 * i + 1] = pc_db_num(r->media_id);
        nums[3 * i + 2] = pc_db_num(r->recipient);
        col[0 * n + i] = nums[3 * i].s;
        col[1 * n + i] = r->client_msg_id;
        col[2 * n + i] = r->cid;
        col[3 * n + i] = r->kind;
        col[4 * n + i] = r->text;
        col[5 * n + i] = r->has_media ? nums[3 * i + 1].s : NULL;
        col[6 * n + i] = r->request_id;
        col[7 * n + i] = nums[3 * i + 2].s;
        out[i] = (router_send_result_t){0};
    }
    for (int c = 0; c < S_DIRECT_COLS; c++)
        if ((arrays[c] = pc_db_text_array(col + (size_t)c * n, n)) == NULL)
            goto done;
    pc_status_t st;
    PGresult *res = all_new ? pc_db_query_prepared(db, &st, "router_insert_direct_new",
                                                   s_sql_direct_new, S_DIRECT_COLS,
                                                   (const char *const *)arrays)
                            : pc_db_query_prepared(db, &st, "router_insert_direct", s_sql_direct,
                                                   S_DIRECT_COLS, (const char *const *)arrays);
    if (res == NULL) {
        rc = st;
        goto done;
    }
    rc = PC_OK;
    for (int row = 0; row < PQntuples(res); row++) {
        int64_t ord = pc_db_i64(res, row, 0);
        if (ord < 1 || (size_t)ord > n) {
            rc = PC_INTERNAL;
            break;
        }
        router_send_result_t *o = &out[ord - 1];
        o->inserted = true;
        o->seq = pc_db_i64(res, row, 1);
        o->created_us = pc_db_i64(res, row, 2);
    }
    PQclear(res);
done:
    for (int c = 0; c < S_DIRECT_COLS; c++)
        free(arrays[c]);
    free(nums);
    free(col);
    return rc;
}

int router_store_append_system(pc_db_t *db, const char *cid, int64_t actor, const char *text,
                               router_msg_row_t *row)
{
    static const char sql[] =
        "WITH cv AS (UPDATE msg.conversations SET last_seq = last_seq + 1, updated_at = now() "
        "  WHERE id = $1 RETURNING last_seq, counted) "
        "INSERT INTO msg.messages (conversation_id, seq, sender_id, kind, text, counted) "
        "SELECT $1, cv.last_seq, $2, 'system', $3, cv.counted FROM cv "
        "RETURNING " S_MSG_COLS("") ", counted";
    pc_db_num_t a = pc_db_num(actor);
    const char *p[] = {cid, a.s, text};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, 3, p);
    if (res == NULL)
        return st;
    int rc = PC_INTERNAL; /* no row: the conversation vanished */
    int64_t count = 0;
    if (PQntuples(res) == 1) {
        rc = s_msg_read(res, 0, 0, row) ? PC_OK : PC_INTERNAL;
        count = pc_db_i64(res, 0, S_MSG_NCOLS);
    }
    PQclear(res);
    if (rc == PC_OK)
        rc = s_touch_members(db, cid, actor, row->seq, count, 0);
    return rc;
}

/* With $4 (a viewer), only the seqs inside their periods. */
#define S_VISIBLE                                                                                  \
    " AND ($4::int8 IS NULL OR EXISTS (SELECT 1 FROM msg.group_ranges r "                          \
    "WHERE r.conversation_id = $1 AND r.user_id = $4 AND r.from_seq <= seq "                       \
    "AND (r.to_seq IS NULL OR r.to_seq >= seq))) "

int router_store_history(pc_db_t *db, const char *cid, const router_page_t *page, int64_t viewer,
                         router_msg_row_t **rows, size_t *n)
{
    static const char sql_after[] =
        "SELECT " S_MSG_COLS("") " FROM msg.messages "
                                 "WHERE conversation_id = $1 AND seq > $2 " S_VISIBLE
                                 "ORDER BY seq LIMIT $3";
    static const char sql_before[] =
        "SELECT " S_MSG_COLS("") " FROM msg.messages "
                                 "WHERE conversation_id = $1 AND seq < $2 " S_VISIBLE
                                 "ORDER BY seq DESC LIMIT $3";
    static const char sql_latest[] =
        "SELECT " S_MSG_COLS("") " FROM msg.messages "
                                 "WHERE conversation_id = $1 AND $2::int8 IS NULL " S_VISIBLE
                                 "ORDER BY seq DESC LIMIT $3";
    const char *sql = !page->has_bound ? sql_latest : page->descending ? sql_before : sql_after;
    pc_db_num_t b = pc_db_num(page->bound), l = pc_db_num((int64_t)page->limit + 1), v = pc_db_num(viewer);
    const char *p[] = {cid, page->has_bound ? b.s : NULL, l.s, viewer > 0 ? v.s : NULL};
    pc_status_t st;
    *rows = NULL;
    *n = 0;
    PGresult *res = pc_db_query(db, &st, sql, 4, p);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    size_t count = (size_t)PQntuples(res);
    router_msg_row_t *out = count ? calloc(count, sizeof *out) : NULL;
    if (count && out == NULL)
        rc = PC_INTERNAL;
    for (size_t i = 0; rc == PC_OK && i < count; i++) {
        /* Descending reads are returned ascending. */
        size_t at = page->descending ? count - 1 - i : i;
        if (!s_msg_read(res, (int)i, 0, &out[at]))
            rc = PC_INTERNAL;
    }
    PQclear(res);
    if (rc != PC_OK) {
        router_msg_rows_free(out, count);
        return rc;
    }
    *rows = out;
    *n = count;
    return PC_OK;
}

int router_store_conversations(pc_db_t *db, int64_t user, router_conv_row_t **rows, size_t *n)
{
    /* A former group member's line ends at members.visible_to. */
    static const char sql[] =
        "SELECT c.id, c.kind, COALESCE(m.visible_to, c.last_seq), m.read_seq, "
        "  CASE WHEN m.visible_to IS NULL THEN c.counted ELSE COALESCE(x.counted, 0) END "
        "  - m.read_count, " S_US("CASE WHEN m.visible_to IS NULL THEN c.updated_at "
                                 "ELSE COALESCE(x.created_at, c.updated_at) END") ", "
        "  p.read_seq, " S_MSG_COLS("x.") " "
        "FROM msg.members m JOIN msg.conversations c ON c.id = m.conversation_id "
        "LEFT JOIN msg.members p ON c.kind = 'direct' AND p.conversation_id = m.conversation_id "
        "  AND p.user_id <> m.user_id "
        "LEFT JOIN msg.messages x ON x.conversation_id = c.id "
        "  AND x.seq = COALESCE(m.visible_to, c.last_seq) "
        "WHERE m.user_id = $1 ORDER BY 6 DESC, c.id DESC LIMIT 1000";
    pc_db_num_t u = pc_db_num(user);
    const char *p[] = {u.s};
    pc_status_t st;
    *rows = NULL;
    *n = 0;
    PGresult *res = pc_db_query(db, &st, sql, 1, p);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    size_t count = (size_t)PQntuples(res);
    router_conv_row_t *out = count ? calloc(count, sizeof *out) : NULL;
    if (count && out == NULL)
        rc = PC_INTERNAL;
    for (size_t i = 0; rc == PC_OK && i < count; i++) {
        router_conv_row_t *c = &out[i];
        int r = (int)i;
        snprintf(c->cid, sizeof c->cid, "%s", PQgetvalue(res, r, 0));
        c->is_group = strcmp(PQgetvalue(res, r, 1), "group") == 0;
        c->last_seq = pc_db_i64(res, r, 2);
        c->read_seq = pc_db_i64(res, r, 3);
        c->unread = router_unread(pc_db_i64(res, r, 4), 0);
        c->updated_us = pc_db_i64(res, r, 5);
        c->has_peer_read = !PQgetisnull(res, r, 6);
        c->peer_read_seq = c->has_peer_read ? pc_db_i64(res, r, 6) : 0;
        c->has_last = !PQgetisnull(res, r, 7);
        if (c->has_last && !s_msg_read(res, r, 7, &c->last))
            rc = PC_INTERNAL;
    }
    PQclear(res);
    if (rc != PC_OK) {
        router_conv_rows_free(out, count);
        return rc;
    }
    *rows = out;
    *n = count;
    return PC_OK;
}

int router_store_read_state(pc_db_t *db, int64_t user, const char *cid, int64_t *read_seq,
                            int64_t *last_seq, bool *found)
{
    static const char sql[] = "SELECT m.read_seq, c.last_seq FROM msg.members m "
                              "JOIN msg.conversations c ON c.id = m.conversation_id "
                              "WHERE m.user_id = $1 AND m.conversation_id = $2 FOR UPDATE OF m";
    pc_db_num_t u = pc_db_num(user);
    const char *p[] = {u.s, cid};
    pc_status_t st;
    *found = false;
    PGresult *res = pc_db_query(db, &st, sql, 2, p);
    if (res == NULL)
        return st;
    if (PQntuples(res) == 1) {
        *found = true;
        *read_seq = pc_db_i64(res, 0, 0);
        *last_seq = pc_db_i64(res, 0, 1);
    }
    PQclear(res);
    return PC_OK;
}

int router_store_set_read(pc_db_t *db, int64_t user, const char *cid, int64_t seq)
{
    static const char sql[] =
        "UPDATE msg.members SET read_seq = $3, read_count = COALESCE((SELECT x.counted "
        "FROM msg.messages x WHERE x.conversation_id = $2 AND x.seq = $3), 0) "
        "WHERE user_id = $1 AND conversation_id = $2";
    pc_db_num_t u = pc_db_num(user), s = pc_db_num(seq);
    const char *p[] = {u.s, cid, s.s};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql, 3, p);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

int router_store_get_message(pc_db_t *db, const char *cid, int64_t seq, bool for_update,
                             router_msg_row_t *row, double *age_s, bool *found)
{
    static const char sql[] =
        "SELECT " S_MSG_COLS("") ", "
                                 "extract(epoch from now() - created_at)::float8 "
                                 "FROM msg.messages WHERE conversation_id = $1 AND seq = $2";
    static const char sql_lock[] =
        "SELECT " S_MSG_COLS("") ", "
                                 "extract(epoch from now() - created_at)::float8 "
                                 "FROM msg.messages WHERE conversation_id = $1 AND seq = $2 "
                                 "FOR UPDATE";
    pc_db_num_t s = pc_db_num(seq);
    const char *p[] = {cid, s.s};
    pc_status_t st;
    *found = false;
    PGresult *res = pc_db_query(db, &st, for_update ? sql_lock : sql, 2, p);
    if (res == NULL)
        return st;
    int rc = PC_OK;
    if (PQntuples(res) == 1) {
        *found = true;
        *age_s = strtod(PQgetvalue(res, 0, S_MSG_NCOLS), NULL);
        if (!s_msg_read(res, 0, 0, row))
            rc = PC_INTERNAL;
    }
    PQclear(res);
    return rc;
}

int router_store_recall(pc_db_t *db, const char *cid, int64_t seq)
{
    /* The media reference goes with the media: a recalled image is no
     * longer readable through this message (msg.media_access). */
    static const char sql_refs[] =
        "DELETE FROM msg.media_refs r USING msg.messages m "
        "WHERE m.conversation_id = $1 AND m.seq = $2 AND r.media_id = m.media_id "
        "AND r.conversation_id = $1 AND r.seq = $2";
    static const char sql[] = "UPDATE msg.messages SET recalled = true, text = NULL, "
                              "media_id = NULL WHERE conversation_id = $1 AND seq = $2";
    pc_db_num_t s = pc_db_num(seq);
    const char *p[] = {cid, s.s};
    pc_status_t st;
    PGresult *res = pc_db_query(db, &st, sql_refs, 2, p);
    if (res == NULL)
        return st;
    PQclear(res);
    res = pc_db_query(db, &st, sql, 2, p);
    if (res == NULL)
        return st;
    PQclear(res);
    return PC_OK;
}

int router_store_media_refs(pc_db_t *db, int64_t media_id, int64_t user, router_media_ref_t *refs,
                            size_t max, size_t *n)
{
    static const char sql[] =
        "SELECT r.conversation_id, r.seq FROM msg.media_refs r "
        "JOIN msg.members m ON m.conversation_id = r.conversation_id AND m.user_id = $2 "
        "WHERE r.media_id = $1 ORDER BY r.conversation_id, r.seq LIMIT $3";
    pc_db_num_t m = pc_db_num(media_id), u = pc_db_num(user), l = pc_db_num((int64_t)max);
    const char *p[] = {m.s, u.s, l.s};
    pc_status_t st;
    *n = 0;
    PGresult *res = pc_db_query(db, &st, sql, 3, p);
    if (res == NULL)
        return st;
    for (int i = 0; i < PQntuples(res) && *n < max; i++) {
        snprintf(refs[*n].cid, sizeof refs[*n].cid, "%s", PQgetvalue(res, i, 0));
        refs[*n].seq = pc_db_i64(res, i, 1);
        (*n)++;
    }
    PQclear(res);
    return PC_OK;
}
