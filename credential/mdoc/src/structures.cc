#include <set>

#include "wathiq/core/text.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {
namespace {

using cbor::Value;

// Bounds for everything decoded out of a credential or presentation.
cbor::DecodeLimits Limits() {
  cbor::DecodeLimits l;
  l.max_input = 4 << 20;
  l.max_depth = 16;
  l.max_items = 1 << 16;
  l.strictness = cbor::Strictness::kWellFormed;  // signed bytes from other encoders are taken as they are
  return l;
}

tl::unexpected<Error> Bad(std::string msg) { return Fail(Errc::kMalformed, std::move(msg)); }

Result<ParsedItem> ParseItem(const Value& tagged) {
  if (!tagged.is_tag() || tagged.tag() != cbor::kTagEncodedCbor || !tagged.tagged().is_bytes()) {
    return Bad("IssuerSignedItemBytes must be #6.24(bstr)");
  }
  ParsedItem item;
  item.item_bytes = tagged.tagged().bytes();
  auto v = cbor::Decode(item.item_bytes, Limits());
  if (!v) return Wrap("IssuerSignedItem", v.error());
  if (!v->is_map() || v->map().size() != 4) return Bad("IssuerSignedItem must be a map of exactly 4 entries");
  const Value* id = v->Find("digestID");
  const Value* random = v->Find("random");
  const Value* eid = v->Find("elementIdentifier");
  const Value* val = v->Find("elementValue");
  if (!id || !id->is_uint()) return Bad("IssuerSignedItem.digestID must be an unsigned integer");
  if (!random || !random->is_bytes()) return Bad("IssuerSignedItem.random must be a byte string");
  if (random->bytes().size() < 16) return Bad("IssuerSignedItem.random must be at least 16 bytes");
  if (!eid || !eid->is_text()) return Bad("IssuerSignedItem.elementIdentifier must be a text string");
  if (!val) return Bad("IssuerSignedItem.elementValue is missing");
  item.digest_id = id->uint();
  item.random = random->bytes();
  item.element_id = eid->text();
  // The value is moved out of the decoded item, not copied (a verdict parses every disclosed item).
  for (auto& [k, value] : v->map()) {
    if (&value == val) {
      item.element_value = std::move(value);
      break;
    }
  }
  return item;
}

}  // namespace

Result<ParsedIssuerSigned> ParseIssuerSigned(const Value& v) {
  if (!v.is_map()) return Bad("IssuerSigned must be a map");
  ParsedIssuerSigned out;
  for (const auto& [k, _] : v.map()) {
    if (!k.is_text() || (k.text() != "nameSpaces" && k.text() != "issuerAuth")) {
      return Bad("IssuerSigned has an unknown key " + Quoted(cbor::Diagnostic(k)));
    }
  }
  const Value* auth = v.Find("issuerAuth");
  if (!auth) return Bad("IssuerSigned.issuerAuth is missing");
  auto sign1 = cose::Sign1FromValue(*auth, Limits());
  if (!sign1) return Wrap("issuerAuth", sign1.error());
  out.issuer_auth = std::move(*sign1);
  if (!out.issuer_auth.payload) return Bad("issuerAuth payload (MobileSecurityObjectBytes) is missing");
  if (const Value* ns = v.Find("nameSpaces")) {
    if (!ns->is_map() || ns->map().empty()) return Bad("IssuerSigned.nameSpaces must be a non-empty map");
    for (const auto& [name, items] : ns->map()) {
      if (!name.is_text()) return Bad("namespace name must be a text string");
      if (!items.is_array() || items.array().empty()) return Bad("namespace " + Quoted(name.text()) + " must be a non-empty array");
      ParsedNameSpace pns;
      pns.name = name.text();
      std::set<std::string> seen;
      for (const auto& it : items.array()) {
        auto item = ParseItem(it);
        if (!item) return Wrap("namespace " + Quoted(name.text()), item.error());
        if (!seen.insert(item->element_id).second) {
          return Bad("namespace " + Quoted(name.text()) + " repeats element " + Quoted(item->element_id));
        }
        pns.items.push_back(std::move(*item));
      }
      out.name_spaces.push_back(std::move(pns));
    }
  }
  return out;
}

Result<ParsedIssuerSigned> ParseIssuerSigned(ByteView bytes) {
  auto v = cbor::Decode(bytes, Limits());
  if (!v) return Wrap("IssuerSigned", v.error());
  return ParseIssuerSigned(*v);
}

