// Verification reports and element values as JSON, one shape for the command line and the mobile bridge:
//
//   {"verdict": "valid" | "invalid" | "cannot_confirm_status", "presentedAt": 1767225600, "challengeMode": false,
//    "checks": [{"name": "digests", "state": "FAIL", "findings": [{"reason": "bad_digest", "detail": "..."}]}, ...],
//    "documents": [{"docType": "...", "issuer": {"id", "en", "ar"}, "elements": {"full_name_ar": "...", ...}}]}
//
// Documents appear only for valid and cannot_confirm_status verdicts. Arabic text is emitted as UTF-8.
#pragma once

#include <nlohmann/json.hpp>

#include "wathiq/core/cbor.h"
#include "wathiq/mdoc/qr.h"

namespace wathiq::verifier {

// Text, numbers and booleans as themselves; full-date and tdate as their text; byte strings as
// {"bytes": n, "sha256": hex}; arrays and maps element by element; anything else in CBOR diagnostic notation.
nlohmann::json ElementValueJson(const cbor::Value& v);

// "pass", "FAIL" or "skip".
const char* CheckStateName(mdoc::qr::CheckState s);

nlohmann::json ReportJson(const mdoc::qr::Report& r);

}  // namespace wathiq::verifier
