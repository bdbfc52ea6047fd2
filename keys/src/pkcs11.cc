#include "wathiq/keys/pkcs11.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

namespace wathiq::keys {

namespace {

// DER of the curve OIDs in CKA_EC_PARAMS.
const uint8_t kP256Params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const uint8_t kEd25519Oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
// PrintableString "edwards25519", the other spelling PKCS#11 3.0 allows.
const uint8_t kEd25519Name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};

std::string Trim(const unsigned char* p, size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

Status Check(CK_RV rv, const std::string& what) {
  if (rv == CKR_OK) return Ok();
  Errc code = Errc::kIo;
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_USER_NOT_LOGGED_IN: code = Errc::kPermission; break;
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SLOT_ID_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
    case CKR_KEY_HANDLE_INVALID: code = Errc::kNotFound; break;
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_DOMAIN_PARAMS_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_FUNCTION_NOT_SUPPORTED: code = Errc::kUnsupported; break;
    case CKR_ARGUMENTS_BAD:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_TEMPLATE_INCOMPLETE: code = Errc::kInvalidArgument; break;
    default: break;
  }
  return Fail(code, what + ": " + Pkcs11RvName(rv));
}

struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<Pkcs11Module>> modules;
};
Registry& GetRegistry() {
  static Registry* r = new Registry();  // never destroyed: modules may outlive static destruction order
  return *r;
}

}  // namespace

std::string Pkcs11RvName(unsigned long rv) {
  switch (rv) {
#define WQ_RV(x) \
  case x: return #x;
    WQ_RV(CKR_OK)
    WQ_RV(CKR_CANCEL)
    WQ_RV(CKR_HOST_MEMORY)
    WQ_RV(CKR_SLOT_ID_INVALID)
    WQ_RV(CKR_GENERAL_ERROR)
    WQ_RV(CKR_FUNCTION_FAILED)
    WQ_RV(CKR_ARGUMENTS_BAD)
    WQ_RV(CKR_ATTRIBUTE_READ_ONLY)
    WQ_RV(CKR_ATTRIBUTE_SENSITIVE)
    WQ_RV(CKR_ATTRIBUTE_TYPE_INVALID)
    WQ_RV(CKR_ATTRIBUTE_VALUE_INVALID)
    WQ_RV(CKR_DATA_INVALID)
    WQ_RV(CKR_DATA_LEN_RANGE)
    WQ_RV(CKR_DEVICE_ERROR)
    WQ_RV(CKR_DEVICE_MEMORY)
    WQ_RV(CKR_DEVICE_REMOVED)
    WQ_RV(CKR_FUNCTION_NOT_SUPPORTED)
    WQ_RV(CKR_KEY_HANDLE_INVALID)
    WQ_RV(CKR_KEY_TYPE_INCONSISTENT)
    WQ_RV(CKR_MECHANISM_INVALID)
    WQ_RV(CKR_MECHANISM_PARAM_INVALID)
    WQ_RV(CKR_OBJECT_HANDLE_INVALID)
    WQ_RV(CKR_OPERATION_ACTIVE)
    WQ_RV(CKR_OPERATION_NOT_INITIALIZED)
    WQ_RV(CKR_PIN_INCORRECT)
    WQ_RV(CKR_PIN_INVALID)
    WQ_RV(CKR_PIN_LEN_RANGE)
    WQ_RV(CKR_PIN_EXPIRED)
    WQ_RV(CKR_PIN_LOCKED)
    WQ_RV(CKR_SESSION_CLOSED)
    WQ_RV(CKR_SESSION_HANDLE_INVALID)
    WQ_RV(CKR_SESSION_READ_ONLY)
    WQ_RV(CKR_SESSION_EXISTS)
    WQ_RV(CKR_SIGNATURE_INVALID)
    WQ_RV(CKR_SIGNATURE_LEN_RANGE)
    WQ_RV(CKR_TEMPLATE_INCOMPLETE)
    WQ_RV(CKR_TEMPLATE_INCONSISTENT)
    WQ_RV(CKR_TOKEN_NOT_PRESENT)
    WQ_RV(CKR_TOKEN_NOT_RECOGNIZED)
    WQ_RV(CKR_TOKEN_WRITE_PROTECTED)
    WQ_RV(CKR_USER_ALREADY_LOGGED_IN)
    WQ_RV(CKR_USER_NOT_LOGGED_IN)
    WQ_RV(CKR_USER_PIN_NOT_INITIALIZED)
    WQ_RV(CKR_USER_TYPE_INVALID)
    WQ_RV(CKR_DOMAIN_PARAMS_INVALID)
    WQ_RV(CKR_CURVE_NOT_SUPPORTED)
    WQ_RV(CKR_BUFFER_TOO_SMALL)
    WQ_RV(CKR_CRYPTOKI_NOT_INITIALIZED)
    WQ_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED)
#undef WQ_RV
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKR_0x%08lx", rv);
      return buf;
    }
  }
}

