#include "replication/mysql/binlog_client.h"

#include <fmt/format.h>
#include <mysql.h>

#include <vector>

#include "common/byte_reader.h"
#include "common/log.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.binlog"};

// The server's "fatal error reading binlog" (ER_MASTER_FATAL_ERROR_READING_BINLOG): the
// requested file is gone, the position is impossible, or the GTID is not in the binlog.
constexpr unsigned kFatalBinlogError = 1236;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void put_u16(std::vector<char>& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::vector<char>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// MySQL's COM_BINLOG_DUMP_GTID; Connector/C's command list stops before it.
constexpr int kComBinlogDumpGtid = 0x1e;
// Its flag: the data part holds the GTID set to start after.
constexpr std::uint16_t kBinlogThroughGtid = 0x04;

}  // namespace

std::vector<std::uint8_t> binlog_dump_gtid_packet(std::uint32_t server_id,
                                                  const GtidSet& executed) {
  const std::vector<std::uint8_t> sids = executed.encode();
  std::vector<std::uint8_t> out;
  const auto put = [&out](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xff));
  };
  put(kBinlogThroughGtid, 2);
  put(server_id, 4);
  put(0, 4);  // no file name: the server finds the first file with a transaction we lack
  put(4, 8);  // the first event after the magic
  put(sids.size(), 4);
  out.insert(out.end(), sids.begin(), sids.end());
  return out;
}

std::uint32_t default_server_id(const std::string& task_id) {
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  std::uint32_t h = 2166136261U;
  for (unsigned char c : task_id) {
    h ^= c;
    h *= 16777619U;
  }
  // 2^31 + 2^16 .. 2^32 - 1: far from the small ids operators give real servers.
  constexpr std::uint32_t kBase = (1U << 31) + (1U << 16);
  return kBase + h % (0xffffffffU - kBase);
}

Result<std::unique_ptr<BinlogClient>> BinlogClient::connect(const Endpoint& source,
                                                            const BinlogClientOptions& options) {
  if (options.server_id == 0) {
    return make_error(ErrorCode::kInvalidArgument, "a replica connection needs a server id != 0");
  }
  auto password = endpoint_password(source);
  if (!password.ok()) return std::move(password).error();
  MYSQL* conn = mysql_init(nullptr);
  if (conn == nullptr) {
    return make_error(ErrorCode::kInternal,
                      "the MariaDB client library could not allocate a "
                      "connection");
  }
  const unsigned connect_timeout = static_cast<unsigned>(options.connect_timeout_seconds);
  mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  // Reads block for the next event; heartbeats bound the wait on a healthy connection,
  // so a read that outlives many of them means the peer is gone.
  const unsigned read_timeout = static_cast<unsigned>(options.read_timeout.count());
  mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // One event is one packet: up to max_allowed_packet's ceiling of 1 GiB (the server's
  // slave_max_allowed_packet default), plus the packet's OK byte.
  const unsigned long max_packet = (1UL << 30) + 1024;
  mysql_options(conn, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_optionsv(conn, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "tideway-binlog");
  if (source.sslmode == "require" || source.sslmode == "verify-ca" ||
      source.sslmode == "verify-full") {
    const my_bool enforce = 1;
    mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &enforce);
    const my_bool verify = source.sslmode != "require";
    mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  const std::string describe = fmt::format("{}@{}:{}", source.user, source.host, source.port);
  if (mysql_real_connect(conn, source.host.c_str(), source.user.c_str(), password->c_str(), nullptr,
                         source.port, nullptr, 0) == nullptr) {
    const unsigned n = mysql_errno(conn);
    std::string message = trim(mysql_error(conn));
    mysql_close(conn);
    const ErrorCode code = classify_mysql_error(n);
    return make_error(code == ErrorCode::kInvalidArgument ? ErrorCode::kUnavailable : code,
                      fmt::format("cannot connect to {} for the binlog: {} (MySQL error {})",
                                  describe, message, n),
                      is_retryable_mysql_error(n));
  }
  const bool mariadb =
      std::string(mysql_get_server_info(conn)).find("MariaDB") != std::string::npos;
  std::unique_ptr<BinlogClient> client(
      new BinlogClient(conn, describe, options.server_id, mariadb));
  const long long heartbeat_ns = static_cast<long long>(options.heartbeat.count()) * 1000 * 1000;
  // MySQL 8.0.26+ reads the @source_* names, older servers and MariaDB the @master_* ones.
  std::vector<std::string> setup = {
      "SET @master_binlog_checksum = @@global.binlog_checksum, "
      "@source_binlog_checksum = @@global.binlog_checksum",
      fmt::format("SET @master_heartbeat_period = {0}, @source_heartbeat_period = {0}",
                  heartbeat_ns),
      // The dump thread writes to us with this session's timeout; a reader held up by a
      // full queue (a slow target) must not be disconnected after the default 60 s.
      "SET SESSION net_write_timeout = 600",
  };
  if (mariadb) setup.emplace_back("SET @mariadb_slave_capability = 4");
  for (const auto& sql : setup) {
    if (Status s = client->run(sql); !s.ok()) return std::move(s).error();
  }
  return client;
}

BinlogClient::~BinlogClient() { mysql_close(conn_); }

Error BinlogClient::error(const std::string& what) const {
  const unsigned n = mysql_errno(conn_);
  std::string message = trim(mysql_error(conn_));
  if (message.empty()) message = "unknown error";
  if (n == kFatalBinlogError) {
    // The file (or GTID) the dump asked for is not in the source's binlog any more.
    const bool purged = message.find("Could not find") != std::string::npos ||
                        message.find("purged") != std::string::npos ||
                        message.find("not found") != std::string::npos ||
                        message.find("which is not in the master's binlog") != std::string::npos;
    return make_error(purged ? ErrorCode::kNotFound : ErrorCode::kConflict,
                      fmt::format("{}: {}: {} (MySQL error {})", describe_, what, message, n));
  }
  return make_error(classify_mysql_error(n),
                    fmt::format("{}: {}: {}{}", describe_, what, message,
                                n == 0 ? "" : fmt::format(" (MySQL error {})", n)),
                    // Any failure of the replication connection itself is worth a retry
                    // from the last checkpoint; only the server's refusals are not.
                    n == 0 || n >= 2000 || is_retryable_mysql_error(n));
}

Status BinlogClient::run(const std::string& sql) {
  if (mysql_real_query(conn_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return error(fmt::format("setting up the replica session [{}]", statement_head(sql)));
  }
  if (MYSQL_RES* r = mysql_store_result(conn_); r != nullptr) mysql_free_result(r);
  return {};
}

Status BinlogClient::start(const BinlogPosition& from, bool by_gtid) {
  start_ = from.to_string();
  by_gtid_ = by_gtid || from.file.empty();
  if (by_gtid_ && !mariadb_) return start_mysql_gtid(from);
  std::string file = from.file;
  std::uint64_t offset = from.offset;
  if (by_gtid_) {
    if (from.gtid.empty() || from.mysql_gtid_set) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot start the binlog dump of {} by GTID at '{}': it "
                                    "carries no MariaDB GTID list",
                                    describe_, start_));
    }
    // Start by GTID: the server finds the file and offset after these GTIDs itself.
    if (Status s = run(fmt::format("SET @slave_connect_state = '{}'", from.gtid)); !s.ok()) {
      return s;
    }
    if (Status s = run("SET @slave_gtid_strict_mode = 1"); !s.ok()) return s;
    file.clear();
    offset = 4;
  }
  if (offset > 0xffffffffULL) {
    // COM_BINLOG_DUMP carries a 4-byte offset.
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot start the binlog dump at '{}': the offset does not fit "
                                  "the protocol's 4 bytes",
                                  start_));
  }
  // COM_BINLOG_DUMP: 4 offset, 2 flags (0: block at the end of the binlog), 4 server id,
  // the file name (the rest of the packet).
  std::vector<char> packet;
  put_u32(packet, static_cast<std::uint32_t>(offset));
  put_u16(packet, 0);
  put_u32(packet, server_id_);
  packet.insert(packet.end(), file.begin(), file.end());
  if (conn_->methods == nullptr || conn_->methods->db_command(conn_, COM_BINLOG_DUMP, packet.data(),
                                                              packet.size(), 1, nullptr) != 0) {
    return error(fmt::format("starting the binlog dump at {}", start_));
  }
  kLog.info("binlog dump started", {{"source", describe_},
                                    {"from", start_},
                                    {"by", by_gtid_ ? "gtid" : "file"},
                                    {"server_id", server_id_}});
  return {};
}

