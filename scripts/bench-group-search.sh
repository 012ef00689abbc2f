#!/bin/sh
# bench-group-search.sh - group name search on 1,000,000 generated groups.
#
# Starts a throwaway PostgreSQL 15 cluster (UTF-8, C.UTF-8) on a free
# loopback port, applies services/group/sql/001_init.sql, generates groups
# with mixed Chinese / Latin names, and prints EXPLAIN (ANALYZE, BUFFERS) for
# the statements grp_store_search runs: "篮球", "爱好", a Latin substring and
# one-character queries. Results go to stdout; docs/search.md records a run.
#
#   scripts/bench-group-search.sh [group_count]      (default 1000000)
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
{ echo "CREATE SCHEMA grp; SET search_path TO grp, public;"; cat "$ROOT/services/group/sql/001_init.sql"; } | $PSQL

echo "== generating $N groups"
start=$(date +%s)
$PSQL <<SQL
ALTER TABLE grp.name_grams DROP CONSTRAINT name_grams_pkey,
                           DROP CONSTRAINT name_grams_group_id_fkey;
DROP INDEX grp.name_grams_group_idx;
DROP INDEX grp.groups_listed_order_idx;
-- Vocabularies: 100 two-character Chinese words, 10 group suffixes, 60 Latin words.
CREATE TEMP TABLE v AS SELECT
 string_to_array(
 '篮球,足球,排球,爱好,音乐,读书,旅行,摄影,美食,电影,游戏,编程,技术,交流,学习,同学,老乡,家长,宝妈,跑步,'
 '健身,登山,钓鱼,围棋,象棋,动漫,历史,文学,诗词,书法,绘画,吉他,钢琴,舞蹈,瑜伽,羽毛,乒乓,网球,骑行,露营,'
 '宠物,猫咪,狗狗,花园,咖啡,茶艺,烘焙,创业,投资,理财,北京,上海,广州,深圳,成都,杭州,武汉,南京,西安,重庆,'
 '大学,校友,工作,志愿,公益,环保,科技,数码,汽车,摩托,航模,天文,物理,化学,数学,英语,日语,法语,考研,留学,'
 '求职,租房,二手,团购,亲子,育儿,养生,中医,太极,武术,滑雪,潜水,冲浪,帆船,马拉,长跑,徒步,自驾,火锅,烧烤', ',') AS zh,
 string_to_array(
 '爱好者,俱乐部,交流群,之家,小组,联盟,研究会,协会,同好会,群', ',') AS zs,
 string_to_array(
 'Basketball,Football,Chess,Hiking,Coffee,Lovers,Club,Berlin,Paris,Python,Rust,Gamers,Book,Photo,Music,'
 'Jazz,Yoga,Runners,Team,Fans,Friends,Study,Group,Tokyo,London,Cycling,Climbing,Movie,Anime,Guitar,'
 'Piano,Dance,Travel,Food,Wine,Tea,Startup,Crypto,Linux,Golang,Design,Art,History,Poetry,Science,'
 'Space,Robots,Garden,Cats,Dogs,Surf,Ski,Dive,Sail,Marathon,Camping,Fishing,Kitchen,Parents,Alumni', ',') AS en;
SELECT setseed(0.42) AS seed \gset

INSERT INTO grp.groups (name, name_key, owner_id, join_policy, member_count, created_at)
SELECT name, lower(name), 1 + (g % 100000),
       CASE WHEN r1 < 0.1 THEN 'invite_only' WHEN r1 < 0.7 THEN 'approval' ELSE 'open' END,
       least(2000, floor(exp(random() * 7.6)))::int, now()
FROM (
  SELECT g, random() AS r1, CASE
    WHEN g % 5 IN (0, 1) THEN  -- Chinese: 1-3 words and a suffix
      zh[1 + floor(random() * 100)::int]
      || CASE WHEN random() < 0.6 THEN zh[1 + floor(random() * 100)::int] ELSE '' END
      || CASE WHEN random() < 0.2 THEN zh[1 + floor(random() * 100)::int] ELSE '' END
      || zs[1 + floor(random() * 10)::int]
    WHEN g % 5 IN (2, 3) THEN  -- Latin: two words, mixed case, a number
      (CASE WHEN g % 4 = 0 THEN upper(w1) WHEN g % 4 = 1 THEN lower(w1) ELSE w1 END)
      || ' ' || en[1 + floor(random() * 60)::int] || ' ' || (g % 1000)
    ELSE                       -- mixed
      zh[1 + floor(random() * 100)::int] || ' ' || w1 || zs[1 + floor(random() * 10)::int]
    END AS name
  FROM generate_series(1::bigint, $N) AS g, v,
       LATERAL (SELECT en[1 + floor(random() * 60 + g * 0)::int] AS w1) l
) s;

