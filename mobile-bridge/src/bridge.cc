// The C ABI in wathiq.h over the verifier component. Every entry point catches everything: a C caller
// (JNI, Swift) cannot unwind a C++ exception.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/report_json.h"
#include "wathiq/wathiq.h"

struct wathiq_verifier {
  std::shared_ptr<const wathiq::keys::TrustList> trust;
};

namespace {

constexpr size_t kMaxQrText = 8192;  // well above a version-40 QR's 4,296 alphanumeric characters

// A malloc'd copy for the caller to release with wathiq_string_free.
char* CopyOut(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

wathiq_status Error(char** error_json, wathiq_status code, const std::string& message) {
  if (error_json) {
    nlohmann::json j{{"error", code == WATHIQ_REJECTED ? "rejected" : code == WATHIQ_INTERNAL ? "internal" : "invalid_argument"},
                     {"message", message}};
    *error_json = CopyOut(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return code;
}

}  // namespace

extern "C" {

wathiq_status wathiq_verifier_open(const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                                   size_t root_cert_len, int64_t now, wathiq_verifier** out, char** error_json) {
  if (error_json) *error_json = nullptr;
  if (!out) return Error(error_json, WATHIQ_INVALID_ARGUMENT, "out is null");
  *out = nullptr;
  if (!trust_list || !root_cert || trust_list_len == 0 || root_cert_len == 0) {
    return Error(error_json, WATHIQ_INVALID_ARGUMENT, "the trust list and the root certificate are required");
  }
  try {
    auto root = wathiq::keys::Certificate::FromBytes(wathiq::ByteView(root_cert, root_cert_len));
    if (!root) return Error(error_json, WATHIQ_REJECTED, "root certificate: " + root.error().message);
    wathiq::keys::TrustListPolicy policy;
    policy.now = now;
    auto loaded = wathiq::keys::TrustList::Load(wathiq::ByteView(trust_list, trust_list_len), *root, policy);
    if (!loaded) return Error(error_json, WATHIQ_REJECTED, "trust list: " + loaded.error().ToError().message);
    *out = new wathiq_verifier{std::move(*loaded)};
    return WATHIQ_OK;
  } catch (const std::bad_alloc&) {
    return Error(error_json, WATHIQ_INTERNAL, "out of memory");
  } catch (...) {
    return Error(error_json, WATHIQ_INTERNAL, "unexpected failure");
  }
}

wathiq_status wathiq_verify_qr(const wathiq_verifier* verifier, const char* qr_text, int64_t now, char** report_json) {
  if (!report_json) return WATHIQ_INVALID_ARGUMENT;
  *report_json = nullptr;
  if (!verifier || !qr_text) return Error(report_json, WATHIQ_INVALID_ARGUMENT, "verifier and qr_text are required");
  size_t len = strnlen(qr_text, kMaxQrText + 1);
  if (len > kMaxQrText) return Error(report_json, WATHIQ_INVALID_ARGUMENT, "qr_text is longer than any QR code");
  try {
    wathiq::mdoc::qr::Policy policy;
    policy.now = now;
    auto report = wathiq::mdoc::qr::VerifyPresentation(std::string_view(qr_text, len), *verifier->trust, nullptr, policy);
    *report_json = CopyOut(wathiq::verifier::ReportJson(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return *report_json ? WATHIQ_OK : WATHIQ_INTERNAL;
  } catch (const std::bad_alloc&) {
    return Error(report_json, WATHIQ_INTERNAL, "out of memory");
  } catch (...) {
    return Error(report_json, WATHIQ_INTERNAL, "unexpected failure");
  }
}

void wathiq_verifier_free(wathiq_verifier* verifier) { delete verifier; }

void wathiq_string_free(char* s) { std::free(s); }

const char* wathiq_version(void) { return "0.1.0"; }

}  // extern "C"
