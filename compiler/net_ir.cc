#include "compiler/net_ir.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim::compiler {
namespace {

[[noreturn]] void Fail(const NetSpec& net, int line, const std::string& key,
                       const std::string& why) {
  throw InputError(fmt::format("{}:{}: key '{}': {}", net.path, line, key, why));
}

std::string ShapeText(const TensorShape& t) {
  return fmt::format("{}x{}x{}", t.channels, t.height, t.width);
}

// A tensor as the graph sees it: which fused layer wrote it and in what state.
struct Value {
  int layer = kNetworkInput;  // fused layer index, or the network input
  TensorShape shape;
  int exp = 0;
  bool flat = false;          // after flatten: only a linear may read it
  int readers = 0;            // entries that read this value
};

// The entries' inputs as indices into net.layers (-1: the network input), in listing order.
std::vector<std::vector<int>> ResolveInputs(const NetSpec& net) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < net.layers.size(); ++i) index[net.layers[i].name] = static_cast<int>(i);
  std::vector<std::vector<int>> inputs(net.layers.size());
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    if (l.inputs.empty()) {
      inputs[i] = {static_cast<int>(i) - 1};
      continue;
    }
    for (const std::string& name : l.inputs) {
      if (name == kInputName) {
        inputs[i].push_back(-1);
        continue;
      }
      const auto it = index.find(name);
      if (it == index.end()) {
        Fail(net, l.inputs_line, "inputs",
             fmt::format("layer '{}' reads '{}', which is no layer of this net (inputs name "
                         "other layers, or '{}' for the network input)",
                         l.name, name, kInputName));
      }
      if (it->second == static_cast<int>(i)) {
        Fail(net, l.inputs_line, "inputs", fmt::format("layer '{}' reads itself", l.name));
      }
      inputs[i].push_back(it->second);
    }
  }
  return inputs;
}

// Kahn's algorithm, taking the earliest listed ready entry each time: listing order when it is
// already topological. A cycle is reported with its members.
std::vector<int> TopologicalOrder(const NetSpec& net, const std::vector<std::vector<int>>& inputs) {
  const int n = static_cast<int>(net.layers.size());
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> readers(n);
  for (int i = 0; i < n; ++i) {
    for (int from : inputs[i]) {
      if (from < 0) continue;
      ++pending[i];
      readers[from].push_back(i);
    }
  }
  std::set<int> ready;
  for (int i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.insert(i);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (int r : readers[i]) {
      if (--pending[r] == 0) ready.insert(r);
    }
  }
  if (static_cast<int>(order.size()) != n) {
    // The unordered entries: the cycle, and what hangs below it; drop the latter (entries none
    // of the remaining ones read) until only the cycle is left.
    std::vector<bool> left(n);
    for (int i = 0; i < n; ++i) left[i] = pending[i] > 0;
    for (bool changed = true; changed;) {
      changed = false;
      for (int i = 0; i < n; ++i) {
        if (!left[i]) continue;
        const bool read = std::any_of(readers[i].begin(), readers[i].end(),
                                      [&](int r) { return left[r]; });
        if (!read) left[i] = false, changed = true;
      }
    }
    std::string members;
    int first = -1;
    for (int i = 0; i < n; ++i) {
      if (!left[i]) continue;
      if (first < 0) first = i;
      members += (members.empty() ? "" : ", ") + net.layers[i].name;
    }
    const LayerSpec& at = net.layers[first];
    Fail(net, at.inputs_line ? at.inputs_line : at.line, "inputs",
         fmt::format("the layers {} read each other in a cycle", members));
  }
  return order;
}

void CheckRange(const NetSpec& net, const LayerSpec& l, const char* key, int64_t v, int64_t lo,
                int64_t hi) {
  if (v < lo || v > hi) Fail(net, l.line, key, fmt::format("{} is outside {}..{}", v, lo, hi));
}

