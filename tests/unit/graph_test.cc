// Networks as graphs: fusion across branches, the vector-unit layers' golden model, linears
// over any flattened input, and DRAM placed by tensor lifetime.
#include <random>

#include <gtest/gtest.h>

#include "compiler/net_compiler.h"
#include "compiler/net_ir.h"
#include "contract/errors.h"
#include "contract/layout.h"
#include "host/golden/golden.h"
#include "tests/layer_cases.h"

namespace sasim::compiler {
namespace {

LayerSpec Entry(std::string name, std::string type, std::vector<std::string> inputs = {}) {
  LayerSpec l;
  l.name = std::move(name);
  l.type = std::move(type);
  l.inputs = std::move(inputs);
  l.line = 1;
  return l;
}

LayerSpec Conv(std::string name, int out, int kernel, int stride, int padding,
               std::vector<std::string> inputs = {}) {
  LayerSpec l = Entry(std::move(name), "conv2d", std::move(inputs));
  l.out_channels = out;
  l.kernel = kernel;
  l.stride = stride;
  l.padding = padding;
  l.shift = 7;
  return l;
}

NetSpec Net(std::vector<LayerSpec> layers, int c = 16, int h = 8, int w = 8) {
  NetSpec net;
  net.name = "g";
  net.path = "g.yaml";
  net.input_channels = c;
  net.input_height = h;
  net.input_width = w;
  net.input_exp = 6;
  net.layers = std::move(layers);
  return net;
}

// A ResNet basic block with a 1x1 stride-2 downsample and add_relu, then a global pool.
NetSpec ResidualBlock() {
  LayerSpec fc = Entry("fc", "linear");
  fc.out_features = 10;
  fc.shift = 8;
  LayerSpec add = Entry("add", "add", {"conv2", "down"});
  add.output_exp = -2;
  return Net({Conv("stem", 16, 3, 1, 1), Entry("stem_relu", "relu"),
              Conv("conv1", 32, 3, 2, 1), Entry("relu1", "relu"), Conv("conv2", 32, 3, 1, 1),
              Conv("down", 32, 1, 2, 0, {"stem_relu"}), add, Entry("add_relu", "relu"),
              Entry("gap", "adaptive_avgpool"), Entry("flat", "flatten"), fc});
}

TEST(GraphFuseTest, BranchesJoinAndReluJoinsTheAdd) {
  const std::vector<sasim::Layer> layers = Fuse(ResidualBlock());
  ASSERT_EQ(layers.size(), 7u);
  EXPECT_EQ(layers[0].ops, "conv2d+relu");  // stem's only reader is stem_relu
  EXPECT_EQ(layers[1].name, "conv1");
  EXPECT_EQ(layers[1].inputs, std::vector<int>{0});
  EXPECT_EQ(layers[3].name, "down");
  EXPECT_EQ(layers[3].inputs, std::vector<int>{0});  // the stem, not conv2
  EXPECT_EQ(layers[4].kind, sasim::LayerKind::kAdd);
  EXPECT_EQ(layers[4].inputs, (std::vector<int>{2, 3}));
  EXPECT_EQ(layers[4].ops, "add+relu");
  EXPECT_EQ(layers[4].out_name, "add_relu");
  EXPECT_EQ(*layers[4].out_exp, -2);
  EXPECT_EQ(layers[5].kind, sasim::LayerKind::kAvgPool);
  EXPECT_EQ(layers[5].shape.kernel_h, 4);
  EXPECT_EQ(layers[5].out_shape(), (sasim::TensorShape{32, 1, 1}));
  EXPECT_EQ(layers[6].inputs, std::vector<int>{5});
}

TEST(GraphFuseTest, AReluWhoseProducerHasAnotherReaderIsALayerOfItsOwn) {
  LayerSpec add = Entry("add", "add", {"r", "c"});
  const std::vector<sasim::Layer> layers =
      Fuse(Net({Conv("c", 16, 3, 1, 1), Entry("r", "relu"), add}));
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].ops, "conv2d");  // c is read by the relu and the add
  EXPECT_EQ(layers[1].kind, sasim::LayerKind::kRelu);
  EXPECT_EQ(layers[2].inputs, (std::vector<int>{1, 0}));
}

