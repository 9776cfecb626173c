// passbook demo: fills a fresh ledger with a believable street, through the same signed
// envelopes and group commits every other writer uses. Modelled on the Yanshan street reports:
// a street office, grid party branches in several communities record volunteers' service
// (property services, elder visits, garbage sorting, patrols, flood watch in the rainy season...),
// the council approves or rejects claims, paper passbooks are carried over, shops, a dumpling
// house, a cinema, a car wash and a kindergarten with few places take points, and the street
// office settles with them every month. Along the way: a revision of the savings rules, a branch
// secretary handing over her key, a seasonal reward listed and delisted, a mistaken credit and a
// mistaken redemption reversed, a reservation nobody collected cancelled by the street office.
// Volunteers get display names in the off-chain names store (a few are left without).
//
// Everything derives from --seed: keys, people and events, so a demo can be reproduced. The
// simulated clock walks day by day from --months ago to yesterday (China time). Size is a flag: the default is a
// small street made in seconds; --volunteers 3000 --branches 30 --months 12 makes a year of a
// whole street (and feeds benchmarks).
#include <algorithm>
#include <iostream>
#include <map>
#include <random>

#include "cli.h"
#include "names_store.h"
#include "passbook/client/envelope.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {
namespace {

using namespace schemas;

constexpr int64_t kDayMs = 86'400'000;
constexpr int32_t kChinaOffsetMinutes = 480;

class SimClock final : public ledger::Clock {
 public:
  [[nodiscard]] int64_t now_ms() const override { return now; }
  int64_t now = 0;
};

struct Category {
  const char* id;
  uint32_t points_per_hour;
  uint32_t daily_cap_minutes;
  uint32_t weight;         // how often volunteers do it, relative to the others
  bool rainy_season_only;  // flood watch: June to September (汛期)
};
constexpr Category kCategories[] = {
    {"property-services", 10, 240, 6, false}, {"elder-visit", 12, 180, 5, false},
    {"garbage-sorting", 8, 120, 5, false},    {"patrol", 10, 240, 4, false},
    {"mediation", 15, 120, 1, false},         {"tutoring", 12, 180, 2, false},
    {"haircut", 10, 120, 1, false},           {"health-check", 15, 180, 1, false},
    {"building-cleanup", 8, 120, 3, false},   {"flood-watch", 12, 240, 4, true},
};

struct RewardSpec {
  const char* merchant;
  const char* id;
  const char* name;
  int64_t price;
  int64_t stock;  // -1 unlimited
  uint32_t limit;
  LimitPeriod period;
};
constexpr RewardSpec kRewards[] = {
    {"lixiang-market", "tissues", "抽纸 tissues", 10, 500, 0, LimitPeriod::kEver},
    {"lixiang-market", "toiletries", "洗漱用品 toiletries", 30, 200, 0, LimitPeriod::kEver},
    {"lixiang-market", "vegetables", "新鲜时蔬 fresh vegetables", 20, 300, 0, LimitPeriod::kEver},
    {"lixiang-market", "cart", "小推车 shopping cart", 150, 20, 1, LimitPeriod::kYear},
    {"dumpling-house", "dumplings", "水饺 a plate of dumplings", 40, -1, 0, LimitPeriod::kEver},
    {"yuanyuan-property", "car-wash", "免费洗车 car wash", 60, -1, 2, LimitPeriod::kMonth},
    {"starlight-cinema", "cinema-seat", "私人影院观影 cinema seat", 80, 40, 0, LimitPeriod::kEver},
    {"sunflower-school", "children-class", "儿童培训课 children's class", 120, 30, 0,
     LimitPeriod::kEver},
    {"yanshan-kindergarten", "place", "幼儿园入园名额 kindergarten place", 300, 3, 1,
     LimitPeriod::kYear},
};
// Listed for the Mid-Autumn festival, delisted after it.
constexpr RewardSpec kMooncakes{"dumpling-house",  "mooncakes", "月饼礼盒 mooncakes", 50, 60, 1,
                                LimitPeriod::kYear};

// The names the merchants are registered under (shown on passbooks and reports).
struct MerchantName {
  const char* id;
  const char* name;
};
constexpr MerchantName kMerchantNames[] = {
    {"lixiang-market", "利祥超市 Lixiang market"},
    {"dumpling-house", "老街水饺馆 dumpling house"},
    {"yuanyuan-property", "圆圆物业 Yuanyuan property"},
    {"starlight-cinema", "星光私人影院 Starlight cinema"},
    {"sunflower-school", "向日葵培训学校 Sunflower school"},
    {"yanshan-kindergarten", "燕山幼儿园 Yanshan kindergarten"},
};

// Communities of the street, eight grid branches each (numbering goes on past eight communities).
constexpr const char* kCommunities[] = {"燕子山社区", "甸柳社区", "东湖社区",   "松园社区",
                                        "华新社区",   "向阳社区", "徐家楼社区", "岳峰社区"};
constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                     "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
constexpr const char* kGivenNames[] = {
    "秀英", "桂兰", "建国", "志强", "玉兰", "淑珍", "国华", "丽娟", "德明", "海燕", "文华", "凤英",
    "建华", "小红", "春梅", "明亮", "子涵", "浩然", "雨萱", "立新", "素芳", "长顺", "金凤", "宝山"};

struct Branch {
  std::string id;
  std::string name;
  proof::SigningKey secretary;  // records service and claims on volunteers' behalf
  proof::SigningKey council;    // approves claims: never the key that claimed
};

struct Volunteer {
  std::string account;
  size_t branch = 0;
  double activity = 0;    // chance of service on a given day
  int64_t leaves_on = 0;  // the day they stop serving (moved away); 0: never
  std::optional<proof::SigningKey> key;
};

struct PendingClaim {
  OpRef ref;
  size_t branch = 0;
  int64_t day = 0;
};

struct HeldReservation {
  OpRef ref;
  int64_t day = 0;
  std::string merchant;
  bool collected = true;  // false: nobody comes for it; the street office cancels it
};

class DemoStreet {
 public:
  DemoStreet(std::filesystem::path dir, uint64_t seed, size_t branches, size_t volunteers,
             int months)
      : dir_(std::move(dir)),
        seed_(seed),
        branch_count_(branches),
        volunteer_count_(volunteers),
        months_(months),
        rng_(seed) {}

