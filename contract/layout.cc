#include "contract/layout.h"

#include <stdexcept>

namespace sasim {

std::vector<uint8_t> PackC16(const std::vector<uint8_t>& chw, int channels, int height,
                             int width) {
  if (chw.size() != static_cast<size_t>(channels) * height * width) {
    throw std::invalid_argument("PackC16: tensor size does not match its shape");
  }
  std::vector<uint8_t> out(C16Bytes(channels, height, width), 128);
  for (int c = 0; c < channels; ++c) {
    for (int p = 0; p < height * width; ++p) {
      out[(static_cast<size_t>(c / 16) * height * width + p) * 16 + c % 16] =
          chw[static_cast<size_t>(c) * height * width + p];
    }
  }
  return out;
}

std::vector<uint8_t> UnpackC16(const std::vector<uint8_t>& c16, int channels, int height,
                               int width) {
  if (c16.size() < C16Bytes(channels, height, width)) {
    throw std::invalid_argument("UnpackC16: buffer smaller than the tensor");
  }
  std::vector<uint8_t> out(static_cast<size_t>(channels) * height * width);
  for (int c = 0; c < channels; ++c) {
    for (int p = 0; p < height * width; ++p) {
      out[static_cast<size_t>(c) * height * width + p] =
          c16[(static_cast<size_t>(c / 16) * height * width + p) * 16 + c % 16];
    }
  }
  return out;
}

}  // namespace sasim
