#include "assess/version_support.h"

#include <cstdio>
#include <ctime>

#include "common/utc_time.h"

namespace tideway::assess {

VersionNumber parse_version(replication::Engine engine, const std::string& text) {
  VersionNumber v;
  std::sscanf(text.c_str(), "%d.%d", &v.major, &v.minor);
  if (engine == replication::Engine::kPostgresql && v.major >= 10) v.minor = 0;
  return v;
}

std::string end_of_support(replication::Engine engine, VersionNumber v) {
  struct Line {
    int major, minor;
    const char* date;
  };
  // PostgreSQL: five years after the major's release (postgresql.org/support/versioning).
  static const Line kPostgres[] = {{11, 0, "2023-11-09"}, {12, 0, "2024-11-21"},
                                   {13, 0, "2025-11-13"}, {14, 0, "2026-11-12"},
                                   {15, 0, "2027-11-11"}, {16, 0, "2028-11-09"},
                                   {17, 0, "2029-11-08"}, {18, 0, "2030-11-14"}};
  // MySQL: Oracle's lifecycle (5.7 ended 2023-10; 8.0 ends 2026-04; 8.4 LTS 2032-04).
  static const Line kMysql[] = {{5, 7, "2023-10-31"}, {8, 0, "2026-04-30"},
                                {8, 4, "2032-04-30"}};
  // MariaDB: the long-term releases' maintenance ends (mariadb.org/about/#maintenance-policy).
  static const Line kMariadb[] = {{10, 4, "2024-06-18"}, {10, 5, "2025-06-24"},
                                  {10, 6, "2026-07-06"}, {10, 11, "2028-02-16"},
                                  {11, 4, "2029-05-29"}, {11, 8, "2030-06-04"}};
  auto find = [&](const auto& lines) -> std::string {
    for (const auto& l : lines) {
      if (l.major == v.major && l.minor == v.minor) return l.date;
    }
    return "";
  };
  switch (engine) {
    case replication::Engine::kPostgresql: return find(kPostgres);
    case replication::Engine::kMysql: return find(kMysql);
    case replication::Engine::kMariadb: return find(kMariadb);
  }
  return "";
}


}  // namespace tideway::assess