TEST(GraphFuseTest, ListingOrderNeedNotBeTopological) {
  LayerSpec add = Entry("add", "add", {"a", "b"});
  NetSpec net = Net({Conv("b", 16, 3, 1, 1, {"a"}), Conv("a", 16, 3, 1, 1, {"input"}), add});
  // b is listed before a, its input.
  const std::vector<sasim::Layer> layers = Fuse(net);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].name, "a");
  EXPECT_EQ(layers[1].name, "b");
}

TEST(GraphFuseTest, PoolsFloorOddMapsAndRunAnyWindow) {
  LayerSpec odd = Entry("p", "maxpool");  // 2x2/2 on 7x7: 3x3, a layer of its own
  LayerSpec stem = Entry("q", "maxpool");
  stem.pool_kernel = 3;
  stem.pool_stride = 2;
  stem.pool_padding = 1;
  const auto layers = Fuse(Net({Conv("c", 16, 3, 1, 1), odd, stem}, 16, 7, 7));
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[1].out_shape(), (sasim::TensorShape{16, 3, 3}));
  EXPECT_EQ(layers[2].out_shape(), (sasim::TensorShape{16, 2, 2}));
}

TEST(GraphFuseTest, MlpLinearRunsOnAFlattenedInputOfAnySize) {
  LayerSpec fc = Entry("fc1", "linear");
  fc.out_features = 64;
  fc.shift = 8;
  const auto layers = Fuse(Net({Entry("flat", "flatten"), fc}, 1, 28, 28));
  ASSERT_EQ(layers.size(), 1u);
  const CompiledNet net = PlanNet(layers, testcases::DefaultHw());
  // The input is stored flattened: 784 channels of one pixel, 49 words, no padding lanes.
  EXPECT_EQ(net.program.input, (sasim::TensorShape{784, 1, 1}));
  EXPECT_EQ(net.plans[0].view.shape.in_channels, 784);
}

TEST(GraphFuseTest, ALinearOverMoreInputsThanOneComputeTakesRunsInChunks) {
  // 64 x 32 x 32 = 65,536 inputs after a conv: more than COMPUTE's 16-bit channel count.
  LayerSpec fc = Entry("fc", "linear");
  fc.out_features = 10;
  fc.shift = 8;
  const auto layers = Fuse(Net({Conv("c", 64, 3, 1, 1), Entry("flat", "flatten"), fc}, 3, 32,
                               32));
  const CompiledNet net = PlanNet(layers, testcases::DefaultHw());
  EXPECT_EQ(net.plans[1].view.shape.in_channels, 65536);
  EXPECT_GT(net.plans[1].tiling.chunks, 1);
  for (const auto& w : net.program.commands) {
    if (isa::DecodeOpcode(w) == isa::Opcode::kCompute) {
      EXPECT_LE(isa::DecodeCompute(w).channels, 65535u);
    }
  }
}

TEST(GraphGoldenTest, PoolsAndAddFollowTheContract) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> code(0, 255);
  std::vector<uint8_t> a(2 * 5 * 5), b(a.size());
  for (auto& v : a) v = static_cast<uint8_t>(code(rng));
  for (auto& v : b) v = static_cast<uint8_t>(code(rng));
  // 3x3/2 max with padding 1 on 5x5: 3x3 outputs, padding never wins.
  const auto mx = golden::MaxPool(ConvShape{2, 5, 5, 2, 3, 3, 2, 1}, a);
  ASSERT_EQ(mx.size(), 18u);
  uint8_t corner = 0;
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) corner = std::max(corner, a[y * 5 + x]);
  }
  EXPECT_EQ(mx[0], corner);
  // Global average of 5x5 (n = 25): half to even.
  const auto avg = golden::AvgPool(ConvShape{2, 5, 5, 2, 5, 5, 1, 0}, a);
  uint32_t sum = 0;
  for (int i = 0; i < 25; ++i) sum += a[i];
  const double exact = sum / 25.0;
  EXPECT_LE(std::abs(avg[0] - exact), 0.5);
  EXPECT_EQ(AverageCodes(50, 4), 12);  // 12.5 -> 12 (even)
  EXPECT_EQ(AverageCodes(54, 4), 14);  // 13.5 -> 14 (even)
  // Add: 2^-6 + 2^-5 -> 2^-5: a is finer; (a-128) + 2 (b-128), then / 2 half away from zero.
  AddShifts shifts;
  ASSERT_TRUE(AddShiftsFor(6, 5, 5, &shifts));
  EXPECT_EQ(shifts.a_shift, 0);
  EXPECT_EQ(shifts.b_shift, 1);
  EXPECT_EQ(shifts.out_shift, 1);
  EXPECT_EQ(AddRequantize(129, 128, shifts, false), 129);  // +0.5 -> +1
  EXPECT_EQ(AddRequantize(127, 128, shifts, false), 127);  // -0.5 -> -1
  EXPECT_EQ(AddRequantize(127, 128, shifts, true), 128);   // ReLU
  const auto sum_ab = golden::Add(a, b, shifts, false);
  for (size_t i = 0; i < a.size(); ++i) {
    const int exact2 = (a[i] - 128) + 2 * (b[i] - 128);  // twice the result
    const int away = exact2 >= 0 ? (exact2 + 1) / 2 : -((-exact2 + 1) / 2);
    EXPECT_EQ(sum_ab[i], std::clamp(away + 128, 0, 255)) << i;
  }
}

