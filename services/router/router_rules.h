/* router_rules.h - pigeon-router's pure logic: ids, validation, paging,
 * read positions, recall. No I/O, so every rule has a unit test
 * (tests/unit/router/test_rules.c). */
#ifndef PIGEON_ROUTER_RULES_H
#define PIGEON_ROUTER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_ID_MAX (((int64_t)1 << 53) - 1) /* API.md: ids below 2^53 */
#define ROUTER_CID_MAX 40                      /* "d:" + 2 * 16 digits + ":" + NUL fits */
#define ROUTER_MSG_ID_MAX 64                   /* "<cid>.<seq>" + NUL */
#define ROUTER_CLIENT_MSG_ID_MAX 64            /* characters, each '!'..'~' */
#define ROUTER_TEXT_MAX_CHARS 4000             /* code points */
#define ROUTER_LIMIT_DEFAULT 50
#define ROUTER_LIMIT_MAX 200
#define ROUTER_RECALL_WINDOW_DEFAULT_S 120

typedef enum { ROUTER_DIRECT = 1, ROUTER_GROUP = 2 } router_cid_kind_t;

/* A parsed conversation id. */
typedef struct {
    router_cid_kind_t kind; /* direct or group */
    int64_t a;              /* direct: the smaller user id; group: the group id */
    int64_t b;              /* direct: the larger user id; group: 0 */
} router_cid_t;

/* "d:<a>:<b>" with canonical decimals 1..2^53-1 and a < b, or "g:<id>".
 * False for anything else (d:5:3, d:3:3, x:1, d:a:b, d:03:5, overflow). */
bool router_cid_parse(const char *s, router_cid_t *out);
/* The direct conversation of two different users, "d:<min>:<max>". */
void router_cid_direct(int64_t x, int64_t y, char *out, size_t size);
/* Is user one of the two users of a direct conversation? */
bool router_cid_has_user(const router_cid_t *c, int64_t user);
/* The other user of a direct conversation (0 when user is not in it). */
int64_t router_cid_peer(const router_cid_t *c, int64_t user);

/* Message ids: "<cid>.<seq>", seq 1..2^53-1. Opaque to clients. */
void router_msg_id_format(const char *cid, int64_t seq, char *out, size_t size);
/* False when malformed (then 400); cid gets the conversation id text. */
bool router_msg_id_parse(const char *id, char *cid, size_t cid_size, int64_t *seq);

/* 1..64 characters, each from '!' to '~'. */
bool router_client_msg_id_ok(const char *s);
/* Valid UTF-8 of 1..4000 code points (control characters allowed: newlines, tabs). */
bool router_text_ok(const char *s);

typedef enum {
    ROUTER_KIND_BAD = 0,
    ROUTER_KIND_TEXT,
    ROUTER_KIND_MEDIA, /* image or voice: need pigeon-media (400 for now) */
} router_kind_t;
router_kind_t router_kind_parse(const char *s);

/* What tells a resend from a different message with the same client_msg_id. */
typedef struct {
    const char *cid;  /* conversation id */
    const char *kind; /* "text" | "image" | "voice" */
    const char *text; /* NULL when none */
    bool has_media;   /* media_id is set */
    int64_t media_id; /* pigeon-media id */
} router_send_key_t;

/* Does a send of `sent` repeat the stored message `stored`? Same
 * conversation, kind, text and media; a message recalled since has lost its
 * text and media, so then conversation and kind alone decide. */
bool router_resend_same(const router_send_key_t *stored, bool recalled,
                        const router_send_key_t *sent);

/* A history page: which seqs, in which order, how many rows to read. */
typedef struct {
    bool descending; /* read newest first (before_seq, latest), then reverse */
    int64_t bound;   /* after: seq > bound; before: seq < bound; latest: unused */
    bool has_bound;  /* false for the latest page */
    int limit;       /* rows the caller gets; the store reads limit + 1 */
} router_page_t;

/* From the request's optional fields; NULL with *page filled, or the 400
 * message. */
const char *router_page_plan(bool has_after, int64_t after, bool has_before, int64_t before,
                             bool has_limit, int64_t limit, router_page_t *page);
/* has_more: the store found more than limit rows. */
static inline bool router_page_has_more(const router_page_t *p, size_t rows_read)
{
    return rows_read > (size_t)p->limit;
}

/* Unread of a member: countable messages after their read position. */
static inline int64_t router_unread(int64_t counted, int64_t read_count)
{
    return counted > read_count ? counted - read_count : 0;
}

/* Where a read mark lands: min(requested, last_seq), or -1 when that does
 * not move the current read_seq forward (never backwards). */
int64_t router_read_target(int64_t requested, int64_t last_seq, int64_t current);

typedef enum {
    ROUTER_RECALL_OK = 0,
    ROUTER_RECALL_ALREADY,    /* recalled before: 200 with the message, nothing new */
    ROUTER_RECALL_NOT_SENDER, /* 403 */
    ROUTER_RECALL_SYSTEM,     /* 403: system messages stay */
    ROUTER_RECALL_TOO_LATE,   /* 403 */
} router_recall_t;

/* May `caller` recall a message of `sender` that is age_s seconds old? */
router_recall_t router_recall_decide(int64_t caller, int64_t sender, bool is_system, bool recalled,
                                     double age_s, long window_s);
/* The 403 message of a refusal. */
const char *router_recall_message(router_recall_t r);

#endif
