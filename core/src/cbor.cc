#include "wathiq/core/cbor.h"

#include <cbor.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "wathiq/core/crypto.h"

namespace wathiq::cbor {

// ---------------------------------------------------------------------------------------------------------
// Value

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kUnsigned: return "unsigned integer";
    case Type::kNegative: return "negative integer";
    case Type::kBytes: return "byte string";
    case Type::kText: return "text string";
    case Type::kArray: return "array";
    case Type::kMap: return "map";
    case Type::kTag: return "tag";
    case Type::kBool: return "bool";
    case Type::kNull: return "null";
    case Type::kUndefined: return "undefined";
    case Type::kFloat: return "float";
    case Type::kSimple: return "simple value";
  }
  return "?";
}

Value Value::Int(int64_t i) {
  if (i >= 0) return Uint(static_cast<uint64_t>(i));
  return NegativeFromRaw(static_cast<uint64_t>(-(i + 1)));
}

Value Value::Tag(uint64_t tag, Value inner) {
  return Value(Tagged{tag, std::make_shared<const Value>(std::move(inner))});
}

Value Value::EncodedCbor(const Value& v) { return Tag(kTagEncodedCbor, Bytes(Encode(v))); }

Type Value::type() const {
  return static_cast<Type>(v_.index());  // Storage's alternatives are declared in Type's order
}

#define WQ_CBOR_GET(T, expr)        \
  if (auto* p = std::get_if<T>(&v_)) \
    return expr;                    \
  std::abort()

uint64_t Value::uint() const { WQ_CBOR_GET(Unsigned, p->v); }
uint64_t Value::negative_raw() const { WQ_CBOR_GET(Negative, p->n); }
const wathiq::Bytes& Value::bytes() const { WQ_CBOR_GET(ByteString, p->v); }
const std::string& Value::text() const { WQ_CBOR_GET(TextString, p->v); }
const cbor::Array& Value::array() const { WQ_CBOR_GET(cbor::Array, *p); }
cbor::Array& Value::array() { WQ_CBOR_GET(cbor::Array, *p); }
const cbor::Map& Value::map() const { WQ_CBOR_GET(cbor::Map, *p); }
cbor::Map& Value::map() { WQ_CBOR_GET(cbor::Map, *p); }
bool Value::boolean() const { WQ_CBOR_GET(Boolean, p->v); }
double Value::float_value() const { WQ_CBOR_GET(FloatT, p->v); }
uint8_t Value::simple_value() const { WQ_CBOR_GET(SimpleT, p->v); }
uint64_t Value::tag() const { WQ_CBOR_GET(Tagged, p->tag); }
const Value& Value::tagged() const { WQ_CBOR_GET(Tagged, *p->inner); }
#undef WQ_CBOR_GET

std::optional<int64_t> Value::AsInt() const {
  if (auto* u = std::get_if<Unsigned>(&v_)) {
    if (u->v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u->v);
  }
  if (auto* n = std::get_if<Negative>(&v_)) {
    if (n->n > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return -static_cast<int64_t>(n->n) - 1;
  }
  return std::nullopt;
}

const Value* Value::Find(std::string_view text_key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : map()) {
    if (k.is_text() && k.text() == text_key) return &v;
  }
  return nullptr;
}

const Value* Value::Find(int64_t int_key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : map()) {
    auto i = k.AsInt();
    if (i && *i == int_key) return &v;
  }
  return nullptr;
}

const Value* Value::Find(const Value& key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : map()) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value& Value::Set(Value key, Value value) {
  if (!is_map()) std::abort();
  map().emplace_back(std::move(key), std::move(value));
  return *this;
}

