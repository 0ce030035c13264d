// The network front end and compiler as pure functions: shapes, fusion, flatten, DRAM plan.
#include <gtest/gtest.h>

#include "compiler/net_compiler.h"
#include "compiler/net_ir.h"
#include "contract/errors.h"
#include "contract/layout.h"
#include "tests/layer_cases.h"

namespace sasim::compiler {
namespace {

LayerSpec Layer(std::string name, std::string type) {
  LayerSpec l;
  l.name = std::move(name);
  l.type = std::move(type);
  return l;
}

NetSpec SmallNet() {
  NetSpec net;
  net.name = "n";
  net.path = "n.yaml";
  net.input_channels = 3;
  net.input_height = 8;
  net.input_width = 8;
  net.input_exp = 6;
  LayerSpec conv = Layer("conv1", "conv2d");
  conv.out_channels = 20;
  conv.kernel = 3;
  conv.padding = 1;
  conv.shift = 7;
  LayerSpec fc = Layer("fc2", "linear");
  fc.out_features = 10;
  fc.weight_exp = 7;
  fc.output_exp = 4;
  net.layers = {conv, Layer("relu1", "relu"), Layer("pool1", "maxpool"),
                Layer("flatten", "flatten"), fc};
  return net;
}

TEST(FuseTest, FusesReluAndPoolAndTurnsFlattenedLinearIntoAConv) {
  const auto fused = Fuse(SmallNet());
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].ops, "conv2d+relu+maxpool");
  EXPECT_TRUE(fused[0].requant.relu);
  EXPECT_TRUE(fused[0].pool.enabled);
  EXPECT_EQ(fused[0].out_shape().height, 4);
  // fc2 on the flattened 20x4x4 tensor: a 4x4 kernel over 20 channels, output 1x1.
  EXPECT_EQ(fused[1].kind, LayerKind::kLinear);
  EXPECT_EQ(fused[1].shape.in_channels, 20);
  EXPECT_EQ(fused[1].shape.kernel_h, 4);
  EXPECT_EQ(fused[1].shape.kernel_w, 4);
  EXPECT_EQ(fused[1].shape.out_height(), 1);
  EXPECT_EQ(fused[1].weight_shape(), (std::vector<int>{10, 320}));
  // shift = c_x + c_w - c_y with c_x the previous layer's output exponent (6 - 7 = -1).
  EXPECT_EQ(fused[1].requant.shift, -1 + 7 - 4);
}

TEST(FuseTest, ReluAfterPoolJoinsTheConvAndRefusesAMissingFlatten) {
  NetSpec net = SmallNet();
  std::swap(net.layers[1], net.layers[2]);  // maxpool before relu: ReLU commutes with max
  const auto fused = Fuse(net);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].ops, "conv2d+maxpool+relu");
  EXPECT_EQ(fused[0].out_name, "relu1");
  net = SmallNet();
  net.layers.erase(net.layers.begin() + 3);  // no flatten before the linear
  try {
    Fuse(net);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("add a flatten layer"), std::string::npos);
  }
}

TEST(CompileNetTest, ChainsActivationsInDramAndSnapshotsEveryLayer) {
  const HwConfig hw = testcases::DefaultHw();
  const std::vector<sasim::Layer> layers = Fuse(SmallNet());
  std::vector<LayerWeights> weights;
  for (const auto& f : layers) {
    weights.push_back(
        {std::vector<int8_t>(f.weight_count(), 1), std::vector<int32_t>(f.shape.out_channels, 0)});
  }
  const CompiledNet net = CompileNet(layers, weights, hw);
  const Program& p = net.program;
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(net.plans[0].place.input_addr, p.input_addr);
  EXPECT_EQ(net.plans[1].place.input_addr, net.plans[0].place.output_addr);
  // Regions do not overlap: commands < snapshots < weights < activations.
  EXPECT_GE(p.layers[0].snapshot_addr, p.cmd_addr + p.commands.size() * isa::kCommandBytes);
  EXPECT_GE(net.plans[0].place.weight_addr, p.layers[1].snapshot_addr + isa::kSnapshotBytes);
  EXPECT_GE(p.input_addr, net.plans[1].place.weight_addr + p.segments[1].bytes.size());
  EXPECT_GE(net.plans[1].place.input_addr, p.input_addr + C16Bytes(3, 8, 8));
  int snapshots = 0;
  for (const auto& cmd : p.commands) snapshots += isa::DecodeOpcode(cmd) == isa::Opcode::kSnapshot;
  EXPECT_EQ(snapshots, 2);
  EXPECT_EQ(isa::DecodeOpcode(p.commands.back()), isa::Opcode::kEnd);
  EXPECT_EQ(p.layers[1].first_command,
            p.layers[0].first_command +
                static_cast<size_t>(net.plans[0].stats.loads + net.plans[0].stats.stores +
                                    net.plans[0].stats.computes + net.plans[0].stats.syncs) +
                2);
}

TEST(CompileNetTest, RefusesANetThatDoesNotFitTheDram) {
  HwConfig hw = testcases::DefaultHw();
  hw.dram_mib = 1;
  sasim::Layer big;
  big.name = "big";
  big.shape = ConvShape{512, 1, 1, 4096, 1, 1, 1, 0};
  EXPECT_THROW(
      CompileNet({big}, {{std::vector<int8_t>(512 * 4096, 1), std::vector<int32_t>(4096, 0)}}, hw),
      CompileError);
}

}  // namespace
}  // namespace sasim::compiler
