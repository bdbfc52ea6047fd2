#include "qr_grid.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <utility>

#include "finder_cross_check.h"

namespace wathiq::verifier::internal {
namespace {

struct Pt {
  double x = 0;
  double y = 0;
};
Pt operator+(Pt a, Pt b) { return {a.x + b.x, a.y + b.y}; }
Pt operator-(Pt a, Pt b) { return {a.x - b.x, a.y - b.y}; }
Pt operator*(double s, Pt a) { return {s * a.x, s * a.y}; }
double Dot(Pt a, Pt b) { return a.x * b.x + a.y * b.y; }
double Cross(Pt a, Pt b) { return a.x * b.y - a.y * b.x; }
double Norm(Pt a) { return std::sqrt(Dot(a, a)); }

constexpr int kMinDimension = 21;
constexpr int kMaxDimension = 177;
constexpr int kMaxSmallDimension = 41;  // version 6: the largest without version information
constexpr size_t kMaxFinders = 200;     // finder candidates collected before the search gives up

// Greyscale view with a block-wise adaptive threshold, in the manner of zxing's hybrid binarizer:
// block means averaged over 5x5 blocks, and the global mid-grey where the neighbourhood is flat.
class Image {
 public:
  Image(const uint8_t* pixels, int width, int height) : px_(pixels), w_(width), h_(height) {}

  // False when the image has too little contrast to hold a code.
  bool Prepare() {
    std::array<uint64_t, 256> hist{};
    for (size_t i = 0; i < static_cast<size_t>(w_) * static_cast<size_t>(h_); ++i) ++hist[px_[i]];
    const uint64_t total = static_cast<uint64_t>(w_) * static_cast<uint64_t>(h_);
    auto percentile = [&](double p) {
      uint64_t acc = 0;
      for (int v = 0; v < 256; ++v) {
        acc += hist[static_cast<size_t>(v)];
        if (static_cast<double>(acc) >= p * static_cast<double>(total)) return v;
      }
      return 255;
    };
    const int lo = percentile(0.02), hi = percentile(0.98);
    range_ = hi - lo;
    mid_ = (hi + lo) / 2.0;
    if (range_ < 32) return false;

    block_ = std::clamp(std::min(w_, h_) / 64, 4, 64);
    bw_ = (w_ + block_ - 1) / block_;
    bh_ = (h_ + block_ - 1) / block_;
    std::vector<double> mean(static_cast<size_t>(bw_) * static_cast<size_t>(bh_));
    std::vector<uint8_t> bmin(mean.size()), bmax(mean.size());
    for (int by = 0; by < bh_; ++by) {
      for (int bx = 0; bx < bw_; ++bx) {
        uint64_t sum = 0;
        int n = 0, mn = 255, mx = 0;
        for (int y = by * block_; y < std::min(h_, (by + 1) * block_); ++y) {
          for (int x = bx * block_; x < std::min(w_, (bx + 1) * block_); ++x) {
            const int v = Raw(x, y);
            sum += static_cast<uint64_t>(v), ++n, mn = std::min(mn, v), mx = std::max(mx, v);
          }
        }
        const size_t i = static_cast<size_t>(by) * static_cast<size_t>(bw_) + static_cast<size_t>(bx);
        mean[i] = static_cast<double>(sum) / n;
        bmin[i] = static_cast<uint8_t>(mn);
        bmax[i] = static_cast<uint8_t>(mx);
      }
    }
    threshold_.resize(mean.size());
    for (int by = 0; by < bh_; ++by) {
      for (int bx = 0; bx < bw_; ++bx) {
        double sum = 0;
        int n = 0, mn = 255, mx = 0;
        for (int y = std::max(0, by - 2); y <= std::min(bh_ - 1, by + 2); ++y) {
          for (int x = std::max(0, bx - 2); x <= std::min(bw_ - 1, bx + 2); ++x) {
            const size_t i = static_cast<size_t>(y) * static_cast<size_t>(bw_) + static_cast<size_t>(x);
            sum += mean[i], ++n, mn = std::min<int>(mn, bmin[i]), mx = std::max<int>(mx, bmax[i]);
          }
        }
        const size_t i = static_cast<size_t>(by) * static_cast<size_t>(bw_) + static_cast<size_t>(bx);
        threshold_[i] = (mx - mn) < range_ / 4 ? mid_ : sum / n;
      }
    }
    binary_.resize(static_cast<size_t>(w_) * static_cast<size_t>(h_));
    for (int y = 0; y < h_; ++y) {
      for (int x = 0; x < w_; ++x) {
        binary_[static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)] =
            Raw(x, y) < Threshold(x, y) ? 1 : 0;
      }
    }
    return true;
  }

