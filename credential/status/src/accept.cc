#include "wathiq/status/accept.h"

#include <algorithm>
#include <optional>

#include "wathiq/core/text.h"

namespace wathiq::status {
namespace {

tl::unexpected<Error> Refuse(std::string_view reason, const std::string& detail) {
  Errc code = reason == "limit"                                  ? Errc::kLimit
              : reason == "bad_signature"                        ? Errc::kBadSignature
              : reason == "malformed"                            ? Errc::kMalformed
              : reason == "expired" || reason == "not_yet_valid" ? Errc::kState
                                                                 : Errc::kPermission;
  return tl::unexpected<Error>(Error{code, SafeText(detail, 512), std::string(reason)});
}

std::string ReasonForParse(const Error& e) {
  return e.code == Errc::kLimit ? "limit" : e.code == Errc::kBadSignature ? "bad_signature" : "malformed";
}

}  // namespace

Result<AcceptedToken> AcceptStatusListToken(ByteView token, const keys::TrustList& trust, int64_t now,
                                            const AcceptOptions& options) {
  const ParseOptions& po = options.parse;
  if (token.size() > po.max_token_bytes) {
    return Refuse("limit",
                  std::to_string(token.size()) + " bytes exceed the cap of " + std::to_string(po.max_token_bytes));
  }
  // Choose the key by the protected kid; only then is anything inflated (after the signature verified).
  auto kid = PeekStatusListTokenKid(token, po);
  if (!kid) return Refuse(ReasonForParse(kid.error()), kid.error().message);
  std::vector<const keys::TrustedSigner*> candidates = trust.FindByKid(*kid, keys::SignerRole::kStatusListSigner);
  if (candidates.empty()) {
    return Refuse("unknown_signer", "no status-list signer in the trust list has kid " + ToHex(*kid));
  }
  std::optional<VerifiedStatusList> verified;
  const keys::TrustedSigner* signer = nullptr;
  Error last{Errc::kBadSignature, "no candidate key verified the token"};
  for (const keys::TrustedSigner* c : candidates) {
    auto v = VerifyStatusListToken(token, *c->verifier, po);
    if (v) {
      verified = std::move(*v);
      signer = c;
      break;
    }
    last = v.error();
    // Past the signature (a bomb, a bad claim): the token is authentic but unusable; no other key changes that.
    if (last.code != Errc::kBadSignature && last.code != Errc::kInvalidArgument) break;
  }
  if (!verified) {
    const char* reason = last.code == Errc::kBadSignature || last.code == Errc::kInvalidArgument ? "bad_signature"
                         : last.code == Errc::kLimit                                             ? "limit"
                                                                                                 : "malformed";
    return Refuse(reason, last.message);
  }
  const StatusListClaims& c = verified->claims();
  const keys::Agency* owner = trust.AgencyForStatusUri(c.sub);
  if (!owner) {
    return Refuse("unknown_list", "the token's sub " + Quoted(c.sub) + " lies under no agency's status prefix");
  }
  if (owner->id != signer->agency_id) {
    return Refuse("signer_not_authorized", "the token for " + Quoted(c.sub) + " (agency " + Quoted(owner->id) +
                                               ") is signed by a status-list signer of agency " +
                                               Quoted(signer->agency_id));
  }
  const __int128 t = now;
  if (!signer->ValidAt(static_cast<int64_t>(std::min<uint64_t>(c.iat, INT64_MAX))) || !signer->ValidAt(now)) {
    return Refuse("certificate_invalid", "the status-list signer's certificate (valid " +
                                             std::to_string(signer->not_before) + ".." +
                                             std::to_string(signer->not_after) + ") does not cover iat " +
                                             std::to_string(c.iat) + " and now " + std::to_string(now));
  }
  if (t >= static_cast<__int128>(c.exp)) {
    return Refuse("expired", "the token for " + Quoted(c.sub) + " expired at " + std::to_string(c.exp));
  }
  if (static_cast<__int128>(c.iat) > t + options.max_clock_skew) {
    return Refuse("not_yet_valid",
                  "the token for " + Quoted(c.sub) + " was issued at " + std::to_string(c.iat) + ", in the future");
  }
  return AcceptedToken{std::move(*verified), owner->id};
}

}  // namespace wathiq::status
