#include "passbook/schemas/status.h"

namespace passbook {

std::string_view code_name(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kAlreadyExists: return "already exists";
    case Status::Code::kFailedPrecondition: return "refused";
    case Status::Code::kPermissionDenied: return "permission denied";
    case Status::Code::kUnauthenticated: return "unauthenticated";
    case Status::Code::kResourceExhausted: return "limit reached";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kDataLoss: return "data damaged";
    case Status::Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(code_name(code_)) + ": " + message_;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  return {code_, std::string(context) + ": " + message_};
}

}  // namespace passbook
