/* libFuzzer: the JSON decoder of WebSocket client frames, and the ack frame
 * built around a send's client_msg_id (the frame's bytes stand in for the
 * handler's message JSON). */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ws_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_ws_cmd_t c;
    char err[256];
    if (gw_ws_cmd_decode((const char *)data, size, &c, err, sizeof err) == 0 &&
        c.kind == GW_WS_CMD_SEND) {
        size_t len;
        free(gw_ws_cmd_send_body(&c, &len));
        free(gw_ws_ack_frame(c.client_msg_id, (const char *)data, size));
        json_decref(gw_ws_cmd_take_send_body(&c));
    }
    gw_ws_cmd_clear(&c);
    return 0;
}
