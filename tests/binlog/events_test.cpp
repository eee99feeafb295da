// Event-level behaviour: GTID fields checked against the transactions they describe,
// caller-supplied column signedness/collations, and event types no fixture holds
// (XA_PREPARE, HEARTBEAT_V2, uncompressed TRANSACTION_PAYLOAD, MariaDB compressed
// events, unknown and encrypted events). Those are built from real fixture events
// where possible (a real MariaDB row event, recompressed), else from the wire layout.

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "replication/mysql/binlog_event.h"
#include "replication/mysql/checksum.h"
#include "replication/mysql/event_decoder.h"
#include "replication/mysql/transaction_payload_event.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication;
using namespace replication::mysql;

using Bytes = std::vector<std::uint8_t>;

void put_le(Bytes& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A whole v4 event: header, body and (when `crc`) its CRC32.
Bytes make_event(std::uint8_t type, const Bytes& body, bool crc, std::uint16_t flags = 0) {
  Bytes ev;
  put_le(ev, 1700000000, 4);
  ev.push_back(type);
  put_le(ev, 7, 4);
  put_le(ev, 19 + body.size() + (crc ? 4 : 0), 4);
  put_le(ev, 0, 4);
  put_le(ev, flags, 2);
  ev.insert(ev.end(), body.begin(), body.end());
  if (crc) put_le(ev, crc32(ev), 4);
  return ev;
}

// The first event of a fixture (its FORMAT_DESCRIPTION), fed to a fresh decoder.
EventDecoder decoder_after_fde(const std::string& fixture, DecoderOptions options = {}) {
  const DecodedFile file = decode_fixture(fixture);
  REQUIRE_FALSE(file.events.empty());
  const auto bytes = read_fixture_bytes(fixture);
  EventDecoder decoder(std::move(options));
  const auto& fde = file.events.front();
  REQUIRE(
      decoder.decode(std::span(bytes).subspan(fde.offset, fde.header.event_size), fde.offset).ok());
  return decoder;
}

Bytes mariadb_compress(const std::string& data) {
  uLongf size = compressBound(data.size());
  Bytes z(size);
  REQUIRE(compress(z.data(), &size, reinterpret_cast<const Bytef*>(data.data()), data.size()) ==
          Z_OK);
  z.resize(size);
  // 0x80 | 2: a 2-byte big-endian length follows, then the zlib stream.
  Bytes out(3 + z.size());
  out[0] = 0x82;
  out[1] = static_cast<std::uint8_t>(data.size() >> 8);
  out[2] = static_cast<std::uint8_t>(data.size());
  std::copy(z.begin(), z.end(), out.begin() + 3);
  return out;
}

std::span<const std::uint8_t> event_bytes(const Bytes& file, const BinlogEvent& ev) {
  return std::span(file).subspan(ev.offset, ev.header.event_size);
}

}  // namespace

TEST_CASE("GTID transaction lengths end on the transaction's last event", "[binlog][events]") {
  std::size_t checked = 0;
  for (const auto& fixture : all_binlog_fixtures()) {
    const DecodedFile file = decode_fixture(fixture);
    std::map<std::uint64_t, const BinlogEvent*> ending_at;
    for (const auto& ev : file.events) ending_at[ev.next_offset()] = &ev;
    for (const auto& ev : file.events) {
      const auto* gtid = ev.get_if<GtidEvent>();
      if (gtid == nullptr || !gtid->transaction_length) continue;
      INFO(fixture << " GTID at " << ev.offset);
      const auto it = ending_at.find(ev.offset + *gtid->transaction_length);
      REQUIRE(it != ending_at.end());
      const std::string last = it->second->type_name();
      CHECK((last == "XID" || last == "QUERY" || last == "TRANSACTION_PAYLOAD"));
      // Single-server files: committed here, so original = immediate, and near the header time.
      REQUIRE(gtid->immediate_commit_timestamp.has_value());
      CHECK(gtid->original_commit_timestamp == gtid->immediate_commit_timestamp);
      const auto seconds = static_cast<std::int64_t>(*gtid->immediate_commit_timestamp / 1000000);
      CHECK(std::llabs(seconds - static_cast<std::int64_t>(ev.header.timestamp)) <= 3600);
      ++checked;
    }
  }
  CHECK(checked >= 20);
}

