#include "host/driver/course_calls.h"

#include "compiler/net_compiler.h"

namespace sasim {

LayerRun QConv2d(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, const RequantParams& requant, bool pool) {
  Layer layer;
  layer.name = "qconv2d";
  layer.shape = shape;
  layer.requant = requant;
  layer.pool.enabled = pool;
  return RunLayer(hal, compiler::CompileLayer(layer, {weights, bias}, hw).program, input);
}

LayerRun QConv2dRelu(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, shape, input, weights, bias, {true, shift, rounding}, false);
}

LayerRun QConv2dReluMaxpool(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                            const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                            const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, shape, input, weights, bias, {true, shift, rounding}, true);
}

LayerRun QLinear(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, ConvShape{in_features, 1, 1, out_features, 1, 1, 1, 0}, input, weights,
                 bias, {false, shift, rounding}, false);
}

LayerRun QLinearRelu(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, ConvShape{in_features, 1, 1, out_features, 1, 1, 1, 0}, input, weights,
                 bias, {true, shift, rounding}, false);
}

}  // namespace sasim
