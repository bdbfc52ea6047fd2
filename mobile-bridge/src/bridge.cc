// The C ABI in wathiq.h over the verifier component. Every entry point catches everything: a C caller
// (JNI, Swift) cannot unwind a C++ exception, and running out of memory while reporting an error must not
// throw either, so the error path allocates with malloc and degrades to no message at all.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "wathiq/core/text.h"
#include "wathiq/keys/x509.h"
#include "wathiq/verifier/report.h"
#include "wathiq/verifier/status_store.h"
#include "wathiq/verifier/verifier.h"
#include "wathiq/wathiq.h"

#include "bridge_internal.h"

#ifndef WATHIQ_VERSION_STRING
#error "WATHIQ_VERSION_STRING is set by the build from the project version"
#endif

using namespace wathiq::bridge_internal;  // NOLINT: the shared error and copy helpers

namespace {

constexpr uint64_t kVerifierMagic = 0x7761746869715631ULL;  // "wathiqV1"
constexpr size_t kMaxQrText = 8192;  // well above a version-40 QR's 4,296 alphanumeric characters

}  // namespace

struct wathiq_verifier {
  uint64_t magic = kVerifierMagic;
  std::unique_ptr<wathiq::verifier::Verifier> verifier;
  // Set once at open (before the handle is shared) and given to the verifier; it locks internally, so
  // tokens may be added while other threads verify.
  std::shared_ptr<wathiq::verifier::StatusStore> status;
};

namespace {

bool Live(const wathiq_verifier* v) { return v && v->magic == kVerifierMagic && v->verifier; }

}  // namespace

extern "C" {

uint32_t wathiq_abi_version(void) { return WATHIQ_ABI_VERSION; }

const char* wathiq_version(void) { return WATHIQ_VERSION_STRING; }

int wathiq_verifier_open(const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                         size_t root_cert_len, uint64_t held_sequence, const uint8_t* held_payload_sha256, int64_t now,
                         wathiq_verifier** out, char** error_json) {
  ClearOut(error_json);
  if (!out) return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", "out is null");
  *out = nullptr;
  if (!trust_list || !root_cert || trust_list_len == 0 || root_cert_len == 0) {
    return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument",
                 "the trust list and the root certificate are required");
  }
  return Guard(error_json, [&]() -> int {
    auto root = wathiq::keys::Certificate::FromBytes(wathiq::ByteView(root_cert, root_cert_len));
    if (!root) return Error(error_json, WATHIQ_ERR_REJECTED, "bad_root", "root certificate: " + root.error().message);
    wathiq::verifier::TrustState held;
    held.sequence = held_sequence;
    if (held_payload_sha256) held.payload_sha256.assign(held_payload_sha256, held_payload_sha256 + 32);
    auto v = wathiq::verifier::Verifier::Open(wathiq::ByteView(trust_list, trust_list_len), *root, held, now,
                                              std::make_shared<wathiq::verifier::MemoryState>());
    if (!v) return FromError(error_json, v.error());
    auto handle = std::make_unique<wathiq_verifier>();
    handle->verifier = std::make_unique<wathiq::verifier::Verifier>(std::move(*v));
    handle->status = std::make_shared<wathiq::verifier::StatusStore>(handle->verifier->shared_trust_list());
    handle->verifier->set_status(handle->status);
    *out = handle.release();
    return WATHIQ_OK;
  });
}

int wathiq_verifier_trust_state(const wathiq_verifier* verifier, uint64_t* sequence, uint8_t* sha256_out,
                                int64_t* next_update) {
  if (!Live(verifier)) return WATHIQ_ERR_BAD_HANDLE;
  if (!sequence || !sha256_out) return WATHIQ_ERR_INVALID_ARGUMENT;
  const auto& tl = verifier->verifier->trust_list();
  *sequence = tl.sequence();
  std::memcpy(sha256_out, tl.payload_sha256().data(), 32);
  if (next_update) *next_update = tl.next_update();
  return WATHIQ_OK;
}

int wathiq_verify_qr(wathiq_verifier* verifier, const char* qr_text, int64_t now, char** report_json,
                     char** error_json) {
  ClearOut(report_json);
  ClearOut(error_json);
  if (!Live(verifier)) return Error(error_json, WATHIQ_ERR_BAD_HANDLE, "bad_handle", "not a live verifier handle");
  if (!qr_text || !report_json) {
    return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", "qr_text and report_json are required");
  }
  size_t len = strnlen(qr_text, kMaxQrText + 1);
  if (len > kMaxQrText) {
    return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", "qr_text is longer than any QR code");
  }
  return Guard(error_json, [&]() -> int {
    wathiq::verifier::Policy policy;
    policy.now = now;
    auto report = verifier->verifier->Verify(std::string_view(qr_text, len), policy);
    if (!report) return FromError(error_json, report.error());
    std::string s =
        wathiq::verifier::ReportJson(*report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    *report_json = CopyOut(s.data(), s.size());
    if (!*report_json) return Error(error_json, WATHIQ_ERR_NO_MEMORY, "out_of_memory", "out of memory");
    switch (report->verdict) {
      case wathiq::verifier::Verdict::kValid: return WATHIQ_VALID;
      case wathiq::verifier::Verdict::kCannotConfirmStatus: return WATHIQ_CANNOT_CONFIRM_STATUS;
      case wathiq::verifier::Verdict::kInvalid: return WATHIQ_INVALID;
    }
    return WATHIQ_INVALID;
  });
}

int wathiq_verifier_challenge(wathiq_verifier* verifier, const char* verifier_name, int64_t now, char** wqc_text,
                              char** error_json) {
  ClearOut(wqc_text);
  ClearOut(error_json);
  if (!Live(verifier)) return Error(error_json, WATHIQ_ERR_BAD_HANDLE, "bad_handle", "not a live verifier handle");
  if (!verifier_name || !wqc_text) {
    return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument",
                 "verifier_name and wqc_text are required");
  }
  size_t len = strnlen(verifier_name, 257);
  if (len > 256)
    return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", "verifier_name is over 256 bytes");
  return Guard(error_json, [&]() -> int {
    auto c = verifier->verifier->NewChallenge(std::string(verifier_name, len), now);
    if (!c) return FromError(error_json, c.error());
    std::string text = wathiq::mdoc::qr::EncodeChallenge(*c);
    *wqc_text = CopyOut(text.data(), text.size());
    if (!*wqc_text) return Error(error_json, WATHIQ_ERR_NO_MEMORY, "out_of_memory", "out of memory");
    return WATHIQ_OK;
  });
}

int wathiq_verifier_add_status_token(wathiq_verifier* verifier, const uint8_t* token, size_t len, int64_t now,
                                     char** error_json) {
  ClearOut(error_json);
  if (!Live(verifier) || !verifier->status) {
    return Error(error_json, WATHIQ_ERR_BAD_HANDLE, "bad_handle", "not a live verifier handle");
  }
  if (!token || len == 0) return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", "token is empty");
  return Guard(error_json, [&]() -> int {
    if (auto fresh = verifier->verifier->CheckFresh(now); !fresh) return FromError(error_json, fresh.error());
    auto added = verifier->status->AddToken(wathiq::ByteView(token, len), now);
    if (!added) return Error(error_json, WATHIQ_ERR_REJECTED, added.error().reason_code(), added.error().message);
    return WATHIQ_OK;
  });
}

void wathiq_verifier_free(wathiq_verifier* verifier) {
  if (!verifier || verifier->magic != kVerifierMagic) return;
  verifier->magic = 0;
  delete verifier;
}

void wathiq_string_free(char* s) { std::free(s); }

}  // extern "C"
