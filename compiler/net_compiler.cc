#include "compiler/net_compiler.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim::compiler {
namespace {

constexpr uint32_t kCmdAddr = 0x1000;
// The controller may fetch a FIFO and a fetch's worth of commands past END (contract/isa.h).
constexpr uint32_t kFetchSlackBytes =
    (isa::kFifoCommands + isa::kFetchCommands) * isa::kCommandBytes;

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint64_t C16Size(const TensorShape& t) {
  return static_cast<uint64_t>(ChannelBlocks(t.channels)) * t.height * t.width * 16;
}


// First-fit placement of tensors with lifetimes: a tensor is allocated when its layer runs and
// freed after its last reader.
class TensorArena {
 public:
  explicit TensorArena(uint64_t base) : base_(base), end_(base) {}
  // Frees every tensor whose last reader ran before `step`.
  void Release(int step) {
    live_.erase(std::remove_if(live_.begin(), live_.end(),
                               [&](const Block& b) { return b.last_step < step; }),
                live_.end());
  }
  uint64_t Place(uint64_t bytes, int last_step) {
    bytes = AlignUp(std::max<uint64_t>(bytes, 16), 4096);
    std::sort(live_.begin(), live_.end(),
              [](const Block& a, const Block& b) { return a.addr < b.addr; });
    uint64_t at = base_;
    for (const Block& b : live_) {
      if (at + bytes <= b.addr) break;
      at = std::max(at, b.addr + b.bytes);
    }
    live_.push_back({at, bytes, last_step});
    end_ = std::max(end_, at + bytes);
    return at;
  }
  uint64_t end() const { return end_; }

 private:
  struct Block {
    uint64_t addr, bytes;
    int last_step;
  };
  uint64_t base_, end_;
  std::vector<Block> live_;
};

// How the network input is stored: flattened (C*H*W x 1 x 1, no padding lanes) when only linear
// layers read it, else as given.
TensorShape StoredInput(const std::vector<Layer>& layers) {
  TensorShape shape;
  bool found = false, only_linear = true;
  for (const Layer& l : layers) {
    for (size_t k = 0; k < l.inputs.size(); ++k) {
      if (l.inputs[k] != kNetworkInput) continue;
      if (!found) shape = l.in_shape();
      found = true;
      only_linear = only_linear && l.kind == LayerKind::kLinear;
    }
  }
  if (!found) throw CompileError("no layer reads the network input");
  if (only_linear && (shape.height != 1 || shape.width != 1)) {
    return {static_cast<int>(shape.elements()), 1, 1};
  }
  return shape;
}

}  // namespace

