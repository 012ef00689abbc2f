/* router_outbox.c - the membership outbox consumer (see router_outbox.h). */
#include "router_outbox.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "api_json.h"
#include "clock.h"
#include "group_client.h"
#include "log.h"
#include "pubsub.h"
#include "pubsub_follow.h"
#include "router_handlers.h"
#include "router_store_group.h"

#define S_PAGE 100       /* changes per grp.changes call and per transaction */
#define S_MAX_PAGES 20   /* per pump: the rest waits for the next one */
#define S_PERIOD_MS 1000 /* polling when no nudge comes */
#define S_POLL_MS 200    /* how soon a stop or a registry change is noticed */

/* One appended system message, announced once its page commits. */
typedef struct {
    char *frame;    /* {"type":"message","message":...}, encoded once; malloc'd */
    int64_t *users; /* who may read it (router_store_group_audience) */
    size_t n;       /* entries in users */
} s_notice_t;

static void s_notices_free(s_notice_t *notes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(notes[i].frame);
        free(notes[i].users);
    }
}

/* Inside the page's transaction: the frame of the system message at seq and
 * its audience. A message that cannot be encoded is skipped (events are
 * hints); only a store failure fails the page. */
static int s_notice(pc_db_t *db, int64_t group_id, int64_t seq, s_notice_t *note)
{
    char cid[ROUTER_CID_MAX];
    snprintf(cid, sizeof cid, "g:%lld", (long long)group_id);
    router_msg_row_t row;
    double age_s = 0;
    bool found = false;
    int st = router_store_get_message(db, cid, seq, false, &row, &age_s, &found);
    if (st != PC_OK || !found)
        return st;
    st = router_store_group_audience(db, cid, seq, &note->users, &note->n);
    if (st == PC_OK) {
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id);
        size_t len;
        note->frame = pc_api_message_frame("message", &m, &len);
        if (note->frame == NULL)
            pc_warn("could not encode the system message %s.%lld", cid, (long long)seq);
    }
    router_msg_row_clear(&row);
    return st;
}

/* After the commit: one publish per reader of each message, all sharing
 * its one encoded frame. O(members) per message. */
static void s_announce(const s_notice_t *notes, size_t n, router_outbox_emit_fn emit, void *arg)
{
    char topic[32];
    for (size_t i = 0; emit != NULL && i < n; i++) {
        if (notes[i].frame == NULL)
            continue;
        size_t len = strlen(notes[i].frame);
        for (size_t j = 0; j < notes[i].n; j++) {
            snprintf(topic, sizeof topic, "u:%lld/", (long long)notes[i].users[j]);
            emit(arg, topic, notes[i].frame, len);
        }
    }
}

/* One page in one transaction under the cursor's row lock; notes gets one
 * entry per system message appended (*n_notes of them). */
static int s_apply_page(pc_db_t *db, const Pigeon__Grp__ChangeList *list, s_notice_t *notes,
                        size_t *n_notes)
{
    int64_t cursor = 0;
    *n_notes = 0;
    int st = pc_db_begin(db);
    if (st == PC_OK)
        st = router_store_group_cursor_lock(db, &cursor);
    int64_t last = cursor;
    for (size_t i = 0; st == PC_OK && i < list->n_changes; i++) {
        const Pigeon__Grp__MembershipChange *c = list->changes[i];
        if (c->id <= cursor)
            continue; /* applied by another router copy */
        router_change_t ch = {.id = c->id,
                              .group_id = c->group_id,
                              .kind = c->kind,
                              .actor_id = c->actor_id,
                              .user_ids = c->user_ids,
                              .n_users = c->n_user_ids,
                              .system_text = c->system_text};
        int64_t seq = 0;
        st = router_store_group_apply(db, &ch, &seq);
        if (st == PC_OK && seq > 0) {
            notes[*n_notes] = (s_notice_t){0};
            st = s_notice(db, c->group_id, seq, &notes[*n_notes]);
            (*n_notes)++;
        }
        last = c->id;
    }
    if (st == PC_OK && last > cursor)
        st = router_store_group_cursor_set(db, last);
    if (st == PC_OK)
        st = pc_db_commit(db);
    if (st != PC_OK) {
        pc_db_rollback(db);
        s_notices_free(notes, *n_notes);
        *n_notes = 0;
    }
    return st;
}

int router_outbox_pump(pc_db_t *db, pc_rpc_client_t *grp, const pc_rpc_opts_t *opts,
                       router_groups_t *cache, router_outbox_emit_fn emit, void *emit_arg)
{
    int64_t seen = router_groups_seen(cache);
    int st = PC_OK;
    if (seen == 0) { /* first pump of this process: start at the stored cursor */
        st = router_store_group_cursor_get(db, &seen);
        if (st != PC_OK)
            return st;
        router_groups_clear(cache);
        router_groups_set_seen(cache, seen);
    }
    for (int page = 0; page < S_MAX_PAGES; page++) {
        pc_rpc_reply_t reply = {0};
        Pigeon__Grp__ChangeList *list = NULL;
        st = group_client_changes(grp, opts, seen, S_PAGE, &list, &reply);
        pc_rpc_reply_clear(&reply);
        if (st != PC_OK)
            return st;
        size_t n = list->n_changes, n_notes = 0;
        s_notice_t *notes = n > 0 ? calloc(n, sizeof *notes) : NULL;
        if (n > 0)
            st = notes ? s_apply_page(db, list, notes, &n_notes) : PC_INTERNAL;
        for (size_t i = 0; st == PC_OK && i < n; i++) {
            router_groups_invalidate(cache, list->changes[i]->group_id);
            seen = list->changes[i]->id;
        }
        if (st == PC_OK)
            router_groups_set_seen(cache, seen);
        /* After the invalidation, so a client that reacts to the event sees
         * the new roster. */
        s_announce(notes, n_notes, emit, emit_arg);
        s_notices_free(notes, n_notes);
        free(notes);
        protobuf_c_message_free_unpacked(&list->base, NULL);
        if (st != PC_OK || n < S_PAGE)
            break;
    }
    return st;
}

