#include "wathiq/verifier/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/json.h"
#include "wathiq/keys/keystore.h"

namespace wathiq::verifier {
namespace {

using nlohmann::json;

template <class Map, class Expired>
void Prune(Map& m, Expired expired) {
  for (auto it = m.begin(); it != m.end();) it = expired(it->second) ? m.erase(it) : std::next(it);
}

// ---- the folder's files ----

constexpr const char* kChallengesFile = "challenges.json";
constexpr const char* kAcceptedFile = "accepted.json";
constexpr const char* kTrustFile = "trust.json";

// An exclusive lock on <folder>/lock for one read-modify-write.
class FolderLock {
 public:
  static Result<FolderLock> Take(const std::string& folder) {
    std::string path = folder + "/lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Fail(Errc::kIo, "verifier state: cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd);
        return Fail(Errc::kIo, "verifier state: cannot lock " + path);
      }
    }
    return FolderLock(fd);
  }
  FolderLock(FolderLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

// Reads a JSON object file; a missing file is an empty object, anything unparsable is an error (a state
// that cannot be read must not silently become empty: that would forget answered challenges).
Result<json> ReadObject(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return json::object();
    return Fail(Errc::kIo, "verifier state: cannot stat " + path);
  }
  WQ_ASSIGN(Bytes raw, keys::ReadFileBytes(path, kMaxStateFile));
  auto parsed = ParseJsonStrict(AsString(raw), "verifier state " + path, kMaxStateFile, 8);
  if (!parsed) return Fail(Errc::kMalformed, parsed.error().message);
  json j = std::move(*parsed);
  if (!j.is_object()) return Fail(Errc::kMalformed, "verifier state: " + path + " is not a JSON object");
  if (j.size() > kMaxRecords) return Fail(Errc::kLimit, "verifier state: " + path + " holds too many records");
  return j;
}

Status WriteObject(const std::string& path, const json& j) {
  std::string text = j.dump();
  return keys::WriteFileAtomically(path, AsBytes(text), keys::WriteMode::kReplace, 0600);
}

bool GetInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

Result<std::map<Bytes, ChallengeRecord>> ReadChallenges(const std::string& folder) {
  WQ_ASSIGN(json j, ReadObject(folder + "/" + kChallengesFile));
  std::map<Bytes, ChallengeRecord> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto nonce = FromHex(it.key());
    ChallengeRecord r;
    if (!nonce || !it->is_object() || !GetInt(*it, "shown_at", &r.shown_at) ||
        !GetInt(*it, "answered_at", &r.answered_at)) {
      return Fail(Errc::kMalformed, "verifier state: a challenge record is malformed");
    }
    r.nonce = *nonce;
    out[r.nonce] = r;
  }
  return out;
}

Status WriteChallenges(const std::string& folder, const std::map<Bytes, ChallengeRecord>& m) {
  json j = json::object();
  for (const auto& [nonce, r] : m) j[ToHex(nonce)] = {{"shown_at", r.shown_at}, {"answered_at", r.answered_at}};
  return WriteObject(folder + "/" + kChallengesFile, j);
}

Result<std::map<Bytes, int64_t>> ReadAccepted(const std::string& folder) {
  WQ_ASSIGN(json j, ReadObject(folder + "/" + kAcceptedFile));
  std::map<Bytes, int64_t> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto key = FromHex(it.key());
    if (!key || !it->is_number_integer()) return Fail(Errc::kMalformed, "verifier state: an accepted record is malformed");
    out[*key] = it->get<int64_t>();
  }
  return out;
}

Status WriteAccepted(const std::string& folder, const std::map<Bytes, int64_t>& m) {
  json j = json::object();
  for (const auto& [key, until] : m) j[ToHex(key)] = until;
  return WriteObject(folder + "/" + kAcceptedFile, j);
}

}  // namespace

// ---- MemoryState ----

Status MemoryState::RecordChallenge(const ChallengeRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  Prune(challenges_, [&](const ChallengeRecord& r) { return r.shown_at + kChallengeRecordLifetime < record.shown_at; });
  if (challenges_.size() >= kMaxRecords) return Fail(Errc::kLimit, "too many open challenges");
  challenges_[record.nonce] = record;
  return Ok();
}

Result<std::optional<ChallengeRecord>> MemoryState::FindChallenge(ByteView nonce) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = challenges_.find(Bytes(nonce.begin(), nonce.end()));
  if (it == challenges_.end()) return std::optional<ChallengeRecord>();
  return std::optional<ChallengeRecord>(it->second);
}

