/* groups_map.c - groups JSON <-> protobuf. */
#include "groups_map.h"

#include <stdio.h>
#include <string.h>

#include "api_json.h"
#include "fields.h"
#include "json.h"

/* An array of user ids under `key`: positive integers below 2^53, at most
 * GW_GROUP_IDS_MAX, at least `min`. Absent or null: none (400 when min > 0). */
static int s_ids(json_t *body, const char *key, size_t min, int64_t *ids, size_t *n, char *err,
                 size_t errlen)
{
    json_t *arr = json_object_get(body, key);
    *n = 0;
    if (!arr || json_is_null(arr)) {
        if (min == 0)
            return 0;
        snprintf(err, errlen, "field \"%s\" is required", key);
        return -1;
    }
    size_t count = json_is_array(arr) ? json_array_size(arr) : 0;
    if (!json_is_array(arr) || count < min || count > GW_GROUP_IDS_MAX) {
        snprintf(err, errlen, "field \"%s\" must be an array of %zu to %d user ids", key, min,
                 GW_GROUP_IDS_MAX);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *v = json_array_get(arr, i);
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : 0;
        if (id < 1 || id > GW_ID_MAX) {
            snprintf(err, errlen, "field \"%s\" must hold integers from 1 to %lld", key,
                     (long long)GW_ID_MAX);
            return -1;
        }
        ids[i] = (int64_t)id;
    }
    *n = count;
    return 0;
}

/* A string field of a PATCH: set, cleared (null: named in nulls) or left alone. */
static int s_patch_string(json_t *body, const char *key, char **out, char **nulls, size_t *n_nulls,
                          char *err, size_t errlen)
{
    const char *v = NULL;
    switch (pc_json_string(body, key, &v, err, errlen)) {
    case PC_FIELD_SET:
        *out = (char *)v;
        return 0;
    case PC_FIELD_NULL:
        nulls[(*n_nulls)++] = (char *)key;
        return 0;
    case PC_FIELD_ABSENT:
        return 0;
    case PC_FIELD_INVALID:
    default:
        return -1;
    }
}

int gw_map_create_group(json_t *body, gw_create_group_t *out, char *err, size_t errlen)
{
    pigeon__grp__create_request__init(&out->msg);
    out->msg.member_ids = out->ids;
    if (gw_field_string(body, "name", &out->msg.name, err, errlen) < 0 ||
        gw_field_string_opt(body, "description", &out->msg.description, err, errlen) < 0 ||
        gw_field_string_opt(body, "join_policy", &out->msg.join_policy, err, errlen) < 0)
        return -1;
    return s_ids(body, "member_ids", 0, out->ids, &out->msg.n_member_ids, err, errlen);
}

int gw_map_patch_group(json_t *body, int64_t group_id, gw_patch_group_t *out, char *err,
                       size_t errlen)
{
    Pigeon__Grp__PatchRequest *m = &out->msg;
    pigeon__grp__patch_request__init(m);
    m->group_id = group_id;
    m->null_fields = out->nulls;
    m->n_null_fields = 0;
    if (s_patch_string(body, "name", &m->name, out->nulls, &m->n_null_fields, err, errlen) < 0 ||
        s_patch_string(body, "description", &m->description, out->nulls, &m->n_null_fields, err,
                       errlen) < 0 ||
        s_patch_string(body, "join_policy", &m->join_policy, out->nulls, &m->n_null_fields, err,
                       errlen) < 0)
        return -1;
    return 0;
}

int gw_map_add_members(json_t *body, int64_t group_id, gw_add_members_t *out, char *err,
                       size_t errlen)
{
    pigeon__grp__add_members_request__init(&out->msg);
    out->msg.group_id = group_id;
    out->msg.user_ids = out->ids;
    return s_ids(body, "user_ids", 1, out->ids, &out->msg.n_user_ids, err, errlen);
}

