#include "tests/pgoutput/fixture_vectors.h"

#include <fstream>
#include <stdexcept>

#include "tests/support/sandbox_env.h"

namespace tideway::test {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex, const std::string& where) {
  auto nibble = [&](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    throw std::runtime_error(where + ": bad hex digit");
  };
  if (hex.size() % 2 != 0) throw std::runtime_error(where + ": odd hex length");
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

}  // namespace

std::vector<PgoutputVector> load_pgoutput_vectors(const std::string& source) {
  const std::string path =
      required_env("TIDEWAY_FIXTURES_DIR") + "/pgoutput/" + source + "/vectors.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<PgoutputVector> out;
  for (const auto& v : doc.at("vectors")) {
    PgoutputVector vec;
    vec.source = source;
    vec.name = v.at("name").get<std::string>();
    vec.json = v;
    vec.bytes = from_hex(v.at("hex").get<std::string>(), path + " " + vec.name);
    out.push_back(std::move(vec));
  }
  return out;
}

std::vector<PgoutputVector> load_all_pgoutput_vectors() {
  auto all = load_pgoutput_vectors("electric");
  for (auto& v : load_pgoutput_vectors("pypgoutput")) all.push_back(std::move(v));
  return all;
}

}  // namespace tideway::test
