/* grp_handlers.c - the group itself: grp.create, grp.get, grp.patch,
 * grp.dismiss, grp.mine, grp.search. */
#include <stdlib.h>
#include <string.h>

#include "bigram.h"
#include "grp_handlers.h"
#include "utf8.h"

/* Empty optional text means "none" (stored and shown as null). */
static const char *s_nonempty(const char *text)
{
    return text != NULL && text[0] != '\0' ? text : NULL;
}

static int s_bad_name(pc_call_t *call)
{
    return pc_call_error(call, PC_INVALID_ARGUMENT,
                         "name must be 1 to %d characters of UTF-8 text without control characters",
                         GRP_NAME_MAX_CHARS);
}

static int s_bad_description(pc_call_t *call)
{
    return pc_call_error(call, PC_INVALID_ARGUMENT,
                         "description must be at most %d characters of UTF-8 text without control "
                         "characters",
                         GRP_DESCRIPTION_MAX_CHARS);
}

/* Sorted, unique, positive ids without `me` into out (room for n); the count. */
static size_t s_unique_others(const int64_t *ids, size_t n, int64_t me, int64_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = ids[i] == me;
        for (size_t j = 0; j < k && !seen; j++)
            seen = out[j] == ids[i];
        if (!seen)
            out[k++] = ids[i];
    }
    return k;
}

/* Replies with the group row re-read (member_count after the writes). */
static int s_reply_group(pc_call_t *call, int status, int64_t id, const char *event, bool publish)
{
    grp_group_row_t row;
    bool found = false;
    int st = grp_store_get_group(pc_call_db(call), id, false, &row, &found);
    if (st != PC_OK || !found)
        return pc_handler_store_failed(call, st == PC_OK ? PC_INTERNAL : st, "read the group");
    Pigeon__Grp__Group g;
    grp_group_pb(&row, &g);
    if (publish)
        grp_publish_members(call, id, 0, event, &g, NULL);
    st = pc_call_reply(call, status, &g.base);
    grp_group_row_clear(&row);
    return st;
}

int grp_h_create(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__CreateRequest *req =
        pc_handler_request(call, &pigeon__grp__create_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (!pc_utf8_text_ok(req->name, 1, GRP_NAME_MAX_CHARS))
        return s_bad_name(call);
    if (!grp_text_ok(req->description, GRP_DESCRIPTION_MAX_CHARS))
        return s_bad_description(call);
    grp_policy_t policy =
        req->join_policy ? grp_policy_parse(req->join_policy) : GRP_POLICY_APPROVAL;
    if (policy == GRP_POLICY_INVALID)
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "join_policy must be \"open\", \"approval\" or \"invite_only\"");
    if (req->n_member_ids > GRP_MAX_NAMED)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "member_ids may name at most %d users",
                             GRP_MAX_NAMED);
    for (size_t i = 0; i < req->n_member_ids; i++)
        if (req->member_ids[i] <= 0)
            return pc_call_error(call, PC_INVALID_ARGUMENT, "member_ids must be positive integers");

    st = PC_OK;
    char *key = NULL, *grams = NULL;
    int64_t *ids = malloc((req->n_member_ids + 1) * sizeof *ids);
    if (ids == NULL)
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    ids[0] = me; /* the owner first: the order of the created change's user_ids */
    size_t n = 1 + s_unique_others(req->member_ids, req->n_member_ids, me, ids + 1);
    st = grp_require_contacts(call, me, ids + 1, n - 1);
    if (st != PC_OK)
        goto done;

    size_t n_grams = 0;
    key = pc_bigram_fold(req->name);
    grams = key ? pc_bigram_grams(key, true, &n_grams) : NULL;
    if (grams == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    pc_db_t *db = pc_call_db(call);
    grp_group_row_t row;
    memset(&row, 0, sizeof row);
    st = pc_call_begin_write(call);
    if (st == PC_OK)
        st = grp_store_create_group(db, req->name, key, grams, s_nonempty(req->description), policy,
                                    me, &row);
    for (size_t i = 0; st == PC_OK && i < n; i++) {
        bool added = false;
        grp_member_row_t m;
        st = grp_store_add_member(db, row.id, ids[i], i == 0 ? GRP_ROLE_OWNER : GRP_ROLE_MEMBER,
                                  &added, &m);
    }
    int64_t id = row.id;
    grp_group_row_clear(&row);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "create the group");
        goto done;
    }
    st = grp_record_change(call, id, "created", me, ids, n, NULL, false);
    if (st == PC_OK)
        st = s_reply_group(call, PC_CREATED, id, "created", true);
