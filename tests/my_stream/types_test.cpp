// Every MariaDB column type through the binlog stream, compared value for value with
// the source (HEX of the stored bytes, shortest doubles, exact decimals and times).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;

namespace {

const char* kTypesTable = R"(CREATE TABLE types (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d65 DECIMAL(65,30), d10 DECIMAL(10,2) UNSIGNED, d0 DECIMAL(20,0),
  f FLOAT, fu FLOAT UNSIGNED, db DOUBLE,
  b1 BIT(1), b13 BIT(13), b64 BIT(64),
  dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME, dtm3 DATETIME(3), dtm6 DATETIME(6),
  ts TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL, yr YEAR,
  c CHAR(10) CHARACTER SET latin1, vc VARCHAR(300), vcl VARCHAR(20) CHARACTER SET latin1,
  tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  bn BINARY(8), vb VARBINARY(20), tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
  e ENUM('small','medium','large'), st SET('x','y','z'),
  js JSON,
  g GEOMETRY, pt POINT, pg POLYGON,
  ip6 INET6, u UUID, ip4 INET4,
  vgen BIGINT AS (i + 1) VIRTUAL, sgen VARCHAR(50) AS (CONCAT(vc, '!')) STORED
))";

const char* kColumns =
    "id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, d65, d10, d0, f, fu, db, b1, b13, b64, dt, "
    "tm, tm6, dtm, dtm3, dtm6, ts, ts6, yr, c, vc, vcl, tt, tx, mt, lt, bn, vb, tb, bl, mb, lb, "
    "e, st, js, g, pt, pg, ip6, u, ip4";

// Extremes, zero dates, charsets, NULLs in every column.
const char* kRows = R"(
(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
 -9223372036854775808, 18446744073709551615,
 '-99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99,
 '-12345678901234567890', 1.1, 3.4e38, 1.7976931348623157e308,
 b'1', b'1010101010101', b'1111111111111111111111111111111111111111111111111111111111111111',
 '0000-00-00', '-838:59:59', '838:59:59.000000', '0000-00-00 00:00:00',
 '2016-00-28 10:11:12.345', '9999-12-31 23:59:59.999999',
 '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', 1901,
 _latin1 X'636166E9', 'emoji 😀 and ü', _latin1 X'E9E8FF',
 '', 'tab\tnewline\n quote'' backslash\\', REPEAT('m', 70000), 'Zürich',
 X'0001020304FEFF00', X'00', X'', X'DEADBEEF', REPEAT(X'AB', 70000), X'00FF00FF',
 'large', 'x,z', '{"a": [1, 2.5, "x"], "b": null}',
 ST_GeomFromText('LINESTRING(0 0, 1 1.5)'), ST_GeomFromText('POINT(1 2)', 4326),
 ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 0))'),
 '2001:db8::ff00:42:8329', '123e4567-e89b-12d3-a456-426614174000', '192.168.0.1'),
(2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
 '0.000000000000000000000000000001', 0.01, '0', -0.000001, 0, 5e-324,
 b'0', b'0', b'0', '2016-02-29', '00:00:00', '-00:00:00.000001', '1000-01-01 00:00:00',
 '2020-01-01 00:00:00.001', '2020-06-30 12:00:00.000001', '0000-00-00 00:00:00',
 '1999-12-31 23:59:59.5', 2155,
 'a', '', 'x', 'x', 'y', 'z', '',
 X'FF', X'FFFFFFFFFFFFFFFFFFFF', X'01', X'02', X'03', X'04',
 'small', '', '[]', NULL, NULL, NULL, '::', '00000000-0000-0000-0000-000000000000', '0.0.0.0'),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL)
)";

void require_identical(test::MyStreamDb& db, const std::string& table) {
  test::require_identical(db, std::vector<std::string>{table});
}

}  // namespace

