#include "compiler/vector_compiler.h"

#include <algorithm>

#include <fmt/core.h>

#include "compiler/job_stream.h"
#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim::compiler {
namespace {

int Operands(const Layer& layer) { return layer.kind == LayerKind::kAdd ? 2 : 1; }

// Input rows [lo, hi] that output rows [e0, e1) read, clipped to the image.
void InputRows(const ConvShape& s, int e0, int e1, int* lo, int* hi) {
  *lo = std::max(0, e0 * s.stride - s.padding);
  *hi = std::min(s.in_height - 1, (e1 - 1) * s.stride - s.padding + s.kernel_h - 1);
}

// Input words of one channel block for the tallest band of `rows` output rows.
uint32_t BandInWords(const ConvShape& s, int rows) {
  int worst = 0;
  for (int e0 = 0; e0 < s.out_height(); e0 += rows) {
    int lo, hi;
    InputRows(s, e0, std::min(s.out_height(), e0 + rows), &lo, &hi);
    worst = std::max(worst, hi - lo + 1);
  }
  return static_cast<uint32_t>(worst) * s.in_width;
}

isa::VectorOp OpOf(const Layer& layer) {
  switch (layer.kind) {
    case LayerKind::kAdd: return isa::VectorOp::kAdd;
    case LayerKind::kAvgPool: return isa::VectorOp::kAvgPool;
    default: return isa::VectorOp::kMaxPool;
  }
}

}  // namespace

Tiling ChooseVectorTiling(const Layer& layer, const HwConfig& hw) {
  const ConvShape& s = layer.shape;
  const int blocks = ChannelBlocks(s.in_channels);
  const int out_h = s.out_height(), out_w = s.out_width();
  const int operands = Operands(layer);
  const uint32_t abuf = hw.abuf_words(), obuf = hw.obuf_words();
  // The biggest tile wins (fewest commands and DMA latencies): most channel blocks, then most
  // rows; two slots of each buffer (double buffering) when the tensor needs more than one tile.
  Tiling t;
  for (int slots : {2, 1}) {
    for (int group = blocks; group >= 1 && t.band_rows == 0; --group) {
      for (int rows = out_h; rows >= 1; --rows) {
        const int tiles = ((blocks + group - 1) / group) * ((out_h + rows - 1) / rows);
        const int use = tiles > 1 ? slots : 1;
        const uint64_t in_words = uint64_t{BandInWords(s, rows)} * group * operands;
        const uint64_t out_words = uint64_t{static_cast<uint32_t>(rows)} * out_w * group;
        if (in_words * use <= abuf && out_words * use <= obuf) {
          t.band_rows = rows;
          t.n_tiles = (blocks + group - 1) / group;  // channel-block groups
          t.act_slots = use;
          t.out_slots = use;
          t.act_band_words = static_cast<uint32_t>(in_words);
          t.out_tile_words = static_cast<uint32_t>(out_words);
          t.channel_group = group;
          break;
        }
      }
    }
    if (t.band_rows > 0) break;
  }
  if (t.band_rows == 0) {
    throw CompileError(fmt::format(
        "layer '{}': one output row of one channel block ({} input words, {} output words) "
        "does not fit the buffers ({} activation words, {} output words)",
        layer.name, uint64_t{BandInWords(s, 1)} * operands, out_w, abuf, obuf));
  }
  t.bands = (out_h + t.band_rows - 1) / t.band_rows;
  t.weight_slots = 1;
  // Cost: the vector unit reads one word per cycle; the DMA moves every input and output word
  // once. With two slots the two overlap.
  const double words_in = static_cast<double>(blocks) * operands * s.in_height * s.in_width;
  const double words_out = static_cast<double>(blocks) * out_h * out_w;
  const double reads = layer.kind == LayerKind::kAdd
                           ? words_out * 2
                           : words_out * s.kernel_h * s.kernel_w;
  const double dma = (words_in + words_out) * 16 / hw.dram_bytes_per_cycle +
                     static_cast<double>(t.bands) * t.n_tiles * 3 * hw.dram_latency_cycles;
  t.estimated_cycles = static_cast<uint64_t>(t.act_slots == 2 ? std::max(dma, reads)
                                                              : dma + reads);
  t.decision = fmt::format(
      "vector unit: {} channel-block group(s) of {} x {} band(s) of {} output row(s); "
      "activations {}-buffered ({} words/tile of {}), outputs {}-buffered ({} words/tile of "
      "{}); {:.0f} buffer reads; estimated {} cycles",
      t.n_tiles, t.channel_group, t.bands, t.band_rows, t.act_slots == 2 ? "double" : "single",
      t.act_band_words, abuf, t.out_slots == 2 ? "double" : "single", t.out_tile_words, obuf, reads,
      t.estimated_cycles);
  return t;
}

