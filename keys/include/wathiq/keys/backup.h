// Wathiq keys: M-of-N backup of a software key (the national root) with Botan's RTSS threshold sharing.
//
// Each share is one line of text that custodians can print or write down:
//   WQSHARE1.<key id>.<alg>.<M>.<N>.<index>.<base64url RTSS share>.<checksum>
// where checksum = the first 4 bytes, hex, of SHA-256 over everything before the last '.'. RTSS itself
// (draft-mcgrew-tss-03) appends a SHA-256 of the secret that reconstruction checks.
// Guarantees:
//  - Any M distinct shares recover the key; recovery rebuilds the signer, checks that its key id equals the
//    one the shares name and makes a self-test signature. Fewer than M shares recover nothing (Shamir);
//    recovery refuses with kInvalidArgument and names how many are missing.
//  - A share whose text was damaged is named in the error by its position in the input and, if readable,
//    by its share index; shares of different keys or different M/N are refused.
//  - The secret exists only in sodium_malloc'd / Botan secure_vector memory during split and recovery, and
//    so do the shares (any M of them are the secret): split returns each line as a SecretText built in
//    place, recovery decodes share bodies straight into protected memory. Callers keep share text in
//    SecretText (SecretText::FromFile reads a share file) or wipe their own copies.
// Botan throws; every call into it is wrapped. Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::keys {

struct ShareInfo {
  std::string key_id;
  Alg alg = Alg::kES256;
  int threshold = 0;
  int count = 0;
  int index = 0;  // 1..count
};

// Splits a software key into `count` shares, any `threshold` of which recover it (2 <= M <= N <= 255).
Result<std::vector<SecretText>> SplitKeyForBackup(const Signer& key, int threshold, int count);
// Parses one share line and verifies its checksum.
Result<ShareInfo> InspectShare(std::string_view share);
// Recovers the key from at least `threshold` shares of the same split.
// The views point at the caller's share text (e.g. SecretText::text()); nothing here copies it unprotected.
Result<KeyHandle> RecoverKeyFromShares(const std::vector<std::string_view>& shares, std::string label = {});

}  // namespace wathiq::keys
