// Single layers through the Verilated sa_top (bare: clocked directly, DRAM model attached),
// bit-exact against the golden model, counters against their closed forms.
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "host/device/functional_device.h"
#include "sim/bare_device.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

void RunCases(const HwConfig& hw) {
  BareDevice device(hw);
  FunctionalDevice functional(hw);
  for (const auto& c : testcases::LayerCases()) {
    SCOPED_TRACE(c.layer.name + " on " + hw.name);
    const auto program = compiler::CompileLayer(c.layer, hw, 0x1000);
    const auto run = RunLayer(device, program, c.input);
    testcases::ExpectMatchesGolden(c, run);
    testcases::ExpectClosedFormCounters(c, program, run.counters, /*timed=*/true);
    // Every counter that does not depend on timing equals the functional device's.
    const auto reference = RunLayer(functional, program, c.input);
    for (int i = 0; i < isa::kNumCounters; ++i) {
      const auto which = static_cast<isa::Counter>(i);
      if (which == isa::Counter::kCycles || which == isa::Counter::kBusyCycles ||
          which == isa::Counter::kStallLoad || which == isa::Counter::kStallStore ||
          which == isa::Counter::kStallFetch || which == isa::Counter::kCmdFetchBytes ||
          which == isa::Counter::kIssueCycles) {
        continue;
      }
      EXPECT_EQ(run.counters[i], reference.counters[i]) << isa::CounterName(which);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(CoreTest, LayerCasesDefaultHw) { RunCases(testcases::DefaultHw()); }
TEST(CoreTest, LayerCasesSmallHw) { RunCases(testcases::SmallHw()); }

// Accumulation steps that wrap int32, counted in the hardware's order: each output starts from
// its bias and adds the taps in reduction order (16-channel block, ky, kx, channel in block);
// padding taps add 0 (docs/isa.md, acc_wraps).
uint64_t ReferenceWraps(const testcases::LayerCase& c) {
  const ConvShape& s = c.layer.shape;
  uint64_t wraps = 0;
  for (int n = 0; n < s.out_channels; ++n) {
    for (int e = 0; e < s.out_height(); ++e) {
      for (int f = 0; f < s.out_width(); ++f) {
        int64_t acc = c.layer.bias[n];
        for (int cb = 0; cb < (s.in_channels + 15) / 16; ++cb) {
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              for (int ch = 16 * cb; ch < std::min(16 * cb + 16, s.in_channels); ++ch) {
                const int y = e * s.stride + ky - s.padding, x = f * s.stride + kx - s.padding;
                const bool pad = y < 0 || y >= s.in_height || x < 0 || x >= s.in_width;
                const int a = pad ? 128 : c.input[(static_cast<size_t>(ch) * s.in_height + y) *
                                                      s.in_width + x];
                const int w = c.layer.weights[((static_cast<size_t>(n) * s.in_channels + ch) *
                                                   s.kernel_h + ky) * s.kernel_w + kx];
                acc += (a - 128) * w;
                if (acc > std::numeric_limits<int32_t>::max()) {
                  acc -= int64_t{1} << 32;
                  ++wraps;
                } else if (acc < std::numeric_limits<int32_t>::min()) {
                  acc += int64_t{1} << 32;
                  ++wraps;
                }
              }
            }
          }
        }
      }
    }
  }
  return wraps;
}

// A layer whose biases sit next to the int32 limits: its sums wrap. The RTL counts every
// wrapped step, the functional device counts the same, and the outputs (wrapped, as the
// contract says) are still the golden model's bit for bit. An ordinary layer counts 0.
TEST(CoreTest, WrappingLayer) {
  for (const HwConfig& hw : {testcases::DefaultHw(), testcases::SmallHw()}) {
    SCOPED_TRACE(hw.name);
    BareDevice device(hw);
    FunctionalDevice functional(hw);
    auto c = testcases::MakeCase("conv20x20_6x6_wrap", {20, 6, 6, 20, 3, 3, 1, 1}, false, false,
                                 Rounding::kFloor, 11);
    const int32_t max = std::numeric_limits<int32_t>::max();
    const int32_t min = std::numeric_limits<int32_t>::min();
    for (size_t n = 0; n < c.layer.bias.size(); ++n) {
      // Within a few products of either limit, some channels left ordinary.
      if (n % 3 == 0) c.layer.bias[n] = max - static_cast<int32_t>(200 * n);
      if (n % 3 == 1) c.layer.bias[n] = min + static_cast<int32_t>(200 * n);
    }
    const auto program = compiler::CompileLayer(c.layer, hw, 0x1000);
    const auto run = RunLayer(device, program, c.input);
    testcases::ExpectMatchesGolden(c, run);
    const auto reference = RunLayer(functional, program, c.input);
    const uint64_t wraps = run.counters[static_cast<int>(isa::Counter::kAccWraps)];
    EXPECT_GT(wraps, 100u);
    EXPECT_EQ(wraps, ReferenceWraps(c));
    EXPECT_EQ(wraps, reference.counters[static_cast<int>(isa::Counter::kAccWraps)]);
    EXPECT_EQ(reference.output, run.output);

    const auto ordinary = testcases::LayerCases().front();
    const auto normal = RunLayer(device, compiler::CompileLayer(ordinary.layer, hw, 0x1000),
                                 ordinary.input);
    testcases::ExpectMatchesGolden(ordinary, normal);
    EXPECT_EQ(normal.counters[static_cast<int>(isa::Counter::kAccWraps)], 0u);
  }
}

}  // namespace
}  // namespace sasim
