// The pure parts of the MySQL full load, without a server: positions, grants, settings,
// DEFINER rewriting, SHOW CREATE TABLE splitting, chunk arithmetic and SQL literals.
#include <catch2/catch.hpp>

#include <filesystem>

#include "replication/core/load_state.h"
#include "replication/mysql/my_handoff.h"
#include "storage/state_store.h"

#include "replication/mysql/my_chunk_planner.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_schema.h"
#include "replication/mysql/my_source_checks.h"
#include "replication/mysql/my_sql_literal.h"

using namespace tideway::replication;
using namespace tideway::replication::mysql;

TEST_CASE("Binlog positions print, parse and order as the stream needs") {
  BinlogPosition p{"mariadb-bin.000019", 344, "0-1-3"};
  CHECK(p.to_string() == "mariadb-bin.000019:344;gtid=0-1-3");
  auto back = BinlogPosition::parse(p.to_string());
  REQUIRE(back);
  CHECK(back->file == "mariadb-bin.000019");
  CHECK(back->offset == 344);
  CHECK(back->gtid == "0-1-3");
  CHECK(BinlogPosition::parse("mysql-bin.000004:1563")->gtid.empty());
  CHECK(BinlogPosition::parse("mysql-bin.000004:1563;gtid=0-1-90,1-2-7")->gtid == "0-1-90,1-2-7");

  // Order: the file's sequence number first (000010 after 000009), then the offset.
  const auto a = *BinlogPosition::parse("b.000009:900000");
  const auto b = *BinlogPosition::parse("b.000010:4");
  const auto c = *BinlogPosition::parse("b.000010:5");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(b == *BinlogPosition::parse("b.000010:4;gtid=0-1-5"));

  for (const char* bad : {"", ":4", "b.000001", "b.000001:", "b.000001:x", "b.000001:-1",
                          "b:12", "b.x:12", "b.000001:12;gtid=0-1-3;x", "b.000001:12;gtid=a",
                          "b.000001:18446744073709551616"}) {
    INFO(bad);
    CHECK_FALSE(BinlogPosition::parse(bad));
  }
  CHECK(gtid_sequence("0-1-3", 0) == 3u);
  CHECK(gtid_sequence("0-1-90,1-2-7", 1) == 7u);
  CHECK_FALSE(gtid_sequence("0-1-90,1-2-7", 2));
  CHECK_FALSE(gtid_sequence("", 0));
}

TEST_CASE("SHOW GRANTS lines are read by scope, never inventing a privilege") {
  const auto g = GrantSet::parse({
      "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `m`@`127.0.0.1` IDENTIFIED "
      "BY PASSWORD '*F852BCB8F274BA930A24A257818299DBA0E4FB47'",
      "GRANT SHOW VIEW, TRIGGER ON `shop`.* TO `m`@`127.0.0.1`",
      "GRANT INSERT, SELECT ON `crm\\_%`.* TO `m`@`127.0.0.1`",
      "GRANT SELECT (`a`, `b`), UPDATE ON `hr`.`pay` TO `m`@`127.0.0.1`",
      "GRANT DELETE ON `hr`.`staff` TO `m`@`127.0.0.1`",
      "GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `m`@`127.0.0.1`",
      "GRANT `app_role` TO `m`@`127.0.0.1`",
      "GRANT PROXY ON ''@'%' TO 'm'@'127.0.0.1' WITH GRANT OPTION",
      "REVOKE nonsense",
  });
  CHECK(g.has("REPLICATION SLAVE"));
  CHECK(g.has("BINLOG MONITOR"));
  CHECK_FALSE(g.has("REPLICATION CLIENT"));
  CHECK_FALSE(g.has("SUPER"));
  CHECK(g.has("SELECT", "anything", "t"));  // global SELECT
  CHECK(g.has("TRIGGER", "shop"));
  CHECK_FALSE(g.has("TRIGGER", "shop2"));
  CHECK(g.has("INSERT", "crm_eu", "x"));    // LIKE pattern with an escaped underscore
  CHECK_FALSE(g.has("INSERT", "crmXeu", "x"));
  CHECK_FALSE(g.has("UPDATE", "hr", "staff"));
  CHECK(g.has("UPDATE", "hr", "pay"));
  CHECK(g.has("DELETE", "hr", "staff"));
  CHECK_FALSE(g.has("EXECUTE", "shop"));

  const auto narrow = GrantSet::parse({"GRANT SELECT (`a`) ON `hr`.`pay` TO `x`@`%`",
                                       "GRANT USAGE ON *.* TO `x`@`%`"});
  CHECK_FALSE(narrow.has("SELECT", "hr", "pay"));  // only a column: not the table
  CHECK_FALSE(narrow.has("SELECT"));

  const auto all = GrantSet::parse({"GRANT ALL PRIVILEGES ON `shop`.* TO `o`@`%`"});
  CHECK(all.has("SELECT", "shop", "t"));
  CHECK(all.has("TRIGGER", "shop"));
  CHECK_FALSE(all.has("REPLICATION SLAVE"));
  CHECK(grantee("tideway@10.0.0.%") == "'tideway'@'10.0.0.%'");
}

