#include "wathiq/keys/status_uri.h"

#include <string>

namespace wathiq::keys {
namespace {

constexpr std::string_view kScheme = "https://";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsSegmentChar(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == '~';
}

Status Bad(const std::string& why) { return Fail(Errc::kMalformed, "status URI: " + why); }

Status CheckHost(std::string_view host) {
  if (host.empty()) return Bad("no host");
  if (host.size() > 253) return Bad("host longer than 253 characters");
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return Bad("host label empty or longer than 63 characters");
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return Bad("host may hold only a-z, 0-9, '-' and '.' (lower case)");
    }
    if (label.front() == '-' || label.back() == '-') return Bad("host label starts or ends with '-'");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Ok();
}

Status CheckPort(std::string_view port) {
  if (port.empty() || port.size() > 5 || port[0] == '0') return Bad("port must be 1..65535 without leading zeros");
  unsigned v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return Bad("port must be decimal digits");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return Bad("port beyond 65535");
  if (v == 443) return Bad("port 443 is the default and is left out");
  return Ok();
}

}  // namespace

Status CheckStatusUri(std::string_view uri) {
  if (uri.size() > kMaxStatusUriBytes) return Bad("longer than " + std::to_string(kMaxStatusUriBytes) + " bytes");
  if (!uri.starts_with(kScheme)) return Bad("must start with \"https://\" (lower case)");
  std::string_view rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  size_t colon = authority.find(':');
  WQ_TRY(CheckHost(authority.substr(0, colon)));
  if (colon != std::string_view::npos) WQ_TRY(CheckPort(authority.substr(colon + 1)));
  // Path: "/" segment, repeated; each segment non-empty, from the unreserved set, not a dot segment.
  size_t i = 0;
  while (i < path.size()) {
    // path[i] == '/' here by construction
    size_t next = path.find('/', i + 1);
    std::string_view seg = path.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    if (seg.empty()) return Bad("empty path segment (\"//\" or a trailing \"/\")");
    if (seg == "." || seg == "..") return Bad("dot segment in the path");
    for (char c : seg) {
      if (!IsSegmentChar(c)) {
        return Bad(c == '%'   ? "percent-encoding is not allowed"
                   : c == '?' ? "a query is not allowed"
                   : c == '#' ? "a fragment is not allowed"
                              : "path may hold only A-Z, a-z, 0-9, '-', '.', '_', '~' and '/'");
      }
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  return Ok();
}

bool StatusUriUnder(std::string_view uri, std::string_view prefix) {
  if (!CheckStatusUri(uri) || !CheckStatusUri(prefix)) return false;
  if (!uri.starts_with(prefix)) return false;
  return uri.size() == prefix.size() || uri[prefix.size()] == '/';
}

Result<std::string> PublishedPath(const std::string& dir, std::string_view uri) {
  WQ_TRY(CheckStatusUri(uri));
  return dir + "/" + std::string(uri.substr(8));  // after "https://"
}

}  // namespace wathiq::keys
