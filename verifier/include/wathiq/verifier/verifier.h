// Wathiq verifier: the officer's verifier object. Opened once from the signed trust list, the pinned
// national root and what this verifier already accepted; then it turns scanned QR text or a photo of the
// QR into a Report. The command line, the C bridge and the demo call it and compose nothing themselves.
//
// Guarantees:
//  - Rollback: a trust list below the held sequence, or with the held sequence but other content, is refused
//    (trust_list_rollback); trust_state() reads back what was loaded so the caller can hold it.
//  - Staleness: once the clock passes the trust list's next_update plus the grace (default 24 hours) the
//    verifier gives no verdict at all: every call fails with the reason "trust_list_stale".
//  - Freshness and replay records live in the VerifierState given at Open (see state.h).
// Thread-safety: Verify* and NewChallenge may be called concurrently when the state allows it (both
// provided states do); set_status is not concurrent with verification.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"

namespace wathiq::verifier {

inline constexpr int64_t kDefaultTrustListGrace = 86400;

struct VerifierOptions {
  int64_t trust_list_grace = kDefaultTrustListGrace;  // seconds past next_update verdicts are still given
};

class Verifier {
 public:
  static Result<Verifier> Open(ByteView trust_list, const keys::Certificate& root, const TrustState& held, int64_t now,
                               std::shared_ptr<VerifierState> state, const VerifierOptions& options = {});

  // Status lists the verifier synced; null: every status is unknown (cannot_confirm_status).
  void set_status(std::shared_ptr<const StatusLookup> status) { status_ = std::move(status); }

  Result<Report> Verify(std::string_view qr_text, const Policy& policy) const;
  // A PNG or JPEG photo or screenshot of the QR.
  Result<Report> VerifyImage(ByteView encoded_image, const Policy& policy) const;
  Result<Report> VerifyImageFile(const std::string& path, const Policy& policy) const;

  // A new challenge, recorded in the state as shown at `now`.
  Result<mdoc::qr::Challenge> NewChallenge(std::string verifier_name, int64_t now) const;

  TrustState trust_state() const;
  const keys::TrustList& trust_list() const { return *trust_; }
  // The same trust list, shared: a StatusStore (status_store.h) checks tokens against it.
  std::shared_ptr<const keys::TrustList> shared_trust_list() const { return trust_; }
  // OK while the trust list may still give verdicts at `now`; else the trust_list_stale error.
  Status CheckFresh(int64_t now) const;

 private:
  Verifier(std::shared_ptr<const keys::TrustList> t, std::shared_ptr<VerifierState> s, VerifierOptions o)
      : trust_(std::move(t)), state_(std::move(s)), options_(o) {}
  std::shared_ptr<const keys::TrustList> trust_;
  std::shared_ptr<VerifierState> state_;
  std::shared_ptr<const StatusLookup> status_;
  VerifierOptions options_;
};

}  // namespace wathiq::verifier
