/* test_password.c - Argon2id hashes and the limiter in front of them.
 *
 * Small Argon2 parameters keep the tests fast; the code path is the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "auth_password.h"
#include "status.h"

static auth_password_t *s_new(int workers, int queue)
{
    auth_password_opts_t opts = {
        .workers = workers, .queue = queue, .opslimit = 1, .memlimit = 64 * 1024};
    auth_password_t *pw = auth_password_new(&opts);
    assert_non_null(pw);
    return pw;
}

static void test_hash_then_verify(void **state)
{
    auth_password_t *pw = s_new(2, 4);
    char hash[AUTH_PASSWORD_HASH_SIZE];
    bool match = false;
    assert_int_equal(auth_password_hash(pw, "secret-123", 1000, hash), PC_OK);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_null(strstr(hash, "secret-123"));
    assert_int_equal(auth_password_verify(pw, hash, "secret-123", 1000, &match), PC_OK);
    assert_true(match);
    auth_password_destroy(&pw);
    assert_null(pw);
    auth_password_destroy(&pw); /* NULL is fine */
}

static void test_wrong_password_fails(void **state)
{
    auth_password_t *pw = s_new(1, 0);
    char hash[AUTH_PASSWORD_HASH_SIZE], again[AUTH_PASSWORD_HASH_SIZE];
    bool match = true;
    assert_int_equal(auth_password_hash(pw, "secret-123", 1000, hash), PC_OK);
    assert_int_equal(auth_password_verify(pw, hash, "secret-124", 1000, &match), PC_OK);
    assert_false(match);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(auth_password_hash(pw, "secret-123", 1000, again), PC_OK);
    assert_string_not_equal(hash, again);
    /* A stored value that is not a hash never matches. */
    match = true;
    assert_int_equal(auth_password_verify(pw, "not a hash", "secret-123", 1000, &match), PC_OK);
    assert_false(match);
    auth_password_destroy(&pw);
}

static void test_dummy_verify_never_matches(void **state)
{
    auth_password_t *pw = s_new(1, 0);
    bool match = true;
    /* An unknown user: the work is done, the answer is no. */
    assert_int_equal(auth_password_verify(pw, NULL, "secret-123", 1000, &match), PC_OK);
    assert_false(match);
    match = true;
    assert_int_equal(auth_password_verify(pw, NULL, "", 1000, &match), PC_OK);
    assert_false(match);
    auth_password_destroy(&pw);
}

static void test_bad_parameters_refused(void **state)
{
    auth_password_opts_t opts = {.workers = 0, .queue = 0, .opslimit = 1, .memlimit = 64 * 1024};
    assert_null(auth_password_new(&opts));
    opts.workers = 1;
    opts.queue = -1;
    assert_null(auth_password_new(&opts));
    opts.queue = 0;
    opts.memlimit = 1024; /* below libsodium's minimum */
    assert_null(auth_password_new(&opts));
}

/* A caller that waits for a slot on another thread. */
typedef struct {
    auth_password_t *pw; /* limiter under test */
    int status;          /* what acquire answered */
} s_waiter_t;

static void *s_wait_for_slot(void *arg)
{
    s_waiter_t *w = arg;
    w->status = auth_password_acquire(w->pw, 30000);
    if (w->status == PC_OK)
        auth_password_release(w->pw);
    return NULL;
}

static void s_poll_queued(auth_password_t *pw, int want)
{
    struct timespec tick = {0, 1000000};
    for (int i = 0; i < 10000 && auth_password_queued(pw) != want; i++)
        nanosleep(&tick, NULL);
    assert_int_equal(auth_password_queued(pw), want);
}

static void test_limiter_rejects_when_queue_full(void **state)
{
    auth_password_t *pw = s_new(1, 1);
    char hash[AUTH_PASSWORD_HASH_SIZE];
    s_waiter_t w = {.pw = pw, .status = -1};
    pthread_t t;

    assert_int_equal(auth_password_acquire(pw, 1000), PC_OK); /* the only slot */
    assert_int_equal(pthread_create(&t, NULL, s_wait_for_slot, &w), 0);
    s_poll_queued(pw, 1); /* the queue's one place is taken */
    /* Beyond the queue: 503 at once, whatever the deadline. */
    assert_int_equal(auth_password_acquire(pw, 30000), PC_UNAVAILABLE);
    assert_int_equal(auth_password_hash(pw, "secret-123", 30000, hash), PC_UNAVAILABLE);
    auth_password_release(pw);
    pthread_join(t, NULL);
    assert_int_equal(w.status, PC_OK); /* the waiter got the slot */
    assert_int_equal(auth_password_queued(pw), 0);
    assert_int_equal(auth_password_hash(pw, "secret-123", 1000, hash), PC_OK);
    auth_password_destroy(&pw);
}

static void test_limiter_without_queue(void **state)
{
    auth_password_t *pw = s_new(2, 0);
    assert_int_equal(auth_password_acquire(pw, 1000), PC_OK);
    assert_int_equal(auth_password_acquire(pw, 1000), PC_OK);
    assert_int_equal(auth_password_acquire(pw, 1000), PC_UNAVAILABLE);
    auth_password_release(pw);
    assert_int_equal(auth_password_acquire(pw, 1000), PC_OK);
    auth_password_release(pw);
    auth_password_release(pw);
    auth_password_destroy(&pw);
}

static void test_limiter_wait_ends_at_deadline(void **state)
{
    auth_password_t *pw = s_new(1, 4);
    bool match = false;
    assert_int_equal(auth_password_acquire(pw, 1000), PC_OK);
    assert_int_equal(auth_password_acquire(pw, 20), PC_DEADLINE_EXCEEDED);
    assert_int_equal(auth_password_verify(pw, NULL, "x", 0, &match), PC_DEADLINE_EXCEEDED);
    assert_int_equal(auth_password_queued(pw), 0);
    auth_password_release(pw);
    auth_password_destroy(&pw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_then_verify),
        cmocka_unit_test(test_wrong_password_fails),
        cmocka_unit_test(test_dummy_verify_never_matches),
        cmocka_unit_test(test_bad_parameters_refused),
        cmocka_unit_test(test_limiter_rejects_when_queue_full),
        cmocka_unit_test(test_limiter_without_queue),
        cmocka_unit_test(test_limiter_wait_ends_at_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
