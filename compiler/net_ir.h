// Network IR: the net as the user wrote it (NetSpec, from configs/*.yaml) and the fused layers
// the hardware runs (Layer, contract/layer.h). Fuse() does shape inference and fusion; it is a pure
// function and reports mistakes as InputError naming the file, line and key.
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

// Shape inference and fusion: every conv2d/linear with its following relu and maxpool becomes
// one Layer (contract/layer.h); inputs are the previous layer (or the network input).
std::vector<Layer> Fuse(const NetSpec& net);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_NET_IR_H_
