#include "compiler/layer_compiler.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "compiler/job_stream.h"
#include "compiler/vector_compiler.h"
#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim::compiler {
namespace {

constexpr uint32_t kMaxOutSlots = 8;
constexpr int kMaxTailTiles = 4;
// Output slots of `group_words` each in an output buffer of `obuf` words (at least 2).
int OutRing(uint32_t obuf, uint32_t group_words) {
  return static_cast<int>(
      std::clamp<uint32_t>(obuf / std::max<uint32_t>(1, group_words), 2, kMaxOutSlots));
}
// The cost model's cycles per DMA job in the steady state (its command's fetch and dispatch).
constexpr double kJobCycles = 8.0;

void Check(bool ok, const Layer& layer, const std::string& why) {
  if (!ok) throw CompileError(fmt::format("layer '{}': {}", layer.name, why));
}

// The COMPUTE fields every tile of an array layer shares: the requantizer, the pool, the kernel
// and the input width (the rest say which part of the layer a COMPUTE runs).
isa::Compute LayerCompute(const Layer& layer) {
  const ConvShape& s = layer.shape;
  isa::Compute c;
  c.relu = layer.requant.relu;
  c.rounding = layer.requant.rounding;
  c.pool = layer.pool.enabled;
  c.shift = static_cast<uint32_t>(layer.requant.shift);
  c.kernel_h = s.kernel_h;
  c.kernel_w = s.kernel_w;
  c.stride = s.stride;
  c.channels = s.in_channels;
  c.in_width = s.in_width;
  return c;
}

// Input rows [lo, hi] a band of output rows [e0, e1) reads, clipped to the image.
void BandInputRows(const ConvShape& s, int e0, int e1, int* lo, int* hi) {
  *lo = std::max(0, e0 * s.stride - s.padding);
  *hi = std::min(s.in_height - 1, (e1 - 1) * s.stride - s.padding + s.kernel_h - 1);
}

}  // namespace

void CheckLayer(const Layer& layer) {
  const ConvShape& s = layer.shape;
  if (!layer.has_weights()) {
    Check(s.in_channels >= 1 && s.in_height >= 1 && s.in_width >= 1, layer, "empty shape");
    Check(s.in_width <= limits::kMaxSpatial && s.in_height <= limits::kMaxSpatial, layer,
          fmt::format("input {}x{} larger than {}", s.in_height, s.in_width,
                      limits::kMaxSpatial));
    Check(s.kernel_h >= 1 && s.kernel_h <= 255 && s.kernel_w >= 1 && s.kernel_w <= 255 &&
              s.stride >= 1 && s.stride <= 255,
          layer, fmt::format("window {}x{}/{} outside 1..255", s.kernel_h, s.kernel_w, s.stride));
    Check(s.padding >= 0 && 2 * s.padding <= std::min(s.kernel_h, s.kernel_w), layer,
          fmt::format("padding {} more than half the window", s.padding));
    Check(layer.kind != LayerKind::kAvgPool || s.padding == 0, layer,
          "an average pool has no padding");
    Check(s.out_height() >= 1 && s.out_width() >= 1, layer, "window larger than the input");
    Check(!layer.pool.enabled, layer, "a vector-unit layer has no fused pool");
    return;
  }
  Check(s.in_channels >= 1 && s.out_channels >= 1 && s.in_height >= 1 && s.in_width >= 1,
        layer, "empty shape");
  // A linear's GEMM view may reduce over more inputs than one COMPUTE takes: it then runs in
  // chunks (partial sums).
  const int64_t max_in = layer.kind == LayerKind::kLinear ? limits::kMaxTensorElements
                                                          : limits::kMaxChannels;
  Check(s.in_channels <= max_in && s.out_channels <= limits::kMaxChannels, layer,
        fmt::format("{} -> {} channels, at most {} -> {}", s.in_channels, s.out_channels, max_in,
                    limits::kMaxChannels));
  Check(s.in_width <= limits::kMaxSpatial && s.in_height <= limits::kMaxSpatial, layer,
        fmt::format("input {}x{} larger than {}", s.in_height, s.in_width, limits::kMaxSpatial));
  Check(s.kernel_h >= 1 && s.kernel_h <= limits::kMaxKernel && s.kernel_w >= 1 &&
            s.kernel_w <= limits::kMaxKernel,
        layer,
        fmt::format("kernel {}x{} outside 1..{}", s.kernel_h, s.kernel_w, limits::kMaxKernel));
  Check(s.stride >= 1 && s.stride <= limits::kMaxStride, layer,
        fmt::format("stride {} outside 1..{}", s.stride, limits::kMaxStride));
  Check(s.padding >= 0 && s.padding < s.kernel_h && s.padding < s.kernel_w, layer,
        fmt::format("padding {} must be smaller than the kernel", s.padding));
  Check(s.out_height() >= 1 && s.out_width() >= 1, layer, "kernel larger than the padded input");
  Check(!layer.pool.enabled || (layer.pool.kernel == 2 && layer.pool.stride == 2), layer,
        fmt::format("{}x{}/{} max-pool: the hardware pools 2x2 with stride 2", layer.pool.kernel,
                    layer.pool.kernel, layer.pool.stride));
  Check(!layer.pool.enabled || (s.out_height() % 2 == 0 && s.out_width() % 2 == 0), layer,
        fmt::format("2x2 pool needs an even output, got {}x{}", s.out_height(), s.out_width()));
  Check(layer.requant.shift >= 0 && layer.requant.shift <= kMaxShift, layer,
        fmt::format("shift {} outside 0..31", layer.requant.shift));
}

Layer ArrayView(const Layer& layer, const TensorShape& stored) {
  if (layer.kind != LayerKind::kLinear) return layer;
  if (stored == layer.in_shape() && stored.height <= limits::kMaxKernel &&
      stored.width <= limits::kMaxKernel) {
    // A conv whose kernel is the whole input reads the same words in the same order as the GEMM
    // below, and knows which lanes are channels (the MAC counters stay exact).
    return layer;
  }
  Layer view = layer;
  const bool one_pixel = stored.height == 1 && stored.width == 1;
  const int64_t channels = one_pixel ? stored.channels
                                     : int64_t{ChannelBlocks(stored.channels)} * 16 *
                                           stored.height * stored.width;
  Check(stored.elements() == layer.in_shape().elements(), layer,
        fmt::format("its input holds {} elements, the layer reads {}", stored.elements(),
                    layer.in_shape().elements()));
  Check(channels <= limits::kMaxTensorElements, layer,
        fmt::format("a GEMM over {} stored inputs, more than {}", channels,
                    limits::kMaxTensorElements));
  view.shape = ConvShape{static_cast<int>(channels), 1, 1, layer.shape.out_channels, 1, 1, 1, 0};
  return view;
}

LayerWeights ArrayWeights(const Layer& layer, const TensorShape& stored,
                          const LayerWeights& weights) {
  if (layer.kind != LayerKind::kLinear) return weights;
  const Layer view = ArrayView(layer, stored);
  if (view.shape.kernel_h > 1 || view.shape.kernel_w > 1) return weights;  // OIHW is flat order
  if (stored.height == 1 && stored.width == 1) return weights;  // storage order = flat order
  const int k_in = view.shape.in_channels, n = layer.shape.out_channels;
  const int64_t flat = layer.in_shape().elements();
  Check(weights.weights.size() == static_cast<size_t>(flat) * n, layer,
        fmt::format("weights have {} elements, expected {}", weights.weights.size(),
                    static_cast<int64_t>(flat) * n));
  LayerWeights w;
  w.bias = weights.bias;
  w.weights.assign(static_cast<size_t>(k_in) * n, 0);
  // Stored word (b * H + y) * W + x, lane l holds channel 16 b + l of pixel (y, x), which is
  // flat index (16 b + l) * H * W + y * W + x in PyTorch's flatten order.
  const int hw = stored.height * stored.width;
  for (int k = 0; k < k_in; ++k) {
    const int word = k / 16, lane = k % 16;
    const int block = word / hw, pixel = word % hw;
    const int c = 16 * block + lane;
    if (c >= stored.channels) continue;  // a padding lane: weight 0
    const size_t src = static_cast<size_t>(c) * hw + pixel;
    for (int o = 0; o < n; ++o) {
      w.weights[static_cast<size_t>(o) * k_in + k] = weights.weights[o * flat + src];
    }
  }
  return w;
}

