#include "finder_count.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <utility>
#include <vector>

#include "finder_cross_check.h"

namespace wathiq::verifier::internal {
namespace {

constexpr int kBlock = 8;             // zxing's HybridBinarizer block side
constexpr int kMinDynamicRange = 24;  // its "flat block" contrast
constexpr int kMaxReach = 96;         // pixels searched around a core for its enclosing light ring
constexpr int kFloodBudget = 4096;    // pixels of one core visited before it counts as enclosed
constexpr size_t kMaxOpenCores = 256; // cores that leaked, remembered so as not to flood them twice

// Pixel (x, y) is dark when its value (inverted for light_on_dark) is at most its block's threshold.
class Binary {
 public:
  Binary(const uint8_t* pixels, int width, int height, bool invert)
      : px_(pixels), w_(width), h_(height), invert_(invert), bw_((width + kBlock - 1) / kBlock),
        bh_((height + kBlock - 1) / kBlock) {
    std::vector<int> black(static_cast<size_t>(bw_) * static_cast<size_t>(bh_));
    // Block sums, minima and maxima, one band of kBlock rows at a time, row pointers in the inner loop.
    std::vector<int> sum(static_cast<size_t>(bw_)), mn(static_cast<size_t>(bw_)), mx(static_cast<size_t>(bw_));
    const int flip = invert_ ? 255 : 0;
    for (int by = 0; by < bh_; ++by) {
      std::fill(sum.begin(), sum.end(), 0);
      std::fill(mn.begin(), mn.end(), 255);
      std::fill(mx.begin(), mx.end(), 0);
      const int y_end = std::min(h_, (by + 1) * kBlock);
      for (int y = by * kBlock; y < y_end; ++y) {
        const uint8_t* src = px_ + static_cast<size_t>(y) * static_cast<size_t>(w_);
        for (int bx = 0; bx < bw_; ++bx) {
          int s = 0, lo = 255, hi = 0;
          for (int x = bx * kBlock, end = std::min(w_, x + kBlock); x < end; ++x) {
            const int v = src[x] ^ flip;
            s += v, lo = std::min(lo, v), hi = std::max(hi, v);
          }
          const size_t b = static_cast<size_t>(bx);
          sum[b] += s, mn[b] = std::min(mn[b], lo), mx[b] = std::max(mx[b], hi);
        }
      }
      for (int bx = 0; bx < bw_; ++bx) {
        const size_t b = static_cast<size_t>(bx);
        const int n = (y_end - by * kBlock) * (std::min(w_, (bx + 1) * kBlock) - bx * kBlock);
        int point = sum[b] / n;
        if (mx[b] - mn[b] <= kMinDynamicRange) {
          // A flat block is light unless the blocks above and to the left say it sits in a dark area.
          point = mn[b] / 2;
          if (bx > 0 && by > 0) {
            const int nb = (At(black, bx, by - 1) + 2 * At(black, bx - 1, by) + At(black, bx - 1, by - 1)) / 4;
            if (mn[b] < nb) point = nb;
          }
        }
        black[Index(bx, by)] = point;
      }
    }
    threshold_.resize(black.size());
    for (int by = 0; by < bh_; ++by) {
      for (int bx = 0; bx < bw_; ++bx) {
        // The 5x5 neighbourhood, moved inwards at the borders as zxing does.
        const int cx = std::clamp(bx, std::min(2, bw_ - 1), std::max(bw_ - 3, 0));
        const int cy = std::clamp(by, std::min(2, bh_ - 1), std::max(bh_ - 3, 0));
        int total = 0, n = 0;
        for (int y = std::max(0, cy - 2); y <= std::min(bh_ - 1, cy + 2); ++y) {
          for (int x = std::max(0, cx - 2); x <= std::min(bw_ - 1, cx + 2); ++x) total += At(black, x, y), ++n;
        }
        threshold_[Index(bx, by)] = static_cast<uint8_t>(total / n);
      }
    }
    // The cross-checks revisit pixels many times: one byte per pixel beats recomputing the threshold.
    dark_.resize(static_cast<size_t>(w_) * static_cast<size_t>(h_));
    for (int y = 0; y < h_; ++y) {
      const uint8_t* src = px_ + static_cast<size_t>(y) * static_cast<size_t>(w_);
      const uint8_t* thr = threshold_.data() + Index(0, y / kBlock);
      uint8_t* out = dark_.data() + static_cast<size_t>(y) * static_cast<size_t>(w_);
      for (int bx = 0; bx < bw_; ++bx) {
        const int t = thr[bx];
        for (int x = bx * kBlock, end = std::min(w_, x + kBlock); x < end; ++x) out[x] = (src[x] ^ flip) <= t ? 1 : 0;
      }
    }
  }

