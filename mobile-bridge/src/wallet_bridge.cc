// The wallet half of the C ABI in wathiq.h: converts arguments and results between C and the wallet library
// (wallet/store.h over wallet/callback_keystore.h); no wallet logic lives here. Every entry point catches
// everything, as in bridge.cc.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge_internal.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/verifier/report.h"
#include "wathiq/wallet/callback_keystore.h"
#include "wathiq/wallet/qr_render.h"
#include "wathiq/wallet/store.h"
#include "wathiq/wathiq.h"

using namespace wathiq::bridge_internal;  // NOLINT: the shared error and copy helpers

namespace {

constexpr uint64_t kWalletMagic = 0x7761746869715731ULL;   // "wathiqW1"
constexpr uint64_t kWalletClosed = 0x77617468697143ffULL;  // closed, still allocated
constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxPinBytes = 4096;  // the keystore refuses above 64; this only bounds the copy
constexpr size_t kMaxName = 256;
constexpr size_t kMaxElements = 256;
constexpr size_t kMaxChallengeText = 8192;
constexpr size_t kMaxTrustList = size_t{16} << 20;

}  // namespace

struct wathiq_wallet {
  uint64_t magic = kWalletMagic;
  std::mutex mu;
  // Declared before the wallet: destroyed after it (the wallet uses the keystore to the end).
  std::unique_ptr<wathiq::wallet::CallbackKeystore> keystore;
  std::optional<wathiq::wallet::Wallet> wallet;
};

namespace {

using nlohmann::json;
using wathiq::SafeText;
namespace wl = wathiq::wallet;

bool IsPinReason(std::string_view r) { return r == "wrong_pin" || r == "pin_wait" || r == "pin_blocked"; }

int WalletStatus(const wathiq::Error& e) {
  std::string_view reason = e.reason_code();
  if (reason.rfind("keystore_", 0) == 0) return WATHIQ_ERR_KEYSTORE;
  if (IsPinReason(reason)) return WATHIQ_ERR_PIN;
  switch (e.code) {
    case wathiq::Errc::kNotFound: return WATHIQ_ERR_NOT_FOUND;
    case wathiq::Errc::kInvalidArgument: return WATHIQ_ERR_INVALID_ARGUMENT;
    case wathiq::Errc::kState:
    case wathiq::Errc::kLimit: return WATHIQ_ERR_STATE;
    case wathiq::Errc::kInternal:
    case wathiq::Errc::kCrypto:
    case wathiq::Errc::kIo: return WATHIQ_ERR_INTERNAL;
    default: return WATHIQ_ERR_REJECTED;
  }
}

json PinStateJson(const wl::PinState& p) {
  return {{"provisioned", p.provisioned},    {"failures", p.failures},
          {"attemptsLeft", p.attempts_left}, {"totalAttemptsLeft", p.total_attempts_left},
          {"lockedUntil", p.locked_until},   {"blocked", p.blocked}};
}

// The error, with the PIN state attached when it is a PIN refusal (the app shows what is left).
int WalletError(char** error_json, const wathiq::Error& e, const wl::DeviceKeystore* ks = nullptr, int64_t now = 0) {
  int status = WalletStatus(e);
  if (status == WATHIQ_ERR_PIN && ks) {
    if (auto st = ks->State(now)) {
      json extra{{"pin", PinStateJson(*st)}};
      return Error(error_json, status, e.reason_code(), e.message, &extra);
    }
  }
  return Error(error_json, status, e.reason_code(), e.message);
}

int Invalid(char** error_json, std::string_view message) {
  return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "invalid_argument", message);
}

int BadHandle(char** error_json) {
  return Error(error_json, WATHIQ_ERR_BAD_HANDLE, "bad_handle", "not an open wallet handle");
}

int OutOfMemory(char** error_json) { return Error(error_json, WATHIQ_ERR_NO_MEMORY, "out_of_memory", "out of memory"); }

