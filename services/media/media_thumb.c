/* media_thumb.c - thumbnails with libvips (see media_thumb.h).
 *
 * vips_thumbnail_buffer shrinks on load where the format allows (JPEG by
 * 2/4/8 in the decoder, WebP in libwebp), so a 12-megapixel JPEG is decoded
 * at about 1/8 of its size: memory per thumbnail is a few MB, not the
 * 36 MB of the full image. */
#include "media_thumb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "log.h"
#include "status.h"

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static int s_init_rc = -1;

static void s_init(void)
{
    if (VIPS_INIT("pigeon-media") != 0) {
        pc_error("could not start libvips: %s", vips_error_buffer());
        vips_error_clear();
        return;
    }
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_concurrency_set(1);
    vips_block_untrusted_set(TRUE);
    s_init_rc = 0;
}

int media_thumb_init(void)
{
    pthread_once(&s_once, s_init);
    return s_init_rc;
}

/* Encodes img as PNG (alpha) or JPEG into out. */
static int s_encode(VipsImage *img, media_thumb_row_t *out)
{
    void *buf = NULL;
    size_t n = 0;
    bool png = vips_image_hasalpha(img);
    int rc = png ? vips_pngsave_buffer(img, &buf, &n, "compression", 6, "strip", TRUE, NULL)
                 : vips_jpegsave_buffer(img, &buf, &n, "Q", 80, "strip", TRUE,
                                        "optimize_coding", TRUE, NULL);
    if (rc != 0) {
        pc_warn("could not encode a thumbnail: %s", vips_error_buffer());
        vips_error_clear();
        return PC_INTERNAL;
    }
    out->data = malloc(n ? n : 1);
    if (out->data == NULL) {
        g_free(buf);
        return PC_INTERNAL;
    }
    memcpy(out->data, buf, n);
    g_free(buf);
    out->len = n;
    snprintf(out->mime, sizeof out->mime, "%s", png ? "image/png" : "image/jpeg");
    out->width = vips_image_get_width(img);
    out->height = vips_image_get_height(img);
    return PC_OK;
}

int media_thumb_make(const uint8_t *data, size_t len, int max_side, media_thumb_row_t *out)
{
    memset(out, 0, sizeof *out);
    if (media_thumb_init() != 0)
        return PC_INTERNAL;
    VipsImage *img = NULL;
    int rc = PC_OK;
    /* libvips does not write to the buffer; its API is just not const. */
    if (vips_thumbnail_buffer((void *)data, len, &img, max_side, "height", max_side, "size",
                              VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR, NULL) != 0) {
        pc_warn("could not decode an image for its thumbnail: %s", vips_error_buffer());
        vips_error_clear();
        rc = PC_UNSUPPORTED_MEDIA_TYPE;
        goto done;
    }
    rc = s_encode(img, out);
done:
    if (img != NULL)
        g_object_unref(img);
    vips_thread_shutdown(); /* frees this thread's libvips buffers now */
    return rc;
}
