// Network IR: the net as the user wrote it (NetSpec, from configs/*.yaml) and the fused layers
// the hardware runs (FusedLayer). Fuse() does shape inference and fusion; it is a pure function
// and reports mistakes as InputError naming the file, line and key.
#ifndef SASIM_COMPILER_NET_IR_H_
#define SASIM_COMPILER_NET_IR_H_

#include <optional>
#include <string>
#include <vector>

#include "contract/layer.h"

namespace sasim::compiler {

struct LayerSpec {
  std::string name;
  std::string type;  // conv2d, linear, relu, maxpool, flatten
  int line = 0;      // where it is in the net file
  // conv2d
  int out_channels = 0;
  int kernel = 0;
  int stride = 1;
  int padding = 0;
  // linear
  int out_features = 0;
  // conv2d / linear requantization: a shift, or weight and output scale exponents
  std::optional<int> shift;
  std::optional<int> weight_exp;
  std::optional<int> output_exp;
  std::optional<Rounding> rounding;
  // maxpool
  int pool_kernel = 2;
  int pool_stride = 2;
};

struct NetSpec {
  std::string name;
  std::string path;          // the net file, for messages
  int input_channels = 0, input_height = 0, input_width = 0;
  int input_line = 0;
  int input_exp = 0;         // s_x = 2^-input_exp
  Rounding rounding = Rounding::kFloor;
  bool synthetic = true;     // weights: synthetic (seeded) or from weights_dir
  uint32_t seed = 1;
  std::string weights_dir;   // resolved path when not synthetic
  int weights_line = 0;
  std::vector<LayerSpec> layers;
};

// One hardware layer: conv or linear with its fused ReLU and pool.
struct FusedLayer {
  std::string name;          // the conv/linear layer's name
  std::string type;          // "conv2d" or "linear"
  std::string ops;           // e.g. "conv2d+relu+maxpool"
  int line = 0;
  ConvShape shape;           // linear: a conv over the (flattened) input's C x H x W
  RequantParams requant;
  bool pool = false;
  int in_exp = 0;            // input scale exponent
  std::optional<int> out_exp;
  int out_channels() const { return shape.out_channels; }
  int out_height() const { return pool ? shape.out_height() / 2 : shape.out_height(); }
  int out_width() const { return pool ? shape.out_width() / 2 : shape.out_width(); }
  // Expected weight tensor shape as the user stores it: OIHW for conv, [out, in] for linear.
  std::vector<int> weight_shape() const;
};

std::vector<FusedLayer> Fuse(const NetSpec& net);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_NET_IR_H_
