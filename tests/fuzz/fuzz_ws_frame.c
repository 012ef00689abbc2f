/* libFuzzer: the WebSocket frame reader on arbitrary client bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    ws_reader_t r;
    ws_reader_init(&r, 4096);
    size_t off = 0;
    for (;;) {
        ws_event_t ev;
        size_t n = ws_reader_next(&r, buf + off, size - off, &ev);
        if (ev.kind == WS_EV_ERROR || n == 0)
            break;
        off += n;
    }
    ws_reader_clear(&r);
    free(buf);
    return 0;
}
