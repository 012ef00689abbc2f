/* Request bodies as the gateway receives them: any bytes through
 * pc_json_parse_object and the account and contacts request mappers. A crash, a leak
 * (LeakSanitizer) or undefined behaviour is a finding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "account_map.h"
#include "contacts_map.h"
#include "json.h"

/* What would go on the wire must pack. */
static void s_pack(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf) {
        protobuf_c_message_pack(m, buf);
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (size > PC_JSON_MAX_BODY) /* the gateway answers 413 before parsing */
        return 0;
    json_t *obj = pc_json_parse_object((const char *)data, size, err, sizeof err);
    if (!obj)
        return 0;
    Pigeon__Auth__RegisterRequest reg;
    if (gw_map_register(obj, &reg, err, sizeof err) == 0 &&
        (!reg.username || !reg.password || !reg.nickname))
        abort(); /* success means every required field is set */
    Pigeon__Auth__LoginRequest login;
    if (gw_map_login(obj, &login, err, sizeof err) == 0 && (!login.username || !login.password))
        abort();
    gw_patch_me_t patch;
    if (gw_map_patch_me(obj, &patch, err, sizeof err) == 0) {
        if (patch.msg.n_null_fields > 3)
            abort();
        s_pack(&patch.msg.base);
    }
    Pigeon__Rel__AddRequest add;
    if (gw_map_add_contact(obj, &add, err, sizeof err) == 0) {
        if (add.user_id < 1 || !add.mode ||
            (strcmp(add.mode, "one_way") != 0 && strcmp(add.mode, "two_way") != 0))
            abort(); /* success means a positive id and a known mode */
        s_pack(&add.base);
    }
    Pigeon__Rel__UserIdRequest block;
    if (gw_map_block(obj, &block, err, sizeof err) == 0 && block.user_id < 1)
        abort();
    json_decref(obj);
    return 0;
}