  int width() const { return w_; }
  int height() const { return h_; }
  bool In(int x, int y) const { return x >= 0 && y >= 0 && x < w_ && y < h_; }
  bool Dark(int x, int y) const {
    return dark_[static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)] != 0;
  }
  const uint8_t* Row(int y) const { return dark_.data() + static_cast<size_t>(y) * static_cast<size_t>(w_); }

 private:
  size_t Index(int bx, int by) const { return static_cast<size_t>(by) * static_cast<size_t>(bw_) + static_cast<size_t>(bx); }
  int At(const std::vector<int>& v, int bx, int by) const { return v[Index(bx, by)]; }

  const uint8_t* px_;
  int w_, h_;
  bool invert_;
  int bw_, bh_;
  std::vector<uint8_t> threshold_;
  std::vector<uint8_t> dark_;  // 1 = dark, row-major
};

// 1:1:3:1:1 judged as zxing-cpp judges it in its finder search, but never stricter: each run within
// two thirds of a module (the middle run three times that) or within zxing's own tolerance, half a
// module plus half a pixel (0.75 of a module plus half a pixel where zxing is lenient, on the
// diagonals), whichever is looser. The half pixel matters for one- and two-pixel modules.
bool FinderRatio(const std::array<int, 5>& c, bool lenient) {
  const int total = c[0] + c[1] + c[2] + c[3] + c[4];
  if (total < 7) return false;
  const double m = total / 7.0;
  const double tol = std::max(m / 1.5, (lenient ? 0.75 : 0.5) * m + 0.5);
  return std::abs(m - c[0]) <= tol && std::abs(m - c[1]) <= tol && std::abs(3 * m - c[2]) <= 3 * tol &&
         std::abs(m - c[3]) <= tol && std::abs(m - c[4]) <= tol;
}
bool StraightRatio(const std::array<int, 5>& c) { return FinderRatio(c, false); }
bool DiagonalRatio(const std::array<int, 5>& c) { return FinderRatio(c, true); }

// Whether the dark region around (x, y) is enclosed by light within `reach` pixels (L-infinity) of it.
// zxing-cpp 1.4 keeps a finder only when a light ring closes around its core (an outline it traces
// within its search range); a 4-connected dark region cannot cross any closed light curve, so every
// finder zxing keeps passes this, while 1-pixel noise, whose dark grains join up, mostly does not.
// Past `budget` pixels the region counts as enclosed: the count errs high, never the other way.
bool CoreEnclosed(const Binary& img, int x, int y, int reach, int budget, std::vector<std::pair<int, int>>& stack,
                  std::vector<uint8_t>& seen, std::vector<size_t>& touched) {
  const int side = 2 * kMaxReach + 1;  // seen is side x side, all zero between calls
  seen.resize(static_cast<size_t>(side) * static_cast<size_t>(side));
  stack.clear();
  touched.clear();
  auto push = [&](int px, int py) {
    const size_t i =
        static_cast<size_t>(py - y + kMaxReach) * static_cast<size_t>(side) + static_cast<size_t>(px - x + kMaxReach);
    if (!seen[i]) seen[i] = 1, touched.push_back(i), stack.emplace_back(px, py);
  };
  auto enclosed = [&]() {
    push(x, y);
    int visited = 0;
    while (!stack.empty()) {
      const auto [px, py] = stack.back();
      stack.pop_back();
      if (++visited > budget) return true;
      if (std::abs(px - x) >= reach || std::abs(py - y) >= reach) return false;  // escaped
      for (const auto& [nx, ny] : {std::pair{px + 1, py}, {px - 1, py}, {px, py + 1}, {px, py - 1}}) {
        if (!img.In(nx, ny)) return false;
        if (img.Dark(nx, ny)) push(nx, ny);
      }
    }
    return true;
  };
  const bool result = enclosed();
  for (size_t i : touched) seen[i] = 0;
  return result;
}

struct Candidate {
  double x, y, module;
};

}  // namespace