std::optional<Layer> BatchedLinearView(const Layer& layer, const TensorShape& stored, int images) {
  if (layer.kind != LayerKind::kLinear || images < 2) return std::nullopt;
  if (stored.elements() != layer.in_shape().elements()) return std::nullopt;
  const int64_t words = int64_t{ChannelBlocks(stored.channels)} * stored.height * stored.width;
  // The largest a x b dividing the words: fewest channel blocks, so fewest LOADs per band.
  int best_a = 0, best_b = 0;
  for (int a = 1; a <= limits::kMaxStride && a <= limits::kMaxKernel; ++a) {
    for (int b = 1; b <= limits::kMaxKernel; ++b) {
      if (words % (a * b) == 0 && a * b > best_a * best_b) best_a = a, best_b = b;
    }
  }
  const int64_t blocks = words / (best_a * best_b);
  const int64_t rows = int64_t{best_a} * images;
  if (blocks * 16 > limits::kMaxChannels || rows > limits::kMaxSpatial) return std::nullopt;
  // One block of one stored block: the lanes past the stored channels are padding, left out of
  // the reduction (as the view of one image does).
  const int64_t channels =
      blocks == 1 && ChannelBlocks(stored.channels) == 1 ? stored.channels : blocks * 16;
  Layer view = layer;
  view.shape = ConvShape{static_cast<int>(channels),
                         static_cast<int>(rows),
                         best_b,
                         layer.shape.out_channels,
                         best_a,
                         best_b,
                         best_a,
                         0};
  return view;
}

LayerWeights BatchedLinearWeights(const Layer& layer, const TensorShape& stored, const Layer& view,
                                  const LayerWeights& weights) {
  const int n = layer.shape.out_channels;
  const int64_t flat = layer.in_shape().elements();
  Check(weights.weights.size() == static_cast<size_t>(flat) * n, layer,
        fmt::format("weights have {} elements, expected {}", weights.weights.size(),
                    static_cast<int64_t>(flat) * n));
  const ConvShape& v = view.shape;
  LayerWeights w;
  w.bias = weights.bias;
  w.weights.assign(view.weight_count(), 0);
  // View channel 16 cb + l at tap (ky, kx) reads stored word (cb * kh + ky) * kw + kx, lane l:
  // channel 16 b + l of stored pixel p, for word b * H * W + p (flat index (16 b + l) H W + p).
  const int hw = stored.height * stored.width;
  for (int c = 0; c < v.in_channels; ++c) {
    for (int ky = 0; ky < v.kernel_h; ++ky) {
      for (int kx = 0; kx < v.kernel_w; ++kx) {
        const int word = ((c / 16) * v.kernel_h + ky) * v.kernel_w + kx;
        const int channel = 16 * (word / hw) + c % 16, pixel = word % hw;
        if (channel >= stored.channels) continue;  // a padding lane: weight 0
        const size_t src = static_cast<size_t>(channel) * hw + pixel;
        for (int o = 0; o < n; ++o) {
          const size_t dst =
              ((static_cast<size_t>(o) * v.in_channels + c) * v.kernel_h + ky) * v.kernel_w + kx;
          w.weights[dst] = weights.weights[o * flat + src];
        }
      }
    }
  }
  return w;
}

WeightLayout WeightLayoutOf(const Layer& layer, int cols) {
  WeightLayout w;
  if (!layer.has_weights()) return w;
  w.cols = cols;
  w.col_words = static_cast<uint32_t>(std::max(1, cols / 16));  // a narrow array: one word
  w.n_tiles = (layer.shape.out_channels + cols - 1) / cols;
  w.steps = static_cast<uint32_t>(layer.shape.reduction());
  w.tile_words = (4 + w.steps) * w.col_words;
  return w;
}

std::vector<uint8_t> LowerWeights(const Layer& layer, const LayerWeights& params, int cols) {
  const ConvShape& s = layer.shape;
  CheckLayer(layer);
  if (!layer.has_weights()) return {};
  Check(params.weights.size() == layer.weight_count(), layer,
        fmt::format("weights have {} elements, expected {}", params.weights.size(),
                    layer.weight_count()));
  Check(params.bias.size() == static_cast<size_t>(s.out_channels), layer,
        fmt::format("bias has {} elements, expected {}", params.bias.size(), s.out_channels));
  const WeightLayout low = WeightLayoutOf(layer, cols);
  std::vector<uint8_t> image(low.bytes(), 0);
  for (int j = 0; j < low.n_tiles; ++j) {
    uint8_t* tile = &image[static_cast<size_t>(j) * low.tile_words * 16];
    for (int n = 0; n < cols && cols * j + n < s.out_channels; ++n) {
      const auto b = static_cast<uint32_t>(params.bias[cols * j + n]);
      for (int byte = 0; byte < 4; ++byte) tile[4 * n + byte] = (b >> (8 * byte)) & 0xff;
    }
    uint32_t k = 0;
    for (int cb = 0; cb < ChannelBlocks(s.in_channels); ++cb) {
      const int block_channels = std::min(16, s.in_channels - 16 * cb);
      for (int ky = 0; ky < s.kernel_h; ++ky) {
        for (int kx = 0; kx < s.kernel_w; ++kx) {
          for (int ci = 0; ci < block_channels; ++ci, ++k) {
            const int c = 16 * cb + ci;
            uint8_t* word = tile + (low.bias_words() + k * low.col_words) * 16;
            for (int n = 0; n < cols && cols * j + n < s.out_channels; ++n) {
              const size_t oihw =
                  ((static_cast<size_t>(cols * j + n) * s.in_channels + c) * s.kernel_h + ky) *
                      s.kernel_w +
                  kx;
              word[n] = static_cast<uint8_t>(params.weights[oihw]);
            }
          }
        }
      }
    }
  }
  return image;
}

namespace {

// Reduction steps of input channel blocks [b0, b0 + nb).
uint32_t ChunkSteps(const ConvShape& s, int b0, int nb) {
  const int channels = std::min(s.in_channels, 16 * (b0 + nb)) - 16 * b0;
  return static_cast<uint32_t>(channels) * s.kernel_h * s.kernel_w;
}

// Input rows a fold of output rows [e0, e0 + rows) reads, at most.
int FoldInputRows(const ConvShape& s, int rows) {
  return std::min(s.in_height, (rows - 1) * s.stride + s.kernel_h);
}

}  // namespace

// The reduction split into chunks of input channel blocks, one fold per COMPUTE.
namespace {

// The conv without its pool, and the pool pass over its output (a VECTOR max-pool).
Layer Unpooled(const Layer& layer) {
  Layer conv = layer;
  conv.pool.enabled = false;
  return conv;
}
Layer PoolPass(const Layer& layer) {
  const ConvShape& s = layer.shape;
  Layer pool;
  pool.name = layer.name + " (pool pass)";
  pool.kind = LayerKind::kMaxPool;
  pool.shape = ConvShape{s.out_channels, s.out_height(), s.out_width(), s.out_channels,
                         layer.pool.kernel, layer.pool.kernel, layer.pool.stride, 0};
  return pool;
}

}  // namespace