  Status run() {
    PASSBOOK_RETURN_IF_ERROR(create_ledger());
    PASSBOOK_RETURN_IF_ERROR(set_up_street());
    days_ = int64_t{months_} * 30;
    for (int64_t day = 1; day <= days_; ++day) PASSBOOK_RETURN_IF_ERROR(simulate_day(day));
    PASSBOOK_RETURN_IF_ERROR(ledger_->close());
    PASSBOOK_RETURN_IF_ERROR(write_names());
    print_summary();
    return Status::ok();
  }

 private:
  // Keys derive from the seed: a demo is reproducible, and never to be used for real points.
  Result<proof::SigningKey> key_for(const std::string& name) const {
    const Hash32 seed =
        proof::sha256("red-passbook demo key|" + std::to_string(seed_) + "|" + name);
    return proof::SigningKey::from_seed(seed);
  }

  Result<proof::SigningKey> saved_key(const std::string& name) {
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, key_for(name));
    PASSBOOK_RETURN_IF_ERROR(key.save(dir_ / "keys" / (name + ".key")));
    return key;
  }

  Status create_ledger() {
    std::error_code ec;
    if (std::filesystem::exists(dir_ / "db", ec)) {
      return already_exists("a ledger already exists in " + dir_.string() +
                            "; demo needs a fresh directory");
    }
    std::filesystem::create_directories(dir_ / "keys", ec);
    if (ec) return unavailable("cannot create " + dir_.string() + ": " + ec.message());
    std::filesystem::permissions(dir_ / "keys", std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    PASSBOOK_ASSIGN_OR_RETURN(admin_, saved_key("admin"));
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey ledger_key, saved_key("ledger"));
    const Hash32 id_hash = proof::sha256("red-passbook demo ledger|" + std::to_string(seed_));
    std::copy_n(id_hash.begin(), ledger_id_.size(), ledger_id_.begin());

    const int64_t now = client::now_ms();
    const int64_t local_midnight =
        (now + kChinaOffsetMinutes * 60'000LL) / kDayMs * kDayMs - kChinaOffsetMinutes * 60'000LL;
    // The last simulated day is yesterday: a day's events run from 9:00 into the afternoon, and
    // on today they would be in the future until the afternoon (China time). The ledger never
    // dates a commit before its last one, so every envelope signed afterwards (passbook credit,
    // a client) would be refused as too old until the clock caught up.
    start_ms_ = local_midnight - (int64_t{months_} * 30 + 1) * kDayMs;
    clock_.now = start_ms_ + 8 * 3'600'000;

    Genesis genesis;
    genesis.origin = "yanshan.example/red-passbook";
    genesis.admin_key = admin_->public_key();
    genesis.admin_name = "燕山街道办事处 Yanshan street office";
    genesis.ledger_key = ledger_key.public_key();
    genesis.utc_offset_minutes = kChinaOffsetMinutes;
    genesis.time_window_s = 600;
    PASSBOOK_ASSIGN_OR_RETURN(
        SignedEnvelope envelope,
        client::sign_envelope(ledger_id_, *admin_, {genesis}, {clock_.now, {}, {}}));
    ledger::Options options;
    options.data_dir = dir_;
    options.clock = &clock_;
    PASSBOOK_ASSIGN_OR_RETURN(ledger_, ledger::Ledger::create(options, std::move(envelope)));
    return Status::ok();
  }

  // Signs ops with `signer` at the simulated time and queues the envelope for the next group.
  Status queue(const proof::SigningKey& signer, std::vector<Operation> ops,
               const proof::SigningKey* cosigner = nullptr) {
    const std::string kind(operation_name(ops.front()));
    client::EnvelopeOptions options;
    options.created_ms = clock_.now;
    if (cosigner != nullptr) options.cosigners.push_back(cosigner);
    PASSBOOK_ASSIGN_OR_RETURN(SignedEnvelope envelope,
                              client::sign_envelope(ledger_id_, signer, std::move(ops), options));
    queued_.push_back(ledger::Ledger::prepare(std::move(envelope)));
    queued_kinds_.push_back(kind);
    return Status::ok();
  }

  // Commits the queued envelopes as one group; returns the outcomes. Refusals are part of life
  // (a daily cap reached, a reward sold out) and are counted, not fatal.
  Result<std::vector<ledger::Outcome>> flush() {
    clock_.now += 60'000;
    std::vector<ledger::Outcome> outcomes = ledger_->commit(std::move(queued_));
    queued_.clear();
    const std::vector<std::string> kinds = std::move(queued_kinds_);
    queued_kinds_.clear();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto& outcome = outcomes[i];
      if (outcome.status.is_ok()) {
        ++accepted_;
        if (i < kinds.size()) ++kinds_[kinds[i]];
      } else if (outcome.status.code() == Status::Code::kUnavailable ||
                 outcome.status.code() == Status::Code::kDataLoss ||
                 outcome.status.code() == Status::Code::kInternal) {
        return outcome.status;
      } else {
        ++refused_;
        if (std::getenv("PASSBOOK_DEMO_DEBUG")) std::cerr << outcome.status.message() << "\n";
      }
    }
    return outcomes;
  }