int CountFinderCandidates(const uint8_t* pixels, int width, int height, bool light_on_dark, int stop_after) {
  if (pixels == nullptr || width <= 0 || height <= 0) return 0;
  const Binary img(pixels, width, height, light_on_dark);
  std::vector<Candidate> found;
  std::vector<Candidate> open_cores;  // confirmed on four axes but not enclosed
  std::vector<std::pair<int, int>> runs;  // start, length
  std::vector<std::pair<int, int>> stack;
  std::vector<uint8_t> seen;
  std::vector<size_t> touched;
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = img.Row(y);
    runs.clear();
    int x = 0;
    while (x < width && !row[x]) ++x;  // even-indexed runs are dark
    while (x < width) {
      const uint8_t dark = row[x];
      const int start = x;
      while (x < width && row[x] == dark) ++x;
      runs.emplace_back(start, x - start);
    }
    for (size_t i = 0; i + 4 < runs.size(); i += 2) {
      std::array<int, 5> c{};
      for (size_t k = 0; k < 5; ++k) c[k] = runs[i + k].second;
      if (!FinderRatio(c, false)) continue;
      const int h_total = c[0] + c[1] + c[2] + c[3] + c[4];
      const int cx0 = runs[i + 2].first + runs[i + 2].second / 2;
      // One pattern is met on every row through its core. zxing-cpp skips a hit that lies inside a
      // pattern it already has (within half its 7-module size); so do we, which counts what it counts
      // and spares the cross-checks.
      auto inside_known = [&](double px, double py) {
        return std::any_of(found.begin(), found.end(), [&](const Candidate& f) {
          const double dx = f.x - px, dy = f.y - py, r = 3.5 * f.module;
          return dx * dx + dy * dy < r * r;
        });
      };
      if (inside_known(cx0 + 0.5, y + 0.5)) continue;
      double cy = 0, cx = 0;
      int v_total = 0, h_total2 = 0;
      // Runs up to twice the row's total: zxing accepts finders foreshortened up to 2:1 or more.
      if (!CrossCheck(img, cx0, y, 0, 1, 2 * h_total, StraightRatio, &cy, &v_total)) continue;
      if (!CrossCheck(img, cx0, static_cast<int>(cy), 1, 0, 2 * h_total, StraightRatio, &cx, &h_total2)) continue;
      // zxing checks both diagonals as well (at twice the reach); a pattern must pass them here too.
      const int ix = static_cast<int>(cx), iy = static_cast<int>(cy);
      double unused = 0;
      int d_total = 0;
      if (!CrossCheck(img, ix, iy, 1, 1, 4 * h_total, DiagonalRatio, &unused, &d_total) ||
          !CrossCheck(img, ix, iy, 1, -1, 4 * h_total, DiagonalRatio, &unused, &d_total)) {
        continue;
      }
      const double module = std::min(h_total2, v_total) / 7.0;
      if (inside_known(cx, cy)) continue;
      // zxing searches for the ring within three times the row's pattern length.
      // A core that leaked is met again on the next rows through it: remember it (within a module
      // of the same centre only, so that no other pattern is skipped) rather than flood it again.
      const bool leaked_before = std::any_of(open_cores.begin(), open_cores.end(), [&](const Candidate& f) {
        const double dx = f.x - cx, dy = f.y - cy;
        return dx * dx + dy * dy < f.module * f.module;
      });
      if (leaked_before) continue;
      const int reach = std::min(3 * h_total, kMaxReach);
      if (!CoreEnclosed(img, ix, iy, reach, kFloodBudget, stack, seen, touched)) {
        if (open_cores.size() < kMaxOpenCores) open_cores.push_back({cx, cy, module});
        continue;
      }
      found.push_back({cx, cy, module});
      if (static_cast<int>(found.size()) > stop_after) return static_cast<int>(found.size());
    }
  }
  return static_cast<int>(found.size());
}

}  // namespace wathiq::verifier::internal