CompiledNet PlanNet(const std::vector<Layer>& layers, const HwConfig& hw,
                    const CompileOptions& options) {
  if (layers.empty()) throw CompileError("a network needs at least one layer");
  if (options.images < 1 || options.images > kMaxBatch) {
    throw CompileError(fmt::format("batch of {} images: 1..{}", options.images, kMaxBatch));
  }
  const int images = options.images;
  CompiledNet net;
  Program& p = net.program;
  p.batch = images;
  p.input = StoredInput(layers);
  const int n = static_cast<int>(layers.size());
  std::vector<int> last_reader(n, -1);
  int input_last_reader = -1;
  for (int i = 0; i < n; ++i) {
    const Layer& layer = layers[i];
    const size_t arity = layer.kind == LayerKind::kAdd ? 2 : 1;
    if (layer.inputs.size() != arity) {
      throw CompileError(fmt::format("layer '{}': reads {} inputs, a {} reads {}", layer.name,
                                     layer.inputs.size(), LayerKindName(layer.kind), arity));
    }
    for (int from : layer.inputs) {
      if (from < kNetworkInput || from >= i) {
        throw CompileError(fmt::format("layer '{}': reads layer {}, which does not come before "
                                       "it", layer.name, from));
      }
      const TensorShape in = layer.in_shape();
      const TensorShape got = from == kNetworkInput ? layers.front().in_shape()
                                                    : layers[from].out_shape();
      if (from == kNetworkInput ? in.elements() != p.input.elements() : in != got) {
        throw CompileError(fmt::format(
            "layer '{}': input {}x{}x{} does not match the output {}x{}x{} of '{}'", layer.name,
            in.channels, in.height, in.width, got.channels, got.height, got.width,
            from == kNetworkInput ? std::string("input") : layers[from].name));
      }
      (from == kNetworkInput ? input_last_reader : last_reader[from]) = i;
    }
    LayerPlan plan;
    plan.stored_input =
        layer.inputs[0] == kNetworkInput ? p.input : layers[layer.inputs[0]].out_shape();
    plan.view = ArrayView(layer, plan.stored_input);
    plan.tiling = ChooseTiling(plan.view, hw, images, images > 1);
    uint64_t estimate = plan.tiling.estimated_cycles * images;
    if (const auto batched = BatchedLinearView(layer, plan.stored_input, images)) {
      // One GEMM over the batch, unless its reduction needs partial sums (run per image then).
      // A view the buffers cannot hold at all is run per image as well.
      std::optional<Tiling> tiling;
      try {
        tiling = ChooseTiling(*batched, hw, 1, true);
      } catch (const CompileError&) {
      }
      if (tiling && tiling->chunks == 1 && tiling->fold_rows == 0) {
        plan.view = *batched;
        plan.tiling = *tiling;
        plan.place.batched_gemm = true;
        estimate = tiling->estimated_cycles;
      }
    }
    net.plans.push_back(std::move(plan));
    ProgramLayer pl;
    pl.name = layer.name;
    pl.output = layer.out_shape();
    pl.estimated_cycles = estimate;
    p.layers.push_back(std::move(pl));
  }
  for (int i = 0; i < n; ++i) {
    if (options.keep_outputs || i == n - 1) last_reader[i] = n;
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
      if (net.plans[i].view.has_weights()) {
        at = AlignUp(at + WeightLayoutOf(net.plans[i].view, hw.array_cols).bytes(), 4096);
      }
    }
    TensorArena arena(at);
    const uint64_t input_addr = arena.Place(C16Size(p.input) * images, input_last_reader);
    p.input_addr = static_cast<uint32_t>(std::min<uint64_t>(input_addr, UINT32_MAX));
    for (int i = 0; i < n; ++i) {
      arena.Release(i);
      const TensorShape scratch = ScratchShape(net.plans[i].view, net.plans[i].tiling);
      if (scratch.elements() > 0) {
        // Lives while layer i runs only.
        const uint64_t at_scratch = arena.Place(C16Size(scratch) * images, i);
        net.plans[i].place.scratch_addr =
            static_cast<uint32_t>(std::min<uint64_t>(at_scratch, UINT32_MAX));
      }
      const uint64_t bytes = C16Size(p.layers[i].output) * images;
      const uint64_t addr = arena.Place(bytes, last_reader[i]);
      if (addr + bytes > (uint64_t{1} << 32)) break;  // reported below
      DramPlacement& place = net.plans[i].place;
      place.output_addr = static_cast<uint32_t>(addr);
      place.output_image_bytes = static_cast<uint32_t>(C16Size(p.layers[i].output));
      place.scratch_image_bytes = static_cast<uint32_t>(C16Size(scratch));
      place.images = place.batched_gemm ? 1 : images;
      p.layers[i].output_addr = place.output_addr;
    }
    for (int i = 0; i < n; ++i) {
      DramPlacement& place = net.plans[i].place;
      const auto addr_of = [&](int from) {
        return from == kNetworkInput ? p.input_addr : p.layers[from].output_addr;
      };
      const auto image_bytes_of = [&](int from) {
        return static_cast<uint32_t>(
            C16Size(from == kNetworkInput ? p.input : p.layers[from].output));
      };
      place.input_addr = addr_of(layers[i].inputs[0]);
      place.input_image_bytes = image_bytes_of(layers[i].inputs[0]);
      if (layers[i].inputs.size() > 1) {
        place.input_b_addr = addr_of(layers[i].inputs[1]);
        place.input_b_image_bytes = image_bytes_of(layers[i].inputs[1]);
      }
    }
    at = AlignUp(arena.end(), 4096);
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
      net.plans[i].stats = EmitCommands(net.plans[i].view, net.plans[i].tiling, hw,
                                        net.plans[i].place, &p.commands, &dma_jobs,
                                        &compute_jobs);
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
    if (!layers[i].has_weights()) continue;
    const LayerPlan& plan = net.plans[i];
    const LayerWeights array_weights =
        plan.place.batched_gemm
            ? BatchedLinearWeights(layers[i], plan.stored_input, plan.view, weights[i])
            : ArrayWeights(layers[i], plan.stored_input, weights[i]);
    net.program.segments.push_back(
        {plan.place.weight_addr, LowerWeights(plan.view, array_weights, hw.array_cols)});
  }
  return net;
}

CompiledNet CompileLayer(const Layer& layer, const LayerWeights& weights, const HwConfig& hw) {
  Layer single = layer;
  single.inputs = {kNetworkInput};
  return CompileNet({single}, {weights}, hw, CompileOptions{false});
}

}  // namespace sasim::compiler