CommandStats EmitVectorCommands(const Layer& layer, const Tiling& t, const HwConfig& hw,
                                const DramPlacement& place, std::vector<isa::CommandWords>* out,
                                uint32_t* dma_jobs, uint32_t* compute_jobs) {
  const ConvShape& s = layer.shape;
  const int blocks = ChannelBlocks(s.in_channels);
  const int group = t.channel_group;
  const int out_h = s.out_height(), out_w = s.out_width();
  const int operands = Operands(layer);
  const uint32_t a_half = t.act_slots == 2 ? hw.abuf_words() / 2 : 0;
  const uint32_t o_half = t.out_slots == 2 ? hw.obuf_words() / 2 : 0;
  const int tiles = t.bands * t.n_tiles;
  AddShifts shifts;
  if (layer.kind == LayerKind::kAdd &&
      (!layer.out_exp || !AddShiftsFor(layer.in_exp, layer.in_exp_b, *layer.out_exp, &shifts))) {
    throw CompileError(fmt::format("layer '{}': add scales out of range", layer.name));
  }

  JobStream jobs(out, *dma_jobs, *compute_jobs);
  std::vector<uint32_t> load_job(tiles), store_job(tiles), vec_job(tiles);
  // Tile i: band i / n_tiles, channel-block group i % n_tiles.
  struct Tile {
    int b0, nb, e0, e1, lo, hi;
  };
  auto tile_of = [&](int i) {
    Tile x;
    x.b0 = (i % t.n_tiles) * group;
    x.nb = std::min(group, blocks - x.b0);
    x.e0 = (i / t.n_tiles) * t.band_rows;
    x.e1 = std::min(out_h, x.e0 + t.band_rows);
    InputRows(s, x.e0, x.e1, &x.lo, &x.hi);
    return x;
  };
  auto load = [&](int i) {
    const Tile x = tile_of(i);
    if (i >= t.act_slots) jobs.Require(0, vec_job[i - t.act_slots]);
    const uint32_t row_words = static_cast<uint32_t>(x.hi - x.lo + 1) * s.in_width;
    const uint32_t plane = static_cast<uint32_t>(s.in_height) * s.in_width * 16;
    for (int k = 0; k < operands; ++k) {
      isa::Transfer tr;
      tr.buffer = isa::Buffer::kAct;
      tr.dram_addr = (k == 0 ? place.input_addr : place.input_b_addr) + x.b0 * plane +
                     static_cast<uint32_t>(x.lo) * s.in_width * 16;
      tr.dram_stride = plane;
      tr.sram_addr = (i % t.act_slots) * a_half + k * x.nb * row_words;
      tr.sram_stride = row_words;
      tr.row_words = row_words;
      tr.rows = static_cast<uint32_t>(x.nb);
      load_job[i] = jobs.Transfer(isa::Opcode::kLoad, tr);
    }
  };
  auto store = [&](int i) {
    const Tile x = tile_of(i);
    jobs.Require(0, vec_job[i]);
    const uint32_t row_words = static_cast<uint32_t>(x.e1 - x.e0) * out_w;
    const uint32_t plane = static_cast<uint32_t>(out_h) * out_w * 16;
    isa::Transfer tr;
    tr.buffer = isa::Buffer::kOut;
    tr.dram_addr = place.output_addr + x.b0 * plane + static_cast<uint32_t>(x.e0) * out_w * 16;
    tr.dram_stride = plane;
    tr.sram_addr = (i % t.out_slots) * o_half;
    tr.sram_stride = row_words;
    tr.row_words = row_words;
    tr.rows = static_cast<uint32_t>(x.nb);
    store_job[i] = jobs.Transfer(isa::Opcode::kStore, tr);
  };
  auto vector = [&](int i) {
    const Tile x = tile_of(i);
    uint32_t need = load_job[i];
    if (i >= t.out_slots) need = std::max(need, store_job[i - t.out_slots]);
    jobs.Require(need, 0);
    isa::Vector v;
    v.op = OpOf(layer);
    v.relu = layer.requant.relu;
    v.stride = static_cast<uint32_t>(s.stride);
    v.kernel_h = static_cast<uint32_t>(s.kernel_h);
    v.kernel_w = static_cast<uint32_t>(s.kernel_w);
    v.channel_blocks = static_cast<uint32_t>(x.nb);
    v.in_rows = static_cast<uint32_t>(x.hi - x.lo + 1);
    v.in_width = static_cast<uint32_t>(s.in_width);
    v.out_rows = static_cast<uint32_t>(x.e1 - x.e0);
    v.out_width = static_cast<uint32_t>(out_w);
    v.a_base = (i % t.act_slots) * a_half;
    v.o_base = (i % t.out_slots) * o_half;
    v.y_off = x.e0 * s.stride - s.padding - x.lo;
    v.x_off = -s.padding;
    if (layer.kind == LayerKind::kAdd) {
      v.a_shift = static_cast<uint32_t>(shifts.a_shift);
      v.b_shift = static_cast<uint32_t>(shifts.b_shift);
      v.out_shift = static_cast<uint32_t>(shifts.out_shift);
      v.b_base = v.a_base + static_cast<uint32_t>(x.nb) * v.in_rows * v.in_width;  // load(i)
    }
    if (layer.kind == LayerKind::kAvgPool) v.recip = AvgReciprocal(v.kernel_h * v.kernel_w);
    vec_job[i] = jobs.Compute(isa::EncodeVector(v));
  };

  load(0);
  for (int i = 0; i < tiles; ++i) {
    if (i >= 1 && t.out_slots == 1) store(i - 1);
    vector(i);
    if (i >= 1 && t.out_slots == 2) store(i - 1);
    if (i + 1 < tiles) load(i + 1);
  }
  store(tiles - 1);
  return jobs.Finish(dma_jobs, compute_jobs);
}

}  // namespace sasim::compiler
