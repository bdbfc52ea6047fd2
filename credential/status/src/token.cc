#include "wathiq/status/token.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"

namespace wathiq::status {
namespace {

using cbor::Value;

// Our claims nest three maps deep; foreign tokens may add a little (the decoder's depth cap is global).
constexpr size_t kMaxDepth = 8;
constexpr size_t kMaxItems = 4096;

Result<uint64_t> RequireUint(const Value& claims, int64_t key, const char* name) {
  const Value* v = claims.Find(key);
  if (!v) return Fail(Errc::kMalformed, std::string("status list token: missing claim ") + name);
  if (!v->is_uint()) return Fail(Errc::kMalformed, std::string("status list token: claim ") + name + " must be an unsigned integer");
  return v->uint();
}

Status CheckTimes(uint64_t iat, uint64_t exp, uint64_t ttl) {
  // A list must not expire before the verifier is told to refresh it; written without overflow.
  if (exp < iat || exp - iat < ttl) {
    return Fail(Errc::kInvalidArgument, "status list token: exp (" + std::to_string(exp) + ") is earlier than iat + ttl (" +
                                            std::to_string(iat) + " + " + std::to_string(ttl) + ")");
  }
  return Ok();
}

Result<LogCheckpointRef> ParseCheckpointClaim(const Value& v) {
  if (!v.is_map()) return Fail(Errc::kMalformed, "status list token: log_checkpoint must be a map");
  if (v.map().size() != 3) return Fail(Errc::kMalformed, "status list token: log_checkpoint must hold exactly origin, size and root");
  const Value* origin = v.Find("origin");
  const Value* size = v.Find("size");
  const Value* root = v.Find("root");
  if (!origin || !origin->is_text() || origin->text().empty()) {
    return Fail(Errc::kMalformed, "status list token: log_checkpoint origin must be a non-empty text string");
  }
  if (!size || !size->is_uint()) return Fail(Errc::kMalformed, "status list token: log_checkpoint size must be an unsigned integer");
  if (size->uint() >= (uint64_t{1} << 63)) return Fail(Errc::kLimit, "status list token: log_checkpoint size is 2^63 or more");
  if (!root || !root->is_bytes() || root->bytes().size() != 32) {
    return Fail(Errc::kMalformed, "status list token: log_checkpoint root must be a 32-byte string");
  }
  LogCheckpointRef out;
  out.origin = origin->text();
  out.size = size->uint();
  std::copy(root->bytes().begin(), root->bytes().end(), out.root.begin());
  return out;
}

// The COSE layer of a token: tag 18 required, our header profile, payload present.
struct CoseLayer {
  cose::Sign1 sign1;
  Alg alg;
  Bytes kid;
};

Result<CoseLayer> ParseCose(ByteView token, const ParseOptions& options) {
  if (token.size() > options.max_token_bytes) {
    return Fail(Errc::kLimit, "status list token: " + std::to_string(token.size()) + " bytes exceed the cap of " +
                                  std::to_string(options.max_token_bytes));
  }
  cbor::DecodeLimits limits;
  limits.max_input = options.max_token_bytes;
  limits.max_depth = kMaxDepth;
  limits.max_items = kMaxItems;
  // Foreign encoders need not be deterministic (the draft's own example is not); the signature covers the
  // bytes as received, and duplicate keys, trailing bytes and malformed items are still refused.
  limits.strictness = cbor::Strictness::kWellFormed;
  auto outer = cbor::Decode(token, limits);
  if (!outer) return Wrap("status list token", outer.error());
  if (!outer->is_tag()) return Fail(Errc::kMalformed, "status list token: COSE_Sign1 tag 18 is required");
  if (outer->tag() == 61) return Fail(Errc::kMalformed, "status list token: the CWT tag 61 wrapper is not accepted");
  if (outer->tag() != cbor::kTagCoseSign1) {
    return Fail(Errc::kMalformed, "status list token: expected tag 18, found tag " + std::to_string(outer->tag()));
  }
  WQ_ASSIGN(cose::Sign1 s, cose::Sign1FromValue(*outer, limits));
  if (!s.payload) return Fail(Errc::kMalformed, "status list token: detached payload");
  WQ_ASSIGN(Alg alg, s.GetAlg(false));

  const Value* typ = s.protected_map.Find(cose::kHdrType);
  if (!typ || !typ->is_text() || typ->text() != kStatusListCwtType) {
    return Fail(Errc::kMalformed, "status list token: protected type (16) must be \"application/statuslist+cwt\"");
  }
  const Value* kid = s.protected_map.Find(cose::kHdrKid);
  if (!kid && options.allow_unprotected_kid) kid = s.unprotected.Find(cose::kHdrKid);
  if (!kid) return Fail(Errc::kMalformed, "status list token: protected kid (4) is required");
  if (!kid->is_bytes() || kid->bytes().empty()) return Fail(Errc::kMalformed, "status list token: kid must be a non-empty byte string");
  for (const auto& [k, _] : s.unprotected.map()) {
    if (!(options.allow_unprotected_kid && k.AsInt() == cose::kHdrKid)) {
      return Fail(Errc::kMalformed, "status list token: unexpected unprotected header " + cbor::Diagnostic(k));
    }
  }
  CoseLayer out{std::move(s), alg, kid->bytes()};
  return out;
}

Result<ParsedStatusListToken> ParseClaims(CoseLayer cose_layer, const ParseOptions& options) {
  cbor::DecodeLimits limits;
  limits.max_input = options.max_token_bytes;
  limits.max_depth = kMaxDepth;
  limits.max_items = kMaxItems;
  limits.strictness = cbor::Strictness::kWellFormed;
  auto decoded = cbor::Decode(*cose_layer.sign1.payload, limits);
  if (!decoded) return Wrap("status list token claims", decoded.error());
  const Value& c = *decoded;
  if (!c.is_map()) return Fail(Errc::kMalformed, "status list token: claims must be a map");

  StatusListClaims claims;
  const Value* sub = c.Find(kClaimSub);
  if (!sub || !sub->is_text() || sub->text().empty()) {
    return Fail(Errc::kMalformed, "status list token: sub (2) must be a non-empty text string");
  }
  claims.sub = sub->text();
  WQ_ASSIGN(claims.iat, RequireUint(c, kClaimIat, "iat (6)"));
  WQ_ASSIGN(claims.exp, RequireUint(c, kClaimExp, "exp (4)"));
  WQ_ASSIGN(claims.ttl, RequireUint(c, kClaimTtl, "ttl (65534)"));
  {
    auto t = CheckTimes(claims.iat, claims.exp, claims.ttl);
    if (!t) return Fail(Errc::kMalformed, t.error().message);
  }

  const Value* sl = c.Find(kClaimStatusList);
  if (!sl || !sl->is_map()) return Fail(Errc::kMalformed, "status list token: status_list (65533) must be a map");
  const Value* bits = sl->Find("bits");
  const Value* lst = sl->Find("lst");
  if (!bits || !bits->is_uint() || bits->uint() > 8 || !IsValidBits(static_cast<int>(bits->uint()))) {
    return Fail(Errc::kMalformed, "status list token: bits must be 1, 2, 4 or 8");
  }
  if (!lst || !lst->is_bytes()) return Fail(Errc::kMalformed, "status list token: lst must be a byte string");
  if (const Value* agg = sl->Find("aggregation_uri")) {
    if (!agg->is_text() || agg->text().empty()) {
      return Fail(Errc::kMalformed, "status list token: aggregation_uri must be a non-empty text string");
    }
    claims.aggregation_uri = agg->text();
  }
  if (!options.allow_unknown_status_list_keys) {
    for (const auto& [k, _] : sl->map()) {
      const std::string* name = k.AsText();
      if (!name || (*name != "bits" && *name != "lst" && *name != "aggregation_uri")) {
        return Fail(Errc::kMalformed, "status list token: unknown status_list member " + cbor::Diagnostic(k));
      }
    }
  }

  if (const Value* cp = c.Find(kClaimLogCheckpoint)) {
    WQ_ASSIGN(LogCheckpointRef ref, ParseCheckpointClaim(*cp));
    claims.log_checkpoint = std::move(ref);
  } else if (options.require_log_checkpoint) {
    return Fail(Errc::kMalformed, "status list token: missing claim log_checkpoint");
  }

  // Last, so that every cheap check has passed before any decompression.
  WQ_ASSIGN(StatusList list, StatusList::Decompress(static_cast<int>(bits->uint()), lst->bytes(), options.max_entries));
  return ParsedStatusListToken{cose_layer.alg, std::move(cose_layer.kid), std::move(claims), std::move(list)};
}

}  // namespace

Result<Bytes> SignStatusListToken(const StatusListClaims& claims, const StatusList& list, const Signer& signer,
                                  ByteView kid) {
  if (claims.sub.empty()) return Fail(Errc::kInvalidArgument, "status list token: sub must not be empty");
  if (kid.empty()) return Fail(Errc::kInvalidArgument, "status list token: kid must not be empty");
  WQ_TRY(CheckTimes(claims.iat, claims.exp, claims.ttl));
  if (!claims.log_checkpoint) return Fail(Errc::kInvalidArgument, "status list token: log_checkpoint is required");
  const LogCheckpointRef& cp = *claims.log_checkpoint;
  if (cp.origin.empty()) return Fail(Errc::kInvalidArgument, "status list token: checkpoint origin must not be empty");
  if (cp.size >= (uint64_t{1} << 63)) return Fail(Errc::kInvalidArgument, "status list token: checkpoint size is 2^63 or more");
  if (claims.aggregation_uri && claims.aggregation_uri->empty()) {
    return Fail(Errc::kInvalidArgument, "status list token: aggregation_uri must not be empty when present");
  }

  Value sl = Value::MakeMap();
  sl.Set("bits", Value::Uint(static_cast<uint64_t>(list.bits())));
  sl.Set("lst", Value::Bytes(list.Compress()));
  if (claims.aggregation_uri) sl.Set("aggregation_uri", Value::Text(*claims.aggregation_uri));

  Value checkpoint = Value::MakeMap();
  checkpoint.Set("origin", Value::Text(cp.origin));
  checkpoint.Set("size", Value::Uint(cp.size));
  checkpoint.Set("root", Value::Bytes(ByteView(cp.root)));

  Value c = Value::MakeMap();
  c.Set(kClaimSub, Value::Text(claims.sub));
  c.Set(kClaimIat, Value::Uint(claims.iat));
  c.Set(kClaimExp, Value::Uint(claims.exp));
  c.Set(kClaimTtl, Value::Uint(claims.ttl));
  c.Set(kClaimStatusList, std::move(sl));
  c.Set(kClaimLogCheckpoint, std::move(checkpoint));

  cose::BuildOptions bo;
  bo.protected_extra.Set(cose::kHdrKid, Value::Bytes(kid));
  bo.protected_extra.Set(cose::kHdrType, Value::Text(std::string(kStatusListCwtType)));
  bo.tagged = true;
  return cose::SignSign1(signer, cbor::Encode(c), bo);
}

Result<ParsedStatusListToken> ParseStatusListToken(ByteView token, const ParseOptions& options) {
  WQ_ASSIGN(CoseLayer layer, ParseCose(token, options));
  return ParseClaims(std::move(layer), options);
}

Result<Bytes> PeekStatusListTokenKid(ByteView token, const ParseOptions& options) {
  WQ_ASSIGN(CoseLayer layer, ParseCose(token, options));
  return std::move(layer.kid);
}

Result<VerifiedStatusList> VerifyStatusListToken(ByteView token, const Verifier& verifier, const ParseOptions& options) {
  WQ_ASSIGN(CoseLayer layer, ParseCose(token, options));
  {
    auto v = cose::VerifySign1(layer.sign1, verifier);
    if (!v) return Wrap("status list token signature", v.error());
  }
  WQ_ASSIGN(ParsedStatusListToken parsed, ParseClaims(std::move(layer), options));
  return VerifiedStatusList(std::move(parsed));
}

std::string_view StatusOutcomeName(StatusOutcome outcome) {
  switch (outcome) {
    case StatusOutcome::kValid: return "valid";
    case StatusOutcome::kInvalid: return "invalid";
    case StatusOutcome::kSuspended: return "suspended";
    case StatusOutcome::kOther: return "status_other";
    case StatusOutcome::kUnknown: return "status_unknown";
    case StatusOutcome::kIndexOutOfRange: return "status_index_out_of_range";
  }
  std::abort();
}

Result<StatusAnswer> CheckStatus(const VerifiedStatusList& token, std::string_view expected_uri, uint64_t index,
                                 int64_t now, const CheckOptions& options) {
  const StatusListClaims& c = token.claims();
  if (c.sub != expected_uri) {
    return Fail(Errc::kInvalidArgument, "status list token is for \"" + c.sub + "\", the credential points to \"" +
                                            std::string(expected_uri) + "\"");
  }
  StatusAnswer a;
  // Times are compared as signed 128-bit quantities so that neither a negative `now` nor a huge claim wraps.
  const __int128 t = now;
  if (t >= static_cast<__int128>(c.exp)) {
    a.outcome = StatusOutcome::kUnknown;
    a.detail = "the status list expired at " + std::to_string(c.exp) + "; it says nothing now";
    return a;
  }
  if (static_cast<__int128>(c.iat) > t + options.max_clock_skew_seconds) {
    a.outcome = StatusOutcome::kUnknown;
    a.detail = "the status list was issued at " + std::to_string(c.iat) + ", in the future";
    return a;
  }
  std::optional<uint8_t> v = token.list().Get(index);
  if (!v) {
    a.outcome = StatusOutcome::kIndexOutOfRange;
    a.detail = "index " + std::to_string(index) + " is beyond the list of " + std::to_string(token.list().size()) + " entries";
    return a;
  }
  a.value = *v;
  switch (*v) {
    case kStatusValid: a.outcome = StatusOutcome::kValid; break;
    case kStatusInvalid: a.outcome = StatusOutcome::kInvalid; break;
    case kStatusSuspended: a.outcome = StatusOutcome::kSuspended; break;
    default: a.outcome = StatusOutcome::kOther; a.detail = "status value " + std::to_string(*v); break;
  }
  return a;
}

}  // namespace wathiq::status