TEST_CASE("logical clocks count transactions in 5.7 files", "[binlog][events]") {
  const DecodedFile file =
      decode_fixture("mysql/mysql-binlog-connector-java/mysql-bin.checksum-crc32");
  const auto gtids = events_of_type(file, "ANONYMOUS_GTID");
  REQUIRE(gtids.size() == 60);
  // Sequence numbers count the file's transactions from 1; each transaction's
  // last_committed names an earlier one (or 0), never going back.
  std::int64_t previous_last_committed = 0;
  for (std::size_t i = 0; i < gtids.size(); ++i) {
    const auto* g = gtids[i]->get_if<GtidEvent>();
    CHECK(g->anonymous);
    CHECK(g->sequence_number == static_cast<std::int64_t>(i + 1));
    REQUIRE(g->last_committed.has_value());
    CHECK(*g->last_committed < *g->sequence_number);
    CHECK(*g->last_committed >= previous_last_committed);
    previous_last_committed = *g->last_committed;
  }
}

TEST_CASE("caller-supplied signedness and collations apply where the binlog is silent",
          "[binlog][events]") {
  const std::string sakila = "mysql/mysql-binlog-connector-java/mysql-bin.sakila.gz";
  // sakila.actor(actor_id SMALLINT UNSIGNED, first_name VARCHAR(45), ...), utf8 = 33.
  TableHints actor;
  actor.columns = {{true, std::nullopt}, {std::nullopt, 33}};
  DecoderOptions options;
  options.schema = [&](std::string_view schema, std::string_view table) -> const TableHints* {
    return schema == "sakila" && table == "actor" ? &actor : nullptr;
  };
  const DecodedFile hinted = decode_fixture(sakila, options);
  const DecodedFile plain = decode_fixture(sakila);
  REQUIRE_FALSE(hinted.error.has_value());
  std::size_t checked = 0;
  for (std::size_t i = 0; i < hinted.events.size(); ++i) {
    const auto* rows = hinted.events[i].get_if<RowsEvent>();
    if (rows == nullptr || rows->table != "actor") continue;
    const auto* bare = plain.events[i].get_if<RowsEvent>();
    for (std::size_t r = 0; r < rows->rows.size(); ++r) {
      const RowImage& with = *rows->rows[r].after;
      const RowImage& without = *bare->rows[r].after;
      const auto* id = without.columns[0]->get_if<IntValue>();
      REQUIRE(id != nullptr);
      CHECK(*with.columns[0] == Value(UIntValue{static_cast<std::uint64_t>(id->value)}));
      const auto* name = without.columns[1]->get_if<TextValue>();
      REQUIRE(name != nullptr);
      CHECK(name->collation_id == 0);
      CHECK(*with.columns[1] == Value(TextValue{name->bytes, 33, {}}));
      ++checked;
    }
  }
  CHECK(checked == 200);  // the 200 actors of sakila-data.sql
}

