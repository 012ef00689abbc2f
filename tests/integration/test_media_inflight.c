/* test_media_inflight.c - the two bounds on uploads at once, through the
 * gateway: PIGEON_MEDIA_MAX_INFLIGHT (pigeon-media) and
 * PIGEON_HTTP_MAX_UPLOADS (the gateway, before it reads a body). With one
 * slot, concurrent 9 MiB uploads get 503 `unavailable` beyond it, and the
 * others 201. A system of its own per bound, each set to 1. */
#include <pthread.h>

#include "media_calls.h"
#include "metrics_calls.h"

static h_system_t s_sys;

static const char *const s_media_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                          "PIGEON_RATE_LOGIN_PER_IP=100000",
                                          "PIGEON_RATE_LOGIN_PER_USER=100000",
                                          "PIGEON_MEDIA_MAX_INFLIGHT=1",
                                          "PIGEON_WORKERS=8",
                                          NULL};
static const char *const s_gateway_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                            "PIGEON_RATE_LOGIN_PER_IP=100000",
                                            "PIGEON_RATE_LOGIN_PER_USER=100000",
                                            "PIGEON_MEDIA_MAX_INFLIGHT=8",
                                            "PIGEON_HTTP_MAX_UPLOADS=1",
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
    char message[96];          /* its error message, "" on success */
} s_upload_t;

static void *s_upload(void *arg)
{
    s_upload_t *u = arg;
    h_resp_t r = md_upload(&s_sys, u->user, u->data, u->len, "image/jpeg");
    u->status = r.status;
    json_t *err = json_object_get(json_object_get(r.json, "error"), "code");
    json_t *msg = json_object_get(json_object_get(r.json, "error"), "message");
    snprintf(u->code, sizeof u->code, "%s", err ? json_string_value(err) : "");
    snprintf(u->message, sizeof u->message, "%s", msg ? json_string_value(msg) : "");
    h_resp_free(&r);
    return NULL;
}

static int s_start(const char *const *env)
{
    h_system_start(&s_sys, md_services, env);
    mc_wait_router(&s_sys);
    mx_wait_view(&s_sys, "media", 1, 20000); /* else an upload may meet "unavailable" */
    return 0;
}

static int s_setup_media_bound(void **state)
{
    (void)state;
    return s_start(s_media_env);
}

static int s_setup_gateway_bound(void **state)
{
    (void)state;
    return s_start(s_gateway_env);
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

/* Rounds of S_UPLOADERS uploads at once until one gets 503 whose message
 * holds `refusal` (which bound refused it); every other answer is 201. */
static void s_expect_refusals(const char *refusal)
{
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
            if (up[i].status == 503 && strcmp(up[i].code, "unavailable") == 0 &&
                strstr(up[i].message, refusal) != NULL)
                refused++;
            else if (up[i].status == 201)
                stored++;
            else
                fail_msg("upload answered %ld %s: %s", up[i].status, up[i].code, up[i].message);
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

static void test_uploads_beyond_the_media_bound_get_503(void **state)
{
    (void)state;
    s_expect_refusals("too many uploads in progress");
}

/* The gateway refuses before reading the body, with its own message. */
static void test_uploads_beyond_the_gateway_bound_get_503(void **state)
{
    (void)state;
    s_expect_refusals("too many uploads at once");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uploads_beyond_the_media_bound_get_503,
                                        s_setup_media_bound, s_teardown),
        cmocka_unit_test_setup_teardown(test_uploads_beyond_the_gateway_bound_get_503,
                                        s_setup_gateway_bound, s_teardown),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
