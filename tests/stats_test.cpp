// Hand-checked values: Wilson intervals against the closed form worked by hand (and R's
// prop.test(correct = FALSE)), z-tests against the textbook formula.
#include <doctest/doctest.h>

#include <cmath>

#include "funnel/stats.h"

using funnel::two_proportion_z;
using funnel::wilson;

TEST_SUITE("stats") {
  TEST_CASE("Wilson interval of 7 out of 9") {
    // p = 0.7778, z² = 3.8415: centre = (0.7778 + 0.2134) / 1.4268 = 0.6947;
    // half = 1.96 * sqrt(0.019204 + 0.011857) / 1.4268 = 0.2421 -> [0.4529, 0.9368].
    auto i = wilson(7, 9);
    REQUIRE(i);
    CHECK(i->low == doctest::Approx(0.4529).epsilon(0.0005));
    CHECK(i->high == doctest::Approx(0.9368).epsilon(0.0005));
  }
  TEST_CASE("Wilson interval at the edges stays inside [0, 1] and is not degenerate") {
    auto none = wilson(0, 10);
    REQUIRE(none);
    CHECK(none->low == 0.0);
    CHECK(none->high == doctest::Approx(0.2775).epsilon(0.0005));  // z²/(n+z²) = 3.8415/13.8415
    auto all = wilson(10, 10);
    REQUIRE(all);
    CHECK(all->high == 1.0);
    CHECK(all->low == doctest::Approx(0.7225).epsilon(0.0005));
    CHECK_FALSE(wilson(0, 0));
  }
  TEST_CASE("a large sample gives a narrow interval around the rate") {
    auto i = wilson(2500, 10000);
    REQUIRE(i);
    CHECK(i->low == doctest::Approx(0.2416).epsilon(0.0005));
    CHECK(i->high == doctest::Approx(0.2586).epsilon(0.0005));
  }
  TEST_CASE("two-proportion z-test") {
    // 60/100 vs 40/100: pooled 0.5, se = sqrt(0.25 * 0.02) = 0.070711, z = 0.2 / 0.070711 = 2.8284.
    auto z = two_proportion_z(60, 100, 40, 100);
    REQUIRE(z);
    CHECK(*z == doctest::Approx(2.8284).epsilon(0.0001));
    CHECK(funnel::two_sided_p(*z) == doctest::Approx(0.004678).epsilon(0.001));
    CHECK(funnel::upper_p(*z) == doctest::Approx(0.002339).epsilon(0.001));
    CHECK(funnel::upper_p(-*z) == doctest::Approx(0.997661).epsilon(0.0001));
    // Same rates: z = 0, p = 1.
    CHECK(*two_proportion_z(5, 10, 50, 100) == doctest::Approx(0.0));
    CHECK(funnel::two_sided_p(0.0) == doctest::Approx(1.0));
    // Undefined: an empty side, or nobody (or everybody) converted on both sides.
    CHECK_FALSE(two_proportion_z(0, 0, 5, 10));
    CHECK_FALSE(two_proportion_z(0, 10, 0, 20));
    CHECK_FALSE(two_proportion_z(10, 10, 20, 20));
  }
  TEST_CASE("the z-test is used only where every expected count is at least 5") {
    // 1 lead against 8: the approximation fails, whatever z says.
    CHECK_FALSE(funnel::large_enough_for_z(0, 1, 7, 8));
    // 60/100 vs 40/100: pooled 0.5, 100 * 0.5 = 50 >= 5.
    CHECK(funnel::large_enough_for_z(60, 100, 40, 100));
    // 2/10 vs 3/10: pooled 0.25, 10 * 0.25 = 2.5 < 5.
    CHECK_FALSE(funnel::large_enough_for_z(2, 10, 3, 10));
    // 5/20 vs 5/20: pooled 0.25, 20 * 0.25 = 5: exactly enough.
    CHECK(funnel::large_enough_for_z(5, 20, 5, 20));
  }
}
