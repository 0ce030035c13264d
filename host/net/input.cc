#include "host/net/input.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/files.h"
#include "host/io/npy.h"

namespace sasim {
namespace {

// CIFAR-10 binary batch: records of 1 label byte + 3072 bytes (R, G, B planes of 32x32).
constexpr size_t kCifarRecord = 1 + 3 * 32 * 32;
constexpr uint64_t kMaxCifarBytes = uint64_t{1} << 30;

// The whole CIFAR batch, checked: a multiple of the record size, for a 3x32x32 net.
std::string ReadCifar(const std::string& path, const InputFormat& f) {
  if (f.shape != TensorShape{3, 32, 32}) {
    throw InputError(fmt::format("{}: a CIFAR-10 image is 3x32x32, the net '{}' takes {}x{}x{}",
                                 path, f.net_name, f.shape.channels, f.shape.height,
                                 f.shape.width));
  }
  std::string data = ReadFileBounded(path, "CIFAR-10 batch", kMaxCifarBytes);
  if (data.empty() || data.size() % kCifarRecord != 0) {
    throw InputError(fmt::format("{}: {} bytes is not a CIFAR-10 batch (records of {} bytes)", path,
                                 data.size(), kCifarRecord));
  }
  return data;
}

// A float tensor element quantized with the input scale: round half to even, clamp.
uint8_t QuantizeInput(double v, int input_exp, const std::string& path, size_t index) {
  if (std::isnan(v)) {
    throw InputError(fmt::format("{}: element {} is NaN", path, index));
  }
  const double q = std::nearbyint(std::ldexp(v, input_exp)) + 128;
  return static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
}

std::vector<uint8_t> Codes(const NpyArray& a, size_t first, size_t count, int input_exp,
                           const std::string& path) {
  std::vector<uint8_t> img(count);
  if (a.dtype == "u1") {
    std::copy_n(a.data.begin() + static_cast<std::ptrdiff_t>(first), count, img.begin());
    return img;
  }
  if (a.dtype == "f4" || a.dtype == "f8") {
    const auto real = a.As<double>();
    for (size_t i = 0; i < count; ++i)
      img[i] = QuantizeInput(real[first + i], input_exp, path, first + i);
    return img;
  }
  throw InputError(
      fmt::format("{}: input dtype {} not supported (uint8 or float CHW)", path, a.dtype));
}

}  // namespace

bool IsCifarBatch(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
}

std::vector<uint8_t> SyntheticImage(const TensorShape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 20.0);
  std::uniform_real_distribution<double> phase(0.0, 6.283);
  const int channels = shape.channels, height = shape.height, width = shape.width;
  std::vector<uint8_t> img(static_cast<size_t>(shape.elements()));
  for (int c = 0; c < channels; ++c) {
    const double px = phase(rng), py = phase(rng);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const double v = 128 +
                         70 * std::sin(px + 6.0 * x / width) * std::cos(py + 5.0 * y / height) +
                         noise(rng);
        img[(static_cast<size_t>(c) * height + y) * width + x] =
            static_cast<uint8_t>(std::clamp(std::round(v), 0.0, 255.0));
      }
    }
  }
  return img;
}

std::vector<uint8_t> LoadInputImage(const std::string& path, int index, const InputFormat& f) {
  const size_t elements = static_cast<size_t>(f.shape.elements());
  if (IsCifarBatch(path)) {
    const std::string data = ReadCifar(path, f);
    const size_t records = data.size() / kCifarRecord;
    if (index < 0 || static_cast<size_t>(index) >= records) {
      throw InputError(
          fmt::format("{}: image index {} is outside 0..{}", path, index, records - 1));
    }
    const auto* first = reinterpret_cast<const uint8_t*>(data.data()) + index * kCifarRecord + 1;
    return std::vector<uint8_t>(first, first + elements);
  }
  if (index != 0) {
    throw InputError(
        fmt::format("{}: --index {} applies to a CIFAR-10 batch (.bin); an .npy "
                    "input holds one image",
                    path, index));
  }
  const NpyArray a = ReadNpy(path);
  const std::vector<int64_t> chw{f.shape.channels, f.shape.height, f.shape.width};
  if (a.shape != chw) {
    throw InputError(fmt::format("{}: input has shape {}, the net '{}' takes {}", path,
                                 ShapeString(a.shape), f.net_name, ShapeString(chw)));
  }
  return Codes(a, 0, elements, f.input_exp, path);
}

Dataset LoadDataset(const std::string& path, const std::string& labels_path, int limit,
                    const InputFormat& f) {
  Dataset d;
  const size_t elements = static_cast<size_t>(f.shape.elements());
  if (IsCifarBatch(path)) {
    if (!labels_path.empty()) {
      throw InputError(
          fmt::format("{}: a CIFAR-10 batch carries its labels; --labels is for "
                      ".npy datasets",
                      labels_path));
    }
    const std::string data = ReadCifar(path, f);
    const size_t records = data.size() / kCifarRecord;
    const size_t n = limit > 0 ? std::min(records, static_cast<size_t>(limit)) : records;
    for (size_t i = 0; i < n; ++i) {
      const auto* record = reinterpret_cast<const uint8_t*>(data.data()) + i * kCifarRecord;
      d.labels.push_back(record[0]);
      d.images.emplace_back(record + 1, record + 1 + elements);
    }
    return d;
  }
  const NpyArray a = ReadNpy(path);
  if (a.shape.size() != 4 || a.shape[1] != f.shape.channels || a.shape[2] != f.shape.height ||
      a.shape[3] != f.shape.width) {
    throw InputError(fmt::format("{}: dataset has shape {}, the net '{}' takes (N, {}, {}, {})",
                                 path, ShapeString(a.shape), f.net_name, f.shape.channels,
                                 f.shape.height, f.shape.width));
  }
  const int64_t n = limit > 0 ? std::min<int64_t>(limit, a.shape[0]) : a.shape[0];
  // The reader checked the data against the header; check again what is indexed here.
  const size_t item = a.dtype == "u1" ? 1 : a.dtype == "f4" ? 4 : 8;
  if (a.data.size() < static_cast<size_t>(n) * elements * item) {
    throw InputError(
        fmt::format("{}: holds {} bytes, fewer than {} images need", path, a.data.size(), n));
  }
  if (a.dtype == "u1") {
    for (int64_t i = 0; i < n; ++i) d.images.push_back(Codes(a, i * elements, elements, 0, path));
  } else {
    const std::vector<uint8_t> all =
        Codes(a, 0, static_cast<size_t>(n) * elements, f.input_exp, path);
    for (int64_t i = 0; i < n; ++i) {
      d.images.emplace_back(all.begin() + i * elements, all.begin() + (i + 1) * elements);
    }
  }
  if (!labels_path.empty()) {
    const NpyArray l = ReadNpy(labels_path);
    if (l.shape.size() != 1 || l.shape[0] < n) {
      throw InputError(fmt::format("{}: labels have shape {}, need ({},)", labels_path,
                                   ShapeString(l.shape), a.shape[0]));
    }
    if (l.dtype != "u1" && l.dtype != "i1" && l.dtype != "i4" && l.dtype != "i8") {
      throw InputError(
          fmt::format("{}: labels have dtype {}, expected integers", labels_path, l.dtype));
    }
    const auto labels = l.As<int32_t>();
    d.labels.assign(labels.begin(), labels.begin() + n);
  }
  return d;
}

std::string DescribeInput(const std::string& path, int index) {
  return IsCifarBatch(path) ? fmt::format("{} record {}", path, index) : path;
}

}  // namespace sasim