  int width() const { return w_; }
  int height() const { return h_; }
  double range() const { return range_; }
  bool In(int x, int y) const { return x >= 0 && y >= 0 && x < w_ && y < h_; }
  bool Dark(int x, int y) const {
    return binary_[static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)] != 0;
  }
  double Threshold(double x, double y) const {
    if (!Reasonable(x) || !Reasonable(y)) return mid_;
    const int bx = std::clamp(static_cast<int>(x) / block_, 0, bw_ - 1);
    const int by = std::clamp(static_cast<int>(y) / block_, 0, bh_ - 1);
    return threshold_[static_cast<size_t>(by) * static_cast<size_t>(bw_) + static_cast<size_t>(bx)];
  }
  // Bilinear grey at a continuous position (pixel centres at +0.5); outside the image: the mid-grey
  // plus half the range, i.e. light, as paper around a code usually is.
  double Grey(Pt p) const {
    // A degenerate fit can map a module to inf or NaN: treat it as outside (and never cast it to int).
    if (!Reasonable(p.x) || !Reasonable(p.y)) return mid_ + range_ / 2;
    const double fx = p.x - 0.5, fy = p.y - 0.5;
    const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
    const double ax = fx - x0, ay = fy - y0;
    return (1 - ay) * ((1 - ax) * At(x0, y0) + ax * At(x0 + 1, y0)) +
           ay * ((1 - ax) * At(x0, y0 + 1) + ax * At(x0 + 1, y0 + 1));
  }
  bool DarkAt(Pt p) const { return Grey(p) < Threshold(p.x, p.y); }

 private:
  static bool Reasonable(double v) { return v > -1e6 && v < 1e6; }  // false for NaN too
  int Raw(int x, int y) const { return px_[static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)]; }
  double At(int x, int y) const { return In(x, y) ? Raw(x, y) : mid_ + range_ / 2; }

  const uint8_t* px_;
  int w_, h_;
  int block_ = 8, bw_ = 0, bh_ = 0;
  double mid_ = 128, range_ = 0;
  std::vector<double> threshold_;
  std::vector<uint8_t> binary_;
};

// ---- finder patterns: dark-light-dark-light-dark runs in the ratio 1:1:3:1:1, checked across.

bool FinderRatio(const std::array<int, 5>& c) {
  const int total = c[0] + c[1] + c[2] + c[3] + c[4];
  if (total < 7) return false;
  const double m = total / 7.0, tol = m / 1.5;
  return std::abs(m - c[0]) < tol && std::abs(m - c[1]) < tol && std::abs(3 * m - c[2]) < 3 * tol &&
         std::abs(m - c[3]) < tol && std::abs(m - c[4]) < tol;
}

struct Finder {
  Pt c;
  double module = 0;
  int count = 0;
};

