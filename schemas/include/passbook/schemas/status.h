// Errors as values. Every fallible function across a module boundary returns a Status or a
// Result<T>; exceptions never leave a library's public API.
//
// Picking a code (after abseil's guidance):
//   InvalidArgument     the request itself is malformed, whatever the ledger's state
//   NotFound            a named thing (account, reward, entry, claim) does not exist
//   AlreadyExists       creating something that already exists, or a nonce reused for a
//                       different envelope
//   FailedPrecondition  well-formed, but the ledger's current state forbids it (balance, stock,
//                       a claim already decided); retrying the same request will not help
//   PermissionDenied    the signer is known but its role or scope does not allow this
//   Unauthenticated     the signature does not check, or the key is unknown or revoked
//   ResourceExhausted   a limit was hit (sizes, connections, disk); may succeed later
//   Unavailable         transient; retrying the same request (same nonce) is safe
//   DataLoss            stored or received data is damaged or has been tampered with
//   Internal            a bug: an invariant that must hold did not
// Each code maps one-to-one to a wire error code (the enum values are the wire values).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace passbook {

class [[nodiscard]] Status {
 public:
  enum class Code : uint16_t {
    kOk = 0,
    kInvalidArgument = 1,
    kNotFound = 2,
    kAlreadyExists = 3,
    kFailedPrecondition = 4,
    kPermissionDenied = 5,
    kUnauthenticated = 6,
    kResourceExhausted = 7,
    kUnavailable = 8,
    kDataLoss = 9,
    kInternal = 10,
  };
  static constexpr uint16_t kCodeMax = 10;

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  [[nodiscard]] bool is_ok() const { return code_ == Code::kOk; }
  [[nodiscard]] Code code() const { return code_; }
  // One plain sentence for a person, without a trailing newline.
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<code name>: <message>", for logs.
  [[nodiscard]] std::string to_string() const;

  // Prefixes the message with context ("entry 12: ..."), keeping the code.
  [[nodiscard]] Status with_context(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

[[nodiscard]] std::string_view code_name(Status::Code code);

inline Status invalid_argument(std::string m) { return {Status::Code::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {Status::Code::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {Status::Code::kAlreadyExists, std::move(m)}; }
inline Status failed_precondition(std::string m) {
  return {Status::Code::kFailedPrecondition, std::move(m)};
}
inline Status permission_denied(std::string m) {
  return {Status::Code::kPermissionDenied, std::move(m)};
}
inline Status unauthenticated(std::string m) {
  return {Status::Code::kUnauthenticated, std::move(m)};
}
inline Status resource_exhausted(std::string m) {
  return {Status::Code::kResourceExhausted, std::move(m)};
}
inline Status unavailable(std::string m) { return {Status::Code::kUnavailable, std::move(m)}; }
inline Status data_loss(std::string m) { return {Status::Code::kDataLoss, std::move(m)}; }
inline Status internal_error(std::string m) { return {Status::Code::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none. Never holds an ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  // An empty Result is an Internal error: only for frameworks that need a default (Asio's
  // co_spawn); real code always returns a value or a Status.
  Result() : v_(Status(Status::Code::kInternal, "no result was produced")) {}
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).is_ok());
  }

  [[nodiscard]] bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  [[nodiscard]] const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace passbook

// Early return on error. Keeps call sites flat; used only inside functions returning Status or
// Result<T>.
#define PASSBOOK_RETURN_IF_ERROR(expr)          \
  do {                                          \
    ::passbook::Status passbook_status_ = (expr); \
    if (!passbook_status_.is_ok()) return passbook_status_; \
  } while (false)

// The same for coroutines returning awaitable<Status> or awaitable<Result<T>>.
#define PASSBOOK_CO_RETURN_IF_ERROR(expr)          \
  do {                                             \
    ::passbook::Status passbook_status_ = (expr);  \
    if (!passbook_status_.is_ok()) co_return passbook_status_; \
  } while (false)

#define PASSBOOK_CONCAT_INNER(a, b) a##b
#define PASSBOOK_CONCAT(a, b) PASSBOOK_CONCAT_INNER(a, b)
#define PASSBOOK_ASSIGN_OR_RETURN(lhs, expr) \
  PASSBOOK_ASSIGN_OR_RETURN_IMPL(PASSBOOK_CONCAT(passbook_result_, __LINE__), lhs, expr)
// tmp is a name and lhs may be a declaration (`auto x`): neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PASSBOOK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.is_ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
