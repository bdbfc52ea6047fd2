// Wathiq keys: status-list URIs and the status-URI prefixes a trust list binds to agencies.
//
// A URI belongs to an agency when it lies under one of the agency's prefixes at a path-segment boundary:
// the prefix `https://status.paci.gov.kw/lists` covers `.../lists` itself and `.../lists/7`, but not
// `.../lists7`, `.../lists-old/7`, another host or another port.
//
// Guarantee: one URI has one spelling, so that matching is plain string comparison and no two spellings of
// one resource can land in different agencies. The accepted grammar is deliberately narrower than RFC 3986:
//   uri     = "https://" host [ ":" port ] *( "/" segment )
//   host    = label *( "." label ); label = 1*63( a-z / 0-9 / "-" ), not starting or ending with "-";
//             at most 253 characters; lower case only (no IP-v6 literals)
//   port    = 1..65535 without leading zeros, and not 443 (the default is left out)
//   segment = 1*( A-Z / a-z / 0-9 / "-" / "." / "_" / "~" ), but not "." or ".."
// and nothing else: no userinfo ("@"), query ("?"), fragment ("#"), percent-encoding ("%"), backslash,
// empty segment (hence no trailing "/"), upper-case scheme or host, or more than kMaxStatusUriBytes bytes.
// A URI outside the grammar belongs to no agency (there is no lenient reading: a percent-encoded "..",
// "%2F" or "HTTPS://" in an MSO simply matches nothing).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq::keys {

inline constexpr size_t kMaxStatusUriBytes = 2048;

// Ok when `uri` is in the grammar above; kMalformed naming the first rule it breaks.
Status CheckStatusUri(std::string_view uri);

// true when `uri` lies under `prefix` at a path-segment boundary (uri == prefix, or uri continues with "/").
// Both must satisfy CheckStatusUri; false otherwise.
bool StatusUriUnder(std::string_view uri, std::string_view prefix);

// The file that serves `uri` from a folder laid out as a static web server serves it (docs/PUBLICATION.md):
// `<root>/<host>[:<port>]/<segment>/...`. The one mapping the issuer's publisher, the auditor, the verifier
// and the wallet share. `uri` must satisfy CheckStatusUri, so the path never leaves `root` (the grammar has
// no "..", "." or empty segment); kMalformed otherwise.
Result<std::filesystem::path> StatusUriPath(const std::filesystem::path& root, std::string_view uri);

}  // namespace wathiq::keys