// Module ---------------------------------------------------------------------------------------------------

struct Pkcs11Module::Impl {
  void* dl = nullptr;
  CK_FUNCTION_LIST* f = nullptr;
  bool finalize = false;
  // PKCS#11 login state is per process and token: once any session is logged in, C_Login answers
  // CKR_USER_ALREADY_LOGGED_IN without looking at the PIN. So that a second OpenToken with a wrong PIN
  // still fails, we keep an HMAC (random per-process key) of the PIN that last logged in to each slot.
  std::mutex mu;
  Bytes pin_mac_key = RandomBytes(32);
  std::map<CK_SLOT_ID, Bytes> pin_tags;
};

Pkcs11Module::~Pkcs11Module() {
  // Under the registry lock, so that a concurrent Load of the same path cannot C_Initialize in between.
  std::lock_guard<std::mutex> lock(GetRegistry().mu);
  if (impl_ && impl_->f && impl_->finalize) impl_->f->C_Finalize(nullptr);
  // The library stays mapped: some modules (SoftHSM2 with OpenSSL 3 among them) crash in their static
  // destructors after dlclose. Mapping costs nothing; a later Load re-initialises it.
}

Result<std::shared_ptr<Pkcs11Module>> Pkcs11Module::Load(const std::string& path) {
  Registry& reg = GetRegistry();
  std::lock_guard<std::mutex> lock(reg.mu);
  if (auto it = reg.modules.find(path); it != reg.modules.end()) {
    if (auto m = it->second.lock()) return m;
  }
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    const char* e = dlerror();
    return Fail(Errc::kNotFound, "PKCS#11 module " + path + " cannot be loaded: " + (e ? e : "unknown error"));
  }
  auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
  if (!get) return Fail(Errc::kInvalidArgument, path + " is not a PKCS#11 module (no C_GetFunctionList)");
  CK_FUNCTION_LIST* f = nullptr;
  WQ_TRY(Check(get(&f), "C_GetFunctionList"));
  if (!f) return Fail(Errc::kInternal, "C_GetFunctionList returned no list");
  CK_C_INITIALIZE_ARGS args;
  std::memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = f->C_Initialize(&args);
  bool ours = rv == CKR_OK;
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return Fail(Errc::kIo, "C_Initialize of " + path + " failed: " + Pkcs11RvName(rv) +
                               " (for SoftHSM2, check SOFTHSM2_CONF and its token directory)");
  }
  std::shared_ptr<Pkcs11Module> m(new Pkcs11Module());
  m->path_ = path;
  m->impl_ = std::make_unique<Impl>();
  m->impl_->dl = dl;
  m->impl_->f = f;
  m->impl_->finalize = ours;
  reg.modules[path] = m;
  return m;
}

std::string Pkcs11Module::library_description() const {
  CK_INFO info;
  if (impl_->f->C_GetInfo(&info) != CKR_OK) return {};
  return Trim(info.manufacturerID, sizeof info.manufacturerID) + " " +
         Trim(info.libraryDescription, sizeof info.libraryDescription);
}

Result<std::vector<TokenSummary>> Pkcs11Module::ListTokens() const {
  CK_FUNCTION_LIST* f = impl_->f;
  CK_ULONG n = 0;
  WQ_TRY(Check(f->C_GetSlotList(CK_TRUE, nullptr, &n), "C_GetSlotList"));
  std::vector<CK_SLOT_ID> slots(n);
  WQ_TRY(Check(f->C_GetSlotList(CK_TRUE, slots.data(), &n), "C_GetSlotList"));
  slots.resize(n);
  std::vector<TokenSummary> out;
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO ti;
    if (f->C_GetTokenInfo(s, &ti) != CKR_OK) continue;
    TokenSummary t;
    t.slot = s;
    t.label = Trim(ti.label, sizeof ti.label);
    t.manufacturer = Trim(ti.manufacturerID, sizeof ti.manufacturerID);
    t.model = Trim(ti.model, sizeof ti.model);
    t.serial = Trim(ti.serialNumber, sizeof ti.serialNumber);
    t.initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

Result<CK_SLOT_ID> FindSlot(const std::vector<TokenSummary>& tokens, std::string_view label) {
  std::string present;
  for (const auto& t : tokens) {
    if (t.initialized && t.label == label) return static_cast<CK_SLOT_ID>(t.slot);
    if (t.initialized) present += (present.empty() ? "'" : ", '") + t.label + "'";
  }
  return Fail(Errc::kNotFound, "no PKCS#11 token labelled '" + std::string(label) + "' (tokens present: " +
                                   (present.empty() ? "none" : present) + ")");
}

}  // namespace