Status BinlogClient::start_mysql_gtid(const BinlogPosition& from) {
  if (!from.mysql_gtid_set) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot start the binlog dump of {} by GTID at '{}': the "
                                  "position carries no MySQL GTID set (it was recorded while "
                                  "gtid_mode was not ON); use mysql.resume_by: file",
                                  describe_, start_));
  }
  auto set = GtidSet::parse(from.gtid);
  if (!set.ok()) return std::move(set).error().with_context("starting the binlog dump");
  const std::vector<std::uint8_t> args = binlog_dump_gtid_packet(server_id_, *set);
  const std::vector<char> packet(args.begin(), args.end());
  if (conn_->methods == nullptr ||
      conn_->methods->db_command(conn_, static_cast<enum enum_server_command>(kComBinlogDumpGtid),
                                 packet.data(), packet.size(), 1, nullptr) != 0) {
    return error(fmt::format("starting the binlog dump by GTID after {}", start_));
  }
  kLog.info("binlog dump started",
            {{"source", describe_}, {"from", start_}, {"by", "gtid"}, {"server_id", server_id_}});
  return {};
}

Result<BinlogPacket> BinlogClient::read() {
  const unsigned long length = mysql_net_read_packet(conn_);
  if (length == static_cast<unsigned long>(packet_error)) {
    return error(fmt::format("reading the binlog (dump started at {})", start_));
  }
  ByteReader packet(conn_->net.read_pos, length);
  const std::uint8_t status = packet.u8();
  if (!packet.ok()) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("{}: empty packet in the binlog dump", describe_));
  }
  if (status == 0x00) return BinlogPacket{BinlogPacket::Kind::kEvent, packet.rest()};
  if (status == 0xfe && length < 9) return BinlogPacket{BinlogPacket::Kind::kEnd, {}};
  if (status == 0xff) {
    // The library normally turns error packets into errors itself; decode one anyway.
    const std::uint16_t code = packet.u16_le();
    std::string_view message;
    if (packet.can_read(6) && packet.chars(1) == "#") packet.skip(5);  // SQLSTATE
    message = packet.chars(packet.remaining());
    return make_error(code == kFatalBinlogError ? ErrorCode::kNotFound : ErrorCode::kConflict,
                      fmt::format("{}: the source ended the binlog dump: {} (MySQL error {})",
                                  describe_, message, code));
  }
  return make_error(ErrorCode::kCorruption,
                    fmt::format("{}: unexpected packet type 0x{:02x} ({} bytes) in the binlog "
                                "dump",
                                describe_, status, length));
}

void BinlogClient::cancel() { mariadb_cancel(conn_); }

}  // namespace tideway::replication::mysql