// A NUL-terminated argument of 1..max bytes, or nullopt.
std::optional<std::string_view> CText(const char* s, size_t max) {
  if (!s) return std::nullopt;
  size_t n = strnlen(s, max + 1);
  if (n == 0 || n > max) return std::nullopt;
  return std::string_view(s, n);
}

std::optional<wathiq::keys::SecretText> Pin(const uint8_t* pin, size_t len) {
  if (!pin || len == 0 || len > kMaxPinBytes) return std::nullopt;
  return wathiq::keys::SecretText::FromBuffer(wathiq::SecureBuffer(wathiq::ByteView(pin, len)), len);
}

wathiq::Result<std::unique_ptr<wl::CallbackKeystore>> OpenKeystore(const wathiq_keystore* ks) {
  if (!ks) return wathiq::Fail(wathiq::Errc::kInvalidArgument, "keystore is null");
  if (ks->version != WATHIQ_KEYSTORE_VERSION)
    return wathiq::Fail(wathiq::Errc::kInvalidArgument, "keystore.version is not WATHIQ_KEYSTORE_VERSION");
  wl::KeystoreCallbacks cb;
  cb.ctx = ks->ctx;
  cb.state_read = ks->state_read;
  cb.state_write = ks->state_write;
  cb.device_factor = ks->device_factor;
  cb.create_key = ks->create_key;
  cb.sign = ks->sign;
  cb.list_keys = ks->list_keys;
  cb.delete_key = ks->delete_key;
  return wl::CallbackKeystore::Open(cb);
}

json ValidityJson(const wathiq::mdoc::Validity& v) {
  return {{"signed", wathiq::mdoc::FormatTdate(v.signed_at)},
          {"validFrom", wathiq::mdoc::FormatTdate(v.valid_from)},
          {"validUntil", wathiq::mdoc::FormatTdate(v.valid_until)}};
}

json SummaryJson(const wl::CredentialSummary& s) {
  json j{{"id", s.id},
         {"docType", SafeText(s.doc_type, 256)},
         {"name", {{"en", SafeText(s.doc_name_en)}, {"ar", SafeText(s.doc_name_ar)}}},
         {"agency", SafeText(s.agency_id)},
         {"validity", ValidityJson(s.validity)},
         {"deviceKey", s.device_key_id},
         {"importedAt", s.imported_at}};
  if (s.status) j["status"] = {{"uri", SafeText(s.status->uri, 1024)}, {"idx", s.status->idx}};
  if (!s.batch.empty()) j["batch"] = SafeText(s.batch, 256);
  return j;
}

int JsonOut(char** out, char** error_json, const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  *out = CopyOut(s.data(), s.size());
  if (!*out) return OutOfMemory(error_json);
  return WATHIQ_OK;
}

// The live wallet under its lock, or a status. Close and free must not race with calls (wathiq.h).
bool Live(const wathiq_wallet* w) { return w && w->magic == kWalletMagic; }

template <class F>
int WithWallet(wathiq_wallet* w, char** error_json, F f) {
  if (!Live(w)) return BadHandle(error_json);
  return Guard(error_json, [&]() -> int {
    std::lock_guard<std::mutex> lock(w->mu);
    if (w->magic != kWalletMagic || !w->wallet || !w->keystore) return BadHandle(error_json);
    return f(*w->wallet, *w->keystore);
  });
}

int NewHandle(std::unique_ptr<wl::CallbackKeystore> ks, wl::Wallet wallet, wathiq_wallet** out) {
  auto h = std::make_unique<wathiq_wallet>();
  h->keystore = std::move(ks);
  h->wallet.emplace(std::move(wallet));
  *out = h.release();
  return WATHIQ_OK;
}

}  // namespace

