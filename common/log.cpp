#include "common/log.h"
#include "common/utc_time.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace tideway::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_sink_mutex;
// The status block on screen (draw_status): how many rows up its first row is from the
// cursor, and whether one is there at all. Guarded by g_sink_mutex.
int g_status_rows_up = 0;
bool g_status_on_screen = false;
bool g_status_ends_in_newline = true;
std::function<void(std::string_view)> g_sink;

// Under systemd, stderr is a journal stream: journald stamps time itself and reads the
// "<N>" syslog priority prefix, so levels become journal priorities (journalctl -p).
bool journald_stream() {
  static const bool yes = std::getenv("JOURNAL_STREAM") != nullptr;
  return yes;
}

int syslog_priority(Level level) {
  switch (level) {
    case Level::kDebug: return 7;
    case Level::kInfo: return 6;
    case Level::kWarn: return 4;
    case Level::kError: return 3;
  }
  return 6;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

// Quotes and escapes so that a value can never break the one-line-per-event rule.
void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}


}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

namespace {

/// Cursor to the status block's first row, and clear from there to the end of the screen.
std::string erase_status_locked() {
  if (!g_status_on_screen) return {};
  g_status_on_screen = false;
  return (g_status_rows_up > 0 ? fmt::format("\x1b[{}A", g_status_rows_up) : std::string()) +
         "\r\x1b[J";
}

void write_stderr(const std::string& bytes) {
  // One write per piece keeps it whole even when other processes share stderr.
  ssize_t ignored = ::write(STDERR_FILENO, bytes.data(), bytes.size());
  (void)ignored;
}

}  // namespace

void draw_status(std::string_view text) {
  std::lock_guard lock(g_sink_mutex);
  std::string out = erase_status_locked();
  out.append(text);
  g_status_rows_up = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  g_status_ends_in_newline = !text.empty() && text.back() == '\n';
  g_status_on_screen = true;
  write_stderr(out);
}

void end_status() {
  std::lock_guard lock(g_sink_mutex);
  if (g_status_on_screen && !g_status_ends_in_newline) write_stderr("\n");
  g_status_on_screen = false;
}

void set_sink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

std::string format_line(Level level, std::string_view component, std::string_view message,
                        std::initializer_list<Field> fields, bool with_timestamp) {
  std::string line;
  line.reserve(128);
  if (with_timestamp) {
    line.append("ts=").append(utc_now_millis()).push_back(' ');
  }
  line.append("level=").append(level_name(level));
  line.append(" component=");
  append_value(line, component);
  line.append(" msg=");
  append_value(line, message);
  for (const Field& f : fields) {
    line.push_back(' ');
    line.append(f.key);
    line.push_back('=');
    append_value(line, f.value);
  }
  return line;
}

void write(Level lvl, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  if (lvl < level()) return;
  const bool journal = journald_stream();
  std::string line = format_line(lvl, component, message, fields, !journal);
  std::lock_guard lock(g_sink_mutex);
  if (g_sink) {
    g_sink(line);
    return;
  }
  if (journal) line.insert(0, fmt::format("<{}>", syslog_priority(lvl)));
  line.insert(0, erase_status_locked());
  line.push_back('\n');
  write_stderr(line);
}

}  // namespace tideway::log
