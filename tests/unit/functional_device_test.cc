// The course-style driver calls on the functional device, bit-exact against the golden model;
// VECTOR and partial sums on hand-made examples; and the commands the RTL would refuse, which
// the functional device refuses with a SimulationError naming the command instead of crashing.
// (The shared layer cases run on every device in tests/integration/layer_cases_test.cc; the
// device against the RTL on hand-built streams in tests/rtl/core_stream_test.cc.)
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "contract/isa.h"

#include "host/device/functional_device.h"
#include "host/golden/golden.h"
#include "host/driver/course_calls.h"
#include "host/runtime/runtime.h"
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

constexpr uint32_t kCmdAddr = 0x1000;

// Runs `commands` (END appended) on `device` after writing `act` words at DRAM 0x8000 and loading
// them into the activation buffer at word 0.
void RunStream(FunctionalDevice& device, const std::vector<std::array<uint8_t, 16>>& act,
               std::vector<isa::CommandWords> commands) {
  std::vector<uint8_t> bytes;
  for (const auto& w : act) bytes.insert(bytes.end(), w.begin(), w.end());
  if (!act.empty()) {
    device.DramWrite(0x8000, bytes.data(), bytes.size());
    commands.insert(commands.begin(), isa::EncodeTransfer(isa::Opcode::kLoad,
                                                          {isa::Buffer::kAct, 0x8000, 0, 0, 0,
                                                           static_cast<uint32_t>(act.size()), 1}));
  }
  commands.push_back(isa::EncodeEnd());
  const auto cmd = isa::CommandBytes(commands);
  device.DramWrite(kCmdAddr, cmd.data(), cmd.size());
  RunCommands(device, kCmdAddr);
}

std::array<uint8_t, 16> ReadObufWord(FunctionalDevice& device, uint32_t word) {
  device.MmioWrite(isa::csr::kIrqStatus, 1);
  const auto cmd = isa::CommandBytes(
      {isa::EncodeTransfer(isa::Opcode::kStore, {isa::Buffer::kOut, 0x9000, 0, word, 0, 1, 1}),
       isa::EncodeEnd()});
  device.DramWrite(kCmdAddr, cmd.data(), cmd.size());
  RunCommands(device, kCmdAddr);
  std::array<uint8_t, 16> w;
  device.DramRead(0x9000, w.data(), 16);
  return w;
}

// The message names the command and says why.
void ExpectRefused(const std::vector<isa::CommandWords>& commands, const std::string& why) {
  FunctionalDevice device(testcases::SmallHw());
  std::vector<std::array<uint8_t, 16>> act(4);
  try {
    RunStream(device, act, commands);
    ADD_FAILURE() << "not refused: " << isa::Describe(commands.back());
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("command #"), std::string::npos) << what;
    EXPECT_NE(what.find(why), std::string::npos) << what;
  }
}

TEST(FunctionalDeviceTest, VectorByHand) {
  FunctionalDevice device(testcases::DefaultHw());
  // Two pixels of one block; lane l: a = 100 + l, b = 120 - 2l.
  std::vector<std::array<uint8_t, 16>> act(4);
  for (int l = 0; l < 16; ++l) {
    act[0][l] = static_cast<uint8_t>(100 + l);
    act[1][l] = static_cast<uint8_t>(140 - 3 * l);
    act[2][l] = static_cast<uint8_t>(120 - 2 * l);
    act[3][l] = static_cast<uint8_t>(255 - l);
  }
  isa::Vector max;  // 1x2 max over the two pixels of row 0, with relu
  max.in_rows = 2;
  max.in_width = 2;
  max.kernel_w = 2;
  max.relu = true;
  isa::Vector avg = max;  // 2x2 average
  avg.op = isa::VectorOp::kAvgPool;
  avg.relu = false;
  avg.kernel_h = 2;
  avg.recip = AvgReciprocal(4);
  avg.o_base = 1;
  isa::Vector add;  // a = word 0, b = word 2: (a - 128) + (b - 128) << 1, >> 1
  add.op = isa::VectorOp::kAdd;
  add.b_base = 2;
  add.b_shift = 1;
  add.out_shift = 1;
  add.o_base = 2;
  RunStream(device, act, {isa::EncodeVector(max), isa::EncodeVector(avg), isa::EncodeVector(add)});
  const Counters c = ReadCounters(device);
  const auto m = ReadObufWord(device, 0), a = ReadObufWord(device, 1), s = ReadObufWord(device, 2);
  for (int l = 0; l < 16; ++l) {
    EXPECT_EQ(m[l], std::max({128, 100 + l, 140 - 3 * l})) << l;
    const int sum = (100 + l) + (140 - 3 * l) + (120 - 2 * l) + (255 - l);  // 615 - 5l
    EXPECT_EQ(a[l], AverageCodes(sum, 4)) << l;
    // (l - 28) + 2 * (-8 - 2l) = -44 - 3l, halved and rounded half away from zero.
    const int half = -44 - 3 * l;
    EXPECT_EQ(s[l], 128 + (half % 2 == 0 ? half / 2 : (half - 1) / 2)) << l;
  }
  EXPECT_EQ(Get(c, isa::Counter::kAbufReads), 2u + 4u + 2u);
  EXPECT_EQ(Get(c, isa::Counter::kVecOps), 16u * 8);
  EXPECT_EQ(Get(c, isa::Counter::kPoolOps), 0u);  // the drain path's pool only
  EXPECT_EQ(Get(c, isa::Counter::kRequantOps), 32u);
  EXPECT_EQ(Get(c, isa::Counter::kObufWrites), 3u);
}

