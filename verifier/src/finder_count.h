// Internal to the verifier: a cheap count of QR finder-pattern candidates, taken before zxing-cpp runs.
//
// Why: zxing-cpp 1.4 pairs every three finder patterns it finds into candidate symbols
// (GenerateFinderPatternSets is a triple loop) and tries to sample the plausible ones, so its cost
// grows with the cube of the number of finder-like patterns in the image. A 4 KB PNG tiled with 1,600
// finders (960x960) cost 71 s of CPU before `not_found` (outside review, denial of service). A photo
// or screenshot of one QR code holds three real finders and a few look-alikes; an image with many is
// not one we should spend zxing on.
//
// What is counted: 1:1:3:1:1 dark-light-dark-light-dark runs along each row, confirmed by the same
// ratio down and across through the centre, merged when they land on one centre. The binarization
// follows zxing-cpp's own LocalAverage (HybridBinarizer) rule — 8x8 blocks, each pixel compared with the
// mean of the 5x5 blocks around it, low-contrast blocks darkened only from their neighbours — so that a
// pattern zxing can see, at any contrast, is a pattern counted here; the ratio test is looser than
// zxing's and only two axes are checked (zxing also checks the diagonals), so the count errs high.
//
// Cost: one pass over the pixels for the block statistics (memory: 8 bytes per 64 pixels), one over the
// rows; each confirmed candidate is compared with at most stop_after others.
#pragma once

#include <cstdint>

namespace wathiq::verifier::internal {

// The number of distinct finder-pattern candidates, counting no further than stop_after + 1 (the
// caller only needs to know whether a cap was passed). light_on_dark counts the patterns of the
// negative image, which the decoder also hands to zxing.
int CountFinderCandidates(const uint8_t* pixels, int width, int height, bool light_on_dark, int stop_after);

}  // namespace wathiq::verifier::internal