Status Pkcs11Module::InitToken(std::string_view label, const SecretText& so_pin, const SecretText& user_pin) {
  if (label.empty() || label.size() > 32) return Fail(Errc::kInvalidArgument, "token label must be 1..32 bytes");
  if (so_pin.empty() || user_pin.empty()) return Fail(Errc::kInvalidArgument, "empty PIN");
  WQ_ASSIGN(auto tokens, ListTokens());
  for (const auto& t : tokens) {
    if (t.initialized && t.label == label) return Fail(Errc::kState, "a token labelled '" + std::string(label) + "' exists");
  }
  auto free_slot = std::find_if(tokens.begin(), tokens.end(), [](const TokenSummary& t) { return !t.initialized; });
  if (free_slot == tokens.end()) return Fail(Errc::kState, "the module has no uninitialised token to initialise");
  CK_FUNCTION_LIST* f = impl_->f;
  unsigned char padded[32];
  std::memset(padded, ' ', sizeof padded);
  std::memcpy(padded, label.data(), label.size());
  WQ_TRY(Check(f->C_InitToken(free_slot->slot, const_cast<CK_UTF8CHAR*>(so_pin.view().data()), so_pin.size(), padded),
               "C_InitToken"));
  // SoftHSM2 moves the new token to another slot: look it up again by label.
  WQ_ASSIGN(tokens, ListTokens());
  WQ_ASSIGN(CK_SLOT_ID slot, FindSlot(tokens, label));
  CK_SESSION_HANDLE s = 0;
  WQ_TRY(Check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s), "C_OpenSession"));
  Status st = Check(f->C_Login(s, CKU_SO, const_cast<CK_UTF8CHAR*>(so_pin.view().data()), so_pin.size()), "C_Login (SO)");
  if (st) {
    st = Check(f->C_InitPIN(s, const_cast<CK_UTF8CHAR*>(user_pin.view().data()), user_pin.size()), "C_InitPIN");
    f->C_Logout(s);
  }
  f->C_CloseSession(s);
  return st;
}

// Token ----------------------------------------------------------------------------------------------------

struct Pkcs11Token::Impl {
  std::shared_ptr<Pkcs11Module> module;
  CK_FUNCTION_LIST* f = nullptr;
  CK_SLOT_ID slot = 0;
  CK_SESSION_HANDLE session = 0;
  std::mutex mu;  // guards `session` (find/generate/inspect)
};

Result<std::shared_ptr<Pkcs11Token>> Pkcs11Module::OpenToken(std::string_view label, const SecretText& user_pin) {
  WQ_ASSIGN(auto tokens, ListTokens());
  WQ_ASSIGN(CK_SLOT_ID slot, FindSlot(tokens, label));
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = 0;
  WQ_TRY(Check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s), "C_OpenSession"));
  CK_RV rv = f->C_Login(s, CKU_USER, const_cast<CK_UTF8CHAR*>(user_pin.view().data()), user_pin.size());
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    Bytes tag = HmacSha256(impl_->pin_mac_key, user_pin.view());
    if (rv == CKR_OK) {
      impl_->pin_tags[slot] = tag;
    } else if (rv == CKR_USER_ALREADY_LOGGED_IN) {
      auto it = impl_->pin_tags.find(slot);
      if (it == impl_->pin_tags.end() || !ConstantTimeEqual(it->second, tag)) {
        f->C_CloseSession(s);
        return Fail(Errc::kPermission, "wrong PIN for token '" + std::string(label) + "'");
      }
    }
  }
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    f->C_CloseSession(s);
    if (rv == CKR_PIN_INCORRECT) return Fail(Errc::kPermission, "wrong PIN for token '" + std::string(label) + "'");
    if (rv == CKR_PIN_LOCKED) return Fail(Errc::kPermission, "the user PIN of token '" + std::string(label) + "' is locked");
    return Fail(Check(rv, "C_Login on token '" + std::string(label) + "'").error());
  }
  std::shared_ptr<Pkcs11Token> t(new Pkcs11Token());
  t->label_ = std::string(label);
  t->impl_ = std::make_unique<Pkcs11Token::Impl>();
  t->impl_->module = shared_from_this();
  t->impl_->f = f;
  t->impl_->slot = slot;
  t->impl_->session = s;
  return t;
}

