#pragma once
// Shared helpers of the binlog tests: where the fixtures are, reading (and gunzipping)
// them, and decoding a whole file into events.

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/value.h"
#include "replication/mysql/binlog_event.h"
#include "replication/mysql/event_decoder.h"

namespace tideway::test::binlog {

/// $TIDEWAY_FIXTURES_DIR + "/" + relative (throws if the variable is unset).
std::string fixture_path(const std::string& relative);

/// The file's bytes; a ".gz" file is inflated in memory. Throws on I/O errors.
std::vector<std::uint8_t> read_fixture_bytes(const std::string& relative);
std::string read_fixture_text(const std::string& relative);

/// Every binlog under mysql/ and mariadb/ (relative paths, sorted): files that are not
/// decodes, notes or vectors.
std::vector<std::string> all_binlog_fixtures();

struct DecodedFile {
  std::vector<replication::mysql::BinlogEvent> events;
  std::optional<Error> error;  // why decoding stopped early, if it did
};

/// Decodes all events of a fixture (gunzipped if needed) with a fresh decoder.
DecodedFile decode_fixture(const std::string& relative,
                           const replication::mysql::DecoderOptions& options = {});

/// Decodes a binlog held in memory.
DecodedFile decode_bytes(const std::string& name, std::vector<std::uint8_t> bytes,
                         const replication::mysql::DecoderOptions& options = {});

/// Events with a given type name, in order (descending into TRANSACTION_PAYLOADs when
/// `nested` is true).
std::vector<const replication::mysql::BinlogEvent*> events_of_type(const DecodedFile& file,
                                                                   const std::string& type_name,
                                                                   bool nested = true);

/// Bytes from a hex string ("cdcc8c3f").
std::vector<std::uint8_t> from_hex(const std::string& hex);

}  // namespace tideway::test::binlog

// Catch prints Values by their kind and canonical text.
namespace Catch {
template <>
struct StringMaker<tideway::replication::Value> {
  static std::string convert(const tideway::replication::Value& v) {
    std::string extra;
    if (const auto* t = v.get_if<tideway::replication::TextValue>()) {
      extra = " collation " + std::to_string(t->collation_id);
    }
    return std::string(tideway::replication::value_kind_name(v.kind())) + "(" + v.to_string() +
           ")" + extra;
  }
};
}  // namespace Catch