extern "C" {

int wathiq_wallet_create(const char* app_dir, const wathiq_keystore* keystore, const uint8_t* pin, size_t pin_len,
                         wathiq_wallet** out, char** error_json) {
  ClearOut(error_json);
  if (!out) return Invalid(error_json, "out is null");
  *out = nullptr;
  auto dir = CText(app_dir, kMaxPath);
  if (!dir) return Invalid(error_json, "app_dir must be a path of 1 to 4096 bytes");
  return Guard(error_json, [&]() -> int {
    auto p = Pin(pin, pin_len);
    if (!p) return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "bad_pin", "the PIN is missing or too long");
    auto ks = OpenKeystore(keystore);
    if (!ks) return WalletError(error_json, ks.error());
    auto w = wl::Wallet::Create(std::string(*dir), **ks, *p);
    if (!w) return WalletError(error_json, w.error());
    return NewHandle(std::move(*ks), std::move(*w), out);
  });
}

int wathiq_wallet_open(const char* app_dir, const wathiq_keystore* keystore, const uint8_t* pin, size_t pin_len,
                       int64_t now, wathiq_wallet** out, char** error_json) {
  ClearOut(error_json);
  if (!out) return Invalid(error_json, "out is null");
  *out = nullptr;
  auto dir = CText(app_dir, kMaxPath);
  if (!dir) return Invalid(error_json, "app_dir must be a path of 1 to 4096 bytes");
  return Guard(error_json, [&]() -> int {
    auto p = Pin(pin, pin_len);
    if (!p) return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "bad_pin", "the PIN is missing or too long");
    auto ks = OpenKeystore(keystore);
    if (!ks) return WalletError(error_json, ks.error());
    auto w = wl::Wallet::Open(std::string(*dir), **ks, *p, now);
    if (!w) return WalletError(error_json, w.error(), ks->get(), now);
    return NewHandle(std::move(*ks), std::move(*w), out);
  });
}

int wathiq_wallet_pin_state(const wathiq_keystore* keystore, int64_t now, char** state_json, char** error_json) {
  ClearOut(state_json);
  ClearOut(error_json);
  if (!state_json) return Invalid(error_json, "state_json is null");
  return Guard(error_json, [&]() -> int {
    auto ks = OpenKeystore(keystore);
    if (!ks) return WalletError(error_json, ks.error());
    auto st = (*ks)->State(now);
    if (!st) return WalletError(error_json, st.error());
    return JsonOut(state_json, error_json, PinStateJson(*st));
  });
}

int wathiq_wallet_new_device_key(wathiq_wallet* wallet, char** key_json, char** error_json) {
  ClearOut(key_json);
  ClearOut(error_json);
  if (!key_json) return Live(wallet) ? Invalid(error_json, "key_json is null") : BadHandle(error_json);
  return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
    auto k = w.NewDeviceKey();
    if (!k) return WalletError(error_json, k.error());
    auto spki = k->public_key.ToSpki();
    if (!spki) return WalletError(error_json, spki.error());
    return JsonOut(key_json, error_json,
                   json{{"keyId", k->key_id}, {"alg", "ES256"}, {"spki", wathiq::Base64UrlEncode(*spki)}});
  });
}

int wathiq_wallet_import(wathiq_wallet* wallet, const uint8_t* issuer_signed, size_t issuer_signed_len,
                         const uint8_t* trust_list, size_t trust_list_len, const uint8_t* root_cert,
                         size_t root_cert_len, int64_t now, char** summary_json, char** error_json) {
  ClearOut(summary_json);
  ClearOut(error_json);
  if (!Live(wallet)) return BadHandle(error_json);
  if (!summary_json || !issuer_signed || issuer_signed_len == 0 || !trust_list || trust_list_len == 0 || !root_cert ||
      root_cert_len == 0) {
    return Invalid(error_json, "the credential, the trust list, the root certificate and summary_json are required");
  }
  if (trust_list_len > kMaxTrustList) return Invalid(error_json, "the trust list is over 16 MiB");
  if (issuer_signed_len > wl::kMaxCredentialBytes) {
    return Error(error_json, WATHIQ_ERR_REJECTED, "too_large", "the credential is over 1 MiB");
  }
  return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
    auto root = wathiq::keys::Certificate::FromBytes(wathiq::ByteView(root_cert, root_cert_len));
    if (!root) return Error(error_json, WATHIQ_ERR_REJECTED, "bad_root", "root certificate: " + root.error().message);
    wathiq::keys::TrustListPolicy policy;
    policy.now = now;
    auto tl = wathiq::keys::TrustList::Load(wathiq::ByteView(trust_list, trust_list_len), *root, policy);
    if (!tl) {
      wathiq::Error e = tl.error();
      return Error(error_json, WATHIQ_ERR_REJECTED, e.reason_code(), e.message);
    }
    auto s = w.Import(wathiq::ByteView(issuer_signed, issuer_signed_len), **tl, now);
    if (!s) {
      // A refusal of the credential (its reason names the check) is WATHIQ_ERR_REJECTED, whatever its code.
      int status = WalletStatus(s.error());
      if (status == WATHIQ_ERR_INVALID_ARGUMENT || status == WATHIQ_ERR_NOT_FOUND) status = WATHIQ_ERR_REJECTED;
      return Error(error_json, status, s.error().reason_code(), s.error().message);
    }
    return JsonOut(summary_json, error_json, SummaryJson(*s));
  });
}

