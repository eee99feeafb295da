#pragma once
// Structured logging: one line per event, `level=... component=... msg="..." key=value`,
// fit for journald and grep. Thread-safe; each line is written with a single write(2).
// Callers pass context as fields; secrets are never passed in (see common/secret.h).

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tideway::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::optional<Level> parse_level(std::string_view text);
const char* level_name(Level level);

/// Process-wide minimum level; reloadable at runtime (SIGHUP).
void set_level(Level level);
Level level();

/// Replaces the output (stderr by default); for tests. Pass nullptr to restore stderr.
void set_sink(std::function<void(std::string_view line)> sink);

/// A block of status text redrawn in place at the bottom of a terminal (`tideway run`'s
/// per-table bars, or the stream's status line), written through the log's stderr so the
/// two never garble each other: each draw replaces the block drawn before, a log line
/// first erases the block (the next draw puts it back below the line), and end_status()
/// leaves the last drawing on screen for good. `text` may end with a newline or not.
void draw_status(std::string_view text);
void end_status();

struct Field {
  std::string_view key;
  std::string value;

  template <typename T>
  Field(std::string_view k, const T& v) : key(k), value(fmt::format("{}", v)) {}
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
};

/// Formats one event line (without trailing newline). Exposed for tests.
std::string format_line(Level level, std::string_view component, std::string_view message,
                        std::initializer_list<Field> fields, bool with_timestamp);

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields);

/// A component's logger: `Logger log{"http"}; log.info("listening", {{"addr", a}});`
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}
  void debug(std::string_view msg, std::initializer_list<Field> f = {}) const {
    write(Level::kDebug, component_, msg, f);
  }
  void info(std::string_view msg, std::initializer_list<Field> f = {}) const {
    write(Level::kInfo, component_, msg, f);
  }
  void warn(std::string_view msg, std::initializer_list<Field> f = {}) const {
    write(Level::kWarn, component_, msg, f);
  }
  void error(std::string_view msg, std::initializer_list<Field> f = {}) const {
    write(Level::kError, component_, msg, f);
  }

 private:
  std::string component_;
};

}  // namespace tideway::log
