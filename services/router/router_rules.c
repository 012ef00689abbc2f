/* router_rules.c - pure logic of pigeon-router (see router_rules.h). */
#include "router_rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Canonical decimal 1..2^53-1 of exactly len bytes. */
static bool s_parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 16 || s[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0'); /* 16 digits cannot overflow */
    }
    if (v > ROUTER_ID_MAX)
        return false;
    *out = v;
    return true;
}

bool router_cid_parse(const char *s, router_cid_t *out)
{
    if (s == NULL || strlen(s) >= ROUTER_CID_MAX)
        return false;
    if (s[0] == 'g' && s[1] == ':') {
        out->kind = ROUTER_GROUP;
        out->b = 0;
        return s_parse_id(s + 2, strlen(s + 2), &out->a);
    }
    if (s[0] != 'd' || s[1] != ':')
        return false;
    const char *first = s + 2;
    const char *colon = strchr(first, ':');
    if (colon == NULL)
        return false;
    int64_t a, b;
    if (!s_parse_id(first, (size_t)(colon - first), &a) ||
        !s_parse_id(colon + 1, strlen(colon + 1), &b) || a >= b)
        return false;
    out->kind = ROUTER_DIRECT;
    out->a = a;
    out->b = b;
    return true;
}

void router_cid_direct(int64_t x, int64_t y, char *out, size_t size)
{
    snprintf(out, size, "d:%" PRId64 ":%" PRId64, x < y ? x : y, x < y ? y : x);
}

bool router_cid_has_user(const router_cid_t *c, int64_t user)
{
    return c->kind == ROUTER_DIRECT && user > 0 && (c->a == user || c->b == user);
}

int64_t router_cid_peer(const router_cid_t *c, int64_t user)
{
    if (!router_cid_has_user(c, user))
        return 0;
    return c->a == user ? c->b : c->a;
}

void router_msg_id_format(const char *cid, int64_t seq, char *out, size_t size)
{
    snprintf(out, size, "%s.%" PRId64, cid, seq);
}

bool router_msg_id_parse(const char *id, char *cid, size_t cid_size, int64_t *seq)
{
    if (id == NULL)
        return false;
    const char *dot = strrchr(id, '.');
    if (dot == NULL || (size_t)(dot - id) >= cid_size || (size_t)(dot - id) >= ROUTER_CID_MAX)
        return false;
    if (!s_parse_id(dot + 1, strlen(dot + 1), seq))
        return false;
    memcpy(cid, id, (size_t)(dot - id));
    cid[dot - id] = '\0';
    router_cid_t c;
    return router_cid_parse(cid, &c);
}

bool router_client_msg_id_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > ROUTER_CLIENT_MSG_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '!' || s[i] > '~')
            return false;
    return true;
}

bool router_text_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    if (len == 0 || len > ROUTER_TEXT_MAX_CHARS * 4 || !pc_utf8_valid(s, len))
        return false;
    size_t chars = pc_utf8_count(s, len);
    return chars >= 1 && chars <= ROUTER_TEXT_MAX_CHARS;
}

static bool s_same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool router_resend_same(const router_send_key_t *stored, bool recalled,
                        const router_send_key_t *sent)
{
    if (strcmp(stored->cid, sent->cid) != 0 || strcmp(stored->kind, sent->kind) != 0)
        return false;
    return recalled ||
           (s_same_text(stored->text, sent->text) && stored->has_media == sent->has_media &&
            (!stored->has_media || stored->media_id == sent->media_id));
}

router_kind_t router_kind_parse(const char *s)
{
    if (s == NULL)
        return ROUTER_KIND_BAD;
    if (strcmp(s, "text") == 0)
        return ROUTER_KIND_TEXT;
    if (strcmp(s, "image") == 0 || strcmp(s, "voice") == 0)
        return ROUTER_KIND_MEDIA;
    return ROUTER_KIND_BAD;
}

const char *router_page_plan(bool has_after, int64_t after, bool has_before, int64_t before,
                             bool has_limit, int64_t limit, router_page_t *page)
{
    memset(page, 0, sizeof *page);
    page->limit = ROUTER_LIMIT_DEFAULT;
    if (has_limit) {
        if (limit < 1 || limit > ROUTER_LIMIT_MAX)
            return "limit must be an integer from 1 to 200";
        page->limit = (int)limit;
    }
    if (has_after && has_before)
        return "give after_seq or before_seq, not both";
    if ((has_after && after < 0) || (has_before && before < 0))
        return "after_seq and before_seq must be integers >= 0";
    if (has_after) {
        page->bound = after;
        page->has_bound = true;
    } else if (has_before) {
        page->descending = true;
        page->bound = before;
        page->has_bound = true;
    } else {
        page->descending = true;
    }
    return NULL;
}

int64_t router_read_target(int64_t requested, int64_t last_seq, int64_t current)
{
    int64_t target = requested < last_seq ? requested : last_seq;
    return target > current ? target : -1;
}

router_recall_t router_recall_decide(int64_t caller, int64_t sender, bool is_system, bool recalled,
                                     double age_s, long window_s)
{
    if (is_system)
        return ROUTER_RECALL_SYSTEM;
    if (caller != sender)
        return ROUTER_RECALL_NOT_SENDER;
    if (recalled)
        return ROUTER_RECALL_ALREADY;
    if (age_s > (double)window_s)
        return ROUTER_RECALL_TOO_LATE;
    return ROUTER_RECALL_OK;
}

const char *router_recall_message(router_recall_t r)
{
    switch (r) {
    case ROUTER_RECALL_NOT_SENDER:
        return "only the sender may recall a message";
    case ROUTER_RECALL_SYSTEM:
        return "system messages cannot be recalled";
    case ROUTER_RECALL_TOO_LATE:
        return "the message is too old to recall";
    default:
        return "";
    }
}
