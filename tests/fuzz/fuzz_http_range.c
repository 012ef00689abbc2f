/* libFuzzer: the media download headers (media_http.h) on arbitrary client
 * text. The input's first 8 bytes pick the file size; the rest is tried as
 * a Range header and as an If-None-Match header. A range that is answered
 * must lie inside the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t file = 0;
    size_t head = size < 8 ? size : 8;
    for (size_t i = 0; i < head; i++)
        file = file << 8 | data[i];
    if (size % 3 == 0)
        file %= 100000; /* small sizes too, where the edges are */
    char *text = malloc(size - head + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + head, size - head);
    text[size - head] = '\0'; /* headers reach the parser as C strings */
    uint64_t first = 0, last = 0;
    gw_range_t r = gw_range_parse(text, file, &first, &last);
    if (r == GW_RANGE_OK && (first > last || last >= file))
        abort();
    (void)gw_etag_matches(text, "\"0123456789abcdef\"");
    (void)gw_etag_matches("\"0123456789abcdef\"", text);
    free(text);
    return 0;
}