TEST(GraphCompileTest, ALinearOnAStoredTensorIsTheSameDotProduct) {
  // 20 x 2 x 17 (wider than a kernel; padding lanes in the second block) -> 7: the GEMM over
  // stored words with the reordered weights equals the linear over PyTorch's flatten order.
  sasim::Layer l;
  l.name = "fc";
  l.kind = sasim::LayerKind::kLinear;
  l.shape = ConvShape{20, 2, 17, 7, 2, 17, 1, 0};
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> code(0, 255), wgt(-128, 127);
  std::vector<uint8_t> x(680);
  for (auto& v : x) v = static_cast<uint8_t>(code(rng));
  sasim::LayerWeights w;
  w.weights.resize(l.weight_count());
  for (auto& v : w.weights) v = static_cast<int8_t>(wgt(rng));
  w.bias = {1, -2, 3, -4, 5, -6, 7};
  const auto want = golden::Conv2dAcc(l.shape, x, w.weights, w.bias);
  const sasim::TensorShape stored{20, 2, 17};
  const sasim::Layer view = ArrayView(l, stored);
  ASSERT_EQ(view.shape.in_channels, 2 * 16 * 34);
  const sasim::LayerWeights vw = ArrayWeights(l, stored, w);
  const std::vector<uint8_t> words = sasim::PackC16(x, 20, 2, 17);  // the bytes in DRAM
  const auto got = golden::Conv2dAcc(view.shape, words, vw.weights, vw.bias);
  EXPECT_EQ(got, want);
}

TEST(GraphCompileTest, DramFollowsTensorLifetimes) {
  const std::vector<sasim::Layer> layers = Fuse(ResidualBlock());
  const HwConfig hw = testcases::DefaultHw();
  const CompiledNet kept = PlanNet(layers, hw);
  CompileOptions reuse;
  reuse.keep_outputs = false;
  const CompiledNet tight = PlanNet(layers, hw, reuse);
  // Kept: every output has its own place. Reused: the skip tensor (stem) stays until the
  // add and the downsample read it, and no tensor overlaps one still to be read.
  std::set<uint32_t> addrs;
  for (const auto& l : kept.program.layers) addrs.insert(l.output_addr);
  EXPECT_EQ(addrs.size(), layers.size());
  EXPECT_LT(tight.program.dram_end, kept.program.dram_end);
  const auto& p = tight.program;
  auto overlaps = [&](int i, int j) {
    const uint64_t a0 = p.layers[i].output_addr, b0 = p.layers[j].output_addr;
    const uint64_t a1 = a0 + C16Bytes(p.layers[i].output.channels, p.layers[i].output.height,
                                      p.layers[i].output.width);
    const uint64_t b1 = b0 + C16Bytes(p.layers[j].output.channels, p.layers[j].output.height,
                                      p.layers[j].output.width);
    return a0 < b1 && b0 < a1;
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    for (int from : layers[i].inputs) {
      if (from < 0) continue;
      // Nothing written between `from` and its reader i may overlap `from`.
      for (size_t j = from + 1; j <= i; ++j) EXPECT_FALSE(overlaps(from, j)) << from << " " << j;
    }
  }
  EXPECT_EQ(tight.plans[4].place.input_addr, p.layers[2].output_addr);
  EXPECT_EQ(tight.plans[4].place.input_b_addr, p.layers[3].output_addr);
}

}  // namespace
}  // namespace sasim::compiler
