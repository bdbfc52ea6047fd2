// Wathiq core: CBOR (RFC 8949) values, a bounded strict decoder and a deterministic encoder.
//
// Guarantees:
//  - Decode() never allocates more than a small multiple of its input: every declared length and count
//    is checked against the bytes left (less one byte for each item that enclosing containers declared
//    and have not read yet) before anything is reserved, a container reserves at most 256 elements ahead
//    of the items it has actually read (so nested declared counts cannot add up), and depth, item count
//    and input size are capped (DecodeLimits). Trailing bytes, duplicate map keys and malformed items are
//    rejected, each with a message naming the rule and the byte offset.
//  - In Strictness::kDeterministic (the default) the decoder also enforces RFC 8949 §4.2.1 core
//    deterministic encoding: shortest integer, length and float forms, definite lengths only, map keys in
//    bytewise order of their encodings.
//  - Encode() always produces core deterministic encoding (map keys sorted by encoded bytes), so whatever
//    we sign or hash is reproducible.
// Byte strings hold their bytes verbatim: embedded CBOR (tag 24) is decoded on demand from the very bytes
// that were signed, never re-encoded before a check.
// Thread-safety: Value is a plain value type.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "wathiq/core/result.h"

namespace wathiq::cbor {

class Value;
using Array = std::vector<Value>;
using Map = std::vector<std::pair<Value, Value>>;  // insertion order; Encode() sorts

enum class Type { kUnsigned, kNegative, kBytes, kText, kArray, kMap, kTag, kBool, kNull, kUndefined, kFloat, kSimple };
std::string_view TypeName(Type t);

// Well-known tags.
inline constexpr uint64_t kTagTdate = 0;           // RFC 3339 date-time text
inline constexpr uint64_t kTagEncodedCbor = 24;    // bstr .cbor
inline constexpr uint64_t kTagCoseSign1 = 18;
inline constexpr uint64_t kTagFullDate = 1004;     // RFC 8943 full-date text

class Value {
 public:
  Value() : v_(NullT{}) {}  // null
  static Value Uint(uint64_t u) { return Value(Unsigned{u}); }
  // Any int64; negative values are stored as -1-n.
  static Value Int(int64_t i);
  // The negative integer -1-n (covers down to -2^64).
  static Value NegativeFromRaw(uint64_t n) { return Value(Negative{n}); }
  static Value Bytes(wathiq::Bytes b) { return Value(ByteString{std::move(b)}); }
  static Value Bytes(ByteView b) { return Value(ByteString{wathiq::Bytes(b.begin(), b.end())}); }
  static Value Text(std::string s) { return Value(TextString{std::move(s)}); }
  static Value Bool(bool b) { return Value(Boolean{b}); }
  static Value Null() { return Value(NullT{}); }
  static Value Undefined() { return Value(UndefinedT{}); }
  static Value Float(double d) { return Value(FloatT{d}); }
  // Unassigned simple values (RFC 8949 §3.3), kept so that any well-formed input decodes.
  static Value Simple(uint8_t v) { return Value(SimpleT{v}); }
  static Value MakeArray(cbor::Array a = {}) { return Value(std::move(a)); }
  static Value MakeMap(cbor::Map m = {}) { return Value(std::move(m)); }
  static Value Tag(uint64_t tag, Value inner);
  // #6.24(bstr .cbor v): encodes v deterministically and wraps it.
  static Value EncodedCbor(const Value& v);