done:
    free(ids);
    free(key);
    free(grams);
    return st;
}

int grp_h_get(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__GroupIdRequest *req =
        pc_handler_request(call, &pigeon__grp__group_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    grp_ctx_t ctx;
    st = grp_ctx_load(call, req->group_id, me, false, GRP_NEED_VISIBLE, &ctx);
    if (st == PC_OK) {
        Pigeon__Grp__Group g;
        grp_group_pb(&ctx.group, &g);
        st = pc_call_reply(call, PC_OK, &g.base);
    }
    grp_ctx_clear(&ctx);
    return st;
}

/* What a PATCH asks for, validated. */
typedef struct {
    const char *name;        /* new name or NULL */
    bool set_description;    /* description given (or null) */
    const char *description; /* new description, NULL clears */
    grp_policy_t policy;     /* new policy or GRP_POLICY_INVALID */
} s_patch_t;

static int s_patch_parse(pc_call_t *call, const Pigeon__Grp__PatchRequest *req, s_patch_t *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < req->n_null_fields; i++) {
        const char *f = req->null_fields[i];
        if (strcmp(f, "description") == 0) {
            p->set_description = true;
        } else if (strcmp(f, "name") == 0 || strcmp(f, "join_policy") == 0) {
            return pc_call_error(call, PC_INVALID_ARGUMENT, "%s cannot be null", f);
        } else {
            return pc_call_error(call, PC_INVALID_ARGUMENT, "unknown field %s", f);
        }
    }
    if (req->name != NULL && !pc_utf8_text_ok(req->name, 1, GRP_NAME_MAX_CHARS))
        return s_bad_name(call);
    p->name = req->name;
    if (req->description != NULL) {
        if (!grp_text_ok(req->description, GRP_DESCRIPTION_MAX_CHARS))
            return s_bad_description(call);
        p->set_description = true;
        p->description = s_nonempty(req->description);
    }
    if (req->join_policy != NULL) {
        p->policy = grp_policy_parse(req->join_policy);
        if (p->policy == GRP_POLICY_INVALID)
            return pc_call_error(call, PC_INVALID_ARGUMENT,
                                 "join_policy must be \"open\", \"approval\" or \"invite_only\"");
    }
    return PC_OK;
}

int grp_h_patch(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__PatchRequest *req =
        pc_handler_request(call, &pigeon__grp__patch_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    s_patch_t p;
    st = s_patch_parse(call, req, &p);
    if (st != PC_OK)
        return st;
    char *key = NULL, *grams = NULL;
    if (p.name != NULL) {
        size_t n_grams = 0;
        key = pc_bigram_fold(p.name);
        grams = key ? pc_bigram_grams(key, true, &n_grams) : NULL;
        if (grams == NULL) {
            free(key);
            return pc_call_error(call, PC_INTERNAL, "out of memory");
        }
    }
    grp_ctx_t ctx;
    grp_group_row_t row;
    memset(&ctx, 0, sizeof ctx);
    memset(&row, 0, sizeof row);
    st = pc_call_begin_write(call);
    if (st != PC_OK)
        st = pc_handler_store_failed(call, st, "update the group");
    else
        st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_ADMIN, &ctx);
    if (st == PC_OK) {
        st = grp_store_update_group(pc_call_db(call), req->group_id, p.name, key, grams,
                                    p.set_description, p.description, p.policy, &row);
        if (st != PC_OK)
            st = pc_handler_store_failed(call, st, "update the group");
    }
    if (st == PC_OK)
        st = grp_record_change(call, req->group_id, "updated", me, NULL, 0, NULL, false);
    if (st == PC_OK) {
        Pigeon__Grp__Group g;
        grp_group_pb(&row, &g);
        grp_publish_members(call, req->group_id, 0, "updated", &g, NULL);
        st = pc_call_reply(call, PC_OK, &g.base);
    }
    grp_group_row_clear(&row);
    grp_ctx_clear(&ctx);
    free(key);
    free(grams);
    return st;
}

