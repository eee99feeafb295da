#include "tests/binlog/fixture_support.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "replication/mysql/binlog_file_decoder.h"
#include "tests/support/sandbox_env.h"

namespace tideway::test::binlog {
namespace fs = std::filesystem;
using namespace replication::mysql;

std::string fixture_path(const std::string& relative) {
  return required_env("TIDEWAY_FIXTURES_DIR") + "/" + relative;
}

namespace {

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& in, const std::string& name) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::vector<std::uint8_t> out;
  std::uint8_t chunk[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw std::runtime_error("cannot gunzip " + name);
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

std::vector<std::uint8_t> read_fixture_bytes(const std::string& relative) {
  const std::string path = fixture_path(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (relative.ends_with(".gz")) return gunzip(bytes, path);
  return bytes;
}

std::string read_fixture_text(const std::string& relative) {
  const auto bytes = read_fixture_bytes(relative);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> all_binlog_fixtures() {
  const fs::path root = fixture_path("");
  std::vector<std::string> out;
  for (const char* top : {"mysql", "mariadb"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      if (!entry.is_regular_file()) continue;
      const std::string name = entry.path().filename().string();
      if (name.find(".mysqlbinlog") != std::string::npos || name.ends_with(".md") ||
          name.ends_with(".json") || name.ends_with(".sql") || name.ends_with(".txt")) {
        continue;
      }
      out.push_back(fs::relative(entry.path(), root).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

DecodedFile decode_bytes(const std::string& name, std::vector<std::uint8_t> bytes,
                         const DecoderOptions& options) {
  DecodedFile out;
  auto reader = BinlogFileReader::from_bytes(name, std::move(bytes));
  if (!reader.ok()) {
    out.error = reader.error();
    return out;
  }
  EventDecoder decoder(options);
  Status s = decode_binlog_events(*reader, decoder,
                                  [&](const BinlogEvent& ev) { out.events.push_back(ev); });
  if (!s.ok()) out.error = s.error();
  return out;
}

DecodedFile decode_fixture(const std::string& relative, const DecoderOptions& options) {
  return decode_bytes(relative, read_fixture_bytes(relative), options);
}

std::vector<const BinlogEvent*> events_of_type(const DecodedFile& file,
                                               const std::string& type_name, bool nested) {
  std::vector<const BinlogEvent*> out;
  for (const auto& ev : file.events) {
    if (ev.type_name() == type_name) out.push_back(&ev);
    if (const auto* payload = ev.get_if<TransactionPayloadEvent>(); payload && nested) {
      for (const auto& inner : payload->events) {
        if (inner.type_name() == type_name) out.push_back(&inner);
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace tideway::test::binlog
