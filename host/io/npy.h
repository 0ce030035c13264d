// Reading and writing NumPy .npy files (format 1.0/2.0, C order, little-endian).
#ifndef SASIM_HOST_IO_NPY_H_
#define SASIM_HOST_IO_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sasim {

struct NpyArray {
  std::string dtype;           // "u1", "i1", "i4", "f4", "f8"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;   // raw little-endian elements
  int64_t size() const;
  template <class T>
  std::vector<T> As() const;   // converts every element; T must match the dtype's kind
};

// Throws InputError naming the file on anything it cannot read.
NpyArray ReadNpy(const std::string& path);
// The bytes of an .npy file (format 1.0).
std::string EncodeNpy(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                      size_t bytes);
// Writes one atomically (host/io/files.h); throws InputError naming the file on failure.
void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
              const void* data, size_t bytes);

std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace sasim

#endif  // SASIM_HOST_IO_NPY_H_