Pkcs11Token::~Pkcs11Token() {
  // Closing the session (not C_Logout): the login state is shared by all of this process's sessions on the
  // token and ends by itself when the last one closes.
  if (impl_ && impl_->f) impl_->f->C_CloseSession(impl_->session);
}

namespace {

class Pkcs11Signer final : public Signer {
 public:
  Pkcs11Signer(std::shared_ptr<Pkcs11Token> token, CK_FUNCTION_LIST* f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
               Alg alg, PublicKey pub)
      : token_(std::move(token)), f_(f), session_(session), key_(key), alg_(alg), pub_(std::move(pub)) {}
  ~Pkcs11Signer() override { f_->C_CloseSession(session_); }
  Alg alg() const override { return alg_; }
  Curve curve() const override { return pub_.curve(); }
  Result<PublicKey> public_key() const override { return pub_; }
  Result<Bytes> Sign(ByteView message) const override {
    Bytes digest;
    CK_MECHANISM mech{alg_ == Alg::kEdDSA ? CKM_EDDSA : CKM_ECDSA, nullptr, 0};
    ByteView data = message;
    if (alg_ == Alg::kES256) {
      digest = Sha256(message);  // SoftHSM2 has no CKM_ECDSA_SHA256: hash here, sign the digest
      data = digest;
    }
    std::lock_guard<std::mutex> lock(mu_);
    WQ_TRY(Check(f_->C_SignInit(session_, &mech, key_), "C_SignInit"));
    Bytes sig(64);
    CK_ULONG len = sig.size();
    CK_RV rv = f_->C_Sign(session_, const_cast<CK_BYTE*>(data.data()), data.size(), sig.data(), &len);
    if (rv == CKR_BUFFER_TOO_SMALL) {  // the operation stays active; retry with the size asked for
      sig.resize(len);
      rv = f_->C_Sign(session_, const_cast<CK_BYTE*>(data.data()), data.size(), sig.data(), &len);
    }
    WQ_TRY(Check(rv, "C_Sign"));
    sig.resize(len);
    if (sig.size() != 64) return Fail(Errc::kCrypto, "token returned a " + std::to_string(sig.size()) + "-byte signature");
    return sig;
  }

 private:
  std::shared_ptr<Pkcs11Token> token_;  // keeps the login and the module alive
  CK_FUNCTION_LIST* f_;
  CK_SESSION_HANDLE session_;
  CK_OBJECT_HANDLE key_;
  Alg alg_;
  PublicKey pub_;
  mutable std::mutex mu_;
};

Result<Bytes> GetAttr(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                      const char* name) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  WQ_TRY(Check(f->C_GetAttributeValue(s, o, &a, 1), std::string("reading ") + name));
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return Fail(Errc::kNotFound, std::string(name) + " unavailable");
  Bytes v(a.ulValueLen);
  a.pValue = v.data();
  WQ_TRY(Check(f->C_GetAttributeValue(s, o, &a, 1), std::string("reading ") + name));
  v.resize(a.ulValueLen);
  return v;
}

bool GetBool(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL b = CK_FALSE;
  CK_ATTRIBUTE a{type, &b, sizeof b};
  return f->C_GetAttributeValue(s, o, &a, 1) == CKR_OK && b == CK_TRUE;
}

Result<std::vector<CK_OBJECT_HANDLE>> FindObjects(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s,
                                                  std::vector<CK_ATTRIBUTE> tmpl, size_t max = 64) {
  WQ_TRY(Check(f->C_FindObjectsInit(s, tmpl.data(), tmpl.size()), "C_FindObjectsInit"));
  std::vector<CK_OBJECT_HANDLE> out(max);
  CK_ULONG n = 0;
  CK_RV rv = f->C_FindObjects(s, out.data(), out.size(), &n);
  f->C_FindObjectsFinal(s);
  WQ_TRY(Check(rv, "C_FindObjects"));
  out.resize(n);
  return out;
}

