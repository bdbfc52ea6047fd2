#include "wathiq/verifier/presentation.h"

#include <algorithm>
#include <array>

#include "wathiq/core/text.h"

namespace wathiq::verifier {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxClock = 253402300799;  // 9999-12-31T23:59:59Z: every tdate we parse fits below it

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kInvalid: return "invalid";
    case Verdict::kCannotConfirmStatus: return "cannot_confirm_status";
  }
  return "invalid";
}

std::string_view CheckStateName(CheckState s) {
  switch (s) {
    case CheckState::kPassed: return "pass";
    case CheckState::kFailed: return "FAIL";
    case CheckState::kSkipped: return "skip";
  }
  return "skip";
}

std::string_view CheckName(CheckId c) {
  switch (c) {
    case CheckId::kEnvelope: return "envelope";
    case CheckId::kIssuerSigner: return "issuer_signer";
    case CheckId::kIssuerSignature: return "issuer_signature";
    case CheckId::kAuthorization: return "authorization";
    case CheckId::kCertificate: return "certificate";
    case CheckId::kValidity: return "validity";
    case CheckId::kDigests: return "digests";
    case CheckId::kDeviceSignature: return "device_signature";
    case CheckId::kFreshness: return "freshness";
    case CheckId::kStatus: return "status";
  }
  return "envelope";
}

CheckId CheckFor(Reason r) {
  switch (r) {
    case Reason::kMalformed:
    case Reason::kUnsupported: return CheckId::kEnvelope;
    case Reason::kUnknownSigner: return CheckId::kIssuerSigner;
    case Reason::kBadIssuerSignature: return CheckId::kIssuerSignature;
    case Reason::kSignerNotAuthorized: return CheckId::kAuthorization;
    case Reason::kCertificateInvalid: return CheckId::kCertificate;
    case Reason::kNotYetValid:
    case Reason::kExpired: return CheckId::kValidity;
    case Reason::kBadDigest: return CheckId::kDigests;
    case Reason::kBadDeviceSignature:
    case Reason::kBadDeviceMac: return CheckId::kDeviceSignature;
    case Reason::kPresentationStale:
    case Reason::kNonceMismatch:
    case Reason::kReplayed: return CheckId::kFreshness;
    case Reason::kRevoked:
    case Reason::kSuspended:
    case Reason::kStatusUnknown:
    case Reason::kStatusIndexOutOfRange: return CheckId::kStatus;
  }
  return CheckId::kEnvelope;  // unreachable for a valid enum; a malformed finding is never lost
}

Status CheckPolicy(const Policy& p) {
  auto in = [](int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; };
  if (!in(p.now, 0, kMaxClock)) return Fail(Errc::kInvalidArgument, "the clock must lie between 1970 and 9999");
  if (!in(p.max_age, 0, 366 * kDay)) return Fail(Errc::kInvalidArgument, "max age must be 0 to 366 days");
  if (!in(p.max_ahead, 0, kDay)) return Fail(Errc::kInvalidArgument, "max ahead must be 0 to 1 day");
  if (!in(p.challenge_lifetime, 1, kDay)) return Fail(Errc::kInvalidArgument, "a challenge lives 1 s to 1 day");
  if (!in(p.max_unlisted_validity, 0, 3660 * kDay)) {
    return Fail(Errc::kInvalidArgument, "max unlisted validity must be 0 to 10 years");
  }
  if (p.expected_nonce && p.expected_nonce->size() != mdoc::qr::kNonceBytes) {
    return Fail(Errc::kInvalidArgument, "a challenge nonce is 16 bytes");
  }
  return Ok();
}

bool Report::Has(Reason r) const {
  return std::any_of(failures.begin(), failures.end(), [r](const Finding& f) { return f.reason == r; });
}

