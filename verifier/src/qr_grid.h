// Internal to the verifier: a fallback QR locator for the symbols zxing-cpp 1.4 does not find.
//
// Why: zxing-cpp 1.4 derives a symbol's dimension from the module size it measures on the finder
// patterns. With few pixels per module (a scaled, rotated or tilted photo) the estimate is off by a
// version or more for large symbols, so it samples the wrong grid and fails (upstream issue #314,
// fixed in zxing-cpp 2.x by reading the version information). Here we find the three finder patterns,
// read the version information (BCH-protected) to get the true dimension, refine the geometry with the
// alignment patterns (a least-squares homography, grown outwards from the finders), and sample every
// module. The caller turns the grid into a clean image for zxing's pure-symbol reader, so all error
// correction and data decoding stays in zxing: a wrong grid fails Reed-Solomon, it cannot make up text.
//
// Bounded work: one pass over the pixels to threshold, one over the rows to find finder patterns (at
// most 200 collected, each hit compared with those), the 10 most often seen finders, a fixed number of
// candidate finder triples and dimensions. The caller keeps the image within kMaxWorkingPixels
// (qr_decode.h), which bounds the passes and the memory (about 2 bytes per pixel). No exceptions
// except std::bad_alloc.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace wathiq::verifier::internal {

struct SampledGrid {
  int dimension = 0;           // modules per side, 21..177
  std::vector<uint8_t> dark;   // dimension * dimension, row-major, 1 = dark
};

// Calls visit with each plausible grid, best candidates first, until visit returns true or the
// candidates (at most max_candidates) run out. Returns whether visit returned true.
bool VisitQrGrids(const uint8_t* pixels, int width, int height, int max_candidates,
                  const std::function<bool(const SampledGrid&)>& visit);

// Overwrites the function patterns (finders with separators, timing patterns, alignment patterns, the
// dark module and, from version 7, the version information) with their exact values for
// grid.dimension, leaving the data, error correction and format information as sampled. They carry no
// data; making them exact spares the pure-symbol reader a sampling error there and, with Debian's
// zxing-cpp 1.4 (built with assertions on), an abort() in its pure-symbol detector on grids whose
// finders came out wrong (found by fuzzing). Returns false when dimension is not 21..177, 1 mod 4.
bool StampFunctionPatterns(SampledGrid& grid);

// Alignment pattern centre coordinates (module indices) for a version, as in ISO/IEC 18004 annex E.
std::vector<int> AlignmentPatternCentres(int version);

// The 18-bit version information word for versions 7..40 (ISO/IEC 18004 annex D), 0 otherwise.
uint32_t VersionInformationWord(int version);

}  // namespace wathiq::verifier::internal