TensorShape ScratchShape(const Layer& layer, const Tiling& tiling) {
  if (!tiling.pool_pass) return {0, 0, 0};
  return Unpooled(layer).out_shape();
}

Tiling ChooseChunkedTiling(const Layer& pooled, const HwConfig& hw) {
  const Layer layer = Unpooled(pooled);
  const ConvShape& s = layer.shape;
  const WeightLayout lowered = WeightLayoutOf(layer, hw.array_cols);
  const uint32_t cw = lowered.col_words;
  const uint32_t wbuf = hw.wbuf_words(), abuf = hw.abuf_words(), obuf = hw.obuf_words();
  const int rows = hw.array_rows, out_h = s.out_height(), out_w = s.out_width();
  const int blocks = ChannelBlocks(s.in_channels);
  Tiling t;
  t.n_tiles = lowered.n_tiles;
  if (out_w >= rows) {
    t.fold_rows = 1;
    t.fold_cols = rows;
  } else {
    t.fold_rows = std::min(out_h, rows / out_w);
    t.fold_cols = out_w;
  }
  const int in_rows = FoldInputRows(s, t.fold_rows);
  // A fold loads whole input rows; the COMPUTE picks its columns with x_off.
  auto fits = [&](int nb, int slots) {
    return (4 + ChunkSteps(s, 0, nb)) * cw * slots <= wbuf &&
           static_cast<uint64_t>(nb) * in_rows * s.in_width * slots <= abuf &&
           static_cast<uint32_t>(t.fold_rows * t.fold_cols) * cw * slots <= obuf &&
           16 * nb <= limits::kMaxChannels;
  };
  for (int slots : {2, 1}) {
    for (int nb = blocks; nb >= 1; --nb) {
      if (fits(nb, slots)) {
        t.chunk_blocks = nb;
        t.weight_slots = t.act_slots = t.out_slots = slots;
        break;
      }
    }
    if (t.chunk_blocks > 0) break;
  }
  Check(t.chunk_blocks > 0, layer,
        fmt::format("even one channel block of one fold ({} weight words, {} input words) does "
                    "not fit the buffers ({} weight words, {} activation words)",
                    (4 + ChunkSteps(s, 0, 1)) * cw, in_rows * s.in_width, wbuf, abuf));
  t.chunks = (blocks + t.chunk_blocks - 1) / t.chunk_blocks;
  const int folds_per_tile = ((out_h + t.fold_rows - 1) / t.fold_rows) *
                             ((out_w + t.fold_cols - 1) / t.fold_cols);
  t.folds = static_cast<uint64_t>(folds_per_tile) * t.n_tiles;
  t.band_rows = t.fold_rows;
  t.bands = (out_h + t.fold_rows - 1) / t.fold_rows;
  t.weight_tile_words = (4 + ChunkSteps(s, 0, t.chunk_blocks)) * cw;
  t.act_band_words = static_cast<uint32_t>(t.chunk_blocks) * in_rows * s.in_width;
  t.out_tile_words = static_cast<uint32_t>(t.fold_rows * t.fold_cols);
  // Cost: every chunk of every fold loads its weights and inputs again; with two slots the
  // loads overlap the array.
  double total = 0;
  for (int c = 0; c < t.chunks; ++c) {
    const int b0 = c * t.chunk_blocks, nb = std::min(t.chunk_blocks, blocks - b0);
    const double steps = ChunkSteps(s, b0, nb);
    const double compute = std::max<double>(steps, rows);
    const double dma = ((steps + 4) * cw + static_cast<double>(nb) * in_rows * s.in_width) * 16 /
                           hw.dram_bytes_per_cycle +
                       2.0 * hw.dram_latency_cycles;
    total += t.weight_slots == 2 ? std::max(compute, dma) : compute + dma;
  }
  t.compute_cycles = t.folds * std::max<uint64_t>(lowered.steps, rows);
  t.estimated_cycles = static_cast<uint64_t>(total * static_cast<double>(t.folds));
  std::string pool_note;
  if (pooled.pool.enabled) {
    t.pool_pass = true;
    const Tiling vt = ChooseVectorTiling(PoolPass(pooled), hw);
    t.estimated_cycles += vt.estimated_cycles;
    pool_note = "; then a VECTOR pass pools the outputs (" + vt.decision + ")";
  }
  t.decision = fmt::format(
      "partial sums: the reduction (K={}, {} weight words per tile) is too long for the "
      "{}-word weight buffer or the inputs for the {}-word activation buffer; {} chunk(s) of "
      "{} channel block(s), {} fold(s) of {}x{} output pixels per tile x {} tile(s), buffers "
      "{}-buffered, weights and inputs loaded again for every fold; estimated {} cycles",
      lowered.steps, lowered.tile_words, wbuf, abuf, t.chunks, t.chunk_blocks, folds_per_tile,
      t.fold_rows, t.fold_cols, t.n_tiles, t.weight_slots == 2 ? "double" : "single",
      t.estimated_cycles);
  t.decision += pool_note;
  return t;
}