TEST(FunctionalDeviceTest, PartialSumsContinueTheSums) {
  // A 1x1 conv of 32 channels on 2 pixels as one COMPUTE, and as two of 16 channels each.
  std::vector<std::array<uint8_t, 16>> act(4);
  std::mt19937 rng(4);
  for (auto& w : act) {
    for (auto& b : w) b = static_cast<uint8_t>(rng() & 0xff);
  }
  std::vector<uint8_t> weights(16 * (4 + 32));
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<uint8_t>(rng() & 0xff);
  isa::Compute whole;
  whole.channels = 32;
  whole.in_width = 2;
  whole.out_width = 2;
  whole.shift = 9;
  isa::Compute first = whole, second = whole;
  first.channels = second.channels = 16;
  first.acc_out = true;
  second.acc_in = true;
  second.abuf_base = 2;
  second.wbuf_base = 16;
  std::array<std::array<uint8_t, 16>, 2> out[2];
  Counters counters[2];
  for (int split = 0; split < 2; ++split) {
    FunctionalDevice device(testcases::DefaultHw());
    device.DramWrite(0x20000, weights.data(), weights.size());
    std::vector<isa::CommandWords> cmds = {isa::EncodeTransfer(
        isa::Opcode::kLoad, {isa::Buffer::kWeight, 0x20000, 0, 0, 0, 4 + 32, 1})};
    if (split) {
      cmds.push_back(isa::EncodeCompute(first));
      cmds.push_back(isa::EncodeCompute(second));
    } else {
      cmds.push_back(isa::EncodeCompute(whole));
    }
    RunStream(device, act, cmds);
    counters[split] = ReadCounters(device);
    out[split] = {ReadObufWord(device, 0), ReadObufWord(device, 1)};
  }
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(Get(counters[1], isa::Counter::kWbufReads), Get(counters[0], isa::Counter::kWbufReads))
      << "the biases are read once";
  EXPECT_EQ(Get(counters[1], isa::Counter::kMacs), Get(counters[0], isa::Counter::kMacs));
  EXPECT_EQ(Get(counters[1], isa::Counter::kRequantOps), 32u) << "only the last one drains";
  EXPECT_EQ(Get(counters[1], isa::Counter::kObufWrites), 2u);
}

TEST(FunctionalDeviceTest, RefusesWhatTheRtlRefuses) {
  // Partial sums over more than one fold (the small config has 8 rows), or with pool.
  isa::Compute c;
  c.in_width = 3;
  c.in_rows = 3;
  c.out_rows = 3;
  c.out_width = 3;
  c.acc_out = true;
  ExpectRefused({isa::EncodeCompute(c)}, "one fold");
  c.acc_out = false;
  c.acc_in = true;
  ExpectRefused({isa::EncodeCompute(c)}, "one fold");
  c.out_rows = c.out_width = 2;
  isa::CommandWords pooled = isa::EncodeCompute(c);
  pooled[0] |= 1u << 10;  // pool: isa::EncodeCompute refuses it, the decoder does not
  ExpectRefused({pooled}, "without pool");
  // n_valid past the array's 32 columns (8 bits hold up to 255).
  isa::CommandWords wide = isa::EncodeCompute(isa::Compute{});
  wide[5] = (wide[5] & 0xffff) | (33u << 16);
  ExpectRefused({wide}, "n_valid 33");
  // COMPUTE output past the output buffer (128 words).
  isa::Compute far;
  far.obuf_base = 127;
  far.out_width = 2;
  far.in_width = 2;
  ExpectRefused({isa::EncodeCompute(far)}, "output buffer word 128 past the 128-word buffer");

  // VECTOR reads and writes past the buffers (256 and 128 words).
  isa::Vector v;
  v.in_rows = v.out_rows = 4;
  v.in_width = v.out_width = 4;
  v.a_base = 250;
  ExpectRefused({isa::EncodeVector(v)}, "activation word 256 past the 256-word buffer");
  v.a_base = 0;
  v.channel_blocks = 9;  // 144 output words
  ExpectRefused({isa::EncodeVector(v)}, "output buffer word 128 past the 128-word buffer");
  // An average whose window reaches into the padding.
  v = isa::Vector{};
  v.op = isa::VectorOp::kAvgPool;
  v.in_rows = v.in_width = 2;
  v.out_rows = v.out_width = 2;
  v.kernel_h = v.kernel_w = 2;
  v.recip = AvgReciprocal(4);
  ExpectRefused({isa::EncodeVector(v)}, "reaches outside");
  // What isa::Validate refuses, made by hand: a wrong reciprocal, op 3, an add with a window.
  isa::CommandWords w = isa::EncodeVector(v);
  w[7] = AvgReciprocal(3);
  ExpectRefused({w}, "recip");
  w = isa::EncodeVector(isa::Vector{});
  w[0] |= 3u << 8;
  ExpectRefused({w}, "field op = 3");
  isa::Vector add;
  add.op = isa::VectorOp::kAdd;
  w = isa::EncodeVector(add);
  w[1] = (w[1] & ~0xffu) | 2;  // kernel_h 2
  ExpectRefused({w}, "kernel_h (add)");
  w = isa::EncodeVector(isa::Vector{});
  w[1] &= ~0xffff0000u;  // no channel blocks
  ExpectRefused({w}, "channel_blocks");
}

}  // namespace
}  // namespace sasim
