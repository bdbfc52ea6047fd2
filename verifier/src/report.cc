#include "wathiq/verifier/report.h"

#include <sstream>

#include "wathiq/core/crypto.h"
#include "wathiq/core/text.h"

namespace wathiq::verifier {

using nlohmann::json;

namespace {
constexpr size_t kMaxDetail = 1024;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
}  // namespace

json ElementValueJson(const cbor::Value& v) {
  switch (v.type()) {
    case cbor::Type::kText: return SafeText(v.text());
    case cbor::Type::kUnsigned: return v.uint();
    case cbor::Type::kNegative: return v.AsInt() ? json(*v.AsInt()) : json(SafeText(cbor::Diagnostic(v)));
    case cbor::Type::kBool: return v.boolean();
    case cbor::Type::kBytes: return json{{"bytes", v.bytes().size()}, {"sha256", ToHex(Sha256(v.bytes()))}};
    case cbor::Type::kTag:
      if ((v.tag() == cbor::kTagFullDate || v.tag() == cbor::kTagTdate) && v.tagged().is_text()) {
        return SafeText(v.tagged().text());
      }
      return SafeText(cbor::Diagnostic(v), kMaxDetail);
    case cbor::Type::kArray: {
      json a = json::array();
      for (const auto& e : v.array()) a.push_back(ElementValueJson(e));
      return a;
    }
    case cbor::Type::kMap: {
      json m = json::object();
      for (const auto& [k, e] : v.map()) m[SafeText(k.is_text() ? k.text() : cbor::Diagnostic(k), 256)] = ElementValueJson(e);
      return m;
    }
    default: return SafeText(cbor::Diagnostic(v), kMaxDetail);
  }
}

std::string ElementValueText(const cbor::Value& v) {
  json j = ElementValueJson(v);
  return j.is_string() ? j.get<std::string>() : Dump(j);
}

json ReportJson(const Report& r) {
  json j{{"verdict", VerdictName(r.verdict)}, {"presentedAt", r.presented_at}, {"challengeMode", r.challenge_mode},
         {"checks", json::array()}, {"documents", json::array()}};
  for (const auto& c : r.checks) {
    json cj{{"name", c.name}, {"state", CheckStateName(c.state)}};
    for (const auto& f : c.findings) {
      cj["findings"].push_back({{"reason", ReasonCode(f.reason)}, {"detail", SafeText(f.detail, kMaxDetail)}});
    }
    j["checks"].push_back(std::move(cj));
  }
  for (const auto& d : r.documents) {
    json dj{{"docType", SafeText(d.doc_type(), 256)},
            {"issuer", {{"id", SafeText(d.agency_id())}, {"en", SafeText(d.agency_name_en())}, {"ar", SafeText(d.agency_name_ar())}}},
            {"elements", json::array()}};
    for (const auto& e : d.elements()) {
      dj["elements"].push_back(
          {{"nameSpace", SafeText(e.name_space, 256)}, {"id", SafeText(e.id, 256)}, {"value", ElementValueJson(e.value)}});
    }
    j["documents"].push_back(std::move(dj));
  }
  return j;
}

std::string ElementLabel(const mdoc::Catalogue& catalogue, const std::string& doc_type, const std::string& id) {
  const mdoc::DocTypeSpec* spec = catalogue.Find(doc_type);
  const mdoc::ElementSpec* e = spec ? spec->Find(id) : nullptr;
  return e ? SafeText(e->label_en) + " / " + SafeText(e->label_ar) : SafeText(id, 256);
}

std::string ReportText(const Report& r, const mdoc::Catalogue& catalogue) {
  std::ostringstream out;
  out << "verdict: " << VerdictName(r.verdict) << "\n";
  for (const auto& c : r.checks) {
    out << "  " << CheckStateName(c.state) << "  " << c.name;
    for (const auto& f : c.findings) out << "  [" << ReasonCode(f.reason) << ": " << SafeText(f.detail, kMaxDetail) << "]";
    out << "\n";
  }
  for (const auto& d : r.documents) {
    out << "  " << SafeText(d.doc_type(), 256) << " issued by " << SafeText(d.agency_name_en()) << " / "
        << SafeText(d.agency_name_ar()) << "\n";
    for (const auto& e : d.elements()) {
      out << "    " << ElementLabel(catalogue, d.doc_type(), e.id) << ": " << ElementValueText(e.value) << "\n";
    }
  }
  return out.str();
}

}  // namespace wathiq::verifier