int wathiq_wallet_list(wathiq_wallet* wallet, char** list_json, char** error_json) {
  ClearOut(list_json);
  ClearOut(error_json);
  if (!list_json) return Live(wallet) ? Invalid(error_json, "list_json is null") : BadHandle(error_json);
  return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
    auto list = w.List();
    if (!list) return WalletError(error_json, list.error());
    json j{{"credentials", json::array()}};
    for (const auto& s : *list) j["credentials"].push_back(SummaryJson(s));
    return JsonOut(list_json, error_json, j);
  });
}

int wathiq_wallet_show(wathiq_wallet* wallet, int64_t id, char** view_json, char** error_json) {
  ClearOut(view_json);
  ClearOut(error_json);
  if (!view_json) return Live(wallet) ? Invalid(error_json, "view_json is null") : BadHandle(error_json);
  return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
    auto v = w.Show(id);
    if (!v) return WalletError(error_json, v.error());
    json j = SummaryJson(v->summary);
    j["elements"] = json::array();
    for (const auto& e : v->elements) {
      json ej{{"id", SafeText(e.id, 256)},
              {"nameSpace", SafeText(e.name_space, 256)},
              {"label", {{"en", SafeText(e.label_en)}, {"ar", SafeText(e.label_ar)}}},
              {"value", wathiq::verifier::ElementValueJson(e.value)}};
      if (e.value_label) {
        ej["valueLabel"] = {{"en", SafeText(e.value_label->label_en)}, {"ar", SafeText(e.value_label->label_ar)}};
      }
      j["elements"].push_back(std::move(ej));
    }
    return JsonOut(view_json, error_json, j);
  });
}

