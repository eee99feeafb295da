#include "replication/mysql/my_handoff.h"

#include <fmt/format.h>

namespace tideway::replication::mysql {

Result<std::map<std::string, BinlogHandoffWindow>> binlog_handoff_windows(
    const LoadStateStore& state, const BinlogPosition& stream_start) {
  std::map<std::string, BinlogHandoffWindow> windows;
  auto plans = state.load_plans();
  if (!plans.ok()) return std::move(plans).error();
  for (const auto& [table, plan] : *plans) {
    auto done = state.load_done(table);
    if (!done.ok()) return std::move(done).error();
    BinlogPosition latest = stream_start;
    for (const auto& [index, chunk] : *done) {
      auto read_at = BinlogPosition::parse(chunk.snapshot);
      if (!read_at) {
        return make_error(ErrorCode::kCorruption,
                          fmt::format("chunk {} of {} has no readable binlog position ('{}'); "
                                      "the stream cannot tell which changes it holds",
                                      index, table, chunk.snapshot.substr(0, 100)));
      }
      if (latest < *read_at) latest = std::move(*read_at);
    }
    if (!(stream_start < latest)) continue;
    windows[table] = BinlogHandoffWindow{latest, plan.method == "no_key"};
  }
  return windows;
}

}  // namespace tideway::replication::mysql