std::vector<Finder> FindFinders(const Image& img) {
  std::vector<Finder> found;
  std::vector<std::pair<int, int>> runs;  // start, length
  for (int y = 0; y < img.height(); ++y) {
    runs.clear();
    int x = 0;
    // Start at the first dark pixel so that even-indexed runs are dark.
    while (x < img.width() && !img.Dark(x, y)) ++x;
    while (x < img.width()) {
      const bool dark = img.Dark(x, y);
      const int start = x;
      while (x < img.width() && img.Dark(x, y) == dark) ++x;
      runs.emplace_back(start, x - start);
    }
    for (size_t i = 0; i + 4 < runs.size(); i += 2) {
      std::array<int, 5> c{};
      for (size_t k = 0; k < 5; ++k) c[k] = runs[i + k].second;
      if (!FinderRatio(c)) continue;
      const int h_total = c[0] + c[1] + c[2] + c[3] + c[4];
      const double cx0 = runs[i + 2].first + runs[i + 2].second / 2.0;
      double cy = 0, cx = 0;
      int v_total = 0, h_total2 = 0;
      if (!CrossCheck(img, static_cast<int>(cx0), y, 0, 1, h_total, FinderRatio, &cy, &v_total)) continue;
      if (std::abs(v_total - h_total) > 0.5 * h_total) continue;
      if (!CrossCheck(img, static_cast<int>(cx0), static_cast<int>(cy), 1, 0, h_total, FinderRatio, &cx, &h_total2)) continue;
      const double module = (h_total2 + v_total) / 14.0;
      const Pt p{cx, cy};
      bool merged = false;
      for (Finder& f : found) {
        if (Norm(f.c - p) < 1.5 * f.module && module < 1.5 * f.module && f.module < 1.5 * module) {
          const double n = f.count;
          f.c = (1.0 / (n + 1)) * (n * f.c + p);
          f.module = (f.module * n + module) / (n + 1);
          ++f.count;
          merged = true;
          break;
        }
      }
      if (!merged) found.push_back({p, module, 1});
      // Pathological image: stop collecting, also within a row (a wide row can hold thousands), so
      // that each hit is compared with at most this many and the whole search stays linear in pixels.
      if (found.size() > kMaxFinders) break;
    }
    if (found.size() > kMaxFinders) break;
  }
  std::sort(found.begin(), found.end(), [](const Finder& a, const Finder& b) { return a.count > b.count; });
  found.erase(std::remove_if(found.begin(), found.end(), [](const Finder& f) { return f.count < 2; }), found.end());
  if (found.size() > 10) found.resize(10);
  return found;
}

struct Triple {
  Finder tl, tr, bl;
  double score = 0;
};

