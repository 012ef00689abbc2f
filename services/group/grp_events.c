/* grp_events.c - events of pigeon-group (topics in proto/group.proto).
 *
 * Frames are encoded once per event and queued with pc_call_publish, which
 * sends them only after the call's transaction commits. Events are hints
 * (clients resync with GET /v1/me/groups; the router also polls
 * grp.changes), so a frame that cannot be encoded is logged and skipped
 * rather than failing a committed change. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "grp_handlers.h"
#include "json.h"
#include "log.h"

void grp_publish(pc_call_t *call, const int64_t *to, size_t n, const char *event,
                 const Pigeon__Grp__Group *g, json_t *extra)
{
    json_t *frame =
        json_pack("{s:s, s:s, s:o}", "type", "group", "event", event, "group", pc_api_group(g));
    char *text = NULL;
    if (frame != NULL && extra != NULL)
        json_object_update(frame, extra);
    if (frame != NULL)
        text = pc_json_dump(frame);
    json_decref(frame);
    json_decref(extra);
    if (text == NULL) {
        pc_log(PC_LOG_WARN, pc_call_trace(call), "could not encode group %s event", event);
        return;
    }
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++) {
        char topic[32];
        snprintf(topic, sizeof topic, "u:%" PRId64 "/", to[i]);
        pc_call_publish(call, topic, text, len);
    }
    free(text);
}

void grp_publish_members(pc_call_t *call, int64_t group, int64_t also, const char *event,
                         const Pigeon__Grp__Group *g, json_t *extra)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int st = grp_store_member_ids(pc_call_db(call), group, false, &ids, &n);
    if (st != PC_OK) {
        pc_log(PC_LOG_WARN, pc_call_trace(call), "could not list members for a group event");
        json_decref(extra);
        return;
    }
    int64_t *all = realloc(ids, (n + 1) * sizeof *all);
    if (all == NULL) {
        free(ids);
        json_decref(extra);
        return;
    }
    if (also != 0)
        all[n++] = also;
    grp_publish(call, all, n, event, g, extra);
    free(all);
}

void grp_publish_nudge(pc_call_t *call, int64_t change_id)
{
    Pigeon__Grp__GroupNudge ev = PIGEON__GRP__GROUP_NUDGE__INIT;
    ev.change_id = change_id;
    uint8_t buf[16]; /* one varint int64: at most 11 bytes */
    size_t len = protobuf_c_message_get_packed_size(&ev.base);
    if (len > sizeof buf)
        return;
    protobuf_c_message_pack(&ev.base, buf);
    pc_call_publish(call, "grp/", (const char *)buf, len);
}
