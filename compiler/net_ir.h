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
  std::string type;  // conv2d, linear, relu, maxpool, avgpool, adaptive_avgpool, add, flatten
  int line = 0;      // where it is in the net file
  // Names of the entries this one reads ("input": the network input). Empty: the previous
  // entry (the network input for the first).
  std::vector<std::string> inputs;
  int inputs_line = 0;
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
  // maxpool, avgpool
  int pool_kernel = 2;
  std::optional<int> pool_stride;  // default: the kernel
  int pool_padding = 0;
  // adaptive_avgpool
  int output_size = 1;
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
  std::string reference_dir;  // resolved path of PyTorch's reference outputs, or empty
  int reference_line = 0;
  std::vector<LayerSpec> layers;
};

// The name that stands for the network input in `inputs`.
inline constexpr const char* kInputName = "input";

// Graph building, shape inference and fusion. The entries form a DAG (each names its inputs);
// it is ordered topologically (listing order where possible) and every entry must feed the
// last one. A relu joins the layer before it (and a 2x2/2 maxpool joins a conv) when that
// layer's output has no other reader; anything else becomes a layer of its own (contract/
// layer.h). Mistakes are InputErrors with file:line and key: an unknown input, a cycle,
// shapes that do not join, an operation the hardware cannot run.
std::vector<Layer> Fuse(const NetSpec& net);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_NET_IR_H_
