/* api_helpers.h - checks of API.md's objects shared by the integration tests. */
#ifndef PIGEON_TEST_API_HELPERS_H
#define PIGEON_TEST_API_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* One exchange with a JSON body (stolen; NULL for none). */
h_resp_t h_call(const h_system_t *sys, const char *method, const char *path, const char *token,
                json_t *body);

/* Fails the test, showing the body, unless r has this status. */
void h_expect_status(const h_resp_t *r, long status);

/* "2024-05-01T12:00:00Z", optionally with a fraction; UTC ("Z" or "+00:00"). */
bool h_is_rfc3339_utc(const char *s);

/* A user object as API.md shows it, with this username (and nickname, unless
 * NULL); no secret field. */
void h_check_user(json_t *user, const char *username, const char *nickname);

/* n copies of `unit`, malloc'd. */
char *h_repeat(const char *unit, size_t n);

#endif