// Shape, exponent and rounding of a conv2d or linear entry reading `in`.
Layer MakeMacLayer(const NetSpec& net, const LayerSpec& l, const Value& in) {
  Layer f;
  f.name = l.name;
  f.kind = l.type == "conv2d" ? LayerKind::kConv2d : LayerKind::kLinear;
  f.ops = l.type;
  f.line = l.line;
  const TensorShape& t = in.shape;
  if (l.type == "conv2d") {
    if (in.flat) Fail(net, l.line, "type", "conv2d after flatten");
    CheckRange(net, l, "out_channels", l.out_channels, 1, limits::kMaxChannels);
    CheckRange(net, l, "kernel", l.kernel, 1, limits::kMaxKernel);
    CheckRange(net, l, "stride", l.stride, 1, limits::kMaxStride);
    if (l.padding < 0 || l.padding >= l.kernel) {
      Fail(net, l.line, "padding",
           fmt::format("{} must be 0..{} (smaller than the kernel)", l.padding, l.kernel - 1));
    }
    f.shape = ConvShape{t.channels, t.height, t.width, l.out_channels, l.kernel, l.kernel,
                        l.stride, l.padding};
    if (f.shape.out_height() < 1 || f.shape.out_width() < 1) {
      Fail(net, l.line, "kernel",
           fmt::format("a {}x{} kernel does not fit the {}x{} input (padding {})", l.kernel,
                       l.kernel, t.height, t.width, l.padding));
    }
  } else {
    if (!in.flat && (t.height != 1 || t.width != 1)) {
      Fail(net, l.line, "type",
           fmt::format("linear on a {} tensor: add a flatten layer before it", ShapeText(t)));
    }
    CheckRange(net, l, "out_features", l.out_features, 1, limits::kMaxChannels);
    // A linear layer on a flattened C x H x W tensor: a dot product over the whole input, in
    // PyTorch's (C, H, W) flatten order, so its [out, C*H*W] weights read as OIHW. The compiler
    // runs it as a GEMM over the stored words, whatever H and W are.
    f.shape = ConvShape{t.channels, t.height, t.width, l.out_features, t.height, t.width, 1, 0};
  }
  f.in_exp = in.exp;
  f.requant.rounding = l.rounding.value_or(net.rounding);
  if (f.requant.rounding == Rounding::kHalfAway) {
    Fail(net, l.line, "rounding",
         "half_away is the add's rounding; conv2d and linear round floor or nearest_even");
  }
  int shift = 0;
  if (l.shift) {
    shift = *l.shift;
    if (l.weight_exp || l.output_exp) {
      Fail(net, l.line, "shift", "give either shift or weight_exp and output_exp, not both");
    }
    f.out_exp = in.exp - shift;  // unknown weight exponent: track the shift only
  } else if (l.weight_exp && l.output_exp) {
    shift = in.exp + *l.weight_exp - *l.output_exp;
    f.out_exp = *l.output_exp;
  } else {
    Fail(net, l.line, "shift", "missing: give shift, or weight_exp and output_exp");
  }
  if (shift < 0 || shift > kMaxShift) {
    Fail(net, l.line, l.shift ? "shift" : "output_exp",
         fmt::format("shift {} is outside 0..31", shift));
  }
  f.requant.shift = shift;
  return f;
}

// A vector-unit layer (pool, relu) over `in` with the given window.
Layer MakeWindowLayer(const NetSpec& net, const LayerSpec& l, const Value& in, LayerKind kind,
                      int kernel_h, int kernel_w, int stride, int padding) {
  if (in.flat) Fail(net, l.line, "type", fmt::format("{} after flatten", l.type));
  const TensorShape& t = in.shape;
  Layer f;
  f.name = l.name;
  f.kind = kind;
  f.ops = l.type;
  f.line = l.line;
  f.shape = ConvShape{t.channels, t.height, t.width, t.channels, kernel_h, kernel_w, stride,
                      padding};
  if (kernel_h > t.height + 2 * padding || kernel_w > t.width + 2 * padding) {
    Fail(net, l.line, "kernel",
         fmt::format("a {}x{} window does not fit the {}x{} input (padding {})", kernel_h,
                     kernel_w, t.height, t.width, padding));
  }
  f.in_exp = in.exp;
  f.out_exp = in.exp;
  return f;
}

}  // namespace

