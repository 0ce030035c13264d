// Single-layer compiler: a conv or linear layer (+ReLU, +2x2 max-pool) -> weight image and a
// command stream for the accelerator. Pure functions of their inputs; no I/O, no Verilator,
// no yaml-cpp. Stages: Lower (layouts, weight image), ChooseTiling (buffers, bands, double
// buffering), EmitCommands (schedule with job-count SYNCs).
#ifndef SASIM_COMPILER_LAYER_COMPILER_H_
#define SASIM_COMPILER_LAYER_COMPILER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "contract/hw_config.h"
#include "contract/isa.h"
#include "contract/layer.h"

namespace sasim::compiler {

// A conv layer as the user describes it. A linear layer is a 1x1 conv over a 1x1 image with
// in_features channels (LinearAsConv).
struct ConvLayer {
  std::string name = "layer";
  ConvShape shape;
  RequantParams requant;
  bool pool = false;              // 2x2/2 max-pool after requantization
  std::vector<int8_t> weights;    // OIHW
  std::vector<int32_t> bias;      // [out_channels]
};

ConvLayer LinearAsConv(std::string name, int in_features, int out_features,
                       std::vector<int8_t> weights, std::vector<int32_t> bias,
                       RequantParams requant);

// Output shape after the optional pool.
int OutChannels(const ConvLayer& layer);
int OutHeight(const ConvLayer& layer);
int OutWidth(const ConvLayer& layer);

// Lowering: the weight image, one tile per 16 output channels: 4 words of bias (16 int32,
// little-endian; zero past the last channel) then one word of 16 weights per reduction step, in
// the order (channel block, ky, kx, channel in block) that sa_compute walks.
struct Lowered {
  int n_tiles = 0;
  uint32_t steps = 0;             // reduction length K = C * kh * kw
  uint32_t tile_words = 0;        // 4 + K
  std::vector<uint8_t> weight_image;
};
Lowered Lower(const ConvLayer& layer);

// Tiling: how the layer is cut to fit the buffers.
struct Tiling {
  int band_rows = 0;              // output rows per activation band (pre-pool)
  int bands = 0;
  int n_tiles = 0;
  int act_slots = 1;              // 2 = activation bands double-buffered
  int weight_slots = 1;           // 2 = weight tiles double-buffered
  int out_slots = 1;              // 2 = output tiles double-buffered
  uint32_t act_band_words = 0;    // largest band
  uint32_t weight_tile_words = 0;
  uint32_t out_tile_words = 0;
  uint64_t folds = 0;             // array folds in all
  uint64_t compute_cycles = 0;    // sum over folds of max(K, rows): the array's busy time
  uint64_t estimated_cycles = 0;  // the cost model's figure for the chosen tiling
  std::string decision;           // why this tiling, in a sentence or two
};
// Among the band heights and buffer splits that fit, picks the one a cost model of the emitted
// schedule says is fastest. Throws CompileError saying why when the layer cannot run on `hw`.
Tiling ChooseTiling(const ConvLayer& layer, const Lowered& lowered, const HwConfig& hw);

// Where the layer's tensors live in DRAM (C16 layout, see contract/layout.h).
struct DramPlacement {
  uint32_t input_addr = 0;
  uint32_t weight_addr = 0;
  uint32_t output_addr = 0;
};

struct CommandStats {
  int loads = 0, stores = 0, computes = 0, syncs = 0;
};

// Appends the layer's commands to `out`, without a final SYNC or END: the last STORE may still
// be running when they end. `dma_jobs` and `compute_jobs` count
// the jobs issued before this layer in the same stream (SYNC targets are absolute) and are
// advanced past this layer.
CommandStats EmitCommands(const ConvLayer& layer, const Lowered& lowered, const Tiling& tiling,
                          const HwConfig& hw, const DramPlacement& place,
                          std::vector<isa::CommandWords>* out, uint32_t* dma_jobs,
                          uint32_t* compute_jobs);

// Serializes commands to little-endian bytes for DRAM.
std::vector<uint8_t> CommandBytes(const std::vector<isa::CommandWords>& commands);

// A whole single-layer program at fixed addresses.
struct LayerProgram {
  ConvLayer layer;
  Lowered lowered;
  Tiling tiling;
  DramPlacement place;
  uint32_t cmd_addr = 0;
  std::vector<isa::CommandWords> commands;
  uint32_t dram_end = 0;          // first byte past everything the program uses
};
LayerProgram CompileLayer(const ConvLayer& layer, const HwConfig& hw, uint32_t base_addr);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_LAYER_COMPILER_H_