-- The same grams pc_bigram_grams(name_key, true) gives (lower() equals
-- pc_bigram_fold on these ASCII/CJK names): every bigram, and the last
-- code point alone.
INSERT INTO grp.name_grams (gram, group_id)
SELECT DISTINCT gram, id FROM (
  SELECT substr(g.name_key, i, 2) AS gram, g.id
  FROM grp.groups g, generate_series(1, char_length(g.name_key) - 1) AS i
  UNION ALL
  SELECT right(g.name_key, 1), g.id FROM grp.groups g
) t;
ALTER TABLE grp.name_grams ADD PRIMARY KEY (gram, group_id);
ALTER TABLE grp.name_grams ADD FOREIGN KEY (group_id) REFERENCES grp.groups (id);
CREATE INDEX name_grams_group_idx ON grp.name_grams (group_id);
CREATE INDEX groups_listed_order_idx ON grp.groups (member_count DESC, id)
    WHERE dismissed_at IS NULL AND join_policy <> 'invite_only';
VACUUM ANALYZE grp.groups;
VACUUM ANALYZE grp.name_grams;
SQL
echo "generated in $(( $(date +%s) - start )) s"
$PSQL -c "SELECT count(*) AS groups, pg_size_pretty(pg_total_relation_size('grp.groups')) AS groups_size FROM grp.groups" \
      -c "SELECT count(*) AS grams, pg_size_pretty(pg_total_relation_size('grp.name_grams')) AS grams_size FROM grp.name_grams"

# The statements of grp_store_search (services/group/grp_store_more.c), first
# page (limit 20 + 1): the ordered walk, and when it does not fill the page
# the gram intersection (two characters or more) or the prefix range (one).
LISTED="g.dismissed_at IS NULL AND g.join_policy <> 'invite_only'
  AND (g.member_count < \$2::int8 OR (g.member_count = \$2::int8 AND g.id > \$3::int8))"
WALK="PREPARE walk(text, int8, int8, int) AS
SELECT g.id, g.name, g.member_count FROM (SELECT * FROM grp.groups g WHERE $LISTED
  ORDER BY g.member_count DESC, g.id LIMIT 4000) g WHERE strpos(g.name_key, \$1) > 0
ORDER BY g.member_count DESC, g.id LIMIT \$4;"
MULTI="PREPARE multi(text, int8, int8, int, text, int8) AS
SELECT g.id, g.name, g.member_count FROM grp.groups g
WHERE g.id IN (SELECT n.group_id FROM grp.name_grams n
               WHERE n.gram = ANY (string_to_array(\$5, chr(31)))
               GROUP BY n.group_id HAVING count(*) = \$6::int8)
  AND strpos(g.name_key, \$1) > 0 AND $LISTED
ORDER BY g.member_count DESC, g.id LIMIT \$4;"
ONE="PREPARE one(text, int8, int8, int, text) AS
SELECT g.id, g.name, g.member_count FROM grp.groups g
WHERE g.id IN (SELECT n.group_id FROM grp.name_grams n WHERE n.gram >= \$1 AND n.gram < \$5)
  AND $LISTED ORDER BY g.member_count DESC, g.id LIMIT \$4;"

COUNTS="PREPARE counts(text) AS
SELECT a.t, (SELECT count(*) FROM (SELECT 1 FROM grp.name_grams n WHERE n.gram = a.t LIMIT 10000) c)
FROM unnest(string_to_array(\$1, chr(31))) WITH ORDINALITY AS a(t, i) ORDER BY a.i LIMIT 64;"

