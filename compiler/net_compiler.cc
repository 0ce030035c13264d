#include "compiler/net_compiler.h"

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim::compiler {
namespace {

constexpr uint32_t kCmdAddr = 0x1000;
constexpr uint32_t kFetchSlackBytes = 8 * 16;

uint32_t AlignUp(uint64_t v, uint64_t a) { return static_cast<uint32_t>((v + a - 1) / a * a); }

}  // namespace

NetProgram CompileNet(const std::vector<ConvLayer>& layers, const HwConfig& hw) {
  NetProgram p;
  for (size_t i = 0; i < layers.size(); ++i) {
    NetLayerPlan plan;
    plan.layer = layers[i];
    if (i > 0) {
      const ConvLayer& prev = layers[i - 1];
      const ConvShape& s = layers[i].shape;
      if (s.in_channels != OutChannels(prev) || s.in_height != OutHeight(prev) ||
          s.in_width != OutWidth(prev)) {
        throw CompileError(fmt::format("layer '{}': input {}x{}x{} does not match the output "
                                       "{}x{}x{} of '{}'", layers[i].name, s.in_channels,
                                       s.in_height, s.in_width, OutChannels(prev),
                                       OutHeight(prev), OutWidth(prev), prev.name));
      }
    }
    plan.lowered = Lower(plan.layer);
    plan.tiling = ChooseTiling(plan.layer, plan.lowered, hw);
    p.layers.push_back(std::move(plan));
  }

  // Emit twice: the command area's size is known only after the first pass.
  size_t command_count = 0;
  for (int pass = 0; pass < 2; ++pass) {
    p.cmd_addr = kCmdAddr;
    uint64_t at = AlignUp(kCmdAddr + command_count * isa::kCommandBytes + kFetchSlackBytes,
                          4096);
    for (auto& plan : p.layers) {
      plan.snapshot_addr = static_cast<uint32_t>(at);
      at += isa::kSnapshotBytes;
    }
    at = AlignUp(at, 4096);
    for (auto& plan : p.layers) {
      plan.place.weight_addr = static_cast<uint32_t>(at);
      at = AlignUp(at + plan.lowered.weight_image.size(), 4096);
    }
    const ConvShape& first = p.layers.front().layer.shape;
    p.input_addr = static_cast<uint32_t>(at);
    at = AlignUp(at + C16Bytes(first.in_channels, first.in_height, first.in_width), 4096);
    uint32_t input = p.input_addr;
    for (auto& plan : p.layers) {
      plan.place.input_addr = input;
      plan.place.output_addr = static_cast<uint32_t>(at);
      at = AlignUp(at + C16Bytes(OutChannels(plan.layer), OutHeight(plan.layer),
                                 OutWidth(plan.layer)), 4096);
      input = plan.place.output_addr;
    }
    if (at > (static_cast<uint64_t>(hw.dram_mib) << 20)) {
      throw CompileError(fmt::format("the network needs {:.1f} MiB of DRAM; hw config '{}' has "
                                     "{} MiB (dram_mib)", at / 1048576.0, hw.name,
                                     hw.dram_mib));
    }
    p.dram_end = static_cast<uint32_t>(at);

    p.commands.clear();
    uint32_t dma_jobs = 0, compute_jobs = 0;
    for (auto& plan : p.layers) {
      plan.first_command = p.commands.size();
      plan.stats = EmitCommands(plan.layer, plan.lowered, plan.tiling, hw, plan.place,
                                &p.commands, &dma_jobs, &compute_jobs);
      // Close the layer: everything done, then the counters go to DRAM (one more DMA job).
      p.commands.push_back(isa::EncodeSync({dma_jobs, compute_jobs}));
      p.commands.push_back(isa::EncodeSnapshot(plan.snapshot_addr));
      ++dma_jobs;
    }
    p.commands.push_back(isa::EncodeSync({dma_jobs, compute_jobs}));
    p.commands.push_back(isa::EncodeEnd());
    if (pass == 1 && p.commands.size() != command_count) {
      throw CompileError("internal: command count changed between passes");
    }
    command_count = p.commands.size();
  }
  return p;
}

}  // namespace sasim::compiler
