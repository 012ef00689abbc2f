/* router_ranges.c - pure rules of group conversations (see router_ranges.h). */
#include "router_ranges.h"

#include <string.h>

bool router_ranges_contains(const router_ranges_t *rs, int64_t seq)
{
    for (size_t i = 0; i < rs->n; i++)
        if (seq >= rs->r[i].from && (rs->r[i].to == 0 || seq <= rs->r[i].to))
            return true;
    return false;
}

bool router_ranges_open(const router_ranges_t *rs)
{
    return rs->n > 0 && rs->r[rs->n - 1].to == 0;
}

int64_t router_ranges_last(const router_ranges_t *rs, int64_t last_seq)
{
    if (rs->n == 0)
        return 0;
    if (router_ranges_open(rs))
        return last_seq;
    return rs->r[rs->n - 1].to;
}

router_grp_effect_t router_group_effect(const char *kind)
{
    if (kind == NULL)
        return ROUTER_GRP_NONE;
    if (strcmp(kind, "created") == 0 || strcmp(kind, "joined") == 0)
        return ROUTER_GRP_OPEN;
    if (strcmp(kind, "left") == 0 || strcmp(kind, "removed") == 0)
        return ROUTER_GRP_CLOSE;
    if (strcmp(kind, "dismissed") == 0)
        return ROUTER_GRP_CLOSE_ALL;
    return ROUTER_GRP_NONE;
}

int64_t router_group_read_start(int64_t join_seq, int64_t user, int64_t actor)
{
    if (user == actor)
        return join_seq;
    return join_seq > 0 ? join_seq - 1 : 0;
}

router_gsend_t router_group_send_decide(bool exists, bool dismissed, bool invite_only, bool member,
                                        bool was_member, int64_t muted_until_us, int64_t now_us)
{
    if (!exists)
        return ROUTER_GSEND_NO_GROUP;
    if (dismissed)
        return member || was_member ? ROUTER_GSEND_DISMISSED : ROUTER_GSEND_NO_GROUP;
    if (!member)
        return invite_only && !was_member ? ROUTER_GSEND_NO_GROUP : ROUTER_GSEND_NOT_MEMBER;
    if (muted_until_us > now_us)
        return ROUTER_GSEND_MUTED;
    return ROUTER_GSEND_OK;
}

bool router_group_visible(bool exists, bool dismissed, bool invite_only)
{
    return exists && !dismissed && !invite_only;
}

router_recall_t router_group_recall_decide(int64_t caller, int64_t sender, bool is_system,
                                           bool recalled, double age_s, long window_s,
                                           bool caller_is_admin)
{
    if (caller_is_admin && !is_system)
        return recalled ? ROUTER_RECALL_ALREADY : ROUTER_RECALL_OK;
    return router_recall_decide(caller, sender, is_system, recalled, age_s, window_s);
}
