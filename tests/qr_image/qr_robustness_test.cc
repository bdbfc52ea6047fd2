// How well the verifier reads rendered QR codes after the damage a camera does: rotation, scaling,
// blur, sensor noise and perspective. The transforms are small functions here so the test needs nothing
// beyond the library. Exact transforms (90°/180°/270°, scaling) must always decode; for the lossy ones
// the decode rate per version is printed and must stay above the floors measured when this was written.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../../verifier/src/finder_count.h"
#include "qr_test_util.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq {
namespace {

using qrtest::Rng;
using wallet::GreyImage;

uint8_t Clamp255(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

uint8_t At(const GreyImage& img, int x, int y) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return 255;  // white paper outside
  return img.pixels[static_cast<size_t>(y) * static_cast<size_t>(img.width) + static_cast<size_t>(x)];
}

// Bilinear sample at a continuous position; pixel (i, j) has its centre at (i + 0.5, j + 0.5).
double Sample(const GreyImage& img, double x, double y) {
  const double fx = x - 0.5, fy = y - 0.5;
  const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
  const double ax = fx - x0, ay = fy - y0;
  return (1 - ay) * ((1 - ax) * At(img, x0, y0) + ax * At(img, x0 + 1, y0)) +
         ay * ((1 - ax) * At(img, x0, y0 + 1) + ax * At(img, x0 + 1, y0 + 1));
}

GreyImage Blank(int w, int h) {
  GreyImage out;
  out.width = w;
  out.height = h;
  out.pixels.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 255);
  return out;
}

template <class F>  // F(x_centre, y_centre) -> source position, sampled bilinearly
GreyImage Resample(int w, int h, const GreyImage& src, F map) {
  GreyImage out = Blank(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const auto [sx, sy] = map(x + 0.5, y + 0.5);
      out.pixels[static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)] =
          Clamp255(Sample(src, sx, sy));
    }
  }
  return out;
}

GreyImage RotateQuarter(const GreyImage& src, int quarters) {  // exact, clockwise
  quarters = ((quarters % 4) + 4) % 4;
  const bool swap = quarters % 2 == 1;
  GreyImage out = Blank(swap ? src.height : src.width, swap ? src.width : src.height);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      if (quarters == 1) sx = y, sy = src.height - 1 - x;
      if (quarters == 2) sx = src.width - 1 - x, sy = src.height - 1 - y;
      if (quarters == 3) sx = src.width - 1 - y, sy = x;
      out.pixels[static_cast<size_t>(y) * static_cast<size_t>(out.width) + static_cast<size_t>(x)] = At(src, sx, sy);
    }
  }
  return out;
}

GreyImage Rotate(const GreyImage& src, double degrees) {  // bilinear, canvas grown to hold the result
  const double t = degrees * 3.14159265358979323846 / 180.0, c = std::cos(t), s = std::sin(t);
  const int w = static_cast<int>(std::ceil(std::abs(src.width * c) + std::abs(src.height * s)));
  const int h = static_cast<int>(std::ceil(std::abs(src.width * s) + std::abs(src.height * c)));
  return Resample(w, h, src, [&](double x, double y) {
    const double dx = x - w / 2.0, dy = y - h / 2.0;
    return std::pair{c * dx + s * dy + src.width / 2.0, -s * dx + c * dy + src.height / 2.0};
  });
}

GreyImage Scale(const GreyImage& src, double factor) {
  const int w = static_cast<int>(std::lround(src.width * factor));
  const int h = static_cast<int>(std::lround(src.height * factor));
  return Resample(w, h, src, [&](double x, double y) { return std::pair{x / factor, y / factor}; });
}

GreyImage BoxBlur(const GreyImage& src, int radius) {
  GreyImage out = Blank(src.width, src.height);
  const int n = (2 * radius + 1) * (2 * radius + 1);
  for (int y = 0; y < src.height; ++y) {
    for (int x = 0; x < src.width; ++x) {
      int sum = 0;
      for (int dy = -radius; dy <= radius; ++dy) {
        for (int dx = -radius; dx <= radius; ++dx) {
          sum += At(src, std::clamp(x + dx, 0, src.width - 1), std::clamp(y + dy, 0, src.height - 1));
        }
      }
      out.pixels[static_cast<size_t>(y) * static_cast<size_t>(src.width) + static_cast<size_t>(x)] =
          static_cast<uint8_t>((sum + n / 2) / n);
    }
  }
  return out;
}

GreyImage Noise(const GreyImage& src, int amplitude, uint64_t seed) {
  Rng rng(seed);
  GreyImage out = src;
  for (auto& v : out.pixels) v = Clamp255(v + rng.Uniform(-amplitude, amplitude));
  return out;
}

