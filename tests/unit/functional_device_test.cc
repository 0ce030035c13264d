// The course-style driver calls on the functional device, bit-exact against the golden model.
// (The shared layer cases run on every device in tests/integration/layer_cases_test.cc.)
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "host/device/functional_device.h"
#include "host/golden/golden.h"
#include "host/driver/course_calls.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

TEST(FunctionalDeviceTest, CourseStyleCalls) {
  FunctionalDevice device(testcases::DefaultHw());
  std::mt19937 rng(3);
  const ConvShape shape{5, 6, 6, 20, 3, 3, 1, 1};
  const auto input = testcases::RandomActivations(rng, 5 * 36);
  const auto weights = testcases::RandomWeights(rng, shape.reduction() * 20);
  const auto bias = testcases::RandomBias(rng, 20);
  const auto relu = QConv2dRelu(device, testcases::DefaultHw(), shape, input, weights, bias, 6,
                                Rounding::kFloor);
  EXPECT_EQ(relu.output, golden::Conv2d(shape, input, weights, bias, {true, 6}));
  const auto pooled = QConv2dReluMaxpool(device, testcases::DefaultHw(), shape, input, weights,
                                         bias, 6, Rounding::kNearestEven);
  EXPECT_EQ(pooled.output,
            golden::MaxPool2d(20, 6, 6, 2, 2,
                              golden::Conv2d(shape, input, weights, bias,
                                             {true, 6, Rounding::kNearestEven})));
  const auto fc_in = testcases::RandomActivations(rng, 40);
  const auto fc_w = testcases::RandomWeights(rng, 40 * 10);
  const auto fc_b = testcases::RandomBias(rng, 10);
  EXPECT_EQ(QLinear(device, testcases::DefaultHw(), 40, 10, fc_in, fc_w, fc_b, 5,
                    Rounding::kFloor).output,
            golden::Linear(40, 10, fc_in, fc_w, fc_b, {false, 5}));
  EXPECT_EQ(QLinearRelu(device, testcases::DefaultHw(), 40, 10, fc_in, fc_w, fc_b, 5,
                        Rounding::kFloor).output,
            golden::Linear(40, 10, fc_in, fc_w, fc_b, {true, 5}));
}

}  // namespace
}  // namespace sasim
