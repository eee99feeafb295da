#pragma once
// SQL literals for the MySQL-family applier, written from the core Values so that the
// target stores exactly what the source's binlog held, whatever the session's charset:
//   int/uint/decimal   the digits (unsigned and 65-digit DECIMAL kept exactly)
//   float/double       shortest round-trip text of the value as a double, with an
//                      exponent ("1.100000023841858e0"): an approximate-value literal is
//                      read with strtod, exactly, where "1.1" would be a DECIMAL rounded
//                      twice on its way into a FLOAT
//   text               _<charset> X'hex' (charset from the collation id): the bytes as
//                      they were, in their own charset; X'hex' when it is not known
//   bytes              X'hex' (BLOB, BINARY, spatial values in their SRID+WKB form);
//                      MariaDB INET6/INET4/UUID columns travel as fixed-length strings
//                      without their trailing zero bytes: padded back to 16/4 bytes, and
//                      UUID written as its text (the type refuses binary strings)
//   date/time/datetime '...' text; zero and partial-zero dates kept (the applier's
//                      sql_mode allows them)
//   timestamp          'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (the session is '+00:00');
//                      0 is MySQL's zero timestamp '0000-00-00 00:00:00'
//   bit                the bits as an unsigned integer
//   enum / set         the 1-based index / the member bitmask: exact even when the
//                      labels are unknown (binlog_row_metadata below FULL)
//   json               _utf8mb4 X'hex' of the JSON text (CAST(... AS JSON) in comparisons
//                      on MySQL, which does not compare JSON with strings)
// Values without a neutral form (VECTOR, MySQL's partial JSON updates) are refused with
// an error naming the type, never written approximately.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

class LiteralWriter {
 public:
  LiteralWriter() = default;
  /// `charsets`: collation id -> character set name; `mysql_json`: the target has a
  /// JSON type of its own (MySQL), not MariaDB's LONGTEXT alias.
  LiteralWriter(std::unordered_map<std::uint32_t, std::string> charsets, bool mysql_json)
      : charsets_(std::move(charsets)), mysql_json_(mysql_json) {}

  /// Reads the target's collations.
  static Result<LiteralWriter> load(MyConnection& target);

  /// Appends the literal of a present datum (NULL for SQL NULL) for a target column of
  /// information_schema DATA_TYPE `target_type`. `for_compare`: the literal is compared
  /// with a column rather than stored in one.
  Status append(std::string& out, const Datum& datum, std::string_view target_type,
                bool for_compare = false) const;

 private:
  std::unordered_map<std::uint32_t, std::string> charsets_;
  bool mysql_json_ = false;
};

/// Appends the bytes as X'hex' (upper-case digits).
void append_hex_literal(std::string& out, std::string_view bytes);

}  // namespace tideway::replication::mysql
