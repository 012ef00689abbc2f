/* fuzz_media_probe.c - media_probe() on arbitrary bytes: every image and
 * voice header parser of pigeon-media. It must never read out of bounds,
 * and what it accepts must be self-consistent.
 * Seeds: tests/fixtures/media/ (build/bin/fuzz_media_probe corpus/ tests/fixtures/media). */
#include <stdint.h>
#include <stdlib.h>

#include "media_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    media_info_t info;
    if (media_probe(data, size, &info) == MEDIA_PROBE_OK) {
        if (info.mime == NULL || media_kind_name(info.kind) == NULL)
            abort();
        if (info.kind == MEDIA_KIND_IMAGE && (info.width == 0 || info.height == 0))
            abort();
        if (info.kind == MEDIA_KIND_VOICE && info.duration_ms < -1)
            abort();
        (void)media_pixels_ok(&info, MEDIA_DEFAULT_MAX_PIXELS);
    }
    return 0;
}