explain() { # label, execute statement
    echo "== $1"
    $PSQL -c "$WALK" -c "$MULTI" -c "$ONE" -c "$COUNTS" -c "$2" >/dev/null  # warm the cache
    $PSQL -c "$WALK" -c "$MULTI" -c "$ONE" -c "$COUNTS" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2"
}
count() { # label, where-clause on name_key
    $PSQL -At -c "SELECT '$1: ' || count(*) || ' listed groups match' FROM grp.groups
                  WHERE strpos(name_key, '$2') > 0 AND dismissed_at IS NULL AND join_policy <> 'invite_only'"
}
S=chr\(31\)
F="2147483648, 0, 21"
for q in 篮球 爱好 篮球爱好者 ketb "coffee lo" 篮 鱼 z 钓鱼俱; do count "$q" "$q"; done
explain "篮球: walk" "EXECUTE walk('篮球', $F)"
explain "篮球: bigram intersection (used when the walk does not fill the page)" "EXECUTE multi('篮球', $F, '篮球', 1)"
explain "爱好: walk" "EXECUTE walk('爱好', $F)"
explain "爱好: bigram intersection" "EXECUTE multi('爱好', $F, '爱好', 1)"
explain "篮球爱好者: walk" "EXECUTE walk('篮球爱好者', $F)"
explain "篮球爱好者: bigram intersection (4 bigrams)" "EXECUTE multi('篮球爱好者', $F, '篮球'||chr(31)||'球爱'||chr(31)||'爱好'||chr(31)||'好者', 4)"
explain "钓鱼俱: walk" "EXECUTE walk('钓鱼俱', $F)"
explain "钓鱼俱: bigram intersection (2 bigrams)" "EXECUTE multi('钓鱼俱', $F, '钓鱼'||chr(31)||'鱼俱', 2)"
explain "ketb: walk" "EXECUTE walk('ketb', $F)"
explain "ketb: bigram intersection (3 bigrams)" "EXECUTE multi('ketb', $F, 'ke'||chr(31)||'et'||chr(31)||'tb', 3)"
explain "coffee lo: walk" "EXECUTE walk('coffee lo', $F)"
explain "coffee lo: bigram intersection (8 bigrams)" "EXECUTE multi('coffee lo', $F, 'co'||chr(31)||'of'||chr(31)||'ff'||chr(31)||'fe'||chr(31)||'ee'||chr(31)||'e '||chr(31)||' l'||chr(31)||'lo', 8)"
# What user search's step for long queries (pc_bigram_rarest,
# services/common/bigram_store.c: count each bigram, index-only, capped at
# 10,000 rows; intersect the three rarest, or the rarest alone under 1,000
# rows) would cost here. Group search does not use it: docs/search.md has
# the measurement. Ties are broken here by position; the service prefers
# bigrams far apart.
rarest() { # label, query, its grams joined by chr(31) as SQL
    explain "$1: counts" "EXECUTE counts($3)"
    picked=$($PSQL -At -c "WITH x AS (SELECT a.t, a.i, (SELECT count(*) FROM (SELECT 1 FROM grp.name_grams n
            WHERE n.gram = a.t LIMIT 10000) c) AS c
          FROM unnest(string_to_array($3, chr(31))) WITH ORDINALITY AS a(t, i))
        SELECT string_agg(t, '|' ORDER BY i) || ' ' || count(*) FROM (SELECT t, i FROM x ORDER BY c, i
          LIMIT CASE WHEN (SELECT min(c) FROM x) < 1000 THEN 1 ELSE 3 END) y")
    echo "== $1: picked ${picked% *} (${picked##* } bigrams)"
    explain "$1: intersection of the picked bigrams" \
        "EXECUTE multi('$2', $F, replace('${picked% *}', '|', chr(31)), ${picked##* })"
}
rarest "篮球爱好者" 篮球爱好者 "'篮球'||chr(31)||'球爱'||chr(31)||'爱好'||chr(31)||'好者'"
rarest "coffee lo" "coffee lo" "'co'||chr(31)||'of'||chr(31)||'ff'||chr(31)||'fe'||chr(31)||'ee'||chr(31)||'e '||chr(31)||' l'||chr(31)||'lo'"
explain "篮: walk" "EXECUTE walk('篮', $F)"
explain "篮: prefix range (one character)" "EXECUTE one('篮', $F, '篯')"
explain "z: walk" "EXECUTE walk('z', $F)"
explain "z: prefix range" "EXECUTE one('z', $F, '{')"
