#!/bin/sh
# bench-user-search.sh - user search (username prefix or nickname substring)
# on 1,000,000 generated users.
#
# Starts a throwaway PostgreSQL 15 cluster (UTF-8, C.UTF-8) on a free
# loopback port, applies services/auth/sql/*.sql, generates users with
# Chinese, Latin and mixed nicknames, and prints EXPLAIN (ANALYZE, BUFFERS)
# for the two statements auth_store_search runs (services/auth/auth_store.c):
# the walk of the username index and the candidate query. docs/search.md
# records a run.
#
#   scripts/bench-user-search.sh [user_count]      (default 1000000)
#
# Needs: PostgreSQL 15 server binaries, run as root (the cluster runs as the
# postgres user) or as a user that may run initdb. Cleans up on exit.
set -eu

N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DIR=$(mktemp -d /tmp/pigeon-bench-XXXXXX)
chmod 0755 "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
cleanup() {
    as_pg "$PGBIN/pg_ctl -D $DIR/data -m fast stop" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb -D $DIR/data -E UTF8 --locale=C.UTF-8 -U pigeon --auth=trust" >/dev/null
as_pg "$PGBIN/pg_ctl -D $DIR/data -l $DIR/log -w -o '-p $PORT -k $DIR -c listen_addresses=127.0.0.1 \
 -c shared_buffers=1GB -c work_mem=16MB -c maintenance_work_mem=512MB -c max_wal_size=4GB \
 -c synchronous_commit=off' start" >/dev/null
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U pigeon -d postgres"

echo "== schema"
{ echo "CREATE SCHEMA auth; SET search_path TO auth, public;"; cat "$ROOT"/services/auth/sql/*.sql; } | $PSQL

echo "== generating $N users"
start=$(date +%s)
$PSQL <<SQL
ALTER TABLE auth.nickname_grams DROP CONSTRAINT nickname_grams_pkey,
                                DROP CONSTRAINT nickname_grams_user_id_fkey;
DROP INDEX auth.nickname_grams_user_idx;
ALTER TABLE auth.users DROP CONSTRAINT users_username_key;
CREATE TEMP TABLE v AS SELECT
 string_to_array('王,李,张,刘,陈,杨,赵,黄,周,吴,徐,孙,胡,朱,高,林,何,郭,马,罗', ',') AS sur,
 string_to_array('伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,娟,涛,明,超,秀,霞,平,刚,桂,英,华,玉,'
                 '萍,红,鹏,飞,鑫,波,宁,斌,宇,浩,凯,健,俊,帆,帅,旭,宁,龙,林,阳,婷,雪,琳,晨,欣', ',') AS giv,
 string_to_array('篮球,足球,爱好,音乐,读书,旅行,摄影,美食,电影,游戏,编程,咖啡,跑步,钓鱼,小明,'
                 '北京,上海,老师,学生,妈妈', ',') AS tag,
 string_to_array('James,Mary,John,Linda,Robert,Anna,Michael,Sarah,David,Laura,Chris,Emma,Daniel,'
                 'Olivia,Lucas,Mia,Noah,Lena,Leo,Zoe', ',') AS fn,
 string_to_array('Smith,Brown,Miller,Garcia,Lee,Wilson,Taylor,Clark,Lewis,Walker,Young,King,Wright,'
                 'Lopez,Hill,Scott,Green,Adams,Baker,Nelson', ',') AS ln,
 string_to_array('coffee,lover,runner,gamer,chef,dev,photo,music,travel,books', ',') AS en;
SELECT setseed(0.42) AS seed \gset

INSERT INTO auth.users (username, nickname, nickname_key, password_hash, created_at)
SELECT username, nickname, lower(nickname), 'x', now() FROM (
  SELECT lower(fn[1 + (g % 20)::int]) || '_' || to_hex((g * 2654435761) % 4294967296) AS username,
    CASE
    WHEN g % 5 IN (0, 1) THEN  -- Chinese: surname, one or two given characters, sometimes a tag
      sur[1 + floor(random() * 20)::int] || giv[1 + floor(random() * 50)::int]
      || CASE WHEN random() < 0.5 THEN giv[1 + floor(random() * 50)::int] ELSE '' END
      || CASE WHEN random() < 0.2 THEN tag[1 + floor(random() * 20)::int] ELSE '' END
    WHEN g % 5 IN (2, 3) THEN  -- Latin: first and last name, mixed case, sometimes a word
      (CASE WHEN g % 3 = 0 THEN upper(f) ELSE f END) || ' ' || ln[1 + floor(random() * 20)::int]
      || CASE WHEN random() < 0.2 THEN ' ' || en[1 + floor(random() * 10)::int] ELSE '' END
    ELSE                       -- mixed
      tag[1 + floor(random() * 20)::int] || f || en[1 + floor(random() * 10)::int]
    END AS nickname
  FROM generate_series(1::bigint, $N) AS g, v,
       LATERAL (SELECT fn[1 + floor(random() * 20 + g * 0)::int] AS f) l
) s;

-- The grams pc_bigram_grams(nickname_key, true) gives (lower() equals
-- pc_bigram_fold on these ASCII/CJK nicknames): every bigram and the last
-- code point alone.
INSERT INTO auth.nickname_grams (gram, user_id)
SELECT DISTINCT gram, id FROM (
  SELECT substr(u.nickname_key, i, 2) AS gram, u.id
  FROM auth.users u, generate_series(1, char_length(u.nickname_key) - 1) AS i
  UNION ALL
  SELECT right(u.nickname_key, 1), u.id FROM auth.users u
) t;
ALTER TABLE auth.users ADD CONSTRAINT users_username_key UNIQUE (username);
ALTER TABLE auth.nickname_grams ADD PRIMARY KEY (gram, user_id);
ALTER TABLE auth.nickname_grams ADD FOREIGN KEY (user_id) REFERENCES auth.users (id);
CREATE INDEX nickname_grams_user_idx ON auth.nickname_grams (user_id);
VACUUM ANALYZE auth.users;
VACUUM ANALYZE auth.nickname_grams;
SQL
echo "generated in $(( $(date +%s) - start )) s"
$PSQL -c "SELECT count(*) AS users, pg_size_pretty(pg_total_relation_size('auth.users')) AS users_size FROM auth.users" \
      -c "SELECT count(*) AS grams, pg_size_pretty(pg_total_relation_size('auth.nickname_grams')) AS grams_size FROM auth.nickname_grams"

# The statements of auth_store_search, first page (limit 20 + 1): the walk,
# and when it does not fill the page the capped bigram counts (more than three
# bigrams) and the candidates.
MATCH="(u.username LIKE \$1 OR strpos(u.nickname_key, \$2) > 0
  OR (u.nickname_key IS NULL AND u.nickname ILIKE \$5))"
WALK="PREPARE walk(text, text, text, int, text) AS
SELECT u.id, u.username, u.nickname FROM (SELECT * FROM auth.users
  WHERE \$3::text IS NULL OR username > \$3 ORDER BY username LIMIT 4000) u
WHERE $MATCH ORDER BY u.username LIMIT \$4;"
CAND="PREPARE cand(text, text, text, int, text, text, int8, text) AS
SELECT u.id, u.username, u.nickname FROM auth.users u WHERE u.id IN (
 (SELECT p.id FROM auth.users p WHERE p.username LIKE \$1
   AND (\$3::text IS NULL OR p.username > \$3) ORDER BY p.username LIMIT \$4)
 UNION ALL
 SELECT n.user_id FROM auth.nickname_grams n
   WHERE \$7::int8 > 0 AND n.gram = ANY (string_to_array(\$6, chr(31)))
   GROUP BY n.user_id HAVING count(*) = \$7::int8
 UNION ALL
 SELECT DISTINCT n.user_id FROM auth.nickname_grams n
   WHERE \$7::int8 = 0 AND n.gram >= \$2 AND n.gram < \$8
 UNION ALL
 SELECT x.id FROM auth.users x WHERE x.nickname_key IS NULL)
 AND (\$3::text IS NULL OR u.username > \$3) AND $MATCH
ORDER BY u.username LIMIT \$4;"
OLD="PREPARE old(text, text) AS
SELECT u.id, u.username, u.nickname FROM auth.users u
WHERE (u.username LIKE \$1 OR u.nickname ILIKE \$2) ORDER BY u.username LIMIT 21;"

COUNTS="PREPARE counts(text) AS
SELECT a.t, (SELECT count(*) FROM (SELECT 1 FROM auth.nickname_grams n WHERE n.gram = a.t
  LIMIT 10000) c) FROM unnest(string_to_array(\$1, chr(31))) WITH ORDINALITY AS a(t, i)
ORDER BY a.i;"
rarest() { # SQL text array, then the same bigrams as words -> the 3 that auth_store_search
            # picks (s_rarest_grams), chr(31)-joined
    arr=$1
    shift
    $PSQL -At -F ' ' -c "SELECT (SELECT count(*) FROM (SELECT 1 FROM auth.nickname_grams n
      WHERE n.gram = a.t LIMIT 10000) c) FROM unnest($arr) a(t)" | python3 -c '
import sys
counts = [int(l) for l in sys.stdin.read().split()]
grams = sys.argv[1:]
chosen = []
for k in range(min(3, len(grams))):
    spread = lambda i: min([abs(i - j) for j in chosen], default=len(grams))
    best = min((i for i in range(len(grams)) if i not in chosen),
               key=lambda i: (counts[i], -spread(i), i))
    if counts[best] == 0:
        chosen = []
        break
    chosen.append(best)
    if k == 0 and counts[best] < 1000:
        break
sys.stdout.write(chr(31).join(grams[i] for i in chosen))' "$@"
}
explain() { # label, execute statement
    echo "== $1"
    $PSQL -c "$WALK" -c "$CAND" -c "$OLD" -c "$COUNTS" -c "$2" >/dev/null  # warm the cache
    $PSQL -c "$WALK" -c "$CAND" -c "$OLD" -c "$COUNTS" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2"
}
count() { # label, substring
    $PSQL -At -c "SELECT '$1: ' || count(*) || ' users match' FROM auth.users
                  WHERE strpos(nickname_key, '$2') > 0 OR username LIKE '$2%'"
}
S="chr(31)"
for q in 篮球 爱好 小明 明 咖啡 "smith cof" li_ z; do count "$q" "$q"; done
explain "篮球: walk" "EXECUTE walk('篮球%', '篮球', NULL, 21, '%篮球%')"
explain "篮球: candidates" "EXECUTE cand('篮球%', '篮球', NULL, 21, '%篮球%', '篮球', 1, '')"
explain "篮球: before this change (ILIKE scan)" "EXECUTE old('篮球%', '%篮球%')"
explain "小明: walk" "EXECUTE walk('小明%', '小明', NULL, 21, '%小明%')"
explain "小明: candidates" "EXECUTE cand('小明%', '小明', NULL, 21, '%小明%', '小明', 1, '')"
explain "王明: walk" "EXECUTE walk('王明%', '王明', NULL, 21, '%王明%')"
explain "王明: candidates" "EXECUTE cand('王明%', '王明', NULL, 21, '%王明%', '王明', 1, '')"
explain "王明: before this change (ILIKE scan)" "EXECUTE old('王明%', '%王明%')"
explain "明: walk" "EXECUTE walk('明%', '明', NULL, 21, '%明%')"
explain "明: candidates (one character)" "EXECUTE cand('明%', '明', NULL, 21, '%明%', '', 0, '昏')"
explain "smith cof: walk" "EXECUTE walk('smith cof%', 'smith cof', NULL, 21, '%smith cof%')"
explain "smith cof: bigram counts (8 bigrams, capped)" "EXECUTE counts('sm'||$S||'mi'||$S||'it'||$S||'th'||$S||'h '||$S||' c'||$S||'co'||$S||'of')"
R=$(rarest "ARRAY['sm','mi','it','th','h ',' c','co','of']" sm mi it th "h " " c" co of)
K=$(( $(printf '%s' "$R" | tr -cd '\037' | wc -c) + 1 ))
echo "== picked: [$(printf '%s' "$R" | tr '\037' '|')]"
explain "smith cof: candidates (the picked bigrams)" "EXECUTE cand('smith cof%', 'smith cof', NULL, 21, '%smith cof%', '$R', $K, '')"
explain "lena_1: walk (a username prefix)" "EXECUTE walk('lena\\_1%', 'lena_1', NULL, 21, '%lena\\_1%')"
explain "lena_1: bigram counts (5 bigrams, capped)" "EXECUTE counts('le'||$S||'en'||$S||'na'||$S||'a_'||$S||'_1')"
R=$(rarest "ARRAY['le','en','na','a_','_1']" le en na a_ _1)
K=$(( $(printf '%s' "$R" | tr -cd '\037' | wc -c) + 1 ))
echo "== picked: [$(printf '%s' "$R" | tr '\037' '|')]"
explain "lena_1: candidates (the picked bigrams)" "EXECUTE cand('lena\\_1%', 'lena_1', NULL, 21, '%lena\\_1%', '$R', $K, '')"
explain "篮球爱好者 (4 bigrams): bigram counts" "EXECUTE counts('篮球'||$S||'球爱'||$S||'爱好'||$S||'好者')"
R=$(rarest "ARRAY['篮球','球爱','爱好','好者']" 篮球 球爱 爱好 好者)
K=$(( $(printf '%s' "$R" | tr -cd '\037' | wc -c) + 1 ))
echo "== picked: [$(printf '%s' "$R" | tr '\037' '|')]"
explain "篮球爱好者: candidates (the picked bigrams)" "EXECUTE cand('篮球爱好者%', '篮球爱好者', NULL, 21, '%篮球爱好者%', '$R', $K, '')"
explain "smith cof: before this change (ILIKE scan)" "EXECUTE old('smith cof%', '%smith cof%')"
