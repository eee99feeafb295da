#pragma once
// Helpers for the assessment tests: finding look-up with a readable failure message.

#include <string>

#include <catch2/catch.hpp>

#include "assess/assessment.h"

namespace tideway::test {

/// The finding with this id and object, or nullptr.
inline const assess::Finding* find_finding(const assess::Assessment& a, const std::string& id,
                                           const std::string& object) {
  for (const auto& f : a.findings) {
    if (f.id == id && f.object == object) return &f;
  }
  return nullptr;
}

/// Every finding as "severity id object" lines, for failure messages.
inline std::string all_findings(const assess::Assessment& a) {
  std::string out;
  for (const auto& f : a.findings) {
    out += std::string(assess::severity_name(f.severity)) + " " + f.id + " " + f.object + "\n";
  }
  return out;
}

/// Asserts the finding exists with the severity, and has a reason and a remediation.
inline void require_finding(const assess::Assessment& a, const std::string& id,
                            const std::string& object, assess::Severity severity) {
  INFO("findings:\n" << all_findings(a));
  INFO("expected: " << assess::severity_name(severity) << " " << id << " " << object);
  const assess::Finding* f = find_finding(a, id, object);
  REQUIRE(f != nullptr);
  CHECK(f->severity == severity);
  CHECK_FALSE(f->why.empty());
  CHECK_FALSE(f->remediation.empty());
}

}  // namespace tideway::test
