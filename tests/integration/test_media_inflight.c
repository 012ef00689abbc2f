/* test_media_inflight.c - PIGEON_MEDIA_MAX_INFLIGHT through the gateway:
 * with one upload slot, concurrent 9 MiB uploads get 503 `unavailable`
 * beyond it, and the others 201. A system of its own, because it starts
 * pigeon-media with the limit at 1. */
#include <pthread.h>

#include "media_calls.h"

static h_system_t s_sys;

static const char *const s_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_USER=100000",
                                    "PIGEON_MEDIA_MAX_INFLIGHT=1",
                                    "PIGEON_WORKERS=8",
                                    NULL};

#define S_UPLOADERS 6 /* at once */
#define S_ROUNDS 3    /* bounded: a 503 is expected in the first */

typedef struct {
    const ct_user_t *user;     /* who uploads */
    const unsigned char *data; /* the bytes */
    size_t len;                /* their size */
    long status;               /* the answer */
    char code[32];             /* its error code, "" on success */
} s_upload_t;

static void *s_upload(void *arg)
{
    s_upload_t *u = arg;
    h_resp_t r = md_upload(&s_sys, u->user, u->data, u->len, "image/jpeg");
    u->status = r.status;
    json_t *err = json_object_get(json_object_get(r.json, "error"), "code");
    snprintf(u->code, sizeof u->code, "%s", err ? json_string_value(err) : "");
    h_resp_free(&r);
    return NULL;
}

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, md_services, s_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

static void test_uploads_beyond_the_limit_get_503(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann");
    size_t len = 9 * MD_MIB;
    unsigned char *data = md_big_jpeg(len);
    int refused = 0, stored = 0;
    for (int round = 0; round < S_ROUNDS && refused == 0; round++) {
        s_upload_t up[S_UPLOADERS];
        pthread_t th[S_UPLOADERS];
        for (int i = 0; i < S_UPLOADERS; i++) {
            up[i] = (s_upload_t){.user = &ann, .data = data, .len = len};
            if (pthread_create(&th[i], NULL, s_upload, &up[i]) != 0)
                fail_msg("could not start an uploader thread");
        }
        for (int i = 0; i < S_UPLOADERS; i++) {
            pthread_join(th[i], NULL);
            if (up[i].status == 503 && strcmp(up[i].code, "unavailable") == 0)
                refused++;
            else if (up[i].status == 201)
                stored++;
            else
                fail_msg("upload answered %ld %s", up[i].status, up[i].code);
        }
    }
    if (refused == 0)
        fail_msg("no upload got 503 in %d rounds of %d at once", S_ROUNDS, S_UPLOADERS);
    assert_true(stored >= 1);
    /* Once the others are done, an upload goes through again. */
    h_resp_t r = md_upload(&s_sys, &ann, data, len, NULL);
    h_expect_status(&r, 201);
    h_resp_free(&r);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uploads_beyond_the_limit_get_503),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
