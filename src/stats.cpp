#include "funnel/stats.h"

#include <algorithm>
#include <cmath>

namespace funnel {

std::optional<Interval> wilson(std::uint64_t successes, std::uint64_t trials, double z) {
  if (trials == 0) return std::nullopt;
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double centre = (p + z2 / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
  // At 0 or n successes the bound on that side is exact (rounding would leave 1e-17 off).
  return Interval{successes == 0 ? 0.0 : std::max(0.0, centre - half),
                  successes == trials ? 1.0 : std::min(1.0, centre + half)};
}

std::optional<double> two_proportion_z(std::uint64_t x1, std::uint64_t n1, std::uint64_t x2, std::uint64_t n2) {
  if (n1 == 0 || n2 == 0) return std::nullopt;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  const double pooled = static_cast<double>(x1 + x2) / (a + b);
  if (pooled <= 0 || pooled >= 1) return std::nullopt;
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / a + 1 / b));
  return (static_cast<double>(x1) / a - static_cast<double>(x2) / b) / se;
}

bool large_enough_for_z(std::uint64_t x1, std::uint64_t n1, std::uint64_t x2, std::uint64_t n2) {
  if (n1 == 0 || n2 == 0) return false;
  const double pooled = static_cast<double>(x1 + x2) / static_cast<double>(n1 + n2);
  const double smaller = std::min(pooled, 1 - pooled);
  return static_cast<double>(std::min(n1, n2)) * smaller >= 5;
}

double two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double upper_p(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace funnel