TEST_CASE("Every MariaDB type arrives exactly through inserts, updates and deletes") {
  test::MyStreamDb db("ms_types");
  db.both_sql(kTypesTable);
  db.start();
  db.source_sql(std::string("INSERT INTO types (") + kColumns + ") VALUES " + kRows);
  REQUIRE(db.sync());
  REQUIRE(db.target_value("SELECT COUNT(*) FROM types") == "3");
  require_identical(db, "types");

  // Every column of row 1 takes row 2's value and the other way round, row 3 leaves
  // NULL behind, then one row goes.
  db.source_sql(
      "UPDATE types a JOIN types b ON (a.id, b.id) IN ((1, 2), (2, 1)) SET "
      "a.ti = b.ti, a.tiu = b.tiu, a.si = b.si, a.siu = b.siu, a.mi = b.mi, a.miu = b.miu, "
      "a.i = b.i, a.iu = b.iu, a.bi = b.bi, a.biu = b.biu, a.d65 = b.d65, a.d10 = b.d10, "
      "a.d0 = b.d0, a.f = b.f, a.fu = b.fu, a.db = b.db, a.b1 = b.b1, a.b13 = b.b13, "
      "a.b64 = b.b64, a.dt = b.dt, a.tm = b.tm, a.tm6 = b.tm6, a.dtm = b.dtm, "
      "a.dtm3 = b.dtm3, a.dtm6 = b.dtm6, a.ts = b.ts, a.ts6 = b.ts6, a.yr = b.yr, a.c = b.c, "
      "a.vc = b.vc, a.vcl = b.vcl, a.tt = b.tt, a.tx = b.tx, a.mt = b.mt, a.lt = b.lt, "
      "a.bn = b.bn, a.vb = b.vb, a.tb = b.tb, a.bl = b.bl, a.mb = b.mb, a.lb = b.lb, "
      "a.e = b.e, a.st = b.st, a.js = b.js, a.g = b.g, a.pt = b.pt, a.pg = b.pg, "
      "a.ip6 = b.ip6, a.u = b.u, a.ip4 = b.ip4");
  db.source_sql(
      "UPDATE types SET ti = 1, vc = 'now set', js = '{}', e = 2, st = 7, "
      "ts = '2001-02-03 04:05:06', b64 = 12345 WHERE id = 3");
  REQUIRE(db.sync());
  require_identical(db, "types");
  // UUIDs of other versions and variants, which MariaDB stores in another byte order.
  db.source_sql("UPDATE types SET u = 'f47ac10b-58cc-4372-a567-0e02b2c3d479' WHERE id = 1");
  db.source_sql("UPDATE types SET u = 'ffffffff-ffff-1fff-bfff-ffffffffffff' WHERE id = 2");
  db.source_sql("UPDATE types SET u = '6ccd780c-baba-1026-9564-5b8c656024db' WHERE id = 3");
  REQUIRE(db.sync());
  require_identical(db, "types");
  db.source_sql("DELETE FROM types WHERE id = 2");
  REQUIRE(db.sync());
  require_identical(db, "types");
  CHECK(db.target_value("SELECT GROUP_CONCAT(id ORDER BY id) FROM types") == "1,3");
  REQUIRE(db.stop().ok());
}

TEST_CASE("A table without a primary key: updates and deletes touch one matching row") {
  test::MyStreamDb db("ms_nokey");
  db.both_sql("CREATE TABLE log (k VARCHAR(10), v DOUBLE, f FLOAT, note TEXT, d DATETIME(6))");
  db.start();
  db.source_sql(
      "INSERT INTO log VALUES ('a', 0.1, 1.1, NULL, '2020-01-01 00:00:00.5'), "
      "('a', 0.1, 1.1, NULL, '2020-01-01 00:00:00.5'), ('b', 1e-300, -3.25, 'x', NULL)");
  // Two identical rows: the update changes one of them and the delete removes one.
  db.source_sql("UPDATE log SET note = 'changed' WHERE k = 'a' LIMIT 1");
  db.source_sql("DELETE FROM log WHERE k = 'a' AND note IS NULL LIMIT 1");
  db.source_sql("UPDATE log SET v = v * 3 WHERE k = 'b'");
  REQUIRE(db.sync());
  require_identical(db, "log");
  CHECK(db.target_value("SELECT COUNT(*) FROM log") == "2");
  REQUIRE(db.stop().ok());
}

TEST_CASE("Without binlog_row_metadata=FULL, names and signedness come from the source") {
  test::MyStreamDb db("ms_nolog");
  db.both_sql(
      "CREATE TABLE t (id INT UNSIGNED PRIMARY KEY, big BIGINT UNSIGNED, "
      "name VARCHAR(20) CHARACTER SET latin1, blb BLOB, txt TEXT)");
  db.source_sql("SET GLOBAL binlog_row_metadata = NO_LOG");
  db.start();
  db.source_sql(
      "INSERT INTO t VALUES (4294967295, 18446744073709551615, _latin1 X'E9', "
      "X'00FF', 'ü'), (1, 0, 'a', X'', '')");
  db.source_sql("UPDATE t SET big = big - 1, name = 'b' WHERE id = 4294967295");
  db.source_sql("DELETE FROM t WHERE id = 1");
  const bool synced = db.sync();
  db.source_sql("SET GLOBAL binlog_row_metadata = FULL");
  REQUIRE(synced);
  require_identical(db, "t");
  REQUIRE(db.stop().ok());
}

