// Wathiq verifier: reports as text for a terminal and as JSON, one shape for the command line, the C bridge
// and later the service:
//
//   {"verdict": "valid" | "invalid" | "cannot_confirm_status", "presentedAt": 1767225600, "challengeMode": false,
//    "checks": [{"name": "digests", "state": "FAIL", "findings": [{"reason": "bad_digest", "detail": "..."}]}, ...],
//    "documents": [{"docType": "...", "issuer": {"id", "en", "ar"},
//                   "elements": [{"nameSpace": "...", "id": "...", "value": ...}, ...]}]}
//
// Every string in either form passes through SafeText (wathiq/core/text.h): a QR cannot put a terminal
// escape, a C1 control or a bidi override in front of the officer. Arabic is emitted as UTF-8, unchanged.
// Documents appear only for valid and cannot_confirm_status verdicts.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "wathiq/core/cbor.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/verifier/presentation.h"

namespace wathiq::verifier {

// Text, numbers and booleans as themselves; full-date and tdate as their text; byte strings as
// {"bytes": n, "sha256": hex}; arrays and maps element by element; anything else in CBOR diagnostic notation.
nlohmann::json ElementValueJson(const cbor::Value& v);
// The same as one line of text.
std::string ElementValueText(const cbor::Value& v);

nlohmann::json ReportJson(const Report& r);

// The officer's view: the verdict first, each check, then who and what (labels from `catalogue`, both
// languages).
std::string ReportText(const Report& r, const mdoc::Catalogue& catalogue);

// "English / Arabic" label of an element, or its id when the catalogue does not know it.
std::string ElementLabel(const mdoc::Catalogue& catalogue, const std::string& doc_type, const std::string& id);

}  // namespace wathiq::verifier
