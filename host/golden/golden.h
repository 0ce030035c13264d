// Golden model: untiled integer conv2d, linear, GEMM and max-pool in the arithmetic of
// docs/quantization.md. Every hardware result is checked against these functions.
//
// Layouts: activations CHW uint8 (zero point 128), conv weights OIHW int8, linear weights
// [out][in] int8, biases int32. Padding is the real value zero, i.e. the code 128.
#ifndef SASIM_HOST_GOLDEN_GOLDEN_H_
#define SASIM_HOST_GOLDEN_GOLDEN_H_

#include <cstdint>
#include <vector>

#include "contract/layer.h"

namespace sasim::golden {

// int32 accumulators (bias included, wrapping) of a conv, laid out [K][E][F]. Each output is
// one vectorized int16 dot product over the pixel's reduction (im2col).
std::vector<int32_t> Conv2dAcc(const ConvShape& shape, const std::vector<uint8_t>& input,
                               const std::vector<int8_t>& weights,
                               const std::vector<int32_t>& bias);
// The same accumulators, computed tap by tap over whole output planes (the plain loop; used for
// reductions of 2^17 taps or more, and tests hold Conv2dAcc equal to it).
std::vector<int32_t> Conv2dAccByTaps(const ConvShape& shape, const std::vector<uint8_t>& input,
                                     const std::vector<int8_t>& weights,
                                     const std::vector<int32_t>& bias);

// Conv followed by the requantizer, [K][E][F] uint8.
std::vector<uint8_t> Conv2d(const ConvShape& shape, const std::vector<uint8_t>& input,
                            const std::vector<int8_t>& weights, const std::vector<int32_t>& bias,
                            const RequantParams& requant);

// Linear layer accumulators, [out].
std::vector<int32_t> LinearAcc(int in_features, int out_features,
                               const std::vector<uint8_t>& input,
                               const std::vector<int8_t>& weights,
                               const std::vector<int32_t>& bias);

std::vector<uint8_t> Linear(int in_features, int out_features, const std::vector<uint8_t>& input,
                            const std::vector<int8_t>& weights, const std::vector<int32_t>& bias,
                            const RequantParams& requant);

// C[m][n] = bias[n] + sum_k (A[m][k] - 128) * B[k][n], int32 with wrap. A is [M][K] uint8,
// B is [K][N] int8.
std::vector<int32_t> GemmAcc(int m, int n, int k, const std::vector<uint8_t>& a,
                             const std::vector<int8_t>& b, const std::vector<int32_t>& bias);

// Max-pool with a square window and stride over CHW uint8; output size floors as in PyTorch.
std::vector<uint8_t> MaxPool2d(int channels, int height, int width, int window, int stride,
                               const std::vector<uint8_t>& input);

// Max-pool or average pool over the window `shape` describes (kernel, stride, padding; output
// size floored as in PyTorch). Max: padding taps never win. Average: the mean of the codes
// (AverageCodes, half to even); no padding.
std::vector<uint8_t> MaxPool(const ConvShape& shape, const std::vector<uint8_t>& input);
std::vector<uint8_t> AvgPool(const ConvShape& shape, const std::vector<uint8_t>& input);

// Element-wise add of two equal-sized tensors (AddRequantize), optional ReLU.
std::vector<uint8_t> Add(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                         const AddShifts& shifts, bool relu);

// The add shifts of an add layer; throws std::invalid_argument naming the layer when its
// exponents are out of the hardware's range.
AddShifts AddShiftsOf(const Layer& layer);

std::vector<uint8_t> RequantizeAll(const std::vector<int32_t>& acc, const RequantParams& requant);

// One layer of a network (contract/layer.h): conv (a linear is a conv over its whole input),
// requantizer, optional max-pool; or add, pool, ReLU. `inputs` are the layer's inputs in order
// (an add has two). `acc`, when given, receives a conv's int32 accumulators.
std::vector<uint8_t> Forward(const Layer& layer, const LayerWeights& params,
                             const std::vector<const std::vector<uint8_t>*>& inputs,
                             std::vector<int32_t>* acc = nullptr);
// A one-input layer.
std::vector<uint8_t> Forward(const Layer& layer, const LayerWeights& params,
                             const std::vector<uint8_t>& input,
                             std::vector<int32_t>* acc = nullptr);

// Every layer's output for a network input, following each layer's inputs.
std::vector<std::vector<uint8_t>> ForwardNet(const std::vector<Layer>& layers,
                                             const std::vector<LayerWeights>& params,
                                             const std::vector<uint8_t>& input);

}  // namespace sasim::golden

#endif  // SASIM_HOST_GOLDEN_GOLDEN_H_