std::vector<Triple> FinderTriples(const std::vector<Finder>& f) {
  std::vector<Triple> out;
  for (size_t i = 0; i < f.size(); ++i) {
    for (size_t j = i + 1; j < f.size(); ++j) {
      for (size_t k = j + 1; k < f.size(); ++k) {
        const std::array<const Finder*, 3> p = {&f[i], &f[j], &f[k]};
        for (int corner = 0; corner < 3; ++corner) {
          Triple t{*p[static_cast<size_t>(corner)], *p[static_cast<size_t>((corner + 1) % 3)],
                   *p[static_cast<size_t>((corner + 2) % 3)], 0};
          Pt a = t.tr.c - t.tl.c, b = t.bl.c - t.tl.c;
          if (Cross(a, b) < 0) std::swap(t.tr, t.bl), std::swap(a, b);
          const double la = Norm(a), lb = Norm(b);
          if (la == 0 || lb == 0) continue;
          const double cosine = std::abs(Dot(a, b)) / (la * lb);
          const double ratio = std::max(la, lb) / std::min(la, lb);
          const double mmax = std::max({t.tl.module, t.tr.module, t.bl.module});
          const double mmin = std::min({t.tl.module, t.tr.module, t.bl.module});
          const double dim = (la + lb) / 2 / ((t.tl.module + t.tr.module + t.bl.module) / 3) + 7;
          if (cosine > 0.3 || ratio > 1.4 || mmax > 1.6 * mmin || dim < 17 || dim > 190) continue;
          t.score = cosine + (ratio - 1) + (mmax / mmin - 1);
          out.push_back(t);
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Triple& a, const Triple& b) { return a.score < b.score; });
  if (out.size() > 12) out.resize(12);
  return out;
}

// ---- geometry: module space (u, v) -> pixels, affine from three points or a least-squares homography.

struct Homography {
  std::array<double, 8> h{1, 0, 0, 0, 1, 0, 0, 0};
  double scale_in = 1, scale_out = 1;  // normalisation: inputs divided by scale_in, outputs by scale_out
  Pt operator()(Pt m) const {
    const double u = m.x / scale_in, v = m.y / scale_in;
    const double d = h[6] * u + h[7] * v + 1;
    return {scale_out * (h[0] * u + h[1] * v + h[2]) / d, scale_out * (h[3] * u + h[4] * v + h[5]) / d};
  }
};

// Solves the n x n system a * x = b (row-major, augmented with b as column n). False if singular.
template <size_t N>
bool Solve(std::array<std::array<double, N + 1>, N>& a, std::array<double, N>* x) {
  for (size_t col = 0; col < N; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < N; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    if (std::abs(a[pivot][col]) < 1e-12) return false;
    std::swap(a[col], a[pivot]);
    for (size_t r = 0; r < N; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (size_t k = col; k <= N; ++k) a[r][k] -= f * a[col][k];
    }
  }
  for (size_t i = 0; i < N; ++i) (*x)[i] = a[i][N] / a[i][i];
  return true;
}

// Fits module -> pixel by least squares: affine (exact for 3 points), or projective when asked and
// there are at least 4 points.
bool Fit(const std::vector<std::pair<Pt, Pt>>& pairs, double scale_in, double scale_out, bool projective,
         Homography* out) {
  Homography H;
  H.scale_in = scale_in;
  H.scale_out = scale_out;
  if (pairs.size() < 3) return false;
  if (!projective || pairs.size() < 4) {
    std::array<std::array<double, 4>, 3> nx{}, ny{};
    for (const auto& [m, p] : pairs) {
      const std::array<double, 3> r = {m.x / scale_in, m.y / scale_in, 1};
      for (size_t i = 0; i < 3; ++i) {
        for (size_t j = 0; j < 3; ++j) nx[i][j] += r[i] * r[j], ny[i][j] += r[i] * r[j];
        nx[i][3] += r[i] * p.x / scale_out;
        ny[i][3] += r[i] * p.y / scale_out;
      }
    }
    std::array<double, 3> rx{}, ry{};
    if (!Solve<3>(nx, &rx) || !Solve<3>(ny, &ry)) return false;
    H.h = {rx[0], rx[1], rx[2], ry[0], ry[1], ry[2], 0, 0};
    *out = H;
    return true;
  }
  std::array<std::array<double, 9>, 8> n{};  // normal equations
  for (const auto& [m, p] : pairs) {
    const double u = m.x / scale_in, v = m.y / scale_in, x = p.x / scale_out, y = p.y / scale_out;
    const std::array<std::array<double, 9>, 2> rows = {{{u, v, 1, 0, 0, 0, -u * x, -v * x, x},
                                                        {0, 0, 0, u, v, 1, -u * y, -v * y, y}}};
    for (const auto& r : rows) {
      for (size_t i = 0; i < 8; ++i) {
        for (size_t j = 0; j < 9; ++j) n[i][j] += r[i] * r[j];
      }
    }
  }
  std::array<double, 8> h{};
  if (!Solve<8>(n, &h)) return false;
  H.h = h;
  *out = H;
  return true;
}

// ---- version information and alignment patterns.

struct VersionMatch {
  int version = 0;
  int distance = 99;
};

VersionMatch DecodeVersionBits(uint32_t bits) {
  VersionMatch best;
  for (int v = 7; v <= 40; ++v) {
    const int distance = std::popcount(bits ^ VersionInformationWord(v));
    if (distance < best.distance) best = {v, distance};
  }
  return best;
}

// Reads the two version blocks, each next to its finder (top right: 3 columns x 6 rows left of the
// top-right finder; bottom left: the transpose, above the bottom-left finder), stepping from the finder
// centre. The local geometry near a finder is not known yet, so a few are tried: the module pitch
// measured on that finder or the average along the edge for dimensions near the estimate, and the
// axis across the block turned by up to 12 degrees (a perspective view slants the far edges). Returns
// the version, or 0. Many reads make chance matches likelier, so the rule is strict: both blocks
// within 2 bits of the same version, or one block exact. (Each further candidate costs time only: a
// wrong grid fails zxing's error correction.)
int ReadVersion(const Image& img, const Triple& t, const std::vector<double>& edge_pitches) {
  const Pt ex = (1.0 / Norm(t.tr.c - t.tl.c)) * (t.tr.c - t.tl.c);
  const Pt ey = (1.0 / Norm(t.bl.c - t.tl.c)) * (t.bl.c - t.tl.c);
  auto turn = [](Pt p, double degrees) {
    const double r = degrees * 3.14159265358979323846 / 180, c = std::cos(r), s = std::sin(r);
    return Pt{c * p.x - s * p.y, s * p.x + c * p.y};
  };
  std::array<std::vector<VersionMatch>, 2> matches;
  for (int block = 0; block < 2; ++block) {
    const Finder& f = block == 0 ? t.tr : t.bl;
    std::vector<double> pitches = {f.module};
    pitches.insert(pitches.end(), edge_pitches.begin(), edge_pitches.end());
    for (double degrees : {0.0, -6.0, 6.0, -12.0, 12.0}) {
      // Block 0 runs along the top edge (ex) and across it downwards; block 1 the other way round.
      const Pt along_axis = block == 0 ? ex : ey;
      const Pt across_axis = turn(block == 0 ? ey : ex, degrees);
      for (double pitch : pitches) {
        uint32_t bits = 0;
        for (int i = 17; i >= 0; --i) {
          // Bit i: (i % 3) modules on from 7 before the finder centre along the edge, (i / 3) on from 3
          // before it across.
          const double along = -7 + i % 3, across = -3 + i / 3;
          bits = (bits << 1) |
                 (img.DarkAt(f.c + pitch * along * along_axis + pitch * across * across_axis) ? 1u : 0u);
        }
        const VersionMatch m = DecodeVersionBits(bits);
        if (m.distance == 0) return m.version;
        matches[static_cast<size_t>(block)].push_back(m);
      }
    }
  }
  for (const VersionMatch& a : matches[0]) {
    for (const VersionMatch& b : matches[1]) {
      if (a.distance <= 2 && b.distance <= 2 && a.version == b.version) return a.version;
    }
  }
  return 0;
}

// Contrast of the 5x5 alignment pattern centred at module point c: the mean of the light ring minus
// the mean of the dark centre and outer ring.
double AlignmentScore(const Image& img, const Homography& H, Pt c) {
  double dark = 0, light = 0;
  for (int j = -2; j <= 2; ++j) {
    for (int i = -2; i <= 2; ++i) {
      const double g = img.Grey(H(Pt{c.x + i, c.y + j}));
      (std::max(std::abs(i), std::abs(j)) == 1 ? light : dark) += g;
    }
  }
  return light / 8 - dark / 17;
}

// Best position of the alignment pattern within +-4 modules of its predicted centre (coarse, in half
// modules), then refined in eighths. Accepted only when the contrast is clear and at least 23 of the
// 25 module centres have the expected colour.
bool FindAlignment(const Image& img, const Homography& H, Pt centre, Pt* found) {
  double coarse_best = -1e9;
  Pt coarse_at = centre;
  for (int sv = -8; sv <= 8; ++sv) {
    for (int su = -8; su <= 8; ++su) {
      const Pt at{centre.x + su * 0.5, centre.y + sv * 0.5};
      const double score = AlignmentScore(img, H, at);
      if (score > coarse_best) coarse_best = score, coarse_at = at;
    }
  }
  if (coarse_best < 0.4 * img.range()) return false;
  std::array<std::pair<Pt, double>, 13 * 13> scores;
  double best = -1e9;
  size_t n = 0;
  for (int sv = -6; sv <= 6; ++sv) {
    for (int su = -6; su <= 6; ++su) {
      const Pt at{coarse_at.x + su * 0.125, coarse_at.y + sv * 0.125};
      const double score = AlignmentScore(img, H, at);
      scores[n++] = {at, score};
      best = std::max(best, score);
    }
  }
  // A sharp pattern scores the same anywhere within half a module of its centre: take the centroid of
  // the plateau, not its first corner.
  Pt sum{};
  double count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (scores[i].second >= best - 0.1 * img.range()) sum = sum + scores[i].first, count += 1;
  }
  if (count == 0) return false;
  const Pt best_at = (1.0 / count) * sum;
  if (best < 0.4 * img.range()) return false;
  int agree = 0;
  for (int j = -2; j <= 2; ++j) {
    for (int i = -2; i <= 2; ++i) {
      const bool want_dark = std::max(std::abs(i), std::abs(j)) != 1;
      agree += img.DarkAt(H(Pt{best_at.x + i, best_at.y + j})) == want_dark;
    }
  }
  if (agree < 23) return false;
  *found = best_at;
  return true;
}

// Distance in modules between where H puts module point m and pixel p.
double ResidualModules(const Homography& H, Pt m, Pt p) {
  const Pt at = H(m);
  const double module_px = (Norm(H(m + Pt{1, 0}) - at) + Norm(H(m + Pt{0, 1}) - at)) / 2;
  return module_px > 0 ? Norm(p - at) / module_px : 1e9;
}

bool SampleWithDimension(const Image& img, const Triple& t, int dimension, SampledGrid* grid) {
  const int version = (dimension - 17) / 4;
  const double d = dimension;
  const double scale_out = std::max(img.width(), img.height());
  std::vector<std::pair<Pt, Pt>> pairs = {
      {{3.5, 3.5}, t.tl.c}, {{d - 3.5, 3.5}, t.tr.c}, {{3.5, d - 3.5}, t.bl.c}};
  Homography H;
  if (!Fit(pairs, d, scale_out, false, &H)) return false;

  // Alignment patterns, nearest the finders first. Each is predicted by an affine fit to the points
  // already found nearest to it: a perspective image is locally affine, so the prediction stays
  // within the search window even far from the finders, where one global affine map would not.
  const std::vector<int> centres = AlignmentPatternCentres(version);
  std::vector<Pt> todo;
  for (int cy : centres) {
    for (int cx : centres) {
      const bool on_finder = (cx < 9 && cy < 9) || (cx > dimension - 10 && cy < 9) || (cx < 9 && cy > dimension - 10);
      if (!on_finder) todo.push_back({cx + 0.5, cy + 0.5});
    }
  }
  auto finder_distance = [&](Pt p) {
    return std::min({Norm(p - Pt{3.5, 3.5}), Norm(p - Pt{d - 3.5, 3.5}), Norm(p - Pt{3.5, d - 3.5})});
  };
  std::sort(todo.begin(), todo.end(), [&](Pt a, Pt b) { return finder_distance(a) < finder_distance(b); });
  std::vector<std::pair<Pt, Pt>> near;
  for (Pt c : todo) {
    near = pairs;
    std::sort(near.begin(), near.end(), [&](const auto& a, const auto& b) {
      return Norm(a.first - c) < Norm(b.first - c);
    });
    if (near.size() > 6) near.resize(6);
    Homography local;
    if (!Fit(near, d, scale_out, false, &local)) local = H;
    Pt at;
    if (FindAlignment(img, local, c, &at)) pairs.push_back({c, local(at)});
  }

  // The global map: projective once a point beyond the tr-bl diagonal pins the perspective (with
  // points only near the finders' edges it is ill-conditioned), else affine. Matches that disagree
  // with it by more than half a module are dropped and the map refitted.
  auto fit_all = [&](const std::vector<std::pair<Pt, Pt>>& pts, Homography* out) {
    bool projective = false;
    for (size_t i = 3; i < pts.size(); ++i) {
      projective = projective || pts[i].first.x + pts[i].first.y >= 1.25 * d;
    }
    return Fit(pts, d, scale_out, projective, out);
  };
  if (!fit_all(pairs, &H)) return false;
  if (pairs.size() > 3) {
    std::vector<std::pair<Pt, Pt>> kept(pairs.begin(), pairs.begin() + 3);
    for (size_t i = 3; i < pairs.size(); ++i) {
      if (ResidualModules(H, pairs[i].first, pairs[i].second) <= 0.5) kept.push_back(pairs[i]);
    }
    Homography refit;
    if (kept.size() != pairs.size() && fit_all(kept, &refit)) H = refit;
  }

  grid->dimension = dimension;
  grid->dark.assign(static_cast<size_t>(dimension) * static_cast<size_t>(dimension), 0);
  for (int v = 0; v < dimension; ++v) {
    for (int u = 0; u < dimension; ++u) {
      grid->dark[static_cast<size_t>(v) * static_cast<size_t>(dimension) + static_cast<size_t>(u)] =
          img.DarkAt(H(Pt{u + 0.5, v + 0.5})) ? 1 : 0;
    }
  }
  return true;
}

}  // namespace