std::vector<Layer> Fuse(const NetSpec& net) {
  if (net.input_channels < 1 || net.input_height < 1 || net.input_width < 1) {
    Fail(net, net.input_line, "input.shape", "needs three positive sizes [C, H, W]");
  }
  const TensorShape input{net.input_channels, net.input_height, net.input_width};
  if (input.channels > limits::kMaxChannels || input.height > limits::kMaxSpatial ||
      input.width > limits::kMaxSpatial || input.elements() > limits::kMaxTensorElements) {
    Fail(net, net.input_line, "input.shape",
         fmt::format("{}x{}x{} is too large (at most {} channels, {} rows or columns, {} "
                     "elements)",
                     input.channels, input.height, input.width, limits::kMaxChannels,
                     limits::kMaxSpatial, limits::kMaxTensorElements));
  }
  if (net.layers.empty()) Fail(net, net.input_line, "layers", "no layers");
  const std::vector<std::vector<int>> inputs = ResolveInputs(net);
  const std::vector<int> order = TopologicalOrder(net, inputs);
  const int n = static_cast<int>(net.layers.size());

  Value network_input;
  network_input.shape = input;
  network_input.exp = net.input_exp;
  std::vector<Value> values(n);  // each entry's output
  for (int i = 0; i < n; ++i) {
    for (int from : inputs[i]) ++(from < 0 ? network_input.readers : values[from].readers);
  }
  // One network output: the last entry; every other entry must be read by someone.
  for (int i = 0; i + 1 < n; ++i) {
    if (values[i].readers == 0 && i != order.back()) {
      Fail(net, net.layers[i].line, "name",
           fmt::format("the output of '{}' is never read: a net has one output, its last layer",
                       net.layers[i].name));
    }
  }
  if (order.back() != n - 1) {
    Fail(net, net.layers[n - 1].line, "inputs",
         fmt::format("the last layer '{}' must be the network's output, but '{}' reads it",
                     net.layers[n - 1].name, net.layers[order.back()].name));
  }

  std::vector<Layer> out;
  // Whether entry `from`'s value is what fused layer out.back()... of its producer ends with,
  // and nobody else reads it: then an element-wise op may join that layer.
  auto joinable = [&](int from) {
    if (from < 0) return false;
    const Value& v = values[from];
    return v.layer >= 0 && v.readers == 1 && !v.flat &&
           out[v.layer].out_name == net.layers[from].name;
  };
  for (int i : order) {
    const LayerSpec& l = net.layers[i];
    std::vector<const Value*> ins;
    for (int from : inputs[i]) ins.push_back(from < 0 ? &network_input : &values[from]);
    const size_t arity = l.type == "add" ? 2 : 1;
    if (ins.size() != arity) {
      Fail(net, l.inputs_line ? l.inputs_line : l.line, "inputs",
           fmt::format("a {} layer reads {} input(s), '{}' names {}", l.type, arity, l.name,
                       ins.size()));
    }
    const Value& in = *ins[0];
    Value& v = values[i];
    v.shape = in.shape;
    v.exp = in.exp;
    v.layer = in.layer;
    auto push = [&](Layer f) {
      f.out_name = l.name;
      f.inputs.clear();
      for (const Value* x : ins) f.inputs.push_back(x->layer);
      const TensorShape produced = f.out_shape();
      if (produced.elements() > limits::kMaxTensorElements) {
        Fail(net, l.line, "type",
             fmt::format("output {} has {} elements, more than the {} a tensor may have",
                         ShapeText(produced), produced.elements(),
                         limits::kMaxTensorElements));
      }
      v.shape = produced;
      v.exp = f.out_exp.value_or(in.exp);
      v.layer = static_cast<int>(out.size());
      v.flat = false;
      out.push_back(std::move(f));
    };
    const int from = inputs[i][0];
    if (l.type == "conv2d" || l.type == "linear") {
      push(MakeMacLayer(net, l, in));
    } else if (l.type == "relu") {
      if (in.flat) Fail(net, l.line, "type", "relu after flatten: put it before the flatten");
      Layer* producer = joinable(from) ? &out[in.layer] : nullptr;
      if (producer && !producer->requant.relu) {
        // ReLU commutes with max-pool and acts on the code after a requantizer, an add or an
        // average: the producer applies it on its way out.
        producer->requant.relu = true;
        producer->ops += "+relu";
        producer->out_name = l.name;
      } else {
        Layer f = MakeWindowLayer(net, l, in, LayerKind::kRelu, 1, 1, 1, 0);
        f.requant.relu = true;
        push(std::move(f));
      }
    } else if (l.type == "maxpool") {
      const int k = l.pool_kernel, s = l.pool_stride.value_or(k), p = l.pool_padding;
      CheckRange(net, l, "kernel", k, 1, 255);
      CheckRange(net, l, "stride", s, 1, 255);
      if (p < 0 || 2 * p > k) {
        Fail(net, l.line, "padding", fmt::format("{} must be 0..{} (at most half the kernel)", p,
                                                 k / 2));
      }
      Layer* producer = joinable(from) ? &out[in.layer] : nullptr;
      const bool fuse = producer && producer->kind == LayerKind::kConv2d &&
                        !producer->pool.enabled && k == 2 && s == 2 && p == 0 &&
                        in.shape.height % 2 == 0 && in.shape.width % 2 == 0;
      if (fuse) {
        // The array's drain path pools 2x2 windows of a conv's output.
        producer->pool = PoolParams{true, 2, 2};
        producer->ops += "+maxpool";
        producer->out_name = l.name;
        v.shape = producer->out_shape();
      } else {
        push(MakeWindowLayer(net, l, in, LayerKind::kMaxPool, k, k, s, p));
      }
    } else if (l.type == "avgpool") {
      const int k = l.pool_kernel, s = l.pool_stride.value_or(k);
      CheckRange(net, l, "kernel", k, 1, 255);
      CheckRange(net, l, "stride", s, 1, 255);
      Layer f = MakeWindowLayer(net, l, in, LayerKind::kAvgPool, k, k, s, 0);
      f.requant.rounding = Rounding::kNearestEven;  // the mean of the codes, half to even
      push(std::move(f));
    } else if (l.type == "adaptive_avgpool") {
      const int o = l.output_size, h = in.shape.height, w = in.shape.width;
      CheckRange(net, l, "output_size", o, 1, 255);
      if (h % o != 0 || w % o != 0) {
        Fail(net, l.line, "output_size",
             fmt::format("{}x{} does not divide into {}x{} equal windows", h, w, o, o));
      }
      if (o > 1 && h != w) {
        Fail(net, l.line, "output_size",
             fmt::format("a {}x{} input needs different strides across and down: only a "
                         "global (output_size 1) average of a non-square map runs", h, w));
      }
      if (h / o > 255 || w / o > 255) {
        Fail(net, l.line, "output_size",
             fmt::format("windows of {}x{} are larger than 255x255", h / o, w / o));
      }
      Layer f = MakeWindowLayer(net, l, in, LayerKind::kAvgPool, h / o, w / o,
                                o == 1 ? 1 : h / o, 0);
      f.requant.rounding = Rounding::kNearestEven;
      push(std::move(f));
    } else if (l.type == "add") {
      const Value& b = *ins[1];
      if (in.flat || b.flat) Fail(net, l.line, "type", "add after flatten");
      if (in.shape != b.shape) {
        Fail(net, l.inputs_line ? l.inputs_line : l.line, "inputs",
             fmt::format("add '{}': its inputs '{}' ({}) and '{}' ({}) differ in shape", l.name,
                         l.inputs.size() > 0 ? l.inputs[0] : "", ShapeText(in.shape),
                         l.inputs.size() > 1 ? l.inputs[1] : "", ShapeText(b.shape)));
      }
      Layer f = MakeWindowLayer(net, l, in, LayerKind::kAdd, 1, 1, 1, 0);
      f.requant.rounding = Rounding::kHalfAway;  // what PyTorch's quantized add does
      f.in_exp_b = b.exp;
      // Without an output scale, one bit coarser than the coarser input: the sum cannot clip.
      f.out_exp = l.output_exp.value_or(std::min(in.exp, b.exp) - 1);
      AddShifts shifts;
      if (!AddShiftsFor(f.in_exp, f.in_exp_b, *f.out_exp, &shifts)) {
        Fail(net, l.line, "output_exp",
             fmt::format("scales 2^-{} + 2^-{} -> 2^-{}: the operands would need shifts over "
                         "{} or the result one over {}",
                         f.in_exp, f.in_exp_b, *f.out_exp, kMaxAddAlign, kMaxShift));
      }
      push(std::move(f));
    } else if (l.type == "flatten") {
      if (in.flat) Fail(net, l.line, "type", "flatten twice");
      v.flat = true;
    } else {
      Fail(net, l.line, "type",
           fmt::format("unknown layer type '{}' (known: conv2d, linear, relu, maxpool, avgpool, "
                       "adaptive_avgpool, add, flatten)",
                       l.type));
    }
  }
  for (int r = 0; r < n; ++r) {
    for (int from : inputs[r]) {
      if (from >= 0 && values[from].flat && net.layers[r].type != "linear") {
        Fail(net, net.layers[r].line, "type",
             fmt::format("'{}' reads the flattened '{}': only a linear layer may",
                         net.layers[r].name, net.layers[from].name));
      }
    }
  }
  if (out.empty()) Fail(net, net.input_line, "layers", "no layer that computes anything");
  if (values[n - 1].flat) Fail(net, net.layers.back().line, "type", "the net ends with flatten");
  return out;
}

}  // namespace sasim::compiler
