#include "wathiq/verifier/status_store.h"

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "wathiq/core/text.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/status/accept.h"
#include "wathiq/status/token.h"

namespace wathiq::verifier {
namespace {

namespace fs = std::filesystem;

// The store's own refusals are its caps; every other refusal comes from status::AcceptStatusListToken.
tl::unexpected<Error> Refuse(std::string_view reason, const std::string& detail) {
  return tl::unexpected<Error>(Error{Errc::kLimit, SafeText(detail, 512), std::string(reason)});
}

}  // namespace

std::string_view TokenOutcomeName(TokenOutcome o) {
  switch (o) {
    case TokenOutcome::kAdded: return "added";
    case TokenOutcome::kReplaced: return "replaced";
    case TokenOutcome::kSuperseded: return "superseded";
  }
  return "added";
}

StatusStore::StatusStore(std::shared_ptr<const keys::TrustList> trust, StatusStoreOptions options)
    : trust_(std::move(trust)), options_(options) {}

Result<TokenAccepted> StatusStore::AddToken(ByteView token, int64_t now, std::string_view source) {
  if (!trust_) return Fail(Errc::kInvalidArgument, "status store without a trust list");
  // Acceptance (signer, sub's owner, certificate, exp, iat) exists once, in the status library.
  status::AcceptOptions ao;
  ao.parse.max_entries = options_.max_entries;
  ao.parse.max_token_bytes = options_.max_token_bytes;
  ao.max_clock_skew = options_.max_clock_skew;
  WQ_ASSIGN(status::AcceptedToken accepted, status::AcceptStatusListToken(token, *trust_, now, ao));
  const status::VerifiedStatusList* verified = &accepted.token;
  const status::StatusListClaims& c = verified->claims();
  const std::string& owner_id = accepted.agency_id;

  TokenAccepted out;
  out.source = SafeText(source, 512);
  out.uri = SafeText(c.sub);
  out.agency_id = owner_id;
  out.iat = c.iat;
  out.exp = c.exp;
  out.entries = verified->list().size();
  const uint64_t bytes = verified->list().packed().size();

  std::unique_lock lock(mu_);
  auto it = lists_.find(c.sub);
  if (it != lists_.end() && it->second.iat >= c.iat) {
    out.outcome = TokenOutcome::kSuperseded;
    return out;
  }
  const uint64_t freed = it == lists_.end() ? 0 : it->second.list.packed().size();
  if (it == lists_.end() && lists_.size() >= options_.max_tokens) {
    return Refuse("limit", "already holding " + std::to_string(lists_.size()) + " lists, the cap");
  }
  if (held_bytes_ - freed + bytes > options_.max_total_bytes) {
    return Refuse("limit", "holding it would take the lists to " + std::to_string(held_bytes_ - freed + bytes) +
                               " bytes, above the cap of " + std::to_string(options_.max_total_bytes));
  }
  held_bytes_ = held_bytes_ - freed + bytes;
  Entry e{verified->list(), owner_id, c.iat, c.exp};
  if (it == lists_.end()) {
    lists_.emplace(c.sub, std::move(e));
    out.outcome = TokenOutcome::kAdded;
  } else {
    it->second = std::move(e);
    out.outcome = TokenOutcome::kReplaced;
  }
  return out;
}

// The files under each of the trust list's status prefixes inside a published folder: regular files only
// (no symbolic link is followed), hidden names (a writer's temporaries) skipped, bounded by max_files.
std::vector<std::string> StatusStore::PublishedTokenFiles(
    const std::string& root, size_t already,
    const std::function<void(const std::string&, const char*, const std::string&)>& refuse) const {
  std::vector<std::string> found;
  for (const auto& agency : trust_->agencies()) {
    for (const auto& prefix : agency.status_prefixes) {
      auto base = keys::StatusUriPath(root, prefix);
      if (!base) continue;  // the trust list holds only URIs in the grammar
      std::error_code ec;
      const fs::file_status st = fs::symlink_status(*base, ec);
      if (ec || !fs::exists(st)) continue;  // this agency publishes nothing here
      if (fs::is_regular_file(st)) {
        found.push_back(base->string());
        continue;
      }
      if (!fs::is_directory(st)) continue;
      fs::recursive_directory_iterator it(*base, fs::directory_options::none, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() > 16) {
          it.disable_recursion_pending();
          continue;
        }
        if (it->path().filename().string().starts_with(".")) {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        std::error_code ec2;
        if (!it->is_regular_file(ec2) || it->is_symlink(ec2)) continue;
        if (already + found.size() >= options_.max_files) {
          refuse(root, "limit",
                 "more than " + std::to_string(options_.max_files) + " token files; the rest are not read");
          return found;
        }
        found.push_back(it->path().string());
      }
      if (ec) refuse(base->string(), "unreadable", "cannot list the folder: " + ec.message());
    }
  }
  return found;
}

StatusLoadReport StatusStore::Load(const std::vector<std::string>& paths, int64_t now) {
  StatusLoadReport report;
  std::vector<std::string> files;
  auto refuse = [&](const std::string& source, const char* reason, const std::string& detail) {
    report.refused.push_back({SafeText(source, 512), reason, SafeText(detail, 512)});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      refuse(p, "unreadable", "no such file or folder");
    } else if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".cwt") continue;
        std::error_code ec2;
        if (!it->is_regular_file(ec2)) continue;
        if (found.size() + files.size() >= options_.max_files) {
          refuse(p, "limit", "more than " + std::to_string(options_.max_files) + " token files; the rest are not read");
          break;
        }
        found.push_back(it->path().string());
      }
      if (ec) refuse(p, "unreadable", "cannot list the folder: " + ec.message());
      if (found.empty() && !ec) found = PublishedTokenFiles(p, files.size(), refuse);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (!fs::is_regular_file(st)) {
      refuse(p, "unreadable", "not a regular file");
    } else if (files.size() >= options_.max_files) {
      refuse(p, "limit", "more than " + std::to_string(options_.max_files) + " token files");
    } else {
      files.push_back(p);
    }
  }
  for (const auto& f : files) {
    auto bytes = keys::ReadFileBytes(f, options_.max_token_bytes);
    if (!bytes) {
      refuse(f, bytes.error().code == Errc::kLimit ? "limit" : "unreadable", bytes.error().message);
      continue;
    }
    auto added = AddToken(*bytes, now, f);
    if (added) {
      report.accepted.push_back(std::move(*added));
    } else {
      report.refused.push_back({SafeText(f, 512), std::string(added.error().reason_code()), added.error().message});
    }
  }
  return report;
}

