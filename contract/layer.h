// The layer record: one fused hardware layer, declared once: a conv or linear with its
// requantization, ReLU and 2x2 pool (the array's COMPUTE), or an add, max/average pool or ReLU
// (the vector unit's VECTOR). The net loader's IR produces it, calibration adjusts its shift, the
// golden model, the compiler and the reports read it; later stages refer to layer i of the
// network instead of copying it. Weights are held once, beside it (LayerWeights).
#ifndef SASIM_CONTRACT_LAYER_H_
#define SASIM_CONTRACT_LAYER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contract/quant.h"

namespace sasim {

// What the hardware can run, in one table: the net loader, the compiler and the ISA encoder
// check against these (the ISA's field widths are where they come from).
namespace limits {
inline constexpr int kMaxKernel = 15;       // COMPUTE kernel_h/kernel_w: 4 bits
inline constexpr int kMaxStride = 15;       // COMPUTE stride: 4 bits
inline constexpr int kMaxChannels = 65535;  // COMPUTE channels: 16 bits
inline constexpr int kMaxSpatial = 65535;   // COMPUTE in_width / out_width: 16 bits
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;           // one activation tensor
inline constexpr int64_t kMaxNetMacs = int64_t{20} * 1000 * 1000 * 1000;  // a run's budget
inline constexpr int kMaxNetEntries = 4096;  // entries (layers as written) of one net file
}  // namespace limits

// A C x H x W activation tensor.
struct TensorShape {
  int channels = 1;
  int height = 1;
  int width = 1;
  int64_t elements() const { return int64_t{channels} * height * width; }
  bool operator==(const TensorShape& o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
  bool operator!=(const TensorShape& o) const { return !(*this == o); }
};

// A 2-D convolution over a CHW uint8 tensor with OIHW int8 weights (no groups, no dilation).
struct ConvShape {
  int in_channels = 1;
  int in_height = 1;
  int in_width = 1;
  int out_channels = 1;
  int kernel_h = 1;
  int kernel_w = 1;
  int stride = 1;
  int padding = 0;

  int out_height() const { return (in_height + 2 * padding - kernel_h) / stride + 1; }
  int out_width() const { return (in_width + 2 * padding - kernel_w) / stride + 1; }
  // Length of one output's dot product (the GEMM reduction dimension).
  int64_t reduction() const { return int64_t{in_channels} * kernel_h * kernel_w; }
  int64_t macs() const {
    return reduction() * out_channels * int64_t{out_height()} * out_width();
  }
  TensorShape input() const { return {in_channels, in_height, in_width}; }
};

// What happens to an int32 accumulator on its way out (docs/quantization.md).
struct RequantParams {
  bool relu = false;
  int shift = 0;  // 0..31
  Rounding rounding = Rounding::kFloor;
};

// Max-pool on the requantized uint8 outputs: k x k windows, stride s, size floored.
struct PoolParams {
  bool enabled = false;
  int kernel = 2;
  int stride = 2;
  TensorShape Apply(const TensorShape& in) const {
    if (!enabled) return in;
    return {in.channels, (in.height - kernel) / stride + 1, (in.width - kernel) / stride + 1};
  }
};

enum class LayerKind : uint8_t {
  kConv2d,   // conv2d (+relu) (+2x2 maxpool)
  kLinear,   // linear (+relu): a conv whose kernel covers the whole (flattened) input
  kAdd,      // element-wise add of two tensors (+relu): shape = the input, kernel 1
  kMaxPool,  // max-pool, shape = the window (kernel, stride, padding); (+relu)
  kAvgPool,  // average pool, shape = the window (no padding); (+relu)
  kRelu,     // ReLU on its own (where it cannot join its producer): shape kernel 1
};
std::string_view LayerKindName(LayerKind kind);

// Index of a layer's producer that stands for the network's input.
inline constexpr int kNetworkInput = -1;

// One hardware layer.
struct Layer {
  std::string name;  // the conv/linear layer's name in the net file
  LayerKind kind = LayerKind::kConv2d;
  std::string ops;                         // what was fused, e.g. "conv2d+relu+maxpool"
  int line = 0;                            // where it is in the net file (0: not from a file)
  std::vector<int> inputs{kNetworkInput};  // producers: layer indices or kNetworkInput
  ConvShape shape;                         // linear: a conv over the (flattened) C x H x W input
  RequantParams requant;
  PoolParams pool;
  int in_exp = 0;              // input scale exponent: s_x = 2^-in_exp
  int in_exp_b = 0;            // add: the second input's scale exponent
  std::optional<int> out_exp;  // output scale exponent, when known (always for an add)
  std::string out_name;        // the net file's entry whose output this is (the last fused)

  // Conv and linear run on the array and have weights; the others run on the vector unit.
  bool has_weights() const { return kind == LayerKind::kConv2d || kind == LayerKind::kLinear; }
  TensorShape in_shape() const { return shape.input(); }
  // The output tensor after the optional pool: the one place this is computed.
  TensorShape out_shape() const {
    return pool.Apply({shape.out_channels, shape.out_height(), shape.out_width()});
  }
  int64_t macs() const { return has_weights() ? shape.macs() : 0; }
  // Weight tensor shape as the user stores it: OIHW for conv, [out, in] for linear.
  std::vector<int> weight_shape() const;
  size_t weight_count() const {
    return has_weights() ? static_cast<size_t>(shape.reduction()) * shape.out_channels : 0;
  }
};

// A layer's parameters: int8 weights (OIHW, a linear's [out][in] is the same bytes) and int32
// biases, one per output channel.
struct LayerWeights {
  std::vector<int8_t> weights;
  std::vector<int32_t> bias;
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_LAYER_H_
