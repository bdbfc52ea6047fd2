#include "wathiq/verifier/verifier.h"

#include "wathiq/verifier/qr_decode.h"

namespace wathiq::verifier {

Result<Verifier> Verifier::Open(ByteView trust_list, const keys::Certificate& root, const TrustState& held, int64_t now,
                                std::shared_ptr<VerifierState> state, const VerifierOptions& options) {
  if (!state) return Fail(Errc::kInvalidArgument, "a verifier needs a state");
  if (options.trust_list_grace < 0 || options.trust_list_grace > 30 * 86400) {
    return Fail(Errc::kInvalidArgument, "the trust-list grace must be 0 to 30 days");
  }
  if (!held.payload_sha256.empty() && held.payload_sha256.size() != 32) {
    return Fail(Errc::kInvalidArgument, "the held payload hash is SHA-256 (32 bytes)");
  }
  keys::TrustListPolicy p;
  p.now = now;
  p.min_sequence = held.sequence;
  if (!held.payload_sha256.empty()) p.held_payload_sha256 = held.payload_sha256;
  p.max_staleness = options.trust_list_grace;
  auto loaded = keys::TrustList::Load(trust_list, root, p);
  if (!loaded) return Fail(loaded.error());
  return Verifier(std::move(*loaded), std::move(state), options);
}

TrustState Verifier::trust_state() const { return TrustState{trust_->sequence(), trust_->payload_sha256()}; }

Status Verifier::CheckFresh(int64_t now) const {
  if (trust_->FreshAt(now, options_.trust_list_grace)) return Ok();
  return tl::unexpected<Error>(Error{Errc::kState,
                                     "the trust list (sequence " + std::to_string(trust_->sequence()) +
                                         ") is past its next update by " + std::to_string(now - trust_->next_update()) +
                                         " s, beyond the grace of " + std::to_string(options_.trust_list_grace) +
                                         " s: sync a new trust list before verifying",
                                     "trust_list_stale"});
}

Result<Report> Verifier::Verify(std::string_view qr_text, const Policy& policy) const {
  WQ_TRY(CheckFresh(policy.now));
  return VerifyPresentation(qr_text, *trust_, status_.get(), *state_, policy);
}

Result<Report> Verifier::VerifyImage(ByteView encoded_image, const Policy& policy) const {
  WQ_TRY(CheckFresh(policy.now));
  WQ_ASSIGN(std::string text, DecodeQrImage(encoded_image));
  return VerifyPresentation(text, *trust_, status_.get(), *state_, policy);
}

Result<Report> Verifier::VerifyImageFile(const std::string& path, const Policy& policy) const {
  WQ_TRY(CheckFresh(policy.now));
  WQ_ASSIGN(std::string text, DecodeQrImageFile(path));
  return VerifyPresentation(text, *trust_, status_.get(), *state_, policy);
}

Result<mdoc::qr::Challenge> Verifier::NewChallenge(std::string verifier_name, int64_t now) const {
  WQ_TRY(CheckFresh(now));
  if (verifier_name.size() > 256) return Fail(Errc::kInvalidArgument, "a verifier name is at most 256 bytes");
  mdoc::qr::Challenge c = mdoc::qr::NewChallenge(std::move(verifier_name));
  WQ_TRY(state_->RecordChallenge(ChallengeRecord{c.nonce, now, 0}));
  return c;
}

}  // namespace wathiq::verifier
