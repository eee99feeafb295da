#pragma once
// AllocationProbe: the largest single heap allocation made while it is alive. The test
// binary replaces the global operator new (allocation_probe.cpp) to see every request, so
// a test can prove that a forged count on the wire did not turn into a huge reserve().
// Single-threaded use only, like the tests that need it.

#include <cstddef>

namespace tideway::test {

class AllocationProbe {
 public:
  AllocationProbe();
  ~AllocationProbe();
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  /// Bytes of the largest allocation since construction.
  std::size_t largest() const;
};

}  // namespace tideway::test
