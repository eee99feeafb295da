#include "tests/pgoutput/allocation_probe.h"

#include <cstdlib>
#include <new>

namespace {

bool g_probing = false;
std::size_t g_largest = 0;

void* allocate(std::size_t n) {
  if (g_probing && n > g_largest) g_largest = n;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

// Every non-aligned form is replaced, not just the two that libstdc++'s defaults forward
// to: under a sanitizer the other defaults belong to the sanitizer's allocator, and
// mixing the two would be reported as a mismatch. Aligned forms stay paired as they are.
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept {
  return operator new(n, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tideway::test {

AllocationProbe::AllocationProbe() {
  g_largest = 0;
  g_probing = true;
}

AllocationProbe::~AllocationProbe() { g_probing = false; }

std::size_t AllocationProbe::largest() const { return g_largest; }

}  // namespace tideway::test
