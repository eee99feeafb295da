#include "daemon/journal.h"

#include "common/utc_time.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace tideway::daemon {
namespace {

std::string key(const std::string& task, std::uint64_t seq) {
  return fmt::format("{}/{:016d}", task, seq);
}

// Below this a sequence fits key()'s 16 digits, so keys sort as the numbers do.
constexpr std::uint64_t kMaxKeyedSequence = 9'999'999'999'999'999;

}  // namespace

Result<std::uint64_t> Journal::next_sequence(const std::string& task) {
  auto it = last_.find(task);
  if (it == last_.end()) {
    // First entry for this task since the daemon started: continue after the last one
    // stored (one seek, however long the journal is). When that cannot be read, nothing
    // is assumed: numbering from 1 would overwrite the task's history.
    auto k = store_.last_key(storage::Family::kJournal, task + "/");
    if (!k.ok()) return std::move(k).error().with_context("finding the journal's last entry");
    std::uint64_t last = 0;
    if (k->has_value()) last = std::strtoull((*k)->substr(task.size() + 1).c_str(), nullptr, 10);
    it = last_.emplace(task, last).first;
  }
  return ++it->second;
}

void Journal::record(const std::string& task, log::Level level, const std::string& step,
                     const std::string& message,
                     std::vector<std::pair<std::string, std::string>> context) {
  std::lock_guard lock(mutex_);
  if (level == log::Level::kError) ++errors_[task][step];
  nlohmann::json ctx = nlohmann::json::object();
  for (const auto& [k, v] : context) ctx[k] = v;
  // Context values can quote server messages in any bytes: invalid UTF-8 is replaced,
  // never thrown on (a throw here would take the recording thread down).
  const std::string ctx_text =
      ctx.empty() ? std::string()
                  : ctx.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto next = next_sequence(task);
  if (!next.ok()) {
    // The event still reaches the log; only its journal copy is lost, and said so.
    log::write(level, "task", message,
               {{"task", task}, {"step", step},
                {"context", ctx_text}});
    log::write(log::Level::kError, "task", "journal write skipped",
               {{"task", task}, {"error", next.error().message}});
    return;
  }
  const std::uint64_t seq = *next;
  nlohmann::json entry = {{"seq", seq},
                          {"time", utc_now_millis()},
                          {"level", log::level_name(level)},
                          {"step", step},
                          {"message", message}};
  if (!ctx.empty()) entry["context"] = ctx;
  // Journal entries are history, not state: a lost last entry on power failure is
  // acceptable, a synced write per entry on the hot path is not.
  Status s = store_.put(storage::Family::kJournal, key(task, seq),
                        entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        storage::Durability::kBuffered);
  log::write(level, "task", message,
             {{"task", task}, {"step", step}, {"journal_seq", seq},
              {"context", ctx_text}});
  if (!s.ok()) {
    log::write(log::Level::kError, "task", "journal write failed",
               {{"task", task}, {"error", s.message()}});
  }
}

Result<std::vector<nlohmann::json>> Journal::page(const std::string& task, std::uint64_t after,
                                                  std::size_t limit) const {
  std::vector<nlohmann::json> out;
  // Keys are the sequence in 16 digits, so the page starts with a seek to after + 1; the
  // sequence check stays for numbers too long for that width.
  const std::string from = after < kMaxKeyedSequence ? key(task, after + 1) : std::string();
  Status s = store_.scan_prefix(
      storage::Family::kJournal, task + "/",
      [&](std::string_view, std::string_view value) {
        auto j = nlohmann::json::parse(value, nullptr, false);
        if (j.is_discarded()) return true;
        if (j.value("seq", std::uint64_t{0}) <= after) return true;
        out.push_back(std::move(j));
        return out.size() < limit;
      },
      from);
  if (!s.ok()) return std::move(s).error();
  return out;
}

Result<std::vector<nlohmann::json>> Journal::all(const std::string& task) const {
  return page(task, 0, SIZE_MAX);
}

Status Journal::erase(const std::string& task) {
  std::vector<std::string> keys;
  Status s = store_.scan_prefix(storage::Family::kJournal, task + "/",
                                [&](std::string_view k, std::string_view) {
                                  keys.emplace_back(k);
                                  return true;
                                });
  if (!s.ok()) return s;
  storage::WriteSet w;
  for (const auto& k : keys) w.remove(storage::Family::kJournal, k);
  std::lock_guard lock(mutex_);
  last_.erase(task);
  errors_.erase(task);
  return store_.write(w);
}

std::map<std::string, std::uint64_t> Journal::error_counts(const std::string& task) const {
  std::lock_guard lock(mutex_);
  auto it = errors_.find(task);
  return it == errors_.end() ? std::map<std::string, std::uint64_t>{} : it->second;
}

}  // namespace tideway::daemon