TEST_CASE("Binlog settings a stream cannot work with are each named with their fix") {
  CHECK(binlog_setting_problems({{"log_bin", "ON"}, {"binlog_format", "ROW"},
                                 {"binlog_row_image", "FULL"}, {"server_id", "1"}})
            .empty());
  const auto problems = binlog_setting_problems({{"log_bin", "OFF"}, {"binlog_format", "MIXED"},
                                                 {"binlog_row_image", "MINIMAL"},
                                                 {"server_id", "0"}});
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].find("log_bin") != std::string::npos);
  CHECK(problems[1].find("binlog_format is MIXED; set binlog_format = ROW") != std::string::npos);
  CHECK(problems[2].find("binlog_row_image is MINIMAL; set binlog_row_image = FULL") !=
        std::string::npos);
  CHECK(problems[3].find("server_id is 0") != std::string::npos);
}

TEST_CASE("resume_by gtid needs gtid_mode ON on MySQL, nothing on MariaDB") {
  CHECK(gtid_resume_problems(false, "ON").empty());
  CHECK(gtid_resume_problems(true, "OFF").empty());  // MariaDB: GTIDs are always on
  const auto off = gtid_resume_problems(false, "ON_PERMISSIVE");
  REQUIRE(off.size() == 1);
  CHECK(off[0].find("mysql.resume_by: gtid needs gtid_mode = ON on the source (it is "
                    "ON_PERMISSIVE)") != std::string::npos);
  CHECK(off[0].find("resume_by: file") != std::string::npos);
}

TEST_CASE("DEFINER clauses become CURRENT_USER, and only in the statement's head") {
  std::string old;
  CHECK(rewrite_definer("CREATE ALGORITHM=UNDEFINED DEFINER=`admin`@`%` SQL SECURITY DEFINER "
                        "VIEW `v` AS select 1 AS `1`", &old) ==
        "CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY DEFINER VIEW `v` AS "
        "select 1 AS `1`");
  CHECK(old == "`admin`@`%`");
  old.clear();
  CHECK(rewrite_definer("CREATE DEFINER=`we``ird`@`10.%` PROCEDURE `p`()\nselect 1", &old) ==
        "CREATE DEFINER=CURRENT_USER PROCEDURE `p`()\nselect 1");
  CHECK(old == "`we``ird`@`10.%`");
  old.clear();
  CHECK(rewrite_definer("CREATE DEFINER=`app_role` TRIGGER t BEFORE INSERT ON x FOR EACH ROW "
                        "SET NEW.a = 1", &old) ==
        "CREATE DEFINER=CURRENT_USER TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1");
  CHECK(old == "`app_role`");
  // Without a definer in the head, text in the body is left alone.
  old.clear();
  const std::string body = "CREATE PROCEDURE `p`() select 'DEFINER=`x`@`y`'";
  CHECK(rewrite_definer(body, &old) == body);
  CHECK(old.empty());
}

