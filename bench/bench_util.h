// Tiny timing harness for the benchmark programs: ops/s as the median of several timed rounds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace wathiq::bench {

// Runs fn() repeatedly for about `seconds` per round, `rounds` times; returns the median ops/s.
template <class F>
double Rate(F&& fn, double seconds = 0.4, int rounds = 5) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 50; ++i) fn();  // warm up
  std::vector<double> rates;
  for (int r = 0; r < rounds; ++r) {
    size_t n = 0;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    Clock::time_point now;
    do {
      for (int i = 0; i < 16; ++i) fn();
      n += 16;
      now = Clock::now();
    } while (now < deadline);
    rates.push_back(static_cast<double>(n) / std::chrono::duration<double>(now - start).count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

// Two rates measured in alternating rounds, so that a neighbour's load or a frequency change hits both
// alike: for the ratio targets. Returns the medians {ops/s of a, ops/s of b}.
template <class A, class B>
std::pair<double, double> RatePair(A&& a, B&& b, double seconds = 0.25, int rounds = 9) {
  std::vector<double> ra, rb;
  for (int r = 0; r < rounds; ++r) {
    ra.push_back(Rate(a, seconds, 1));
    rb.push_back(Rate(b, seconds, 1));
  }
  std::sort(ra.begin(), ra.end());
  std::sort(rb.begin(), rb.end());
  return {ra[ra.size() / 2], rb[rb.size() / 2]};
}

inline void Row(const std::string& name, double ops, const std::string& note = "") {
  std::printf("  %-58s %12.0f /s  %s\n", name.c_str(), ops, note.c_str());
}

inline void Ratio(const std::string& name, double a, double b, double target = 0) {
  if (target > 0) {
    std::printf("  %-58s %12.2f     (target >= %.2f: %s)\n", name.c_str(), a / b, target,
                a / b >= target ? "met" : "NOT met");
  } else {
    std::printf("  %-58s %12.2f\n", name.c_str(), a / b);
  }
}

}  // namespace wathiq::bench
