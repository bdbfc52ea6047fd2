// SafeText: outside text made safe for a terminal, JSON or a page, Arabic untouched.
#include <catch2/catch.hpp>

#include "wathiq/core/text.h"

using wathiq::IsSafeText;
using wathiq::Quoted;
using wathiq::SafeText;

TEST_CASE("SafeText leaves ordinary and Arabic text byte for byte", "[text]") {
  for (const char* s : {"", "Mohammad Abdullah Al-Ali", "محمد عبدالله العلي", "الهيئة العامة للمعلومات المدنية (PACI)",
                        "emoji \xF0\x9F\x87\xB0\xF0\x9F\x87\xBC", "tab-free, quote \" and backslash \\"}) {
    INFO(s);
    CHECK(SafeText(s) == s);
    CHECK(IsSafeText(s));
  }
}

TEST_CASE("SafeText escapes controls, C1, bidi overrides and bad UTF-8 visibly", "[text][negative]") {
  CHECK(SafeText("\x1b[2J\x1b[Hverdict: valid") == "\\x1b[2J\\x1b[Hverdict: valid");
  CHECK(SafeText("a\nb\rc\td\x7f") == "a\\x0ab\\x0dc\\x09d\\x7f");
  CHECK(SafeText("\xc2\x9b"
                 "31m") == "\\x9b31m");  // C1 CSI
  CHECK(SafeText("abc\xe2\x80\xae"
                 "fdp.exe") == "abc\\u{202e}fdp.exe");
  CHECK(SafeText("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u{2066}x\\u{2069}");
  CHECK(SafeText("\xff\xfe") == "\\xff\\xfe");
  CHECK(SafeText("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(SafeText("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(SafeText("\xe2\x82") == "\\xe2\\x82");           // truncated
  CHECK_FALSE(IsSafeText("\x1b"));
  CHECK_FALSE(IsSafeText("\xe2\x80\xab"));
}

TEST_CASE("SafeText caps without splitting a character, Quoted quotes and caps", "[text]") {
  std::string arabic;
  for (int i = 0; i < 100; ++i) arabic += "م";  // 2 bytes each
  std::string capped = SafeText(arabic, 51);
  CHECK(capped.rfind("…(200 bytes)") != std::string::npos);
  CHECK(capped.substr(0, 50) == arabic.substr(0, 50));
  CHECK(IsSafeText(capped));
  CHECK(Quoted("x") == "\"x\"");
  CHECK(Quoted(std::string(1000, 'a')).size() < 100);
  CHECK(Quoted("\x1b").find('\x1b') == std::string::npos);
}

TEST_CASE("SafeLines keeps line breaks and escapes the rest", "[text]") {
  CHECK(wathiq::SafeLines("verdict: invalid\n  a\x1b[2Jb\n") == "verdict: invalid\n  a\\x1b[2Jb\n");
  CHECK(wathiq::SafeLines("") == "");
  CHECK(wathiq::SafeLines("\n\n") == "\n\n");
}
