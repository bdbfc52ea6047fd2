// Wathiq core: text from outside, made safe to show.
//
// Every string that came from a QR code, a file or a network peer can carry bytes that a terminal, a JSON
// consumer or a web page interprets: ANSI escape sequences that clear an officer's screen and draw a fake
// verdict, C1 controls that some terminals treat as CSI, and Unicode bidirectional overrides and isolates
// (U+202A-202E, U+2066-2069) that reorder what is displayed. SafeText() escapes all of them, visibly, and
// leaves every other character, Arabic included, byte for byte as it was.
//
// Guarantees:
//  - The output is valid UTF-8 and contains no C0 control (U+0000-001F), DEL, C1 control (U+0080-009F),
//    bidi override/isolate/embedding character, nor a byte of an invalid UTF-8 sequence: each is written
//    as a visible escape (`\x1b`, `\u{202e}`, `\xff`).
//  - Text without any of those characters is returned unchanged (Arabic round-trips exactly).
//  - The output is at most about `max_bytes` plus a short marker; it never splits a UTF-8 sequence.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wathiq {

inline constexpr size_t kNoTextCap = static_cast<size_t>(-1);

// Escapes controls, bidi controls and invalid UTF-8; caps the result at max_bytes (marking the cut with
// "…(N bytes)").
std::string SafeText(std::string_view text, size_t max_bytes = kNoTextCap);

// For text from outside quoted inside a message: SafeText capped at 64 bytes, in double quotes.
std::string Quoted(std::string_view text, size_t max_bytes = 64);

// SafeText for a whole block of lines printed to a terminal: the same escapes, but '\n' is kept.
std::string SafeLines(std::string_view text);

// True when SafeText(text) == text.
bool IsSafeText(std::string_view text);

}  // namespace wathiq
