#pragma once
// Error, Status and Result<T>: how every tideway library reports an expected failure
// (a lost connection, a bad config value, a corrupt store). Exceptions are kept for
// programmer errors and for unwinding out of third-party callbacks; an expected failure
// is a value the caller must look at ([[nodiscard]]).

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tideway {

enum class ErrorCode {
  kInvalidArgument,  // bad input: config, request, DSN; not retryable
  kNotFound,
  kAlreadyExists,
  kConflict,         // the thing exists but is in the wrong state
  kPermissionDenied, // a grant or file permission is missing
  kUnavailable,      // a peer or resource is not reachable now; usually retryable
  kLocked,           // another process holds it
  kCorruption,       // stored or received bytes are not what they must be
  kIo,
  kInternal,
};

/// Stable lower-case name of a code, used in JSON errors and metric labels.
const char* error_code_name(ErrorCode code);

/// One failure with enough context to act on it. `message` names what is wrong and,
/// where we know it, how to fix it. It never contains a secret.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool retryable = false;

  /// Prefixes context ("state store /var/lib/tideway: ...") as the error travels up.
  Error&& with_context(const std::string& context) && {
    message = context + ": " + message;
    return std::move(*this);
  }
};

inline Error make_error(ErrorCode code, std::string message, bool retryable = false) {
  return Error{code, std::move(message), retryable};
}

/// Success or an Error, for operations that return nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status ok_status() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }
  const std::string& message() const { return error_->message; }
  /// Deliberately drop a failure; greppable so each drop can be reviewed.
  void ignore_error() const {}

 private:
  std::optional<Error> error_;
};

/// A value or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<Error>(v_); }
  Error&& error() && { return std::get<Error>(std::move(v_)); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace tideway
