#include "publish_staging.h"

#include <unistd.h>
#include <algorithm>
#include <array>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/tiles.h"

namespace wathiq::issuer {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStaging = "staging";
constexpr const char* kPublishing = "publishing";

// ".<name>.tmp-XXXXXX": core/file.h's temporary file.
bool IsTemporary(const std::string& name) {
  size_t t = name.rfind(".tmp-");
  return name.size() > 1 && name[0] == '.' && t != std::string::npos && t > 0 && name.size() - t == 11;
}

Status SweepTemporaries(const fs::path& dir, bool recursive) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Ok();
  std::vector<fs::path> doomed;
  if (recursive) {
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && IsTemporary(it->path().filename().string())) doomed.push_back(it->path());
    }
  } else {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && IsTemporary(it->path().filename().string())) doomed.push_back(it->path());
    }
  }
  if (ec) return Fail(Errc::kIo, "cannot list " + dir.string() + ": " + ec.message());
  for (const auto& p : doomed) {
    fs::remove(p, ec);
    if (ec) return Fail(Errc::kIo, "cannot remove " + p.string() + ": " + ec.message());
  }
  return Ok();
}
constexpr size_t kMaxToken = 16u << 20;

// Every regular file under `dir`, relative to it.
Result<std::vector<fs::path>> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(fs::relative(it->path(), dir, ec));
  }
  if (ec) return Fail(Errc::kIo, "cannot list " + dir.string() + ": " + ec.message());
  return out;
}

}  // namespace

Result<std::string> StageTokenHistory(const std::string& audit_dir, uint64_t reflected, int64_t iat,
                                      const std::vector<std::pair<std::string, Bytes>>& tokens) {
  std::string name = std::to_string(reflected) + "-" + std::to_string(iat);
  fs::path staged = fs::path(audit_dir) / kStaging / name;
  std::error_code ec;
  fs::remove_all(staged, ec);
  for (const auto& [uri, bytes] : tokens) {
    WQ_ASSIGN(std::string dir, UriToPath(staged.string(), uri));
    WQ_TRY(log::WriteFileAtomic(fs::path(dir) / (name + ".cwt"), bytes));
  }
  return staged.string();
}

Status PromoteStagedTokens(const std::string& audit_dir, const std::string& staged) {
  WQ_ASSIGN(std::vector<fs::path> files, FilesUnder(staged));
  fs::path tokens = fs::path(audit_dir) / "tokens";
  for (const auto& rel : files) {
    fs::path to = tokens / rel;
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec) return Fail(Errc::kIo, "cannot create " + to.parent_path().string() + ": " + ec.message());
    fs::rename(fs::path(staged) / rel, to, ec);
    if (ec) return Fail(Errc::kIo, "cannot move a staged token into " + to.string() + ": " + ec.message());
  }
  std::error_code ec;
  fs::remove_all(staged, ec);
  if (ec) return Fail(Errc::kIo, "cannot remove " + staged + ": " + ec.message());
  fs::remove(fs::path(staged).parent_path(), ec);  // <audit>/staging, when nothing else is staged
  return Ok();
}

Status RecoverStagedTokens(const std::string& audit_dir, Registry& registry) {
  fs::path root = fs::path(audit_dir) / kStaging;
  std::error_code ec;
  if (!fs::exists(root, ec)) return Ok();
  WQ_ASSIGN(uint64_t size, registry.LogSize());
  std::vector<fs::path> staged;  // listed first: the loop removes what it visits
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) staged.push_back(it->path());
  if (ec) return Fail(Errc::kIo, "cannot list " + root.string() + ": " + ec.message());
  for (const fs::path& dir : staged) {
    std::string name = dir.filename().string();
    unsigned long long reflected = 0;
    long long iat = 0;
    char tail = 0;
    WQ_ASSIGN(std::vector<fs::path> files, FilesUnder(dir));
    bool committed = false;
    if (std::sscanf(name.c_str(), "%llu-%lld%c", &reflected, &iat, &tail) == 2 && reflected < size && !files.empty()) {
      // The publication's entries follow `reflected` directly, one per token.
      uint64_t to = std::min<uint64_t>(size, reflected + files.size());
      WQ_ASSIGN(std::vector<Bytes> entries, registry.LogEntries(reflected, to));
      std::set<std::array<uint8_t, 32>> logged;
      for (const auto& e : entries) {
        auto d = log::DecodeEntry(e);
        if (d && d->event == log::Event::kStatusListPublished && d->token_sha256) logged.insert(*d->token_sha256);
      }
      committed = true;
      for (const auto& rel : files) {
        WQ_ASSIGN(Bytes b, ReadFileBytes((dir / rel).string(), kMaxToken));
        std::array<uint8_t, 32> h;
        Sha256(b, h.data());
        if (!logged.count(h)) committed = false;
      }
    }
    if (committed) {
      WQ_TRY(PromoteStagedTokens(audit_dir, dir.string()));
    } else {
      fs::remove_all(dir, ec);
      if (ec) return Fail(Errc::kIo, "cannot remove " + dir.string() + ": " + ec.message());
    }
  }
  fs::remove(root, ec);  // empty now
  return Ok();
}

Status BeginPublication(const std::string& deployment_dir, const std::string& public_dir,
                        const std::string& audit_dir) {
  std::error_code ec;
  nlohmann::json j{{"public", fs::absolute(public_dir, ec).string()}, {"audit", fs::absolute(audit_dir, ec).string()}};
  return WriteFileAtomically(deployment_dir + "/" + kPublishing, AsBytes(j.dump() + "\n"), WriteMode::kReplace, 0600);
}

Status EndPublication(const std::string& deployment_dir) {
  std::string path = deployment_dir + "/" + kPublishing;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Fail(Errc::kIo, "cannot remove " + path);
  return Ok();
}

Status RecoverInterruptedPublication(const std::string& deployment_dir, Registry& registry) {
  std::string path = deployment_dir + "/" + kPublishing;
  std::error_code ec;
  if (!fs::exists(path, ec)) return Ok();
  WQ_ASSIGN(Bytes b, ReadFileBytes(path, 64 * 1024));
  auto parsed = ParseJsonStrict(AsString(b), "the publishing marker", 64 * 1024, 4);
  nlohmann::json j = parsed ? std::move(*parsed) : nlohmann::json();
  if (j.is_object() && j["public"].is_string() && j["audit"].is_string()) {
    std::string audit = j["audit"].get<std::string>();
    WQ_TRY(RecoverStagedTokens(audit, registry));
    WQ_TRY(SweepTemporaries(j["public"].get<std::string>(), true));
    WQ_TRY(SweepTemporaries(audit, true));
  }
  WQ_TRY(SweepTemporaries(deployment_dir, false));
  return EndPublication(deployment_dir);
}

}  // namespace wathiq::issuer
