// Network inputs: a synthetic image, one image from a file (.npy or a CIFAR-10 batch), or a
// dataset of many. Every file is checked (regular file, size, dtype, shape) before it is read
// into memory; every problem is an InputError naming the file.
#ifndef SASIM_HOST_NET_INPUT_H_
#define SASIM_HOST_NET_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "contract/layer.h"

namespace sasim {

// How input tensors are read: their shape and the input scale 2^-input_exp for float data.
struct InputFormat {
  std::string net_name;
  TensorShape shape;
  int input_exp = 0;
};

// The default input: a deterministic synthetic image (smooth gradients plus noise).
std::vector<uint8_t> SyntheticImage(const TensorShape& shape, uint32_t seed);

// Whether an input file is a CIFAR-10 binary batch (.bin), which holds several images.
bool IsCifarBatch(const std::string& path);

// One image: .npy (uint8 CHW, or float CHW quantized with the input scale, half to even) or a
// CIFAR-10 binary batch (.bin) with a record index.
std::vector<uint8_t> LoadInputImage(const std::string& path, int index, const InputFormat& format);

// A set of images: an .npy of N x C x H x W (uint8 codes, or float quantized with the input
// scale) with labels from an .npy of N integers, or a CIFAR-10 binary batch (labels inside).
// `limit` > 0 keeps the first `limit` images.
struct Dataset {
  std::vector<std::vector<uint8_t>> images;
  std::vector<int> labels;  // empty when unknown
};
Dataset LoadDataset(const std::string& path, const std::string& labels_path, int limit,
                    const InputFormat& format);

// "record 3 of x.bin" / "x.npy": how reports name an input.
std::string DescribeInput(const std::string& path, int index);

}  // namespace sasim

#endif  // SASIM_HOST_NET_INPUT_H_