Result<ParsedDocument> ParseDocument(const Value& v) {
  if (!v.is_map()) return Bad("Document must be a map");
  ParsedDocument doc;
  for (const auto& [k, _] : v.map()) {
    if (!k.is_text() || (k.text() != "docType" && k.text() != "issuerSigned" && k.text() != "deviceSigned" &&
                         k.text() != "errors")) {
      return Bad("Document has an unknown key " + Quoted(cbor::Diagnostic(k)));
    }
  }
  const Value* dt = v.Find("docType");
  if (!dt || !dt->is_text()) return Bad("Document.docType must be a text string");
  doc.doc_type = dt->text();
  const Value* is = v.Find("issuerSigned");
  if (!is) return Bad("Document.issuerSigned is missing");
  WQ_ASSIGN(doc.issuer_signed, ParseIssuerSigned(*is));
  if (const Value* ds = v.Find("deviceSigned")) {
    doc.has_device_signed = true;
    if (!ds->is_map()) return Bad("deviceSigned must be a map");
    const Value* ns = ds->Find("nameSpaces");
    const Value* auth = ds->Find("deviceAuth");
    if (!ns || !ns->is_tag() || ns->tag() != cbor::kTagEncodedCbor || !ns->tagged().is_bytes()) {
      return Bad("deviceSigned.nameSpaces must be #6.24(bstr)");
    }
    doc.device_name_spaces_bytes = ns->tagged().bytes();
    auto dns = cbor::Decode(doc.device_name_spaces_bytes, Limits());
    if (!dns || !dns->is_map()) return Bad("DeviceNameSpaces must be a map");
    if (!auth || !auth->is_map() || auth->map().size() != 1) {
      return Bad("deviceSigned.deviceAuth must hold exactly one of deviceSignature or deviceMac");
    }
    if (const Value* sig = auth->Find("deviceSignature")) {
      auto s = cose::Sign1FromValue(*sig, Limits());
      if (!s) return Wrap("deviceSignature", s.error());
      doc.device_signature = std::move(*s);
    } else if (const Value* mac = auth->Find("deviceMac")) {
      auto m = cose::Sign1FromValue(*mac, Limits());  // COSE_Mac0 has the COSE_Sign1 shape
      if (!m) return Wrap("deviceMac", m.error());
      doc.device_mac = std::move(*m);
    } else {
      return Bad("deviceAuth holds neither deviceSignature nor deviceMac");
    }
  }
  return doc;
}

Result<std::vector<ParsedDocument>> ParseDeviceResponse(const Value& v) {
  if (!v.is_map()) return Bad("DeviceResponse must be a map");
  for (const auto& [k, _] : v.map()) {
    if (!k.is_text() || (k.text() != "version" && k.text() != "documents" && k.text() != "status" &&
                         k.text() != "documentErrors")) {
      return Bad("DeviceResponse has an unknown key " + Quoted(cbor::Diagnostic(k)));
    }
  }
  const Value* ver = v.Find("version");
  if (!ver || !ver->is_text()) return Bad("DeviceResponse.version must be a text string");
  if (ver->text() != "1.0") return Fail(Errc::kUnsupported, "DeviceResponse version " + Quoted(ver->text()));
  const Value* status = v.Find("status");
  if (!status || !status->is_uint()) return Bad("DeviceResponse.status must be an unsigned integer");
  if (status->uint() != 0) return Bad("DeviceResponse.status is " + std::to_string(status->uint()) + ", not OK (0)");
  const Value* docs = v.Find("documents");
  if (!docs || !docs->is_array() || docs->array().empty()) return Bad("DeviceResponse.documents must be a non-empty array");
  std::vector<ParsedDocument> out;
  for (const auto& d : docs->array()) {
    auto doc = ParseDocument(d);
    if (!doc) return Wrap("document " + std::to_string(out.size()), doc.error());
    out.push_back(std::move(*doc));
  }
  return out;
}

Result<std::vector<ParsedDocument>> ParseDeviceResponse(ByteView bytes) {
  auto v = cbor::Decode(bytes, Limits());
  if (!v) return Wrap("DeviceResponse", v.error());
  return ParseDeviceResponse(*v);
}

Value IssuerSignedToValue(const ParsedIssuerSigned& is, const std::vector<std::string>* only, bool drop_x5chain) {
  Value name_spaces = Value::MakeMap();
  for (const auto& ns : is.name_spaces) {
    Value items = Value::MakeArray();
    for (const auto& it : ns.items) {
      if (only && std::find(only->begin(), only->end(), it.element_id) == only->end()) continue;
      items.array().push_back(Value::Tag(cbor::kTagEncodedCbor, Value::Bytes(it.item_bytes)));
    }
    if (!items.array().empty()) name_spaces.Set(ns.name, std::move(items));
  }
  cose::Sign1 auth = is.issuer_auth;
  if (drop_x5chain) {
    Value unprotected = Value::MakeMap();
    for (const auto& [k, v] : auth.unprotected.map()) {
      if (k.AsInt() != cose::kHdrX5Chain) unprotected.Set(k, v);
    }
    auth.unprotected = std::move(unprotected);
  }
  Value out = Value::MakeMap();
  if (!name_spaces.map().empty()) out.Set("nameSpaces", std::move(name_spaces));
  out.Set("issuerAuth", auth.ToValue(false));
  return out;
}

}  // namespace wathiq::mdoc
