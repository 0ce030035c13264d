// Reading and writing NumPy .npy files (format 1.0, 2.0 and 3.0; C order, little-endian).
// Reading is bounded: regular files only, a header of at most 64 KiB parsed by hand, at most
// 2^31 elements and 1 GiB of data, and the file must hold the data before any is allocated.
// Writing is atomic and durable (host/io/files.h WriteFileAtomically).
#ifndef SASIM_HOST_IO_NPY_H_
#define SASIM_HOST_IO_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sasim {

inline constexpr uint32_t kNpyMaxHeaderBytes = 64 * 1024;
inline constexpr int64_t kNpyMaxElements = int64_t{1} << 31;
inline constexpr int64_t kNpyMaxDataBytes = int64_t{1} << 30;

struct NpyArray {
  std::string dtype;  // "u1", "i1", "i4", "i8", "f4", "f8"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;   // raw little-endian elements
  // The element count; InputError if a dimension is negative or the count exceeds
  // kNpyMaxElements (never overflows).
  int64_t size() const;
  // Converts every element; InputError if `data` is shorter than the shape says. Floats go to
  // integer types saturated (NaN to 0), so no conversion is undefined.
  template <class T>
  std::vector<T> As() const;
};

// Bytes per element of a dtype ("i4" -> 4), 0 for a dtype not supported.
int NpyItemSize(const std::string& dtype);

// Throws InputError naming the file on anything it cannot read.
NpyArray ReadNpy(const std::string& path);
// The bytes of an .npy file (format 1.0); InputError if `bytes` does not match the dtype and
// shape.
std::string EncodeNpy(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                      size_t bytes);
// Writes one atomically (host/io/files.h); throws InputError naming the file if it cannot be
// written completely (e.g. a full disk), or if `bytes` does not match the dtype and shape.
void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
              const void* data, size_t bytes);

std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace sasim

#endif  // SASIM_HOST_IO_NPY_H_
