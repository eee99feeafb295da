#pragma once
// SQL literals for values read from a MySQL/MariaDB source, written so the target stores
// exactly the same value. Values are read over a session with
// character_set_results = binary (SessionKind::kSourceRaw), i.e. as the server's text
// protocol gives them, with character data in its column's own charset:
//   - integers, DECIMAL, YEAR: the server's digits, unquoted (exact, UNSIGNED included);
//   - FLOAT, DOUBLE: selected as CAST(col AS DOUBLE). The server prints a DOUBLE with
//     the shortest digits that read back to the same double, but prints a FLOAT with 6
//     significant digits (16777216 comes back as "16777200"); a FLOAT widened to DOUBLE
//     is exact, and the target rounds that double back to the identical FLOAT;
//   - BIT(n): the server sends the bits as ceil(n/8) big-endian bytes; written as the
//     unsigned integer they spell, which a BIT column stores bit for bit;
//   - BINARY/VARBINARY/BLOB and the spatial types: X'hex'. Spatial values arrive in the
//     server's internal form (4-byte SRID + WKB), which a geometry column accepts back
//     as is, SRID included;
//   - CHAR/VARCHAR/TEXT/ENUM/SET/JSON: the raw bytes with their charset as introducer,
//     _latin1'...', so no conversion through the connection charset can alter them;
//     the escaping is per byte, which is exact because the connection charset is
//     utf8mb4, in which no multi-byte character contains a quote or a backslash;
//   - DATE/TIME/DATETIME/TIMESTAMP (UTC sessions), INET4/INET6/UUID and anything else:
//     their text in quotes, which the target parses back to the same value (zero dates
//     included, under kTargetSqlMode).

#include <optional>
#include <string>
#include <string_view>

#include "replication/mysql/my_catalog.h"

namespace tideway::replication::mysql {

enum class LiteralKind { kNumber, kFloat, kBit, kBytes, kText, kQuoted };

LiteralKind literal_kind(const MyColumn& column);

/// The SELECT expression that reads `column` in a form append_literal can write back.
std::string select_expression(const MyColumn& column);

/// Appends the literal of `raw` (nullopt: NULL) for `column`. With `ascii_only`,
/// character data is written as _charset X'hex' so the result is plain ASCII (stored
/// plans go into JSON, which must be valid UTF-8 whatever the column's charset).
void append_literal(std::string& out, const MyColumn& column, std::optional<std::string_view> raw,
                    bool ascii_only = false);

/// Appends `bytes` escaped for a '...' literal, byte by byte (\0 \n \r \\ \' \" \Z).
void append_escaped(std::string& out, std::string_view bytes);

/// Appends `bytes` as upper-case hex digits (no X'' around them).
void append_hex(std::string& out, std::string_view bytes);

}  // namespace tideway::replication::mysql
