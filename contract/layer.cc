#include "contract/layer.h"

namespace sasim {

std::string_view LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv2d:
      return "conv2d";
    case LayerKind::kLinear:
      return "linear";
    case LayerKind::kAdd:
      return "add";
    case LayerKind::kMaxPool:
      return "maxpool";
    case LayerKind::kAvgPool:
      return "avgpool";
    case LayerKind::kRelu:
      return "relu";
  }
  return "?";
}

std::vector<int> Layer::weight_shape() const {
  if (!has_weights()) return {};
  if (kind == LayerKind::kLinear) {
    return {shape.out_channels, static_cast<int>(shape.reduction())};
  }
  return {shape.out_channels, shape.in_channels, shape.kernel_h, shape.kernel_w};
}

}  // namespace sasim
