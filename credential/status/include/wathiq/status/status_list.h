// Wathiq status: the Status List itself (IETF OAuth Token Status List §4): a byte array of entries of
// 1, 2, 4 or 8 bits, packed from the least significant bit of each byte, compressed with zlib.
//
// Guarantees:
//  - Compress() is zlib (RFC 1950) at level 9 with zlib's default window and memory level: it reproduces
//    the draft's example encodings byte for byte, so two issuers with the same list publish the same bytes.
//  - Decompress() never allocates more than bits * max_entries / 8 bytes (plus a small buffer): a zlib
//    bomb stops at the cap with kLimit after reading only as much input as produced the cap.
//  - Get() is O(1): one byte load, a shift and a mask, with no branch on the stored value.
// A list's size in entries is its byte length * 8 / bits (the wire format carries no separate count).
// Thread-safety: a value type; const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "wathiq/core/result.h"

namespace wathiq::status {

// The status values the draft registers; other values (3, and 4..255 for wider lists) are
// application-specific and reported as they are.
inline constexpr uint8_t kStatusValid = 0;
inline constexpr uint8_t kStatusInvalid = 1;  // revoked, final
inline constexpr uint8_t kStatusSuspended = 2;

// Default cap on entries a parsed list may hold: 2^24 (4 MiB decompressed at 2 bits).
inline constexpr uint64_t kDefaultMaxEntries = uint64_t{1} << 24;

// True for 1, 2, 4 and 8.
bool IsValidBits(int bits);

class StatusList {
 public:
  // A list of at least `entries` entries, all VALID, rounded up to whole bytes. kInvalidArgument for
  // bits outside {1,2,4,8}, zero entries, or more than max_entries.
  static Result<StatusList> Create(int bits, uint64_t entries, uint64_t max_entries = kDefaultMaxEntries);
  // Adopts already packed bytes (non-empty).
  static Result<StatusList> FromPacked(int bits, Bytes packed, uint64_t max_entries = kDefaultMaxEntries);
  // Inflates `lst`. kLimit when it inflates beyond bits * max_entries / 8 bytes (a bomb, or a list larger
  // than the deployment declares), kMalformed for a corrupt stream or an empty list.
  static Result<StatusList> Decompress(int bits, ByteView lst, uint64_t max_entries = kDefaultMaxEntries);

  int bits() const { return bits_; }
  uint64_t size() const { return packed_.size() * 8 / static_cast<unsigned>(bits_); }
  const Bytes& packed() const { return packed_; }

  // The entry at `index`, or nullopt when index >= size().
  std::optional<uint8_t> Get(uint64_t index) const;
  // kInvalidArgument when index >= size() or value does not fit in bits().
  Status Set(uint64_t index, uint8_t value);
  // zlib, level 9 (see above).
  Bytes Compress() const;

 private:
  StatusList(int bits, Bytes packed) : bits_(bits), packed_(std::move(packed)) {}
  int bits_ = 1;
  Bytes packed_;
};

}  // namespace wathiq::status
