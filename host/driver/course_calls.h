// Course-style driver calls, as in the course's accelerator labs (qconv2d_relu,
// qconv2d_relu_maxpool, qlinear_relu): compile one layer for `hw`, run it through the runtime on
// any HAL, return output + counters. The layer above both the compiler and the runtime.
#ifndef SASIM_HOST_DRIVER_COURSE_CALLS_H_
#define SASIM_HOST_DRIVER_COURSE_CALLS_H_

#include <cstdint>
#include <vector>

#include "contract/hw_config.h"
#include "contract/layer.h"
#include "host/runtime/runtime.h"

namespace sasim {

// Course-style driver calls (compile for `hw`, run, return output + counters).
LayerRun QConv2d(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, const RequantParams& requant, bool pool);
LayerRun QConv2dRelu(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QConv2dReluMaxpool(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                            const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                            const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QLinear(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QLinearRelu(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding);

}  // namespace sasim

#endif  // SASIM_HOST_DRIVER_COURSE_CALLS_H_
