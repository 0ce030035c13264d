// A fixed-size zero-filled byte array whose pages cost nothing until touched: calloc of a large
// size maps fresh zero pages instead of writing every byte (a 64 MiB DRAM model costs tens of
// milliseconds of start-up as a std::vector, under one as this). Used for the devices' DRAM.
#ifndef SASIM_CONTRACT_ZEROED_BYTES_H_
#define SASIM_CONTRACT_ZEROED_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace sasim {

class ZeroedBytes {
 public:
  explicit ZeroedBytes(size_t size)
      : size_(size), data_(static_cast<uint8_t*>(std::calloc(size ? size : 1, 1))) {
    if (!data_) throw std::bad_alloc();
  }
  size_t size() const { return size_; }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  uint8_t& operator[](size_t i) { return data_.get()[i]; }
  const uint8_t& operator[](size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  size_t size_;
  std::unique_ptr<uint8_t[], Free> data_;
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_ZEROED_BYTES_H_
