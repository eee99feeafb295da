#include "daemon/binlog_command.h"

#include <cstdio>

#include "daemon/exit_codes.h"
#include "replication/mysql/binlog_event_json.h"

namespace tideway::daemon {

int cmd_binlog(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "decode" || args.size() < 2) {
    std::fprintf(stderr, "tideway: usage: tideway binlog decode [--no-verify-checksums] FILE...; "
                         "see 'tideway --help'\n");
    return kExitUsage;
  }
  replication::mysql::DecoderOptions options;
  std::vector<std::string> files;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--no-verify-checksums") options.verify_checksums = false;
    else files.push_back(args[i]);
  }
  int rc = kExitOk;
  for (const auto& file : files) {
    Status s = replication::mysql::decode_binlog_file(
        file,
        [](const nlohmann::json& event) {
          const std::string line =
              event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fputc('\n', stdout);
        },
        options);
    std::fflush(stdout);
    if (!s.ok()) {
      std::fprintf(stderr, "tideway: %s\n", s.message().c_str());
      rc = kExitFailure;
    }
  }
  return rc;
}

}  // namespace tideway::daemon
