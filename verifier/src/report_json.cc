#include "wathiq/verifier/report_json.h"

#include "wathiq/core/crypto.h"

namespace wathiq::verifier {

using nlohmann::json;

json ElementValueJson(const cbor::Value& v) {
  switch (v.type()) {
    case cbor::Type::kText: return v.text();
    case cbor::Type::kUnsigned: return v.uint();
    case cbor::Type::kNegative: return v.AsInt() ? json(*v.AsInt()) : json(cbor::Diagnostic(v));
    case cbor::Type::kBool: return v.boolean();
    case cbor::Type::kBytes: return json{{"bytes", v.bytes().size()}, {"sha256", ToHex(Sha256(v.bytes()))}};
    case cbor::Type::kTag:
      if ((v.tag() == cbor::kTagFullDate || v.tag() == cbor::kTagTdate) && v.tagged().is_text()) return v.tagged().text();
      return cbor::Diagnostic(v);
    case cbor::Type::kArray: {
      json a = json::array();
      for (const auto& e : v.array()) a.push_back(ElementValueJson(e));
      return a;
    }
    case cbor::Type::kMap: {
      json m = json::object();
      for (const auto& [k, e] : v.map()) m[k.is_text() ? k.text() : cbor::Diagnostic(k)] = ElementValueJson(e);
      return m;
    }
    default: return cbor::Diagnostic(v);
  }
}

const char* CheckStateName(mdoc::qr::CheckState s) {
  switch (s) {
    case mdoc::qr::CheckState::kPassed: return "pass";
    case mdoc::qr::CheckState::kFailed: return "FAIL";
    case mdoc::qr::CheckState::kSkipped: return "skip";
  }
  return "skip";
}

json ReportJson(const mdoc::qr::Report& r) {
  json j{{"verdict", mdoc::qr::VerdictName(r.verdict)}, {"presentedAt", r.presented_at}, {"challengeMode", r.challenge_mode},
         {"checks", json::array()}, {"documents", json::array()}};
  for (const auto& c : r.checks) {
    json cj{{"name", c.name}, {"state", CheckStateName(c.state)}};
    for (const auto& f : c.findings) cj["findings"].push_back({{"reason", mdoc::ReasonCode(f.reason)}, {"detail", f.detail}});
    j["checks"].push_back(std::move(cj));
  }
  for (const auto& d : r.documents) {
    json dj{{"docType", d.doc_type()},
            {"issuer", {{"id", d.agency_id()}, {"en", d.agency_name_en()}, {"ar", d.agency_name_ar()}}},
            {"elements", json::object()}};
    for (const auto& e : d.elements()) dj["elements"][e.id] = ElementValueJson(e.value);
    j["documents"].push_back(std::move(dj));
  }
  return j;
}

}  // namespace wathiq::verifier