  Type type() const;
  bool is_uint() const { return type() == Type::kUnsigned; }
  bool is_int() const { return type() == Type::kUnsigned || type() == Type::kNegative; }
  bool is_bytes() const { return type() == Type::kBytes; }
  bool is_text() const { return type() == Type::kText; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_map() const { return type() == Type::kMap; }
  bool is_tag() const { return type() == Type::kTag; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_null() const { return type() == Type::kNull; }
  bool is_float() const { return type() == Type::kFloat; }

  // Accessors abort if the type is wrong: check is_*() or use the Get*() forms first.
  uint64_t uint() const;
  const wathiq::Bytes& bytes() const;
  const std::string& text() const;
  const cbor::Array& array() const;
  cbor::Array& array();
  const cbor::Map& map() const;
  cbor::Map& map();
  bool boolean() const;
  double float_value() const;
  uint8_t simple_value() const;
  uint64_t tag() const;
  const Value& tagged() const;
  // The raw n of a negative integer -1-n.
  uint64_t negative_raw() const;

  // Typed optional getters that never abort.
  std::optional<int64_t> AsInt() const;  // unsigned or negative that fits int64
  const wathiq::Bytes* AsBytes() const { return is_bytes() ? &bytes() : nullptr; }
  const std::string* AsText() const { return is_text() ? &text() : nullptr; }
  const cbor::Array* AsArray() const { return is_array() ? &array() : nullptr; }
  const cbor::Map* AsMap() const { return is_map() ? &map() : nullptr; }

  // Map lookups (nullptr when this is not a map or the key is absent).
  const Value* Find(std::string_view text_key) const;
  const Value* Find(int64_t int_key) const;
  const Value* Find(const Value& key) const;
  // Appends a pair to a map (no duplicate check: Encode() aborts on duplicates).
  Value& Set(Value key, Value value);
  Value& Set(std::string_view key, Value value) { return Set(Text(std::string(key)), std::move(value)); }
  Value& Set(int64_t key, Value value) { return Set(Int(key), std::move(value)); }

  // Structural equality; maps compare as unordered sets of pairs.
  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  struct Unsigned { uint64_t v; };
  struct Negative { uint64_t n; };
  struct ByteString { wathiq::Bytes v; };
  struct TextString { std::string v; };
  struct Boolean { bool v; };
  struct NullT {};
  struct UndefinedT {};
  struct FloatT { double v; };
  struct SimpleT { uint8_t v; };
  struct Tagged {
    uint64_t tag;
    std::shared_ptr<const Value> inner;  // immutable once built, so sharing is safe
  };
  using Storage = std::variant<Unsigned, Negative, ByteString, TextString, cbor::Array, cbor::Map, Tagged,
                               Boolean, NullT, UndefinedT, FloatT, SimpleT>;
  template <class T>
  explicit Value(T t) : v_(std::move(t)) {}
  Storage v_;
};

enum class Strictness {
  kDeterministic,  // RFC 8949 §4.2.1 core deterministic encoding required
  kWellFormed,     // any valid encoding (indefinite lengths, non-minimal forms, any key order)
};

struct DecodeLimits {
  size_t max_input = 1 << 20;   // bytes
  size_t max_depth = 16;        // nesting of arrays, maps and tags
  size_t max_items = 1 << 16;   // data items in total
  Strictness strictness = Strictness::kDeterministic;
};

// Decodes exactly one data item that must span all of `data`.
Result<Value> Decode(ByteView data, const DecodeLimits& limits = {});

// Core deterministic encoding. Aborts on a map with duplicate keys (a programming error).
wathiq::Bytes Encode(const Value& v);
void EncodeTo(const Value& v, wathiq::Bytes& out);

// Writes a CBOR head (major type 0..7, shortest argument form).
void AppendHead(wathiq::Bytes& out, uint8_t major_type, uint64_t argument);
// The encoding of #6.24(bstr) around already encoded CBOR, with the bytes spliced verbatim.
wathiq::Bytes WrapEncodedCbor(ByteView encoded);

// Decodes the bytes inside #6.24(bstr) (or a plain bstr when allow_untagged).
Result<Value> DecodeEmbedded(const Value& tagged_bstr, const DecodeLimits& limits = {},
                             bool allow_untagged = false);

// CBOR diagnostic notation (RFC 8949 §8), for display and test messages.
std::string Diagnostic(const Value& v);

}  // namespace wathiq::cbor