static void s_emit_sender(void *arg, const char *topic, const char *frame, size_t len)
{
    pc_pub_send(arg, topic, frame, len);
}

/* --- the consumer thread --- */

struct router_outbox {
    char *db_url;            /* for the thread's own connection */
    int db_timeout_ms;       /* its statement timeout */
    int rpc_deadline_ms;     /* grp.changes deadline */
    pc_registry_t *registry; /* borrowed */
    router_groups_t *cache;  /* borrowed */
    pc_publisher_t *pub;     /* borrowed; NULL: system messages are not announced */
    atomic_bool stop;        /* asks the thread to return */
    pthread_t thread;        /* the consumer */
};

/* Whose nudges it follows. */
static const char *const s_publishers[] = {"group"};

/* What the thread owns. */
typedef struct {
    pc_subscriber_t *sub;    /* SUB socket on "grp/" */
    pc_sub_follow_t *follow; /* its connections: live pigeon-group publishers */
    pc_rpc_client_t *grp;    /* pigeon-group client */
    pc_db_t *db;             /* own connection */
    pc_pub_sender_t *out;    /* announces system messages; may be NULL */
} s_state_t;

/* The drain rule: read until nothing is waiting; true when a nudge came. */
static bool s_drain(s_state_t *st)
{
    pc_event_t ev;
    bool nudged = false;
    while (pc_subscriber_recv(st->sub, &ev) == 1) {
        int64_t id;
        if (!ev.is_marker && group_client_parse_nudge(ev.payload, ev.payload_len, &id))
            nudged = true;
    }
    return nudged;
}

static void s_loop(router_outbox_t *o, s_state_t *st)
{
    int64_t next_ms = 0;
    while (!atomic_load(&o->stop)) {
        pc_sub_follow_update(st->follow);
        zmq_pollitem_t item = {pc_subscriber_socket(st->sub), 0, ZMQ_POLLIN, 0};
        bool nudged = zmq_poll(&item, 1, S_POLL_MS) > 0 && s_drain(st);
        if (!nudged && pc_mono_ms() < next_ms)
            continue;
        next_ms = pc_mono_ms() + S_PERIOD_MS;
        if (pc_rpc_client_instances(st->grp) == 0)
            continue;
        pc_rpc_opts_t opts = {0};
        int rc = router_outbox_pump(st->db, st->grp, &opts, o->cache,
                                    st->out ? s_emit_sender : NULL, st->out);
        if (rc != PC_OK)
            pc_warn("could not apply group membership changes (status %d); retrying", rc);
    }
}

static void *s_run(void *arg)
{
    router_outbox_t *o = arg;
    s_state_t st = {.sub = pc_subscriber_new()};
    if (st.sub != NULL)
        st.follow = pc_sub_follow_new(st.sub, o->registry, s_publishers, 1);
    st.grp = pc_rpc_client_new(o->registry, "group", o->rpc_deadline_ms);
    st.db = pc_db_new(o->db_url, "router-outbox", o->db_timeout_ms);
    st.out = pc_pub_sender_new(o->pub); /* in this thread: it owns the socket */
    if (o->pub != NULL && st.out == NULL)
        pc_warn("could not open a publisher sender; group system messages reach clients at "
                "their next sync only");
    if (st.follow == NULL || st.grp == NULL || st.db == NULL ||
        pc_subscriber_subscribe(st.sub, GROUP_NUDGE_TOPIC) < 0)
        pc_error("could not start the group outbox consumer; group membership changes wait "
                 "for a restart");
    else
        s_loop(o, &st);
    pc_pub_sender_destroy(&st.out);
    pc_db_destroy(&st.db);
    pc_rpc_client_destroy(&st.grp);
    pc_sub_follow_destroy(&st.follow);
    pc_subscriber_destroy(&st.sub);
    return NULL;
}

router_outbox_t *router_outbox_new(const char *db_url, int db_timeout_ms, pc_registry_t *reg,
                                   int rpc_deadline_ms, router_groups_t *cache, pc_publisher_t *pub)
{
    router_outbox_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->db_url = strdup(db_url ? db_url : "");
    o->db_timeout_ms = db_timeout_ms;
    o->rpc_deadline_ms = rpc_deadline_ms;
    o->registry = reg;
    o->cache = cache;
    o->pub = pub;
    atomic_init(&o->stop, false);
    if (o->db_url == NULL || pthread_create(&o->thread, NULL, s_run, o) != 0) {
        free(o->db_url);
        free(o);
        return NULL;
    }
    return o;
}

void router_outbox_destroy(router_outbox_t **op)
{
    if (op == NULL || *op == NULL)
        return;
    atomic_store(&(*op)->stop, true);
    pthread_join((*op)->thread, NULL);
    free((*op)->db_url);
    free(*op);
    *op = NULL;
}
