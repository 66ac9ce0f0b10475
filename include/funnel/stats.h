// Statistics for rates: confidence intervals and significance tests, so a small segment or
// a quiet week never looks like a signal.
#pragma once

#include <cstdint>
#include <optional>

namespace funnel {

/// z for a two-sided 95% interval.
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double low = 0, high = 0;
};

/// The Wilson score interval of `successes` out of `trials` (nullopt when trials is 0):
/// centre (p + z²/2n) / (1 + z²/n), half-width z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
std::optional<Interval> wilson(std::uint64_t successes, std::uint64_t trials, double z = kZ95);

/// The two-proportion z-test with pooled variance: z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)),
/// p = (x1 + x2) / (n1 + n2). Nullopt when either n is 0 or the pooled rate is 0 or 1.
std::optional<double> two_proportion_z(std::uint64_t x1, std::uint64_t n1, std::uint64_t x2, std::uint64_t n2);

/// Whether the normal approximation behind two_proportion_z holds: every expected count
/// (n1·p, n1·(1-p), n2·p, n2·(1-p) with the pooled p) is at least 5.
bool large_enough_for_z(std::uint64_t x1, std::uint64_t n1, std::uint64_t x2, std::uint64_t n2);

/// Two-sided p-value of a z score: P(|Z| >= |z|).
double two_sided_p(double z);
/// One-sided p-value that the first rate is greater: P(Z >= z).
double upper_p(double z);

}  // namespace funnel
