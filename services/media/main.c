/* main.c - pigeon-media: images and voice clips.
 *
 * Reads pigeon-media's own settings (PIGEON_MEDIA_*), then hands over to
 * pc_service_main, which runs the process until SIGTERM (or applies the
 * migrations with --migrate). */
#include <malloc.h>
#include <stdlib.h>

#include "log.h"
#include "media_service.h"

int main(int argc, char **argv)
{
    char err[256];
    media_config_t cfg;
    media_service_t *svc = NULL;
    pc_service_def_t def;

    /* Upload buffers are MBs each: serve them from mmap so that freeing one
     * gives the memory back instead of leaving it in glibc's heap. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    pc_log_init("media", NULL, PC_LOG_INFO);
    if (media_config_load(&cfg, err, sizeof err) != 0 ||
        (svc = media_service_new(&cfg, err, sizeof err)) == NULL) {
        pc_error("%s", err);
        return EXIT_FAILURE;
    }
    media_service_def(svc, &def);
    int rc = pc_service_main(&def, argc, argv);
    media_service_destroy(&svc);
    return rc;
}