// The homography taking each to[i] to from[i]: solved from the 8 linear equations of 4 point pairs.
std::array<double, 8> Homography(const std::array<std::pair<double, double>, 4>& to,
                                 const std::array<std::pair<double, double>, 4>& from) {
  double m[8][9] = {};
  for (int i = 0; i < 4; ++i) {
    const auto [u, v] = to[i];
    const auto [x, y] = from[i];
    const double r0[9] = {u, v, 1, 0, 0, 0, -u * x, -v * x, x};
    const double r1[9] = {0, 0, 0, u, v, 1, -u * y, -v * y, y};
    std::copy(r0, r0 + 9, m[2 * i]);
    std::copy(r1, r1 + 9, m[2 * i + 1]);
  }
  for (int col = 0; col < 8; ++col) {  // Gauss-Jordan with partial pivoting
    int pivot = col;
    for (int r = col + 1; r < 8; ++r) {
      if (std::abs(m[r][col]) > std::abs(m[pivot][col])) pivot = r;
    }
    std::swap(m[col], m[pivot]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      const double f = m[r][col] / m[col][col];
      for (int k = col; k < 9; ++k) m[r][k] -= f * m[col][k];
    }
  }
  std::array<double, 8> h{};
  for (int i = 0; i < 8; ++i) h[i] = m[i][8] / m[i][i];
  return h;
}

// A keystone, as from a phone held a little below and to the side. Strength 1 (mild): the top edge
// shrinks by about 10%, every corner jittered by up to 2% of the side; strength 2 doubles it all.
GreyImage Perspective(const GreyImage& src, Rng& rng, double strength = 1) {
  const double w = src.width, h = src.height, k = strength;
  auto jitter = [&](double side) { return (rng.Unit() * 2 - 1) * 0.02 * k * side; };
  const std::array<std::pair<double, double>, 4> to = {{
      {0.07 * k * w + jitter(w), 0.05 * k * h + jitter(h)},
      {(1 - 0.05 * k) * w + jitter(w), 0.02 * k * h + jitter(h)},
      {(1 - 0.02 * k) * w + jitter(w), (1 - 0.02 * k) * h + jitter(h)},
      {0.02 * k * w + jitter(w), (1 - 0.05 * k) * h + jitter(h)},
  }};
  const std::array<std::pair<double, double>, 4> from = {{{0, 0}, {w, 0}, {w, h}, {0, h}}};
  const auto H = Homography(to, from);
  return Resample(src.width, src.height, src, [&](double x, double y) {
    const double d = H[6] * x + H[7] * y + 1;
    return std::pair{(H[0] * x + H[1] * y + H[2]) / d, (H[3] * x + H[4] * y + H[5]) / d};
  });
}

struct Transform {
  std::string name;
  bool required;  // must decode for every sample of every version; else held to floors below
  std::function<GreyImage(const GreyImage&, Rng&)> apply;
};

std::vector<Transform> Transforms() {
  return {
      {"none", true, [](const GreyImage& g, Rng&) { return g; }},
      {"rotate 90", true, [](const GreyImage& g, Rng&) { return RotateQuarter(g, 1); }},
      {"rotate 180", true, [](const GreyImage& g, Rng&) { return RotateQuarter(g, 2); }},
      {"rotate 270", true, [](const GreyImage& g, Rng&) { return RotateQuarter(g, 3); }},
      {"scale 0.6", true, [](const GreyImage& g, Rng&) { return Scale(g, 0.6); }},
      {"scale 1.7", true, [](const GreyImage& g, Rng&) { return Scale(g, 1.7); }},
      {"rotate 7 bilinear", false, [](const GreyImage& g, Rng&) { return Rotate(g, 7); }},
      {"box blur r1", false, [](const GreyImage& g, Rng&) { return BoxBlur(g, 1); }},
      {"noise +-30", false, [](const GreyImage& g, Rng& rng) { return Noise(g, 30, rng.Next()); }},
      {"perspective", false, [](const GreyImage& g, Rng& rng) { return Perspective(g, rng); }},
      {"rot 7+blur+noise", false,
       [](const GreyImage& g, Rng& rng) { return Noise(BoxBlur(Rotate(g, 7), 1), 30, rng.Next()); }},
      // Stress rows, beyond the brief, to show the margin: 1.8 px per module, a 5x5 blur, twice the noise
      // or the keystone, and everything at once.
      {"stress: scale 0.45", false, [](const GreyImage& g, Rng&) { return Scale(g, 0.45); }},
      {"stress: blur r2", false, [](const GreyImage& g, Rng&) { return BoxBlur(g, 2); }},
      {"stress: noise +-60", false, [](const GreyImage& g, Rng& rng) { return Noise(g, 60, rng.Next()); }},
      {"stress: persp x2", false, [](const GreyImage& g, Rng& rng) { return Perspective(g, rng, 2); }},
      {"stress: all at once", false,
       [](const GreyImage& g, Rng& rng) {
         return Noise(BoxBlur(Perspective(Scale(Rotate(g, 7), 0.7), rng), 1), 30, rng.Next());
       }},
  };
}

