// Wathiq core: COSE_Sign1 (RFC 9052) build and verify, and COSE_Key (RFC 9052 §7) for EC2/OKP keys.
//
// Guarantees: verification checks the signature over Sig_structure ["Signature1", protected bytes as
// received, external_aad, payload]; `alg` must be present, supported and must match the verifier's key;
// unknown `crit` labels are rejected; `alg` in the unprotected header is accepted only when the caller
// sets allow_unprotected_alg. Everything we build puts `alg` in the protected header and encodes
// deterministically. Tag 18 is optional on input.
#pragma once

#include <optional>

#include "wathiq/core/cbor.h"
#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"

namespace wathiq::cose {

// Header labels (IANA "COSE Header Parameters").
inline constexpr int64_t kHdrAlg = 1;
inline constexpr int64_t kHdrCrit = 2;
inline constexpr int64_t kHdrContentType = 3;
inline constexpr int64_t kHdrKid = 4;
inline constexpr int64_t kHdrType = 16;
inline constexpr int64_t kHdrX5Chain = 33;

struct Sign1 {
  Bytes protected_bytes;         // exactly as received (empty bstr means no protected headers)
  cbor::Value protected_map;     // decoded protected_bytes (empty map when none)
  cbor::Value unprotected;       // map
  std::optional<Bytes> payload;  // nullopt when detached (nil)
  Bytes signature;

  // The header value from protected, else unprotected; nullptr if neither.
  const cbor::Value* Header(int64_t label) const;
  // The algorithm; only protected unless allow_unprotected.
  Result<Alg> GetAlg(bool allow_unprotected = false) const;
  std::optional<Bytes> kid() const;
  // x5chain as a list of DER certificates (a single bstr or an array of bstr).
  Result<std::vector<Bytes>> x5chain() const;
  cbor::Value ToValue(bool tagged) const;
};

// Parses a COSE_Sign1 (tagged or not) from bytes or an already decoded value.
Result<Sign1> ParseSign1(ByteView data, const cbor::DecodeLimits& limits = {});
Result<Sign1> Sign1FromValue(const cbor::Value& v, const cbor::DecodeLimits& limits = {});

struct BuildOptions {
  cbor::Value protected_extra = cbor::Value::MakeMap();  // besides alg, e.g. kid, typ
  cbor::Value unprotected = cbor::Value::MakeMap();
  Bytes external_aad;
  bool detached = false;
  bool tagged = false;
};
// Builds and signs a COSE_Sign1 with {1: signer.alg()} plus protected_extra in the protected header.
Result<Sign1> BuildSign1(const Signer& signer, ByteView payload, const BuildOptions& options = {});
Result<Bytes> SignSign1(const Signer& signer, ByteView payload, const BuildOptions& options = {});

struct VerifyOptions {
  Bytes external_aad;
  std::optional<Bytes> detached_payload;  // required iff the message's payload is nil
  bool allow_unprotected_alg = false;
  std::vector<int64_t> understood_crit;  // labels the caller processes beyond the standard ones
};
// kBadSignature if the signature fails; kUnsupported for an unknown alg; kMalformed for shape errors;
// kInvalidArgument when alg does not match the verifier's key.
Status VerifySign1(const Sign1& msg, const Verifier& verifier, const VerifyOptions& options = {});
// The Sig_structure bytes that are signed.
Bytes SigStructure(ByteView protected_bytes, ByteView external_aad, ByteView payload);

// COSE_Key: EC2 (kty 2, crv 1/2/3) and OKP (kty 1, crv 6 Ed25519 / 7 Ed448) public keys.
Result<PublicKey> PublicKeyFromCoseKey(const cbor::Value& key);
cbor::Value CoseKeyFromPublicKey(const PublicKey& key);

}  // namespace wathiq::cose