// A boolean attribute that must be readable: an error or an unavailable value is an error, never "false".
Result<bool> ReadBool(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                      const char* name) {
  CK_BBOOL b = CK_FALSE;
  CK_ATTRIBUTE a{type, &b, sizeof b};
  CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);
  if (rv != CKR_OK || a.ulValueLen != sizeof b) {
    return Fail(Errc::kPermission, std::string("cannot read ") + name + " of the key (" + Pkcs11RvName(rv) + ")");
  }
  return b == CK_TRUE;
}

// A token key is used only if its private value can never have left the token: CKA_SENSITIVE and not
// CKA_EXTRACTABLE now, and CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE, which the token sets only when
// that has held since the key came into being. Keys generated in the token (GenerateKey) have all four; a
// key imported into the token, or generated extractable and locked down afterwards, may have a copy
// outside and is refused: the trust we place in a token key is that nobody holds it.
Status CheckKeyNeverLeaves(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, const std::string& what) {
  WQ_ASSIGN(bool sensitive, ReadBool(f, s, priv, CKA_SENSITIVE, "CKA_SENSITIVE"));
  WQ_ASSIGN(bool extractable, ReadBool(f, s, priv, CKA_EXTRACTABLE, "CKA_EXTRACTABLE"));
  WQ_ASSIGN(bool always_sensitive, ReadBool(f, s, priv, CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE"));
  WQ_ASSIGN(bool never_extractable, ReadBool(f, s, priv, CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE"));
  auto refuse = [&](const char* why) {
    return Fail(Errc::kPermission, what + " " + why + "; refusing it: a token key must be sensitive and never extractable");
  };
  if (!sensitive) return refuse("is not sensitive (CKA_SENSITIVE=FALSE)");
  if (extractable) return refuse("is extractable (CKA_EXTRACTABLE=TRUE)");
  if (!never_extractable) return refuse("was extractable before (CKA_NEVER_EXTRACTABLE=FALSE)");
  if (!always_sensitive) return refuse("was not always sensitive (CKA_ALWAYS_SENSITIVE=FALSE)");
  return Ok();
}

// CKA_EC_POINT is a DER OCTET STRING around the point in SoftHSM2 (and per the spec); accept raw too.
Result<Bytes> UnwrapEcPoint(const Bytes& v, size_t raw_len) {
  if (v.size() == raw_len + 2 && v[0] == 0x04 && v[1] == raw_len) return Bytes(v.begin() + 2, v.end());
  if (v.size() == raw_len + 3 && v[0] == 0x04 && v[1] == 0x81 && v[2] == raw_len) return Bytes(v.begin() + 3, v.end());
  if (v.size() == raw_len) return v;
  return Fail(Errc::kMalformed, "CKA_EC_POINT has an unexpected encoding (" + std::to_string(v.size()) + " bytes)");
}

}  // namespace

Result<KeyHandle> Pkcs11Token::HandleFor(unsigned long priv) {
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  CK_KEY_TYPE kt = 0;
  CK_ATTRIBUTE kta{CKA_KEY_TYPE, &kt, sizeof kt};
  WQ_TRY(Check(f->C_GetAttributeValue(s, priv, &kta, 1), "reading CKA_KEY_TYPE"));
  WQ_ASSIGN(Bytes id, GetAttr(f, s, priv, CKA_ID, "CKA_ID"));
  WQ_ASSIGN(Bytes label_bytes, GetAttr(f, s, priv, CKA_LABEL, "CKA_LABEL"));
  WQ_TRY(CheckKeyNeverLeaves(f, s, priv, "key '" + AsString(label_bytes) + "' in token '" + label_ + "'"));
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
  WQ_ASSIGN(auto pubs, FindObjects(f, s, {{CKA_CLASS, &pub_class, sizeof pub_class}, {CKA_ID, id.data(), id.size()}}, 2));
  if (pubs.size() != 1) {
    return Fail(Errc::kNotFound, "the public half of key '" + AsString(label_bytes) + "' is missing or ambiguous");
  }
  WQ_ASSIGN(Bytes params, GetAttr(f, s, pubs[0], CKA_EC_PARAMS, "CKA_EC_PARAMS"));
  WQ_ASSIGN(Bytes point, GetAttr(f, s, pubs[0], CKA_EC_POINT, "CKA_EC_POINT"));
  Alg alg;
  Result<PublicKey> pub = Fail(Errc::kUnsupported, "key type");
  auto eq = [&](const uint8_t* p, size_t n) { return params.size() == n && std::memcmp(params.data(), p, n) == 0; };
  if (kt == CKK_EC && eq(kP256Params, sizeof kP256Params)) {
    alg = Alg::kES256;
    WQ_ASSIGN(Bytes raw, UnwrapEcPoint(point, 65));
    pub = PublicKey::FromRaw(Curve::kP256, raw);
  } else if (kt == CKK_EC_EDWARDS && (eq(kEd25519Oid, sizeof kEd25519Oid) || eq(kEd25519Name, sizeof kEd25519Name))) {
    alg = Alg::kEdDSA;
    WQ_ASSIGN(Bytes raw, UnwrapEcPoint(point, 32));
    pub = PublicKey::FromRaw(Curve::kEd25519, raw);
  } else {
    return Fail(Errc::kUnsupported, "key '" + AsString(label_bytes) + "' is neither P-256 ECDSA nor Ed25519");
  }
  if (!pub) return Wrap("token public key", pub.error());
  // A session of its own for the signer, so that signing does not contend with lookups.
  CK_SESSION_HANDLE sign_session = 0;
  WQ_TRY(Check(f->C_OpenSession(impl_->slot, CKF_SERIAL_SESSION, nullptr, nullptr, &sign_session), "C_OpenSession"));
  auto signer = std::make_shared<Pkcs11Signer>(shared_from_this(), f, sign_session, priv, alg, std::move(*pub));
  WQ_ASSIGN(KeyHandle h, KeyHandle::Wrap(std::move(signer), KeySource::kPkcs11, AsString(label_bytes)));
  WQ_TRY(h.SelfTest());
  return h;
}

Result<KeyHandle> Pkcs11Token::GenerateKey(const Pkcs11KeySpec& spec) {
  if (spec.label.empty()) return Fail(Errc::kInvalidArgument, "a token key needs a label");
  if (spec.alg != Alg::kES256 && spec.alg != Alg::kEdDSA) {
    return Fail(Errc::kUnsupported, "token keys are ES256 (P-256) or EdDSA (Ed25519)");
  }
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  std::string label = spec.label;
  WQ_ASSIGN(auto existing, FindObjects(f, s, {{CKA_LABEL, label.data(), label.size()}}, 1));
  if (!existing.empty()) return Fail(Errc::kState, "token '" + label_ + "' already holds an object labelled '" + label + "'");
  Bytes id = spec.id.empty() ? RandomBytes(8) : spec.id;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  const bool ed = spec.alg == Alg::kEdDSA;
  CK_MECHANISM mech{ed ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  auto try_generate = [&](const uint8_t* params, size_t params_len, CK_OBJECT_HANDLE* pub, CK_OBJECT_HANDLE* priv) {
    CK_ATTRIBUTE pub_t[] = {
        {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},    {CKA_EC_PARAMS, const_cast<uint8_t*>(params), params_len},
        {CKA_LABEL, label.data(), label.size()}, {CKA_ID, id.data(), id.size()},
    };
    CK_ATTRIBUTE priv_t[] = {
        {CKA_TOKEN, &yes, sizeof yes},        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},    {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},         {CKA_LABEL, label.data(), label.size()},
        {CKA_ID, id.data(), id.size()},
    };
    return f->C_GenerateKeyPair(s, &mech, pub_t, std::size(pub_t), priv_t, std::size(priv_t), pub, priv);
  };
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  CK_RV rv = ed ? try_generate(kEd25519Oid, sizeof kEd25519Oid, &pub, &priv)
                : try_generate(kP256Params, sizeof kP256Params, &pub, &priv);
  if (ed && (rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_DOMAIN_PARAMS_INVALID)) {
    rv = try_generate(kEd25519Name, sizeof kEd25519Name, &pub, &priv);
  }
  WQ_TRY(Check(rv, "C_GenerateKeyPair (" + std::string(AlgName(spec.alg)) + ") in token '" + label_ + "'"));
  return HandleFor(priv);
}

Result<KeyHandle> Pkcs11Token::FindKey(std::string_view label) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  std::string l(label);
  WQ_ASSIGN(auto found, FindObjects(impl_->f, impl_->session,
                                    {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, l.data(), l.size()}}, 2));
  if (found.empty()) return Fail(Errc::kNotFound, "no private key labelled '" + l + "' in token '" + label_ + "'");
  if (found.size() > 1) return Fail(Errc::kState, "several private keys are labelled '" + l + "' in token '" + label_ + "'");
  return HandleFor(found[0]);
}

Result<KeyHandle> Pkcs11Token::FindKeyById(ByteView id) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  Bytes i(id.begin(), id.end());
  WQ_ASSIGN(auto found, FindObjects(impl_->f, impl_->session,
                                    {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, i.data(), i.size()}}, 2));
  if (found.empty()) return Fail(Errc::kNotFound, "no private key with id " + ToHex(id) + " in token '" + label_ + "'");
  if (found.size() > 1) return Fail(Errc::kState, "several private keys have id " + ToHex(id));
  return HandleFor(found[0]);
}