uint32_t VersionInformationWord(int version) {
  if (version < 7 || version > 40) return 0;
  uint32_t rem = static_cast<uint32_t>(version) << 12;
  for (int i = 17; i >= 12; --i) {
    if (rem & (1u << i)) rem ^= 0x1f25u << (i - 12);  // generator G(x) = x^12+x^11+x^10+x^9+x^8+x^5+x^2+1
  }
  return (static_cast<uint32_t>(version) << 12) | rem;
}

bool StampFunctionPatterns(SampledGrid& grid) {
  const int d = grid.dimension;
  if (d < kMinDimension || d > kMaxDimension || (d - 17) % 4 != 0 ||
      grid.dark.size() != static_cast<size_t>(d) * static_cast<size_t>(d)) {
    return false;
  }
  const int version = (d - 17) / 4;
  auto set = [&](int x, int y, bool dark) {
    if (x >= 0 && y >= 0 && x < d && y < d) {
      grid.dark[static_cast<size_t>(y) * static_cast<size_t>(d) + static_cast<size_t>(x)] = dark ? 1 : 0;
    }
  };
  // Finders with their light separators: rings at Chebyshev distance 0..4 from the centre are
  // dark, light, dark (the 3x3 core), dark border at 3, separator at 4.
  for (const auto& [fx, fy] : {std::pair{3, 3}, std::pair{d - 4, 3}, std::pair{3, d - 4}}) {
    for (int y = fy - 4; y <= fy + 4; ++y) {
      for (int x = fx - 4; x <= fx + 4; ++x) {
        const int ring = std::max(std::abs(x - fx), std::abs(y - fy));
        set(x, y, ring != 2 && ring != 4);
      }
    }
  }
  for (int i = 8; i <= d - 9; ++i) {  // timing patterns
    set(i, 6, i % 2 == 0);
    set(6, i, i % 2 == 0);
  }
  const std::vector<int> centres = AlignmentPatternCentres(version);
  for (int cy : centres) {
    for (int cx : centres) {
      if ((cx < 9 && cy < 9) || (cx > d - 10 && cy < 9) || (cx < 9 && cy > d - 10)) continue;
      for (int j = -2; j <= 2; ++j) {
        for (int i = -2; i <= 2; ++i) set(cx + i, cy + j, std::max(std::abs(i), std::abs(j)) != 1);
      }
    }
  }
  set(8, d - 8, true);  // the dark module
  if (const uint32_t word = VersionInformationWord(version)) {
    for (int i = 0; i < 18; ++i) {
      const bool bit = (word >> i) & 1u;
      set(d - 11 + i % 3, i / 3, bit);
      set(i / 3, d - 11 + i % 3, bit);
    }
  }
  return true;
}