bool Value::operator==(const Value& o) const {
  if (v_.index() != o.v_.index()) return false;
  switch (type()) {
    case Type::kUnsigned: return uint() == o.uint();
    case Type::kNegative: return negative_raw() == o.negative_raw();
    case Type::kBytes: return bytes() == o.bytes();
    case Type::kText: return text() == o.text();
    case Type::kArray: return array() == o.array();
    case Type::kMap:  // unordered: equal when their deterministic encodings are
      return map().size() == o.map().size() && Encode(*this) == Encode(o);
    case Type::kTag: return tag() == o.tag() && tagged() == o.tagged();
    case Type::kBool: return boolean() == o.boolean();
    case Type::kNull:
    case Type::kUndefined: return true;
    case Type::kSimple: return simple_value() == o.simple_value();
    case Type::kFloat: {
      double a = float_value(), b = o.float_value();
      if (std::isnan(a) && std::isnan(b)) return true;  // deterministic encoding keeps no NaN payloads
      return std::memcmp(&a, &b, sizeof a) == 0;          // tells 0.0 from -0.0
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Half-precision helpers (RFC 8949 Appendix D).

namespace {

double HalfToDouble(uint16_t h) {
  int exp = (h >> 10) & 0x1f;
  int mant = h & 0x3ff;
  double val;
  if (exp == 0) val = std::ldexp(mant, -24);
  else if (exp != 31) val = std::ldexp(mant + 1024, exp - 25);
  else val = mant == 0 ? INFINITY : NAN;
  return (h & 0x8000) ? -val : val;
}

// The half-precision bits of d when d is exactly representable as a half, else nullopt.
std::optional<uint16_t> ExactHalf(double d) {
  if (std::isnan(d)) return uint16_t{0x7e00};
  uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  double a = std::fabs(d);
  if (std::isinf(a)) return static_cast<uint16_t>(sign | 0x7c00);
  if (a == 0) return sign;
  int e;
  double m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  // normal half: a = (1 + f/1024) * 2^(E-15), E in [1,30]  <=> e-1 in [-14, 15]
  if (e - 1 >= -14 && e - 1 <= 15) {
    double f = (m * 2 - 1) * 1024;
    if (f != std::floor(f)) return std::nullopt;
    return static_cast<uint16_t>(sign | ((e - 1 + 15) << 10) | static_cast<uint16_t>(f));
  }
  // subnormal: a = f * 2^-24, f in [1, 1023]
  double f = std::ldexp(a, 24);
  if (f >= 1 && f < 1024 && f == std::floor(f)) return static_cast<uint16_t>(sign | static_cast<uint16_t>(f));
  return std::nullopt;
}

bool ExactFloat(double d) {
  if (std::isnan(d)) return true;
  return static_cast<double>(static_cast<float>(d)) == d;
}

bool IsValidUtf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Decoder

class Decoder {
 public:
  Decoder(ByteView in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  Result<Value> DecodeAll() {
    if (in_.size() > limits_.max_input) {
      return Fail(Errc::kLimit, "cbor: input of " + std::to_string(in_.size()) + " bytes exceeds the cap of " +
                                    std::to_string(limits_.max_input));
    }
    if (in_.empty()) return Fail(Errc::kMalformed, "cbor: empty input");
    WQ_ASSIGN(Value v, Item(0));
    if (pos_ != in_.size()) {
      return Fail(Errc::kMalformed, "cbor: " + std::to_string(in_.size() - pos_) + " trailing bytes at offset " +
                                        std::to_string(pos_));
    }
    return v;
  }

 private:
  bool deterministic() const { return limits_.strictness == Strictness::kDeterministic; }
  size_t left() const { return in_.size() - pos_; }
  // Bytes left for the item being read: the items that enclosing definite-length containers declared but
  // have not started yet each need at least one byte after it (owed_ <= left() always holds).
  size_t avail() const { return left() > owed_ ? left() - owed_ : 0; }
  std::string Owed() const {
    return owed_ ? " (" + std::to_string(owed_) + " more are owed to items the enclosing containers declared)" : "";
  }
  // A container's vector never grows ahead of the items actually read by more than this many elements:
  // a declared count, even an honest one, only reserves up to here and the rest grows geometrically, so
  // the memory held stays proportional to the bytes read, at every nesting level together.
  static constexpr size_t kMaxReserve = 256;
  std::string At(size_t off) const { return " at offset " + std::to_string(off); }

  tl::unexpected<Error> Malformed(const std::string& rule, size_t off) const {
    return Fail(Errc::kMalformed, "cbor: " + rule + At(off));
  }

  struct Head {
    uint8_t major;
    uint8_t ai;
    uint64_t arg;
    bool indefinite;
    size_t offset;
  };

  // Reads an initial byte and its argument, enforcing shortest form in deterministic mode.
  Result<Head> ReadHead() {
    Head h{};
    h.offset = pos_;
    if (avail() < 1) return Malformed("truncated: expected a data item", pos_);
    uint8_t ib = in_[pos_++];
    h.major = ib >> 5;
    h.ai = ib & 0x1f;
    if (h.ai < 24) {
      h.arg = h.ai;
      return h;
    }
    if (h.ai >= 28 && h.ai <= 30) return Malformed("reserved additional information " + std::to_string(h.ai), h.offset);
    if (h.ai == 31) {
      if (h.major == 0 || h.major == 1 || h.major == 6) {
        return Malformed("indefinite length is not allowed for major type " + std::to_string(h.major), h.offset);
      }
      h.indefinite = true;
      return h;
    }
    size_t n = size_t{1} << (h.ai - 24);
    if (avail() < n) {
      return Malformed("truncated: argument needs " + std::to_string(n) + " bytes, " + std::to_string(avail()) +
                           " left" + Owed(),
                       h.offset);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | in_[pos_ + i];
    pos_ += n;
    h.arg = v;
    // Floats (major 7, ai 25..27) are checked for shortest form separately.
    if (deterministic() && !(h.major == 7 && h.ai >= 25)) {
      bool minimal = (h.ai == 24 && v >= 24) || (h.ai == 25 && v > 0xff) || (h.ai == 26 && v > 0xffff) ||
                     (h.ai == 27 && v > 0xffffffffULL);
      if (!minimal) return Malformed("non-minimal encoding of integer or length " + std::to_string(v), h.offset);
    }
    return h;
  }

  Status CountItem(size_t off) {
    if (++items_ > limits_.max_items) {
      return Fail(Errc::kLimit, "cbor: more than " + std::to_string(limits_.max_items) + " data items" + At(off));
    }
    return Ok();
  }

  Result<Value> Item(size_t depth) {
    if (depth > limits_.max_depth) {
      return Fail(Errc::kLimit, "cbor: nesting deeper than " + std::to_string(limits_.max_depth) + At(pos_));
    }
    WQ_ASSIGN(Head h, ReadHead());
    WQ_TRY(CountItem(h.offset));
    switch (h.major) {
      case 0: return Value::Uint(h.arg);
      case 1: return Value::NegativeFromRaw(h.arg);
      case 2:
      case 3: return String(h);
      case 4: return ArrayItem(h, depth);
      case 5: return MapItem(h, depth);
      case 6: {
        WQ_ASSIGN(Value inner, Item(depth + 1));
        WQ_TRY(CheckTagContent(h, inner));
        return Value::Tag(h.arg, std::move(inner));
      }
      default: return Simple(h);
    }
  }

  Status CheckTagContent(const Head& h, const Value& inner) {
    switch (h.arg) {
      case kTagTdate:
      case kTagFullDate:
        if (!inner.is_text()) return Malformed("tag " + std::to_string(h.arg) + " must enclose a text string", h.offset);
        break;
      case kTagEncodedCbor:
        if (!inner.is_bytes()) return Malformed("tag 24 must enclose a byte string", h.offset);
        break;
      default: break;
    }
    return Ok();
  }

  Result<Value> String(const Head& h) {
    wathiq::Bytes data;
    if (h.indefinite) {
      if (deterministic()) return Malformed("indefinite-length string in deterministic encoding", h.offset);
      while (true) {
        if (avail() < 1) return Malformed("truncated indefinite-length string", h.offset);
        if (in_[pos_] == 0xff) {
          ++pos_;
          break;
        }
        WQ_ASSIGN(Head c, ReadHead());
        WQ_TRY(CountItem(c.offset));
        if (c.major != h.major || c.indefinite) {
          return Malformed("chunk of an indefinite-length string must be a definite string of the same type", c.offset);
        }
        if (c.arg > avail()) {
          return Malformed("declared length " + std::to_string(c.arg) + " exceeds the " + std::to_string(avail()) +
                               " bytes left" + Owed(),
                           c.offset);
        }
        if (h.major == 3 && !IsValidUtf8(in_.data() + pos_, c.arg)) return Malformed("invalid UTF-8 in text chunk", c.offset);
        data.insert(data.end(), in_.begin() + static_cast<long>(pos_), in_.begin() + static_cast<long>(pos_ + c.arg));
        pos_ += c.arg;
      }
    } else {
      if (h.arg > avail()) {
        return Malformed("declared length " + std::to_string(h.arg) + " exceeds the " + std::to_string(avail()) +
                             " bytes left" + Owed(),
                         h.offset);
      }
      data.assign(in_.begin() + static_cast<long>(pos_), in_.begin() + static_cast<long>(pos_ + h.arg));
      pos_ += h.arg;
    }
    if (h.major == 2) return Value::Bytes(std::move(data));
    if (!IsValidUtf8(data.data(), data.size())) return Malformed("invalid UTF-8 in text string", h.offset);
    return Value::Text(std::string(data.begin(), data.end()));
  }

  Result<Value> ArrayItem(const Head& h, size_t depth) {
    cbor::Array arr;
    if (h.indefinite) {
      if (deterministic()) return Malformed("indefinite-length array in deterministic encoding", h.offset);
      while (true) {
        if (avail() < 1) return Malformed("truncated indefinite-length array", h.offset);
        if (in_[pos_] == 0xff) {
          ++pos_;
          break;
        }
        WQ_ASSIGN(Value v, Item(depth + 1));
        arr.push_back(std::move(v));
      }
      return Value::MakeArray(std::move(arr));
    }
    // Every item takes at least one byte: a count beyond the bytes left cannot be honest.
    if (h.arg > avail()) {
      return Malformed("array declares " + std::to_string(h.arg) + " items but only " + std::to_string(avail()) +
                           " bytes are left" + Owed(),
                       h.offset);
    }
    if (h.arg > limits_.max_items) {
      return Fail(Errc::kLimit, "cbor: array of " + std::to_string(h.arg) + " items exceeds the cap" + At(h.offset));
    }
    arr.reserve(std::min<size_t>(h.arg, kMaxReserve));
    owed_ += h.arg;
    for (uint64_t i = 0; i < h.arg; ++i) {
      --owed_;  // this item starts now
      WQ_ASSIGN(Value v, Item(depth + 1));
      arr.push_back(std::move(v));
    }
    return Value::MakeArray(std::move(arr));
  }

  Result<Value> MapItem(const Head& h, size_t depth) {
    cbor::Map m;
    // Deterministic mode compares each key's bytes in the input with the previous key's, in place;
    // well-formed mode collects canonical key encodings (with their offsets) to look for duplicates.
    ByteView prev_key;
    bool have_prev = false;
    struct KeyEntry {
      size_t offset, length;  // in key_bytes
      size_t key_start;       // in the input, for the error message
    };
    wathiq::Bytes key_bytes;
    std::vector<KeyEntry> keys;
    // `owing` when the map has a definite length: its key and value were counted in owed_.
    auto add = [&](size_t key_start, bool owing) -> Status {
      if (owing) --owed_;
      WQ_ASSIGN(Value k, Item(depth + 1));
      size_t key_end = pos_;
      if (owing) --owed_;
      WQ_ASSIGN(Value v, Item(depth + 1));
      if (deterministic()) {
        ByteView raw = in_.subspan(key_start, key_end - key_start);
        if (have_prev) {
          auto cmp = std::lexicographical_compare_three_way(prev_key.begin(), prev_key.end(), raw.begin(), raw.end());
          if (cmp == 0) return Malformed("duplicate map key", key_start);
          if (cmp > 0) return Malformed("map keys not in deterministic (bytewise) order", key_start);
        }
        prev_key = raw;
        have_prev = true;
      } else {
        size_t start = key_bytes.size();
        EncodeTo(k, key_bytes);
        keys.push_back({start, key_bytes.size() - start, key_start});
      }
      m.emplace_back(std::move(k), std::move(v));
      return Ok();
    };
    if (h.indefinite) {
      if (deterministic()) return Malformed("indefinite-length map in deterministic encoding", h.offset);
      while (true) {
        if (avail() < 1) return Malformed("truncated indefinite-length map", h.offset);
        if (in_[pos_] == 0xff) {
          ++pos_;
          break;
        }
        WQ_TRY(add(pos_, false));
      }
    } else {
      if (h.arg > avail() / 2) {
        return Malformed("map declares " + std::to_string(h.arg) + " pairs but only " + std::to_string(avail()) +
                             " bytes are left" + Owed(),
                         h.offset);
      }
      if (h.arg > limits_.max_items) {
        return Fail(Errc::kLimit, "cbor: map of " + std::to_string(h.arg) + " pairs exceeds the cap" + At(h.offset));
      }
      m.reserve(std::min<size_t>(h.arg, kMaxReserve));
      owed_ += 2 * h.arg;
      for (uint64_t i = 0; i < h.arg; ++i) WQ_TRY(add(pos_, true));
    }
    if (!deterministic() && keys.size() > 1) {
      // Canonical encodings in one buffer, compared as spans (as Encode does): sorting a vector of
      // vectors made GCC 12 at -O3 see an unbounded memcmp inside vector's operator<=> (stringop-overread).
      auto span_of = [&](const KeyEntry& e) { return ByteView(key_bytes.data() + e.offset, e.length); };
      std::sort(keys.begin(), keys.end(), [&](const KeyEntry& a, const KeyEntry& b) {
        ByteView x = span_of(a), y = span_of(b);
        return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
      });
      for (size_t i = 1; i < keys.size(); ++i) {
        ByteView x = span_of(keys[i - 1]), y = span_of(keys[i]);
        if (std::equal(x.begin(), x.end(), y.begin(), y.end())) {
          return Malformed("duplicate map key", std::max(keys[i].key_start, keys[i - 1].key_start));
        }
      }
    }
    return Value::MakeMap(std::move(m));
  }

  Result<Value> Simple(const Head& h) {
    if (h.indefinite) return Malformed("unexpected break byte", h.offset);
    switch (h.ai) {
      case 20: return Value::Bool(false);
      case 21: return Value::Bool(true);
      case 22: return Value::Null();
      case 23: return Value::Undefined();
      case 24:
        if (h.arg < 32) return Malformed("simple value " + std::to_string(h.arg) + " in two-byte form", h.offset);
        return Value::Simple(static_cast<uint8_t>(h.arg));
      case 25: {
        double d = HalfToDouble(static_cast<uint16_t>(h.arg));
        if (deterministic() && std::isnan(d) && h.arg != 0x7e00) return Malformed("non-canonical NaN", h.offset);
        return Value::Float(d);
      }
      case 26: {
        float f;
        uint32_t bits = static_cast<uint32_t>(h.arg);
        std::memcpy(&f, &bits, sizeof f);
        double d = f;
        if (deterministic() && ExactHalf(d)) return Malformed("float not in its shortest form", h.offset);
        return Value::Float(d);
      }
      case 27: {
        double d;
        std::memcpy(&d, &h.arg, sizeof d);
        if (deterministic() && ExactFloat(d)) return Malformed("float not in its shortest form", h.offset);
        return Value::Float(d);
      }
      default: return Value::Simple(h.ai);
    }
  }

  ByteView in_;
  const DecodeLimits& limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
  size_t owed_ = 0;  // items declared by open definite-length arrays and maps, not yet started
};

// ---------------------------------------------------------------------------------------------------------
// Encoder

void PutHead(wathiq::Bytes& out, size_t (*fn)(uint64_t, unsigned char*, size_t), uint64_t arg) {
  unsigned char buf[9];
  size_t n = fn(arg, buf, sizeof buf);
  out.insert(out.end(), buf, buf + n);
}

size_t EncUint(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_uint(v, b, n); }
size_t EncNeg(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_negint(v, b, n); }
size_t EncBytes(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_bytestring_start(v, b, n); }
size_t EncText(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_string_start(v, b, n); }
size_t EncArray(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_array_start(v, b, n); }
size_t EncMap(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_map_start(v, b, n); }
size_t EncTag(uint64_t v, unsigned char* b, size_t n) { return cbor_encode_tag(v, b, n); }

}  // namespace

Result<Value> Decode(ByteView data, const DecodeLimits& limits) { return Decoder(data, limits).DecodeAll(); }

void EncodeTo(const Value& v, wathiq::Bytes& out) {
  switch (v.type()) {
    case Type::kUnsigned: PutHead(out, EncUint, v.uint()); break;
    case Type::kNegative: PutHead(out, EncNeg, v.negative_raw()); break;
    case Type::kBytes:
      PutHead(out, EncBytes, v.bytes().size());
      out.insert(out.end(), v.bytes().begin(), v.bytes().end());
      break;
    case Type::kText:
      PutHead(out, EncText, v.text().size());
      out.insert(out.end(), v.text().begin(), v.text().end());
      break;
    case Type::kArray:
      PutHead(out, EncArray, v.array().size());
      for (const auto& e : v.array()) EncodeTo(e, out);
      break;
    case Type::kMap: {
      PutHead(out, EncMap, v.map().size());
      // Keys are encoded once into one scratch buffer and sorted by their bytes (RFC 8949 §4.2.1).
      struct Entry {
        size_t offset, length;
        const Value* value;
      };
      wathiq::Bytes keys;
      std::vector<Entry> entries;
      entries.reserve(v.map().size());
      for (const auto& [k, val] : v.map()) {
        size_t start = keys.size();
        EncodeTo(k, keys);
        entries.push_back({start, keys.size() - start, &val});
      }
      auto span_of = [&](const Entry& e) { return ByteView(keys.data() + e.offset, e.length); };
      std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
        ByteView x = span_of(a), y = span_of(b);
        return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
      });
      for (size_t i = 0; i < entries.size(); ++i) {
        ByteView k = span_of(entries[i]);
        if (i > 0) {
          ByteView prev = span_of(entries[i - 1]);
          if (std::equal(prev.begin(), prev.end(), k.begin(), k.end())) std::abort();  // duplicate key: a bug
        }
        out.insert(out.end(), k.begin(), k.end());
        EncodeTo(*entries[i].value, out);
      }
      break;
    }
    case Type::kTag:
      PutHead(out, EncTag, v.tag());
      EncodeTo(v.tagged(), out);
      break;
    case Type::kBool: out.push_back(v.boolean() ? 0xf5 : 0xf4); break;
    case Type::kNull: out.push_back(0xf6); break;
    case Type::kUndefined: out.push_back(0xf7); break;
    case Type::kSimple:
      if (v.simple_value() < 24) {
        out.push_back(static_cast<uint8_t>(0xe0 | v.simple_value()));
      } else {
        out.push_back(0xf8);
        out.push_back(v.simple_value());
      }
      break;
    case Type::kFloat: {
      double d = v.float_value();
      if (auto h = ExactHalf(d)) {
        out.push_back(0xf9);
        out.push_back(static_cast<uint8_t>(*h >> 8));
        out.push_back(static_cast<uint8_t>(*h & 0xff));
      } else {
        unsigned char buf[9];
        size_t n = ExactFloat(d) ? cbor_encode_single(static_cast<float>(d), buf, sizeof buf)
                                 : cbor_encode_double(d, buf, sizeof buf);
        out.insert(out.end(), buf, buf + n);
      }
      break;
    }
  }
}

void AppendHead(wathiq::Bytes& out, uint8_t major_type, uint64_t argument) {
  unsigned char buf[9];
  size_t n = cbor_encode_uint(argument, buf, sizeof buf);
  buf[0] = static_cast<unsigned char>((buf[0] & 0x1f) | (major_type << 5));
  out.insert(out.end(), buf, buf + n);
}

wathiq::Bytes WrapEncodedCbor(ByteView encoded) {
  wathiq::Bytes out;
  out.reserve(encoded.size() + 11);
  AppendHead(out, 6, kTagEncodedCbor);
  AppendHead(out, 2, encoded.size());
  out.insert(out.end(), encoded.begin(), encoded.end());
  return out;
}

wathiq::Bytes Encode(const Value& v) {
  wathiq::Bytes out;
  EncodeTo(v, out);
  return out;
}

Result<Value> DecodeEmbedded(const Value& tagged_bstr, const DecodeLimits& limits, bool allow_untagged) {
  const Value* inner = &tagged_bstr;
  if (tagged_bstr.is_tag()) {
    if (tagged_bstr.tag() != kTagEncodedCbor) {
      return Fail(Errc::kMalformed, "cbor: expected tag 24, found tag " + std::to_string(tagged_bstr.tag()));
    }
    inner = &tagged_bstr.tagged();
  } else if (!allow_untagged) {
    return Fail(Errc::kMalformed, "cbor: expected #6.24(bstr), found " + std::string(TypeName(tagged_bstr.type())));
  }
  if (!inner->is_bytes()) return Fail(Errc::kMalformed, "cbor: tag 24 must enclose a byte string");
  return Decode(inner->bytes(), limits);
}

namespace {
void Diag(const Value& v, std::string& out) {
  switch (v.type()) {
    case Type::kUnsigned: out += std::to_string(v.uint()); break;
    case Type::kNegative:
      if (v.negative_raw() < static_cast<uint64_t>(INT64_MAX)) out += std::to_string(-static_cast<int64_t>(v.negative_raw()) - 1);
      else out += "-1-" + std::to_string(v.negative_raw());
      break;
    case Type::kBytes: out += "h'" + ToHex(v.bytes()) + "'"; break;
    case Type::kText: {
      out += '"';
      for (char c : v.text()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
      break;
    }
    case Type::kArray: {
      out += '[';
      bool first = true;
      for (const auto& e : v.array()) {
        if (!first) out += ", ";
        first = false;
        Diag(e, out);
      }
      out += ']';
      break;
    }
    case Type::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.map()) {
        if (!first) out += ", ";
        first = false;
        Diag(k, out);
        out += ": ";
        Diag(val, out);
      }
      out += '}';
      break;
    }
    case Type::kTag:
      out += std::to_string(v.tag()) + "(";
      Diag(v.tagged(), out);
      out += ')';
      break;
    case Type::kBool: out += v.boolean() ? "true" : "false"; break;
    case Type::kNull: out += "null"; break;
    case Type::kUndefined: out += "undefined"; break;
    case Type::kSimple: out += "simple(" + std::to_string(v.simple_value()) + ")"; break;
    case Type::kFloat: {
      double d = v.float_value();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        std::string s(buf);
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        out += s;
      }
      break;
    }
  }
}
}  // namespace

std::string Diagnostic(const Value& v) {
  std::string s;
  Diag(v, s);
  return s;
}

}  // namespace wathiq::cbor
