#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/secret.h"

using namespace tideway;

namespace {
std::string temp_file(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("tideway_secret_test_" + name);
  std::ofstream(path) << content;
  return path.string();
}
}  // namespace

TEST_CASE("A secret file's trailing newline is not part of the secret") {
  auto r = read_secret_file(temp_file("nl", "s3cret\n"));
  REQUIRE(r.ok());
  CHECK(*r == "s3cret");
}

TEST_CASE("Missing and empty secret files are errors naming the file, not the content") {
  auto missing = read_secret_file("/nonexistent/tideway/token");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("/nonexistent/tideway/token") != std::string::npos);

  const std::string empty_path = temp_file("empty", "\n");
  auto empty = read_secret_file(empty_path);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "secret file " + empty_path + " is empty");
}

TEST_CASE("Secrets from the environment") {
  ::setenv("TIDEWAY_TEST_SECRET", "abc", 1);
  auto r = read_secret_env("TIDEWAY_TEST_SECRET");
  REQUIRE(r.ok());
  CHECK(*r == "abc");
  ::unsetenv("TIDEWAY_TEST_SECRET");
  auto unset = read_secret_env("TIDEWAY_TEST_SECRET");
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().message.find("TIDEWAY_TEST_SECRET") != std::string::npos);
}
