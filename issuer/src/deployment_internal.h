// Inside the issuer library: what signers.cc and staging.cc use of an open deployment (deployment.cc's
// Deployment::Impl implements it), and the resolution of an agency's document signers.
// Thread-safety: as Deployment (one thread at a time).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/issuer/deployment.h"
#include "wathiq/issuer/registry.h"

namespace wathiq::issuer::internal {

class Core {
 public:
  virtual ~Core() = default;
  virtual Registry& Reg() = 0;
  virtual const DeploymentConfig& Config() const = 0;
  virtual const KeyOpener& Opener() const = 0;
  virtual bool HasAgency(std::string_view agency) const = 0;
  // Opens the agency's active document signer again from the registry (after a signer was added or retired).
  virtual Status ReloadSigner(std::string_view agency) = 0;
  // Validation without signing or writing: agency, document type, document number, the device key when
  // need_device_key; returns the document number (derived from the claims when the input has none).
  virtual Result<std::string> Check(const IssueInput& input, int64_t now, bool need_device_key) = 0;
  // Issues inside an open Work (deployment.cc); per-record refusals are in the results.
  virtual Result<std::vector<Result<IssuedRecord>>> IssueChunk(const std::vector<IssueInput>& inputs,
                                                               std::string_view actor, int64_t now,
                                                               unsigned threads) = 0;
};

// SHA-256 of a key's SubjectPublicKeyInfo: a signer's id in the registry and the log.
Result<Bytes> SignerKeyId(const PublicKey& key);

// An agency's document signers: the one deployment.json names (first, unless the registry already has a
// row for it) and the registry's rows, oldest first. The active one is the newest not retired.
struct ResolvedSigner {
  SignerRecord record;
  KeySpec spec;
  bool from_config = false;
  bool has_row = false;
};
Result<std::vector<ResolvedSigner>> ResolveSigners(Registry& reg, const AgencyConfig& agency);
// The newest not retired, or nullptr.
const ResolvedSigner* ActiveSigner(const std::vector<ResolvedSigner>& signers);

// KeySpec <-> the registry's JSON text.
std::string KeySpecText(const KeySpec& spec);
Result<KeySpec> ParseKeySpecText(std::string_view text);

// Staging for a batch: stages `input` inside an open Work (the record is checked by core.Check first).
Result<StagedOutcome> StageIn(Core& core, const IssueInput& input, std::string_view actor, int64_t now);

// flock on <dir>/lock: one process works on a deployment at a time (Deployment::Init and Open, backup
// restore). Released when the object is destroyed. kState, reason deployment_locked, when another holds it.
class DeploymentLock {
 public:
  DeploymentLock() = default;
  DeploymentLock(DeploymentLock&& o) noexcept;
  DeploymentLock& operator=(DeploymentLock&& o) noexcept;
  ~DeploymentLock();
  static Result<DeploymentLock> Take(const std::string& dir);

 private:
  int fd_ = -1;
};

}  // namespace wathiq::issuer::internal