Result<Pkcs11KeyInfo> Pkcs11Token::InspectKey(std::string_view label) {
  WQ_ASSIGN(KeyHandle h, FindKey(label));
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  std::string l(label);
  WQ_ASSIGN(auto found, FindObjects(f, s, {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, l.data(), l.size()}}, 1));
  if (found.empty()) return Fail(Errc::kNotFound, "key vanished");
  CK_OBJECT_HANDLE o = found[0];
  Pkcs11KeyInfo info;
  info.label = l;
  WQ_ASSIGN(info.id, GetAttr(f, s, o, CKA_ID, "CKA_ID"));
  info.alg = h.alg();
  info.public_key = h.cached_public_key();
  info.sensitive = GetBool(f, s, o, CKA_SENSITIVE);
  info.extractable = GetBool(f, s, o, CKA_EXTRACTABLE);
  info.always_sensitive = GetBool(f, s, o, CKA_ALWAYS_SENSITIVE);
  info.never_extractable = GetBool(f, s, o, CKA_NEVER_EXTRACTABLE);
  // Ask only for the length of CKA_VALUE: a sensitive key answers CKR_ATTRIBUTE_SENSITIVE, and if a token
  // ever answered OK we still never pull the bytes.
  CK_ATTRIBUTE a{CKA_VALUE, nullptr, 0};
  CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);
  info.value_read_result = Pkcs11RvName(rv);
  info.value_readable = rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION;
  return info;
}

