// Layer compiler: one conv or linear layer (+ReLU, +2x2 max-pool; contract/layer.h) -> its weight
// image and its commands. Pure functions of their inputs; no I/O, no Verilator, no yaml-cpp.
// Stages: CheckLayer (the hardware's limits), LowerWeights (the weight image), ChooseTiling
// (buffers, bands, double buffering), EmitCommands (schedule with job-count SYNCs).
// compiler/net_compiler.h puts layers together into one program.
#ifndef SASIM_COMPILER_LAYER_COMPILER_H_
#define SASIM_COMPILER_LAYER_COMPILER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "contract/hw_config.h"
#include "contract/isa.h"
#include "contract/layer.h"

namespace sasim::compiler {

// Throws CompileError naming the layer when its shape is outside what the hardware runs.
void CheckLayer(const Layer& layer);

// The layer as the array runs it, given how its input is stored (C16, contract/layout.h). A
// conv is itself, and so is a linear whose input is at most 15x15 (a conv with the whole input
// as its kernel). A larger one is a GEMM over the stored words: a 1x1 conv on one pixel whose
// channels are the input's words x 16 lanes, in storage order (padding lanes included when C is
// not a multiple of 16; a flattened (C*H*W x 1 x 1) network input has none).
// ArrayWeights reorders the linear's [out][C*H*W] weights to match (zero on padding lanes).
// Vector-unit layers are themselves. Everything below takes the view.
Layer ArrayView(const Layer& layer, const TensorShape& stored_input);
LayerWeights ArrayWeights(const Layer& layer, const TensorShape& stored_input,
                          const LayerWeights& weights);

// A linear over a batch of `images` as one GEMM with one output row per image (M = images),
// when its shape allows: a conv over an (a * images) x b input of Kw / (a * b) channel blocks
// with an a x b kernel and stride a, where Kw is one image's stored words (C16) and a, b <= 15
// divide it. Image n's words, in storage order, are input rows [n a, (n + 1) a) of every block,
// so one output row reduces exactly one image; EmitCommands loads them from the images' C16
// tensors, one after another in DRAM (DramPlacement::batched_gemm). Empty when the layer is not
// a linear or no such view fits the COMPUTE fields (it then runs image by image).
std::optional<Layer> BatchedLinearView(const Layer& layer, const TensorShape& stored, int images);
// The linear's [out][C*H*W] weights in that view's order (zero on padding lanes).
LayerWeights BatchedLinearWeights(const Layer& layer, const TensorShape& stored, const Layer& view,
                                  const LayerWeights& weights);

// The weight image's layout for an array of `cols` columns (16 or a multiple of 16): one tile
// per `cols` output channels: cols int32 biases (4 a word, little-endian; zero past the last
// channel), then the cols weights of each reduction step (col_words words, 16 a word), in the
// order (channel block, ky, kx, channel in block) that sa_compute walks.
struct WeightLayout {
  int n_tiles = 0;                // array: output tiles of `cols` channels; vector unit: groups
  int channel_group = 0;          // vector unit: channel blocks per tile
  int cols = 16;                  // output channels per tile
  uint32_t col_words = 1;         // cols / 16: words per step, output words per pixel
  uint32_t steps = 0;             // reduction length K = C * kh * kw
  uint32_t tile_words = 0;        // (4 + K) * col_words
  uint32_t bias_words() const { return 4 * col_words; }
  size_t bytes() const { return static_cast<size_t>(n_tiles) * tile_words * 16; }
};
WeightLayout WeightLayoutOf(const Layer& layer, int cols);
// The weight image of that layout. Throws CompileError if the weights do not fit the shape.
std::vector<uint8_t> LowerWeights(const Layer& layer, const LayerWeights& params, int cols);

// Tiling: how the layer is cut to fit the buffers.
struct Tiling {
  int band_rows = 0;              // output rows per activation band (pre-pool)
  int bands = 0;
  int n_tiles = 0;                // array: 16-channel output tiles; vector unit: block groups
  int channel_group = 0;          // vector unit: channel blocks per tile
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
  // Weights loaded once for all tiles and kept for every band (else one LOAD per tile and band),
  // and output tiles written by one STORE: fewer DMA jobs, each of which costs the DRAM latency.
  bool weights_resident = false;
  int out_group = 1;
  // The layer's first tile runs as COMPUTEs of `head_piece_rows` output rows, each started once
  // its own input rows have arrived (the first band is loaded piece by piece), and its last
  // `tail_tiles` tiles as COMPUTEs of `tail_piece_rows`, each followed by a STORE of its rows:
  // the pipeline fills and drains in pieces instead of a whole band and whole tiles. 0: not
  // split.
  int head_piece_rows = 0;
  int tail_piece_rows = 0;
  int tail_tiles = 1;  // the last tiles run in tail pieces (their STOREs would pile up)
  // Partial sums, when the reduction (or one row's input) is too long for the buffers: the
  // reduction runs in `chunks` COMPUTEs of `chunk_blocks` input channel blocks, fold by fold
  // (fold_rows x fold_cols output pixels), the sums staying in the array between them
  // (acc_out / acc_in, docs/isa.md). 1: the whole reduction in one COMPUTE.
  int chunks = 1;
  int chunk_blocks = 0;
  int fold_rows = 0;
  int fold_cols = 0;
  // A fused 2x2 max-pool with partial sums: the conv's outputs go to a scratch tensor in DRAM
  // and a VECTOR pass pools them (the drain path cannot pool a fold of one chunked COMPUTE).
  bool pool_pass = false;
};
// Among the band heights and buffer splits that fit, picks the one a cost model of the emitted
// schedule says is fastest. Throws CompileError saying why when the layer cannot run on `hw`.
// Needs the shape only, so a network is checked before any weight exists. `images`: the batch
// the layer runs over image by image (DramPlacement::images). `weights_once`: a batch's layer
// loads each weight tile once where it can: its weights stay in the buffer whenever they fit
// and would otherwise be loaded for more than one band.
Tiling ChooseTiling(const Layer& layer, const HwConfig& hw, int images = 1,
                    bool weights_once = false);
// The scratch tensor a pool pass needs (the conv's output before the pool), or none.
TensorShape ScratchShape(const Layer& layer, const Tiling& tiling);

// Where the layer's tensors live in DRAM (C16 layout, see contract/layout.h).
// A batch (CompileOptions::images): each tensor holds the images' C16 tensors one after another,
// `image_bytes` apart (the weights are shared). A layer viewed per image runs over `images`
// images: the array path band after band of image after image with one weight schedule (weights
// that stay in the buffer load once per batch); the vector unit and partial sums image by image.
// A batched GEMM view (BatchedLinearView) runs once (images = 1, batched_gemm): its input rows
// are loaded image by image and its output rows, one per image, stored to each image's tensor.
struct DramPlacement {
  uint32_t input_addr = 0;
  uint32_t input_b_addr = 0;  // an add's second input
  uint32_t scratch_addr = 0;  // a pool pass's unpooled conv output (Tiling::pool_pass)
  uint32_t weight_addr = 0;
  uint32_t output_addr = 0;
  int images = 1;
  uint32_t input_image_bytes = 0;
  uint32_t input_b_image_bytes = 0;
  uint32_t scratch_image_bytes = 0;
  uint32_t output_image_bytes = 0;
  bool batched_gemm = false;
};

struct CommandStats {
  int loads = 0, stores = 0, computes = 0, syncs = 0;
};

// Appends the layer's commands to `out`, without a final SYNC or END: the last STORE may still
// be running when they end. `dma_jobs` and `compute_jobs` count the jobs issued before this
// layer in the same stream (SYNC targets are absolute) and are advanced past this layer.
CommandStats EmitCommands(const Layer& layer, const Tiling& tiling, const HwConfig& hw,
                          const DramPlacement& place, std::vector<isa::CommandWords>* out,
                          uint32_t* dma_jobs, uint32_t* compute_jobs);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_LAYER_COMPILER_H_
