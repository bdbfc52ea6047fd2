#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {

using cbor::Value;

Result<Value> BuildDeviceResponse(const std::vector<PresentedDocument>& docs, ByteView session_transcript,
                                  const DeviceResponseOptions& options) {
  if (docs.empty()) return Fail(Errc::kInvalidArgument, "a DeviceResponse needs at least one document");
  static const Bytes kEmptyDeviceNameSpaces = cbor::Encode(Value::MakeMap());
  Value documents = Value::MakeArray();
  for (const auto& d : docs) {
    if (!d.issuer_signed || !d.device_key) return Fail(Errc::kInvalidArgument, "document without credential or key");
    for (const auto& id : d.disclose) {
      bool found = false;
      for (const auto& ns : d.issuer_signed->name_spaces) {
        for (const auto& it : ns.items) found = found || it.element_id == id;
      }
      if (!found) return Fail(Errc::kNotFound, "the credential has no element '" + id + "'");
    }
    Bytes da = DeviceAuthenticationBytes(session_transcript, d.doc_type, kEmptyDeviceNameSpaces);
    cose::BuildOptions bo;
    bo.detached = true;
    WQ_ASSIGN(cose::Sign1 sig, cose::BuildSign1(*d.device_key, da, bo));
    Value device_auth = Value::MakeMap();
    device_auth.Set("deviceSignature", sig.ToValue(false));
    Value device_signed = Value::MakeMap();
    device_signed.Set("nameSpaces", Value::Tag(cbor::kTagEncodedCbor, Value::Bytes(kEmptyDeviceNameSpaces)));
    device_signed.Set("deviceAuth", std::move(device_auth));
    Value doc = Value::MakeMap();
    doc.Set("docType", Value::Text(d.doc_type));
    doc.Set("issuerSigned", IssuerSignedToValue(*d.issuer_signed, &d.disclose, options.drop_x5chain));
    doc.Set("deviceSigned", std::move(device_signed));
    documents.array().push_back(std::move(doc));
  }
  Value response = Value::MakeMap();
  response.Set("version", Value::Text("1.0"));
  response.Set("documents", std::move(documents));
  response.Set("status", Value::Uint(0));
  return response;
}

}  // namespace wathiq::mdoc