Result<std::vector<std::string>> Pkcs11Token::ListKeyLabels() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  WQ_ASSIGN(auto found, FindObjects(impl_->f, impl_->session, {{CKA_CLASS, &cls, sizeof cls}}, 1024));
  std::vector<std::string> out;
  for (auto o : found) {
    auto l = GetAttr(impl_->f, impl_->session, o, CKA_LABEL, "CKA_LABEL");
    if (l) out.push_back(AsString(*l));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status Pkcs11Token::DestroyKey(std::string_view label) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  std::string l(label);
  WQ_ASSIGN(auto found, FindObjects(impl_->f, impl_->session, {{CKA_LABEL, l.data(), l.size()}}, 16));
  if (found.empty()) return Fail(Errc::kNotFound, "no object labelled '" + l + "'");
  for (auto o : found) WQ_TRY(Check(impl_->f->C_DestroyObject(impl_->session, o), "C_DestroyObject"));
  return Ok();
}

// Data objects and HMAC keys (a keystore's counter and its token-bound factor) ---------------------------

namespace {

// Data objects carry their generation in CKA_APPLICATION (20 decimal digits): SoftHSM2 (like the standard's
// default) makes a data object's CKA_VALUE read-only, so a write creates the next generation and then
// destroys the older ones. A crash in between leaves two; the reader takes the newest.
struct DataObject {
  CK_OBJECT_HANDLE handle = 0;
  uint64_t generation = 0;
};

Result<std::vector<DataObject>> FindData(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s, const std::string& label) {
  CK_OBJECT_CLASS cls = CKO_DATA;
  WQ_ASSIGN(auto found, FindObjects(f, s, {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, const_cast<char*>(label.data()), label.size()}}, 8));
  std::vector<DataObject> out;
  for (auto o : found) {
    auto app = GetAttr(f, s, o, CKA_APPLICATION, "CKA_APPLICATION");
    uint64_t g = 0;
    if (app && app->size() == 20) {
      for (uint8_t c : *app) g = (c >= '0' && c <= '9') ? g * 10 + (c - '0') : 0;
    }
    out.push_back({o, g});
  }
  std::sort(out.begin(), out.end(), [](const DataObject& a, const DataObject& b) { return a.generation > b.generation; });
  return out;
}

}  // namespace