TEST_CASE("MariaDB compressed events decode like their plain originals", "[binlog][events]") {
  const std::string fixture = "mysql/rust_mysql_common/mariadb-bin.000001";
  const auto bytes = read_fixture_bytes(fixture);
  const DecodedFile file = decode_fixture(fixture);
  const auto* map_event = events_of_type(file, "TABLE_MAP").front();
  const auto* rows_event = events_of_type(file, "WRITE_ROWS_V1").front();

  // WRITE_ROWS_V1 -> WRITE_ROWS_COMPRESSED_V1: the same post-header, column count and
  // bitmap (8 + 1 + 1 bytes here), then the row data as a compressed block.
  const auto original = event_bytes(bytes, *rows_event);
  const Bytes body(original.begin() + 19, original.end() - 4);
  REQUIRE(body[8] == 5);  // five columns: a 1-byte count and a 1-byte bitmap
  Bytes compressed_body(body.begin(), body.begin() + 10);
  const Bytes packed = mariadb_compress(std::string(body.begin() + 10, body.end()));
  compressed_body.insert(compressed_body.end(), packed.begin(), packed.end());

  EventDecoder decoder = decoder_after_fde(fixture);
  REQUIRE(decoder.decode(event_bytes(bytes, *map_event), map_event->offset).ok());
  auto decoded = decoder.decode(make_event(166, compressed_body, true), 0);
  REQUIRE(decoded.ok());
  CHECK(decoded->type_name() == "MARIA_WRITE_ROWS_COMPRESSED_V1");
  const auto* rows = decoded->get_if<RowsEvent>();
  REQUIRE(rows != nullptr);
  CHECK(rows->compressed);
  REQUIRE(rows->rows.size() == 1);
  CHECK(rows->rows[0].after->columns == rows_event->get_if<RowsEvent>()->rows[0].after->columns);

  // QUERY -> QUERY_COMPRESSED, from a real MariaDB 11.8 statement.
  const std::string mariadb11 = "mariadb/mariadb-poc/domain_id_0/mariadb-repl-bin.000009";
  const auto bytes11 = read_fixture_bytes(mariadb11);
  const DecodedFile file11 = decode_fixture(mariadb11);
  const auto* query_event = events_of_type(file11, "QUERY").front();
  const auto* query = query_event->get_if<QueryEvent>();
  const auto q = event_bytes(bytes11, *query_event);
  const Bytes qbody(q.begin() + 19, q.end() - 4);
  const std::size_t text_at = qbody.size() - query->query.size();
  Bytes qcompressed(qbody.begin(), qbody.begin() + static_cast<long>(text_at));
  const Bytes qpacked = mariadb_compress(query->query);
  qcompressed.insert(qcompressed.end(), qpacked.begin(), qpacked.end());
  EventDecoder decoder11 = decoder_after_fde(mariadb11);
  auto q2 = decoder11.decode(make_event(165, qcompressed, true), 0);
  REQUIRE(q2.ok());
  const auto* inflated = q2->get_if<QueryEvent>();
  REQUIRE(inflated != nullptr);
  CHECK(inflated->query == query->query);
  CHECK(inflated->thread_id == query->thread_id);

  // A compressed block that lies about its size is an Error.
  Bytes liar = qcompressed;
  liar[text_at + 2] ^= 0x01;
  CHECK_FALSE(decoder11.decode(make_event(165, liar, true), 0).ok());
}

