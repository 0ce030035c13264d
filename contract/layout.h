// DRAM tensor layout: channel blocks of 16 ("C16"). A CxHxW uint8 tensor is stored as
// [ceil(C/16)][H][W][16]; one 16-byte word holds 16 channels of one pixel, which is what the
// accelerator's buffers, DMA beats and array columns work on. Padding channels are 128 (zero)
// where the host writes a tensor; no layer's result depends on them (their weights are zero,
// and they are dropped on unpacking), so the accelerator need not keep them: an array narrower
// than 16 columns writes only its lanes of a block and leaves the padding lanes as they were.
#ifndef SASIM_CONTRACT_LAYOUT_H_
#define SASIM_CONTRACT_LAYOUT_H_

#include <cstdint>
#include <vector>

namespace sasim {

inline int ChannelBlocks(int channels) { return (channels + 15) / 16; }
inline uint32_t C16Bytes(int channels, int height, int width) {
  return static_cast<uint32_t>(ChannelBlocks(channels)) * height * width * 16;
}

std::vector<uint8_t> PackC16(const std::vector<uint8_t>& chw, int channels, int height,
                             int width);
std::vector<uint8_t> UnpackC16(const std::vector<uint8_t>& c16, int channels, int height,
                               int width);

}  // namespace sasim

#endif  // SASIM_CONTRACT_LAYOUT_H_
