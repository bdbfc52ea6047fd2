#include "wathiq/status/status_list.h"

#include <string>

#include "wathiq/core/zlib.h"

namespace wathiq::status {
namespace {

// Bytes needed for `entries` entries; callers have bounded entries by max_entries (<= 2^61 keeps this exact).
uint64_t BytesFor(int bits, uint64_t entries) { return (entries * static_cast<uint64_t>(bits) + 7) / 8; }

Status CheckBitsAndCap(int bits, uint64_t max_entries) {
  if (!IsValidBits(bits)) {
    return Fail(Errc::kInvalidArgument, "status list: bits must be 1, 2, 4 or 8, not " + std::to_string(bits));
  }
  // A cap above 2^32 entries would let a token demand gigabytes; no deployment needs that.
  if (max_entries == 0 || max_entries > (uint64_t{1} << 32)) {
    return Fail(Errc::kInvalidArgument, "status list: max_entries must be in 1..2^32");
  }
  return Ok();
}

}  // namespace

bool IsValidBits(int bits) { return bits == 1 || bits == 2 || bits == 4 || bits == 8; }

Result<StatusList> StatusList::Create(int bits, uint64_t entries, uint64_t max_entries) {
  WQ_TRY(CheckBitsAndCap(bits, max_entries));
  if (entries == 0) return Fail(Errc::kInvalidArgument, "status list: a list holds at least one entry");
  if (entries > max_entries) {
    return Fail(Errc::kInvalidArgument, "status list: " + std::to_string(entries) + " entries exceed the cap of " +
                                            std::to_string(max_entries));
  }
  return StatusList(bits, Bytes(BytesFor(bits, entries), 0));
}

Result<StatusList> StatusList::FromPacked(int bits, Bytes packed, uint64_t max_entries) {
  WQ_TRY(CheckBitsAndCap(bits, max_entries));
  if (packed.empty()) return Fail(Errc::kMalformed, "status list: empty list");
  if (packed.size() > BytesFor(bits, max_entries)) {
    return Fail(Errc::kLimit, "status list: " + std::to_string(packed.size()) + " bytes exceed the cap of " +
                                  std::to_string(max_entries) + " entries");
  }
  return StatusList(bits, std::move(packed));
}

Result<StatusList> StatusList::Decompress(int bits, ByteView lst, uint64_t max_entries) {
  WQ_TRY(CheckBitsAndCap(bits, max_entries));
  auto raw = zlib::Inflate(lst, BytesFor(bits, max_entries));
  if (!raw) {
    if (raw.error().code == Errc::kLimit) {
      return Fail(Errc::kLimit, "status list: lst inflates beyond the declared maximum of " +
                                    std::to_string(max_entries) + " entries of " + std::to_string(bits) + " bits");
    }
    return Wrap("status list lst", raw.error());
  }
  if (raw->empty()) return Fail(Errc::kMalformed, "status list: lst inflates to an empty list");
  return StatusList(bits, std::move(*raw));
}

std::optional<uint8_t> StatusList::Get(uint64_t index) const {
  if (index >= size()) return std::nullopt;
  // bits is a power of two dividing 8, so an entry never straddles a byte.
  const unsigned b = static_cast<unsigned>(bits_);
  const uint64_t bit = index * b;
  const unsigned mask = (1u << b) - 1u;
  return static_cast<uint8_t>((packed_[bit >> 3] >> (bit & 7)) & mask);
}

Status StatusList::Set(uint64_t index, uint8_t value) {
  if (index >= size()) {
    return Fail(Errc::kInvalidArgument, "status list: index " + std::to_string(index) + " is beyond the list of " +
                                            std::to_string(size()) + " entries");
  }
  const unsigned b = static_cast<unsigned>(bits_);
  const unsigned mask = (1u << b) - 1u;
  if (value > mask) {
    return Fail(Errc::kInvalidArgument,
                "status list: value " + std::to_string(value) + " does not fit in " + std::to_string(b) + " bits");
  }
  const uint64_t bit = index * b;
  uint8_t& byte = packed_[bit >> 3];
  byte = static_cast<uint8_t>((byte & ~(mask << (bit & 7))) | (unsigned{value} << (bit & 7)));
  return Ok();
}

Bytes StatusList::Compress() const { return zlib::Deflate(packed_, 9); }

}  // namespace wathiq::status