Result<bool> MemoryState::MarkChallengeAnswered(ByteView nonce, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = challenges_.find(Bytes(nonce.begin(), nonce.end()));
  if (it == challenges_.end()) return Fail(Errc::kNotFound, "no such challenge");
  if (it->second.answered_at != 0) return false;
  it->second.answered_at = at;
  return true;
}

Result<bool> MemoryState::MarkAccepted(ByteView replay_key, int64_t now, int64_t keep_until) {
  std::lock_guard<std::mutex> lock(mu_);
  Prune(accepted_, [&](int64_t until) { return until < now; });
  Bytes key(replay_key.begin(), replay_key.end());
  if (accepted_.count(key)) return false;
  if (accepted_.size() >= kMaxRecords) return Fail(Errc::kLimit, "too many accepted presentations in the window");
  accepted_[key] = keep_until;
  return true;
}

// ---- FileState ----

Result<FileState> FileState::Open(const std::string& folder) {
  if (folder.empty()) return Fail(Errc::kInvalidArgument, "verifier state: no folder given");
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return Fail(Errc::kIo, "verifier state: cannot create " + folder + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(Errc::kIo, "verifier state: " + folder + " is not a folder");
  }
  return FileState(folder);
}

Status FileState::RecordChallenge(const ChallengeRecord& record) {
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(auto m, ReadChallenges(folder_));
  Prune(m, [&](const ChallengeRecord& r) { return r.shown_at + kChallengeRecordLifetime < record.shown_at; });
  if (m.size() >= kMaxRecords) return Fail(Errc::kLimit, "verifier state: too many open challenges");
  m[record.nonce] = record;
  return WriteChallenges(folder_, m);
}

Result<std::optional<ChallengeRecord>> FileState::FindChallenge(ByteView nonce) {
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(auto m, ReadChallenges(folder_));
  auto it = m.find(Bytes(nonce.begin(), nonce.end()));
  if (it == m.end()) return std::optional<ChallengeRecord>();
  return std::optional<ChallengeRecord>(it->second);
}

Result<bool> FileState::MarkChallengeAnswered(ByteView nonce, int64_t at) {
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(auto m, ReadChallenges(folder_));
  auto it = m.find(Bytes(nonce.begin(), nonce.end()));
  if (it == m.end()) return Fail(Errc::kNotFound, "verifier state: no such challenge");
  if (it->second.answered_at != 0) return false;
  it->second.answered_at = at;
  WQ_TRY(WriteChallenges(folder_, m));
  return true;
}

Result<bool> FileState::MarkAccepted(ByteView replay_key, int64_t now, int64_t keep_until) {
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(auto m, ReadAccepted(folder_));
  Prune(m, [&](int64_t until) { return until < now; });
  Bytes key(replay_key.begin(), replay_key.end());
  if (m.count(key)) return false;
  if (m.size() >= kMaxRecords) return Fail(Errc::kLimit, "verifier state: too many accepted presentations");
  m[key] = keep_until;
  WQ_TRY(WriteAccepted(folder_, m));
  return true;
}

Result<TrustState> FileState::HeldTrust() const {
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(json j, ReadObject(folder_ + "/" + kTrustFile));
  TrustState t;
  if (j.empty()) return t;
  auto seq = j.find("sequence");
  auto hash = j.find("payload_sha256");
  if (seq == j.end() || !seq->is_number_unsigned() || hash == j.end() || !hash->is_string()) {
    return Fail(Errc::kMalformed, "verifier state: trust.json is malformed");
  }
  auto h = FromHex(hash->get<std::string>());
  if (!h || h->size() != 32) return Fail(Errc::kMalformed, "verifier state: trust.json has a bad payload hash");
  t.sequence = seq->get<uint64_t>();
  t.payload_sha256 = std::move(*h);
  return t;
}

Status FileState::RecordTrust(const TrustState& loaded) const {
  if (loaded.payload_sha256.size() != 32) return Fail(Errc::kInvalidArgument, "a trust state needs the payload hash");
  WQ_ASSIGN(FolderLock lock, FolderLock::Take(folder_));
  WQ_ASSIGN(json j, ReadObject(folder_ + "/" + kTrustFile));
  if (auto seq = j.find("sequence"); seq != j.end() && seq->is_number_unsigned() && seq->get<uint64_t>() > loaded.sequence) {
    return Ok();  // another run already moved on
  }
  return WriteObject(folder_ + "/" + kTrustFile,
                     {{"sequence", loaded.sequence}, {"payload_sha256", ToHex(loaded.payload_sha256)}});
}

}  // namespace wathiq::verifier
