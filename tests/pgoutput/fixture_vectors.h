#pragma once
// The pgoutput byte vectors with expected decodings, read in place from the shared
// fixtures folder ($TIDEWAY_FIXTURES_DIR/pgoutput/<source>/vectors.json).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tideway::test {

struct PgoutputVector {
  std::string source;  // "electric", "pypgoutput"
  std::string name;
  nlohmann::json json;  // the whole vector object: name, message, hex, length, expected...
  std::vector<std::uint8_t> bytes;
};

/// Every vector of one source folder. Throws (failing the test) when the file is missing
/// or malformed, naming the path.
std::vector<PgoutputVector> load_pgoutput_vectors(const std::string& source);

/// Both sources, electric first.
std::vector<PgoutputVector> load_all_pgoutput_vectors();

}  // namespace tideway::test