TEST_CASE("SHOW CREATE TABLE splits into the table, its later indexes and its foreign keys") {
  MyTable t;
  t.database = "shop";
  t.name = "items";
  t.columns = {{"id", "int", "int(11)", "", false, false, false},
               {"seq", "int", "int(11)", "", false, false, true},
               {"order_id", "int", "int(11)", "", false, false, false},
               {"sku", "varchar", "varchar(20)", "utf8mb4", true, false, false}};
  t.primary_key = {"id"};
  const std::string show =
      "CREATE TABLE `items` (\n"
      "  `id` int(11) NOT NULL,\n"
      "  `seq` int(11) NOT NULL AUTO_INCREMENT,\n"
      "  `order_id` int(11) NOT NULL,\n"
      "  `sku` varchar(20) DEFAULT 'a,b (KEY x)',\n"
      "  PRIMARY KEY (`id`),\n"
      "  UNIQUE KEY `sku` (`sku`),\n"
      "  KEY `seq` (`seq`),\n"
      "  KEY `order_id` (`order_id`),\n"
      "  FULLTEXT KEY `ft` (`sku`),\n"
      "  CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE "
      "CASCADE,\n"
      "  CONSTRAINT `positive` CHECK (`id` > 0)\n"
      ") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";
  const SplitTable split = split_create_table(show, t);
  CHECK(split.create_sql ==
        "CREATE TABLE `items` (\n"
        "  `id` int(11) NOT NULL,\n"
        "  `seq` int(11) NOT NULL AUTO_INCREMENT,\n"
        "  `order_id` int(11) NOT NULL,\n"
        "  `sku` varchar(20) DEFAULT 'a,b (KEY x)',\n"
        "  PRIMARY KEY (`id`),\n"
        "  KEY `seq` (`seq`),\n"
        "  CONSTRAINT `positive` CHECK (`id` > 0)\n"
        ") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
  CHECK(split.index_clauses == std::vector<std::string>{"UNIQUE KEY `sku` (`sku`)",
                                                        "KEY `order_id` (`order_id`)",
                                                        "FULLTEXT KEY `ft` (`sku`)"});
  REQUIRE(split.foreign_keys.size() == 1);
  CHECK(split.foreign_keys[0] ==
        "CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE "
        "CASCADE");
}

TEST_CASE("Integer key ranges cover signed and unsigned 64-bit keys without overflow") {
  // 10 rows over [1, 10] in chunks of 3: 4 chunks, boundaries spaced evenly.
  CHECK(integer_boundaries("1", "10", false, 10, 3) ==
        std::vector<std::string>{"4", "7", "10"});
  CHECK(integer_boundaries("1", "10", false, 3, 3).empty());  // fits in one chunk
  CHECK(integer_boundaries("5", "5", false, 100, 3).empty());  // a single key
  const auto full_signed = integer_boundaries("-9223372036854775808", "9223372036854775807",
                                              false, 4, 1);
  CHECK(full_signed == std::vector<std::string>{"-4611686018427387904", "0",
                                                "4611686018427387904"});
  const auto full_unsigned = integer_boundaries("0", "18446744073709551615", true, 4, 1);
  CHECK(full_unsigned == std::vector<std::string>{"4611686018427387904", "9223372036854775808",
                                                  "13835058055282163712"});
  // Boundaries never pass the maximum, so every chunk may hold a row.
  const auto few = integer_boundaries("0", "3", true, 100, 1);
  CHECK(few == std::vector<std::string>{"1", "2", "3"});
  CHECK(integer_boundaries("x", "3", false, 100, 1).empty());
  CHECK(integer_boundaries("-1", "3", true, 100, 1).empty());
}

TEST_CASE("Composite key bounds are written out lexicographically") {
  CHECK(key_at_least({"`a`"}, {"5"}) == "`a` >= 5");
  CHECK(key_below({"`a`"}, {"5"}) == "`a` < 5");
  CHECK(key_at_least({"`a`", "`b`", "`c`"}, {"1", "'x'", "3"}) ==
        "(`a` > 1 OR (`a` = 1 AND (`b` > 'x' OR (`b` = 'x' AND `c` >= 3))))");
  CHECK(key_below({"`a`", "`b`"}, {"1", "2"}) == "(`a` < 1 OR (`a` = 1 AND `b` < 2))");
}

TEST_CASE("Values become literals that store the same value") {
  auto lit = [](const char* data_type, const char* charset, std::optional<std::string_view> raw,
                bool ascii_only = false) {
    MyColumn c{"c", data_type, data_type, charset, true, false, false};
    std::string out;
    append_literal(out, c, raw, ascii_only);
    return out;
  };
  CHECK(lit("int", "", std::nullopt) == "NULL");
  CHECK(lit("bigint", "", "18446744073709551615") == "18446744073709551615");
  CHECK(lit("decimal", "", "-12345.678900") == "-12345.678900");
  CHECK(lit("int", "", "1); DROP TABLE x; --") == "'1); DROP TABLE x; --'");
  CHECK(lit("double", "", "1.7976931348623157e308") == "1.7976931348623157e308");
  CHECK(lit("bit", "", std::string_view("\x01", 1)) == "1");
  CHECK(lit("bit", "", std::string_view("\xff\xff\xff\xff\xff\xff\xff\xff", 8)) ==
        "18446744073709551615");
  CHECK(lit("bit", "", std::string_view("\x00\x00", 2)) == "0");
  CHECK(lit("varbinary", "", std::string_view("\x00\x7f\xff", 3)) == "X'007FFF'");
  CHECK(lit("blob", "", "") == "X''");
  CHECK(lit("point", "", "ab") == "X'6162'");
  CHECK(lit("varchar", "utf8mb4", "it's \"x\"\\\n\r\x1a") ==
        "_utf8mb4'it\\'s \\\"x\\\"\\\\\\n\\r\\Z'");
  CHECK(lit("char", "latin1", std::string_view("\xe9\x00", 2)) ==
        std::string("_latin1'\xe9\\0'"));
  CHECK(lit("varchar", "latin1", std::string_view("\xe9", 1), true) == "_latin1 X'E9'");
  CHECK(lit("json", "", "{}") == "_utf8mb4'{}'");
  CHECK(lit("char", "binary", "a") == "X'61'");
  CHECK(lit("datetime", "", "0000-00-00 00:00:00.000000") == "'0000-00-00 00:00:00.000000'");
  CHECK(lit("inet6", "", "::1") == "'::1'");
  CHECK(lit("uuid", "", std::string_view("\xff", 1), true) == "CONVERT(X'FF' USING utf8mb4)");

  MyColumn f{"f", "float", "float", "", true, false, false};
  CHECK(select_expression(f) == "CAST(`f` AS DOUBLE)");
  MyColumn odd{"we`ird", "int", "int(11)", "", true, false, false};
  CHECK(select_expression(odd) == "`we``ird`");
  CHECK(qualified_name("d`b", "t") == "`d``b`.`t`");
}

TEST_CASE("Handoff windows say per table up to where the stream applies idempotently or skips") {
  char tmpl[] = "/tmp/tideway_myhandoff_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  {
    auto store = std::move(tideway::storage::StateStore::open(dir.string())).value();
    LoadStateStore state(*store, "t1");
    const auto start = *BinlogPosition::parse("b.000003:400;gtid=0-1-10");
    auto plan = [&](const std::string& table, const std::string& method, int chunks) {
      TablePlan p{table, method, 0, {}};
      for (int i = 0; i < chunks; ++i) p.chunks.push_back({i, "", ""});
      REQUIRE(state.save_plan(p).ok());
    };
    plan("db.keyed", "integer_key", 3);
    plan("db.loose", "no_key", 1);
    plan("db.early", "key_boundaries", 2);
    REQUIRE(state.mark_done("db.keyed", 0, {1, 1, "b.000003:400;gtid=0-1-10"}).ok());
    REQUIRE(state.mark_done("db.keyed", 1, {1, 1, "b.000004:120;gtid=0-1-15"}).ok());
    REQUIRE(state.mark_done("db.keyed", 2, {1, 1, "b.000003:900;gtid=0-1-12"}).ok());
    REQUIRE(state.mark_done("db.loose", 0, {1, 1, "b.000003:900;gtid=0-1-12"}).ok());
    REQUIRE(state.mark_done("db.early", 0, {1, 1, "b.000003:400;gtid=0-1-10"}).ok());
    auto windows = binlog_handoff_windows(state, start);
    REQUIRE(windows.ok());
    REQUIRE(windows->size() == 2);  // db.early was read at the stream's start: no window
    CHECK(windows->at("db.keyed").until.to_string() == "b.000004:120;gtid=0-1-15");
    CHECK_FALSE(windows->at("db.keyed").skip);
    CHECK(windows->at("db.loose").until.to_string() == "b.000003:900;gtid=0-1-12");
    CHECK(windows->at("db.loose").skip);

    // A chunk without a position cannot be placed: an error, not a guess.
    REQUIRE(state.mark_done("db.early", 1, {1, 1, ""}).ok());
    auto broken = binlog_handoff_windows(state, start);
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code == tideway::ErrorCode::kCorruption);
    CHECK(broken.error().message.find("chunk 1 of db.early") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
