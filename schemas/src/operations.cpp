#include "passbook/schemas/operations.h"

#include <array>

namespace passbook::schemas {
namespace {

constexpr std::array<std::string_view, std::variant_size_v<Operation>> kOperationNames = {
    "genesis",     "register_actor", "revoke_actor", "open_account", "set_rule",
    "credit",      "claim",          "approve",      "reject",       "import",
    "list_reward", "restock",        "delist",       "redeem",       "reserve",
    "deliver",     "cancel",         "reverse",      "settle"};

template <size_t I = 0>
void load_alternative(WireReader& ar, Operation& op, size_t index) {
  if constexpr (I < std::variant_size_v<Operation>) {
    if (index == I) {
      ar(op.emplace<I>());
      return;
    }
    load_alternative<I + 1>(ar, op, index);
  }
}

}  // namespace

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kBranch: return "branch";
    case Role::kMerchant: return "merchant";
    case Role::kAuditor: return "auditor";
    case Role::kVolunteer: return "volunteer";
  }
  return "unknown";
}

std::string_view operation_name(const Operation& op) { return kOperationNames.at(op.index()); }

uint8_t operation_tag(const Operation& op) { return static_cast<uint8_t>(op.index() + 1); }

void save_operation(WireWriter& ar, const Operation& op) {
  ar(operation_tag(op));
  std::visit([&ar](const auto& alternative) { ar(const_cast<std::decay_t<decltype(alternative)>&>(alternative)); }, op);
}

void load_operation(WireReader& ar, Operation& op) {
  uint8_t tag = 0;
  ar(tag);
  if (tag == 0 || tag > std::variant_size_v<Operation>) {
    throw CodecError("operation tag " + std::to_string(tag) + " is unknown");
  }
  load_alternative(ar, op, static_cast<size_t>(tag - 1));
}

}  // namespace passbook::schemas