  Status set_up_street() {
    // Branches, merchants and an auditor, registered by the street office.
    std::vector<Operation> ops;
    for (size_t b = 0; b < branch_count_; ++b) {
      const std::string id = "yzs-" + std::to_string(b + 1);
      PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey secretary,
                                saved_key("branch-" + id + "-secretary"));
      PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey council, saved_key("branch-" + id + "-council"));
      const std::string name = std::string(kCommunities[b / 8 % std::size(kCommunities)]) + "第" +
                               std::to_string(b % 8 + 1 + 8 * (b / (8 * std::size(kCommunities)))) +
                               "网格党支部";
      ops.push_back(RegisterActor{secretary.public_key(), Role::kBranch, id, name + " 书记"});
      ops.push_back(RegisterActor{council.public_key(), Role::kBranch, id, name + " 党群理事会"});
      branches_.push_back(Branch{id, name, std::move(secretary), std::move(council)});
    }
    for (const auto& reward : kRewards) {
      if (merchants_.count(reward.merchant) != 0) continue;
      PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key,
                                saved_key(std::string("merchant-") + reward.merchant));
      std::string name = reward.merchant;
      for (const auto& m : kMerchantNames) {
        if (name == m.id) name = m.name;
      }
      ops.push_back(RegisterActor{key.public_key(), Role::kMerchant, reward.merchant, name});
      merchants_.emplace(reward.merchant, std::move(key));
    }
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey auditor, saved_key("auditor"));
    ops.push_back(
        RegisterActor{auditor.public_key(), Role::kAuditor, "", "区审计 district auditor"});
    for (const auto& c : kCategories)
      ops.push_back(SetRule{"", c.id, c.points_per_hour, c.daily_cap_minutes});
    PASSBOOK_RETURN_IF_ERROR(queue(*admin_, std::move(ops)));
    PASSBOOK_RETURN_IF_ERROR(flush().status());

    // The first branch pays more for elder visits: its council decided so (储蓄细则).
    PASSBOOK_RETURN_IF_ERROR(
        queue(branches_[0].secretary, {SetRule{branches_[0].id, "elder-visit", 15, 180}}));
    // The second, with many old buildings, values sorting the garbage more.
    if (branch_count_ > 1) {
      PASSBOOK_RETURN_IF_ERROR(
          queue(branches_[1].secretary, {SetRule{branches_[1].id, "garbage-sorting", 10, 120}}));
    }
    for (const auto& reward : kRewards) {
      PASSBOOK_RETURN_IF_ERROR(
          queue(merchants_.at(reward.merchant),
                {ListReward{reward.id, reward.name, reward.price,
                            reward.stock < 0 ? ListReward::kUnlimitedStock : reward.stock,
                            reward.limit, reward.period}}));
    }
    // Volunteers: some serve a few times a month, most every week, a few every other day; one in
    // twenty moves away during the year. One in six has a key of their own (a phone).
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int64_t days = int64_t{months_} * 30;
    std::vector<std::vector<Operation>> per_branch(branch_count_);
    for (size_t v = 0; v < volunteer_count_; ++v) {
      Volunteer volunteer;
      volunteer.branch = v % branch_count_;
      char account[64];
      std::snprintf(account, sizeof account, "yzs%zu-%04zu", volunteer.branch + 1, v + 1);
      volunteer.account = account;
      const double tier = unit(rng_);
      volunteer.activity = tier < 0.4   ? 0.04 + 0.08 * unit(rng_)
                           : tier < 0.8 ? 0.12 + 0.18 * unit(rng_)
                                        : 0.3 + 0.15 * unit(rng_);
      if (unit(rng_) < 0.05)
        volunteer.leaves_on = 1 + static_cast<int64_t>(unit(rng_) * static_cast<double>(days));
      OpenAccount open{volunteer.account, std::nullopt, std::nullopt};
      open.commitment = proof::sha256("salt|" + volunteer.account);
      if (v % 6 == 0) {
        PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, key_for("volunteer-" + volunteer.account));
        open.volunteer_key = key.public_key();
        volunteer.key.emplace(std::move(key));
      }
      per_branch[volunteer.branch].push_back(open);
      volunteers_.push_back(std::move(volunteer));
    }
    for (size_t b = 0; b < branch_count_; ++b) {
      for (size_t i = 0; i < per_branch[b].size(); i += 100) {
        const size_t end = std::min(per_branch[b].size(), i + 100);
        PASSBOOK_RETURN_IF_ERROR(
            queue(branches_[b].secretary, {per_branch[b].begin() + static_cast<long>(i),
                                           per_branch[b].begin() + static_cast<long>(end)}));
      }
    }
    PASSBOOK_RETURN_IF_ERROR(flush().status());

    // Paper passbooks carried over: a few long-serving volunteers bring their old books.
    const uint32_t paper_day = day_of(start_ms_ - 200 * kDayMs);
    for (size_t v = 0; v < volunteers_.size(); v += 7) {
      const auto& volunteer = volunteers_[v];
      ServiceRecord service{volunteer.account, "property-services", 180, paper_day, Hash32{}};
      PASSBOOK_RETURN_IF_ERROR(
          queue(branches_[volunteer.branch].secretary,
                {Import{service, 30,
                        "纸质存折第1本第" + std::to_string(v % 40 + 1) + "页 (book 1, page " +
                            std::to_string(v % 40 + 1) + ")"}}));
    }
    return flush().status();
  }

  static std::string day_text_of(uint32_t day) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", day / 10000 % 10000, day / 100 % 100,
                  day % 100);
    return buf;
  }

  [[nodiscard]] uint32_t day_of(int64_t ms) const {
    const int64_t local = ms + int64_t{kChinaOffsetMinutes} * 60'000;
    int64_t z = local / kDayMs + 719468;
    const int64_t era = z / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp + (mp < 10 ? 3 : -9);
    const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return static_cast<uint32_t>(y * 10000 + m * 100 + d);
  }

  // The days the street's one-off events happen, spread over any length of demo (even a month).
  [[nodiscard]] int64_t at(int64_t numerator, int64_t denominator, int64_t at_least) const {
    return std::max(at_least, days_ * numerator / denominator);
  }

  Status simulate_day(int64_t day) {
    clock_.now = std::max(clock_.now, start_ms_ + day * kDayMs + 9 * 3'600'000);
    PASSBOOK_RETURN_IF_ERROR(record_service(day));
    PASSBOOK_RETURN_IF_ERROR(council_meets(day));
    PASSBOOK_RETURN_IF_ERROR(shoppers(day));
    const int64_t kindergarten_again = days_ - 5;
    if (day == at(1, 4, 3) || (day == kindergarten_again && kindergarten_again > at(1, 4, 3) + 7)) {
      PASSBOOK_RETURN_IF_ERROR(kindergarten(day));
    }
    if (day == at(1, 6, 4)) PASSBOOK_RETURN_IF_ERROR(cinema_night(day));
    PASSBOOK_RETURN_IF_ERROR(close_reservations(day));
    if (day == at(2, 3, 20)) PASSBOOK_RETURN_IF_ERROR(correct_a_mistake());
    if (day == at(2, 5, 12)) PASSBOOK_RETURN_IF_ERROR(wrong_reward_rung_up());
    if (day == at(1, 2, 15)) PASSBOOK_RETURN_IF_ERROR(revise_rules());
    if (day == at(1, 2, 15) + 1) PASSBOOK_RETURN_IF_ERROR(hand_over_secretary());
    if (day == at(1, 3, 10)) PASSBOOK_RETURN_IF_ERROR(list_mooncakes());
    if (day == at(2, 3, 20) + 1) PASSBOOK_RETURN_IF_ERROR(delist_mooncakes());
    if (day % 30 == 0) PASSBOOK_RETURN_IF_ERROR(monthly_settlement(day));
    return Status::ok();
  }

  // The council revises the savings rules (储蓄细则): elder visits are worth more from now on.
  Status revise_rules() {
    PASSBOOK_RETURN_IF_ERROR(queue(*admin_, {SetRule{"", "elder-visit", 14, 180}}));
    return flush().status();
  }

  // A branch secretary retires: the street office revokes her key and registers her successor's.
  // The successor's key takes the file name the branch's secretary key always had.
  Status hand_over_secretary() {
    Branch& branch = branches_[1 % branches_.size()];
    const auto file = dir_ / "keys" / ("branch-" + branch.id + "-secretary.key");
    std::error_code ec;
    std::filesystem::rename(file,
                            dir_ / "keys" / ("branch-" + branch.id + "-secretary-retired.key"), ec);
    if (ec)
      return unavailable("cannot keep the retired key " + file.string() + ": " + ec.message());
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey successor,
                              key_for("branch-" + branch.id + "-secretary-2"));
    PASSBOOK_RETURN_IF_ERROR(successor.save(file));
    PASSBOOK_RETURN_IF_ERROR(queue(
        *admin_,
        {RevokeActor{branch.secretary.public_key(),
                     "退休，交接给继任书记 retired; handed over to her successor"},
         RegisterActor{successor.public_key(), Role::kBranch, branch.id, branch.name + " 书记"}}));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    if (outcomes.front().status.is_ok()) branch.secretary = std::move(successor);
    return Status::ok();
  }

  Status list_mooncakes() {
    const RewardSpec& r = kMooncakes;
    PASSBOOK_RETURN_IF_ERROR(
        queue(merchants_.at(r.merchant),
              {ListReward{r.id, r.name, r.price, r.stock, r.limit, r.period}}));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    mooncakes_listed_ = outcomes.front().status.is_ok();
    return Status::ok();
  }

  Status delist_mooncakes() {
    if (!mooncakes_listed_) return Status::ok();
    mooncakes_listed_ = false;
    PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at(kMooncakes.merchant), {Delist{kMooncakes.id}}));
    return flush().status();
  }

  // Two cinema seats reserved for a film night: one is collected, nobody comes for the other and
  // the street office cancels it two weeks later; the points go back.
  Status cinema_night(int64_t day) {
    size_t asked = 0;
    for (size_t v = 0; v < volunteers_.size() && asked < 2; ++v) {
      const auto& volunteer = volunteers_[v];
      auto account = ledger_->account(AccountKind::kVolunteer, volunteer.account);
      if (!account.is_ok() || account->available < 80) continue;
      PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at("starlight-cinema"),
                                     {Reserve{volunteer.account, "cinema-seat", 1}},
                                     volunteer.key ? &*volunteer.key : nullptr));
      ++asked;
    }
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].status.is_ok()) {
        reservations_.push_back({{outcomes[i].receipt.seq, 0}, day, "starlight-cinema", i == 0});
      }
    }
    return Status::ok();
  }

  // The shop rang up the wrong reward: it reverses the redemption (points and stock return) and
  // rings up the right one.
  Status wrong_reward_rung_up() {
    for (const auto& volunteer : volunteers_) {
      auto account = ledger_->account(AccountKind::kVolunteer, volunteer.account);
      if (!account.is_ok() || account->available < 60) continue;
      const proof::SigningKey* cosigner = volunteer.key ? &*volunteer.key : nullptr;
      const proof::SigningKey& shop = merchants_.at("lixiang-market");
      PASSBOOK_RETURN_IF_ERROR(queue(shop, {Redeem{volunteer.account, "toiletries", 1}}, cosigner));
      PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
      if (!outcomes.front().status.is_ok()) return Status::ok();
      PASSBOOK_RETURN_IF_ERROR(queue(
          shop,
          {Reverse{outcomes.front().receipt.seq,
                   "误录为洗漱用品，应为新鲜时蔬 rang up toiletries instead of vegetables"}}));
      PASSBOOK_RETURN_IF_ERROR(queue(shop, {Redeem{volunteer.account, "vegetables", 1}}, cosigner));
      return flush().status();
    }
    return Status::ok();
  }

  // Display names in the off-chain store, next to the ledger (never in an entry). One volunteer in
  // twenty has none: their passbook shows the opaque id.
  Status write_names() {
    NamesStore names(dir_ / "names");
    std::mt19937_64 rng(seed_ ^ 0x6e616d6573ULL);
    std::uniform_int_distribution<size_t> surname(0, std::size(kSurnames) - 1);
    std::uniform_int_distribution<size_t> given(0, std::size(kGivenNames) - 1);
    for (size_t v = 0; v < volunteers_.size(); ++v) {
      const std::string display = std::string(kSurnames[surname(rng)]) + kGivenNames[given(rng)];
      if (v % 20 == 19) continue;
      PASSBOOK_RETURN_IF_ERROR(names.put(volunteers_[v].account, PersonName{display, ""}, false));
    }
    return names.sync();
  }

  Status record_service(int64_t day) {
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    const uint32_t month = day_of(clock_.now) / 100 % 100;
    const bool rainy_season = month >= 6 && month <= 9;
    std::vector<double> weights;
    for (const auto& c : kCategories)
      weights.push_back(c.rainy_season_only && !rainy_season ? 0.0 : c.weight);
    std::discrete_distribution<size_t> category(weights.begin(), weights.end());
    std::vector<std::vector<Operation>> credits(branch_count_);
    std::vector<size_t> claimed;  // volunteers whose service goes to the council this day
    for (size_t v = 0; v < volunteers_.size(); ++v) {
      if (volunteers_[v].leaves_on != 0 && day >= volunteers_[v].leaves_on) continue;
      if (chance(rng_) >= volunteers_[v].activity) continue;
      const uint32_t service_day = day_of(clock_.now - (chance(rng_) < 0.3 ? kDayMs : 0));
      const Category& kind = kCategories[category(rng_)];
      // Mostly within the daily cap; now and then a second service the same day hits it.
      std::uniform_int_distribution<uint32_t> half_hours(1, kind.daily_cap_minutes / 30);
      ServiceRecord service{
          volunteers_[v].account, kind.id, 30 * half_hours(rng_), service_day,
          proof::sha256("sign-in sheet|" + std::to_string(day) + "|" + volunteers_[v].account)};
      if (chance(rng_) < 0.25) {
        const auto& volunteer = volunteers_[v];
        const proof::SigningKey& claimer =
            volunteer.key ? *volunteer.key : branches_[volunteer.branch].secretary;
        PASSBOOK_RETURN_IF_ERROR(queue(claimer, {Claim{service}}));
        claimed.push_back(volunteer.branch);
      } else {
        credits[volunteers_[v].branch].push_back(Credit{service});
      }
    }
    // Claims first, one envelope each, so that each claim's reference is known from its receipt.
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].status.is_ok())
        pending_.push_back({{outcomes[i].receipt.seq, 0}, claimed[i], day});
    }
    // A branch records the day's credits one by one: one failed credit (a daily cap) must not
    // take the others with it.
    for (size_t b = 0; b < branch_count_; ++b) {
      for (auto& credit : credits[b])
        PASSBOOK_RETURN_IF_ERROR(queue(branches_[b].secretary, {credit}));
    }
    return flush().status();
  }

  Status council_meets(int64_t day) {
    if (day % 3 != 0) return Status::ok();
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    std::vector<PendingClaim> still_pending;
    for (const auto& claim : pending_) {
      if (day - claim.day < 2) {
        still_pending.push_back(claim);
        continue;
      }
      const proof::SigningKey& council = branches_[claim.branch].council;
      if (chance(rng_) < 0.9) {
        PASSBOOK_RETURN_IF_ERROR(queue(council, {Approve{claim.ref}}));
      } else {
        PASSBOOK_RETURN_IF_ERROR(
            queue(council, {Reject{claim.ref, "当天无签到记录 no sign-in record for that day"}}));
      }
    }
    pending_ = std::move(still_pending);
    return flush().status();
  }

  Status shoppers(int64_t) {
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    std::uniform_int_distribution<size_t> pick(0, std::size(kRewards) - 2);  // not the kindergarten
    clock_.now += 6 * 3'600'000;                                             // the afternoon
    for (auto& volunteer : volunteers_) {
      if (chance(rng_) >= 0.04) continue;
      const RewardSpec& reward =
          mooncakes_listed_ && chance(rng_) < 0.2 ? kMooncakes : kRewards[pick(rng_)];
      PASSBOOK_ASSIGN_OR_RETURN(AccountView account,
                                ledger_->account(AccountKind::kVolunteer, volunteer.account));
      if (account.available < reward.price) continue;
      PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at(reward.merchant),
                                     {Redeem{volunteer.account, reward.id, 1}},
                                     volunteer.key ? &*volunteer.key : nullptr));
    }
    PASSBOOK_RETURN_IF_ERROR(flush().status());
    // Shops restock what runs low; the kindergarten's places are what they are.
    for (const auto& reward : ledger_->rewards("")) {
      if (reward.listed && reward.merchant != "yanshan-kindergarten" &&
          reward.reward != kMooncakes.id && reward.stock >= 0 && reward.stock < 5) {
        PASSBOOK_RETURN_IF_ERROR(
            queue(merchants_.at(reward.merchant), {Restock{reward.reward, 20}}));
      }
    }
    return flush().status();
  }

  // The scarce kindergarten places: the most-saved volunteers reserve; more ask than there are.
  Status kindergarten(int64_t day) {
    std::vector<std::pair<int64_t, size_t>> richest;
    for (size_t v = 0; v < volunteers_.size(); ++v) {
      auto account = ledger_->account(AccountKind::kVolunteer, volunteers_[v].account);
      if (account.is_ok()) richest.emplace_back(account->available, v);
    }
    std::sort(richest.rbegin(), richest.rend());
    std::vector<size_t> asking;
    for (size_t i = 0; i < richest.size() && i < 5; ++i) asking.push_back(richest[i].second);
    for (size_t v : asking) {
      const auto& volunteer = volunteers_[v];
      PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at("yanshan-kindergarten"),
                                     {Reserve{volunteer.account, "place", 1}},
                                     volunteer.key ? &*volunteer.key : nullptr));
    }
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    for (const auto& outcome : outcomes) {
      if (outcome.status.is_ok())
        reservations_.push_back({{outcome.receipt.seq, 0}, day, "yanshan-kindergarten", true});
    }
    return Status::ok();
  }

  Status close_reservations(int64_t day) {
    std::vector<HeldReservation> still_held;
    bool cancelled_one = false;
    for (const auto& held : reservations_) {
      if (held.merchant == "starlight-cinema") {
        if (!held.collected && day - held.day >= 14) {
          PASSBOOK_RETURN_IF_ERROR(
              queue(*admin_, {Cancel{held.ref, "两周内未领取 not collected within two weeks"}}));
        } else if (held.collected && day - held.day >= 3) {
          PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at(held.merchant), {Deliver{held.ref}}));
        } else {
          still_held.push_back(held);
        }
        continue;
      }
      if (day - held.day < 7) {
        still_held.push_back(held);
      } else if (!cancelled_one && held.ref.seq % 2 == 1) {
        // A family moved away before term: the place goes back, and the points with it.
        cancelled_one = true;
        PASSBOOK_RETURN_IF_ERROR(
            queue(merchants_.at("yanshan-kindergarten"),
                  {Cancel{held.ref, "家庭开学前搬离 the family moved away before term"}}));
      } else {
        PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at("yanshan-kindergarten"), {Deliver{held.ref}}));
      }
    }
    reservations_ = std::move(still_held);
    return flush().status();
  }

  // A secretary credited the wrong volunteer; the branch records a reversal and the right credit.
  Status correct_a_mistake() {
    const Volunteer& wrong = volunteers_[0];
    ServiceRecord service{wrong.account, "patrol", 120, day_of(clock_.now), Hash32{}};
    PASSBOOK_RETURN_IF_ERROR(queue(branches_[wrong.branch].secretary, {Credit{service}}));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::Outcome> outcomes, flush());
    if (!outcomes.front().status.is_ok()) return Status::ok();
    const uint64_t mistaken = outcomes.front().receipt.seq;
    const Volunteer& right = volunteers_[branch_count_];  // same branch, the next volunteer
    service.account = right.account;
    PASSBOOK_RETURN_IF_ERROR(
        queue(branches_[wrong.branch].secretary,
              {Reverse{mistaken, "记到了别的志愿者名下 credited to the wrong volunteer"},
               Credit{service}}));
    return flush().status();
  }

  Status monthly_settlement(int64_t) {
    // The market's monthly delivery of tissues, whatever is left.
    PASSBOOK_RETURN_IF_ERROR(queue(merchants_.at("lixiang-market"), {Restock{"tissues", 100}}));
    for (const auto& [merchant, key] : merchants_) {
      auto account = ledger_->account(AccountKind::kMerchant, merchant);
      if (!account.is_ok() || account->available <= 0) continue;
      PASSBOOK_RETURN_IF_ERROR(queue(
          *admin_, {Settle{merchant, account->available,
                           "monthly reimbursement " + std::to_string(day_of(clock_.now) / 100)}}));
    }
    return flush().status();
  }

  [[nodiscard]] std::string kinds_text() const {
    std::string text;
    for (const auto& [kind, count] : kinds_)
      text += (text.empty() ? "" : ", ") + kind + " " + std::to_string(count);
    return text;
  }

  void print_summary() const {
    std::cout << "Created a demo street in " << dir_.string() << ": " << branch_count_
              << " grid branches, " << volunteer_count_ << " volunteers, " << merchants_.size()
              << " merchants, " << months_ << (months_ == 1 ? " month" : " months")
              << " of service.\n"
              << "  " << accepted_ << " envelopes recorded, " << refused_
              << " refused by the ledger's rules (daily caps, sold-out rewards, limits).\n"
              << "  " << kinds_text() << "\n"
              << "  display names are in " << (dir_ / "names").string()
              << " (off the chain; passbook forget erases one).\n"
              << "  keys of the street office, branches and merchants are in "
              << (dir_ / "keys").string()
              << " (derived from the seed: a demo ledger is never for real points).\n"
              << "Try: passbook statement " << volunteers_.front().account << " --data "
              << dir_.string() << "\n     passbook report --branch " << branches_.front().id
              << " --month " << day_text_of(day_of(clock_.now)).substr(0, 7) << " --data "
              << dir_.string() << "\n     passbook verify --data " << dir_.string() << "\n";
  }

  std::filesystem::path dir_;
  uint64_t seed_;
  size_t branch_count_;
  size_t volunteer_count_;
  int months_;
  std::mt19937_64 rng_;
  SimClock clock_;
  int64_t start_ms_ = 0;
  LedgerId ledger_id_{};
  std::optional<proof::SigningKey> admin_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::vector<Branch> branches_;
  std::map<std::string, proof::SigningKey> merchants_;
  std::vector<Volunteer> volunteers_;
  std::vector<ledger::Prepared> queued_;
  std::vector<std::string> queued_kinds_;  // the first operation of each queued envelope
  std::map<std::string, uint64_t> kinds_;  // envelopes recorded, by their first operation
  int64_t days_ = 0;
  bool mooncakes_listed_ = false;
  std::vector<PendingClaim> pending_;
  std::vector<HeldReservation> reservations_;
  uint64_t accepted_ = 0;
  uint64_t refused_ = 0;
};

Status run_demo(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(int64_t seed, args.integer("seed", 0, INT64_MAX, 2026));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t branches, args.integer("branches", 1, 200, 6));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t volunteers, args.integer("volunteers", 1, 1'000'000, 300));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t months, args.integer("months", 1, 36, 3));
  if (volunteers <= branches) return invalid_argument("--volunteers must exceed --branches");
  DemoStreet street(data_dir(args), static_cast<uint64_t>(seed), static_cast<size_t>(branches),
                    static_cast<size_t>(volunteers), static_cast<int>(months));
  return street.run();
}

}  // namespace

std::vector<Command> demo_commands() {
  return {
      {"demo",
       "[--data DIR] [--volunteers N] [--branches N] [--months N] [--seed S]",
       "fill a fresh ledger with a believable street (branches, volunteers, shops, a kindergarten)",
       {data_option(),
        {"volunteers", true, "how many volunteers (default 300)"},
        {"branches", true, "how many grid branches (default 6)"},
        {"months", true, "how many months of service, ending yesterday (default 3)"},
        {"seed", true, "everything derives from it (default 2026)"}},
       0,
       run_demo}};
}

}  // namespace passbook::cli
