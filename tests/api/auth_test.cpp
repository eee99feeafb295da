#include <catch2/catch.hpp>

#include "api/auth.h"

using namespace tideway::api;

TEST_CASE("constant_time_equals compares whole strings") {
  CHECK(constant_time_equals("abc", "abc"));
  CHECK_FALSE(constant_time_equals("abc", "abd"));
  CHECK_FALSE(constant_time_equals("abc", "abcd"));
  CHECK_FALSE(constant_time_equals("", "a"));
  CHECK(constant_time_equals("", ""));
}

TEST_CASE("BearerAuth accepts only the bearer scheme with the exact token") {
  BearerAuth auth("0123456789abcdef");
  CHECK(auth.allows("Bearer 0123456789abcdef"));
  CHECK(auth.allows("bearer 0123456789abcdef"));
  CHECK_FALSE(auth.allows("Bearer 0123456789abcdeF"));
  CHECK_FALSE(auth.allows("Basic 0123456789abcdef"));
  CHECK_FALSE(auth.allows("Bearer "));
  CHECK_FALSE(auth.allows(""));
  auth.set_token("fedcba9876543210");
  CHECK_FALSE(auth.allows("Bearer 0123456789abcdef"));
  CHECK(auth.allows("Bearer fedcba9876543210"));
}

TEST_CASE("An empty configured token authorises nothing") {
  BearerAuth auth("");
  CHECK_FALSE(auth.allows("Bearer "));
  CHECK_FALSE(auth.allows("Bearer  "));
}