TEST_CASE("robustness: decode after rotation, scaling, blur, noise and perspective", "[qr][robustness]") {
  const std::vector<Transform> transforms = Transforms();
  // Floors (percent of samples decoded, per version) for the lossy transforms. Measured when this was
  // written (zxing-cpp 1.4.0 plus the grid fallback, 8 samples, g++ 12 -O2 and clang 14 ASan -O0):
  // 100% for every transform of the brief and every version. Stress rows, v10/v20/v27/v33/v40:
  // scale 0.45 100 everywhere; blur r2 100/100/100/100/75-100; noise 60 100 everywhere; persp x2
  // 100/50/100/100/87; all at once 50-75/12/0/0/0 (not held to a floor). Floating-point differences
  // between compilers move single samples, so the floors leave one sample of slack; a drop below them
  // is a regression in the reader or in our rendering.
  const std::map<std::string, int> floors = {
      {"rotate 7 bilinear", 87}, {"box blur r1", 87},        {"noise +-30", 87},
      {"perspective", 87},       {"rot 7+blur+noise", 87},   {"stress: scale 0.45", 87},
      {"stress: blur r2", 62},   {"stress: noise +-60", 87}, {"stress: persp x2", 37},
  };
  const std::vector<int> versions = {10, 20, 27, 33, 40};
  constexpr int kSamples = 8;

  std::map<std::string, std::map<int, int>> decoded;  // transform -> version -> count
  Rng rng(20240601);
  for (int v : versions) {
    for (int sample = 0; sample < kSamples; ++sample) {
      const std::string text = qrtest::Wq1Text(wallet::AlnumCapacity(v, 'M'), rng);
      const GreyImage img = qrtest::Render(text);
      for (const Transform& t : transforms) {
        const GreyImage out = t.apply(img, rng);
        auto result = verifier::DecodeQrGrey(out.pixels.data(), out.width, out.height);
        const bool ok = result.has_value() && *result == text;
        if (ok) ++decoded[t.name][v];
        if (t.required) {
          CAPTURE(t.name, v, sample, out.width, out.height);
          CHECK(ok);
        }
      }
    }
  }

  std::string table = "QR decode rate per transform and version (ECC M, 4 px/module, " + std::to_string(kSamples) +
                      " random full-capacity texts each)\n";
  char cell[64];
  std::snprintf(cell, sizeof cell, "%-22s", "transform");
  table += cell;
  for (int v : versions) {
    std::snprintf(cell, sizeof cell, "  v%-4d", v);
    table += cell;
  }
  table += "\n";
  for (const Transform& t : transforms) {
    std::snprintf(cell, sizeof cell, "%-22s", t.name.c_str());
    table += cell;
    for (int v : versions) {
      std::snprintf(cell, sizeof cell, "  %3d%% ", decoded[t.name][v] * 100 / kSamples);
      table += cell;
    }
    table += "\n";
  }
  std::fputs(table.c_str(), stdout);
  std::fflush(stdout);

  for (const auto& [name, floor] : floors) {
    for (int v : versions) {
      CAPTURE(name, v, table);
      CHECK(decoded[name][v] * 100 / kSamples >= floor);
    }
  }
}

// Evidence for kMaxFinderCandidates (qr_decode.h): how many finder-pattern candidates the decoder's
// pre-count sees in the images above, in the image and in its negative. zxing-cpp 1.4's search is cubic
// in this number, so above the cap the decoder skips it (only the bounded grid fallback runs); these
// legitimate images must stay well below it.
TEST_CASE("dos: finder-pattern candidates in the robustness images stay well under the cap", "[qr][dos]") {
  const std::vector<Transform> transforms = Transforms();
  const std::vector<int> versions = {10, 20, 27, 33, 40};
  constexpr int kSamples = 4;
  std::map<std::string, std::map<int, int>> most;  // transform -> version -> max over samples and polarity
  int overall = 0;
  Rng rng(20240602);
  for (int v : versions) {
    for (int sample = 0; sample < kSamples; ++sample) {
      const GreyImage img = qrtest::Render(qrtest::Wq1Text(wallet::AlnumCapacity(v, 'M'), rng));
      for (const Transform& t : transforms) {
        const GreyImage out = t.apply(img, rng);
        for (bool light_on_dark : {false, true}) {
          const int n = verifier::internal::CountFinderCandidates(out.pixels.data(), out.width, out.height,
                                                                  light_on_dark, 100000);
          most[t.name][v] = std::max(most[t.name][v], n);
          overall = std::max(overall, n);
        }
      }
    }
  }
  std::string table = "finder-pattern candidates (max of both polarities, " + std::to_string(kSamples) + " samples)\n";
  char cell[64];
  std::snprintf(cell, sizeof cell, "%-22s", "transform");
  table += cell;
  for (int v : versions) std::snprintf(cell, sizeof cell, "  v%-4d", v), table += cell;
  table += "\n";
  for (const Transform& t : transforms) {
    std::snprintf(cell, sizeof cell, "%-22s", t.name.c_str());
    table += cell;
    for (int v : versions) std::snprintf(cell, sizeof cell, "  %5d", most[t.name][v]), table += cell;
    table += "\n";
  }
  std::fputs(table.c_str(), stdout);
  CAPTURE(table);
  // Measured when the cap was set: at most 57 (v40, rotated 7 degrees, blurred and noisy). The cap
  // keeps three times that in hand.
  CHECK(overall * 3 <= verifier::kMaxFinderCandidates);
}

}  // namespace
}  // namespace wathiq
