/* routes.c - the REST route table and path matching. */
#include "routes.h"

#include <string.h>

#include "fields.h"
#include "handlers.h"

static const gw_route_t s_routes[] = {
    {"POST", "/v1/auth/register", gw_h_register, false, false},
    {"POST", "/v1/auth/login", gw_h_login, false, false},
    {"POST", "/v1/auth/logout", gw_h_logout, true, true},
    {"GET", "/v1/me", gw_h_me, true, false},
    {"PATCH", "/v1/me", gw_h_patch_me, true, false},
    {"GET", "/v1/users/{id}", gw_h_get_user, true, false},
    {"GET", "/v1/users", gw_h_users, true, false}, /* ?username= or ?q=&limit=&cursor= */
    {"POST", "/v1/contacts", gw_h_add_contact, true, true},
    {"GET", "/v1/contacts", gw_h_list_contacts, true, false},
    {"DELETE", "/v1/contacts/{id}", gw_h_remove_contact, true, false},
    {"GET", "/v1/friend-requests", gw_h_list_requests, true, false}, /* ?direction= */
    {"POST", "/v1/friend-requests/{id}/accept", gw_h_accept_request, true, true},
    {"POST", "/v1/friend-requests/{id}/decline", gw_h_decline_request, true, true},
    {"DELETE", "/v1/friend-requests/{id}", gw_h_cancel_request, true, false},
    {"POST", "/v1/blocks", gw_h_block, true, true},
    {"DELETE", "/v1/blocks/{id}", gw_h_unblock, true, false},
    {"GET", "/v1/blocks", gw_h_list_blocks, true, false},
    {"POST", "/v1/messages", gw_h_send_message, true, true},
    {"GET", "/v1/conversations", gw_h_list_conversations, true, false},
    {"GET", "/v1/conversations/{cid}/messages", gw_h_history, true, false},
    {"POST", "/v1/conversations/{cid}/read", gw_h_mark_read, true, true},
    {"POST", "/v1/messages/{mid}/recall", gw_h_recall, true, true},
    {"POST", "/v1/ws/ticket", gw_h_ws_ticket, true, false}, /* never replayed: a secret */
    {"POST", "/v1/groups", gw_h_create_group, true, true},
    {"GET", "/v1/groups", gw_h_search_groups, true, false}, /* ?q=&limit=&cursor= */
    {"GET", "/v1/groups/{id}", gw_h_get_group, true, false},
    {"PATCH", "/v1/groups/{id}", gw_h_patch_group, true, false},
    {"DELETE", "/v1/groups/{id}", gw_h_dismiss_group, true, false},
    {"GET", "/v1/me/groups", gw_h_my_groups, true, false},
    {"GET", "/v1/groups/{id}/members", gw_h_group_members, true, false},
    {"POST", "/v1/groups/{id}/members", gw_h_add_members, true, true},
    {"PATCH", "/v1/groups/{id}/members/{id}", gw_h_set_member, true, false},
    {"DELETE", "/v1/groups/{id}/members/{id}", gw_h_remove_member, true, false},
    {"POST", "/v1/groups/{id}/transfer", gw_h_transfer_group, true, true},
    {"POST", "/v1/groups/{id}/join", gw_h_join_group, true, true},
    {"GET", "/v1/groups/{id}/join-requests", gw_h_join_requests, true, false},
    {"POST", "/v1/groups/{id}/join-requests/{id}/approve", gw_h_approve_join, true, true},
    {"POST", "/v1/groups/{id}/join-requests/{id}/reject", gw_h_reject_join, true, true},
    {"POST", "/v1/media", gw_h_upload_media, true, true}, /* raw bytes, up to 10 MiB (http.c) */
    {"GET", "/v1/media/{id}", gw_h_get_media, true, false},
    {"GET", "/v1/media/{id}/thumbnail", gw_h_media_thumbnail, true, false},
    {"GET", "/healthz", gw_h_healthz, false, false},
    {"GET", "/readyz", gw_h_readyz, false, false},
    {"GET", "/metrics", gw_h_metrics, false, false},
};

const gw_route_t *gw_routes(size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}

/* Next segment of a path after *p (which points at a '/'); false at the end. */
static bool s_next_segment(const char **p, const char **seg, size_t *len)
{
    if (**p != '/')
        return false;
    const char *start = *p + 1;
    const char *end = strchr(start, '/');
    if (!end)
        end = start + strlen(start);
    *seg = start;
    *len = (size_t)(end - start);
    *p = end;
    return true;
}

/* True when path fits pattern segment by segment. */
static bool s_path_fits(const char *pattern, const char *path, const char **id_seg, size_t *id_len)
{
    const char *pp = pattern, *qp = path;
    *id_seg = NULL;
    *id_len = 0;
    for (;;) {
        const char *ps, *qs;
        size_t pl, ql;
        bool pmore = s_next_segment(&pp, &ps, &pl);
        bool qmore = s_next_segment(&qp, &qs, &ql);
        if (!pmore || !qmore)
            return !pmore && !qmore && *qp == '\0';
        if (pl == 4 && memcmp(ps, "{id}", 4) == 0) {
            if (ql == 0)
                return false;
            if (!*id_seg) { /* the first {id}; gw_route_second_id finds the next */
                *id_seg = qs;
                *id_len = ql;
            }
        } else if (pl > 2 && ps[0] == '{') {
            /* A string segment ({cid}, {mid}): any non-empty text; its
             * handler takes it from the path and judges it. */
            if (ql == 0)
                return false;
        } else if (pl != ql || memcmp(ps, qs, pl) != 0) {
            return false;
        }
    }
}

gw_match_t gw_route_match(const gw_route_t *table, size_t count, const char *method,
                          const char *path, const gw_route_t **route, const char **id_seg,
                          size_t *id_len)
{
    gw_match_t result = GW_MATCH_NO_PATH;
    *route = NULL;
    *id_seg = NULL;
    *id_len = 0;
    if (!path || path[0] != '/')
        return GW_MATCH_NO_PATH;
    for (size_t i = 0; i < count; i++) {
        const char *seg;
        size_t len;
        if (!s_path_fits(table[i].pattern, path, &seg, &len))
            continue;
        if (strcmp(table[i].method, method) != 0) {
            result = GW_MATCH_NO_METHOD;
            continue;
        }
        *route = &table[i];
        *id_seg = seg;
        *id_len = len;
        return GW_MATCH_OK;
    }
    return result;
}

bool gw_route_second_id(const char *pattern, const char *path, const char **seg, size_t *len)
{
    const char *pp = pattern, *qp = path;
    int ids = 0;
    *seg = NULL;
    *len = 0;
    for (;;) {
        const char *ps, *qs;
        size_t pl, ql;
        if (!s_next_segment(&pp, &ps, &pl) || !s_next_segment(&qp, &qs, &ql))
            return false;
        if (pl == 4 && memcmp(ps, "{id}", 4) == 0 && ++ids == 2) {
            *seg = qs;
            *len = ql;
            return ql > 0;
        }
    }
}

bool gw_parse_id(const char *s, size_t len, int64_t *out)
{
    if (!s || len == 0 || len > 16 || s[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0'); /* 16 digits cannot overflow int64 */
    }
    if (v > GW_ID_MAX)
        return false;
    *out = v;
    return true;
}
