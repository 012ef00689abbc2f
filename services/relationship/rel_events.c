/* rel_events.c - events of pigeon-relationship (topics in proto/relationship.proto).
 *
 * Frames are encoded once per event and queued with pc_call_publish, which
 * sends them only after the call's transaction commits. Events are hints
 * (clients resync with GET /v1/contacts), so a frame that cannot be encoded
 * is logged and skipped rather than failing a committed change. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "log.h"
#include "rel_handlers.h"

/* "u:<id>/" */
typedef struct {
    char s[32]; /* the topic text */
} s_topic_t;

static s_topic_t s_user_topic(int64_t user)
{
    s_topic_t t;
    snprintf(t.s, sizeof t.s, "u:%" PRId64 "/", user);
    return t;
}

static void s_send(pc_call_t *call, const int64_t *users, size_t n, char *frame, const char *what)
{
    if (frame == NULL) {
        pc_log(PC_LOG_WARN, pc_call_trace(call), "could not encode %s event", what);
        return;
    }
    size_t len = strlen(frame);
    for (size_t i = 0; i < n; i++) {
        s_topic_t t = s_user_topic(users[i]);
        pc_call_publish(call, t.s, frame, len);
    }
    free(frame);
}

void rel_publish_contact(pc_call_t *call, int64_t owner, const Pigeon__Rel__Contact *c)
{
    s_send(call, &owner, 1, pc_api_frame("contact", "contact", pc_api_contact(c)), "contact");
}

void rel_publish_request(pc_call_t *call, const Pigeon__Rel__FriendRequest *r, const int64_t *users,
                         size_t n)
{
    s_send(call, users, n, pc_api_frame("friend_request", "request", pc_api_friend_request(r)),
           "friend_request");
}

void rel_publish_removed(pc_call_t *call, int64_t owner, int64_t peer)
{
    s_send(call, &owner, 1, pc_api_frame("contact_removed", "user_id", json_integer(peer)),
           "contact_removed");
}

void rel_publish_changed(pc_call_t *call, int64_t a, int64_t b)
{
    Pigeon__Rel__RelChanged ev = PIGEON__REL__REL_CHANGED__INIT;
    ev.a = a < b ? a : b;
    ev.b = a < b ? b : a;
    uint8_t buf[32]; /* two varint int64s: at most 22 bytes */
    size_t len = protobuf_c_message_get_packed_size(&ev.base);
    if (len > sizeof buf) {
        pc_log(PC_LOG_ERROR, pc_call_trace(call), "RelChanged of %zu bytes", len);
        return;
    }
    protobuf_c_message_pack(&ev.base, buf);
    pc_call_publish(call, "rel/", (const char *)buf, len);
}