TEST_CASE("A 16 MB LONGBLOB, all 256 byte values and fractions 0-6 stream exactly") {
  test::MyStreamDb db("ms_bigvals");
  db.both_sql(
      "CREATE TABLE big (id INT PRIMARY KEY, lb LONGBLOB, vb VARBINARY(256), "
      "l1 VARCHAR(256) CHARACTER SET latin1, u4 VARCHAR(40))");
  db.both_sql(
      "CREATE TABLE fractions (id INT PRIMARY KEY,"
      " dt0 DATETIME(0), dt1 DATETIME(1), dt2 DATETIME(2), dt3 DATETIME(3), dt4 DATETIME(4),"
      " dt5 DATETIME(5), dt6 DATETIME(6),"
      " t0 TIME(0), t1 TIME(1), t2 TIME(2), t3 TIME(3), t4 TIME(4), t5 TIME(5), t6 TIME(6),"
      " ts0 TIMESTAMP(0) NULL DEFAULT NULL, ts1 TIMESTAMP(1) NULL DEFAULT NULL,"
      " ts2 TIMESTAMP(2) NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL,"
      " ts4 TIMESTAMP(4) NULL DEFAULT NULL, ts5 TIMESTAMP(5) NULL DEFAULT NULL,"
      " ts6 TIMESTAMP(6) NULL DEFAULT NULL)");
  db.start();
  // Every byte value once, as binary and as latin1 text; 4-byte UTF-8.
  std::string all_bytes = "X'";
  const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    all_bytes += hex[b >> 4];
    all_bytes += hex[b & 15];
  }
  all_bytes += "'";
  db.source_sql("INSERT INTO big VALUES (1, REPEAT(X'00017F80FF275C', 2396746), " + all_bytes +
                ", _latin1 " + all_bytes + ", 'clef 𝄞 emoji 😀'), (2, X'', X'', '', '')");
  // Zero dates as a permissive source's session writes them.
  db.source_sql(
      "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';"
      "INSERT INTO fractions SELECT 1, v, v, v, v, v, v, v, t, t, t, t, t, t, t, s, s, s, s, s,"
      " s, s FROM (SELECT '9999-12-31 23:59:59.999999' v, '838:59:59.999999' t,"
      " '2038-01-19 03:14:07.999999' s) x;"
      "INSERT INTO fractions SELECT 2, v, v, v, v, v, v, v, t, t, t, t, t, t, t, s, s, s, s, s,"
      " s, s FROM (SELECT '0000-00-00 00:00:00' v, '-838:59:59.999999' t,"
      " '0000-00-00 00:00:00' s) x;"
      "INSERT INTO fractions SELECT 3, v, v, v, v, v, v, v, t, t, t, t, t, t, t, s, s, s, s, s,"
      " s, s FROM (SELECT '2024-02-29 12:34:56.123456' v, '-00:00:00.654321' t,"
      " '1970-01-01 00:00:01.000001' s) x;"
      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
  REQUIRE(db.source_value("SELECT LENGTH(lb) FROM big WHERE id = 1") == "16777222");
  REQUIRE(db.source_value("SELECT CONCAT_WS(' ', dt4, t2, ts5) FROM fractions WHERE id = 3") ==
          "2024-02-29 12:34:56.1234 -00:00:00.65 1970-01-01 00:00:01.00000");
  REQUIRE(db.sync());
  require_identical(db, "big");
  require_identical(db, "fractions");
  CHECK(db.target_value("SELECT LENGTH(lb) FROM big WHERE id = 1") == "16777222");
  CHECK(db.target_value("SELECT HEX(vb) FROM big WHERE id = 1") ==
        all_bytes.substr(2, all_bytes.size() - 3));
  CHECK(db.target_value("SELECT HEX(l1) FROM big WHERE id = 1") ==
        all_bytes.substr(2, all_bytes.size() - 3));
  CHECK(db.target_value("SELECT CAST(dt0 AS CHAR) FROM fractions WHERE id = 2") ==
        "0000-00-00 00:00:00");

  // An update carries the 16 MB before and after images in one event; a delete the
  // before image.
  db.source_sql("UPDATE big SET lb = CONCAT(lb, X'FE'), u4 = '😀😀' WHERE id = 1");
  db.source_sql("UPDATE big SET lb = REPEAT(X'AA', 16777215) WHERE id = 2");
  REQUIRE(db.sync());
  require_identical(db, "big");
  CHECK(db.target_value("SELECT MD5(lb) FROM big WHERE id = 1") ==
        db.source_value("SELECT MD5(lb) FROM big WHERE id = 1"));
  db.source_sql("DELETE FROM big WHERE id = 1");
  REQUIRE(db.sync());
  require_identical(db, "big");
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', LENGTH(lb)) FROM big") == "2:16777215");
  REQUIRE(db.stop().ok());
}
