/* test_pubsub_follow.c - a SUB socket's connections follow the (static)
 * registry: one connection per distinct publisher, re-synced only when the
 * registry's version moves, events arrive through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "pubsub.h"
#include "pubsub_follow.h"
#include "registry.h"

static void test_follows_static_publishers(void **state)
{
    (void)state;
    char ep1[128], ep2[128], both[300];
    pc_publisher_t *p1 = pc_publisher_new("tcp://127.0.0.1:*", "pub-1", NULL, ep1, sizeof ep1);
    pc_publisher_t *p2 = pc_publisher_new("tcp://127.0.0.1:*", "pub-2", NULL, ep2, sizeof ep2);
    assert_non_null(p1);
    assert_non_null(p2);
    snprintf(both, sizeof both, "%s,%s", ep1, ep2);
    setenv("PIGEON_GROUP_PUB_ENDPOINTS", both, 1);
    setenv("PIGEON_MEDIA_PUB_ENDPOINTS", ep1, 1); /* the same publisher twice */
    pc_registry_t *reg = pc_registry_new(NULL, 1000, 3000);
    assert_non_null(reg);

    static const char *const services[] = {"group", "media"};
    pc_subscriber_t *sub = pc_subscriber_new();
    assert_non_null(sub);
    pc_sub_follow_t *f = pc_sub_follow_new(sub, reg, services, 2);
    assert_non_null(f);
    assert_int_equal(pc_sub_follow_count(f), 0);
    assert_true(pc_sub_follow_update(f));
    assert_int_equal(pc_sub_follow_count(f), 2);
    char ids[PC_SUB_FOLLOW_MAX][64];
    assert_int_equal(pc_sub_follow_instances(f, ids, PC_SUB_FOLLOW_MAX), 2);
    assert_int_equal(pc_sub_follow_instances(f, ids, 1), 1);
    assert_false(pc_sub_follow_update(f)); /* nothing changed */
    assert_int_equal(pc_sub_follow_count(f), 2);

    /* Both publishers answer a subscription with their marker. */
    assert_int_equal(pc_subscriber_subscribe(sub, "t/"), 0);
    int markers = 0;
    int64_t deadline = pc_mono_ms() + 3000;
    while (markers < 2 && pc_mono_ms() < deadline) {
        pc_event_t ev;
        int rc = pc_subscriber_recv(sub, &ev);
        if (rc == 1) {
            if (ev.is_marker && strcmp(ev.topic, "t/") == 0)
                markers++;
            continue;
        }
        zmq_pollitem_t item = {pc_subscriber_socket(sub), 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, 100);
    }
    assert_int_equal(markers, 2);

    pc_sub_follow_destroy(&f);
    assert_null(f);
    pc_sub_follow_destroy(&f); /* accepts NULL */
    pc_subscriber_destroy(&sub);
    pc_registry_destroy(&reg);
    pc_publisher_destroy(&p1);
    pc_publisher_destroy(&p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_static_publishers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
