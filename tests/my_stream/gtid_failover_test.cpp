// A failover followed by GTID: a third MariaDB server replicates the sandbox source
// (mariadb_replica.sh, log_slave_updates); a task streams from the source, stops; the
// replica is promoted and written to; the task is pointed at it (only the port changes)
// with resume_by: gtid and must carry on from its last transaction in the replica's own
// binlog, whose file names and offsets have nothing to do with the source's.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_position.h"
#include "tests/my_stream/my_stream_test_db.h"
#include "tests/support/sandbox_env.h"

using namespace tideway;
using namespace tideway::replication;

namespace {

/// A TCP port nothing listens on right now (the kernel's pick for port 0).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// The replica server for one test; stopped and removed when the test ends.
class Replica {
 public:
  Replica() : port_(free_port()) {
    dir_ =
        (std::filesystem::temp_directory_path() / ("tideway-replica-" + std::to_string(::getpid())))
            .string();
    script_ = test::required_env("TIDEWAY_SOURCE_DIR") + "/tests/my_stream/mariadb_replica.sh";
    const std::string cmd = "bash '" + script_ + "' start '" + dir_ + "' " + std::to_string(port_);
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~Replica() { (void)std::system(("bash '" + script_ + "' stop '" + dir_ + "'").c_str()); }
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  std::uint16_t port() const { return port_; }
  /// The sandbox source's endpoint with the replica's port (same accounts there).
  Endpoint endpoint(const std::string& database, bool admin) const {
    Endpoint e = test::sandbox_endpoint(true, database, admin);
    e.port = port_;
    return e;
  }

 private:
  std::uint16_t port_;
  std::string dir_;
  std::string script_;
};

std::string value(mysql::MyConnection& conn, const std::string& sql) {
  auto r = conn.query(sql);
  if (!r.ok()) FAIL(r.error().message);
  return r->empty() || r->is_null(0, 0) ? "NULL" : r->text(0, 0);
}

void execute(mysql::MyConnection& conn, const std::string& sql) {
  if (Status s = conn.execute(sql); !s.ok()) FAIL(s.message());
}

}  // namespace

TEST_CASE("After a failover the task follows the promoted replica by GTID") {
  test::MyStreamDb db("ms_failover");
  // The replica starts at the source's current GTIDs; the test database and its marker
  // table were created before that (the database outside the binlog), so by hand.
  Replica replica;
  auto r_admin = mysql::MyConnection::connect(replica.endpoint("", true));
  if (!r_admin.ok()) FAIL(r_admin.error().message);
  execute(**r_admin, "SET SESSION sql_log_bin = 0");
  execute(**r_admin, "CREATE DATABASE `" + db.name() + "` CHARACTER SET utf8mb4");
  execute(**r_admin, "CREATE TABLE `" + db.name() + "`.stream_marker (n INT PRIMARY KEY)");
  execute(**r_admin, "SET SESSION sql_log_bin = 1");
  db.spec().mysql.resume_by = MyResumeBy::kGtid;
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
  db.both_sql("CREATE TABLE log (n INT, note VARCHAR(20))");  // keyless: shows duplicates
  db.start();
  db.source_sql("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)");
  db.source_sql("INSERT INTO log VALUES (1, 'from source')");
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  const auto before = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(before.has_value());

  // The replica catches up, then is promoted: replication stopped and forgotten.
  auto source_admin = mysql::MyConnection::connect(test::sandbox_endpoint(true, "", true));
  REQUIRE(source_admin.ok());
  const std::string source_pos = value(**source_admin, "SELECT @@global.gtid_binlog_pos");
  auto slave = (*r_admin)->query("SHOW SLAVE STATUS");
  REQUIRE(slave.ok());
  REQUIRE(slave->size() == 1);
  std::string slave_state;
  for (std::size_t c = 0; c < slave->columns.size(); ++c) {
    if (slave->columns[c] == "Last_Error" ||
        slave->columns[c].find("Running") != std::string::npos) {
      slave_state += slave->columns[c] + "=" + slave->text(0, c) + " ";
    }
  }
  INFO("replica: " << slave_state);
  REQUIRE(value(**r_admin, "SELECT MASTER_GTID_WAIT('" + source_pos + "', 120)") == "0");
  execute(**r_admin, "USE `" + db.name() + "`");
  execute(**r_admin, "STOP SLAVE");
  execute(**r_admin, "RESET SLAVE ALL");
  REQUIRE(value(**r_admin, "SELECT COUNT(*) FROM t") == "3");

  // Writes on the new source (its own GTIDs: server id 3).
  execute(**r_admin, "INSERT INTO t VALUES (4, 4)");
  execute(**r_admin, "UPDATE t SET v = 20 WHERE id = 2");
  execute(**r_admin, "DELETE FROM t WHERE id = 3");
  execute(**r_admin, "INSERT INTO log VALUES (2, 'from replica')");
  execute(**r_admin, "INSERT INTO stream_marker VALUES (1000)");

  // The task, repointed.
  db.spec().source = replica.endpoint(db.name(), false);
  db.start();
  bool arrived = false;
  for (int i = 0; i < 2400 && !arrived && !db.ended(); ++i) {
    arrived = db.target_value("SELECT COUNT(*) FROM stream_marker WHERE n = 1000") == "1";
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(db.status().started_by_gtid);
  const Status stopped = db.stop();
  INFO(stopped.message());
  REQUIRE(stopped.ok());
  REQUIRE(arrived);

  const std::string rows_t = "SELECT GROUP_CONCAT(CONCAT(id, '=', v) ORDER BY id) FROM t";
  const std::string rows_log = "SELECT GROUP_CONCAT(CONCAT(n, ':', note) ORDER BY n) FROM log";
  CHECK(value(**r_admin, rows_t) == "1=1,2=20,4=4");
  CHECK(db.target_value(rows_t) == value(**r_admin, rows_t));
  CHECK(db.target_value(rows_log) == value(**r_admin, rows_log));
  CHECK(db.target_value("SELECT COUNT(*) FROM log") == "2");
  // The checkpoint now holds the replica's GTIDs (server id 3), past the old ones.
  const auto after = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(after.has_value());
  CHECK(after->gtid.find("0-3-") != std::string::npos);
  CHECK(mysql::gtid_at_or_after(*after, *before) == true);
}