CommandStats EmitChunkedCommands(const Layer& layer, const Tiling& t, const HwConfig& hw,
                                 const DramPlacement& place, std::vector<isa::CommandWords>* out,
                                 uint32_t* dma_jobs, uint32_t* compute_jobs) {
  const ConvShape& s = layer.shape;
  const WeightLayout lowered = WeightLayoutOf(layer, hw.array_cols);
  const uint32_t cw = lowered.col_words;
  const int cols = hw.array_cols;
  const int out_h = s.out_height(), out_w = s.out_width();
  const int blocks = ChannelBlocks(s.in_channels);
  const uint32_t a_half = t.act_slots == 2 ? hw.abuf_words() / 2 : 0;
  const uint32_t w_half = t.weight_slots == 2 ? hw.wbuf_words() / 2 : 0;
  const uint32_t o_half = t.out_slots == 2 ? hw.obuf_words() / 2 : 0;
  JobStream jobs(out, *dma_jobs, *compute_jobs);
  std::vector<uint32_t> chunk_compute;  // compute job of every chunk issued, in order
  std::vector<uint32_t> fold_store;     // store job of every fold issued, in order
  struct Fold {
    int j, e0, e1, f0, f1;
    uint32_t compute = 0;
  };
  std::vector<Fold> pending;  // a fold whose STORE waits until the next COMPUTE is issued
  auto store = [&](const Fold& f) {
    jobs.Require(0, f.compute);
    // The tile's channel blocks that hold output channels, t.out_tile_words apart (a narrow
    // array's fold: the one block its tiles share).
    const int blocks_out =
        cols < 16 ? 1 : ChannelBlocks(std::min(cols, s.out_channels - cols * f.j));
    const uint32_t first_block = cols < 16 ? f.j * cols / 16 : f.j * cw;
    isa::Transfer tr;
    tr.buffer = isa::Buffer::kOut;
    tr.dram_addr = place.output_addr +
                   (first_block * out_h * out_w + static_cast<uint32_t>(f.e0) * out_w + f.f0) * 16;
    tr.dram_stride = static_cast<uint32_t>(out_h) * out_w * 16;
    tr.sram_addr = (fold_store.size() % t.out_slots) * o_half;
    tr.row_words = static_cast<uint32_t>((f.e1 - f.e0) * (f.f1 - f.f0));
    tr.sram_stride = t.out_tile_words;
    tr.rows = static_cast<uint32_t>(blocks_out);
    fold_store.push_back(jobs.Transfer(isa::Opcode::kStore, tr));
  };
  // A narrow array's tiles that share an output block run fold by fold together, each writing
  // its lanes of the fold's words, and the fold leaves in one STORE.
  const int tiles_per_block = cols < 16 ? 16 / cols : 1;
  for (int g0 = 0; g0 < t.n_tiles; g0 += tiles_per_block) {
    for (int e0 = 0; e0 < out_h; e0 += t.fold_rows) {
      for (int f0 = 0; f0 < out_w; f0 += t.fold_cols) {
        Fold fold{g0, e0, std::min(out_h, e0 + t.fold_rows), f0, std::min(out_w, f0 + t.fold_cols)};
        const size_t fold_index = fold_store.size() + pending.size();
        int lo, hi;
        BandInputRows(s, fold.e0, fold.e1, &lo, &hi);
        for (int j = g0; j < std::min(t.n_tiles, g0 + tiles_per_block); ++j) {
          for (int c = 0; c < t.chunks; ++c) {
            const size_t q = chunk_compute.size();
            const int b0 = c * t.chunk_blocks, nb = std::min(t.chunk_blocks, blocks - b0);
            const uint32_t steps = ChunkSteps(s, b0, nb), k0 = ChunkSteps(s, 0, b0);
            if (q >= static_cast<size_t>(t.weight_slots)) {
              jobs.RequireIssued(chunk_compute[q - t.weight_slots]);
            }
            if (q >= static_cast<size_t>(t.act_slots)) {
              jobs.RequireIssued(chunk_compute[q - t.act_slots]);
            }
            isa::Transfer w;
            w.buffer = isa::Buffer::kWeight;
            const uint32_t tile = place.weight_addr + j * lowered.tile_words * 16;
            // The first chunk takes the biases with it; the others start from the kept sums.
            w.dram_addr = c == 0 ? tile : tile + (4 + k0) * cw * 16;
            w.sram_addr = (q % t.weight_slots) * w_half + (c == 0 ? 0 : 4 * cw);
            w.row_words = (c == 0 ? 4 + steps : steps) * cw;
            w.rows = 1;
            const uint32_t wjob = jobs.Transfer(isa::Opcode::kLoad, w);
            isa::Transfer a;
            a.buffer = isa::Buffer::kAct;
            a.dram_addr = place.input_addr + (static_cast<uint32_t>(b0) * s.in_height * s.in_width +
                                              static_cast<uint32_t>(lo) * s.in_width) *
                                                 16;
            a.dram_stride = static_cast<uint32_t>(s.in_height) * s.in_width * 16;
            a.sram_addr = (q % t.act_slots) * a_half;
            a.row_words = static_cast<uint32_t>(hi - lo + 1) * s.in_width;
            a.sram_stride = a.row_words;
            a.rows = static_cast<uint32_t>(nb);
            const uint32_t ajob = jobs.Transfer(isa::Opcode::kLoad, a);
            uint32_t need = std::max(wjob, ajob);
            const bool last = c + 1 == t.chunks;
            if (last && fold_index >= static_cast<size_t>(t.out_slots)) {
              // The output slot's previous fold must have left.
              while (fold_store.size() + t.out_slots <= fold_index && !pending.empty()) {
                store(pending.front());
                pending.erase(pending.begin());
              }
              need = std::max(need, fold_store[fold_index - t.out_slots]);
            }
            jobs.Require(need, 0);
            isa::Compute cmd = LayerCompute(layer);
            cmd.channels = std::min(s.in_channels, 16 * (b0 + nb)) - 16 * b0;
            cmd.in_rows = static_cast<uint32_t>(hi - lo + 1);
            cmd.y_off = fold.e0 * s.stride - s.padding - lo;
            cmd.x_off = fold.f0 * s.stride - s.padding;
            cmd.out_rows = fold.e1 - fold.e0;
            cmd.out_width = fold.f1 - fold.f0;
            cmd.abuf_base = (q % t.act_slots) * a_half;
            cmd.wbuf_base = (q % t.weight_slots) * w_half;
            cmd.obuf_base = (fold_index % t.out_slots) * o_half;
            cmd.n_valid = std::min(cols, s.out_channels - cols * j);
            cmd.obuf_stride = t.out_tile_words;
            cmd.lane_off = cols < 16 ? static_cast<uint32_t>((j % tiles_per_block) * cols) : 0;
            cmd.acc_in = c > 0;
            cmd.acc_out = !last;
            chunk_compute.push_back(jobs.Compute(isa::EncodeCompute(cmd)));
            // The previous fold's output leaves while this fold computes.
            while (!pending.empty()) {
              store(pending.front());
              pending.erase(pending.begin());
            }
          }
        }
        fold.compute = chunk_compute.back();
        pending.push_back(fold);
      }
    }
  }
  while (!pending.empty()) {
    store(pending.front());
    pending.erase(pending.begin());
  }
  return jobs.Finish(dma_jobs, compute_jobs);
}