TEST_CASE("XA_PREPARE, HEARTBEAT_V2 and an uncompressed TRANSACTION_PAYLOAD", "[binlog][events]") {
  EventDecoder decoder =
      decoder_after_fde("mysql/rust_mysql_common/transaction_compression.000001");

  Bytes xa = {0x00};
  put_le(xa, 1, 4);
  put_le(xa, 3, 4);
  put_le(xa, 2, 4);
  for (char c : std::string("abcde")) xa.push_back(static_cast<std::uint8_t>(c));
  auto prepared = decoder.decode(make_event(38, xa, true), 0);
  REQUIRE(prepared.ok());
  const auto* xa_event = prepared->get_if<XaPrepareEvent>();
  REQUIRE(xa_event != nullptr);
  CHECK_FALSE(xa_event->one_phase);
  CHECK(xa_event->format_id == 1);
  CHECK(xa_event->gtrid == "abc");
  CHECK(xa_event->bqual == "de");
  xa[5] = 200;  // a 200-byte gtrid cannot exist
  CHECK_FALSE(decoder.decode(make_event(38, xa, true), 0).ok());

  const std::string name = "binlog.000042";
  Bytes hb = {0x01, static_cast<std::uint8_t>(name.size())};
  hb.insert(hb.end(), name.begin(), name.end());
  hb.insert(hb.end(), {0x02, 0x03, 0xfc, 0x10, 0x27, 0x00});  // position 10000, end mark
  auto heartbeat = decoder.decode(make_event(41, hb, true), 0);
  REQUIRE(heartbeat.ok());
  CHECK(heartbeat->get_if<HeartbeatEvent>()->log_file == name);
  CHECK(heartbeat->get_if<HeartbeatEvent>()->log_position == 10000U);

  // A payload with compression NONE holding the real inner events of the fixture's
  // zstd payload: it must decode to the same events.
  const std::string fixture = "mysql/rust_mysql_common/transaction_compression.000001";
  const auto bytes = read_fixture_bytes(fixture);
  const DecodedFile file = decode_fixture(fixture);
  const auto* zstd_event = events_of_type(file, "TRANSACTION_PAYLOAD", false).front();
  const auto raw = event_bytes(bytes, *zstd_event);
  ByteReader fields(raw.subspan(19, raw.size() - 23));
  auto header = parse_transaction_payload_header(fields);
  REQUIRE(header.ok());
  const auto compressed = fields.rest();
  auto inner = inflate_transaction_payload(*header, compressed, 1 << 20);
  REQUIRE(inner.ok());
  // A size field that lies (here: 1 GiB) is an Error, found by inflating, not by
  // reserving what it claims.
  TransactionPayloadHeader lying = *header;
  lying.uncompressed_size = std::uint64_t{1} << 30;
  auto refused = inflate_transaction_payload(lying, compressed, std::size_t{1} << 30);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message,
             Catch::Contains("inflated to " + std::to_string(inner->size())));
  lying.uncompressed_size = inner->size() - 1;
  CHECK_FALSE(inflate_transaction_payload(lying, compressed, std::size_t{1} << 30).ok());

  const std::size_t n = inner->size();
  REQUIRE(n < 251);  // one-byte packed integers below
  Bytes none = {0x02, 0x03, 0xfc,
                0xff, 0x00,  // compression type 255 = NONE
                0x03, 0x01, static_cast<std::uint8_t>(n),
                0x01, 0x01, static_cast<std::uint8_t>(n),
                0x00};
  none.insert(none.end(), inner->begin(), inner->end());
  auto plain = decoder.decode(make_event(40, none, true), 0);
  REQUIRE(plain.ok());
  const auto* payload = plain->get_if<TransactionPayloadEvent>();
  REQUIRE(payload != nullptr);
  const auto* original = zstd_event->get_if<TransactionPayloadEvent>();
  REQUIRE(payload->events.size() == original->events.size());
  for (std::size_t i = 0; i < payload->events.size(); ++i) {
    CHECK(payload->events[i].type_name() == original->events[i].type_name());
    CHECK(payload->events[i].offset == original->events[i].offset);
  }
  CHECK(payload->events[2].get_if<RowsEvent>()->rows[0].after->columns ==
        original->events[2].get_if<RowsEvent>()->rows[0].after->columns);
  // A payload whose size field disagrees with the bytes is an Error.
  none[10] = static_cast<std::uint8_t>(n - 1);
  CHECK_FALSE(decoder.decode(make_event(40, none, true), 0).ok());
}

TEST_CASE("unknown event types are kept, with their ignorable flag", "[binlog][events]") {
  EventDecoder decoder =
      decoder_after_fde("mysql/rust_mysql_common/transaction_compression.000001");
  for (const std::uint16_t flags : {std::uint16_t{0}, std::uint16_t{0x80}}) {
    auto ev = decoder.decode(make_event(99, {1, 2, 3}, true, flags), 500);
    REQUIRE(ev.ok());
    CHECK(ev->type_name() == "UNKNOWN_99");
    CHECK(ev->header.ignorable() == (flags == 0x80));
    CHECK(ev->get_if<UnknownEvent>()->body == std::string("\x01\x02\x03", 3));
    CHECK(ev->next_offset() == 500 + 26);
  }
}

