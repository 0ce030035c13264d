#include "compiler/net_compiler.h"

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim::compiler {
namespace {

constexpr uint32_t kCmdAddr = 0x1000;
constexpr uint32_t kFetchSlackBytes = 8 * 16;  // the controller fetches 8 beats ahead

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint64_t C16Size(const TensorShape& t) {
  return static_cast<uint64_t>(ChannelBlocks(t.channels)) * t.height * t.width * 16;
}

}  // namespace

CompiledNet PlanNet(const std::vector<Layer>& layers, const HwConfig& hw,
                    const CompileOptions& options) {
  if (layers.empty()) throw CompileError("a network needs at least one layer");
  CompiledNet net;
  Program& p = net.program;
  p.input = layers.front().in_shape();
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    // Today a layer reads exactly the previous layer's output (or the network input).
    const int expected = static_cast<int>(i) - 1;
    if (layer.inputs.size() != 1 || layer.inputs[0] != (i == 0 ? kNetworkInput : expected)) {
      throw CompileError(
          fmt::format("layer '{}': only a chain of layers is supported, each "
                      "reading the previous one",
                      layer.name));
    }
    if (i > 0 && layer.in_shape() != layers[i - 1].out_shape()) {
      const TensorShape in = layer.in_shape(), prev = layers[i - 1].out_shape();
      throw CompileError(
          fmt::format("layer '{}': input {}x{}x{} does not match the output "
                      "{}x{}x{} of '{}'",
                      layer.name, in.channels, in.height, in.width, prev.channels, prev.height,
                      prev.width, layers[i - 1].name));
    }
    LayerPlan plan;
    plan.tiling = ChooseTiling(layer, hw);
    net.plans.push_back(std::move(plan));
    ProgramLayer pl;
    pl.name = layer.name;
    pl.output = layer.out_shape();
    pl.estimated_cycles = net.plans.back().tiling.estimated_cycles;
    p.layers.push_back(std::move(pl));
  }

  // Emit twice: the command area's size is known only after the first pass.
  size_t command_count = 0;
  for (int pass = 0; pass < 2; ++pass) {
    p.cmd_addr = kCmdAddr;
    uint64_t at = AlignUp(kCmdAddr + command_count * isa::kCommandBytes + kFetchSlackBytes,
                          4096);
    if (options.snapshot_per_layer) {
      for (auto& layer : p.layers) {
        layer.snapshot_addr = static_cast<uint32_t>(at);
        at += isa::kSnapshotBytes;
      }
      at = AlignUp(at, 4096);
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      net.plans[i].place.weight_addr = static_cast<uint32_t>(at);
      at = AlignUp(at + WeightLayoutOf(layers[i]).bytes(), 4096);
    }
    p.input_addr = static_cast<uint32_t>(at);
    at = AlignUp(at + C16Size(p.input), 4096);
    uint32_t input = p.input_addr;
    for (size_t i = 0; i < layers.size(); ++i) {
      DramPlacement& place = net.plans[i].place;
      place.input_addr = input;
      place.output_addr = static_cast<uint32_t>(at);
      p.layers[i].output_addr = place.output_addr;
      at = AlignUp(at + C16Size(p.layers[i].output), 4096);
      input = place.output_addr;
      if (at > (uint64_t{1} << 32)) break;  // reported below
    }
    if (at > (static_cast<uint64_t>(hw.dram_mib) << 20)) {
      throw CompileError(fmt::format("the network needs {:.1f} MiB of DRAM; hw config '{}' has "
                                     "{} MiB (dram_mib)", at / 1048576.0, hw.name,
                                     hw.dram_mib));
    }
    p.dram_end = static_cast<uint32_t>(at);

    p.commands.clear();
    uint32_t dma_jobs = 0, compute_jobs = 0;
    for (size_t i = 0; i < layers.size(); ++i) {
      ProgramLayer& layer = p.layers[i];
      layer.first_command = p.commands.size();
      net.plans[i].stats = EmitCommands(layers[i], net.plans[i].tiling, hw, net.plans[i].place,
                                        &p.commands, &dma_jobs, &compute_jobs);
      if (options.snapshot_per_layer) {
        // Close the layer: everything done, then the counters go to DRAM (one more DMA job).
        p.commands.push_back(isa::EncodeSync({dma_jobs, compute_jobs}));
        p.commands.push_back(isa::EncodeSnapshot(layer.snapshot_addr));
        ++dma_jobs;
      }
      layer.end_command = p.commands.size();
    }
    p.commands.push_back(isa::EncodeSync({dma_jobs, compute_jobs}));
    p.commands.push_back(isa::EncodeEnd());
    p.layers.back().end_command = p.commands.size();  // the closing SYNC waits for its stores
    if (pass == 1 && p.commands.size() != command_count) {
      throw CompileError("internal: command count changed between passes");
    }
    command_count = p.commands.size();
  }
  return net;
}

CompiledNet CompileNet(const std::vector<Layer>& layers, const std::vector<LayerWeights>& weights,
                       const HwConfig& hw, const CompileOptions& options) {
  if (weights.size() != layers.size()) {
    throw CompileError(fmt::format("{} layers but {} weight sets", layers.size(), weights.size()));
  }
  CompiledNet net = PlanNet(layers, hw, options);
  for (size_t i = 0; i < layers.size(); ++i) {
    net.program.segments.push_back(
        {net.plans[i].place.weight_addr, LowerWeights(layers[i], weights[i])});
  }
  return net;
}

CompiledNet CompileLayer(const Layer& layer, const LayerWeights& weights, const HwConfig& hw) {
  Layer single = layer;
  single.inputs = {kNetworkInput};
  return CompileNet({single}, {weights}, hw, CompileOptions{false});
}

}  // namespace sasim::compiler