Tiling ChooseTiling(const Layer& layer, const HwConfig& hw, int images, bool weights_once) {
  CheckLayer(layer);
  if (!layer.has_weights()) return ChooseVectorTiling(layer, hw);
  const ConvShape& s = layer.shape;
  const WeightLayout lowered = WeightLayoutOf(layer, hw.array_cols);
  Tiling t;
  t.n_tiles = lowered.n_tiles;
  t.weight_tile_words = lowered.tile_words;
  const uint32_t wbuf = hw.wbuf_words(), abuf = hw.abuf_words(), obuf = hw.obuf_words();
  if (lowered.tile_words > wbuf || s.in_channels > limits::kMaxChannels) {
    return ChooseChunkedTiling(layer, hw);
  }
  t.weight_slots = (2 * lowered.tile_words <= wbuf) ? 2 : 1;

  const int out_h = s.out_height(), out_w = s.out_width();
  const int blocks = ChannelBlocks(s.in_channels);
  auto band_words = [&](int rows) {
    int worst = 0;
    for (int e0 = 0; e0 < out_h; e0 += rows) {
      int lo, hi;
      BandInputRows(s, e0, std::min(out_h, e0 + rows), &lo, &hi);
      worst = std::max(worst, hi - lo + 1);
    }
    return static_cast<uint32_t>(blocks) * worst * s.in_width;
  };
  // Outputs: a tile covers col_words 16-channel blocks (a narrow array's tiles share one:
  // tiles_per_block of them), each block_words(rows) words of a band, out_tile_words apart in
  // the buffer; an output group (one STORE) is whole blocks.
  const int cols = hw.array_cols;
  const int tiles_per_block = cols < 16 ? 16 / cols : 1;
  auto block_words = [&](int rows) {
    return static_cast<uint32_t>(layer.pool.enabled ? (rows / 2) * (out_w / 2) : rows * out_w);
  };
  auto group_words = [&](int rows, int k) {
    return block_words(rows) * static_cast<uint32_t>((k * cols + 15) / 16);
  };
  auto out_words = [&](int rows) { return group_words(rows, 1); };  // of one tile (rounded up)
  const int min_group = std::min(t.n_tiles, tiles_per_block);
  // Candidates: every band height that fits, with the buffers split in halves (double
  // buffering) where the halves hold a band or a tile, else whole. Each is costed with a simple
  // model of the schedule EmitCommands writes, and the cheapest wins; near-ties go to the
  // tiling with less DRAM traffic.
  const int step = layer.pool.enabled ? 2 : 1;
  const uint64_t fold_cycles = std::max<uint64_t>(lowered.steps, hw.array_rows);
  const double bw = hw.dram_bytes_per_cycle;
  // Weights: one tile per LOAD, or all of them loaded once and kept for every band (when they
  // fit a slot). Outputs: up to a slot's worth of tiles per STORE. Each DMA job costs the DRAM
  // latency; bigger ones cost a longer first load or last store.
  const uint32_t w_slot = t.weight_slots == 2 ? wbuf / 2 : wbuf;
  const bool can_keep = static_cast<uint64_t>(t.n_tiles) * lowered.tile_words <= w_slot;
  auto max_out_group = [&](int rows, int out_slots) {
    const uint32_t slot = out_slots == 2 ? obuf / 2 : obuf;
    const int blocks_fit = static_cast<int>(slot / std::max<uint32_t>(1, block_words(rows)));
    const int k = cols < 16 ? blocks_fit * tiles_per_block : blocks_fit / (cols / 16);
    return std::max(min_group, std::min(t.n_tiles, k));
  };
  // Output rows per piece of a first or last tile whose band has `band_rows` rows (0: not
  // split; Tiling::head_piece_rows): the smallest height, in pool steps, that adds no fold and
  // computes for at least three DRAM latencies, so that a piece's own LOAD or STORE (the DMA
  // engine overlaps its jobs) and the command fetches around it keep up; at least two pieces.
  const uint64_t array_rows = hw.array_rows;
  auto folds_of = [&](int rows) {
    return (static_cast<uint64_t>(rows) * out_w + array_rows - 1) / array_rows;
  };
  auto piece_rows = [&](int band_rows) {
    for (int p = step; 2 * p <= band_rows; p += step) {
      uint64_t folds = 0;
      for (int a = 0; a < band_rows; a += p) folds += folds_of(std::min(p, band_rows - a));
      if (folds != folds_of(band_rows)) continue;
      if (folds_of(p) * fold_cycles >= 3ull * hw.dram_latency_cycles) return p;
    }
    return 0;
  };
  // A pooling COMPUTE drains before the next starts (docs/isa.md): each piece costs a drain.
  auto piece_cost = [&](int band_rows, int pieces_rows) {
    if (pieces_rows == 0 || !layer.pool.enabled) return 0.0;
    return ((band_rows + pieces_rows - 1) / pieces_rows - 1.0) * (hw.array_rows + 16.0);
  };
  auto estimate = [&](int rows, int act_slots, int out_slots, bool resident, int k,
                      std::string* why) {
    const int bands = (out_h + rows - 1) / rows;
    const int first_rows = std::min(rows, out_h), last_rows = out_h - (bands - 1) * rows;
    const int head = piece_rows(first_rows), tail = piece_rows(last_rows);
    const int ring = out_slots == 2 ? OutRing(obuf, group_words(first_rows, k)) : 1;
    // The first weights arrive before the first fold.
    double total = (resident ? t.n_tiles : 1) * lowered.tile_words * 16.0 / bw +
                   hw.dram_latency_cycles;
    const double weights_dma = resident ? 0.0 : lowered.tile_words * 16 / bw + kJobCycles;
    // The DMA engine overlaps consecutive jobs (docs/isa.md): in the steady state a job costs
    // its beats and a few cycles, the DRAM latency only where the pipeline fills or drains.
    auto act_words = [&](int e0) {
      int lo, hi;
      BandInputRows(s, e0, std::min(out_h, e0 + rows), &lo, &hi);
      return blocks * (hi - lo + 1.0) * s.in_width;
    };
    for (int e0 = 0; e0 < out_h; e0 += rows) {
      const int band_rows = std::min(rows, out_h - e0);
      // A band switch costs about a DRAM latency: its first COMPUTE waits on the band's LOAD.
      if (e0 > 0) total += hw.dram_latency_cycles;
      // Consecutive COMPUTEs overlap their drains unless they pool.
      const double compute = static_cast<double>(folds_of(band_rows) * fold_cycles +
                                                 (layer.pool.enabled ? hw.array_rows + 16 : 0));
      const double store_dma = (group_words(band_rows, k) * 16 / bw + kJobCycles) / k;
      // The first band's load (in pieces: its first piece) comes before the first fold; a
      // later band's goes with the band before it, or between the bands with one slot.
      if (e0 == 0) {
        int piece_lo, piece_hi;
        BandInputRows(s, 0, head > 0 ? head : band_rows, &piece_lo, &piece_hi);
        total += blocks * (piece_hi - piece_lo + 1.0) * s.in_width * 16 / bw +
                 hw.dram_latency_cycles + piece_cost(first_rows, head);
      } else if (act_slots == 1) {
        total += act_words(e0) * 16 / bw + hw.dram_latency_cycles;
      }
      const bool prefetch = act_slots == 2 && e0 + rows < out_h;
      const double prefetch_dma = prefetch ? act_words(e0 + rows) * 16 / bw + kJobCycles : 0.0;
      if (t.weight_slots == 2 && ring >= 3) {
        // STOREs may lag tiles behind (the output ring): the band's DMA work spreads over it.
        total +=
            std::max(compute * t.n_tiles, (weights_dma + store_dma) * t.n_tiles + prefetch_dma);
        continue;
      }
      for (int j = 0; j < t.n_tiles; ++j) {
        const double dma = weights_dma + store_dma + (j == 0 ? prefetch_dma : 0.0);
        total += t.weight_slots == 2 && out_slots == 2 ? std::max(compute, dma)
                                                       : compute + dma;
      }
    }
    // The last STORE (of the last piece) leaves after the last fold, and the last tile's
    // STOREs queue behind the one before (of a whole group) that leaves as the tile starts.
    const double last_store = group_words(last_rows, k) * 16.0 / bw;
    const double backlog = (t.n_tiles * bands > 1 ? last_store : 0.0) + last_store -
                           static_cast<double>(folds_of(last_rows) * fold_cycles);
    total += std::max(group_words(tail > 0 ? tail : last_rows, k) * 16.0 / bw, backlog) +
             hw.dram_latency_cycles + piece_cost(last_rows, tail);
    if (why) {
      *why = fmt::format("{} band(s) of {} rows, activations {}, outputs {} ({} per STORE), "
                         "weights {}: ~{:.0f} cycles",
                         bands, rows, act_slots == 2 ? "double" : "single",
                         out_slots == 2 ? "double" : "single", k,
                         resident ? "kept" : "per tile", total);
    }
    return total;
  };
  int best = 0;
  double best_cost = 0;
  std::string best_why, runner_up;
  // Band heights that cut the layer into bands of nearly equal height (n bands of
  // ceil(out_h / n) rows, in pool steps): an uneven cut (30 + 2 rows) leaves a short band whose
  // tiles wait on the long band's STOREs, which the model does not see.
  int last_rows_tried = 0;
  for (int n = 1; n * step <= out_h; ++n) {
    int rows = (out_h + n - 1) / n;
    rows = std::min(out_h - (out_h % step), (rows + step - 1) / step * step);
    if (rows == last_rows_tried) continue;
    last_rows_tried = rows;
    const int bands = (out_h + rows - 1) / rows;
    for (int slots : {2, 1}) {
      const int act_slots = bands > 1 ? slots : 1;
      if (band_words(rows) * act_slots > abuf || group_words(rows, min_group) * slots > obuf) {
        continue;
      }
      for (bool resident : {false, true}) {
        if (resident && !can_keep) continue;
        // A batch runs the bands of every image with one weight schedule: weights that stay
        // load once per batch instead of once per band and image.
        if (!resident && can_keep && weights_once && bands * images > 1) continue;
        const int kmax = max_out_group(rows, slots);
        for (int k : {min_group, kmax}) {
          std::string why;
          const double cost = estimate(rows, act_slots, slots, resident, k, &why);
          // Taller bands come first and re-read the weights less often: a shorter band (or
          // more machinery) has to be clearly (0.5%) faster to win.
          if (best == 0 || cost < 0.995 * best_cost) {
            if (best != 0) runner_up = best_why;
            best = rows;
            best_cost = cost;
            best_why = why;
            t.act_slots = act_slots;
            t.out_slots = slots;
            t.weights_resident = resident;
            t.out_group = k;
          } else if (runner_up.empty()) {
            runner_up = why;
          }
          if (kmax == min_group) break;
        }
      }
    }
  }
  if (best == 0) return ChooseChunkedTiling(layer, hw);
  t.band_rows = best;
  t.bands = (out_h + best - 1) / best;
  t.act_band_words = band_words(best);
  t.out_tile_words = block_words(best);
  for (int e0 = 0; e0 < out_h; e0 += best) {
    const uint64_t pixels = static_cast<uint64_t>(std::min(best, out_h - e0)) * out_w;
    const uint64_t folds = (pixels + hw.array_rows - 1) / hw.array_rows;
    t.folds += folds * t.n_tiles;
  }
  t.compute_cycles = t.folds * std::max<uint64_t>(lowered.steps, hw.array_rows);
  // Double-buffered outputs become a ring of as many slots as the buffer holds (up to 8): a
  // STORE may then lag several tiles behind its COMPUTE, so a band whose DMA is busy (the next
  // band's load) passes its stores on to a quieter one instead of stalling the array.
  if (t.out_slots == 2) {
    t.out_slots = OutRing(obuf, group_words(best, std::max(1, t.out_group)));
  }
  t.head_piece_rows = piece_rows(std::min(best, out_h));
  t.tail_piece_rows = piece_rows(out_h - (t.bands - 1) * best);
  // How many of the last tiles run in pieces: a whole tile's STORE leaves as the next tile
  // starts and takes a fraction r of a tile's compute (with the weights and a few cycles a
  // job), so the last tiles' STOREs pile up behind it unless about r / (1 - r) tiles before the
  // last one also store piece by piece. A DMA-bound layer (r near 1) gains nothing.
  if (t.tail_piece_rows > 0) {
    const int last_rows = out_h - (t.bands - 1) * best;
    const double tile_compute = static_cast<double>(folds_of(last_rows) * fold_cycles);
    const double tile_dma =
        (out_words(last_rows) + (t.weights_resident ? 0 : lowered.tile_words)) * 16.0 / bw +
        2 * kJobCycles;
    const double r = tile_dma / tile_compute;
    t.tail_tiles = r < 0.9 ? 1 + static_cast<int>(std::lround(r / (1 - r))) : 1;
    t.tail_tiles = std::min({t.tail_tiles, kMaxTailTiles, t.n_tiles * t.bands});
  }
  const std::string pieces =
      t.head_piece_rows == 0 && t.tail_piece_rows == 0
          ? ""
          : fmt::format(
                "; first tile in COMPUTEs of {} output row(s), last {} tile(s) in "
                "COMPUTEs of {} (0: whole)",
                t.head_piece_rows, t.tail_tiles, t.tail_piece_rows);
  t.estimated_cycles = static_cast<uint64_t>(best_cost);
  t.decision = fmt::format(
      "{} output-channel tile(s) x {} band(s) of {} output row(s); weights {} "
      "({} words/tile of {}), activations {}-buffered ({} words/band of {}), outputs "
      "{} ({} words/tile of {}, {} per STORE){}; {} folds of max(K={}, rows={}) "
      "cycles; estimated {} cycles{}",
      t.n_tiles, t.bands, t.band_rows,
      t.weights_resident ? "loaded once and kept"
                         : fmt::format("{}-buffered", t.weight_slots == 2 ? "double" : "single"),
      t.weight_tile_words, wbuf, t.act_slots == 2 ? "double" : "single", t.act_band_words, abuf,
      t.out_slots == 1 ? "single-buffered" : fmt::format("in a ring of {} slots", t.out_slots),
      t.out_tile_words, obuf, t.out_group, pieces, t.folds, lowered.steps, hw.array_rows,
      t.estimated_cycles,
      runner_up.empty() ? std::string(" (the only tiling that fits)")
                        : " (next best: " + runner_up + ")");
  return t;
}