std::vector<int> AlignmentPatternCentres(int version) {
  if (version < 2 || version > 40) return {};
  // Evenly spaced from 6 to size-7, the spacing even and the first gap taking the remainder; this
  // reproduces the table of ISO/IEC 18004 annex E for every version.
  const int count = version / 7 + 2;
  const int size = 17 + 4 * version;
  const int step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2;
  std::vector<int> out(static_cast<size_t>(count));
  out[0] = 6;
  for (int i = count - 1, pos = size - 7; i >= 1; --i, pos -= step) out[static_cast<size_t>(i)] = pos;
  return out;
}

bool VisitQrGrids(const uint8_t* pixels, int width, int height, int max_candidates,
                  const std::function<bool(const SampledGrid&)>& visit) {
  Image img(pixels, width, height);
  if (!img.Prepare()) return false;
  const std::vector<Finder> finders = FindFinders(img);
  if (finders.size() < 3) return false;
  // Plan each plausible finder triple; a triple whose version information decodes (BCH-checked, so
  // very unlikely by chance) is almost certainly a real symbol and goes first.
  struct Plan {
    Triple triple;
    std::vector<int> dimensions;
    bool version_read = false;
  };
  std::vector<Plan> plans;
  for (const Triple& t : FinderTriples(finders)) {
    const double module = (t.tl.module + t.tr.module + t.bl.module) / 3;
    const double side = (Norm(t.tr.c - t.tl.c) + Norm(t.bl.c - t.tl.c)) / 2;
    const int estimate = std::clamp(
        static_cast<int>(std::lround((side / module + 7 - 17) / 4.0)) * 4 + 17, kMinDimension, kMaxDimension);
    Plan plan{t, {}, false};
    std::vector<double> edge_pitches;
    for (int delta : {0, -4, 4, -8, 8}) {
      if (estimate + delta > 7) edge_pitches.push_back(side / (estimate + delta - 7));
    }
    const int version = ReadVersion(img, t, edge_pitches);
    if (version != 0 && std::abs(17 + 4 * version - estimate) <= std::max(24, estimate / 4)) {
      plan.dimensions = {17 + 4 * version};
      plan.version_read = true;
    }
    // No version information read: only worth sampling if the symbol may be below version 7 (none
    // there); a larger one whose version blocks we cannot read is past saving, and in a noisy frame
    // this is what keeps false finder triples from costing a full sampling each.
    if (plan.dimensions.empty()) {
      for (int delta : {0, -4, 4}) {
        const int d = estimate + delta;
        if (d >= kMinDimension && d <= kMaxSmallDimension) plan.dimensions.push_back(d);
      }
    }
    plans.push_back(std::move(plan));
  }
  std::stable_sort(plans.begin(), plans.end(),
                   [](const Plan& a, const Plan& b) { return a.version_read && !b.version_read; });

  int tried = 0;
  for (const Plan& plan : plans) {
    for (int d : plan.dimensions) {
      if (tried++ >= max_candidates) return false;
      SampledGrid grid;
      if (SampleWithDimension(img, plan.triple, d, &grid) && visit(grid)) return true;
    }
  }
  return false;
}

}  // namespace wathiq::verifier::internal
