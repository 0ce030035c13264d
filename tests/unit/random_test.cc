// The synthetic weights' draws (host/net/random.h) against the standard library's: the same
// values bit for bit, so the faster start-up changes no weight.
#include "host/net/random.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace sasim {
namespace {

TEST(RandomTest, Mt19937IsTheLibrarysSequence) {
  for (uint32_t seed : {0u, 1u, 5489u, 12345u, 0xffffffffu}) {
    Mt19937 ours(seed);
    std::mt19937 theirs(seed);
    for (int i = 0; i < 200000; ++i) ASSERT_EQ(ours(), theirs()) << "seed " << seed << " #" << i;
  }
}

TEST(RandomTest, NormalDrawsAreTheLibrarysValues) {
  // Alternating objects on one engine (as a layer's weights and then its biases draw), odd and
  // even lengths (a pair's second value dropped with its object), several parameters.
  Mt19937 ours(1234);
  std::mt19937 theirs(1234);
  const double params[][2] = {{0.0, 1.0}, {0.0, 0.6}, {0.0, 60.0}, {1536.0, 768.0}, {-3.5, 1e-3}};
  int64_t compared = 0;
  for (int round = 0; round < 40; ++round) {
    const auto& p = params[round % 5];
    NormalDraws a(ours, p[0], p[1]);
    std::normal_distribution<double> b(p[0], p[1]);
    const int count = 1 + round * 977 % 20011;
    for (int i = 0; i < count; ++i, ++compared) {
      const double x = a(), y = b(theirs);
      ASSERT_EQ(std::memcmp(&x, &y, sizeof x), 0)
          << "round " << round << " draw " << i << ": " << x << " vs " << y;
    }
  }
  EXPECT_GT(compared, 300000);
  EXPECT_EQ(ours(), theirs());  // the engines end in the same state
}

TEST(RandomTest, RoundToWeightIsClampedRound) {
  const auto reference = [](double v) {
    return static_cast<int8_t>(std::clamp(std::round(v), -127.0, 127.0));
  };
  std::vector<double> values = {0.0,
                                -0.0,
                                0.5,
                                -0.5,
                                1.5,
                                -1.5,
                                2.5,
                                126.5,
                                127.0,
                                127.49,
                                127.5,
                                -127.5,
                                -128.7,
                                1e9,
                                -1e9,
                                0.49999999999999994,
                                -0.49999999999999994,
                                std::nextafter(2.5, 0.0),
                                std::numeric_limits<double>::max(),
                                -std::numeric_limits<double>::max()};
  std::mt19937 rng(5);
  std::normal_distribution<double> wide(0.0, 90.0);
  for (int i = 0; i < 100000; ++i) values.push_back(wide(rng));
  for (int i = -600; i <= 600; ++i) values.push_back(i * 0.25);
  for (double v : values) EXPECT_EQ(RoundToWeight(v), reference(v)) << v;
}

}  // namespace
}  // namespace sasim
