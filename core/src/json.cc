// Strict JSON: one SAX pass that stops at the first problem, then the DOM.
#include "wathiq/core/json.h"

#include <set>
#include <string>
#include <vector>

#include "wathiq/core/text.h"

namespace wathiq {
namespace {

// One SAX pass before the DOM is built: it finds syntax errors with their position, duplicate keys and
// excessive nesting, and stops at the first problem (so a hostile input never reaches the DOM builder).
class StrictSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit StrictSax(int max_depth) : max_depth_(max_depth) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return Enter();
  }
  bool key(string_t& k) override {
    if (keys_.empty()) return true;  // cannot happen: keys only occur inside objects
    if (!keys_.back().insert(k).second) {
      error_ = "duplicate key " + Quoted(k);
      return false;
    }
    return true;
  }
  bool end_object() override {
    if (!keys_.empty()) keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error ..." → drop the tag.
    std::string_view what = ex.what();
    if (!what.empty() && what.front() == '[') {
      size_t close = what.find("] ");
      if (close != std::string_view::npos) what.remove_prefix(close + 2);
    }
    error_ = "JSON " + std::string(what.substr(0, 300));
    return false;
  }

  const std::string& error() const { return error_; }
  bool too_deep() const { return too_deep_; }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      error_ = "nested deeper than " + std::to_string(max_depth_) + " levels";
      too_deep_ = true;
      return false;
    }
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::vector<std::set<std::string>> keys_;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what, size_t max_bytes, int max_depth) {
  if (text.size() > max_bytes) {
    return Fail(Errc::kLimit, std::string(what) + ": over " + std::to_string(max_bytes) + " bytes");
  }
  StrictSax sax(max_depth);
  if (!nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true)) {
    return Fail(sax.too_deep() ? Errc::kLimit : Errc::kMalformed,
                std::string(what) + ": " + (sax.error().empty() ? std::string("not valid JSON") : sax.error()));
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(Errc::kMalformed, std::string(what) + ": not valid JSON");
  return j;
}

}  // namespace wathiq

namespace wathiq {

Status CheckJsonKeys(const nlohmann::json& object, std::initializer_list<std::string_view> allowed,
                     std::string_view what) {
  if (!object.is_object()) return Fail(Errc::kMalformed, std::string(what) + " must be a JSON object");
  for (const auto& item : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || item.key() == a;
    if (!known) return Fail(Errc::kMalformed, std::string(what) + ": unknown key " + Quoted(item.key()));
  }
  return Ok();
}

}  // namespace wathiq