int grp_h_dismiss(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__GroupIdRequest *req =
        pc_handler_request(call, &pigeon__grp__group_id_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    pc_db_t *db = pc_call_db(call);
    grp_ctx_t ctx;
    int64_t *ids = NULL;
    size_t n = 0;
    st = pc_call_begin_write(call);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "dismiss the group");
    st = grp_ctx_load(call, req->group_id, me, true, GRP_NEED_OWNER, &ctx);
    if (st != PC_OK)
        goto done;
    st = grp_store_member_ids(db, req->group_id, false, &ids, &n);
    if (st == PC_OK)
        st = grp_store_dismiss(db, req->group_id, me);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "dismiss the group");
        goto done;
    }
    st = grp_record_change(call, req->group_id, "dismissed", me, ids, n, NULL, false);
    if (st == PC_OK) {
        Pigeon__Grp__Group g;
        grp_group_pb(&ctx.group, &g);
        grp_publish(call, ids, n, "dismissed", &g, NULL);
        st = pc_call_reply(call, PC_NO_CONTENT, NULL);
    }
done:
    free(ids);
    grp_ctx_clear(&ctx);
    return st;
}

/* Replies with a GroupList of rows (and a next_cursor when given). */
static int s_reply_groups(pc_call_t *call, const grp_group_row_t *rows, size_t n,
                          const char *next_cursor)
{
    Pigeon__Grp__Group *items = calloc(n ? n : 1, sizeof *items);
    Pigeon__Grp__Group **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    int st;
    if (items == NULL || ptrs == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            grp_group_pb(&rows[i], &items[i]);
            ptrs[i] = &items[i];
        }
        Pigeon__Grp__GroupList list = PIGEON__GRP__GROUP_LIST__INIT;
        list.groups = ptrs;
        list.n_groups = n;
        list.next_cursor = (char *)next_cursor;
        st = pc_call_reply(call, PC_OK, &list.base);
    }
    free(items);
    free(ptrs);
    return st;
}

int grp_h_mine(pc_call_t *call)
{
    int64_t me = pc_handler_caller(call);
    if (me == 0)
        return PC_UNAUTHENTICATED;
    grp_group_row_t *rows = NULL;
    size_t n = 0;
    int st = grp_store_my_groups(pc_call_db(call), me, &rows, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "list groups");
    st = s_reply_groups(call, rows, n, NULL);
    grp_group_rows_free(rows, n);
    return st;
}

int grp_h_search(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Grp__SearchRequest *req =
        pc_handler_request(call, &pigeon__grp__search_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (!pc_utf8_text_ok(req->q, 1, GRP_NAME_MAX_CHARS))
        return pc_call_error(call, PC_INVALID_ARGUMENT,
                             "q must be 1 to %d characters without control characters",
                             GRP_NAME_MAX_CHARS);
    int limit = req->has_limit ? req->limit : GRP_SEARCH_DEFAULT;
    if (limit < 1 || limit > GRP_SEARCH_MAX)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "limit must be 1 to %d", GRP_SEARCH_MAX);
    int64_t after_count = INT64_MAX, after_id = 0;
    if (req->cursor != NULL && !grp_cursor_parse(req->cursor, &after_count, &after_id))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "cursor is not valid");

    size_t n_grams = 0, n = 0;
    char end[8] = "";
    grp_group_row_t *rows = NULL;
    char *key = pc_bigram_fold(req->q);
    char *grams = key ? pc_bigram_grams(key, false, &n_grams) : NULL;
    st = PC_OK;
    if (grams == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    if (n_grams == 0 && !pc_bigram_prefix_end(key, end, sizeof end)) {
        st = pc_call_error(call, PC_INVALID_ARGUMENT, "q is not searchable");
        goto done;
    }
    /* One row more than the page tells whether another page follows. */
    st = grp_store_search(pc_call_db(call), key, grams, n_grams, end, after_count, after_id,
                          limit + 1, &rows, &n);
    if (st != PC_OK) {
        st = pc_handler_store_failed(call, st, "search groups");
        goto done;
    }
    char cursor[48];
    bool more = n > (size_t)limit;
    if (more) {
        n = (size_t)limit;
        grp_cursor_format(rows[n - 1].member_count, rows[n - 1].id, cursor, sizeof cursor);
    }
    st = s_reply_groups(call, rows, n, more ? cursor : NULL);
    if (more)
        n++; /* free the look-ahead row too */
done:
    grp_group_rows_free(rows, n);
    free(key);
    free(grams);
    return st;
}