Status Pkcs11Token::WriteData(std::string_view label, ByteView value) {
  if (label.empty()) return Fail(Errc::kInvalidArgument, "a data object needs a label");
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  std::string l(label);
  WQ_ASSIGN(auto old, FindData(f, s, l));
  uint64_t next = old.empty() ? 1 : old.front().generation + 1;
  char app[21];
  std::snprintf(app, sizeof app, "%020llu", static_cast<unsigned long long>(next));
  Bytes v(value.begin(), value.end());
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},   {CKA_TOKEN, &yes, sizeof yes}, {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_LABEL, l.data(), l.size()}, {CKA_APPLICATION, app, 20},    {CKA_VALUE, v.data(), v.size()},
  };
  CK_OBJECT_HANDLE o = 0;
  WQ_TRY(Check(f->C_CreateObject(s, t, std::size(t), &o), "C_CreateObject (data '" + l + "')"));
  for (const auto& d : old) WQ_TRY(Check(f->C_DestroyObject(s, d.handle), "C_DestroyObject (data '" + l + "')"));
  return Ok();
}

Result<Bytes> Pkcs11Token::ReadData(std::string_view label) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  std::string l(label);
  WQ_ASSIGN(auto found, FindData(impl_->f, impl_->session, l));
  if (found.empty()) return Fail(Errc::kNotFound, "no data object labelled '" + l + "' in token '" + label_ + "'");
  return GetAttr(impl_->f, impl_->session, found.front().handle, CKA_VALUE, "CKA_VALUE");
}

Status Pkcs11Token::GenerateHmacKey(std::string_view label) {
  if (label.empty()) return Fail(Errc::kInvalidArgument, "a token key needs a label");
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  std::string l(label);
  WQ_ASSIGN(auto existing, FindObjects(f, s, {{CKA_LABEL, l.data(), l.size()}}, 1));
  if (!existing.empty()) return Fail(Errc::kState, "token '" + label_ + "' already holds an object labelled '" + l + "'");
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_ULONG len = 32;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},       {CKA_KEY_TYPE, &kt, sizeof kt},     {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},     {CKA_SENSITIVE, &yes, sizeof yes},  {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_SIGN, &yes, sizeof yes},        {CKA_VALUE_LEN, &len, sizeof len},  {CKA_LABEL, l.data(), l.size()},
  };
  CK_MECHANISM mech{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE o = 0;
  return Check(f->C_GenerateKey(s, &mech, t, std::size(t), &o), "C_GenerateKey (HMAC key '" + l + "')");
}

Result<Bytes> Pkcs11Token::TokenHmacSha256(std::string_view label, ByteView data) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  CK_FUNCTION_LIST* f = impl_->f;
  CK_SESSION_HANDLE s = impl_->session;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  std::string l(label);
  WQ_ASSIGN(auto found, FindObjects(f, s, {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, l.data(), l.size()}}, 2));
  if (found.empty()) return Fail(Errc::kNotFound, "no secret key labelled '" + l + "' in token '" + label_ + "'");
  if (found.size() > 1) return Fail(Errc::kState, "several secret keys are labelled '" + l + "'");
  // The same rule as for signing keys: a key that is or ever was extractable could have a copy outside.
  if (!GetBool(f, s, found[0], CKA_SENSITIVE) || GetBool(f, s, found[0], CKA_EXTRACTABLE) ||
      !GetBool(f, s, found[0], CKA_NEVER_EXTRACTABLE)) {
    return Fail(Errc::kPermission, "secret key '" + l + "' is or was extractable");
  }
  CK_MECHANISM mech{CKM_SHA256_HMAC, nullptr, 0};
  WQ_TRY(Check(f->C_SignInit(s, &mech, found[0]), "C_SignInit (HMAC)"));
  Bytes mac(32);
  CK_ULONG n = mac.size();
  WQ_TRY(Check(f->C_Sign(s, const_cast<CK_BYTE*>(data.data()), data.size(), mac.data(), &n), "C_Sign (HMAC)"));
  if (n != 32) return Fail(Errc::kCrypto, "token returned a " + std::to_string(n) + "-byte HMAC");
  return mac;
}

}  // namespace wathiq::keys
