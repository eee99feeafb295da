#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "common/log.h"

using namespace tideway;

TEST_CASE("A log line has level, component, message and quoted fields") {
  const std::string line =
      log::format_line(log::Level::kWarn, "http", "accept failed",
                       {{"error", "Too many open files"}, {"port", 8432}}, false);
  CHECK(line ==
        "level=warn component=http msg=\"accept failed\" error=\"Too many open files\" port=8432");
}

TEST_CASE("Values cannot break the one-line-per-event rule") {
  const std::string line = log::format_line(log::Level::kError, "pg", "query failed",
                                            {{"detail", "line1\nline2 \"q\""}}, false);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line == "level=error component=pg msg=\"query failed\" detail=\"line1\\nline2 \\\"q\\\"\"");
}

TEST_CASE("Timestamps are UTC ISO-8601 with milliseconds") {
  const std::string line = log::format_line(log::Level::kInfo, "d", "m", {}, true);
  REQUIRE(line.rfind("ts=", 0) == 0);
  // ts=YYYY-MM-DDTHH:MM:SS.mmmZ
  CHECK(line[7] == '-');
  CHECK(line[13] == 'T');
  CHECK(line[26] == 'Z');
}

TEST_CASE("The level filter drops lines below it") {
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view l) { lines.emplace_back(l); });
  log::set_level(log::Level::kWarn);
  log::Logger logger{"t"};
  logger.info("dropped");
  logger.warn("kept");
  log::set_level(log::Level::kInfo);
  log::set_sink(nullptr);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("msg=kept") != std::string::npos);
}

TEST_CASE("Level names parse both ways") {
  CHECK(log::parse_level("debug") == log::Level::kDebug);
  CHECK(log::parse_level("warning") == log::Level::kWarn);
  CHECK_FALSE(log::parse_level("verbose").has_value());
  CHECK(std::string(log::level_name(log::Level::kError)) == "error");
}

TEST_CASE("Log lines erase the terminal status block, and the next draw puts it back below") {
  char path[] = "/tmp/tideway_log_status_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(::dup2(fd, STDERR_FILENO) == STDERR_FILENO);
  log::draw_status("bar 1\nbar 2\n");
  log::draw_status("bar 1 50%\nbar 2 60%\n");  // replaces the two rows
  log::write(log::Level::kWarn, "test", "retrying", {});
  log::draw_status("streaming x: lag 0.1s");  // below the log line, no newline
  log::draw_status("streaming x: lag 0.0s");
  log::write(log::Level::kInfo, "test", "stopping", {});
  log::draw_status("streaming x: lag 0.0s");
  log::end_status();  // stays on screen; the next line starts below it
  log::write(log::Level::kInfo, "test", "stopped", {});
  REQUIRE(::dup2(saved, STDERR_FILENO) == STDERR_FILENO);
  ::close(saved);
  std::ifstream in(path, std::ios::binary);
  std::string screen((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::close(fd);
  ::unlink(path);
  screen = std::regex_replace(screen, std::regex("ts=[^ ]+ "), "");
  CHECK(screen ==
        "bar 1\nbar 2\n"
        "\x1b[2A\r\x1b[J" "bar 1 50%\nbar 2 60%\n"
        "\x1b[2A\r\x1b[J" "level=warn component=test msg=retrying\n"
        "streaming x: lag 0.1s"
        "\r\x1b[J" "streaming x: lag 0.0s"
        "\r\x1b[J" "level=info component=test msg=stopping\n"
        "streaming x: lag 0.0s"
        "\n"
        "level=info component=test msg=stopped\n");
}