namespace {

// Image n's tensors of a batch placement, as a placement of one image.
DramPlacement ImagePlacement(const DramPlacement& place, int n) {
  DramPlacement one = place;
  one.images = 1;
  one.input_addr += n * place.input_image_bytes;
  one.input_b_addr += n * place.input_b_image_bytes;
  one.scratch_addr += n * place.scratch_image_bytes;
  one.output_addr += n * place.output_image_bytes;
  return one;
}

}  // namespace

CommandStats EmitCommands(const Layer& layer, const Tiling& t, const HwConfig& hw,
                          const DramPlacement& place, std::vector<isa::CommandWords>* out,
                          uint32_t* dma_jobs, uint32_t* compute_jobs) {
  const bool per_image = !layer.has_weights() || t.chunks > 1 || t.fold_rows > 0;
  if (place.images > 1 && per_image) {
    // The vector unit and partial sums run image by image (their schedules keep nothing).
    CommandStats stats;
    for (int n = 0; n < place.images; ++n) {
      const CommandStats more =
          EmitCommands(layer, t, hw, ImagePlacement(place, n), out, dma_jobs, compute_jobs);
      stats.loads += more.loads;
      stats.stores += more.stores;
      stats.computes += more.computes;
      stats.syncs += more.syncs;
    }
    return stats;
  }
  if (!layer.has_weights()) {
    return EmitVectorCommands(layer, t, hw, place, out, dma_jobs, compute_jobs);
  }
  if ((t.chunks > 1 || t.fold_rows > 0) && t.pool_pass) {
    // Conv to the scratch tensor, then the pool from it: the DMA engine runs its jobs in order,
    // so the pass's loads read what the conv's stores wrote.
    DramPlacement conv_place = place;
    conv_place.output_addr = place.scratch_addr;
    CommandStats stats =
        EmitChunkedCommands(Unpooled(layer), t, hw, conv_place, out, dma_jobs, compute_jobs);
    const Layer pool = PoolPass(layer);
    DramPlacement pool_place;
    pool_place.input_addr = place.scratch_addr;
    pool_place.output_addr = place.output_addr;
    const CommandStats more = EmitVectorCommands(pool, ChooseVectorTiling(pool, hw), hw,
                                                 pool_place, out, dma_jobs, compute_jobs);
    stats.loads += more.loads;
    stats.stores += more.stores;
    stats.computes += more.computes;
    stats.syncs += more.syncs;
    return stats;
  }
  if (t.chunks > 1 || t.fold_rows > 0) {
    return EmitChunkedCommands(layer, t, hw, place, out, dma_jobs, compute_jobs);
  }
  const ConvShape& s = layer.shape;
  const WeightLayout lowered = WeightLayoutOf(layer, hw.array_cols);
  // A tile of a wide array has cw output blocks, t.out_tile_words apart in its output slot; a
  // narrow array's tiles share a block, each with its lanes (an output group is whole blocks).
  const int cols = hw.array_cols, cw = static_cast<int>(lowered.col_words);
  const int out_blocks = ChannelBlocks(s.out_channels);
  auto block_of = [&](int j) { return cols < 16 ? j * cols / 16 : j * cw; };
  auto lane_of = [&](int j) { return cols < 16 ? (j * cols) % 16 : 0; };
  auto blocks_end = [&](int j) {  // past the last block of tiles ..j
    return std::min(out_blocks, cols < 16 ? block_of(j) + 1 : (j + 1) * cw);
  };
  const int out_h = s.out_height(), out_w = s.out_width();
  const uint32_t a_half = t.act_slots == 2 ? hw.abuf_words() / 2 : 0;
  const uint32_t w_half = t.weight_slots == 2 ? hw.wbuf_words() / 2 : 0;
  const uint32_t o_half = t.out_slots >= 2 ? hw.obuf_words() / t.out_slots : 0;
  // A batch runs band after band of image after image: band `band` of the layer is band
  // band % t.bands of image band / t.bands.
  const int images = std::max(1, place.images);
  const int bands = t.bands * images;
  const int tiles = bands * t.n_tiles;
  auto image_of = [&](int band) { return static_cast<uint32_t>(band / t.bands); };
  auto first_row = [&](int band) { return (band % t.bands) * t.band_rows; };  // output row
  const TensorShape final_shape = layer.out_shape();
  const int final_h = final_shape.height, final_w = final_shape.width;
  const int og = std::max(1, t.out_group);
  const int ogroups_per_band = (t.n_tiles + og - 1) / og;

  JobStream jobs(out, *dma_jobs, *compute_jobs);
  std::vector<uint32_t> act_job(bands), compute_job(tiles);
  // One weight LOAD per tile, or one for the whole layer when the weights stay (resident).
  std::vector<uint32_t> weight_job(t.weights_resident ? 1 : tiles);
  std::vector<uint32_t> store_job(bands * ogroups_per_band);

  auto band_of = [&](int tile) { return tile / t.n_tiles; };
  auto ntile_of = [&](int tile) { return tile % t.n_tiles; };
  auto wload_of = [&](int tile) { return t.weights_resident ? 0 : tile; };
  // Output group of a tile (one STORE), numbered over the layer.
  auto ogroup_of = [&](int tile) {
    return band_of(tile) * ogroups_per_band + ntile_of(tile) / og;
  };
  // The last tile of output group o.
  auto ogroup_last = [&](int o) {
    const int band = o / ogroups_per_band, first = (o % ogroups_per_band) * og;
    return band * t.n_tiles + std::min(t.n_tiles, first + og) - 1;
  };

  // Pieces of the first and last tile (Tiling::head_piece_rows): output rows [ra, rb) of the
  // tile's band, relative to the band; a tile not split is one piece.
  struct Piece {
    int ra, rb;
  };
  auto pieces_of = [&](int tile) {
    const int e0 = first_row(band_of(tile)), rows = std::min(out_h, e0 + t.band_rows) - e0;
    int p = tile >= tiles - t.tail_tiles ? t.tail_piece_rows : 0;
    if (tile == 0) p = t.head_piece_rows;
    const int step = layer.pool.enabled ? 2 : 1;
    if (p <= 0 || p >= rows || p % step != 0) p = rows;
    std::vector<Piece> pieces;
    for (int a = 0; a < rows; a += p) pieces.push_back({a, std::min(rows, a + p)});
    return pieces;
  };
  const std::vector<Piece> head = pieces_of(0);
  // The first band's LOADs, one per head piece: the input rows it reads that the pieces before
  // it did not. head_load[i] is the job that completes piece i's rows.
  std::vector<uint32_t> head_load(head.size());
  size_t head_loaded = 0;

  auto load_act_rows = [&](int band, int r_lo, int r_hi) {  // input rows [r_lo, r_hi] of band
    const int e0 = first_row(band), e1 = std::min(out_h, e0 + t.band_rows);
    int lo, hi;
    BandInputRows(s, e0, e1, &lo, &hi);
    if (place.batched_gemm) {
      // Rows [n a, (n + 1) a) are image n's: block cb of images n0..n1 is one LOAD of a row of
      // a * b words per image (one LOAD of them all when they lie back to back in DRAM).
      const int a = s.kernel_h, n0 = r_lo / a, n1 = r_hi / a;
      const uint32_t image_words = static_cast<uint32_t>(a) * s.in_width;
      const int blocks = ChannelBlocks(s.in_channels);
      const bool contiguous = blocks == 1 && place.input_image_bytes == image_words * 16;
      uint32_t job = 0;
      for (int cb = 0; cb < blocks; ++cb) {
        isa::Transfer tr;
        tr.buffer = isa::Buffer::kAct;
        tr.dram_addr = place.input_addr + static_cast<uint32_t>(n0) * place.input_image_bytes +
                       static_cast<uint32_t>(cb) * image_words * 16;
        tr.dram_stride = place.input_image_bytes;
        tr.sram_addr = (band % t.act_slots) * a_half +
                       (static_cast<uint32_t>(cb) * (hi - lo + 1) + (r_lo - lo)) * s.in_width;
        tr.row_words = image_words * (contiguous ? n1 - n0 + 1 : 1);
        tr.sram_stride = image_words;
        tr.rows = contiguous ? 1 : static_cast<uint32_t>(n1 - n0 + 1);
        job = jobs.Transfer(isa::Opcode::kLoad, tr);
      }
      return job;
    }
    isa::Transfer tr;
    tr.buffer = isa::Buffer::kAct;
    tr.dram_addr = place.input_addr + image_of(band) * place.input_image_bytes +
                   static_cast<uint32_t>(r_lo) * s.in_width * 16;
    tr.dram_stride = static_cast<uint32_t>(s.in_height) * s.in_width * 16;
    tr.sram_addr = (band % t.act_slots) * a_half + static_cast<uint32_t>(r_lo - lo) * s.in_width;
    tr.row_words = static_cast<uint32_t>(r_hi - r_lo + 1) * s.in_width;
    tr.sram_stride = static_cast<uint32_t>(hi - lo + 1) * s.in_width;
    tr.rows = ChannelBlocks(s.in_channels);
    return jobs.Transfer(isa::Opcode::kLoad, tr);
  };
  auto load_act = [&](int band) {
    const int e0 = first_row(band), e1 = std::min(out_h, e0 + t.band_rows);
    if (band >= t.act_slots) {  // the slot's previous band must have been read
      jobs.RequireIssued(compute_job[std::min(tiles, (band - t.act_slots + 1) * t.n_tiles) - 1]);
    }
    int lo, hi;
    BandInputRows(s, e0, e1, &lo, &hi);
    act_job[band] = load_act_rows(band, lo, hi);
  };
  // The next head piece's rows (band 0 is never a slot's second band: nothing to wait for).
  auto load_head_piece = [&]() {
    const size_t i = head_loaded++;
    int lo, hi, prev_lo, prev_hi = -1;
    BandInputRows(s, head[i].ra, head[i].rb, &lo, &hi);
    if (i > 0) BandInputRows(s, head[i - 1].ra, head[i - 1].rb, &prev_lo, &prev_hi);
    lo = std::max(lo, prev_hi + 1);
    head_load[i] = lo <= hi ? load_act_rows(0, lo, hi) : (i > 0 ? head_load[i - 1] : 0);
    if (head_loaded == head.size()) act_job[0] = head_load[i];
  };
  auto load_weights = [&](int tile) {  // the tile's weights, or all of them when resident
    if (tile >= t.weight_slots) jobs.RequireIssued(compute_job[tile - t.weight_slots]);
    const int first = t.weights_resident ? 0 : ntile_of(tile);
    const int count = t.weights_resident ? t.n_tiles : 1;
    isa::Transfer tr;
    tr.buffer = isa::Buffer::kWeight;
    tr.dram_addr = place.weight_addr + static_cast<uint32_t>(first) * lowered.tile_words * 16;
    tr.sram_addr = t.weights_resident ? 0 : (tile % t.weight_slots) * w_half;
    tr.row_words = static_cast<uint32_t>(count) * lowered.tile_words;
    tr.rows = 1;
    weight_job[wload_of(tile)] = jobs.Transfer(isa::Opcode::kLoad, tr);
  };
  // A STORE of output group o's rows [ra, rb) of its band (every tile of the group), once
  // compute job `after` is done.
  struct PendingStore {
    int o, ra, rb;
    uint32_t after;
  };
  auto store = [&](const PendingStore& ps) {
    const int o = ps.o, last = ogroup_last(o);
    jobs.Require(0, ps.after);
    const int band = o / ogroups_per_band, first = (o % ogroups_per_band) * og;
    const int e0 = first_row(band);
    const int fe0 = layer.pool.enabled ? (e0 + ps.ra) / 2 : e0 + ps.ra;
    const int fra = layer.pool.enabled ? ps.ra / 2 : ps.ra;
    const int rows = layer.pool.enabled ? (ps.rb - ps.ra) / 2 : ps.rb - ps.ra;
    if (place.batched_gemm) {
      // Output row e is image e's word of the tile's channel block: one STORE per tile, a row
      // of one word per image.
      for (int b = block_of(first); b < blocks_end(ntile_of(last)); ++b) {
        isa::Transfer tr;
        tr.buffer = isa::Buffer::kOut;
        tr.dram_addr = place.output_addr + static_cast<uint32_t>(fe0) * place.output_image_bytes +
                       static_cast<uint32_t>(b) * 16;
        tr.dram_stride = place.output_image_bytes;
        tr.sram_addr = (o % t.out_slots) * o_half +
                       static_cast<uint32_t>(b - block_of(first)) * t.out_tile_words +
                       static_cast<uint32_t>(fra);
        tr.row_words = 1;
        tr.sram_stride = 1;
        tr.rows = static_cast<uint32_t>(rows);
        store_job[o] = jobs.Transfer(isa::Opcode::kStore, tr);
      }
      return;
    }
    isa::Transfer tr;
    tr.buffer = isa::Buffer::kOut;
    tr.dram_addr = place.output_addr + image_of(band) * place.output_image_bytes +
                   (static_cast<uint32_t>(block_of(first)) * final_h * final_w +
                    static_cast<uint32_t>(fe0) * final_w) *
                       16;
    tr.dram_stride = static_cast<uint32_t>(final_h) * final_w * 16;
    tr.sram_addr = (o % t.out_slots) * o_half + static_cast<uint32_t>(fra) * final_w;
    tr.row_words = static_cast<uint32_t>(rows) * final_w;
    tr.sram_stride = t.out_tile_words;
    // The group's output blocks that hold channels (a wide array's last tile may have fewer).
    tr.rows = static_cast<uint32_t>(blocks_end(ntile_of(last)) - block_of(first));
    store_job[o] = jobs.Transfer(isa::Opcode::kStore, tr);
  };
  auto compute = [&](int tile, const Piece& piece, uint32_t act_ready) {
    const int band = band_of(tile), j = ntile_of(tile);
    uint32_t need_dma = std::max(act_ready, weight_job[wload_of(tile)]);
    const int o = ogroup_of(tile);
    if (o >= t.out_slots) need_dma = std::max(need_dma, store_job[o - t.out_slots]);
    jobs.Require(need_dma, 0);
    const int e0 = first_row(band), e1 = std::min(out_h, e0 + t.band_rows);
    int lo, hi;
    BandInputRows(s, e0, e1, &lo, &hi);
    isa::Compute c = LayerCompute(layer);
    c.in_rows = static_cast<uint32_t>(hi - lo + 1);
    c.y_off = (e0 + piece.ra) * s.stride - s.padding - lo;
    c.x_off = -s.padding;
    c.out_rows = piece.rb - piece.ra;
    c.out_width = out_w;
    c.abuf_base = (band % t.act_slots) * a_half;
    c.wbuf_base = t.weights_resident ? static_cast<uint32_t>(j) * lowered.tile_words
                                     : (tile % t.weight_slots) * w_half;
    c.obuf_base = (o % t.out_slots) * o_half +
                  static_cast<uint32_t>(block_of(j) - block_of(j - j % og)) * t.out_tile_words +
                  static_cast<uint32_t>(layer.pool.enabled ? piece.ra / 2 : piece.ra) * final_w;
    c.n_valid = std::min(cols, s.out_channels - cols * j);
    c.obuf_stride = t.out_tile_words;
    c.lane_off = static_cast<uint32_t>(lane_of(j));
    compute_job[tile] = jobs.Compute(isa::EncodeCompute(c));
    return compute_job[tile];
  };

  // The first tile's weights, then its first pieces' inputs: piece i+1's LOAD goes just before
  // piece i's COMPUTE, so that the DMA engine has the next piece's rows in hand while the array
  // computes the current one.
  load_weights(0);
  load_head_piece();
  std::vector<PendingStore> pending;  // STOREs that wait for the next COMPUTE to be dispatched
  for (int tile = 0; tile < tiles; ++tile) {
    const std::vector<Piece> pieces = tile == 0 ? head : pieces_of(tile);
    const int o = ogroup_of(tile);
    const bool group_ends = tile == ogroup_last(o);
    for (size_t i = 0; i < pieces.size(); ++i) {
      // With one output slot a finished group must leave before the next tile overwrites it.
      if (t.out_slots == 1) {
        for (const auto& ps : pending) {
          if (ps.o != o) store(ps);
        }
        pending.erase(std::remove_if(pending.begin(), pending.end(),
                                     [&](const PendingStore& ps) { return ps.o != o; }),
                      pending.end());
      }
      if (tile == 0 && head_loaded < head.size()) load_head_piece();
      const uint32_t job =
          compute(tile, pieces[i], tile == 0 ? head_load[i] : act_job[band_of(tile)]);
      // Leave after this COMPUTE's prefetches, so that they do not wait with them.
      std::vector<PendingStore> finished;
      finished.swap(pending);
      // Prefetch as early as a slot is free: the next tile's weights once this tile's first
      // COMPUTE is dispatched (ahead of its pieces' STOREs in the DMA queue; the first tile's
      // after its last, behind its own input pieces); with two activation slots, the next
      // band's inputs at the same point of the band's first tile, with one, after its last
      // COMPUTE.
      const bool prefetch_point = tile == 0 ? i + 1 == pieces.size() : i == 0;
      const bool first_of_band = ntile_of(tile) == 0;
      const bool last_of_band = ntile_of(tile) == t.n_tiles - 1;
      const int next_band = band_of(tile) + 1;
      // With one weight slot the next tile's weights overwrite this tile's: after its last piece.
      const bool weights_point = t.weight_slots == 1 ? i + 1 == pieces.size() : prefetch_point;
      if (weights_point && !t.weights_resident && tile + 1 < tiles) load_weights(tile + 1);
      if (next_band < bands && (t.act_slots == 2 ? prefetch_point && first_of_band
                                                 : i + 1 == pieces.size() && last_of_band)) {
        load_act(next_band);
      }
      for (const auto& ps : finished) store(ps);
      // The split last tile stores each piece's rows of its group; else a group leaves whole.
      const bool by_piece = tile >= tiles - t.tail_tiles && pieces.size() > 1;
      if (group_ends && (by_piece || i + 1 == pieces.size())) {
        const bool whole = !by_piece;
        const int e0 = first_row(band_of(tile));
        const int rows = std::min(out_h, e0 + t.band_rows) - e0;
        pending.push_back({o, whole ? 0 : pieces[i].ra, whole ? rows : pieces[i].rb, job});
      }
    }
  }
  for (const auto& ps : pending) store(ps);
  return jobs.Finish(dma_jobs, compute_jobs);
}

}  // namespace sasim::compiler
