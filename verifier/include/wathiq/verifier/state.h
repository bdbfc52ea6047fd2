// Wathiq verifier: where a verifier keeps what it must remember between scans.
//
// MemoryState lives as long as the process (the C bridge keeps one per handle; the phone app persists what
// it needs through the bridge). FileState is the CLI's state folder: one JSON file per kind of record,
// each written atomically with mode 0600 under an exclusive lock, so two `wathiq verify` runs at one
// checkpoint cannot both accept the same challenge answer. Records expire: challenges a day after they were
// shown, accepted presentations when their window closes.
// Guarantees: a state that cannot be read or written is an error, never an empty state (the verifier fails
// closed); a state file is bounded (kMaxStateFile bytes, kMaxRecords records) and parsed strictly.
// Thread-safety: MemoryState is safe to share between threads; FileState serializes through a lock file.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "wathiq/verifier/presentation.h"

namespace wathiq::verifier {

inline constexpr size_t kMaxStateFile = 16u << 20;
inline constexpr size_t kMaxRecords = 100000;
inline constexpr int64_t kChallengeRecordLifetime = 86400;

class MemoryState final : public VerifierState {
 public:
  Status RecordChallenge(const ChallengeRecord& record) override;
  Result<std::optional<ChallengeRecord>> FindChallenge(ByteView nonce) override;
  Result<bool> MarkChallengeAnswered(ByteView nonce, int64_t at) override;
  Result<bool> MarkAccepted(ByteView replay_key, int64_t now, int64_t keep_until) override;

 private:
  std::mutex mu_;
  std::map<Bytes, ChallengeRecord> challenges_;
  std::map<Bytes, int64_t> accepted_;
};

// The trust list a verifier already accepted: a later load below this sequence is a rollback, and the same
// sequence with other content is an equivocating signer.
struct TrustState {
  uint64_t sequence = 0;
  Bytes payload_sha256;  // empty when nothing was accepted yet
};

class FileState final : public VerifierState {
 public:
  // Creates the folder (0700) when missing.
  static Result<FileState> Open(const std::string& folder);

  Status RecordChallenge(const ChallengeRecord& record) override;
  Result<std::optional<ChallengeRecord>> FindChallenge(ByteView nonce) override;
  Result<bool> MarkChallengeAnswered(ByteView nonce, int64_t at) override;
  Result<bool> MarkAccepted(ByteView replay_key, int64_t now, int64_t keep_until) override;

  Result<TrustState> HeldTrust() const;
  // Raises the held trust state; never lowers it (an older list is refused before it gets here).
  Status RecordTrust(const TrustState& loaded) const;
  const std::string& folder() const { return folder_; }

 private:
  explicit FileState(std::string folder) : folder_(std::move(folder)) {}
  std::string folder_;
};

}  // namespace wathiq::verifier