int wathiq_wallet_present(wathiq_wallet* wallet, int64_t id, const char* profile, const char* const* elements,
                          size_t element_count, const char* challenge_text, int64_t now, char** wq1_text, uint8_t** png,
                          size_t* png_len, char** info_json, char** error_json) {
  ClearOut(wq1_text);
  ClearOut(info_json);
  ClearOut(error_json);
  if (png) *png = nullptr;
  if (png_len) *png_len = 0;
  if (!Live(wallet)) return BadHandle(error_json);
  if (!wq1_text) return Invalid(error_json, "wq1_text is null");
  if ((png == nullptr) != (png_len == nullptr)) return Invalid(error_json, "png and png_len go together");
  return Guard(error_json, [&]() -> int {
    wl::DisclosureChoice choice;
    if (profile) {
      auto p = CText(profile, kMaxName);
      if (!p) return Invalid(error_json, "profile must be 1 to 256 bytes");
      choice.profile = std::string(*p);
    } else {
      if (!elements || element_count == 0 || element_count > kMaxElements) {
        return Invalid(error_json, "give a profile, or 1 to 256 element ids");
      }
      for (size_t i = 0; i < element_count; ++i) {
        auto e = CText(elements[i], kMaxName);
        if (!e) return Invalid(error_json, "every element id must be 1 to 256 bytes");
        choice.elements.emplace_back(*e);
      }
    }
    wl::PresentOptions po;
    po.now = now;
    if (challenge_text) {
      auto c = CText(challenge_text, kMaxChallengeText);
      if (!c) return Invalid(error_json, "challenge_text must be 1 to 8192 bytes");
      po.challenge_text = std::string(*c);
    }
    return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
      auto q = w.Present(id, choice, po);
      if (!q) return WalletError(error_json, q.error());
      const std::string& text = q->presentation.text;
      std::optional<wl::QrCode> code;
      if (png || info_json) {
        auto c = wl::EncodeQr(text);
        if (!c) return WalletError(error_json, c.error());
        code = std::move(*c);
      }
      if (png) {
        auto image = wl::RenderPng(*code);
        if (!image) return WalletError(error_json, image.error());
        auto* p = static_cast<uint8_t*>(std::malloc(image->size()));
        if (!p) return OutOfMemory(error_json);
        std::memcpy(p, image->data(), image->size());
        *png = p;
        *png_len = image->size();
      }
      if (info_json) {
        json disclosed = json::array();
        for (const auto& d : q->disclosed) disclosed.push_back(SafeText(d, 256));
        json info{{"docType", SafeText(q->doc_type, 256)},
                  {"disclosed", std::move(disclosed)},
                  {"verifierName", q->verifier_name},
                  {"characters", text.size()},
                  {"qrVersion", code->version}};
        if (int s = JsonOut(info_json, error_json, info); s != WATHIQ_OK) {
          if (png) {
            std::free(*png);
            *png = nullptr;
            *png_len = 0;
          }
          return s;
        }
      }
      *wq1_text = CopyOut(text.data(), text.size());
      if (!*wq1_text) {
        if (png) {
          std::free(*png);
          *png = nullptr;
          *png_len = 0;
        }
        if (info_json) {
          std::free(*info_json);
          *info_json = nullptr;
        }
        return OutOfMemory(error_json);
      }
      return WATHIQ_OK;
    });
  });
}

int wathiq_wallet_delete(wathiq_wallet* wallet, int64_t id, char** error_json) {
  ClearOut(error_json);
  return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore&) -> int {
    if (auto d = w.Delete(id); !d) return WalletError(error_json, d.error());
    return WATHIQ_OK;
  });
}

int wathiq_wallet_change_pin(wathiq_wallet* wallet, const uint8_t* old_pin, size_t old_pin_len, const uint8_t* new_pin,
                             size_t new_pin_len, int64_t now, char** error_json) {
  ClearOut(error_json);
  if (!Live(wallet)) return BadHandle(error_json);
  return Guard(error_json, [&]() -> int {
    auto o = Pin(old_pin, old_pin_len);
    auto n = Pin(new_pin, new_pin_len);
    if (!o || !n) return Error(error_json, WATHIQ_ERR_INVALID_ARGUMENT, "bad_pin", "a PIN is missing or too long");
    return WithWallet(wallet, error_json, [&](wl::Wallet& w, wl::CallbackKeystore& ks) -> int {
      if (auto c = w.ChangePin(*o, *n, now); !c) return WalletError(error_json, c.error(), &ks, now);
      return WATHIQ_OK;
    });
  });
}

int wathiq_wallet_close(wathiq_wallet* wallet) {
  if (!Live(wallet)) return WATHIQ_ERR_BAD_HANDLE;
  try {
    std::lock_guard<std::mutex> lock(wallet->mu);
    if (wallet->magic != kWalletMagic) return WATHIQ_ERR_BAD_HANDLE;
    wallet->magic = kWalletClosed;
    wallet->wallet.reset();
    wallet->keystore.reset();
  } catch (...) {
    return WATHIQ_ERR_INTERNAL;
  }
  return WATHIQ_OK;
}

void wathiq_wallet_free(wathiq_wallet* wallet) {
  if (!wallet || (wallet->magic != kWalletMagic && wallet->magic != kWalletClosed)) return;
  (void)wathiq_wallet_close(wallet);
  wallet->magic = 0;
  delete wallet;
}

void wathiq_bytes_free(uint8_t* p) { std::free(p); }

}  // extern "C"
