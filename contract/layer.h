// Shapes and requantization parameters of the layers the accelerator runs.
#ifndef SASIM_CONTRACT_LAYER_H_
#define SASIM_CONTRACT_LAYER_H_

#include <cstdint>

#include "contract/quant.h"

namespace sasim {

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
};

// What happens to an int32 accumulator on its way out (design.md section 2).
struct RequantParams {
  bool relu = false;
  int shift = 0;  // 0..31
  Rounding rounding = Rounding::kFloor;
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_LAYER_H_
