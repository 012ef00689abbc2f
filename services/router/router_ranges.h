/* router_ranges.h - pure rules of group conversations: which seqs a member
 * may read (their membership periods), where their read position starts,
 * what a membership change does to them, who may send and recall. No I/O
 * (tests/unit/router/test_group_ranges.c).
 *
 * A period opens at the message that made the user a member (group_created
 * or their join message, seq J) and closes at the message that ended it
 * (left, removed, dismissed: seq L, inclusive). A user with no period at all
 * was never a member and may not read the conversation. */
#ifndef PIGEON_ROUTER_RANGES_H
#define PIGEON_ROUTER_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "router_rules.h"

/* Periods kept per member and group; older ones beyond it are forgotten
 * (a user who left and rejoined 64 times reads from the 64th last join). */
#define ROUTER_RANGES_MAX 64

/* One membership period. */
typedef struct {
    int64_t from; /* first readable seq (the join message) */
    int64_t to;   /* last readable seq (inclusive); 0 while open */
} router_range_t;

/* A member's periods in one group, ascending by from. */
typedef struct {
    router_range_t r[ROUTER_RANGES_MAX]; /* the periods */
    size_t n;                            /* how many */
} router_ranges_t;

/* May the user see the message at seq? */
bool router_ranges_contains(const router_ranges_t *rs, int64_t seq);
/* Is the user a member now (an open period)? */
bool router_ranges_open(const router_ranges_t *rs);
/* The newest seq the user may see given the conversation's last_seq: last_seq
 * while a member, else the end of the last period; 0 when none. */
int64_t router_ranges_last(const router_ranges_t *rs, int64_t last_seq);

/* What a membership change does to the users it names. */
typedef enum {
    ROUTER_GRP_NONE = 0,  /* role, transfer, muted, updated: no period changes */
    ROUTER_GRP_OPEN,      /* created, joined: a period opens at its message */
    ROUTER_GRP_CLOSE,     /* left, removed: the named users' periods close at it */
    ROUTER_GRP_CLOSE_ALL, /* dismissed: every open period closes at it */
} router_grp_effect_t;
router_grp_effect_t router_group_effect(const char *kind);

/* read_seq of a user whose period opens at join_seq: at it when they acted
 * in that message themselves (an open join, the creator), else just before
 * it (added, approved, named at creation). */
int64_t router_group_read_start(int64_t join_seq, int64_t user, int64_t actor);

/* May a user post? */
typedef enum {
    ROUTER_GSEND_OK = 0,
    ROUTER_GSEND_NO_GROUP,   /* 404: no such group, or invite_only / dismissed and not a member */
    ROUTER_GSEND_NOT_MEMBER, /* 403: a visible group the user is not in */
    ROUTER_GSEND_DISMISSED,  /* 403: a former member of a dismissed group */
    ROUTER_GSEND_MUTED,      /* 403 */
} router_gsend_t;

/* exists: the group exists; member: the user is one now; was_member: the
 * user has a period in it (former member); muted_until_us 0: not muted. */
router_gsend_t router_group_send_decide(bool exists, bool dismissed, bool invite_only, bool member,
                                        bool was_member, int64_t muted_until_us, int64_t now_us);

/* May a reader who is not (and never was) a member know the group exists?
 * 403 (true) for a visible open/approval group, 404 (false) otherwise. */
bool router_group_visible(bool exists, bool dismissed, bool invite_only);

/* Recall in a group: like router_recall_decide, and an owner or admin
 * (caller_is_admin) may recall anyone's message at any time. */
router_recall_t router_group_recall_decide(int64_t caller, int64_t sender, bool is_system,
                                           bool recalled, double age_s, long window_s,
                                           bool caller_is_admin);

#endif
