// The task spec's postgresql section: slot and publication names, streaming of
// in-progress transactions and the walsender's logical_decoding_work_mem, with defaults,
// the stored form, and errors that name the key and the accepted values.
#include <catch2/catch.hpp>

#include "daemon/task_spec_json.h"
#include "daemon/task_spec_parser.h"

using namespace tideway;
using replication::StreamInProgress;

namespace {

const char* kBase =
    "id: orders-1\n"
    "source: {engine: postgresql, database: shop, user: u, password_env: SRC_PW}\n"
    "target: {engine: postgresql, database: shop, user: u, password_env: DST_PW}\n";

}  // namespace

TEST_CASE("postgresql.stream_in_progress and logical_decoding_work_mem are read, with "
          "defaults") {
  auto plain = daemon::parse_task_spec(kBase, "task.yaml");
  REQUIRE(plain.ok());
  CHECK(plain->postgres.slot_name == "tideway_orders_1");
  CHECK(plain->postgres.stream_in_progress == StreamInProgress::kAuto);
  CHECK(plain->postgres.logical_decoding_work_mem.empty());

  for (const auto& [text, mode] : {std::pair{"on", StreamInProgress::kOn},
                                   std::pair{"off", StreamInProgress::kOff},
                                   std::pair{"auto", StreamInProgress::kAuto}}) {
    auto set = daemon::parse_task_spec(
        std::string(kBase) + "postgresql: {stream_in_progress: " + text +
            ", logical_decoding_work_mem: 64kB}\n",
        "task.yaml");
    REQUIRE(set.ok());
    CHECK(set->postgres.stream_in_progress == mode);
    CHECK(set->postgres.logical_decoding_work_mem == "64kB");
    // The stored form (JSON) reads back to the same spec.
    auto again = daemon::parse_task_spec(daemon::task_spec_to_json(*set).dump(), "stored");
    REQUIRE(again.ok());
    CHECK(again->postgres.stream_in_progress == mode);
    CHECK(again->postgres.logical_decoding_work_mem == "64kB");
  }
  for (const char* size : {"64kB", "256MB", "2GB", "2147483647kB"}) {
    auto ok = daemon::parse_task_spec(
        std::string(kBase) + "postgresql: {logical_decoding_work_mem: " + size + "}\n", "t.yaml");
    INFO(size);
    CHECK(ok.ok());
  }
  // Without the setting, the stored form has no empty value that would not read back.
  auto again = daemon::parse_task_spec(daemon::task_spec_to_json(*plain).dump(), "stored");
  REQUIRE(again.ok());
  CHECK(again->postgres.logical_decoding_work_mem.empty());
}

TEST_CASE("A wrong postgresql section names the key and what is accepted") {
  auto bad_mode = daemon::parse_task_spec(
      std::string(kBase) + "postgresql: {stream_in_progress: yes-please}\n", "task.yaml");
  REQUIRE_FALSE(bad_mode.ok());
  INFO(bad_mode.error().message);
  CHECK(bad_mode.error().message.find("stream_in_progress") != std::string::npos);
  CHECK(bad_mode.error().message.find("'yes-please' is not valid; expected auto, on or off") !=
        std::string::npos);
  for (const char* size : {"63kB", "64", "64 kB", "1TB", "2048GB", "2147483648kB", "'1MB'; x",
                           "-1MB"}) {
    auto bad = daemon::parse_task_spec(
        std::string(kBase) + "postgresql: {logical_decoding_work_mem: \"" + size + "\"}\n",
        "task.yaml");
    INFO(size);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("logical_decoding_work_mem") != std::string::npos);
    CHECK(bad.error().message.find("between 64kB and 2147483647kB") != std::string::npos);
  }
  auto unknown = daemon::parse_task_spec(std::string(kBase) + "postgresql: {streaming: on}\n",
                                         "task.yaml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find(
            "slot_name, publication_name, stream_in_progress, logical_decoding_work_mem") !=
        std::string::npos);
}

TEST_CASE("postgresql.maintenance_work_mem for the index builds has a default, is kept in "
          "the stored form, and a wrong size names the key") {
  auto plain = daemon::parse_task_spec(kBase, "task.yaml");
  REQUIRE(plain.ok());
  CHECK(plain->postgres.maintenance_work_mem == "512MB");
  auto set = daemon::parse_task_spec(
      std::string(kBase) + "postgresql: {maintenance_work_mem: 2GB}\n", "task.yaml");
  REQUIRE(set.ok());
  CHECK(set->postgres.maintenance_work_mem == "2GB");
  auto again = daemon::parse_task_spec(daemon::task_spec_to_json(*set).dump(), "stored");
  REQUIRE(again.ok());
  CHECK(again->postgres.maintenance_work_mem == "2GB");
  for (const char* size : {"1023kB", "512", "1TB", "'1GB'; DROP TABLE x"}) {
    auto bad = daemon::parse_task_spec(
        std::string(kBase) + "postgresql: {maintenance_work_mem: \"" + size + "\"}\n", "t.yaml");
    INFO(size);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("maintenance_work_mem") != std::string::npos);
    CHECK(bad.error().message.find("between 1MB and 2147483647kB") != std::string::npos);
  }
}
