#include "compiler/net_ir.h"

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim::compiler {
namespace {

[[noreturn]] void Fail(const NetSpec& net, int line, const std::string& key,
                       const std::string& why) {
  throw InputError(fmt::format("{}:{}: key '{}': {}", net.path, line, key, why));
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
  std::vector<Layer> out;
  int c = net.input_channels, h = net.input_height, w = net.input_width;
  int exp = net.input_exp;
  bool flat = false;  // after flatten: the next linear sees C x H x W
  std::string prev;   // type of the previous layer
  for (const LayerSpec& l : net.layers) {
    const std::string before = prev;
    prev = l.type;
    if (l.type == "conv2d" || l.type == "linear") {
      Layer f;
      f.name = l.name;
      f.kind = l.type == "conv2d" ? LayerKind::kConv2d : LayerKind::kLinear;
      f.ops = l.type;
      f.inputs = {out.empty() ? kNetworkInput : static_cast<int>(out.size()) - 1};
      f.line = l.line;
      if (l.type == "conv2d") {
        if (flat) Fail(net, l.line, "type", "conv2d after flatten");
        if (l.out_channels < 1) Fail(net, l.line, "out_channels", "must be at least 1");
        if (l.out_channels > limits::kMaxChannels) {
          Fail(net, l.line, "out_channels",
               fmt::format("{} is outside 1..{}", l.out_channels, limits::kMaxChannels));
        }
        if (l.kernel < 1 || l.kernel > limits::kMaxKernel) {
          Fail(net, l.line, "kernel",
               fmt::format("{} is outside 1..{}", l.kernel, limits::kMaxKernel));
        }
        if (l.stride < 1 || l.stride > limits::kMaxStride) {
          Fail(net, l.line, "stride",
               fmt::format("{} is outside 1..{}", l.stride, limits::kMaxStride));
        }
        if (l.padding < 0 || l.padding >= l.kernel) {
          Fail(net, l.line, "padding",
               fmt::format("{} must be 0..{} (smaller than the kernel)", l.padding, l.kernel - 1));
        }
        f.shape = ConvShape{c, h, w, l.out_channels, l.kernel, l.kernel, l.stride, l.padding};
        if (f.shape.out_height() < 1 || f.shape.out_width() < 1) {
          Fail(net, l.line, "kernel",
               fmt::format("a {}x{} kernel does not fit the {}x{} input (padding {})", l.kernel,
                           l.kernel, h, w, l.padding));
        }
      } else {
        if (!flat && (h != 1 || w != 1)) {
          Fail(net, l.line, "type",
               fmt::format("linear on a {}x{}x{} tensor: add a flatten layer before it", c, h,
                           w));
        }
        if (l.out_features < 1 || l.out_features > limits::kMaxChannels) {
          Fail(net, l.line, "out_features",
               fmt::format("{} is outside 1..{}", l.out_features, limits::kMaxChannels));
        }
        // A linear layer on a flattened C x H x W tensor is a conv with an H x W kernel: its
        // [out, C*H*W] weights in PyTorch's (C, H, W) flatten order are already OIHW.
        f.shape = ConvShape{c, h, w, l.out_features, h, w, 1, 0};
        flat = false;
      }
      f.in_exp = exp;
      f.requant.rounding = l.rounding.value_or(net.rounding);
      int shift = 0;
      if (l.shift) {
        shift = *l.shift;
        if (l.weight_exp || l.output_exp) {
          Fail(net, l.line, "shift", "give either shift or weight_exp and output_exp, not both");
        }
        f.out_exp = exp - shift;  // unknown weight exponent: track the shift only
      } else if (l.weight_exp && l.output_exp) {
        shift = exp + *l.weight_exp - *l.output_exp;
        f.out_exp = *l.output_exp;
      } else {
        Fail(net, l.line, "shift", "missing: give shift, or weight_exp and output_exp");
      }
      if (shift < 0 || shift > kMaxShift) {
        Fail(net, l.line, l.shift ? "shift" : "output_exp",
             fmt::format("shift {} is outside 0..31", shift));
      }
      f.requant.shift = shift;
      exp = f.out_exp.value_or(exp);
      const TensorShape produced = f.out_shape();
      if (produced.elements() > limits::kMaxTensorElements) {
        Fail(net, l.line, "type",
             fmt::format("output {}x{}x{} has {} elements, more than the {} a tensor may have",
                         produced.channels, produced.height, produced.width, produced.elements(),
                         limits::kMaxTensorElements));
      }
      c = produced.channels;
      h = produced.height;
      w = produced.width;
      out.push_back(f);
    } else if (l.type == "relu") {
      if (before != "conv2d" && before != "linear") {
        Fail(net, l.line, "type", "relu must directly follow a conv2d or linear layer (the "
                                  "hardware applies it in the requantizer)");
      }
      out.back().requant.relu = true;
      out.back().ops += "+relu";
    } else if (l.type == "maxpool") {
      if (l.pool_kernel != 2 || l.pool_stride != 2) {
        Fail(net, l.line, "kernel", "the hardware pools 2x2 with stride 2 only");
      }
      const bool follows = !out.empty() && out.back().kind == LayerKind::kConv2d &&
                           (before == "conv2d" || before == "relu");
      if (!follows) {
        Fail(net, l.line, "type", "maxpool must follow a conv2d (or conv2d + relu): the "
                                  "hardware pools on the conv's drain path");
      }
      if (h % 2 != 0 || w % 2 != 0) {
        Fail(net, l.line, "type", fmt::format("2x2 max-pool needs an even input, got {}x{}", h,
                                              w));
      }
      out.back().pool = PoolParams{true, 2, 2};
      out.back().ops += "+maxpool";
      const TensorShape pooled = out.back().out_shape();
      h = pooled.height;
      w = pooled.width;
    } else if (l.type == "flatten") {
      if (flat) Fail(net, l.line, "type", "flatten twice");
      flat = true;
    } else {
      Fail(net, l.line, "type",
           fmt::format("unknown layer type '{}' (known: conv2d, linear, relu, maxpool, flatten)",
                       l.type));
    }
  }
  if (out.empty()) Fail(net, net.input_line, "layers", "no conv2d or linear layer");
  if (flat) Fail(net, net.layers.back().line, "type", "the net ends with flatten");
  return out;
}

}  // namespace sasim::compiler
