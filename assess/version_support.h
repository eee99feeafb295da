#pragma once
// Server versions: parsing the version a server reports, and the vendor's end-of-support
// date for that release line (from the vendors' published lifecycle pages; a line not
// listed here is reported as unknown, never guessed).

#include <string>

#include "replication/core/task_spec.h"

namespace tideway::assess {

struct VersionNumber {
  int major = 0;
  int minor = 0;
};

/// "10.11.6-MariaDB-log" -> 10.11; "8.0.35" -> 8.0; "15.4 (Debian ...)" -> 15.0 (a
/// PostgreSQL major since 10 is one number).
VersionNumber parse_version(replication::Engine engine, const std::string& text);

/// "2027-11-11", or "" when the release line is not known.
std::string end_of_support(replication::Engine engine, VersionNumber version);

}  // namespace tideway::assess