Result<Report> VerifyPresentation(std::string_view text, const keys::TrustAnchors& anchors, const StatusLookup* status,
                                  VerifierState& state, const Policy& policy) {
  WQ_TRY(CheckPolicy(policy));
  Report report;
  std::vector<Finding> findings;
  bool parsed = false;
  bool issuer_established = false;
  bool status_ran = false;
  auto add = [&](Reason r, std::string detail) { findings.push_back({r, std::move(detail)}); };

  auto envelope = mdoc::qr::ParseEnvelope(text);
  if (!envelope) {
    add(envelope.error().code == Errc::kUnsupported ? Reason::kUnsupported : Reason::kMalformed,
        envelope.error().message);
  } else {
    parsed = true;
    report.presented_at = envelope->presented_at;
    report.challenge_mode = envelope->nonce.has_value();

    // Freshness: the nonce in challenge mode (looked up in what this verifier showed), the window otherwise.
    if (envelope->nonce) {
      if (policy.expected_nonce && !ConstantTimeEqual(*envelope->nonce, *policy.expected_nonce)) {
        add(Reason::kNonceMismatch, "the QR answers a different challenge from the one shown");
      } else {
        WQ_ASSIGN(std::optional<ChallengeRecord> shown, state.FindChallenge(*envelope->nonce));
        if (!shown) {
          add(Reason::kNonceMismatch, "the QR answers a challenge this verifier did not show");
        } else if (policy.now > shown->shown_at + policy.challenge_lifetime || policy.now < shown->shown_at) {
          add(Reason::kPresentationStale, "the challenge it answers was shown " +
                                              std::to_string(policy.now - shown->shown_at) + " s ago; it lives " +
                                              std::to_string(policy.challenge_lifetime) + " s");
        } else if (shown->answered_at != 0) {
          add(Reason::kReplayed, "this challenge was already answered " +
                                     std::to_string(policy.now - shown->answered_at) + " s ago");
        }
      }
    } else if (policy.expected_nonce) {
      add(Reason::kNonceMismatch, "a challenge was shown but the QR carries no nonce");
    } else if (envelope->presented_at < policy.now - policy.max_age) {
      add(Reason::kPresentationStale, "presented " + std::to_string(policy.now - envelope->presented_at) +
                                          " s ago; the window is " + std::to_string(policy.max_age) + " s");
    } else if (envelope->presented_at > policy.now + policy.max_ahead) {
      add(Reason::kPresentationStale, "presented " + std::to_string(envelope->presented_at - policy.now) +
                                          " s in the future; the wallet clock is wrong");
    }

    mdoc::DocumentVerifier verifier(anchors);
    mdoc::DeviceAuthContext ctx{mdoc::qr::SessionTranscript(envelope->presented_at, envelope->nonce), std::nullopt};
    issuer_established = true;
    for (const auto& doc : envelope->documents) {
      mdoc::DocumentReport r = verifier.VerifyDocument(doc, ctx, {.now = policy.now});
      bool issuer_failed = r.Has(Reason::kUnknownSigner) || r.Has(Reason::kBadIssuerSignature) ||
                           (!r.document && r.failures.empty());
      if (issuer_failed) issuer_established = false;
      findings.insert(findings.end(), r.failures.begin(), r.failures.end());
      if (!r.failures.empty()) continue;
      // Status: only for a credential that is otherwise valid (an expired one is expired whatever its bit).
      mdoc::VerifiedDocument& d = *r.document;
      status_ran = true;
      if (d.status()) {
        StatusAnswer a = status ? status->Lookup(*d.status(), policy.now)
                                : StatusAnswer{StatusValue::kUnknown, "no status lists are loaded"};
        switch (a.value) {
          case StatusValue::kValid: break;
          case StatusValue::kRevoked: add(Reason::kRevoked, a.detail); break;
          case StatusValue::kSuspended: add(Reason::kSuspended, a.detail); break;
          case StatusValue::kUnknown: add(Reason::kStatusUnknown, a.detail); break;
          case StatusValue::kIndexOutOfRange: add(Reason::kStatusIndexOutOfRange, a.detail); break;
        }
      } else {
        // No status reference: nothing can revoke it before it expires, so only a short-lived one passes.
        int64_t span = d.validity().valid_until - d.validity().valid_from;
        if (span > policy.max_unlisted_validity) {
          add(Reason::kStatusUnknown, "no status reference, and valid for " + std::to_string(span / 3600) +
                                          " h; a credential without one may be valid for at most " +
                                          std::to_string(policy.max_unlisted_validity / 3600) + " h");
        }
      }
      report.documents.push_back(std::move(d));
    }

    // Remember what is accepted, and only that: a forged QR must not burn a citizen's challenge.
    bool accepted = std::all_of(findings.begin(), findings.end(),
                                [](const Finding& f) { return f.reason == Reason::kStatusUnknown; });
    if (accepted) {
      if (envelope->nonce) {
        WQ_ASSIGN(bool first, state.MarkChallengeAnswered(*envelope->nonce, policy.now));
        if (!first) add(Reason::kReplayed, "this challenge was already answered");
      } else {
        for (const auto& d : report.documents) {
          WQ_ASSIGN(bool first, state.MarkAccepted(d.replay_key(), policy.now, envelope->presented_at + policy.max_age + 1));
          if (!first) add(Reason::kReplayed, "this verifier already accepted this presentation");
        }
      }
    }
  }

  // Named checks, in profile order; every finding lands in the check its reason belongs to.
  std::array<Check, kCheckCount> checks;
  for (size_t i = 0; i < kCheckCount; ++i) {
    checks[i].id = static_cast<CheckId>(i);
    checks[i].name = std::string(CheckName(checks[i].id));
  }
  for (const auto& f : findings) checks[static_cast<size_t>(CheckFor(f.reason))].findings.push_back(f);
  bool signer_found = std::none_of(findings.begin(), findings.end(),
                                   [](const Finding& f) { return f.reason == Reason::kUnknownSigner; });
  for (auto& c : checks) {
    bool ran = false;
    switch (c.id) {
      case CheckId::kEnvelope: ran = true; break;
      case CheckId::kFreshness:
      case CheckId::kIssuerSigner: ran = parsed; break;
      case CheckId::kIssuerSignature: ran = parsed && signer_found; break;
      case CheckId::kStatus: ran = status_ran; break;
      default: ran = parsed && issuer_established; break;
    }
    c.state = !c.findings.empty() ? CheckState::kFailed : ran ? CheckState::kPassed : CheckState::kSkipped;
    report.failures.insert(report.failures.end(), c.findings.begin(), c.findings.end());
    report.checks.push_back(std::move(c));
  }
  bool only_unknown = !report.failures.empty() &&
                      std::all_of(report.failures.begin(), report.failures.end(),
                                  [](const Finding& f) { return f.reason == Reason::kStatusUnknown; });
  report.verdict = report.failures.empty() ? Verdict::kValid
                   : only_unknown          ? Verdict::kCannotConfirmStatus
                                           : Verdict::kInvalid;
  if (report.verdict == Verdict::kInvalid) report.documents.clear();
  return report;
}

}  // namespace wathiq::verifier