StatusAnswer StatusStore::Lookup(const mdoc::StatusRef& ref, int64_t now) const {
  std::shared_lock lock(mu_);
  auto it = lists_.find(ref.uri);
  if (it == lists_.end()) return {StatusValue::kUnknown, "no status-list token for " + Quoted(ref.uri) + " is loaded"};
  const Entry& e = it->second;
  const __int128 t = now;
  if (t >= static_cast<__int128>(e.exp)) {
    return {StatusValue::kUnknown,
            "the status list " + Quoted(ref.uri) + " expired at " + std::to_string(e.exp) + "; it says nothing now"};
  }
  if (static_cast<__int128>(e.iat) > t + options_.max_clock_skew) {
    return {StatusValue::kUnknown, "the status list " + Quoted(ref.uri) + " was issued in the future"};
  }
  std::optional<uint8_t> v = e.list.Get(ref.idx);
  if (!v) {
    return {StatusValue::kIndexOutOfRange, "index " + std::to_string(ref.idx) + " is beyond the list of " +
                                               std::to_string(e.list.size()) + " entries"};
  }
  switch (*v) {
    case status::kStatusValid: return {StatusValue::kValid, ""};
    case status::kStatusInvalid:
    case status::kStatusSuspended:
      return {*v == status::kStatusInvalid ? StatusValue::kRevoked : StatusValue::kSuspended,
              "entry " + std::to_string(ref.idx) + " of " + Quoted(ref.uri) + " (list issued at " +
                  std::to_string(e.iat) + ", by agency " + Quoted(e.agency_id) + ")"};
    default: return {StatusValue::kUnknown, "status value " + std::to_string(*v) + " is not one this verifier knows"};
  }
}

size_t StatusStore::list_count() const {
  std::shared_lock lock(mu_);
  return lists_.size();
}

uint64_t StatusStore::held_bytes() const {
  std::shared_lock lock(mu_);
  return held_bytes_;
}

nlohmann::json StatusLoadReportJson(const StatusLoadReport& r) {
  nlohmann::json acc = nlohmann::json::array(), ref = nlohmann::json::array();
  for (const auto& a : r.accepted) {
    acc.push_back({{"source", a.source},
                   {"uri", a.uri},
                   {"agency", a.agency_id},
                   {"iat", a.iat},
                   {"exp", a.exp},
                   {"entries", a.entries},
                   {"outcome", TokenOutcomeName(a.outcome)}});
  }
  for (const auto& f : r.refused) ref.push_back({{"source", f.source}, {"reason", f.reason}, {"detail", f.detail}});
  return {{"accepted", acc}, {"refused", ref}};
}

}  // namespace wathiq::verifier