int gw_map_set_member(json_t *body, int64_t group_id, int64_t user_id, gw_set_member_t *out,
                      char *err, size_t errlen)
{
    Pigeon__Grp__SetMemberRequest *m = &out->msg;
    pigeon__grp__set_member_request__init(m);
    m->group_id = group_id;
    m->user_id = user_id;
    m->null_fields = out->nulls;
    m->n_null_fields = 0;
    if (s_patch_string(body, "role", &m->role, out->nulls, &m->n_null_fields, err, errlen) < 0)
        return -1;
    const char *until = NULL;
    switch (pc_json_string(body, "muted_until", &until, err, errlen)) {
    case PC_FIELD_SET:
        if (!gw_parse_rfc3339(until, &m->muted_until_us)) {
            snprintf(err, errlen, "field \"muted_until\" must be an RFC 3339 date-time or null");
            return -1;
        }
        m->has_muted_until_us = 1;
        return 0;
    case PC_FIELD_NULL:
        out->nulls[m->n_null_fields++] = "muted_until";
        return 0;
    case PC_FIELD_ABSENT:
        return 0;
    case PC_FIELD_INVALID:
    default:
        snprintf(err, errlen, "field \"muted_until\" must be an RFC 3339 date-time or null");
        return -1;
    }
}

int gw_map_transfer(json_t *body, int64_t group_id, Pigeon__Grp__MemberRequest *out, char *err,
                    size_t errlen)
{
    pigeon__grp__member_request__init(out);
    out->group_id = group_id;
    return gw_field_id(body, "user_id", &out->user_id, err, errlen);
}

int gw_map_join(json_t *body, int64_t group_id, Pigeon__Grp__JoinRequestBody *out, char *err,
                size_t errlen)
{
    pigeon__grp__join_request_body__init(out);
    out->group_id = group_id;
    return gw_field_string_opt(body, "message", &out->message, err, errlen);
}

/* `n` decimal digits at *p into *v; advances *p. */
static bool s_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int s_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool gw_parse_rfc3339(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    const char *p = s;
    if (!p || !s_digits(&p, 4, &y) || *p++ != '-' || !s_digits(&p, 2, &mo) || *p++ != '-' ||
        !s_digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
        return false;
    p++;
    if (!s_digits(&p, 2, &h) || *p++ != ':' || !s_digits(&p, 2, &mi) || *p++ != ':' ||
        !s_digits(&p, 2, &sec))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > s_month_days(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 6)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 6; digits++)
            frac *= 10;
    }
    int sign = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;
        if (!s_digits(&p, 2, &oh) || *p++ != ':' || !s_digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    int64_t secs = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                   sign * (oh * 3600 + om * 60);
    *us = secs * 1000000 + frac;
    return true;
}

json_t *gw_group_list_json(const Pigeon__Grp__GroupList *l, bool with_cursor)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n_groups; i++)
        if (json_array_append_new(arr, pc_api_group(l->groups[i])) < 0)
            goto fail;
    if (!with_cursor)
        return json_pack("{s:o}", "groups", arr); /* takes arr, even on failure */
    return json_pack("{s:o, s:o}", "groups", arr, "next_cursor",
                     l->next_cursor ? json_string(l->next_cursor) : json_null());
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_member_list_json(const Pigeon__Grp__MemberList *l)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n_members; i++)
        if (json_array_append_new(arr, pc_api_member(l->members[i])) < 0)
            goto fail;
    return json_pack("{s:o}", "members", arr); /* takes arr, even on failure */
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_join_request_list_json(const Pigeon__Grp__JoinRequestList *l)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n_requests; i++)
        if (json_array_append_new(arr, pc_api_join_request(l->requests[i])) < 0)
            goto fail;
    return json_pack("{s:o}", "requests", arr); /* takes arr, even on failure */
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_join_reply_json(const Pigeon__Grp__JoinReply *r)
{
    if (r->member)
        return pc_api_member(r->member);
    if (r->request)
        return pc_api_join_request(r->request);
    return NULL; /* neither: a malformed reply, answered 500 */
}
