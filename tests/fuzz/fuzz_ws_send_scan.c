/* libFuzzer: the plain `send` frame scanner against the general reader.
 * Whatever gw_ws_send_scan accepts, gw_ws_cmd_decode and gw_map_send must
 * accept too, with the same values; a difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "messages_map.h"
#include "ws_cmd.h"
#include "ws_send_scan.h"

static void s_same_string(gw_span_t span, const char *s)
{
    if (span.p == NULL) {
        if (s != NULL)
            abort();
        return;
    }
    if (s == NULL || strlen(s) != span.len || memcmp(s, span.p, span.len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_ws_send_t f;
    if (!gw_ws_send_scan((const char *)data, size, &f))
        return 0;
    gw_ws_cmd_t c;
    char err[256];
    if (gw_ws_cmd_decode((const char *)data, size, &c, err, sizeof err) != 0 ||
        c.kind != GW_WS_CMD_SEND)
        abort();
    json_t *body = gw_ws_cmd_take_send_body(&c);
    Pigeon__Msg__SendRequest m;
    if (gw_map_send(body, &m, err, sizeof err) != 0)
        abort();
    if (m.has_to_user_id != (f.to_user_id != 0) || m.has_to_group_id != (f.to_group_id != 0) ||
        (m.has_to_user_id && m.to_user_id != f.to_user_id) ||
        (m.has_to_group_id && m.to_group_id != f.to_group_id) ||
        m.has_media_id != (f.media_id != 0) || (m.has_media_id && m.media_id != f.media_id))
        abort();
    s_same_string(f.client_msg_id, m.client_msg_id);
    s_same_string(f.kind, m.kind);
    s_same_string(f.text, m.text);
    json_decref(body);
    gw_ws_cmd_clear(&c);
    return 0;
}