TEST_CASE("a row event needs its TABLE_MAP; encrypted binlogs are refused", "[binlog][events]") {
  const std::string fixture = "mysql/rust_mysql_common/mariadb-bin.000001";
  const auto bytes = read_fixture_bytes(fixture);
  const DecodedFile file = decode_fixture(fixture);
  const auto* rows_event = events_of_type(file, "WRITE_ROWS_V1").front();

  EventDecoder decoder = decoder_after_fde(fixture);
  auto orphan = decoder.decode(event_bytes(bytes, *rows_event), rows_event->offset);
  REQUIRE_FALSE(orphan.ok());
  CHECK_THAT(orphan.error().message,
             Catch::Contains("table id 38") && Catch::Contains("WRITE_ROWS_V1"));

  Bytes start = {0x01};
  put_le(start, 1, 4);
  start.insert(start.end(), 12, 0xab);
  REQUIRE(decoder.decode(make_event(164, start, true), 0).ok());
  auto after = decoder.decode(event_bytes(bytes, *rows_event), rows_event->offset);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(after.error().message, Catch::Contains("encrypted"));
}

}  // namespace tideway::test::binlog

namespace tideway::test::binlog {

TEST_CASE("every QUERY status variable in the fixtures is understood", "[binlog][events]") {
  std::size_t queries = 0;
  for (const auto& fixture : all_binlog_fixtures()) {
    const DecodedFile file = decode_fixture(fixture);
    for (const auto* ev : events_of_type(file, "QUERY")) {
      INFO(fixture << " QUERY at " << ev->offset);
      const auto* q = ev->get_if<replication::mysql::QueryEvent>();
      CHECK_FALSE(q->status.unknown_status_code.has_value());
      ++queries;
    }
  }
  CHECK(queries > 1000);
}

TEST_CASE("ROWS_QUERY and HEARTBEAT carry their text", "[binlog][events]") {
  using namespace replication::mysql;
  EventDecoder decoder =
      decoder_after_fde("mysql/rust_mysql_common/transaction_compression.000001");
  const std::string sql = "INSERT INTO t VALUES (1)";
  Bytes rows_query = {static_cast<std::uint8_t>(sql.size())};
  rows_query.insert(rows_query.end(), sql.begin(), sql.end());
  auto rq = decoder.decode(make_event(29, rows_query, true), 0);
  REQUIRE(rq.ok());
  CHECK(rq->get_if<RowsQueryEvent>()->query == sql);

  const std::string file = "binlog.000007";
  auto hb = decoder.decode(make_event(27, Bytes(file.begin(), file.end()), true), 0);
  REQUIRE(hb.ok());
  CHECK(hb->get_if<HeartbeatEvent>()->log_file == file);
  CHECK_FALSE(hb->get_if<HeartbeatEvent>()->log_position.has_value());
}

}  // namespace tideway::test::binlog

namespace tideway::test::binlog {

TEST_CASE("INCIDENT keeps an incident number it does not know", "[binlog][events]") {
  // bug40482-bin.000001 holds an INCIDENT with number 66 (MariaDB's mysqlbinlog refuses
  // the event for that); the consumer must see it and stop, so we decode it as found.
  const DecodedFile file = decode_fixture("mysql/rust_mysql_common/bug40482-bin.000001");
  REQUIRE_FALSE(file.error.has_value());
  const auto incidents = events_of_type(file, "INCIDENT");
  REQUIRE(incidents.size() == 1);
  CHECK(incidents[0]->offset == 106);
  CHECK(incidents[0]->get_if<replication::mysql::IncidentEvent>()->incident == 66);
  CHECK(incidents[0]->get_if<replication::mysql::IncidentEvent>()->message.empty());
}

TEST_CASE("offsets past 4 GiB do not wrap like log_pos does", "[binlog][events]") {
  using namespace replication::mysql;
  const std::string fixture = "mysql/rust_mysql_common/transaction_compression.000001";
  const auto bytes = read_fixture_bytes(fixture);
  const DecodedFile file = decode_fixture(fixture);
  EventDecoder decoder = decoder_after_fde(fixture);
  const auto& xid_source = file.events.back();  // the ROTATE at the end
  const std::uint64_t far = (std::uint64_t{1} << 32) + 1000;
  auto ev = decoder.decode(event_bytes(bytes, xid_source), far);
  REQUIRE(ev.ok());
  CHECK(ev->offset == far);
  CHECK(ev->next_offset() == far + xid_source.header.event_size);
  CHECK(ev->header.log_pos == xid_source.header.log_pos);  // the 32-bit field, as written
}

}  // namespace tideway::test::binlog
