// Wathiq status: accepting a status-list token against the trust list — the one place that decides whether a
// token may answer for its list (design/STATUS-AND-LOG.md). The verifier's StatusStore and the wallet's
// status of the citizen's own documents both call it; neither has its own copy of these checks.
//
// Guarantees: a token is accepted only when
//  - it is at most ParseOptions::max_token_bytes and its protected kid names a status-list signer in the
//    trust list ("limit", "malformed", "unknown_signer");
//  - its COSE signature verifies under one of those signers, checked BEFORE the list is inflated
//    ("bad_signature"; "limit" / "malformed" for a token that is authentic but unusable);
//  - its `sub` lies under a status prefix of some agency ("unknown_list") and that agency is the signer's
//    ("signer_not_authorized": a status signer of agency B never answers for a URI of agency A);
//  - the signer's certificate is valid at the token's iat and at `now` ("certificate_invalid");
//  - now < exp ("expired") and iat <= now + max_clock_skew ("not_yet_valid").
// Each refusal is an Error whose `reason` is the code in parentheses and whose message (escaped, capped)
// says what was wrong. Which list the caller expected is the caller's check (CheckStatus compares `sub`).
// Thread-safety: a pure function over an immutable trust list.
#pragma once

#include <cstdint>
#include <string>

#include "wathiq/core/result.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/status/token.h"

namespace wathiq::status {

struct AcceptOptions {
  ParseOptions parse;            // max_token_bytes, max_entries
  int64_t max_clock_skew = 300;  // a token's iat may be this far ahead of now
};

struct AcceptedToken {
  VerifiedStatusList token;
  std::string agency_id;  // the agency that owns sub (and whose status-list signer signed it)
};

Result<AcceptedToken> AcceptStatusListToken(ByteView token, const keys::TrustList& trust, int64_t now,
                                            const AcceptOptions& options = {});

}  // namespace wathiq::status
