// Network compiler: fused layers with their weights -> one DRAM image plan and one command
// stream for the whole network. Activations stay in DRAM between layers (each layer's output
// tensor is the next one's input, in the C16 layout); after each layer the stream SYNCs and
// SNAPSHOTs the counters, so one run gives per-layer counters with no host round trip.
#ifndef SASIM_COMPILER_NET_COMPILER_H_
#define SASIM_COMPILER_NET_COMPILER_H_

#include <cstdint>
#include <vector>

#include "compiler/layer_compiler.h"

namespace sasim::compiler {

struct NetLayerPlan {
  ConvLayer layer;
  Lowered lowered;
  Tiling tiling;
  DramPlacement place;
  uint32_t snapshot_addr = 0;
  CommandStats stats;
  size_t first_command = 0;       // index of the layer's first command in the stream
};

struct NetProgram {
  std::vector<NetLayerPlan> layers;
  uint32_t cmd_addr = 0;
  std::vector<isa::CommandWords> commands;
  uint32_t input_addr = 0;
  uint32_t dram_end = 0;
};

// Throws CompileError naming the layer when one cannot run on `hw` or the image does not fit.
NetProgram CompileNet(const std::vector<ConvLayer>& layers, const HwConfig& hw);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_NET_COMPILER_H_
