// Internal to verifier/: the cross-check both finder-pattern searches use (qr_grid.cc, the fallback
// decoder's, and finder_count.cc, the bound before zxing-cpp runs). Each brings its own binarised image and
// its own judgement of the 1:1:3:1:1 ratio.
// Thread-safety: a pure function of its arguments.
#pragma once

#include <array>

namespace wathiq::verifier::internal {

// The five runs dark-light-dark-light-dark through dark pixel (x, y) along (dx, dy), none longer than
// max_run, judged by ratio_ok(runs). On success the centre of the middle run along that axis (x for a
// horizontal or diagonal check, y for a vertical one) and the total length of the five runs.
// Image: In(x, y) and Dark(x, y), as the binarised images of both searches have.
template <typename Image, typename RatioOk>
bool CrossCheck(const Image& img, int x, int y, int dx, int dy, int max_run, RatioOk&& ratio_ok, double* centre,
                int* total) {
  if (!img.In(x, y) || !img.Dark(x, y)) return false;
  std::array<int, 5> c{};
  // Counts pixels of one colour from step k on, along sign * (dx, dy); false if none or too many.
  auto run = [&](int sign, int& k, bool dark, int& counter) {
    while (true) {
      const int px = x + sign * k * dx, py = y + sign * k * dy;
      if (!img.In(px, py) || img.Dark(px, py) != dark) break;
      if (++counter > max_run) return false;
      ++k;
    }
    return counter > 0;
  };
  int k = 0;
  if (!run(-1, k, true, c[2])) return false;  // the middle run back to its start, (x, y) included
  const int back = c[2];
  if (!run(-1, k, false, c[1]) || !run(-1, k, true, c[0])) return false;
  k = 1;
  int forward = 0;
  if (img.In(x + dx, y + dy) && img.Dark(x + dx, y + dy) && !run(+1, k, true, forward)) return false;
  c[2] += forward;
  if (!run(+1, k, false, c[3]) || !run(+1, k, true, c[4])) return false;
  if (!ratio_ok(c)) return false;
  const int axis = dx != 0 ? x : y;
  *centre = axis - back + 1 + c[2] / 2.0;
  *total = c[0] + c[1] + c[2] + c[3] + c[4];
  return true;
}

}  // namespace wathiq::verifier::internal
