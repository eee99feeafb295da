#pragma once
// PostgreSQL log sequence number: a 64-bit WAL byte position, written "X/Y" (two hex
// halves). Lives in the core because positions of every engine are compared and stored
// through the core, and the LSN is the simplest of them.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tideway::replication {

struct Lsn {
  std::uint64_t value = 0;

  auto operator<=>(const Lsn&) const = default;

  /// "16/B374D848" form, upper-case hex as PostgreSQL prints it.
  std::string to_string() const;
  /// Parses "X/Y" with 1..8 hex digits on each side; nullopt on anything else.
  static std::optional<Lsn> parse(std::string_view text);
};

}  // namespace tideway::replication
